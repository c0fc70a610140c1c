"""Clean events: one copy per event id, shop-local time, catalogue attributes without extra rows."""

from __future__ import annotations

import datetime as dt

from chispa import assert_df_equality
from pyspark.sql import types as T

from tests.silver_builders import TIMEZONE, bronze_event, bronze_events, bronze_items, utc
from transforms import columns as C
from transforms.events_cleansing import (
    CLEAN_EVENT_COLUMNS,
    cleanse_events,
    dedupe_events,
    with_catalogue,
    with_local_time,
)

D = dt.date(2026, 10, 5)


def test_dedupe_keeps_the_copy_from_the_earliest_ingest_date_then_first_file(spark):
    rows = [
        # e1: three copies; the one ingested first wins even though its file name sorts last.
        bronze_event("e1", "u1", "page_view", utc(D, 2), ingest_date=D + dt.timedelta(1), device="late"),
        bronze_event("e1", "u1", "page_view", utc(D, 2), ingest_date=D, source_file="z.json", device="first"),
        bronze_event("e1", "u1", "page_view", utc(D, 2), ingest_date=D + dt.timedelta(2), device="later"),
        # e2: same ingest date, so the first source file wins.
        bronze_event("e2", "u1", "search", utc(D, 3), ingest_date=D, source_file="b.json", device="b"),
        bronze_event("e2", "u1", "search", utc(D, 3), ingest_date=D, source_file="a.json", device="a"),
        # e3: exact copies (one line sent three times) collapse to one row.
        *[bronze_event("e3", "u2", "search", utc(D, 4))] * 3,
    ]
    # Shuffled input partitions must not change which copy is kept.
    actual = dedupe_events(bronze_events(spark, rows).repartition(3)).select(C.EVENT_ID, C.DEVICE)
    expected = spark.createDataFrame([("e1", "first"), ("e2", "a"), ("e3", "ios")], actual.schema)
    assert_df_equality(actual, expected, ignore_row_order=True)


def test_local_time_is_the_shop_wall_clock_whatever_the_session_zone(spark):
    # 16:30 UTC is 00:30 the next day in Shanghai (UTC+8).
    events = bronze_events(spark, [bronze_event("e1", "u1", "page_view", utc(D, 16, 30))])
    expected = spark.createDataFrame(
        [("e1", dt.datetime(2026, 10, 6, 0, 30))],
        T.StructType(
            [
                T.StructField(C.EVENT_ID, T.StringType()),
                T.StructField(C.EVENT_TIME_LOCAL, T.TimestampNTZType()),
            ]
        ),
    )
    original = spark.conf.get("spark.sql.session.timeZone")
    try:
        for session_zone in ("UTC", "America/New_York"):
            spark.conf.set("spark.sql.session.timeZone", session_zone)
            actual = with_local_time(events, TIMEZONE).select(C.EVENT_ID, C.EVENT_TIME_LOCAL)
            assert_df_equality(actual, expected, ignore_nullable=True)
    finally:
        spark.conf.set("spark.sql.session.timeZone", original)


def test_catalogue_join_does_not_multiply_rows_and_takes_the_latest_delivery(spark):
    events = bronze_events(
        spark,
        [
            bronze_event("e1", "u1", "page_view", utc(D, 1), item_id="i1"),
            bronze_event("e2", "u1", "page_view", utc(D, 2), item_id="unknown"),
            bronze_event("e3", "u1", "search", utc(D, 3)),
            bronze_event("e4", "u2", "page_view", utc(D, 4), item_id="i1"),
        ],
    )
    items = bronze_items(
        spark,
        [
            ("i1", "electronics", "phones", "OldBrand", utc(D - dt.timedelta(30), 0)),
            ("i1", "electronics", "phones", "Apple", utc(D - dt.timedelta(1), 0)),
            ("i1", "electronics", "phones", "Apple", utc(D - dt.timedelta(1), 0)),
            ("i2", "home", "kitchen", "Midea"),
        ],
    )
    actual = with_catalogue(events, items).select(C.EVENT_ID, C.CATEGORY_L1, C.CATEGORY_L2, C.BRAND)
    expected = spark.createDataFrame(
        [
            ("e1", "electronics", "phones", "Apple"),
            ("e2", None, None, None),
            ("e3", None, None, None),
            ("e4", "electronics", "phones", "Apple"),
        ],
        actual.schema,
    )
    assert_df_equality(actual, expected, ignore_row_order=True)


def test_cleanse_events_gives_silver_columns_one_row_per_event(spark):
    rows = [
        bronze_event("e1", "u1", "page_view", utc(D, 1), item_id="i1", category_id="c9"),
        bronze_event(
            "e1",
            "u1",
            "page_view",
            utc(D, 1),
            item_id="i1",
            category_id="c9",
            ingest_date=D + dt.timedelta(1),
        ),
    ]
    items = bronze_items(
        spark, [("i1", "electronics", "phones", "Apple"), ("i1", "electronics", "phones", "Apple")]
    )
    actual = cleanse_events(bronze_events(spark, rows), items, TIMEZONE)
    assert tuple(actual.columns) == CLEAN_EVENT_COLUMNS
    assert actual.select(C.EVENT_ID, C.CATEGORY_ID, C.BRAND, C.EVENT_TIME_LOCAL).collect() == [
        ("e1", "c9", "Apple", dt.datetime(2026, 10, 5, 9, 0))
    ]
