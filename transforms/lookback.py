"""The look-back window of a silver run: the days it rewrites and the days it reads.

Late events must land in the day, session and order they belong to, so every run recomputes the days
[first date - `ingest.lookback_days`, run date] (the first date is the run date, or the start of a
back-fill). It reads further back than it writes: the day before the window holds the start of sessions
running into it, and bot flags reach back over the look-back.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from pyspark.sql import DataFrame
from pyspark.sql import functions as F


@dataclass(frozen=True)
class LookBack:
    """The days a silver run rewrites (`dates`, contiguous and in order) and the first day it reads."""

    dates: list[dt.date]
    first_read: dt.date


def look_back(first_date: dt.date, run_date: dt.date, lookback_days: int) -> LookBack:
    """The window of a run over `first_date`..`run_date` with `ingest.lookback_days` = `lookback_days`."""
    start = first_date - dt.timedelta(days=lookback_days)
    dates = [start + dt.timedelta(days=n) for n in range((run_date - start).days + 1)]
    return LookBack(dates, start - dt.timedelta(days=max(1, lookback_days)))


def in_window(df: DataFrame, column: str, dates: Sequence[dt.date]) -> DataFrame:
    """The rows of `df` whose date `column` falls in `dates` (a contiguous range, in order)."""
    return df.where(F.col(column).between(F.lit(dates[0]), F.lit(dates[-1])))
