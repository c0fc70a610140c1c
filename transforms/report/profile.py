"""Report summaries of the user profile: how users split over an enum tag's values (RFM segment, lifecycle
stage), tag coverage and drift, and the largest audiences (gold.tag_snapshots, tag_quality, audience_sizes)."""

from __future__ import annotations

import datetime as dt

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from transforms import columns as C
from transforms.report.ordering import in_order

_TOTAL = "_total"


def value_distribution(snapshots: DataFrame, snapshot_date: dt.date, tag_id: str) -> DataFrame:
    """Users per value of one tag on one snapshot date.

    Args:
        snapshots: gold.tag_snapshots rows (long form: USER_ID, TAG_ID, VALUE, SNAPSHOT_DATE).
        snapshot_date: The snapshot to count.
        tag_id: An enum or boolean tag, e.g. "rfm_segment".

    Returns:
        VALUE, USERS, SHARE (of the users holding the tag that day), most users first.
    """
    counts = (
        snapshots.where((F.col(C.SNAPSHOT_DATE) == F.lit(snapshot_date)) & (F.col(C.TAG_ID) == F.lit(tag_id)))
        .groupBy(C.VALUE)
        .agg(F.count(F.lit(1)).alias(C.USERS))
    )
    # One total row: the cross join keeps one row per value.
    total = counts.agg(F.sum(C.USERS).alias(_TOTAL))
    return (
        counts.crossJoin(total)
        .select(C.VALUE, C.USERS, (F.col(C.USERS) / F.col(_TOTAL)).alias(C.SHARE))
        .transform(in_order, F.col(C.USERS).desc(), C.VALUE)
    )


def tag_health(quality: DataFrame, snapshot_date: dt.date) -> DataFrame:
    """Coverage and drift of every tag on one snapshot date (gold.tag_quality).

    Returns:
        TAG_ID, USERS_WITH_VALUE, COVERAGE, DISTINCT_VALUES, PSI (null on the first snapshot), highest PSI first.
    """
    return (
        quality.where(F.col(C.SNAPSHOT_DATE) == F.lit(snapshot_date))
        .select(C.TAG_ID, C.USERS_WITH_VALUE, C.COVERAGE, C.DISTINCT_VALUES, C.PSI)
        .transform(in_order, F.col(C.PSI).desc_nulls_last(), C.TAG_ID)
    )


def top_audiences(sizes: DataFrame, snapshot_date: dt.date, n: int) -> DataFrame:
    """The `n` largest audiences of a snapshot, with their size on the snapshot before it.

    Args:
        sizes: gold.audience_sizes rows (AUDIENCE_ID, USERS, SNAPSHOT_DATE).
        snapshot_date: The snapshot to rank.
        n: How many audiences to keep.

    Returns:
        AUDIENCE_ID, USERS, PREVIOUS_USERS and PREVIOUS_DATE (the latest earlier snapshot; null when the
        audience was not in it or there is none), largest first.
    """
    previous_date = sizes.where(F.col(C.SNAPSHOT_DATE) < F.lit(snapshot_date)).agg(
        F.max(C.SNAPSHOT_DATE).alias(C.SNAPSHOT_DATE)
    )
    # One snapshot date joined: at most one previous row per audience, so the left join keeps one row each.
    previous = sizes.join(previous_date, on=[C.SNAPSHOT_DATE], how="inner").select(
        C.AUDIENCE_ID,
        F.col(C.USERS).alias(C.PREVIOUS_USERS),
        F.col(C.SNAPSHOT_DATE).alias(C.PREVIOUS_DATE),
    )
    return (
        sizes.where(F.col(C.SNAPSHOT_DATE) == F.lit(snapshot_date))
        .join(previous, on=[C.AUDIENCE_ID], how="left")
        .orderBy(F.col(C.USERS).desc(), C.AUDIENCE_ID)
        .limit(n)
        .select(C.AUDIENCE_ID, C.USERS, C.PREVIOUS_USERS, C.PREVIOUS_DATE)
    )
