"""Co-purchase edges, "bought together" and bundle recovery on hand-counted fixtures; the graph settings."""

from __future__ import annotations

import datetime as dt

import pytest
from chispa import assert_approx_df_equality, assert_df_equality
from pyspark.sql import functions as F

from sample_shop import columns as TC
from sample_shop.truth.bundle_recovery import bundle_matches, lift_ranked_pairs, pair_recovery, planted_pairs
from shop_platform.config import ConfigError, load_config
from transforms import columns as C
from transforms.graph.bought_together import bought_together
from transforms.graph.copurchase import (
    COUNTED,
    EDGE_TYPES,
    PLACED,
    WITH_ITEMS,
    empty_graph_reason,
    purchased_lines,
    same_order_edges,
    same_user_edges,
    window_order_counts,
)
from transforms.schemas import SILVER_ORDER_ITEMS_SCHEMA, SILVER_ORDERS_SCHEMA

D = dt.date(2026, 10, 20)
EDGE_COLUMNS = (
    f"{C.SRC} string, {C.DST} string, {C.EDGE_TYPE} string, {C.SUPPORT} long, {C.CONFIDENCE} double, "
    f"{C.LIFT} double, {C.SHRUNK_LIFT} double"
)
PARTNER_COLUMNS = (
    f"{C.ITEM_ID} string, {C.RANK} int, {C.PARTNER_ID} string, {C.EDGE_TYPE} string, {C.SUPPORT} long, "
    f"{C.CONFIDENCE} double, {C.LIFT} double, {C.SHRUNK_LIFT} double"
)
LINE_COLUMNS = f"{C.USER_ID} string, {C.ORDER_ID} string, {C.ITEM_ID} string, {C.ORDER_DATE} date"


def order_row(order_id: str, user_id: str, day: dt.date, status: str) -> tuple:
    row = {f.name: None for f in SILVER_ORDERS_SCHEMA.fields}
    row.update(order_id=order_id, user_id=user_id, order_date=day, status=status)
    return tuple(row[f.name] for f in SILVER_ORDERS_SCHEMA.fields)


def item_row(order_id: str, user_id: str, item_id: str, day: dt.date) -> tuple:
    row = {f.name: None for f in SILVER_ORDER_ITEMS_SCHEMA.fields}
    row.update(order_id=order_id, user_id=user_id, item_id=item_id, order_date=day, quantity=1)
    return tuple(row[f.name] for f in SILVER_ORDER_ITEMS_SCHEMA.fields)


def test_purchased_lines_keep_counted_statuses_inside_the_window(spark):
    orders_df = spark.createDataFrame(
        [
            order_row("o1", "u1", D, "paid"),
            order_row("o2", "u2", D, "placed"),  # never paid: not counted
            order_row("o3", "u3", D, "refunded"),  # paid, then refunded: still bought together
            order_row("o4", "u4", D - dt.timedelta(days=10), "paid"),  # before the window
        ],
        SILVER_ORDERS_SCHEMA,
    )
    items = spark.createDataFrame(
        [
            item_row("o1", "u1", "a", D),
            item_row("o1", "u1", "b", D),
            item_row("o2", "u2", "a", D),
            item_row("o3", "u3", "c", D),
            item_row("o4", "u4", "a", D - dt.timedelta(days=10)),
        ],
        SILVER_ORDER_ITEMS_SCHEMA,
    )
    actual = purchased_lines(items, orders_df, ["paid", "refunded"], D - dt.timedelta(days=6), D)
    expected = spark.createDataFrame(
        [("u1", "o1", "a", D), ("u1", "o1", "b", D), ("u3", "o3", "c", D)], LINE_COLUMNS
    )
    assert_df_equality(actual, expected, ignore_row_order=True, ignore_nullable=True)


def basket_lines(spark):
    """Five orders: {a, b, c}, {a, b}, {a, b}, {c, d}, {d}. n(a) = n(b) = 3, n(c) = n(d) = 2."""
    baskets = {"o1": "abc", "o2": "ab", "o3": "ab", "o4": "cd", "o5": "d"}
    rows = [(f"u{order[1]}", order, item, D) for order, items in baskets.items() for item in items]
    return spark.createDataFrame(rows, LINE_COLUMNS)


