"""gold.segment_transitions: how users move between segments from one snapshot date to the next, and the
stability figure marketing relies on (the share of users segmented on both days who keep their segment)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from transforms import columns as C

_PREVIOUS_DATE = "_previous_date"


def segment_transitions(segments: DataFrame, dates: Sequence[dt.date]) -> DataFrame:
    """Users per (segment the day before, segment on the day), for each of `dates` whose previous day has
    segments.

    A user segmented only on the day before has a null TO_SEGMENT_ID (left the segmented population), one
    segmented only on the day a null FROM_SEGMENT_ID (joined it).

    Args:
        segments: gold.user_segments rows (USER_ID, SEGMENT_ID, SNAPSHOT_DATE) of `dates` and the day before
            each.
        dates: The snapshot dates to describe.

    Returns:
        FROM_SEGMENT_ID, TO_SEGMENT_ID, USERS, SNAPSHOT_DATE.
    """
    today = segments.where(F.col(C.SNAPSHOT_DATE).isin(list(dates))).select(
        C.USER_ID, F.col(C.SEGMENT_ID).alias(C.TO_SEGMENT_ID), C.SNAPSHOT_DATE
    )
    # The previous day's rows, dated as the day they are compared with.
    before = segments.where(
        F.col(C.SNAPSHOT_DATE).isin([day - dt.timedelta(days=1) for day in dates])
    ).select(
        C.USER_ID,
        F.col(C.SEGMENT_ID).alias(C.FROM_SEGMENT_ID),
        F.date_add(F.col(C.SNAPSHOT_DATE), 1).alias(C.SNAPSHOT_DATE),
    )
    # Only days whose previous day was segmented: otherwise every user would look newly joined.
    compared = (
        before.select(C.SNAPSHOT_DATE)
        .distinct()
        .join(today.select(C.SNAPSHOT_DATE).distinct(), on=[C.SNAPSHOT_DATE], how="inner")
    )
    # One row per user and date on each side: the full join pairs each user's two days at most once.
    return (
        before.join(today, on=[C.USER_ID, C.SNAPSHOT_DATE], how="full")
        .join(compared, on=[C.SNAPSHOT_DATE], how="left_semi")
        .groupBy(C.SNAPSHOT_DATE, C.FROM_SEGMENT_ID, C.TO_SEGMENT_ID)
        .agg(F.count(F.lit(1)).alias(C.USERS))
        .select(C.FROM_SEGMENT_ID, C.TO_SEGMENT_ID, C.USERS, C.SNAPSHOT_DATE)
    )


def segment_stability(transitions: DataFrame) -> DataFrame:
    """Per snapshot date: USERS segmented on both that day and the day before, and STABILITY, the share of
    them in the same segment on both (null without such users).

    Args:
        transitions: gold.segment_transitions rows (see `segment_transitions`).

    Returns:
        SNAPSHOT_DATE, USERS, STABILITY, oldest date first.
    """
    both = transitions.where(F.col(C.FROM_SEGMENT_ID).isNotNull() & F.col(C.TO_SEGMENT_ID).isNotNull())
    kept = F.sum(F.when(F.col(C.FROM_SEGMENT_ID) == F.col(C.TO_SEGMENT_ID), F.col(C.USERS)).otherwise(0))
    return (
        both.groupBy(C.SNAPSHOT_DATE)
        .agg(F.sum(C.USERS).alias(C.USERS), kept.alias("_kept"))
        .select(
            C.SNAPSHOT_DATE,
            C.USERS,
            F.try_divide(F.col("_kept").cast("double"), F.col(C.USERS)).alias(C.STABILITY),
        )
        .orderBy(C.SNAPSHOT_DATE)
    )
