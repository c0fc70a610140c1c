"""The daily report: its inputs summarised in Spark and laid out as sections in page order, and the page.

Each section shows its tables' latest snapshot on or before the run date and says which; a section whose
table is missing says which table and which job writes it. gold.recommendations falls back to
gold.als_recommendations. The tags are gold.tag_history as of gold.tag_quality's latest snapshot date (the
two are written by the same runs).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping

import pandas as pd
from pyspark.sql import DataFrame

from shop_platform.settings import CustomerValueSettings, ReportSettings
from transforms import columns as C
from transforms import tables
from transforms.report import behaviour, campaigns, profile, propensity, recommendations, segments, value
from transforms.report.inputs import Input
from transforms.report.page import Section, Source, render_page
from transforms.tags.history import tags_as_of_each
from transforms.tags.lifecycle import LIFECYCLE_STAGES
from transforms.tags.rfm import RFM_SEGMENTS

RFM_TAG, LIFECYCLE_TAG = "rfm_segment", "lifecycle_stage"


def small(source: Input, summary: Callable[[DataFrame], DataFrame]) -> pd.DataFrame | None:
    """A summary of an available input, brought to the driver (a few hundred rows at most); else None."""
    if source.df is None:
        return None
    return summary(source.df).toPandas()


def tag_snapshots(history: Input, quality: Input, lists: Input) -> Input:
    """The tag snapshots the report shows: gold.tag_history as of gold.tag_quality's date, and as of the
    recommendations' date for the example users (long rows with SNAPSHOT_DATE); shown as of the former."""
    if history.df is None or quality.df is None:
        return Input(None, history.source if history.df is None else quality.source)
    dates = [quality.as_of, *([lists.as_of] if lists.df is not None else [])]
    return Input(tags_as_of_each(history.df, dates), Source(history.source.table, as_of=quality.as_of))


def sections(
    read: Mapping[str, Input], run_date: dt.date, settings: ReportSettings, clv: CustomerValueSettings
) -> list[Section]:
    """Summarise every input in Spark and lay out the report's sections, in page order.

    Args:
        read: Every table of `inputs.INPUTS` by name, as of `run_date`.
        run_date: The report's date.
        settings: The `report` section of the config.
        clv: The `clv` section of the config (the value tiers' names and the CLV horizon).
    """
    activity, churn = read[tables.ACTIVITY_DAILY.name], read[tables.CHURN_MONTHLY.name]
    funnel, paths = read[tables.FUNNEL_DAILY.name], read[tables.SESSION_PATHS.name]
    cohorts, quality = read[tables.RETENTION_COHORTS.name], read[tables.TAG_QUALITY.name]
    profiles, audiences = read[tables.SEGMENT_PROFILES.name], read[tables.AUDIENCE_SIZES.name]
    moves = read[tables.SEGMENT_TRANSITIONS.name]
    results, breakdown = read[tables.CAMPAIGN_RESULTS.name], read[tables.CAMPAIGN_BREAKDOWN.name]
    metrics, items = read[tables.RECOMMENDATION_METRICS.name], read[tables.ITEMS.name]
    scores, score_metrics = read[tables.USER_PROPENSITY.name], read[tables.PROPENSITY_METRICS.name]
    holdout, ranking = read[tables.CUSTOMER_VALUE_HOLDOUT.name], read[tables.CUSTOMER_VALUE_RANKING.name]
    customer_value = read[tables.CUSTOMER_VALUE.name]
    lists = recommendations.recommendation_input(
        read[tables.RECOMMENDATIONS.name], read[tables.ALS_RECOMMENDATIONS.name]
    )
    tags = tag_snapshots(read[tables.TAG_HISTORY.name], quality, lists)

    examples = small(
        lists, lambda df: recommendations.example_users(df, tags.df, lists.as_of, settings.example_users)
    )
    example_lists = None
    if examples is not None and lists.df is not None:
        example_lists = recommendations.example_lists(
            lists.df, list(examples[C.USER_ID]), items.df, lists.as_of, settings.items_per_user
        ).toPandas()
    return [
        behaviour.activity_section(
            small(activity, lambda df: behaviour.activity_trend(df, activity.as_of, settings.activity_days)),
            small(churn, lambda df: behaviour.churn_months(df, churn.as_of)),
            [activity.source, churn.source],
        ),
        behaviour.funnel_section(
            small(funnel, lambda df: behaviour.funnel_steps(df, funnel.as_of)),
            small(paths, lambda df: behaviour.top_paths(df, paths.as_of, settings.top_paths)),
            [funnel.source, paths.source],
        ),
        behaviour.retention_section(
            small(cohorts, lambda df: behaviour.retention_cells(df, cohorts.as_of)), [cohorts.source]
        ),
        profile.rfm_section(
            small(tags, lambda df: profile.value_distribution(df, tags.as_of, RFM_TAG)),
            small(tags, lambda df: profile.value_distribution(df, tags.as_of, LIFECYCLE_TAG)),
            {s.id: (s.en, s.zh) for s in RFM_SEGMENTS},
            {s.id: (s.en, s.zh) for s in LIFECYCLE_STAGES},
            [tags.source],
        ),
        segments.segments_section(
            small(profiles, lambda df: segments.segment_summary(df, profiles.as_of)),
            small(profiles, lambda df: segments.segment_features(df, profiles.as_of)),
            [profiles.source, moves.source],
            small(moves, lambda df: segments.stability_trend(df, moves.as_of, segments.STABILITY_DAYS)),
            small(moves, lambda df: segments.transition_matrix(df, moves.as_of)),
        ),
        profile.tags_section(
            small(quality, lambda df: profile.tag_health(df, quality.as_of)),
            settings.drift_tags,
            [quality.source],
        ),
        profile.audiences_section(
            small(audiences, lambda df: profile.top_audiences(df, audiences.as_of, settings.top_audiences)),
            [audiences.source],
        ),
        campaigns.campaigns_section(
            small(results, lambda df: campaigns.campaign_intervals(df, results.as_of)),
            small(breakdown, lambda df: campaigns.campaign_response(df, breakdown.as_of)),
            [results.source, breakdown.source],
        ),
        recommendations.recommendations_section(
            examples,
            example_lists,
            small(lists, lambda df: recommendations.source_mix(df, lists.as_of)),
            small(metrics, lambda df: recommendations.model_metrics(df, metrics.as_of)),
            [lists.source, metrics.source, *([items.source] if items.source.problem else [])],
        ),
        propensity.propensity_section(
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
        value.value_section(
            small(holdout, lambda df: value.holdout_views(df, holdout.as_of)),
            small(ranking, lambda df: value.score_rankings(df, ranking.as_of)),
            small(customer_value, lambda df: value.tier_summary(df, customer_value.as_of)),
            {t.id: (t.name_en, t.name_zh) for t in clv.tiers},
            clv.horizon_days,
            [holdout.source, ranking.source, customer_value.source],
        ),
    ]


def page(run_date: dt.date, report_sections: list[Section], lake_root: str) -> str:
    """The whole report of `run_date` as one self-contained HTML document."""
    return render_page(
        f"Shop analytics: daily report for {run_date.isoformat()}",
        run_date,
        report_sections,
        footer=f"Built by build_report from the lake at {lake_root}.",
    )
