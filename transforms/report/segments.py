"""The report's segments section: who each K-means segment is and how its features differ from the segmented
population (gold.segment_profiles), how users move between segments from one day to the next and the share
keeping theirs (gold.segment_transitions), and its RFM mix (gold.user_segments with gold.tag_history, for the
notebooks). Spark summaries, and the section drawn from them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import pandas as pd
from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F

from transforms import columns as C
from transforms.report import charts
from transforms.report.formats import count, joined, missing, percent, table
from transforms.report.ordering import in_order
from transforms.report.page import Chart, Section, Source
from transforms.segments.transitions import segment_stability

RFM_SEGMENT_TAG = "rfm_segment"
# Days of stability shown: a week, so the effect of the last weekly refit is in view.
STABILITY_DAYS = 7


def segment_summary(profiles: DataFrame, snapshot_date: dt.date) -> DataFrame:
    """One row per segment of a snapshot.

    Returns:
        SEGMENT_ID, LABEL, USERS, SHARE, DOMINANT_RFM_SEGMENT, DOMINANT_LIFECYCLE_STAGE, TOP_CATEGORIES,
        largest segment first.
    """
    return (
        profiles.where(F.col(C.SNAPSHOT_DATE) == F.lit(snapshot_date))
        .select(
            C.SEGMENT_ID,
            C.LABEL,
            C.USERS,
            C.SHARE,
            C.DOMINANT_RFM_SEGMENT,
            C.DOMINANT_LIFECYCLE_STAGE,
            C.TOP_CATEGORIES,
        )
        .transform(in_order, F.col(C.USERS).desc(), C.SEGMENT_ID)
    )


def segment_features(profiles: DataFrame, snapshot_date: dt.date) -> DataFrame:
    """Each segment's feature means and z-scores in long form, for a segments x features heatmap.

    Returns:
        SEGMENT_ID, LABEL, FEATURE, MEAN, Z_SCORE (the segment mean's distance from the population mean in
        population standard deviations; null when the profile has no z for the feature).
    """
    return (
        profiles.where(F.col(C.SNAPSHOT_DATE) == F.lit(snapshot_date))
        .select(C.SEGMENT_ID, C.LABEL, C.FEATURE_Z, F.explode(C.FEATURE_MEANS).alias(C.FEATURE, C.MEAN))
        .select(
            C.SEGMENT_ID,
            C.LABEL,
            C.FEATURE,
            C.MEAN,
            F.element_at(F.col(C.FEATURE_Z), F.col(C.FEATURE)).alias(C.Z_SCORE),
        )
        .transform(in_order, C.SEGMENT_ID, C.FEATURE)
    )


def stability_trend(transitions: DataFrame, snapshot_date: dt.date, days: int) -> DataFrame:
    """The day-to-day stability of the `days` dates up to `snapshot_date`.

    Returns:
        SNAPSHOT_DATE, USERS (segmented on the date and the day before), STABILITY (share keeping their
        segment), latest first.
    """
    first = snapshot_date - dt.timedelta(days=days - 1)
    recent = transitions.where(F.col(C.SNAPSHOT_DATE).between(F.lit(first), F.lit(snapshot_date)))
    return segment_stability(recent).transform(in_order, F.col(C.SNAPSHOT_DATE).desc())


def transition_matrix(transitions: DataFrame, snapshot_date: dt.date) -> DataFrame:
    """The users per (segment the day before, segment on the date) of one date; a null side is a user
    segmented on one of the two days only.

    Returns:
        FROM_SEGMENT_ID, TO_SEGMENT_ID, USERS.
    """
    return (
        transitions.where(F.col(C.SNAPSHOT_DATE) == F.lit(snapshot_date))
        .select(C.FROM_SEGMENT_ID, C.TO_SEGMENT_ID, C.USERS)
        .transform(
            in_order, F.col(C.FROM_SEGMENT_ID).asc_nulls_last(), F.col(C.TO_SEGMENT_ID).asc_nulls_last()
        )
    )


def _segment_name(segment: object) -> str:
    return "–" if pd.isna(segment) else str(int(segment))


def transitions_blocks(stability: pd.DataFrame | None, matrix: pd.DataFrame | None) -> list:
    """The stability of the last days, and the day's transitions as a from x to grid (a dozen segments at
    most, so the pivot is small): a row per segment the day before, a column per segment on the day, "–"
    for users segmented on one day only."""
    blocks = []
    if not missing(stability):
        blocks.append(
            table(
                "Users keeping their segment from the day before",
                stability,
                {
                    "snapshot_date": ("date", str),
                    "users": ("users on both days", count),
                    "stability": ("kept their segment", percent),
                },
            )
        )
    if not missing(matrix):
        cells = matrix.assign(
            **{
                C.FROM_SEGMENT_ID: matrix[C.FROM_SEGMENT_ID].map(_segment_name),
                C.TO_SEGMENT_ID: matrix[C.TO_SEGMENT_ID].map(_segment_name),
            }
        )
        grid = cells.pivot_table(
            index=C.FROM_SEGMENT_ID, columns=C.TO_SEGMENT_ID, values=C.USERS, aggfunc="sum", fill_value=0
        )
        grid = grid.reset_index()
        columns = {C.FROM_SEGMENT_ID: ("from ↓ to →", str)}
        columns |= {name: (name, count) for name in grid.columns if name != C.FROM_SEGMENT_ID}
        blocks.append(table("Segment transitions from the day before (users)", grid, columns))
    return blocks


def segment_rfm_mix(segments: DataFrame, snapshots: DataFrame, snapshot_date: dt.date) -> DataFrame:
    """How each segment's users split over the RFM segments on a snapshot date.

    Args:
        segments: gold.user_segments rows (USER_ID, SEGMENT_ID, SNAPSHOT_DATE).
        snapshots: tags_as_of rows.
        snapshot_date: The date of both.

    Returns:
        SEGMENT_ID, VALUE (the RFM segment; null for a user without one), USERS, SHARE of the segment.
    """
    rfm = snapshots.where(
        (F.col(C.SNAPSHOT_DATE) == F.lit(snapshot_date)) & (F.col(C.TAG_ID) == F.lit(RFM_SEGMENT_TAG))
    ).select(C.USER_ID, C.VALUE)
    # One rfm_segment row per user and date: the left join keeps one row per segmented user.
    counts = (
        segments.where(F.col(C.SNAPSHOT_DATE) == F.lit(snapshot_date))
        .join(rfm, on=[C.USER_ID], how="left")
        .groupBy(C.SEGMENT_ID, C.VALUE)
        .agg(F.count(F.lit(1)).alias(C.USERS))
    )
    share = F.col(C.USERS) / F.sum(C.USERS).over(Window.partitionBy(C.SEGMENT_ID))
    return counts.select(C.SEGMENT_ID, C.VALUE, C.USERS, share.alias(C.SHARE)).transform(
        in_order, C.SEGMENT_ID, F.col(C.USERS).desc(), C.VALUE
    )


def segments_section(
    summary: pd.DataFrame | None,
    features: pd.DataFrame | None,
    sources: Sequence[Source],
    stability: pd.DataFrame | None = None,
    matrix: pd.DataFrame | None = None,
) -> Section:
    """The K-means segments side by side: feature z-scores heatmap, who each segment is, and how users moved
    between segments since the day before (see `transitions_blocks`)."""
    blocks = []
    if not missing(features):
        blocks.append(Chart("segment-features", charts.feature_heatmap(features)))
    if not missing(summary):
        blocks.append(
            table(
                "Segments",
                summary,
                {
                    "segment_id": ("segment", count),
                    "label": ("label", lambda v: v or "–"),
                    "users": ("users", count),
                    "share": ("share", percent),
                    "dominant_rfm_segment": ("commonest RFM segment", lambda v: v or "–"),
                    "dominant_lifecycle_stage": ("commonest lifecycle stage", lambda v: v or "–"),
                    "top_categories": ("top categories", joined),
                },
            )
        )
    blocks.extend(transitions_blocks(stability, matrix))
    return Section(
        "segments",
        "Behaviour segments",
        "K-means segments of the users active in the last 90 days (light users, with no order and few active "
        "days, a segment of their own): each cell is the segment's mean, coloured by how many population "
        "standard deviations it lies from the population mean.",
        sources,
        blocks,
    )
