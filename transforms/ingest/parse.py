"""JSON lines (the collector's `events_jsonl` format) into the common event shape.

Each line is parsed with RAW_EVENT_SCHEMA in PERMISSIVE mode with a corrupt-record column. A line the parser
flagged (or could not read at all) is parsed again as map<string, string> (and its order lines once more as
text, to check them field by field). A line that is not a JSON object at all fails both and is
`malformed_json`. A line that is valid JSON but has a value that does not fit its type (an amount of
"12.50 CNY") lands in the corrupt-record column and the typed field is null while the text field is not:
that names the field, so a bad value is reported as `wrong_type:<field>` and never becomes a silent null.
"""

from __future__ import annotations

from collections.abc import Callable

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T

from transforms import columns as C
from transforms.ingest.reasons import MALFORMED_JSON, collect_reasons, no_reasons, wrong_type
from transforms.ingest.shape import EVENT_FIELDS, conform
from transforms.schemas import ORDER_LINE_SCHEMA, RAW_EVENT_SCHEMA

_TYPED_SCHEMA = T.StructType([*RAW_EVENT_SCHEMA.fields, T.StructField(C.CORRUPT_RECORD, T.StringType())])
_PERMISSIVE = {"mode": "PERMISSIVE", "columnNameOfCorruptRecord": C.CORRUPT_RECORD}
_TEXT_MAP = T.MapType(T.StringType(), T.StringType())
_TEXT_LINES = T.ArrayType(_TEXT_MAP)
# Catch-all when the parser flagged the line but no single field explains it (e.g. a repeated key).
UNEXPLAINED = "unknown"
# Malformed lines are mostly cut short, and the id usually survives at the front: kept for tracing.
_EVENT_ID_TEXT = r'"event_id"\s*:\s*"([^"]{1,64})"'


def parse_json_lines(lines: DataFrame) -> DataFrame:
    """Parse JSON-lines events into the common shape.

    Args:
        lines: RAW_LINE (one JSON object per line), SOURCE_FILE, INGESTED_AT, INGEST_DATE.

    Returns:
        shape.COMMON_COLUMNS; CATEGORY_ID is null (the collector does not send it). PARSE_ERRORS holds
        `malformed_json`, or one `wrong_type:<field>` per field whose text did not fit its type.
    """
    typed = F.from_json(F.col(C.RAW_LINE), _TYPED_SCHEMA, _PERMISSIVE)
    # inline() of a one-element array yields exactly one row per line, and is a boundary the optimizer
    # does not inline through: without it, a filter on the validated rows gets the parses copied into
    # every rule that reads a field (thousands of from_json calls per row).
    parsed = lines.select(*lines.columns, F.inline(F.array(F.struct(typed.alias(C.TYPED)))))
    # A line the typed parse took whole is a JSON object whose values all fit: only the others (a few in a
    # thousand) are parsed again as text, to tell malformed JSON from a value of the wrong type.
    suspect = F.col(C.TYPED).isNull() | F.col(C.TYPED).getField(C.CORRUPT_RECORD).isNotNull()
    text = F.struct(
        F.from_json(F.col(C.RAW_LINE), _TEXT_MAP).alias(C.TEXT_FIELDS),
        F.from_json(F.get_json_object(F.col(C.RAW_LINE), f"$.{C.ITEMS}"), _TEXT_LINES).alias(C.TEXT_LINES),
    )
    parsed = parsed.select(*parsed.columns, F.inline(F.array(F.when(suspect, text))))
    malformed = suspect & F.col(C.TEXT_FIELDS).isNull()
    fields = {name: F.when(~malformed, F.col(C.TYPED).getField(name)) for name in EVENT_FIELDS}
    fields[C.EVENT_ID] = F.when(~malformed, F.col(C.TYPED).getField(C.EVENT_ID)).otherwise(
        F.nullif(F.regexp_extract(F.col(C.RAW_LINE), _EVENT_ID_TEXT, 1), F.lit(""))
    )
    errors = (
        F.when(malformed, F.array(F.lit(MALFORMED_JSON)))
        .when(suspect, _wrong_type_reasons())
        .otherwise(no_reasons())
    )
    return parsed.transform(conform, fields=fields, parse_errors=errors)


def _wrong_type_reasons() -> Column:
    typed = F.col(C.TYPED)
    text = F.col(C.TEXT_FIELDS)
    top_level = [
        F.when(text.getItem(name).isNotNull() & typed.getField(name).isNull(), F.lit(wrong_type(name)))
        for name in EVENT_FIELDS
    ]
    # Order lines are checked element by element, so a price of "x" in the second line is named too.
    text_lines = F.col(C.TEXT_LINES)
    nested = [
        F.when(
            F.exists(
                F.zip_with(typed.getField(C.ITEMS), text_lines, _line_field_unparsed(name)), lambda x: x
            ),
            F.lit(wrong_type(f"{C.ITEMS}.{name}")),
        )
        for name in ORDER_LINE_SCHEMA.fieldNames()
    ]
    named = collect_reasons(*top_level, *nested)
    unexplained = typed.getField(C.CORRUPT_RECORD).isNotNull() & (F.size(named) == 0)
    return F.when(unexplained, F.array(F.lit(wrong_type(UNEXPLAINED)))).otherwise(named)


def _line_field_unparsed(name: str) -> Callable[[Column, Column], Column]:
    # A factory, not a default argument: Spark counts every lambda parameter as a lambda variable.
    def unparsed(typed_line: Column, text_line: Column) -> Column:
        return text_line.getItem(name).isNotNull() & typed_line.getField(name).isNull()

    return unparsed
