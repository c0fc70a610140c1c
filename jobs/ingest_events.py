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

import argparse
import dataclasses
import datetime as dt
import sys
from collections.abc import Sequence
from typing import NoReturn

from pyspark import StorageLevel
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from shop_platform.cli import JobContext, command, job_parser
from shop_platform.logs import get_logger, timed
from shop_platform.session import get_spark, session_options
from shop_platform.settings import Config
from shop_platform.storage import Lake, LakeTable, open_lake, raw_files
from transforms import columns as C
from transforms import tables
from transforms.ingest.acceptance import DeliveryRules, accept_dates
from transforms.ingest.bronze import quarantine_rows, valid_events
from transforms.ingest.conservation import IngestCounts, check_conservation, count_outcomes
from transforms.ingest.encoding import DECODE_OPTIONS, is_utf8
from transforms.ingest.event_lines import check_event_lines
from transforms.ingest.formats import EventFormat, ReadContext, event_format, read_context
from transforms.ingest.headers import HeaderError
from transforms.ingest.mapping import check_source_settings
from transforms.ingest.shape import LINE_COLUMNS
from transforms.ingest.validate import EventRules

log = get_logger("jobs.ingest_events")

BOTH_TABLES = f"{tables.EVENTS.name} and {tables.EVENTS_QUARANTINE.name}"


def parser() -> argparse.ArgumentParser:
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
    return parser


def usage_error(message: str) -> NoReturn:
    """Stop before Spark starts with exit status 2, as a bad argument would."""
    parser().exit(2, f"{message}\n")


def context_of(lake: Lake, lines: DataFrame, fmt: EventFormat, config: Config) -> ReadContext:
    """What `fmt` needs to parse `lines`; for a format with a header, every file's header is read first
    (one read of all files, one line per file kept), so a file lacking a required column stops the run
    before any row is read.

    Raises:
        HeaderError: naming the file, the expected and the found columns.
    """
    context = read_context(fmt, config)
    if not fmt.has_header:
        return context
    groups, undecodable = raw_files.header_groups(
        lake.files, lines.inputFiles(), context.mapping.group_files, fmt.name
    )
    return dataclasses.replace(context, groups=tuple(groups), undecodable=tuple(undecodable))


def log_counts(day: dt.date, counts: IngestCounts) -> None:
    log.info(
        "raw date %s: %d input lines, %d valid, %d quarantined (%.2f%%), %d duplicates removed",
        day, counts.lines, counts.valid, counts.quarantined, 100 * counts.quarantine_rate, counts.duplicates,
    )  # fmt: skip
    for reason, rows in counts.reasons.items():
        log.info("raw date %s: quarantine reason %s: %d lines", day, reason, rows)


def rows_held(tables_: Sequence[LakeTable], days: Sequence[dt.date]) -> dict[dt.date, dict[str, int]]:
    """The rows each of `tables_` holds for each of `days` (ingest_date), where it holds any."""
    held: dict[dt.date, dict[str, int]] = {}
    for table in tables_:
        if not days or not table.exists():
            continue
        # One row per date: a handful of rows collected.
        per_date = table.read().where(F.col(C.INGEST_DATE).isin(list(days))).groupBy(C.INGEST_DATE).count()
        for row in per_date.collect():
            held.setdefault(row[C.INGEST_DATE], {})[table.name] = row["count"]
    return held


def by_raw_date(rows: DataFrame) -> DataFrame:
    """`rows` regrouped for the write so each raw date is written by one task (AQE splits a large date).

    As they come, the checked rows are spread over every shuffle partition by event id, so each task would
    write a file into every date's partition: a back-fill of 546 dates with 8 partitions, 4,368 files.
    """
    return rows.hint("rebalance", C.INGEST_DATE)


