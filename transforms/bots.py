"""Bot detection: users whose event rate no person reaches, flagged per shop-local day and kept out of silver.

Rates are counted on deduplicated events, so a collector retry never makes a person look like a bot.
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

from transforms import columns as C

EVENTS_PER_MINUTE = "events_per_minute"
EVENTS_PER_DAY = "events_per_day"

_MINUTE_MICROS = 60 * 1_000_000
_IN_MINUTE = "_events_in_minute"
_PER_MINUTE = "_max_events_per_minute"
_PER_DAY = "_events_per_day"
_CHECK = "_check"


def flag_bot_users(events: DataFrame, max_events_per_minute: int, max_events_per_day: int) -> DataFrame:
    """One row per user, day and rule broken: more than `max_events_per_minute` events within any 60
    seconds, or more than `max_events_per_day` events in a shop-local day.

    Args:
        events: Clean events with USER_ID, EVENT_TIME, EVENT_DATE.
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
        events.select(C.USER_ID, C.EVENT_DATE, F.count(F.lit(1)).over(minute_from_here).alias(_IN_MINUTE))
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


def _check(name: str, observed: Column, threshold: int) -> Column:
    return F.struct(
        F.lit(f"{name}>{threshold}").alias(C.RULE),
        observed.cast("long").alias(C.OBSERVED_VALUE),
        F.lit(threshold).cast("long").alias(C.THRESHOLD),
    )


def exclude_bot_users(events: DataFrame, bot_users: DataFrame) -> DataFrame:
    """Drop every event of a user flagged on any day of `bot_users`.

    A scraper that slows down for a day is still a scraper, so a flag removes the user from all the days
    being computed, not only from the day it was raised on.

    Args:
        events: Rows with USER_ID.
        bot_users: From `flag_bot_users`.

    Returns:
        The input's columns, without the flagged users' rows.
    """
    return events.join(bot_users.select(C.USER_ID).distinct(), on=[C.USER_ID], how="left_anti").select(
        *events.columns
    )
