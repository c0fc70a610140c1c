"""Build gold.user_daily_activity and the gold.user_features snapshot of the run date.

    shop-build-user-features --env local --date 2026-10-30
    shop-build-user-features --env local --from-date 2026-10-01 --date 2026-10-30   # one snapshot per day
    shop-build-user-features --env local --date 2026-10-30 --rebuild

A run recomputes the daily activity of its look-back window (`ingest.lookback_days` before its first date
through the run date) from silver, then the features of every snapshot date of the range in one pass from
the daily table, written in one commit, so no run rescans all events. The all-time recency features come
from the latest earlier snapshot plus the daily rows of the features' longest window (see
transforms/features/recency.py), so a daily run reads a bounded number of days however long the history;
without such a snapshot (a first run, a --rebuild) they read every day of the daily table. `--rebuild`
recomputes every day of the daily table from all of silver first. Re-running a date rewrites the same
partitions with the same rows; a back-fill gives what daily runs of its dates give.

A run without `--rebuild` rebuilds anyway, with a warning, when gold.user_daily_activity does not cover
silver's history: the table does not exist yet (a first run on a lake whose silver already holds older days)
or silver holds a day before the table's first day and the run's window (an older back-fill). Features read
from the look-back window alone would count a shop's history as no activity.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys

from pyspark import StorageLevel
from pyspark.sql import DataFrame

from shop_platform.cli import JobContext, command, job_parser
from shop_platform.logs import get_logger, timed
from shop_platform.session import get_spark
from shop_platform.storage import Lake, LakeTable, open_lake
from transforms import columns as C
from transforms import tables
from transforms.features.daily_activity import activity_dates, user_daily_activity
from transforms.features.recency import settled_recency, unsettled_users
from transforms.features.user_features import user_features_over, window_start

log = get_logger("jobs.build_user_features")


def refresh_daily_activity(lake: Lake, table: LakeTable, dates: list[dt.date] | None) -> int:
    """Recompute the daily activity of `dates` (every day silver has, when None) and write it."""
    events, sessions = lake.table(tables.SILVER_EVENTS), lake.table(tables.SESSIONS)
    if dates is None:
        daily = user_daily_activity(events.read(), sessions.read())
    else:
        daily = user_daily_activity(
            events.read_between(dates[0], dates[-1]), sessions.read_between(dates[0], dates[-1])
        )
    daily = daily.persist(StorageLevel.MEMORY_AND_DISK)
    rows = daily.count()
    if dates is None:
        table.overwrite(daily)
    else:
        table.overwrite_partitions(daily, {C.ACTIVITY_DATE: dates})
    daily.unpersist()
    return rows


def history_gap(lake: Lake, table: LakeTable, first_date: dt.date) -> dt.date | None:
    """The earliest day silver.events holds that neither `table` nor the window from `first_date` covers,
    or None when the daily activity covers all of silver's history."""
    covered_from = min(first_date, table.earliest_date() or first_date)
    # Every silver day gives daily rows, so a silver day before `covered_from` is history the table lacks.
    return lake.table(tables.SILVER_EVENTS).earliest_date(before=covered_from)


def settled_state(
    features: LakeTable, daily: DataFrame, users: DataFrame, first_date: dt.date, lookback_days: int
) -> DataFrame | None:
    """The recency state on the day before `window_start(first_date)` from the latest snapshot before
    `first_date`, or None (read all history) when there is none, when it is so recent that later daily runs
    may have rewritten the days it settles, or when some users' activity changed since it was written."""
    settled_through = window_start(first_date) - dt.timedelta(days=1)
    previous = features.latest_date(on_or_before=first_date - dt.timedelta(days=1))
    if previous is None or (previous - settled_through).days < lookback_days:
        return None
    snapshot = features.read_on(previous).select(
        C.USER_ID, C.SNAPSHOT_DATE, C.DAYS_SINCE_LAST_VISIT, C.DAYS_SINCE_LAST_ORDER, C.FIRST_ORDER_DATE
    )
    unsettled = unsettled_users(snapshot, daily, users, settled_through, first_date)
    if not unsettled.isEmpty():
        log.warning(
            "%s of %s: some users' activity after %s changed since it was written (e.g. %s): reading "
            "every day of the daily activity for recency instead",
            features.name,
            previous,
            settled_through,
            unsettled.first()[C.USER_ID],
        )
        return None
    log.info(
        "recency settled through %s from the %s snapshot of %s", settled_through, features.name, previous
    )
    return settled_recency(snapshot, settled_through)


