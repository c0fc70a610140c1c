"""Stable integer indexes for users and items: ALS needs integer ids, and a model needs them not to move.

An id keeps the index it was first given. Ids not yet indexed get the next indexes after the current
maximum, in id order, so the same ids on the same index always get the same numbers.
"""

from __future__ import annotations

import datetime as dt

from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F
from pyspark.sql import types as T

from transforms import columns as C


def new_index_entries(
    ids: DataFrame, index: DataFrame, *, id_column: str, index_column: str, first_seen: dt.date
) -> DataFrame:
    """Index rows for the ids of `ids` that `index` does not hold yet.

    Args:
        ids: any frame with `id_column`; duplicates and nulls are ignored.
        index: the current index: `id_column`, `index_column` (int), FIRST_SEEN; may be empty.
        id_column: USER_ID or ITEM_ID.
        index_column: USER_IDX or ITEM_IDX.
        first_seen: the run date that first saw these ids.

    Returns:
        `id_column`, `index_column`, FIRST_SEEN: only the new ids, numbered max(existing) + 1, + 2, ...
        in id order (from 0 on an empty index).
    """
    new_ids = (
        ids.select(id_column)
        .filter(F.col(id_column).isNotNull())
        .distinct()
        .join(index.select(id_column), on=[id_column], how="left_anti")
    )
    # A one-row aggregate, joined rather than collected, so the ids never travel to the driver.
    offset = index.agg(F.coalesce(F.max(index_column), F.lit(-1)).alias(C.MAX_IDX))
    # One global ordering by id makes the numbering deterministic; a run has few new ids, so the
    # single-partition window is cheap (a first run or rebuild on an empty index sorts all ids once).
    by_id = Window.orderBy(F.col(id_column))
    return new_ids.crossJoin(offset).select(
        F.col(id_column),
        (F.col(C.MAX_IDX) + F.row_number().over(by_id)).cast(T.IntegerType()).alias(index_column),
        F.lit(first_seen).alias(C.FIRST_SEEN),
    )