def test_same_order_edges_count_orders_and_go_both_ways(spark):
    # ab: 3 orders, expected 3*3/5, lift 3/1.8, shrunk (3+2)/(1.8+2); cd: 1 order, expected 2*2/5, lift
    # 1/0.8, shrunk (1+2)/(0.8+2); ac and bc: lift 5/6, below 1.
    actual = same_order_edges(basket_lines(spark), min_support=1, min_lift=1.0, lift_prior_strength=2.0)
    expected = spark.createDataFrame(
        [
            ("a", "b", "same_order", 3, 1.0, 5 / 3, 5 / 3.8),
            ("b", "a", "same_order", 3, 1.0, 5 / 3, 5 / 3.8),
            ("c", "d", "same_order", 1, 0.5, 1.25, 3 / 2.8),
            ("d", "c", "same_order", 1, 0.5, 1.25, 3 / 2.8),
        ],
        EDGE_COLUMNS,
    )
    assert_approx_df_equality(actual, expected, 1e-12, ignore_row_order=True, ignore_nullable=True)


def test_same_order_edges_are_pruned_by_support_and_raw_lift(spark):
    lines = basket_lines(spark)
    kept = same_order_edges(lines, min_support=2, min_lift=1.0, lift_prior_strength=1.0)
    assert sorted((r[C.SRC], r[C.DST]) for r in kept.collect()) == [("a", "b"), ("b", "a")]
    # cd's lift 1.25 is below 1.5; ab's lift 5/3 passes though its shrunk lift (3+1)/(1.8+1) = 1.43 would
    # not: the raw lift prunes.
    kept = same_order_edges(lines, min_support=1, min_lift=1.5, lift_prior_strength=1.0)
    assert sorted((r[C.SRC], r[C.DST]) for r in kept.collect()) == [("a", "b"), ("b", "a")]


def test_same_user_edges_pair_items_bought_within_the_window(spark):
    day = dt.timedelta(days=1)
    lines = spark.createDataFrame(
        [
            ("u1", "o1", "a", D),
            ("u1", "o2", "b", D + 10 * day),
            ("u1", "o3", "c", D + 20 * day),  # 20 days after a (too far), 10 after b
            ("u2", "o4", "a", D),
            ("u2", "o5", "b", D + 14 * day),  # exactly the window
            ("u3", "o6", "a", D),
            ("u3", "o7", "b", D + 15 * day),  # one day too far
        ],
        LINE_COLUMNS,
    )
    # Three users; n(a) = n(b) = 3, n(c) = 1. ab: u1 and u2, expected 3*3/3, shrunk (2+2)/(3+2); bc: u1,
    # expected 3*1/3: at independence the shrunk lift is 1 too.
    actual = same_user_edges(lines, window_days=14, min_support=1, min_lift=0.0, lift_prior_strength=2.0)
    expected = spark.createDataFrame(
        [
            ("a", "b", "same_user", 2, 2 / 3, 2 * 3 / 9, 0.8),
            ("b", "a", "same_user", 2, 2 / 3, 2 * 3 / 9, 0.8),
            ("b", "c", "same_user", 1, 1 / 3, 1.0, 1.0),
            ("c", "b", "same_user", 1, 1.0, 1.0, 1.0),
        ],
        EDGE_COLUMNS,
    )
    assert_approx_df_equality(actual, expected, 1e-12, ignore_row_order=True, ignore_nullable=True)


