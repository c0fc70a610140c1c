"""The report's recommendations section: the offline metrics per model, the mix of sources, and example lists
of a few users with each item's source. Spark summaries of gold.recommendations (or gold.als_recommendations
until it exists), gold.tag_history, bronze.items and gold.recommendation_metrics, and the section drawn
from them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import pandas as pd
from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F

from transforms import columns as C
from transforms import tables
from transforms.report import charts
from transforms.report.formats import (
    blank_list,
    count,
    day,
    joined,
    missing,
    number,
    percent,
    settings,
    table,
    text,
)
from transforms.report.inputs import Input
from transforms.report.ordering import in_order
from transforms.report.page import Chart, Note, Section, Source

RECOMMENDATION_METRICS = {
    "precision_at_k": "precision@k",
    "recall_at_k": "recall@k",
    "ndcg_at_k": "NDCG@k",
    "hit_rate": "hit rate",
}
# Until gold.recommendations (the hybrid blend) exists, the report shows the ALS candidates with this source.
ALS_SOURCE = "als"
RFM_SEGMENT_TAG = "rfm_segment"
LIFECYCLE_STAGE_TAG = "lifecycle_stage"
PREFERRED_CATEGORIES_TAG = "preferred_categories"
UNKNOWN = "unknown"
_PICK, _TOTAL = "_pick", "_total"


def als_with_source(als: DataFrame) -> DataFrame:
    """gold.als_recommendations in gold.recommendations' shape: every item's SOURCE is "als".

    Returns:
        USER_ID, RANK, ITEM_ID, SCORE, SOURCE, SNAPSHOT_DATE.
    """
    return als.select(
        C.USER_ID, C.RANK, C.ITEM_ID, C.SCORE, F.lit(ALS_SOURCE).alias(C.SOURCE), C.SNAPSHOT_DATE
    )


def recommendation_input(blended: Input, als: Input) -> Input:
    """gold.recommendations, or gold.als_recommendations (every item's source "als") until it exists."""
    if blended.df is not None:
        return blended
    if als.df is None:
        return Input(
            None, Source(blended.source.table, problem=f"{blended.source.problem} {als.source.problem}")
        )
    note = (
        f"{tables.RECOMMENDATIONS.name} is not available, so these lists are the ALS candidates of "
        f"{tables.ALS_RECOMMENDATIONS.name} (source: {ALS_SOURCE})."
    )
    return Input(als_with_source(als.df), Source(als.source.table, als.as_of, note=note))


def example_users(
    recommendations: DataFrame, snapshots: DataFrame, snapshot_date: dt.date, n: int
) -> DataFrame:
    """`n` users with a list on `snapshot_date`, one from each of the `n` largest RFM segments, so the
    examples show different kinds of customer. The pick is deterministic (lowest hash of the user id).

    Args:
        recommendations: gold.recommendations rows (or `als_with_source` output).
        snapshots: tags_as_of rows: RFM segment, lifecycle stage and preferred categories.
        snapshot_date: The lists' date; the tags are read for the same date.
        n: How many users.

    Returns:
        USER_ID, RFM_SEGMENT and LIFECYCLE_STAGE ("unknown" when the user has no such tag that day),
        TOP_CATEGORIES (the preferred_categories tag; null when none), USERS (users with a list in the RFM
        segment); largest segment first (ties by segment id).
    """
    users = recommendations.where(F.col(C.SNAPSHOT_DATE) == F.lit(snapshot_date)).select(C.USER_ID).distinct()
    tag = F.col(C.TAG_ID)
    tags = (
        snapshots.where(
            (F.col(C.SNAPSHOT_DATE) == F.lit(snapshot_date))
            & tag.isin(RFM_SEGMENT_TAG, LIFECYCLE_STAGE_TAG, PREFERRED_CATEGORIES_TAG)
        )
        .groupBy(C.USER_ID)
        .agg(
            F.max(F.when(tag == RFM_SEGMENT_TAG, F.col(C.VALUE))).alias(C.RFM_SEGMENT),
            F.max(F.when(tag == LIFECYCLE_STAGE_TAG, F.col(C.VALUE))).alias(C.LIFECYCLE_STAGE),
            F.first(F.when(tag == PREFERRED_CATEGORIES_TAG, F.col(C.VALUE_LIST)), ignorenulls=True).alias(
                C.TOP_CATEGORIES
            ),
        )
    )
    # One tag row per user after the groupBy: the left join keeps one row per user with a list.
    described = users.join(tags, on=[C.USER_ID], how="left").select(
        C.USER_ID,
        F.coalesce(F.col(C.RFM_SEGMENT), F.lit(UNKNOWN)).alias(C.RFM_SEGMENT),
        F.coalesce(F.col(C.LIFECYCLE_STAGE), F.lit(UNKNOWN)).alias(C.LIFECYCLE_STAGE),
        C.TOP_CATEGORIES,
    )
    by_segment = Window.partitionBy(C.RFM_SEGMENT)
    return (
        described.select(
            "*",
            F.count(F.lit(1)).over(by_segment).alias(C.USERS),
            F.row_number().over(by_segment.orderBy(F.xxhash64(C.USER_ID), C.USER_ID)).alias(_PICK),
        )
        .where(F.col(_PICK) == 1)
        .orderBy(F.col(C.USERS).desc(), C.RFM_SEGMENT)
        .limit(n)
        .select(C.USER_ID, C.RFM_SEGMENT, C.LIFECYCLE_STAGE, C.TOP_CATEGORIES, C.USERS)
    )


def example_lists(
    recommendations: DataFrame,
    user_ids: Sequence[str],
    items: DataFrame | None,
    snapshot_date: dt.date,
    top_n: int,
) -> DataFrame:
    """The first `top_n` items of the lists of a few users, with the item's category and brand.

    Args:
        recommendations: gold.recommendations rows (or `als_with_source` output).
        user_ids: A few users, e.g. those of `example_users`.
        items: bronze.items (ITEM_ID, CATEGORY_L1, CATEGORY_L2, BRAND), or None: the columns are null.
        snapshot_date: The lists' date.
        top_n: Items per user.

    Returns:
        USER_ID, RANK, ITEM_ID, CATEGORY_L1, CATEGORY_L2, BRAND, SCORE, SOURCE; by user and rank.
    """
    lists = recommendations.where(
        (F.col(C.SNAPSHOT_DATE) == F.lit(snapshot_date))
        & (F.col(C.RANK) <= top_n)
        & F.col(C.USER_ID).isin(list(user_ids))
    )
    if items is None:
        described = lists.select(
            "*", *[F.lit(None).cast("string").alias(c) for c in (C.CATEGORY_L1, C.CATEGORY_L2, C.BRAND)]
        )
    else:
        # bronze.items holds one row per item id (upserted by id): the left join adds no rows.
        described = lists.join(
            items.select(C.ITEM_ID, C.CATEGORY_L1, C.CATEGORY_L2, C.BRAND), on=[C.ITEM_ID], how="left"
        )
    return described.select(
        C.USER_ID, C.RANK, C.ITEM_ID, C.CATEGORY_L1, C.CATEGORY_L2, C.BRAND, C.SCORE, C.SOURCE
    ).transform(in_order, C.USER_ID, C.RANK)


def source_mix(recommendations: DataFrame, snapshot_date: dt.date) -> DataFrame:
    """Where the day's list entries come from.

    Returns:
        SOURCE, ITEM_COUNT (list entries), USERS (users with at least one), SHARE (of all entries); largest first.
    """
    counts = (
        recommendations.where(F.col(C.SNAPSHOT_DATE) == F.lit(snapshot_date))
        .groupBy(C.SOURCE)
        .agg(F.count(F.lit(1)).alias(C.ITEM_COUNT), F.countDistinct(C.USER_ID).alias(C.USERS))
    )
    # One total row: the cross join keeps one row per source.
    total = counts.agg(F.sum(C.ITEM_COUNT).alias(_TOTAL))
    return (
        counts.crossJoin(total)
        .select(C.SOURCE, C.ITEM_COUNT, C.USERS, (F.col(C.ITEM_COUNT) / F.col(_TOTAL)).alias(C.SHARE))
        .transform(in_order, F.col(C.ITEM_COUNT).desc(), C.SOURCE)
    )


def model_metrics(metrics: DataFrame, run_date: dt.date) -> DataFrame:
    """The offline evaluation of `run_date`: one row per model (gold.recommendation_metrics).

    Returns:
        MODEL, PARAMS, EVALUATED_USERS, PRECISION_AT_K, RECALL_AT_K, NDCG_AT_K, MAP_AT_K, HIT_RATE,
        CATALOG_COVERAGE, NOVELTY, K, SPLIT_DATE, TEST_DAYS; best NDCG first.
    """
    return (
        metrics.where(F.col(C.RUN_DATE) == F.lit(run_date))
        .select(
            C.MODEL,
            C.PARAMS,
            C.EVALUATED_USERS,
            C.PRECISION_AT_K,
            C.RECALL_AT_K,
            C.NDCG_AT_K,
            C.MAP_AT_K,
            C.HIT_RATE,
            C.CATALOG_COVERAGE,
            C.NOVELTY,
            C.K,
            C.SPLIT_DATE,
            C.TEST_DAYS,
        )
        .transform(in_order, F.col(C.NDCG_AT_K).desc_nulls_last(), C.MODEL)
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
