"""Masking of personal data in the raw records the quarantines keep.

A quarantined row is kept so someone can see what was wrong with it, which is exactly when its fields may
be shifted (a missing column moves a phone number into `device_preference`) or a column is not the one
its header says. So besides the configured PII columns (`pii.columns`), every substring that looks like
an e-mail address or a phone number is masked, whatever column it sits in:

    e-mail   local@domain.tld
    phone    11 to 15 digits, or + and 8 to 15 digits, optionally split by spaces, dots, dashes or
             parentheses, not part of a longer word (so Unix seconds, dates and ids like e0123... stay)

Long digit-only ids (e.g. 16-digit order numbers) are masked too: a quarantine record loses some detail
rather than keep a phone number.
"""

from __future__ import annotations

from collections.abc import Sequence

from pyspark.sql import Column
from pyspark.sql import functions as F

EMAIL_PATTERN = r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"
PHONE_PATTERN = r"(?<![\w+])(?:\+\d(?:[ ().-]{0,2}\d){7,14}|\d(?:[ ().-]{0,2}\d){10,14})(?!\w)"
MASKED_EMAIL = "[email]"
MASKED_PHONE = "[phone]"
MASKED = "[masked]"
# A JSON string value (to_json writes no spaces around the colon).
_JSON_STRING = r'"(?:[^"\\]|\\.)*"'


def mask_contacts(text: Column) -> Column:
    """`text` with every e-mail-like and phone-like substring replaced by [email] / [phone]."""
    return F.regexp_replace(F.regexp_replace(text, EMAIL_PATTERN, MASKED_EMAIL), PHONE_PATTERN, MASKED_PHONE)


def mask_json_fields(record: Column, names: Sequence[str]) -> Column:
    """A JSON object's string values of the keys `names` replaced by [masked] (other keys unchanged)."""
    for name in names:
        key = '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'
        pattern = "(?i)(" + _quote(key) + "):" + _JSON_STRING
        record = F.regexp_replace(record, pattern, f'$1:"{MASKED}"')
    return record


def _quote(literal: str) -> str:
    return r"\Q" + literal.replace(r"\E", r"\E\\E\Q") + r"\E"
