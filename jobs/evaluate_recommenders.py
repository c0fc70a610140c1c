"""Evaluate the recommenders offline on a time split and print the metrics table (models as rows).

    shop-evaluate-recommenders --env local --date 2026-10-30
    python -m jobs.evaluate_recommenders --env local --date 2026-10-30 --set recommend.test_days=5

Trains on the interactions through T = run date - recommend.test_days (gold.user_item_interactions as it
was on T, rebuilt from gold.user_item_daily) and tests on the purchases and cart adds of the days after T
through the run date, graded (transforms/recommend/split.py). Scored on the test users with training data,
every list without what the user already has (recommend.seen_items): global popularity, popularity within
the user's preferred categories (item categories from silver.events), trending popularity (recent days
weighted up, recommend.trending), the item-to-item co-occurrence model (SAR, recommend.cooccurrence),
Bayesian Personalized Ranking (recommend.bpr; on a local-mode session only, left out with a warning
elsewhere: it fits on the driver) and ALS for every combination of recommend.grid, each an MLflow child run
of one parent run that records the input tables' Delta versions; then the hybrid blend
(transforms/recommend/blend.py, the function build_recommendations runs) on the same split: the chosen ALS
configuration's lists from the model fitted on the training part, co-purchase partners rebuilt from the
silver orders placed through T only, the latest gold.user_segments snapshot on or before T, preferences and
exclusions from the training interactions. Without silver orders or a segment snapshot by T that source is
left out, with a warning.

Writes the run date's partition of gold.recommendation_metrics (the test users with training data): the
baselines and the other models, the best ALS configuration by NDCG@k (model `als`, which train_als then
trains on all data and registers), the blend (`blend`, its settings as params) and the other configurations
(`als_candidate`); and of gold.recommendation_metrics_by_group: the same models but the other ALS
configurations, per user group, over every
test user: all, new (fewer than recommend.blend.new_user_interactions training items, by default users
without any: first seen after T), light, heavy (at least recommend.blend.heavy_user_interactions). A
separate table keeps gold.recommendation_metrics one row per model over one population, which train_als
and the report read.
Works on any lake build_interactions has run on, sample data or an ingested public log. The evaluation is
transforms/recommend/evaluation.py (its rows and printed tables: evaluation_table.py); this job reads the
tables, runs the MLflow parent run and a child run per configuration, and writes.

It runs weekly (conf/pipeline.yaml), on train_als's day: the grid is the daily run's most expensive step, and
train_als reads the latest evaluation on or before its run date whichever day that was.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from dataclasses import asdict

import mlflow
from pyspark import StorageLevel
from pyspark.ml.recommendation import ALSModel
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from shop_platform.cli import JobContext, command, job_parser
from shop_platform.logs import get_logger, timed
from shop_platform.session import get_spark
from shop_platform.settings import AlsParams, Config, RecommendSettings
from shop_platform.storage import Lake, LakeTable, open_lake
from shop_platform.tracking import training_run
from transforms import columns as C
from transforms import tables
from transforms.recommend import evaluation as ev
from transforms.recommend.als import als_engine, als_recommendations
from transforms.recommend.blend import PARTNER_COLUMNS, SEGMENT_COLUMNS
from transforms.recommend.evaluation_table import (
    mlflow_metrics,
    model_group_rows,
    model_rows,
    report,
    table_rows,
    tracked_metrics,
)
from transforms.recommend.models import model_params, unavailable_models

log = get_logger("jobs.evaluate_recommenders")

JOB = "evaluate_recommenders"
INPUTS = (tables.USER_ITEM_DAILY, tables.USER_INDEX, tables.ITEM_INDEX, tables.SILVER_EVENTS)
# The blend's sources that are left out (with a warning) when these are missing.
OPTIONAL_INPUTS = (tables.ORDERS, tables.ORDER_ITEMS, tables.USER_SEGMENTS)


def parser() -> argparse.ArgumentParser:
    return job_parser(
        "Evaluate the recommenders on a time split and write gold.recommendation_metrics(_by_group)."
    )


def evaluate_als(
    split: ev.Split,
    cfg: Config,
    params: AlsParams,
    engine: str,
    run_date: dt.date,
    inputs: dict[str, LakeTable],
) -> tuple[ev.Evaluation, ALSModel]:
    """Fit one configuration with `engine` on the training data and score it, as a child run of the active
    run."""
    rec = cfg.recommend
    name = (
        f"als rank={params.rank} reg={params.reg_param} alpha={params.alpha} iter={params.max_iter} "
        f"scaling={params.scaling}"
    )
    run_params = {**asdict(params), "seed": rec.seed, "blocks": rec.blocks, "engine": engine}
    with training_run(cfg, job=JOB, run_date=run_date, inputs=inputs, params=run_params, run_name=name,
                      nested=True):  # fmt: skip
        started = time.perf_counter()
        model = ev.fit_on_split(split, params, engine=engine, seed=rec.seed, blocks=rec.blocks)
        seconds = time.perf_counter() - started
        log.info("%s: trained in %.1fs", name, seconds)
        lists = als_recommendations(
            model, split.users, split.user_index, split.item_index, k=rec.k, engine=engine, seen=split.seen
        )
        with timed(log, f"metrics of {name}"):
            metrics = ev.measure(lists, split, rec.k)
        mlflow.log_metrics({**mlflow_metrics(metrics, rec.k), C.TRAIN_SECONDS: seconds})
    return ev.Evaluation(ev.ALS_CANDIDATE, ev.params_map(params, engine), metrics, seconds), model


def fit_other_models(
    split: ev.Split, rec: RecommendSettings, split_date: dt.date, models: list[str]
) -> tuple[dict[str, ALSModel], dict[str, float]]:
    """The models among `models` that are fitted before they list (BPR), fitted on the training part, and
    each one's fit in seconds."""
    fitted, seconds = {}, {}
    for name in models:
        started = time.perf_counter()
        model = ev.fit_other_model(split, rec, split_date, name)
        if model is not None:
            fitted[name], seconds[name] = model, time.perf_counter() - started
            log.info("%s: trained in %.1fs", name, seconds[name])
    return fitted, seconds


