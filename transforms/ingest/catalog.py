"""Catalogue deliveries (users, items): CSV text typed field by field, with every problem as a reason.

Files are read by header name (transforms/ingest/headers.py) with every column as text plus a
corrupt-record column, then cast here with try_cast, so a birth year of "n/a" is `wrong_type:birth_year`
instead of a silent null, and a line with the wrong number of fields is `malformed_csv`. A row whose bytes
were not UTF-8 (the reader turns them into U+FFFD) or that holds NUL characters (UTF-16 text read as UTF-8)
is `bad_encoding`. The key must be present, match its id pattern and be unique in the delivery (two rows
with one key would make the upsert ambiguous: both go to quarantine). The quarantine's RECORD is masked
(transforms/ingest/masking.py): configured PII columns and anything that looks like a phone or e-mail.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from functools import reduce
from types import MappingProxyType

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F
from pyspark.sql import types as T

from transforms import columns as C
from transforms.ingest.masking import mask_contacts, mask_json_fields
from transforms.ingest.reasons import (
    BAD_ENCODING,
    MALFORMED_CSV,
    bad_id,
    collect_reasons,
    duplicate_key,
    missing,
    wrong_type,
)
from transforms.schemas import BRONZE_CATALOG_QUARANTINE_SCHEMA

# What a delivery's rows carry after the source's columns (shop_platform.storage.raw_files reads them so):
# the whole line when it does not split into the header's fields, the file, and when the file landed.
RECORD_COLUMNS = (C.CORRUPT_RECORD, C.SOURCE_FILE, C.INGESTED_AT)


def undecodable(text: Column) -> Column:
    """True where `text` holds U+FFFD (what the reader makes of bytes that are not UTF-8) or NUL."""
    return text.contains("\ufffd") | text.contains("\u0000")


def check_catalog(raw: DataFrame, fields: T.StructType, key: str, id_pattern: str | None) -> DataFrame:
    """Type each field of `fields` and add REASONS.

    Args:
        raw: The `fields` columns as text, CORRUPT_RECORD, SOURCE_FILE, INGESTED_AT.
        fields: The typed columns wanted, in order.
        key: The id column (USER_ID, ITEM_ID).
        id_pattern: Regular expression the key must match in full (`ingest.id_patterns`), or None.

    Returns:
        `fields` typed, SOURCE_FILE, INGESTED_AT, RECORD (the row's text fields as JSON), REASONS,
        IS_DUPLICATE (always false: a repeated key is quarantined, not deduplicated).
    """
    text = {f.name: F.nullif(F.trim(F.col(f.name)), F.lit("")) for f in fields.fields}
    typed = {f.name: text[f.name].try_cast(f.dataType) for f in fields.fields}
    malformed = F.col(C.CORRUPT_RECORD).isNotNull()
    copies = F.count(F.lit(1)).over(Window.partitionBy(text[key]))
    checks = [
        F.when(text[key].isNull(), F.lit(missing(key))),
        *[
            F.when(text[f.name].isNotNull() & typed[f.name].isNull(), F.lit(wrong_type(f.name)))
            for f in fields.fields
        ],
        F.when(text[key].isNotNull() & (copies > 1), F.lit(duplicate_key(key))),
    ]
    if id_pattern is not None:
        checks.append(F.when(~text[key].rlike(f"^(?:{id_pattern})$"), F.lit(bad_id(key))))
    raw_text = F.concat_ws("", F.col(C.CORRUPT_RECORD), *[F.col(f.name) for f in fields.fields])
    reasons = (
        F.when(undecodable(raw_text), F.array(F.lit(BAD_ENCODING)))
        .when(malformed, F.array(F.lit(MALFORMED_CSV)))
        .otherwise(collect_reasons(*checks))
    )
    return raw.select(
        *[typed[f.name].alias(f.name) for f in fields.fields],
        F.col(C.SOURCE_FILE),
        F.col(C.INGESTED_AT),
        F.to_json(F.struct(*[text[f.name].alias(f.name) for f in fields.fields])).alias(C.RECORD),
        reasons.alias(C.REASONS),
        F.lit(False).alias(C.IS_DUPLICATE),
    )


def catalog_rows(checked: DataFrame, schema: T.StructType) -> DataFrame:
    """The valid rows of `check_catalog`, with the columns of the bronze table `schema`."""
    return checked.where(F.size(F.col(C.REASONS)) == 0).select(*[F.col(name) for name in schema.fieldNames()])


def catalog_quarantine_rows(
    checked: DataFrame,
    dataset: str,
    key: str,
    ingest_date: dt.date,
    pii_columns: Sequence[str] = (),
) -> DataFrame:
    """The quarantined rows of `check_catalog` as BRONZE_CATALOG_QUARANTINE_SCHEMA rows, PII masked.

    Args:
        checked: `check_catalog` output.
        dataset: "users" or "items".
        key: The id column, kept as RECORD_ID.
        ingest_date: The run date, the quarantine partition.
        pii_columns: Columns of RECORD whose values are masked (`pii.columns.<dataset>`); phone- and
            e-mail-like values are masked in every column anyway.
    """
    derived = {
        C.DATASET: F.lit(dataset),
        C.RECORD_ID: mask_contacts(F.col(key)),
        C.RECORD: mask_contacts(mask_json_fields(F.col(C.RECORD), pii_columns)),
        C.INGEST_DATE: F.lit(ingest_date),
    }
    return checked.where(F.size(F.col(C.REASONS)) > 0).select(
        *[
            derived.get(name, F.col(name)).alias(name)
            for name in BRONZE_CATALOG_QUARANTINE_SCHEMA.fieldNames()
        ]
    )


def delivery_quarantine(
    checked: Mapping[str, tuple[DataFrame, str]],
    ingest_date: dt.date,
    pii_columns: Mapping[str, Sequence[str]] = MappingProxyType({}),
) -> DataFrame:
    """The quarantined rows of every dataset of one delivery (`catalog_quarantine_rows`), united in order.

    Args:
        checked: Dataset name -> (its `check_catalog` output, its key column).
        ingest_date: The run date, the quarantine partition.
        pii_columns: Dataset -> columns of RECORD masked (`pii.columns`).
    """
    return reduce(
        DataFrame.unionByName,
        [
            catalog_quarantine_rows(
                rows,
                dataset=dataset,
                key=key,
                ingest_date=ingest_date,
                pii_columns=pii_columns.get(dataset, ()),
            )
            for dataset, (rows, key) in checked.items()
        ],
    )
