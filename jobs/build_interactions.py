"""Build the gold user-item interaction matrix as of the run date, incrementally or from all history.

    shop-build-interactions --env local --date 2026-10-30
    shop-build-interactions --env local --date 2026-10-30 --rebuild

Reads silver.events for the days after the settled state (the look-back window, see
transforms/interactions.py) and writes gold.user_item_daily (those days), gold.user_index and
gold.item_index (new ids only), gold.user_item_interactions (overwritten), gold.item_categories (the
window's item categories merged into it: the recommendations' category lookup without a scan of all
history; built from all history when it does not exist yet) and, last, gold.user_item_settled, so a run
that dies part-way is simply run again. Re-running a date gives the same state. A --rebuild recomputes
everything as of the run date from all of silver.events (gold.user_item_daily then ends at the run date)
but keeps the indexes: ids never get new numbers.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys

from pyspark import StorageLevel
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from shop_platform.cli import JobContext, command, job_parser
from shop_platform.logs import get_logger, timed
from shop_platform.session import get_spark
from shop_platform.storage import Lake, LakeTable, open_lake
from transforms import columns as C
from transforms import tables
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
from transforms.recommend.baselines import item_categories, updated_item_categories

log = get_logger("jobs.build_interactions")


def parser() -> argparse.ArgumentParser:
    parser = job_parser("Build the gold user-item interaction matrix (counts, decayed strength, indexes).")
    parser.add_argument(
        "--rebuild", action="store_true", help="recompute every table from all of silver.events history"
    )
    return parser


def events_through(lake: Lake, as_of: dt.date, first: dt.date | None) -> DataFrame:
    """silver.events from `first` (None: all history) through `as_of`."""
    events = lake.table(tables.SILVER_EVENTS)
    if first is None:
        return events.read().where(F.col(C.EVENT_DATE) <= F.lit(as_of))
    return events.read_between(first, as_of)


def read_window(lake: Lake, plan: RunPlan) -> DataFrame:
    """silver.events for the days the plan recomputes (all history through the run date on a rebuild)."""
    return events_through(lake, plan.as_of, plan.window_start).select(
        C.USER_ID, C.ITEM_ID, C.EVENT_TYPE, C.EVENT_TIME, C.ITEMS, C.EVENT_DATE
    )


def updated_categories(lake: Lake, table: LakeTable, plan: RunPlan) -> DataFrame:
    """gold.item_categories through the plan's date: the stored table updated with the window's events, or,
    on a rebuild or while the table does not exist, from all history."""
    from_scratch = plan.window_start is None or not table.exists()
    events = events_through(lake, plan.as_of, None if from_scratch else plan.window_start).select(
        C.ITEM_ID, C.CATEGORY_ID, C.CATEGORY_L1, C.CATEGORY_L2
    )
    return item_categories(events) if from_scratch else updated_item_categories(table.read(), events)


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
    source = tables.SILVER_EVENTS.name
    if total == 0:
        log.warning("%s has no events in %s: no interactions for these days", source, window)
    else:
        log.warning(
            "%s has %d events in %s but none names an item (%s, or %s of an order): the export has no item id "
            "column, so these days add no user-item interaction and the recommenders get nothing from them",
            source, total, window, C.ITEM_ID, f"{C.ITEMS}.{C.ITEM_ID}",
        )  # fmt: skip


def run(ctx: JobContext) -> int:
    """Build gold.user_item_interactions as of the run date; returns the exit status."""
    settings = ctx.config.interactions
    try:
        weights = validated_weights(settings.weights)
    except ValueError as exc:
        parser().exit(2, f"configuration error: {exc}\n")
    spark = get_spark(ctx.config.spark, app_name="build_interactions")
    lake = open_lake(spark, ctx.config.lake)
    # Created empty where they do not exist yet, so the plan and the index reads find them.
    daily_table, settled_table, interactions, user_index, item_index = (
        lake.table(spec).create()
        for spec in (
            tables.USER_ITEM_DAILY,
            tables.USER_ITEM_SETTLED,
            tables.USER_ITEM_INTERACTIONS,
            tables.USER_INDEX,
            tables.ITEM_INDEX,
        )
    )

    plan = plan_run(
        ctx.run_date,
        ctx.config.ingest.lookback_days,
        interactions.latest_date(),
        settled_table.latest_date(),
        rebuild=ctx.args.rebuild,
    )
    window = f"{plan.window_start or 'all history'} through {plan.as_of}"
    log.info(
        "as of %s: recomputing %s from %s, settling through %s",
        plan.as_of, window, tables.SILVER_EVENTS.name, plan.settled_through,
    )  # fmt: skip
    decay = {"half_life_days": settings.half_life_days, "timezone": ctx.config.app.timezone}
    daily = (
        read_window(lake, plan)
        .transform(daily_interactions, weights=weights, **decay)
        .persist(StorageLevel.MEMORY_AND_DISK)
    )
    # A rebuild starts from nothing settled, so every day comes from silver.
    previous = settled_table.empty() if ctx.args.rebuild else settled_table.read()
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
    categories_table = lake.table(tables.ITEM_CATEGORIES)
    # Materialised for the same reason: it is computed from the table it overwrites.
    categories = updated_categories(lake, categories_table, plan).persist(StorageLevel.MEMORY_AND_DISK)
    counts = {
        "daily": daily.count(),
        "interactions": state.count(),
        "settled": settled.count(),
        "categories": categories.count(),
    }
    if counts["daily"] == 0:
        warn_no_items(read_window(lake, plan), window)

    append_new_ids(user_index, state, C.USER_ID, C.USER_IDX, plan.as_of)
    append_new_ids(item_index, state, C.ITEM_ID, C.ITEM_IDX, plan.as_of)
    if plan.window_start is None:
        daily_table.overwrite(daily)
    else:
        # Every window day, with or without events now, so a day that lost all its events is cleared.
        daily_table.overwrite_partitions(daily, {C.EVENT_DATE: plan.window_days})
    with timed(log, f"write {interactions.name}"):
        interactions.overwrite(interaction_matrix(state, user_index.read(), item_index.read(), plan.as_of))
    categories_table.overwrite(categories)
    settled_table.overwrite(settled)
    for frame in (daily, state, settled, categories):
        frame.unpersist()
    log.info("%s: %d rows for %s", daily_table.name, counts["daily"], window)
    log.info("%s: %d pairs through %s", settled_table.name, counts["settled"], plan.settled_through)
    log.info("wrote %s as of %s: %d user-item pairs", interactions.name, plan.as_of, counts["interactions"])
    log.info("%s: %d items with a category", categories_table.name, counts["categories"])
    return 0


main = command(parser, run)

if __name__ == "__main__":
    sys.exit(main())
