"""A/B test statistics on a handful of per-group numbers (computed by Spark), evaluated on the driver.

Every test is two-sided. Values a test cannot define (no users in a group, no variance) are None, which the
job writes as null; they are never replaced by a made-up number.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from scipy import stats

TWO_PROPORTION_Z = "two_proportion_z"
WELCH_T = "welch_t"


@dataclass(frozen=True)
class GroupMoments:
    """One group's size and the first two moments of its metric y and pre-period covariate x.

    Variances and the covariance are sample statistics (n - 1 in the denominator).
    """

    n: int
    mean_y: float
    var_y: float
    mean_x: float = 0.0
    var_x: float = 0.0
    cov_xy: float = 0.0

    @property
    def var_of_mean(self) -> float:
        """The variance of the group's mean of y."""
        return self.var_y / self.n


@dataclass(frozen=True)
class Comparison:
    """Treatment against control on one metric."""

    treatment_mean: float | None
    control_mean: float | None
    absolute_uplift: float | None
    ci_low: float | None
    ci_high: float | None
    relative_uplift: float | None
    relative_ci_low: float | None
    relative_ci_high: float | None
    test: str
    statistic: float | None
    p_value: float | None


def _z(confidence: float) -> float:
    return float(stats.norm.ppf(0.5 + confidence / 2))


def relative_interval(
    treatment_mean: float,
    treatment_var_of_mean: float,
    control_mean: float,
    control_var_of_mean: float,
    confidence: float,
) -> tuple[float | None, float | None, float | None]:
    """Relative uplift treatment / control - 1 with a delta-method normal interval.

    Returns (uplift, low, high), all None when the control mean is 0.
    """
    if control_mean == 0:
        return None, None, None
    ratio = treatment_mean / control_mean
    variance = treatment_var_of_mean / control_mean**2 + ratio**2 * control_var_of_mean / control_mean**2
    half = _z(confidence) * math.sqrt(variance)
    return ratio - 1.0, ratio - 1.0 - half, ratio - 1.0 + half


def two_proportion_ztest(
    treatment_conversions: float,
    treatment_n: int,
    control_conversions: float,
    control_n: int,
    confidence: float,
) -> Comparison:
    """Two-proportion z-test: the statistic with the pooled standard error (as under the null hypothesis), the
    interval of the difference with the unpooled one (Wald)."""
    if treatment_n == 0 or control_n == 0:
        return Comparison(None, None, None, None, None, None, None, None, TWO_PROPORTION_Z, None, None)
    p_t, p_c = treatment_conversions / treatment_n, control_conversions / control_n
    diff = p_t - p_c
    var_t, var_c = p_t * (1 - p_t) / treatment_n, p_c * (1 - p_c) / control_n
    half = _z(confidence) * math.sqrt(var_t + var_c)
    pooled = (treatment_conversions + control_conversions) / (treatment_n + control_n)
    pooled_se = math.sqrt(pooled * (1 - pooled) * (1 / treatment_n + 1 / control_n))
    statistic = diff / pooled_se if pooled_se > 0 else None
    p_value = 2 * float(stats.norm.sf(abs(statistic))) if statistic is not None else None
    relative, rel_low, rel_high = relative_interval(p_t, var_t, p_c, var_c, confidence)
    return Comparison(
        p_t,
        p_c,
        diff,
        diff - half,
        diff + half,
        relative,
        rel_low,
        rel_high,
        TWO_PROPORTION_Z,
        statistic,
        p_value,
    )


def welch_ttest(treatment: GroupMoments, control: GroupMoments, confidence: float) -> Comparison:
    """Welch's unequal-variances t-test of the means of y, with the Welch-Satterthwaite degrees of freedom
    (scipy.stats.ttest_ind(equal_var=False) and its confidence_interval)."""
    if treatment.n < 2 or control.n < 2:
        return Comparison(None, None, None, None, None, None, None, None, WELCH_T, None, None)
    diff = treatment.mean_y - control.mean_y
    var_t, var_c = treatment.var_of_mean, control.var_of_mean
    se2 = var_t + var_c
    relative, rel_low, rel_high = relative_interval(
        treatment.mean_y, var_t, control.mean_y, var_c, confidence
    )
    if se2 <= 0:
        return Comparison(
            treatment.mean_y,
            control.mean_y,
            diff,
            None,
            None,
            relative,
            rel_low,
            rel_high,
            WELCH_T,
            None,
            None,
        )
    df = se2**2 / (var_t**2 / (treatment.n - 1) + var_c**2 / (control.n - 1))
    se = math.sqrt(se2)
    statistic = diff / se
    half = float(stats.t.ppf(0.5 + confidence / 2, df)) * se
    return Comparison(
        treatment.mean_y,
        control.mean_y,
        diff,
        diff - half,
        diff + half,
        relative,
        rel_low,
        rel_high,
        WELCH_T,
        statistic,
        2 * float(stats.t.sf(abs(statistic), df)),
    )


def sample_ratio_mismatch(
    treatment_n: int, control_n: int, planned_treatment_share: float
) -> tuple[float, float]:
    """Chi-square goodness-of-fit of the group sizes against the planned split: (statistic, p-value)."""
    total = treatment_n + control_n
    if total == 0:
        return 0.0, 1.0
    expected = [total * planned_treatment_share, total * (1 - planned_treatment_share)]
    result = stats.chisquare([treatment_n, control_n], f_exp=expected)
    return float(result.statistic), float(result.pvalue)
