"""Evaluate every campaign started by the run date as an A/B test: gold.campaign_results, gold.campaign_breakdown.

    python -m jobs.evaluate_campaigns --env local --date 2026-10-30
    python -m jobs.evaluate_campaigns --env local --from-date 2026-10-01 --date 2026-10-30   # one per day

For each campaign of bronze.campaigns with its assigned users (bronze.campaign_assignments): conversion
(an order in silver.orders placed in the attribution window) and paid GMV per user, treatment against
control with intervals and p-values, CUPED with the users' gold.user_features of the day before the start
(`campaigns.conversion_covariate`, `campaigns.gmv_covariate`) and a sample-ratio-mismatch check; and reach
and response by K-means segment (gold.user_segments, when it exists) and audience (gold.audience_members).
Per-group sums come from Spark; the tests run on the driver over those few numbers. Each run date rewrites
its partition; a campaign whose window is still open is reported through the run date (complete = false).
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from collections.abc import Sequence

from pyspark import StorageLevel
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from shop_platform.cli import JobContext, command, job_parser
from shop_platform.logs import get_logger, timed
from shop_platform.session import get_spark
from shop_platform.settings import Config
from shop_platform.storage import Lake, LakeTable, open_lake
from transforms import columns as C
from transforms import tables
from transforms.campaigns.ab_test import CONVERSION, GMV_PER_USER, campaign_results, group_moments
from transforms.campaigns.breakdown import campaign_breakdown
from transforms.campaigns.exposure import attribution_windows, user_outcomes, with_pre_period

log = get_logger("jobs.evaluate_campaigns")

INPUTS = (tables.CAMPAIGNS, tables.CAMPAIGN_ASSIGNMENTS, tables.ORDERS, tables.USER_FEATURES)
RESULT_COLUMNS = tables.CAMPAIGN_RESULTS.schema.fieldNames()


def covariate_problems(cfg: Config, features_columns: Sequence[str]) -> list[str]:
    """The CUPED covariate settings that do not name a gold.user_features column."""
    settings = {
        "campaigns.conversion_covariate": cfg.campaigns.conversion_covariate,
        "campaigns.gmv_covariate": cfg.campaigns.gmv_covariate,
    }
    return [
        f"{key} = {column!r} is not a column of {tables.USER_FEATURES.name} (conf/base.yaml or --set)"
        for key, column in settings.items()
        if column not in features_columns
    ]


def breakdown_input(table: LakeTable) -> DataFrame | None:
    """The table's rows, or None (its breakdown is left out, not reported as unsegmented) when it is missing."""
    if table.exists():
        return table.read()
    log.warning("%s does not exist: its breakdown is left out", table.name)
    return None


