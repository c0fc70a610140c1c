"""The co-purchase graph against the generator's planted bundles (truth/bundles: BUNDLE_ID, ITEM_ID).

Pairs: every unordered pair of items of one bundle is a planted pair. Per edge type, a pair is found when
an edge joins its items; the lift rank of an edge is its position among the type's kept pairs by lift
(1 = highest), so the planted pairs should sit at the top. Groups: a bundle is recovered by a grouping
(connected components, label-propagation communities) when one group holds exactly its items.
"""

from __future__ import annotations

from collections.abc import Sequence

from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F

from sample_shop import columns as TC
from transforms import columns as C

_IN_TOP = "_in_top"
_GROUPS = "_groups"
_PLACED = "_placed"
_GROUP_SIZE = "_group_size"
_IN_ONE = "_in_one"
_MATCHED = "_matched"


def planted_pairs(bundles: DataFrame) -> DataFrame:
    """BUNDLE_ID, ITEM_A, ITEM_B (ITEM_A < ITEM_B): every pair of items of one bundle."""
    members = bundles.select(TC.BUNDLE_ID, C.ITEM_ID).distinct()
    return (
        members.withColumnRenamed(C.ITEM_ID, C.ITEM_A)
        .join(members.withColumnRenamed(C.ITEM_ID, C.ITEM_B), on=[TC.BUNDLE_ID], how="inner")
        .where(F.col(C.ITEM_A) < F.col(C.ITEM_B))
        .select(TC.BUNDLE_ID, C.ITEM_A, C.ITEM_B)
    )


def lift_ranked_pairs(edges: DataFrame) -> DataFrame:
    """Each edge type's kept pairs by lift.

    Args:
        edges: gold.copurchase_edges rows (SRC, DST, EDGE_TYPE, SUPPORT, LIFT), both directions.

    Returns:
        EDGE_TYPE, ITEM_A, ITEM_B, LIFT, LIFT_RANK (1 = highest lift; ties by support, then ids), TYPE_EDGES
        (the type's pair count).
    """
    by_lift = Window.partitionBy(C.EDGE_TYPE).orderBy(
        F.col(C.LIFT).desc(), F.col(C.SUPPORT).desc(), F.col(C.ITEM_A), F.col(C.ITEM_B)
    )
    return (
        edges.where(F.col(C.SRC) < F.col(C.DST))
        .select(C.EDGE_TYPE, F.col(C.SRC).alias(C.ITEM_A), F.col(C.DST).alias(C.ITEM_B), C.SUPPORT, C.LIFT)
        .withColumn(TC.LIFT_RANK, F.row_number().over(by_lift))
        .withColumn(TC.TYPE_EDGES, F.count(F.lit(1)).over(Window.partitionBy(C.EDGE_TYPE)))
        .select(C.EDGE_TYPE, C.ITEM_A, C.ITEM_B, C.LIFT, TC.LIFT_RANK, TC.TYPE_EDGES)
    )


