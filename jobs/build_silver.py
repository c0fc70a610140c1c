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

import datetime as dt
import sys
from collections.abc import Sequence

from pyspark import StorageLevel
from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T

from shop_platform.cli import job_parser, parse_job_args
from shop_platform.logs import get_logger, timed
from shop_platform.session import get_spark
from shop_platform.storage import Lake, open_lake
from transforms import columns as C
from transforms.bots import exclude_bot_users, flag_bot_users
from transforms.events_cleansing import cleanse_events
from transforms.order_items import build_order_items
from transforms.orders import build_orders, update_earlier_orders
from transforms.schemas import (
    BRONZE_EVENTS_PARTITIONS,
    BRONZE_EVENTS_SCHEMA,
    BRONZE_ITEMS_SCHEMA,
    SILVER_BOT_USERS_PARTITIONS,
    SILVER_BOT_USERS_SCHEMA,
    SILVER_EVENTS_PARTITIONS,
    SILVER_EVENTS_SCHEMA,
    SILVER_ORDER_ITEMS_PARTITIONS,
    SILVER_ORDER_ITEMS_SCHEMA,
    SILVER_ORDERS_PARTITIONS,
    SILVER_ORDERS_SCHEMA,
    SILVER_SESSIONS_PARTITIONS,
    SILVER_SESSIONS_SCHEMA,
)
from transforms.sessions import sessionize, summarise_sessions

log = get_logger("jobs.build_silver")

ORDERS = "silver.orders"


def window_dates(first_date: dt.date, run_date: dt.date, lookback_days: int) -> list[dt.date]:
    """The dates a run rewrites: first_date - lookback_days .. run_date (first_date is the run date, or
    the start of a back-fill)."""
    start = first_date - dt.timedelta(days=lookback_days)
    return [start + dt.timedelta(days=n) for n in range((run_date - start).days + 1)]


def in_window(df: DataFrame, column: str, dates: list[dt.date]) -> DataFrame:
    """Rows whose partition `column` falls in `dates` (a contiguous range)."""
    return df.where(F.col(column).between(F.lit(dates[0]), F.lit(dates[-1])))


def write_window(
    lake: Lake,
    name: str,
    df: DataFrame,
    schema: T.StructType,
    partitions: list[str],
    dates: list[dt.date],
    merge_schema: bool = False,
) -> int:
    """Replace the `dates` partitions of table `name` with `df`; returns the rows written.

    `merge_schema` lets a table written before a column was added to `schema` gain it (older rows read it
    as null).
    """
    df = df.persist(StorageLevel.MEMORY_AND_DISK)
    rows = df.count()
    lake.table(name, schema=schema, partition_by=partitions).overwrite_partitions(
        df, {partitions[0]: dates}, merge_schema=merge_schema
    )
    df.unpersist()
    log.info("%s: %d rows in %s..%s", name, rows, min(dates), max(dates))
    return rows


def write_orders(lake: Lake, orders: DataFrame, events: DataFrame, dates: list[dt.date]) -> int:
    """Write the window's orders and fold the window's payments and refunds into orders placed before it,
    in one commit: the days those earlier orders were placed are rewritten along with the window's days.

    Returns:
        The rows written: the window's orders plus every row of the rewritten earlier days.
    """
    table = lake.table(ORDERS, schema=SILVER_ORDERS_SCHEMA, partition_by=SILVER_ORDERS_PARTITIONS)
    window_rows = in_window(orders, C.ORDER_DATE, dates)
    if not table.exists():
        return write_window(lake, ORDERS, window_rows, SILVER_ORDERS_SCHEMA, SILVER_ORDERS_PARTITIONS, dates)
    earlier = table.read().where(F.col(C.ORDER_DATE) < F.lit(dates[0]))
    updates = update_earlier_orders(earlier, events).persist(StorageLevel.MEMORY_AND_DISK)
    # One date per day holding a late-paid order: a handful, never a row per order.
    earlier_days = sorted(row[0] for row in updates.select(C.ORDER_DATE).distinct().collect())
    log.info(
        "%s: %d orders placed before %s updated with later payments or refunds, on days %s",
        ORDERS, updates.count(), dates[0], [str(day) for day in earlier_days],
    )  # fmt: skip
    columns = SILVER_ORDERS_SCHEMA.fieldNames()
    # The other orders of those days are rewritten as they are; `updates` has one row per order id.
    kept = earlier.where(F.col(C.ORDER_DATE).isin(earlier_days)).join(
        updates.select(C.ORDER_ID), on=[C.ORDER_ID], how="left_anti"
    )
    rows = (
        window_rows.select(*columns).unionByName(kept.select(*columns)).unionByName(updates.select(*columns))
    )
    written = write_window(
        lake, ORDERS, rows, SILVER_ORDERS_SCHEMA, SILVER_ORDERS_PARTITIONS, [*earlier_days, *dates]
    )
    updates.unpersist()
    return written


