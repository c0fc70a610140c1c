"""Train ALS on all interactions through the run date, register it, and write its candidates and similar items.

    shop-train-als --env local --date 2026-10-30

The configuration is the one the latest evaluation through the run date chose (model `als` in
gold.recommendation_metrics, see evaluate_recommenders), or recommend.default_params when there is none.
The data is gold.user_item_interactions when it is as of the run date, else the same matrix rebuilt as of
the run date from gold.user_item_daily (a re-run of an older date). The model is logged in an MLflow run
that records the input tables' Delta versions and registered as recommend.model_name with alias champion;
the outputs are scored with the model loaded back from the registry by that name and alias:
gold.als_recommendations (recommend.top_n items per user) and gold.item_similar_als
(recommend.similar_top_n items per item), the run date's partition of each.
"""

from __future__ import annotations

import datetime as dt
import sys
import time
from collections.abc import Sequence

import mlflow
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
    load_registered_spark_model,
    log_spark_model,
    register_model,
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


def main(argv: Sequence[str] | None = None) -> int:
    """Train, register and score ALS as of the run date; returns the exit status."""
    parser = job_parser("Train and register ALS; write gold.als_recommendations and gold.item_similar_als.")
    ctx = parse_job_args(parser, argv)
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
    train = interactions.select(C.USER_IDX, C.ITEM_IDX, C.STRENGTH).persist(StorageLevel.MEMORY_AND_DISK)
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
        with timed(log, "log and register the model"):
            uri = log_spark_model(model, "model")
            version = register_model(uri, rec.model_name, tags={"run_date": run_date.isoformat()})
    train.unpersist()
    log.info("registered %s version %d as %s", rec.model_name, version, CHAMPION)

    # Scored by what the registry serves, as any other consumer of the model would.
    als = als_stage(load_registered_spark_model(cfg, rec.model_name, CHAMPION))
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
