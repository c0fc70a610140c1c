"""Evaluate the recommenders offline on a time split and print the metrics table (models as rows).

    shop-evaluate-recommenders --env local --date 2026-10-30
    python -m jobs.evaluate_recommenders --env local --date 2026-10-30 --set recommend.test_days=5

Trains on the interactions through T = run date - recommend.test_days (gold.user_item_interactions as it
was on T, rebuilt from gold.user_item_daily) and tests on the purchases and cart adds of the days after T
through the run date, graded (transforms/recommend/split.py). Scored on the test users with training data:
global popularity, popularity within the user's preferred categories (item categories from silver.events)
and ALS for every combination of recommend.grid, each an MLflow child run of one parent run that records
the input tables' Delta versions. Writes the run date's partition of gold.recommendation_metrics: the
baselines, the best ALS configuration by NDCG@k (model `als`, which train_als then trains on all data and
registers) and the other configurations (`als_candidate`). Works on any lake build_interactions has run
on, sample data or an ingested public log.
"""

from __future__ import annotations

import datetime as dt
import itertools
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass

import mlflow
from pyspark import StorageLevel
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from shop_platform.cli import job_parser, parse_job_args
from shop_platform.logs import get_logger, timed
from shop_platform.session import get_spark
from shop_platform.settings import AlsParams, Config
from shop_platform.storage import Lake, LakeTable, open_lake
from shop_platform.tracking import training_run
from transforms import columns as C
from transforms.recommend.als import als_recommendations, fit_als
from transforms.recommend.baselines import (
    category_popular_items,
    item_categories,
    item_popularity,
    popular_items,
    preferred_categories,
)
from transforms.recommend.metrics import ACCURACY_METRICS, LIST_METRICS, recommender_metrics
from transforms.recommend.split import holdout_relevance, interactions_as_of, warm_relevance
from transforms.schemas import GOLD_RECOMMENDATION_METRICS_PARTITIONS, GOLD_RECOMMENDATION_METRICS_SCHEMA

log = get_logger("jobs.evaluate_recommenders")

USER_ITEM_DAILY = "gold.user_item_daily"
USER_INDEX = "gold.user_index"
ITEM_INDEX = "gold.item_index"
SILVER_EVENTS = "silver.events"
METRICS = "gold.recommendation_metrics"
INPUTS = (USER_ITEM_DAILY, USER_INDEX, ITEM_INDEX, SILVER_EVENTS)

POPULARITY = "popularity"
CATEGORY_POPULARITY = "category_popularity"
ALS = "als"
ALS_CANDIDATE = "als_candidate"
METRIC_COLUMNS = (C.EVALUATED_USERS, *ACCURACY_METRICS, *LIST_METRICS)


@dataclass(frozen=True)
class Split:
    """The evaluation data, persisted: training pairs, graded labels of the evaluated users, and what the
    baselines need."""

    train: DataFrame
    relevance: DataFrame
    users: DataFrame
    popularity: DataFrame
    categories: DataFrame
    user_index: DataFrame
    item_index: DataFrame

    def unpersist(self) -> None:
        for frame in (self.train, self.relevance, self.users, self.popularity, self.categories):
            frame.unpersist()


