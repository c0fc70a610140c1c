"""The delta-spark engine: `format("delta")` and the `DeltaTable` API, where the Delta jars are loaded."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T

from shop_platform.logs import get_logger
from shop_platform.session import jvm_class_loaded
from shop_platform.storage.engine import (
    HISTORY_SCHEMA,
    MERGE_ATTEMPTS,
    ConcurrentWriteError,
    PartitionSpec,
    TableEngine,
)

DELTA_TABLE_CLASS = "io.delta.tables.DeltaTable"

log = get_logger(__name__)


def delta_classes_loaded(spark: SparkSession) -> bool:
    """True when the JVM can load Delta Lake's classes (jars on the classpath)."""
    return jvm_class_loaded(spark, DELTA_TABLE_CLASS)


class DeltaSparkEngine(TableEngine):
    """Delta tables through delta-spark, whose optimistic transactions decide concurrent writes.

    A replaceWhere overwrite conflicts only with commits in its partitions and a MERGE with commits that
    added or removed data it read (Concurrent*Exception, nothing written): the rules the embedded engine
    copies. As there, an upsert that lost a race is merged again from the new snapshot; other writes that
    lost one raise ConcurrentWriteError.
    """

    name = "delta-spark"

    def __init__(self, spark: SparkSession) -> None:
        super().__init__(spark)
        from delta import exceptions as delta_errors
        from delta.tables import DeltaTable  # import only where the jars exist

        self._delta_table = DeltaTable
        self._conflicts: tuple[type[Exception], ...] = (
            delta_errors.ConcurrentAppendException,
            delta_errors.ConcurrentDeleteReadException,
            delta_errors.ConcurrentDeleteDeleteException,
            delta_errors.ConcurrentTransactionException,
            delta_errors.MetadataChangedException,
            delta_errors.ProtocolChangedException,
        )

    def exists(self, path: str) -> bool:
        return self._delta_table.isDeltaTable(self.spark, path)

    def create(self, path: str, schema: T.StructType, partition_by: Sequence[str]) -> None:
        builder = self._delta_table.create(self.spark).location(path).addColumns(schema)
        if partition_by:
            builder = builder.partitionedBy(*partition_by)
        builder.execute()

    def schema(self, path: str) -> T.StructType:
        return self.spark.read.format("delta").load(path).schema

    def partition_columns(self, path: str) -> list[str]:
        detail = self._delta_table.forPath(self.spark, path).detail().select("partitionColumns").first()
        return list(detail["partitionColumns"])

    def append(self, path: str, df: DataFrame, merge_schema: bool) -> None:
        self._save(self._writer(df, "append", merge_schema), path, "append")

    def overwrite(self, path: str, df: DataFrame, merge_schema: bool) -> None:
        self._save(self._writer(df, "overwrite", merge_schema), path, "overwrite")

    def overwrite_partitions(
        self, path: str, df: DataFrame, partitions: PartitionSpec, merge_schema: bool, add_outside: bool
    ) -> None:
        schema = {f.name: f.dataType for f in self.schema(path).fields}
        predicate = " AND ".join(
            f"`{column}` IN ({', '.join(_sql_literal(v, schema[column]) for v in values)})"
            for column, values in partitions.items()
        )
        writer = self._writer(df, "overwrite", merge_schema).option("replaceWhere", predicate)
        if not add_outside:
            self._save(writer, path, "overwrite_partitions")
            return
        # With the check off, delta-spark removes what the predicate matches and adds every row written.
        check = "spark.databricks.delta.replaceWhere.constraintCheck.enabled"
        previous = self.spark.conf.get(check, "true")
        self.spark.conf.set(check, "false")
        try:
            self._save(writer, path, "overwrite_partitions")
        finally:
            self.spark.conf.set(check, previous)

    def upsert(self, path: str, df: DataFrame, keys: Sequence[str], merge_schema: bool) -> None:
        condition = " AND ".join(f"target.`{k}` <=> source.`{k}`" for k in keys)
        if merge_schema:
            self.spark.conf.set("spark.databricks.delta.schema.autoMerge.enabled", "true")
        for attempt in range(1, MERGE_ATTEMPTS + 1):
            try:
                (
                    self._delta_table.forPath(self.spark, path)
                    .alias("target")
                    .merge(df.alias("source"), condition)
                    .whenMatchedUpdateAll()
                    .whenNotMatchedInsertAll()
                    .execute()
                )
                return
            except self._conflicts as exc:
                if attempt == MERGE_ATTEMPTS:
                    raise ConcurrentWriteError(
                        f"upsert into {path}: other writers kept changing the same data, "
                        f"gave up after {MERGE_ATTEMPTS} merges; last: {type(exc).__name__}"
                    ) from exc
                log.warning("upsert into %s lost a race (%s); merging again", path, type(exc).__name__)

    def read(self, path: str, version: int | None, timestamp: dt.datetime | None) -> DataFrame:
        reader = self.spark.read.format("delta")
        if version is not None:
            reader = reader.option("versionAsOf", version)
        elif timestamp is not None:
            reader = reader.option("timestampAsOf", timestamp.isoformat(sep=" "))
        return reader.load(path)

    def version(self, path: str) -> int:
        return int(self._delta_table.forPath(self.spark, path).history(1).first()["version"])

    def rows_written(self, path: str) -> int | None:
        latest = self._delta_table.forPath(self.spark, path).history(1).select("operationMetrics").first()
        rows = (latest[0] or {}).get("numOutputRows") if latest else None
        return None if rows is None else int(rows)

    def history(self, path: str) -> DataFrame:
        history = self._delta_table.forPath(self.spark, path).history()
        return history.select(
            F.col("version").cast("long"),
            F.col("timestamp").cast("timestamp"),
            F.col("operation"),
            F.col("operationParameters").alias("operation_parameters"),
            F.col("operationMetrics").alias("operation_metrics"),
        ).select(*[F.col(f.name).cast(f.dataType) for f in HISTORY_SCHEMA.fields])

    def vacuum(self, path: str, retention_hours: int) -> list[str]:
        self.spark.conf.set("spark.databricks.delta.retentionDurationCheck.enabled", "false")
        self._delta_table.forPath(self.spark, path).vacuum(float(retention_hours))
        return []  # delta-spark logs the deleted files but does not return them

    def properties(self, path: str) -> dict[str, str]:
        detail = self._delta_table.forPath(self.spark, path).detail().select("properties").first()
        return dict(detail["properties"] or {})

    def set_properties(self, path: str, properties: Mapping[str, str]) -> None:
        assignments = ", ".join(f"{_sql_string(k)} = {_sql_string(v)}" for k, v in properties.items())
        self.spark.sql(f"ALTER TABLE delta.`{path.replace('`', '``')}` SET TBLPROPERTIES ({assignments})")

    def _save(self, writer, path: str, operation: str) -> None:
        try:
            writer.save(path)
        except self._conflicts as exc:
            raise ConcurrentWriteError(
                f"{operation} on {path}: a concurrent commit changed data this write depends on "
                f"({type(exc).__name__}); nothing was written"
            ) from exc

    @staticmethod
    def _writer(df: DataFrame, mode: str, merge_schema: bool):
        return df.write.format("delta").mode(mode).option("mergeSchema", str(merge_schema).lower())


def _sql_string(text: str) -> str:
    """A single-quoted Spark SQL string literal."""
    return "'" + json.dumps(str(text))[1:-1].replace("'", "\\'") + "'"


def _sql_literal(value: object, data_type: T.DataType) -> str:
    if value is None:
        raise ValueError("replaceWhere cannot select the null partition by IN; use a separate write")
    if isinstance(data_type, (T.StringType, T.DateType, T.TimestampType, T.TimestampNTZType)):
        text = value.isoformat(sep=" ") if isinstance(value, dt.datetime) else str(value)
        literal = json.dumps(text)[1:-1].replace("'", "\\'")
        prefix = {T.DateType: "DATE ", T.TimestampType: "TIMESTAMP "}.get(type(data_type), "")
        return f"{prefix}'{literal}'"
    return str(value)
