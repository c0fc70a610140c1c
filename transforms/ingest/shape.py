"""The one shape every raw event format is parsed into before validation.

Each data line of a raw file becomes exactly one row (a header line is never a data line: formats with
a header drop each file's first line), so lines in = rows out and the conservation check can hold every
format to the same account.
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T

from transforms import columns as C
from transforms.ingest.reasons import REASONS_TYPE
from transforms.schemas import RAW_EVENT_SCHEMA

# What the job reads for every line: its text, the file it came from, when that file landed, and the raw
# date (folder) it was delivered under, which the rules and the bronze partitions are relative to.
LINE_COLUMNS = (C.RAW_LINE, C.SOURCE_FILE, C.INGESTED_AT, C.INGEST_DATE)
EVENT_FIELDS = tuple(RAW_EVENT_SCHEMA.fieldNames())
# LINE_COLUMNS, the typed event fields, CATEGORY_ID, and PARSE_ERRORS (reason codes found while parsing).
COMMON_COLUMNS = (*LINE_COLUMNS, *EVENT_FIELDS, C.CATEGORY_ID, C.PARSE_ERRORS)
ITEMS_TYPE = RAW_EVENT_SCHEMA[C.ITEMS].dataType


def conform(
    df: DataFrame, fields: dict[str, Column], parse_errors: Column, raw_line: Column | None = None
) -> DataFrame:
    """Select COMMON_COLUMNS from `df`: `fields` gives the event fields a format has, the rest are null.

    Every field is cast to its RAW_EVENT_SCHEMA type (e.g. a built `items` array gets the declared
    nullability), so all formats yield one schema and the bronze table accepts any of them. `raw_line`
    replaces RAW_LINE, e.g. with configured PII columns masked (ids are hashed from the line before).
    """
    unknown = sorted(set(fields) - {*EVENT_FIELDS, C.CATEGORY_ID})
    if unknown:
        raise ValueError(f"conform: {unknown} are not fields of the common event shape")
    typed = [
        fields.get(name, F.lit(None)).cast(RAW_EVENT_SCHEMA[name].dataType).alias(name)
        for name in EVENT_FIELDS
    ]
    line = {C.RAW_LINE: raw_line} if raw_line is not None else {}
    return df.select(
        *[line.get(name, F.col(name)).alias(name) for name in LINE_COLUMNS],
        *typed,
        fields.get(C.CATEGORY_ID, F.lit(None)).cast(T.StringType()).alias(C.CATEGORY_ID),
        parse_errors.cast(REASONS_TYPE).alias(C.PARSE_ERRORS),
    )


def text_field(parts: Column, index: int) -> Column:
    """The trimmed text at `index` of a split line; blank text is null (absent)."""
    value = F.trim(parts.getItem(index))
    return F.when(value != F.lit(""), value)


def line_hash_id(prefix: str, *texts: Column) -> Column:
    """A deterministic id from the given texts: `prefix` + 32 hex digits of their SHA-256.

    128 bits make accidental collisions negligible and keep the id within the 64-character id pattern.
    """
    return F.concat(F.lit(prefix), F.substring(F.sha2(F.concat_ws("|", *texts), 256), 1, 32))
