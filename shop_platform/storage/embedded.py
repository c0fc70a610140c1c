"""The embedded engine: Spark writes the Parquet files, delta-rs commits them as one Delta transaction.

Used where the Delta Lake jars are not on the JVM classpath. Reads resolve the snapshot with delta-rs and
give Spark the file list and the table schema, so nothing is inferred from the files.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import time
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import unquote, urlparse

import pyarrow as pa
from deltalake import DeltaTable
from deltalake.transaction import CommitProperties, RemoveAction
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T

from shop_platform.logs import get_logger
from shop_platform.storage.engine import (
    HISTORY_SCHEMA,
    MERGE_ATTEMPTS,
    ConcurrentWriteError,
    PartitionSpec,
    TableEngine,
    TableNotFoundError,
)
from shop_platform.storage.log_actions import LogChanges, logged_paths, paths_of
from shop_platform.storage.optimistic import (
    ENGINE_INFO,
    OUTPUT_ROWS,
    commit_files,
    delta_schema,
    no_conflict,
    spark_schema,
)
from shop_platform.storage.paths import canonical_location
from shop_platform.storage.staging import (
    delete_files,
    delete_paths,
    older_than,
    partition_values_of,
    remove_stale_staging,
    write_staged,
)

FILE_PATH = "_file_path"

log = get_logger(__name__)


class EmbeddedEngine(TableEngine):
    """Delta tables written by Spark and committed by delta-rs, with delta-spark's optimistic concurrency.

    Every commit is made against the snapshot its data was computed from (max_commit_retries=0). When another
    writer committed in between, the engine reads those commits' actions and decides like delta-spark: a
    blind append goes on top; a partition overwrite goes on top unless the other commits touched its
    partitions; an upsert goes on top unless they touched files or keys it reads, else it is merged again
    from the new snapshot. A write that cannot go on fails with ConcurrentWriteError, its files deleted.

    Tables are read and written under their canonical location (symbolic links resolved), the spelling
    delta-rs reports its files in; messages show the path as configured.
    """

    name = "embedded"

    def __init__(
        self,
        spark: SparkSession,
        staging_retention_hours: float = 24,
        uncommitted_retention_hours: float = 1.0,
    ) -> None:
        super().__init__(spark)
        self.staging_retention_hours = staging_retention_hours
        self.uncommitted_retention_hours = uncommitted_retention_hours

    def exists(self, path: str) -> bool:
        return DeltaTable.is_deltatable(canonical_location(path))

    def create(self, path: str, schema: T.StructType, partition_by: Sequence[str]) -> None:
        DeltaTable.create(
            canonical_location(path),
            schema=delta_schema(schema),
            partition_by=list(partition_by) or None,
            mode="error",
        )

    def schema(self, path: str) -> T.StructType:
        return spark_schema(self._table(path))

    def partition_columns(self, path: str) -> list[str]:
        return list(self._table(path).metadata().partition_columns)

    def append(self, path: str, df: DataFrame, merge_schema: bool) -> None:
        table = self._table(path)
        files = write_staged(df, canonical_location(path), table.metadata().partition_columns)
        # A blind append reads nothing, so no other writer's data commit can conflict with it.
        commit_files(
            table, path, canonical_location(path), files, "append", df.schema, no_conflict, operation="append"
        )

    def overwrite(self, path: str, df: DataFrame, merge_schema: bool) -> None:
        table = self._table(path)
        files = write_staged(df, canonical_location(path), table.metadata().partition_columns)

        def conflicts(changes: LogChanges) -> str | None:
            if changes.added or changes.removed:
                return f"{changes.describe()} changed the files of the table this overwrite replaces"
            return None

        commit_files(
            table,
            path,
            canonical_location(path),
            files,
            "overwrite",
            df.schema,
            conflicts,
            operation="overwrite",
        )

    def overwrite_partitions(
        self, path: str, df: DataFrame, partitions: PartitionSpec, merge_schema: bool, add_outside: bool
    ) -> None:
        table = self._table(path)
        allowed = {column: {_partition_string(v) for v in values} for column, values in partitions.items()}
        files = write_staged(df, canonical_location(path), table.metadata().partition_columns)
        outside = [f.path for f in files if any(f.partition_values[c] not in allowed[c] for c in allowed)]
        if outside and not add_outside:
            delete_files(canonical_location(path), files)
            raise ValueError(
                f"overwrite_partitions {dict(partitions)}: the data has rows outside those partitions, "
                f"e.g. in {outside[0].rsplit('/', 1)[0]}"
            )
        filters = [(column, "in", sorted(values)) for column, values in allowed.items()]

        def conflicts(changes: LogChanges) -> str | None:
            # As delta-spark's replaceWhere: other partitions may change meanwhile, ours may not.
            inside = changes.files_in(allowed)
            if inside:
                return f"{changes.describe()} wrote the partitions this overwrite replaces, e.g. {inside[0].path}"
            return None

        commit_files(
            table,
            path,
            canonical_location(path),
            files,
            "overwrite",
            df.schema,
            partition_filters=filters,
            operation="overwrite_partitions",
            predicate=json.dumps(filters),
            conflicts=conflicts,
        )

    def upsert(self, path: str, df: DataFrame, keys: Sequence[str], merge_schema: bool) -> None:
        for attempt in range(1, MERGE_ATTEMPTS + 1):
            try:
                self._merge(path, df, keys)
                return
            except ConcurrentWriteError as exc:
                if attempt == MERGE_ATTEMPTS:
                    raise ConcurrentWriteError(
                        f"upsert into {path}: other writers kept changing the same keys, "
                        f"gave up after {MERGE_ATTEMPTS} merges; last: {exc}"
                    ) from exc
                log.warning(
                    "%s; merging again from the new snapshot (%d of %d)", exc, attempt + 1, MERGE_ATTEMPTS
                )
                # Jitter, so two writers that conflicted do not race again in lockstep.
                time.sleep(random.uniform(0, 0.2 * attempt))

    def read(self, path: str, version: int | None, timestamp: dt.datetime | None) -> DataFrame:
        table = self._table(path)
        if version is not None:
            table.load_as_version(version)
        elif timestamp is not None:
            table.load_as_version(
                timestamp if timestamp.tzinfo else timestamp.replace(tzinfo=dt.timezone.utc)
            )
        return self._read_snapshot(table, canonical_location(path))

    def read_between(self, path: str, column: str, first: Any, last: Any) -> DataFrame:
        table = self._table(path)
        location = canonical_location(path)
        in_range = F.col(column).between(F.lit(first), F.lit(last))
        if column not in table.metadata().partition_columns:
            return self._read_snapshot(table, location).where(in_range)
        # Only the range's files: Spark lists and plans what it is given, so a whole table's file list would
        # make every dated read cost more as the history grows.
        low, high = _partition_string(first), _partition_string(last)
        files = table.file_uris(
            file_pruning_predicate=f"\"{column}\" >= '{low}' AND \"{column}\" <= '{high}'"
        )
        return self._read_files(location, files, spark_schema(table)).where(in_range)

    def partition_values(self, path: str, column: str) -> list[Any] | None:
        table = self._table(path)
        if column not in table.metadata().partition_columns:
            return None
        adds = pa.table(table.get_add_actions(flatten=True))
        if not adds.num_rows:
            return []
        values = adds.column(f"partition.{column}").to_pylist()
        # A file without a record count in its statistics is taken to hold rows.
        records = adds.column("num_records").to_pylist()
        return list({value for value, n in zip(values, records, strict=True) if n is None or n > 0})

    def version(self, path: str) -> int:
        return self._table(path).version()

    def rows_written(self, path: str) -> int | None:
        latest = self._table(path).history(limit=1)
        metadata = json.loads(latest[0].get("userMetadata") or "{}") if latest else {}
        return metadata.get(OUTPUT_ROWS)

    def history(self, path: str) -> DataFrame:
        rows = [
            (
                entry["version"],
                dt.datetime.fromtimestamp(entry["timestamp"] / 1000, tz=dt.timezone.utc),
                (entry.get("userMetadata") and json.loads(entry["userMetadata"]).get("operation"))
                or entry.get("shopOperation")
                or entry.get("operation"),
                _string_map(entry.get("operationParameters")),
                _string_map(entry.get("operationMetrics")) | _output_rows(entry),
            )
            for entry in self._table(path).history()
        ]
        return self.spark.createDataFrame(rows, HISTORY_SCHEMA).orderBy(F.col("version").desc())

    def vacuum(self, path: str, retention_hours: int) -> list[str]:
        location = canonical_location(path)
        table = self._table(path)
        deleted = table.vacuum(
            retention_hours=retention_hours, dry_run=False, enforce_retention_duration=False, full=True
        )
        uncommitted: list[str] = []
        if self.uncommitted_retention_hours < retention_hours:
            # A full vacuum's candidates are files the snapshot does not hold: removed by a commit, or never
            # committed (a killed write's). Only the latter may go sooner, as no version can need them.
            candidates = table.vacuum(
                retention_hours=0, dry_run=True, enforce_retention_duration=False, full=True
            )
            logged = logged_paths(location)
            uncommitted = older_than(
                location,
                [p for p in candidates if p not in logged and unquote(p) not in logged],
                self.uncommitted_retention_hours,
            )
            delete_paths(location, uncommitted)
        return [*deleted, *uncommitted, *remove_stale_staging(location, self.staging_retention_hours)]

    def properties(self, path: str) -> dict[str, str]:
        return dict(self._table(path).metadata().configuration)

    def set_properties(self, path: str, properties: Mapping[str, str]) -> None:
        # delta-rs only knows `delta.*` keys; raise_if_not_exists=False lets custom keys through.
        self._table(path).alter.set_table_properties(
            dict(properties),
            raise_if_not_exists=False,
            commit_properties=CommitProperties(
                custom_metadata={
                    "clientVersion": ENGINE_INFO,
                    "userMetadata": json.dumps({"operation": "set_properties", OUTPUT_ROWS: 0}),
                }
            ),
        )

    def _merge(self, path: str, df: DataFrame, keys: Sequence[str]) -> None:
        """One copy-on-write MERGE: rewrite only the files holding a matching key, in the same commit."""
        location = canonical_location(path)
        table = self._table(path)
        partition_by = table.metadata().partition_columns
        table_schema = spark_schema(table)
        source_keys = df.select(*keys)
        current = self._read_snapshot(table, location, with_file_path=True)
        touched = [
            _relative_path(row[FILE_PATH], location)
            for row in current.join(source_keys, on=list(keys), how="left_semi")
            .select(FILE_PATH)
            .distinct()
            .collect()
        ]
        kept = (
            self._read_files(location, [f"{location}/{t}" for t in touched], table_schema).join(
                source_keys, on=list(keys), how="left_anti"
            )
            if touched
            else None
        )
        merged = df if kept is None else df.unionByName(kept, allowMissingColumns=True)
        now_ms = int(time.time() * 1000)
        removes = [
            RemoveAction(
                path=relative,
                data_change=True,
                deletion_timestamp=now_ms,
                partition_values=partition_values_of(relative, partition_by),
            )
            for relative in touched
        ]

        def conflicts(changes: LogChanges) -> str | None:
            lost = paths_of(changes.removed) & set(touched)
            if lost:
                return (
                    f"{changes.describe()} removed {sorted(lost)[0]}, which holds keys this upsert rewrites"
                )
            added = [f"{location}/{f.path}" for f in changes.live_added()]
            if (
                added
                and self._read_files(location, added, table_schema)
                .join(source_keys, on=list(keys), how="left_semi")
                .limit(1)
                .count()
            ):
                return f"{changes.describe()} added rows with keys this upsert writes"
            return None

        files = write_staged(merged.select(*df.columns), location, partition_by)
        commit_files(
            table,
            path,
            canonical_location(path),
            files,
            "append",
            df.schema,
            removes=removes,
            operation="upsert",
            predicate=f"keys={list(keys)}",
            conflicts=conflicts,
        )

    def _table(self, path: str) -> DeltaTable:
        location = canonical_location(path)
        if not DeltaTable.is_deltatable(location):
            raise TableNotFoundError(f"no Delta table at {path}")
        return DeltaTable(location)

    def _read_snapshot(self, table: DeltaTable, location: str, with_file_path: bool = False) -> DataFrame:
        return self._read_files(location, table.file_uris(), spark_schema(table), with_file_path)

    def _read_files(
        self, location: str, files: Sequence[str], schema: T.StructType, with_file_path: bool = False
    ) -> DataFrame:
        columns = [F.col(name) for name in schema.fieldNames()]
        if not files:
            empty = self.spark.createDataFrame([], schema)
            return empty.withColumn(FILE_PATH, F.lit(None).cast("string")) if with_file_path else empty
        # basePath and the files must be spelt alike (both canonical), or Spark rejects the basePath.
        df = self.spark.read.schema(schema).option("basePath", location).parquet(*files)
        if with_file_path:
            columns.append(F.col("_metadata.file_path").alias(FILE_PATH))
        return df.select(*columns)


def _partition_string(value: Any) -> str:
    """A partition value as Delta's log and Hive-style folders spell it."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat(sep=" ") if isinstance(value, dt.datetime) else value.isoformat()
    return str(value)


def _output_rows(entry: dict[str, Any]) -> dict[str, str]:
    """numOutputRows, as delta-spark names it, from what our commits record in userMetadata."""
    try:
        rows = json.loads(entry.get("userMetadata") or "{}").get(OUTPUT_ROWS)
    except (ValueError, AttributeError):
        return {}
    return {} if rows is None else {OUTPUT_ROWS: str(rows)}


def _string_map(values: dict[str, Any] | None) -> dict[str, str]:
    return {k: v if isinstance(v, str) else json.dumps(v) for k, v in (values or {}).items()}


def _relative_path(file_uri: str, table_path: str) -> str:
    """A data file's path relative to the table root, from the URI Spark reports for it."""
    parsed = urlparse(file_uri)
    file_path = unquote(parsed.path) if parsed.scheme in ("", "file") else file_uri
    root = urlparse(table_path).path if "://" in table_path else table_path
    prefix = root.rstrip("/") + "/"
    if not file_path.startswith(prefix):
        raise ValueError(f"data file {file_uri} is not under the table root {table_path}")
    return file_path[len(prefix) :]
