"""The delta-spark engine: `format("delta")` and the `DeltaTable` API, where the Delta jars are loaded."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T

from shop_platform.session import jvm_class_loaded
from shop_platform.storage.engine import HISTORY_SCHEMA, PartitionSpec, TableEngine

DELTA_TABLE_CLASS = "io.delta.tables.DeltaTable"


def delta_classes_loaded(spark: SparkSession) -> bool:
    """True when the JVM can load Delta Lake's classes (jars on the classpath)."""
    return jvm_class_loaded(spark, DELTA_TABLE_CLASS)


class DeltaSparkEngine(TableEngine):
    name = "delta-spark"

    def __init__(self, spark: SparkSession) -> None:
        super().__init__(spark)
        from delta.tables import DeltaTable  # import only where the jars exist

        self._delta_table = DeltaTable

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
        self._writer(df, "append", merge_schema).save(path)

    def overwrite(self, path: str, df: DataFrame, merge_schema: bool) -> None:
        self._writer(df, "overwrite", merge_schema).save(path)

    def overwrite_partitions(
        self, path: str, df: DataFrame, partitions: PartitionSpec, merge_schema: bool
    ) -> None:
        schema = {f.name: f.dataType for f in self.schema(path).fields}
        predicate = " AND ".join(
            f"`{column}` IN ({', '.join(_sql_literal(v, schema[column]) for v in values)})"
            for column, values in partitions.items()
        )
        self._writer(df, "overwrite", merge_schema).option("replaceWhere", predicate).save(path)

    def upsert(self, path: str, df: DataFrame, keys: Sequence[str], merge_schema: bool) -> None:
        condition = " AND ".join(f"target.`{k}` <=> source.`{k}`" for k in keys)
        if merge_schema:
            self.spark.conf.set("spark.databricks.delta.schema.autoMerge.enabled", "true")
        (
            self._delta_table.forPath(self.spark, path)
            .alias("target")
            .merge(df.alias("source"), condition)
            .whenMatchedUpdateAll()
            .whenNotMatchedInsertAll()
            .execute()
        )

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

    @staticmethod
    def _writer(df: DataFrame, mode: str, merge_schema: bool):
        return df.write.format("delta").mode(mode).option("mergeSchema", str(merge_schema).lower())


def _sql_literal(value: object, data_type: T.DataType) -> str:
    if value is None:
        raise ValueError("replaceWhere cannot select the null partition by IN; use a separate write")
    if isinstance(data_type, (T.StringType, T.DateType, T.TimestampType, T.TimestampNTZType)):
        text = value.isoformat(sep=" ") if isinstance(value, dt.datetime) else str(value)
        literal = json.dumps(text)[1:-1].replace("'", "\\'")
        prefix = {T.DateType: "DATE ", T.TimestampType: "TIMESTAMP "}.get(type(data_type), "")
        return f"{prefix}'{literal}'"
    return str(value)
