"""Treatment against control per campaign: per-group moments in Spark, the tests on the driver.

Two metrics per campaign: CONVERSION (share of assigned users with an order in the window; two-proportion
z-test) and GMV_PER_USER (paid GMV per assigned user; Welch's t-test). Both also get a CUPED-adjusted
Welch comparison with their pre-period covariate, and every campaign a sample-ratio-mismatch check.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping

from pyspark.sql import DataFrame, Row
from pyspark.sql import functions as F

from transforms import columns as C
from transforms import vocabulary as V
from transforms.campaigns.cuped import cuped
from transforms.campaigns.stats import (
    Comparison,
    GroupMoments,
    sample_ratio_mismatch,
    two_proportion_ztest,
    welch_ttest,
)

CONVERSION = "conversion"
GMV_PER_USER = "gmv_per_user"
# Metric -> (outcome column, covariate column).
METRICS = {CONVERSION: (C.CONVERTED, C.CONVERSION_COVARIATE), GMV_PER_USER: (C.GMV, C.GMV_COVARIATE)}


def _moment_columns(metric: str) -> dict[str, str]:
    names = ("mean_y", "var_y", "mean_x", "var_x", "cov_xy")
    return {name: f"{metric}_{name}" for name in names}


def group_moments(outcomes: DataFrame) -> DataFrame:
    """Per campaign and group: USERS, each metric's sum and moments with its covariate.

    Args:
        outcomes: `exposure.with_pre_period` output.

    Returns:
        CAMPAIGN_ID, GROUP, USERS, `<metric>_sum` and the `_moment_columns(metric)` of every metric; sample
        variances, 0 for a group of one.
    """
    aggregates = [F.count(F.lit(1)).alias(C.USERS)]
    for metric, (y, x) in METRICS.items():
        names = _moment_columns(metric)
        aggregates += [
            F.sum(y).alias(f"{metric}_sum"),
            F.avg(y).alias(names["mean_y"]),
            F.coalesce(F.var_samp(y), F.lit(0.0)).alias(names["var_y"]),
            F.avg(x).alias(names["mean_x"]),
            F.coalesce(F.var_samp(x), F.lit(0.0)).alias(names["var_x"]),
            F.coalesce(F.covar_samp(x, y), F.lit(0.0)).alias(names["cov_xy"]),
        ]
    return outcomes.groupBy(C.CAMPAIGN_ID, C.GROUP).agg(*aggregates)


def _moments(row: Row | None, metric: str) -> GroupMoments:
    if row is None:
        return GroupMoments(0, 0.0, 0.0)
    names = _moment_columns(metric)
    return GroupMoments(row[C.USERS], **{name: float(row[column]) for name, column in names.items()})


def _compare(metric: str, treatment: Row | None, control: Row | None, confidence: float) -> Comparison:
    if metric == CONVERSION:
        return two_proportion_ztest(
            treatment[f"{metric}_sum"] if treatment else 0,
            treatment[C.USERS] if treatment else 0,
            control[f"{metric}_sum"] if control else 0,
            control[C.USERS] if control else 0,
            confidence,
        )
    return welch_ttest(_moments(treatment, metric), _moments(control, metric), confidence)


def campaign_results(
    windows: Iterable[Row],
    moments: Iterable[Row],
    covariates: Mapping[str, str],
    planned_shares: Mapping[str, float],
    default_share: float,
    confidence: float,
    srm_p_value: float,
    run_date: dt.date,
) -> list[tuple]:
    """The rows of gold.campaign_results (GOLD_CAMPAIGN_RESULTS_SCHEMA order), two per campaign.

    Args:
        windows: Collected `exposure.attribution_windows` rows (a handful).
        moments: Collected `group_moments` rows.
        covariates: Metric -> the features column used as its CUPED covariate (for the record).
        planned_shares: Campaign id -> planned treatment share, overriding `default_share`.
        confidence: Confidence level of every interval.
        srm_p_value: A split whose chi-square p-value is below this is flagged.
    """
    by_group = {(row[C.CAMPAIGN_ID], row[C.GROUP]): row for row in moments}
    rows = []
    for window in sorted(windows, key=lambda w: w[C.CAMPAIGN_ID]):
        campaign = window[C.CAMPAIGN_ID]
        treatment, control = by_group.get((campaign, V.TREATMENT)), by_group.get((campaign, V.CONTROL))
        n_t, n_c = (treatment[C.USERS] if treatment else 0), (control[C.USERS] if control else 0)
        share = planned_shares.get(campaign, default_share)
        srm_chi2, srm_p = sample_ratio_mismatch(n_t, n_c, share)
        for metric in METRICS:
            plain = _compare(metric, treatment, control, confidence)
            adjusted = cuped(_moments(treatment, metric), _moments(control, metric), confidence)
            rows.append(
                (
                    campaign,
                    window[C.CAMPAIGN_NAME],
                    window[C.START_DATE],
                    window[C.END_DATE],
                    window[C.ATTRIBUTION_END],
                    window[C.COMPLETE],
                    metric,
                    n_t,
                    n_c,
                    plain.treatment_mean,
                    plain.control_mean,
                    plain.absolute_uplift,
                    plain.ci_low,
                    plain.ci_high,
                    plain.relative_uplift,
                    plain.relative_ci_low,
                    plain.relative_ci_high,
                    plain.test,
                    plain.statistic,
                    plain.p_value,
                    confidence,
                    covariates[metric],
                    adjusted.theta if adjusted else None,
                    adjusted.comparison.absolute_uplift if adjusted else None,
                    adjusted.comparison.ci_low if adjusted else None,
                    adjusted.comparison.ci_high if adjusted else None,
                    adjusted.comparison.p_value if adjusted else None,
                    adjusted.variance_reduction if adjusted else None,
                    share,
                    srm_chi2,
                    srm_p,
                    srm_p < srm_p_value,
                    run_date,
                )
            )
    return rows
