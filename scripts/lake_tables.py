"""What the lake-checking scripts share: two lakes opened read-only in one session, and rows made comparable
(floats rounded at any depth, maps as sorted entries) so that two snapshots of a table can be compared in
Spark."""

from __future__ import annotations

from dataclasses import replace

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T

from shop_platform.config import load_config
from shop_platform.session import get_spark
from shop_platform.storage import Lake, open_lake


def open_before_and_after(app_name: str, before_root: str, after_root: str) -> tuple[Lake, Lake]:
    """The lakes under two roots, opened read-only with the local config in one Spark session."""
    config = load_config("local", [])
    spark = get_spark(config.spark, app_name=app_name)
    before, after = (
        open_lake(spark, replace(config.lake, root=root), check_writable=False)
        for root in (before_root, after_root)
    )
    return before, after


def rounded(column: Column, data_type: T.DataType, decimals: int) -> Column:
    """`column` with every float inside it rounded to `decimals` places."""
    if isinstance(data_type, (T.DoubleType, T.FloatType)):
        return F.round(column, decimals)
    if isinstance(data_type, T.ArrayType):
        return F.transform(column, lambda element: rounded(element, data_type.elementType, decimals))
    if isinstance(data_type, T.StructType):
        fields = [
            rounded(column.getField(f.name), f.dataType, decimals).alias(f.name) for f in data_type.fields
        ]
        return F.when(column.isNotNull(), F.struct(*fields))
    if isinstance(data_type, T.MapType):
        # Set operations and hashes refuse maps: compare the entries, sorted, instead.
        entries = F.array_sort(F.map_entries(column))
        entry_type = T.StructType(
            [T.StructField("key", data_type.keyType), T.StructField("value", data_type.valueType)]
        )
        return rounded(entries, T.ArrayType(entry_type), decimals)
    return column


def comparable(df: DataFrame, decimals: int, ignored: set[str]) -> DataFrame:
    """`df` without the `ignored` columns, floats rounded and maps as sorted entries."""
    return df.select(
        *[
            rounded(F.col(f.name), f.dataType, decimals).alias(f.name)
            for f in df.schema.fields
            if f.name not in ignored
        ]
    )
