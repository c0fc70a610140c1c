"""Write the daily HTML report of a run date: <lake.root>/reports/<date>/report.html.

    python -m jobs.build_report --env local --date 2026-10-30
    shop-build-report --date 2026-10-30 --set report.output_root=/tmp/reports

One self-contained file (Plotly inlined, no network needed to view it): activity, the purchase funnel,
retention, RFM segments and lifecycle stages, behaviour segments, tag coverage and drift, top audiences,
campaign results with intervals, recommendations (offline metrics and a few users' lists with each item's
source) and purchase propensity. Every section shows the table's latest snapshot on or before the run date
and says which. gold.tag_snapshots and gold.tag_quality are required; any other table may be missing: its
section says which table and which job writes it. gold.recommendations falls back to gold.als_recommendations.
A table that exists without the columns the report reads stops the job with an error naming it.
"""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import pandas as pd
from pyspark.sql import DataFrame

from shop_platform.cli import job_parser, parse_job_args
from shop_platform.logs import get_logger, timed
from shop_platform.reporting import behaviour as behaviour_sections
from shop_platform.reporting import outcomes as outcome_sections
from shop_platform.reporting import profile as profile_sections
from shop_platform.reporting.output import report_path, write_text_atomically
from shop_platform.reporting.page import Section, Source, render_page
from shop_platform.session import get_spark
from shop_platform.settings import ReportSettings
from shop_platform.storage import Lake, open_lake
from transforms import columns as C
from transforms.report import behaviour, campaigns, inputs, profile, propensity, recommendations, segments
from transforms.tags.lifecycle import LIFECYCLE_STAGES
from transforms.tags.rfm import RFM_SEGMENTS

log = get_logger("jobs.build_report")

RFM_TAG, LIFECYCLE_TAG = "rfm_segment", "lifecycle_stage"


@dataclass(frozen=True)
class Input:
    """A table as the report uses it: its rows (None when it cannot be used) and its source line."""

    df: DataFrame | None
    source: Source

    @property
    def as_of(self) -> dt.date:
        assert self.source.as_of is not None, self.source.table
        return self.source.as_of


def open_inputs(lake: Lake, contracts: Sequence[inputs.TableContract], run_date: dt.date) -> dict[str, Input]:
    """Check every table against its contract and find its latest snapshot on or before the run date (the
    dates of all tables in one Spark job).

    Raises:
        ReportInputError: a table exists without the columns the report reads, or a required one is missing.
    """
    found: dict[str, DataFrame] = {}
    opened: dict[str, Input] = {}
    for contract in contracts:
        table = lake.table(contract.name)
        if table.exists():
            inputs.check_columns(contract, table.schema())
            found[contract.name] = table.read()
            continue
        message = f"{contract.name} does not exist at {table.path} ({contract.writer} writes it)"
        if contract.required:
            raise inputs.ReportInputError(f"{message}: the report needs it")
        log.warning("%s: its part of the report is left out", message)
        opened[contract.name] = Input(
            None, Source(contract.name, problem=f"{message}: this part of the report is left out.")
        )
    dated = {c.name: (found[c.name], c.date_column) for c in contracts if c.name in found and c.date_column}
    latest = (
        {row[C.TABLE]: row[C.DATE] for row in inputs.latest_dates(dated, run_date).collect()} if dated else {}
    )
    for contract in contracts:
        if contract.name not in found:
            continue
        if contract.date_column is None:
            opened[contract.name] = Input(found[contract.name], Source(contract.name))
        elif latest[contract.name] is None:
            problem = (
                f"{contract.name} has no rows on or before {run_date.isoformat()} (run {contract.writer})."
            )
            if contract.required:
                raise inputs.ReportInputError(f"{problem[:-1]}: the report needs it")
            log.warning("%s", problem)
            opened[contract.name] = Input(None, Source(contract.name, problem=problem))
        else:
            log.info("%s: using %s %s", contract.name, contract.date_column, latest[contract.name])
            opened[contract.name] = Input(
                found[contract.name], Source(contract.name, as_of=latest[contract.name])
            )
    return opened


def small(source: Input, summary: Callable[[DataFrame], DataFrame]) -> pd.DataFrame | None:
    """A summary of an available input, brought to the driver (a few hundred rows at most); else None."""
    if source.df is None:
        return None
    return summary(source.df).toPandas()


def recommendation_input(blended: Input, als: Input) -> Input:
    """gold.recommendations, or gold.als_recommendations (every item's source "als") until it exists."""
    if blended.df is not None:
        return blended
    if als.df is None:
        return Input(
            None, Source(blended.source.table, problem=f"{blended.source.problem} {als.source.problem}")
        )
    note = (
        f"{inputs.RECOMMENDATIONS.name} is not available, so these lists are the ALS candidates of "
        f"{inputs.ALS_RECOMMENDATIONS.name} (source: {inputs.ALS_SOURCE})."
    )
    return Input(recommendations.als_with_source(als.df), Source(als.source.table, als.as_of, note=note))


