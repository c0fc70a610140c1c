"""Sessions: which days a user is active, and when each of that day's sessions starts.

Gaps are guaranteed by construction. A session lasts at most SESSION_MAX_MINUTES (post-order events
included); a day's sessions start at least SESSION_MAX_MINUTES + SESSION_GAP_MINUTES apart and no later
than that much before the next local midnight. So consecutive sessions of a user are always more than
30 minutes apart, within a day and across midnight, while events inside a session never are.
"""

from __future__ import annotations

import datetime as dt

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from sample_shop import columns as TC
from sample_shop.generator import ids
from sample_shop.generator.codegen import split_codegen
from sample_shop.generator.literals import literal_array
from sample_shop.generator.personas import (
    PERSONAS,
    by_persona,
    persona_choice,
    persona_position,
    weekend_hour_weights,
)
from sample_shop.generator.random import bernoulli_count, choice, choice_table, table_choice, uniform
from sample_shop.generator.tastes import TasteChanges, favourite_on_day
from transforms import columns as C
from transforms.vocabulary import CHANNELS, DEVICES

MAX_SESSIONS_PER_DAY = 8
SESSION_MAX_MINUTES = 25
SESSION_GAP_MINUTES = 32
START_SPACING_MINUTES = SESSION_MAX_MINUTES + SESSION_GAP_MINUTES
# Share of sessions on the user's preferred device; the rest spread over all devices.
PREFERRED_DEVICE_SHARE = 0.8
_MIDNIGHT, _SORTED, _LAST_START, _MINUTE = "_midnight_ms", "_sorted_starts", "_last_start", "_start_minute"

SESSION_COLUMNS = (
    TC.SESSION_NO,
    C.SESSION_ID,
    C.USER_IDX,
    C.USER_ID,
    TC.PERSONA,
    TC.PROPENSITY,
    TC.FAVOURITE_CATEGORY,
    C.REGISTRATION_DATE,
    TC.DAY_IDX,
    C.EVENT_DATE,
    TC.IS_WEEKEND,
    TC.SESSION_START_MS,
    C.DEVICE,
    C.CHANNEL,
)


def active_user_days(
    users: DataFrame,
    seed: int,
    start_date: dt.date,
    days: int,
    first_day: int = 0,
    last_day: int | None = None,
    tastes: TasteChanges | None = None,
) -> DataFrame:
    """The (user, day) pairs with activity: registered, not yet churned, and drawn active for that day.

    A day is active with the persona's probability (times its weekend factor on Saturday and Sunday)
    times the user's activity multiplier, capped at 1. Each draw is keyed by user and day, so any range
    of days gives the same pairs on the days it shares with another.

    Args:
        users: USER_COLUMNS.
        seed: Generator seed.
        start_date: First day of the period (day index 0).
        days: Length of the period.
        first_day: Index of the first day to generate (0 = start_date).
        last_day: Index of the last day to generate (default days - 1; later days continue the period).
        tastes: Changes of favourite category (drift); FAVOURITE_CATEGORY is then the one of the day.

    Returns:
        USER_IDX, USER_ID, PERSONA, PROPENSITY, FAVOURITE_CATEGORY, REGISTRATION_DATE, DEVICE_PREFERENCE,
        DAY_IDX, EVENT_DATE, IS_WEEKEND.
    """
    last = days - 1 if last_day is None else last_day
    day = F.date_add(F.lit(start_date), F.col(TC.DAY_IDX))
    is_weekend = F.dayofweek(F.col(C.EVENT_DATE)).isin(1, 7)
    weekend_factor = F.when(F.col(TC.IS_WEEKEND), by_persona(lambda p: p.weekend_factor)).otherwise(
        F.lit(1.0)
    )
    p_active = F.least(
        by_persona(lambda p: p.active_day_prob) * weekend_factor * F.col(TC.ACTIVITY), F.lit(1.0)
    )
    churned = F.col(TC.CHURN_DATE).isNotNull() & (F.col(C.EVENT_DATE) >= F.col(TC.CHURN_DATE))
    # Drawn once per user, before the user's days are spread out.
    changing = users if tastes is None else users.transform(tastes.with_changes)
    favourite = TC.FAVOURITE_CATEGORY if tastes is None else favourite_on_day().alias(TC.FAVOURITE_CATEGORY)
    return (
        changing.select("*", F.explode(F.sequence(F.lit(first_day), F.lit(last))).alias(TC.DAY_IDX))
        .select("*", day.alias(C.EVENT_DATE))
        .where((F.col(C.EVENT_DATE) >= F.col(C.REGISTRATION_DATE)) & ~churned)
        .select("*", is_weekend.alias(TC.IS_WEEKEND))
        .where(uniform(seed, "active_day", C.USER_IDX, TC.DAY_IDX) < p_active)
        .select(
            C.USER_IDX,
            C.USER_ID,
            TC.PERSONA,
            TC.PROPENSITY,
            favourite,
            C.REGISTRATION_DATE,
            C.DEVICE_PREFERENCE,
            TC.DAY_IDX,
            C.EVENT_DATE,
            TC.IS_WEEKEND,
        )
    )


