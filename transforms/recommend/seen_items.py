"""What a user already has is not recommended again: one policy (`recommend.seen_items`) for every model.

A list slot spent on an item the user already bought (or, for one-shot catalogues such as films, already
rated) is wasted: on data without repeat purchases such an item is never relevant again. The baselines, ALS
and the blend all leave out the same pairs, so they are compared on equal terms and what is served follows
the same rule as what was evaluated:

    none          nothing is left out
    bought        items the user ordered (an order in the interactions as of the date)
    interacted    every item in the user's interactions (viewed, favourited, carted or ordered)

Items of the repeat-purchase categories (a listed category covers its subcategories: "food" covers
"food/snacks") are recommended again whatever the policy says.

A model that ranks items for a user scores deeper than k and drops the seen items (`top_unseen`): deep
enough that k unseen items remain when the user has seen `seen_depth` items, the most any listed user has.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import reduce

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

from shop_platform.settings import SeenItemsSettings
from transforms import columns as C
from transforms.vocabulary import EXCLUDE_BOUGHT, EXCLUDE_INTERACTED, EXCLUDE_NONE, SEEN_ITEMS_CHOICES

_SEEN = "_seen"


def repeat_purchase(category: Column, repeat_categories: Sequence[str]) -> Column:
    """True where `category` is one of `repeat_categories` or a subcategory of one ("food" covers "food/x")."""
    matches = [(category == F.lit(c)) | category.startswith(f"{c}/") for c in repeat_categories]
    return F.coalesce(reduce(lambda a, b: a | b, matches, F.lit(False)), F.lit(False))


def seen_pairs(interactions: DataFrame, categories: DataFrame, policy: SeenItemsSettings) -> DataFrame:
    """The (user, item) pairs the policy leaves out of every list.

    Args:
        interactions: USER_ID, ITEM_ID, ORDERS, STRENGTH (the matrix as of the date), and USER_IDX and
            ITEM_IDX when present (kept, for ALS scored on the driver).
        categories: ITEM_ID, CATEGORY; a seen item without a category is left out.
        policy: `recommend.seen_items`.

    Returns:
        USER_ID, ITEM_ID (and USER_IDX, ITEM_IDX where `interactions` has them): one row per pair.
    """
    if policy.exclude not in SEEN_ITEMS_CHOICES:
        raise ValueError(
            f"recommend.seen_items.exclude must be one of {', '.join(SEEN_ITEMS_CHOICES)}, got {policy.exclude!r}"
        )
    keys = [c for c in (C.USER_ID, C.ITEM_ID, C.USER_IDX, C.ITEM_IDX) if c in interactions.columns]
    kept = {
        EXCLUDE_NONE: F.lit(False),
        EXCLUDE_BOUGHT: F.col(C.ORDERS) > F.lit(0),
        EXCLUDE_INTERACTED: F.lit(True),
    }[policy.exclude]
    repeatable = categories.where(repeat_purchase(F.col(C.CATEGORY), policy.repeat_purchase_categories))
    return (
        interactions.where(kept)
        .select(*keys)
        .join(repeatable.select(C.ITEM_ID), on=[C.ITEM_ID], how="left_anti")
        .select(*keys)
    )


def without_seen(candidates: DataFrame, seen: DataFrame) -> DataFrame:
    """The candidates (USER_ID, ITEM_ID and any other columns) minus the `seen_pairs`."""
    return candidates.join(
        seen.select(C.USER_ID, C.ITEM_ID), on=[C.USER_ID, C.ITEM_ID], how="left_anti"
    ).select(*candidates.columns)


def seen_depth(seen: DataFrame, users: DataFrame) -> int:
    """The most seen items one of `users` (USER_ID) has: how much deeper than k a list must be scored so
    that k unseen items remain (one aggregate)."""
    counts = seen.join(users.select(C.USER_ID), on=[C.USER_ID], how="left_semi").groupBy(C.USER_ID).count()
    return counts.agg(F.max("count")).first()[0] or 0


def unseen_of_ranking(ranking: DataFrame, users: DataFrame, seen: DataFrame, k: int) -> DataFrame:
    """Each user's first `k` unseen items of one ranking shared by every user (popularity).

    A user is offered the ranking down to k plus the number of its items the user has seen, which is just
    deep enough.

    Args:
        ranking: ITEM_ID, RANK (1 = first, distinct), SCORE.
        users: USER_ID, one row per user to recommend to.
        seen: `seen_pairs` output.

    Returns:
        USER_ID, RANK, ITEM_ID, SCORE.
    """
    users = users.select(C.USER_ID)
    seen_ranked = seen.select(C.USER_ID, C.ITEM_ID).join(users, on=[C.USER_ID], how="left_semi")
    seen_ranked = seen_ranked.join(ranking.select(C.ITEM_ID), on=[C.ITEM_ID], how="left_semi")
    counts = seen_ranked.groupBy(C.USER_ID).agg(F.count(F.lit(1)).alias(_SEEN))
    depth = k + (counts.agg(F.max(_SEEN)).first()[0] or 0)
    top = ranking.where(F.col(C.RANK) <= F.lit(depth)).select(C.ITEM_ID, C.RANK, C.SCORE)
    # A small ranking on the right: each user meets just the rows above its own depth.
    offered = (
        users.join(counts, on=[C.USER_ID], how="left")
        .join(F.broadcast(top), F.col(C.RANK) <= F.lit(k) + F.coalesce(F.col(_SEEN), F.lit(0)), "inner")
        .select(C.USER_ID, C.RANK, C.ITEM_ID, C.SCORE)
    )
    return top_unseen(offered, seen_ranked, k)


def top_unseen(lists: DataFrame, seen: DataFrame, k: int) -> DataFrame:
    """Each user's first `k` unseen items of `lists`, ranked 1..k in their order there.

    Args:
        lists: USER_ID, RANK, ITEM_ID, SCORE, scored at least k + `seen_depth` deep for an exact top k.
        seen: `seen_pairs` output.

    Returns:
        USER_ID, RANK, ITEM_ID, SCORE.
    """
    in_list_order = Window.partitionBy(C.USER_ID).orderBy(F.col(C.RANK), F.col(C.ITEM_ID))
    return (
        without_seen(lists.select(C.USER_ID, C.RANK, C.ITEM_ID, C.SCORE), seen)
        .select(C.USER_ID, C.ITEM_ID, C.SCORE, F.row_number().over(in_list_order).alias(_SEEN))
        .where(F.col(_SEEN) <= F.lit(k))
        .select(C.USER_ID, F.col(_SEEN).cast("int").alias(C.RANK), C.ITEM_ID, C.SCORE)
    )
