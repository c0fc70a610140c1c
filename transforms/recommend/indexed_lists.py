"""Per-user lists scored by index on the driver (ALS's implicit engine, the driver item-to-item model), and
their way back to ids."""

from __future__ import annotations

import numpy as np
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import types as T

from transforms import columns as C

LISTS_SCHEMA = T.StructType(
    [
        T.StructField(C.USER_IDX, T.IntegerType(), False),
        T.StructField(C.RANK, T.IntegerType(), False),
        T.StructField(C.ITEM_IDX, T.IntegerType(), False),
        T.StructField(C.SCORE, T.DoubleType(), False),
    ]
)


def lists_from_driver(
    spark: SparkSession, users: np.ndarray, ranks: np.ndarray, items: np.ndarray, scores: np.ndarray
) -> DataFrame:
    """USER_IDX, RANK, ITEM_IDX, SCORE rows from four equally long arrays, checkpointed.

    Up to spark.sql.execution.arrow.localRelationThreshold (48 MB) Spark keeps Arrow input as a local relation
    inside the plan, and every stage that reads it ships all of it in its tasks (54 MB tasks, and 100k users'
    lists crawled in the evaluation's blend). Checkpointed, the lists become ordinary cached blocks, shipped
    once; the plans that read them no longer carry them.
    """
    import pyarrow as pa

    table = pa.table(
        {
            C.USER_IDX: pa.array(users, pa.int32()),
            C.RANK: pa.array(ranks, pa.int32()),
            C.ITEM_IDX: pa.array(items, pa.int32()),
            C.SCORE: pa.array(np.asarray(scores, dtype=np.float64), pa.float64()),
        }
    )
    return spark.createDataFrame(table, schema=LISTS_SCHEMA).localCheckpoint(eager=True)


def ranked_lists(slots: DataFrame, user_index: DataFrame, item_index: DataFrame) -> DataFrame:
    """USER_IDX, RANK, ITEM_IDX, SCORE rows as USER_ID, RANK, ITEM_ID, SCORE rows."""
    # The indexes hold one row per index, so these joins only swap indexes for ids.
    return (
        slots.join(user_index.select(C.USER_ID, C.USER_IDX), on=[C.USER_IDX], how="inner")
        .join(item_index.select(C.ITEM_ID, C.ITEM_IDX), on=[C.ITEM_IDX], how="inner")
        .select(C.USER_ID, C.RANK, C.ITEM_ID, C.SCORE)
    )


def indexed_pairs(pairs: DataFrame, user_index: DataFrame, item_index: DataFrame) -> DataFrame:
    """(user, item) pairs as USER_IDX, ITEM_IDX: their own indexes where they carry them, else looked up (the
    indexes hold one row per id, so the joins keep one row per pair)."""
    if C.USER_IDX in pairs.columns and C.ITEM_IDX in pairs.columns:
        return pairs.select(C.USER_IDX, C.ITEM_IDX)
    return (
        pairs.join(user_index.select(C.USER_ID, C.USER_IDX), on=[C.USER_ID], how="inner")
        .join(item_index.select(C.ITEM_ID, C.ITEM_IDX), on=[C.ITEM_ID], how="inner")
        .select(C.USER_IDX, C.ITEM_IDX)
    )