def test_bought_together_prefers_same_order_edges_and_ranks_by_shrunk_lift_then_support(spark):
    edges = spark.createDataFrame(
        [
            ("a", "b", "same_order", 5, 0.5, 3.0, 2.0),
            ("a", "b", "same_user", 8, 0.8, 9.0, 5.0),  # the same partner: the same_order edge stands
            ("a", "c", "same_user", 6, 0.6, 4.0, 3.0),
            ("a", "d", "same_order", 8, 0.2, 3.5, 3.0),  # c's shrunk lift, more support
            ("a", "e", "same_order", 6, 0.9, 9.0, 3.0),  # c's shrunk lift and support: by id
            ("b", "a", "same_order", 5, 0.7, 3.0, 2.0),
        ],
        EDGE_COLUMNS,
    )
    actual = bought_together(edges, top_n=3)
    expected = spark.createDataFrame(
        [
            ("a", 1, "d", "same_order", 8, 0.2, 3.5, 3.0),
            ("a", 2, "c", "same_user", 6, 0.6, 4.0, 3.0),
            ("a", 3, "e", "same_order", 6, 0.9, 9.0, 3.0),
            ("b", 1, "a", "same_order", 5, 0.7, 3.0, 2.0),
        ],
        PARTNER_COLUMNS,
    )
    assert_df_equality(actual, expected, ignore_row_order=True, ignore_nullable=True)


def test_bought_together_puts_a_rare_high_lift_partner_below_frequent_ones(spark):
    """200 orders. x is in 60: with f in 30 (f in 40 in all), with g in 15 (g in 20), with r in 3 (r in
    exactly those), with p in 50 (p in 150). Expected supports E = n(x) n(partner) / 200 and shrunk lifts
    (n + 3) / (E + 3): f 12 and 33/15; g 6 and 18/9; r 0.9 and 6/3.9; p 45 and 53/48. By lift r (10/3)
    would come first, by confidence p (50/60)."""
    baskets = (
        [["x", "f", "p"]] * 30 + [["x", "g", "p"]] * 15 + [["x", "r", "p"]] * 3 + [["x", "p"]] * 2
        + [["x"]] * 10 + [["f"]] * 10 + [["g"]] * 5 + [["p"]] * 100 + [["z"]] * 25
    )  # fmt: skip
    rows = [("u", f"o{n}", item, D) for n, basket in enumerate(baskets) for item in basket]
    edges = same_order_edges(
        spark.createDataFrame(rows, LINE_COLUMNS), min_support=1, min_lift=0.0, lift_prior_strength=3.0
    )
    actual = bought_together(edges, top_n=3).where(F.col(C.ITEM_ID) == "x")
    expected = spark.createDataFrame(
        [
            ("x", 1, "f", "same_order", 30, 0.5, 2.5, 33 / 15),
            ("x", 2, "g", "same_order", 15, 0.25, 2.5, 18 / 9),
            ("x", 3, "r", "same_order", 3, 0.05, 10 / 3, 6 / 3.9),
        ],
        PARTNER_COLUMNS,
    )
    assert_approx_df_equality(actual, expected, 1e-12, ignore_row_order=True, ignore_nullable=True)


def test_bundle_recovery_counts_found_pairs_lift_ranks_and_matching_groups(spark):
    bundles = spark.createDataFrame(
        [("b1", "a"), ("b1", "b"), ("b2", "c"), ("b2", "d"), ("b2", "e")],
        f"{TC.BUNDLE_ID} string, {C.ITEM_ID} string",
    )
    # Planted pairs ab, cd, ce, de. same_order ranks by lift: ab 1, cd 2, xy 3, ce 4; de is missing.
    pairs = [("a", "b", 10.0), ("c", "d", 8.0), ("x", "y", 6.0), ("c", "e", 2.0)]
    edges = spark.createDataFrame(
        [(s, d, "same_order", 3, 0.5, lift, 1.0) for a, b, lift in pairs for s, d in ((a, b), (b, a))],
        EDGE_COLUMNS,
    )
    recovery = pair_recovery(planted_pairs(bundles), lift_ranked_pairs(edges), EDGE_TYPES)
    by_type = {row[C.EDGE_TYPE]: row.asDict() for row in recovery.collect()}
    assert by_type["same_order"] == {
        C.EDGE_TYPE: "same_order",
        TC.TYPE_EDGES: 4,
        TC.PLANTED_PAIRS: 4,
        TC.FOUND_PAIRS: 3,
        TC.FOUND_SHARE: 0.75,
        TC.MEDIAN_LIFT_RANK: 2.0,
        TC.TOP_1PCT_SHARE: 0.25,  # the top 1% of 4 pairs is the first one
        TC.TOP_100_SHARE: 0.75,
    }
    assert by_type["same_user"][TC.FOUND_PAIRS] == 0 and by_type["same_user"][TC.TYPE_EDGES] == 0

    communities = spark.createDataFrame(
        [
            ("a", "a", 2, "a", 2),
            ("b", "a", 2, "a", 2),
            ("c", "c", 3, "c", 2),
            ("d", "c", 3, "c", 2),
            ("e", "c", 3, "e", 1),  # label propagation split bundle b2
            ("x", "x", 2, "x", 2),
            ("y", "x", 2, "x", 2),
        ],
        f"{C.ITEM_ID} string, {C.COMPONENT} string, {C.COMPONENT_SIZE} long, {C.COMMUNITY} string, "
        f"{C.COMMUNITY_SIZE} long",
    )
    actual = bundle_matches(bundles, communities, max_bundle_size=5)
    expected = spark.createDataFrame(
        [("component", 2, 2, 2, 3), ("community", 2, 1, 1, 3)],
        f"{TC.GROUPING} string, {TC.BUNDLES} long, {TC.BUNDLES_IN_ONE_GROUP} long, {TC.BUNDLES_MATCHED} long, "
        f"{TC.CANDIDATES} long",
    )
    assert_df_equality(actual, expected, ignore_row_order=True, ignore_nullable=True)


