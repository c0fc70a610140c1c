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

from pyspark.sql import Column, DataFrame, SparkSession, Window
from pyspark.sql import functions as F

from transforms import columns as C
from transforms.recommend.indexed_lists import indexed_pairs, lists_from_driver, ranked_lists
from transforms.recommend.seen_items import without_seen
from transforms.vocabulary import (
    COOCCURRENCE_ENGINE_CHOICES,
    COOCCURRENCE_SIMILARITIES,
    JACCARD,
    LIFT,
    PAIR_COUNT,
    CooccurrenceEngineChoice,
)

SPARK_ENGINE, DRIVER_ENGINE = "spark", "driver"

_COUNT_A, _COUNT_B, _COOCCURRENCE, _PLACE = "_count_a", "_count_b", "_cooccurrence", "_place"


def cooccurrence_engine(spark: SparkSession, setting: CooccurrenceEngineChoice) -> str:
    """The engine `recommend.cooccurrence.engine` asks for: spark, or driver (auto on a local-mode session)."""
    if setting not in COOCCURRENCE_ENGINE_CHOICES:
        raise ValueError(
            f"recommend.cooccurrence.engine must be one of {', '.join(COOCCURRENCE_ENGINE_CHOICES)}, got {setting!r}"
        )
    if setting != "auto":
        return setting
    return DRIVER_ENGINE if spark.conf.get("spark.master", "").startswith("local") else SPARK_ENGINE


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


def cooccurrence_on_driver(
    train: DataFrame,
    users: DataFrame,
    seen: DataFrame,
    user_index: DataFrame,
    item_index: DataFrame,
    *,
    measure: str,
    min_cooccurrence: int,
    neighbours: int,
    k: int,
    batch: int = 4096,
) -> DataFrame:
    """`cooccurrence_recommendations` with `item_similarity`'s neighbours, computed on the driver with sparse
    matrices: the engine for one machine, as ALS's implicit engine (`recommend.cooccurrence.engine`).

    The co-occurrence counts are one sparse product, X' X of the binary user x item matrix (Spark's
    self-join of every user's pairs grows with the square of a heavy user's items); the scores are the
    affinity rows of `batch` users at a time times the kept similarities. The training pairs travel to the
    driver once (12 bytes a pair), the lists come back as Arrow. Ties go to the smaller item index (the
    Spark engine's to the smaller item id).

    Args:
        train: USER_IDX, ITEM_IDX, USER_ID, ITEM_ID, STRENGTH.
        users: USER_ID, the users to recommend to.
        seen: USER_ID, ITEM_ID (`seen_items.seen_pairs`).
        user_index, item_index: gold.user_index, gold.item_index.

    Returns:
        USER_ID, RANK, ITEM_ID, SCORE.
    """
    import numpy as np
    from scipy.sparse import csr_matrix

    _similarity(measure)
    positive = train.where(F.col(C.STRENGTH) > F.lit(0.0))
    pairs = positive.select(C.USER_IDX, C.ITEM_IDX, C.STRENGTH).toArrow()
    rows, items, strengths = (
        pairs.column(name).to_numpy(zero_copy_only=False) for name in (C.USER_IDX, C.ITEM_IDX, C.STRENGTH)
    )
    if len(rows) == 0:
        rows = items = np.zeros(1, dtype=np.int32)
        strengths = np.zeros(1)
    shape = (int(rows.max()) + 1, int(items.max()) + 1)
    affinity = csr_matrix((strengths.astype(np.float64), (rows, items)), shape=shape)
    affinity.sum_duplicates()
    together = affinity.astype(bool).astype(np.float64)
    cooccurrence = (together.T @ together).tocoo()
    counts = np.asarray(together.sum(axis=0)).ravel()
    kept = cooccurrence.data >= min_cooccurrence
    a, b, both = cooccurrence.row[kept], cooccurrence.col[kept], cooccurrence.data[kept]
    similarity = {
        JACCARD: lambda: both / (counts[a] + counts[b] - both),
        LIFT: lambda: both / (counts[a] * counts[b]),
        PAIR_COUNT: lambda: both,
    }[measure]()
    a, b, similarity = _first_of_each_row(a, b, similarity, neighbours)
    similar = csr_matrix((similarity, (a, b)), shape=(shape[1], shape[1]))

    wanted = (
        positive.join(users.select(C.USER_ID), on=[C.USER_ID], how="left_semi").select(C.USER_IDX).distinct()
    )
    wanted = np.sort(wanted.toArrow().column(C.USER_IDX).to_numpy())
    masked = indexed_pairs(seen, user_index, item_index).toArrow()
    seen_rows, seen_items = (
        masked.column(n).to_numpy(zero_copy_only=False) for n in (C.USER_IDX, C.ITEM_IDX)
    )
    inside = (seen_rows < shape[0]) & (seen_items < shape[1])
    seen_matrix = csr_matrix(
        (np.ones(int(inside.sum())), (seen_rows[inside], seen_items[inside])), shape=shape
    ).astype(bool)
    parts = []
    for start in range(0, len(wanted), batch):
        block = wanted[start : start + batch]
        scores = (affinity[block] @ similar).tocsr()
        scores = (scores - scores.multiply(seen_matrix[block])).tocoo()
        scores.eliminate_zeros()
        user_rows, top_items, top_scores = _first_of_each_row(scores.row, scores.col, scores.data, k)
        ranks = _places(user_rows) + 1
        parts.append((block[user_rows], ranks, top_items, top_scores))
    empty = (np.empty(0, dtype=np.int32),) * 3 + (np.empty(0),)
    columns = [np.concatenate([part[i] for part in parts]) for i in range(4)] if parts else empty
    return ranked_lists(lists_from_driver(train.sparkSession, *columns), user_index, item_index)


def _places(rows):
    """Each entry's place (0 = first) within its run of equal `rows` (sorted)."""
    import numpy as np

    starts = np.searchsorted(rows, rows, side="left")
    return np.arange(len(rows)) - starts


def _first_of_each_row(rows, columns, values, count: int):
    """The `count` largest values of each row (ties to the smaller column), sorted by row, then value."""
    import numpy as np

    order = np.lexsort((columns, -values, rows))
    rows, columns, values = rows[order], columns[order], values[order]
    first = _places(rows) < count
    return rows[first], columns[first], values[first]
