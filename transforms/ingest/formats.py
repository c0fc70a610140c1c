"""The raw event formats `ingest.format` can name, each an adapter onto the common event shape."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from pyspark.sql import DataFrame

from transforms.ingest import order_lines, taobao
from transforms.ingest.parse import parse_json_lines
from transforms.ingest.shape import EVENT_FIELDS


@dataclass(frozen=True)
class EventFormat:
    """One raw format: how its lines become the common shape, and which fields it can fill at all.

    Validation checks a required field only when the format provides (or synthesizes) it, so a rule for
    a field the format never has does not quarantine every line.
    """

    name: str
    parse: Callable[[DataFrame, str], DataFrame]
    provided_fields: frozenset[str]

    def to_common_shape(self, lines: DataFrame, timezone: str) -> DataFrame:
        """RAW_LINE, SOURCE_FILE, INGESTED_AT, INGEST_DATE lines into shape.COMMON_COLUMNS."""
        return self.parse(lines, timezone)


EVENT_FORMATS = {
    fmt.name: fmt
    for fmt in (
        EventFormat(
            "events_jsonl", lambda lines, _timezone: parse_json_lines(lines), frozenset(EVENT_FIELDS)
        ),
        EventFormat(
            "taobao_user_behavior",
            lambda lines, _timezone: taobao.parse_taobao_lines(lines),
            taobao.PROVIDED_FIELDS,
        ),
        EventFormat("order_lines_csv", order_lines.parse_order_lines, order_lines.PROVIDED_FIELDS),
    )
}


def event_format(name: str) -> EventFormat:
    """The format called `name`, or an error naming `ingest.format` and the known formats."""
    if name not in EVENT_FORMATS:
        raise ValueError(f"ingest.format {name!r} is not one of {', '.join(sorted(EVENT_FORMATS))}")
    return EVENT_FORMATS[name]