@dataclass(frozen=True)
class Evaluation:
    """One model's row of the metrics table."""

    model: str
    params: dict[str, str]
    metrics: dict[str, float]
    train_seconds: float | None


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
        .select(C.USER_ID, C.ITEM_ID, C.USER_IDX, C.ITEM_IDX, C.STRENGTH)
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
    test_users, warm_users = labels.select(C.USER_ID).distinct().count(), users.count()
    log.info(
        "split at %s: %d training pairs; %d test pairs of %d users, %d of them with training data (evaluated)",
        split_date, train.count(), labels.count(), test_users, warm_users,
    )  # fmt: skip
    labels.unpersist()
    events = lake.table(SILVER_EVENTS).read().where(F.col(C.EVENT_DATE) <= F.lit(run_date))
    return Split(
        train=train,
        relevance=relevance,
        users=users,
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


def mlflow_metrics(metrics: Mapping[str, float], k: int, prefix: str = "") -> dict[str, float]:
    """Metric names as MLflow shows them: ndcg_at_k -> ndcg_at_10; null metrics are left out."""
    return {
        f"{prefix}{name.replace('_at_k', f'_at_{k}')}": float(value)
        for name, value in metrics.items()
        if value is not None
    }


def evaluate_baselines(split: Split, cfg: Config) -> list[Evaluation]:
    k = cfg.recommend.k
    preferences = preferred_categories(split.train, split.categories, top=cfg.recommend.preferred_categories)
    lists = {
        POPULARITY: popular_items(split.popularity, split.users, k=k),
        CATEGORY_POPULARITY: category_popular_items(
            split.popularity, split.categories, preferences, split.users, k=k
        ),
    }
    return [Evaluation(name, {}, measure(name, frame, split, k), None) for name, frame in lists.items()]


def evaluate_als(split: Split, cfg: Config, params: AlsParams, run_date: dt.date, inputs) -> Evaluation:
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
        model = fit_als(split.train, seed=rec.seed, **asdict(params))
        seconds = time.perf_counter() - started
        log.info("%s: trained in %.1fs", name, seconds)
        lists = als_recommendations(model, split.users, split.user_index, split.item_index, k=rec.k)
        metrics = measure(name, lists, split, rec.k)
        mlflow.log_metrics({**mlflow_metrics(metrics, rec.k), C.TRAIN_SECONDS: seconds})
    return Evaluation(ALS_CANDIDATE, params_map(params), metrics, seconds)


def metrics_rows(
    spark: SparkSession,
    evaluations: Sequence[Evaluation],
    split_date: dt.date,
    run_date: dt.date,
    cfg: Config,
) -> DataFrame:
    """The evaluations as rows of gold.recommendation_metrics (a handful of models)."""
    shared = {
        C.SPLIT_DATE: split_date,
        C.TEST_DAYS: cfg.recommend.test_days,
        C.K: cfg.recommend.k,
        C.RUN_DATE: run_date,
    }
    rows = [
        {C.MODEL: e.model, C.PARAMS: e.params, **e.metrics, C.TRAIN_SECONDS: e.train_seconds, **shared}
        for e in evaluations
    ]
    names = GOLD_RECOMMENDATION_METRICS_SCHEMA.fieldNames()
    return spark.createDataFrame(
        [tuple(row[name] for name in names) for row in rows], GOLD_RECOMMENDATION_METRICS_SCHEMA
    )


def format_table(evaluations: Sequence[Evaluation], k: int) -> str:
    """The metrics as a text table, one model per line."""
    names = [name.replace("_at_k", f"@{k}") for name in METRIC_COLUMNS[1:]]
    header = f"{'model':<20} {'params':<44} {'users':>6} " + " ".join(f"{n:>12}" for n in names) + " train_s"
    lines = [header, "-" * len(header)]
    for e in evaluations:
        params = " ".join(f"{key}={value}" for key, value in e.params.items())
        values = " ".join(
            f"{e.metrics[name]:>12.4f}" if e.metrics[name] is not None else f"{'-':>12}"
            for name in METRIC_COLUMNS[1:]
        )
        seconds = f"{e.train_seconds:7.1f}" if e.train_seconds is not None else f"{'-':>7}"
        lines.append(f"{e.model:<20} {params:<44} {e.metrics[C.EVALUATED_USERS]:>6} {values} {seconds}")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Evaluate the baselines and the ALS grid on the split ending at the run date; returns the exit status."""
    parser = job_parser("Evaluate the recommenders on a time split and write gold.recommendation_metrics.")
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
            baselines = evaluate_baselines(split, cfg)
            for baseline in baselines:
                mlflow.log_metrics(mlflow_metrics(baseline.metrics, rec.k, prefix=f"{baseline.model}."))
            candidates = [evaluate_als(split, cfg, params, run_date, inputs) for params in search]
            # The first of equal scores wins, so the choice does not depend on float noise in sorting.
            best = max(candidates, key=lambda e: e.metrics[C.NDCG_AT_K] or 0.0)
            chosen = Evaluation(ALS, best.params, best.metrics, best.train_seconds)
            mlflow.log_params({f"best.{name}": value for name, value in best.params.items()})
            mlflow.log_metrics(mlflow_metrics(best.metrics, rec.k, prefix=f"{ALS}."))
        others = [c for c in candidates if c is not best]
        evaluations = [*baselines, chosen, *others]
        table = lake.table(
            METRICS, GOLD_RECOMMENDATION_METRICS_SCHEMA, partition_by=GOLD_RECOMMENDATION_METRICS_PARTITIONS
        )
        table.create()
        table.overwrite_partitions(
            metrics_rows(spark, evaluations, split_date, run_date, cfg), {C.RUN_DATE: [run_date]}
        )
    finally:
        split.unpersist()
    sys.stdout.write(f"split {split_date} (train through) / test {rec.test_days} days through {run_date}\n")
    sys.stdout.write(format_table(evaluations, rec.k) + "\n")
    log.info("wrote %s for %s: %d models", METRICS, run_date, len(evaluations))
    return 0


if __name__ == "__main__":
    sys.exit(main())
