"""The item catalogue as a lookup: one row per item id, so joining it never multiplies rows."""

from __future__ import annotations

from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F

from transforms import columns as C

_RANK = "_catalogue_rank"


def latest_catalogue(items: DataFrame) -> DataFrame:
    """One row per item: the most recently ingested delivery of it.

    Args:
        items: bronze.items rows (ITEM_ID, CATEGORY_L1, CATEGORY_L2, BRAND, INGESTED_AT, ...); an item may
            appear more than once when the catalogue was delivered again.

    Returns:
        ITEM_ID, CATEGORY_L1, CATEGORY_L2, BRAND with ITEM_ID unique and not null.
    """
    # Ties on the ingest time (one delivery listing an item twice) are broken by the values themselves,
    # so the same catalogue always gives the same lookup.
    latest_first = Window.partitionBy(C.ITEM_ID).orderBy(
        F.col(C.INGESTED_AT).desc_nulls_last(),
        F.col(C.CATEGORY_L1).asc_nulls_last(),
        F.col(C.CATEGORY_L2).asc_nulls_last(),
        F.col(C.BRAND).asc_nulls_last(),
    )
    return (
        items.where(F.col(C.ITEM_ID).isNotNull())
        .select(
            C.ITEM_ID, C.CATEGORY_L1, C.CATEGORY_L2, C.BRAND, F.row_number().over(latest_first).alias(_RANK)
        )
        .where(F.col(_RANK) == 1)
        .select(C.ITEM_ID, C.CATEGORY_L1, C.CATEGORY_L2, C.BRAND)
    )