def evaluate(lake: Lake, cfg: Config, run_date: dt.date) -> int:
    """Write the results and breakdown of `run_date`; returns the number of campaigns evaluated."""
    settings = cfg.campaigns
    windows = attribution_windows(
        lake.table(tables.CAMPAIGNS).read(), settings.attribution_days_after_end, run_date
    ).persist(StorageLevel.MEMORY_AND_DISK)
    try:
        window_rows = windows.collect()  # a handful of campaigns
        first_start = min((w[C.START_DATE] for w in window_rows), default=run_date)
        orders = (
            lake.table(tables.ORDERS)
            .read_between(first_start, run_date)
            .select(C.USER_ID, C.ORDER_DATE, C.PAID_AMOUNT)
        )
        features = (
            lake.table(tables.USER_FEATURES)
            .read()
            .where(F.col(C.SNAPSHOT_DATE) < F.lit(run_date))
            .select(C.USER_ID, C.SNAPSHOT_DATE, settings.conversion_covariate, settings.gmv_covariate)
        )
        assignments = lake.table(tables.CAMPAIGN_ASSIGNMENTS).read().select(C.CAMPAIGN_ID, C.USER_ID, C.GROUP)
        outcomes = with_pre_period(
            user_outcomes(assignments, windows, orders, run_date),
            windows,
            features,
            settings.conversion_covariate,
            settings.gmv_covariate,
        ).persist(StorageLevel.MEMORY_AND_DISK)
        try:
            with timed(log, f"campaign moments {run_date}"):
                moments = group_moments(outcomes).collect()  # two rows per campaign
            rows = campaign_results(
                window_rows,
                moments,
                {CONVERSION: settings.conversion_covariate, GMV_PER_USER: settings.gmv_covariate},
                settings.planned_treatment_shares,
                settings.planned_treatment_share,
                settings.confidence_level,
                settings.srm_p_value,
                run_date,
            )
            results = lake.spark.createDataFrame(rows, tables.CAMPAIGN_RESULTS.schema)
            lake.table(tables.CAMPAIGN_RESULTS).overwrite_partitions(results, {C.RUN_DATE: [run_date]})
            breakdown = campaign_breakdown(
                outcomes,
                windows,
                breakdown_input(lake.table(tables.USER_SEGMENTS)),
                breakdown_input(lake.table(tables.AUDIENCE_MEMBERS)),
            ).select("*", F.lit(run_date).alias(C.RUN_DATE))
            lake.table(tables.CAMPAIGN_BREAKDOWN).overwrite_partitions(breakdown, {C.RUN_DATE: [run_date]})
        finally:
            outcomes.unpersist()
    finally:
        windows.unpersist()
    for row in (dict(zip(RESULT_COLUMNS, r, strict=True)) for r in rows):
        log.info(
            "%s %s %s: treatment %d, control %d users; uplift %s [%s, %s], p = %s; CUPED %s [%s, %s] "
            "(variance reduced by %s); SRM p = %.3g%s",
            run_date, row[C.CAMPAIGN_ID], row[C.METRIC], row[C.TREATMENT_USERS], row[C.CONTROL_USERS],
            _num(row[C.ABSOLUTE_UPLIFT]), _num(row[C.ABSOLUTE_CI_LOW]), _num(row[C.ABSOLUTE_CI_HIGH]),
            _num(row[C.P_VALUE]), _num(row[C.CUPED_UPLIFT]), _num(row[C.CUPED_CI_LOW]),
            _num(row[C.CUPED_CI_HIGH]), _share(row[C.VARIANCE_REDUCTION]), row[C.SRM_P_VALUE],
            " MISMATCH" if row[C.SRM_DETECTED] else "",
        )  # fmt: skip
    return len(window_rows)


def _num(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.4g}"


def _share(value: float | None) -> str:
    return "n/a" if value is None else f"{100 * value:.1f}%"


def parser() -> argparse.ArgumentParser:
    return job_parser("Evaluate campaigns as A/B tests into gold.campaign_results.", date_range=True)


def run(ctx: JobContext) -> int:
    """Evaluate the campaigns as of the run date (or as of every date of a back-fill)."""
    cfg = ctx.config
    spark = get_spark(cfg.spark, app_name="evaluate_campaigns")
    lake = open_lake(spark, cfg.lake)
    for table in (lake.table(spec) for spec in INPUTS):
        if not table.exists():
            log.error("%s does not exist at %s: run the jobs that write it first", table.name, table.path)
            return 1
    problems = covariate_problems(cfg, lake.table(tables.USER_FEATURES).schema().fieldNames())
    if problems:
        log.error("%s", "; ".join(problems))
        return 2
    campaigns = 0
    for run_date in ctx.dates:
        campaigns = evaluate(lake, cfg, run_date)
    log.info(
        "wrote %s and %s for %s..%s (%d campaigns)",
        tables.CAMPAIGN_RESULTS.name,
        tables.CAMPAIGN_BREAKDOWN.name,
        ctx.first_date,
        ctx.run_date,
        campaigns,
    )
    return 0


main = command(parser, run)

if __name__ == "__main__":
    sys.exit(main())
