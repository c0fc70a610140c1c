"""The raw event formats `ingest.format` can name, each an adapter onto the common event shape."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from pyspark.sql import DataFrame

from shop_platform.settings import Config
from transforms.ingest import order_lines, taobao
from transforms.ingest.headers import ORDER_LINES, TAOBAO, Source
from transforms.ingest.mapping import FileGroup, SourceMapping
from transforms.ingest.parse import parse_json_lines
from transforms.ingest.shape import EVENT_FIELDS
from transforms.vocabulary import EVENTS_JSONL, ORDER_LINES_CSV, TAOBAO_USER_BEHAVIOR


@dataclass(frozen=True)
class ReadContext:
    """What a format needs besides the lines: the shop's zone and its read settings for the source.

    Attributes:
        timezone: `app.timezone`.
        mapping: The source's `ingest.columns/values/timestamp_formats`.
        groups: For formats with a header: every file's header mapped onto our columns.
        undecodable: For formats with a header: the files whose first line is no text (no header known).
        row_status: `ingest.order_lines.row_status`.
        pii_columns: `pii.columns.<source>`, masked in the RAW_LINE kept for the quarantine.
    """

    timezone: str
    mapping: SourceMapping | None = None
    groups: Sequence[FileGroup] = ()
    row_status: str = "paid"
    pii_columns: Sequence[str] = field(default_factory=tuple)
    undecodable: Sequence[str] = ()


@dataclass(frozen=True)
class EventFormat:
    """One raw format: how its lines become the common shape, and which fields it can fill at all.

    Validation checks a required field only when the format provides (or synthesizes) it, so a rule for
    a field the format never has does not quarantine every line. `source` names the format's columns
    (`ingest.columns.<source>` etc.); its `has_header` says whether each file starts with a header.
    """

    name: str
    parse: Callable[[DataFrame, ReadContext], DataFrame]
    provided_fields: frozenset[str]
    source: Source | None = None

    @property
    def has_header(self) -> bool:
        return self.source is not None and self.source.has_header

    def to_common_shape(self, lines: DataFrame, context: ReadContext | str) -> DataFrame:
        """RAW_LINE, SOURCE_FILE, INGESTED_AT, INGEST_DATE lines into shape.COMMON_COLUMNS.

        `context` may be just the time zone for a format without a header.
        """
        if isinstance(context, str):
            context = ReadContext(context)
        if context.mapping is None and self.source is not None:
            context = ReadContext(
                context.timezone,
                SourceMapping(self.source),
                context.groups,
                context.row_status,
                context.pii_columns,
                context.undecodable,
            )
        return self.parse(lines, context)


EVENT_FORMATS = {
    fmt.name: fmt
    for fmt in (
        EventFormat(EVENTS_JSONL, lambda lines, _context: parse_json_lines(lines), frozenset(EVENT_FIELDS)),
        EventFormat(
            TAOBAO_USER_BEHAVIOR,
            lambda lines, context: taobao.parse_taobao_lines(lines, context.mapping, context.timezone),
            taobao.PROVIDED_FIELDS,
            TAOBAO,
        ),
        EventFormat(
            ORDER_LINES_CSV,
            lambda lines, context: order_lines.parse_order_lines(
                lines,
                context.timezone,
                context.mapping,
                context.groups,
                row_status=context.row_status,
                pii_columns=context.pii_columns,
                undecodable=context.undecodable,
            ),
            order_lines.PROVIDED_FIELDS,
            ORDER_LINES,
        ),
    )
}


def event_format(name: str) -> EventFormat:
    """The format called `name`, or an error naming `ingest.format` and the known formats."""
    if name not in EVENT_FORMATS:
        raise ValueError(f"ingest.format {name!r} is not one of {', '.join(sorted(EVENT_FORMATS))}")
    return EVENT_FORMATS[name]


def read_context(fmt: EventFormat, config: Config, groups: Sequence[FileGroup] = ()) -> ReadContext:
    """What `fmt` needs to parse lines: the shop's time zone and read settings of its source, and for a
    format with a header every file's header mapped onto our columns (`groups`, read by the job).

    Args:
        fmt: The format.
        config: The run's config (`app.timezone`, `ingest.*`, `pii.columns`).
        groups: The files' headers grouped by `SourceMapping.group_files`.
    """
    source = fmt.source
    return ReadContext(
        config.app.timezone,
        SourceMapping.from_settings(source, config.ingest) if source is not None else None,
        groups=tuple(groups),
        row_status=config.ingest.order_lines.row_status,
        pii_columns=tuple(config.pii.columns.get(source.name, ())) if source is not None else (),
    )
