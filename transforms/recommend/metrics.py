"""Ranking metrics at k for recommendation lists against graded test labels, computed in Spark.

Per evaluated user u with relevant items R(u) (grade g > 0) and list L(u) cut at k (rank r = 1..k):

    precision@k = |L ∩ R| / k                      recall@k = |L ∩ R| / |R|
    NDCG@k      = DCG / IDCG, DCG = sum over hits of g / log2(r + 1), IDCG the same for R sorted by grade
    MAP@k       = (1 / min(|R|, k)) * sum over hits at rank r of (hits within ranks 1..r) / r
    hit rate    = 1 when L ∩ R is not empty

each averaged over the evaluated users (every user of the labels; a user without a list scores 0). The
list-level measures look at all lists: catalog coverage is the share of the catalogue's items recommended
to anyone; novelty the mean popularity rank (1 = most popular item) over all recommended slots, so higher
is more novel. Nothing is collected: each metric is an aggregate over per-user rows.
"""

from __future__ import annotations

from collections.abc import Sequence

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

from transforms import columns as C

ACCURACY_METRICS = (C.PRECISION_AT_K, C.RECALL_AT_K, C.NDCG_AT_K, C.MAP_AT_K, C.HIT_RATE)
LIST_METRICS = (C.CATALOG_COVERAGE, C.NOVELTY)
_HIT, _HITS, _HITS_SO_FAR, _DCG, _IDCG, _AP_SUM, _RELEVANT = (
    "_hit", "_hits", "_hits_so_far", "_dcg", "_idcg", "_ap_sum", "_relevant",
)  # fmt: skip


def _discount(rank: Column) -> Column:
    return F.log2(rank.cast("double") + F.lit(1.0))


def per_user_metrics(
    recommendations: DataFrame, relevance: DataFrame, *, k: int, by: Sequence[str] = ()
) -> DataFrame:
    """Each evaluated user's precision, recall, NDCG, average precision and hit at `k`.

    Args:
        recommendations: USER_ID, RANK (1 = best, unique per user), ITEM_ID; ranks above `k` are ignored.
        relevance: USER_ID, ITEM_ID, GRADE (> 0), one row per relevant pair; its users are the evaluated ones.
        k: The list length evaluated.
        by: Columns of `recommendations` that tell list sets apart (MODEL, say): each set is scored on its
            own, on every evaluated user.

    Returns:
        `by`, USER_ID, PRECISION_AT_K, RECALL_AT_K, NDCG_AT_K, MAP_AT_K (the user's average precision),
        HIT_RATE (1.0 or 0.0): one row per user of `relevance` (and value of `by` in `recommendations`).
    """
    if k < 1:
        raise ValueError(f"k must be at least 1, got {k}")
    keys = [*by, C.USER_ID]
    by_rank = Window.partitionBy(*keys).orderBy(C.RANK)
    # Labels hold one row per (user, item) and a list names an item once, so the join keeps one row per slot.
    slots = (
        recommendations.where(F.col(C.RANK) <= F.lit(k))
        .select(*keys, C.RANK, C.ITEM_ID)
        .join(relevance.select(C.USER_ID, C.ITEM_ID, C.GRADE), on=[C.USER_ID, C.ITEM_ID], how="inner")
        .select("*", F.lit(1).alias(_HIT))
    )
    # Only hits are kept, so the running count of rows up to a hit is the hits within ranks 1..r.
    hits = (
        slots.select("*", F.sum(_HIT).over(by_rank).alias(_HITS_SO_FAR))
        .groupBy(*keys)
        .agg(
            F.count(F.lit(1)).alias(_HITS),
            F.sum(F.col(C.GRADE) / _discount(F.col(C.RANK))).alias(_DCG),
            F.sum(F.col(_HITS_SO_FAR) / F.col(C.RANK)).alias(_AP_SUM),
        )
    )
    by_grade = Window.partitionBy(C.USER_ID).orderBy(F.col(C.GRADE).desc(), F.col(C.ITEM_ID))
    ideal_rank = F.row_number().over(by_grade)
    ideal = (
        relevance.select(C.USER_ID, C.GRADE, ideal_rank.alias(C.RANK))
        .groupBy(C.USER_ID)
        .agg(
            F.count(F.lit(1)).alias(_RELEVANT),
            F.sum(F.when(F.col(C.RANK) <= F.lit(k), F.col(C.GRADE) / _discount(F.col(C.RANK)))).alias(_IDCG),
        )
    )
    if by:
        # Every list set scores every evaluated user, also those it has no list for.
        ideal = ideal.crossJoin(recommendations.select(*by).distinct())
    hit_count = F.coalesce(F.col(_HITS), F.lit(0)).cast("double")
    # One row per evaluated user (and list set); users whose list hit nothing (or who have none) get zeros.
    return ideal.join(hits, on=keys, how="left").select(
        *keys,
        (hit_count / F.lit(float(k))).alias(C.PRECISION_AT_K),
        (hit_count / F.col(_RELEVANT)).alias(C.RECALL_AT_K),
        (F.coalesce(F.col(_DCG), F.lit(0.0)) / F.col(_IDCG)).alias(C.NDCG_AT_K),
        (F.coalesce(F.col(_AP_SUM), F.lit(0.0)) / F.least(F.col(_RELEVANT), F.lit(k))).alias(C.MAP_AT_K),
        (hit_count > 0).cast("double").alias(C.HIT_RATE),
    )


