"""build_copurchase_graph end to end on hand-made silver orders: the four gold tables, a re-run that changes
nothing, and graph.engine=graphframes without its jar."""

from __future__ import annotations

import datetime as dt

import pytest
from chispa import assert_df_equality
from pyspark.sql import functions as F
from pyspark.sql import types as T

from jobs import build_copurchase_graph
from shop_platform.settings import LakeSettings
from shop_platform.storage import open_lake
from tests.job_logs import job_log_of
from transforms import columns as C
from transforms import tables
from transforms.schemas import (
    SILVER_ORDER_ITEMS_SCHEMA,
    SILVER_ORDERS_SCHEMA,
)

D = dt.date(2026, 10, 20)
# Baskets of paid orders, one user each: ab is bought together 3 times in 5 orders (lift 5/3).
BASKETS = {"o1": "abc", "o2": "ab", "o3": "ab", "o4": "cd", "o5": "d"}
STRICT = [
    "--set", "graph.min_support.same_order=2", "--set", "graph.min_lift.same_order=1.5",
    "--set", "graph.min_support.same_user=2", "--set", "graph.min_lift.same_user=1.5",
    # a few PageRank steps already order the items; the algorithms are checked against networkx elsewhere
    "--set", "graph.pagerank.max_iterations=3",
]  # fmt: skip


def row_of(schema, **values) -> tuple:
    return tuple(values.get(f.name) for f in schema.fields)


def run(root: str, *args: str) -> int:
    common = ["--env", "local", "--date", D.isoformat(), "--set", f"lake.root={root}"]
    return build_copurchase_graph.main([*common, "--set", "spark.shuffle_partitions=2", *STRICT, *args])


def test_job_writes_edges_rank_communities_and_partners_and_reruns_change_nothing(spark, lake_root):
    lake = open_lake(spark, LakeSettings(lake_root, "embedded", 168, 24))
    orders = [
        row_of(SILVER_ORDERS_SCHEMA, order_id=o, user_id=f"u{o[1]}", order_date=D, status="paid")
        for o in BASKETS
    ]
    # An unpaid order of a and b would make ab weaker; it must not count.
    orders.append(row_of(SILVER_ORDERS_SCHEMA, order_id="o9", user_id="u9", order_date=D, status="placed"))
    lines = [
        row_of(SILVER_ORDER_ITEMS_SCHEMA, order_id=o, user_id=f"u{o[1]}", item_id=i, quantity=1, order_date=D)
        for o, items in {**BASKETS, "o9": "ab"}.items()
        for i in items
    ]
    lake.table(tables.ORDERS).append(spark.createDataFrame(orders, SILVER_ORDERS_SCHEMA))
    lake.table(tables.ORDER_ITEMS).append(spark.createDataFrame(lines, SILVER_ORDER_ITEMS_SCHEMA))
    # gold.bought_together as a lake written before issue 18 holds it: without shrunk_lift.
    before_18 = T.StructType([f for f in tables.BOUGHT_TOGETHER.schema.fields if f.name != C.SHRUNK_LIFT])
    lake.table(tables.BOUGHT_TOGETHER, schema=before_18).create()

    assert run(lake_root) == 0

    edges = lake.table("gold.copurchase_edges").read()
    assert sorted((r[C.SRC], r[C.DST], r[C.EDGE_TYPE], r[C.SUPPORT]) for r in edges.collect()) == [
        ("a", "b", "same_order", 3),
        ("a", "b", "same_user", 3),
        ("b", "a", "same_order", 3),
        ("b", "a", "same_user", 3),
    ]
    assert {r[C.SNAPSHOT_DATE] for r in edges.collect()} == {D}
    ranks = lake.table("gold.item_rank").read().orderBy(C.RANK).collect()
    assert [(r[C.ITEM_ID], r[C.RANK], r[C.DEGREE]) for r in ranks] == [
        ("a", 1, 1),
        ("b", 2, 1),
        ("c", 3, 0),
        ("d", 4, 0),
    ]
    assert sum(r[C.PAGERANK] for r in ranks) == pytest.approx(1.0, abs=1e-9)
    communities = lake.table("gold.item_communities").read()
    assert sorted(
        (r[C.ITEM_ID], r[C.COMMUNITY], r[C.COMMUNITY_SIZE], r[C.BUNDLE_CANDIDATE])
        for r in communities.collect()
    ) == [("a", "a", 2, True), ("b", "a", 2, True), ("c", "c", 1, False), ("d", "d", 1, False)]
    partners = lake.table("gold.bought_together").read()
    # ab: 3 of 5 orders, n(a) = n(b) = 3: shrunk lift (3 + 3) / (9/5 + 3), the table evolved to hold it.
    assert sorted(
        (r[C.ITEM_ID], r[C.RANK], r[C.PARTNER_ID], r[C.EDGE_TYPE], round(r[C.SHRUNK_LIFT], 12))
        for r in partners.collect()
    ) == [("a", 1, "b", "same_order", 1.25), ("b", 1, "a", "same_order", 1.25)]

    names = ("gold.copurchase_edges", "gold.item_rank", "gold.item_communities", "gold.bought_together")
    before = {name: lake.table(name).version() for name in names}
    assert run(lake_root) == 0
    for name in names:
        table = lake.table(name)
        assert table.version() > before[name]
        assert_df_equality(table.read(version=before[name]), table.read(), ignore_row_order=True)

    # Asking for GraphFrames without its jar stops the job before anything is written.
    assert run(lake_root, "--set", "graph.engine=graphframes") == 2
    assert lake.table("gold.copurchase_edges").read().where(F.col(C.SNAPSHOT_DATE) == D).count() == 4


def test_an_export_without_item_ids_says_so_instead_of_a_silent_empty_graph(spark, lake_root):
    lake = open_lake(spark, LakeSettings(lake_root, "embedded", 168, 24))
    # Paid orders whose export had no item id column: silver.order_items holds no line for them.
    orders = [
        row_of(SILVER_ORDERS_SCHEMA, order_id=o, user_id="u1", order_date=D, status="paid") for o in BASKETS
    ]
    lake.table(tables.ORDERS).append(spark.createDataFrame(orders, SILVER_ORDERS_SCHEMA))
    lake.table(tables.ORDER_ITEMS).create()
    with job_log_of("jobs.build_copurchase_graph") as records:
        assert run(lake_root) == 0
    assert (
        "WARNING silver.orders has 5 orders with status ['paid', 'refunded'] in 2026-07-23..2026-10-20 but "
        "silver.order_items holds no line with an item_id for any of them (an order export without an item id "
        "column): the co-purchase graph is empty"
    ) in records.leveled
