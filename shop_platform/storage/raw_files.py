"""Raw deliveries as files: which files a delivery holds, their headers, and their lines with the file each
line came from and when that file landed.

The three ingest jobs read their inputs through here: the catalogue exports (`raw/<source>/`, CSV with a
header), the daily event drops (`<ingest.raw_dir>/date=YYYY-MM-DD/`) and a history export outside the
lake (`ingest_events --import`). It lives in the storage package because it touches files; what a header
means is the caller's (transforms.ingest.mapping.SourceMapping, passed in as a `HeaderMapping`), as are
the names of the columns rows are read under, since the platform imports nothing from transforms.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping, Sequence
from functools import reduce
from pathlib import Path
from typing import Any, Protocol, TypeVar
from urllib.parse import unquote

from pyspark.errors import AnalysisException
from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T

from shop_platform.logs import get_logger
from shop_platform.session import session_options
from shop_platform.storage.files import FILE_PATH, LakeFiles

log = get_logger(__name__)

# Spark's hidden per-file metadata: when the file was last modified, i.e. when the delivery landed. Rows
# take it as their ingestion time, so re-reading the same files gives the same rows.
FILE_MODIFICATION_TIME = "_metadata.file_modification_time"
# The text source's one column.
_VALUE = "value"
# Where in its file the split a row was read from starts: 0 for the split holding the file's first line.
_FILE_BLOCK_START = "_metadata.file_block_start"
# The raw date a line of a back-fill was delivered under: its file's folder `date=YYYY-MM-DD` (the last
# such folder of the path, so a raw_dir that itself sits under a `date=` folder does not confuse it).
_DATE_FOLDER = r".*/date=([0-9]{4}-[0-9]{2}-[0-9]{2})/"
_FOLDER_NAME = re.compile(r"date=([0-9]{4}-[0-9]{2}-[0-9]{2})")
# Spark lists more than 32 paths (a back-fill's folders, the files whose headers are read) with a job of one
# task per path; listed on the driver instead, each costs a file-system call rather than a task, which on a
# small or busy cluster is the larger cost by far (546 daily folders: over a minute of tasks on a loaded
# 2-core machine).
_LIST_ON_DRIVER = {"spark.sql.sources.parallelPartitionDiscovery.threshold": "10000"}


class RawFolderMissingError(FileNotFoundError):
    """The raw folder of a date does not exist."""


class FileLayout(Protocol):
    """One header mapped onto a source's columns (transforms.ingest.headers.HeaderMap)."""

    @property
    def absent(self) -> Sequence[str]: ...

    @property
    def extra(self) -> Sequence[str]: ...


class FileGroup(Protocol):
    """Files of one delivery sharing one header (transforms.ingest.mapping.FileGroup)."""

    @property
    def layout(self) -> Any: ...

    @property
    def files(self) -> Sequence[str]: ...


Group = TypeVar("Group", bound=FileGroup)


class HeaderMapping(Protocol):
    """How one source's files are read by header name (transforms.ingest.mapping.SourceMapping)."""

    @property
    def columns(self) -> Sequence[str]: ...

    def group_files(self, first_lines: Mapping[str, str]) -> tuple[Sequence[FileGroup], list[str]]: ...

    def read_schema(self, layout: Any, corrupt_record: str) -> T.StructType: ...

    def select_columns(self, raw: DataFrame, layout: Any, *extra: Column) -> DataFrame: ...


def delivery_folder(source: str) -> str:
    """The folder under the lake root a catalogue-style source is delivered to: `raw/<source>`."""
    return f"raw/{source}"


def file_origin(source_file: str, ingested_at: str) -> list[Column]:
    """The file each row of a file read came from and when that file landed, under the given names."""
    return [F.col(FILE_PATH).alias(source_file), F.col(FILE_MODIFICATION_TIME).alias(ingested_at)]


def delivered_files(files: LakeFiles, folder: str) -> list[str] | None:
    """The files of the delivery folder `folder`; None (with a warning) when the folder does not exist."""
    try:
        return files.list_files(folder)
    except AnalysisException as exc:
        if exc.getCondition() == "PATH_NOT_FOUND":
            log.warning("%s does not exist: no %s delivered, skipped", files.path(folder), folder)
            return None
        raise


def header_groups(
    files: LakeFiles,
    paths: Sequence[str],
    group_files: Callable[[Mapping[str, str]], tuple[Sequence[Group], list[str]]],
    label: str,
) -> tuple[list[Group], list[str]]:
    """Read the first line (the header) of each of `paths` and group the files by it with `group_files`
    (SourceMapping.group_files), logging under `label` the columns each group ignores or lacks, and the
    files that are not UTF-8 text (their lines go to quarantine).

    Returns:
        The groups, and the files whose first line is not UTF-8 text.

    Raises:
        HeaderError: from `group_files`, naming the file, the expected and the found columns.
    """
    groups, undecodable = group_files(first_lines(files.spark, paths))
    for group in groups:
        layout = group.layout
        if layout.extra:
            log.info(
                "%s: ignoring column(s) %s of %d file(s)", label, ",".join(layout.extra), len(group.files)
            )
        if layout.absent:
            log.warning(
                "%s: optional column(s) %s absent from %d file(s), loaded as null",
                label,
                ",".join(layout.absent),
                len(group.files),
            )
    if undecodable:
        log.warning("%s: %s not UTF-8 text; their lines go to quarantine", label, ", ".join(undecodable))
    return list(groups), undecodable


