"""Maximum likelihood for the value models' few positive parameters, on the driver."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from scipy.optimize import minimize

# A parameter set whose likelihood is not finite (an overflow at the edge of the space) is as bad as this.
_WORST = 1e300
# The search stays within these logarithms (parameters between about 1e-9 and 1e9). A sample without the
# behaviour a parameter describes (no drop-out seen in a short history: BG/NBD's a -> 0, b -> infinity) has its
# optimum at the edge; unbounded, the search would walk towards it for thousands of steps.
_LOG_BOUNDS = (-20.0, 20.0)


def maximum_likelihood(
    log_likelihood: Callable[[tuple[float, ...]], float], initial: Sequence[float]
) -> tuple:
    """The positive parameters that maximise `log_likelihood`, searched from `initial`.

    The search runs on the parameters' logarithms, so it is unconstrained and every step stays positive.
    Nelder-Mead finds the basin without derivatives; L-BFGS-B then polishes the optimum to a tight gradient, so
    two fits of the same data agree to far better than the 1e-4 the tests ask.

    Raises:
        ValueError: The likelihood is not finite anywhere the search went.
    """

    def loss(log_params: np.ndarray) -> float:
        value = log_likelihood(tuple(np.exp(log_params)))
        return -value if np.isfinite(value) else _WORST

    start = np.log(np.asarray(initial, dtype=float))
    bounds = [_LOG_BOUNDS] * len(start)
    coarse = minimize(
        loss,
        start,
        method="Nelder-Mead",
        bounds=bounds,
        # An interior optimum of a few parameters takes a few hundred steps (CDNOW's BG/NBD: about 400); a flat
        # valley towards the edge would take every step allowed while gaining nothing.
        options={"xatol": 1e-6, "fatol": 1e-8, "maxiter": 2_000},
    )
    fine = minimize(loss, coarse.x, method="L-BFGS-B", bounds=bounds, options={"ftol": 1e-15, "gtol": 1e-9})
    best = fine if fine.fun <= coarse.fun else coarse
    if best.fun >= _WORST:
        raise ValueError("the likelihood is not finite for any parameters tried: check the summary's values")
    return tuple(float(v) for v in np.exp(best.x))
