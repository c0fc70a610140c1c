"""User features of a range of snapshot dates in one pass: the same rows as each date alone, and a recency
state carried from an earlier snapshot that gives the same values as all of history."""

from __future__ import annotations

import datetime as dt

import pytest
from chispa import assert_df_equality
from pyspark.sql import functions as F

from tests.silver_builders import bronze_items
from tests.test_user_features import ITEMS, daily_frame, daily_row
from transforms import columns as C
from transforms.features.preferences import interest_features
from transforms.features.recency import recency_features, settled_recency, unsettled_users
from transforms.features.snapshots import snapshot_range
from transforms.features.user_features import user_features, user_features_over, window_start
from transforms.features.windows import window_features, windowed
from transforms.schemas import BRONZE_USERS_SCHEMA, GOLD_USER_ITEM_DAILY_SCHEMA, SILVER_ORDER_ITEMS_SCHEMA

D1 = dt.date(2026, 10, 27)
DATES = [D1 + dt.timedelta(days=n) for n in range(4)]
D2, D3, D4 = DATES[1:]


def day(n: int) -> dt.date:
    """The day `n` days after D1 (negative: before)."""
    return D1 + dt.timedelta(days=n)


def user(user_id: str, registered: dt.date | None):
    return (user_id, "female", 1990, "Hangzhou", 2, "Zhejiang", registered, "app", "ios", "h", "e", None)


@pytest.fixture(scope="module")
def inputs(spark):
    users = spark.createDataFrame(
        # "new" registers mid-range; "old" has no registration row and was active only before the range.
        [user("ann", day(-200)), user("new", D3), user("idle", day(-5))],
        BRONZE_USERS_SCHEMA,
    )
    daily = daily_frame(
        spark,
        [
            daily_row(
                "old", day(-120), events=2, sessions=1, orders=1, order_amount=40.0, categories=["toys"]
            ),
            daily_row("old", day(-20), events=1, sessions=1, sessions_by_device={"web": 1}),
            daily_row(
                "ann", day(-3), events=3, sessions=1, sessions_by_device={"ios": 1}, categories=["food"]
            ),
            # A late order: D2's row (and the order line below) count from D2 on, never on D1.
            daily_row(
                "ann",
                D2,
                events=2,
                sessions=1,
                orders=1,
                order_amount=25.0,
                paid_gmv=25.0,
                sessions_by_device={"ios": 1},
                categories=["beauty"],
            ),
            daily_row("new", D3, events=1, sessions=1, sessions_by_device={"web": 1}),
            # After the range: no snapshot may see it (ann's main device stays ios).
            daily_row("ann", day(5), events=9, sessions=3, orders=2, sessions_by_device={"web": 3}),
        ],
    )

    def strength(user_id: str, item: str, on: dt.date, value: float):
        return (user_id, item, 0, 0, 0, 0, 0, 0, None, None, value, on)

    user_item_daily = spark.createDataFrame(
        [
            strength("ann", "i2", day(-3), 2.0),
            strength("ann", "i1", D2, 1.5),
            strength("old", "i1", day(-20), 1.0),
        ],
        GOLD_USER_ITEM_DAILY_SCHEMA,
    )
    order_items = spark.createDataFrame(
        [("o1", "ann", "i1", 1, 25.0, 25.0, D2, "beauty", "Lancome")], SILVER_ORDER_ITEMS_SCHEMA
    )
    items = bronze_items(spark, [*ITEMS, ("i3", "beauty", "makeup", "Dior")])
    return {"users": users, "daily": daily, "user_item_daily": user_item_daily, "items": items,
            "order_items": order_items}  # fmt: skip


def test_one_pass_over_a_range_equals_each_date_alone(spark, inputs):
    together = user_features_over(snapshot_dates=DATES, half_life_days=14, **inputs)
    alone = [user_features(snapshot_date=d, half_life_days=14, **inputs) for d in DATES]
    union = alone[0]
    for other in alone[1:]:
        union = union.unionByName(other)
    assert together.columns == alone[0].columns
    assert_df_equality(together, union, ignore_row_order=True)

    rows = {(r[C.USER_ID], r[C.SNAPSHOT_DATE]): r for r in together.collect()}
    # "new" is known from its registration date, "old" on every date from its history alone.
    assert sorted(d for u, d in rows if u == "new") == [D3, D4]
    assert [rows["old", d][C.DAYS_SINCE_LAST_VISIT] for d in DATES] == [20, 21, 22, 23]
    assert {rows["old", d][C.FIRST_ORDER_DATE] for d in DATES} == {day(-120)}
    assert [rows["ann", d]["orders_1d"] for d in DATES] == [0, 1, 0, 0]
    assert [rows["ann", d][C.DAYS_SINCE_LAST_ORDER] for d in DATES] == [None, 0, 1, 2]
    assert [rows["ann", d][C.PRICE_LEVEL] is None for d in DATES] == [True, False, False, False]
    assert {rows["ann", d][C.MAIN_DEVICE] for d in DATES} == {"ios"}
    assert rows["ann", D1][C.TOP_CATEGORIES] == ["food"]
    assert rows["ann", D2][C.TOP_CATEGORIES] == ["food", "beauty"]


def test_snapshot_dates_must_be_every_day_of_the_range_once():
    assert snapshot_range([D2, D1]) == (D1, D2)
    with pytest.raises(ValueError, match="every day from 2026-10-27 to 2026-10-30 once, got 2 dates"):
        snapshot_range([D1, D4])
    with pytest.raises(ValueError, match="no snapshot date given"):
        snapshot_range([])


