"""build_silver end to end on a tiny bronze built through the lake API: two daily runs and a re-run.

One scenario (look-back 1 day) runs once per module: run D, run D again, then run D+1 after late data
arrived. Each test checks one behaviour of the resulting tables.
"""

from __future__ import annotations

import datetime as dt

import pytest
from chispa import assert_df_equality
from pyspark.sql import functions as F
from pyspark.sql import types as T

from jobs.build_silver import main
from shop_platform.settings import LakeSettings
from shop_platform.storage import open_lake
from tests.silver_builders import bronze_event, bronze_events, bronze_items, local, session_id
from transforms import columns as C
from transforms import tables
from transforms.schemas import (
    BRONZE_EVENTS_SCHEMA,
    BRONZE_ITEMS_SCHEMA,
    SILVER_EVENTS_SCHEMA,
)

D = dt.date(2026, 10, 5)
BEFORE, NEXT = D - dt.timedelta(days=1), D + dt.timedelta(days=1)
ORDERS = "silver.orders"
TABLES = ("silver.events", "silver.bot_users", "silver.sessions", "silver.orders", "silver.order_items")


def first_batch() -> list[dict]:
    """Everything that arrived by day D."""
    return [
        bronze_event("m1", "u-midnight", "page_view", local(D, 23, 50), page_type="home"),
        bronze_event("o1-order", "u-pay", "order", local(D, 12), order_id="o1", amount=10.0,
                     items=[("i1", 2, 5.0)]),
        bronze_event("l1", "u-late", "page_view", local(D, 10, 0)),
        bronze_event("l3", "u-late", "page_view", local(D, 10, 50)),
        bronze_event("o0-order", "u-old", "order", local(BEFORE, 9), order_id="o0", amount=20.0,
                     items=[("i2", 1, 20.0)]),
        bronze_event("o0-pay", "u-old", "pay", local(BEFORE, 9, 1), order_id="o0", amount=20.0,
                     payment_method="card"),
        *[bronze_event(f"bot{s}", "bot", "page_view", local(D, 3, 0, s)) for s in range(31)],
    ]  # fmt: skip


def second_batch() -> list[dict]:
    """What arrived on day D+1, including a late event of day D and a resent copy of another."""
    arrived = {"ingest_date": NEXT}
    return [
        bronze_event("m2", "u-midnight", "page_view", local(NEXT, 0, 10), page_type="product", item_id="i1"),
        bronze_event("o1-pay", "u-pay", "pay", local(NEXT, 12), order_id="o1", amount=10.0,
                     payment_method="alipay"),
        # Fills u-late's 50-minute gap: 10:00, 10:25, 10:50 are one session now.
        bronze_event("l2", "u-late", "page_view", local(D, 10, 25), **arrived),
        bronze_event("l1", "u-late", "page_view", local(D, 10, 0), source_file="resent.json", **arrived),
        # Refunds an order placed before the D+1 run's window (D..D+1).
        bronze_event("o0-refund", "u-old", "refund", local(NEXT, 15), order_id="o0", amount=20.0),
    ]  # fmt: skip


def bronze_lake(spark, root: str):
    """A lake with bronze.items and an empty bronze.events."""
    lake = open_lake(spark, LakeSettings(root, "embedded", 168, 24))
    lake.table(tables.EVENTS).create()
    lake.table("bronze.items", schema=BRONZE_ITEMS_SCHEMA).append(
        bronze_items(spark, [("i1", "electronics", "phones", "Apple"), ("i2", "home", "kitchen", "Midea")])
    )
    return lake


def run_silver(lake, *dates: str) -> dict[str, int]:
    """Run the job with a one-day look-back; returns each silver table's version afterwards."""
    args = ["--env", "local", "--set", f"lake.root={lake.root}", "--set", "spark.shuffle_partitions=2"]
    args += ["--set", "ingest.lookback_days=1"]
    assert main([*args, *dates]) == 0
    return {name: lake.table(name).version() for name in TABLES}


@pytest.fixture(scope="module")
def scenario(spark, tmp_path_factory):
    lake = bronze_lake(spark, str(tmp_path_factory.mktemp("silver_job") / "lake"))
    bronze = lake.table("bronze.events")
    bronze.append(bronze_events(spark, first_batch()))
    first = run_silver(lake, "--date", D.isoformat())
    rerun = run_silver(lake, "--date", D.isoformat())
    bronze.append(bronze_events(spark, second_batch()))
    after_next = run_silver(lake, "--date", NEXT.isoformat())
    return {"lake": lake, "first": first, "rerun": rerun, "next": after_next}


def latest(scenario, name: str):
    return scenario["lake"].table(name).read()


def test_rerun_of_a_date_gives_the_same_tables(scenario):
    lake = scenario["lake"]
    for name in TABLES:
        assert scenario["rerun"][name] > scenario["first"][name], f"{name} was not rewritten"
        assert_df_equality(
            lake.table(name).read(version=scenario["first"][name]),
            lake.table(name).read(version=scenario["rerun"][name]),
            ignore_row_order=True,
        )


