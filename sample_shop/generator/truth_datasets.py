"""Ground truth of what the generator planted, in the exact shapes of `sample_shop.schemas.TRUTH_*` (read only
by the truth checks, never by the pipeline)."""

from __future__ import annotations

import datetime as dt

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from sample_shop import columns as TC
from sample_shop.generator.catalog import CATEGORIES
from sample_shop.generator.literals import nth
from transforms import columns as C


def truth_personas(users: DataFrame) -> DataFrame:
    """`truth/personas`: USER_ID, PERSONA for every user, bots included (persona "bot")."""
    return users.select(C.USER_ID, TC.PERSONA)


def truth_event_sessions(events: DataFrame) -> DataFrame:
    """`truth/event_sessions`: EVENT_ID, SESSION_ID for every generated event (one row per event id)."""
    return events.select(C.EVENT_ID, C.SESSION_ID)


def truth_bundles(members: DataFrame) -> DataFrame:
    """`truth/bundles`: BUNDLE_ID, ITEM_ID."""
    return members.select(TC.BUNDLE_ID, C.ITEM_ID)


def truth_campaigns(assignments: DataFrame, uplift: DataFrame) -> DataFrame:
    """`truth/campaigns`: CAMPAIGN_ID, USER_ID, GROUP, PLANTED_UPLIFT (the campaign's, on each of its rows).

    Args:
        assignments: CAMPAIGN_ID, USER_ID, GROUP per eligible user.
        uplift: CAMPAIGN_ID, PLANTED_UPLIFT (`campaigns.planted_uplift`), one row per campaign, so the
            join keeps one row per assignment.
    """
    return assignments.join(F.broadcast(uplift), on=[C.CAMPAIGN_ID], how="left").select(
        C.CAMPAIGN_ID, C.USER_ID, C.GROUP, F.col(TC.PLANTED_UPLIFT).cast("double").alias(TC.PLANTED_UPLIFT)
    )


def truth_churn(users: DataFrame) -> DataFrame:
    """`truth/churn`: USER_ID, CHURN_DATE of users with planted churn (no events on or after that day)."""
    return users.where(F.col(TC.CHURN_DATE).isNotNull()).select(C.USER_ID, TC.CHURN_DATE)


def truth_launches(items: DataFrame, start_date: dt.date) -> DataFrame:
    """`truth/launches`: ITEM_ID, LAUNCH_DATE of every item launched during the period (drift only): none of
    them has an event before that day."""
    return items.where(F.col(C.LAUNCH_DATE) >= F.lit(start_date)).select(C.ITEM_ID, C.LAUNCH_DATE)


def truth_taste_changes(changes: DataFrame, start_date: dt.date) -> DataFrame:
    """`truth/taste_changes`: USER_ID, CHANGE_DATE, FAVOURITE_BEFORE, FAVOURITE_AFTER (category l2 names) of
    every user whose favourite category changes in the period (drift only).

    Args:
        changes: Users with TASTE_CHANGE_DAY and LATER_FAVOURITE (`tastes.TasteChanges.with_changes`).
        start_date: The period's first day (day index 0).
    """
    l2 = [c.l2 for c in CATEGORIES]
    return changes.where(F.col(TC.TASTE_CHANGE_DAY).isNotNull()).select(
        C.USER_ID,
        F.date_add(F.lit(start_date), F.col(TC.TASTE_CHANGE_DAY)).alias(TC.CHANGE_DATE),
        nth(l2, F.col(TC.FAVOURITE_CATEGORY)).alias(TC.FAVOURITE_BEFORE),
        nth(l2, F.col(TC.LATER_FAVOURITE)).alias(TC.FAVOURITE_AFTER),
    )