def ingest_dates(
    lake: Lake,
    lines: DataFrame,
    days: Sequence[dt.date] | None,
    config: Config,
    fmt: EventFormat,
    allow_empty: bool = False,
    by_event_date: bool = False,
) -> tuple[list[dt.date], dt.date | None]:
    """Ingest the raw `lines` of `days` (None with `by_event_date`: the dates the rows are filed under) in
    one pass; returns the raw dates whose events were written and the date the run stopped at, if any.

    Every date is validated, counted and checked for conservation (transforms.ingest.acceptance decides
    which dates are written). The quarantine of each date up to and including the first whose quarantine
    rate is too high is written in one commit, then the events of the dates before that one in another, so
    the tables end as if the dates had run one by one and stopped there.
    """
    settings, timezone = config.ingest, config.app.timezone
    events, quarantine = lake.table(tables.EVENTS), lake.table(tables.EVENTS_QUARANTINE)
    context = context_of(lake, lines, fmt, config)
    checked = check_event_lines(lines, fmt, context, settings, by_event_date).persist(
        StorageLevel.MEMORY_AND_DISK
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
            return [], None
        counts = {day: per_date.get(day, IngestCounts(0, 0, 0, 0)) for day in days}
        for day, day_counts in counts.items():
            check_conservation(day_counts, day)
            log_counts(day, day_counts)
        short = [day for day in days if counts[day].lines < settings.min_lines_per_date]
        rules = DeliveryRules(settings.min_lines_per_date, settings.max_quarantine_rate, allow_empty)
        acceptance = accept_dates(
            counts, rows_held([events, quarantine], short), rules, (events.name, quarantine.name)
        )
        for warning in acceptance.warnings:
            log.warning("%s", warning)
        if acceptance.stop is not None:
            log.error("%s", acceptance.stop)
        accepted, inspected = acceptance.events, acceptance.quarantine
        if inspected:
            quarantine.overwrite_partitions(
                by_raw_date(checked.where(F.col(C.INGEST_DATE).isin(inspected))).transform(
                    quarantine_rows, ingest_format=fmt.name
                ),
                {C.INGEST_DATE: list(inspected)},
            )
        if accepted:
            events.overwrite_partitions(
                by_raw_date(checked.where(F.col(C.INGEST_DATE).isin(accepted))).transform(
                    valid_events, timezone=timezone
                ),
                {C.INGEST_DATE: accepted},
                # A lake written before a column of the common event shape existed gains it (null before).
                merge_schema=True,
            )
        log.info(
            "raw dates %s..%s: wrote %d events to %s and %d lines to %s",
            days[0], days[-1], sum(counts[day].valid for day in accepted), events.name,
            sum(counts[day].quarantined for day in inspected), quarantine.name,
        )  # fmt: skip
        return accepted, None if len(accepted) == len(days) else days[len(accepted)]
    finally:
        checked.unpersist()


def run(ctx: JobContext) -> int:
    """Ingest the raw event lines of --date (from --from-date on a back-fill) into bronze."""
    fmt = event_format(ctx.config.ingest.format)
    days = ctx.dates
    if ctx.args.import_path is not None and len(days) > 1:
        usage_error("--import files rows under their own dates; it takes no --from-date")
    try:
        # Built here too so that a bad setting is reported before Spark starts.
        EventRules.from_settings(ctx.config.ingest, ctx.config.app.timezone)
        check_source_settings(ctx.config.ingest)
        export = raw_files.export_location(ctx.args.import_path)
    except (ValueError, FileNotFoundError) as exc:
        usage_error(f"configuration error: {exc}")
    if export is None:
        log.info("ingesting raw dates %s..%s as %s", days[0], days[-1], fmt.name)
    else:
        log.info("importing %s as %s; rows without a readable date go under %s", export, fmt.name, days[-1])

    spark = get_spark(ctx.config.spark, app_name="ingest_events")
    lake = open_lake(spark, ctx.config.lake)
    with session_options(spark, {} if is_utf8(ctx.config.ingest.encoding) else DECODE_OPTIONS):
        lines, found = raw_files.read_deliveries(
            lake.files, ctx.config.ingest.raw_dir, days, export, LINE_COLUMNS, keeping=BOTH_TABLES
        )
        if lines is None:
            return 1
        try:
            written, stopped = ingest_dates(
                lake, lines, found, ctx.config, fmt, ctx.args.allow_empty, by_event_date=export is not None
            )
        except HeaderError as exc:
            log.error("%s; nothing was read or written", exc)
            return 1
    if stopped is not None and export is not None:
        log.error(
            "import of %s stopped at raw date %s; the dates before it were written; fix the cause named above "
            "and re-run the import", export, stopped,
        )  # fmt: skip
    elif stopped is not None:
        log.error(
            "ingest stopped at raw date %s for the reason above; once it is dealt with, re-run from there "
            "with --from-date %s --date %s", stopped, stopped, days[-1],
        )  # fmt: skip
    if stopped is not None:
        return 1
    span = f"{written[0]}..{written[-1]}" if written else "(none)"
    log.info("ingested raw dates %s into %s", span, BOTH_TABLES)
    return 0


main = command(parser, run)

if __name__ == "__main__":
    sys.exit(main())