def pair_recovery(pairs: DataFrame, ranked: DataFrame, edge_types: Sequence[str]) -> DataFrame:
    """Per edge type, how many planted pairs the edges hold and how high they rank by lift.

    Args:
        pairs: `planted_pairs` output.
        ranked: `lift_ranked_pairs` output.
        edge_types: every edge type to report, also those without edges.

    Returns:
        EDGE_TYPE, TYPE_EDGES, PLANTED_PAIRS, FOUND_PAIRS, FOUND_SHARE, MEDIAN_LIFT_RANK (of the found
        pairs), TOP_1PCT_SHARE and TOP_100_SHARE (shares of all planted pairs ranked in the type's top 1%
        of pairs, at least one, and in its top 100).
    """
    type_edges = ranked.groupBy(C.EDGE_TYPE).agg(F.max(TC.TYPE_EDGES).alias(TC.TYPE_EDGES))
    per_type = pairs.select(
        C.ITEM_A, C.ITEM_B, F.explode(F.array(*[F.lit(t) for t in edge_types])).alias(C.EDGE_TYPE)
    )
    rank = F.col(TC.LIFT_RANK)
    top_1pct = F.greatest(F.lit(1.0), F.ceil(F.col(TC.TYPE_EDGES) * F.lit(0.01)))
    # A pair appears once per type in `ranked`, and `type_edges` has one row per type.
    matched = per_type.join(
        ranked.select(C.EDGE_TYPE, C.ITEM_A, C.ITEM_B, TC.LIFT_RANK),
        on=[C.EDGE_TYPE, C.ITEM_A, C.ITEM_B],
        how="left",
    ).join(type_edges, on=[C.EDGE_TYPE], how="left")
    return (
        matched.groupBy(C.EDGE_TYPE)
        .agg(
            F.coalesce(F.max(TC.TYPE_EDGES), F.lit(0)).cast("long").alias(TC.TYPE_EDGES),
            F.count(F.lit(1)).alias(TC.PLANTED_PAIRS),
            F.count(rank).alias(TC.FOUND_PAIRS),
            F.median(rank).alias(TC.MEDIAN_LIFT_RANK),
            F.avg(F.when(rank <= top_1pct, 1.0).otherwise(0.0)).alias(TC.TOP_1PCT_SHARE),
            F.avg(F.when(rank <= 100, 1.0).otherwise(0.0)).alias(TC.TOP_100_SHARE),
        )
        .select(
            C.EDGE_TYPE,
            TC.TYPE_EDGES,
            TC.PLANTED_PAIRS,
            TC.FOUND_PAIRS,
            (F.col(TC.FOUND_PAIRS) / F.col(TC.PLANTED_PAIRS)).alias(TC.FOUND_SHARE),
            TC.MEDIAN_LIFT_RANK,
            TC.TOP_1PCT_SHARE,
            TC.TOP_100_SHARE,
        )
    )


def _grouping_matches(
    bundles: DataFrame, communities: DataFrame, group: str, size: str, max_bundle_size: int
) -> DataFrame:
    members = bundles.select(TC.BUNDLE_ID, C.ITEM_ID).distinct()
    # One row per item in gold.item_communities: one row per bundle member.
    placed = members.join(communities.select(C.ITEM_ID, group, size), on=[C.ITEM_ID], how="left")
    per_bundle = placed.groupBy(TC.BUNDLE_ID).agg(
        F.count(F.lit(1)).alias(TC.BUNDLE_SIZE),
        F.countDistinct(group).alias(_GROUPS),
        F.count(group).alias(_PLACED),
        F.max(size).alias(_GROUP_SIZE),
    )
    in_one = (F.col(_GROUPS) == 1) & (F.col(_PLACED) == F.col(TC.BUNDLE_SIZE))
    candidates = communities.where(F.col(size).between(2, max_bundle_size)).agg(
        F.countDistinct(group).alias(TC.CANDIDATES)
    )
    return (
        per_bundle.select(
            in_one.alias(_IN_ONE), (in_one & (F.col(_GROUP_SIZE) == F.col(TC.BUNDLE_SIZE))).alias(_MATCHED)
        )
        .agg(
            F.count(F.lit(1)).alias(TC.BUNDLES),
            F.count(F.when(F.col(_IN_ONE), 1)).alias(TC.BUNDLES_IN_ONE_GROUP),
            F.count(F.when(F.col(_MATCHED), 1)).alias(TC.BUNDLES_MATCHED),
        )
        .crossJoin(candidates)
        .select(
            F.lit(group).alias(TC.GROUPING),
            TC.BUNDLES,
            TC.BUNDLES_IN_ONE_GROUP,
            TC.BUNDLES_MATCHED,
            TC.CANDIDATES,
        )
    )


def bundle_matches(bundles: DataFrame, communities: DataFrame, max_bundle_size: int) -> DataFrame:
    """How many planted bundles the components and the communities recover.

    Args:
        bundles: truth/bundles (BUNDLE_ID, ITEM_ID).
        communities: gold.item_communities rows of one snapshot date.
        max_bundle_size: groups of 2 to this many items count as candidates.

    Returns:
        One row per GROUPING ("component", "community"): BUNDLES, BUNDLES_IN_ONE_GROUP (all members in
        one group), BUNDLES_MATCHED (a group of exactly the bundle's items), CANDIDATES (groups of
        2..max_bundle_size items).
    """
    return _grouping_matches(
        bundles, communities, C.COMPONENT, C.COMPONENT_SIZE, max_bundle_size
    ).unionByName(_grouping_matches(bundles, communities, C.COMMUNITY, C.COMMUNITY_SIZE, max_bundle_size))
