"""Report sections on what the shop does with the profile: campaigns, recommendations, propensity."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from shop_platform.reporting import charts
from shop_platform.reporting.formats import (
    blank_list,
    count,
    day,
    interval,
    joined,
    missing,
    number,
    percent,
    settings,
    table,
    text,
)
from shop_platform.reporting.page import Chart, Note, Section, Source

METRIC_CHARTS = {
    # metric: (chart title, axis title, tick format)
    "conversion": ("Conversion uplift per campaign", "difference in conversion rate", ".1%"),
    "gmv_per_user": ("Paid GMV per user uplift per campaign", "difference in paid GMV per user", ",.0f"),
}

RECOMMENDATION_METRICS = {
    "precision_at_k": "precision@k",
    "recall_at_k": "recall@k",
    "ndcg_at_k": "NDCG@k",
    "hit_rate": "hit rate",
}


def campaigns_section(
    results: pd.DataFrame | None, response: pd.DataFrame | None, sources: Sequence[Source]
) -> Section:
    """Uplift with confidence intervals per campaign and metric, the numbers, and the response breakdown."""
    blocks = []
    if not missing(results):
        for metric, (title, axis, tick_format) in METRIC_CHARTS.items():
            rows = results[results["metric"] == metric]
            if not rows.empty:
                blocks.append(
                    Chart(f"campaign-{metric}", charts.uplift_forest(rows, title, axis, tick_format))
                )
        groups = zip(results["treatment_users"], results["control_users"], strict=True)
        readable = results.assign(
            users=[f"{count(t)} / {count(c)}" for t, c in groups],
            uplift=_intervals(results, "absolute"),
            cuped=_intervals(results, "cuped"),
        )
        blocks.append(
            table(
                "Results: treatment against control, uplift [confidence interval]",
                readable,
                {
                    "campaign_id": ("campaign", str),
                    "metric": ("metric", str),
                    "complete": ("window", lambda v: "ended" if v else "running"),
                    "users": ("users (T / C)", str),
                    "treatment_mean": ("treatment", number),
                    "control_mean": ("control", number),
                    "uplift": ("uplift", str),
                    "relative_uplift": ("relative", percent),
                    "p_value": ("p", number),
                    "cuped": ("CUPED uplift", str),
                    "cuped_p_value": ("CUPED p", number),
                    "srm_detected": ("split", lambda v: "MISMATCH" if v else "as planned"),
                },
            )
        )
    if not missing(response):
        blocks.append(
            table(
                "Response by segment and audience (as of the day before each start)",
                response,
                {
                    "campaign_id": ("campaign", str),
                    "dimension": ("by", str),
                    "dimension_value": ("value", str),
                    "treatment_users": ("treatment users", count),
                    "control_users": ("control users", count),
                    "treatment_conversion": ("treatment conversion", percent),
                    "control_conversion": ("control conversion", percent),
                    "conversion_uplift": ("conversion uplift", percent),
                    "gmv_per_user_uplift": ("GMV per user uplift", number),
                },
            )
        )
    return Section(
        "campaigns",
        "Campaign results",
        "Each campaign as an A/B test: the difference between treatment and control with its confidence "
        "interval, raw and CUPED-adjusted (an interval that does not cross zero is a significant effect).",
        sources,
        blocks,
    )


def recommendations_section(
    users: pd.DataFrame | None,
    lists: pd.DataFrame | None,
    mix: pd.DataFrame | None,
    models: pd.DataFrame | None,
    sources: Sequence[Source],
) -> Section:
    """Offline metrics per model, the mix of sources and a few users' lists with each item's source."""
    blocks = []
    if not missing(models):
        blocks.append(
            Chart(
                "recommendation-metrics",
                charts.metric_bars(models, RECOMMENDATION_METRICS, "Offline evaluation per model"),
            )
        )
        labelled = models.assign(label=charts.distinct_labels(models["model"]))
        blocks.append(
            table(
                "Offline evaluation",
                labelled,
                {
                    "label": ("model", str),
                    "evaluated_users": ("users", count),
                    "k": ("k", count),
                    **{column: (label, number) for column, label in RECOMMENDATION_METRICS.items()},
                    "catalog_coverage": ("catalog coverage", percent),
                    "split_date": ("trained through", day),
                    "params": ("parameters", settings),
                },
            )
        )
    if not missing(mix) and len(mix) > 1:
        blocks.append(
            Chart("recommendation-sources", charts.share_bars(mix, "source", "Where list entries come from"))
        )
    elif not missing(mix):
        blocks.append(Note(f"Every list entry comes from one source: {mix['source'].iloc[0]}."))
    if not missing(users) and lists is not None:
        for position, (_, user) in enumerate(users.iterrows(), start=1):
            items = lists[lists["user_id"] == user["user_id"]]
            caption = (
                f"Example {position}: {user['user_id']}, RFM segment {user['rfm_segment']}, "
                f"lifecycle stage {user['lifecycle_stage']}"
            )
            if not blank_list(user["top_categories"]):
                caption += f", prefers {joined(user['top_categories'])}"
            blocks.append(
                table(
                    caption,
                    items,
                    {
                        "rank": ("rank", count),
                        "item_id": ("item", str),
                        "category_l1": ("category", text),
                        "category_l2": ("subcategory", text),
                        "brand": ("brand", text),
                        "score": ("score", number),
                        "source": ("why (source)", str),
                    },
                )
            )
    return Section(
        "recommendations",
        "Recommendations",
        "How the recommenders scored offline, and example lists of users from different RFM segments with the "
        "source that put each item in the list.",
        sources,
        blocks,
    )


def propensity_section(
    histogram: pd.DataFrame | None,
    models: pd.DataFrame | None,
    deciles: pd.DataFrame | None,
    sources: Sequence[Source],
) -> Section:
    """The purchase propensity scores of the day, the evaluated models and the chosen one's calibration."""
    blocks = []
    if not missing(histogram):
        figure = charts.score_histogram(
            histogram, "Purchase propensity of the users scored", "purchase propensity (churn risk = 1 - it)"
        )
        blocks.append(Chart("propensity-scores", figure))
    if not missing(deciles):
        figure = charts.calibration_plot(
            deciles, f"Calibration of the chosen model ({deciles['model'].iloc[0]})"
        )
        blocks.append(Chart("propensity-calibration", figure))
    if not missing(models):
        blocks.append(
            table(
                "Models evaluated",
                models,
                {
                    "model": ("model", str),
                    "chosen": ("chosen", lambda v: "yes" if v else ""),
                    "model_version": ("version", count),
                    "evaluated_users": ("users", count),
                    "base_rate": ("base rate", percent),
                    "auc": ("AUC", number),
                    "precision_top_decile": ("precision, top decile", percent),
                    "lift_top_decile": ("lift, top decile", number),
                    "brier_score": ("Brier score", number),
                    "validation_date": ("validated on", day),
                    "params": ("parameters", settings),
                },
            )
        )
    return Section(
        "propensity",
        "Purchase propensity",
        "The probability that each user places a paid order within the model's horizon, as scored today.",
        sources,
        blocks,
    )


def _intervals(results: pd.DataFrame, prefix: str) -> list[str]:
    """ "estimate [low, high]" of the `<prefix>_uplift` and `<prefix>_ci_low/high` columns."""
    columns = (results[f"{prefix}_uplift"], results[f"{prefix}_ci_low"], results[f"{prefix}_ci_high"])
    return [interval(*values) for values in zip(*columns, strict=True)]
