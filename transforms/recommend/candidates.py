"""The candidate sources of the hybrid recommendations: what each source offers a user, on its own scale.

Every source gives USER_ID, ITEM_ID, SCORE (higher is better), at most `k` items per user and one row per
(user, item); transforms.recommend.blend scales, weighs and merges them.

    als               the ALS model's list, scored by its predicted preference
    copurchase        the co-purchase partners (gold.bought_together) of what the user viewed, carted or bought
                      in the last `recent_days` days: sum over seeds s of confidence(s -> item) * weight(s), a
                      seed's weight being its interaction strength on each day times a linear recency factor
                      (1 on the as-of day down to 1 / recent_days on the window's first day)
    segment_popular   the items most popular among the members of the user's K-means segment, scored by
                      their share of the segment's interaction strength
    category_popular  popular items of the user's preferred categories (transforms.recommend.baselines)
    global_popular    the most popular items of all, the last resort

Ties within a source's top `k` go to the smaller item id, so every list is deterministic.
"""

from __future__ import annotations

import datetime as dt

from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F

from transforms import columns as C
from transforms.recommend.baselines import category_popular_items, popular_items
from transforms.vocabulary import ALS as ALS
from transforms.vocabulary import BLEND_SOURCES
from transforms.vocabulary import CATEGORY_POPULAR as CATEGORY_POPULAR
from transforms.vocabulary import COPURCHASE as COPURCHASE
from transforms.vocabulary import GLOBAL_POPULAR as GLOBAL_POPULAR
from transforms.vocabulary import SEGMENT_POPULAR as SEGMENT_POPULAR

# Every source, in the order that breaks ties when two sources contribute equally to an item.
SOURCES = BLEND_SOURCES

_SEED_WEIGHT = "_seed_weight"
_SEGMENT_SHARE = "_segment_share"
_POSITION = "_position"


def top_per_user(candidates: DataFrame, *, k: int) -> DataFrame:
    """The `k` best-scored rows of each user (USER_ID, ITEM_ID, SCORE), ties by item id."""
    best_first = Window.partitionBy(C.USER_ID).orderBy(F.col(C.SCORE).desc(), F.col(C.ITEM_ID))
    return (
        candidates.select(C.USER_ID, C.ITEM_ID, C.SCORE, F.row_number().over(best_first).alias(_POSITION))
        .where(F.col(_POSITION) <= F.lit(k))
        .select(C.USER_ID, C.ITEM_ID, C.SCORE)
    )


def als_items(als: DataFrame, users: DataFrame, *, k: int) -> DataFrame:
    """The first `k` items of each user's ALS list.

    Args:
        als: USER_ID, RANK, ITEM_ID, SCORE (gold.als_recommendations rows, or a model's lists).
        users: USER_ID, the users to recommend to.
    """
    return (
        als.where(F.col(C.RANK) <= F.lit(k))
        .join(users.select(C.USER_ID), on=[C.USER_ID], how="left_semi")
        .select(C.USER_ID, C.ITEM_ID, F.col(C.SCORE).cast("double").alias(C.SCORE))
    )


def recent_seeds(daily: DataFrame, *, as_of: dt.date, recent_days: int) -> DataFrame:
    """The items each user interacted with in the `recent_days` days through `as_of`, weighted by recency.

    Args:
        daily: USER_ID, ITEM_ID, STRENGTH, EVENT_DATE (gold.user_item_daily); days after `as_of` are ignored.

    Returns:
        USER_ID, ITEM_ID, and the seed's weight: sum over its days of strength * (recent_days - age) /
        recent_days, age in days before `as_of`.
    """
    if recent_days < 1:
        raise ValueError(f"recommend.blend.recent_days must be at least 1, got {recent_days}")
    age = F.datediff(F.lit(as_of), F.col(C.EVENT_DATE))
    recency = (F.lit(recent_days) - age).cast("double") / F.lit(float(recent_days))
    return (
        daily.where((age >= F.lit(0)) & (age < F.lit(recent_days)) & (F.col(C.STRENGTH) > F.lit(0.0)))
        .groupBy(C.USER_ID, C.ITEM_ID)
        .agg(F.sum(F.col(C.STRENGTH) * recency).alias(_SEED_WEIGHT))
        .select(C.USER_ID, C.ITEM_ID, _SEED_WEIGHT)
    )