def test_a_back_fill_gives_what_the_daily_runs_gave(spark, tmp_path, scenario):
    lake = bronze_lake(spark, str(tmp_path / "lake"))
    lake.table("bronze.events").append(bronze_events(spark, [*first_batch(), *second_batch()]))
    run_silver(lake, "--from-date", D.isoformat(), "--date", NEXT.isoformat())
    for name in TABLES:
        assert_df_equality(lake.table(name).read(), latest(scenario, name), ignore_row_order=True)


def test_session_crossing_midnight_is_one_session_in_the_day_it_started(scenario):
    the_session = session_id("u-midnight", "m1")
    events = latest(scenario, "silver.events").where(F.col(C.USER_ID) == "u-midnight")
    assert sorted(events.select(C.EVENT_ID, C.SESSION_ID, C.EVENT_DATE).collect()) == [
        ("m1", the_session, D),
        ("m2", the_session, NEXT),
    ]
    sessions = latest(scenario, "silver.sessions").where(F.col(C.USER_ID) == "u-midnight")
    assert sessions.select(C.SESSION_ID, C.EVENT_COUNT, C.DURATION_SECONDS, C.EVENT_DATE).collect() == [
        (the_session, 2, 1200, D)
    ]


def test_late_event_lands_in_its_session_and_the_stale_session_is_gone(scenario):
    the_session = session_id("u-late", "l1")
    events = latest(scenario, "silver.events").where(F.col(C.USER_ID) == "u-late")
    assert sorted(events.select(C.EVENT_ID, C.SESSION_ID).collect()) == [
        ("l1", the_session),
        ("l2", the_session),
        ("l3", the_session),
    ]
    sessions = latest(scenario, "silver.sessions").where(F.col(C.USER_ID) == "u-late")
    assert sessions.select(C.SESSION_ID, C.EVENT_COUNT).collect() == [(the_session, 3)]


def test_order_status_follows_payments_and_refunds_that_arrive_later(scenario):
    orders = latest(scenario, "silver.orders").select(C.ORDER_ID, C.ORDER_DATE, C.STATUS, C.PAYMENT_METHOD)
    assert sorted(orders.collect()) == [("o0", BEFORE, "refunded", "card"), ("o1", D, "paid", "alipay")]
    items = latest(scenario, "silver.order_items").select(C.ORDER_ID, C.ITEM_ID, C.QUANTITY, C.BRAND)
    assert sorted(items.collect()) == [("o0", "i2", 1, "Midea"), ("o1", "i1", 2, "Apple")]


def test_bot_is_flagged_and_kept_out_of_silver(scenario):
    flags = latest(scenario, "silver.bot_users")
    assert flags.collect() == [("bot", "events_per_minute>30", 31, 30, D)]
    for name in ("silver.events", "silver.sessions"):
        assert latest(scenario, name).where(F.col(C.USER_ID) == "bot").count() == 0, name


def test_a_refund_of_an_earlier_order_and_the_window_are_one_commit_of_silver_orders(scenario):
    # The D+1 run refunds o0, placed before its window: its day and the window are rewritten together.
    assert scenario["next"][ORDERS] == scenario["rerun"][ORDERS] + 1
    history = scenario["lake"].table(ORDERS).read(version=scenario["next"][ORDERS])
    assert history.where(F.col(C.ORDER_DATE) == BEFORE).select(C.ORDER_ID, C.STATUS).collect() == [
        ("o0", "refunded")
    ]


def test_an_export_declaring_paid_orders_gives_paid_orders_on_a_lake_from_before_the_column(spark, tmp_path):
    lake = open_lake(spark, LakeSettings(str(tmp_path / "lake"), "embedded", 168, 24))
    # bronze.events and silver.events as an older suite wrote them, without order_status.
    old_bronze = T.StructType([f for f in BRONZE_EVENTS_SCHEMA.fields if f.name != C.ORDER_STATUS])
    old_silver = T.StructType([f for f in SILVER_EVENTS_SCHEMA.fields if f.name != C.ORDER_STATUS])
    lake.table(tables.EVENTS, schema=old_bronze).create()
    lake.table(tables.SILVER_EVENTS, schema=old_silver).create()
    lake.table("bronze.items", schema=BRONZE_ITEMS_SCHEMA).append(bronze_items(spark, []))
    collector = [bronze_event("c1", "u-old", "page_view", local(D, 8))]
    lake.table("bronze.events").append(bronze_events(spark, collector).drop(C.ORDER_STATUS))
    run_silver(lake, "--date", D.isoformat())
    assert C.ORDER_STATUS in lake.table("silver.events").read().columns

    # The bronze table gains the column (as ingest_events writes it) and an export's lines arrive.
    export = [
        bronze_event(f"x{n}", "u-shop", "order", local(D, 9), order_id="x", amount=5.0,
                     items=[(f"i{n}", 1, 5.0)], order_status="paid")
        for n in range(2)
    ]  # fmt: skip
    lake.table("bronze.events").append(bronze_events(spark, export), merge_schema=True)
    run_silver(lake, "--date", D.isoformat())
    orders = lake.table(ORDERS).read().select(C.ORDER_ID, C.STATUS, C.PAID_AMOUNT)
    assert orders.collect() == [("x", "paid", 10.0)]
    statuses = lake.table("silver.events").read().groupBy(C.ORDER_STATUS).count()
    assert {tuple(row) for row in statuses.collect()} == {(None, 1), ("paid", 2)}
