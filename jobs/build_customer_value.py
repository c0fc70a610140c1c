"""Customer lifetime value per snapshot date: gold.customer_value and its fits, holdout and ranking tables.

    shop-build-customer-value --env local --date 2026-10-30
    shop-build-customer-value --env local --from-date 2026-10-01 --date 2026-10-30    # every date, one pass

For each date D, from silver.orders up to D only (transforms.value.summary: placed and paid by D, refunds by
D), every customer's repeat purchase days x, recency t_x and age T in `clv.time_unit_days` and mean repeat
value. Spark groups customers by (x, t_x, T) and by (x, mean value); the driver fits BG/NBD and Gamma-Gamma
by maximum likelihood on those weighted distinct rows, so a fit costs the same for ten thousand or a hundred
million customers. Then per customer: P(alive), expected repeat purchases over `clv.horizon_days`, expected
order value, discounted CLV and the value tier (tags p_alive, expected_orders_90d, clv_90d, value_tier). A date
with fewer than `clv.min_customers` customers is not fitted and has no rows (a warning names it).

Per date the estimates, log-likelihoods, distinct rows and fit seconds go to gold.customer_value_fits. The
run date's models are logged to MLflow (the same, and the input's Delta version) and registered as
`clv.model_name`: a pyfunc scoring gold.customer_value's summary columns. A re-run of a date with the same
estimates reuses its version. Every table's partitions of the run are replaced in one commit each, so a re-run
leaves the same rows. The holdout validation is evaluate_customer_value's.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys

import mlflow
import mlflow.pyfunc
import pandas as pd
from pyspark import StorageLevel
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from shop_platform.cli import JobContext, command, job_parser
from shop_platform.logs import get_logger, timed
from shop_platform.session import get_spark
from shop_platform.settings import Config
from shop_platform.storage import Lake, open_lake
from shop_platform.tracking import (
    CHAMPION,
    MODEL_PARAMS_TAG,
    RUN_DATE_TAG,
    champion_note,
    log_python_model,
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
from transforms.value.model import CustomerValueModel, fit_summaries
from transforms.value.scoring import Horizon, customer_values
from transforms.value.summary import (
    customer_summaries,
    order_values,
    purchase_days,
)
from transforms.value.tiers import with_value_tiers

log = get_logger("jobs.build_customer_value")

JOB = "build_customer_value"
MODEL_ARTIFACT = "customer_value_model"


class RegisteredCustomerValueModel(mlflow.pyfunc.PythonModel):
    """The MLflow face of a date's CustomerValueModel: predict() scores gold.customer_value summary rows."""

    def __init__(self, model: CustomerValueModel) -> None:
        self.model = model

    def predict(self, context, model_input: pd.DataFrame, params=None) -> pd.DataFrame:
        return self.model.predict(model_input)


def parser() -> argparse.ArgumentParser:
    return job_parser("Fit BG/NBD and Gamma-Gamma per date and write gold.customer_value.", date_range=True)


def fitted_models(
    summaries: DataFrame, dates: list[dt.date], cfg: Config
) -> dict[dt.date, CustomerValueModel]:
    """The models of every date with enough customers; the others are named in a warning."""
    models, skipped = fit_summaries(summaries, dates, Horizon.of(cfg.clv), cfg.clv.min_customers)
    if skipped:
        log.warning("no customer value for these dates:\n  %s", "\n  ".join(skipped))
    return models


def fits_rows(lake: Lake, models: dict[dt.date, CustomerValueModel]) -> DataFrame:
    """gold.customer_value_fits rows: two per fitted date."""
    rows = []
    for date, model in sorted(models.items()):
        estimates = model.estimates()
        rows += [
            ("bg_nbd", estimates["bg_nbd"], model.bg.log_likelihood, int(model.bg.customers), model.bg_rows,
             model.bg_seconds, date),
            ("gamma_gamma", estimates["gamma_gamma"], model.gg.log_likelihood, int(model.gg.customers),
             model.gg_rows, model.gg_seconds, date),
        ]  # fmt: skip
    return lake.spark.createDataFrame(rows, tables.CUSTOMER_VALUE_FITS.schema)


