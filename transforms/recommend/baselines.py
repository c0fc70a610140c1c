"""Baselines every recommender must beat: global popularity and popularity within the user's categories.

Popularity is an item's summed interaction strength in the training data: weighted by event type and
decayed like the matrix, so it favours what is bought and carted now. Both baselines recommend only items
seen in training, as ALS does, and leave out what the user already has (`recommend.seen_items`, the
policy every model follows: transforms/recommend/seen_items.py) when given its pairs.
"""

from __future__ import annotations

from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F

from transforms import columns as C
from transforms.recommend.seen_items import seen_depth, top_unseen, unseen_of_ranking

_TOTAL = "_total"


def item_popularity(train: DataFrame) -> DataFrame:
    """Every training item's popularity and its rank (1 = most popular, ties by item id).

    Args:
        train: USER_ID, ITEM_ID, STRENGTH (the training interactions).

    Returns:
        ITEM_ID, POPULARITY, POPULARITY_RANK.
    """
    # One global ordering: a window without partitions runs on one task, fine for a catalogue's items.
    most_popular_first = Window.orderBy(F.col(C.POPULARITY).desc(), F.col(C.ITEM_ID))
    return (
        train.groupBy(C.ITEM_ID)
        .agg(F.sum(C.STRENGTH).alias(C.POPULARITY))
        .select(C.ITEM_ID, C.POPULARITY, F.row_number().over(most_popular_first).alias(C.POPULARITY_RANK))
    )


def popular_items(
    popularity: DataFrame, users: DataFrame, *, k: int, seen: DataFrame | None = None
) -> DataFrame:
    """The same `k` most popular items for every user; with `seen`, each user's `k` most popular items
    outside the user's seen pairs.

    Args:
        popularity: `item_popularity` output.
        users: USER_ID, one row per user to recommend to.
        seen: `seen_items.seen_pairs` output, or None to leave nothing out.

    Returns:
        USER_ID, RANK, ITEM_ID, SCORE (the item's popularity).
    """
    if seen is not None:
        ranking = popularity.select(
            C.ITEM_ID,
            F.col(C.POPULARITY_RANK).alias(C.RANK),
            F.col(C.POPULARITY).cast("double").alias(C.SCORE),
        )
        return unseen_of_ranking(ranking, users, seen, k)
    top = popularity.where(F.col(C.POPULARITY_RANK) <= F.lit(k)).select(
        F.col(C.POPULARITY_RANK).cast("int").alias(C.RANK), C.ITEM_ID, F.col(C.POPULARITY).alias(C.SCORE)
    )
    # k rows on the right: the cross join yields exactly k rows per user.
    return (
        users.select(C.USER_ID)
        .crossJoin(F.broadcast(top))
        .select(C.USER_ID, C.RANK, C.ITEM_ID, F.col(C.SCORE).cast("double").alias(C.SCORE))
    )


def item_categories(events: DataFrame) -> DataFrame:
    """One category per item, from the events that name it.

    Collector events carry the catalogue's two-level category, Taobao rows a category id (as in
    `transforms.sessions`). An item listed under more than one category keeps the smallest name, so the
    lookup is deterministic.

    Args:
        events: silver.events (ITEM_ID, CATEGORY_ID, CATEGORY_L1, CATEGORY_L2).

    Returns:
        ITEM_ID, CATEGORY: one row per item with a known category.
    """
    category = F.coalesce(
        F.col(C.CATEGORY_ID),
        F.when(
            F.col(C.CATEGORY_L2).isNotNull(), F.concat_ws("/", F.col(C.CATEGORY_L1), F.col(C.CATEGORY_L2))
        ),
        F.col(C.CATEGORY_L1),
    )
    return (
        events.where(F.col(C.ITEM_ID).isNotNull())
        .select(C.ITEM_ID, category.alias(C.CATEGORY))
        .where(F.col(C.CATEGORY).isNotNull())
        .groupBy(C.ITEM_ID)
        .agg(F.min(C.CATEGORY).alias(C.CATEGORY))
        .select(C.ITEM_ID, C.CATEGORY)
    )