def accuracy_metrics(recommendations: DataFrame, relevance: DataFrame, *, k: int) -> DataFrame:
    """The per-user metrics averaged over the evaluated users.

    Returns:
        One row: EVALUATED_USERS, PRECISION_AT_K, RECALL_AT_K, NDCG_AT_K, MAP_AT_K, HIT_RATE.
    """
    per_user = per_user_metrics(recommendations, relevance, k=k)
    return per_user.agg(
        F.count(F.lit(1)).alias(C.EVALUATED_USERS),
        *[F.coalesce(F.avg(name), F.lit(0.0)).alias(name) for name in ACCURACY_METRICS],
    )


def list_metrics(recommendations: DataFrame, popularity: DataFrame, *, k: int) -> DataFrame:
    """Catalog coverage and novelty of the lists cut at `k`.

    Args:
        recommendations: USER_ID, RANK, ITEM_ID.
        popularity: ITEM_ID, POPULARITY_RANK, one row per catalogue item (the training items): the
            denominator of coverage and the ranks novelty averages. Recommended items outside it count
            as covered but have no rank.

    Returns:
        One row: CATALOG_COVERAGE, NOVELTY (null when there are no lists).
    """
    recommended = recommendations.where(F.col(C.RANK) <= F.lit(k)).select(C.ITEM_ID)
    # popularity holds one row per item, so this join keeps one row per recommended slot.
    ranked = recommended.join(popularity.select(C.ITEM_ID, C.POPULARITY_RANK), on=[C.ITEM_ID], how="left")
    catalogue = popularity.agg(F.count(F.lit(1)).alias(_RELEVANT))
    return (
        ranked.agg(
            F.count_distinct(C.ITEM_ID).alias(_HITS),
            F.avg(F.col(C.POPULARITY_RANK).cast("double")).alias(C.NOVELTY),
        )
        .crossJoin(catalogue)
        .select(
            (F.col(_HITS) / F.col(_RELEVANT)).alias(C.CATALOG_COVERAGE),
            F.col(C.NOVELTY),
        )
    )


def recommender_metrics(
    recommendations: DataFrame, relevance: DataFrame, popularity: DataFrame, *, k: int
) -> DataFrame:
    """Every metric of one model's lists, in one row.

    Returns:
        EVALUATED_USERS, PRECISION_AT_K, RECALL_AT_K, NDCG_AT_K, MAP_AT_K, HIT_RATE, CATALOG_COVERAGE,
        NOVELTY.
    """
    return (
        accuracy_metrics(recommendations, relevance, k=k)
        .crossJoin(list_metrics(recommendations, popularity, k=k))
        .select(C.EVALUATED_USERS, *ACCURACY_METRICS, *LIST_METRICS)
    )


def grouped_metrics(
    recommendations: DataFrame,
    relevance: DataFrame,
    popularity: DataFrame,
    groups: DataFrame,
    *,
    k: int,
    by: Sequence[str] = (),
) -> DataFrame:
    """Every metric per user group: `recommender_metrics` of each group's users, in one pass.

    Args:
        recommendations: `by`, USER_ID, RANK, ITEM_ID.
        relevance: USER_ID, ITEM_ID, GRADE: the labels of every evaluated user.
        popularity: ITEM_ID, POPULARITY_RANK (see `list_metrics`).
        groups: USER_ID, USER_GROUP; a user may belong to several groups (its own and "all", say). A group
            is scored on its users that have labels; coverage and novelty look at those users' lists.
        by: Columns of `recommendations` that tell list sets apart (MODEL, say), each scored on its own.

    Returns:
        `by`, USER_GROUP, EVALUATED_USERS, PRECISION_AT_K, RECALL_AT_K, NDCG_AT_K, MAP_AT_K, HIT_RATE,
        CATALOG_COVERAGE (0 for a group without lists), NOVELTY (null then): one row per group with an
        evaluated user (and value of `by`).
    """
    keys = [*by, C.USER_GROUP]
    members = groups.select(C.USER_ID, C.USER_GROUP).join(
        relevance.select(C.USER_ID).distinct(), on=[C.USER_ID], how="left_semi"
    )
    # per_user_metrics has one row per user (and list set); the join repeats it per group of the user.
    accuracy = (
        per_user_metrics(recommendations, relevance, k=k, by=by)
        .join(members, on=[C.USER_ID], how="inner")
        .groupBy(*keys)
        .agg(
            F.count(F.lit(1)).alias(C.EVALUATED_USERS),
            *[F.coalesce(F.avg(name), F.lit(0.0)).alias(name) for name in ACCURACY_METRICS],
        )
    )
    # One slot per recommended item, repeated per group of its user; popularity holds one row per item.
    slots = (
        recommendations.where(F.col(C.RANK) <= F.lit(k))
        .select(*by, C.USER_ID, C.ITEM_ID)
        .join(members, on=[C.USER_ID], how="inner")
        .join(popularity.select(C.ITEM_ID, C.POPULARITY_RANK), on=[C.ITEM_ID], how="left")
        .groupBy(*keys)
        .agg(
            F.count_distinct(C.ITEM_ID).alias(_HITS),
            F.avg(F.col(C.POPULARITY_RANK).cast("double")).alias(C.NOVELTY),
        )
    )
    catalogue = popularity.agg(F.count(F.lit(1)).alias(_RELEVANT))
    return (
        accuracy.join(slots, on=keys, how="left")
        .crossJoin(catalogue)
        .select(
            *keys,
            C.EVALUATED_USERS,
            *ACCURACY_METRICS,
            F.coalesce(F.col(_HITS) / F.col(_RELEVANT), F.lit(0.0)).alias(C.CATALOG_COVERAGE),
            C.NOVELTY,
        )
    )