def first_lines(spark: SparkSession, paths: Sequence[str]) -> dict[str, str]:
    """The first line (a header) of each of `paths`, keyed by the file path rows of the file report, from
    one read of all of them: one Spark job whatever the number of files. Empty files are left out (they
    have neither a header nor rows).

    Args:
        spark: The session.
        paths: File URIs, as `DataFrame.inputFiles()` or `LakeFiles.list_files` give them.
    """
    if not paths:
        return {}
    # Within a split rows keep the file's order, and so do their ids; the split starting at offset 0 holds
    # the first line. A handful of rows is collected: one per file.
    position = F.monotonically_increasing_id()
    with session_options(spark, _LIST_ON_DRIVER):
        read = spark.read.text([unquote(path) for path in paths])
    firsts = (
        read.where(F.col(_FILE_BLOCK_START) == F.lit(0))
        .select(F.col(_VALUE), F.col(FILE_PATH).alias("file"), position.alias("position"))
        .groupBy("file")
        .agg(F.min_by(F.col(_VALUE), F.col("position")).alias(_VALUE))
    )
    return {row["file"]: row[_VALUE] for row in firsts.collect()}


def read_csv_delivery(
    files: LakeFiles, folder: str, mapping: HeaderMapping, record_columns: Sequence[str]
) -> DataFrame | None:
    """The CSV files of `folder` mapped by header name onto `mapping.columns` (as text), followed by
    `record_columns`: (the corrupt record, the source file, the ingestion time); None when the folder
    does not exist.

    Each file's header is read first (one line per file), so a file lacking a required column stops the
    run before any row is read. Files with different headers are read group by group and united; the lines
    of files that are not UTF-8 text come whole in the corrupt record column.

    Raises:
        HeaderError: naming the file, the expected and the found columns.
    """
    paths = delivered_files(files, folder)
    if paths is None:
        return None
    corrupt_record, source_file, ingested_at = record_columns
    groups, undecodable = header_groups(files, paths, mapping.group_files, folder)
    origin = file_origin(source_file, ingested_at)
    frames = [
        mapping.select_columns(
            files.read_csv_files(group.files, mapping.read_schema(group.layout, corrupt_record)),
            group.layout,
            F.col(corrupt_record),
            *origin,
        )
        for group in groups
    ]
    if undecodable:
        frames.append(
            files.read_text_files(undecodable).select(
                *[F.lit(None).cast(T.StringType()).alias(name) for name in mapping.columns],
                F.col(_VALUE).alias(corrupt_record),
                *origin,
            )
        )
    if not frames:
        log.warning("%s holds no rows", files.path(folder))
        schema = T.StructType(
            [T.StructField(n, T.StringType()) for n in (*mapping.columns, corrupt_record, source_file)]
            + [T.StructField(ingested_at, T.TimestampType())]
        )
        return files.spark.createDataFrame([], schema)
    return reduce(DataFrame.unionByName, frames)


def line_columns(lines: DataFrame, day: dt.date | None, columns: Sequence[str]) -> DataFrame:
    """The text `lines` of a file read as `columns`: (the line, its source file, its ingestion time, the raw
    date it is filed under: `day`, or with None the date of its file's `date=YYYY-MM-DD` folder)."""
    line, source_file, ingested_at, raw_date = columns
    filed_under = (
        F.lit(day) if day is not None else F.to_date(F.regexp_extract(F.col(FILE_PATH), _DATE_FOLDER, 1))
    )
    return lines.select(
        F.col(_VALUE).alias(line), *file_origin(source_file, ingested_at), filed_under.alias(raw_date)
    )


def date_folder(raw_dir: str, day: dt.date) -> str:
    """The folder of raw date `day` under the lake root: `<raw_dir>/date=YYYY-MM-DD`."""
    return f"{raw_dir.strip('/')}/date={day.isoformat()}"


def read_raw_date(files: LakeFiles, raw_dir: str, day: dt.date, columns: Sequence[str]) -> DataFrame:
    """Every line under `<raw_dir>/date=<day>` as `columns` (see `line_columns`).

    Raises:
        RawFolderMissingError: the folder does not exist.
    """
    folder = date_folder(raw_dir, day)
    try:
        lines = files.read_lines(folder)
    except AnalysisException as exc:
        if exc.getCondition() == "PATH_NOT_FOUND":
            raise RawFolderMissingError(_no_folder(files, raw_dir, day)) from exc
        raise
    return line_columns(lines, day, columns)


