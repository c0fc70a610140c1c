"""Weekly cohort retention: of the users whose cohort date falls in a week, the share active in each of the
weeks after it.

Weeks start on Monday. Only complete weeks are reported as of a date, for cohorts and for the weeks after
them, so a row never changes once written: a back-fill computes every cohort once and picks, per as-of
date, the rows that were complete by then.
"""

from __future__ import annotations

import datetime as dt

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from transforms import columns as C
from transforms.analytics.activity import date_range

REGISTRATION_COHORT = "registration"
FIRST_ORDER_COHORT = "first_order"
WEEK_DAYS = 7
_DAY = "_day"


def week_start(day: Column) -> Column:
    """The Monday of the week holding `day`."""
    return F.date_trunc("week", day).cast("date")


def last_complete_week(as_of: Column) -> Column:
    """The Monday of the latest week that has ended by `as_of` (inclusive)."""
    return F.date_sub(week_start(F.date_add(as_of, 1)), WEEK_DAYS)


def weekly_retention(
    cohort_dates: DataFrame,
    activity: DataFrame,
    cohort_type: str,
    first_as_of: dt.date,
    last_as_of: dt.date,
    cohort_weeks: int,
    retention_weeks: int,
    observed_from: dt.date,
) -> DataFrame:
    """Retention of weekly cohorts for weeks 0..retention_weeks after the cohort week, per as-of date.

    Args:
        cohort_dates: USER_ID, DATE: each user's cohort date (registration, first order), one
            row per user.
        activity: USER_ID, DATE: the days a user counts as retained on (sessions, orders); duplicates are fine.
        cohort_type: REGISTRATION_COHORT or FIRST_ORDER_COHORT, written as COHORT_TYPE.
        first_as_of, last_as_of: The as-of dates to report for.
        cohort_weeks: The latest complete weeks, as of each date, that are reported as cohorts.
        retention_weeks: The last WEEK_OFFSET reported.
        observed_from: The first day of `activity`'s history: cohorts whose week starts earlier are left out,
            since their weeks before it would look like nobody came back.

    Returns:
        GOLD_RETENTION_COHORTS_SCHEMA columns: COHORT_TYPE, COHORT_WEEK, WEEK_OFFSET, COHORT_USERS,
        RETAINED_USERS (users of the cohort active in that week; week 0 is the cohort week itself),
        RETENTION_RATE, AS_OF_DATE.
    """
    members = cohort_dates.select(C.USER_ID, week_start(F.col(C.DATE)).alias(C.COHORT_WEEK))
    sizes = members.groupBy(C.COHORT_WEEK).agg(F.count(F.lit(1)).alias(C.COHORT_USERS))
    active_weeks = activity.select(C.USER_ID, week_start(F.col(C.DATE)).alias(_DAY)).distinct()
    offset = (F.datediff(F.col(_DAY), F.col(C.COHORT_WEEK)) / WEEK_DAYS).cast("int")
    retained = (
        members.join(active_weeks, on=[C.USER_ID], how="inner")
        .select(C.USER_ID, C.COHORT_WEEK, offset.alias(C.WEEK_OFFSET))
        .where(F.col(C.WEEK_OFFSET).between(0, retention_weeks))
        .groupBy(C.COHORT_WEEK, C.WEEK_OFFSET)
        .agg(F.count(F.lit(1)).alias(C.RETAINED_USERS))
    )
    offsets = sizes.sparkSession.range(retention_weeks + 1).select(
        F.col("id").cast("int").alias(C.WEEK_OFFSET)
    )
    grid = (
        sizes.crossJoin(offsets)
        .join(retained, on=[C.COHORT_WEEK, C.WEEK_OFFSET], how="left")
        .na.fill(0, [C.RETAINED_USERS])
    )
    as_of_dates = date_range(sizes, first_as_of, last_as_of, C.AS_OF_DATE)
    latest = last_complete_week(F.col(C.AS_OF_DATE))
    visible = (
        F.col(C.COHORT_WEEK).between(F.date_sub(latest, WEEK_DAYS * (cohort_weeks - 1)), latest)
        & (F.col(C.COHORT_WEEK) >= F.lit(observed_from))
        & (F.date_add(F.col(C.COHORT_WEEK), WEEK_DAYS * F.col(C.WEEK_OFFSET)) <= latest)
    )
    # A small cross join on purpose: cohorts x offsets x as-of dates of one back-fill.
    return (
        grid.crossJoin(as_of_dates)
        .where(visible)
        .select(
            F.lit(cohort_type).alias(C.COHORT_TYPE),
            C.COHORT_WEEK,
            C.WEEK_OFFSET,
            F.col(C.COHORT_USERS).cast("long").alias(C.COHORT_USERS),
            F.col(C.RETAINED_USERS).cast("long").alias(C.RETAINED_USERS),
            (F.col(C.RETAINED_USERS) / F.col(C.COHORT_USERS)).alias(C.RETENTION_RATE),
            C.AS_OF_DATE,
        )
    )