def blend_sources(
    lake: Lake, cfg: Config, split_date: dt.date
) -> tuple[DataFrame, DataFrame, dt.date | None]:
    """The blend's co-purchase partners and segments as of the split day, and the segments' date; no rows (with
    a warning) for a source whose tables are missing."""
    segments, segments_date = lake.table(tables.USER_SEGMENTS).latest_on_or_before(
        split_date, "the blend's segment_popular source"
    )
    order_items, orders = lake.table(tables.ORDER_ITEMS), lake.table(tables.ORDERS)
    if order_items.exists() and orders.exists():
        partners = ev.partners_as_of(order_items.read(), orders.read(), cfg.graph, split_date)
    else:
        log.warning("%s or %s missing: the blend is evaluated without its copurchase source", order_items.name,
                    orders.name)  # fmt: skip
        partners = lake.table(tables.BOUGHT_TOGETHER).empty().select(*PARTNER_COLUMNS)
    return partners, segments.select(*SEGMENT_COLUMNS), segments_date


def run(ctx: JobContext) -> int:
    """Evaluate the baselines, the ALS grid and the blend on the split ending at the run date; returns the exit
    status."""
    cfg, run_date = ctx.config, ctx.run_date
    rec = cfg.recommend
    split_date = run_date - dt.timedelta(days=rec.test_days)
    lake = open_lake(get_spark(cfg.spark, app_name=JOB), cfg.lake)
    inputs = {spec.name: lake.table(spec) for spec in INPUTS}
    missing = [name for name, table in inputs.items() if not table.exists()]
    if missing:
        log.error(
            "%s missing under %s: run the pipeline through build_interactions first", missing, lake.root
        )
        return 1
    daily, user_index, item_index, events = (table.read() for table in inputs.values())
    problem = ev.split_problem(*ev.data_dates(daily), split_date, run_date)
    if problem:
        log.error("%s", problem)
        return 1
    inputs.update({spec.name: lake.table(spec) for spec in OPTIONAL_INPUTS if lake.table(spec).exists()})

    split = ev.time_split(daily, user_index, item_index, events, rec, split_date=split_date, run_date=run_date,
                       half_life_days=cfg.interactions.half_life_days, timezone=cfg.app.timezone)  # fmt: skip
    sizes = ev.group_sizes(split)
    groups = {group: sizes.get(group, 0) for group in ev.GROUPS[1:]}
    log.info("split at %s: %d training pairs; %d test pairs of %d users, %d of them with training data "
             "(evaluated); test users by group %s", split_date, split.train.count(), split.labels.count(),
             sizes.get(ev.ALL_USERS, 0), sizes.get(ev.WARM, 0), groups)  # fmt: skip
    try:
        if split.users.isEmpty():
            log.error("no test user of %s..%s has training data through %s", split_date, run_date, split_date)
            return 1
        engine = als_engine(lake.spark, rec.engine)
        log.info("ALS engine %s (recommend.engine %s)", engine, rec.engine)
        unavailable = unavailable_models(lake.spark)
        for model, reason in unavailable.items():
            log.warning("%s is left out of the evaluation: %s", model, reason)
        models = [model for model in ev.OTHER_MODELS if model not in unavailable]
        run_params = {"split_date": split_date.isoformat(), "test_days": rec.test_days, "k": rec.k,
                      "engine": engine}  # fmt: skip
        with training_run(cfg, job=JOB, run_date=run_date, inputs=inputs, params=run_params):
            fitted = [
                evaluate_als(split, cfg, params, engine, run_date, inputs)
                for params in ev.grid_params(rec.grid)
            ]
            candidates = [evaluation for evaluation, _ in fitted]
            best, best_model = fitted[ev.best_candidate(candidates)]
            # The chosen model's lists for every test user, deep enough to be the blend's ALS candidates.
            depth = max(rec.k, rec.blend.candidates_per_source)
            als_lists = als_recommendations(
                best_model, split.test_users, split.user_index, split.item_index, k=depth, engine=engine,
                seen=split.seen,
            ).persist(StorageLevel.MEMORY_AND_DISK)  # fmt: skip
            partners, segments, segments_date = blend_sources(lake, cfg, split_date)
            blended = ev.blend_on_split(split, als_lists, partners, segments, rec, split_date)
            fitted, seconds = fit_other_models(split, rec, split_date, models)
            others = ev.other_model_lists(split, rec, split_date, models, fitted)
            lists = {**others, ev.ALS: als_lists, ev.BLEND: blended}
            try:
                for name, frame in lists.items():
                    # Persisted and counted one by one: the metrics read every list several times, and the
                    # log says what each model's lists cost.
                    with timed(log, f"lists of {name}"):
                        log.info(
                            "%s: %d list slots", name, frame.persist(StorageLevel.MEMORY_AND_DISK).count()
                        )
                with timed(log, f"metrics of {', '.join(lists)} per user group"):
                    measured = ev.measure_groups(lists, split, rec.k)
                top = blended.where(F.col(C.RANK) <= F.lit(rec.k)).groupBy(C.SOURCE).count().collect()
            finally:
                for frame in lists.values():
                    frame.unpersist()
            log.info("blend: slots of the top %d by source %s", rec.k, {r[C.SOURCE]: r["count"] for r in top})
            params = {
                **model_params(rec),
                ev.BLEND: ev.blend_params(rec.blend, rec.seen_items, segments_date),
            }
            grouped = ev.scored_models(measured, best, params, seconds)
            chosen, blend = grouped[-2:]
            for evaluation in grouped[:-2]:
                # Every model beside the grid is a child run too, so each one of the table is tracked.
                with training_run(cfg, job=JOB, run_date=run_date, inputs=inputs, params=evaluation.params,
                                  run_name=evaluation.model, nested=True):  # fmt: skip
                    mlflow.log_metrics(mlflow_metrics(evaluation.metrics, rec.k))
                    if evaluation.train_seconds is not None:
                        mlflow.log_metric(C.TRAIN_SECONDS, evaluation.train_seconds)
                    for group, metrics in evaluation.groups.items():
                        mlflow.log_metrics(mlflow_metrics(metrics, rec.k, prefix=f"{group}."))
            mlflow.log_params({f"best.{name}": value for name, value in best.params.items()})
            mlflow.log_params({f"{ev.BLEND}.{name}": value for name, value in blend.params.items()})
            mlflow.log_metrics(tracked_metrics(grouped, rec.k))
        evaluations = [*grouped, *[c for c in candidates if c is not best]]
        shared = {"split_date": split_date, "test_days": rec.test_days, "k": rec.k, "run_date": run_date}
        for spec, rows in ((tables.RECOMMENDATION_METRICS, model_rows(evaluations)),
                           (tables.RECOMMENDATION_METRICS_BY_GROUP, model_group_rows(grouped))):  # fmt: skip
            table = lake.table(spec)
            table.create()
            table.overwrite_partitions(
                lake.spark.createDataFrame(table_rows(spec.schema, rows, **shared), spec.schema),
                {C.RUN_DATE: [run_date]},
            )
    finally:
        split.unpersist()
    sys.stdout.write(report(evaluations, grouped, blend, chosen, rec, split_date, run_date))
    log.info(
        "wrote %s for %s: %d models; %s: %d rows", tables.RECOMMENDATION_METRICS.name, run_date, len(evaluations),
        tables.RECOMMENDATION_METRICS_BY_GROUP.name, len(model_group_rows(grouped)),
    )  # fmt: skip
    return 0


main = command(parser, run)

if __name__ == "__main__":
    sys.exit(main())
