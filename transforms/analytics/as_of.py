"""Point-in-time lookups: the values a snapshot table held on the latest snapshot before a date."""

from __future__ import annotations

import datetime as dt

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from transforms import columns as C
from transforms.analytics.activity import date_range

# A segment or stage from a snapshot older than this before the day is no longer the user's: left null.
AS_OF_LOOKBACK_DAYS = 7


def latest_snapshot_before(
    values: DataFrame, dates: DataFrame, date_column: str, lag_days: int = 1
) -> DataFrame:
    """Pair every row of `dates` with the rows of `values` of its latest snapshot on or before the date minus
    `lag_days` (1: the state at the start of the day, known before anything of the day happened).

    Args:
        values: Rows of a snapshot table with SNAPSHOT_DATE (e.g. one tag of tags_as_of_each rows).
        dates: Rows holding `date_column` (distinct rows; any other columns are kept).
        date_column: The date each row of `dates` is looked up for.
        lag_days: Days before the date the snapshot may be taken at the latest.

    Returns:
        The columns of `dates` and of `values` (with SNAPSHOT_DATE, the snapshot used); a date without an
        earlier snapshot gets no rows.
    """
    snapshot_dates = values.select(C.SNAPSHOT_DATE).distinct()
    # dates x snapshot dates are a few hundred rows at most: one snapshot per day.
    chosen = (
        dates.join(
            snapshot_dates, F.col(C.SNAPSHOT_DATE) <= F.date_sub(F.col(date_column), lag_days), how="inner"
        )
        .groupBy(*dates.columns)
        .agg(F.max(C.SNAPSHOT_DATE).alias(C.SNAPSHOT_DATE))
    )
    return chosen.join(values, on=[C.SNAPSHOT_DATE], how="inner").select(
        *dates.columns, *[c for c in values.columns if c not in dates.columns]
    )


def known_before_each_day(
    values: DataFrame,
    value_column: str,
    first: dt.date,
    last: dt.date,
    lookback_days: int = AS_OF_LOOKBACK_DAYS,
) -> DataFrame:
    """Each day's value of a snapshot table, from the latest snapshot before the day.

    Args:
        values: USER_ID, `value_column`, SNAPSHOT_DATE (e.g. gold.user_segments, one tag of tags_as_of_each
            rows).
        value_column: The column looked up.
        first, last: The days to look the values up for.
        lookback_days: A snapshot older than this many days before the day is not used (the user gets no row).

    Returns:
        USER_ID, EVENT_DATE, `value_column`: one row per user and day of `first`..`last` that has a recent
        enough snapshot.
    """
    recent = values.where(
        F.col(C.SNAPSHOT_DATE).between(F.lit(first - dt.timedelta(days=lookback_days)), F.lit(last))
    )
    days = date_range(values, first, last, C.EVENT_DATE)
    pairs = latest_snapshot_before(
        recent.select(C.USER_ID, value_column, C.SNAPSHOT_DATE), days, C.EVENT_DATE
    )
    return pairs.where(F.datediff(F.col(C.EVENT_DATE), F.col(C.SNAPSHOT_DATE)) <= lookback_days).select(
        C.USER_ID, C.EVENT_DATE, value_column
    )
