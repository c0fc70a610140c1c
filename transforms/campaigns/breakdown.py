"""Campaign reach and response by segment and audience, as the users stood the day before the start."""

from __future__ import annotations

from functools import reduce

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from transforms import columns as C
from transforms import vocabulary as V
from transforms.analytics.as_of import latest_snapshot_before

ALL = "all"
SEGMENT = "segment"
AUDIENCE = "audience"
UNSEGMENTED = "unsegmented"


def _sliced(outcomes: DataFrame, dimension: str, value: Column) -> DataFrame:
    return outcomes.select(
        C.CAMPAIGN_ID,
        C.GROUP,
        C.CONVERTED,
        C.GMV,
        F.lit(dimension).alias(C.DIMENSION),
        value.cast("string").alias(C.DIMENSION_VALUE),
    )


def campaign_breakdown(
    outcomes: DataFrame, windows: DataFrame, segments: DataFrame | None, audiences: DataFrame | None
) -> DataFrame:
    """Per campaign and slice: assigned users per group, conversion and GMV per user, and their uplift.

    Args:
        outcomes: `exposure.user_outcomes` output.
        windows: `exposure.attribution_windows` output.
        segments: gold.user_segments rows (USER_ID, SEGMENT_ID, SNAPSHOT_DATE), or None when there are none;
            users without a segment then are UNSEGMENTED.
        audiences: gold.audience_members rows (AUDIENCE_ID, USER_ID, SNAPSHOT_DATE), or None. A user counts in
            every audience they belong to, so audience rows do not add up to the campaign.

    Returns:
        GOLD_CAMPAIGN_BREAKDOWN_SCHEMA columns without RUN_DATE; uplifts are treatment minus control (null
        when a group is empty in the slice).
    """
    starts = windows.select(C.CAMPAIGN_ID, C.START_DATE)
    slices = [_sliced(outcomes, ALL, F.lit(ALL))]
    if segments is not None:
        known = latest_snapshot_before(
            segments.select(C.USER_ID, C.SEGMENT_ID, C.SNAPSHOT_DATE), starts, C.START_DATE
        )
        # One segment per (user, snapshot), one snapshot per campaign: the left join keeps the count.
        with_segment = outcomes.join(
            known.select(C.CAMPAIGN_ID, C.USER_ID, C.SEGMENT_ID), on=[C.CAMPAIGN_ID, C.USER_ID], how="left"
        )
        value = F.coalesce(F.col(C.SEGMENT_ID).cast("string"), F.lit(UNSEGMENTED))
        slices.append(_sliced(with_segment, SEGMENT, value))
    if audiences is not None:
        members = latest_snapshot_before(
            audiences.select(C.AUDIENCE_ID, C.USER_ID, C.SNAPSHOT_DATE), starts, C.START_DATE
        )
        # An inner join on purpose: a user appears once per audience they are in.
        in_audience = outcomes.join(
            members.select(C.CAMPAIGN_ID, C.USER_ID, C.AUDIENCE_ID),
            on=[C.CAMPAIGN_ID, C.USER_ID],
            how="inner",
        )
        slices.append(_sliced(in_audience, AUDIENCE, F.col(C.AUDIENCE_ID)))
    rows = reduce(DataFrame.unionByName, slices)

    def per_group(group: str, column: str | None) -> Column:
        inside = F.col(C.GROUP) == group
        if column is None:
            return F.count(F.when(inside, True))
        return F.avg(F.when(inside, F.col(column)))

    cells = rows.groupBy(C.CAMPAIGN_ID, C.DIMENSION, C.DIMENSION_VALUE).agg(
        per_group(V.TREATMENT, None).alias(C.TREATMENT_USERS),
        per_group(V.CONTROL, None).alias(C.CONTROL_USERS),
        per_group(V.TREATMENT, C.CONVERTED).alias(C.TREATMENT_CONVERSION),
        per_group(V.CONTROL, C.CONVERTED).alias(C.CONTROL_CONVERSION),
        per_group(V.TREATMENT, C.GMV).alias(C.TREATMENT_GMV_PER_USER),
        per_group(V.CONTROL, C.GMV).alias(C.CONTROL_GMV_PER_USER),
    )
    return cells.select(
        C.CAMPAIGN_ID,
        C.DIMENSION,
        C.DIMENSION_VALUE,
        F.col(C.TREATMENT_USERS).cast("long").alias(C.TREATMENT_USERS),
        F.col(C.CONTROL_USERS).cast("long").alias(C.CONTROL_USERS),
        C.TREATMENT_CONVERSION,
        C.CONTROL_CONVERSION,
        (F.col(C.TREATMENT_CONVERSION) - F.col(C.CONTROL_CONVERSION)).alias(C.CONVERSION_UPLIFT),
        C.TREATMENT_GMV_PER_USER,
        C.CONTROL_GMV_PER_USER,
        (F.col(C.TREATMENT_GMV_PER_USER) - F.col(C.CONTROL_GMV_PER_USER)).alias(C.GMV_UPLIFT),
    )
