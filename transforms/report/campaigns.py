"""The report's campaigns section: every A/B-tested campaign's uplift with intervals per metric, and the
response by segment and audience. Spark summaries of gold.campaign_results and gold.campaign_breakdown, and
the section drawn from them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import pandas as pd
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from transforms import columns as C
from transforms.report import charts
from transforms.report.formats import count, interval, missing, number, percent, table
from transforms.report.ordering import in_order
from transforms.report.page import Chart, Section, Source

METRIC_CHARTS = {
    # metric: (chart title, axis title, tick format)
    "conversion": ("Conversion uplift per campaign", "difference in conversion rate", ".1%"),
    "gmv_per_user": ("Paid GMV per user uplift per campaign", "difference in paid GMV per user", ",.0f"),
}
ALL_DIMENSION = "all"


def campaign_intervals(results: DataFrame, run_date: dt.date) -> DataFrame:
    """Every campaign and metric as evaluated on `run_date`, with raw and CUPED intervals.

    Returns:
        CAMPAIGN_ID, CAMPAIGN_NAME, START_DATE, END_DATE, COMPLETE, METRIC, TREATMENT_USERS, CONTROL_USERS,
        TREATMENT_MEAN, CONTROL_MEAN, ABSOLUTE_UPLIFT, ABSOLUTE_CI_LOW, ABSOLUTE_CI_HIGH, RELATIVE_UPLIFT,
        RELATIVE_CI_LOW, RELATIVE_CI_HIGH, P_VALUE, CUPED_UPLIFT, CUPED_CI_LOW, CUPED_CI_HIGH, CUPED_P_VALUE,
        CONFIDENCE_LEVEL, SRM_P_VALUE, SRM_DETECTED; by campaign start, id and metric.
    """
    return (
        results.where(F.col(C.RUN_DATE) == F.lit(run_date))
        .select(
            C.CAMPAIGN_ID,
            C.CAMPAIGN_NAME,
            C.START_DATE,
            C.END_DATE,
            C.COMPLETE,
            C.METRIC,
            C.TREATMENT_USERS,
            C.CONTROL_USERS,
            C.TREATMENT_MEAN,
            C.CONTROL_MEAN,
            C.ABSOLUTE_UPLIFT,
            C.ABSOLUTE_CI_LOW,
            C.ABSOLUTE_CI_HIGH,
            C.RELATIVE_UPLIFT,
            C.RELATIVE_CI_LOW,
            C.RELATIVE_CI_HIGH,
            C.P_VALUE,
            C.CUPED_UPLIFT,
            C.CUPED_CI_LOW,
            C.CUPED_CI_HIGH,
            C.CUPED_P_VALUE,
            C.CONFIDENCE_LEVEL,
            C.SRM_P_VALUE,
            C.SRM_DETECTED,
        )
        .transform(in_order, C.START_DATE, C.CAMPAIGN_ID, C.METRIC)
    )


def campaign_response(breakdown: DataFrame, run_date: dt.date) -> DataFrame:
    """Reach and response per campaign by segment and audience (the rows other than the "all" totals).

    Returns:
        CAMPAIGN_ID, DIMENSION, DIMENSION_VALUE, TREATMENT_USERS, CONTROL_USERS, TREATMENT_CONVERSION,
        CONTROL_CONVERSION, CONVERSION_UPLIFT, GMV_UPLIFT; by campaign, dimension and largest reach first.
    """
    return (
        breakdown.where((F.col(C.RUN_DATE) == F.lit(run_date)) & (F.col(C.DIMENSION) != F.lit(ALL_DIMENSION)))
        .select(
            C.CAMPAIGN_ID,
            C.DIMENSION,
            C.DIMENSION_VALUE,
            C.TREATMENT_USERS,
            C.CONTROL_USERS,
            C.TREATMENT_CONVERSION,
            C.CONTROL_CONVERSION,
            C.CONVERSION_UPLIFT,
            C.GMV_UPLIFT,
        )
        .transform(
            in_order,
            C.CAMPAIGN_ID,
            C.DIMENSION,
            (F.col(C.TREATMENT_USERS) + F.col(C.CONTROL_USERS)).desc(),
            C.DIMENSION_VALUE,
        )
    )


def campaigns_section(
    results: pd.DataFrame | None, response: pd.DataFrame | None, sources: Sequence[Source]
) -> Section:
    """Uplift with confidence intervals per campaign and metric, the numbers, and the response breakdown."""
    blocks = []
    if not missing(results):
        for metric, (title, axis, tick_format) in METRIC_CHARTS.items():
            rows = results[results["metric"] == metric]
            if not rows.empty:
                blocks.append(
                    Chart(f"campaign-{metric}", charts.uplift_forest(rows, title, axis, tick_format))
                )
        groups = zip(results["treatment_users"], results["control_users"], strict=True)
        readable = results.assign(
            users=[f"{count(t)} / {count(c)}" for t, c in groups],
            uplift=_intervals(results, "absolute"),
            cuped=_intervals(results, "cuped"),
        )
        blocks.append(
            table(
                "Results: treatment against control, uplift [confidence interval]",
                readable,
                {
                    "campaign_id": ("campaign", str),
                    "metric": ("metric", str),
                    "complete": ("window", lambda v: "ended" if v else "running"),
                    "users": ("users (T / C)", str),
                    "treatment_mean": ("treatment", number),
                    "control_mean": ("control", number),
                    "uplift": ("uplift", str),
                    "relative_uplift": ("relative", percent),
                    "p_value": ("p", number),
                    "cuped": ("CUPED uplift", str),
                    "cuped_p_value": ("CUPED p", number),
                    "srm_detected": ("split", lambda v: "MISMATCH" if v else "as planned"),
                },
            )
        )
    if not missing(response):
        blocks.append(
            table(
                "Response by segment and audience (as of the day before each start)",
                response,
                {
                    "campaign_id": ("campaign", str),
                    "dimension": ("by", str),
                    "dimension_value": ("value", str),
                    "treatment_users": ("treatment users", count),
                    "control_users": ("control users", count),
                    "treatment_conversion": ("treatment conversion", percent),
                    "control_conversion": ("control conversion", percent),
                    "conversion_uplift": ("conversion uplift", percent),
                    "gmv_per_user_uplift": ("GMV per user uplift", number),
                },
            )
        )
    return Section(
        "campaigns",
        "Campaign results",
        "Each campaign as an A/B test: the difference between treatment and control with its confidence "
        "interval, raw and CUPED-adjusted (an interval that does not cross zero is a significant effect).",
        sources,
        blocks,
    )


def _intervals(results: pd.DataFrame, prefix: str) -> list[str]:
    """ "estimate [low, high]" of the `<prefix>_uplift` and `<prefix>_ci_low/high` columns."""
    columns = (results[f"{prefix}_uplift"], results[f"{prefix}_ci_low"], results[f"{prefix}_ci_high"])
    return [interval(*values) for values in zip(*columns, strict=True)]
