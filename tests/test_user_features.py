"""User features on hand-built inputs with known answers: daily activity, windows, recency, preferences."""

from __future__ import annotations

import datetime as dt

import pytest
from chispa import assert_df_equality
from pyspark.sql import functions as F

from tests.silver_builders import TIMEZONE, bronze_event, bronze_events, bronze_items, local
from transforms import columns as C
from transforms.events_cleansing import cleanse_events
from transforms.features.daily_activity import HOURS, activity_dates, user_daily_activity
from transforms.features.preferences import (
    habit_features,
    interest_features,
    item_price_percentiles,
    price_features,
)
from transforms.features.recency import recency_features
from transforms.features.windows import window_features
from transforms.schemas import (
    BRONZE_ITEMS_SCHEMA,
    GOLD_USER_DAILY_ACTIVITY_SCHEMA,
    GOLD_USER_ITEM_DAILY_SCHEMA,
    SILVER_ORDER_ITEMS_SCHEMA,
)
from transforms.sessions import sessionize, summarise_sessions

S = dt.date(2026, 10, 30)  # a Friday
ITEMS = [("i1", "beauty", "skincare", "Lancome"), ("i2", "food", "snacks", "Oreo")]


def silver(spark, rows):
    """silver.events and silver.sessions made from bronze rows by the real transforms."""
    clean = cleanse_events(bronze_events(spark, rows), bronze_items(spark, ITEMS), TIMEZONE)
    events = sessionize(clean, gap_minutes=30, split_on_channel_change=True)
    return events, summarise_sessions(events)


def daily_row(user: str, day: dt.date, **values) -> dict:
    """A gold.user_daily_activity row: zeros and empties except `values`."""
    row = {f.name: 0 for f in GOLD_USER_DAILY_ACTIVITY_SCHEMA.fields}
    row.update({name: 0.0 for name in ("order_amount", "paid_gmv", "refund_amount", "order_lead_minutes")})
    empty = {
        "categories": [],
        "events_by_hour": [0] * HOURS,
        "sessions_by_device": {},
        "sessions_by_channel": {},
    }
    row.update(empty, user_id=user, activity_date=day)
    row.update(values)
    return row


def daily_frame(spark, rows):
    names = GOLD_USER_DAILY_ACTIVITY_SCHEMA.fieldNames()
    return spark.createDataFrame([tuple(r[n] for n in names) for r in rows], GOLD_USER_DAILY_ACTIVITY_SCHEMA)


def test_daily_activity_counts_each_day_from_its_own_events_and_sessions(spark):
    day, next_day = S - dt.timedelta(days=1), S
    order = {"order_id": "o1", "amount": 50.0, "discount": 5.0, "coupon_id": "c1", "items": [("i1", 1, 55.0)]}
    events, sessions = silver(
        spark,
        [
            bronze_event("v1", "u", "page_view", local(day, 10, 0), item_id="i1", channel="ads"),
            bronze_event("s1", "u", "search", local(day, 10, 5), keyword="cream", channel="ads"),
            bronze_event(
                "c1", "u", "add_to_cart", local(day, 10, 6), item_id="i1", quantity=1, channel="ads"
            ),
            bronze_event("o1", "u", "order", local(day, 10, 12), channel="ads", **order),
            # A second session that adds to the cart and leaves: an abandoned cart, on the web.
            bronze_event("v2", "u", "page_view", local(day, 23, 0), item_id="i2", device="web"),
            bronze_event("c2", "u", "add_to_cart", local(day, 23, 1), item_id="i2", quantity=2, device="web"),
            # The payment comes the next day and counts there.
            bronze_event("p1", "u", "pay", local(next_day, 9, 0), order_id="o1", amount=50.0),
        ],
    )
    actual = user_daily_activity(events, sessions)
    assert actual.schema.fieldNames() == GOLD_USER_DAILY_ACTIVITY_SCHEMA.fieldNames()
    measures = [C.USER_ID, C.ACTIVITY_DATE, C.EVENTS, C.PAGE_VIEWS, C.SEARCHES, C.CART_ADDS, C.ORDERS,
                C.DISCOUNTED_ORDERS, C.COUPON_ORDERS, C.PAYMENTS, C.SESSIONS, C.VISITS, C.ABANDONED_CARTS,
                C.ORDER_AMOUNT, C.PAID_GMV, C.ORDER_LEAD_MINUTES, C.CATEGORIES]  # fmt: skip
    expected = spark.createDataFrame(
        [
            ("u", day, 6, 2, 1, 2, 1, 1, 1, 0, 2, 2, 1, 50.0, 0.0, 12.0, ["beauty", "food"]),
            ("u", next_day, 1, 0, 0, 0, 0, 0, 0, 1, 1, 0, 0, 0.0, 50.0, 0.0, []),
        ],
        actual.select(*measures).schema,
    )
    assert_df_equality(actual.select(*measures), expected, ignore_row_order=True, ignore_nullable=True)
    first_day = actual.where(F.col(C.ACTIVITY_DATE) == day).first()
    assert first_day[C.EVENTS_BY_HOUR][10] == 4 and first_day[C.EVENTS_BY_HOUR][23] == 2
    assert first_day[C.SESSIONS_BY_DEVICE] == {"ios": 1, "web": 1}
    assert first_day[C.SESSIONS_BY_CHANNEL] == {"ads": 1, "direct": 1}


