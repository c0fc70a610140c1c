"""Validation of parsed events: every rule that fails adds its reason code (see reasons.py) to REASONS.

A row is valid when REASONS is empty. Rules run only on lines that could be split into fields, and only
for fields the format provides, so an empty field of a format that never has it is not a problem.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T

from shop_platform.settings import IngestSettings
from transforms import columns as C
from transforms.ingest.bronze import local_date
from transforms.ingest.reasons import (
    MALFORMED_CSV,
    MALFORMED_JSON,
    TIMESTAMP_OUT_OF_WINDOW,
    bad_id,
    collect_reasons,
    missing,
    out_of_range,
    unknown_event_type,
    wrong_type,
)
from transforms.ingest.shape import COMMON_COLUMNS, EVENT_FIELDS
from transforms.schemas import RAW_EVENT_SCHEMA
from transforms.vocabulary import EVENT_TYPES

# bronze.events is partitioned by the event's date and deduplicated by its id: rows need both.
ALWAYS_REQUIRED = (C.EVENT_ID, C.EVENT_TIME)
VALIDATED_COLUMNS = (*[c for c in COMMON_COLUMNS if c != C.PARSE_ERRORS], C.REASONS)


@dataclass(frozen=True)
class EventRules:
    """The validation rules: which fields are required, id formats, and the accepted event times.

    An event time is accepted when its local date (in `timezone`) lies within `days_before` days before
    and `days_after` days after the raw date it was delivered under (the row's INGEST_DATE), so one set
    of rules checks a back-fill of many raw dates exactly as each date's own run would.
    """

    required_fields: tuple[str, ...]
    id_patterns: Mapping[str, str]
    days_before: int
    days_after: int
    timezone: str

    @classmethod
    def from_settings(cls, settings: IngestSettings, timezone: str) -> EventRules:
        """Rules from `ingest.*`; unknown field names are errors naming the setting."""
        known = {*EVENT_FIELDS, C.CATEGORY_ID}
        for key, names in (
            ("required_fields", settings.required_fields),
            ("id_patterns", settings.id_patterns),
        ):
            unknown = sorted(set(names) - known)
            if unknown:
                raise ValueError(f"ingest.{key} names {unknown}, which are not event fields")
        absent = [name for name in ALWAYS_REQUIRED if name not in settings.required_fields]
        if absent:
            raise ValueError(
                f"ingest.required_fields must include {absent}: bronze.events is partitioned by the "
                "event's date and deduplicated by its id"
            )
        return cls(
            tuple(settings.required_fields),
            dict(settings.id_patterns),
            settings.timestamp_days_before,
            settings.timestamp_days_after,
            timezone,
        )

    def time_out_of_window(self) -> Column:
        """True where EVENT_TIME is outside [local midnight of INGEST_DATE - days_before, local
        midnight of INGEST_DATE + days_after + 1 day)."""
        day = local_date(F.col(C.EVENT_TIME), self.timezone)
        ingest_date = F.col(C.INGEST_DATE)
        return (day < F.date_sub(ingest_date, self.days_before)) | (
            day > F.date_add(ingest_date, self.days_after)
        )


def validate_events(parsed: DataFrame, rules: EventRules, provided_fields: Collection[str]) -> DataFrame:
    """Add REASONS: the parse errors plus the reason of every rule the row fails, in rule order.

    Args:
        parsed: shape.COMMON_COLUMNS, from a format adapter.
        rules: The run's rules.
        provided_fields: The fields the format fills; rules about other fields are skipped.

    Returns:
        VALIDATED_COLUMNS: the common columns without PARSE_ERRORS, plus REASONS (empty when valid).
    """
    errors = F.col(C.PARSE_ERRORS)
    unsplit = F.array_contains(errors, MALFORMED_JSON) | F.array_contains(errors, MALFORMED_CSV)
    candidates = [
        *_missing(rules.required_fields, provided_fields, errors),
        *_event_type(provided_fields),
        *_ids(rules.id_patterns, provided_fields),
        *_ranges(provided_fields),
        F.when(rules.time_out_of_window(), F.lit(TIMESTAMP_OUT_OF_WINDOW)),
    ]
    reasons = F.concat(errors, collect_reasons(*[F.when(~unsplit, c) for c in candidates]))
    return parsed.select(*[F.col(c) for c in VALIDATED_COLUMNS if c != C.REASONS], reasons.alias(C.REASONS))


def _missing(required: Collection[str], provided: Collection[str], errors: Column) -> list[Column]:
    checks = []
    for name in required:
        if name not in provided:
            continue
        value = F.col(name)
        absent = value.isNull()
        if isinstance(RAW_EVENT_SCHEMA[name].dataType, T.StringType):
            absent = absent | (F.trim(value) == F.lit(""))
        # A value of the wrong type is null too, but it was there: wrong_type already says so.
        checks.append(F.when(absent & ~F.array_contains(errors, wrong_type(name)), F.lit(missing(name))))
    return checks


def _event_type(provided: Collection[str]) -> list[Column]:
    if C.EVENT_TYPE not in provided:
        return []
    value = F.col(C.EVENT_TYPE)
    known = value.isin(*EVENT_TYPES)
    return [F.when((F.trim(value) != F.lit("")) & ~known, unknown_event_type(value))]


def _ids(patterns: Mapping[str, str], provided: Collection[str]) -> list[Column]:
    def bad(value: Column, pattern: str) -> Column:
        return (F.trim(value) != F.lit("")) & ~value.rlike(f"^(?:{pattern})$")

    checks = [
        F.when(bad(F.col(name), pattern), F.lit(bad_id(name)))
        for name, pattern in patterns.items()
        if name in provided
    ]
    if C.ITEM_ID in patterns and C.ITEMS in provided:
        nested = F.exists(F.col(C.ITEMS), lambda line: bad(line.getField(C.ITEM_ID), patterns[C.ITEM_ID]))
        checks.append(F.when(nested, F.lit(bad_id(f"{C.ITEMS}.{C.ITEM_ID}"))))
    return checks


def _ranges(provided: Collection[str]) -> list[Column]:
    def not_money(value: Column) -> Column:
        # NaN compares greater than everything in Spark, so `>= 0` alone would let it through.
        return (value < 0) | F.isnan(value) | (F.abs(value) == F.lit(float("inf")))

    checks = {
        C.AMOUNT: not_money(F.col(C.AMOUNT)),
        C.DISCOUNT: not_money(F.col(C.DISCOUNT)),
        C.QUANTITY: F.col(C.QUANTITY) <= 0,
        C.RATING: ~F.col(C.RATING).between(1, 5),
    }
    line_checks = {
        C.QUANTITY: lambda line: line.getField(C.QUANTITY) <= 0,
        C.PRICE: lambda line: not_money(line.getField(C.PRICE)),
    }
    rules = [F.when(check, F.lit(out_of_range(name))) for name, check in checks.items() if name in provided]
    if C.ITEMS in provided:
        rules += [
            F.when(F.exists(F.col(C.ITEMS), check), F.lit(out_of_range(f"{C.ITEMS}.{name}")))
            for name, check in line_checks.items()
        ]
    return rules
