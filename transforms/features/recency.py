"""All-time recency features (days since the last visit and order, the first order) and their settled state.

Recency reads every day of a user's history, so a daily run that read gold.user_daily_activity from its
first day would cost more each day. Instead the all-time part is a small per-user state: the last visit,
last order and first order on or before a settled day T, after which the daily rows are read. A previous
gold.user_features snapshot gives that state (`settled_recency`) for every user whose dates it reports
fall on or before T; the days after T are read from the daily table. The state is exact when the daily
rows on or before T have not changed since the snapshot was written, which holds when T is more than the
look-back (`ingest.lookback_days`) before the snapshot: later daily runs rewrite only their look-back.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

from transforms import columns as C
from transforms.features.snapshots import from_day_on, snapshot_range

STATE_COLUMNS = (C.USER_ID, C.LAST_VISIT_DATE, C.LAST_ORDER_DATE, C.FIRST_ORDER_DATE)
_DAY, _IS_SNAPSHOT = "_day", "_is_snapshot"


def _marks(daily: DataFrame) -> DataFrame:
    """USER_ID, _DAY and the day as a visit, order and first order where the day had one."""
    date = F.col(C.ACTIVITY_DATE)
    return daily.select(
        C.USER_ID,
        date.alias(_DAY),
        F.when(F.col(C.SESSIONS) > 0, date).alias(C.LAST_VISIT_DATE),
        F.when(F.col(C.ORDERS) > 0, date).alias(C.LAST_ORDER_DATE),
        F.when(F.col(C.ORDERS) > 0, date).alias(C.FIRST_ORDER_DATE),
    )


def _combined() -> list[Column]:
    return [
        F.max(C.LAST_VISIT_DATE).alias(C.LAST_VISIT_DATE),
        F.max(C.LAST_ORDER_DATE).alias(C.LAST_ORDER_DATE),
        F.min(C.FIRST_ORDER_DATE).alias(C.FIRST_ORDER_DATE),
    ]


def recency_features(
    daily: DataFrame, snapshot_dates: Sequence[dt.date], settled: DataFrame | None = None
) -> DataFrame:
    """Days since the last visit and the last order, and the first order date, as of each snapshot date.

    A user has a row from the first snapshot date on or after their first daily row (or from the first
    snapshot date when `settled` holds them).

    Args:
        daily: gold.user_daily_activity rows (USER_ID, ACTIVITY_DATE, SESSIONS, ORDERS) of every day after
            the settled state's day (of all history without one); days after the last snapshot are ignored.
        snapshot_dates: Consecutive snapshot dates.
        settled: STATE_COLUMNS, one row per user active on or before the settled day (see
            `settled_recency`), or None.

    Returns:
        USER_ID, SNAPSHOT_DATE, DAYS_SINCE_LAST_VISIT, DAYS_SINCE_LAST_ORDER (null if never),
        FIRST_ORDER_DATE.
    """
    first, last = snapshot_range(snapshot_dates)
    marks = _marks(daily.where(F.col(C.ACTIVITY_DATE) <= F.lit(last)))
    before = marks.where(F.col(_DAY) < F.lit(first)).select(*STATE_COLUMNS)
    if settled is not None:
        before = before.unionByName(settled.select(*STATE_COLUMNS))
    # Everything before the range collapses to one row per user, on the day before the range.
    start = (
        before.groupBy(C.USER_ID)
        .agg(*_combined())
        .select(C.USER_ID, F.lit(first - dt.timedelta(days=1)).alias(_DAY), *STATE_COLUMNS[1:])
    )
    days = start.unionByName(marks.where(F.col(_DAY) >= F.lit(first))).withColumn(_IS_SNAPSHOT, F.lit(False))
    first_day = days.groupBy(C.USER_ID).agg(F.min(_DAY).alias(_DAY))
    snapshots = from_day_on(first_day, _DAY, snapshot_dates).select(
        C.USER_ID,
        F.col(C.SNAPSHOT_DATE).alias(_DAY),
        *[F.lit(None).cast("date").alias(name) for name in STATE_COLUMNS[1:]],
        F.lit(True).alias(_IS_SNAPSHOT),
    )
    # A running max/min over each user's days in order: a snapshot row sorts after its own day's row.
    so_far = (
        Window.partitionBy(C.USER_ID)
        .orderBy(_DAY, _IS_SNAPSHOT)
        .rowsBetween(Window.unboundedPreceding, Window.currentRow)
    )
    running = days.unionByName(snapshots).select(
        C.USER_ID,
        F.col(_DAY).alias(C.SNAPSHOT_DATE),
        _IS_SNAPSHOT,
        F.max(C.LAST_VISIT_DATE).over(so_far).alias(C.LAST_VISIT_DATE),
        F.max(C.LAST_ORDER_DATE).over(so_far).alias(C.LAST_ORDER_DATE),
        F.min(C.FIRST_ORDER_DATE).over(so_far).alias(C.FIRST_ORDER_DATE),
    )
    snapshot = F.col(C.SNAPSHOT_DATE)
    return running.where(F.col(_IS_SNAPSHOT)).select(
        C.USER_ID,
        C.SNAPSHOT_DATE,
        F.datediff(snapshot, F.col(C.LAST_VISIT_DATE)).alias(C.DAYS_SINCE_LAST_VISIT),
        F.datediff(snapshot, F.col(C.LAST_ORDER_DATE)).alias(C.DAYS_SINCE_LAST_ORDER),
        C.FIRST_ORDER_DATE,
    )


def settled_recency(snapshot: DataFrame, settled_through: dt.date) -> DataFrame:
    """The recency state on `settled_through` that a gold.user_features snapshot of a later day gives.

    A snapshot's last visit (its date minus DAYS_SINCE_LAST_VISIT), last order and first order count when
    they fall on or before `settled_through`; a later one says nothing about the settled days (the daily
    rows after them are read instead), and `unsettled_users` finds the users for whom that is not enough.

    Args:
        snapshot: gold.user_features rows of one SNAPSHOT_DATE after `settled_through`.
        settled_through: The last day the state covers.

    Returns:
        STATE_COLUMNS for the users with a visit or an order on or before `settled_through`.
    """
    settled = F.lit(settled_through)

    def settled_day(days_since: str) -> Column:
        day = F.date_sub(F.col(C.SNAPSHOT_DATE), F.col(days_since))
        return F.when(day <= settled, day)

    state = snapshot.select(
        C.USER_ID,
        settled_day(C.DAYS_SINCE_LAST_VISIT).alias(C.LAST_VISIT_DATE),
        settled_day(C.DAYS_SINCE_LAST_ORDER).alias(C.LAST_ORDER_DATE),
        F.when(F.col(C.FIRST_ORDER_DATE) <= settled, F.col(C.FIRST_ORDER_DATE)).alias(C.FIRST_ORDER_DATE),
    )
    return state.where(F.coalesce(*STATE_COLUMNS[1:]).isNotNull())


def unsettled_users(
    snapshot: DataFrame, daily: DataFrame, users: DataFrame, settled_through: dt.date, first_date: dt.date
) -> DataFrame:
    """Users whose recency from `first_date` on the snapshot's state and the later daily rows cannot give.

    The snapshot saw a visit (or an order) after `settled_through` that the daily rows from then to the day
    before `first_date` no longer hold (a user later flagged as a bot loses those days), so the last one on
    or before `settled_through` is unknown; or it held a user who is neither registered by `first_date`, nor
    active in those days, nor known to be active on or before `settled_through` (their activity may be
    gone). Normally none: a run with any reads all of the daily history instead.

    Args:
        snapshot: gold.user_features rows of one SNAPSHOT_DATE, after `settled_through`, before `first_date`.
        daily: gold.user_daily_activity rows after `settled_through` (any later days too).
        users: bronze.users (USER_ID, REGISTRATION_DATE).
        settled_through: The state's day.
        first_date: The first snapshot date to compute.

    Returns:
        USER_ID of each such user.
    """
    settled = F.lit(settled_through)
    between = (
        daily.where(F.col(C.ACTIVITY_DATE) < F.lit(first_date))
        .groupBy(C.USER_ID)
        .agg(F.max(F.col(C.SESSIONS) > 0).alias("_visited"), F.max(F.col(C.ORDERS) > 0).alias("_ordered"))
    )

    def after_settled(days_since: str) -> Column:
        return F.date_sub(F.col(C.SNAPSHOT_DATE), F.col(days_since)) > settled

    registered = users.where(
        F.col(C.REGISTRATION_DATE).isNull() | (F.col(C.REGISTRATION_DATE) <= F.lit(first_date))
    ).select(C.USER_ID)
    seen = snapshot.join(
        settled_recency(snapshot, settled_through).select(C.USER_ID), on=[C.USER_ID], how="left_anti"
    )
    lost_activity = seen.join(between, on=[C.USER_ID], how="left_anti").join(
        registered, on=[C.USER_ID], how="left_anti"
    )
    # One row per user on each side: the left join keeps the snapshot's users once.
    checked = snapshot.join(between, on=[C.USER_ID], how="left")
    lost_day = (after_settled(C.DAYS_SINCE_LAST_VISIT) & ~F.coalesce(F.col("_visited"), F.lit(False))) | (
        after_settled(C.DAYS_SINCE_LAST_ORDER) & ~F.coalesce(F.col("_ordered"), F.lit(False))
    )
    return checked.where(lost_day).select(C.USER_ID).unionByName(lost_activity.select(C.USER_ID)).distinct()
