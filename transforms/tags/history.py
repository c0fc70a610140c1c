"""Reading the tag history (gold.tag_history): the snapshot as of a date, and how users' tags changed.

`tags_as_of(history, d)` gives exactly the long snapshot rows the build_tag_snapshots run of `d` evaluated
(USER_ID, TAG_ID, VALUE, VALUE_BOOL, VALUE_NUM, VALUE_LIST, SNAPSHOT_DATE = d); on a day between two snapshot
dates (a day no run wrote) the values of the latest snapshot before it. Which dates have a snapshot is
what gold.tag_quality holds (one row per tag and snapshot date, written by the same run), e.g.
`lake.table(tables.TAG_QUALITY).latest_date(on_or_before=d)`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from transforms import columns as C
from transforms.tags.intervals import VALUE_COLUMNS, covering

ADDED, REMOVED, CHANGED = "added", "removed", "changed"
SNAPSHOT_COLUMNS = (C.USER_ID, C.TAG_ID, *VALUE_COLUMNS, C.SNAPSHOT_DATE)


def tags_as_of(history: DataFrame, date: dt.date) -> DataFrame:
    """The long tag snapshot of `date`: USER_ID, TAG_ID, VALUE, VALUE_BOOL, VALUE_NUM, VALUE_LIST,
    SNAPSHOT_DATE (= `date`), one row per user and tag with a value then.

    Args:
        history: gold.tag_history rows (any subset of tags or users, e.g. one tag).
        date: The snapshot date.
    """
    return history.where(covering(date, date)).select(
        C.USER_ID, C.TAG_ID, *VALUE_COLUMNS, F.lit(date).alias(C.SNAPSHOT_DATE)
    )


def tags_as_of_each(history: DataFrame, dates: Sequence[dt.date]) -> DataFrame:
    """`tags_as_of` of every date of `dates` in one frame (SNAPSHOT_COLUMNS), e.g. a back-fill's range.

    Args:
        history: gold.tag_history rows (filter tags first when only some are needed: the result has a row
            per user, tag and date).
        dates: The snapshot dates.
    """
    spark = history.sparkSession
    if not dates:
        return tags_as_of(history, dt.date.min).limit(0)
    days = spark.createDataFrame([(d,) for d in sorted(set(dates))], f"{C.SNAPSHOT_DATE} date")
    day = F.col(C.SNAPSHOT_DATE)
    holds = (F.col(C.VALID_FROM) <= day) & (F.col(C.VALID_TO).isNull() | (F.col(C.VALID_TO) > day))
    # A few hundred dates at most: broadcast, each interval meets the dates it covers.
    return (
        history.where(covering(min(dates), max(dates)))
        .join(F.broadcast(days), on=holds, how="inner")
        .select(*SNAPSHOT_COLUMNS)
    )


def tag_moves(history: DataFrame, tag_id: str | None, first: dt.date, second: dt.date) -> DataFrame:
    """Who entered or left a tag value between two dates: `tag_changes` of the snapshots as of each.

    Args:
        history: gold.tag_history rows.
        tag_id: The tag, or None for every tag.
        first, second: The two dates (`first` is "before").

    Returns:
        USER_ID, TAG_ID, VALUE_BEFORE, VALUE_AFTER, CHANGE, one row per user and tag whose value differs.
    """
    if tag_id is not None:
        history = history.where(F.col(C.TAG_ID) == F.lit(tag_id))
    return tag_changes(tags_as_of(history, first), tags_as_of(history, second))


def tag_changes(before: DataFrame, after: DataFrame) -> DataFrame:
    """Every (user, tag) whose value differs between two long-form snapshots (`tags_as_of` rows).

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
    """Per tag and value, how many users entered it and how many left it (from `tag_changes` or
    `tag_moves`).

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
