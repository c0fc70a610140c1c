"""The report's behaviour sections: activity (DAU, WAU, MAU, churn), the purchase funnel with the commonest
session paths, and retention. Spark summaries of gold.activity_daily, churn_monthly, funnel_daily,
session_paths and retention_cohorts (small frames, brought to the driver), and the sections drawn from them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import pandas as pd
from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

from transforms import columns as C
from transforms.report import charts
from transforms.report.formats import blank, count, day, humanize, missing, percent, table
from transforms.report.ordering import in_order
from transforms.report.page import Chart, Figures, Section, Source

_ALL_SESSIONS = "_all_sessions"
COHORT_TITLES = {
    "registration": "Registration cohorts: share of users with a session in each later week",
    "first_order": "First-order cohorts: share of buyers ordering again in each later week",
}


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


def history(complete: object) -> str:
    """Whether a churn month's rates can be read: the lake held a whole churn window before it."""
    if blank(complete):
        return "unknown"
    return "complete" if complete else "shorter than the churn window: rates not comparable"


def activity_section(
    trend: pd.DataFrame | None, churn: pd.DataFrame | None, sources: Sequence[Source]
) -> Section:
    """Key activity figures of the day, the DAU/WAU/MAU trend and monthly churn."""
    blocks = []
    if not missing(trend):
        last = trend.iloc[-1]
        blocks.append(
            Figures(
                [
                    (f"DAU on {day(last['activity_date'])}", count(last["dau"])),
                    ("WAU (7 days)", count(last["wau"])),
                    ("MAU (30 days)", count(last["mau"])),
                    ("stickiness (DAU / MAU)", percent(last["stickiness"])),
                    ("new users", count(last["new_users"])),
                    ("returning users", count(last["returning_users"])),
                ]
            )
        )
        blocks.append(Chart("activity", charts.activity_lines(trend)))
    if not missing(churn):
        blocks.append(
            table(
                "Monthly churn and reactivation (lifecycle stages)",
                churn,
                {
                    "month": ("month", lambda v: pd.Timestamp(v).strftime("%Y-%m")),
                    "through_date": ("through", day),
                    "users_at_start": ("not churned at start", count),
                    "churned_users": ("churned since", count),
                    "churn_rate": ("churn rate", percent),
                    "churned_at_start": ("churned at start", count),
                    "reactivated_users": ("reactivated since", count),
                    "reactivation_rate": ("reactivation rate", percent),
                    "history_complete": ("history", history),
                },
            )
        )
    return Section(
        "activity",
        "Activity",
        "Users with a session on the day, in the last 7 and 30 days, and how many churned or came back.",
        sources,
        blocks,
    )


def funnel_section(
    steps: pd.DataFrame | None, paths: pd.DataFrame | None, sources: Sequence[Source]
) -> Section:
    """The day's purchase funnel and the commonest page paths of converted and other sessions."""
    blocks = []
    if not missing(steps):
        by_step = steps.set_index("step")
        first = steps.iloc[0]
        figures = [(f"sessions with a {humanize(first['step']).lower()}", count(first["sessions"]))]
        for step in ("add_to_cart", "order", "pay"):
            if step in by_step.index:
                figures.append(
                    (f"reach {humanize(step).lower()}", percent(by_step.loc[step, "conversion_from_start"]))
                )
        blocks.append(Figures(figures))
        blocks.append(Chart("funnel", charts.funnel(steps, {s: humanize(s) for s in steps["step"]})))
        blocks.append(
            table(
                "Step by step",
                steps,
                {
                    "step": ("step", humanize),
                    "sessions": ("sessions", count),
                    "step_conversion": ("of the step before", percent),
                    "conversion_from_start": ("of all sessions", percent),
                },
            )
        )
    if not missing(paths):
        for converted, caption in (
            (True, "Commonest paths of converted sessions"),
            (False, "Commonest paths of the other sessions"),
        ):
            rows = paths[paths["converted"] == converted]
            if not rows.empty:
                blocks.append(
                    table(
                        caption,
                        rows,
                        {
                            "rank": ("#", count),
                            "path": ("page path", str),
                            "sessions": ("sessions", count),
                            "share": ("share", percent),
                        },
                    )
                )
    return Section(
        "funnel",
        "Purchase funnel",
        "Sessions of the day reaching each step: page view, product view, add to cart, order, pay "
        "(each step needs the ones before it).",
        sources,
        blocks,
    )


def retention_section(cells: pd.DataFrame | None, sources: Sequence[Source]) -> Section:
    """One retention heatmap per cohort type (registration week, first-order week)."""
    blocks = []
    if not missing(cells):
        for cohort_type in [*COHORT_TITLES, *sorted(set(cells["cohort_type"]) - set(COHORT_TITLES))]:
            rows = cells[cells["cohort_type"] == cohort_type]
            if not rows.empty:
                title = COHORT_TITLES.get(cohort_type, humanize(cohort_type))
                blocks.append(Chart(f"retention-{cohort_type}", charts.retention_heatmap(rows, title)))
    return Section(
        "retention",
        "Retention",
        "Weekly cohorts followed over the complete weeks after their first week (week 0 is the cohort week).",
        sources,
        blocks,
    )


def _ratio(numerator: Column, denominator: Column) -> Column:
    return F.when(denominator > 0, numerator / denominator)
