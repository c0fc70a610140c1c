"""The embedded engine: Spark writes the Parquet files, delta-rs commits them as one Delta transaction.

Used where the Delta Lake jars are not on the JVM classpath. Reads resolve the snapshot with delta-rs and
give Spark the file list and the table schema, so nothing is inferred from the files.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Sequence
from typing import Any
from urllib.parse import unquote, urlparse

from deltalake import DeltaTable, Field, Schema
from deltalake.transaction import AddAction, CommitProperties, RemoveAction
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T

from shop_platform.storage.engine import HISTORY_SCHEMA, PartitionSpec, TableEngine, TableNotFoundError
from shop_platform.storage.schema_check import aligned_schema
from shop_platform.storage.staging import (
    DataFile,
    delete_files,
    partition_values_of,
    remove_stale_staging,
    write_staged,
)

ENGINE_INFO = "shop-analytics embedded (Spark + delta-rs)"
FILE_PATH = "_file_path"
# Delta's operation metric for the rows a commit wrote; our commits keep it in their userMetadata.
OUTPUT_ROWS = "numOutputRows"


class EmbeddedEngine(TableEngine):
    name = "embedded"

    def __init__(self, spark: SparkSession, staging_retention_hours: float = 24) -> None:
        super().__init__(spark)
        self.staging_retention_hours = staging_retention_hours

    def exists(self, path: str) -> bool:
        return DeltaTable.is_deltatable(path)

    def create(self, path: str, schema: T.StructType, partition_by: Sequence[str]) -> None:
        DeltaTable.create(
            path, schema=_delta_schema(schema), partition_by=list(partition_by) or None, mode="error"
        )

    def schema(self, path: str) -> T.StructType:
        return _spark_schema(self._table(path))

    def partition_columns(self, path: str) -> list[str]:
        return list(self._table(path).metadata().partition_columns)

    def append(self, path: str, df: DataFrame, merge_schema: bool) -> None:
        table = self._table(path)
        files = write_staged(df, path, table.metadata().partition_columns)
        self._commit(table, path, files, "append", df.schema, operation="append")

    def overwrite(self, path: str, df: DataFrame, merge_schema: bool) -> None:
        table = self._table(path)
        files = write_staged(df, path, table.metadata().partition_columns)
        self._commit(table, path, files, "overwrite", df.schema, operation="overwrite")

    def overwrite_partitions(
        self, path: str, df: DataFrame, partitions: PartitionSpec, merge_schema: bool
    ) -> None:
        table = self._table(path)
        allowed = {column: {_partition_string(v) for v in values} for column, values in partitions.items()}
        files = write_staged(df, path, table.metadata().partition_columns)
        outside = [f.path for f in files if any(f.partition_values[c] not in allowed[c] for c in allowed)]
        if outside:
            delete_files(path, files)
            raise ValueError(
                f"overwrite_partitions {dict(partitions)}: the data has rows outside those partitions, "
                f"e.g. in {outside[0].rsplit('/', 1)[0]}"
            )
        filters = [(column, "in", sorted(values)) for column, values in allowed.items()]
        self._commit(
            table,
            path,
            files,
            "overwrite",
            df.schema,
            partition_filters=filters,
            operation="overwrite_partitions",
            predicate=json.dumps(filters),
        )

    def upsert(self, path: str, df: DataFrame, keys: Sequence[str], merge_schema: bool) -> None:
        # Copy-on-write MERGE: rewrite only the files holding a matching key, in the same commit.
        table = self._table(path)
        partition_by = table.metadata().partition_columns
        current = self._read_snapshot(table, path, with_file_path=True)
        touched = [
            row[FILE_PATH]
            for row in current.join(df.select(*keys), on=list(keys), how="left_semi")
            .select(FILE_PATH)
            .distinct()
            .collect()
        ]
        kept = (
            self._read_files(path, touched, _spark_schema(table)).join(
                df.select(*keys), on=list(keys), how="left_anti"
            )
            if touched
            else None
        )
        merged = df if kept is None else df.unionByName(kept, allowMissingColumns=True)
        files = write_staged(merged.select(*df.columns), path, partition_by)
        now_ms = int(time.time() * 1000)
        removes = [
            RemoveAction(
                path=relative,
                data_change=True,
                deletion_timestamp=now_ms,
                partition_values=partition_values_of(relative, partition_by),
            )
            for relative in (_relative_path(uri, path) for uri in touched)
        ]
        self._commit(
            table,
            path,
            files,
            "append",
            df.schema,
            removes=removes,
            operation="upsert",
            predicate=f"keys={list(keys)}",
        )

    def read(self, path: str, version: int | None, timestamp: dt.datetime | None) -> DataFrame:
        table = self._table(path)
        if version is not None:
            table.load_as_version(version)
        elif timestamp is not None:
            table.load_as_version(
                timestamp if timestamp.tzinfo else timestamp.replace(tzinfo=dt.timezone.utc)
            )
        return self._read_snapshot(table, path)

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
        deleted = self._table(path).vacuum(
            retention_hours=retention_hours, dry_run=False, enforce_retention_duration=False, full=True
        )
        return [*deleted, *remove_stale_staging(path, self.staging_retention_hours)]

    def _table(self, path: str) -> DeltaTable:
        if not DeltaTable.is_deltatable(path):
            raise TableNotFoundError(f"no Delta table at {path}")
        return DeltaTable(path)

    def _read_snapshot(self, table: DeltaTable, path: str, with_file_path: bool = False) -> DataFrame:
        return self._read_files(path, table.file_uris(), _spark_schema(table), with_file_path)

    def _read_files(
        self, path: str, files: Sequence[str], schema: T.StructType, with_file_path: bool = False
    ) -> DataFrame:
        columns = [F.col(name) for name in schema.fieldNames()]
        if not files:
            empty = self.spark.createDataFrame([], schema)
            return empty.withColumn(FILE_PATH, F.lit(None).cast("string")) if with_file_path else empty
        df = self.spark.read.schema(schema).option("basePath", path).parquet(*files)
        if with_file_path:
            columns.append(F.col("_metadata.file_path").alias(FILE_PATH))
        return df.select(*columns)

    def _commit(
        self,
        table: DeltaTable,
        path: str,
        files: list[DataFile],
        mode: str,
        data_schema: T.StructType,
        partition_filters: list[Any] | None = None,
        removes: Sequence[RemoveAction] = (),
        operation: str = "write",
        predicate: str | None = None,
    ) -> None:
        # The caller validated the data; this adds the columns schema evolution asked for, as nullable.
        table_schema = _spark_schema(table)
        schema = aligned_schema(path, table_schema, data_schema, merge_schema=True)
        added = [f for f in schema.fields if f.name not in table_schema.fieldNames()]
        if added:
            # delta-rs commits file actions without a metadata change, so evolution is its own commit
            # just before the data's: if the data commit never happens, the table only gained null columns.
            table.alter.add_columns([Field.from_json(json.dumps(f.jsonValue())) for f in added])
        adds = [
            AddAction(
                path=f.path,
                size=f.size,
                partition_values=f.partition_values,
                modification_time=f.modification_time,
                data_change=True,
                stats=f.stats,
            )
            for f in files
        ]
        rows = sum(json.loads(f.stats)["numRecords"] for f in files)
        metadata = {
            "clientVersion": ENGINE_INFO,
            "userMetadata": json.dumps({"operation": operation, "predicate": predicate, OUTPUT_ROWS: rows}),
        }
        try:
            table.create_write_transaction(
                [*adds, *removes],
                mode=mode,
                schema=_delta_schema(schema),
                partition_by=table.metadata().partition_columns or None,
                partition_filters=partition_filters,
                commit_properties=CommitProperties(custom_metadata=metadata),
            )
        except Exception:
            delete_files(path, files)
            raise


def _delta_schema(schema: T.StructType) -> Schema:
    return Schema.from_json(schema.json())


def _spark_schema(table: DeltaTable) -> T.StructType:
    # Delta's schema serialisation is Spark's StructType JSON, so types round-trip exactly.
    return T.StructType.fromJson(json.loads(table.schema().to_json()))


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