def read_raw_dates(
    files: LakeFiles, raw_dir: str, days: Sequence[dt.date], columns: Sequence[str], keeping: str
) -> tuple[DataFrame | None, list[dt.date]]:
    """The lines of every raw date in `days` that has a folder, as `columns` (see `line_columns`), and
    those dates.

    One listing of `raw_dir` finds the folders, one reader reads them all, and each line takes its raw
    date from its file's folder: the plan, and what every task deserializes, stays the same size however
    many dates the range holds. An empty folder is a date with no lines; a missing one is a day without
    events (a holiday, a gap in a public data set), logged, naming what `keeping` the tables it would
    have written keep for it.
    """
    present = _date_folders(files, raw_dir)
    found = []
    for day in days:
        if day in present:
            found.append(day)
        else:
            log.warning(
                "%s; a day without events: %s keep what they hold for it",
                _no_folder(files, raw_dir, day),
                keeping,
            )
    if not found:
        return None, []
    with session_options(files.spark, _LIST_ON_DRIVER):
        lines = files.read_text_files([files.path(date_folder(raw_dir, day)) for day in found])
    return line_columns(lines, None, columns), found


def _no_folder(files: LakeFiles, raw_dir: str, day: dt.date) -> str:
    return f"no raw files for {day}: {files.path(date_folder(raw_dir, day))} does not exist (ingest.raw_dir={raw_dir})"


def _date_folders(files: LakeFiles, raw_dir: str) -> set[dt.date]:
    """The dates that have a `date=YYYY-MM-DD` folder under `raw_dir`, from one listing on the driver.

    Hadoop's file system (the one Spark reads with), since a Spark read cannot tell an empty folder from
    a missing one, and an empty delivery must stay a date of the run (it may not erase a held date).
    """
    jvm, hadoop_conf = files.spark.sparkContext._jvm, files.spark.sparkContext._jsc.hadoopConfiguration()
    pattern = jvm.org.apache.hadoop.fs.Path(files.path(f"{raw_dir.strip('/')}/date=*"))
    # None when raw_dir itself is missing on some file systems, an empty array on others.
    statuses = pattern.getFileSystem(hadoop_conf).globStatus(pattern) or []
    names = [status.getPath().getName() for status in statuses if status.isDirectory()]
    return {day for day in map(_folder_date, names) if day is not None}


def _folder_date(name: str) -> dt.date | None:
    """The date of a folder named `date=YYYY-MM-DD`; None for another name or no real date."""
    match = _FOLDER_NAME.fullmatch(name)
    try:
        return dt.date.fromisoformat(match.group(1)) if match else None
    except ValueError:
        return None


def export_location(text: str | None) -> str | None:
    """The absolute path of a local export file or folder (a URI unchanged), or None without one.

    Raises:
        FileNotFoundError: for a local path that does not exist, naming `--import`.
    """
    if text is None:
        return None
    if "://" in text or text.startswith("dbfs:"):
        return text
    path = Path(text).expanduser().resolve()
    if not path.exists():
        raise FileNotFoundError(f"--import {text}: {path} does not exist")
    return str(path)


def read_export(spark: SparkSession, export: str, day: dt.date, columns: Sequence[str]) -> DataFrame:
    """Every line of the export at `export` (a file, or a folder of files) as `columns`, all filed under
    `day` (see `line_columns`)."""
    # The export lies outside the lake; it is read through the same file API as the raw drops.
    location = export.rstrip("/")
    parent, _, name = location.rpartition("/")
    return line_columns(LakeFiles(spark, parent or "/").read_lines(name), day, columns)


def read_deliveries(
    files: LakeFiles,
    raw_dir: str,
    days: Sequence[dt.date],
    export: str | None,
    columns: Sequence[str],
    keeping: str,
) -> tuple[DataFrame | None, list[dt.date] | None]:
    """The lines of an event ingest as `columns` (see `line_columns`), and their raw dates: the export at
    `export` (all under the last of `days`; None for the dates, which its rows decide), else every date of
    `days` that has a folder under `raw_dir`. No lines (logged) when nothing can be read: a back-fill none
    of whose folders exists, or a single date whose folder is missing, since a daily delivery that has not
    landed must fail (and be retried), not pass as a quiet day.
    """
    if export is not None:
        return read_export(files.spark, export, days[-1], columns), None
    if len(days) > 1:
        lines, found = read_raw_dates(files, raw_dir, days, columns, keeping)
        if not found:
            log.error(
                "no raw folder for any date %s..%s under %s (ingest.raw_dir=%s): nothing to ingest",
                days[0], days[-1], files.path(raw_dir), raw_dir,
            )  # fmt: skip
        return lines, found
    try:
        return read_raw_date(files, raw_dir, days[0], columns), list(days)
    except RawFolderMissingError as exc:
        log.error("%s; a back-fill (--from-date) would count it as a day without events", exc)
        return None, []
