"""Order-line CSV (`order_lines_csv`) into the common event shape.

Files carry a header and are read by its names (transforms/ingest/headers.py, source `order_lines`; our
names `user_id,order_id,order_time,item_id,quantity,amount,order_status`, others mapped by
`ingest.columns.order_lines`). user_id, order_id and order_time are required; item_id, quantity, amount
and order_status are optional and load as null when the export lacks them. Each file is mapped by its own
header and its header line is dropped, never counted. Each line becomes one order event with one order
line {item_id, quantity, price = amount / quantity}.

What a row means: an order export lists paid orders, so ORDER_STATUS is `ingest.order_lines.row_status`
(default paid) unless the file has a status column, whose values (through
`ingest.values.order_lines.order_status`) must be placed, paid, refunded or cancelled; another value is
`unknown_value:order_status`. A blank status takes the row status.

Fields are ids, times, numbers and codes, so a line is split on commas; a field wrapped in double quotes
is unwrapped, but a quoted comma splits the line (then it has another number of fields than its header:
`malformed_csv`). Reason codes use the common shape's names: order_time is `event_time`, quantity is
`items.quantity`. Values of `pii.columns.order_lines` are masked in the RAW_LINE kept for the quarantine.
"""

from __future__ import annotations

from collections.abc import Sequence

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T

from transforms import columns as C
from transforms.ingest.headers import ORDER_TIME
from transforms.ingest.mapping import ORDER_STATUSES, FileGroup, SourceMapping
from transforms.ingest.masking import MASKED
from transforms.ingest.reasons import MALFORMED_CSV, collect_reasons, unknown_value, wrong_type
from transforms.ingest.shape import conform, line_hash_id
from transforms.vocabulary import ORDER

EVENT_ID_PREFIX = "ol-"
# A time ending in Z or an offset is an instant; anything else is the shop's local wall-clock time.
_HAS_OFFSET = r"(Z|[+-][0-9]{2}:?[0-9]{2})$"
_GROUP = "_layout"
_INT = T.IntegerType()
PROVIDED_FIELDS = frozenset(
    {C.EVENT_ID, C.USER_ID, C.EVENT_TYPE, C.EVENT_TIME, C.ORDER_ID, C.ITEMS, C.AMOUNT, C.ORDER_STATUS}
)


