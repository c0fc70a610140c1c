"""Build the gold user-item interaction matrix as of the run date, incrementally or from all history.

    shop-build-interactions --env local --date 2026-10-30
    shop-build-interactions --env local --date 2026-10-30 --rebuild

Reads silver.events for the days after the settled state (the look-back window, see
transforms/interactions.py) and writes gold.user_item_daily (those days), gold.user_index and
gold.item_index (new ids only), gold.user_item_interactions (overwritten) and, last, gold.user_item_settled,
so a run that dies part-way is simply run again. Re-running a date gives the same state. A --rebuild
recomputes everything as of the run date from all of silver.events (gold.user_item_daily then ends at the
run date) but keeps the indexes: ids never get new numbers.
"""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Sequence
from dataclasses import dataclass

from pyspark import StorageLevel
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from shop_platform.cli import job_parser, parse_job_args
from shop_platform.logs import get_logger, timed
from shop_platform.session import get_spark
from shop_platform.storage import Lake, LakeTable, open_lake
from transforms import columns as C
from transforms.indexes import new_index_entries
from transforms.interactions import (
    RunPlan,
    accumulate_interactions,
    daily_interactions,
    interaction_matrix,
    interaction_parts,
    plan_run,
    settled_state,
    validated_weights,
)
from transforms.schemas import (
    GOLD_ITEM_INDEX_SCHEMA,
    GOLD_USER_INDEX_SCHEMA,
    GOLD_USER_ITEM_DAILY_PARTITIONS,
    GOLD_USER_ITEM_DAILY_SCHEMA,
    GOLD_USER_ITEM_INTERACTIONS_SCHEMA,
    GOLD_USER_ITEM_SETTLED_SCHEMA,
)

log = get_logger("jobs.build_interactions")

SILVER_EVENTS = "silver.events"


@dataclass(frozen=True)
class GoldTables:
    daily: LakeTable
    settled: LakeTable
    interactions: LakeTable
    user_index: LakeTable
    item_index: LakeTable


def gold_tables(lake: Lake) -> GoldTables:
    """The job's output tables, created empty where they do not exist yet."""
    tables = GoldTables(
        daily=lake.table(
            "gold.user_item_daily", GOLD_USER_ITEM_DAILY_SCHEMA, partition_by=GOLD_USER_ITEM_DAILY_PARTITIONS
        ),
        settled=lake.table("gold.user_item_settled", GOLD_USER_ITEM_SETTLED_SCHEMA),
        interactions=lake.table("gold.user_item_interactions", GOLD_USER_ITEM_INTERACTIONS_SCHEMA),
        user_index=lake.table("gold.user_index", GOLD_USER_INDEX_SCHEMA),
        item_index=lake.table("gold.item_index", GOLD_ITEM_INDEX_SCHEMA),
    )
    for table in (tables.daily, tables.settled, tables.interactions, tables.user_index, tables.item_index):
        table.create()
    return tables


def latest_date(table: LakeTable, column: str) -> dt.date | None:
    """The largest value of a date column: a one-row aggregate, None for an empty table."""
    return table.read().agg(F.max(column)).first()[0]


def days_between(first: dt.date, last: dt.date) -> list[dt.date]:
    """Every day from `first` to `last`, both included."""
    return [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]


def read_window(lake: Lake, plan: RunPlan) -> DataFrame:
    """silver.events for the days the plan recomputes (all history through the run date on a rebuild)."""
    event_date = F.col(C.EVENT_DATE)
    in_window = event_date <= F.lit(plan.as_of)
    if plan.window_start is not None:
        in_window &= event_date >= F.lit(plan.window_start)
    return (
        lake.table(SILVER_EVENTS)
        .read()
        .filter(in_window)
        .select(C.USER_ID, C.ITEM_ID, C.EVENT_TYPE, C.EVENT_TIME, C.ITEMS, C.EVENT_DATE)
    )


def append_new_ids(
    table: LakeTable, state: DataFrame, id_column: str, index_column: str, run_date: dt.date
) -> int:
    """Index the ids of `state` that `table` lacks; returns how many were added."""
    entries = new_index_entries(
        state, table.read(), id_column=id_column, index_column=index_column, first_seen=run_date
    ).persist(StorageLevel.MEMORY_AND_DISK)
    added = entries.count()
    if added:
        table.append(entries)
    entries.unpersist()
    log.info("%s: %d new ids", table.name, added)
    return added


