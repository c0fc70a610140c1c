"""The report's profile sections: RFM segments and lifecycle stages, tag coverage and drift, and the largest
audiences. Spark summaries of gold.tag_history, tag_quality and audience_sizes (how users split over an
enum tag's values, each tag's health, audience sizes against the snapshot before), and the sections drawn
from them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

import pandas as pd
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from transforms import columns as C
from transforms.report import charts
from transforms.report.formats import count, day, humanize, missing, number, percent, signed, table
from transforms.report.ordering import in_order
from transforms.report.page import Chart, Figures, Note, Section, Source

_TOTAL = "_total"


def value_distribution(snapshots: DataFrame, snapshot_date: dt.date, tag_id: str) -> DataFrame:
    """Users per value of one tag on one snapshot date.

    Args:
        snapshots: tags_as_of rows (long form: USER_ID, TAG_ID, VALUE, SNAPSHOT_DATE).
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


def rfm_section(
    rfm: pd.DataFrame | None,
    stages: pd.DataFrame | None,
    rfm_names: Mapping[str, tuple[str, str]],
    stage_names: Mapping[str, tuple[str, str]],
    sources: Sequence[Source],
) -> Section:
    """Users per RFM segment and per lifecycle stage; names map an id to its (English, Chinese) names."""
    blocks = []
    for frame, names, chart_name, title in (
        (rfm, rfm_names, "rfm-segments", "Users per RFM segment"),
        (stages, stage_names, "lifecycle-stages", "Users per lifecycle stage"),
    ):
        if missing(frame):
            continue
        labels = {key: en for key, (en, _) in names.items()}
        blocks.append(Chart(chart_name, charts.distribution_bars(frame, title, list(names), labels)))
        named = frame.assign(
            name=[names.get(v, (humanize(v), ""))[0] for v in frame["value"]],
            name_zh=[names.get(v, ("", ""))[1] for v in frame["value"]],
        )
        blocks.append(
            table(
                title,
                named,
                {
                    "value": ("id", str),
                    "name": ("name", str),
                    "name_zh": ("中文", str),
                    "users": ("users", count),
                    "share": ("share", percent),
                },
            )
        )
    return Section(
        "rfm",
        "RFM segments and lifecycle stages",
        "The classic eight RFM segments (recency, frequency and monetary scores against the snapshot's "
        "buyers) and the lifecycle stages, from the day's tag snapshot.",
        sources,
        blocks,
    )


def tags_section(health: pd.DataFrame | None, drift_tags: int, sources: Sequence[Source]) -> Section:
    """Coverage of every tag and the tags that drifted most against the previous snapshot."""
    blocks = []
    if not missing(health):
        with_psi = health.dropna(subset=["psi"])
        drifting = with_psi[with_psi["psi"] >= charts.PSI_WATCH]
        blocks.append(
            Figures(
                [
                    ("tags", count(len(health))),
                    ("median coverage", percent(health["coverage"].median())),
                    ("tags below 50% coverage", count((health["coverage"] < 0.5).sum())),
                    (f"tags with PSI ≥ {charts.PSI_WATCH:g}", count(len(drifting))),
                ]
            )
        )
        blocks.append(Chart("tag-coverage", charts.coverage_bars(health)))
        if with_psi.empty:
            blocks.append(
                Note("No drift yet: this is the first snapshot, there is nothing to compare it to.")
            )
        else:
            blocks.append(Chart("tag-drift", charts.drift_bars(with_psi, drift_tags)))
        if drifting.empty:
            blocks.append(
                Note(f"No tag's value distribution moved by a PSI of {charts.PSI_WATCH:g} or more.")
            )
        else:
            blocks.append(
                table(
                    f"Tags with PSI ≥ {charts.PSI_WATCH:g}",
                    drifting,
                    {
                        "tag_id": ("tag", str),
                        "psi": ("PSI", number),
                        "coverage": ("coverage", percent),
                        "distinct_values": ("distinct values", count),
                    },
                )
            )
    return Section(
        "tags",
        "Tag coverage and drift",
        "Share of users holding each tag, and the population stability index of each tag's value "
        "distribution against the previous snapshot (above 0.1 worth a look, above 0.25 a major shift).",
        sources,
        blocks,
    )


def audiences_section(audiences: pd.DataFrame | None, sources: Sequence[Source]) -> Section:
    """The largest audiences and how they changed since the previous snapshot."""
    blocks = []
    if not missing(audiences):
        blocks.append(Chart("audiences", charts.audience_bars(audiences)))
        change = audiences["users"] - audiences["previous_users"]
        blocks.append(
            table(
                "Largest audiences",
                audiences.assign(change=change),
                {
                    "audience_id": ("audience", str),
                    "users": ("users", count),
                    "previous_users": ("previous snapshot", count),
                    "previous_date": ("previous date", day),
                    "change": ("change", signed),
                },
            )
        )
    return Section(
        "audiences",
        "Top audiences",
        "The rule-based audiences of conf/audiences.yaml with the most members.",
        sources,
        blocks,
    )
