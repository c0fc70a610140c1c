"""gold.user_features: one row per user per snapshot date, every feature the tag catalog can use."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from transforms import columns as C
from transforms.features.preferences import (
    habit_features,
    interest_features,
    item_price_percentiles,
    price_features,
)
from transforms.features.windows import SUMMED, WINDOWS, recency_features, window_features, windowed

PROFILE_COLUMNS = (
    C.GENDER,
    C.BIRTH_YEAR,
    C.CITY,
    C.CITY_TIER,
    C.PROVINCE,
    C.REGISTRATION_DATE,
    C.REGISTRATION_CHANNEL,
)


def zero_filled(windows: Sequence[int]) -> list[str]:
    """Windowed counts that are 0, not null, for a user without activity in the window."""
    return [
        windowed(name, days) for days in windows for name in (*SUMMED, C.DAYS_ACTIVE, C.DISTINCT_CATEGORIES)
    ]


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
    """Every user known on the snapshot date with their features as of that date.

    A user is known once registered (REGISTRATION_DATE on or before the snapshot date) or once active;
    users active without a registration row keep null profile columns. Users without activity in a window
    get 0 for its counts and null for its ratios.

    Args:
        users: bronze.users (USER_ID and PROFILE_COLUMNS).
        daily: gold.user_daily_activity.
        user_item_daily: gold.user_item_daily.
        items: bronze.items.
        order_items: silver.order_items.
        snapshot_date: The as-of date.
        half_life_days: Interest decay half-life (`interactions.half_life_days`).
        windows: Activity window lengths in days.

    Returns:
        USER_ID, the profile columns, AGE, TENURE_DAYS, the windowed, recency, interest, price and habit
        features, SNAPSHOT_DATE.
    """
    snapshot = F.lit(snapshot_date)
    registered = F.col(C.REGISTRATION_DATE).isNull() | (F.col(C.REGISTRATION_DATE) <= snapshot)
    profile = users.where(registered).select(C.USER_ID, *PROFILE_COLUMNS)
    recency = recency_features(daily, snapshot_date)
    known = profile.select(C.USER_ID).union(recency.select(C.USER_ID)).distinct()
    joined = (
        known.join(profile, on=[C.USER_ID], how="left")
        .join(window_features(daily, snapshot_date, windows), on=[C.USER_ID], how="left")
        .join(recency, on=[C.USER_ID], how="left")
        .join(
            interest_features(user_item_daily, items, snapshot_date, half_life_days),
            on=[C.USER_ID],
            how="left",
        )
        .join(
            price_features(order_items, item_price_percentiles(items), snapshot_date),
            on=[C.USER_ID],
            how="left",
        )
        .join(habit_features(daily, snapshot_date), on=[C.USER_ID], how="left")
    )
    zeros = set(zero_filled(windows))
    return joined.select(
        *[
            F.coalesce(F.col(name), F.lit(0)).alias(name) if name in zeros else F.col(name)
            for name in joined.columns
        ],
        (F.year(snapshot) - F.col(C.BIRTH_YEAR)).alias(C.AGE),
        F.datediff(snapshot, F.col(C.REGISTRATION_DATE)).alias(C.TENURE_DAYS),
        snapshot.alias(C.SNAPSHOT_DATE),
    )