def register(cfg: Config, model: CustomerValueModel, run_date: dt.date) -> tuple[int, bool]:
    """Register the run date's model (or reuse the version registered for it with the same estimates)."""
    name = cfg.clv.model_name
    estimates = params_tag({k: {p: round(v, 9) for p, v in e.items()} for k, e in model.estimates().items()})
    newest = may_take_champion(cfg, name, run_date)
    reused = reusable_version(model_versions(cfg, name), run_date, MODEL_PARAMS_TAG, estimates)
    if reused is not None:
        if newest:
            set_alias(cfg, name, CHAMPION, int(reused.version))
        return int(reused.version), newest
    uri = log_python_model(RegisteredCustomerValueModel(model), MODEL_ARTIFACT)
    tags = {RUN_DATE_TAG: run_date.isoformat(), MODEL_PARAMS_TAG: estimates}
    return register_model(uri, name, alias=CHAMPION if newest else None, tags=tags), newest


def run(ctx: JobContext) -> int:
    """Write gold.customer_value and gold.customer_value_fits for the run's dates, register the run date's
    model; returns the exit status."""
    cfg, dates, run_date = ctx.config, ctx.dates, ctx.run_date
    s = cfg.clv
    spark = get_spark(cfg.spark, app_name=JOB)
    lake = open_lake(spark, cfg.lake)
    orders = lake.table(tables.ORDERS)
    if not orders.exists():
        log.error("%s does not exist at %s: run build_silver first", orders.name, orders.path)
        return 1
    for spec in (tables.CUSTOMER_VALUE, tables.CUSTOMER_VALUE_FITS):
        lake.table(spec).create()
    # Orders placed after the run date cannot count for any of its dates: they are not read.
    values = order_values(
        orders.read().where(F.col(C.ORDER_DATE) <= F.lit(run_date)), cfg.app.timezone
    ).persist(StorageLevel.MEMORY_AND_DISK)
    summaries = customer_summaries(purchase_days(values, dates), s.time_unit_days).persist(
        StorageLevel.MEMORY_AND_DISK
    )
    try:
        with timed(log, f"fit {len(dates)} date(s)"):
            models = fitted_models(summaries, dates, cfg)
        scored = with_value_tiers(
            customer_values(
                summaries,
                {d: m.bg.params for d, m in models.items()},
                {d: m.gg.params for d, m in models.items()},
                Horizon.of(s),
            ),
            s.tiers,
        )
        lake.table(tables.CUSTOMER_VALUE).overwrite_partitions(scored, {C.SNAPSHOT_DATE: dates})
        lake.table(tables.CUSTOMER_VALUE_FITS).overwrite_partitions(
            fits_rows(lake, models), {C.SNAPSHOT_DATE: dates}
        )
    finally:
        summaries.unpersist()
        values.unpersist()
    model = models.get(run_date)
    if model is None:
        log.warning("no model for %s: nothing registered", run_date)
        return 0
    params = {
        "time_unit_days": s.time_unit_days,
        "horizon_days": s.horizon_days,
        "discount_rate": s.discount_rate,
        "discount_step_days": s.discount_step_days,
    }
    with training_run(cfg, job=JOB, run_date=run_date, inputs={orders.name: orders}, params=params):
        estimates = model.estimates()
        mlflow.log_metrics({f"{m}.{p}": v for m, e in estimates.items() for p, v in e.items()})
        mlflow.log_metrics({
            "bg_nbd.log_likelihood": model.bg.log_likelihood, "gamma_gamma.log_likelihood": model.gg.log_likelihood,
            "bg_nbd.customers": model.bg.customers, "gamma_gamma.customers": model.gg.customers,
            "bg_nbd.distinct_rows": model.bg_rows, "gamma_gamma.distinct_rows": model.gg_rows,
            "bg_nbd.fit_seconds": model.bg_seconds, "gamma_gamma.fit_seconds": model.gg_seconds,
        })  # fmt: skip
        mlflow.log_dict(estimates, "estimates.json")
        version, newest = register(cfg, model, run_date)
    log.info(
        "wrote %s for %s..%s (%d fitted); %s: BG/NBD %s, Gamma-Gamma %s; registered %s version %d%s",
        tables.CUSTOMER_VALUE.name, dates[0], run_date, len(models), run_date,
        json.dumps({k: round(v, 4) for k, v in estimates["bg_nbd"].items()}),
        json.dumps({k: round(v, 4) for k, v in estimates["gamma_gamma"].items()}),
        s.model_name, version, champion_note(newest),
    )  # fmt: skip
    return 0


main = command(parser, run)

if __name__ == "__main__":
    sys.exit(main())
