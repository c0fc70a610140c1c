"""The report's presentation without Spark: formatting, sections of missing tables, the page, writing it."""

from __future__ import annotations

import datetime as dt
import math
import os
from pathlib import Path

import pandas as pd
import pytest

from shop_platform.storage.local_files import ReportPathError, local_root, report_path, write_text_atomically
from transforms.report import charts
from transforms.report.behaviour import funnel_section
from transforms.report.formats import count, interval, number, percent, settings
from transforms.report.page import Chart, Section, Source, render_page
from transforms.report.value import frequency_label, ranking_guidance

RUN = dt.date(2031, 3, 12)


def test_numbers_are_formatted_for_reading_and_missing_values_are_dashes():
    assert [count(1234), count(None), count(math.nan)] == ["1,234", "–", "–"]
    assert [percent(0.1234), percent(pd.NA)] == ["12.3%", "–"]
    assert [number(0.0123456), number(85.6267), number(123456.7), number(0)] == [
        "0.0123",
        "85.6",
        "123,457",
        "0",
    ]
    assert interval(0.03, 0.009999999, 0.05) == "0.03 [0.01, 0.05]"
    assert settings([("rank", "32"), ("alpha", "1.0")]) == "alpha=1.0, rank=32"
    assert settings({}) == "–"


def test_a_section_whose_table_is_missing_keeps_its_heading_and_names_the_table():
    missing = Source(
        "gold.funnel_daily", problem="gold.funnel_daily does not exist at /lake/gold/funnel_daily."
    )

    html = render_page("Report", RUN, [funnel_section(None, None, [missing])])

    assert '<section id="funnel">' in html and "<h2>Purchase funnel</h2>" in html
    assert "gold.funnel_daily does not exist at /lake/gold/funnel_daily." in html
    assert "data-chart" not in html


def test_a_source_says_how_old_its_snapshot_is():
    assert Source("gold.x", as_of=RUN).describe(RUN) == "gold.x as of 2031-03-12"
    assert Source("gold.x", as_of=RUN - dt.timedelta(days=3)).describe(RUN) == (
        "gold.x as of 2031-03-09 (3 days before the run date)"
    )


def test_the_page_inlines_plotly_once_and_refuses_two_charts_of_one_name():
    figure = charts.funnel(pd.DataFrame({"step": ["page_view", "pay"], "sessions": [10, 2]}))
    sections = [Section("a", "A", "first", blocks=[Chart("one", figure)]), Section("b", "B", "second")]

    html = render_page("Report", RUN, sections)

    assert html.count("Plotly.newPlot") == 1 and html.count("<script>") == 2
    assert 'src="http' not in html
    with pytest.raises(ValueError, match="unique in a report: one"):
        render_page(
            "Report", RUN, [Section("a", "A", "", blocks=[Chart("one", figure), Chart("one", figure)])]
        )


def test_repeated_model_names_get_numbers_on_a_chart_axis():
    assert charts.distinct_labels(["als", "cand", "pop", "cand"]) == ["als", "cand #1", "pop", "cand #2"]


def test_the_report_replaces_the_previous_one_whole(tmp_path):
    path = report_path(str(tmp_path), RUN)
    assert path == f"{tmp_path}/reports/2031-03-12/report.html"
    write_text_atomically(path, "old")

    write_text_atomically(path, "new")
    with pytest.raises(TypeError):
        write_text_atomically(path, None)  # fails half way: the file keeps the last complete report

    assert Path(path).read_text(encoding="utf-8") == "new"
    assert os.listdir(os.path.dirname(path)) == ["report.html"]


def test_report_roots_are_local_paths_or_the_dbfs_mount():
    assert local_root("file:///tmp/lake") == "/tmp/lake"
    assert local_root("dbfs:/mnt/lake") == "/dbfs/mnt/lake"
    with pytest.raises(ReportPathError, match="set report.output_root"):
        local_root("s3a://bucket/lake")


def _rankings(*rows: tuple[str, str, float | None]) -> pd.DataFrame:
    """Ranking rows of a 7-day holdout over 18 customers: (score, population, AUC)."""
    return pd.DataFrame(
        [(dt.date(2031, 3, 5), RUN, score, population, 18, 6, auc) for score, population, auc in rows],
        columns=["calibration_end", "run_date", "score_name", "population", "customers", "positives", "auc"],
    )


def test_the_ranking_guidance_names_the_better_score_on_the_customers_both_models_scored():
    bg_nbd_better = _rankings(
        ("p_alive", "scored_by_both", 0.74),
        ("expected_orders", "scored_by_both", 0.72),
        ("purchase_propensity", "scored_by_both", 0.7),
        ("p_alive", "all_customers", 0.5),
    )
    tie = _rankings(
        ("expected_orders", "scored_by_both", 0.705), ("purchase_propensity", "scored_by_both", 0.7)
    )
    # Without propensity scores the comparison is over all calibration customers.
    alone = _rankings(("p_alive", "all_customers", 0.4), ("expected_orders", "all_customers", 0.6))

    assert ranking_guidance(bg_nbd_better) == [
        "On this 7-day holdout, over the 18 customers both scored, BG/NBD's P(alive) ranks who buys better "
        "(AUC 0.74) than the propensity model (AUC 0.7): it needs only orders, so it can pick the targets as "
        "well as give their value."
    ]
    assert ranking_guidance(tie) == [
        "On this 7-day holdout, over the 18 customers both scored, BG/NBD's expected holdout orders (AUC 0.705) "
        "and the propensity model (AUC 0.7) rank who buys about as well."
    ]
    assert ranking_guidance(alone) == [
        "Only BG/NBD's scores were ranked on this 7-day holdout (there were no propensity scores of the "
        "calibration end): its expected holdout orders ranks the buyers best, AUC 0.6.",
        "P(alive) ranks worse than chance here: BG/NBD gives every customer without a repeat purchase a "
        "P(alive) of 1, so it puts one-time buyers first; rank by expected orders instead.",
    ]
    unranked = _rankings(("p_alive", "all_customers", None))
    assert ranking_guidance(unranked)[0].startswith("No score could be ranked")


def test_the_top_calibration_frequency_bucket_reads_as_and_more():
    assert [frequency_label(b) for b in (0, 6, 7)] == ["0", "6", "7+"]
