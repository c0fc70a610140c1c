"""How well segments recover known groups (the generator's personas): the contingency table and the
adjusted Rand index, computed with Spark aggregations so any number of users works."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from sample_shop import columns as TC
from transforms import columns as C
from transforms.segments import agreement


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


def adjusted_rand_index(contingency: DataFrame) -> DataFrame:
    """The adjusted Rand index of segments against the true groups (transforms.segments.agreement).

    Args:
        contingency: SEGMENT_ID, PERSONA, USERS (see `contingency_table`).

    Returns:
        One row: ADJUSTED_RAND_INDEX (null for an empty table).
    """
    return agreement.adjusted_rand_index(contingency, C.SEGMENT_ID, TC.PERSONA).select(
        F.col(agreement.ADJUSTED_RAND_INDEX).alias(TC.ADJUSTED_RAND_INDEX)
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
