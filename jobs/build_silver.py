"""Build the silver layer from bronze: clean sessionized events, bot flags, sessions, orders, order lines.

    shop-build-silver --env local --date 2026-10-30
    shop-build-silver --env local --from-date 2026-10-01 --date 2026-10-30    # back-fill in one run
    spark-submit jobs/build_silver.py --env cluster --date 2026-10-30

Each run recomputes the look-back window [run date - ingest.lookback_days, run date] so late events land
in the day, session and order they belong to, and rewrites exactly the window's partitions (a day left
without rows is cleared). It also reads the day before the window: sessions that began then keep the id
their first event gave them, so a session crossing midnight stays one session (only activity with no
`sessions.gap_minutes` pause for more than a whole day would start a new id at the day before the window).
Payments and refunds of orders placed before the window update those orders' rows: the days those orders
were placed are rewritten with the window's days in one commit of silver.orders, so a run killed part-way
leaves it as it was or fully updated. A user flagged as a bot on a day is kept out of every table for the days within
`ingest.lookback_days` of it. Re-running a date gives the same tables, and a back-fill (`--from-date`)
gives what the daily runs of its dates give.
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
from shop_platform.storage import LakeTable, open_lake
from transforms import columns as C
from transforms import tables
from transforms.bots import exclude_bot_users, flag_bot_users
from transforms.events_cleansing import cleanse_events
from transforms.lookback import in_window, look_back
from transforms.order_items import build_order_items
from transforms.orders import build_orders, rewritten_orders, update_earlier_orders
from transforms.sessions import sessionize, summarise_sessions

log = get_logger("jobs.build_silver")


def parser() -> argparse.ArgumentParser:
    return job_parser(
        "Build silver events, bot users, sessions, orders and order items from bronze.", date_range=True
    )


def write_window(
    table: LakeTable, df: DataFrame, dates: list[dt.date], merge_schema: bool = False
) -> int | None:
    """Replace the `dates` partitions of `table` with `df`; returns the rows written (from the commit, so
    `df` is computed once).

    `merge_schema` lets a table written before a column was declared gain it (older rows read it as null).
    """
    table.overwrite_partitions(df, {table.spec.date_column: dates}, merge_schema=merge_schema)
    rows = table.rows_written()
    log.info("%s: %s rows in %s..%s", table.name, rows, min(dates), max(dates))
    return rows


def write_orders(table: LakeTable, orders: DataFrame, events: DataFrame, dates: list[dt.date]) -> int | None:
    """Write the window's orders and fold the window's payments and refunds into orders placed before it,
    in one commit: the days those earlier orders were placed are rewritten along with the window's days.

    Returns:
        The rows written: the window's orders plus every row of the rewritten earlier days.
    """
    window_rows = in_window(orders, C.ORDER_DATE, dates)
    if not table.exists():
        return write_window(table, window_rows, dates)
    earlier = table.read().where(F.col(C.ORDER_DATE) < F.lit(dates[0]))
    updates = update_earlier_orders(earlier, events).persist(StorageLevel.MEMORY_AND_DISK)
    # One date per day holding a late-paid order: a handful, never a row per order.
    earlier_days = sorted(row[0] for row in updates.select(C.ORDER_DATE).distinct().collect())
    log.info(
        "%s: %d orders placed before %s updated with later payments or refunds, on days %s",
        table.name, updates.count(), dates[0], [str(day) for day in earlier_days],
    )  # fmt: skip
    rows = rewritten_orders(window_rows, earlier, updates, earlier_days)
    written = write_window(table, rows, [*earlier_days, *dates])
    updates.unpersist()
    return written


def run(ctx: JobContext) -> int:
    """Recompute the silver tables for the look-back window ending on the run date."""
    cfg = ctx.config
    window = look_back(ctx.first_date, ctx.run_date, cfg.ingest.lookback_days)
    dates = window.dates
    log.info("building silver for %s..%s (reading bronze from %s)", dates[0], dates[-1], window.first_read)
    spark = get_spark(cfg.spark, app_name="build_silver")
    lake = open_lake(spark, cfg.lake)

    bronze_events = lake.table(tables.EVENTS).read_between(window.first_read, ctx.run_date)
    # Without a catalogue (Taobao UserBehavior delivers none) events get no category or brand.
    items = lake.table(tables.ITEMS).read_or_empty()
    if C.ORDER_STATUS not in bronze_events.columns:
        # bronze.events written before the column existed: its rows never declared an order status.
        bronze_events = bronze_events.withColumn(C.ORDER_STATUS, F.lit(None).cast("string"))

    # Clean events feed both the bot rates and the sessions; sessionized events feed every output. The two
    # event-sized frames are kept on disk: cached in memory, a month of a 100k-user shop (10M events)
    # fills the default 4g heap (OutOfMemoryError while building the cache blocks).
    clean = cleanse_events(bronze_events, items, cfg.app.timezone).persist(StorageLevel.DISK_ONLY)
    bot_users = flag_bot_users(clean, cfg.bots.max_events_per_minute, cfg.bots.max_events_per_day).persist(
        StorageLevel.MEMORY_AND_DISK
    )
    events = (
        clean.transform(exclude_bot_users, bot_users=bot_users, reach_days=cfg.ingest.lookback_days)
        .transform(
            sessionize,
            gap_minutes=cfg.sessions.gap_minutes,
            split_on_channel_change=cfg.sessions.split_on_channel_change,
        )
        .select(*tables.SILVER_EVENTS.schema.fieldNames())
        .persist(StorageLevel.DISK_ONLY)
    )
    orders = build_orders(events).persist(StorageLevel.MEMORY_AND_DISK)

    with timed(log, "build silver"):
        counts = {
            tables.SILVER_EVENTS.name: write_window(
                lake.table(tables.SILVER_EVENTS),
                in_window(events, C.EVENT_DATE, dates),
                dates,
                merge_schema=True,
            ),
            tables.BOT_USERS.name: write_window(
                lake.table(tables.BOT_USERS), in_window(bot_users, C.EVENT_DATE, dates), dates
            ),
            tables.SESSIONS.name: write_window(
                lake.table(tables.SESSIONS), in_window(summarise_sessions(events), C.EVENT_DATE, dates), dates
            ),
            tables.ORDERS.name: write_orders(lake.table(tables.ORDERS), orders, events, dates),
            tables.ORDER_ITEMS.name: write_window(
                lake.table(tables.ORDER_ITEMS),
                in_window(build_order_items(events, orders, items), C.ORDER_DATE, dates),
                dates,
            ),
        }

    for frame in (orders, events, bot_users, clean):
        frame.unpersist()
    log.info(
        "wrote silver for %s..%s: %s",
        dates[0],
        dates[-1],
        ", ".join(f"{name} {rows} rows" for name, rows in counts.items()),
    )
    return 0


main = command(parser, run)

if __name__ == "__main__":
    sys.exit(main())
