"""The evaluation split, the popularity baselines and ALS item similarity on hand-made fixtures."""

from __future__ import annotations

import datetime as dt
import math

import pytest
from chispa import assert_approx_df_equality, assert_df_equality
from pyspark.sql import functions as F

from tests.test_interactions import silver_event
from transforms import columns as C
from transforms import vocabulary as V
from transforms.recommend.baselines import (
    category_popular_items,
    item_categories,
    item_popularity,
    popular_items,
    preferred_categories,
    updated_item_categories,
)
from transforms.recommend.similar_items import similar_items
from transforms.recommend.split import holdout_relevance, interactions_as_of
from transforms.schemas import (
    GOLD_ITEM_INDEX_SCHEMA,
    GOLD_USER_INDEX_SCHEMA,
    GOLD_USER_ITEM_DAILY_SCHEMA,
    SILVER_EVENTS_SCHEMA,
)

T = dt.date(2031, 3, 10)  # the split day
HALF_LIFE = 14.0
TIMEZONE = "Asia/Shanghai"
LISTS = f"{C.USER_ID} string, {C.RANK} int, {C.ITEM_ID} string, {C.SCORE} double"
TRAIN = f"{C.USER_ID} string, {C.ITEM_ID} string, {C.STRENGTH} double"

# Categories A (a1, a2), B (b1, b2), C (c1).
TRAINING = [
    ("u1", "a1", 5.0), ("u1", "b1", 1.0),
    ("u2", "a1", 1.0), ("u2", "a2", 2.0), ("u2", "b2", 1.0),
    ("u3", "b1", 4.0), ("u3", "c1", 1.0),
]  # fmt: skip
CATEGORIES = [("a1", "A"), ("a2", "A"), ("b1", "B"), ("b2", "B"), ("c1", "C")]


def daily_row(user, item, day, *, views=0, carts=0, orders=0, strength=1.0):
    row = dict.fromkeys(GOLD_USER_ITEM_DAILY_SCHEMA.fieldNames(), 0)
    row.update({C.FIRST_INTERACTION_TIME: None, C.LAST_INTERACTION_TIME: None})
    row.update(
        {
            C.USER_ID: user,
            C.ITEM_ID: item,
            C.PAGE_VIEWS: views,
            C.CART_ADDS: carts,
            C.ORDERS: orders,
            C.STRENGTH: strength,
            C.EVENT_DATE: day,
        }
    )
    return tuple(row[name] for name in GOLD_USER_ITEM_DAILY_SCHEMA.fieldNames())


def day(offset):
    return T + dt.timedelta(days=offset)


@pytest.fixture(scope="module")
def daily(spark):
    rows = [
        daily_row("u1", "i1", day(-1), views=2, strength=2.0),
        daily_row("u1", "i1", day(0), orders=1, strength=5.0),
        daily_row("u1", "i2", day(1), carts=1, strength=3.0),
        daily_row("u1", "i2", day(2), orders=1, strength=5.0),
        daily_row("u1", "i3", day(1), views=4, strength=4.0),
        daily_row("u2", "i1", day(3), carts=2, strength=6.0),
        daily_row("u2", "i4", day(4), orders=1, strength=5.0),
    ]
    return spark.createDataFrame(rows, GOLD_USER_ITEM_DAILY_SCHEMA)


@pytest.fixture(scope="module")
def popularity(spark):
    return item_popularity(spark.createDataFrame(TRAINING, TRAIN))


def test_test_labels_grade_a_purchase_above_a_cart_add_and_only_after_the_split_day(spark, daily):
    actual = holdout_relevance(daily, after=T, through=day(3), purchase_grade=2.0, cart_add_grade=1.0)
    # u1-i1 was bought on T itself (training), u1-i3 only viewed, u2-i4 bought after the test window.
    expected = spark.createDataFrame(
        [("u1", "i2", 2.0), ("u2", "i1", 1.0)], f"{C.USER_ID} string, {C.ITEM_ID} string, {C.GRADE} double"
    )
    assert_df_equality(actual, expected, ignore_row_order=True, ignore_nullable=True)


def test_training_data_is_the_matrix_as_of_the_split_day(spark, daily):
    users = spark.createDataFrame([("u1", 0, T), ("u2", 1, T)], GOLD_USER_INDEX_SCHEMA)
    items = spark.createDataFrame([(f"i{n}", n, T) for n in range(1, 5)], GOLD_ITEM_INDEX_SCHEMA)
    rows = interactions_as_of(
        daily, users, items, as_of=T, half_life_days=HALF_LIFE, timezone=TIMEZONE
    ).collect()
    assert [(r[C.USER_ID], r[C.ITEM_ID], r[C.USER_IDX], r[C.ITEM_IDX]) for r in rows] == [("u1", "i1", 0, 1)]
    (row,) = rows
    # The day before T is one more day old at the end of T.
    assert row[C.STRENGTH] == pytest.approx(2.0 * 0.5 ** (1 / HALF_LIFE) + 5.0, rel=1e-12)
    assert (row[C.PAGE_VIEWS], row[C.ORDERS], row[C.AS_OF_DATE]) == (2, 1, T)


