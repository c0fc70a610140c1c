"""Segment the active users of each snapshot date with K-means: gold.user_segments, gold.segment_transitions.

    shop-build-segments --env local --date 2026-10-30
    shop-build-segments --env local --from-date 2026-10-01 --date 2026-10-30    # one partition per day
    shop-build-segments --env local --date 2026-10-30 --retrain                 # train even if a model fits

Reads gold.user_features of the whole range once; users with `segments.active_feature` > 0 (active in the
last 90 days by default) are segmented, the others get no row. Light users (`segments.light_users`: no order
and few active days) get the light segment by rule; K-means segments the rest. Which model scores which date is
transforms.segments.scoring_plan: the registered model (`segments.model_name`) trained most recently on or
within `segments.retrain_every_days` days before the date; a date without one (every date with --retrain)
trains, in date order, so a first back-fill trains on its first date and then every retrain_every_days
days, and never scores a date with a model trained after it. A training chooses k from
`segments.k_min..k_max` by silhouette among the stable candidates, every candidate a child MLflow run with
its silhouette, stability and within-cluster cost, names its clusters after the nearest centres of the
model trained before it (transforms.segments.identity), so ids and labels persist across refits, logs and
registers the chosen pipeline, and moves the champion alias to it unless a
model trained on a later date holds it. All dates one model scores are assigned together, and every date
of the run is written in one commit. Re-running a date reuses the model trained for it, so it rewrites the
same rows. Training reads the users in a fixed layout (transforms.training_order), so a retrain on the
same rows gives the same centres. Then gold.segment_transitions gets, for every date of the run whose day
before has segments, the users per (segment the day before, segment on the day), and the log the share of
users segmented on both days who kept their segment.
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
from transforms.segments.features import (
    feature_problems,
    is_light_user,
    light_user_segments,
    population_by_date,
    segmentation_population,
)
from transforms.segments.kmeans import (
    assign_segments,
    cluster_count,
    handed_over,
    search_k,
    segment_ids,
    with_persistent_ids,
)
from transforms.segments.scoring_plan import RegisteredModel, scoring_plan
from transforms.segments.transitions import segment_stability, segment_transitions
from transforms.training_order import in_fixed_order

log = get_logger("jobs.build_segments")

JOB = "build_segments"
MODEL_ARTIFACT = "segments_model"


def trained_date(registered: list[RegisteredModel], version: int) -> dt.date:
    """The snapshot date `version` was trained on."""
    return next(m.trained_on for m in registered if m.version == version)


def previous_model(cfg: Config, registered: list[RegisteredModel], day: dt.date) -> PipelineModel | None:
    """The model trained most recently before `day` (highest version on its date), whose segment ids a model
    trained on `day` inherits; None for the first."""
    earlier = [m for m in registered if m.trained_on < day]
    if not earlier:
        return None
    latest = max(earlier, key=lambda m: (m.trained_on, m.version))
    log.info("%s: segment ids follow version %d (trained on %s)", day, latest.version, latest.trained_on)
    return load_registered_spark_model(cfg, cfg.segments.model_name, version=latest.version)


def train(
    cfg: Config,
    features: LakeTable,
    population: DataFrame,
    users: int,
    snapshot_date: dt.date,
    previous: PipelineModel | None,
) -> tuple[PipelineModel, int] | None:
    """Choose k, log every candidate, name the segments after `previous`'s, register the chosen model; None
    when there are too few users."""
    s = cfg.segments
    ks = [k for k in range(s.k_min, s.k_max + 1) if k < users]
    if not ks:
        log.warning(
            "%s: %d users to cluster, too few for k >= %d: no K-means segments", snapshot_date, users, s.k_min
        )
        return None
    params = {
        "features": ",".join(s.features),
        "ratios": ",".join(f"{name}={a}/{b}" for name, (a, b) in s.ratios.items()),
        "log1p_features": ",".join(s.log1p_features),
        "light_min_active_days": s.light_users.min_active_days,
        "restarts": s.restarts,
        "k_switch_margin": s.k_switch_margin,
        "stability_resamples": s.stability_resamples,
        "stability_fraction": s.stability_fraction,
        "min_stability": s.min_stability,
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
            search = search_k(
                rows, s.inputs, s.log1p_features, ks, s.seed, s.max_iter,
                ratios=s.ratios, restarts=s.restarts, stability_resamples=s.stability_resamples,
                stability_fraction=s.stability_fraction, min_stability=s.min_stability,
                previous_k=None if previous is None else cluster_count(previous),
                k_switch_margin=s.k_switch_margin, reserved_ids=[s.light_users.segment_id],
            )  # fmt: skip
        model = with_persistent_ids(search.model, previous, reserved_ids=[s.light_users.segment_id])
        for candidate in search.candidates:
            log.info(
                "k=%d: silhouette %.4f, stability %s, within-cluster cost %.1f",
                candidate.k,
                candidate.silhouette,
                "-" if candidate.stability is None else f"{candidate.stability:.4f}",
                candidate.cost,
            )
            mlflow.log_metric("silhouette_by_k", candidate.silhouette, step=candidate.k)
            mlflow.log_metric("training_cost_by_k", candidate.cost, step=candidate.k)
            scores = {"silhouette": candidate.silhouette, "training_cost": candidate.cost}
            if candidate.stability is not None:
                mlflow.log_metric("stability_by_k", candidate.stability, step=candidate.k)
                scores["stability"] = candidate.stability
            with training_run(
                cfg, job=JOB, run_date=snapshot_date, inputs={}, params={"k": candidate.k},
                run_name=f"k={candidate.k}", nested=True,
            ):  # fmt: skip
                mlflow.log_metrics(scores)
        chosen = next(c for c in search.candidates if c.k == search.k)
        mlflow.log_metrics(
            {"k": search.k, "silhouette": chosen.silhouette, "training_cost": chosen.cost, "users": users}
        )
        # The cluster -> segment id mapping is the model's last stage; the tag makes it readable in MLflow.
        mlflow.set_tag("segment_ids", ",".join(str(i) for i in segment_ids(model)))
        newest = may_take_champion(cfg, s.model_name, snapshot_date)
        version = register_model(
            log_spark_model(model, MODEL_ARTIFACT),
            s.model_name,
            alias=CHAMPION if newest else None,
            tags={RUN_DATE_TAG: snapshot_date.isoformat()},
        )
    log.info(
        "%s: k=%d (silhouette %.4f), segment ids %s, registered %s version %d%s",
        snapshot_date, search.k, chosen.silhouette, segment_ids(model), s.model_name, version,
        " (champion)" if newest else "",
    )  # fmt: skip
    return model, version


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
    light = s.light_users
    sources = [*s.source_columns, light.orders_feature, light.active_days_feature]
    problems = feature_problems(features.schema(), list(dict.fromkeys(sources)), s.active_feature)
    if problems:
        log.error(
            "segments.features / ratios / light_users / active_feature (conf/base.yaml): %s",
            "; ".join(problems),
        )
        return 2
    segments = lake.table(tables.USER_SEGMENTS).create()
    transitions = lake.table(tables.SEGMENT_TRANSITIONS).create()
    rows = features.read_between(ctx.first_date, ctx.run_date)
    light_rule = is_light_user(light.orders_feature, light.active_days_feature, light.min_active_days)
    users = {r[C.SNAPSHOT_DATE]: r[C.USERS] for r in population_by_date(rows, s.active_feature).collect()}
    modelled_by_date = population_by_date(rows.where(~light_rule), s.active_feature).collect()
    modelled = {r[C.SNAPSHOT_DATE]: r[C.USERS] for r in modelled_by_date}
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
    active = segmentation_population(rows, s.active_feature)
    population = active.where(~light_rule).persist(StorageLevel.MEMORY_AND_DISK)
    try:
        scored, version_of = [light_user_segments(active.where(light_rule), light.segment_id)], {}
        remaining = list(ctx.dates)
        while remaining:
            # Planned again after every model: a date too sparse to train on leaves the next date to try.
            use = scoring_plan(remaining, registered, s.retrain_every_days, ctx.args.retrain)[0]
            if use.trains:
                day = use.dates[0]
                on_day = population.where(F.col(C.SNAPSHOT_DATE) == F.lit(day))
                previous = previous_model(cfg, registered, day)
                trained = train(cfg, features, on_day, modelled.get(day, 0), day, previous)
                if trained is None:
                    remaining.remove(day)
                    continue
                model, version = trained
                registered.append(RegisteredModel(day, version))
            else:
                version = use.version
                log.info("%s: scoring with %s version %d", use.span(), s.model_name, version)
                model = load_registered_spark_model(cfg, s.model_name, version=version)
                previous = previous_model(cfg, registered, trained_date(registered, version))
            remaining = [day for day in remaining if day not in use.dates]
            version_of.update(dict.fromkeys(use.dates, version))
            dates = population.where(F.col(C.SNAPSHOT_DATE).isin(list(use.dates)))
            if previous is None or s.handover_margin == 0:
                scored.append(assign_segments(model, dates))
            else:
                scored.append(handed_over(model, dates, previous, s.handover_margin))
        assigned = reduce(DataFrame.unionByName, scored)
        with timed(log, f"segments {ctx.first_date}..{ctx.run_date}"):
            segments.overwrite_partitions(assigned, {C.SNAPSHOT_DATE: ctx.dates})
    finally:
        population.unpersist()
    day_before = ctx.first_date - dt.timedelta(days=1)
    moves = segment_transitions(segments.read_between(day_before, ctx.run_date), ctx.dates)
    with timed(log, f"segment transitions {ctx.first_date}..{ctx.run_date}"):
        transitions.overwrite_partitions(moves, {C.SNAPSHOT_DATE: ctx.dates})
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
            "%s: %d of %d users segmented (%d light) with model version %s; sizes %s",
            day, sum(of_day.values()), users[day], users[day] - modelled.get(day, 0), version_of.get(day), of_day,
        )  # fmt: skip
    # One row per date of the run.
    for row in segment_stability(transitions.read_between(ctx.first_date, ctx.run_date)).collect():
        log.info(
            "%s: %.1f%% of %d users segmented on it and the day before kept their segment",
            row[C.SNAPSHOT_DATE], 100 * (row[C.STABILITY] or 0.0), row[C.USERS],
        )  # fmt: skip
    log.info("wrote %s and %s for %s..%s", segments.name, transitions.name, ctx.first_date, ctx.run_date)
    return 0


main = command(parser, run)

if __name__ == "__main__":
    sys.exit(main())
