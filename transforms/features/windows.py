"""Windowed activity features as of each snapshot date, read from the daily activity table.

A window of N days ends on the snapshot date and holds the N days before it, the snapshot date included.
Every feature is named `<measure>_<N>d`, e.g. `orders_30d`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

from transforms import columns as C
from transforms.features.snapshots import snapshot_age, snapshot_range, spread_over_snapshots
from transforms.vocabulary import FEATURE_WINDOWS as WINDOWS

# Measures summed over each window; ratios and distinct counts are derived below.
SUMMED = (
    C.SESSIONS,
    C.VISITS,
    C.PAGE_VIEWS,
    C.SEARCHES,
    C.CART_ADDS,
    C.FAVORITES,
    C.ORDERS,
    C.PAID_GMV,
    C.REFUNDS,
    C.ABANDONED_CARTS,
)
_NEXT_DAY, _CHANGE, _WANTED = "_next_day", "_change", "_wanted"
WINDOWED = (*SUMMED, C.AVG_ORDER_VALUE, C.REFUND_RATE, C.DISTINCT_CATEGORIES, C.DAYS_ACTIVE)


def windowed(name: str, days: int) -> str:
    """The feature column of measure `name` over the `days`-day window."""
    return f"{name}_{days}d"


def window_features(
    daily: DataFrame, snapshot_dates: Sequence[dt.date], windows: Sequence[int] = WINDOWS
) -> DataFrame:
    """Every windowed measure for every window, per user and snapshot date with activity in the longest window.

    C.AVG_ORDER_VALUE is the placed orders' amount over their count; C.REFUND_RATE is refunds over orders in the
    same window (null without orders); C.DAYS_ACTIVE counts days with any event.

    Args:
        daily: gold.user_daily_activity rows (any dates; only the longest window ending on each snapshot
            date is read).
        snapshot_dates: Consecutive snapshot dates, each the last day of its windows.
        windows: Window lengths in days.

    Returns:
        USER_ID, SNAPSHOT_DATE and `windowed(measure, n)` for every measure of WINDOWED and n of `windows`.
    """
    in_longest = spread_over_snapshots(daily, C.ACTIVITY_DATE, snapshot_dates, max(windows))
    age = snapshot_age(C.ACTIVITY_DATE)

    aggregates: list[Column] = []
    for days in windows:
        inside = age < days
        aggregates += [
            F.sum(F.when(inside, F.col(name)).otherwise(0)).alias(windowed(name, days)) for name in SUMMED
        ]
        aggregates += [
            F.sum(F.when(inside, F.col(C.ORDER_AMOUNT)).otherwise(0.0)).alias(f"_order_amount_{days}d"),
            F.count(F.when(inside & (F.col(C.EVENTS) > 0), True)).alias(windowed(C.DAYS_ACTIVE, days)),
        ]
    summed = in_longest.groupBy(C.USER_ID, C.SNAPSHOT_DATE).agg(*aggregates)
    distinct = distinct_category_counts(
        daily, summed.select(C.USER_ID, C.SNAPSHOT_DATE), snapshot_dates, windows
    )
    with_distinct = summed.join(distinct, on=[C.USER_ID, C.SNAPSHOT_DATE], how="left")
    ratios: list[Column] = []
    for days in windows:
        orders = F.col(windowed(C.ORDERS, days))
        ratios += [
            F.when(orders > 0, F.col(f"_order_amount_{days}d") / orders).alias(
                windowed(C.AVG_ORDER_VALUE, days)
            ),
            F.when(orders > 0, F.col(windowed(C.REFUNDS, days)) / orders).alias(
                windowed(C.REFUND_RATE, days)
            ),
        ]
    return with_distinct.select(
        C.USER_ID,
        C.SNAPSHOT_DATE,
        *[
            F.col(windowed(name, days))
            for days in windows
            for name in (*SUMMED, C.DAYS_ACTIVE, C.DISTINCT_CATEGORIES)
        ],
        *ratios,
    )


def distinct_category_counts(
    daily: DataFrame, keys: DataFrame, snapshot_dates: Sequence[dt.date], windows: Sequence[int]
) -> DataFrame:
    """USER_ID, SNAPSHOT_DATE and `windowed(DISTINCT_CATEGORIES, n)` for each row of `keys`: how many
    categories the user's days within the n days ending on the snapshot date hold.

    A category counts in window n from its day until n-1 days later or its next day, whichever comes first.
    Each such stretch adds 1 on its first snapshot date and takes it away the day after its last, and a
    running sum over the dates gives the counts: a back-fill copies a category's day twice per window, not
    once per snapshot date.

    Args:
        daily: gold.user_daily_activity rows (USER_ID, ACTIVITY_DATE, CATEGORIES).
        keys: USER_ID, SNAPSHOT_DATE: the users and dates to count for.
        snapshot_dates: Consecutive snapshot dates, every date of `keys` among them.
        windows: Window lengths in days.
    """
    first, last = snapshot_range(snapshot_dates)
    day = F.col(C.ACTIVITY_DATE)
    category_days = daily.where(
        day.between(F.lit(first - dt.timedelta(days=max(windows) - 1)), F.lit(last))
    ).select(C.USER_ID, day, F.explode(C.CATEGORIES).alias(C.CATEGORY_L1))
    next_day = F.lead(day).over(Window.partitionBy(C.USER_ID, C.CATEGORY_L1).orderBy(day))
    start = F.greatest(day, F.lit(first))
    changes = [F.struct(start.alias(C.SNAPSHOT_DATE), *[_counted(days, 1) for days in windows])]
    for days in windows:
        changes.append(
            F.struct(
                F.date_add(_stretch_end(days, last), 1).alias(C.SNAPSHOT_DATE),
                *[_counted(other, -1 if other == days else 0) for other in windows],
            )
        )
    # A stretch of window n holds a snapshot date when it starts on or before its end.
    deltas = (
        category_days.select("*", next_day.alias(_NEXT_DAY))
        .select(
            C.USER_ID,
            F.explode(F.array(*changes)).alias(_CHANGE),
            *[(start <= _stretch_end(days, last)).alias(_holds(days)) for days in windows],
        )
        .where(F.col(_CHANGE)[C.SNAPSHOT_DATE] <= F.lit(last))
        .select(
            C.USER_ID,
            F.col(_CHANGE)[C.SNAPSHOT_DATE].alias(C.SNAPSHOT_DATE),
            *[
                F.when(F.col(_holds(days)), F.col(_CHANGE)[_delta(days)]).otherwise(0).alias(_delta(days))
                for days in windows
            ],
            F.lit(False).alias(_WANTED),
        )
    )
    wanted = keys.select(
        C.USER_ID,
        C.SNAPSHOT_DATE,
        *[F.lit(0).alias(_delta(days)) for days in windows],
        F.lit(True).alias(_WANTED),
    )
    per_date = (
        deltas.unionByName(wanted)
        .groupBy(C.USER_ID, C.SNAPSHOT_DATE)
        .agg(*[F.sum(_delta(days)).alias(_delta(days)) for days in windows], F.max(_WANTED).alias(_WANTED))
    )
    so_far = Window.partitionBy(C.USER_ID).orderBy(C.SNAPSHOT_DATE).rowsBetween(Window.unboundedPreceding, 0)
    return (
        per_date.select(
            C.USER_ID,
            C.SNAPSHOT_DATE,
            _WANTED,
            *[
                F.sum(_delta(days)).over(so_far).cast("int").alias(windowed(C.DISTINCT_CATEGORIES, days))
                for days in windows
            ],
        )
        .where(F.col(_WANTED))
        .drop(_WANTED)
    )


def _stretch_end(days: int, last: dt.date) -> Column:
    """The last snapshot date a category's day counts in the `days`-day window: `days` - 1 days later, the
    day before the category's next day or `last`, whichever comes first."""
    day = F.col(C.ACTIVITY_DATE)
    return F.least(F.date_sub(F.col(_NEXT_DAY), 1), F.date_add(day, days - 1), F.lit(last))


def _holds(days: int) -> str:
    return f"_holds_{days}d"


def _delta(days: int) -> str:
    return f"_delta_{days}d"


def _counted(days: int, delta: int) -> Column:
    return F.lit(delta).alias(_delta(days))
