"""Checking a DataFrame's schema against its table's, the same way for every engine."""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql.types import ArrayType, DataType, MapType, StructField, StructType


class SchemaMismatchError(ValueError):
    """The data's columns do not match the table's, and schema evolution was not asked for."""


def aligned_schema(
    table: str, table_schema: StructType, data_schema: StructType, merge_schema: bool = False
) -> StructType:
    """Return the schema the table has after this write, or raise naming every offending column.

    Every table column must be present with a type that fits the table's (the same type; nested elements,
    values and fields may be non-null where the table allows nulls). Columns the table lacks are an error unless
    `merge_schema` is set: then they are appended as nullable columns (schema evolution), so the rows
    already in the table read them as null.
    """
    table_fields = {f.name: f for f in table_schema.fields}
    data_fields = {f.name: f for f in data_schema.fields}
    problems = []
    missing = [f for name, f in table_fields.items() if name not in data_fields]
    if missing:
        problems.append("missing columns: " + ", ".join(_describe(f) for f in missing))
    mismatched = [
        f"{name} (table {f.dataType.simpleString()}, data {data_fields[name].dataType.simpleString()})"
        for name, f in table_fields.items()
        if name in data_fields and not fits(data_fields[name].dataType, f.dataType)
    ]
    if mismatched:
        problems.append("type mismatches: " + ", ".join(mismatched))
    extra = [f for name, f in data_fields.items() if name not in table_fields]
    if extra and not merge_schema:
        problems.append(
            "columns not in the table: "
            + ", ".join(_describe(f) for f in extra)
            + " (pass merge_schema=True to add them as nullable columns)"
        )
    if problems:
        raise SchemaMismatchError(f"cannot write to {table}: " + "; ".join(problems))
    if not extra:
        return table_schema
    return StructType([*table_schema.fields, *as_nullable(StructType(extra)).fields])


def fits(data_type: DataType, table_type: DataType) -> bool:
    """Whether values of `data_type` can be stored as `table_type`: the same type, where the data may
    promise non-null elements, map values or struct fields that the table allows to be null."""
    if isinstance(data_type, ArrayType) and isinstance(table_type, ArrayType):
        return fits(data_type.elementType, table_type.elementType) and (
            table_type.containsNull or not data_type.containsNull
        )
    if isinstance(data_type, MapType) and isinstance(table_type, MapType):
        return (
            fits(data_type.keyType, table_type.keyType)
            and fits(data_type.valueType, table_type.valueType)
            and (table_type.valueContainsNull or not data_type.valueContainsNull)
        )
    if isinstance(data_type, StructType) and isinstance(table_type, StructType):
        return [f.name for f in data_type.fields] == [f.name for f in table_type.fields] and all(
            fits(d.dataType, t.dataType) and (t.nullable or not d.nullable)
            for d, t in zip(data_type.fields, table_type.fields, strict=True)
        )
    return data_type == table_type


def select_in_order(df: DataFrame, schema: StructType) -> DataFrame:
    """Columns of `df` in the order and exact types of `schema`, so every data file has the table's
    layout (a column whose nested nullability differs is cast to the table's type)."""
    return df.select(
        *[
            F.col(f.name) if df.schema[f.name].dataType == f.dataType else F.col(f.name).cast(f.dataType)
            for f in schema.fields
        ]
    )


def as_nullable(schema: StructType) -> StructType:
    """Spark reads Parquet columns as nullable; tables declare them so, as delta-spark does."""
    return StructType([StructField(f.name, f.dataType, True, f.metadata) for f in schema.fields])


def _describe(field: StructField) -> str:
    return f"{field.name} ({field.dataType.simpleString()})"
