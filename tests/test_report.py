"""build_report end to end on the hand-built gold lake: the page in headless Chromium (every chart drew, no
script error, no network), its numbers, missing optional tables, the ALS fallback and broken input."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from html import unescape
from pathlib import Path

import pytest

from jobs import build_report
from scripts.report_browser import check_page
from tests.gold_lake import RUN, gold_lake  # noqa: F401  (the fixture)
from tests.job_logs import JobLog, job_log_of
from transforms.report import SECTION_IDS

# Every chart the full lake draws (data-chart names), in page order.
ALL_CHARTS = [
    "activity",
    "funnel",
    "retention-registration",
    "retention-first_order",
    "rfm-segments",
    "lifecycle-stages",
    "segment-features",
    "tag-coverage",
    "tag-drift",
    "audiences",
    "campaign-conversion",
    "campaign-gmv_per_user",
    "recommendation-metrics",
    "recommendation-sources",
    "propensity-scores",
    "propensity-calibration",
    "value-tracking",
    "value-frequency",
]


@pytest.fixture()
def job_log() -> Iterator[JobLog]:
    with job_log_of("jobs.build_report") as records:
        yield records


def run_report(lake_root: str, out: Path, *extra: str) -> int:
    return build_report.main(
        ["--date", RUN.isoformat(), "--set", f"lake.root={lake_root}", "--set", f"report.output_root={out}",
         "--set", "spark.shuffle_partitions=2", *extra]
    )  # fmt: skip


def copied_lake(source: str, target: Path, tables: dict[str, str]) -> str:
    """A lake of copies of some of `source`'s tables (name -> the table of `source` copied to it)."""
    for name, copied in tables.items():
        shutil.copytree(Path(source, *copied.split(".")), Path(target, *name.split(".")))
    return str(target)