def test_global_popularity_gives_everyone_the_same_top_items(spark, popularity):
    expected_ranks = spark.createDataFrame(
        [("a1", 6.0, 1), ("b1", 5.0, 2), ("a2", 2.0, 3), ("b2", 1.0, 4), ("c1", 1.0, 5)],
        f"{C.ITEM_ID} string, {C.POPULARITY} double, {C.POPULARITY_RANK} int",
    )
    assert_df_equality(popularity, expected_ranks, ignore_row_order=True, ignore_nullable=True)
    users = spark.createDataFrame([("u1",), ("u9",)], f"{C.USER_ID} string")
    expected = spark.createDataFrame(
        [("u1", 1, "a1", 6.0), ("u1", 2, "b1", 5.0), ("u9", 1, "a1", 6.0), ("u9", 2, "b1", 5.0)], LISTS
    )
    assert_df_equality(
        popular_items(popularity, users, k=2), expected, ignore_row_order=True, ignore_nullable=True
    )


def test_baselines_leave_out_the_seen_pairs_and_still_list_k_items(spark, popularity):
    # u1 has seen a1 and b1 (popularity 1 and 2), u2 only c1 (5th), u9 nothing.
    seen = spark.createDataFrame(
        [("u1", "a1"), ("u1", "b1"), ("u2", "c1")], f"{C.USER_ID} string, {C.ITEM_ID} string"
    )
    users = spark.createDataFrame([("u1",), ("u2",), ("u9",)], f"{C.USER_ID} string")
    expected = spark.createDataFrame(
        [
            ("u1", 1, "a2", 2.0), ("u1", 2, "b2", 1.0),
            ("u2", 1, "a1", 6.0), ("u2", 2, "b1", 5.0),
            ("u9", 1, "a1", 6.0), ("u9", 2, "b1", 5.0),
        ],
        LISTS,
    )  # fmt: skip
    actual = popular_items(popularity, users, k=2, seen=seen)
    assert_df_equality(actual, expected, ignore_row_order=True, ignore_nullable=True)
    # Category popularity for u1 (categories A 5/6, B 1/6): a1 and b1 seen leave a2 and b2.
    train = spark.createDataFrame(TRAINING, TRAIN)
    categories = spark.createDataFrame(CATEGORIES, f"{C.ITEM_ID} string, {C.CATEGORY} string")
    preferences = preferred_categories(train, categories, top=2)
    u1 = users.where(F.col(C.USER_ID) == "u1")
    actual = category_popular_items(popularity, categories, preferences, u1, k=2, seen=seen)
    expected = spark.createDataFrame([("u1", 1, "a2", 5 / 6 * 2 / 8), ("u1", 2, "b2", 1 / 6 * 1 / 6)], LISTS)
    assert_approx_df_equality(actual, expected, 1e-12, ignore_row_order=True, ignore_nullable=True)


def test_category_popularity_weighs_the_users_category_share_by_the_items_share_of_it(spark, popularity):
    train = spark.createDataFrame(TRAINING, TRAIN)
    categories = spark.createDataFrame(CATEGORIES, f"{C.ITEM_ID} string, {C.CATEGORY} string")
    preferences = preferred_categories(train, categories, top=2)
    expected_preferences = spark.createDataFrame(
        [
            ("u1", "A", 5 / 6),
            ("u1", "B", 1 / 6),
            ("u2", "A", 3 / 4),
            ("u2", "B", 1 / 4),
            ("u3", "B", 4 / 5),
            ("u3", "C", 1 / 5),
        ],
        f"{C.USER_ID} string, {C.CATEGORY} string, {C.CATEGORY_SHARE} double",
    )
    assert_approx_df_equality(
        preferences, expected_preferences, 1e-12, ignore_row_order=True, ignore_nullable=True
    )
    users = spark.createDataFrame([("u1",), ("u3",)], f"{C.USER_ID} string")
    actual = category_popular_items(popularity, categories, preferences, users, k=2)
    # Item shares within their category: a1 6/8, a2 2/8; b1 5/6, b2 1/6; c1 1. u3's second pick is c1
    # (0.2 * 1) ahead of b2 (0.8 * 1/6): a small category's hit beats a big category's tail.
    expected = spark.createDataFrame(
        [
            ("u1", 1, "a1", 5 / 6 * 6 / 8),
            ("u1", 2, "a2", 5 / 6 * 2 / 8),
            ("u3", 1, "b1", 4 / 5 * 5 / 6),
            ("u3", 2, "c1", 1 / 5 * 1.0),
        ],
        LISTS,
    )
    assert_approx_df_equality(actual, expected, 1e-12, ignore_row_order=True, ignore_nullable=True)