def test_windows_end_on_the_snapshot_date_and_hold_exactly_n_days(spark):
    days_back = {0: ["beauty"], 6: ["food"], 29: ["beauty", "toys"], 89: ["home"], 90: ["books"]}
    daily = daily_frame(
        spark,
        [
            daily_row(
                "u",
                S - dt.timedelta(days=back),
                events=1,
                sessions=1,
                orders=1,
                order_amount=10.0 * (back + 1),
                refunds=1 if back == 6 else 0,
                categories=categories,
            )
            for back, categories in days_back.items()
        ],
    )
    row = window_features(daily, [S]).first()
    assert [row[f"sessions_{n}d"] for n in (1, 7, 30, 90)] == [1, 2, 3, 4]
    assert [row[f"days_active_{n}d"] for n in (1, 7, 30, 90)] == [1, 2, 3, 4]
    assert [row[f"distinct_categories_{n}d"] for n in (1, 7, 30, 90)] == [1, 2, 3, 4]
    assert row["avg_order_value_7d"] == pytest.approx((10.0 + 70.0) / 2)
    assert row["refund_rate_1d"] == 0.0 and row["refund_rate_7d"] == 0.5


def test_recency_counts_days_back_from_the_snapshot_and_ignores_later_days(spark):
    daily = daily_frame(
        spark,
        [
            daily_row("u", S - dt.timedelta(days=40), sessions=1, orders=1),
            daily_row("u", S - dt.timedelta(days=3), sessions=1),
            daily_row("u", S + dt.timedelta(days=1), sessions=1, orders=1),  # after the snapshot
            daily_row("never", S - dt.timedelta(days=2), sessions=1),
        ],
    )
    actual = recency_features(daily, [S])
    expected = spark.createDataFrame(
        [("u", S, 3, 40, S - dt.timedelta(days=40)), ("never", S, 2, None, None)], actual.schema
    )
    assert_df_equality(actual, expected, ignore_row_order=True, ignore_nullable=True)


def test_interests_rank_by_strength_aged_to_the_snapshot(spark):
    def strength(item: str, days_back: int, value: float):
        return ("u", item, 0, 0, 0, 0, 0, 0, None, None, value, S - dt.timedelta(days=days_back))

    user_item_daily = spark.createDataFrame(
        [
            strength("i1", 14, 8.0),  # one half-life old: worth 4.0 on the snapshot date
            strength("i2", 0, 5.0),
            strength("i3", 0, 1.0),
            strength("i4", 90, 100.0),  # outside the 90-day interest window
        ],
        GOLD_USER_ITEM_DAILY_SCHEMA,
    )
    items = bronze_items(
        spark, [*ITEMS, ("i3", "beauty", "makeup", "Lancome"), ("i4", "books", "novels", "Penguin")]
    )
    row = interest_features(user_item_daily, items, [S], half_life_days=14).first()
    # beauty 4.0 + 1.0 = 5.0 ties food 5.0: ties go by name.
    assert row[C.TOP_CATEGORIES] == ["beauty", "food"]
    assert row[C.TOP_BRANDS] == ["Lancome", "Oreo"]
    assert row[C.BRAND_CONCENTRATION] == pytest.approx(0.5**2 + 0.5**2)


def test_price_level_is_the_mean_percentile_of_bought_items_within_their_category(spark):
    prices = [("cheap", 10.0), ("mid", 20.0), ("dear", 30.0)]
    items = spark.createDataFrame(
        [(item, "beauty", "x", "b", price, None, None) for item, price in prices], BRONZE_ITEMS_SCHEMA
    )
    bought = spark.createDataFrame(
        [
            ("o1", "u", "dear", 1, 30.0, 30.0, S, "beauty", "b"),
            ("o2", "u", "mid", 1, 20.0, 20.0, S, "beauty", "b"),
        ],
        SILVER_ORDER_ITEMS_SCHEMA,
    )
    row = price_features(bought, item_price_percentiles(items), [S]).first()
    assert row[C.PRICE_LEVEL] == pytest.approx((1.0 + 0.5) / 2)


def test_habits_find_busy_hours_night_and_weekend_shares_and_the_main_device(spark):
    saturday = S + dt.timedelta(days=-6)
    hours = [0] * HOURS
    hours[2], hours[21] = 1, 3
    daily = daily_frame(
        spark,
        [
            daily_row(
                "u",
                S,
                events=4,
                orders=2,
                discounted_orders=1,
                coupon_orders=0,
                order_lead_minutes=30.0,
                events_by_hour=hours,
                sessions_by_device={"ios": 1, "web": 2},
            ),
            daily_row(
                "u",
                saturday,
                events=4,
                events_by_hour=[4 if h == 21 else 0 for h in range(HOURS)],
                sessions_by_device={"ios": 1},
                sessions_by_channel={"ads": 1},
            ),
        ],
    )
    row = habit_features(daily, [S]).first()
    assert row[C.ACTIVE_HOURS] == [21, 2]
    assert row[C.NIGHT_SHARE] == pytest.approx(1 / 8)
    assert row[C.WEEKEND_SHARE] == pytest.approx(4 / 8)
    assert row[C.DISCOUNT_SHARE] == 0.5 and row[C.COUPON_SHARE] == 0.0
    assert row[C.AVG_ORDER_LEAD_MINUTES] == 15.0
    # ios 2, web 2: a tie goes to the first name.
    assert row[C.MAIN_DEVICE] == "ios" and row[C.MAIN_CHANNEL] == "ads"


def test_a_run_rewrites_the_daily_activity_of_its_look_back_before_the_first_date_through_the_run_date():
    day = dt.date(2026, 10, 30)
    assert activity_dates(day, day, 2) == [dt.date(2026, 10, 28), dt.date(2026, 10, 29), day]
    back_fill = activity_dates(dt.date(2026, 10, 1), day, 3)
    assert (back_fill[0], back_fill[-1], len(back_fill)) == (dt.date(2026, 9, 28), day, 33)
    assert activity_dates(day, day, 0) == [day]
