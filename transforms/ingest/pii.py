"""Pseudonyms for phone numbers and e-mail addresses: salted SHA-256, so raw PII never reaches a table.

The same value and salt always give the same pseudonym, so tables can still be joined on it; without the
salt (kept out of the repository) a pseudonym cannot be reversed by hashing a list of known numbers.
"""

from __future__ import annotations

import hashlib

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from transforms import columns as C

# Prefixed so the fingerprint is never the pseudonym of some value (those hash salt + value).
_FINGERPRINT_PREFIX = "shop-analytics pii salt fingerprint:"


def salt_fingerprint(salt: str) -> str:
    """A short hex SHA-256 naming the salt without revealing it: equal salts, equal fingerprints."""
    return hashlib.sha256((_FINGERPRINT_PREFIX + salt).encode("utf-8")).hexdigest()[:16]


def pseudonym(value: Column, salt: str) -> Column:
    """Hex SHA-256 of salt + value; null for a null or blank value (hashing "" would join all of them)."""
    if not salt:
        raise ValueError("pseudonym: the salt is empty")
    return F.when(F.trim(value) != F.lit(""), F.sha2(F.concat(F.lit(salt), value), 256))


def normalized_phone(value: Column) -> Column:
    """Digits and a leading +, so "138 0013-8000" and "13800138000" get one pseudonym."""
    return F.regexp_replace(F.trim(value), r"[\s().-]", "")


def normalized_email(value: Column) -> Column:
    """Trimmed and lower-cased: mail systems treat addresses case-insensitively in practice."""
    return F.lower(F.trim(value))


def pseudonymize_contacts(users: DataFrame, salt: str) -> DataFrame:
    """Replace PHONE and EMAIL by PHONE_HASH and EMAIL_HASH.

    Args:
        users: Rows with PHONE and EMAIL (text).
        salt: The secret salt (resolved by the job from `pii.salt_env` or `pii.salt`).

    Returns:
        The input's columns without PHONE and EMAIL, followed by PHONE_HASH and EMAIL_HASH.
    """
    kept = [F.col(c) for c in users.columns if c not in (C.PHONE, C.EMAIL)]
    return users.select(
        *kept,
        pseudonym(normalized_phone(F.col(C.PHONE)), salt).alias(C.PHONE_HASH),
        pseudonym(normalized_email(F.col(C.EMAIL)), salt).alias(C.EMAIL_HASH),
    )
