"""Train ALS on all interactions through the run date, register it, and write its candidates and similar items.

    shop-train-als --env local --date 2026-10-30
    shop-train-als --env local --date 2026-10-30 --retrain    # a new version even if one fits

The configuration is the one the latest evaluation through the run date chose (model `als` in
gold.recommendation_metrics, see evaluate_recommenders), or recommend.default_params when there is none. Both
run weekly on the same day (conf/pipeline.yaml), so a training day uses that day's evaluation; a run on
another day (`--only train_als`) uses the latest one before it. Between trainings build_recommendations
scores with the champion this job registered.
The data is gold.user_item_interactions when it is as of the run date, else the same matrix rebuilt as of
the run date from gold.user_item_daily (a re-run of an older date). The model is logged in an MLflow run
that records the input tables' Delta versions and registered as recommend.model_name, with alias champion
unless a model trained for a later run date holds it; the outputs are scored with the model loaded back from
the registry by that name and version: gold.als_recommendations (recommend.top_n items per user, without
what the user already has by recommend.seen_items, repeat-purchase categories from gold.item_categories) and
gold.item_similar_als (recommend.similar_top_n items per item), the run date's partition of each.

A re-run of a date reuses the version registered for it with the same configuration, seed and engine (its
als_params tag) instead of training another, so it rewrites the same rows; `--retrain` trains a new one. The
training pairs are read in a fixed layout (transforms.training_order), so a retrain on the same pairs gives
the same factors.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from dataclasses import asdict

import mlflow
from pyspark import StorageLevel
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from shop_platform.cli import JobContext, command, job_parser
from shop_platform.logs import get_logger, timed
from shop_platform.session import get_spark
from shop_platform.settings import AlsParams, Config
from shop_platform.storage import LakeTable, open_lake
from shop_platform.tracking import (
    ALS_PARAMS_TAG,
    CHAMPION,
    RUN_DATE_TAG,
    champion_note,
    load_registered_spark_model,
    log_spark_model,
    may_take_champion,
    model_versions,
    params_tag,
    register_model,
    reusable_version,
    set_alias,
    training_run,
)
from transforms import columns as C
from transforms import tables
from transforms.recommend.als import all_als_recommendations, als_engine, als_model, fit_als, item_factors
from transforms.recommend.evaluation import chosen_configuration
from transforms.recommend.matrix import matrix_on, matrix_problem, matrix_sources
from transforms.recommend.seen_items import seen_pairs
from transforms.recommend.similar_items import similar_items
from transforms.training_order import in_fixed_order

log = get_logger("jobs.train_als")


def parser() -> argparse.ArgumentParser:
    parser = job_parser("Train and register ALS; write gold.als_recommendations and gold.item_similar_als.")
    parser.add_argument(
        "--retrain",
        action="store_true",
        help="train a new version even if one registered for the run date has the same configuration",
    )
    return parser


def train(
    cfg: Config,
    interactions: DataFrame,
    inputs: dict[str, LakeTable],
    params: AlsParams,
    source: str,
    engine: str,
    run_date: dt.date,
) -> int:
    """Fit ALS with `params` and `engine`, log and register it (champion unless a later run date's model holds
    the alias); returns the version."""
    rec = cfg.recommend
    # ALS sums each user's and item's terms in the order the pairs arrive: a fixed layout, a fixed model.
    train = in_fixed_order(
        interactions.select(C.USER_IDX, C.ITEM_IDX, C.STRENGTH), [C.USER_IDX, C.ITEM_IDX]
    ).persist(StorageLevel.MEMORY_AND_DISK)
    pairs = train.count()
    run_params = {**asdict(params), "seed": rec.seed, "blocks": rec.blocks, "engine": engine,
                  "params_source": source}  # fmt: skip
    with training_run(cfg, job="train_als", run_date=run_date, inputs=inputs, params=run_params):
        started = time.perf_counter()
        model = fit_als(train, engine=engine, seed=rec.seed, blocks=rec.blocks, **asdict(params))
        seconds = time.perf_counter() - started
        mlflow.log_metrics({C.TRAIN_SECONDS: seconds, "training_pairs": float(pairs)})
        log.info("trained ALS (%s) on %d pairs in %.1fs", engine, pairs, seconds)
        newest = may_take_champion(cfg, rec.model_name, run_date)
        with timed(log, "log and register the model"):
            version = register_model(
                log_spark_model(model, "model"),
                rec.model_name,
                alias=CHAMPION if newest else None,
                tags={
                    RUN_DATE_TAG: run_date.isoformat(),
                    ALS_PARAMS_TAG: params_tag({**asdict(params), "seed": rec.seed, "engine": engine}),
                },
            )
    train.unpersist()
    log.info("registered %s version %d%s", rec.model_name, version, champion_note(newest))
    return version


def run(ctx: JobContext) -> int:
    """Train (or reuse), register and score ALS as of the run date; returns the exit status."""
    cfg, run_date = ctx.config, ctx.run_date
    rec = cfg.recommend
    lake = open_lake(get_spark(cfg.spark, app_name="train_als"), cfg.lake)
    matrix_date = lake.table(tables.USER_ITEM_INTERACTIONS).latest_date()
    problem = matrix_problem(matrix_date, run_date)
    if problem:
        log.error("%s", problem)
        return 1
    inputs = {spec.name: lake.table(spec) for spec in matrix_sources(matrix_date, run_date)}
    if tables.USER_ITEM_DAILY.name in inputs:
        log.info("%s is as of %s: rebuilding the matrix as of %s from %s", tables.USER_ITEM_INTERACTIONS.name,
                 matrix_date, run_date, tables.USER_ITEM_DAILY.name)  # fmt: skip
    interactions = matrix_on(
        run_date,
        {name: table.read() for name, table in inputs.items()},
        half_life_days=cfg.interactions.half_life_days,
        timezone=cfg.app.timezone,
    )
    metrics = lake.table(tables.RECOMMENDATION_METRICS)
    params, source = chosen_configuration(
        metrics.read() if metrics.exists() else None, run_date, rec.default_params
    )
    engine = als_engine(lake.spark, rec.engine)
    log.info(
        "ALS configuration %s from %s, fitted by %s (recommend.engine %s)", params, source, engine, rec.engine
    )
    tag = params_tag({**asdict(params), "seed": rec.seed, "engine": engine})
    reusable = None if ctx.args.retrain else reusable_version(
        model_versions(cfg, rec.model_name), run_date, ALS_PARAMS_TAG, tag
    )  # fmt: skip
    if reusable is None:
        version = train(cfg, interactions, inputs, params, source, engine, run_date)
    else:
        version = int(reusable.version)
        newest = may_take_champion(cfg, rec.model_name, run_date)
        if newest:
            set_alias(cfg, rec.model_name, CHAMPION, version)
        log.info("reused %s version %d, registered for %s with the same configuration, seed and engine%s (--retrain "
                 "trains a new version)", rec.model_name, version, run_date,
                 f", as {CHAMPION}" if newest else champion_note(newest))  # fmt: skip

    # Scored by what the registry serves, as any other consumer of the model would.
    als = als_model(load_registered_spark_model(cfg, rec.model_name, version=version))
    user_index, item_index = (inputs[spec.name].read() for spec in (tables.USER_INDEX, tables.ITEM_INDEX))
    snapshot = F.lit(run_date).alias(C.SNAPSHOT_DATE)
    categories = lake.table(tables.ITEM_CATEGORIES)
    if not categories.exists():
        log.warning(
            "%s missing: no item is in a repeat-purchase category (recommend.seen_items)", categories.name
        )
    seen = seen_pairs(
        interactions, categories.read() if categories.exists() else categories.empty(), rec.seen_items
    )
    recommendations = all_als_recommendations(
        als, user_index, item_index, k=rec.top_n, engine=engine, seen=seen
    ).select("*", snapshot)
    lake.table(tables.ALS_RECOMMENDATIONS).overwrite_partitions(
        recommendations, {C.SNAPSHOT_DATE: [run_date]}
    )
    similar = similar_items(item_factors(als, item_index), top_n=rec.similar_top_n).select("*", snapshot)
    lake.table(tables.ITEM_SIMILAR_ALS).overwrite_partitions(similar, {C.SNAPSHOT_DATE: [run_date]})
    log.info(
        "wrote %s and %s for %s with %s version %d",
        tables.ALS_RECOMMENDATIONS.name, tables.ITEM_SIMILAR_ALS.name, run_date, rec.model_name, version,
    )  # fmt: skip
    return 0


main = command(parser, run)

if __name__ == "__main__":
    sys.exit(main())
