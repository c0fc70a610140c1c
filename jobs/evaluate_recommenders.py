"""Evaluate the recommenders offline on a time split and print the metrics table (models as rows).

    shop-evaluate-recommenders --env local --date 2026-10-30
    python -m jobs.evaluate_recommenders --env local --date 2026-10-30 --set recommend.test_days=5

Trains on the interactions through T = run date - recommend.test_days (gold.user_item_interactions as it
was on T, rebuilt from gold.user_item_daily) and tests on the purchases and cart adds of the days after T
through the run date, graded (transforms/recommend/split.py). Scored on the test users with training data:
global popularity, popularity within the user's preferred categories (item categories from silver.events)
and ALS for every combination of recommend.grid, each an MLflow child run of one parent run that records
the input tables' Delta versions; then the hybrid blend (transforms/recommend/blend.py, the function
build_recommendations runs) on the same split: the chosen ALS configuration's lists from the model fitted on
the training part, co-purchase partners rebuilt from the silver orders placed through T only, the latest
gold.user_segments snapshot on or before T, preferences and exclusions from the training interactions. Without
silver orders or a segment snapshot by T that source is left out, with a warning.

Writes the run date's partition of gold.recommendation_metrics (the test users with training data): the
baselines, the best ALS configuration by NDCG@k (model `als`, which train_als then trains on all data and
registers), the blend (`blend`, its settings as params) and the other configurations (`als_candidate`);
and of gold.recommendation_metrics_by_group: the baselines, `als` and `blend` per user group, over every
test user: all, new (fewer than recommend.blend.new_user_interactions training items, by default users
without any: first seen after T), light, heavy (at least recommend.blend.heavy_user_interactions). A
separate table keeps gold.recommendation_metrics one row per model over one population, which train_als
and the report read.
Works on any lake build_interactions has run on, sample data or an ingested public log.
"""

from __future__ import annotations

import datetime as dt
import itertools
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from functools import reduce

import mlflow
from pyspark import StorageLevel
from pyspark.ml.recommendation import ALSModel
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T

from jobs.build_recommendations import PARTNER_COLUMNS, SEGMENT_COLUMNS, empty_frame, snapshot_on_or_before
from shop_platform.cli import job_parser, parse_job_args
from shop_platform.logs import get_logger, timed
from shop_platform.session import get_spark
from shop_platform.settings import AlsParams, Config
from shop_platform.storage import Lake, LakeTable, open_lake
from shop_platform.tracking import training_run
from transforms import columns as C
from transforms.graph.bought_together import bought_together
from transforms.graph.copurchase import copurchase_edges, purchased_lines
from transforms.recommend.als import als_recommendations, fit_als
from transforms.recommend.baselines import (
    category_popular_items,
    item_categories,
    item_popularity,
    popular_items,
    preferred_categories,
)
from transforms.recommend.blend import (
    HEAVY,
    LIGHT,
    NEW,
    BlendInputs,
    hybrid_recommendations,
    interacted_items,
    user_groups,
)
from transforms.recommend.candidates import SOURCES
from transforms.recommend.metrics import ACCURACY_METRICS, LIST_METRICS, grouped_metrics, recommender_metrics
from transforms.recommend.split import holdout_relevance, interactions_as_of, warm_relevance
from transforms.schemas import (
    GOLD_BOUGHT_TOGETHER_SCHEMA,
    GOLD_RECOMMENDATION_METRICS_BY_GROUP_PARTITIONS,
    GOLD_RECOMMENDATION_METRICS_BY_GROUP_SCHEMA,
    GOLD_RECOMMENDATION_METRICS_PARTITIONS,
    GOLD_RECOMMENDATION_METRICS_SCHEMA,
    GOLD_USER_SEGMENTS_SCHEMA,
)
from transforms.training_order import in_fixed_order

log = get_logger("jobs.evaluate_recommenders")

