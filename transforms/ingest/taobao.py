"""Tianchi UserBehavior CSV (`taobao_user_behavior`) into the common event shape.

Lines are `user_id,item_id,category_id,behavior_type,timestamp` without a header; the timestamp is Unix
seconds. Behaviours pv/cart/fav/buy become page_view (of a product page), add_to_cart, favorite and order.
The data has no event or order ids, so both are hashes of the raw line: an exact duplicate line gets the
same event id and is removed as a duplicate. A buy becomes an order of one unit at an unknown price.

The columns keep this documented order (the files have no header), but a shop's variant can map its
behaviour codes onto pv/cart/fav/buy (`ingest.values.taobao.behavior_type`, e.g. {"1": pv}) and give its
time format (`ingest.timestamp_formats.taobao`, a Spark datetime pattern instead of Unix seconds).
"""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T

from transforms import columns as C
from transforms.ingest.headers import BEHAVIOR_TYPE, TAOBAO
from transforms.ingest.mapping import SourceMapping
from transforms.ingest.reasons import MALFORMED_CSV, collect_reasons, wrong_type
from transforms.ingest.shape import conform, line_hash_id, text_field
from transforms.vocabulary import ADD_TO_CART, FAVORITE, ORDER, PAGE_PRODUCT, PAGE_VIEW

FIELD_COUNT = 5
BEHAVIOUR_EVENT_TYPES = {"pv": PAGE_VIEW, "cart": ADD_TO_CART, "fav": FAVORITE, "buy": ORDER}
EVENT_ID_PREFIX = "tb-"
ORDER_ID_PREFIX = "tbo-"
# Timestamps beyond years 1..9999 cannot be represented; they are reported as wrong_type, not an error.
_MIN_SECONDS, _MAX_SECONDS = -62_135_596_800, 253_402_300_799
PROVIDED_FIELDS = frozenset(
    {C.EVENT_ID, C.USER_ID, C.ITEM_ID, C.CATEGORY_ID, C.EVENT_TYPE, C.EVENT_TIME, C.PAGE_TYPE}
    | {C.ORDER_ID, C.ITEMS}
)


def parse_taobao_lines(
    lines: DataFrame, mapping: SourceMapping | None = None, timezone: str = "UTC"
) -> DataFrame:
    """Parse UserBehavior lines into the common shape.

    Args:
        lines: RAW_LINE, SOURCE_FILE, INGESTED_AT, INGEST_DATE.
        mapping: The `taobao` read settings (behaviour value map, time format), or None for the defaults.
        timezone: The zone of times read with a format that has no offset (`app.timezone`).

    Returns:
        shape.COMMON_COLUMNS. An unknown behaviour is kept as the event type (so validation names it);
        PARSE_ERRORS holds `malformed_csv` (not 5 fields) or `wrong_type:event_time` (not Unix seconds).
    """
    parts = F.col(C.PARTS)
    well_formed = F.size(parts) == FIELD_COUNT
    mapping = mapping or SourceMapping(TAOBAO)
    user_id, item_id, category_id, their_behaviour, seconds_text = (
        F.when(well_formed, text_field(parts, index)) for index in range(FIELD_COUNT)
    )
    behaviour = mapping.value(BEHAVIOR_TYPE, their_behaviour)
    event_types = F.create_map(*[F.lit(x) for pair in BEHAVIOUR_EVENT_TYPES.items() for x in pair])
    event_type = F.coalesce(event_types[F.lower(behaviour)], behaviour)
    event_time = mapping.instant(seconds_text, timezone)
    if event_time is None:
        seconds = seconds_text.try_cast(T.LongType())
        representable = seconds.between(_MIN_SECONDS, _MAX_SECONDS)
        event_time = F.when(representable, F.timestamp_seconds(seconds))
    is_order = event_type == F.lit(ORDER)
    raw_line = F.col(C.RAW_LINE)
    fields = {
        C.EVENT_ID: line_hash_id(EVENT_ID_PREFIX, raw_line),
        C.USER_ID: user_id,
        C.EVENT_TYPE: event_type,
        C.EVENT_TIME: event_time,
        C.PAGE_TYPE: F.when(event_type == F.lit(PAGE_VIEW), F.lit(PAGE_PRODUCT)),
        C.ITEM_ID: item_id,
        C.ORDER_ID: F.when(is_order, line_hash_id(ORDER_ID_PREFIX, F.lit("order"), raw_line)),
        C.ITEMS: F.when(
            is_order,
            F.array(
                F.struct(item_id.alias(C.ITEM_ID), F.lit(1).alias(C.QUANTITY), F.lit(None).alias(C.PRICE))
            ),
        ),
        C.CATEGORY_ID: category_id,
    }
    errors = F.when(~well_formed, F.array(F.lit(MALFORMED_CSV))).otherwise(
        collect_reasons(
            F.when(seconds_text.isNotNull() & event_time.isNull(), F.lit(wrong_type(C.EVENT_TIME)))
        )
    )
    return lines.select(*lines.columns, F.split(raw_line, ",", -1).alias(C.PARTS)).transform(
        conform, fields=fields, parse_errors=errors
    )
