"""Behaviour analytics as of the run date: activity, funnel, retention, churn and session paths.

    python -m jobs.build_behaviour_analytics --env local --date 2026-10-30
    python -m jobs.build_behaviour_analytics --env local --from-date 2026-10-01 --date 2026-10-30

Writes, for every date of the run (one, or a back-fill range in one pass):
  gold.activity_daily     DAU, WAU, MAU, new and returning users, stickiness (silver.sessions, bronze.users)
  gold.funnel_daily       sessions per funnel step by channel, device, segment and lifecycle stage (silver,
                          gold.user_segments when it exists, the lifecycle_stage tag of gold.tag_snapshots; both
                          as of the latest snapshot before the day, at most AS_OF_LOOKBACK_DAYS old)
  gold.retention_cohorts  weekly registration and first-order cohorts, weeks 0..analytics.retention_weeks
  gold.churn_monthly      monthly churn and reactivation rates (gold.lifecycle_transitions), the last
                          CHURN_MONTHS months, each flagged whether the lake held lifecycle.churn_days of
                          history before it
  gold.session_paths      the commonest page-type paths, converted sessions and the others
Each table's partitions of the run's dates are rewritten, so re-running a date gives the same rows. Inputs
other than silver.events and silver.sessions are optional: without them the columns they feed are null
(segment, lifecycle stage), zero (new users) or their tables have no rows.
"""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Sequence
from functools import reduce

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from shop_platform.cli import job_parser, parse_job_args
from shop_platform.logs import get_logger, timed
from shop_platform.session import get_spark
from shop_platform.storage import Lake, open_lake
from transforms import columns as C
from transforms.analytics.activity import MONTH_DAYS, activity_daily, date_range
from transforms.analytics.as_of import latest_snapshot_before
from transforms.analytics.churn import monthly_churn
from transforms.analytics.funnel import funnel_daily, session_steps
from transforms.analytics.paths import session_page_paths, top_paths
from transforms.analytics.retention import (
    FIRST_ORDER_COHORT,
    REGISTRATION_COHORT,
    WEEK_DAYS,
    weekly_retention,
)
from transforms.schemas import (
    GOLD_ACTIVITY_DAILY_PARTITIONS,
    GOLD_ACTIVITY_DAILY_SCHEMA,
    GOLD_CHURN_MONTHLY_PARTITIONS,
    GOLD_CHURN_MONTHLY_SCHEMA,
    GOLD_FUNNEL_DAILY_PARTITIONS,
    GOLD_FUNNEL_DAILY_SCHEMA,
    GOLD_RETENTION_COHORTS_PARTITIONS,
    GOLD_RETENTION_COHORTS_SCHEMA,
    GOLD_SESSION_PATHS_PARTITIONS,
    GOLD_SESSION_PATHS_SCHEMA,
)

log = get_logger("jobs.build_behaviour_analytics")

EVENTS = "silver.events"
SESSIONS = "silver.sessions"
ORDERS = "silver.orders"
USERS = "bronze.users"
USER_SEGMENTS = "gold.user_segments"
TAG_SNAPSHOTS = "gold.tag_snapshots"
LIFECYCLE_TRANSITIONS = "gold.lifecycle_transitions"
LIFECYCLE_TAG = "lifecycle_stage"
# A segment or stage from a snapshot older than this before the day is no longer the user's: left null.
AS_OF_LOOKBACK_DAYS = 7
CHURN_MONTHS = 13

OUTPUTS = {
    "gold.activity_daily": (GOLD_ACTIVITY_DAILY_SCHEMA, GOLD_ACTIVITY_DAILY_PARTITIONS),
    "gold.funnel_daily": (GOLD_FUNNEL_DAILY_SCHEMA, GOLD_FUNNEL_DAILY_PARTITIONS),
    "gold.retention_cohorts": (GOLD_RETENTION_COHORTS_SCHEMA, GOLD_RETENTION_COHORTS_PARTITIONS),
    "gold.churn_monthly": (GOLD_CHURN_MONTHLY_SCHEMA, GOLD_CHURN_MONTHLY_PARTITIONS),
    "gold.session_paths": (GOLD_SESSION_PATHS_SCHEMA, GOLD_SESSION_PATHS_PARTITIONS),
}


def between(lake: Lake, name: str, column: str, first: dt.date, last: dt.date) -> DataFrame:
    return lake.table(name).read().where(F.col(column).between(F.lit(first), F.lit(last)))


def optional(lake: Lake, name: str, schema: str) -> DataFrame:
    """The table, or no rows of `schema` (DDL) when it does not exist yet."""
    table = lake.table(name)
    if table.exists():
        return table.read()
    log.warning("%s does not exist: the analytics that use it get nulls or zeros", name)
    return lake.spark.createDataFrame([], schema)


def known_before_each_day(values: DataFrame, value_column: str, first: dt.date, last: dt.date) -> DataFrame:
    """USER_ID, EVENT_DATE, `value_column`: each day's value from the latest snapshot before it."""
    recent = values.where(
        F.col(C.SNAPSHOT_DATE).between(F.lit(first - dt.timedelta(days=AS_OF_LOOKBACK_DAYS)), F.lit(last))
    )
    days = date_range(values, first, last, C.EVENT_DATE)
    pairs = latest_snapshot_before(
        recent.select(C.USER_ID, value_column, C.SNAPSHOT_DATE), days, C.EVENT_DATE
    )
    return pairs.where(F.datediff(F.col(C.EVENT_DATE), F.col(C.SNAPSHOT_DATE)) <= AS_OF_LOOKBACK_DAYS).select(
        C.USER_ID, C.EVENT_DATE, value_column
    )