def read_items(lake: Lake) -> DataFrame:
    """bronze.items, or no items when the ingest format delivers no catalogue (Taobao UserBehavior)."""
    table = lake.table("bronze.items", schema=BRONZE_ITEMS_SCHEMA)
    if table.exists():
        return table.read()
    log.warning("bronze.items does not exist at %s: events get no category or brand", table.path)
    return lake.spark.createDataFrame([], BRONZE_ITEMS_SCHEMA)


def main(argv: Sequence[str] | None = None) -> int:
    """Recompute the silver tables for the look-back window ending on the run date."""
    parser = job_parser(
        "Build silver events, bot users, sessions, orders and order items from bronze.", date_range=True
    )
    ctx = parse_job_args(parser, argv)
    cfg = ctx.config
    dates = window_dates(ctx.first_date, ctx.run_date, cfg.ingest.lookback_days)
    # Days before the window are read, not written: the day before holds the start of sessions running
    # into the window, and bot flags reach back over the look-back.
    first_read = dates[0] - dt.timedelta(days=max(1, cfg.ingest.lookback_days))
    log.info("building silver for %s..%s (reading bronze from %s)", dates[0], dates[-1], first_read)
    spark = get_spark(cfg.spark, app_name="build_silver")
    lake = open_lake(spark, cfg.lake)

    bronze_events = (
        lake.table("bronze.events", schema=BRONZE_EVENTS_SCHEMA, partition_by=BRONZE_EVENTS_PARTITIONS)
        .read()
        .where(F.col(C.EVENT_DATE).between(F.lit(first_read), F.lit(ctx.run_date)))
    )
    items = read_items(lake)
    if C.ORDER_STATUS not in bronze_events.columns:
        # bronze.events written before the column existed: its rows never declared an order status.
        bronze_events = bronze_events.withColumn(C.ORDER_STATUS, F.lit(None).cast("string"))

    # Clean events feed both the bot rates and the sessions; sessionized events feed every output.
    clean = cleanse_events(bronze_events, items, cfg.app.timezone).persist(StorageLevel.MEMORY_AND_DISK)
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
        .select(*SILVER_EVENTS_SCHEMA.fieldNames())
        .persist(StorageLevel.MEMORY_AND_DISK)
    )
    orders = build_orders(events).persist(StorageLevel.MEMORY_AND_DISK)

    with timed(log, "build silver"):
        counts = {
            "silver.events": write_window(
                lake, "silver.events", in_window(events, C.EVENT_DATE, dates),
                SILVER_EVENTS_SCHEMA, SILVER_EVENTS_PARTITIONS, dates, merge_schema=True,
            ),
            "silver.bot_users": write_window(
                lake, "silver.bot_users", in_window(bot_users, C.EVENT_DATE, dates),
                SILVER_BOT_USERS_SCHEMA, SILVER_BOT_USERS_PARTITIONS, dates,
            ),
            "silver.sessions": write_window(
                lake, "silver.sessions", in_window(summarise_sessions(events), C.EVENT_DATE, dates),
                SILVER_SESSIONS_SCHEMA, SILVER_SESSIONS_PARTITIONS, dates,
            ),
            ORDERS: write_orders(lake, orders, events, dates),
            "silver.order_items": write_window(
                lake, "silver.order_items",
                in_window(build_order_items(events, orders, items), C.ORDER_DATE, dates),
                SILVER_ORDER_ITEMS_SCHEMA, SILVER_ORDER_ITEMS_PARTITIONS, dates,
            ),
        }  # fmt: skip

    for frame in (orders, events, bot_users, clean):
        frame.unpersist()
    log.info(
        "wrote silver for %s..%s: %s",
        dates[0],
        dates[-1],
        ", ".join(f"{name} {rows} rows" for name, rows in counts.items()),
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
