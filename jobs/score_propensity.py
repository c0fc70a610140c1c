"""Score every user of the run date's gold.user_features with the registered propensity model:
gold.user_propensity.

    shop-score-propensity --env local --date 2026-10-30

The model is loaded from the registry by name and alias (models:/<propensity.model_name>@champion); the inputs
it reads (features and tag expressions) come from its version's feature_spec tag, so a later config or catalog
change does not change what it is fed. Writes the run date's partition: user_id, purchase_propensity (P(a paid
order in the horizon after the date)), churn_risk = 1 - purchase_propensity, the model version, snapshot_date.
build_tag_snapshots turns it into the purchase_propensity and churn_risk tags. It runs daily, train_propensity
weekly (conf/pipeline.yaml): between trainings it scores with the last champion, so it never needs the
training to have run the same day.

Without a champion yet (a young lake: train_propensity has not had enough history), or with a champion trained
for a later run date (scoring an older date with it would use labels from after that date), the job writes
nothing, says so in a warning and exits 0: the tag snapshot of the date then leaves the two tags empty.
"""

from __future__ import annotations

import argparse
import sys

from pyspark import StorageLevel
from pyspark.sql import functions as F

from shop_platform.cli import JobContext, command, job_parser
from shop_platform.logs import get_logger, timed
from shop_platform.session import get_spark
from shop_platform.storage import open_lake
from shop_platform.tracking import (
    CHAMPION,
    FEATURE_SPEC_TAG,
    load_registered_spark_model,
    registered_version,
    trained_on,
)
from transforms import columns as C
from transforms import tables
from transforms.propensity.dataset import FeatureSpec, expression_refusals, model_inputs
from transforms.propensity.model import scored
from transforms.propensity.scoring import propensity_rows

log = get_logger("jobs.score_propensity")

JOB = "score_propensity"


def parser() -> argparse.ArgumentParser:
    return job_parser("Score every user with the registered propensity model.")


def run(ctx: JobContext) -> int:
    """Write gold.user_propensity for the run date; returns the exit status."""
    cfg, run_date = ctx.config, ctx.run_date
    name = cfg.propensity.model_name
    spark = get_spark(cfg.spark, app_name=JOB)
    lake = open_lake(spark, cfg.lake)
    features = lake.table(tables.USER_FEATURES)
    if not features.exists():
        log.error("%s does not exist at %s: run build_user_features first", features.name, features.path)
        return 1
    rows = features.read_on(run_date)
    if rows.isEmpty():
        log.error("%s has no rows for %s: run build_user_features for it first", features.name, run_date)
        return 1
    version = registered_version(cfg, name)
    if version is None:
        log.warning(
            "no model is registered as %s@%s yet (train_propensity trains one once the lake has enough "
            "history): no scores for %s, so its churn_risk and purchase_propensity tags stay empty",
            name, CHAMPION, run_date,
        )  # fmt: skip
        return 0
    trained = trained_on(version)
    if trained is None or trained > run_date:
        log.warning(
            "%s@%s (version %s) was trained for %s, after %s: scoring that date with it would use labels from "
            "after it; no scores written for %s",
            name, CHAMPION, version.version, trained, run_date, run_date,
        )  # fmt: skip
        return 0
    spec_json = (version.tags or {}).get(FEATURE_SPEC_TAG)
    if spec_json is None:
        log.error("%s version %s has no %r tag: retrain it with train_propensity", name, version.version,
                  FEATURE_SPEC_TAG)  # fmt: skip
        return 1
    spec = FeatureSpec.from_json(spec_json)
    refusals = expression_refusals(spark, spec)
    if refusals:
        log.error("%s version %s reads tag expressions that are not allowed: retrain it with a sound catalog:"
                  "\n  %s", name, version.version, "\n  ".join(refusals))  # fmt: skip
        return 1
    missing = [f for f in spec.numeric if f not in features.schema().fieldNames()]
    if missing:
        log.error("%s version %s reads %s, which %s no longer has: retrain it", name, version.version, missing,
                  features.name)  # fmt: skip
        return 1
    model = load_registered_spark_model(cfg, name, CHAMPION)
    propensity = propensity_rows(
        scored(model, model_inputs(rows, spec, [run_date])), int(version.version)
    ).persist(StorageLevel.MEMORY_AND_DISK)
    try:
        with timed(log, f"score {run_date}"):
            lake.table(tables.USER_PROPENSITY).overwrite_partitions(propensity, {C.SNAPSHOT_DATE: [run_date]})
        users, mean = propensity.agg(F.count(F.lit(1)), F.avg(C.PURCHASE_PROPENSITY)).first()
    finally:
        propensity.unpersist()
    log.info(
        "wrote %s for %s: %d users scored by %s version %s (trained for %s), mean purchase propensity %.4f",
        tables.USER_PROPENSITY.name, run_date, users, name, version.version, trained, mean,
    )  # fmt: skip
    return 0


main = command(parser, run)

if __name__ == "__main__":
    sys.exit(main())
