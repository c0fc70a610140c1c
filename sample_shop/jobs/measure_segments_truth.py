"""Score a snapshot's segments against the generator's planted personas.

    python -m sample_shop.jobs.measure_segments_truth --env local --date 2026-10-30 --set lake.root=/tmp/lake

Reads gold.user_segments of the date and `truth/personas` of a lake built from the sample-data generator
(without a truth folder there is nothing to score and the job says so). Logs the adjusted Rand index and the
confusion table (segment x persona, over users with both), writes them to
`reports/segments_truth/<date>_<date>/summary` and to an MLflow run (metric adjusted_rand_index, artifact
segments_vs_personas.csv).
"""

from __future__ import annotations

import argparse
import sys

import mlflow
from pyspark import StorageLevel
from pyspark.errors import AnalysisException

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

log = get_logger("sample_shop.jobs.measure_segments_truth")

JOB = "measure_segments_truth"
REPORT = "segments_truth"


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
    table = contingency_table(segments.read_on(ctx.run_date), personas).persist(StorageLevel.MEMORY_AND_DISK)
    try:
        ari = adjusted_rand_index(table).first()[TC.ADJUSTED_RAND_INDEX]
        # At most segments x personas rows.
        cells = rows_as_dicts(table.orderBy(C.SEGMENT_ID, TC.PERSONA))
    finally:
        table.unpersist()
    confusion = confusion_csv(cells)
    users = sum(cell[C.USERS] for cell in cells)
    log.info("%s: adjusted Rand index vs personas %s over %d users", ctx.run_date, ari, users)
    log.info("segments x personas (users):\n%s", confusion)
    folder = report_folder(REPORT, (ctx.run_date, ctx.run_date))
    write_summary(
        lake, folder, {"snapshot_date": ctx.run_date, TC.ADJUSTED_RAND_INDEX: ari, "confusion": cells}
    )
    with training_run(cfg, job=JOB, run_date=ctx.run_date, inputs={segments.name: segments}):
        if ari is not None:
            mlflow.log_metric(TC.ADJUSTED_RAND_INDEX, ari)
        mlflow.log_text(confusion, "segments_vs_personas.csv")
    log.info("wrote %s/summary and an MLflow run (%s)", lake.files.path(folder), JOB)
    return 0


main = command(parser, run)

if __name__ == "__main__":
    sys.exit(main())
