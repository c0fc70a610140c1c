"""The two bronze outputs of an event ingest: valid events, and quarantined lines with their reasons."""

from __future__ import annotations

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from transforms import columns as C
from transforms.ingest.masking import mask_contacts
from transforms.schemas import BRONZE_EVENTS_SCHEMA, BRONZE_QUARANTINE_SCHEMA


def local_date(instant: Column, timezone: str) -> Column:
    """The calendar date of a UTC instant in `timezone`, whatever the session time zone."""
    return F.to_date(F.convert_timezone(None, F.lit(timezone), instant))


def valid_events(checked: DataFrame, timezone: str) -> DataFrame:
    """bronze.events rows: valid, not duplicate, in the partition of the local date they happened on.

    Args:
        checked: Validated rows (validate.VALIDATED_COLUMNS plus IS_DUPLICATE).
        timezone: The shop's time zone (`app.timezone`), which decides EVENT_DATE.

    Returns:
        BRONZE_EVENTS_SCHEMA columns.
    """
    derived = {C.EVENT_DATE: local_date(F.col(C.EVENT_TIME), timezone)}
    return checked.where((F.size(F.col(C.REASONS)) == 0) & ~F.col(C.IS_DUPLICATE)).select(
        *[derived.get(name, F.col(name)).alias(name) for name in BRONZE_EVENTS_SCHEMA.fieldNames()]
    )


def quarantine_rows(checked: DataFrame, ingest_format: str) -> DataFrame:
    """bronze.events_quarantine rows: every line with at least one reason, kept as received except that
    phone- and e-mail-like substrings are masked (masking.mask_contacts): personal data is never kept in
    the clear, whichever field of a broken line it ended up in.

    Args:
        checked: Validated rows (validate.VALIDATED_COLUMNS plus IS_DUPLICATE).
        ingest_format: The `ingest.format` the lines were read as.

    Returns:
        BRONZE_QUARANTINE_SCHEMA columns.
    """
    derived = {C.INGEST_FORMAT: F.lit(ingest_format), C.RAW_LINE: mask_contacts(F.col(C.RAW_LINE))}
    return checked.where(F.size(F.col(C.REASONS)) > 0).select(
        *[derived.get(name, F.col(name)).alias(name) for name in BRONZE_QUARANTINE_SCHEMA.fieldNames()]
    )
