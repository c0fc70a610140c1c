"""The BG/NBD model of repeat purchases (Fader, Hardie and Lee 2005, "Counting Your Customers the Easy Way").

While alive, a customer buys at Poisson rate lambda ~ Gamma(r, alpha); after each purchase they drop out with
probability p ~ Beta(a, b). A customer is summarised by x (repeat purchases), t_x (the time of the last one,
from the first purchase) and T (the time from the first purchase to the end of the observation). The
likelihood, P(alive) and the conditional expectation are the paper's equations (6), (13) and (10);
the code calls T `age`.

The fit runs on weighted distinct (x, t_x, T) rows: the likelihood is a sum over customers, so customers with
the same triple add their weight, and a fit over 100 million customers costs what their distinct rows cost.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import gammaln, hyp2f1

from transforms.value.fitting import maximum_likelihood

PARAMETERS = ("r", "alpha", "a", "b")


@dataclass(frozen=True)
class BgNbdFit:
    """Fitted parameters, the log-likelihood at them and how many customers (summed weights) they saw."""

    r: float
    alpha: float
    a: float
    b: float
    log_likelihood: float
    customers: float

    @property
    def params(self) -> tuple[float, float, float, float]:
        return (self.r, self.alpha, self.a, self.b)


def log_likelihoods(
    params: tuple[float, float, float, float], x: np.ndarray, t_x: np.ndarray, age: np.ndarray
) -> np.ndarray:
    """Each customer's log-likelihood, the paper's equation (6) in logs:

    ln L = A1 + A2 + ln(exp(A3) + [x > 0] exp(A4)), with A1 = lnG(r+x) - lnG(r) + r ln(alpha),
    A2 = lnG(a+b) + lnG(b+x) - lnG(b) - lnG(a+b+x), A3 = -(r+x) ln(alpha+T),
    A4 = ln(a) - ln(b+x-1) - (r+x) ln(alpha+t_x).
    """
    r, alpha, a, b = params
    x, t_x, age = (np.asarray(v, dtype=float) for v in (x, t_x, age))
    a1 = gammaln(r + x) - gammaln(r) + r * np.log(alpha)
    a2 = gammaln(a + b) + gammaln(b + x) - gammaln(b) - gammaln(a + b + x)
    a3 = -(r + x) * np.log(alpha + age)
    repeat = x > 0
    # ln(b + x - 1) is undefined at x = 0, where the term does not apply: any finite stand-in, masked out.
    a4 = np.where(
        repeat, np.log(a) - np.log(np.where(repeat, b + x - 1, 1.0)) - (r + x) * np.log(alpha + t_x), -np.inf
    )
    return a1 + a2 + np.logaddexp(a3, a4)


def log_likelihood(
    params: tuple[float, float, float, float],
    x: np.ndarray,
    t_x: np.ndarray,
    age: np.ndarray,
    weights: np.ndarray | None = None,
) -> float:
    """The sample's log-likelihood: the weighted sum of `log_likelihoods`."""
    values = log_likelihoods(params, x, t_x, age)
    return float(np.sum(values if weights is None else np.asarray(weights, dtype=float) * values))


def fit(
    x: np.ndarray,
    t_x: np.ndarray,
    age: np.ndarray,
    weights: np.ndarray | None = None,
    initial: tuple[float, float, float, float] = (1.0, 1.0, 1.0, 1.0),
) -> BgNbdFit:
    """The maximum-likelihood parameters for customers (x, t_x, T), each row counted `weights` times.

    Raises:
        ValueError: No customers, a negative value, or t_x > T (a last purchase after the observation's end).
    """
    x, t_x, age = (np.asarray(v, dtype=float) for v in (x, t_x, age))
    w = np.ones_like(x) if weights is None else np.asarray(weights, dtype=float)
    _check_summary(x, t_x, age, w)
    scale = float(np.average(age, weights=w)) or 1.0
    # Time enters only through alpha's scale: fitting in units of the mean age keeps alpha near 1 for the
    # optimiser, whatever unit the caller chose; alpha is scaled back below.
    result = maximum_likelihood(
        lambda p: log_likelihood(p, x, t_x / scale, age / scale, w),
        (initial[0], initial[1] / scale, initial[2], initial[3]),
    )
    r, alpha, a, b = result
    alpha *= scale
    return BgNbdFit(r, alpha, a, b, log_likelihood((r, alpha, a, b), x, t_x, age, w), float(np.sum(w)))


def p_alive(
    params: tuple[float, float, float, float], x: np.ndarray, t_x: np.ndarray, age: np.ndarray
) -> np.ndarray:
    """P(alive at T | x, t_x, T), the paper's equation (13): 1 for a customer without repeat purchases."""
    r, alpha, a, b = params
    x, t_x, age = (np.asarray(v, dtype=float) for v in (x, t_x, age))
    repeat = x > 0
    log_odds = (
        np.log(a)
        - np.log(np.where(repeat, b + x - 1, 1.0))
        + (r + x) * (np.log(alpha + age) - np.log(alpha + t_x))
    )
    return np.where(repeat, 1.0 / (1.0 + np.exp(log_odds)), 1.0)


def expected_purchases(
    params: tuple[float, float, float, float], t: float, x: np.ndarray, t_x: np.ndarray, age: np.ndarray
) -> np.ndarray:
    """E[purchases in (T, T + t] | x, t_x, T], the paper's equation (10)."""
    r, alpha, a, b = params
    x, t_x, age = (np.asarray(v, dtype=float) for v in (x, t_x, age))
    if t <= 0:
        return np.zeros_like(x)
    z = t / (alpha + age + t)
    bracket = 1.0 - np.exp((r + x) * np.log((alpha + age) / (alpha + age + t))) * hyp2f1(
        r + x, b + x, a + b + x - 1, z
    )
    return (a + b + x - 1) / (a - 1) * bracket * p_alive(params, x, t_x, age)


def expected_purchases_new(params: tuple[float, float, float, float], t: np.ndarray) -> np.ndarray:
    """E[X(t)]: purchases in a period of length t by a customer picked at random, the paper's equation (9)."""
    r, alpha, a, b = params
    t = np.asarray(t, dtype=float)
    z = t / (alpha + t)
    return (a + b - 1) / (a - 1) * (1.0 - np.power(alpha / (alpha + t), r) * hyp2f1(r, b, a + b - 1, z))


def _check_summary(x: np.ndarray, t_x: np.ndarray, age: np.ndarray, w: np.ndarray) -> None:
    if x.size == 0 or float(np.sum(w)) <= 0:
        raise ValueError("no customers to fit: the summary is empty")
    for name, values in (("x", x), ("t_x", t_x), ("T", age), ("weight", w)):
        if np.any(values < 0) or not np.all(np.isfinite(values)):
            raise ValueError(f"{name} holds negative or non-finite values")
    if np.any(t_x > age + 1e-9):
        raise ValueError("t_x exceeds T: a last purchase after the end of the observation")
    if np.any((x == 0) & (t_x != 0)):
        raise ValueError("t_x is not 0 for a customer without repeat purchases")