def write(lake: Lake, name: str, df: DataFrame, column: str, dates: list[dt.date]) -> None:
    schema, partitions = OUTPUTS[name]
    with timed(log, f"write {name}"):
        # Derived gold tables: a column a later release adds (churn's history_complete) evolves the table
        # instead of failing on lakes written before it; older partitions read it as null.
        lake.table(name, schema=schema, partition_by=partitions).overwrite_partitions(
            df, {column: dates}, merge_schema=True
        )


def main(argv: Sequence[str] | None = None) -> int:
    """Write the behaviour analytics of the run date (or of every date of a back-fill)."""
    parser = job_parser(
        "Activity, funnel, retention, churn and session paths as gold tables.", date_range=True
    )
    ctx = parse_job_args(parser, argv)
    cfg, first, last, dates = ctx.config, ctx.first_date, ctx.run_date, ctx.dates
    spark = get_spark(cfg.spark, app_name="build_behaviour_analytics")
    lake = open_lake(spark, cfg.lake)
    for name in (EVENTS, SESSIONS):
        if not lake.table(name).exists():
            log.error("%s does not exist at %s: run build_silver first", name, lake.path(name))
            return 1
    settings = cfg.analytics
    users = optional(lake, USERS, f"{C.USER_ID} string, {C.REGISTRATION_DATE} date")
    sessions = between(lake, SESSIONS, C.EVENT_DATE, first, last)
    events = between(lake, EVENTS, C.EVENT_DATE, first, last)

    activity = activity_daily(
        between(lake, SESSIONS, C.EVENT_DATE, first - dt.timedelta(days=MONTH_DAYS - 1), last),
        users,
        first,
        last,
    )
    write(lake, "gold.activity_daily", activity, C.ACTIVITY_DATE, dates)

    segments = optional(
        lake, USER_SEGMENTS, f"{C.USER_ID} string, {C.SEGMENT_ID} int, {C.SNAPSHOT_DATE} date"
    ).select(C.USER_ID, C.SEGMENT_ID, C.SNAPSHOT_DATE)
    stages = (
        optional(
            lake,
            TAG_SNAPSHOTS,
            f"{C.USER_ID} string, {C.TAG_ID} string, {C.VALUE} string, {C.SNAPSHOT_DATE} date",
        )
        .where(F.col(C.TAG_ID) == LIFECYCLE_TAG)
        .select(C.USER_ID, F.col(C.VALUE).alias(C.LIFECYCLE_STAGE), C.SNAPSHOT_DATE)
    )
    funnel = funnel_daily(
        session_steps(events),
        sessions,
        known_before_each_day(segments, C.SEGMENT_ID, first, last),
        known_before_each_day(stages, C.LIFECYCLE_STAGE, first, last),
    )
    write(lake, "gold.funnel_daily", funnel, C.EVENT_DATE, dates)

    # Cohorts reach back cohort_weeks + retention_weeks complete weeks before the first as-of date.
    horizon = first - dt.timedelta(days=WEEK_DAYS * (settings.cohort_weeks + settings.retention_weeks + 1))
    visits = between(lake, SESSIONS, C.EVENT_DATE, horizon, last).select(
        C.USER_ID, F.col(C.EVENT_DATE).alias(C.DATE)
    )
    orders = optional(lake, ORDERS, f"{C.USER_ID} string, {C.ORDER_DATE} date").where(
        F.col(C.ORDER_DATE) <= F.lit(last)
    )
    first_orders = orders.groupBy(C.USER_ID).agg(F.min(C.ORDER_DATE).alias(C.DATE))
    registrations = users.where(F.col(C.REGISTRATION_DATE) <= F.lit(last)).select(
        C.USER_ID, F.col(C.REGISTRATION_DATE).alias(C.DATE)
    )
    observed_from = lake.table(SESSIONS).read().agg(F.min(C.EVENT_DATE)).first()[0] or first
    weeks = {
        "cohort_weeks": settings.cohort_weeks,
        "retention_weeks": settings.retention_weeks,
        "observed_from": observed_from,
    }
    retention = reduce(
        DataFrame.unionByName,
        [
            weekly_retention(registrations, visits, REGISTRATION_COHORT, first, last, **weeks),
            weekly_retention(
                first_orders.where(F.col(C.DATE) >= F.lit(horizon)),
                orders.where(F.col(C.ORDER_DATE) >= F.lit(horizon)).select(
                    C.USER_ID, F.col(C.ORDER_DATE).alias(C.DATE)
                ),
                FIRST_ORDER_COHORT,
                first,
                last,
                **weeks,
            ),
        ],
    )
    write(lake, "gold.retention_cohorts", retention, C.AS_OF_DATE, dates)

    transitions = optional(
        lake,
        LIFECYCLE_TRANSITIONS,
        f"{C.FROM_STAGE} string, {C.TO_STAGE} string, {C.USERS} long, {C.SNAPSHOT_DATE} date",
    )
    oldest_month = (first.replace(day=1) - dt.timedelta(days=31 * (CHURN_MONTHS - 1))).replace(day=1)
    history_start = transitions.agg(F.min(C.SNAPSHOT_DATE)).first()[0]
    churn = monthly_churn(
        transitions.where(F.col(C.SNAPSHOT_DATE).between(F.lit(oldest_month), F.lit(last))),
        first,
        last,
        history_start,
        cfg.lifecycle.churn_days,
    )
    write(lake, "gold.churn_monthly", churn, C.AS_OF_DATE, dates)

    paths = top_paths(
        session_page_paths(events, settings.path_steps, settings.collapse_repeated_pages),
        sessions,
        settings.path_top_n,
    )
    write(lake, "gold.session_paths", paths, C.EVENT_DATE, dates)
    log.info("wrote %s for %s..%s", ", ".join(OUTPUTS), first, last)
    return 0


if __name__ == "__main__":
    sys.exit(main())
