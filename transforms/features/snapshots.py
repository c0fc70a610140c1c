"""Snapshot dates computed together: rows spread to every snapshot whose window holds them.

A feature of snapshot date D over an N-day window reads the days D-N+1..D. For a range of snapshot dates
each input row is copied once per snapshot date whose window holds its day, tagged with SNAPSHOT_DATE, and
every feature is then one aggregation grouped by (user, SNAPSHOT_DATE): one pass over the range instead of
one job per date, and a single date is the range of one day.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from transforms import columns as C


def snapshot_range(snapshot_dates: Sequence[dt.date]) -> tuple[dt.date, dt.date]:
    """The first and last of `snapshot_dates`, which must be every day from the first to the last.

    Raises:
        ValueError: No dates, or a day missing or repeated between the first and the last.
    """
    if not snapshot_dates:
        raise ValueError("snapshot_dates: no snapshot date given")
    first, last = min(snapshot_dates), max(snapshot_dates)
    if len(set(snapshot_dates)) != len(snapshot_dates) or len(snapshot_dates) != (last - first).days + 1:
        raise ValueError(
            f"snapshot_dates: expected every day from {first} to {last} once, got {len(snapshot_dates)} dates"
        )
    return first, last


def snapshot_age(date_column: str) -> Column:
    """Days from `date_column` to the row's SNAPSHOT_DATE (0 on the snapshot date itself)."""
    return F.datediff(F.col(C.SNAPSHOT_DATE), F.col(date_column))


def spread_over_snapshots(
    rows: DataFrame, date_column: str, snapshot_dates: Sequence[dt.date], days: int
) -> DataFrame:
    """Each row of a day once per snapshot date whose `days`-day window (ending on it) holds that day.

    Args:
        rows: Any rows with a date column; rows outside every window are dropped.
        date_column: The rows' day.
        snapshot_dates: Consecutive snapshot dates (see `snapshot_range`).
        days: The window length: a row of day d goes to the snapshots d..d+days-1 within the range.

    Returns:
        The rows' columns and SNAPSHOT_DATE.
    """
    first, last = snapshot_range(snapshot_dates)
    date = F.col(date_column)
    in_range = rows.where(date.between(F.lit(first - dt.timedelta(days=days - 1)), F.lit(last)))
    snapshots = F.sequence(F.greatest(date, F.lit(first)), F.least(F.date_add(date, days - 1), F.lit(last)))
    return in_range.select("*", F.explode(snapshots).alias(C.SNAPSHOT_DATE))


def from_day_on(rows: DataFrame, date_column: str, snapshot_dates: Sequence[dt.date]) -> DataFrame:
    """Each row once per snapshot date on or after its day (a null day counts from the first snapshot);
    rows of days after the last snapshot are dropped. Returns the rows' columns and SNAPSHOT_DATE."""
    first, last = snapshot_range(snapshot_dates)
    date = F.col(date_column)
    since = F.greatest(F.coalesce(date, F.lit(first)), F.lit(first))
    return rows.where(date.isNull() | (date <= F.lit(last))).select(
        "*", F.explode(F.sequence(since, F.lit(last))).alias(C.SNAPSHOT_DATE)
    )
