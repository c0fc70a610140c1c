"""Preference features as of each snapshot date: what a user likes, how and when they shop.

Interests come from gold.user_item_daily (each day's interaction strength, aged to the end of its day),
aged on to the snapshot date, so any past snapshot can be recomputed. Habits come from the daily activity
table; price level from the items bought and the catalogue's prices.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

from transforms import columns as C
from transforms.features.daily_activity import HOURS
from transforms.features.snapshots import snapshot_age, spread_over_snapshots

INTEREST_DAYS = 90
HABIT_DAYS = 30
TOP_N = 3
# Local hours counted as night (00:00-05:59).
NIGHT_HOURS = range(0, 6)
_SHARE, _TOTAL, _RANK = "_share", "_total", "_rank"
# Every preference is per user and snapshot date.
_SNAPSHOT_KEYS = [C.USER_ID, C.SNAPSHOT_DATE]


def interest_features(
    user_item_daily: DataFrame, items: DataFrame, snapshot_dates: Sequence[dt.date], half_life_days: float
) -> DataFrame:
    """Top categories and brands by decayed interaction strength, and how concentrated on brands a user is.

    Args:
        user_item_daily: gold.user_item_daily (USER_ID, ITEM_ID, STRENGTH aged to the end of EVENT_DATE).
        items: bronze.items (ITEM_ID, CATEGORY_L1, BRAND).
        snapshot_dates: Consecutive dates; for each, strengths are aged to the end of the day and its last
            INTEREST_DAYS days count.
        half_life_days: The interactions' half-life (`interactions.half_life_days`).

    Returns:
        USER_ID, SNAPSHOT_DATE, TOP_CATEGORIES and TOP_BRANDS (up to TOP_N, strongest first, ties by name),
        BRAND_CONCENTRATION (Herfindahl index of brand strength shares: 1.0 = a single brand).
    """
    keyed = user_item_daily.where(F.col(C.STRENGTH) > 0).join(
        items.select(C.ITEM_ID, C.CATEGORY_L1, C.BRAND), on=[C.ITEM_ID], how="inner"
    )
    by_category = _aged_sums(keyed, C.CATEGORY_L1, snapshot_dates, half_life_days)
    by_brand = _aged_sums(keyed, C.BRAND, snapshot_dates, half_life_days)
    share = F.col(C.STRENGTH) / F.sum(C.STRENGTH).over(Window.partitionBy(*_SNAPSHOT_KEYS))
    concentration = (
        by_brand.select(*_SNAPSHOT_KEYS, share.alias(_SHARE))
        .groupBy(*_SNAPSHOT_KEYS)
        .agg(F.sum(F.col(_SHARE) * F.col(_SHARE)).alias(C.BRAND_CONCENTRATION))
    )
    return (
        _top(by_category, C.CATEGORY_L1, C.TOP_CATEGORIES)
        .join(_top(by_brand, C.BRAND, C.TOP_BRANDS), on=_SNAPSHOT_KEYS, how="full")
        .join(concentration, on=_SNAPSHOT_KEYS, how="full")
    )


def _aged_sums(
    keyed: DataFrame, key: str, snapshot_dates: Sequence[dt.date], half_life_days: float
) -> DataFrame:
    """USER_ID, SNAPSHOT_DATE, `key`, STRENGTH: the strength of each non-null `key` (category, brand) over
    each snapshot's last INTEREST_DAYS days, aged to the end of the snapshot date.

    A day's strengths are summed per key before they are spread over the snapshots: a back-fill copies a
    day's row once per snapshot date whose window holds it, so it copies keys, not items.
    """
    daily = (
        keyed.where(F.col(key).isNotNull())
        .groupBy(C.USER_ID, C.EVENT_DATE, key)
        .agg(F.sum(C.STRENGTH).alias(C.STRENGTH))
    )
    age_days = snapshot_age(C.EVENT_DATE)
    aged = F.col(C.STRENGTH) * F.pow(F.lit(0.5), age_days / F.lit(float(half_life_days)))
    return (
        spread_over_snapshots(daily, C.EVENT_DATE, snapshot_dates, INTEREST_DAYS)
        .groupBy(*_SNAPSHOT_KEYS, key)
        .agg(F.sum(aged).alias(C.STRENGTH))
    )


def _top(summed: DataFrame, key: str, out: str) -> DataFrame:
    # Sorting (-strength, name) structs gives strongest first with a stable tie-break.
    ranked = F.array_sort(F.collect_list(F.struct((-F.col(C.STRENGTH)).alias(_RANK), F.col(key))))
    return (
        summed.groupBy(*_SNAPSHOT_KEYS)
        .agg(F.slice(ranked, 1, TOP_N).alias("_top"))
        .select(*_SNAPSHOT_KEYS, F.transform(F.col("_top"), lambda entry: entry[key]).alias(out))
    )


def item_price_percentiles(items: DataFrame) -> DataFrame:
    """ITEM_ID, PRICE_PERCENTILE: the item's list-price rank within its first-level category, 0..1."""
    by_category = Window.partitionBy(C.CATEGORY_L1).orderBy(C.LIST_PRICE)
    return items.where(F.col(C.LIST_PRICE).isNotNull()).select(
        C.ITEM_ID, F.percent_rank().over(by_category).alias(C.PRICE_PERCENTILE)
    )