def test_graph_settings_reject_unknown_edge_types():
    with pytest.raises(ConfigError, match="algorithm_edge_types"):
        load_config("local", ["graph.algorithm_edge_types=[same_basket]"])
    with pytest.raises(ConfigError, match="min_lift"):
        load_config("local", ["graph.min_lift.same_basket=2.0"])
    with pytest.raises(ConfigError, match="lift_prior_strength"):
        load_config("local", ["graph.lift_prior_strength=0"])


def test_window_order_counts_say_whether_payments_or_item_ids_are_missing(spark):
    week = (D - dt.timedelta(days=6), D)
    orders_df = spark.createDataFrame(
        [
            order_row("o1", "u1", D, "placed"),
            order_row("o2", "u2", D, "paid"),
            order_row("o3", "u3", D, "paid"),
            order_row("o4", "u4", D - dt.timedelta(days=10), "paid"),  # before the window
        ],
        SILVER_ORDERS_SCHEMA,
    )
    items = spark.createDataFrame(
        [item_row("o1", "u1", "a", D), item_row("o2", "u2", "a", D), item_row("o2", "u2", "b", D)],
        SILVER_ORDER_ITEMS_SCHEMA,
    )
    row = window_order_counts(items, orders_df, ["paid", "refunded"], *week).first()
    assert (row[PLACED], row[COUNTED], row[WITH_ITEMS]) == (3, 2, 1)
    no_items = spark.createDataFrame([], SILVER_ORDER_ITEMS_SCHEMA)
    row = window_order_counts(no_items, orders_df, ["paid"], *week).first()
    assert (row[PLACED], row[COUNTED], row[WITH_ITEMS]) == (3, 2, 0)


def test_an_empty_graph_names_what_its_orders_lack():
    first, last = dt.date(2026, 10, 14), dt.date(2026, 10, 20)

    def reason(placed: int, counted: int) -> str:
        counts = {PLACED: placed, COUNTED: counted, WITH_ITEMS: 0}
        return empty_graph_reason(counts, ["paid"], first, last)

    assert reason(0, 0) == (
        "silver.orders has no orders placed in 2026-10-14..2026-10-20: the co-purchase graph of 2026-10-20 is empty"
    )
    assert reason(3, 0).startswith(
        "silver.orders has 3 orders placed in 2026-10-14..2026-10-20 but none with status ['paid'] (no payment "
        "recorded"
    )
    assert reason(3, 2) == (
        "silver.orders has 2 orders with status ['paid'] in 2026-10-14..2026-10-20 but silver.order_items holds no "
        "line with an item_id for any of them (an order export without an item id column): the co-purchase graph "
        "is empty"
    )
