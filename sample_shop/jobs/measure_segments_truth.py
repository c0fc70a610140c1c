"""Score a snapshot's segments against the generator's planted personas.

    python -m sample_shop.jobs.measure_segments_truth --env local --date 2026-10-30 --set lake.root=/tmp/lake

Reads gold.user_segments of the date and `truth/personas` of a lake built from the sample-data generator
(without a truth folder there is nothing to score and the job says so). Logs the adjusted Rand index and the
confusion table (segment x persona, over users with both), and again over the buyers (users with an order
in the 90 days before the date, gold.user_features), and the day-to-day stability (the share of users
segmented on the date and the day before who kept their segment); writes them to
`reports/segments_truth/<date>_<date>/summary` and to an MLflow run (metrics adjusted_rand_index,
adjusted_rand_index_buyers, stability; artifacts segments_vs_personas.csv and
segments_vs_personas_buyers.csv).
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys

import mlflow
from pyspark import StorageLevel
from pyspark.errors import AnalysisException
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from sample_shop import columns as TC
from sample_shop import tables as truth_tables
from sample_shop.truth.reports import read_truth, report_folder, rows_as_dicts, write_summary
from sample_shop.truth.segments import adjusted_rand_index, confusion_csv, contingency_table
from shop_platform.cli import JobContext, command, job_parser
from shop_platform.logs import get_logger
from shop_platform.session import get_spark
from shop_platform.storage import open_lake
from shop_platform.tracking import training_run
from transforms import columns as C
from transforms import tables
from transforms.features.windows import windowed
from transforms.segments.transitions import segment_stability, segment_transitions

log = get_logger("sample_shop.jobs.measure_segments_truth")

JOB = "measure_segments_truth"
REPORT = "segments_truth"
BUYERS_SUFFIX = "_buyers"
ORDERS_90D = windowed(C.ORDERS, 90)


def scored(segments: DataFrame, personas: DataFrame) -> tuple[float | None, list[dict]]:
    """The adjusted Rand index and the contingency cells (at most segments x personas) of `segments`."""
    table = contingency_table(segments, personas).persist(StorageLevel.MEMORY_AND_DISK)
    try:
        ari = adjusted_rand_index(table).first()[TC.ADJUSTED_RAND_INDEX]
        return ari, rows_as_dicts(table.orderBy(C.SEGMENT_ID, TC.PERSONA))
    finally:
        table.unpersist()


def parser() -> argparse.ArgumentParser:
    return job_parser("Score gold.user_segments against the generator's planted personas.")


def run(ctx: JobContext) -> int:
    """Log, report and track the agreement of the run date's segments with the planted personas."""
    cfg = ctx.config
    spark = get_spark(cfg.spark, app_name=JOB)
    lake = open_lake(spark, cfg.lake)
    segments = lake.table(tables.USER_SEGMENTS)
    if not segments.exists():
        log.error(
            "%s does not exist at %s: run %s first", segments.name, segments.path, segments.spec.written_by
        )
        return 1
    try:
        personas = read_truth(lake, truth_tables.PERSONAS)
    except AnalysisException:
        log.info(
            "no %s under %s: nothing to score segments against",
            truth_tables.truth_folder(truth_tables.PERSONAS),
            lake.root,
        )
        return 0
    of_day = segments.read_on(ctx.run_date)
    ari, cells = scored(of_day, personas)
    buyers = lake.table(tables.USER_FEATURES).read_on(ctx.run_date).where(F.col(ORDERS_90D) >= 1)
    ari_buyers, cells_buyers = scored(
        of_day.join(buyers.select(C.USER_ID), on=[C.USER_ID], how="left_semi"), personas
    )
    day_before = ctx.run_date - dt.timedelta(days=1)
    moves = segment_transitions(segments.read_between(day_before, ctx.run_date), [ctx.run_date])
    stability_row = segment_stability(moves).first()  # one row, or none without the day before
    stability = None if stability_row is None else stability_row[C.STABILITY]
    summary = {"snapshot_date": ctx.run_date, "stability": stability}
    for suffix, (score, table) in {"": (ari, cells), BUYERS_SUFFIX: (ari_buyers, cells_buyers)}.items():
        users = sum(cell[C.USERS] for cell in table)
        log.info(
            "%s: adjusted Rand index vs personas %s over %d users (%s)",
            ctx.run_date,
            score,
            users,
            suffix.strip("_") or "all",
        )
        log.info("segments x personas%s (users):\n%s", suffix, confusion_csv(table))
        summary |= {TC.ADJUSTED_RAND_INDEX + suffix: score, "confusion" + suffix: table}
    log.info("%s: day-to-day stability %s", ctx.run_date, stability)
    folder = report_folder(REPORT, (ctx.run_date, ctx.run_date))
    write_summary(lake, folder, summary)
    with training_run(cfg, job=JOB, run_date=ctx.run_date, inputs={segments.name: segments}):
        for suffix, (score, table) in {"": (ari, cells), BUYERS_SUFFIX: (ari_buyers, cells_buyers)}.items():
            if score is not None:
                mlflow.log_metric(TC.ADJUSTED_RAND_INDEX + suffix, score)
            mlflow.log_text(confusion_csv(table), f"segments_vs_personas{suffix}.csv")
        if stability is not None:
            mlflow.log_metric("stability", stability)
    log.info("wrote %s/summary and an MLflow run (%s)", lake.files.path(folder), JOB)
    return 0


main = command(parser, run)

if __name__ == "__main__":
    sys.exit(main())
