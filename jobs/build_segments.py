"""Segment the active users of each snapshot date with K-means: gold.user_segments.

    shop-build-segments --env local --date 2026-10-30
    shop-build-segments --env local --from-date 2026-10-01 --date 2026-10-30    # one partition per day
    shop-build-segments --env local --date 2026-10-30 --retrain                 # train even if a model fits

Reads gold.user_features of the whole range once; users with `segments.active_feature` > 0 (active in the
last 90 days by default) are segmented, the others get no row. Which model scores which date is
transforms.segments.scoring_plan: the registered model (`segments.model_name`) trained most recently on or
within `segments.retrain_every_days` days before the date; a date without one (every date with --retrain)
trains, in date order, so a first back-fill trains on its first date and then every retrain_every_days
days, and never scores a date with a model trained after it. A training chooses k from
`segments.k_min..k_max` by silhouette, every candidate a child MLflow run with its silhouette and
within-cluster cost, logs and registers the chosen pipeline, and moves the champion alias to it unless a
model trained on a later date holds it. All dates one model scores are assigned together, and every date
of the run is written in one commit. Re-running a date reuses the model trained for it, so it rewrites the
same rows. Segment ids are stable while one model scores the dates. Training reads the users in a fixed
layout (transforms.training_order), so a retrain on the same rows gives the same centres.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from functools import reduce

import mlflow
from pyspark import StorageLevel
from pyspark.ml import PipelineModel
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from shop_platform.cli import JobContext, command, job_parser
from shop_platform.logs import get_logger, timed
from shop_platform.session import get_spark
from shop_platform.settings import Config
from shop_platform.storage import LakeTable, open_lake
from shop_platform.tracking import (
    CHAMPION,
    RUN_DATE_TAG,
    load_registered_spark_model,
    log_spark_model,
    may_take_champion,
    model_versions,
    register_model,
    trained_on,
    training_run,
)
from transforms import columns as C
from transforms import tables
from transforms.segments.features import feature_problems, population_by_date, segmentation_population
from transforms.segments.kmeans import assign_segments, search_k
from transforms.segments.scoring_plan import RegisteredModel, scoring_plan
from transforms.training_order import in_fixed_order

log = get_logger("jobs.build_segments")

JOB = "build_segments"
MODEL_ARTIFACT = "segments_model"


def train(
    cfg: Config, features: LakeTable, population: DataFrame, users: int, snapshot_date: dt.date
) -> tuple[PipelineModel, int] | None:
    """Choose k, log every candidate, register the chosen model; None when there are too few users."""
    s = cfg.segments
    ks = [k for k in range(s.k_min, s.k_max + 1) if k < users]
    if not ks:
        log.warning("%s: %d active users, too few for k >= %d: no segments", snapshot_date, users, s.k_min)
        return None
    params = {
        "features": ",".join(s.features),
        "log1p_features": ",".join(s.log1p_features),
        "active_feature": s.active_feature,
        "k_min": s.k_min,
        "k_max": s.k_max,
        "seed": s.seed,
        "max_iter": s.max_iter,
    }
    with training_run(cfg, job=JOB, run_date=snapshot_date, inputs={features.name: features}, params=params):
        with timed(log, f"k search {ks[0]}..{ks[-1]} on {users} users ({snapshot_date})"):
            # K-means|| seeds its centres partition by partition: a fixed layout, a fixed model.
            rows = in_fixed_order(population, [C.USER_ID])
            search = search_k(rows, s.features, s.log1p_features, ks, s.seed, s.max_iter)
        for candidate in search.candidates:
            log.info(
                "k=%d: silhouette %.4f, within-cluster cost %.1f",
                candidate.k,
                candidate.silhouette,
                candidate.cost,
            )
            mlflow.log_metric("silhouette_by_k", candidate.silhouette, step=candidate.k)
            mlflow.log_metric("training_cost_by_k", candidate.cost, step=candidate.k)
            with training_run(
                cfg, job=JOB, run_date=snapshot_date, inputs={}, params={"k": candidate.k},
                run_name=f"k={candidate.k}", nested=True,
            ):  # fmt: skip
                mlflow.log_metrics({"silhouette": candidate.silhouette, "training_cost": candidate.cost})
        chosen = next(c for c in search.candidates if c.k == search.k)
        mlflow.log_metrics(
            {"k": search.k, "silhouette": chosen.silhouette, "training_cost": chosen.cost, "users": users}
        )
        newest = may_take_champion(cfg, s.model_name, snapshot_date)
        version = register_model(
            log_spark_model(search.model, MODEL_ARTIFACT),
            s.model_name,
            alias=CHAMPION if newest else None,
            tags={RUN_DATE_TAG: snapshot_date.isoformat()},
        )
    log.info(
        "%s: k=%d (silhouette %.4f), registered %s version %d%s",
        snapshot_date, search.k, chosen.silhouette, s.model_name, version, " (champion)" if newest else "",
    )  # fmt: skip
    return search.model, version


def parser() -> argparse.ArgumentParser:
    parser = job_parser("Segment active users with K-means into gold.user_segments.", date_range=True)
    parser.add_argument(
        "--retrain", action="store_true", help="train a new model for every date even if one fits"
    )
    return parser


def run(ctx: JobContext) -> int:
    """Write gold.user_segments for the run date (or every date of a back-fill, in one commit)."""
    cfg = ctx.config
    s = cfg.segments
    spark = get_spark(cfg.spark, app_name=JOB)
    lake = open_lake(spark, cfg.lake)
    features = lake.table(tables.USER_FEATURES)
    if not features.exists():
        log.error("%s does not exist at %s: run build_user_features first", features.name, features.path)
        return 1
    problems = feature_problems(features.schema(), s.features, s.active_feature)
    if problems:
        log.error("segments.features / segments.active_feature (conf/base.yaml): %s", "; ".join(problems))
        return 2
    segments = lake.table(tables.USER_SEGMENTS).create()
    rows = features.read_between(ctx.first_date, ctx.run_date)
    users = {r[C.SNAPSHOT_DATE]: r[C.USERS] for r in population_by_date(rows, s.active_feature).collect()}
    missing = [day for day in ctx.dates if day not in users]
    if missing:
        log.error(
            "%s has no rows for %s: run build_user_features for them first",
            features.name, ", ".join(day.isoformat() for day in missing),
        )  # fmt: skip
        return 1
    registered = [
        RegisteredModel(day, int(v.version))
        for v in model_versions(cfg, s.model_name)
        if (day := trained_on(v)) is not None
    ]
    plan = scoring_plan(ctx.dates, registered, s.retrain_every_days, ctx.args.retrain)
    log.info("plan: %s", "; ".join(use.describe() for use in plan))
    population = segmentation_population(rows, s.active_feature).persist(StorageLevel.MEMORY_AND_DISK)
    try:
        scored, version_of = [], {}
        remaining = list(ctx.dates)
        while remaining:
            # Planned again after every model: a date too sparse to train on leaves the next date to try.
            use = scoring_plan(remaining, registered, s.retrain_every_days, ctx.args.retrain)[0]
            if use.trains:
                day = use.dates[0]
                on_day = population.where(F.col(C.SNAPSHOT_DATE) == F.lit(day))
                trained = train(cfg, features, on_day, users[day], day)
                if trained is None:
                    remaining.remove(day)
                    continue
                model, version = trained
                registered.append(RegisteredModel(day, version))
            else:
                version = use.version
                log.info("%s: scoring with %s version %d", use.span(), s.model_name, version)
                model = load_registered_spark_model(cfg, s.model_name, version=version)
            remaining = [day for day in remaining if day not in use.dates]
            version_of.update(dict.fromkeys(use.dates, version))
            dates = population.where(F.col(C.SNAPSHOT_DATE).isin(list(use.dates)))
            scored.append(assign_segments(model, dates))
        assigned = reduce(DataFrame.unionByName, scored) if scored else segments.empty()
        with timed(log, f"segments {ctx.first_date}..{ctx.run_date}"):
            segments.overwrite_partitions(assigned, {C.SNAPSHOT_DATE: ctx.dates})
    finally:
        population.unpersist()
    sizes = (
        segments.read_between(ctx.first_date, ctx.run_date)
        .groupBy(C.SNAPSHOT_DATE, C.SEGMENT_ID)
        .count()
        .orderBy(C.SNAPSHOT_DATE, C.SEGMENT_ID)
        .collect()
    )
    for day in ctx.dates:
        of_day = {r[C.SEGMENT_ID]: r["count"] for r in sizes if r[C.SNAPSHOT_DATE] == day}
        log.info(
            "%s: %d of %d users segmented with model version %s; sizes %s",
            day, sum(of_day.values()), users[day], version_of.get(day), of_day,
        )  # fmt: skip
    log.info("wrote %s for %s..%s", segments.name, ctx.first_date, ctx.run_date)
    return 0


main = command(parser, run)

if __name__ == "__main__":
    sys.exit(main())
