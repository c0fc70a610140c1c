"""Staged Parquet writes for the embedded engine.

Spark writes the data files in parallel into `<table>/_staging/<write id>/`; the driver then moves them
into the table's partition folders and describes each as a Delta add action. Until a commit names them,
no Delta reader sees these files, so a write that dies before its commit leaves the table as it was.
"""

from __future__ import annotations

import contextlib
import os
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import unquote

import pyarrow.parquet as pq
from pyarrow import fs as pafs
from pyspark.sql import DataFrame

from shop_platform.storage.parquet_stats import file_stats

STAGING_DIR = "_staging"
HIVE_NULL = "__HIVE_DEFAULT_PARTITION__"


@dataclass(frozen=True)
class DataFile:
    """A Parquet file in place under the table root, not yet committed."""

    path: str  # relative to the table root, e.g. "event_date=2026-10-01/part-00000-....parquet"
    size: int
    partition_values: dict[str, str | None]
    modification_time: int  # milliseconds since the epoch
    stats: str


def filesystem(table_path: str) -> tuple[pafs.FileSystem, str]:
    """The Arrow file system of a table path, and the path within it."""
    return pafs.FileSystem.from_uri(table_path)


def partition_values_of(relative_path: str, partition_columns: Sequence[str]) -> dict[str, str | None]:
    """Partition values from a Hive-style relative path (`col=value/.../file`), unescaped as Delta wants."""
    values: dict[str, str | None] = {}
    for segment in relative_path.split("/")[:-1]:
        column, sep, raw = segment.partition("=")
        if sep:
            value = unquote(raw)
            values[unquote(column)] = None if value == HIVE_NULL else value
    missing = [c for c in partition_columns if c not in values]
    if missing:
        raise ValueError(f"data file {relative_path} has no folder for partition columns {missing}")
    return {c: values[c] for c in partition_columns}


def write_staged(df: DataFrame, table_path: str, partition_by: Sequence[str]) -> list[DataFile]:
    """Write `df` with Spark, move its files into the table folders, and describe them for a commit."""
    fs, table_dir = filesystem(table_path)
    write_id = f"{int(time.time())}-{uuid.uuid4().hex}"
    staging = f"{table_dir}/{STAGING_DIR}/{write_id}"
    try:
        df.write.mode("overwrite").partitionBy(*partition_by).parquet(
            f"{table_path}/{STAGING_DIR}/{write_id}"
        )
        staged = [
            info
            for info in fs.get_file_info(pafs.FileSelector(staging, recursive=True))
            if info.type == pafs.FileType.File and not info.base_name.startswith(("_", "."))
        ]
        moved: list[str] = []
        files = []
        try:
            for info in staged:
                relative = info.path[len(staging) + 1 :]
                target = f"{table_dir}/{relative}"
                fs.create_dir(target.rsplit("/", 1)[0], recursive=True)
                fs.move(info.path, target)
                moved.append(relative)
                _touch(fs, target)
                files.append(_describe(fs, target, relative, partition_by))
        except BaseException:
            # Files already moved into partition folders would be seen by plain Parquet readers.
            delete_paths(table_path, moved)
            raise
        return files
    finally:
        fs.delete_dir_contents(staging, missing_dir_ok=True)
        _delete_if_exists(fs, staging)


def _describe(fs: pafs.FileSystem, target: str, relative: str, partition_by: Sequence[str]) -> DataFile:
    info = fs.get_file_info(target)
    with fs.open_input_file(target) as handle:
        metadata = pq.ParquetFile(handle).metadata
    return DataFile(
        path=relative,
        size=info.size,
        partition_values=partition_values_of(relative, partition_by),
        modification_time=int(info.mtime_ns // 1_000_000),
        stats=file_stats(metadata, set(partition_by)),
    )


def delete_files(table_path: str, files: Sequence[DataFile]) -> None:
    """Remove files that were moved in place but never committed (the commit failed)."""
    delete_paths(table_path, [file.path for file in files])


def delete_paths(table_path: str, relative_paths: Sequence[str]) -> None:
    """Remove data files given by their paths relative to the table root; missing ones are skipped."""
    fs, table_dir = filesystem(table_path)
    for relative in relative_paths:
        with contextlib.suppress(FileNotFoundError):
            fs.delete_file(f"{table_dir}/{relative}")


def older_than(table_path: str, relative_paths: Sequence[str], hours: float) -> list[str]:
    """The files among `relative_paths` last modified more than `hours` ago."""
    if not relative_paths:
        return []
    fs, table_dir = filesystem(table_path)
    cutoff_ns = time.time_ns() - int(hours * 3600 * 1e9)
    infos = fs.get_file_info([f"{table_dir}/{p}" for p in relative_paths])
    return [
        p
        for p, info in zip(relative_paths, infos, strict=True)
        if info.type == pafs.FileType.File and info.mtime_ns is not None and info.mtime_ns <= cutoff_ns
    ]


def remove_stale_staging(table_path: str, older_than_hours: float) -> list[str]:
    """Delete staging folders of writes that died before their commit, older than the given age."""
    fs, table_dir = filesystem(table_path)
    root = f"{table_dir}/{STAGING_DIR}"
    cutoff_ns = time.time_ns() - int(older_than_hours * 3600 * 1e9)
    removed = []
    for info in fs.get_file_info(pafs.FileSelector(root, allow_not_found=True)):
        if info.type == pafs.FileType.Directory and info.mtime_ns is not None and info.mtime_ns <= cutoff_ns:
            fs.delete_dir(info.path)
            removed.append(f"{STAGING_DIR}/{info.base_name}")
    return removed


def _touch(fs: pafs.FileSystem, path: str) -> None:
    """Date a local file moved in place now: its age is what vacuum's uncommitted retention measures, and
    a long Spark job must not make a file look abandoned before its commit (object stores date the copy)."""
    if isinstance(fs, pafs.LocalFileSystem):
        os.utime(path)


def _delete_if_exists(fs: pafs.FileSystem, path: str) -> None:
    if fs.get_file_info(path).type == pafs.FileType.Directory:
        fs.delete_dir(path)
