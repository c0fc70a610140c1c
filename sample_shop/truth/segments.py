"""How well segments recover known groups (the generator's personas): the contingency table and the
adjusted Rand index, computed with Spark aggregations so any number of users works."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from sample_shop import columns as TC
from transforms import columns as C

_CELL_PAIRS, _ROW_PAIRS, _COLUMN_PAIRS, _TOTAL = "_cell_pairs", "_row_pairs", "_column_pairs", "_total"


def contingency_table(segments: DataFrame, truth: DataFrame) -> DataFrame:
    """Users per (segment, true group), over users present in both.

    Args:
        segments: USER_ID, SEGMENT_ID (one row per user).
        truth: USER_ID, PERSONA (one row per user).

    Returns:
        SEGMENT_ID, PERSONA, USERS.
    """
    # One row per user on each side: the join does not multiply users.
    return (
        segments.select(C.USER_ID, C.SEGMENT_ID)
        .join(truth.select(C.USER_ID, TC.PERSONA), on=[C.USER_ID], how="inner")
        .groupBy(C.SEGMENT_ID, TC.PERSONA)
        .agg(F.count(F.lit(1)).alias(C.USERS))
        .select(C.SEGMENT_ID, TC.PERSONA, C.USERS)
    )


def _pairs(n: Column) -> Column:
    return n.cast("double") * (n.cast("double") - 1.0) / 2.0


def adjusted_rand_index(contingency: DataFrame) -> DataFrame:
    """The adjusted Rand index of the two partitions a contingency table describes (Hubert and Arabie):
    (index - expected) / (max - expected), with index = sum over cells of C(n_ij, 2), expected =
    sum_i C(a_i, 2) * sum_j C(b_j, 2) / C(n, 2), max = (sum_i C(a_i, 2) + sum_j C(b_j, 2)) / 2. As in
    scikit-learn, two partitions that are both trivial (one group, or all singletons) score 1.

    Args:
        contingency: SEGMENT_ID, PERSONA, USERS (see `contingency_table`).

    Returns:
        One row: ADJUSTED_RAND_INDEX (null for an empty table).
    """
    cells = contingency.agg(
        F.sum(_pairs(F.col(C.USERS))).alias(_CELL_PAIRS), F.sum(C.USERS).cast("double").alias(_TOTAL)
    )
    rows = (
        contingency.groupBy(C.SEGMENT_ID)
        .agg(F.sum(C.USERS).alias(C.USERS))
        .agg(F.sum(_pairs(F.col(C.USERS))).alias(_ROW_PAIRS))
    )
    columns = (
        contingency.groupBy(TC.PERSONA)
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
        .select(F.when(F.col(_TOTAL) > 0, ari).alias(TC.ADJUSTED_RAND_INDEX))
    )


def confusion_csv(cells: Sequence[Mapping[str, Any]]) -> str:
    """The contingency table's rows (SEGMENT_ID, PERSONA, USERS; a few dozen) as CSV text: one line per
    segment, one column per persona in name order, 0 for an empty cell."""
    names = sorted({c[TC.PERSONA] for c in cells})
    grid = {(c[C.SEGMENT_ID], c[TC.PERSONA]): c[C.USERS] for c in cells}
    lines = [",".join([C.SEGMENT_ID, *names])]
    for segment in sorted({c[C.SEGMENT_ID] for c in cells}):
        lines.append(",".join([str(segment), *[str(grid.get((segment, p), 0)) for p in names]]))
    return "\n".join(lines) + "\n"
