"""Raw items CSV into bronze.items rows: typed and checked."""

from __future__ import annotations

from pyspark.sql import DataFrame

from transforms import columns as C
from transforms.ingest.catalog import check_catalog
from transforms.schemas import RAW_ITEMS_SCHEMA

DATASET = "items"


def check_items(raw: DataFrame, id_pattern: str | None) -> DataFrame:
    """Type and check raw items.

    Args:
        raw: RAW_ITEMS_SCHEMA columns as text (read by header name), CORRUPT_RECORD, SOURCE_FILE, INGESTED_AT.
        id_pattern: `ingest.id_patterns["item_id"]`, or None.

    Returns:
        catalog.check_catalog output over RAW_ITEMS_SCHEMA.
    """
    return check_catalog(raw, fields=RAW_ITEMS_SCHEMA, key=C.ITEM_ID, id_pattern=id_pattern)
