"""Report summaries of behaviour analytics: the day's funnel, retention cells, the activity trend, monthly
churn and the commonest session paths (gold.funnel_daily, retention_cohorts, activity_daily, churn_monthly,
session_paths)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

from transforms import columns as C
from transforms.report.ordering import in_order

_ALL_SESSIONS = "_all_sessions"


def funnel_steps(funnel: DataFrame, event_date: dt.date, by: Sequence[str] = ()) -> DataFrame:
    """The day's funnel rolled up over every cell (channel, device, segment, stage) except those in `by`.

    The table's cells add up because each session has one channel, device, segment and stage. A step's
    sessions plus its dropped sessions are the sessions of the step before (all sessions, for step 1), so
    both rates are recomputed from the sums rather than averaged.

    Args:
        funnel: gold.funnel_daily rows.
        event_date: The day to summarise.
        by: Dimensions to keep (e.g. [SEGMENT_ID]); none for the shop's whole funnel.

    Returns:
        `by` columns, STEP_INDEX, STEP, SESSIONS, STEP_CONVERSION, CONVERSION_FROM_START (null when a group
        had no sessions), ordered by `by` and step.
    """
    summed = (
        funnel.where(F.col(C.EVENT_DATE) == F.lit(event_date))
        .groupBy(*by, C.STEP_INDEX, C.STEP)
        .agg(
            F.sum(C.SESSIONS).cast("long").alias(C.SESSIONS),
            F.sum(C.DROPPED_SESSIONS).cast("long").alias(C.DROPPED_SESSIONS),
        )
    )
    reaching_previous = F.col(C.SESSIONS) + F.col(C.DROPPED_SESSIONS)
    first_step = F.max(F.when(F.col(C.STEP_INDEX) == 1, reaching_previous))
    if by:
        with_total = summed.select("*", first_step.over(Window.partitionBy(*by)).alias(_ALL_SESSIONS))
    else:
        # One total row: the cross join keeps one row per step.
        with_total = summed.crossJoin(summed.agg(first_step.alias(_ALL_SESSIONS)))
    return with_total.select(
        *by,
        C.STEP_INDEX,
        C.STEP,
        C.SESSIONS,
        _ratio(F.col(C.SESSIONS), reaching_previous).alias(C.STEP_CONVERSION),
        _ratio(F.col(C.SESSIONS), F.col(_ALL_SESSIONS)).alias(C.CONVERSION_FROM_START),
    ).transform(in_order, *by, C.STEP_INDEX)


def retention_cells(cohorts: DataFrame, as_of: dt.date) -> DataFrame:
    """The retention heatmap of one run: gold.retention_cohorts rows of `as_of`.

    Returns:
        COHORT_TYPE, COHORT_WEEK, WEEK_OFFSET, COHORT_USERS, RETAINED_USERS, RETENTION_RATE, ordered.
    """
    return (
        cohorts.where(F.col(C.AS_OF_DATE) == F.lit(as_of))
        .select(
            C.COHORT_TYPE, C.COHORT_WEEK, C.WEEK_OFFSET, C.COHORT_USERS, C.RETAINED_USERS, C.RETENTION_RATE
        )
        .transform(in_order, C.COHORT_TYPE, C.COHORT_WEEK, C.WEEK_OFFSET)
    )


def activity_trend(activity: DataFrame, as_of: dt.date, days: int) -> DataFrame:
    """DAU, WAU, MAU and stickiness of the `days` days through `as_of` (gold.activity_daily).

    Returns:
        ACTIVITY_DATE, DAU, WAU, MAU, NEW_USERS, RETURNING_USERS, STICKINESS, by date.
    """
    return (
        activity.where(
            F.col(C.ACTIVITY_DATE).between(F.lit(as_of - dt.timedelta(days=days - 1)), F.lit(as_of))
        )
        .select(C.ACTIVITY_DATE, C.DAU, C.WAU, C.MAU, C.NEW_USERS, C.RETURNING_USERS, C.STICKINESS)
        .transform(in_order, C.ACTIVITY_DATE)
    )


def churn_months(churn: DataFrame, as_of: dt.date) -> DataFrame:
    """Monthly churn and reactivation as computed on `as_of` (gold.churn_monthly).

    Returns:
        MONTH, THROUGH_DATE, USERS_AT_START, CHURNED_USERS, CHURN_RATE, CHURNED_AT_START, REACTIVATED_USERS,
        REACTIVATION_RATE, HISTORY_COMPLETE, by month.
    """
    return (
        churn.where(F.col(C.AS_OF_DATE) == F.lit(as_of))
        .select(
            C.MONTH,
            C.THROUGH_DATE,
            C.USERS_AT_START,
            C.CHURNED_USERS,
            C.CHURN_RATE,
            C.CHURNED_AT_START,
            C.REACTIVATED_USERS,
            C.REACTIVATION_RATE,
            C.HISTORY_COMPLETE,
        )
        .transform(in_order, C.MONTH)
    )


def top_paths(paths: DataFrame, event_date: dt.date, n: int) -> DataFrame:
    """The `n` commonest page paths of the day's converted and of its other sessions (gold.session_paths).

    Returns:
        CONVERTED, RANK, PATH, SESSIONS, SHARE; converted sessions first, then by rank.
    """
    return (
        paths.where((F.col(C.EVENT_DATE) == F.lit(event_date)) & (F.col(C.RANK) <= n))
        .select(C.CONVERTED, C.RANK, C.PATH, C.SESSIONS, C.SHARE)
        .transform(in_order, F.col(C.CONVERTED).desc(), C.RANK)
    )


def _ratio(numerator: Column, denominator: Column) -> Column:
    return F.when(denominator > 0, numerator / denominator)
