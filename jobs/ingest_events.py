"""Ingest one raw date of event lines (or a back-fill range) into bronze.events and its quarantine.

    python -m jobs.ingest_events --env local --date 2026-10-09 [--from-date 2026-10-07]
    python -m jobs.ingest_events --date 2017-11-25 --set ingest.format=taobao_user_behavior

Each raw date D (folder `<ingest.raw_dir>/date=D`) replaces exactly the rows it produced before: valid
events go to bronze.events (partition ingest_date=D, and event_date = the local day they happened),
failed lines with every reason to bronze.events_quarantine (ingest_date=D). `ingested_at` is the time the
raw file landed (its modification time), so re-running a date rewrites identical rows. When more than
`ingest.max_quarantine_rate` of a date's lines are quarantined, the job writes the quarantine, leaves
bronze.events as it was for that date, and exits with 1.

A back-fill reads all its raw dates in one pass and commits each table once; every date keeps its own
rules, duplicates and account, and the tables end as if the dates had been run one by one, in order,
stopping at the first that fails.
"""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Sequence
from functools import reduce

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
    """shape.LINE_COLUMNS for every line under `<raw_dir>/date=<day>`."""
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
        F.lit(day).alias(C.INGEST_DATE),
    )


def read_raw_range(
    lake: Lake, raw_dir: str, days: Sequence[dt.date]
) -> tuple[DataFrame | None, list[dt.date]]:
    """The lines of every raw date in `days` up to the first without a folder (logged), and those dates."""
    frames, found = [], []
    for day in days:
        try:
            frames.append(read_raw_lines(lake, raw_dir, day))
        except RawFolderMissingError as exc:
            log.error("%s", exc)
            break
        found.append(day)
    return reduce(DataFrame.unionAll, frames) if frames else None, found


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


def accepted_dates(counts: dict[dt.date, IngestCounts], max_rate: float) -> list[dt.date]:
    """The raw dates before the first whose quarantine rate passes `max_rate` (logged with its counts)."""
    accepted = []
    for day, day_counts in counts.items():
        if day_counts.quarantine_rate > max_rate:
            log.error(
                "raw date %s: %d of %d lines (%.2f%%) quarantined, above ingest.max_quarantine_rate = "
                "%.2f%%; they are in %s (ingest_date=%s); %s was left unchanged for this date",
                day,
                day_counts.quarantined,
                day_counts.lines,
                100 * day_counts.quarantine_rate,
                100 * max_rate,
                QUARANTINE_TABLE,
                day,
                EVENTS_TABLE,
            )
            break
        accepted.append(day)
    return accepted


def ingest_dates(
    lines: DataFrame,
    days: Sequence[dt.date],
    config: Config,
    fmt: EventFormat,
    events: LakeTable,
    quarantine: LakeTable,
) -> list[dt.date]:
    """Ingest the raw `lines` of `days` in one pass; returns the dates whose events were written.

    Every date is validated, counted and checked for conservation. The quarantine of each date up to
    and including the first whose quarantine rate is too high is written in one commit, then the events
    of the dates before that one in another, so the tables end as if the dates had run one by one and
    stopped there.
    """
    settings, timezone = config.ingest, config.app.timezone
    rules = EventRules.from_settings(settings, timezone)
    checked = (
        fmt.to_common_shape(lines, timezone)
        .transform(validate_events, rules=rules, provided_fields=fmt.provided_fields)
        .transform(flag_duplicates)
        .persist(StorageLevel.MEMORY_AND_DISK)
    )
    try:
        # One aggregation gives every count of every date; the writes below reuse the same persisted rows.
        with timed(log, f"parse and validate raw dates {days[0]}..{days[-1]} ({fmt.name})"):
            per_date = IngestCounts.per_key(
                count_outcomes(checked, by=[C.INGEST_DATE]).collect(), C.INGEST_DATE
            )
        counts = {day: per_date.get(day, IngestCounts(0, 0, 0, 0)) for day in days}
        for day, day_counts in counts.items():
            check_conservation(day_counts, day)
            log_counts(day, day_counts)
        accepted = accepted_dates(counts, settings.max_quarantine_rate)
        inspected = days[: len(accepted) + 1]
        quarantine.overwrite_partitions(
            checked.where(F.col(C.INGEST_DATE).isin(inspected)).transform(
                quarantine_rows, ingest_format=fmt.name
            ),
            {C.INGEST_DATE: list(inspected)},
        )
        if accepted:
            events.overwrite_partitions(
                checked.where(F.col(C.INGEST_DATE).isin(accepted)).transform(valid_events, timezone=timezone),
                {C.INGEST_DATE: accepted},
            )
        log.info(
            "raw dates %s..%s: wrote %d events to %s and %d lines to %s",
            days[0],
            days[-1],
            sum(counts[day].valid for day in accepted),
            EVENTS_TABLE,
            sum(counts[day].quarantined for day in inspected),
            QUARANTINE_TABLE,
        )
        return accepted
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
        # Built here too so that a bad setting is reported before Spark starts.
        EventRules.from_settings(ctx.config.ingest, ctx.config.app.timezone)
    except ValueError as exc:
        parser.exit(2, f"configuration error: {exc}\n")
    log.info("ingesting raw dates %s..%s as %s", days[0], days[-1], fmt.name)

    spark = get_spark(ctx.config.spark, app_name="ingest_events")
    lake = open_lake(spark, ctx.config.lake)
    events = lake.table(EVENTS_TABLE, schema=BRONZE_EVENTS_SCHEMA, partition_by=BRONZE_EVENTS_PARTITIONS)
    quarantine = lake.table(
        QUARANTINE_TABLE, schema=BRONZE_QUARANTINE_SCHEMA, partition_by=BRONZE_QUARANTINE_PARTITIONS
    )
    lines, found = read_raw_range(lake, ctx.config.ingest.raw_dir, days)
    ingested = ingest_dates(lines, found, ctx.config, fmt, events, quarantine) if found else []
    if ingested != days:
        stopped = days[len(ingested)]
        log.error(
            "ingest stopped at raw date %s; re-run from there with --from-date %s --date %s",
            stopped,
            stopped,
            days[-1],
        )
        return 1
    log.info("ingested raw dates %s..%s into %s and %s", days[0], days[-1], EVENTS_TABLE, QUARANTINE_TABLE)
    return 0


if __name__ == "__main__":
    sys.exit(main())
