"""Ordering a summary: a handful of rows, sorted in one partition.

A global sort (`orderBy`) first samples its input to range-partition it, one more Spark job per summary for
a few dozen rows; the report builds some twenty summaries, so each is sorted within one partition instead.
`orderBy(...).limit(n)` needs no sampling and stays as it is.
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame


def in_order(df: DataFrame, *columns: str | Column) -> DataFrame:
    """`df` (a summary small enough for one task) in one partition, sorted by `columns`."""
    return df.coalesce(1).sortWithinPartitions(*columns)