def copurchase_items(seeds: DataFrame, partners: DataFrame, *, k: int) -> DataFrame:
    """The co-purchase partners of each user's seeds, scored by confidence times the seeds' weights.

    Args:
        seeds: `recent_seeds` output.
        partners: ITEM_ID, PARTNER_ID, CONFIDENCE, one row per (item, partner) (gold.bought_together).

    Returns:
        USER_ID, ITEM_ID (the partner), SCORE: the best `k` per user.
    """
    # A seed meets each of its partners once; a partner of several seeds sums their terms below.
    return (
        seeds.join(partners.select(C.ITEM_ID, C.PARTNER_ID, C.CONFIDENCE), on=[C.ITEM_ID], how="inner")
        .groupBy(C.USER_ID, C.PARTNER_ID)
        .agg(F.sum(F.col(C.CONFIDENCE) * F.col(_SEED_WEIGHT)).alias(C.SCORE))
        .select(C.USER_ID, F.col(C.PARTNER_ID).alias(C.ITEM_ID), C.SCORE)
        .transform(top_per_user, k=k)
    )


def segment_popular_items(
    interactions: DataFrame, segments: DataFrame, users: DataFrame, *, k: int
) -> DataFrame:
    """The `k` items most popular among each user's segment members, scored by their share of its strength.

    Args:
        interactions: USER_ID, ITEM_ID, STRENGTH (the matrix as of the date).
        segments: USER_ID, SEGMENT_ID, one row per user (one gold.user_segments snapshot).
        users: USER_ID, the users to recommend to; users without a segment get nothing.

    Returns:
        USER_ID, ITEM_ID, SCORE.
    """
    members = segments.select(C.USER_ID, C.SEGMENT_ID)
    by_segment = Window.partitionBy(C.SEGMENT_ID)
    most_popular_first = by_segment.orderBy(F.col(_SEGMENT_SHARE).desc(), F.col(C.ITEM_ID))
    # One segment per user, so the join keeps one row per interaction.
    segment_top = (
        interactions.join(members, on=[C.USER_ID], how="inner")
        .groupBy(C.SEGMENT_ID, C.ITEM_ID)
        .agg(F.sum(C.STRENGTH).alias(C.POPULARITY))
        .select(
            C.SEGMENT_ID,
            C.ITEM_ID,
            (F.col(C.POPULARITY) / F.sum(C.POPULARITY).over(by_segment)).alias(_SEGMENT_SHARE),
        )
        .select("*", F.row_number().over(most_popular_first).alias(_POSITION))
        .where(F.col(_POSITION) <= F.lit(k))
    )
    # Each user has one segment, whose top holds an item once: one row per (user, item).
    return (
        users.select(C.USER_ID)
        .join(members, on=[C.USER_ID], how="inner")
        .join(segment_top, on=[C.SEGMENT_ID], how="inner")
        .select(C.USER_ID, C.ITEM_ID, F.col(_SEGMENT_SHARE).cast("double").alias(C.SCORE))
    )


def category_items(
    popularity: DataFrame, categories: DataFrame, preferences: DataFrame, users: DataFrame, *, k: int
) -> DataFrame:
    """`baselines.category_popular_items` as a source: USER_ID, ITEM_ID, SCORE."""
    lists = category_popular_items(popularity, categories, preferences, users, k=k)
    return lists.select(C.USER_ID, C.ITEM_ID, C.SCORE)


def global_items(popularity: DataFrame, users: DataFrame, *, k: int) -> DataFrame:
    """`baselines.popular_items` as a source: USER_ID, ITEM_ID, SCORE."""
    return popular_items(popularity, users, k=k).select(C.USER_ID, C.ITEM_ID, C.SCORE)
