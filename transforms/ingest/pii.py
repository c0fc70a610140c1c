"""Pseudonyms for phone numbers and e-mail addresses: salted SHA-256, so raw PII never reaches a table.

The same value and salt always give the same pseudonym, so tables can still be joined on it; without the
salt (kept out of the repository) a pseudonym cannot be reversed by hashing a list of known numbers.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from shop_platform.settings import PiiSettings
from transforms import columns as C

# Prefixed so the fingerprint is never the pseudonym of some value (those hash salt + value).
_FINGERPRINT_PREFIX = "shop-analytics pii salt fingerprint:"
# Table property of bronze.users: which salt its pseudonyms were made with (a hash of it, never the salt).
SALT_FINGERPRINT = "shop.pii_salt_fingerprint"


class PiiSaltError(ValueError):
    """Neither `pii.salt` nor the environment variable `pii.salt_env` names holds a salt."""


def resolve_salt(settings: PiiSettings, environ: Mapping[str, str]) -> str:
    """`pii.salt` when set, else the value of the environment variable `pii.salt_env`.

    Raises:
        PiiSaltError: naming the environment variable and the setting when neither holds a salt.
    """
    if settings.salt:
        return settings.salt
    salt = environ.get(settings.salt_env, "")
    if salt:
        return salt
    raise PiiSaltError(
        f"no salt for PII pseudonyms: set the environment variable {settings.salt_env} (named by "
        f"pii.salt_env), or for a local demo the setting pii.salt (--set pii.salt=...)"
    )


def salt_fingerprint(salt: str) -> str:
    """A short hex SHA-256 naming the salt without revealing it: equal salts, equal fingerprints."""
    return hashlib.sha256((_FINGERPRINT_PREFIX + salt).encode("utf-8")).hexdigest()[:16]


def salt_change(
    table: str, recorded: str | None, fingerprint: str, settings: PiiSettings, rekey: bool
) -> tuple[bool, str | None]:
    """Whether `table`'s pseudonyms, made with the salt of fingerprint `recorded`, may be joined by this
    run's (`fingerprint`), and what to tell the operator.

    A table without a recorded fingerprint (new, or older than the record) takes this run's. Another
    salt is refused, unless `rekey`, which is allowed with a warning.

    Returns:
        (may the run write?, the warning or error to log, None when there is nothing to say).
    """
    if recorded is None or recorded == fingerprint:
        return True, None
    if rekey:
        return True, (
            f"--rekey: {table}'s pseudonyms were made with another salt (fingerprint {recorded}); this run's "
            f"salt (fingerprint {fingerprint}) is recorded after the upsert, and users not in this delivery "
            "keep pseudonyms of the old salt"
        )
    source = (
        f"pii.salt; runs without it read ${settings.salt_env}, named by pii.salt_env"
        if settings.salt
        else f"${settings.salt_env}, named by pii.salt_env"
    )
    return False, (
        f"the PII salt (from {source}) is not the one {table}'s pseudonyms were made with (salt fingerprint "
        f"{recorded} recorded, {fingerprint} now): joins on phone_hash/email_hash across runs would break; "
        "nothing was written. Set the original salt, or re-key with a complete users delivery and --rekey"
    )


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