USER_ITEM_DAILY = "gold.user_item_daily"
USER_INDEX = "gold.user_index"
ITEM_INDEX = "gold.item_index"
SILVER_EVENTS = "silver.events"
METRICS = "gold.recommendation_metrics"
METRICS_BY_GROUP = "gold.recommendation_metrics_by_group"
INPUTS = (USER_ITEM_DAILY, USER_INDEX, ITEM_INDEX, SILVER_EVENTS)
# The blend's sources that are left out (with a warning) when these are missing.
SILVER_ORDERS = "silver.orders"
SILVER_ORDER_ITEMS = "silver.order_items"
USER_SEGMENTS = "gold.user_segments"
OPTIONAL_INPUTS = (SILVER_ORDERS, SILVER_ORDER_ITEMS, USER_SEGMENTS)

POPULARITY = "popularity"
CATEGORY_POPULARITY = "category_popularity"
ALS = "als"
ALS_CANDIDATE = "als_candidate"
BLEND = "blend"
METRIC_COLUMNS = (C.EVALUATED_USERS, *ACCURACY_METRICS, *LIST_METRICS)
# User groups of gold.recommendation_metrics_by_group, in print order; WARM (the test users with training
# data) is the population of gold.recommendation_metrics and is only used to compute its rows.
ALL_USERS = "all"
WARM = "warm"
GROUPS = (ALL_USERS, NEW, LIGHT, HEAVY)


@dataclass(frozen=True)
class Split:
    """The evaluation data, persisted: training pairs, graded labels of the evaluated users, and what the
    baselines and the blend need.

    relevance and users are the test users with training data (gold.recommendation_metrics); labels and
    test_users every test user, groups their user groups (USER_ID, USER_GROUP: each user's own group, all,
    and warm for those with training data).
    """

    train: DataFrame
    relevance: DataFrame
    users: DataFrame
    labels: DataFrame
    test_users: DataFrame
    groups: DataFrame
    daily: DataFrame
    popularity: DataFrame
    categories: DataFrame
    user_index: DataFrame
    item_index: DataFrame

    def unpersist(self) -> None:
        for frame in (
            self.train, self.relevance, self.users, self.labels, self.test_users, self.groups, self.popularity,
            self.categories,
        ):  # fmt: skip
            frame.unpersist()


@dataclass(frozen=True)
class Evaluation:
    """One model's row of the metrics table."""

    model: str
    params: dict[str, str]
    metrics: dict[str, float]
    train_seconds: float | None
    # User group -> the metrics over every test user of the group (gold.recommendation_metrics_by_group).
    groups: dict[str, dict[str, float]] = field(default_factory=dict)


def grid_params(cfg: Config) -> list[AlsParams]:
    """Every combination of the configured grid, in a fixed order."""
    grid = cfg.recommend.grid
    return [
        AlsParams(rank=r, reg_param=g, alpha=a, max_iter=i)
        for r, g, a, i in itertools.product(grid.rank, grid.reg_param, grid.alpha, grid.max_iter)
    ]


def params_map(params: AlsParams) -> dict[str, str]:
    return {name: str(value) for name, value in asdict(params).items()}


def data_dates(daily: DataFrame) -> tuple[dt.date | None, dt.date | None]:
    """The first and last day gold.user_item_daily holds: one aggregate."""
    first, last = daily.agg(F.min(C.EVENT_DATE), F.max(C.EVENT_DATE)).first()
    return first, last


def split_problem(
    first: dt.date | None, last: dt.date | None, split_date: dt.date, run_date: dt.date
) -> str | None:
    """Why the daily table cannot give this split, or None when it can."""
    if first is None:
        return f"{USER_ITEM_DAILY} is empty: run build_interactions first"
    if first > split_date:
        return (
            f"{USER_ITEM_DAILY} starts on {first}, after the split day {split_date}: nothing to train on "
            f"(lower recommend.test_days or choose a later --date)"
        )
    if last < run_date:
        return (
            f"{USER_ITEM_DAILY} ends on {last}, before the run date {run_date}: run build_interactions for it"
        )
    return None