def warn_no_items(events: DataFrame, window: str) -> None:
    """Log why the window gave no user-item interaction: no events at all, or events naming no item."""
    total = events.count()
    if total == 0:
        log.warning("%s has no events in %s: no interactions for these days", SILVER_EVENTS, window)
    else:
        log.warning(
            "%s has %d events in %s but none names an item (%s, or %s of an order): the export has no item id "
            "column, so these days add no user-item interaction and the recommenders get nothing from them",
            SILVER_EVENTS, total, window, C.ITEM_ID, f"{C.ITEMS}.{C.ITEM_ID}",
        )  # fmt: skip


def main(argv: Sequence[str] | None = None) -> int:
    """Build gold.user_item_interactions as of the run date; returns the exit status."""
    parser = job_parser("Build the gold user-item interaction matrix (counts, decayed strength, indexes).")
    parser.add_argument(
        "--rebuild", action="store_true", help="recompute every table from all of silver.events history"
    )
    ctx = parse_job_args(parser, argv)
    settings = ctx.config.interactions
    try:
        weights = validated_weights(settings.weights)
    except ValueError as exc:
        parser.exit(2, f"configuration error: {exc}\n")
    timezone = ctx.config.app.timezone
    spark = get_spark(ctx.config.spark, app_name="build_interactions")
    lake = open_lake(spark, ctx.config.lake)
    tables = gold_tables(lake)

    plan = plan_run(
        ctx.run_date,
        ctx.config.ingest.lookback_days,
        latest_date(tables.interactions, C.AS_OF_DATE),
        latest_date(tables.settled, C.SETTLED_THROUGH),
        rebuild=ctx.args.rebuild,
    )
    window = f"{plan.window_start or 'all history'} through {plan.as_of}"
    log.info(
        "as of %s: recomputing %s from %s, settling through %s",
        plan.as_of,
        window,
        SILVER_EVENTS,
        plan.settled_through,
    )
    decay = {"half_life_days": settings.half_life_days, "timezone": timezone}
    daily = (
        read_window(lake, plan)
        .transform(daily_interactions, weights=weights, **decay)
        .persist(StorageLevel.MEMORY_AND_DISK)
    )
    # A rebuild starts from nothing settled, so every day comes from silver.
    nothing = spark.createDataFrame([], GOLD_USER_ITEM_SETTLED_SCHEMA)
    previous = nothing if ctx.args.rebuild else tables.settled.read()
    parts = interaction_parts(previous, daily)
    state = parts.transform(accumulate_interactions, as_of=plan.as_of, **decay).persist(
        StorageLevel.MEMORY_AND_DISK
    )
    # Materialised before any write, so overwriting gold.user_item_settled last cannot change its input.
    settled = (
        parts.transform(accumulate_interactions, as_of=plan.settled_through, **decay)
        .transform(settled_state, settled_through=plan.settled_through)
        .persist(StorageLevel.MEMORY_AND_DISK)
    )
    counts = {"daily": daily.count(), "interactions": state.count(), "settled": settled.count()}
    if counts["daily"] == 0:
        warn_no_items(read_window(lake, plan), window)

    append_new_ids(tables.user_index, state, C.USER_ID, C.USER_IDX, plan.as_of)
    append_new_ids(tables.item_index, state, C.ITEM_ID, C.ITEM_IDX, plan.as_of)
    if plan.window_start is None:
        tables.daily.overwrite(daily)
    else:
        # Every window day, with or without events now, so a day that lost all its events is cleared.
        tables.daily.overwrite_partitions(daily, {C.EVENT_DATE: days_between(plan.window_start, plan.as_of)})
    with timed(log, "write gold.user_item_interactions"):
        tables.interactions.overwrite(
            interaction_matrix(state, tables.user_index.read(), tables.item_index.read(), plan.as_of)
        )
    tables.settled.overwrite(settled)
    for frame in (daily, state, settled):
        frame.unpersist()
    log.info("%s: %d rows for %s", tables.daily.name, counts["daily"], window)
    log.info("%s: %d pairs through %s", tables.settled.name, counts["settled"], plan.settled_through)
    log.info(
        "wrote %s as of %s: %d user-item pairs", tables.interactions.name, plan.as_of, counts["interactions"]
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
