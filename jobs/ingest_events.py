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

Nothing held is erased by a delivery that lost its lines. A raw date with fewer input lines than
`ingest.min_lines_per_date` (default 1: an empty folder or an empty file) for which bronze.events or its
quarantine already holds rows stops the run there and leaves both tables as they are for that date, unless
the run says `--allow-empty`; its account is logged either way. Inside a back-fill, a missing date folder
is a day without events: logged, and the tables keep what they hold for it. A single-date run whose folder
is missing fails (exit 1), and so does a back-fill none of whose folders exists: a delivery that has not
landed yet, or a wrong `ingest.raw_dir`, must not pass as a quiet day.

Lines that are not text in `ingest.encoding` (default utf-8; a UTF-16 or binary file read as UTF-8, or
a NUL character in a line) are quarantined as `bad_encoding`, with their raw line made valid UTF-8; they
count towards the quarantine rate like any other bad line.

A shop's first load is one export covering months, not a folder per day:

    python -m jobs.ingest_events --date 2026-10-31 --import /exports/orders_2026.csv \
        --set ingest.format=order_lines_csv

reads the file (or every file of a folder) in `ingest.format` and files each row under the shop-local
date of its own event time, then validates, removes duplicates, accounts and overwrites the ingest_date
partitions of the dates found exactly as a back-fill of those dates would. Rows whose time cannot be read,
or lies after --date + `ingest.timestamp_days_after`, are filed under --date, where validation quarantines
them: pick a --date inside the export's range, or one the daily feed does not use.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial, reduce
from pathlib import Path

from pyspark import StorageLevel
from pyspark.errors import AnalysisException
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from shop_platform.cli import job_parser, parse_job_args
from shop_platform.logs import get_logger, timed
from shop_platform.session import get_spark, session_options
from shop_platform.settings import Config
from shop_platform.storage import Lake, LakeTable, open_lake
from shop_platform.storage.files import LakeFiles, first_lines
from transforms import columns as C
from transforms.ingest.acceptance import DeliveryRules, accept_dates
from transforms.ingest.bronze import quarantine_rows, valid_events
from transforms.ingest.conservation import IngestCounts, check_conservation, count_outcomes
from transforms.ingest.dedupe import flag_duplicates
from transforms.ingest.encoding import DECODE_OPTIONS, decode_lines, flag_bad_encoding, is_utf8
from transforms.ingest.formats import EventFormat, ReadContext, event_format
from transforms.ingest.headers import HeaderError
from transforms.ingest.history_import import dated_by_event_time
from transforms.ingest.mapping import SourceMapping, check_source_settings
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
    return line_columns(lines, day)


def line_columns(lines: DataFrame, day: dt.date) -> DataFrame:
    """shape.LINE_COLUMNS of the text `lines` of a file source, filed under raw date `day`."""
    return lines.select(
        F.col(C.VALUE).alias(C.RAW_LINE),
        F.col(FILE_PATH).alias(C.SOURCE_FILE),
        F.col(FILE_MODIFICATION_TIME).alias(C.INGESTED_AT),
        F.lit(day).alias(C.INGEST_DATE),
    )


def read_context(lines: DataFrame, fmt: EventFormat, config: Config) -> ReadContext:
    """What `fmt` needs to parse `lines`: the shop's read settings and, for a format with a header, every
    file's header mapped onto our columns (one line read per file, before any row).

    Raises:
        HeaderError: a file's header lacks a required column (or has a misspelt one), naming the file,
            the expected and the found columns.
    """
    source = fmt.source
    context = ReadContext(
        config.app.timezone,
        SourceMapping.from_settings(source, config.ingest) if source is not None else None,
        row_status=config.ingest.order_lines.row_status,
        pii_columns=tuple(config.pii.columns.get(source.name, ())) if source is not None else (),
    )
    if not fmt.has_header:
        return context
    groups, undecodable = context.mapping.group_files(first_lines(lines.sparkSession, lines.inputFiles()))
    for group in groups:
        layout = group.layout
        if layout.extra:
            log.info(
                "%s: ignoring column(s) %s of %d file(s)", fmt.name, ",".join(layout.extra), len(group.files)
            )
        if layout.absent:
            log.warning(
                "%s: optional column(s) %s absent from %d file(s), loaded as null",
                fmt.name,
                ",".join(layout.absent),
                len(group.files),
            )
    if undecodable:
        log.warning("%s: the first line of %s is not UTF-8 text", fmt.name, ", ".join(undecodable))
    return dataclasses.replace(context, groups=tuple(groups))


def read_raw_range(
    lake: Lake, raw_dir: str, days: Sequence[dt.date]
) -> tuple[DataFrame | None, list[dt.date]]:
    """The lines of every raw date in `days` that has a folder, and those dates.

    A missing folder inside a back-fill is a day without events (a holiday, a gap in a public data set):
    logged, and the tables keep whatever they hold for it.
    """
    frames, found = [], []
    for day in days:
        try:
            frames.append(read_raw_lines(lake, raw_dir, day))
        except RawFolderMissingError as exc:
            log.warning(
                "%s; a day without events: %s and %s keep what they hold for it",
                exc,
                EVENTS_TABLE,
                QUARANTINE_TABLE,
            )
            continue
        found.append(day)
    return reduce(DataFrame.unionAll, frames) if frames else None, found


