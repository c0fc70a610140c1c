"""Sessionization: where sessions are cut, stable ids across daily runs, and per-session metrics."""

from __future__ import annotations

import datetime as dt

import pytest
from chispa import assert_df_equality
from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T

from tests.silver_builders import TIMEZONE, bronze_event, bronze_events, bronze_items, local, session_id
from transforms import columns as C
from transforms.events_cleansing import cleanse_events
from transforms.schemas import SILVER_SESSIONS_SCHEMA
from transforms.sessions import sessionize, summarise_sessions

D = dt.date(2026, 10, 5)
NEXT = D + dt.timedelta(days=1)
EVENT_SESSION = T.StructType(
    [T.StructField(C.EVENT_ID, T.StringType()), T.StructField(C.SESSION_ID, T.StringType())]
)


def clean(spark, rows, items=()) -> DataFrame:
    return cleanse_events(bronze_events(spark, rows), bronze_items(spark, list(items)), TIMEZONE)


def raw(spark, rows) -> DataFrame:
    """Bronze rows as they are: cutting sessions needs only user, event id, time and channel."""
    return bronze_events(spark, rows)


def sessions_of(events: DataFrame, gap_minutes: int = 30, split_on_channel_change: bool = True) -> DataFrame:
    return sessionize(
        events, gap_minutes=gap_minutes, split_on_channel_change=split_on_channel_change
    ).select(C.EVENT_ID, C.SESSION_ID)


def expected_sessions(spark, pairs: list[tuple[str, str, str]]) -> DataFrame:
    """(event id, user id, id of the session's first event) -> EVENT_ID, SESSION_ID."""
    return spark.createDataFrame([(e, session_id(u, first)) for e, u, first in pairs], EVENT_SESSION)


def test_session_splits_after_30_minutes_idle_not_at_29(spark):
    events = raw(
        spark,
        [
            bronze_event("e1", "u1", "page_view", local(D, 10, 0)),
            bronze_event("e2", "u1", "page_view", local(D, 10, 29)),
            bronze_event("e3", "u1", "page_view", local(D, 10, 59)),
            # Another user's events in between never cut u1's session.
            bronze_event("x1", "u2", "page_view", local(D, 10, 15)),
        ],
    )
    expected = expected_sessions(
        spark, [("e1", "u1", "e1"), ("e2", "u1", "e1"), ("e3", "u1", "e3"), ("x1", "u2", "x1")]
    )
    assert_df_equality(sessions_of(events), expected, ignore_row_order=True, ignore_nullable=True)


@pytest.mark.parametrize(("split", "second_session_from"), [(True, "e2"), (False, "e1")])
def test_channel_change_splits_only_when_enabled(spark, split, second_session_from):
    events = raw(
        spark,
        [
            bronze_event("e1", "u1", "page_view", local(D, 10, 0), channel="ads"),
            # No channel on this event: neither a switch nor a reset of the last channel seen.
            bronze_event("n1", "u1", "page_view", local(D, 10, 1), channel=None),
            bronze_event("e2", "u1", "page_view", local(D, 10, 2), channel="push"),
            bronze_event("e3", "u1", "page_view", local(D, 10, 3), channel="push"),
        ],
    )
    expected = expected_sessions(
        spark,
        [
            ("e1", "u1", "e1"),
            ("n1", "u1", "e1"),
            ("e2", "u1", second_session_from),
            ("e3", "u1", second_session_from),
        ],
    )
    actual = sessions_of(events, split_on_channel_change=split)
    assert_df_equality(actual, expected, ignore_row_order=True, ignore_nullable=True)


def test_session_ids_do_not_depend_on_input_order_or_partitioning(spark):
    rows = [bronze_event(f"e{i}", f"u{i % 3}", "page_view", local(D, 8, 7 * i)) for i in range(12)]
    one = sessions_of(raw(spark, rows))
    other = sessions_of(raw(spark, list(reversed(rows))).repartition(4, C.EVENT_ID))
    assert_df_equality(one, other, ignore_row_order=True)


def test_midnight_crossing_session_is_one_session_across_two_daily_runs(spark):
    rows = [
        bronze_event("e1", "u1", "page_view", local(D, 23, 50), page_type="home"),
        bronze_event("e2", "u1", "page_view", local(NEXT, 0, 10), page_type="product"),
    ]
    events = clean(spark, rows)

    def daily_run(run_date: dt.date) -> DataFrame:
        # What build_silver reads with ingest.lookback_days = 0: the run date and the day before it.
        day_before = run_date - dt.timedelta(days=1)
        return sessionize(
            events.where(F.col(C.EVENT_DATE).between(day_before, run_date)),
            gap_minutes=30,
            split_on_channel_change=True,
        )

    first_run, second_run = daily_run(D), daily_run(NEXT)
    the_session = session_id("u1", "e1")
    expected = spark.createDataFrame([("e1", the_session), ("e2", the_session)], EVENT_SESSION)
    assert_df_equality(
        first_run.select(C.EVENT_ID, C.SESSION_ID).unionByName(
            second_run.where(F.col(C.EVENT_DATE) == NEXT).select(C.EVENT_ID, C.SESSION_ID)
        ),
        expected,
        ignore_row_order=True,
        ignore_nullable=True,
    )
    # After the second run the session is summarised once, in the partition of the day it started.
    summary = summarise_sessions(second_run).select(
        C.SESSION_ID, C.EVENT_COUNT, C.DURATION_SECONDS, C.EVENT_DATE
    )
    assert summary.collect() == [(the_session, 2, 1200, D)]


