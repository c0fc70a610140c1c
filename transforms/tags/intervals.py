"""gold.tag_history: the daily tag snapshots stored as changes.

One row per user, tag and value for each stretch of consecutive snapshot days holding it: VALID_FROM is its
first day, VALID_TO the day it stopped holding (exclusive), null while it still holds on the latest snapshot.
Most tags of most users keep their value from one day to the next, so a month of snapshots takes a few rows
per user and tag instead of one per day. `transforms.tags.history.tags_as_of` gives any date's snapshot back.

A run writes a range of consecutive dates: its intervals (`range_intervals`) replace whatever the history
said about those days, keeping the days before and after (`merged_history`), and adjacent intervals of one
value join, so the table only depends on the snapshots it was given, not on the order or number of runs
(re-runs, back-fills of older ranges). The table is partitioned by VALID_TO's month (OPEN while current):
a run rewrites the partitions from its first date's month on. A run that only extends the history (no
interval closed on its first date or later, `closed_from`) changes only the current intervals: it rewrites
the OPEN partition and adds the intervals it closes to their months (`extended_current`), so a daily run
writes about one row per user and tag, whatever the length of the history.
"""

from __future__ import annotations

import datetime as dt

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

from shop_platform.catalogs import TagCatalog
from transforms import columns as C
from transforms.tags.evaluate import long_value

OPEN = "open"
VALUE_COLUMNS = (C.VALUE, C.VALUE_BOOL, C.VALUE_NUM, C.VALUE_LIST)
HISTORY_COLUMNS = (C.USER_ID, C.TAG_ID, *VALUE_COLUMNS, C.VALID_FROM, C.VALID_TO, C.VALID_TO_MONTH)
_START, _END, _ENTRY, _RUN = "_start", "_end", "_entry", "_run"


def month_of(date: dt.date) -> str:
    """The VALID_TO_MONTH partition of intervals closing on `date`."""
    return date.strftime("%Y-%m")


def valid_to_month(valid_to: Column) -> Column:
    """VALID_TO_MONTH: VALID_TO's month as "yyyy-MM", OPEN for a current interval. As text, OPEN sorts after
    every month, so `>= month_of(d)` keeps the intervals that may hold on d."""
    return F.coalesce(F.date_format(valid_to, "yyyy-MM"), F.lit(OPEN))


def covering(first: dt.date, last: dt.date) -> Column:
    """Whether an interval holds on some day from `first` through `last`. The month partition comes first,
    so a reader skips the months closed before `first`."""
    return (
        (F.col(C.VALID_TO_MONTH) >= F.lit(month_of(first)))
        & (F.col(C.VALID_FROM) <= F.lit(last))
        & (F.col(C.VALID_TO).isNull() | (F.col(C.VALID_TO) > F.lit(first)))
    )


def months_between(first: dt.date, last: dt.date) -> list[str]:
    """Every month from `first`'s through `last`'s, as VALID_TO_MONTH values."""
    months, day = [], first.replace(day=1)
    while day <= last:
        months.append(month_of(day))
        day = (day + dt.timedelta(days=32)).replace(day=1)
    return months


