"""Bot detection: users whose event rate no person reaches, flagged per shop-local day and kept out of silver.

Rates are counted on deduplicated events, so a collector retry never makes a person look like a bot, and
on actions, not rows: the `order` rows of one order (one per line in an order-lines export, where a basket
of 40 lines is 40 rows in the same second) count as one action, at the order's first row.
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

from transforms import columns as C
from transforms import vocabulary as V
from transforms.orders import order_key

EVENTS_PER_MINUTE = "events_per_minute"
EVENTS_PER_DAY = "events_per_day"

_MINUTE_MICROS = 60 * 1_000_000
_IN_MINUTE = "_events_in_minute"
_PER_MINUTE = "_max_events_per_minute"
_PER_DAY = "_events_per_day"
_CHECK = "_check"

_FLAGGED_DATE = "_flagged_date"
_FIRST_ROW = "_first_row"


def flag_bot_users(events: DataFrame, max_events_per_minute: int, max_events_per_day: int) -> DataFrame:
    """One row per user, day and rule broken: more than `max_events_per_minute` actions within any 60
    seconds, or more than `max_events_per_day` actions in a shop-local day (`user_actions`: an order's
    rows are one action).

    Args:
        events: Clean events with USER_ID, EVENT_TYPE, EVENT_TIME, EVENT_DATE, ORDER_ID, EVENT_ID.
        max_events_per_minute: `bots.max_events_per_minute`.
        max_events_per_day: `bots.max_events_per_day`.

    Returns:
        USER_ID, RULE (e.g. "events_per_minute>30"), OBSERVED_VALUE, THRESHOLD, EVENT_DATE (the day the
        busiest minute started in, or the day counted).
    """
    # A sliding minute from each event on, not clock minutes: a burst split across two clock minutes
    # still counts as one minute's worth.
    minute_from_here = (
        Window.partitionBy(C.USER_ID)
        .orderBy(F.unix_micros(F.col(C.EVENT_TIME)))
        .rangeBetween(0, _MINUTE_MICROS - 1)
    )
    rates = (
        user_actions(events)
        .select(C.USER_ID, C.EVENT_DATE, F.count(F.lit(1)).over(minute_from_here).alias(_IN_MINUTE))
        .groupBy(C.USER_ID, C.EVENT_DATE)
        .agg(F.max(_IN_MINUTE).alias(_PER_MINUTE), F.count(F.lit(1)).alias(_PER_DAY))
    )
    checks = F.array(
        _check(EVENTS_PER_MINUTE, F.col(_PER_MINUTE), max_events_per_minute),
        _check(EVENTS_PER_DAY, F.col(_PER_DAY), max_events_per_day),
    )
    return (
        rates.select(C.USER_ID, C.EVENT_DATE, F.explode(checks).alias(_CHECK))
        .where(F.col(f"{_CHECK}.{C.OBSERVED_VALUE}") > F.col(f"{_CHECK}.{C.THRESHOLD}"))
        .select(
            C.USER_ID,
            F.col(f"{_CHECK}.{C.RULE}").alias(C.RULE),
            F.col(f"{_CHECK}.{C.OBSERVED_VALUE}").alias(C.OBSERVED_VALUE),
            F.col(f"{_CHECK}.{C.THRESHOLD}").alias(C.THRESHOLD),
            C.EVENT_DATE,
        )
    )


def user_actions(events: DataFrame) -> DataFrame:
    """One row per thing a user did: every event but `order` rows, plus one row per order at its first row.

    Args:
        events: Clean events with USER_ID, EVENT_TYPE, EVENT_TIME, EVENT_DATE, ORDER_ID, EVENT_ID.

    Returns:
        USER_ID, EVENT_TIME, EVENT_DATE.
    """
    is_order = F.col(C.EVENT_TYPE).eqNullSafe(F.lit(V.ORDER))
    others = events.where(~is_order).select(C.USER_ID, C.EVENT_TIME, C.EVENT_DATE)
    first_row = F.min(F.struct(F.col(C.EVENT_TIME), F.col(C.EVENT_DATE)))
    orders = (
        events.where(is_order)
        .groupBy(C.USER_ID, order_key().alias(C.ORDER_ID))
        .agg(first_row.alias(_FIRST_ROW))
        .select(C.USER_ID, f"{_FIRST_ROW}.{C.EVENT_TIME}", f"{_FIRST_ROW}.{C.EVENT_DATE}")
    )
    return others.unionByName(orders)


def _check(name: str, observed: Column, threshold: int) -> Column:
    return F.struct(
        F.lit(f"{name}>{threshold}").alias(C.RULE),
        observed.cast("long").alias(C.OBSERVED_VALUE),
        F.lit(threshold).cast("long").alias(C.THRESHOLD),
    )


def exclude_bot_users(events: DataFrame, bot_users: DataFrame, reach_days: int) -> DataFrame:
    """Drop a user's events on every day within `reach_days` of a day the user was flagged.

    A scraper that slows down for a day is still a scraper, so a flag removes the user's events around
    the flagged day too, not only on it. The reach is a fixed number of days (the look-back window), not
    "every day this run reads", so a back-fill of a month excludes exactly what the daily runs excluded.

    Args:
        events: Rows with USER_ID and EVENT_DATE.
        bot_users: From `flag_bot_users`.
        reach_days: How many days before and after a flagged day the user's events are dropped.

    Returns:
        The input's columns, without the flagged users' rows near their flagged days.
    """
    flagged = bot_users.select(C.USER_ID, F.col(C.EVENT_DATE).alias(_FLAGGED_DATE)).distinct()
    near_flag = (events[C.USER_ID] == flagged[C.USER_ID]) & (
        F.abs(F.datediff(events[C.EVENT_DATE], flagged[_FLAGGED_DATE])) <= F.lit(reach_days)
    )
    return events.join(flagged, on=near_flag, how="left_anti").select(*events.columns)
