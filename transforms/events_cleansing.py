"""From bronze rows to clean events: one row per event id, shop-local time, catalogue attributes.

bronze.events holds every copy of an event the collector sent (a retry lands in a later raw file), so
silver keeps exactly one, chosen the same way on every run.
"""

from __future__ import annotations

from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F

from transforms import columns as C
from transforms.catalogue import latest_catalogue
from transforms.schemas import SILVER_EVENTS_SCHEMA

# The silver.events columns a clean event has before sessionization adds SESSION_ID.
CLEAN_EVENT_COLUMNS = tuple(name for name in SILVER_EVENTS_SCHEMA.fieldNames() if name != C.SESSION_ID)

_RANK = "_copy_rank"


def dedupe_events(events: DataFrame) -> DataFrame:
    """Keep one row per EVENT_ID: the copy from the earliest ingest date, then the first source file.

    Args:
        events: bronze.events rows (BRONZE_EVENTS_SCHEMA), possibly several copies of an event.

    Returns:
        The input's columns, EVENT_ID unique.
    """
    # Copies in the same file and ingest run are ordered by a hash of the whole row, so even copies that
    # differ (a resend with a corrected field) resolve the same way on every run.
    first_copy = Window.partitionBy(C.EVENT_ID).orderBy(
        F.col(C.INGEST_DATE).asc_nulls_last(),
        F.col(C.SOURCE_FILE).asc_nulls_last(),
        F.col(C.INGESTED_AT).asc_nulls_last(),
        F.xxhash64(*[F.col(name) for name in events.columns]),
    )
    return (
        events.select(*events.columns, F.row_number().over(first_copy).alias(_RANK))
        .where(F.col(_RANK) == 1)
        .select(*events.columns)
    )


def with_local_time(events: DataFrame, timezone: str) -> DataFrame:
    """Add EVENT_TIME_LOCAL: the shop's wall-clock time of EVENT_TIME (UTC instant) as TIMESTAMP_NTZ.

    Args:
        events: Rows with EVENT_TIME.
        timezone: IANA zone of the shop (`app.timezone`).

    Returns:
        The input's columns plus EVENT_TIME_LOCAL.
    """
    # convert_timezone reads an instant in the session zone and re-expresses it in `timezone`, so the
    # result does not depend on which zone the Spark session happens to use.
    local = F.convert_timezone(None, F.lit(timezone), F.col(C.EVENT_TIME))
    return events.select(*events.columns, local.alias(C.EVENT_TIME_LOCAL))


def with_catalogue(events: DataFrame, items: DataFrame) -> DataFrame:
    """Add CATEGORY_L1, CATEGORY_L2, BRAND of each event's item (null for events without a known item).

    Args:
        events: Rows with ITEM_ID.
        items: bronze.items rows; repeated deliveries of an item are reduced to the latest first.

    Returns:
        The input's columns plus CATEGORY_L1, CATEGORY_L2, BRAND; exactly one row per input row.
    """
    # The lookup has one row per item id, so this left join never multiplies events; the catalogue is
    # small next to the events, hence the broadcast.
    lookup = latest_catalogue(items)
    return events.join(F.broadcast(lookup), on=[C.ITEM_ID], how="left").select(
        *events.columns, C.CATEGORY_L1, C.CATEGORY_L2, C.BRAND
    )


def cleanse_events(bronze_events: DataFrame, items: DataFrame, timezone: str) -> DataFrame:
    """Deduplicated bronze events with local time and catalogue attributes.

    Args:
        bronze_events: bronze.events rows (BRONZE_EVENTS_SCHEMA).
        items: bronze.items rows.
        timezone: The shop's IANA time zone.

    Returns:
        CLEAN_EVENT_COLUMNS (silver.events without SESSION_ID), one row per event id.
    """
    return (
        bronze_events.transform(dedupe_events)
        .transform(with_local_time, timezone=timezone)
        .transform(with_catalogue, items=items)
        .select(*CLEAN_EVENT_COLUMNS)
    )
