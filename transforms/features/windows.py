"""Windowed activity features as of each snapshot date, read from the daily activity table.

A window of N days ends on the snapshot date and holds the N days before it, the snapshot date included.
Every feature is named `<measure>_<N>d`, e.g. `orders_30d`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from transforms import columns as C
from transforms.features.snapshots import snapshot_age, spread_over_snapshots
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
            F.size(F.array_distinct(F.flatten(F.collect_list(F.when(inside, F.col(C.CATEGORIES)))))).alias(
                windowed(C.DISTINCT_CATEGORIES, days)
            ),
        ]
    summed = in_longest.groupBy(C.USER_ID, C.SNAPSHOT_DATE).agg(*aggregates)
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
    return summed.select(
        C.USER_ID,
        C.SNAPSHOT_DATE,
        *[
            F.col(windowed(name, days))
            for days in windows
            for name in (*SUMMED, C.DAYS_ACTIVE, C.DISTINCT_CATEGORIES)
        ],
        *ratios,
    )
