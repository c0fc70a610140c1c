"""The Gamma-Gamma model of order value (Fader, Hardie and Lee 2005, "RFM and CLV"; Colombo and Jiang 1999).

A customer's order values are Gamma(p, nu) around their own mean p / nu, with nu ~ Gamma(q, gamma) across
customers (gamma is `v` here, as in the note). It is fitted on customers with repeat purchases only, each
summarised by x (repeat purchases) and m (their mean value), and assumes value is independent of frequency.

As with BG/NBD, the fit runs on weighted distinct (x, m) rows.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import gammaln

from transforms.value.fitting import maximum_likelihood

PARAMETERS = ("p", "q", "v")


@dataclass(frozen=True)
class GammaGammaFit:
    """Fitted parameters, the log-likelihood at them and how many customers (summed weights) they saw."""

    p: float
    q: float
    v: float
    log_likelihood: float
    customers: float

    @property
    def params(self) -> tuple[float, float, float]:
        return (self.p, self.q, self.v)

    @property
    def population_mean(self) -> float:
        """E[M]: the mean order value of a customer picked at random, p v / (q - 1) (infinite for q <= 1)."""
        return self.p * self.v / (self.q - 1) if self.q > 1 else float("inf")


def log_likelihoods(params: tuple[float, float, float], x: np.ndarray, m: np.ndarray) -> np.ndarray:
    """Each customer's log density of their mean value m given x, the note's equation (3) in logs:

    lnG(px+q) - lnG(px) - lnG(q) + q ln(v) + (px-1) ln(m) + px ln(x) - (px+q) ln(v + x m).
    """
    p, q, v = params
    x, m = np.asarray(x, dtype=float), np.asarray(m, dtype=float)
    return (
        gammaln(p * x + q)
        - gammaln(p * x)
        - gammaln(q)
        + q * np.log(v)
        + (p * x - 1) * np.log(m)
        + p * x * np.log(x)
        - (p * x + q) * np.log(v + x * m)
    )


def log_likelihood(
    params: tuple[float, float, float], x: np.ndarray, m: np.ndarray, weights: np.ndarray | None = None
) -> float:
    """The sample's log-likelihood: the weighted sum of `log_likelihoods`."""
    values = log_likelihoods(params, x, m)
    return float(np.sum(values if weights is None else np.asarray(weights, dtype=float) * values))


def fit(
    x: np.ndarray,
    m: np.ndarray,
    weights: np.ndarray | None = None,
    initial: tuple[float, float, float] = (1.0, 1.0, 1.0),
) -> GammaGammaFit:
    """The maximum-likelihood parameters for customers with x >= 1 repeat purchases of mean value m > 0.

    Raises:
        ValueError: No customers, x < 1, or a mean value that is not positive.
    """
    x, m = np.asarray(x, dtype=float), np.asarray(m, dtype=float)
    w = np.ones_like(x) if weights is None else np.asarray(weights, dtype=float)
    if x.size == 0 or float(np.sum(w)) <= 0:
        raise ValueError("no customers with repeat purchases to fit the order value on")
    if np.any(x < 1):
        raise ValueError("Gamma-Gamma is fitted on customers with at least one repeat purchase (x >= 1)")
    if np.any(~(m > 0)) or not np.all(np.isfinite(m)):
        raise ValueError("a mean order value is not positive: refunded or free orders must be left out first")
    # Value enters only through v's scale: fitting in units of the mean value keeps v near 1 for the optimiser.
    scale = float(np.average(m, weights=w))
    p, q, v = maximum_likelihood(lambda params: log_likelihood(params, x, m / scale, w), initial)
    v *= scale
    return GammaGammaFit(p, q, v, log_likelihood((p, q, v), x, m, w), float(np.sum(w)))


def expected_value(
    params: tuple[float, float, float], x: np.ndarray, m: np.ndarray, first: np.ndarray | None = None
) -> np.ndarray:
    """E[M | x, m]: the customer's expected order value, the note's equation (5), p (v + x m) / (p x + q - 1).

    A customer without repeat purchases (x = 0) has, in the note, the population mean p v / (q - 1). With
    heavy-tailed values q nears 1 and that mean explodes (on the sample shop q = 1.09 gives 4,569, 3.5 times
    the mean repeat value, and ranked one-time buyers above repeat buyers), so when their first purchase's
    value is given it counts as the one transaction seen: p (v + first) / (p + q - 1), the same posterior
    mean for x = 1. The fit itself still leaves first purchases out, as the note does.
    """
    p, q, v = params
    x, m = np.asarray(x, dtype=float), np.nan_to_num(np.asarray(m, dtype=float))
    repeat = p * (v + x * m) / (p * x + q - 1)
    if first is None:
        return repeat
    first = np.asarray(first, dtype=float)
    seen_once = p * (v + np.clip(np.nan_to_num(first), 0.0, None)) / (p + q - 1)
    return np.where((x > 0) | np.isnan(first), repeat, seen_once)
