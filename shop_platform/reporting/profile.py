"""Report sections on the user profile: RFM and lifecycle, behaviour segments, tag health, audiences."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

from shop_platform.reporting import charts
from shop_platform.reporting.formats import (
    count,
    day,
    humanize,
    joined,
    missing,
    number,
    percent,
    signed,
    table,
)
from shop_platform.reporting.page import Chart, Figures, Note, Section, Source


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


def segments_section(
    summary: pd.DataFrame | None, features: pd.DataFrame | None, sources: Sequence[Source]
) -> Section:
    """The K-means segments side by side: feature z-scores heatmap and who each segment is."""
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
    return Section(
        "segments",
        "Behaviour segments",
        "K-means segments of the users active in the last 90 days: each cell is the segment's mean, coloured "
        "by how many population standard deviations it lies from the population mean.",
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