def local_midnight_ms(date: Column, timezone: str) -> Column:
    """Epoch milliseconds of the local midnight that starts `date` in `timezone`."""
    # Casting a date to a timestamp gives its midnight in the session time zone (UTC in this suite);
    # to_utc_timestamp then reads that wall-clock time in the shop's zone.
    return F.unix_millis(F.to_utc_timestamp(date.cast("timestamp"), timezone))


def day_sessions(
    user_days: DataFrame, seed: int, numbering: ids.DayNumbering, mean_sessions: float, timezone: str
) -> DataFrame:
    """Sessions of each active user-day, with start time, device and acquisition channel.

    The day gets 1 + Binomial(MAX_SESSIONS_PER_DAY - 1, q) candidate starts with mean `mean_sessions`,
    at hours drawn from the persona's (weekday or weekend) profile. Sorted starts are pushed later until
    they are START_SPACING_MINUTES apart; starts pushed past the day's last allowed start are dropped.
    Session numbers (hence session, event and order ids) come from `numbering`'s user-day numbers.

    Returns:
        SESSION_COLUMNS.
    """
    if not 1.0 <= mean_sessions <= MAX_SESSIONS_PER_DAY:
        raise ValueError(
            f"generator.mean_sessions_per_active_day must be in [1, {MAX_SESSIONS_PER_DAY}], got {mean_sessions}"
        )
    extra_share = (mean_sessions - 1.0) / (MAX_SESSIONS_PER_DAY - 1)
    keys = (C.USER_IDX, TC.DAY_IDX)
    # Each persona's weekday table, then its weekend table, end to end in one literal array.
    hour_tables = literal_array(
        [
            h
            for p in PERSONAS
            for weights in (p.hour_weights, weekend_hour_weights(p))
            for h in choice_table(weights)
        ]
    )
    hour_segment = (persona_position() - F.lit(1)) * F.lit(2) + F.col(TC.IS_WEEKEND).cast("int")

    def start_minute(i: int) -> Column:
        hour = table_choice(uniform(seed, "start_hour", *keys, F.lit(i)), hour_tables, hour_segment)
        return (hour * F.lit(60)).cast("double") + uniform(seed, "start_minute", *keys, F.lit(i)) * F.lit(
            60.0
        )

    n_candidates = F.lit(1) + bernoulli_count(
        seed, "extra_session", MAX_SESSIONS_PER_DAY - 1, extra_share, *keys
    )
    candidates = F.array(*[start_minute(i) for i in range(MAX_SESSIONS_PER_DAY)])
    sorted_starts = F.col(_SORTED)

    def pushed(i: int) -> Column:
        # Pushing each sorted start to at least the previous one plus the spacing has the closed form
        # t_i = i*D + max over j <= i of (s_j - j*D): compiled column expressions, no per-row lambda.
        def s(j: int) -> Column:
            return F.try_element_at(sorted_starts, F.lit(j + 1))

        spaced = F.greatest(*[s(j) - F.lit(j * START_SPACING_MINUTES) for j in range(i + 1)]) if i else s(0)
        return F.when(s(i).isNotNull(), spaced + F.lit(i * START_SPACING_MINUTES))

    midnight = local_midnight_ms(F.col(C.EVENT_DATE), timezone)
    next_midnight = local_midnight_ms(F.date_add(F.col(C.EVENT_DATE), 1), timezone)
    # Day length from the zone's own midnights: right on daylight-saving days too.
    last_start = (next_midnight - F.col(_MIDNIGHT)) / F.lit(60_000.0) - F.lit(START_SPACING_MINUTES)
    kept = F.array_compact(
        F.array(*[F.when(pushed(i) <= F.col(_LAST_START), pushed(i)) for i in range(MAX_SESSIONS_PER_DAY)])
    )

    session_no = numbering.user_day(F.col(C.USER_IDX), F.col(TC.DAY_IDX)) * F.lit(
        MAX_SESSIONS_PER_DAY
    ) + F.col(TC.SLOT)
    device = F.when(
        uniform(seed, "preferred_device", TC.SESSION_NO) < F.lit(PREFERRED_DEVICE_SHARE),
        F.col(C.DEVICE_PREFERENCE),
    ).otherwise(choice(uniform(seed, "device", TC.SESSION_NO), DEVICES, [1.0] * len(DEVICES)))
    channel = persona_choice(
        uniform(seed, "channel", TC.SESSION_NO), CHANNELS, lambda p: [p.channel_weights[c] for c in CHANNELS]
    )
    return (
        user_days.select(
            "*",
            midnight.alias(_MIDNIGHT),
            F.sort_array(F.slice(candidates, F.lit(1), n_candidates)).alias(_SORTED),
        )
        .select("*", last_start.alias(_LAST_START))
        .transform(split_codegen)
        .select("*", F.posexplode(kept).alias(TC.SLOT, _MINUTE))
        .select(
            "*",
            session_no.cast("long").alias(TC.SESSION_NO),
            (F.col(_MIDNIGHT) + F.floor(F.col(_MINUTE) * F.lit(60_000)))
            .cast("long")
            .alias(TC.SESSION_START_MS),
        )
        .select(
            "*",
            ids.session_id(F.col(TC.SESSION_NO)).alias(C.SESSION_ID),
            device.alias(C.DEVICE),
            channel.alias(C.CHANNEL),
        )
        .select(*SESSION_COLUMNS)
    )
