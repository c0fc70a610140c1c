"""Dirt: the defects a real collector's files carry, planted at configured, measurable rates.

Every event draws one uniform (per EVENT_ID) that lands in at most one kind's slice of [0, 1), so kinds
never overlap and each kind's share is its configured rate: of all events, except `wrong_type` and
`negative_amount`, whose rates are shares of the events that carry an amount (order, pay, refund).
Field defects are applied to typed columns before serialization, text defects to the JSON line after.
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from sample_shop import columns as TC
from sample_shop.generator.random import choice, uniform
from shop_platform.settings import DirtSettings
from transforms import columns as C
from transforms.vocabulary import AMOUNT_EVENT_TYPES

DUPLICATE = "duplicate"
MALFORMED_JSON = "malformed_json"
MISSING_FIELD = "missing_field"
WRONG_TYPE = "wrong_type"
NEGATIVE_AMOUNT = "negative_amount"
FUTURE_TIMESTAMP = "future_timestamp"
ANCIENT_TIMESTAMP = "ancient_timestamp"
UNKNOWN_EVENT_TYPE = "unknown_event_type"
DIRT_KINDS = (
    DUPLICATE,
    MALFORMED_JSON,
    MISSING_FIELD,
    WRONG_TYPE,
    NEGATIVE_AMOUNT,
    FUTURE_TIMESTAMP,
    ANCIENT_TIMESTAMP,
    UNKNOWN_EVENT_TYPE,
)
AMOUNT_KINDS = (WRONG_TYPE, NEGATIVE_AMOUNT)
# Required fields a `missing_field` line loses one of (event_id is kept so the line stays traceable).
DROPPABLE_FIELDS = (C.USER_ID, C.EVENT_TYPE, C.EVENT_TIME)
UNKNOWN_EVENT_TYPES = ("page_veiw", "click", "heartbeat", "app_crash", "share")
DAY_MS = 86_400_000
# Future timestamps are 30..365 days ahead; ancient ones are the epoch (an unset device clock) or 3-20 years back.
FUTURE_DAYS = (30, 365)
ANCIENT_YEARS = (3, 20)
EPOCH_SHARE = 0.3


def dirt_rates(dirt: DirtSettings) -> dict[str, float]:
    """The configured rate of each kind, keyed by kind name (the settings field is `<kind>_rate`)."""
    rates = {kind: getattr(dirt, f"{kind}_rate") for kind in DIRT_KINDS}
    if sum(rates.values()) > 1.0:
        raise ValueError(f"generator.dirt rates add up to {sum(rates.values())}, more than 1")
    return rates


def with_dirt_kind(events: DataFrame, seed: int, dirt: DirtSettings) -> DataFrame:
    """Add DIRT: the kind of defect the event's line will carry, or null for a clean line."""
    u = uniform(seed, "dirt", C.EVENT_ID)
    has_amount = F.col(C.EVENT_TYPE).isin(*AMOUNT_EVENT_TYPES)
    kind: Column | None = None
    bound = 0.0
    for name, rate in dirt_rates(dirt).items():
        bound += rate
        # Amount kinds keep their slice on other events too (as clean lines), so their rate stays a share.
        value = F.when(has_amount, F.lit(name)) if name in AMOUNT_KINDS else F.lit(name)
        kind = F.when(u < F.lit(bound), value) if kind is None else kind.when(u < F.lit(bound), value)
    return events.select("*", kind.alias(TC.DIRT))


def corrupt_fields(events: DataFrame, seed: int) -> DataFrame:
    """Apply the field defects (missing field, negative amount, future/ancient time, unknown type)."""
    kind = F.col(TC.DIRT)
    dropped = F.when(
        kind == MISSING_FIELD,
        choice(uniform(seed, "dropped_field", C.EVENT_ID), DROPPABLE_FIELDS, [1.0] * len(DROPPABLE_FIELDS)),
    )
    millis = F.unix_millis(F.col(C.EVENT_TIME))
    ahead = F.lit(FUTURE_DAYS[0]) + F.floor(
        uniform(seed, "future_days", C.EVENT_ID) * (FUTURE_DAYS[1] - FUTURE_DAYS[0])
    )
    years_back = F.lit(ANCIENT_YEARS[0]) + uniform(seed, "ancient_years", C.EVENT_ID) * (
        ANCIENT_YEARS[1] - ANCIENT_YEARS[0]
    )
    ancient = F.when(
        uniform(seed, "epoch", C.EVENT_ID) < F.lit(EPOCH_SHARE), F.pmod(millis, F.lit(DAY_MS))
    ).otherwise(millis - F.floor(years_back * F.lit(365.25)) * F.lit(DAY_MS))
    event_time = (
        F.when(dropped == C.EVENT_TIME, F.lit(None))
        .when(kind == FUTURE_TIMESTAMP, F.timestamp_millis(millis + ahead * F.lit(DAY_MS)))
        .when(kind == ANCIENT_TIMESTAMP, F.timestamp_millis(ancient))
        .otherwise(F.col(C.EVENT_TIME))
    )
    unknown_type = choice(
        uniform(seed, "unknown_type", C.EVENT_ID), UNKNOWN_EVENT_TYPES, [1.0] * len(UNKNOWN_EVENT_TYPES)
    )
    event_type = (
        F.when(dropped == C.EVENT_TYPE, F.lit(None))
        .when(kind == UNKNOWN_EVENT_TYPE, unknown_type)
        .otherwise(F.col(C.EVENT_TYPE))
    )
    replaced = {
        C.USER_ID: F.when(dropped == C.USER_ID, F.lit(None)).otherwise(F.col(C.USER_ID)),
        C.EVENT_TYPE: event_type,
        C.EVENT_TIME: event_time,
        C.AMOUNT: F.when(kind == NEGATIVE_AMOUNT, -F.abs(F.col(C.AMOUNT))).otherwise(F.col(C.AMOUNT)),
    }
    return events.select(
        *[
            replaced[name].cast(events.schema[name].dataType).alias(name) if name in replaced else F.col(name)
            for name in events.columns
        ]
    )


def corrupt_lines(lines: DataFrame, seed: int) -> DataFrame:
    """Apply the text defects to lines with EVENT_ID, DIRT, DATE and VALUE.

    `wrong_type` writes the amount as a non-numeric string ("12.50 CNY" or "N/A"); `malformed_json` cuts
    the line short (so it always loses its closing brace); `duplicate` emits the line twice, unchanged.

    Returns:
        DATE, VALUE.
    """
    kind = F.col(TC.DIRT)
    value = F.col(C.VALUE)
    amount = r'"amount":(-?[0-9][0-9.Ee+-]*)'
    as_text = F.when(
        uniform(seed, "wrong_type_style", C.EVENT_ID) < F.lit(0.5),
        F.regexp_replace(value, amount, '"amount":"$1 CNY"'),
    ).otherwise(F.regexp_replace(value, amount, '"amount":"N/A"'))
    cut = F.floor(F.length(value) * (F.lit(0.3) + F.lit(0.6) * uniform(seed, "cut", C.EVENT_ID)))
    corrupted = (
        F.when(kind == WRONG_TYPE, as_text)
        .when(kind == MALFORMED_JSON, F.substring(value, F.lit(1), cut.cast("int")))
        .otherwise(value)
    )
    copies = F.when(kind == DUPLICATE, F.array(F.lit(1), F.lit(2))).otherwise(F.array(F.lit(1)))
    return lines.select(C.DATE, corrupted.alias(C.VALUE), F.explode(copies).alias("_copy")).select(
        C.DATE, C.VALUE
    )