def build_split(lake: Lake, cfg: Config, split_date: dt.date, run_date: dt.date) -> Split:
    rec = cfg.recommend
    daily = lake.table(USER_ITEM_DAILY).read()
    user_index = lake.table(USER_INDEX).read().select(C.USER_ID, C.USER_IDX)
    item_index = lake.table(ITEM_INDEX).read().select(C.ITEM_ID, C.ITEM_IDX)
    keep = StorageLevel.MEMORY_AND_DISK
    train = (
        interactions_as_of(
            daily,
            user_index,
            item_index,
            as_of=split_date,
            half_life_days=cfg.interactions.half_life_days,
            timezone=cfg.app.timezone,
        )
        .select(C.USER_ID, C.ITEM_ID, C.USER_IDX, C.ITEM_IDX, C.STRENGTH, C.ORDERS)
        .persist(keep)
    )
    labels = holdout_relevance(
        daily,
        after=split_date,
        through=run_date,
        purchase_grade=rec.purchase_grade,
        cart_add_grade=rec.cart_add_grade,
    ).persist(keep)
    relevance = warm_relevance(labels, train).persist(keep)
    users = relevance.select(C.USER_ID).distinct().persist(keep)
    test_users = labels.select(C.USER_ID).distinct().persist(keep)
    blend = rec.blend
    own_groups = user_groups(
        test_users,
        interacted_items(train.join(test_users, on=[C.USER_ID], how="left_semi")),
        new_user_interactions=blend.new_user_interactions,
        heavy_user_interactions=blend.heavy_user_interactions,
    ).select(C.USER_ID, C.USER_GROUP)
    groups = (
        own_groups.unionByName(test_users.select(C.USER_ID, F.lit(ALL_USERS).alias(C.USER_GROUP)))
        .unionByName(users.select(C.USER_ID, F.lit(WARM).alias(C.USER_GROUP)))
        .persist(keep)
    )
    sizes = {row[C.USER_GROUP]: row["count"] for row in groups.groupBy(C.USER_GROUP).count().collect()}
    log.info(
        "split at %s: %d training pairs; %d test pairs of %d users, %d of them with training data (evaluated); "
        "test users by group %s",
        split_date, train.count(), labels.count(), sizes.get(ALL_USERS, 0), sizes.get(WARM, 0),
        {group: sizes.get(group, 0) for group in GROUPS[1:]},
    )  # fmt: skip
    events = lake.table(SILVER_EVENTS).read().where(F.col(C.EVENT_DATE) <= F.lit(run_date))
    return Split(
        train=train,
        relevance=relevance,
        users=users,
        labels=labels,
        test_users=test_users,
        groups=groups,
        daily=daily.where(F.col(C.EVENT_DATE) <= F.lit(split_date)).select(
            C.USER_ID, C.ITEM_ID, C.STRENGTH, C.EVENT_DATE
        ),
        popularity=item_popularity(train).persist(keep),
        categories=item_categories(events).persist(keep),
        user_index=user_index,
        item_index=item_index,
    )


def measure(model: str, lists: DataFrame, split: Split, k: int) -> dict[str, float]:
    """The model's metrics: one small row collected."""
    with timed(log, f"metrics of {model}"):
        row = recommender_metrics(lists, split.relevance, split.popularity, k=k).first()
    return {name: row[name] for name in METRIC_COLUMNS}


def measure_groups(
    lists: Mapping[str, DataFrame], split: Split, k: int
) -> dict[str, dict[str, dict[str, float]]]:
    """Each model's metrics per user group, WARM included, in one pass: model -> group -> metrics (a few rows
    collected)."""
    models = [
        frame.select(F.lit(model).alias(C.MODEL), C.USER_ID, C.RANK, C.ITEM_ID)
        for model, frame in lists.items()
    ]
    union = reduce(DataFrame.unionByName, models)
    with timed(log, f"metrics of {', '.join(lists)} per user group"):
        rows = grouped_metrics(
            union, split.labels, split.popularity, split.groups, k=k, by=[C.MODEL]
        ).collect()
    measured: dict[str, dict[str, dict[str, float]]] = {model: {} for model in lists}
    for row in rows:
        measured[row[C.MODEL]][row[C.USER_GROUP]] = {name: row[name] for name in METRIC_COLUMNS}
    unscored = [model for model, groups in measured.items() if WARM not in groups]
    if unscored:
        raise ValueError(f"{unscored}: no test user with training data was scored")
    return measured


