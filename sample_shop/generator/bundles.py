"""Planted bundles: sets of 2-3 items bought together far above chance (phone + case + charger).

Bundle b uses pair BUNDLE_PAIRS[b % len] and takes, in each of the pair's categories, popular items that
no other bundle uses (an item belongs to at most one bundle). When an order holds any member of a
bundle, each other member is added to that order with BUNDLE_ADD_PROB.
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from sample_shop import columns as TC
from sample_shop.generator import ids
from sample_shop.generator.catalog import (
    BUNDLE_PAIRS,
    NEW_ARRIVAL_STRIDE,
    category_index,
    category_layout,
    established_local_index,
)
from sample_shop.generator.literals import literal_array, nth
from sample_shop.generator.random import uniform
from transforms import columns as C

BUNDLE_ADD_PROB = 0.85

_MEMBER = "_member"


def _member_positions(bundle: int, stride: int) -> list[tuple[int, int]]:
    """(category index, local index) of each member of bundle number `bundle`, none of them one of the
    new arrivals (one local index in every `stride`)."""
    pair = BUNDLE_PAIRS[bundle % len(BUNDLE_PAIRS)]
    slot = bundle // len(BUNDLE_PAIRS)
    members = []
    for position, l2 in enumerate(pair):
        uses = pair.count(l2)
        occurrence = pair[:position].count(l2)
        members.append((category_index(l2), established_local_index(slot * uses + occurrence, stride)))
    return members


def _member_items(n_bundles: int, n_items: int, stride: int) -> list[list[int]]:
    """The global item indexes of each bundle's members, by bundle number."""
    layout = category_layout(n_items)
    return [
        [layout.offsets[c] + local for c, local in _member_positions(b, stride)] for b in range(n_bundles)
    ]


def _member_table(members: list[list[int]]) -> tuple[Column, list[int], list[int]]:
    """All bundles' members end to end (a bigint array literal), and each bundle's offset and count in it."""
    counts = [len(items) for items in members]
    offsets = [sum(counts[:b]) for b in range(len(members))]
    return literal_array([i for items in members for i in items], "bigint"), offsets, counts


def bundle_members(
    base: DataFrame, n_bundles: int, n_items: int, stride: int = NEW_ARRIVAL_STRIDE
) -> DataFrame:
    """Members of each bundle, from `base` = `spark.range(n_bundles)`; `stride` spaces the new arrivals,
    which are never members (`launches.Launches.stride` when drift is on).

    Returns:
        BUNDLE_ID ("b001", ...), ITEM_IDX, ITEM_ID.

    Raises:
        ValueError: When a category is too small for that many bundles.
    """
    layout = category_layout(n_items)
    for bundle in range(n_bundles):
        for category, local in _member_positions(bundle, stride):
            if local >= layout.sizes[category]:
                raise ValueError(
                    f"generator.bundles = {n_bundles} needs more items per category than generator.items = "
                    f"{n_items} gives; lower bundles or raise items"
                )
    if n_bundles == 0:
        return base.select(
            F.lit(None).cast("string").alias(TC.BUNDLE_ID),
            F.lit(None).cast("long").alias(C.ITEM_IDX),
            F.lit(None).cast("string").alias(C.ITEM_ID),
        )
    # Members as literal data: the bundle count is configuration, not data, so this stays small.
    members, offsets, counts = _member_table(_member_items(n_bundles, n_items, stride))
    bundle = F.col(TC.RANGE_ID)
    return base.select(
        F.format_string("b%03d", bundle + F.lit(1)).alias(TC.BUNDLE_ID),
        F.explode(F.slice(members, nth(offsets, bundle) + F.lit(1), nth(counts, bundle))).alias(_MEMBER),
    ).select(
        TC.BUNDLE_ID,
        F.col(_MEMBER).alias(C.ITEM_IDX),
        ids.item_id(F.col(_MEMBER), n_items).alias(C.ITEM_ID),
    )


def with_bundle_items(
    orders: DataFrame,
    seed: int,
    n_bundles: int,
    n_items: int,
    lines: str,
    stride: int = NEW_ARRIVAL_STRIDE,
) -> DataFrame:
    """Add the other members of every bundle an order touches to its array column `lines`.

    Each missing member is added (quantity 1) with BUNDLE_ADD_PROB. Membership is a literal map from item
    to bundle and a literal array of members by bundle, so this is row-local: no join, no shuffle.

    Args:
        orders: One row per order with SESSION_NO and `lines`, an array of struct(ITEM_IDX, QUANTITY)
            without repeated items.
        seed: Generator seed.
        n_bundles: Number of bundles (`generator.bundles`).
        n_items: Catalogue size.
        lines: Name of the array column.
        stride: Spacing of the new arrivals (as for `bundle_members`).

    Returns:
        The columns of `orders`, with `lines` extended.
    """
    if n_bundles == 0:
        return orders
    member_items = _member_items(n_bundles, n_items, stride)
    members, offsets, counts = _member_table(member_items)
    bundle_by_item = F.map_from_arrays(
        members, literal_array([b for b, items in enumerate(member_items) for _ in items], "int")
    )

    def items_of(bundle: Column) -> Column:
        return F.slice(members, nth(offsets, bundle) + F.lit(1), nth(counts, bundle))

    in_order = F.transform(F.col(lines), lambda line: line[C.ITEM_IDX])
    touched = F.array_distinct(
        F.filter(F.transform(in_order, lambda i: bundle_by_item[i]), lambda b: b.isNotNull())
    )
    partners = F.array_except(F.flatten(F.transform(touched, items_of)), in_order)
    added = F.filter(
        partners, lambda item: uniform(seed, "bundle_add", TC.SESSION_NO, item) < F.lit(BUNDLE_ADD_PROB)
    )
    new_lines = F.transform(added, lambda item: F.struct(item.alias(C.ITEM_IDX), F.lit(1).alias(C.QUANTITY)))
    # flatten() of an empty array of items keeps the element type, so orders without bundles pass through.
    return orders.select(
        *[F.concat(F.col(lines), new_lines).alias(lines) if c == lines else F.col(c) for c in orders.columns]
    )
