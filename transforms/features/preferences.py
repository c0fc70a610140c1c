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
from transforms.features.snapshots import snapshot_age, snapshot_range, spread_over_snapshots

INTEREST_DAYS = 90
HABIT_DAYS = 30
TOP_N = 3
# Local hours counted as night (00:00-05:59).
NIGHT_HOURS = range(0, 6)
_TOTAL, _RANK, _RANKED = "_total", "_rank", "_ranked"
_DAYS, _CHANGES, _CHANGED_ON, _HOLDS_UNTIL, _LATEST = (
    "_days",
    "_changes",
    "_changed_on",
    "_holds_until",
    "_latest",
)
_CHANGE = "_change"
_KEY, _NAMES, _KEY_NUMBER, _SCORE = "_key", "_names", "_key_number", "_score"
# Room for the key numbers in a score: far more names than a device or channel map holds.
_KEY_SLOTS = 1 << 31
_CHANGE_KEYS = [C.USER_ID, _CHANGED_ON, _HOLDS_UNTIL]
# Every preference is per user and snapshot date.
_SNAPSHOT_KEYS = [C.USER_ID, C.SNAPSHOT_DATE]


def interest_features(
    user_item_daily: DataFrame, items: DataFrame, snapshot_dates: Sequence[dt.date], half_life_days: float
) -> DataFrame:
    """Top categories and brands by decayed interaction strength, and how concentrated on brands a user is.

    A snapshot's interests read the days of its last INTEREST_DAYS days with strength, each aged to the
    latest of those days. Ageing every day by the same further days to the snapshot date scales all of a
    user's strengths alike, so it changes no rank and no share: the features change only when a day
    enters or leaves the window. A range is therefore computed once per such change (see
    `_interest_changes`) and each result holds until the next change: a back-fill copies a day's rows to
    the few dates where the user's window changed, not to all of its snapshot dates.

    Args:
        user_item_daily: gold.user_item_daily (USER_ID, ITEM_ID, STRENGTH aged to the end of EVENT_DATE).
        items: bronze.items (ITEM_ID, CATEGORY_L1, BRAND).
        snapshot_dates: Consecutive dates; each reads the days of its last INTEREST_DAYS days.
        half_life_days: The interactions' half-life (`interactions.half_life_days`).

    Returns:
        USER_ID, SNAPSHOT_DATE, TOP_CATEGORIES and TOP_BRANDS (up to TOP_N, strongest first, ties by name),
        BRAND_CONCENTRATION (Herfindahl index of brand strength shares: 1.0 = a single brand).
    """
    first, last = snapshot_range(snapshot_dates)
    keyed = user_item_daily.where(
        (F.col(C.STRENGTH) > 0)
        & F.col(C.EVENT_DATE).between(F.lit(first - dt.timedelta(days=INTEREST_DAYS - 1)), F.lit(last))
    ).join(items.select(C.ITEM_ID, C.CATEGORY_L1, C.BRAND), on=[C.ITEM_ID], how="inner")
    changes = _interest_changes(keyed, first, last)
    categories = _ranked(_aged_sums(keyed, changes, C.CATEGORY_L1, half_life_days), C.CATEGORY_L1)
    brands = _ranked(_aged_sums(keyed, changes, C.BRAND, half_life_days), C.BRAND)
    by_change = categories.select(*_CHANGE_KEYS, _top(C.CATEGORY_L1).alias(C.TOP_CATEGORIES)).join(
        brands.select(*_CHANGE_KEYS, _top(C.BRAND).alias(C.TOP_BRANDS), _concentration()),
        on=_CHANGE_KEYS,
        how="full",
    )
    return by_change.select(
        C.USER_ID,
        F.explode(F.sequence(F.col(_CHANGED_ON), F.col(_HOLDS_UNTIL))).alias(C.SNAPSHOT_DATE),
        C.TOP_CATEGORIES,
        C.TOP_BRANDS,
        C.BRAND_CONCENTRATION,
    )


def _interest_changes(keyed: DataFrame, first: dt.date, last: dt.date) -> DataFrame:
    """USER_ID and _CHANGES: the snapshot dates from `first` to `last` on which the user's interest window
    differs from the day before's (and `first` when it holds a day), sorted, each a struct of _CHANGED_ON,
    _HOLDS_UNTIL (the day before the next change, or `last`) and _LATEST (the window's latest day, the day
    strengths are aged to; null when the window is empty)."""
    days = F.array_sort(F.collect_set(C.EVENT_DATE))

    def within(dates: Column) -> Column:
        return F.filter(dates, lambda d: d.between(F.lit(first), F.lit(last)))

    # A day enters the window on its own date and leaves it INTEREST_DAYS days later.
    changed_on = F.array_sort(
        F.array_distinct(
            F.concat(
                within(F.col(_DAYS)),
                within(F.transform(F.col(_DAYS), lambda d: F.date_add(d, INTEREST_DAYS))),
                F.when(F.exists(F.col(_DAYS), lambda d: d <= F.lit(first)), F.array(F.lit(first))).otherwise(
                    F.array().cast("array<date>")
                ),
            )
        )
    )

    def change(on: Column, index: Column) -> Column:
        following = F.get(F.col(_CHANGED_ON), index + 1)
        return F.struct(
            on.alias(_CHANGED_ON),
            F.coalesce(F.date_sub(following, 1), F.lit(last)).alias(_HOLDS_UNTIL),
            F.array_max(
                F.filter(F.col(_DAYS), lambda d: d.between(F.date_sub(on, INTEREST_DAYS - 1), on))
            ).alias(_LATEST),
        )

    return (
        keyed.groupBy(C.USER_ID)
        .agg(days.alias(_DAYS))
        .select(C.USER_ID, _DAYS, changed_on.alias(_CHANGED_ON))
        .select(C.USER_ID, F.transform(F.col(_CHANGED_ON), change).alias(_CHANGES))
    )


