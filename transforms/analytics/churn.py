"""Monthly churn and reactivation from the daily lifecycle stage transitions.

The base of a month is the stage distribution at its start: the "from" side of the month's first snapshot
(the stages of the snapshot before it). When there is no earlier snapshot (the lake's first month), the
base is the first snapshot's own stages and only later moves count. Churn is moves into `churned` from any
other stage, reactivation moves from `churned` to `reactivated`; each rate is over its base.

A lake younger than the churn window cannot tell a churned user from one it has not seen yet: on its first
snapshot every registered user without a visit in the lake is `churned`, and their first visit is a
"reactivation". Such months carry HISTORY_COMPLETE = false so that nobody reads their rates as real.
"""

from __future__ import annotations

import datetime as dt

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from transforms import columns as C
from transforms.analytics.activity import date_range
from transforms.tags.lifecycle import CHURNED, REACTIVATED

_FIRST = "_first_snapshot"
_HAS_PREVIOUS = "_has_previous"


def _users_where(condition: Column) -> Column:
    return F.sum(F.when(condition, F.col(C.USERS)).otherwise(F.lit(0)))


def monthly_churn(
    transitions: DataFrame,
    first_as_of: dt.date,
    last_as_of: dt.date,
    history_start: dt.date | None,
    churn_days: int,
) -> DataFrame:
    """Churn and reactivation of every month with snapshots, as of each date from `first_as_of` to `last_as_of`.

    Args:
        transitions: gold.lifecycle_transitions rows (FROM_STAGE, TO_STAGE, USERS, SNAPSHOT_DATE) through
            `last_as_of`.
        history_start: the lake's first lifecycle snapshot (None: no history, every month incomplete).
        churn_days: lifecycle.churn_days; a month's history is complete when its first snapshot comes more
            than this many days after `history_start`, so its base stages rest on a whole churn window.

    Returns:
        GOLD_CHURN_MONTHLY_SCHEMA columns; rates are null when their base is 0.
    """
    as_of_dates = date_range(transitions, first_as_of, last_as_of, C.AS_OF_DATE)
    # A small cross join on purpose: a few dozen transition rows per day x the dates of one back-fill.
    seen = (
        transitions.crossJoin(as_of_dates)
        .where(F.col(C.SNAPSHOT_DATE) <= F.col(C.AS_OF_DATE))
        .withColumn(C.MONTH, F.trunc(C.SNAPSHOT_DATE, "month"))
    )
    firsts = seen.groupBy(C.AS_OF_DATE, C.MONTH).agg(F.min(C.SNAPSHOT_DATE).alias(_FIRST))
    first_rows = (
        seen.join(firsts, on=[C.AS_OF_DATE, C.MONTH], how="inner")
        .where(F.col(C.SNAPSHOT_DATE) == F.col(_FIRST))
        .groupBy(C.AS_OF_DATE, C.MONTH)
        .agg(
            (_users_where(F.col(C.FROM_STAGE).isNotNull()) > 0).alias(_HAS_PREVIOUS),
            _users_where(F.col(C.FROM_STAGE).isNotNull() & (F.col(C.FROM_STAGE) != CHURNED)).alias(
                "_from_base"
            ),
            _users_where(F.col(C.FROM_STAGE) == CHURNED).alias("_from_churned"),
            _users_where(F.col(C.TO_STAGE).isNotNull() & (F.col(C.TO_STAGE) != CHURNED)).alias("_to_base"),
            _users_where(F.col(C.TO_STAGE) == CHURNED).alias("_to_churned"),
        )
    )
    counted = (
        seen.join(firsts, on=[C.AS_OF_DATE, C.MONTH], how="inner")
        .join(first_rows, on=[C.AS_OF_DATE, C.MONTH], how="inner")
        # Without a snapshot before the month, the first snapshot is the base, not a move.
        .where(F.col(_HAS_PREVIOUS) | (F.col(C.SNAPSHOT_DATE) > F.col(_FIRST)))
        .groupBy(C.AS_OF_DATE, C.MONTH)
        .agg(
            F.max(C.SNAPSHOT_DATE).alias("_last_move"),
            _users_where(
                F.col(C.FROM_STAGE).isNotNull()
                & (F.col(C.FROM_STAGE) != CHURNED)
                & (F.col(C.TO_STAGE) == CHURNED)
            ).alias(C.CHURNED_USERS),
            _users_where((F.col(C.FROM_STAGE) == CHURNED) & (F.col(C.TO_STAGE) == REACTIVATED)).alias(
                C.REACTIVATED_USERS
            ),
        )
    )
    months = (
        seen.groupBy(C.AS_OF_DATE, C.MONTH)
        .agg(F.max(C.SNAPSHOT_DATE).alias(C.THROUGH_DATE))
        .join(firsts, on=[C.AS_OF_DATE, C.MONTH], how="inner")
        .join(first_rows, on=[C.AS_OF_DATE, C.MONTH], how="inner")
        .join(counted, on=[C.AS_OF_DATE, C.MONTH], how="left")
        .na.fill(0, [C.CHURNED_USERS, C.REACTIVATED_USERS])
    )
    history_days = F.datediff(F.col(_FIRST), F.lit(history_start).cast("date"))
    complete = F.coalesce(history_days > F.lit(churn_days), F.lit(False))
    base = F.when(F.col(_HAS_PREVIOUS), F.col("_from_base")).otherwise(F.col("_to_base"))
    churned_base = F.when(F.col(_HAS_PREVIOUS), F.col("_from_churned")).otherwise(F.col("_to_churned"))
    return months.select(
        C.MONTH,
        C.THROUGH_DATE,
        base.cast("long").alias(C.USERS_AT_START),
        F.col(C.CHURNED_USERS).cast("long").alias(C.CHURNED_USERS),
        F.when(base > 0, F.col(C.CHURNED_USERS) / base).alias(C.CHURN_RATE),
        churned_base.cast("long").alias(C.CHURNED_AT_START),
        F.col(C.REACTIVATED_USERS).cast("long").alias(C.REACTIVATED_USERS),
        F.when(churned_base > 0, F.col(C.REACTIVATED_USERS) / churned_base).alias(C.REACTIVATION_RATE),
        complete.alias(C.HISTORY_COMPLETE),
        C.AS_OF_DATE,
    )
