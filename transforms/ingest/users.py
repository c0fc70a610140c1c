"""Raw users CSV into bronze.users rows: typed, checked, phone and e-mail replaced by pseudonyms."""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import types as T

from transforms import columns as C
from transforms.ingest.catalog import check_catalog
from transforms.ingest.pii import pseudonymize_contacts
from transforms.schemas import BRONZE_USERS_SCHEMA

DATASET = "users"
# What is typed and checked: the bronze columns except INGESTED_AT, which comes from the file.
USER_FIELDS = T.StructType([f for f in BRONZE_USERS_SCHEMA.fields if f.name != C.INGESTED_AT])


def check_users(raw: DataFrame, salt: str, id_pattern: str | None) -> DataFrame:
    """Pseudonymize, type and check raw users.

    Pseudonyms are computed first, so neither the bronze rows nor the quarantine's RECORD ever hold a
    raw phone number or address.

    Args:
        raw: RAW_USERS_SCHEMA columns as text (read by header name), CORRUPT_RECORD, SOURCE_FILE, INGESTED_AT.
        salt: The PII salt.
        id_pattern: `ingest.id_patterns["user_id"]`, or None.

    Returns:
        catalog.check_catalog output over USER_FIELDS (PHONE_HASH, EMAIL_HASH, no PHONE or EMAIL).
    """
    return raw.transform(pseudonymize_contacts, salt=salt).transform(
        check_catalog, fields=USER_FIELDS, key=C.USER_ID, id_pattern=id_pattern
    )
