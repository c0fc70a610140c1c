"""Point-in-time lookups: the values a snapshot table held on the latest snapshot before a date."""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from transforms import columns as C


def latest_snapshot_before(
    values: DataFrame, dates: DataFrame, date_column: str, lag_days: int = 1
) -> DataFrame:
    """Pair every row of `dates` with the rows of `values` of its latest snapshot on or before the date minus
    `lag_days` (1: the state at the start of the day, known before anything of the day happened).

    Args:
        values: Rows of a snapshot table with SNAPSHOT_DATE (e.g. one tag of gold.tag_snapshots).
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