def mlflow_metrics(metrics: Mapping[str, float], k: int, prefix: str = "") -> dict[str, float]:
    """Metric names as MLflow shows them: ndcg_at_k -> ndcg_at_10; null metrics are left out."""
    return {
        f"{prefix}{name.replace('_at_k', f'_at_{k}')}": float(value)
        for name, value in metrics.items()
        if value is not None
    }


def baseline_lists(split: Split, cfg: Config) -> dict[str, DataFrame]:
    """Both baselines' lists for every test user (those without training data get no category list)."""
    k = cfg.recommend.k
    preferences = preferred_categories(split.train, split.categories, top=cfg.recommend.preferred_categories)
    return {
        POPULARITY: popular_items(split.popularity, split.test_users, k=k),
        CATEGORY_POPULARITY: category_popular_items(
            split.popularity, split.categories, preferences, split.test_users, k=k
        ),
    }


def training_partners(lake: Lake, cfg: Config, split_date: dt.date) -> DataFrame:
    """gold.bought_together as build_copurchase_graph would have written it on the split day: from the
    silver orders placed through it only (their status is today's: a later refund still counts, as in the
    graph job). ITEM_ID, PARTNER_ID, CONFIDENCE; no rows, with a warning, without the silver order tables."""
    graph = cfg.graph
    order_items, orders = lake.table(SILVER_ORDER_ITEMS), lake.table(SILVER_ORDERS)
    if not (order_items.exists() and orders.exists()):
        log.warning(
            "%s or %s missing: the blend is evaluated without its copurchase source",
            order_items.name,
            orders.name,
        )
        return empty_frame(lake.spark, GOLD_BOUGHT_TOGETHER_SCHEMA, PARTNER_COLUMNS)
    first_date = split_date - dt.timedelta(days=graph.lookback_days - 1)
    lines = purchased_lines(order_items.read(), orders.read(), graph.order_statuses, first_date, split_date)
    edges = copurchase_edges(lines, graph.same_user_window_days, graph.min_support, graph.min_lift)
    return bought_together(edges, graph.bought_together_top_n).select(*PARTNER_COLUMNS)


def blend_params(cfg: Config, segments_date: dt.date | None) -> dict[str, str]:
    """The blend's settings as the params of its metrics row."""
    blend = cfg.recommend.blend
    params = {f"weight.{s}": str(blend.weights[s]) for s in SOURCES}
    params.update({f"cold_start_weight.{s}": str(blend.cold_start_weights[s]) for s in SOURCES})
    params.update(
        {
            "cold_start_interactions": str(blend.cold_start_interactions),
            "candidates_per_source": str(blend.candidates_per_source),
            "recent_days": str(blend.recent_days),
            "repeat_purchase_categories": ",".join(blend.repeat_purchase_categories),
            "segments_date": str(segments_date),
        }
    )
    return params


def blend_lists(
    lake: Lake, cfg: Config, split: Split, als_lists: DataFrame, split_date: dt.date
) -> tuple[DataFrame, dict[str, str]]:
    """The hybrid blend's lists as of the split day for every test user, from the training data only
    (persisted: unpersist them), and the blend's params.

    Args:
        als_lists: The chosen ALS model's lists (fitted on the training part) for the test users, at least
            recommend.blend.candidates_per_source deep.
    """
    rec = cfg.recommend
    segments, segments_date = snapshot_on_or_before(
        lake.spark, lake.table(USER_SEGMENTS), GOLD_USER_SEGMENTS_SCHEMA, SEGMENT_COLUMNS, split_date,
        "the blend's segment_popular source",
    )  # fmt: skip
    inputs = BlendInputs(
        users=split.test_users,
        interactions=split.train,
        daily=split.daily,
        als=als_lists,
        partners=training_partners(lake, cfg, split_date),
        segments=segments,
        categories=split.categories,
    )
    # Lists (and each source's offer) at least k long, so a smaller configured top_n does not cut what is scored.
    blend = rec.blend
    settings = replace(
        blend, top_n=max(blend.top_n, rec.k), candidates_per_source=max(blend.candidates_per_source, rec.k)
    )
    lists = hybrid_recommendations(
        inputs, settings, as_of=split_date, preferred_categories_per_user=rec.preferred_categories
    ).persist(StorageLevel.MEMORY_AND_DISK)
    return lists, blend_params(cfg, segments_date)