def range_intervals(
    profile: DataFrame, catalog: TagCatalog, last_date: dt.date, later: dt.date | None
) -> DataFrame:
    """The intervals of a range of wide tag profiles, without reading them in long form first: a user's
    row is compared with the day before and after, and only the tags that start or end a stretch that day
    become rows.

    Args:
        profile: `tag_profile` rows (USER_ID, a column per tag, SNAPSHOT_DATE) of consecutive dates through
            `last_date`.
        catalog: The tag catalog.
        last_date: The range's last date.
        later: The first snapshot date after the range (what a value holding on `last_date` is valid to
            until merged with the history after it), None when there is none (it stays current).

    Returns:
        HISTORY_COLUMNS rows.
    """
    by_user = Window.partitionBy(C.USER_ID).orderBy(C.SNAPSHOT_DATE)
    day = F.col(C.SNAPSHOT_DATE)
    values = F.struct(*[t.id for t in catalog.tags])
    marked = profile.select(
        "*",
        F.when(F.lag(day).over(by_user) == F.date_sub(day, 1), F.lag(values).over(by_user)).alias("_prev"),
        F.when(F.lead(day).over(by_user) == F.date_add(day, 1), F.lead(values).over(by_user)).alias("_next"),
    )

    def boundary(tag_id: str) -> Column:
        value = F.col(tag_id)
        start = ~F.col("_prev")[tag_id].eqNullSafe(value)
        end = ~F.col("_next")[tag_id].eqNullSafe(value)
        return F.when(
            value.isNotNull() & (start | end),
            long_value(catalog.by_id[tag_id], start.alias(_START), end.alias(_END)),
        )

    entries = F.filter(F.array(*[boundary(t.id) for t in catalog.tags]), lambda e: e.isNotNull())
    bounds = marked.select(C.USER_ID, C.SNAPSHOT_DATE, F.explode(entries).alias(_ENTRY)).select(
        C.USER_ID,
        C.SNAPSHOT_DATE,
        *[F.col(_ENTRY)[name].alias(name) for name in (C.TAG_ID, *VALUE_COLUMNS, _START, _END)],
    )
    return _paired(bounds, last_date, later)


def snapshot_intervals(snapshots: DataFrame, last_date: dt.date, later: dt.date | None) -> DataFrame:
    """`range_intervals` of long snapshot rows (USER_ID, TAG_ID, the VALUE_COLUMNS, SNAPSHOT_DATE) of
    consecutive dates through `last_date`: e.g. to move stored daily snapshots into the history."""
    by_tag = Window.partitionBy(C.USER_ID, C.TAG_ID).orderBy(C.SNAPSHOT_DATE)
    day, value = F.col(C.SNAPSHOT_DATE), F.struct(*VALUE_COLUMNS)
    same_before = (F.lag(day).over(by_tag) == F.date_sub(day, 1)) & F.lag(value).over(by_tag).eqNullSafe(
        value
    )
    same_after = (F.lead(day).over(by_tag) == F.date_add(day, 1)) & F.lead(value).over(by_tag).eqNullSafe(
        value
    )
    bounds = snapshots.select(
        C.USER_ID,
        C.SNAPSHOT_DATE,
        C.TAG_ID,
        *VALUE_COLUMNS,
        (~F.coalesce(same_before, F.lit(False))).alias(_START),
        (~F.coalesce(same_after, F.lit(False))).alias(_END),
    ).where(F.col(_START) | F.col(_END))
    return _paired(bounds, last_date, later)


def _paired(bounds: DataFrame, last_date: dt.date, later: dt.date | None) -> DataFrame:
    """Intervals from the rows that start or end a stretch: after a start that is not also an end, the
    next row of the user's tag is its end."""
    by_tag = Window.partitionBy(C.USER_ID, C.TAG_ID).orderBy(C.SNAPSHOT_DATE)
    last_day = F.when(F.col(_END), F.col(C.SNAPSHOT_DATE)).otherwise(F.lead(C.SNAPSHOT_DATE).over(by_tag))
    valid_to = F.when(last_day == F.lit(last_date), F.lit(later).cast("date")).otherwise(
        F.date_add(last_day, 1)
    )
    return (
        bounds.select("*", valid_to.alias(C.VALID_TO))
        .where(F.col(_START))
        .select(
            C.USER_ID,
            C.TAG_ID,
            *VALUE_COLUMNS,
            F.col(C.SNAPSHOT_DATE).alias(C.VALID_FROM),
            C.VALID_TO,
            valid_to_month(F.col(C.VALID_TO)).alias(C.VALID_TO_MONTH),
        )
    )


