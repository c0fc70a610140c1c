"""Validate customer value on a holdout as the paper does: gold.customer_value_holdout and _ranking.

    shop-evaluate-customer-value --env local --date 2026-10-30

BG/NBD is fitted on silver.orders up to the calibration end E = D - `clv.holdout_days` (the same summaries
and fit as build_customer_value's for E) and predicts the holdout (E, D]: mean predicted and actual
purchases per calibration frequency, and the cumulative predicted and actual purchases by holdout day
(gold.customer_value_holdout). Then P(alive) at E, the expected holdout purchases and the propensity model's
score of E rank the customers for "buys in the holdout" (gold.customer_value_ranking, ROC AUC). The
propensity score is the champion's of E (gold.user_propensity), scored before the holdout happened; without
one (a back-fill trains once, at its end), the scores train_propensity's chosen candidate gave E as its
validation snapshot, fitted without E's labels (gold.propensity_validation). With the holdout equal to
propensity.horizon_days (conf/local.yaml), both predict the same window.

Writes the run date's partition of both tables; a re-run rewrites the same rows. Too young a lake (E before
enough customers) is a warning and empty partitions, not a failure. Weekly, with the model training.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys

import mlflow
from pyspark import StorageLevel
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from shop_platform.cli import JobContext, command, job_parser
from shop_platform.logs import get_logger, timed
from shop_platform.session import get_spark
from shop_platform.storage import Lake, open_lake
from shop_platform.tracking import training_run
from transforms import columns as C
from transforms import tables
from transforms.value.holdout import (
    holdout_by_day,
    holdout_by_frequency,
    holdout_purchases,
    predicted_holdout,
)
from transforms.value.model import fit_summaries
from transforms.value.ranking import RankingAuc, ranking_aucs
from transforms.value.scoring import Horizon
from transforms.value.summary import (
    customer_summaries,
    order_values,
    purchase_days,
)

log = get_logger("jobs.evaluate_customer_value")

JOB = "evaluate_customer_value"


def parser() -> argparse.ArgumentParser:
    return job_parser("Validate BG/NBD on a holdout and compare its ranking with the propensity model's.")


def propensity_scores(lake: Lake, end: dt.date) -> tuple[DataFrame | None, str]:
    """The propensity model's scores of `end` and the table they come from (see the module)."""
    for spec in (tables.USER_PROPENSITY, tables.PROPENSITY_VALIDATION):
        table = lake.table(spec)
        if not table.exists():
            continue
        rows = table.read().where(F.col(C.SNAPSHOT_DATE) == F.lit(end))
        if spec is tables.PROPENSITY_VALIDATION:
            # The newest training that validated on `end`.
            latest = rows.agg(F.max(C.RUN_DATE)).first()[0]
            rows = rows.where(F.col(C.RUN_DATE) == F.lit(latest))
        if not rows.isEmpty():
            return rows.select(C.USER_ID, C.PURCHASE_PROPENSITY), spec.name
    return None, ""


def run(ctx: JobContext) -> int:
    """Write the run date's holdout and ranking rows; returns the exit status."""
    cfg, run_date = ctx.config, ctx.run_date
    s = cfg.clv
    end = run_date - dt.timedelta(days=s.holdout_days)
    spark = get_spark(cfg.spark, app_name=JOB)
    lake = open_lake(spark, cfg.lake)
    orders = lake.table(tables.ORDERS)
    if not orders.exists():
        log.error("%s does not exist at %s: run build_silver first", orders.name, orders.path)
        return 1
    holdout_table, ranking_table = (
        lake.table(tables.CUSTOMER_VALUE_HOLDOUT),
        lake.table(tables.CUSTOMER_VALUE_RANKING),
    )
    for table in (holdout_table, ranking_table):
        table.create()
    values = order_values(
        orders.read().where(F.col(C.ORDER_DATE) <= F.lit(run_date)), cfg.app.timezone
    ).persist(StorageLevel.MEMORY_AND_DISK)
    calibration = customer_summaries(purchase_days(values, [end]), s.time_unit_days).persist(
        StorageLevel.MEMORY_AND_DISK
    )
    cached = [values, calibration]
    views, aucs = holdout_table.empty(), []
    try:
        models, skipped = fit_summaries(calibration, [end], Horizon.of(s), s.min_customers)
        if end not in models:
            log.warning("no holdout validation for %s: the calibration period ending %s cannot be fitted (%s)",
                        run_date, end, "; ".join(skipped))  # fmt: skip
        else:
            fit = models[end].bg
            holdout = holdout_purchases(purchase_days(values, [run_date]), end).persist(
                StorageLevel.MEMORY_AND_DISK
            )
            predicted = predicted_holdout(calibration, models[end], end, s.holdout_days).persist(
                StorageLevel.MEMORY_AND_DISK
            )
            cached += [holdout, predicted]
            with timed(log, f"holdout {end}..{run_date}"):
                by_views = holdout_by_frequency(predicted, holdout).unionByName(
                    holdout_by_day(calibration, holdout, fit, end, s.holdout_days, s.time_unit_days)
                )
                # A few dozen rows: built once, so the write and the log read the same values.
                views = spark.createDataFrame(
                    by_views.select(
                        F.lit(end).alias(C.CALIBRATION_END),
                        *by_views.columns,
                        F.lit(run_date).alias(C.RUN_DATE),
                    ).toPandas(),
                    holdout_table.spec.schema,
                )
                scores, source = propensity_scores(lake, end)
                if scores is None:
                    log.warning("no propensity scores of %s (neither %s nor %s): the ranking compares BG/NBD's "
                                "scores only", end, tables.USER_PROPENSITY.name,
                                tables.PROPENSITY_VALIDATION.name)  # fmt: skip
                aucs = ranking_aucs(predicted, holdout, scores, source)
    finally:
        for frame in cached:
            frame.unpersist()
    holdout_table.overwrite_partitions(views, {C.RUN_DATE: [run_date]})
    ranking_table.overwrite_partitions(ranking_rows(lake, aucs, end, run_date), {C.RUN_DATE: [run_date]})
    for a in aucs:
        log.info("holdout %s..%s, %s: AUC of %s (%s) %s over %d customers, %d bought", end, run_date, a.population,
                 a.score, a.source, "n/a" if a.auc is None else f"{a.auc:.4f}", a.customers, a.positives)  # fmt: skip
    if aucs:
        with training_run(cfg, job=JOB, run_date=run_date, inputs={orders.name: orders},
                          params={"holdout_days": s.holdout_days, "calibration_end": end.isoformat()}):  # fmt: skip
            mlflow.log_metrics({f"auc.{a.population}.{a.score}": a.auc for a in aucs if a.auc is not None})
            mlflow.log_dict({"by_frequency_and_day": [r.asDict() for r in views.collect()]}, "holdout.json")
    return 0


def ranking_rows(lake: Lake, aucs: list[RankingAuc], end: dt.date, run_date: dt.date) -> DataFrame:
    """gold.customer_value_ranking rows of the run date."""
    return lake.spark.createDataFrame(
        [(end, a.score, a.source, a.population, a.customers, a.positives, a.auc, run_date) for a in aucs],
        tables.CUSTOMER_VALUE_RANKING.schema,
    )


main = command(parser, run)

if __name__ == "__main__":
    sys.exit(main())