def evaluate_als(
    split: Split, cfg: Config, params: AlsParams, run_date: dt.date, inputs
) -> tuple[Evaluation, ALSModel]:
    """Fit one configuration on the training data and score it, as a child run of the active run."""
    rec = cfg.recommend
    name = f"als rank={params.rank} reg={params.reg_param} alpha={params.alpha} iter={params.max_iter}"
    with training_run(
        cfg,
        job="evaluate_recommenders",
        run_date=run_date,
        inputs=inputs,
        params={**asdict(params), "seed": rec.seed},
        run_name=name,
        nested=True,
    ):
        started = time.perf_counter()
        # A fixed layout of the pairs, so the same configuration scores the same on a re-run.
        pairs = in_fixed_order(
            split.train.select(C.USER_IDX, C.ITEM_IDX, C.STRENGTH), [C.USER_IDX, C.ITEM_IDX]
        )
        model = fit_als(pairs, seed=rec.seed, **asdict(params))
        seconds = time.perf_counter() - started
        log.info("%s: trained in %.1fs", name, seconds)
        lists = als_recommendations(model, split.users, split.user_index, split.item_index, k=rec.k)
        metrics = measure(name, lists, split, rec.k)
        mlflow.log_metrics({**mlflow_metrics(metrics, rec.k), C.TRAIN_SECONDS: seconds})
    return Evaluation(ALS_CANDIDATE, params_map(params), metrics, seconds), model


def table_rows(
    spark: SparkSession,
    schema: T.StructType,
    rows: Sequence[Mapping[str, object]],
    split_date: dt.date,
    run_date: dt.date,
    cfg: Config,
) -> DataFrame:
    """`rows` (a handful: one per model, or per model and group) with the split's columns, as `schema`."""
    shared = {
        C.SPLIT_DATE: split_date,
        C.TEST_DAYS: cfg.recommend.test_days,
        C.K: cfg.recommend.k,
        C.RUN_DATE: run_date,
    }
    names = schema.fieldNames()
    return spark.createDataFrame([tuple({**row, **shared}[name] for name in names) for row in rows], schema)


def model_rows(evaluations: Sequence[Evaluation]) -> list[dict[str, object]]:
    """The evaluations as rows of gold.recommendation_metrics, without the split's columns."""
    return [
        {C.MODEL: e.model, C.PARAMS: e.params, **e.metrics, C.TRAIN_SECONDS: e.train_seconds}
        for e in evaluations
    ]


def model_group_rows(evaluations: Sequence[Evaluation]) -> list[dict[str, object]]:
    """The evaluations' per-group metrics as rows of gold.recommendation_metrics_by_group, without the
    split's columns."""
    return [
        {C.MODEL: e.model, C.USER_GROUP: group, **e.groups[group]}
        for e in evaluations
        for group in GROUPS
        if group in e.groups
    ]


def _values(metrics: Mapping[str, float | None]) -> str:
    return " ".join(
        f"{metrics[name]:>12.4f}" if metrics[name] is not None else f"{'-':>12}"
        for name in METRIC_COLUMNS[1:]
    )


def format_table(evaluations: Sequence[Evaluation], k: int) -> str:
    """The metrics as a text table, one model per line (the blend's settings are printed apart)."""
    names = [name.replace("_at_k", f"@{k}") for name in METRIC_COLUMNS[1:]]
    header = f"{'model':<20} {'params':<44} {'users':>6} " + " ".join(f"{n:>12}" for n in names) + " train_s"
    lines = [header, "-" * len(header)]
    for e in evaluations:
        shown = e.params if e.model in (ALS, ALS_CANDIDATE) else {}
        params = " ".join(f"{key}={value}" for key, value in shown.items())
        seconds = f"{e.train_seconds:7.1f}" if e.train_seconds is not None else f"{'-':>7}"
        lines.append(
            f"{e.model:<20} {params:<44} {e.metrics[C.EVALUATED_USERS]:>6} {_values(e.metrics)} {seconds}"
        )
    return "\n".join(lines)


