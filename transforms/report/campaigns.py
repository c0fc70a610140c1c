"""Report summaries of the A/B-tested campaigns: uplift with intervals per campaign and metric, and the
response by segment and audience (gold.campaign_results, gold.campaign_breakdown)."""

from __future__ import annotations

import datetime as dt

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from transforms import columns as C
from transforms.report.ordering import in_order

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