def test_summarise_sessions_counts_activity_orders_and_origin(spark):
    items = [
        ("i1", "electronics", "phones", "Apple"),
        ("i2", "electronics", "audio", "Sony"),
        # Same level-2 name under another level-1 category: a different category.
        ("i3", "home", "phones", "X"),
    ]

    def u1_event(event_id: str, event_type: str, minute: int, **fields):
        return bronze_event(event_id, "u1", event_type, local(D, 1, minute), channel="social", **fields)

    rows = [
        # The first event has no device: the session's device is the first one seen.
        u1_event("a1", "search", 0, device=None, keyword="phone"),
        u1_event("a2", "page_view", 1, page_type="search", device="web"),
        u1_event("a3", "page_view", 2, page_type="product", item_id="i1"),
        u1_event("a4", "add_to_cart", 3, item_id="i1", quantity=1),
        u1_event("a5", "page_view", 4, page_type="product", item_id="i2"),
        u1_event("a6", "page_view", 5, page_type="product", item_id="i3"),
        u1_event("a7", "order", 6, order_id="o1", amount=2999.0, items=[("i1", 1, 2999.0)]),
        u1_event("a8", "pay", 7, order_id="o1", amount=2999.0),
        bronze_event("b1", "u2", "search", local(D, 1, 0, 15), channel=None, device="web", keyword="tv"),
    ]
    events = sessionize(clean(spark, rows, items), gap_minutes=30, split_on_channel_change=True)
    actual = summarise_sessions(events)
    u1, u2 = session_id("u1", "a1"), session_id("u2", "b1")
    start_u2 = local(D, 1, 0, 15)
    # Sessions starting 01:00 local on D are in partition D although that is D-1 in UTC.
    expected = spark.createDataFrame(
        [
            ("u1", u1, local(D, 1, 0), local(D, 1, 7), 420, 8, 4, 3, 3, 1, 1, 1, 2999.0, True, "search",
             "social", "web", D),
            ("u2", u2, start_u2, start_u2, 0, 1, 0, 0, 0, 1, 0, 0, 0.0, False, None, None, "web", D),
        ],
        SILVER_SESSIONS_SCHEMA,
    )  # fmt: skip
    assert_df_equality(actual, expected, ignore_row_order=True, ignore_nullable=True)


def test_an_order_exported_as_several_line_rows_counts_as_one_order_of_its_session(spark):
    def line(event_id: str, order_id: str, item_id: str, amount: float):
        return bronze_event(
            event_id,
            "u1",
            "order",
            local(D, 9, 0),
            order_id=order_id,
            amount=amount,
            items=[(item_id, 1, amount)],
        )

    # An order-lines export: three rows of order o1 and one of o2, all in the same minute.
    rows = [line("l1", "o1", "i1", 5.0), line("l2", "o1", "i2", 7.0), line("l3", "o1", "i3", 1.0)]
    rows.append(line("l4", "o2", "i4", 2.0))
    events = sessionize(clean(spark, rows), gap_minutes=30, split_on_channel_change=True)
    summary = summarise_sessions(events).select(C.ORDERS, C.REVENUE, C.CONVERTED).collect()
    assert [tuple(r) for r in summary] == [(2, 15.0, True)]


def test_sessions_cost_one_shuffle_and_one_sort_of_the_events(spark):
    """The plan of sessionize + summarise_sessions: one shuffle by user and one sort feed both windows and
    the aggregate; COUNT(DISTINCT)s would add an Expand of every event and two more shuffles and sorts."""
    rows = [bronze_event("e1", "u1", "page_view", local(D, 10, 0), item_id="i1")]
    cleaned = clean(spark, rows)
    # A local relation: the shuffle of the dedupe inside `clean` is not part of the plan measured here.
    events = spark.createDataFrame(cleaned.collect(), cleaned.schema)
    summary = summarise_sessions(sessionize(events, gap_minutes=30, split_on_channel_change=True))
    operators = [
        line.strip(" +-:").split(" ")[0]
        for line in summary._jdf.queryExecution().executedPlan().toString().splitlines()
    ]
    assert (operators.count("Exchange"), operators.count("Sort"), operators.count("Expand")) == (1, 1, 0)
    assert summary.select(C.EVENT_COUNT, C.DISTINCT_ITEMS).collect() == [(1, 1)]
