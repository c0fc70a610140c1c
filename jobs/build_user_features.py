"""Build gold.user_daily_activity and the gold.user_features snapshot of the run date.

    shop-build-user-features --env local --date 2026-10-30
    shop-build-user-features --env local --from-date 2026-10-01 --date 2026-10-30   # one snapshot per day
    shop-build-user-features --env local --date 2026-10-30 --rebuild

A run recomputes the daily activity of its look-back window (`ingest.lookback_days` before its first date
through the run date) from silver, then the features of each snapshot date from the daily table, so no run
rescans all events. `--rebuild` recomputes every day of the daily table from all of silver first. Re-running
a date rewrites the same partitions with the same rows.

A run without `--rebuild` rebuilds anyway, with a warning, when gold.user_daily_activity does not cover
silver's history: the table does not exist yet (a first run on a lake whose silver already holds older days)
or silver holds a day before the table's first day and the run's window (an older back-fill). Features read
from the look-back window alone would count a shop's history as no activity.
"""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Sequence

from pyspark import StorageLevel
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from shop_platform.cli import job_parser, parse_job_args
from shop_platform.logs import get_logger, timed
from shop_platform.session import get_spark
from shop_platform.storage import Lake, LakeTable, open_lake
from transforms import columns as C
from transforms.features.daily_activity import user_daily_activity
from transforms.features.user_features import user_features
from transforms.schemas import (
    BRONZE_ITEMS_SCHEMA,
    BRONZE_USERS_SCHEMA,
    GOLD_USER_DAILY_ACTIVITY_PARTITIONS,
    GOLD_USER_DAILY_ACTIVITY_SCHEMA,
    GOLD_USER_FEATURES_PARTITIONS,
    GOLD_USER_FEATURES_SCHEMA,
    GOLD_USER_ITEM_DAILY_SCHEMA,
    SILVER_ORDER_ITEMS_SCHEMA,
)

log = get_logger("jobs.build_user_features")

DAILY_ACTIVITY = "gold.user_daily_activity"
USER_FEATURES = "gold.user_features"


def activity_dates(first_date: dt.date, run_date: dt.date, lookback_days: int) -> list[dt.date]:
    """The days of daily activity a run rewrites: the look-back before `first_date` through `run_date`."""
    start = first_date - dt.timedelta(days=lookback_days)
    return [start + dt.timedelta(days=n) for n in range((run_date - start).days + 1)]


def read_or_empty(lake: Lake, name: str, schema) -> DataFrame:
    """A table's rows, or no rows when it does not exist yet (e.g. no catalogue delivered)."""
    table = lake.table(name)
    if table.exists():
        return table.read()
    log.warning("%s does not exist at %s: read as empty", name, table.path)
    return lake.spark.createDataFrame([], schema)


def refresh_daily_activity(lake: Lake, table: LakeTable, dates: list[dt.date] | None) -> int:
    """Recompute the daily activity of `dates` (every day silver has, when None) and write it."""
    events, sessions = lake.table("silver.events").read(), lake.table("silver.sessions").read()
    if dates is not None:
        events = events.where(F.col(C.EVENT_DATE).between(F.lit(dates[0]), F.lit(dates[-1])))
        sessions = sessions.where(F.col(C.EVENT_DATE).between(F.lit(dates[0]), F.lit(dates[-1])))
    daily = user_daily_activity(events, sessions).persist(StorageLevel.MEMORY_AND_DISK)
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
    covered_from = first_date
    if table.exists():
        first_daily = table.read().agg(F.min(C.ACTIVITY_DATE)).first()[0]
        if first_daily is not None:
            covered_from = min(covered_from, first_daily)
    # Every silver day gives daily rows, so a silver day before `covered_from` is history the table lacks.
    older = lake.table("silver.events").read().where(F.col(C.EVENT_DATE) < F.lit(covered_from))
    return older.agg(F.min(C.EVENT_DATE)).first()[0]


def main(argv: Sequence[str] | None = None) -> int:
    """Refresh the daily activity and write the features snapshot of every date in the range."""
    parser = job_parser("Build the per-user daily activity and the user features snapshot.", date_range=True)
    parser.add_argument(
        "--rebuild", action="store_true", help="recompute the daily activity of every day from all of silver"
    )
    ctx = parse_job_args(parser, argv)
    cfg = ctx.config
    spark = get_spark(cfg.spark, app_name="build_user_features")
    lake = open_lake(spark, cfg.lake)
    daily_table = lake.table(
        DAILY_ACTIVITY,
        schema=GOLD_USER_DAILY_ACTIVITY_SCHEMA,
        partition_by=GOLD_USER_DAILY_ACTIVITY_PARTITIONS,
    )
    features_table = lake.table(
        USER_FEATURES, schema=GOLD_USER_FEATURES_SCHEMA, partition_by=GOLD_USER_FEATURES_PARTITIONS
    )
    dates = (
        None if ctx.args.rebuild else activity_dates(ctx.first_date, ctx.run_date, cfg.ingest.lookback_days)
    )
    gap = None if dates is None else history_gap(lake, daily_table, dates[0])
    if gap is not None:
        log.warning(
            "%s %s and silver.events holds days from %s: rebuilding every day from all of silver, as "
            "--rebuild does, instead of the look-back %s..%s only",
            DAILY_ACTIVITY,
            "lacks those days" if daily_table.exists() else "does not exist yet",
            gap,
            dates[0],
            dates[-1],
        )
        dates = None
    with timed(log, "refresh daily activity"):
        rows = refresh_daily_activity(lake, daily_table, dates)
    log.info(
        "%s: %d user-days rewritten (%s)",
        DAILY_ACTIVITY,
        rows,
        "all days" if dates is None else f"{dates[0]}..{dates[-1]}",
    )

    inputs = {
        "users": read_or_empty(lake, "bronze.users", BRONZE_USERS_SCHEMA),
        "items": read_or_empty(lake, "bronze.items", BRONZE_ITEMS_SCHEMA),
        "user_item_daily": read_or_empty(lake, "gold.user_item_daily", GOLD_USER_ITEM_DAILY_SCHEMA),
        "order_items": read_or_empty(lake, "silver.order_items", SILVER_ORDER_ITEMS_SCHEMA),
    }
    daily = daily_table.read().persist(StorageLevel.MEMORY_AND_DISK)
    for snapshot_date in ctx.dates:
        features = user_features(
            daily=daily,
            snapshot_date=snapshot_date,
            half_life_days=cfg.interactions.half_life_days,
            **inputs,
        ).select(*GOLD_USER_FEATURES_SCHEMA.fieldNames())
        with timed(log, f"features snapshot {snapshot_date}"):
            # A feature added to the code becomes a new column; older snapshots read it as null.
            features_table.overwrite_partitions(
                features, {C.SNAPSHOT_DATE: [snapshot_date]}, merge_schema=True
            )
    daily.unpersist()
    log.info("%s: wrote snapshots %s..%s", USER_FEATURES, ctx.first_date, ctx.run_date)
    return 0


if __name__ == "__main__":
    sys.exit(main())
