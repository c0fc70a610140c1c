"""Daily activity: DAU, WAU, MAU, new and returning users, stickiness."""

from __future__ import annotations

import datetime as dt

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from transforms import columns as C

WEEK_DAYS = 7
MONTH_DAYS = 30


def date_range(spark_source: DataFrame, first_date: dt.date, last_date: dt.date, column: str) -> DataFrame:
    """One row per date from `first_date` through `last_date`, in `column`."""
    return spark_source.sparkSession.range(1).select(
        F.explode(F.sequence(F.lit(first_date), F.lit(last_date))).alias(column)
    )


def activity_daily(
    sessions: DataFrame, users: DataFrame, first_date: dt.date, last_date: dt.date
) -> DataFrame:
    """Active users per day from `first_date` through `last_date`.

    A user is active on a day with a session that started then. WAU and MAU count the users active in the 7
    and 30 days through the day; new users are the day's active users registered that day (registration,
    not the first session, since the lake's history starts later than most users' first visit).

    Args:
        sessions: silver.sessions rows (USER_ID, EVENT_DATE) covering at least the 29 days before `first_date`.
        users: USER_ID, REGISTRATION_DATE (bronze.users).

    Returns:
        DAU, WAU, MAU, NEW_USERS, RETURNING_USERS, STICKINESS (DAU / MAU, null without any MAU), ACTIVITY_DATE;
        one row per date, zeros for a day without sessions.
    """
    active_days = sessions.select(C.USER_ID, C.EVENT_DATE).distinct()
    # Each active day counts towards the 30 days it is part of the trailing window of.
    covered = active_days.select(
        C.USER_ID,
        C.EVENT_DATE,
        F.explode(F.sequence(F.col(C.EVENT_DATE), F.date_add(C.EVENT_DATE, MONTH_DAYS - 1))).alias(
            C.ACTIVITY_DATE
        ),
    ).where(F.col(C.ACTIVITY_DATE).between(F.lit(first_date), F.lit(last_date)))
    age = F.datediff(F.col(C.ACTIVITY_DATE), F.col(C.EVENT_DATE))
    that_day = age == 0
    counts = (
        covered.join(users.select(C.USER_ID, C.REGISTRATION_DATE), on=[C.USER_ID], how="left")
        .groupBy(C.ACTIVITY_DATE)
        .agg(
            F.count_distinct(F.when(that_day, F.col(C.USER_ID))).alias(C.DAU),
            F.count_distinct(F.when(age < WEEK_DAYS, F.col(C.USER_ID))).alias(C.WAU),
            F.count_distinct(C.USER_ID).alias(C.MAU),
            F.count_distinct(
                F.when(that_day & (F.col(C.REGISTRATION_DATE) == F.col(C.ACTIVITY_DATE)), F.col(C.USER_ID))
            ).alias(C.NEW_USERS),
        )
    )
    days = date_range(sessions, first_date, last_date, C.ACTIVITY_DATE)
    filled = days.join(counts, on=[C.ACTIVITY_DATE], how="left").na.fill(
        0, [C.DAU, C.WAU, C.MAU, C.NEW_USERS]
    )
    return filled.select(
        F.col(C.DAU).cast("long").alias(C.DAU),
        F.col(C.WAU).cast("long").alias(C.WAU),
        F.col(C.MAU).cast("long").alias(C.MAU),
        F.col(C.NEW_USERS).cast("long").alias(C.NEW_USERS),
        (F.col(C.DAU) - F.col(C.NEW_USERS)).cast("long").alias(C.RETURNING_USERS),
        F.when(F.col(C.MAU) > 0, F.col(C.DAU) / F.col(C.MAU)).alias(C.STICKINESS),
        C.ACTIVITY_DATE,
    )
