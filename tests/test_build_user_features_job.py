"""build_user_features end to end: daily runs with a late event equal a rebuild from all of silver."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from chispa import assert_df_equality
from pyspark.sql import functions as F
from pyspark.sql import types as T

from jobs.build_user_features import main
from shop_platform.settings import LakeSettings
from shop_platform.storage import open_lake
from tests.job_logs import JobLog, job_log_of
from tests.silver_builders import TIMEZONE, bronze_event, bronze_events, bronze_items, local
from transforms import columns as C
from transforms import tables
from transforms.events_cleansing import cleanse_events
from transforms.features.daily_activity import user_daily_activity
from transforms.schemas import (
    BRONZE_ITEMS_SCHEMA,
    BRONZE_USERS_SCHEMA,
    SILVER_EVENTS_SCHEMA,
    SILVER_SESSIONS_SCHEMA,
)
from transforms.sessions import sessionize, summarise_sessions

D1, D2 = dt.date(2026, 10, 5), dt.date(2026, 10, 6)
ITEMS = [("i1", "beauty", "skincare", "Lancome"), ("i2", "food", "snacks", "Oreo")]
ON_TIME = [
    bronze_event("a1", "ann", "page_view", local(D1, 9), item_id="i1"),
    bronze_event("a2", "ann", "order", local(D1, 9, 5), order_id="o1", amount=30.0, items=[("i1", 1, 30.0)]),
    bronze_event("a3", "ann", "pay", local(D2, 8), order_id="o1", amount=30.0),
    bronze_event("b1", "bob", "page_view", local(D2, 22), item_id="i2"),
    bronze_event("b2", "bob", "add_to_cart", local(D2, 23), item_id="i2", quantity=1),
]
# Happened on D1, arrived with D2's files: the D2 run's look-back must pick it up.
LATE = bronze_event("late", "bob", "search", local(D1, 12), keyword="oreo", ingest_date=D2)


def write_silver(spark, lake, rows) -> None:
    clean = cleanse_events(bronze_events(spark, rows), bronze_items(spark, ITEMS), TIMEZONE)
    events = sessionize(clean, gap_minutes=30, split_on_channel_change=True)
    lake.table(tables.SILVER_EVENTS).overwrite(events.select(*SILVER_EVENTS_SCHEMA.fieldNames()))
    lake.table(tables.SESSIONS).overwrite(
        summarise_sessions(events).select(*SILVER_SESSIONS_SCHEMA.fieldNames())
    )


def new_lake(spark, root: str):
    lake = open_lake(spark, LakeSettings(root, "embedded", 168, 24))
    lake.table("bronze.items", BRONZE_ITEMS_SCHEMA).overwrite(bronze_items(spark, ITEMS))
    users = [("ann", "female", 1996, "Hangzhou", 2, "Zhejiang", D1 - dt.timedelta(days=100), "app", "ios",
              "h1", "e1", None)]  # fmt: skip
    lake.table("bronze.users", BRONZE_USERS_SCHEMA).overwrite(
        spark.createDataFrame(users, BRONZE_USERS_SCHEMA)
    )
    return lake


def run(lake, *args: str) -> None:
    settings = ["--set", f"lake.root={lake.root}", "--set", "spark.shuffle_partitions=2"]
    assert main(["--env", "local", *settings, "--set", "ingest.lookback_days=1", *args]) == 0


def test_daily_runs_with_a_late_event_equal_a_rebuild(spark, tmp_path):
    daily_lake = new_lake(spark, str(tmp_path / "daily"))
    write_silver(spark, daily_lake, ON_TIME)
    run(daily_lake, "--date", D1.isoformat())
    write_silver(spark, daily_lake, [*ON_TIME, LATE])
    run(daily_lake, "--date", D2.isoformat())

    rebuilt_lake = new_lake(spark, str(tmp_path / "rebuilt"))
    write_silver(spark, rebuilt_lake, [*ON_TIME, LATE])
    run(rebuilt_lake, "--date", D2.isoformat(), "--rebuild")

    def table(lake, name):
        # Maps have no order, so chispa cannot sort by them: compare their sorted entries instead.
        df = lake.table(name).read()
        return df.select(
            *[
                F.array_sort(F.map_entries(f.name)).alias(f.name)
                if isinstance(f.dataType, T.MapType)
                else f.name
                for f in df.schema.fields
            ]
        )

    assert_df_equality(
        table(daily_lake, "gold.user_daily_activity"),
        table(rebuilt_lake, "gold.user_daily_activity"),
        ignore_row_order=True,
    )
    last = F.col(C.SNAPSHOT_DATE) == D2
    assert_df_equality(
        table(daily_lake, "gold.user_features").where(last),
        table(rebuilt_lake, "gold.user_features"),
        ignore_row_order=True,
    )
    # The late search is on bob's D1, and each daily run left one snapshot partition.
    bob = table(daily_lake, "gold.user_daily_activity").where(F.col(C.USER_ID) == "bob")
    assert sorted((r[C.ACTIVITY_DATE], r[C.SEARCHES]) for r in bob.collect()) == [(D1, 1), (D2, 0)]
    snapshots = table(daily_lake, "gold.user_features").select(C.SNAPSHOT_DATE).distinct().collect()
    assert sorted(r[0] for r in snapshots) == [D1, D2]
    ann = table(daily_lake, "gold.user_features").where(last & (F.col(C.USER_ID) == "ann")).first()
    assert (ann["orders_7d"], ann["paid_gmv_7d"], ann[C.DAYS_SINCE_LAST_ORDER], ann[C.AGE]) == (
        1,
        30.0,
        1,
        30,
    )


@pytest.fixture()
def job_log() -> Iterator[JobLog]:
    with job_log_of("jobs.build_user_features") as records:
        yield records


def test_a_first_run_without_rebuild_on_existing_history_rebuilds_it(spark, tmp_path, job_log):
    lake = new_lake(spark, str(tmp_path / "lake"))
    old_day = D2 - dt.timedelta(days=10)
    old_order = bronze_event(
        "o1", "ann", "order", local(old_day, 9), order_id="o-old", amount=25.0, items=[("i1", 1, 25.0)]
    )
    write_silver(spark, lake, [old_order, *ON_TIME])
    # The look-back of 1 day covers D1..D2 only; ann's order ten days back is history silver holds.
    run(lake, "--date", D2.isoformat())
    ann = lake.table("gold.user_features").read().where(F.col(C.USER_ID) == "ann").first()
    assert (ann["orders_30d"], ann[C.FIRST_ORDER_DATE]) == (2, old_day)
    warning = "gold.user_daily_activity does not exist yet and silver.events holds days from 2026-09-26"
    assert any(message.startswith(warning) for message in job_log.messages)
    days = lake.table("gold.user_daily_activity").read().select(C.ACTIVITY_DATE).distinct().collect()
    assert sorted(r[0] for r in days) == [old_day, D1, D2]


def test_order_export_rows_count_once_per_order_and_declared_payments_count_as_paid_gmv(spark):
    export = [
        bronze_event("l1", "cat", "order", local(D1, 10), order_id="x1", amount=12.0, items=[("i1", 1, 12.0)],
                     order_status="paid"),
        bronze_event("l2", "cat", "order", local(D1, 10), order_id="x1", amount=8.0, items=[("i2", 2, 4.0)],
                     order_status="paid"),
        bronze_event("l3", "cat", "order", local(D1, 11), order_id="x2", amount=5.0, items=[("i2", 1, 5.0)],
                     order_status="refunded"),
        bronze_event("l4", "cat", "order", local(D1, 12), order_id="x3", amount=9.0, items=[("i2", 1, 9.0)],
                     order_status="cancelled"),
    ]  # fmt: skip
    clean = cleanse_events(bronze_events(spark, export), bronze_items(spark, ITEMS), TIMEZONE)
    events = sessionize(clean, gap_minutes=30, split_on_channel_change=True)
    daily = user_daily_activity(events, summarise_sessions(events))
    measures = (C.ORDERS, C.ORDER_AMOUNT, C.PAYMENTS, C.PAID_GMV, C.REFUNDS, C.REFUND_AMOUNT)
    assert [tuple(row) for row in daily.select(*measures).collect()] == [(3, 34.0, 2, 25.0, 1, 5.0)]


def test_a_back_fill_in_one_commit_equals_date_by_date_runs(spark, tmp_path, job_log):
    d3 = D2 + dt.timedelta(days=1)
    # An order long before the features' windows: later daily runs take it from the previous snapshot.
    old_day = D1 - dt.timedelta(days=120)
    rows = [
        bronze_event("o1", "ann", "order", local(old_day, 9), order_id="o-old", amount=25.0, items=[("i1", 1, 25.0)]),
        *ON_TIME,
        LATE,
        bronze_event("c1", "cat", "page_view", local(d3, 10), item_id="i1"),
        bronze_event("c2", "bob", "favorite", local(d3, 11), item_id="i2"),
    ]  # fmt: skip
    day_by_day = new_lake(spark, str(tmp_path / "day_by_day"))
    write_silver(spark, day_by_day, rows)
    for date in (D1, D2, d3):
        run(day_by_day, "--date", date.isoformat())
    back_fill = new_lake(spark, str(tmp_path / "back_fill"))
    write_silver(spark, back_fill, rows)
    run(back_fill, "--from-date", D1.isoformat(), "--date", d3.isoformat())

    for name in ("gold.user_daily_activity", "gold.user_features"):
        df = day_by_day.table(name).read()
        # Maps have no order, so chispa cannot sort by them: compare their sorted entries instead.
        comparable = [
            F.array_sort(F.map_entries(f.name)).alias(f.name) if isinstance(f.dataType, T.MapType) else f.name
            for f in df.schema.fields
        ]
        assert_df_equality(
            df.select(*comparable),
            back_fill.table(name).read().select(*comparable),
            ignore_row_order=True,
        )
    features = back_fill.table("gold.user_features")
    # Three snapshot dates, one commit against the day-by-day lake's three.
    assert features.version() == day_by_day.table("gold.user_features").version() - 2
    ann = features.read().where((F.col(C.USER_ID) == "ann") & (F.col(C.SNAPSHOT_DATE) == d3)).first()
    assert (ann[C.FIRST_ORDER_DATE], ann["orders_90d"], ann[C.DAYS_SINCE_LAST_ORDER]) == (old_day, 1, 2)
    settled = (
        f"recency settled through {D2 - dt.timedelta(days=90)} from the gold.user_features snapshot of {D1}"
    )
    assert settled in job_log.messages