def section(html: str, section_id: str) -> str:
    """The text of one <section> (tags removed, whitespace collapsed)."""
    match = re.search(rf'<section id="{section_id}">(.*?)</section>', html, re.S)
    assert match, f"no section {section_id}"
    body = re.sub(r"<script.*?</script>", " ", match.group(1), flags=re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", body).split())


@pytest.fixture(scope="module")
def full_report(gold_lake, tmp_path_factory) -> Path:  # noqa: F811
    out = tmp_path_factory.mktemp("report")
    assert run_report(gold_lake, out) == 0
    return out / "reports" / RUN.isoformat() / "report.html"


def test_report_draws_every_chart_in_chromium_without_errors_or_network(full_report):
    check = check_page(full_report)

    assert check.charts == ALL_CHARTS
    assert check.undrawn == []
    assert check.errors == []
    assert check.external_requests == []
    assert [section_id for section_id, _ in check.headings] == list(SECTION_IDS)


def test_report_holds_the_day_summaries_and_says_where_they_come_from(full_report):
    html = full_report.read_text(encoding="utf-8")

    assert html.count("<script>") == 1 + len(ALL_CHARTS), "plotly.js is inlined exactly once"
    activity = section(html, "activity")
    # The lake's first month is flagged: its "churned at start" users include the ones not seen yet.
    assert "2031-02 2031-02-28 60 2 3.3% 40 38 95.0% shorter than the churn window" in activity
    assert "2031-03 2031-03-12 100 5 5.0% 20 4 20.0% complete" in activity
    funnel = section(html, "funnel")
    # Two cells summed, the day before left out: 15 page views of 16 sessions, 2 paid.
    assert "15 sessions with a page view" in funnel
    assert "Pay 2 66.7% 12.5%" in funnel
    segments = section(html, "segments")
    assert "gold.segment_profiles as of 2031-03-11 (1 day before the run date)" in segments
    tags = section(html, "tags")
    assert "Tags with PSI ≥ 0.1 tag PSI coverage distinct values lifecycle_stage 0.3" in tags
    audiences = section(html, "audiences")
    assert "a_big 50 45 2031-03-11 +5" in audiences and "a_small 10 – – –" in audiences
    campaigns = section(html, "campaigns")
    assert "cmp1 conversion ended 500 / 490 0.18 0.15 0.03 [0.01, 0.05]" in campaigns
    assert "cmp2 conversion running" in campaigns
    assert "cmp1 audience a_big 40 41" in campaigns and "cmp1 segment 0 120 118" in campaigns
    assert "cmp1 all all" not in campaigns
    recommendations = section(html, "recommendations")
    assert "From gold.recommendations as of 2031-03-12" in recommendations
    # One user from each RFM segment with lists, largest first (ties by name); each item with its source.
    assert re.findall(r"RFM segment (\w+)", recommendations) == ["champions", "no_purchase", "lost"]
    assert "u3, RFM segment lost, lifecycle stage at_risk, prefers food" in recommendations
    assert "1 i4 food snacks Oreo 0.6 copurchase" in recommendations
    assert "stale" not in recommendations
    propensity = section(html, "propensity")
    assert "logistic_regression yes 3 30 30.0% 0.8 60.0% 2 0.2 2031-02-10 –" in propensity
    value = unescape(section(html, "value"))  # BG/NBD's
    assert (
        "gold.customer_value_holdout as of 2031-03-12; gold.customer_value_ranking as of 2031-03-12" in value
    )
    # The holdout's last day: 10.5 purchases predicted, 11 made.
    assert (
        "2031-03-05 calibration end 21 calibration customers 10.5 repeat purchases predicted in 7 days"
        in value
    )
    assert "11 actual 0.955 predicted / actual" in value
    assert (
        "repeat purchases customers predicted actual 0 10 0.2 0.1 1 6 0.5 0.5 2 3 0.9 1 7+ 2 2.5 3" in value
    )
    assert (
        "On this 7-day holdout, over the 18 customers both scored, the propensity model ranks who buys better "
        "(AUC 0.8) than BG/NBD's expected holdout orders (AUC 0.68, its better score)"
    ) in value
    assert "P(alive) ranks worse than chance here" in value
    assert "purchase propensity gold.user_propensity scored by both models 18 6 0.8" in value
    assert "0.99" not in value and "9,000" not in value, "the day before's rows leaked"
    # Tier names from clv.tiers; u2 and u3 share the high tier.
    assert "vip VIP 至尊客户 1 25.0% 1,000 1,000 0.9 3" in value
    assert "high High value 高价值客户 2 50.0% 300 600 0.55 1.5" in value


def test_report_without_optional_tables_names_them_and_falls_back_to_als(gold_lake, tmp_path, job_log):  # noqa: F811
    lake = copied_lake(gold_lake, tmp_path / "lake", {
        "gold.tag_history": "gold.tag_history", "gold.tag_quality": "gold.tag_quality",
        "gold.als_recommendations": "gold.als_recommendations"})  # fmt: skip

    assert run_report(lake, tmp_path / "out") == 0

    path = tmp_path / "out" / "reports" / RUN.isoformat() / "report.html"
    assert job_log.messages[-1].endswith(f": {path}")
    html = path.read_text(encoding="utf-8")
    assert re.findall(r'data-chart="([^"]+)"', html) == ["rfm-segments", "lifecycle-stages", "tag-coverage",
                                                          "tag-drift"]  # fmt: skip
    for section_id, table, writer in (
        ("activity", "gold.activity_daily", "build_behaviour_analytics"),
        ("funnel", "gold.funnel_daily", "build_behaviour_analytics"),
        ("segments", "gold.segment_profiles", "build_segment_profiles"),
        ("campaigns", "gold.campaign_results", "evaluate_campaigns"),
        ("propensity", "gold.user_propensity", "score_propensity"),
        ("value", "gold.customer_value_holdout", "evaluate_customer_value"),
        ("value", "gold.customer_value", "build_customer_value"),
    ):
        assert f"{table} does not exist at {lake}/{table.replace('.', '/')} ({writer} writes it)" in section(
            html, section_id
        )
    recommendations = section(html, "recommendations")
    assert "gold.recommendations is not available, so these lists are the ALS candidates" in recommendations
    assert "Every list entry comes from one source: als." in recommendations
    assert "1 i1 – – – 1 als" in recommendations  # no bronze.items: no categories
    assert "bronze.items does not exist" in recommendations


def test_report_refuses_a_table_without_the_columns_it_reads(gold_lake, tmp_path, job_log):  # noqa: F811
    lake = copied_lake(gold_lake, tmp_path / "lake", {
        "gold.tag_history": "gold.tag_history", "gold.tag_quality": "gold.tag_quality",
        "gold.funnel_daily": "gold.session_paths"})  # fmt: skip

    assert run_report(lake, tmp_path / "out") == 1

    assert not (tmp_path / "out" / "reports").exists()
    assert any(
        "gold.funnel_daily does not have the columns the report reads (missing columns: channel (string)" in m
        for m in job_log.messages
    ), job_log.messages


def test_report_needs_the_tag_snapshots(gold_lake, tmp_path, job_log):  # noqa: F811
    (tmp_path / "empty").mkdir()
    tags_only = copied_lake(gold_lake, tmp_path / "lake", {
        "gold.tag_history": "gold.tag_history", "gold.tag_quality": "gold.tag_quality"})  # fmt: skip

    assert run_report(str(tmp_path / "empty"), tmp_path / "out") == 1
    assert build_report.main(["--date", "2031-01-01", "--set", f"lake.root={tags_only}",
                              "--set", f"report.output_root={tmp_path / 'out'}"]) == 1  # fmt: skip

    assert not (tmp_path / "out").exists()
    needs = [m for m in job_log.messages if "the report needs it" in m]
    assert "gold.tag_history does not exist" in needs[0]
    # The history is read as of gold.tag_quality's snapshot dates (both written by build_tag_snapshots).
    assert "gold.tag_quality has no rows on or before 2031-01-01 (run build_tag_snapshots)" in needs[1]
