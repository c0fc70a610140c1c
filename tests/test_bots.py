"""Bot flags: event rates no person reaches, per shop-local day, and the flagged users kept out."""

from __future__ import annotations

import datetime as dt

from chispa import assert_df_equality
from pyspark.sql import functions as F

from tests.silver_builders import TIMEZONE, bronze_event, bronze_events, bronze_items, local
from transforms import columns as C
from transforms.bots import exclude_bot_users, flag_bot_users
from transforms.events_cleansing import cleanse_events
from transforms.schemas import SILVER_BOT_USERS_SCHEMA

D = dt.date(2026, 10, 5)


def burst(user_id: str, day: dt.date, hour: int, seconds: list[int]) -> list[dict]:
    return [
        bronze_event(
            f"{user_id}-{day}-{hour}-{s}",
            user_id,
            "page_view",
            local(day, hour, 0, 0) + dt.timedelta(seconds=s),
        )
        for s in seconds
    ]


def test_rates_above_either_limit_are_flagged_per_day_with_rule_and_value(spark):
    rows = [
        # 4 events within 59 s: over 3 a minute.
        *burst("fast", D, 10, [0, 20, 40, 59]),
        # A burst straddling two clock minutes (10:00:40-10:01:10) is still one minute's worth.
        *burst("straddle", D, 10, [40, 50, 60, 70]),
        # 4 events, but never more than 3 within any 60 s: a person.
        *burst("steady", D, 10, [0, 20, 40, 60]),
        # Exactly at the minute limit: not flagged.
        *burst("limit", D, 10, [0, 1, 2]),
        # 6 events spread over a day: over 5 a day, never fast; on the next day only 2.
        *[bronze_event(f"busy{h}", "busy", "page_view", local(D, h)) for h in range(6)],
        *[
            bronze_event(f"busy-next{h}", "busy", "page_view", local(D + dt.timedelta(1), h))
            for h in range(2)
        ],
        # Duplicated sends of one event are one event, not a burst.
        *[
            bronze_event("dup", "resender", "page_view", local(D, 9), source_file=f"f{i}.json")
            for i in range(5)
        ],
    ]
    events = cleanse_events(bronze_events(spark, rows), bronze_items(spark, []), TIMEZONE)
    actual = flag_bot_users(events, max_events_per_minute=3, max_events_per_day=5)
    expected = spark.createDataFrame(
        [
            ("fast", "events_per_minute>3", 4, 3, D),
            ("straddle", "events_per_minute>3", 4, 3, D),
            ("busy", "events_per_day>5", 6, 5, D),
        ],
        SILVER_BOT_USERS_SCHEMA,
    )
    assert_df_equality(actual, expected, ignore_row_order=True, ignore_nullable=True)


def test_flagged_users_are_excluded_within_reach_of_a_flagged_day(spark):
    rows = [
        *burst("bot", D, 10, [0, 1, 2, 3]),
        # The bot's quiet days within reach (two days) before and after the flagged day go too.
        bronze_event("bot-before", "bot", "page_view", local(D - dt.timedelta(2), 10)),
        bronze_event("bot-after", "bot", "page_view", local(D + dt.timedelta(2), 10)),
        # Beyond the reach the user's days are not judged by this flag.
        bronze_event("bot-later", "bot", "page_view", local(D + dt.timedelta(3), 10)),
        bronze_event("person", "person", "page_view", local(D, 10)),
    ]
    events = cleanse_events(bronze_events(spark, rows), bronze_items(spark, []), TIMEZONE)
    flags = flag_bot_users(events, max_events_per_minute=3, max_events_per_day=100)
    actual = exclude_bot_users(events, flags, reach_days=2)
    assert actual.columns == events.columns
    assert_df_equality(
        actual.select(C.EVENT_ID),
        events.where(F.col(C.EVENT_ID).isin("person", "bot-later")).select(C.EVENT_ID),
        ignore_row_order=True,
    )


def test_the_lines_of_one_order_are_one_action_but_page_views_still_count(spark):
    basket = [
        # An order-lines export: one 40-line order is 40 `order` rows in the same second.
        bronze_event(f"line{n}", "shopper", "order", local(D, 10), order_id="o1", amount=1.0,
                     items=[(f"i{n}", 1, 1.0)], order_status="paid")
        for n in range(40)
    ]  # fmt: skip
    # Two more orders in that minute and on that day: three actions, not 42.
    basket += [
        bronze_event(f"other{n}", "shopper", "order", local(D, 10, 0, 30), order_id=f"o{n + 2}", amount=1.0)
        for n in range(2)
    ]
    scraper = [
        bronze_event(f"pv{n}", "scraper", "page_view", local(D, 10) + dt.timedelta(seconds=n))
        for n in range(40)
    ]
    events = cleanse_events(bronze_events(spark, basket + scraper), bronze_items(spark, []), TIMEZONE)
    actual = flag_bot_users(events, max_events_per_minute=30, max_events_per_day=35)
    expected = spark.createDataFrame(
        [
            ("scraper", "events_per_minute>30", 40, 30, D),
            ("scraper", "events_per_day>35", 40, 35, D),
        ],
        SILVER_BOT_USERS_SCHEMA,
    )
    assert_df_equality(actual, expected, ignore_row_order=True, ignore_nullable=True)
