"""Behaviour analytics as of the run date: activity, funnel, retention, churn and session paths.

    python -m jobs.build_behaviour_analytics --env local --date 2026-10-30
    python -m jobs.build_behaviour_analytics --env local --from-date 2026-10-01 --date 2026-10-30

Writes, for every date of the run (one, or a back-fill range in one pass):
  gold.activity_daily     DAU, WAU, MAU, new and returning users, stickiness (silver.sessions, bronze.users)
  gold.funnel_daily       sessions per funnel step by channel, device, segment and lifecycle stage (silver,
                          gold.user_segments when it exists, the lifecycle_stage tag of gold.tag_history; both
                          as of the latest snapshot before the day, at most as_of.AS_OF_LOOKBACK_DAYS old)
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

import argparse
import datetime as dt
import sys

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from shop_platform.cli import JobContext, command, job_parser
from shop_platform.logs import get_logger, timed
from shop_platform.session import get_spark
from shop_platform.storage import Lake, open_lake
from shop_platform.storage.spec import TableSpec
from transforms import columns as C
from transforms import tables
from transforms.analytics.activity import MONTH_DAYS, activity_daily
from transforms.analytics.as_of import AS_OF_LOOKBACK_DAYS, known_before_each_day
from transforms.analytics.churn import monthly_churn
from transforms.analytics.funnel import funnel_daily, session_steps
from transforms.analytics.paths import session_page_paths, top_paths
from transforms.analytics.retention import retention_cohorts, retention_horizon
from transforms.tags.builtins import LIFECYCLE_TAG
from transforms.tags.history import tags_as_of_each

log = get_logger("jobs.build_behaviour_analytics")

CHURN_MONTHS = 13
OUTPUTS = (
    tables.ACTIVITY_DAILY,
    tables.FUNNEL_DAILY,
    tables.RETENTION_COHORTS,
    tables.CHURN_MONTHLY,
    tables.SESSION_PATHS,
)


def write(lake: Lake, spec: TableSpec, df: DataFrame, dates: list[dt.date]) -> None:
    with timed(log, f"write {spec.name}"):
        # Derived gold tables: a column a later release adds (churn's history_complete) evolves the table
        # instead of failing on lakes written before it; older partitions read it as null.
        lake.table(spec).overwrite_partitions(df, {spec.date_column: dates}, merge_schema=True)


def parser() -> argparse.ArgumentParser:
    return job_parser("Activity, funnel, retention, churn and session paths as gold tables.", date_range=True)


def run(ctx: JobContext) -> int:
    """Write the behaviour analytics of the run date (or of every date of a back-fill)."""
    cfg, first, last, dates = ctx.config, ctx.first_date, ctx.run_date, ctx.dates
    spark = get_spark(cfg.spark, app_name="build_behaviour_analytics")
    lake = open_lake(spark, cfg.lake)
    events_table, sessions_table = lake.table(tables.SILVER_EVENTS), lake.table(tables.SESSIONS)
    for table in (events_table, sessions_table):
        if not table.exists():
            log.error("%s does not exist at %s: run build_silver first", table.name, table.path)
            return 1
    settings = cfg.analytics
    users = lake.table(tables.USERS).read_or_empty()
    sessions = sessions_table.read_between(first, last)
    events = events_table.read_between(first, last)

    month = sessions_table.read_between(first - dt.timedelta(days=MONTH_DAYS - 1), last)
    write(lake, tables.ACTIVITY_DAILY, activity_daily(month, users, first, last), dates)

    segments = (
        lake.table(tables.USER_SEGMENTS).read_or_empty().select(C.USER_ID, C.SEGMENT_ID, C.SNAPSHOT_DATE)
    )
    # The stage as of every snapshot date (gold.tag_quality's dates) the lookups may use.
    snapshot_dates = [
        r[0]
        for r in lake.table(tables.TAG_QUALITY)
        .read_between(first - dt.timedelta(days=AS_OF_LOOKBACK_DAYS), last, missing_ok=True)
        .select(C.SNAPSHOT_DATE)
        .distinct()
        .collect()
    ]
    stages = tags_as_of_each(
        lake.table(tables.TAG_HISTORY).read_or_empty().where(F.col(C.TAG_ID) == LIFECYCLE_TAG), snapshot_dates
    ).select(C.USER_ID, F.col(C.VALUE).alias(C.LIFECYCLE_STAGE), C.SNAPSHOT_DATE)
    funnel = funnel_daily(
        session_steps(events),
        sessions,
        known_before_each_day(segments, C.SEGMENT_ID, first, last),
        known_before_each_day(stages, C.LIFECYCLE_STAGE, first, last),
    )
    write(lake, tables.FUNNEL_DAILY, funnel, dates)

    retention = retention_cohorts(
        users,
        # Only the visits the cohorts can count: a day's run reads the same weeks on any length of history.
        sessions_table.read_between(
            retention_horizon(first, settings.cohort_weeks, settings.retention_weeks), last
        ),
        lake.table(tables.ORDERS).read_or_empty(),
        first,
        last,
        settings.cohort_weeks,
        settings.retention_weeks,
        observed_from=sessions_table.earliest_date() or first,
    )
    write(lake, tables.RETENTION_COHORTS, retention, dates)

    transitions = lake.table(tables.LIFECYCLE_TRANSITIONS)
    oldest_month = (first.replace(day=1) - dt.timedelta(days=31 * (CHURN_MONTHS - 1))).replace(day=1)
    churn = monthly_churn(
        transitions.read_between(oldest_month, last, missing_ok=True),
        first,
        last,
        transitions.earliest_date(),
        cfg.lifecycle.churn_days,
    )
    write(lake, tables.CHURN_MONTHLY, churn, dates)

    paths = top_paths(
        session_page_paths(events, settings.path_steps, settings.collapse_repeated_pages),
        sessions,
        settings.path_top_n,
    )
    write(lake, tables.SESSION_PATHS, paths, dates)
    log.info("wrote %s for %s..%s", ", ".join(spec.name for spec in OUTPUTS), first, last)
    return 0


main = command(parser, run)

if __name__ == "__main__":
    sys.exit(main())
