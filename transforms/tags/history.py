"""How users' tags changed between two snapshots: per-user changes and per-value entries and exits."""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from transforms import columns as C

ADDED, REMOVED, CHANGED = "added", "removed", "changed"


def tag_changes(before: DataFrame, after: DataFrame) -> DataFrame:
    """Every (user, tag) whose value differs between two long-form snapshots (gold.tag_snapshots rows).

    Returns:
        USER_ID, TAG_ID, VALUE_BEFORE, VALUE_AFTER (text values; null where the user had no value),
        CHANGE: "added" (no value before), "removed" (no value after) or "changed".
    """
    keys = [C.USER_ID, C.TAG_ID]
    old = before.select(*keys, F.col(C.VALUE).alias(C.VALUE_BEFORE))
    new = after.select(*keys, F.col(C.VALUE).alias(C.VALUE_AFTER))
    change = (
        F.when(F.col(C.VALUE_BEFORE).isNull(), F.lit(ADDED))
        .when(F.col(C.VALUE_AFTER).isNull(), F.lit(REMOVED))
        .otherwise(F.lit(CHANGED))
    )
    return (
        old.join(new, on=keys, how="full")
        .where(~F.col(C.VALUE_BEFORE).eqNullSafe(F.col(C.VALUE_AFTER)))
        .select(*keys, C.VALUE_BEFORE, C.VALUE_AFTER, change.alias(C.CHANGE))
    )


def value_flows(changes: DataFrame) -> DataFrame:
    """Per tag and value, how many users entered it and how many left it (from `tag_changes`).

    Returns:
        TAG_ID, VALUE, ENTERED, LEFT.
    """
    moves = changes.select(
        C.TAG_ID,
        F.explode(
            F.array(
                F.struct(
                    F.col(C.VALUE_AFTER).alias(C.VALUE), F.lit(1).alias(C.ENTERED), F.lit(0).alias(C.LEFT)
                ),
                F.struct(
                    F.col(C.VALUE_BEFORE).alias(C.VALUE), F.lit(0).alias(C.ENTERED), F.lit(1).alias(C.LEFT)
                ),
            )
        ).alias("_move"),
    ).where(F.col("_move")[C.VALUE].isNotNull())
    return moves.groupBy(C.TAG_ID, F.col("_move")[C.VALUE].alias(C.VALUE)).agg(
        F.sum(F.col("_move")[C.ENTERED]).cast("long").alias(C.ENTERED),
        F.sum(F.col("_move")[C.LEFT]).cast("long").alias(C.LEFT),
    )
