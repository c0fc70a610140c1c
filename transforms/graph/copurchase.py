"""Co-purchase edges between items: association rules over orders (same_order) and over users (same_user).

For an edge type, a transaction is an order (same_order) or a user (same_user). With N transactions, n(i)
the transactions holding item i and n(i, j) those holding both (the SUPPORT):

    confidence(i -> j) = n(i, j) / n(i)        lift(i, j) = n(i, j) / E(i, j),  E(i, j) = n(i) * n(j) / N

    shrunk_lift(i, j) = (n(i, j) + m) / (E(i, j) + m)        m = graph.lift_prior_strength

E(i, j) is the support expected if i and j were bought independently. Lift alone rewards rare items: two
items bought 3 times each, always together, reach lift N / 3 on 3 orders. The shrunk lift is the posterior
mean of the pair's lift when n(i, j) is Poisson with mean lift * E(i, j) and the lift has a Gamma(m, m)
prior (mean 1, independence, worth m expected co-occurrences), as pharmacovigilance shrinks its
disproportionality scores (BCPNN's information component is its log2 with m = 0.5; DuMouchel's
gamma-Poisson shrinker fits a mixture of such priors to the data). It is 1 at independence whatever the
support, tends to the lift as the support grows, never exceeds 1 + n(i, j) / m, and at a given lift above 1
grows with the support; a small m ranks like the lift, a large one like the support above chance,
n(i, j) - E(i, j). A lower confidence bound would not do: 3 co-occurrences where 0.007 were expected are not
doubtful (the bound of log lift at z = 1.96 still gives lift 145), they are just too few to say the lift is
large.

A user holds the pair (i, j) when they bought both at most `window_days` days apart (shop-local order
dates; the same order counts). Pairs below the type's minimum support or (raw) lift are dropped. Every kept
pair is written in both directions, src -> dst with confidence(src -> dst), as GraphFrames' directed edges:
"what goes with item x" is then a filter on SRC, and PageRank on the edges treats the pair as undirected.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from transforms import columns as C
from transforms import tables
from transforms.vocabulary import COPURCHASE_EDGE_TYPES as EDGE_TYPES
from transforms.vocabulary import SAME_ORDER, SAME_USER

# window_order_counts' columns.
PLACED = "placed"
COUNTED = "counted"
WITH_ITEMS = "with_items"

_HAS_ITEMS = "_has_items"
_COUNT_A = "_count_a"
_COUNT_B = "_count_b"
_EXPECTED = "_expected"
_DATE_A = "_date_a"
_DATE_B = "_date_b"


def purchased_lines(
    order_items: DataFrame,
    orders: DataFrame,
    statuses: Sequence[str],
    first_date: dt.date,
    last_date: dt.date,
) -> DataFrame:
    """The distinct items of every counted order placed from `first_date` through `last_date`.

    Args:
        order_items: silver.order_items (ORDER_ID, USER_ID, ITEM_ID, ORDER_DATE).
        orders: silver.orders (ORDER_ID, STATUS, ORDER_DATE); an order counts when its status is in `statuses`.

    Returns:
        USER_ID, ORDER_ID, ITEM_ID, ORDER_DATE: one row per (order, item).
    """
    in_window = F.col(C.ORDER_DATE).between(F.lit(first_date), F.lit(last_date))
    counted = orders.where(in_window & F.col(C.STATUS).isin(list(statuses))).select(C.ORDER_ID)
    # A semi join keeps each order line at most once, whatever the orders table holds.
    return (
        order_items.where(in_window & F.col(C.ITEM_ID).isNotNull())
        .join(counted, on=[C.ORDER_ID], how="left_semi")
        .select(C.USER_ID, C.ORDER_ID, C.ITEM_ID, C.ORDER_DATE)
        .distinct()
    )


def window_order_counts(
    order_items: DataFrame,
    orders: DataFrame,
    statuses: Sequence[str],
    first_date: dt.date,
    last_date: dt.date,
) -> DataFrame:
    """What the graph's input holds, to say what it lacks when no item was bought: one row with PLACED
    (placed from `first_date` through `last_date`), COUNTED (of them, with a status in `statuses`) and
    WITH_ITEMS (of those, with a line naming an item)."""
    in_window = F.col(C.ORDER_DATE).between(F.lit(first_date), F.lit(last_date))
    with_items = (
        order_items.where(in_window & F.col(C.ITEM_ID).isNotNull())
        .select(C.ORDER_ID)
        .distinct()
        .select(C.ORDER_ID, F.lit(True).alias(_HAS_ITEMS))
    )
    counted = F.col(C.STATUS).isin(list(statuses))
    # `with_items` has one row per order id, so the left join keeps one row per order.
    return (
        orders.where(in_window)
        .join(with_items, on=[C.ORDER_ID], how="left")
        .agg(
            F.count(F.lit(1)).alias(PLACED),
            F.count(F.when(counted, True)).alias(COUNTED),
            F.count(F.when(counted & F.col(_HAS_ITEMS), True)).alias(WITH_ITEMS),
        )
    )


def empty_graph_reason(
    counts: Mapping[str, int], statuses: Sequence[str], first_date: dt.date, last_date: dt.date
) -> str:
    """Why a window without a bought item has no graph, from its `window_order_counts` row: no order placed,
    none with a counted status (no payment recorded), or none with a line naming an item."""
    orders, order_items = tables.ORDERS.name, tables.ORDER_ITEMS.name
    window = f"{first_date}..{last_date}"
    if counts[PLACED] == 0:
        return f"{orders} has no orders placed in {window}: the co-purchase graph of {last_date} is empty"
    if counts[COUNTED] == 0:
        return (
            f"{orders} has {counts[PLACED]} orders placed in {window} but none with status {list(statuses)} (no "
            f"payment recorded: the collector's pay events, or an order export's {C.ORDER_STATUS} column or "
            f"ingest.order_lines.row_status): the co-purchase graph is empty"
        )
    return (
        f"{orders} has {counts[COUNTED]} orders with status {list(statuses)} in {window} but {order_items} holds "
        f"no line with an {C.ITEM_ID} for any of them (an order export without an item id column): the "
        f"co-purchase graph is empty"
    )


def _pair_edges(
    pair_support: DataFrame,
    item_transactions: DataFrame,
    transactions: DataFrame,
    edge_type: str,
    min_support: int,
    min_lift: float,
    lift_prior_strength: float,
) -> DataFrame:
    """Directed edges from pair supports.

    Args:
        pair_support: ITEM_A < ITEM_B, SUPPORT.
        item_transactions: ITEM_ID, SUPPORT (transactions holding the item), one row per item.
        transactions: one row, TRANSACTIONS (all transactions of the type).
        lift_prior_strength: m of the shrunk lift, in co-occurrences (the module's docstring).
    """
    if lift_prior_strength <= 0:
        raise ValueError(f"graph.lift_prior_strength must be > 0, got {lift_prior_strength}")
    prior = F.lit(float(lift_prior_strength))
    counts = item_transactions.select(C.ITEM_ID, F.col(C.SUPPORT).alias(_COUNT_A))
    pairs = (
        pair_support.where(F.col(C.SUPPORT) >= F.lit(min_support))
        # One row per item on each side, so these joins keep one row per pair.
        .join(counts.withColumnRenamed(C.ITEM_ID, C.ITEM_A), on=[C.ITEM_A], how="inner")
        .join(
            counts.select(F.col(C.ITEM_ID).alias(C.ITEM_B), F.col(_COUNT_A).alias(_COUNT_B)),
            on=[C.ITEM_B],
            how="inner",
        )
        .crossJoin(F.broadcast(transactions))
        .withColumn(_EXPECTED, F.col(_COUNT_A).cast("double") * F.col(_COUNT_B) / F.col(C.TRANSACTIONS))
        .withColumn(C.LIFT, F.col(C.SUPPORT) / F.col(_EXPECTED))
        .withColumn(C.SHRUNK_LIFT, (F.col(C.SUPPORT) + prior) / (F.col(_EXPECTED) + prior))
        # The raw lift prunes: an edge says the pair is bought together above chance, and the graph
        # algorithms run on the edges. The shrunk lift ranks; pruning by it would add a second, hidden
        # minimum support (a pair scores at most 1 + support / m).
        .where(F.col(C.LIFT) >= F.lit(min_lift))
    )
    both_ways = F.array(
        F.struct(
            F.col(C.ITEM_A).alias(C.SRC),
            F.col(C.ITEM_B).alias(C.DST),
            (F.col(C.SUPPORT) / F.col(_COUNT_A)).alias(C.CONFIDENCE),
        ),
        F.struct(
            F.col(C.ITEM_B).alias(C.SRC),
            F.col(C.ITEM_A).alias(C.DST),
            (F.col(C.SUPPORT) / F.col(_COUNT_B)).alias(C.CONFIDENCE),
        ),
    )
    return pairs.select(F.explode(both_ways).alias("_edge"), C.SUPPORT, C.LIFT, C.SHRUNK_LIFT).select(
        F.col(f"_edge.{C.SRC}").alias(C.SRC),
        F.col(f"_edge.{C.DST}").alias(C.DST),
        F.lit(edge_type).alias(C.EDGE_TYPE),
        F.col(C.SUPPORT).cast("long").alias(C.SUPPORT),
        F.col(f"_edge.{C.CONFIDENCE}").cast("double").alias(C.CONFIDENCE),
        F.col(C.LIFT).cast("double").alias(C.LIFT),
        F.col(C.SHRUNK_LIFT).cast("double").alias(C.SHRUNK_LIFT),
    )


def same_order_edges(
    lines: DataFrame, min_support: int, min_lift: float, lift_prior_strength: float
) -> DataFrame:
    """Edges between items bought in one order; SUPPORT counts orders.

    Args:
        lines: `purchased_lines` output.

    Returns:
        SRC, DST, EDGE_TYPE ("same_order"), SUPPORT, CONFIDENCE, LIFT, SHRUNK_LIFT.
    """
    baskets = lines.select(C.ORDER_ID, C.ITEM_ID)
    pairs = (
        baskets.withColumnRenamed(C.ITEM_ID, C.ITEM_A)
        .join(baskets.withColumnRenamed(C.ITEM_ID, C.ITEM_B), on=[C.ORDER_ID], how="inner")
        .where(F.col(C.ITEM_A) < F.col(C.ITEM_B))
        .groupBy(C.ITEM_A, C.ITEM_B)
        .agg(F.count(F.lit(1)).alias(C.SUPPORT))
    )
    per_item = baskets.groupBy(C.ITEM_ID).agg(F.count(F.lit(1)).alias(C.SUPPORT))
    orders = baskets.agg(F.countDistinct(C.ORDER_ID).alias(C.TRANSACTIONS))
    return _pair_edges(pairs, per_item, orders, SAME_ORDER, min_support, min_lift, lift_prior_strength)


def same_user_edges(
    lines: DataFrame, window_days: int, min_support: int, min_lift: float, lift_prior_strength: float
) -> DataFrame:
    """Edges between items one user bought at most `window_days` days apart; SUPPORT counts users.

    Args:
        lines: `purchased_lines` output.

    Returns:
        SRC, DST, EDGE_TYPE ("same_user"), SUPPORT, CONFIDENCE, LIFT, SHRUNK_LIFT.
    """
    bought = lines.select(C.USER_ID, C.ITEM_ID, C.ORDER_DATE).distinct()
    pairs = (
        bought.select(C.USER_ID, F.col(C.ITEM_ID).alias(C.ITEM_A), F.col(C.ORDER_DATE).alias(_DATE_A))
        .join(
            bought.select(C.USER_ID, F.col(C.ITEM_ID).alias(C.ITEM_B), F.col(C.ORDER_DATE).alias(_DATE_B)),
            on=[C.USER_ID],
            how="inner",
        )
        .where(
            (F.col(C.ITEM_A) < F.col(C.ITEM_B))
            & (F.abs(F.datediff(F.col(_DATE_A), F.col(_DATE_B))) <= F.lit(window_days))
        )
        .select(C.USER_ID, C.ITEM_A, C.ITEM_B)
        .distinct()
        .groupBy(C.ITEM_A, C.ITEM_B)
        .agg(F.count(F.lit(1)).alias(C.SUPPORT))
    )
    per_item = bought.groupBy(C.ITEM_ID).agg(F.countDistinct(C.USER_ID).alias(C.SUPPORT))
    users = bought.agg(F.countDistinct(C.USER_ID).alias(C.TRANSACTIONS))
    return _pair_edges(pairs, per_item, users, SAME_USER, min_support, min_lift, lift_prior_strength)


def copurchase_edges(
    lines: DataFrame,
    window_days: int,
    min_support: Mapping[str, int],
    min_lift: Mapping[str, float],
    lift_prior_strength: float,
) -> DataFrame:
    """Both edge types, pruned by their own minimum support and lift (keyed by edge type), with the shrunk
    lift of prior strength `lift_prior_strength`.

    Returns:
        SRC, DST, EDGE_TYPE, SUPPORT, CONFIDENCE, LIFT, SHRUNK_LIFT.
    """
    missing = [t for t in EDGE_TYPES if t not in min_support or t not in min_lift]
    if missing:
        raise ValueError(f"graph.min_support and graph.min_lift need a value for the edge types {missing}")
    same_order = same_order_edges(lines, min_support[SAME_ORDER], min_lift[SAME_ORDER], lift_prior_strength)
    return same_order.unionByName(
        same_user_edges(lines, window_days, min_support[SAME_USER], min_lift[SAME_USER], lift_prior_strength)
    )


def graph_vertices(lines: DataFrame) -> DataFrame:
    """VERTEX_ID: every item bought in the window, the graph's vertices."""
    return lines.select(F.col(C.ITEM_ID).alias(C.VERTEX_ID)).distinct()


def graph_edges(edges: DataFrame, edge_types: Sequence[str]) -> DataFrame:
    """SRC, DST: the distinct directed edges of `edge_types`, what the graph algorithms run on."""
    return edges.where(F.col(C.EDGE_TYPE).isin(list(edge_types))).select(C.SRC, C.DST).distinct()
