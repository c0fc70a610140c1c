"""Score a snapshot's segments against the generator's planted personas.

    python -m jobs.measure_segments_truth --env local --date 2026-10-30 --set lake.root=/tmp/lake

Reads gold.user_segments of the date and `truth/personas` of a lake built from the sample-data generator
(without a truth folder there is nothing to score and the job says so). Logs the adjusted Rand index and the
confusion table (segment x persona, over users with both), writes them to
`reports/segments_truth/<date>_<date>/summary` and to an MLflow run (metric adjusted_rand_index, artifact
segments_vs_personas.csv).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

import mlflow
from pyspark import StorageLevel
from pyspark.errors import AnalysisException
from pyspark.sql import functions as F

from shop_platform.cli import job_parser, parse_job_args
from shop_platform.logs import get_logger
from shop_platform.session import get_spark
from shop_platform.storage import open_lake
from shop_platform.tracking import training_run
from shop_platform.truth_reports import read_truth, report_folder, rows_as_dicts, write_summary
from transforms import columns as C
from transforms.schemas import TRUTH_PERSONAS_SCHEMA
from transforms.segments.agreement import adjusted_rand_index, contingency_table

log = get_logger("jobs.measure_segments_truth")

JOB = "measure_segments_truth"
USER_SEGMENTS = "gold.user_segments"
PERSONAS = "truth/personas"
REPORT = "segments_truth"


def main(argv: Sequence[str] | None = None) -> int:
    """Log, report and track the agreement of the run date's segments with the planted personas."""
    parser = job_parser("Score gold.user_segments against the generator's planted personas.")
    ctx = parse_job_args(parser, argv)
    cfg = ctx.config
    spark = get_spark(cfg.spark, app_name=JOB)
    lake = open_lake(spark, cfg.lake)
    segments = lake.table(USER_SEGMENTS)
    if not segments.exists():
        log.error("%s does not exist at %s: run build_segments first", USER_SEGMENTS, segments.path)
        return 1
    try:
        personas = read_truth(lake, PERSONAS, TRUTH_PERSONAS_SCHEMA)
    except AnalysisException:
        log.info("no %s under %s: nothing to score segments against", PERSONAS, lake.root)
        return 0
    on_date = segments.read().where(F.col(C.SNAPSHOT_DATE) == F.lit(ctx.run_date))
    table = contingency_table(on_date, personas).persist(StorageLevel.MEMORY_AND_DISK)
    try:
        ari = adjusted_rand_index(table).first()[C.ADJUSTED_RAND_INDEX]
        # At most segments x personas rows.
        cells = rows_as_dicts(table.orderBy(C.SEGMENT_ID, C.PERSONA))
    finally:
        table.unpersist()
    names = sorted({c[C.PERSONA] for c in cells})
    grid = {(c[C.SEGMENT_ID], c[C.PERSONA]): c[C.USERS] for c in cells}
    lines = [",".join([C.SEGMENT_ID, *names])]
    for segment in sorted({c[C.SEGMENT_ID] for c in cells}):
        lines.append(",".join([str(segment), *[str(grid.get((segment, p), 0)) for p in names]]))
    confusion = "\n".join(lines) + "\n"
    log.info("%s: adjusted Rand index vs personas %s over %d users", ctx.run_date, ari, sum(grid.values()))
    log.info("segments x personas (users):\n%s", confusion)
    folder = report_folder(REPORT, (ctx.run_date, ctx.run_date))
    write_summary(
        lake, folder, {"snapshot_date": ctx.run_date, C.ADJUSTED_RAND_INDEX: ari, "confusion": cells}
    )
    with training_run(cfg, job=JOB, run_date=ctx.run_date, inputs={USER_SEGMENTS: segments}):
        if ari is not None:
            mlflow.log_metric(C.ADJUSTED_RAND_INDEX, ari)
        mlflow.log_text(confusion, "segments_vs_personas.csv")
    log.info("wrote %s/summary and an MLflow run (%s)", lake.files.path(folder), JOB)
    return 0


if __name__ == "__main__":
    sys.exit(main())
