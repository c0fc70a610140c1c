"""Lifecycle stages of users by configurable rules, and the transitions between two consecutive snapshots."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F

from shop_platform.settings import LifecycleSettings
from transforms import columns as C

NEW = "new"
ACTIVE = "active"
SILENT = "silent"
AT_RISK = "at_risk"
CHURNED = "churned"
REACTIVATED = "reactivated"
_PREVIOUS = "_previous_stage"
_STORED = "_stored_stage"


@dataclass(frozen=True)
class LifecycleStage:
    """One stage: its id (the tag value) and its Chinese and English names."""

    id: str
    zh: str
    en: str


LIFECYCLE_STAGES = (
    LifecycleStage(NEW, "新客", "New"),
    LifecycleStage(ACTIVE, "活跃", "Active"),
    LifecycleStage(SILENT, "沉默", "Silent"),
    LifecycleStage(AT_RISK, "流失预警", "At risk"),
    LifecycleStage(CHURNED, "已流失", "Churned"),
    LifecycleStage(REACTIVATED, "回流", "Reactivated"),
)


def lifecycle_stages(
    features: DataFrame,
    previous_stages: DataFrame,
    settings: LifecycleSettings,
    first_date: dt.date | None = None,
) -> DataFrame:
    """The lifecycle stage of every user of one snapshot, or of every snapshot of consecutive dates.

    "Seen" is DAYS_SINCE_LAST_VISIT, or TENURE_DAYS (days since registration) for a user who never
    visited: registering counts as the first visit. The first rule that holds, in this order, gives the stage:

    1. reactivated: the previous snapshot's stage was churned and seen <= churn_days now. A user can only
       get back under churn_days by visiting, so this is "came back after churn", whatever the spacing of
       the snapshots; on the next snapshot the ordinary rules apply again (typically active).
    2. new: TENURE_DAYS <= new_days (registered at most new_days days ago), whatever the visits.
    3. active: seen <= active_days.
    4. silent: active_days < seen <= silent_days.
    5. at_risk: silent_days < seen <= churn_days.
    6. churned: seen > churn_days, or nothing to measure from (never visited, registration unknown).

    The settings guarantee active_days < silent_days < churn_days and new_days < churn_days.

    Over several dates, the previous snapshot of a date after `first_date` is the day before, whose stage
    is churned exactly when its own rules 2-6 give churned (rule 1 needs seen <= churn_days, rule 6 seen
    above it): so those rules, one day back per user, stand in for the stored stage and no date waits for
    the one before.

    Args:
        features: gold.user_features rows (USER_ID, DAYS_SINCE_LAST_VISIT, TENURE_DAYS, SNAPSHOT_DATE) of one
            snapshot, or with `first_date` of every date from it through the last, one snapshot per day.
        previous_stages: This function's output for the snapshot before the first (USER_ID, LIFECYCLE_STAGE,
            one row per user); empty on the first snapshot.
        settings: The `lifecycle` thresholds.
        first_date: The first date of a multi-date `features`; None for one snapshot.

    Returns:
        USER_ID, LIFECYCLE_STAGE (never null), SNAPSHOT_DATE.
    """
    seen = F.coalesce(F.col(C.DAYS_SINCE_LAST_VISIT), F.col(C.TENURE_DAYS))
    came_back = (F.col(_PREVIOUS) == CHURNED) & (seen <= settings.churn_days)
    ruled = (
        F.when(F.col(C.TENURE_DAYS) <= settings.new_days, F.lit(NEW))
        .when(seen <= settings.active_days, F.lit(ACTIVE))
        .when(seen <= settings.silent_days, F.lit(SILENT))
        .when(seen <= settings.churn_days, F.lit(AT_RISK))
        .otherwise(F.lit(CHURNED))
    )
    stage = F.when(came_back, F.lit(REACTIVATED)).otherwise(ruled)
    if first_date is None:
        previous = previous_stages.select(C.USER_ID, F.col(C.LIFECYCLE_STAGE).alias(_PREVIOUS))
        # previous_stages holds one snapshot, one row per user: the left join keeps one row per user.
        return features.join(previous, on=[C.USER_ID], how="left").select(
            C.USER_ID, stage.alias(C.LIFECYCLE_STAGE), C.SNAPSHOT_DATE
        )
    stored = previous_stages.select(
        C.USER_ID, F.col(C.LIFECYCLE_STAGE).alias(_STORED), F.lit(first_date).alias(C.SNAPSHOT_DATE)
    )
    by_user = Window.partitionBy(C.USER_ID).orderBy(C.SNAPSHOT_DATE)
    day_before = F.lag(C.SNAPSHOT_DATE).over(by_user) == F.date_sub(F.col(C.SNAPSHOT_DATE), 1)
    previous = (
        F.when(F.col(C.SNAPSHOT_DATE) == F.lit(first_date), F.col(_STORED))
        .when(day_before, F.lag(ruled).over(by_user))
        .alias(_PREVIOUS)
    )
    # `stored` has one row per user, all on first_date: the left join keeps one row per user and date.
    return (
        features.join(stored, on=[C.USER_ID, C.SNAPSHOT_DATE], how="left")
        .select(C.USER_ID, C.SNAPSHOT_DATE, C.TENURE_DAYS, C.DAYS_SINCE_LAST_VISIT, _STORED, previous)
        .select(C.USER_ID, stage.alias(C.LIFECYCLE_STAGE), C.SNAPSHOT_DATE)
    )


def stage_transitions(previous: DataFrame, current: DataFrame) -> DataFrame:
    """How many users moved from each stage to each stage between two consecutive snapshots.

    Staying counts too (active -> active), so the counts add up to every user of either snapshot.

    Args:
        previous: lifecycle_stages output of the earlier snapshot (USER_ID, LIFECYCLE_STAGE).
        current: lifecycle_stages output of the later snapshot (USER_ID, LIFECYCLE_STAGE).

    Returns:
        FROM_STAGE (null for users new in `current`), TO_STAGE (null for users missing from `current`),
        USERS (long).
    """
    before = previous.select(C.USER_ID, F.col(C.LIFECYCLE_STAGE).alias(C.FROM_STAGE))
    after = current.select(C.USER_ID, F.col(C.LIFECYCLE_STAGE).alias(C.TO_STAGE))
    # One row per user on each side: the full join pairs a user's two stages without multiplying rows.
    return (
        before.join(after, on=[C.USER_ID], how="full")
        .groupBy(C.FROM_STAGE, C.TO_STAGE)
        .agg(F.count(F.lit(1)).alias(C.USERS))
        .select(C.FROM_STAGE, C.TO_STAGE, C.USERS)
    )


def transitions_by_date(
    stages: DataFrame, previous_stages: DataFrame, first_date: dt.date, last_date: dt.date
) -> DataFrame:
    """`stage_transitions` of every date of a range at once: each date against the day before.

    Args:
        stages: lifecycle_stages output of every date from `first_date` through `last_date` (USER_ID,
            LIFECYCLE_STAGE, SNAPSHOT_DATE).
        previous_stages: The stages of the snapshot before `first_date` (USER_ID, LIFECYCLE_STAGE).
        first_date, last_date: The range.

    Returns:
        FROM_STAGE, TO_STAGE, USERS, SNAPSHOT_DATE: per date, what `stage_transitions` gives for it.
    """
    before = previous_stages.select(
        C.USER_ID, F.col(C.LIFECYCLE_STAGE).alias(C.FROM_STAGE), F.lit(first_date).alias(C.SNAPSHOT_DATE)
    ).unionByName(
        stages.where(F.col(C.SNAPSHOT_DATE) < F.lit(last_date)).select(
            C.USER_ID,
            F.col(C.LIFECYCLE_STAGE).alias(C.FROM_STAGE),
            F.date_add(F.col(C.SNAPSHOT_DATE), 1).alias(C.SNAPSHOT_DATE),
        )
    )
    after = stages.select(C.USER_ID, F.col(C.LIFECYCLE_STAGE).alias(C.TO_STAGE), C.SNAPSHOT_DATE)
    # One row per user and date on each side: the full join pairs a user's two stages without multiplying.
    return (
        before.join(after, on=[C.USER_ID, C.SNAPSHOT_DATE], how="full")
        .groupBy(C.FROM_STAGE, C.TO_STAGE, C.SNAPSHOT_DATE)
        .agg(F.count(F.lit(1)).alias(C.USERS))
        .select(C.FROM_STAGE, C.TO_STAGE, C.USERS, C.SNAPSHOT_DATE)
    )