def updated_item_categories(known: DataFrame, events: DataFrame) -> DataFrame:
    """`known` (an earlier `item_categories` output) updated with `events`: the same rows as
    `item_categories` of all the events behind `known` and `events` together, since the smallest name of
    a union is the smallest of the parts' smallest names. So a daily run reads only its window of events.

    Returns:
        ITEM_ID, CATEGORY: one row per item with a known category.
    """
    return (
        known.select(C.ITEM_ID, C.CATEGORY)
        .unionByName(item_categories(events))
        .groupBy(C.ITEM_ID)
        .agg(F.min(C.CATEGORY).alias(C.CATEGORY))
        .select(C.ITEM_ID, C.CATEGORY)
    )


def preferred_categories(train: DataFrame, categories: DataFrame, *, top: int) -> DataFrame:
    """Each user's `top` categories by training strength, with their share of the user's strength.

    Args:
        train: USER_ID, ITEM_ID, STRENGTH.
        categories: `item_categories` output (items without a category are left out).

    Returns:
        USER_ID, CATEGORY, CATEGORY_SHARE (of the user's strength over all categorised items).
    """
    by_user = Window.partitionBy(C.USER_ID)
    strongest_first = by_user.orderBy(F.col(C.STRENGTH).desc(), F.col(C.CATEGORY))
    # categories holds one row per item, so the join does not multiply interactions.
    return (
        train.join(categories, on=[C.ITEM_ID], how="inner")
        .groupBy(C.USER_ID, C.CATEGORY)
        .agg(F.sum(C.STRENGTH).alias(C.STRENGTH))
        .select(
            C.USER_ID,
            C.CATEGORY,
            (F.col(C.STRENGTH) / F.sum(C.STRENGTH).over(by_user)).alias(C.CATEGORY_SHARE),
            F.row_number().over(strongest_first).alias(C.RANK),
        )
        .where(F.col(C.RANK) <= F.lit(top))
        .select(C.USER_ID, C.CATEGORY, C.CATEGORY_SHARE)
    )


def category_popular_items(
    popularity: DataFrame,
    categories: DataFrame,
    preferences: DataFrame,
    users: DataFrame,
    *,
    k: int,
    seen: DataFrame | None = None,
) -> DataFrame:
    """Popular items within each user's preferred categories.

    An item scores P(category | user) * P(item | category): the category's share of the user's strength
    times the item's share of its category's popularity. Only each category's `k` most popular items can
    make a list of `k`, so at most `k` per preferred category are scored. A user whose categories hold
    fewer than `k` items gets a shorter list; a user without a preferred category gets none.

    Args:
        popularity: `item_popularity` output.
        categories: `item_categories` output.
        preferences: `preferred_categories` output.
        users: USER_ID, the users to recommend to.
        seen: `seen_items.seen_pairs` output (left out of the lists), or None to leave nothing out.

    Returns:
        USER_ID, RANK, ITEM_ID, SCORE.
    """
    if seen is not None:
        depth = k + seen_depth(seen, users)
        lists = category_popular_items(popularity, categories, preferences, users, k=depth)
        return top_unseen(lists, seen, k)
    by_category = Window.partitionBy(C.CATEGORY)
    within_category = by_category.orderBy(F.col(C.POPULARITY).desc(), F.col(C.ITEM_ID))
    # categories holds one row per item: one row per popular item.
    category_top = (
        popularity.join(categories, on=[C.ITEM_ID], how="inner")
        .select(
            C.CATEGORY,
            C.ITEM_ID,
            (F.col(C.POPULARITY) / F.sum(C.POPULARITY).over(by_category)).alias(C.POPULARITY),
            F.row_number().over(within_category).alias(C.RANK),
        )
        .where(F.col(C.RANK) <= F.lit(k))
        .select(C.CATEGORY, C.ITEM_ID, C.POPULARITY)
    )
    best_first = Window.partitionBy(C.USER_ID).orderBy(F.col(C.SCORE).desc(), F.col(C.ITEM_ID))
    # An item belongs to one category, so a user meets each candidate item once.
    return (
        preferences.join(users.select(C.USER_ID), on=[C.USER_ID], how="left_semi")
        .join(category_top, on=[C.CATEGORY], how="inner")
        .select(C.USER_ID, C.ITEM_ID, (F.col(C.CATEGORY_SHARE) * F.col(C.POPULARITY)).alias(C.SCORE))
        .select("*", F.row_number().over(best_first).alias(C.RANK))
        .where(F.col(C.RANK) <= F.lit(k))
        .select(C.USER_ID, F.col(C.RANK).cast("int").alias(C.RANK), C.ITEM_ID, C.SCORE)
    )
