"""Quarantine reason codes: short, stable strings naming the problem and the field it was found in.

    malformed_json, malformed_csv           the line could not be split into fields at all
    wrong_type:<field>                      the field is present but its text does not fit its type
    missing:<field>                         a required field is absent, null or blank
    unknown_event_type:<value>              the event type is not in the vocabulary
    bad_id:<field>                          an id does not match its `ingest.id_patterns` expression
    out_of_range:<field>                    e.g. a negative amount, a quantity of 0, a rating of 6
    timestamp_out_of_window                 event_time outside the run date's accepted window
    duplicate_key:<field>                   (catalogue) the delivery holds the key more than once
    bad_encoding                            the bytes are not UTF-8 text (invalid sequences or NULs)
    unknown_value:<field>                   a coded value (e.g. order_status) outside its vocabulary

Fields are named as in the common event shape (RAW_EVENT_SCHEMA); nested order-line fields as `items.<f>`.
"""

from __future__ import annotations

from pyspark.sql import Column
from pyspark.sql import functions as F
from pyspark.sql import types as T

MALFORMED_JSON = "malformed_json"
MALFORMED_CSV = "malformed_csv"
BAD_ENCODING = "bad_encoding"
TIMESTAMP_OUT_OF_WINDOW = "timestamp_out_of_window"
UNKNOWN_EVENT_TYPE = "unknown_event_type"
# Unknown event types are echoed into the code; a cap keeps a garbage value from flooding the counts.
MAX_ECHOED_VALUE = 40

REASONS_TYPE = T.ArrayType(T.StringType(), containsNull=False)


def wrong_type(field: str) -> str:
    return f"wrong_type:{field}"


def missing(field: str) -> str:
    return f"missing:{field}"


def bad_id(field: str) -> str:
    return f"bad_id:{field}"


def out_of_range(field: str) -> str:
    return f"out_of_range:{field}"


def duplicate_key(field: str) -> str:
    return f"duplicate_key:{field}"


def unknown_value(field: str) -> str:
    return f"unknown_value:{field}"


def unknown_event_type(value: Column) -> Column:
    return F.concat(F.lit(f"{UNKNOWN_EVENT_TYPE}:"), F.substring(value, 1, MAX_ECHOED_VALUE))


def collect_reasons(*candidates: Column) -> Column:
    """The non-null candidates, in order, as array<string> without nulls (REASONS_TYPE).

    Each candidate is a string column that is null when its rule passes.
    """
    present = F.filter(F.array(*candidates), lambda reason: reason.isNotNull())
    # filter() keeps the element type nullable; the bronze tables declare containsNull=false, and
    # coalesce with a literal is how Spark learns the elements can no longer be null.
    return F.transform(present, lambda reason: F.coalesce(reason, F.lit("")))


def no_reasons() -> Column:
    """An empty REASONS_TYPE array."""
    return collect_reasons(F.lit(None).cast(T.StringType()))