def format_groups(evaluations: Sequence[Evaluation], k: int) -> str:
    """The per-group metrics as a text table, grouped by user group."""
    names = [name.replace("_at_k", f"@{k}") for name in METRIC_COLUMNS[1:]]
    header = f"{'group':<6} {'model':<20} {'users':>6} " + " ".join(f"{n:>12}" for n in names)
    lines = [header, "-" * len(header)]
    for group in GROUPS:
        for e in evaluations:
            if group in e.groups:
                metrics = e.groups[group]
                lines.append(f"{group:<6} {e.model:<20} {metrics[C.EVALUATED_USERS]:>6} {_values(metrics)}")
    return "\n".join(lines)


def verdict(blend: Evaluation, als: Evaluation, k: int) -> str:
    """Whether the blend beats ALS on NDCG@k, for the warm users and for each group."""
    groups = {"warm": (blend.metrics, als.metrics)}
    groups.update(
        {g: (blend.groups[g], als.groups[g]) for g in GROUPS if g in blend.groups and g in als.groups}
    )
    parts = []
    for group, (mine, theirs) in groups.items():
        ours, base = mine[C.NDCG_AT_K] or 0.0, theirs[C.NDCG_AT_K] or 0.0
        change = f"{(ours - base) / base:+.1%}" if base > 0 else "n/a"
        parts.append(
            f"{group} {ours:.4f} vs {base:.4f} ({change}, {'beats' if ours > base else 'does not beat'})"
        )
    return f"blend vs als, NDCG@{k}: " + "; ".join(parts)


def log_to_mlflow(evaluations: Sequence[Evaluation], k: int) -> None:
    """Each model's metrics (prefixed by the model) and per-group metrics (by model and group), in the active run."""
    for e in evaluations:
        mlflow.log_metrics(mlflow_metrics(e.metrics, k, prefix=f"{e.model}."))
        for group, metrics in e.groups.items():
            if group in GROUPS:
                mlflow.log_metrics(mlflow_metrics(metrics, k, prefix=f"{e.model}.{group}."))


