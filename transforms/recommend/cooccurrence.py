"""Item-to-item recommendations from co-occurrence (SAR, Smart Adaptive Recommendations), with time decay.

SAR (the recommenders project's anchor model) scores an item for a user by how similar it is to what the
user interacted with, weighted by the user's affinity to each of those items:

    score(u, j) = sum over items i of affinity(u, i) * similarity(i, j)

- affinity(u, i) is the user's interaction strength (`interactions.weights` per event type, halved every
  `interactions.half_life_days`): SAR's time-decayed, event-weighted affinity.
- similarity(i, j) comes from co-occurrence: c(i, j) users interacted with both (c(i, i): with i). Pairs seen
  by fewer than `min_cooccurrence` users are dropped (SAR's threshold); then jaccard c(i,j) / (c(i,i) +
  c(j,j) - c(i,j)), lift c(i,j) / (c(i,i) * c(j,j)), or the count itself. An item is most similar to itself
  (jaccard 1), so a user's own items score high unless the seen-item policy leaves them out.
- Each item keeps its `neighbours` most similar items, which bounds the scoring join (items a user has x
  neighbours) the way a sparse similarity matrix would.

No training beyond counting: the similarity of a split is the co-occurrence of its training pairs.
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

from transforms import columns as C
from transforms.recommend.seen_items import without_seen
from transforms.vocabulary import COOCCURRENCE_SIMILARITIES, JACCARD, LIFT, PAIR_COUNT

_COUNT_A, _COUNT_B, _COOCCURRENCE, _PLACE = "_count_a", "_count_b", "_cooccurrence", "_place"


def _similarity(measure: str) -> Column:
    both, a, b = F.col(_COOCCURRENCE).cast("double"), F.col(_COUNT_A), F.col(_COUNT_B)
    if measure == JACCARD:
        return both / (a + b - both)
    if measure == LIFT:
        return both / (a * b)
    if measure == PAIR_COUNT:
        return both
    raise ValueError(
        f"recommend.cooccurrence.similarity must be one of {', '.join(COOCCURRENCE_SIMILARITIES)}, got {measure!r}"
    )


def item_similarity(train: DataFrame, *, measure: str, min_cooccurrence: int, neighbours: int) -> DataFrame:
    """Each item's `neighbours` most similar items (itself included) by co-occurrence in users.

    Args:
        train: USER_ID, ITEM_ID, STRENGTH (one row per pair); pairs with a positive strength count.
        measure: jaccard, lift or cooccurrence.

    Returns:
        ITEM_A, ITEM_B, SIMILARITY: one row per kept (item, neighbour), ties by neighbour id.
    """
    _similarity(measure)
    if min_cooccurrence < 1 or neighbours < 1:
        raise ValueError(
            f"min_cooccurrence and neighbours must be at least 1, got {min_cooccurrence} and {neighbours}"
        )
    pairs = train.where(F.col(C.STRENGTH) > F.lit(0.0)).select(C.USER_ID, C.ITEM_ID).distinct()
    counts = pairs.groupBy(C.ITEM_ID).agg(F.count(F.lit(1)).alias(_COUNT_A))
    together = (
        pairs.select(C.USER_ID, F.col(C.ITEM_ID).alias(C.ITEM_A))
        .join(pairs.select(C.USER_ID, F.col(C.ITEM_ID).alias(C.ITEM_B)), on=[C.USER_ID], how="inner")
        .where(F.col(C.ITEM_A) < F.col(C.ITEM_B))
        .groupBy(C.ITEM_A, C.ITEM_B)
        .agg(F.count(F.lit(1)).alias(_COOCCURRENCE))
        .where(F.col(_COOCCURRENCE) >= F.lit(min_cooccurrence))
    )
    one_way = together.unionByName(together.select(
        F.col(C.ITEM_B).alias(C.ITEM_A), F.col(C.ITEM_A).alias(C.ITEM_B), _COOCCURRENCE
    ))  # fmt: skip
    itself = counts.where(F.col(_COUNT_A) >= F.lit(min_cooccurrence)).select(
        F.col(C.ITEM_ID).alias(C.ITEM_A),
        F.col(C.ITEM_ID).alias(C.ITEM_B),
        F.col(_COUNT_A).alias(_COOCCURRENCE),
    )
    most_similar_first = Window.partitionBy(C.ITEM_A).orderBy(F.col(C.SIMILARITY).desc(), F.col(C.ITEM_B))
    # One row per item on each side of the count joins: one row per pair.
    return (
        one_way.unionByName(itself)
        .join(counts.withColumnRenamed(C.ITEM_ID, C.ITEM_A), on=[C.ITEM_A], how="inner")
        .join(counts.select(F.col(C.ITEM_ID).alias(C.ITEM_B), F.col(_COUNT_A).alias(_COUNT_B)), on=[C.ITEM_B])
        .select(C.ITEM_A, C.ITEM_B, _similarity(measure).alias(C.SIMILARITY))
        .select("*", F.row_number().over(most_similar_first).alias(_PLACE))
        .where(F.col(_PLACE) <= F.lit(neighbours))
        .select(C.ITEM_A, C.ITEM_B, C.SIMILARITY)
    )


def cooccurrence_recommendations(
    train: DataFrame, similarity: DataFrame, users: DataFrame, seen: DataFrame, *, k: int
) -> DataFrame:
    """Each user's `k` best-scored items outside the seen pairs (module docstring); users without a training
    item that has neighbours get no list.

    Args:
        train: USER_ID, ITEM_ID, STRENGTH: the affinities.
        similarity: `item_similarity` output.
        users: USER_ID, the users to recommend to.
        seen: `seen_items.seen_pairs` output.

    Returns:
        USER_ID, RANK, ITEM_ID, SCORE.
    """
    best_first = Window.partitionBy(C.USER_ID).orderBy(F.col(C.SCORE).desc(), F.col(C.ITEM_ID))
    affinity = (
        train.where(F.col(C.STRENGTH) > F.lit(0.0))
        .join(users.select(C.USER_ID), on=[C.USER_ID], how="left_semi")
        .select(C.USER_ID, F.col(C.ITEM_ID).alias(C.ITEM_A), C.STRENGTH)
    )
    scored = (
        affinity.join(similarity, on=[C.ITEM_A], how="inner")
        .groupBy(C.USER_ID, F.col(C.ITEM_B).alias(C.ITEM_ID))
        .agg(F.sum(F.col(C.STRENGTH) * F.col(C.SIMILARITY)).alias(C.SCORE))
    )
    scored = without_seen(scored, seen)
    return (
        scored.select("*", F.row_number().over(best_first).alias(C.RANK))
        .where(F.col(C.RANK) <= F.lit(k))
        .select(C.USER_ID, F.col(C.RANK).cast("int").alias(C.RANK), C.ITEM_ID, C.SCORE)
    )