def read_import_lines(spark: SparkSession, export: str, run_date: dt.date) -> DataFrame:
    """shape.LINE_COLUMNS for every line of the export at `export` (a file, or a folder of files), all
    under `run_date` until `dated_by_event_time` files them under their own dates."""
    # The export lies outside the lake; it is read through the same file API as the raw drops.
    location = export.rstrip("/")
    parent, _, name = location.rpartition("/")
    return line_columns(LakeFiles(spark, parent or "/").read_lines(name), run_date)


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


@dataclass(frozen=True)
class IngestResult:
    """What a run wrote: the raw dates whose events were written, and the date it stopped at, if any."""

    written: list[dt.date]
    stopped_at: dt.date | None


def rows_held(tables: Sequence[LakeTable], days: Sequence[dt.date]) -> dict[dt.date, dict[str, int]]:
    """The rows each of `tables` holds for each of `days` (ingest_date), where it holds any."""
    held: dict[dt.date, dict[str, int]] = {}
    for table in tables:
        if not days or not table.exists():
            continue
        # One row per date: a handful of rows collected.
        per_date = table.read().where(F.col(C.INGEST_DATE).isin(list(days))).groupBy(C.INGEST_DATE).count()
        for row in per_date.collect():
            held.setdefault(row[C.INGEST_DATE], {})[table.name] = row["count"]
    return held


def as_delivered(parsed: DataFrame) -> DataFrame:
    """Rows stay under the raw date they were delivered under."""
    return parsed


def ingest_dates(
    lines: DataFrame,
    days: Sequence[dt.date] | None,
    config: Config,
    fmt: EventFormat,
    events: LakeTable,
    quarantine: LakeTable,
    allow_empty: bool = False,
    by_event_date: bool = False,
) -> IngestResult:
    """Ingest the raw `lines` of `days` in one pass.

    Every date is validated, counted and checked for conservation. The quarantine of each date up to
    and including the first whose quarantine rate is too high is written in one commit, then the events
    of the dates before that one in another, so the tables end as if the dates had run one by one and
    stopped there. A date with too few lines where bronze holds rows stops the run before it instead
    (neither table is written for it), unless `allow_empty`.

    Args:
        lines: shape.LINE_COLUMNS of every raw date.
        days: The raw dates, in order; None with `by_event_date`: the dates the rows are filed under.
        config: The run's config (`ingest.*`, `app.timezone`).
        fmt: The format the lines are in.
        events: bronze.events.
        quarantine: bronze.events_quarantine.
        allow_empty: Let a date with fewer than `ingest.min_lines_per_date` lines replace held rows.
        by_event_date: File each row under the local date of its own event time (a history import).
    """
    settings, timezone = config.ingest, config.app.timezone
    event_rules = EventRules.from_settings(settings, timezone)
    dating = (
        partial(dated_by_event_time, timezone=timezone, days_after=settings.timestamp_days_after)
        if by_event_date
        else as_delivered
    )
    lines = decode_lines(lines, settings.encoding)
    checked = (
        fmt.to_common_shape(lines, read_context(lines, fmt, config))
        .transform(dating)
        .transform(validate_events, rules=event_rules, provided_fields=fmt.provided_fields)
        # Before duplicates are looked for: a line that is no text is no event, whatever its id.
        .transform(flag_bad_encoding, encoding=settings.encoding)
        .transform(flag_duplicates)
        .persist(StorageLevel.MEMORY_AND_DISK)
    )
    try:
        # One aggregation gives every count of every date; the writes below reuse the same persisted rows.
        span = f"raw dates {days[0]}..{days[-1]}" if days else "the export's rows"
        with timed(log, f"parse and validate {span} ({fmt.name})"):
            per_date = IngestCounts.per_key(
                count_outcomes(checked, by=[C.INGEST_DATE]).collect(), C.INGEST_DATE
            )
        days = list(per_date) if days is None else list(days)
        if not days:
            log.warning("no input lines: nothing was written")
            return IngestResult([], None)
        counts = {day: per_date.get(day, IngestCounts(0, 0, 0, 0)) for day in days}
        for day, day_counts in counts.items():
            check_conservation(day_counts, day)
            log_counts(day, day_counts)
        short = [day for day in days if counts[day].lines < settings.min_lines_per_date]
        held = rows_held([events, quarantine], short)
        rules = DeliveryRules(settings.min_lines_per_date, settings.max_quarantine_rate, allow_empty)
        acceptance = accept_dates(counts, held, rules, (EVENTS_TABLE, QUARANTINE_TABLE))
        for warning in acceptance.warnings:
            log.warning("%s", warning)
        if acceptance.stop is not None:
            log.error("%s", acceptance.stop)
        accepted, inspected = acceptance.events, acceptance.quarantine
        if inspected:
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
                # A lake written before a column of the common event shape existed gains it (null before).
                merge_schema=True,
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
        return IngestResult(accepted, None if len(accepted) == len(days) else days[len(accepted)])
    finally:
        checked.unpersist()