def parse_order_lines(
    lines: DataFrame,
    timezone: str,
    mapping: SourceMapping,
    groups: Sequence[FileGroup],
    row_status: str = "paid",
    pii_columns: Sequence[str] = (),
    undecodable: Sequence[str] = (),
) -> DataFrame:
    """Parse order-line CSV into the common shape; each file's header line is dropped.

    Args:
        lines: RAW_LINE, SOURCE_FILE, INGESTED_AT, INGEST_DATE.
        timezone: IANA zone that order times without an offset are local to (`app.timezone`).
        mapping: The `order_lines` read settings (value maps, timestamp format).
        groups: The files' headers mapped onto our columns (SourceMapping.group_files); a line of a file
            in no group is `malformed_csv`.
        row_status: ORDER_STATUS of rows without a status (`ingest.order_lines.row_status`).
        pii_columns: Our or the header's names of columns masked in RAW_LINE (`pii.columns.order_lines`).
        undecodable: The files whose first line is no text, in no group; every file of `lines` not named
            here belongs to one of `groups`.

    Returns:
        shape.COMMON_COLUMNS, one order event per data line. EVENT_ID is a hash of order id, item id and
        the line, so only an exact duplicate line repeats it. PARSE_ERRORS holds `malformed_csv`,
        `wrong_type:<field>` for an order time, quantity or amount whose text does not parse, or
        `unknown_value:order_status`.
    """
    group = F.col(_GROUP)

    def per_group(values: Sequence[object], data_type: T.DataType = _INT) -> Column:
        options = F.array(*[F.lit(v).cast(data_type) for v in values]).cast(T.ArrayType(data_type))
        return F.element_at(options, group + 1)

    parts = F.col(C.PARTS)
    well_formed = F.coalesce(F.size(parts) == per_group([g.layout.width for g in groups]), F.lit(False))

    def field(ours: str) -> Column:
        position = per_group([g.layout.positions.get(ours, -1) for g in groups])
        value = _unquoted(F.trim(F.get(parts, position)))
        return F.when(well_formed & (position >= 0) & (value != F.lit("")), value)

    user_id, order_id, time_text, item_id, quantity_text, amount_text, status_text = (
        field(name)
        for name in (C.USER_ID, C.ORDER_ID, ORDER_TIME, C.ITEM_ID, C.QUANTITY, C.AMOUNT, C.ORDER_STATUS)
    )
    event_time = mapping.instant(time_text, timezone)
    if event_time is None:
        event_time = _instant(time_text, timezone)
    quantity = quantity_text.try_cast(T.IntegerType())
    amount = amount_text.try_cast(T.DoubleType())
    stated = F.lower(F.trim(mapping.value(C.ORDER_STATUS, status_text)))
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
        C.ORDER_STATUS: F.coalesce(stated, F.lit(row_status)),
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
            ],
            F.when(~stated.isin(*ORDER_STATUSES), F.lit(unknown_value(C.ORDER_STATUS))),
        )
    )
    masked = per_group(
        [F.array(*[F.lit(p) for p in sorted(_positions(g, pii_columns))]) for g in groups],
        T.ArrayType(T.IntegerType()),
    )
    kept_line = F.when(
        well_formed & (F.size(masked) > 0),
        F.array_join(
            F.transform(
                parts, lambda text, i: F.when(F.array_contains(masked, i), F.lit(MASKED)).otherwise(text)
            ),
            ",",
        ),
    ).otherwise(raw_line)
    return (
        lines.select(*lines.columns, _group_of(F.col(C.SOURCE_FILE), groups, undecodable).alias(_GROUP))
        .where(
            ~F.coalesce(raw_line == per_group([g.header_line for g in groups], T.StringType()), F.lit(False))
        )
        .select(*lines.columns, _GROUP, F.split(raw_line, ",", -1).alias(C.PARTS))
        .transform(conform, fields=fields, parse_errors=errors, raw_line=kept_line)
    )


def _group_of(file: Column, groups: Sequence[FileGroup], undecodable: Sequence[str]) -> Column:
    """The index in `groups` of the group holding `file`, null for an undecodable file.

    The largest group is the default, so only files of other groups and undecodable ones are listed: a
    delivery whose files share one header (a back-fill of a daily export, however many dates) gets a plan
    of constant size and no per-row lookup.
    """
    if not groups:
        return F.lit(None).cast(T.IntegerType())
    default = max(range(len(groups)), key=lambda index: len(groups[index].files))
    others = {file: index for index, group in enumerate(groups) if index != default for file in group.files}
    others.update(dict.fromkeys(undecodable))
    if not others:
        return F.lit(default)
    listed = F.create_map(*[F.lit(x) for item in others.items() for x in item]).cast(
        T.MapType(T.StringType(), T.IntegerType())
    )
    return F.when(F.map_contains_key(listed, file), listed[file]).otherwise(F.lit(default))


def _positions(group: FileGroup, names: Sequence[str]) -> set[int]:
    """Positions in the group's header of `names`, each our column name or one of the header's names."""
    header = [name.strip().lower() for name in group.layout.header]
    found = set()
    for name in names:
        if name in group.layout.positions:
            found.add(group.layout.positions[name])
        elif name.strip().lower() in header:
            found.add(header.index(name.strip().lower()))
    return found


def _unquoted(text: Column) -> Column:
    return F.when(
        text.rlike(r'^".*"$'), F.regexp_replace(F.regexp_extract(text, r'^"(.*)"$', 1), '""', '"')
    ).otherwise(text)


def _instant(text: Column, timezone: str) -> Column:
    # Appending the zone id lets Spark resolve local times without relying on the session time zone.
    local = F.concat(text, F.lit(f" {timezone}")).try_cast(T.TimestampType())
    return F.when(text.rlike(_HAS_OFFSET), text.try_cast(T.TimestampType())).otherwise(local)