def build_sections(lake: Lake, run_date: dt.date, settings: ReportSettings) -> list[Section]:
    """Read every input, summarise it in Spark, and lay out the report's sections."""
    read = open_inputs(lake, inputs.CONTRACTS, run_date)
    activity, churn = read[inputs.ACTIVITY_DAILY.name], read[inputs.CHURN_MONTHLY.name]
    funnel, paths = read[inputs.FUNNEL_DAILY.name], read[inputs.SESSION_PATHS.name]
    cohorts, tags, quality = (
        read[inputs.RETENTION_COHORTS.name],
        read[inputs.TAG_SNAPSHOTS.name],
        read[inputs.TAG_QUALITY.name],
    )
    profiles, audiences = read[inputs.SEGMENT_PROFILES.name], read[inputs.AUDIENCE_SIZES.name]
    results, breakdown = read[inputs.CAMPAIGN_RESULTS.name], read[inputs.CAMPAIGN_BREAKDOWN.name]
    metrics, items = read[inputs.RECOMMENDATION_METRICS.name], read[inputs.ITEMS.name]
    scores, score_metrics = read[inputs.USER_PROPENSITY.name], read[inputs.PROPENSITY_METRICS.name]
    lists = recommendation_input(read[inputs.RECOMMENDATIONS.name], read[inputs.ALS_RECOMMENDATIONS.name])

    examples = small(
        lists, lambda df: recommendations.example_users(df, tags.df, lists.as_of, settings.example_users)
    )
    example_lists = None
    if examples is not None and lists.df is not None:
        example_lists = recommendations.example_lists(
            lists.df, list(examples[C.USER_ID]), items.df, lists.as_of, settings.items_per_user
        ).toPandas()
    return [
        behaviour_sections.activity_section(
            small(activity, lambda df: behaviour.activity_trend(df, activity.as_of, settings.activity_days)),
            small(churn, lambda df: behaviour.churn_months(df, churn.as_of)),
            [activity.source, churn.source],
        ),
        behaviour_sections.funnel_section(
            small(funnel, lambda df: behaviour.funnel_steps(df, funnel.as_of)),
            small(paths, lambda df: behaviour.top_paths(df, paths.as_of, settings.top_paths)),
            [funnel.source, paths.source],
        ),
        behaviour_sections.retention_section(
            small(cohorts, lambda df: behaviour.retention_cells(df, cohorts.as_of)), [cohorts.source]
        ),
        profile_sections.rfm_section(
            small(tags, lambda df: profile.value_distribution(df, tags.as_of, RFM_TAG)),
            small(tags, lambda df: profile.value_distribution(df, tags.as_of, LIFECYCLE_TAG)),
            {s.id: (s.en, s.zh) for s in RFM_SEGMENTS},
            {s.id: (s.en, s.zh) for s in LIFECYCLE_STAGES},
            [tags.source],
        ),
        profile_sections.segments_section(
            small(profiles, lambda df: segments.segment_summary(df, profiles.as_of)),
            small(profiles, lambda df: segments.segment_features(df, profiles.as_of)),
            [profiles.source],
        ),
        profile_sections.tags_section(
            small(quality, lambda df: profile.tag_health(df, quality.as_of)),
            settings.drift_tags,
            [quality.source],
        ),
        profile_sections.audiences_section(
            small(audiences, lambda df: profile.top_audiences(df, audiences.as_of, settings.top_audiences)),
            [audiences.source],
        ),
        outcome_sections.campaigns_section(
            small(results, lambda df: campaigns.campaign_intervals(df, results.as_of)),
            small(breakdown, lambda df: campaigns.campaign_response(df, breakdown.as_of)),
            [results.source, breakdown.source],
        ),
        outcome_sections.recommendations_section(
            examples,
            example_lists,
            small(lists, lambda df: recommendations.source_mix(df, lists.as_of)),
            small(metrics, lambda df: recommendations.model_metrics(df, metrics.as_of)),
            [lists.source, metrics.source, *([items.source] if items.source.problem else [])],
        ),
        outcome_sections.propensity_section(
            small(
                scores,
                lambda df: propensity.score_histogram(
                    df, scores.as_of, C.PURCHASE_PROPENSITY, settings.score_bins
                ),
            ),
            small(score_metrics, lambda df: propensity.propensity_models(df, score_metrics.as_of)),
            small(score_metrics, lambda df: propensity.calibration(df, score_metrics.as_of)),
            [scores.source, score_metrics.source],
        ),
    ]


def main(argv: Sequence[str] | None = None) -> int:
    """Build the report of the run date and log where it is."""
    ctx = parse_job_args(job_parser("Write the daily HTML report of a run date."), argv)
    cfg = ctx.config
    spark = get_spark(cfg.spark, app_name="build_report")
    lake = open_lake(spark, cfg.lake)
    try:
        with timed(log, f"report summaries {ctx.run_date}"):
            sections = build_sections(lake, ctx.run_date, cfg.report)
    except inputs.ReportInputError as exc:
        log.error("cannot build the report: %s", exc)
        return 1
    html = render_page(
        f"Shop analytics: daily report for {ctx.run_date.isoformat()}",
        ctx.run_date,
        sections,
        footer=f"Built by build_report from the lake at {lake.root}.",
    )
    path = write_text_atomically(report_path(cfg.report.output_root or lake.root, ctx.run_date), html)
    log.info("wrote the report for %s (%.1f MB): %s", ctx.run_date, len(html.encode()) / 1e6, path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