def export_location(text: str | None) -> str | None:
    """The absolute path of a local --import file or folder (a URI unchanged), or None without one.

    Raises:
        FileNotFoundError: for a local path that does not exist.
    """
    if text is None:
        return None
    if "://" in text or text.startswith("dbfs:"):
        return text
    path = Path(text).expanduser().resolve()
    if not path.exists():
        raise FileNotFoundError(f"--import {text}: {path} does not exist")
    return str(path)


def read_input(
    spark: SparkSession, lake: Lake, config: Config, days: Sequence[dt.date], export: str | None
) -> tuple[DataFrame | None, list[dt.date] | None]:
    """The lines to ingest and their raw dates (None for an export, dated by its rows); no lines when
    nothing can be read (logged)."""
    raw_dir = config.ingest.raw_dir
    if export is not None:
        return read_import_lines(spark, export, days[-1]), None
    if len(days) > 1:
        lines, found = read_raw_range(lake, raw_dir, days)
        if not found:
            log.error(
                "no raw folder for any date %s..%s under %s (ingest.raw_dir=%s): nothing to ingest",
                days[0],
                days[-1],
                lake.files.path(raw_dir),
                raw_dir,
            )
        return lines, found
    try:
        return read_raw_lines(lake, raw_dir, days[0]), list(days)
    except RawFolderMissingError as exc:
        # A daily run whose delivery has not landed must fail (and be retried), not pass as a quiet day.
        log.error("%s; a back-fill (--from-date) would count it as a day without events", exc)
        return None, []


def main(argv: Sequence[str] | None = None) -> int:
    """Ingest the raw event lines of --date (from --from-date on a back-fill) into bronze."""
    parser = job_parser(
        "Ingest raw event lines into bronze.events, quarantining every bad line with reasons.",
        date_range=True,
    )
    parser.add_argument(
        "--allow-empty",
        action="store_true",
        help="let a raw date with fewer than ingest.min_lines_per_date lines replace the rows bronze holds for it",
    )
    parser.add_argument(
        "--import",
        dest="import_path",
        metavar="FILE_OR_DIR",
        default=None,
        help="load a history export (a file or a folder of files in ingest.format), filing each row under "
        "its own event date; rows without a readable time go under --date",
    )
    ctx = parse_job_args(parser, argv)
    fmt = event_format(ctx.config.ingest.format)
    days = ctx.dates
    if ctx.args.import_path is not None and len(days) > 1:
        parser.exit(2, "--import files rows under their own dates; it takes no --from-date\n")
    try:
        # Built here too so that a bad setting is reported before Spark starts.
        EventRules.from_settings(ctx.config.ingest, ctx.config.app.timezone)
        check_source_settings(ctx.config.ingest)
        export = export_location(ctx.args.import_path)
    except (ValueError, FileNotFoundError) as exc:
        parser.exit(2, f"configuration error: {exc}\n")
    if export is None:
        log.info("ingesting raw dates %s..%s as %s", days[0], days[-1], fmt.name)
    else:
        log.info("importing %s as %s; rows without a readable date go under %s", export, fmt.name, days[-1])

    spark = get_spark(ctx.config.spark, app_name="ingest_events")
    lake = open_lake(spark, ctx.config.lake)
    events = lake.table(EVENTS_TABLE, schema=BRONZE_EVENTS_SCHEMA, partition_by=BRONZE_EVENTS_PARTITIONS)
    quarantine = lake.table(
        QUARANTINE_TABLE, schema=BRONZE_QUARANTINE_SCHEMA, partition_by=BRONZE_QUARANTINE_PARTITIONS
    )
    encoding = ctx.config.ingest.encoding
    with session_options(spark, {} if is_utf8(encoding) else DECODE_OPTIONS):
        lines, found = read_input(spark, lake, ctx.config, days, export)
        if lines is None:
            return 1
        try:
            result = ingest_dates(
                lines,
                found,
                ctx.config,
                fmt,
                events,
                quarantine,
                allow_empty=ctx.args.allow_empty,
                by_event_date=export is not None,
            )
        except HeaderError as exc:
            log.error("%s; nothing was read or written", exc)
            return 1
    if result.stopped_at is not None:
        stopped = result.stopped_at
        if export is not None:
            log.error(
                "import of %s stopped at raw date %s; the dates before it were written; fix the cause "
                "named above and re-run the import",
                export,
                stopped,
            )
        else:
            log.error(
                "ingest stopped at raw date %s for the reason above; once it is dealt with, re-run from there "
                "with --from-date %s --date %s",
                stopped,
                stopped,
                days[-1],
            )
        return 1
    written = result.written
    log.info(
        "ingested raw dates %s into %s and %s",
        f"{written[0]}..{written[-1]}" if written else "(none)",
        EVENTS_TABLE,
        QUARANTINE_TABLE,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