def main(argv: Sequence[str] | None = None) -> int:
    """Evaluate the baselines, the ALS grid and the blend on the split ending at the run date; returns the exit
    status."""
    parser = job_parser(
        "Evaluate the recommenders on a time split and write gold.recommendation_metrics(_by_group)."
    )
    ctx = parse_job_args(parser, argv)
    cfg = ctx.config
    rec = cfg.recommend
    run_date = ctx.run_date
    split_date = run_date - dt.timedelta(days=rec.test_days)
    spark = get_spark(cfg.spark, app_name="evaluate_recommenders")
    lake = open_lake(spark, cfg.lake)
    inputs: dict[str, LakeTable] = {name: lake.table(name) for name in INPUTS}
    missing = [name for name, table in inputs.items() if not table.exists()]
    if missing:
        log.error(
            "%s missing under %s: run the pipeline through build_interactions first", missing, lake.root
        )
        return 1
    problem = split_problem(*data_dates(inputs[USER_ITEM_DAILY].read()), split_date, run_date)
    if problem:
        log.error("%s", problem)
        return 1
    inputs.update({name: lake.table(name) for name in OPTIONAL_INPUTS if lake.table(name).exists()})

    split = build_split(lake, cfg, split_date, run_date)
    try:
        if split.users.isEmpty():
            log.error("no test user of %s..%s has training data through %s", split_date, run_date, split_date)
            return 1
        search = grid_params(cfg)
        run_params = {"split_date": split_date.isoformat(), "test_days": rec.test_days, "k": rec.k}
        with training_run(
            cfg, job="evaluate_recommenders", run_date=run_date, inputs=inputs, params=run_params
        ):
            fitted = [evaluate_als(split, cfg, params, run_date, inputs) for params in search]
            candidates = [evaluation for evaluation, _ in fitted]
            # The first of equal scores wins, so the choice does not depend on float noise in sorting.
            best_at = max(range(len(candidates)), key=lambda i: candidates[i].metrics[C.NDCG_AT_K] or 0.0)
            best, best_model = fitted[best_at]
            # The chosen model's lists for every test user, deep enough to be the blend's ALS candidates.
            depth = max(rec.k, rec.blend.candidates_per_source)
            als_lists = als_recommendations(
                best_model, split.test_users, split.user_index, split.item_index, k=depth
            ).persist(StorageLevel.MEMORY_AND_DISK)
            blended, blend_settings = blend_lists(lake, cfg, split, als_lists, split_date)
            lists = {**baseline_lists(split, cfg), ALS: als_lists, BLEND: blended}
            try:
                measured = measure_groups(lists, split, rec.k)
                top = blended.where(F.col(C.RANK) <= F.lit(rec.k)).groupBy(C.SOURCE).count().collect()
            finally:
                als_lists.unpersist()
                blended.unpersist()
            log.info("blend: slots of the top %d by source %s", rec.k, {r[C.SOURCE]: r["count"] for r in top})
            baselines = [
                Evaluation(name, {}, measured[name][WARM], None, measured[name])
                for name in (POPULARITY, CATEGORY_POPULARITY)
            ]
            # Its gold.recommendation_metrics row stays the one the choice was made on.
            chosen = Evaluation(ALS, best.params, best.metrics, best.train_seconds, measured[ALS])
            blend = Evaluation(BLEND, blend_settings, measured[BLEND][WARM], None, measured[BLEND])
            mlflow.log_params({f"best.{name}": value for name, value in best.params.items()})
            mlflow.log_params({f"{BLEND}.{name}": value for name, value in blend.params.items()})
            log_to_mlflow([*baselines, chosen, blend], rec.k)
        others = [c for c in candidates if c is not best]
        evaluations = [*baselines, chosen, blend, *others]
        table = lake.table(
            METRICS, GOLD_RECOMMENDATION_METRICS_SCHEMA, partition_by=GOLD_RECOMMENDATION_METRICS_PARTITIONS
        )
        table.create()
        table.overwrite_partitions(
            table_rows(
                spark, GOLD_RECOMMENDATION_METRICS_SCHEMA, model_rows(evaluations), split_date, run_date, cfg
            ),
            {C.RUN_DATE: [run_date]},
        )
        by_group = lake.table(
            METRICS_BY_GROUP,
            GOLD_RECOMMENDATION_METRICS_BY_GROUP_SCHEMA,
            partition_by=GOLD_RECOMMENDATION_METRICS_BY_GROUP_PARTITIONS,
        )
        by_group.create()
        grouped = [*baselines, chosen, blend]
        by_group.overwrite_partitions(
            table_rows(
                spark,
                GOLD_RECOMMENDATION_METRICS_BY_GROUP_SCHEMA,
                model_group_rows(grouped),
                split_date,
                run_date,
                cfg,
            ),
            {C.RUN_DATE: [run_date]},
        )
    finally:
        split.unpersist()
    settings = rec.blend
    out = sys.stdout
    out.write(f"split {split_date} (train through) / test {rec.test_days} days through {run_date}\n")
    out.write("test users with training data:\n" + format_table(evaluations, rec.k) + "\n")
    out.write(
        f"blend: weights {settings.weights}; cold start (< {settings.cold_start_interactions} training items) "
        f"{settings.cold_start_weights}; repeat-purchase categories {settings.repeat_purchase_categories}; "
        f"segments of {blend.params['segments_date']}\n"
    )
    out.write(
        f"every test user by group (new: < {settings.new_user_interactions} training items, heavy: >= "
        f"{settings.heavy_user_interactions}):\n" + format_groups(grouped, rec.k) + "\n"
    )
    out.write(verdict(blend, chosen, rec.k) + "\n")
    log.info(
        "wrote %s for %s: %d models; %s: %d rows", METRICS, run_date, len(evaluations), METRICS_BY_GROUP,
        sum(len([g for g in e.groups if g in GROUPS]) for e in grouped),
    )  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