def parser() -> argparse.ArgumentParser:
    parser = job_parser("Build the per-user daily activity and the user features snapshot.", date_range=True)
    parser.add_argument(
        "--rebuild", action="store_true", help="recompute the daily activity of every day from all of silver"
    )
    return parser


def run(ctx: JobContext) -> int:
    """Refresh the daily activity and write the features snapshot of every date in the range."""
    cfg = ctx.config
    spark = get_spark(cfg.spark, app_name="build_user_features")
    lake = open_lake(spark, cfg.lake)
    daily_table, features_table = lake.table(tables.USER_DAILY_ACTIVITY), lake.table(tables.USER_FEATURES)
    dates = (
        None if ctx.args.rebuild else activity_dates(ctx.first_date, ctx.run_date, cfg.ingest.lookback_days)
    )
    gap = None if dates is None else history_gap(lake, daily_table, dates[0])
    if gap is not None:
        log.warning(
            "%s %s and %s holds days from %s: rebuilding every day from all of silver, as "
            "--rebuild does, instead of the look-back %s..%s only",
            daily_table.name,
            "lacks those days" if daily_table.exists() else "does not exist yet",
            tables.SILVER_EVENTS.name,
            gap,
            dates[0],
            dates[-1],
        )
        dates = None
    with timed(log, "refresh daily activity"):
        rows = refresh_daily_activity(lake, daily_table, dates)
    log.info(
        "%s: %d user-days rewritten (%s)",
        daily_table.name,
        rows,
        "all days" if dates is None else f"{dates[0]}..{dates[-1]}",
    )

    users = lake.table(tables.USERS).read_or_empty()
    start = window_start(ctx.first_date)
    windowed = daily_table.read_between(start, ctx.run_date)
    settled = (
        None
        if dates is None
        else settled_state(features_table, windowed, users, ctx.first_date, cfg.ingest.lookback_days)
    )
    # Without a settled state recency reads every day (the transform leaves out days after the run date).
    daily = (windowed if settled is not None else daily_table.read()).persist(StorageLevel.MEMORY_AND_DISK)
    features = user_features_over(
        users=users,
        daily=daily,
        user_item_daily=lake.table(tables.USER_ITEM_DAILY).read_or_empty(),
        items=lake.table(tables.ITEMS).read_or_empty(),
        order_items=lake.table(tables.ORDER_ITEMS).read_or_empty(),
        snapshot_dates=ctx.dates,
        half_life_days=cfg.interactions.half_life_days,
        settled=settled,
    ).select(*tables.USER_FEATURES.schema.fieldNames())
    with timed(log, f"features snapshots {ctx.first_date}..{ctx.run_date}"):
        # A feature added to the code becomes a new column; older snapshots read it as null.
        features_table.overwrite_partitions(features, {C.SNAPSHOT_DATE: ctx.dates}, merge_schema=True)
    daily.unpersist()
    log.info(
        "%s: wrote snapshots %s..%s in one commit (recency %s)",
        features_table.name,
        ctx.first_date,
        ctx.run_date,
        "from all daily history" if settled is None else f"settled through {start - dt.timedelta(days=1)}",
    )
    return 0


main = command(parser, run)

if __name__ == "__main__":
    sys.exit(main())