def with_category(row, category_id=None, l1=None, l2=None):
    """A silver_event row with its category columns set."""
    values = dict(zip(SILVER_EVENTS_SCHEMA.fieldNames(), row, strict=True))
    values.update({C.CATEGORY_ID: category_id, C.CATEGORY_L1: l1, C.CATEGORY_L2: l2})
    return tuple(values.values())


def test_item_categories_take_the_taobao_id_or_the_catalogue_levels(spark):
    events = spark.createDataFrame(
        [
            with_category(silver_event("u1", V.PAGE_VIEW, T, item="x1"), l1="electronics", l2="phones"),
            with_category(silver_event("u1", V.PAGE_VIEW, T, 1, item="t1"), category_id="4756105"),
            with_category(silver_event("u1", V.PAGE_VIEW, T, 2, item="n1")),
            with_category(silver_event("u1", V.SEARCH, T, 3), l1="electronics", l2="phones"),
        ],
        SILVER_EVENTS_SCHEMA,
    )
    expected = spark.createDataFrame(
        [("x1", "electronics/phones"), ("t1", "4756105")], f"{C.ITEM_ID} string, {C.CATEGORY} string"
    )
    assert_df_equality(item_categories(events), expected, ignore_row_order=True, ignore_nullable=True)


def test_updated_item_categories_equal_the_categories_of_all_the_events(spark):
    earlier = [
        with_category(silver_event("u1", V.PAGE_VIEW, T, item="a1"), l1="home", l2="kitchen"),
        with_category(silver_event("u1", V.PAGE_VIEW, T, 1, item="b1"), category_id="17"),
    ]
    later = [
        # a1 turns up under a smaller name, b1 under a larger one, c1 is new, d1 has none.
        with_category(silver_event("u2", V.PAGE_VIEW, T, 2, item="a1"), l1="garden"),
        with_category(silver_event("u2", V.PAGE_VIEW, T, 3, item="b1"), category_id="42"),
        with_category(silver_event("u2", V.PAGE_VIEW, T, 4, item="c1"), l1="toys", l2="lego"),
        with_category(silver_event("u2", V.PAGE_VIEW, T, 5, item="d1")),
    ]
    known = item_categories(spark.createDataFrame(earlier, SILVER_EVENTS_SCHEMA))
    updated = updated_item_categories(known, spark.createDataFrame(later, SILVER_EVENTS_SCHEMA))
    expected = spark.createDataFrame(
        [("a1", "garden"), ("b1", "17"), ("c1", "toys/lego")], f"{C.ITEM_ID} string, {C.CATEGORY} string"
    )
    assert_df_equality(updated, expected, ignore_row_order=True, ignore_nullable=True)
    everything = item_categories(spark.createDataFrame(earlier + later, SILVER_EVENTS_SCHEMA))
    assert_df_equality(updated, everything, ignore_row_order=True, ignore_nullable=True)


def test_similar_items_rank_by_cosine_and_skip_vectors_without_direction(spark):
    factors = spark.createDataFrame(
        [("i1", [1.0, 0.0]), ("i2", [0.9, 0.1]), ("i3", [0.0, 2.0]), ("i4", [0.0, 0.0]), ("i5", [-3.0, 0.0])],
        f"{C.ITEM_ID} string, {C.FACTORS} array<float>",
    )
    close = 0.9 / math.sqrt(0.82)  # cos(i1, i2)
    off = 0.1 / math.sqrt(0.82)  # cos(i2, i3)
    expected = spark.createDataFrame(
        [
            ("i1", 1, "i2", close),
            ("i1", 2, "i3", 0.0),
            ("i2", 1, "i1", close),
            ("i2", 2, "i3", off),
            ("i3", 1, "i2", off),
            ("i3", 2, "i1", 0.0),  # i1 and i5 tie at 0: the smaller id first
            ("i5", 1, "i3", 0.0),
            ("i5", 2, "i2", -close),
        ],
        f"{C.ITEM_ID} string, {C.RANK} int, {C.SIMILAR_ITEM_ID} string, {C.SIMILARITY} double",
    )
    actual = similar_items(factors, top_n=2)
    assert_approx_df_equality(actual, expected, 1e-6, ignore_row_order=True, ignore_nullable=True)
