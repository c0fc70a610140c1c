"""gold.user_features: one row per user per snapshot date, every feature the tag catalog can use."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from transforms import columns as C
from transforms.features.preferences import (
    HABIT_DAYS,
    INTEREST_DAYS,
    habit_features,
    interest_features,
    item_price_percentiles,
    price_features,
)
from transforms.features.recency import recency_features
from transforms.features.snapshots import from_day_on, snapshot_range
from transforms.features.windows import SUMMED, WINDOWS, window_features, windowed

PROFILE_COLUMNS = (
    C.GENDER,
    C.BIRTH_YEAR,
    C.CITY,
    C.CITY_TIER,
    C.PROVINCE,
    C.REGISTRATION_DATE,
    C.REGISTRATION_CHANNEL,
)
_KEYS = [C.USER_ID, C.SNAPSHOT_DATE]


def window_start(first_date: dt.date, windows: Sequence[int] = WINDOWS) -> dt.date:
    """The first day of activity the windowed features of snapshots from `first_date` on read: the longest
    window (activity, interest or habit) ending on `first_date`."""
    return first_date - dt.timedelta(days=max(*windows, INTEREST_DAYS, HABIT_DAYS) - 1)


def zero_filled(windows: Sequence[int]) -> list[str]:
    """Windowed counts that are 0, not null, for a user without activity in the window."""
    return [
        windowed(name, days) for days in windows for name in (*SUMMED, C.DAYS_ACTIVE, C.DISTINCT_CATEGORIES)
    ]


def user_features_over(
    users: DataFrame,
    daily: DataFrame,
    user_item_daily: DataFrame,
    items: DataFrame,
    order_items: DataFrame,
    snapshot_dates: Sequence[dt.date],
    half_life_days: float,
    windows: Sequence[int] = WINDOWS,
    settled: DataFrame | None = None,
) -> DataFrame:
    """Every user known on each snapshot date with their features as of that date, all dates in one pass.

    A user is known once registered (REGISTRATION_DATE on or before the snapshot date) or once active;
    users active without a registration row keep null profile columns. Users without activity in a window
    get 0 for its counts and null for its ratios. Each snapshot date's rows are those `user_features` gives
    for that date alone.

    Args:
        users: bronze.users (USER_ID and PROFILE_COLUMNS).
        daily: gold.user_daily_activity: every day through the last snapshot date (from the first day of
            history, or from the day after `settled`'s day when it is given, and at least from
            `window_start(first snapshot date)`).
        user_item_daily: gold.user_item_daily (days before `window_start` are not read).
        items: bronze.items.
        order_items: silver.order_items (days before `window_start` are not read).
        snapshot_dates: Consecutive as-of dates.
        half_life_days: Interest decay half-life (`interactions.half_life_days`).
        windows: Activity window lengths in days.
        settled: The all-time recency state on the day before `daily`'s first day (see
            transforms/features/recency.py), or None when `daily` holds all history.

    Returns:
        USER_ID, the profile columns, the windowed, recency, interest, price and habit features, AGE,
        TENURE_DAYS, SNAPSHOT_DATE.
    """
    snapshot_range(snapshot_dates)
    profile = from_day_on(users.select(C.USER_ID, *PROFILE_COLUMNS), C.REGISTRATION_DATE, snapshot_dates)
    recency = recency_features(daily, snapshot_dates, settled)
    known = profile.select(*_KEYS).union(recency.select(*_KEYS)).distinct()
    # Every joined frame has one row per user and snapshot date, so the left joins keep `known`'s rows.
    joined = (
        known.join(profile, on=_KEYS, how="left")
        .join(window_features(daily, snapshot_dates, windows), on=_KEYS, how="left")
        .join(recency, on=_KEYS, how="left")
        .join(interest_features(user_item_daily, items, snapshot_dates, half_life_days), on=_KEYS, how="left")
        .join(
            price_features(order_items, item_price_percentiles(items), snapshot_dates), on=_KEYS, how="left"
        )
        .join(habit_features(daily, snapshot_dates), on=_KEYS, how="left")
    )
    zeros = set(zero_filled(windows))
    snapshot = F.col(C.SNAPSHOT_DATE)
    return joined.select(
        *[
            F.coalesce(F.col(name), F.lit(0)).alias(name) if name in zeros else F.col(name)
            for name in joined.columns
            if name != C.SNAPSHOT_DATE
        ],
        (F.year(snapshot) - F.col(C.BIRTH_YEAR)).alias(C.AGE),
        F.datediff(snapshot, F.col(C.REGISTRATION_DATE)).alias(C.TENURE_DAYS),
        snapshot,
    )


def user_features(
    users: DataFrame,
    daily: DataFrame,
    user_item_daily: DataFrame,
    items: DataFrame,
    order_items: DataFrame,
    snapshot_date: dt.date,
    half_life_days: float,
    windows: Sequence[int] = WINDOWS,
) -> DataFrame:
    """The features of one snapshot date: `user_features_over` a range of that one day, from all history."""
    return user_features_over(
        users, daily, user_item_daily, items, order_items, [snapshot_date], half_life_days, windows
    )