def retention_horizon(first_as_of: dt.date, cohort_weeks: int, retention_weeks: int) -> dt.date:
    """The first day the cohorts of `first_as_of` need: cohort_weeks + retention_weeks complete weeks before
    it, and the week it is in."""
    return first_as_of - dt.timedelta(days=WEEK_DAYS * (cohort_weeks + retention_weeks + 1))


def retention_cohorts(
    users: DataFrame,
    sessions: DataFrame,
    orders: DataFrame,
    first_as_of: dt.date,
    last_as_of: dt.date,
    cohort_weeks: int,
    retention_weeks: int,
    observed_from: dt.date,
) -> DataFrame:
    """Weekly retention of both cohort types: registration cohorts retained by visits, first-order cohorts
    retained by orders.

    Args:
        users: USER_ID, REGISTRATION_DATE (bronze.users).
        sessions: USER_ID, EVENT_DATE (silver.sessions): the visits.
        orders: USER_ID, ORDER_DATE (silver.orders); a user's first order on or before `last_as_of` is their
            first-order cohort date.
        first_as_of, last_as_of, cohort_weeks, retention_weeks, observed_from: As for `weekly_retention`.

    Returns:
        GOLD_RETENTION_COHORTS_SCHEMA columns, REGISTRATION_COHORT rows then FIRST_ORDER_COHORT rows.
    """
    horizon = retention_horizon(first_as_of, cohort_weeks, retention_weeks)
    visits = sessions.where(F.col(C.EVENT_DATE).between(F.lit(horizon), F.lit(last_as_of))).select(
        C.USER_ID, F.col(C.EVENT_DATE).alias(C.DATE)
    )
    placed = orders.where(F.col(C.ORDER_DATE) <= F.lit(last_as_of))
    first_orders = placed.groupBy(C.USER_ID).agg(F.min(C.ORDER_DATE).alias(C.DATE))
    registrations = users.where(F.col(C.REGISTRATION_DATE) <= F.lit(last_as_of)).select(
        C.USER_ID, F.col(C.REGISTRATION_DATE).alias(C.DATE)
    )
    weeks = {"cohort_weeks": cohort_weeks, "retention_weeks": retention_weeks, "observed_from": observed_from}
    by_registration = weekly_retention(
        registrations, visits, REGISTRATION_COHORT, first_as_of, last_as_of, **weeks
    )
    by_first_order = weekly_retention(
        first_orders.where(F.col(C.DATE) >= F.lit(horizon)),
        placed.where(F.col(C.ORDER_DATE) >= F.lit(horizon)).select(
            C.USER_ID, F.col(C.ORDER_DATE).alias(C.DATE)
        ),
        FIRST_ORDER_COHORT,
        first_as_of,
        last_as_of,
        **weeks,
    )
    return by_registration.unionByName(by_first_order)
