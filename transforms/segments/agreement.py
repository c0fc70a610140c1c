"""How far two partitions of the same users agree: the adjusted Rand index of their contingency table,
computed with Spark aggregations so any number of users works. Used to score a k's stability across
resampled fits, and by the sample shop against its planted personas."""

from __future__ import annotations

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from transforms import columns as C

ADJUSTED_RAND_INDEX = "adjusted_rand_index"
_CELL_PAIRS, _ROW_PAIRS, _COLUMN_PAIRS, _TOTAL = "_cell_pairs", "_row_pairs", "_column_pairs", "_total"


def contingency(labelled: DataFrame, left: str, right: str) -> DataFrame:
    """Rows per (`left`, `right`) pair of labels: `left`, `right`, USERS."""
    return labelled.groupBy(left, right).agg(F.count(F.lit(1)).alias(C.USERS)).select(left, right, C.USERS)


def _pairs(n: Column) -> Column:
    return n.cast("double") * (n.cast("double") - 1.0) / 2.0


def adjusted_rand_index(table: DataFrame, left: str, right: str) -> DataFrame:
    """The adjusted Rand index of the two partitions a contingency table describes (Hubert and Arabie):
    (index - expected) / (max - expected), with index = sum over cells of C(n_ij, 2), expected =
    sum_i C(a_i, 2) * sum_j C(b_j, 2) / C(n, 2), max = (sum_i C(a_i, 2) + sum_j C(b_j, 2)) / 2. As in
    scikit-learn, two partitions that are both trivial (one group, or all singletons) score 1.

    Args:
        table: `left`, `right`, USERS (see `contingency`).

    Returns:
        One row: ADJUSTED_RAND_INDEX (null for an empty table).
    """
    cells = table.agg(
        F.sum(_pairs(F.col(C.USERS))).alias(_CELL_PAIRS), F.sum(C.USERS).cast("double").alias(_TOTAL)
    )
    rows = (
        table.groupBy(left)
        .agg(F.sum(C.USERS).alias(C.USERS))
        .agg(F.sum(_pairs(F.col(C.USERS))).alias(_ROW_PAIRS))
    )
    columns = (
        table.groupBy(right)
        .agg(F.sum(C.USERS).alias(C.USERS))
        .agg(F.sum(_pairs(F.col(C.USERS))).alias(_COLUMN_PAIRS))
    )
    all_pairs = _pairs(F.col(_TOTAL))
    expected = F.try_divide(F.col(_ROW_PAIRS) * F.col(_COLUMN_PAIRS), all_pairs)
    maximum = (F.col(_ROW_PAIRS) + F.col(_COLUMN_PAIRS)) / 2.0
    ari = F.when((all_pairs == 0) | (maximum == expected), F.lit(1.0)).otherwise(
        F.try_divide(F.col(_CELL_PAIRS) - expected, maximum - expected)
    )
    return (
        cells.crossJoin(rows)
        .crossJoin(columns)
        .select(F.when(F.col(_TOTAL) > 0, ari).alias(ADJUSTED_RAND_INDEX))
    )