def price_features(
    order_items: DataFrame, percentiles: DataFrame, snapshot_dates: Sequence[dt.date]
) -> DataFrame:
    """USER_ID, SNAPSHOT_DATE, PRICE_LEVEL: the mean price percentile of the items bought in the last
    INTEREST_DAYS days of each snapshot date (0 = always the cheapest of the category, 1 = always the
    dearest)."""
    return (
        spread_over_snapshots(order_items, C.ORDER_DATE, snapshot_dates, INTEREST_DAYS)
        .join(percentiles, on=[C.ITEM_ID], how="inner")
        .groupBy(*_SNAPSHOT_KEYS)
        .agg(F.avg(C.PRICE_PERCENTILE).alias(C.PRICE_LEVEL))
    )


def habit_features(daily: DataFrame, snapshot_dates: Sequence[dt.date]) -> DataFrame:
    """How and when a user shops, from the daily activity of the last HABIT_DAYS days of each snapshot date
    (discounts, coupons and order lead times over INTEREST_DAYS, since orders are rarer).

    Returns:
        USER_ID, SNAPSHOT_DATE, DISCOUNT_SHARE and COUPON_SHARE (of placed orders), AVG_ORDER_LEAD_MINUTES
        (session start to order), ACTIVE_HOURS (up to TOP_N local hours with the most events), NIGHT_SHARE and
        WEEKEND_SHARE (of events), MAIN_DEVICE and MAIN_CHANNEL (most sessions; ties by name).
    """
    date = F.col(C.ACTIVITY_DATE)
    recent = snapshot_age(C.ACTIVITY_DATE) < HABIT_DAYS
    interest_window = spread_over_snapshots(daily, C.ACTIVITY_DATE, snapshot_dates, INTEREST_DAYS)
    weekend = F.dayofweek(date).isin(1, 7)
    hour_sums = [F.sum(F.when(recent, F.col(C.EVENTS_BY_HOUR)[h]).otherwise(0)) for h in range(HOURS)]
    orders = F.sum(C.ORDERS)
    summary = interest_window.groupBy(*_SNAPSHOT_KEYS).agg(
        F.when(orders > 0, F.sum(C.DISCOUNTED_ORDERS) / orders).alias(C.DISCOUNT_SHARE),
        F.when(orders > 0, F.sum(C.COUPON_ORDERS) / orders).alias(C.COUPON_SHARE),
        F.when(orders > 0, F.sum(C.ORDER_LEAD_MINUTES) / orders).alias(C.AVG_ORDER_LEAD_MINUTES),
        F.array(*hour_sums).alias(C.EVENTS_BY_HOUR),
        F.sum(F.when(recent, F.col(C.EVENTS)).otherwise(0)).alias(_TOTAL),
        F.sum(F.when(recent & weekend, F.col(C.EVENTS)).otherwise(0)).alias("_weekend_events"),
    )
    total = F.col(_TOTAL)
    hours = F.col(C.EVENTS_BY_HOUR)
    # Only the days up to each snapshot date count, also in a back-fill whose daily rows go further.
    last_days = interest_window.where(recent)
    night = sum((hours[h] for h in NIGHT_HOURS), F.lit(0))
    return (
        summary.select(
            *_SNAPSHOT_KEYS,
            C.DISCOUNT_SHARE,
            C.COUPON_SHARE,
            C.AVG_ORDER_LEAD_MINUTES,
            _busiest_hours(hours).alias(C.ACTIVE_HOURS),
            F.when(total > 0, night / total).alias(C.NIGHT_SHARE),
            F.when(total > 0, F.col("_weekend_events") / total).alias(C.WEEKEND_SHARE),
        )
        .join(_main_key(last_days, C.SESSIONS_BY_DEVICE, C.MAIN_DEVICE), on=_SNAPSHOT_KEYS, how="left")
        .join(_main_key(last_days, C.SESSIONS_BY_CHANNEL, C.MAIN_CHANNEL), on=_SNAPSHOT_KEYS, how="left")
    )


def _busiest_hours(hours: Column) -> Column:
    """Up to TOP_N hours with events, most events first, ties by the earlier hour."""
    entries = F.transform(
        F.sequence(F.lit(0), F.lit(HOURS - 1)), lambda h: F.struct((-hours[h]).alias(_RANK), h.alias("h"))
    )
    busiest = F.filter(F.array_sort(entries), lambda e: e[_RANK] < 0)
    return F.transform(F.slice(busiest, 1, TOP_N), lambda e: e["h"])


def _main_key(daily: DataFrame, counts_by_key: str, out: str) -> DataFrame:
    """The key with the most sessions in the map column `counts_by_key`, summed over each snapshot's days."""
    exploded = daily.select(*_SNAPSHOT_KEYS, F.explode(F.col(counts_by_key)).alias("_key", C.SESSIONS))
    summed = exploded.groupBy(*_SNAPSHOT_KEYS, "_key").agg(F.sum(C.SESSIONS).alias(C.SESSIONS))
    best = F.array_sort(F.collect_list(F.struct((-F.col(C.SESSIONS)).alias(_RANK), F.col("_key"))))
    return summed.groupBy(*_SNAPSHOT_KEYS).agg(best[0]["_key"].alias(out))