def _aged_sums(keyed: DataFrame, changes: DataFrame, key: str, half_life_days: float) -> DataFrame:
    """USER_ID, _CHANGE_KEYS, `key`, STRENGTH: the strength of each non-null `key` (category, brand) over
    the window of each change, aged to the window's latest day.

    A day's strengths are summed per key before they are copied to the changes whose window holds the day.
    """
    daily = (
        keyed.where(F.col(key).isNotNull())
        .groupBy(C.USER_ID, C.EVENT_DATE, key)
        .agg(F.sum(C.STRENGTH).alias(C.STRENGTH))
    )
    day = F.col(C.EVENT_DATE)
    holding = F.filter(
        F.col(_CHANGES), lambda c: day.between(F.date_sub(c[_CHANGED_ON], INTEREST_DAYS - 1), c[_CHANGED_ON])
    )
    change = F.col(_CHANGE)
    age_days = F.datediff(change[_LATEST], day)
    aged = F.col(C.STRENGTH) * F.pow(F.lit(0.5), age_days / F.lit(float(half_life_days)))
    return (
        daily.join(changes, on=[C.USER_ID], how="inner")
        .select(C.USER_ID, key, C.STRENGTH, day, F.explode(holding).alias(_CHANGE))
        .groupBy(
            C.USER_ID,
            change[_CHANGED_ON].alias(_CHANGED_ON),
            change[_HOLDS_UNTIL].alias(_HOLDS_UNTIL),
            key,
        )
        .agg(F.sum(aged).alias(C.STRENGTH))
    )


def _ranked(summed: DataFrame, key: str) -> DataFrame:
    """_CHANGE_KEYS and _RANKED: every (-strength, `key`) of the change, strongest first, ties by name."""
    return summed.groupBy(*_CHANGE_KEYS).agg(
        F.array_sort(F.collect_list(F.struct((-F.col(C.STRENGTH)).alias(_RANK), F.col(key)))).alias(_RANKED)
    )


def _top(key: str) -> Column:
    return F.transform(F.slice(F.col(_RANKED), 1, TOP_N), lambda entry: entry[key])


def _concentration() -> Column:
    strengths = F.transform(F.col(_RANKED), lambda entry: -entry[_RANK])
    total = F.aggregate(strengths, F.lit(0.0), lambda acc, s: acc + s)
    return F.aggregate(strengths, F.lit(0.0), lambda acc, s: acc + (s / total) * (s / total)).alias(
        C.BRAND_CONCENTRATION
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
        .join(_main_key(last_days, daily, C.SESSIONS_BY_DEVICE, C.MAIN_DEVICE), on=_SNAPSHOT_KEYS, how="left")
        .join(
            _main_key(last_days, daily, C.SESSIONS_BY_CHANNEL, C.MAIN_CHANNEL), on=_SNAPSHOT_KEYS, how="left"
        )
    )


def _busiest_hours(hours: Column) -> Column:
    """Up to TOP_N hours with events, most events first, ties by the earlier hour."""
    entries = F.transform(
        F.sequence(F.lit(0), F.lit(HOURS - 1)), lambda h: F.struct((-hours[h]).alias(_RANK), h.alias("h"))
    )
    busiest = F.filter(F.array_sort(entries), lambda e: e[_RANK] < 0)
    return F.transform(F.slice(busiest, 1, TOP_N), lambda e: e["h"])


def _main_key(days: DataFrame, daily: DataFrame, counts_by_key: str, out: str) -> DataFrame:
    """The key with the most sessions in the map column `counts_by_key`, summed over each snapshot's `days`
    (rows of `daily` with their SNAPSHOT_DATE), ties by name.

    Each key of `daily` is numbered in name order once, so "most sessions, then the first name" is the
    maximum of one number per snapshot: a hash aggregation, where comparing (sessions, name) pairs sorts
    every snapshot's rows.
    """
    names = F.array_sort(F.collect_set(_KEY))
    numbered = (
        daily.select(F.explode(F.map_keys(F.col(counts_by_key))).alias(_KEY))
        .agg(names.alias(_NAMES))
        .select(F.posexplode(_NAMES).alias(_KEY_NUMBER, _KEY))
    )
    summed = (
        days.select(*_SNAPSHOT_KEYS, F.explode(F.col(counts_by_key)).alias(_KEY, C.SESSIONS))
        .join(F.broadcast(numbered), on=[_KEY], how="inner")
        .groupBy(*_SNAPSHOT_KEYS, _KEY_NUMBER)
        .agg(F.sum(C.SESSIONS).alias(C.SESSIONS))
    )
    # More sessions first, then the lower number: sessions * _KEY_SLOTS + (_KEY_SLOTS - 1 - number).
    slots = F.lit(_KEY_SLOTS)
    score = F.col(C.SESSIONS) * slots + (slots - 1 - F.col(_KEY_NUMBER))
    best = summed.groupBy(*_SNAPSHOT_KEYS).agg(F.max(score).alias(_SCORE))
    return (
        best.select(*_SNAPSHOT_KEYS, (slots - 1 - F.pmod(F.col(_SCORE), slots)).alias(_KEY_NUMBER))
        .join(F.broadcast(numbered.withColumnRenamed(_KEY, out)), on=[_KEY_NUMBER], how="inner")
        .select(*_SNAPSHOT_KEYS, out)
    )
