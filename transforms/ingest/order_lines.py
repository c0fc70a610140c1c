"""Order-line CSV (`order_lines_csv`) into the common event shape.

Files carry the header `user_id,order_id,order_time,item_id,quantity,amount`; item_id may be empty.
Each line becomes one order event with one order line {item_id, quantity, price = amount / quantity}.
Fields are ids, times and numbers, so a line is split on commas (no quoting); a line with another number
of fields is `malformed_csv`. Reason codes use the common shape's names: order_time is `event_time`,
quantity is `items.quantity`.
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T

from transforms import columns as C
from transforms.ingest.reasons import MALFORMED_CSV, collect_reasons, wrong_type
from transforms.ingest.shape import conform, line_hash_id, text_field
from transforms.vocabulary import ORDER

HEADER = f"{C.USER_ID},{C.ORDER_ID},order_time,{C.ITEM_ID},{C.QUANTITY},{C.AMOUNT}"
FIELD_COUNT = len(HEADER.split(","))
EVENT_ID_PREFIX = "ol-"
# A time ending in Z or an offset is an instant; anything else is the shop's local wall-clock time.
_HAS_OFFSET = r"(Z|[+-][0-9]{2}:?[0-9]{2})$"
PROVIDED_FIELDS = frozenset(
    {C.EVENT_ID, C.USER_ID, C.EVENT_TYPE, C.EVENT_TIME, C.ORDER_ID, C.ITEMS, C.AMOUNT}
)


def parse_order_lines(lines: DataFrame, timezone: str) -> DataFrame:
    """Parse order-line CSV into the common shape; header lines are dropped.

    Args:
        lines: RAW_LINE, SOURCE_FILE, INGESTED_AT, INGEST_DATE.
        timezone: IANA zone that order times without an offset are local to (`app.timezone`).

    Returns:
        shape.COMMON_COLUMNS, one order event per data line. EVENT_ID is a hash of order id, item id and
        the line, so only an exact duplicate line repeats it. PARSE_ERRORS holds `malformed_csv` or
        `wrong_type:<field>` for an order time, quantity or amount whose text does not parse.
    """
    parts = F.col(C.PARTS)
    well_formed = F.size(parts) == FIELD_COUNT
    user_id, order_id, time_text, item_id, quantity_text, amount_text = (
        F.when(well_formed, text_field(parts, index)) for index in range(FIELD_COUNT)
    )
    event_time = _instant(time_text, timezone)
    quantity = quantity_text.try_cast(T.IntegerType())
    amount = amount_text.try_cast(T.DoubleType())
    raw_line = F.col(C.RAW_LINE)
    line = F.struct(
        item_id.alias(C.ITEM_ID),
        quantity.alias(C.QUANTITY),
        # try_divide: a quantity of 0 gives no price (validation reports the quantity) instead of an error.
        F.try_divide(amount, quantity).alias(C.PRICE),
    )
    fields = {
        C.EVENT_ID: line_hash_id(EVENT_ID_PREFIX, order_id, item_id, raw_line),
        C.USER_ID: user_id,
        C.EVENT_TYPE: F.lit(ORDER),
        C.EVENT_TIME: event_time,
        C.ORDER_ID: order_id,
        C.ITEMS: F.array(line),
        C.AMOUNT: amount,
    }
    unparsed = {
        C.EVENT_TIME: (time_text, event_time),
        f"{C.ITEMS}.{C.QUANTITY}": (quantity_text, quantity),
        C.AMOUNT: (amount_text, amount),
    }
    errors = F.when(~well_formed, F.array(F.lit(MALFORMED_CSV))).otherwise(
        collect_reasons(
            *[
                F.when(text.isNotNull() & value.isNull(), F.lit(wrong_type(name)))
                for name, (text, value) in unparsed.items()
            ]
        )
    )
    return (
        lines.where(F.lower(F.trim(raw_line)) != F.lit(HEADER))
        .select(*lines.columns, F.split(raw_line, ",", -1).alias(C.PARTS))
        .transform(conform, fields=fields, parse_errors=errors)
    )


def _instant(text: Column, timezone: str) -> Column:
    # Appending the zone id lets Spark resolve local times without relying on the session time zone.
    local = F.concat(text, F.lit(f" {timezone}")).try_cast(T.TimestampType())
    return F.when(text.rlike(_HAS_OFFSET), text.try_cast(T.TimestampType())).otherwise(local)
