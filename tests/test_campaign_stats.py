"""A/B statistics against SciPy on fixed inputs, CUPED on a hand-built example with a known theta, and the
per-group moments Spark computes against NumPy."""

from __future__ import annotations

from dataclasses import astuple

import numpy as np
import pytest
from scipy import stats

from transforms import columns as C
from transforms.campaigns.ab_test import group_moments
from transforms.campaigns.cuped import cuped, pooled_moments
from transforms.campaigns.stats import GroupMoments, sample_ratio_mismatch, two_proportion_ztest, welch_ttest

TOL = 1e-9


def moments(y, x=None) -> GroupMoments:
    y = np.asarray(y, dtype=float)
    x = np.zeros_like(y) if x is None else np.asarray(x, dtype=float)
    return GroupMoments(len(y), y.mean(), y.var(ddof=1), x.mean(), x.var(ddof=1), np.cov(x, y, ddof=1)[0, 1])


def test_two_proportion_z_test_matches_scipy_chi_square_and_wald_interval():
    result = two_proportion_ztest(130, 1000, 100, 1000, 0.95)
    # The pooled z-test is the 2x2 chi-square test without continuity correction: z^2 = chi2, same p-value.
    reference = stats.chi2_contingency([[130, 870], [100, 900]], correction=False)
    assert result.statistic**2 == pytest.approx(reference.statistic, rel=TOL)
    assert result.statistic > 0
    assert result.p_value == pytest.approx(reference.pvalue, rel=TOL)
    se = np.sqrt(0.13 * 0.87 / 1000 + 0.1 * 0.9 / 1000)
    low, high = stats.norm.interval(0.95, loc=0.03, scale=se)
    assert (result.absolute_uplift, result.ci_low, result.ci_high) == pytest.approx(
        (0.03, low, high), rel=TOL
    )
    assert result.relative_uplift == pytest.approx(0.3, rel=TOL)
    assert result.relative_ci_low < 0.3 < result.relative_ci_high


def test_welch_t_test_matches_scipy_ttest_ind_unequal_variances():
    treatment = [12.0, 0.0, 35.5, 8.0, 0.0, 41.0, 19.5, 0.0, 27.0, 5.0, 16.0]
    control = [0.0, 7.5, 0.0, 22.0, 3.0, 0.0, 11.0, 14.5, 0.0]
    result = welch_ttest(moments(treatment), moments(control), 0.9)
    reference = stats.ttest_ind(treatment, control, equal_var=False)
    interval = reference.confidence_interval(0.9)
    assert result.statistic == pytest.approx(reference.statistic, rel=TOL)
    assert result.p_value == pytest.approx(reference.pvalue, rel=TOL)
    assert (result.ci_low, result.ci_high) == pytest.approx((interval.low, interval.high), rel=TOL)
    assert result.absolute_uplift == pytest.approx(np.mean(treatment) - np.mean(control), rel=TOL)


def test_sample_ratio_mismatch_is_scipy_chi_square_against_the_planned_split():
    assert sample_ratio_mismatch(5150, 4850, 0.5) == pytest.approx(
        tuple(stats.chisquare([5150, 4850], f_exp=[5000, 5000])), rel=TOL
    )
    # A 80/20 plan: 8000 / 2000 is on plan, 5000 / 5000 is a mismatch.
    assert sample_ratio_mismatch(8000, 2000, 0.8)[1] == pytest.approx(1.0)
    assert sample_ratio_mismatch(5000, 5000, 0.8)[1] < 1e-12


def test_cuped_recovers_a_known_theta_and_its_variance_reduction():
    # y = 3x + e + uplift * treated, with e orthogonal to x and of mean 0 in each group, and the same x in
    # both groups: the pooled regression slope theta is exactly 3, the adjusted y is 3 * mean(x) + e + uplift.
    x = np.array([1.0, 2.0, 3.0, 4.0])
    e = np.array([1.0, -1.0, -1.0, 1.0])
    uplift = 0.5
    treatment, control = moments(3 * x + e + uplift, x), moments(3 * x + e, x)
    result = cuped(treatment, control, 0.95)
    assert result.theta == pytest.approx(3.0, rel=TOL)
    assert result.comparison.absolute_uplift == pytest.approx(uplift, rel=TOL)
    # var(3x + e) = 9 * 5/3 + 4/3 = 49/3 per group before, var(e) = 4/3 after.
    assert result.variance_reduction == pytest.approx(1 - 4 / 49, rel=TOL)
    reference = stats.ttest_ind(e + uplift, e, equal_var=False).confidence_interval(0.95)
    assert (result.comparison.ci_low, result.comparison.ci_high) == pytest.approx(
        (reference.low, reference.high), rel=TOL
    )


def test_pooled_moments_equal_the_moments_of_both_groups_together():
    rng = np.random.default_rng(7)
    x_a, x_b = rng.normal(0, 1, 30), rng.normal(0.4, 2, 45)
    y_a, y_b = 2 * x_a + rng.normal(0, 1, 30), -x_b + rng.normal(1, 1, 45)
    pooled = pooled_moments(moments(y_a, x_a), moments(y_b, x_b))
    together = moments(np.concatenate([y_a, y_b]), np.concatenate([x_a, x_b]))
    assert astuple(pooled) == pytest.approx(astuple(together), rel=1e-9)
    assert cuped(moments(y_a, x_a), moments(y_b, x_b), 0.95).theta == pytest.approx(
        np.polyfit(np.concatenate([x_a, x_b]), np.concatenate([y_a, y_b]), 1)[0], rel=1e-9
    )


def test_group_moments_from_spark_match_numpy(spark):
    rows = [
        ("cmp01", "u1", "treatment", 1.0, 30.0, 2.0, 50.0),
        ("cmp01", "u2", "treatment", 0.0, 0.0, 0.0, 0.0),
        ("cmp01", "u3", "treatment", 1.0, 12.5, 1.0, 20.0),
        ("cmp01", "u4", "control", 0.0, 0.0, 1.0, 10.0),
        ("cmp01", "u5", "control", 1.0, 8.0, 0.0, 0.0),
        ("cmp01", "u6", "control", 0.0, 0.0, 3.0, 90.0),
    ]
    columns = [C.CAMPAIGN_ID, C.USER_ID, C.GROUP, C.CONVERTED, C.GMV, C.CONVERSION_COVARIATE, C.GMV_COVARIATE]
    by_group = {r[C.GROUP]: r for r in group_moments(spark.createDataFrame(rows, columns)).collect()}
    for group in ("treatment", "control"):
        mine = [r for r in rows if r[2] == group]
        gmv = moments([r[4] for r in mine], [r[6] for r in mine])
        conversion = moments([r[3] for r in mine], [r[5] for r in mine])
        got = by_group[group]
        assert got[C.USERS] == 3 and got["conversion_sum"] == sum(r[3] for r in mine)
        assert [got[f"gmv_per_user_{name}"] for name in ("mean_y", "var_y", "mean_x", "var_x", "cov_xy")] == (
            pytest.approx([gmv.mean_y, gmv.var_y, gmv.mean_x, gmv.var_x, gmv.cov_xy], rel=1e-12)
        )
        assert got["conversion_cov_xy"] == pytest.approx(conversion.cov_xy, rel=1e-12)