def test_recency_from_an_earlier_snapshot_and_the_later_days_equals_all_history(spark, inputs):
    previous = D1 - dt.timedelta(days=1)
    snapshot = user_features(snapshot_date=previous, half_life_days=14, **inputs)
    settled_through = window_start(D1) - dt.timedelta(days=1)
    later = inputs["daily"].where(F.col(C.ACTIVITY_DATE) > F.lit(settled_through))
    assert unsettled_users(snapshot, later, inputs["users"], settled_through, D1).count() == 0

    settled = settled_recency(snapshot, settled_through)
    # old's order of day -120 is settled; its visit of day -20 is read from the later days.
    assert [tuple(r) for r in settled.collect()] == [("old", None, day(-120), day(-120))]
    assert_df_equality(
        recency_features(later, DATES, settled),
        recency_features(inputs["daily"], DATES),
        ignore_row_order=True,
    )


def test_a_visit_gone_since_the_snapshot_leaves_its_user_unsettled(spark, inputs):
    previous = D1 - dt.timedelta(days=1)
    snapshot = user_features(snapshot_date=previous, half_life_days=14, **inputs)
    settled_through = window_start(D1) - dt.timedelta(days=1)
    # old's visit of day -20 was removed later (e.g. flagged as a bot): its last visit before is unknown.
    later = inputs["daily"].where(
        (F.col(C.ACTIVITY_DATE) > F.lit(settled_through)) & (F.col(C.USER_ID) != "old")
    )
    unsettled = unsettled_users(snapshot, later, inputs["users"], settled_through, D1)
    assert [r[C.USER_ID] for r in unsettled.collect()] == ["old"]


def test_interests_over_a_range_equal_each_date_alone_as_days_enter_and_leave_the_window(spark):
    def strength(user_id: str, item: str, on: dt.date, value: float):
        return (user_id, item, 0, 0, 0, 0, 0, 0, None, None, value, on)

    # bob's strong Oreo day leaves the 90-day window on D3, so Lancome leads from D3 on; cat's only day
    # leaves on D2 and cat has no interests from then; dan's first day is D4.
    user_item_daily = spark.createDataFrame(
        [
            strength("bob", "i2", day(-88), 400.0),
            strength("bob", "i3", day(-30), 1.0),
            strength("bob", "i1", D2, 1.0),
            strength("cat", "i2", day(-89), 1.0),
            strength("dan", "i3", D4, 3.0),
            strength("dan", "i2", D4, 3.0),
            strength("dan", "i1", day(9), 50.0),  # after the range
        ],
        GOLD_USER_ITEM_DAILY_SCHEMA,
    )
    items = bronze_items(spark, [*ITEMS, ("i3", "beauty", "makeup", "Dior")])
    together = interest_features(user_item_daily, items, DATES, half_life_days=14)
    alone = [interest_features(user_item_daily, items, [d], half_life_days=14) for d in DATES]
    union = alone[0]
    for other in alone[1:]:
        union = union.unionByName(other)
    assert_df_equality(together, union, ignore_row_order=True, ignore_nullable=True)

    rows = {(r[C.USER_ID], r[C.SNAPSHOT_DATE]): r for r in together.collect()}
    assert sorted(rows) == [("bob", d) for d in DATES] + [("cat", D1), ("dan", D4)]
    assert [rows["bob", d][C.TOP_BRANDS] for d in DATES] == [
        ["Oreo", "Dior"],
        ["Oreo", "Lancome", "Dior"],
        ["Lancome", "Dior"],
        ["Lancome", "Dior"],
    ]
    assert rows["dan", D4][C.TOP_BRANDS] == ["Dior", "Oreo"]
    assert rows["dan", D4][C.BRAND_CONCENTRATION] == pytest.approx(0.5)


def test_distinct_categories_over_a_range_equal_each_date_alone_as_days_enter_and_leave_windows(spark):
    # eve's toys of day -7 leave the 7-day window on D1 and her food of day -29 the 30-day window on D2;
    # food again on D3 counts once; fay's only day leaves the 90-day window on D2.
    daily = daily_frame(
        spark,
        [
            daily_row("eve", day(-29), events=1, categories=["food"]),
            daily_row("eve", day(-7), events=1, categories=["toys"]),
            daily_row("eve", day(-6), events=1, categories=["books", "toys"]),
            daily_row("eve", D3, events=2, categories=["beauty", "food"]),
            daily_row("fay", day(-89), events=1, categories=["food"]),
            daily_row("eve", day(6), events=1, categories=["garden"]),  # after the range
        ],
    )
    together = window_features(daily, DATES)
    alone = [window_features(daily, [d]) for d in DATES]
    union = alone[0]
    for other in alone[1:]:
        union = union.unionByName(other)
    assert_df_equality(together, union, ignore_row_order=True)

    counts = {
        (r[C.USER_ID], r[C.SNAPSHOT_DATE]): [r[windowed(C.DISTINCT_CATEGORIES, n)] for n in (1, 7, 30, 90)]
        for r in together.collect()
    }
    assert counts == {
        ("eve", D1): [0, 2, 3, 3],
        ("eve", D2): [0, 0, 2, 3],
        ("eve", D3): [2, 2, 4, 4],
        ("eve", D4): [0, 2, 4, 4],
        ("fay", D1): [0, 0, 0, 1],
    }
