"""Planted bundles: sets of 2-3 items bought together far above chance (phone + case + charger).

Bundle b uses pair BUNDLE_PAIRS[b % len] and takes, in each of the pair's categories, popular items that
no other bundle uses (an item belongs to at most one bundle). When an order holds any member of a
bundle, each other member is added to that order with BUNDLE_ADD_PROB.
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from transforms import columns as C
from transforms.sample_data import ids
from transforms.sample_data.catalog import (
    BUNDLE_PAIRS,
    category_index,
    category_layout,
    established_local_index,
)
from transforms.sample_data.random import uniform

BUNDLE_ADD_PROB = 0.85

_MEMBER = "_member"


def _member_positions(bundle: int) -> list[tuple[int, int]]:
    """(category index, local index) of each member of bundle number `bundle`."""
    pair = BUNDLE_PAIRS[bundle % len(BUNDLE_PAIRS)]
    slot = bundle // len(BUNDLE_PAIRS)
    members = []
    for position, l2 in enumerate(pair):
        uses = pair.count(l2)
        occurrence = pair[:position].count(l2)
        members.append((category_index(l2), established_local_index(slot * uses + occurrence)))
    return members


def bundle_members(base: DataFrame, n_bundles: int, n_items: int) -> DataFrame:
    """Members of each bundle, from `base` = `spark.range(n_bundles)`.

    Returns:
        BUNDLE_ID ("b001", ...), ITEM_IDX, ITEM_ID.

    Raises:
        ValueError: When a category is too small for that many bundles.
    """
    layout = category_layout(n_items)
    for bundle in range(n_bundles):
        for category, local in _member_positions(bundle):
            if local >= layout.sizes[category]:
                raise ValueError(
                    f"generator.bundles = {n_bundles} needs more items per category than generator.items = "
                    f"{n_items} gives; lower bundles or raise items"
                )
    # Members as literal data per bundle: the bundle count is configuration, not data, so this stays small.
    member_lists = [
        F.array(*[F.lit(layout.offsets[c] + local).cast("long") for c, local in _member_positions(b)])
        for b in range(n_bundles)
    ]
    all_members = F.array(*member_lists) if member_lists else F.array().cast("array<array<bigint>>")
    by_bundle = F.element_at(all_members, (F.col(C.RANGE_ID) + F.lit(1)).cast("int"))
    return base.select(
        F.format_string("b%03d", F.col(C.RANGE_ID) + F.lit(1)).alias(C.BUNDLE_ID),
        F.explode(by_bundle).alias(_MEMBER),
    ).select(
        C.BUNDLE_ID,
        F.col(_MEMBER).cast("long").alias(C.ITEM_IDX),
        ids.item_id(F.col(_MEMBER).cast("long"), n_items).alias(C.ITEM_ID),
    )


def _literal_map(pairs: list[tuple[Column, Column]], key_type: str, value_type: str) -> Column:
    if not pairs:
        return F.create_map().cast(f"map<{key_type},{value_type}>")
    return F.create_map(*[part for pair in pairs for part in pair])


def with_bundle_items(orders: DataFrame, seed: int, n_bundles: int, n_items: int, lines: str) -> DataFrame:
    """Add the other members of every bundle an order touches to its array column `lines`.

    Each missing member is added (quantity 1) with BUNDLE_ADD_PROB. Membership is a literal map from item
    to bundle and from bundle to members, so this is row-local: no join, no shuffle.

    Args:
        orders: One row per order with SESSION_NO and `lines`, an array of struct(ITEM_IDX, QUANTITY)
            without repeated items.
        seed: Generator seed.
        n_bundles: Number of bundles (`generator.bundles`).
        n_items: Catalogue size.
        lines: Name of the array column.

    Returns:
        The columns of `orders`, with `lines` extended.
    """
    layout = category_layout(n_items)
    members = {
        bundle: [layout.offsets[c] + local for c, local in _member_positions(bundle)] for bundle in range(n_bundles)
    }
    bundle_by_item = _literal_map(
        [(F.lit(item).cast("long"), F.lit(bundle)) for bundle, items in members.items() for item in items],
        "bigint",
        "int",
    )
    items_by_bundle = _literal_map(
        [(F.lit(b), F.array(*[F.lit(i).cast("long") for i in items])) for b, items in members.items()],
        "int",
        "array<bigint>",
    )
    in_order = F.transform(F.col(lines), lambda line: line[C.ITEM_IDX])
    touched = F.array_distinct(F.filter(F.transform(in_order, lambda i: bundle_by_item[i]), lambda b: b.isNotNull()))
    partners = F.array_except(F.flatten(F.transform(touched, lambda b: items_by_bundle[b])), in_order)
    added = F.filter(
        partners, lambda item: uniform(seed, "bundle_add", C.SESSION_NO, item) < F.lit(BUNDLE_ADD_PROB)
    )
    new_lines = F.transform(
        added, lambda item: F.struct(item.alias(C.ITEM_IDX), F.lit(1).alias(C.QUANTITY))
    )
    # flatten() of an empty array of items keeps the element type, so orders without bundles pass through.
    return orders.select(
        *[F.concat(F.col(lines), new_lines).alias(lines) if c == lines else F.col(c) for c in orders.columns]
    )
