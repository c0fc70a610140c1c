"""Train ALS on all interactions through the run date, register it, and write its candidates and similar items.

    shop-train-als --env local --date 2026-10-30
    shop-train-als --env local --date 2026-10-30 --retrain    # a new version even if one fits

The configuration is the one the latest evaluation through the run date chose (model `als` in
gold.recommendation_metrics, see evaluate_recommenders), or recommend.default_params when there is none.
The data is gold.user_item_interactions when it is as of the run date, else the same matrix rebuilt as of
the run date from gold.user_item_daily (a re-run of an older date). The model is logged in an MLflow run
that records the input tables' Delta versions and registered as recommend.model_name, with alias champion
unless a model trained for a later run date holds it; the outputs are scored with the model loaded back from
the registry by that name and version: gold.als_recommendations (recommend.top_n items per user) and
gold.item_similar_als (recommend.similar_top_n items per item), the run date's partition of each.

A re-run of a date reuses the version registered for it with the same configuration and seed (its
als_params tag) instead of training another, so it rewrites the same rows; `--retrain` trains a new one. The
training pairs are read in a fixed layout (transforms.training_order), so a retrain on the same pairs gives
the same factors.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict

import mlflow
from mlflow.entities.model_registry import ModelVersion
from pyspark import StorageLevel
from pyspark.ml import PipelineModel
from pyspark.ml.recommendation import ALSModel
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from shop_platform.cli import job_parser, parse_job_args
from shop_platform.logs import get_logger, timed
from shop_platform.session import get_spark
from shop_platform.settings import AlsParams, Config
from shop_platform.storage import Lake, LakeTable, open_lake
from shop_platform.tracking import (
    CHAMPION,
    RUN_DATE_TAG,
    load_registered_spark_model,
    log_spark_model,
    may_take_champion,
    model_versions,
    register_model,
    set_alias,
    trained_on,
    training_run,
)
from transforms import columns as C
from transforms.recommend.als import all_als_recommendations, fit_als, item_factors
from transforms.recommend.similar_items import similar_items
from transforms.recommend.split import interactions_as_of
from transforms.schemas import (
    GOLD_ALS_RECOMMENDATIONS_PARTITIONS,
    GOLD_ALS_RECOMMENDATIONS_SCHEMA,
    GOLD_ITEM_SIMILAR_ALS_PARTITIONS,
    GOLD_ITEM_SIMILAR_ALS_SCHEMA,
)
from transforms.training_order import in_fixed_order

log = get_logger("jobs.train_als")

INTERACTIONS = "gold.user_item_interactions"
USER_ITEM_DAILY = "gold.user_item_daily"
USER_INDEX = "gold.user_index"
ITEM_INDEX = "gold.item_index"
METRICS = "gold.recommendation_metrics"
ALS_RECOMMENDATIONS = "gold.als_recommendations"
ITEM_SIMILAR_ALS = "gold.item_similar_als"
# The model evaluate_recommenders writes for the chosen ALS configuration.
CHOSEN_MODEL = "als"
# Model version tag: the configuration and seed it was trained with (JSON); a re-run with equal ones reuses it.
PARAMS_TAG = "als_params"


def params_tag(params: AlsParams, seed: int) -> str:
    return json.dumps({**asdict(params), "seed": seed}, sort_keys=True)


def reusable_version(versions: Sequence[ModelVersion], run_date: dt.date, tag: str) -> int | None:
    """The newest version registered for `run_date` with this configuration (`params_tag`), or None."""
    fitting = [
        int(v.version)
        for v in versions
        if trained_on(v) == run_date and (v.tags or {}).get(PARAMS_TAG) == tag
    ]
    return max(fitting, default=None)


def chosen_params(metrics: LakeTable, run_date: dt.date, default: AlsParams) -> tuple[AlsParams, str]:
    """The configuration of the latest evaluation on or before the run date, and where it came from."""
    if not metrics.exists():
        return default, "recommend.default_params (no evaluation yet)"
    latest = (
        metrics.read()
        .where((F.col(C.MODEL) == F.lit(CHOSEN_MODEL)) & (F.col(C.RUN_DATE) <= F.lit(run_date)))
        .orderBy(F.col(C.RUN_DATE).desc())
        .select(C.PARAMS, C.RUN_DATE)
        .first()
    )
    if latest is None:
        return default, f"recommend.default_params (no evaluation on or before {run_date})"
    params = latest[C.PARAMS]
    try:
        chosen = AlsParams(
            rank=int(params["rank"]),
            reg_param=float(params["reg_param"]),
            alpha=float(params["alpha"]),
            max_iter=int(params["max_iter"]),
        )
    except (KeyError, ValueError) as exc:
        raise ValueError(
            f"{METRICS}: the {CHOSEN_MODEL} row of {latest[C.RUN_DATE]} has unusable params {params}: {exc}"
        ) from exc
    return chosen, f"evaluation of {latest[C.RUN_DATE]}"


def training_data(
    lake: Lake, cfg: Config, run_date: dt.date
) -> tuple[DataFrame, dict[str, LakeTable]] | None:
    """The interactions as of the run date and the tables they come from; None when none reach it."""
    interactions = lake.table(INTERACTIONS)
    indexes = {USER_INDEX: lake.table(USER_INDEX), ITEM_INDEX: lake.table(ITEM_INDEX)}
    as_of = interactions.read().agg(F.max(C.AS_OF_DATE)).first()[0] if interactions.exists() else None
    if as_of is None or as_of < run_date:
        log.error(
            "%s is as of %s, before %s: run build_interactions for the run date",
            INTERACTIONS,
            as_of,
            run_date,
        )
        return None
    if as_of == run_date:
        return interactions.read(), {INTERACTIONS: interactions, **indexes}
    # The daily table holds every day through the matrix's date, so any earlier date can be rebuilt.
    daily = lake.table(USER_ITEM_DAILY)
    log.info(
        "%s is as of %s: rebuilding the matrix as of %s from %s", INTERACTIONS, as_of, run_date, daily.name
    )
    rebuilt = interactions_as_of(
        daily.read(),
        indexes[USER_INDEX].read(),
        indexes[ITEM_INDEX].read(),
        as_of=run_date,
        half_life_days=cfg.interactions.half_life_days,
        timezone=cfg.app.timezone,
    )
    return rebuilt, {USER_ITEM_DAILY: daily, **indexes}


def als_stage(model: PipelineModel | ALSModel) -> ALSModel:
    """The ALS model inside what the registry hands back (MLflow wraps a bare model in a PipelineModel)."""
    stages = model.stages if isinstance(model, PipelineModel) else [model]
    if not stages or not isinstance(stages[-1], ALSModel):
        raise TypeError(f"the registered model is not an ALS model: {[type(s).__name__ for s in stages]}")
    return stages[-1]


def train(
    cfg: Config,
    interactions: DataFrame,
    inputs: dict[str, LakeTable],
    params: AlsParams,
    source: str,
    run_date: dt.date,
) -> int:
    """Fit ALS with `params`, log and register it (champion unless a later run date's model holds the alias);
    returns the version."""
    rec = cfg.recommend
    # ALS sums each user's and item's terms in the order the pairs arrive: a fixed layout, a fixed model.
    train = in_fixed_order(
        interactions.select(C.USER_IDX, C.ITEM_IDX, C.STRENGTH), [C.USER_IDX, C.ITEM_IDX]
    ).persist(StorageLevel.MEMORY_AND_DISK)
    pairs = train.count()
    run_params = {
        "rank": params.rank,
        "reg_param": params.reg_param,
        "alpha": params.alpha,
        "max_iter": params.max_iter,
        "seed": rec.seed,
        "params_source": source,
    }
    with training_run(cfg, job="train_als", run_date=run_date, inputs=inputs, params=run_params):
        started = time.perf_counter()
        model = fit_als(
            train,
            rank=params.rank,
            reg_param=params.reg_param,
            alpha=params.alpha,
            max_iter=params.max_iter,
            seed=rec.seed,
        )
        seconds = time.perf_counter() - started
        mlflow.log_metrics({C.TRAIN_SECONDS: seconds, "training_pairs": float(pairs)})
        log.info("trained ALS on %d pairs in %.1fs", pairs, seconds)
        newest = may_take_champion(cfg, rec.model_name, run_date)
        with timed(log, "log and register the model"):
            uri = log_spark_model(model, "model")
            version = register_model(
                uri,
                rec.model_name,
                alias=CHAMPION if newest else None,
                tags={RUN_DATE_TAG: run_date.isoformat(), PARAMS_TAG: params_tag(params, rec.seed)},
            )
    train.unpersist()
    log.info("registered %s version %d%s", rec.model_name, version,
             f" as {CHAMPION}" if newest else f" ({CHAMPION} stays with a later run date's model)")  # fmt: skip
    return version


def reuse(cfg: Config, version: int, run_date: dt.date) -> None:
    """Keep the version registered for the run date, champion unless a later run date's model holds it."""
    name = cfg.recommend.model_name
    newest = may_take_champion(cfg, name, run_date)
    if newest:
        set_alias(cfg, name, CHAMPION, version)
    log.info("reused %s version %d, registered for %s with the same configuration and seed%s (--retrain "
             "trains a new version)", name, version, run_date,
             f", as {CHAMPION}" if newest else f" ({CHAMPION} stays with a later run date's model)")  # fmt: skip


def build_parser() -> argparse.ArgumentParser:
    parser = job_parser("Train and register ALS; write gold.als_recommendations and gold.item_similar_als.")
    parser.add_argument(
        "--retrain",
        action="store_true",
        help="train a new version even if one registered for the run date has the same configuration",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Train (or reuse), register and score ALS as of the run date; returns the exit status."""
    ctx = parse_job_args(build_parser(), argv)
    cfg = ctx.config
    rec = cfg.recommend
    run_date = ctx.run_date
    spark = get_spark(cfg.spark, app_name="train_als")
    lake = open_lake(spark, cfg.lake)
    data = training_data(lake, cfg, run_date)
    if data is None:
        return 1
    interactions, inputs = data
    params, source = chosen_params(lake.table(METRICS), run_date, rec.default_params)
    log.info("ALS configuration %s from %s", params, source)
    version = None
    if not ctx.args.retrain:
        version = reusable_version(
            model_versions(cfg, rec.model_name), run_date, params_tag(params, rec.seed)
        )
    if version is None:
        version = train(cfg, interactions, inputs, params, source, run_date)
    else:
        reuse(cfg, version, run_date)

    # Scored by what the registry serves, as any other consumer of the model would.
    als = als_stage(load_registered_spark_model(cfg, rec.model_name, version=version))
    user_index, item_index = lake.table(USER_INDEX).read(), lake.table(ITEM_INDEX).read()
    snapshot = F.lit(run_date).alias(C.SNAPSHOT_DATE)
    recommendations = all_als_recommendations(als, user_index, item_index, k=rec.top_n).select("*", snapshot)
    lake.table(
        ALS_RECOMMENDATIONS, GOLD_ALS_RECOMMENDATIONS_SCHEMA, partition_by=GOLD_ALS_RECOMMENDATIONS_PARTITIONS
    ).overwrite_partitions(recommendations, {C.SNAPSHOT_DATE: [run_date]})
    similar = similar_items(item_factors(als, item_index), top_n=rec.similar_top_n).select("*", snapshot)
    lake.table(
        ITEM_SIMILAR_ALS, GOLD_ITEM_SIMILAR_ALS_SCHEMA, partition_by=GOLD_ITEM_SIMILAR_ALS_PARTITIONS
    ).overwrite_partitions(similar, {C.SNAPSHOT_DATE: [run_date]})
    log.info(
        "wrote %s and %s for %s with %s version %d",
        ALS_RECOMMENDATIONS, ITEM_SIMILAR_ALS, run_date, rec.model_name, version,
    )  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