def merged_history(tail: DataFrame, new: DataFrame, first_date: dt.date, later: dt.date | None) -> DataFrame:
    """The history's partitions from `first_date`'s month on, with a range's intervals in place of what they
    said about the range's days.

    An older interval keeps its part before `first_date` and, when a snapshot follows the range, its part
    from that snapshot on; then intervals of one value that meet (one's VALID_TO is the other's
    VALID_FROM) become one, so the result is the same whichever runs wrote the days.

    Args:
        tail: The history's rows with VALID_TO_MONTH >= month_of(first_date) (HISTORY_COLUMNS).
        new: `range_intervals` of the range, built with the same `later`.
        first_date: The range's first date.
        later: The first snapshot date after the range, None when the range is the latest.

    Returns:
        HISTORY_COLUMNS rows: the new content of those partitions.
    """
    start, end = F.col(C.VALID_FROM), F.col(C.VALID_TO)
    first = F.lit(first_date)
    before = tail.where(start < first).select(
        C.USER_ID,
        C.TAG_ID,
        *VALUE_COLUMNS,
        C.VALID_FROM,
        F.when(end.isNull() | (end > first), first).otherwise(end).alias(C.VALID_TO),
    )
    pieces = before.unionByName(new.drop(C.VALID_TO_MONTH))
    if later is not None:
        after = tail.where(end.isNull() | (end > F.lit(later))).select(
            C.USER_ID,
            C.TAG_ID,
            *VALUE_COLUMNS,
            F.greatest(start, F.lit(later)).alias(C.VALID_FROM),
            C.VALID_TO,
        )
        pieces = pieces.unionByName(after)
    return coalesced(pieces)


def closed_from(history: DataFrame, first_date: dt.date) -> DataFrame:
    """The history's intervals that closed on `first_date` or later. None (an empty result) means a run
    starting on `first_date` with no snapshot after it only extends the history (`extended_current`)."""
    return history.where(
        (F.col(C.VALID_TO_MONTH) >= F.lit(month_of(first_date)))
        & (F.col(C.VALID_TO_MONTH) != F.lit(OPEN))
        & (F.col(C.VALID_TO) >= F.lit(first_date))
    )


def extended_current(current: DataFrame, new: DataFrame, first_date: dt.date) -> DataFrame:
    """`merged_history` of a run that extends the history (`closed_from` it is empty, no snapshot after the
    range): its closed intervals all end before `first_date`, so none changes or meets a new one, and only
    the current intervals (VALID_TO_MONTH = OPEN) take part.

    Args:
        current: The history's OPEN partition.
        new: `range_intervals` of the range, built with `later` None.
        first_date: The range's first date.

    Returns:
        HISTORY_COLUMNS rows: the OPEN partition's new content, and the intervals the range closed
        (in their months), to add.
    """
    return merged_history(current, new, first_date, None)


def coalesced(intervals: DataFrame) -> DataFrame:
    """Intervals of one user, tag and value that meet, joined into one (HISTORY_COLUMNS rows)."""
    by_tag = Window.partitionBy(C.USER_ID, C.TAG_ID).orderBy(C.VALID_FROM)
    value = F.struct(*VALUE_COLUMNS)
    meets = (F.lag(C.VALID_TO).over(by_tag) == F.col(C.VALID_FROM)) & F.lag(value).over(by_tag).eqNullSafe(
        value
    )
    opens = intervals.select("*", F.when(F.coalesce(meets, F.lit(False)), 0).otherwise(1).alias(_RUN))
    runs = opens.select("*", F.sum(_RUN).over(by_tag.rowsBetween(Window.unboundedPreceding, 0)).alias("_n"))
    current = F.max(F.col(C.VALID_TO).isNull().cast("int")) == 1
    # A run holds one value, so `first` of each value column is that value.
    joined = runs.groupBy(C.USER_ID, C.TAG_ID, "_n").agg(
        *[F.first(name).alias(name) for name in VALUE_COLUMNS],
        F.min(C.VALID_FROM).alias(C.VALID_FROM),
        F.when(current, F.lit(None).cast("date")).otherwise(F.max(C.VALID_TO)).alias(C.VALID_TO),
    )
    return joined.select(
        C.USER_ID,
        C.TAG_ID,
        *VALUE_COLUMNS,
        C.VALID_FROM,
        C.VALID_TO,
        valid_to_month(F.col(C.VALID_TO)).alias(C.VALID_TO_MONTH),
    )
