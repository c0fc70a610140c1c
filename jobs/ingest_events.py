"""Ingest one raw date of event lines (or a back-fill range) into bronze.events and its quarantine.

    python -m jobs.ingest_events --env local --date 2026-10-09 [--from-date 2026-10-07]
    python -m jobs.ingest_events --date 2017-11-25 --set ingest.format=taobao_user_behavior

Each raw date D (folder `<ingest.raw_dir>/date=D`) replaces exactly the rows it produced before: valid
events go to bronze.events (partition ingest_date=D, and event_date = the local day they happened),
failed lines with every reason to bronze.events_quarantine (ingest_date=D). `ingested_at` is the time the
raw file landed (its modification time), so re-running a date rewrites identical rows. When more than
`ingest.max_quarantine_rate` of a date's lines are quarantined, the job writes the quarantine, leaves
bronze.events as it was for that date, and exits with 1.
"""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Sequence

from pyspark import StorageLevel
from pyspark.errors import AnalysisException
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from shop_platform.cli import job_parser, parse_job_args
from shop_platform.logs import get_logger, timed
from shop_platform.session import get_spark
from shop_platform.settings import Config
from shop_platform.storage import Lake, LakeTable, open_lake
from transforms import columns as C
from transforms.ingest.bronze import quarantine_rows, valid_events
from transforms.ingest.conservation import IngestCounts, check_conservation, count_outcomes
from transforms.ingest.dedupe import flag_duplicates
from transforms.ingest.formats import EventFormat, event_format
from transforms.ingest.validate import EventRules, validate_events
from transforms.schemas import (
    BRONZE_EVENTS_PARTITIONS,
    BRONZE_EVENTS_SCHEMA,
    BRONZE_QUARANTINE_PARTITIONS,
    BRONZE_QUARANTINE_SCHEMA,
)

log = get_logger("jobs.ingest_events")

EVENTS_TABLE = "bronze.events"
QUARANTINE_TABLE = "bronze.events_quarantine"
# Spark's hidden per-file metadata of file sources.
FILE_PATH = "_metadata.file_path"
FILE_MODIFICATION_TIME = "_metadata.file_modification_time"


class RawFolderMissingError(FileNotFoundError):
    """The raw folder of a date does not exist."""


def read_raw_lines(lake: Lake, raw_dir: str, day: dt.date) -> DataFrame:
    """RAW_LINE, SOURCE_FILE, INGESTED_AT for every line under `<raw_dir>/date=<day>`."""
    folder = f"{raw_dir.strip('/')}/date={day.isoformat()}"
    try:
        lines = lake.files.read_lines(folder)
    except AnalysisException as exc:
        if exc.getCondition() == "PATH_NOT_FOUND":
            raise RawFolderMissingError(
                f"no raw files for {day}: {lake.files.path(folder)} does not exist (ingest.raw_dir={raw_dir})"
            ) from exc
        raise
    return lines.select(
        F.col(C.VALUE).alias(C.RAW_LINE),
        F.col(FILE_PATH).alias(C.SOURCE_FILE),
        F.col(FILE_MODIFICATION_TIME).alias(C.INGESTED_AT),
    )


def log_counts(day: dt.date, counts: IngestCounts) -> None:
    log.info(
        "raw date %s: %d input lines, %d valid, %d quarantined (%.2f%%), %d duplicates removed",
        day,
        counts.lines,
        counts.valid,
        counts.quarantined,
        100 * counts.quarantine_rate,
        counts.duplicates,
    )
    for reason, rows in counts.reasons.items():
        log.info("raw date %s: quarantine reason %s: %d lines", day, reason, rows)


def ingest_date(
    lake: Lake, config: Config, fmt: EventFormat, day: dt.date, events: LakeTable, quarantine: LakeTable
) -> int:
    """Ingest raw date `day`; returns 1 when its quarantine rate is too high (quarantine written), else 0."""
    settings, timezone = config.ingest, config.app.timezone
    rules = EventRules.from_settings(settings, day, timezone)
    checked = (
        fmt.to_common_shape(read_raw_lines(lake, settings.raw_dir, day), timezone)
        .transform(validate_events, rules=rules, provided_fields=fmt.provided_fields)
        .transform(flag_duplicates)
        .persist(StorageLevel.MEMORY_AND_DISK)
    )
    try:
        # One aggregation gives every count; the writes below reuse the same persisted rows.
        with timed(log, f"parse and validate raw date {day} ({fmt.name})"):
            counts = IngestCounts.from_rows(count_outcomes(checked).collect())
        check_conservation(counts, day)
        log_counts(day, counts)
        quarantine.overwrite_partitions(
            checked.transform(quarantine_rows, ingest_date=day, ingest_format=fmt.name),
            {C.INGEST_DATE: [day]},
        )
        if counts.quarantine_rate > settings.max_quarantine_rate:
            log.error(
                "raw date %s: %d of %d lines (%.2f%%) quarantined, above ingest.max_quarantine_rate = "
                "%.2f%%; they are in %s (ingest_date=%s); %s was left unchanged for this date",
                day,
                counts.quarantined,
                counts.lines,
                100 * counts.quarantine_rate,
                100 * settings.max_quarantine_rate,
                QUARANTINE_TABLE,
                day,
                EVENTS_TABLE,
            )
            return 1
        events.overwrite_partitions(
            checked.transform(valid_events, ingest_date=day, timezone=timezone), {C.INGEST_DATE: [day]}
        )
        log.info(
            "raw date %s: wrote %d events to %s and %d lines to %s",
            day,
            counts.valid,
            EVENTS_TABLE,
            counts.quarantined,
            QUARANTINE_TABLE,
        )
        return 0
    finally:
        checked.unpersist()


def main(argv: Sequence[str] | None = None) -> int:
    """Ingest the raw event lines of --date (from --from-date on a back-fill) into bronze."""
    parser = job_parser(
        "Ingest raw event lines into bronze.events, quarantining every bad line with reasons.",
        date_range=True,
    )
    ctx = parse_job_args(parser, argv)
    fmt = event_format(ctx.config.ingest.format)
    days = ctx.dates
    try:
        # The rules are rebuilt for every date; building them once here reports a bad setting before Spark.
        EventRules.from_settings(ctx.config.ingest, days[0], ctx.config.app.timezone)
    except ValueError as exc:
        parser.exit(2, f"configuration error: {exc}\n")
    log.info("ingesting raw dates %s..%s as %s", days[0], days[-1], fmt.name)

    spark = get_spark(ctx.config.spark, app_name="ingest_events")
    lake = open_lake(spark, ctx.config.lake)
    events = lake.table(EVENTS_TABLE, schema=BRONZE_EVENTS_SCHEMA, partition_by=BRONZE_EVENTS_PARTITIONS)
    quarantine = lake.table(
        QUARANTINE_TABLE, schema=BRONZE_QUARANTINE_SCHEMA, partition_by=BRONZE_QUARANTINE_PARTITIONS
    )
    for day in days:
        try:
            status = ingest_date(lake, ctx.config, fmt, day, events, quarantine)
        except RawFolderMissingError as exc:
            log.error("%s", exc)
            status = 1
        if status != 0:
            log.error("ingest stopped at raw date %s; re-run from there with --date %s", day, day)
            return status
    log.info("ingested raw dates %s..%s into %s and %s", days[0], days[-1], EVENTS_TABLE, QUARANTINE_TABLE)
    return 0


if __name__ == "__main__":
    sys.exit(main())
