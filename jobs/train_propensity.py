"""Train the purchase propensity model on a time split, choose the family by validation AUC, register it.

    shop-train-propensity --env local --date 2026-10-30
    python -m jobs.train_propensity --env local --date 2026-10-30 --set propensity.horizon_days=14
    shop-train-propensity --env local --date 2026-10-30 --retrain    # a new version even if one fits

The label of a user on snapshot date T: a paid order placed in (T, T + horizon_days] (silver.orders). The
inputs: the user's gold.user_features row of T and catalog tags evaluated over it (transforms.propensity). For
run date D the validation snapshot is D - horizon_days (labels through D) and the training snapshots
D - 2 * horizon_days and every snapshot_step_days before it (propensity.train_snapshots of them), so every
label window ends by D and the training windows end by the validation snapshot.

Every candidate of propensity.candidates (logistic regression and gradient-boosted trees, each a small grid)
is fitted on the training snapshots and scored on the validation snapshot, as an MLflow child run: params,
AUC, precision / recall / lift of the top decile, Brier score, the calibration table (calibration.json and
per-decile metrics). The parent run records the input tables' Delta versions. The best AUC wins (ties: the
first listed); it is refitted on the training and validation snapshots together (the registered model has
seen the newest labels; its reported metrics are those of the candidate fitted without them), registered as
propensity.model_name with its feature spec as a version tag, and becomes the champion unless a model
trained for a later run date holds that alias. Writes the run date's partition of gold.propensity_metrics.

A re-run of a date gives the same model and tables: when a version registered for the run date was trained
with the same feature spec and settings (its training_settings tag) and gold.propensity_metrics still holds
its rows, the job reuses it (logs which), rewrites those rows and trains nothing; `--retrain` trains a new
version anyway. Training itself is seeded and reads its rows in a fixed layout (transforms.training_order),
so a retrain on the same rows gives the same parameters and scores.

Too little history is not a failure: when gold.user_features starts after the first snapshot the split needs
(a young lake), the job logs which snapshot is missing and the first run date that can train, and exits 0
with the champion unchanged. A snapshot missing inside the lake's history, or silver.orders ending before the
run date, is an error (exit 1) naming the snapshot or table.

It runs weekly (conf/pipeline.yaml); score_propensity scores every day with the champion it registered.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import time

import mlflow
from mlflow.entities.model_registry import ModelVersion
from pyspark import StorageLevel
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from shop_platform.catalogs import TAGS_FILE, CatalogError, load_tag_catalog
from shop_platform.cli import JobContext, command, job_parser
from shop_platform.logs import get_logger, timed
from shop_platform.session import get_spark
from shop_platform.settings import Config
from shop_platform.storage import Lake, open_lake
from shop_platform.tracking import (
    CHAMPION,
    FEATURE_SPEC_TAG,
    MODEL_FAMILY_TAG,
    MODEL_PARAMS_TAG,
    RUN_DATE_TAG,
    TRAINING_SETTINGS_TAG,
    champion_note,
    log_spark_model,
    may_take_champion,
    model_versions,
    register_model,
    reusable_version,
    set_alias,
    settings_digest,
    training_run,
)
from transforms import columns as C
from transforms import tables
from transforms.propensity.dataset import (
    FeatureSpec,
    all_null_inputs,
    expression_refusals,
    feature_spec,
    model_inputs,
    spec_problems,
)
from transforms.propensity.labels import (
    TimeSplit,
    history_problem,
    one_class_problem,
    role_counts,
    snapshot_counts,
    time_split,
    with_purchase_label,
)
from transforms.propensity.model import propensity_pipeline, scored
from transforms.propensity.search import (
    Candidate,
    Evaluation,
    PreparedTraining,
    best,
    candidates,
    fit_candidate,
    metrics_rows,
    prepare_training,
    search_params,
    training_settings,
    validation_metrics,
)
from transforms.tags.builtins import BUILTIN_COLUMNS
from transforms.training_order import in_fixed_order

log = get_logger("jobs.train_propensity")

JOB = "train_propensity"
MODEL_ARTIFACT = "propensity_model"
SETTINGS_ARTIFACT = "training_settings.json"


def parser() -> argparse.ArgumentParser:
    parser = job_parser("Train the purchase propensity model; write gold.propensity_metrics.")
    parser.add_argument(
        "--retrain",
        action="store_true",
        help="train a new version even if one registered for the run date has the same settings",
    )
    return parser


def reuse(lake: Lake, cfg: Config, version: ModelVersion, run_date: dt.date) -> bool:
    """Keep `version` as the run date's model: rewrite the gold.propensity_metrics rows it was chosen with and
    give it the champion alias unless a later run date's model holds it. False (nothing done) when the table
    no longer holds those rows, so the date must be trained again."""
    p = cfg.propensity
    metrics = lake.table(tables.PROPENSITY_METRICS)
    if not metrics.exists():
        return False
    # A handful of rows: one per candidate of the run date.
    rows = metrics.read_on(run_date).select(*metrics.spec.schema.fieldNames()).collect()
    chosen = [r for r in rows if r[C.CHOSEN] and r[C.MODEL_VERSION] == int(version.version)]
    if not chosen:
        log.warning("%s version %s was registered for %s with the same settings, but %s holds no rows of it "
                    "for that date: training again", p.model_name, version.version, run_date, metrics.name)  # fmt: skip
        return False
    metrics.overwrite_partitions(
        lake.spark.createDataFrame([tuple(r) for r in rows], metrics.spec.schema), {C.RUN_DATE: [run_date]}
    )
    newest = may_take_champion(cfg, p.model_name, run_date)
    if newest:
        set_alias(cfg, p.model_name, CHAMPION, int(version.version))
    log.info("reused %s version %s, registered for %s with the same feature spec and settings (%s, validation "
             "AUC %.4f)%s; rewrote its %d rows of %s (--retrain trains a new version)", p.model_name,
             version.version, run_date, (version.tags or {}).get(MODEL_FAMILY_TAG), chosen[0][C.AUC],
             champion_note(newest), len(rows), metrics.name)  # fmt: skip
    return True


def evaluate(
    cfg: Config,
    candidate: Candidate,
    prepared: PreparedTraining,
    valid: DataFrame,
    run_date: dt.date,
) -> Evaluation:
    """Fit the candidate on the `prepared` training rows and measure it on `valid`, as an MLflow child run of
    the active run: params, metrics, per-decile calibration metrics and calibration.json."""
    p = cfg.propensity
    params = {"family": candidate.family, **candidate.params}
    with training_run(cfg, job=JOB, run_date=run_date, inputs={}, params=params, run_name=candidate.name,
                      nested=True):  # fmt: skip
        started = time.perf_counter()
        fitted = fit_candidate(candidate, prepared, p.seed)
        seconds = time.perf_counter() - started
        metrics, calibration = validation_metrics(fitted, valid)
        mlflow.log_metrics(
            {**{k: float(v) for k, v in metrics.items() if v is not None}, C.TRAIN_SECONDS: seconds}
        )
        for row in calibration:
            mlflow.log_metric("calibration_mean_predicted", row[C.MEAN_PREDICTED], step=row[C.DECILE])
            mlflow.log_metric("calibration_observed_rate", row[C.OBSERVED_RATE], step=row[C.DECILE])
        mlflow.log_dict({C.CALIBRATION: calibration}, "calibration.json")
    log.info(
        "%s: AUC %.4f, top decile precision %.3f recall %.3f lift %.2f, Brier %.4f (fitted in %.1fs)",
        candidate.name, metrics[C.AUC], metrics[C.PRECISION_TOP_DECILE], metrics[C.RECALL_TOP_DECILE],
        metrics[C.LIFT_TOP_DECILE], metrics[C.BRIER_SCORE], seconds,
    )  # fmt: skip
    return Evaluation(candidate, metrics, calibration, seconds, fitted)


def register_winner(
    cfg: Config, chosen: Evaluation, data: DataFrame, spec: FeatureSpec, settings: str, run_date: dt.date
) -> tuple[int, bool]:
    """Refit the winner on every snapshot of the split and register it (in the active run); returns the
    version and whether it became the champion."""
    p = cfg.propensity
    with timed(log, f"refit {chosen.candidate.name} on the training and validation snapshots"):
        model = propensity_pipeline(
            chosen.candidate.family, chosen.candidate.params, spec, p.impute_strategy, p.seed
        ).fit(data)
    newest = may_take_champion(cfg, p.model_name, run_date)
    tags = {
        RUN_DATE_TAG: run_date.isoformat(),
        FEATURE_SPEC_TAG: spec.to_json(),
        MODEL_FAMILY_TAG: chosen.candidate.family,
        MODEL_PARAMS_TAG: json.dumps(chosen.candidate.params),
        TRAINING_SETTINGS_TAG: settings_digest(settings),
    }
    with timed(log, "log and register the model"):
        model_uri = log_spark_model(model, MODEL_ARTIFACT)
        version = register_model(model_uri, p.model_name, alias=CHAMPION if newest else None, tags=tags)
    return version, newest


def train(
    lake: Lake,
    cfg: Config,
    data: DataFrame,
    spec: FeatureSpec,
    settings: str,
    split: TimeSplit,
    run_date: dt.date,
) -> int:
    """Compare the candidates, register the winner (tagged with its training `settings`) and write the
    metrics; `data` holds the labelled inputs of every snapshot of the split."""
    p = cfg.propensity
    per_date = snapshot_counts(data)
    for day in split.dates:
        users, positives = per_date.get(day, (0, 0))
        role = "validation" if day == split.validation_date else "training"
        log.info("%s snapshot %s: %d users, %d purchased within %d days", role, day, users, positives,
                 p.horizon_days)  # fmt: skip
    counts = role_counts(per_date, split)
    problem = one_class_problem(counts)
    if problem:
        log.error("%s", problem)
        return 1
    train_rows = data.where(F.col(C.SNAPSHOT_DATE) != F.lit(split.validation_date))
    valid_rows = data.where(F.col(C.SNAPSHOT_DATE) == F.lit(split.validation_date))
    empty = all_null_inputs(train_rows, spec)
    if empty:
        log.warning("inputs null for every training user, left out of this model: %s", ", ".join(empty))
        spec = spec.without(empty)
    inputs = {t.name: lake.table(t) for t in (tables.USER_FEATURES, tables.ORDERS)}
    with timed(log, "preprocessing fitted on the training snapshots"):
        prepared = prepare_training(train_rows, spec, p.impute_strategy)
    with training_run(cfg, job=JOB, run_date=run_date, inputs=inputs, params=search_params(p, split, spec)):
        try:
            evaluations = [evaluate(cfg, c, prepared, valid_rows, run_date) for c in candidates(p.candidates)]
        finally:
            prepared.unpersist()
        chosen = best(evaluations)
        mlflow.log_dict(json.loads(settings), SETTINGS_ARTIFACT)
        mlflow.log_params({"chosen": chosen.candidate.name, "chosen_family": chosen.candidate.family})
        mlflow.log_metrics(
            {
                **{k: float(v) for k, v in chosen.metrics.items() if v is not None},
                "training_rows": float(counts["training"][0]),
                "refit_rows": float(counts["training"][0] + counts["validation"][0]),
            }
        )
        version, newest = register_winner(cfg, chosen, data, spec, settings, run_date)
    # The chosen candidate's scores of the validation snapshot, from the fit that did not see its labels: what
    # build_customer_value's holdout compares BG/NBD with when no earlier champion scored that snapshot.
    validation = scored(chosen.model, valid_rows).select(
        C.USER_ID,
        F.col(C.SCORE).alias(C.PURCHASE_PROPENSITY),
        C.PURCHASED,
        C.SNAPSHOT_DATE,
        F.lit(run_date).alias(C.RUN_DATE),
    )
    lake.table(tables.PROPENSITY_VALIDATION).overwrite_partitions(validation, {C.RUN_DATE: [run_date]})
    metrics = lake.table(tables.PROPENSITY_METRICS)
    rows = metrics_rows(evaluations, chosen, version, counts["training"][0], split, p.horizon_days, run_date)
    metrics.overwrite_partitions(
        lake.spark.createDataFrame(rows, metrics.spec.schema), {C.RUN_DATE: [run_date]}
    )
    log.info(
        "chose %s (validation AUC %.4f on %s); registered %s version %d%s; wrote %d rows of %s for %s",
        chosen.candidate.name, chosen.metrics[C.AUC], split.validation_date, p.model_name, version,
        champion_note(newest), len(evaluations), metrics.name, run_date,
    )  # fmt: skip
    return 0


def run(ctx: JobContext) -> int:
    """Train, compare and register the propensity model as of the run date (or reuse the one registered for
    it); returns the exit status."""
    cfg, run_date = ctx.config, ctx.run_date
    p = cfg.propensity
    try:
        catalog = load_tag_catalog(BUILTIN_COLUMNS, cfg.tags.catalog or TAGS_FILE)
    except CatalogError as exc:
        log.error("%s", exc)
        return 2
    split = time_split(run_date, p.horizon_days, p.train_snapshots, p.snapshot_step_days)
    spark = get_spark(cfg.spark, app_name=JOB)
    lake = open_lake(spark, cfg.lake)
    features, orders = lake.table(tables.USER_FEATURES), lake.table(tables.ORDERS)
    for table in (features, orders):
        if not table.exists():
            log.error("%s does not exist at %s: run %s first", table.name, table.path, table.spec.written_by)
            return 1
    problems = spec_problems(features.schema(), p.numeric_features, p.log1p_features, p.tag_features, catalog)
    if problems:
        log.error("propensity.numeric_features / tag_features (conf/base.yaml):\n  %s", "\n  ".join(problems))
        return 2
    spec = feature_spec(p.numeric_features, p.log1p_features, p.tag_features, catalog)
    refusals = expression_refusals(spark, spec)
    if refusals:
        log.error("propensity.tag_features (conf/base.yaml) reads tags of %s that are not allowed:\n  %s",
                  cfg.tags.catalog or TAGS_FILE, "\n  ".join(refusals))  # fmt: skip
        return 2
    settings = training_settings(p, spec)
    if not ctx.args.retrain:
        digest = settings_digest(settings)
        reused = reusable_version(model_versions(cfg, p.model_name), run_date, TRAINING_SETTINGS_TAG, digest)
        if reused is not None and reuse(lake, cfg, reused, run_date):
            return 0
    available = [
        r[0]
        for r in features.read().where(F.col(C.SNAPSHOT_DATE) <= F.lit(run_date))
        .select(C.SNAPSHOT_DATE).distinct().collect()
    ]  # fmt: skip
    problem = history_problem(available, split, run_date, p)
    if problem is not None:
        young, message = problem
        if young:
            log.warning("not enough history to train yet, the champion stays as it is: %s", message)
            return 0
        log.error("%s", message)
        return 1
    last_order = orders.latest_date()
    if last_order is None or last_order < run_date:
        log.error("%s ends on %s, before the run date %s: the labels through it would be incomplete; run "
                  "build_silver for it", orders.name, last_order, run_date)  # fmt: skip
        return 1
    labelled = with_purchase_label(
        model_inputs(features.read(), spec, split.dates), orders.read(), p.horizon_days
    )
    data = in_fixed_order(labelled, [C.USER_ID, C.SNAPSHOT_DATE]).persist(StorageLevel.MEMORY_AND_DISK)
    try:
        return train(lake, cfg, data, spec, settings, split, run_date)
    finally:
        data.unpersist()


main = command(parser, run)

if __name__ == "__main__":
    sys.exit(main())
