"""How one shop's export of a source is read: its column names, its values, its time format.

Built from `ingest.columns.<source>` (our name -> their name), `ingest.values.<source>.<our_column>`
(their value -> ours, compared trimmed and case-insensitively; unmapped values pass through unchanged so
validation can name them) and `ingest.timestamp_formats.<source>` (a Spark datetime pattern; a pattern
without an offset letter reads wall-clock times of `app.timezone`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T

from shop_platform.settings import IngestSettings
from transforms import columns as C
from transforms.ingest.headers import SOURCES, HeaderMap, Source, map_header, split_header
from transforms.vocabulary import ORDER_ROW_STATUSES

# Pattern letters that make a parsed time an instant (zone id, zone name, offsets); quoted text aside.
_ZONE_LETTERS = re.compile(r"[VzOXxZ]")
_QUOTED = re.compile(r"'[^']*'")
# The sources whose times `ingest.timestamp_formats` may give a pattern for.
TIMED_SOURCES = ("order_lines", "taobao")
# What an order export may say an order row is (`ingest.values.order_lines.order_status` maps onto these).
ORDER_STATUSES = ORDER_ROW_STATUSES


@dataclass(frozen=True)
class FileGroup:
    """Files of one delivery that share one header."""

    header_line: str
    layout: HeaderMap
    files: tuple[str, ...]


@dataclass(frozen=True)
class SourceMapping:
    """The per-source read settings of `ingest.*` for one source."""

    source: Source
    renames: Mapping[str, str] = field(default_factory=dict)
    values: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    timestamp_format: str | None = None

    @classmethod
    def from_settings(cls, source: Source, settings: IngestSettings) -> SourceMapping:
        return cls(
            source,
            dict(settings.columns.get(source.name, {})),
            {column: dict(values) for column, values in settings.values.get(source.name, {}).items()},
            settings.timestamp_formats.get(source.name),
        )

    @property
    def columns(self) -> tuple[str, ...]:
        """Our columns of the source, in documented order."""
        return self.source.columns

    def read_schema(self, layout: HeaderMap, corrupt_record: str) -> T.StructType:
        """Every column of a header as text, under its own name (blank names as _c<i>), then the corrupt
        record column: reading with it keeps Spark's header check quiet and flags rows of another width."""
        names = [name or f"_c{index}" for index, name in enumerate(layout.header)]
        return T.StructType(
            [T.StructField(name, T.StringType(), True) for name in names]
            + [T.StructField(corrupt_record, T.StringType(), True)]
        )

    def group_files(self, first_lines: Mapping[str, str]) -> tuple[list[FileGroup], list[str]]:
        """Map each file's header (its first line) onto our columns; files with one header form a group.

        Args:
            first_lines: File -> its first line (storage.files.first_lines).

        Returns:
            The groups, and the files whose first line is not UTF-8 text (their rows are `bad_encoding`).

        Raises:
            HeaderError: for the first header that cannot be mapped, naming its files.
        """
        by_header: dict[str, list[str]] = {}
        undecodable = []
        for file, line in sorted(first_lines.items()):
            if "\ufffd" in line or "\x00" in line:
                undecodable.append(file)
            else:
                by_header.setdefault(line, []).append(file)
        groups = []
        for line, files in by_header.items():
            where = (
                files[0] if len(files) == 1 else f"{files[0]} (and {len(files) - 1} more with that header)"
            )
            layout = map_header(split_header(line), self.source, self.renames, where)
            groups.append(FileGroup(line, layout, tuple(files)))
        return groups, undecodable

    def select_columns(self, raw: DataFrame, layout: HeaderMap, *extra: Column) -> DataFrame:
        """Our columns (as text, value maps applied) from `raw`, a read of files with `layout`'s header.

        Args:
            raw: The files read positionally, one text column per header column, in header order.
            layout: Their header's mapping; absent optional columns become null.
            extra: Further columns to keep (e.g. the corrupt record and file metadata).
        """
        # By position: the read schema carries the file's own names, which may be anything.
        return raw.select(
            *[
                (self.value(ours, raw[layout.positions[ours]]) if ours in layout.positions else F.lit(None))
                .cast(T.StringType())
                .alias(ours)
                for ours in self.source.columns
            ],
            *extra,
        )

    def value(self, column: str, text: Column) -> Column:
        """`text` through `ingest.values.<source>.<column>`; unmapped values unchanged."""
        mapping = self.values.get(column)
        if not mapping:
            return text
        lookup = F.create_map(
            *[F.lit(x) for their, ours in mapping.items() for x in (their.strip().lower(), ours)]
        )
        return F.coalesce(lookup[F.lower(F.trim(text))], text)

    def instant(self, text: Column, timezone: str) -> Column | None:
        """`text` parsed with the source's timestamp format as a UTC instant, or None without a format."""
        if self.timestamp_format is None:
            return None
        parsed = F.try_to_timestamp(text, F.lit(self.timestamp_format))
        if _ZONE_LETTERS.search(_QUOTED.sub("", self.timestamp_format)):
            return parsed
        # Parsed without a zone, the text is a wall-clock time of the session zone; to_utc_timestamp reads
        # that same wall-clock time in the shop's zone instead.
        return F.to_utc_timestamp(parsed, timezone)


def check_source_settings(settings: IngestSettings) -> None:
    """Check that `ingest.columns`, `ingest.values` and `ingest.timestamp_formats` name known sources and
    our columns of them, before Spark starts.

    Raises:
        ValueError: naming the key at fault and what it may be.
    """
    for key, per_source in (
        ("columns", settings.columns),
        ("values", settings.values),
        ("timestamp_formats", settings.timestamp_formats),
    ):
        for name, mapping in per_source.items():
            if name not in SOURCES:
                raise ValueError(f"ingest.{key}.{name}: unknown source; known: {', '.join(sorted(SOURCES))}")
            source = SOURCES[name]
            if key == "timestamp_formats":
                if name not in TIMED_SOURCES:
                    raise ValueError(
                        f"ingest.timestamp_formats.{name}: only {', '.join(TIMED_SOURCES)} read times with a "
                        "pattern; catalogue dates are ISO-8601 (yyyy-MM-dd)"
                    )
                continue
            unknown = sorted(set(mapping) - set(source.columns))
            if unknown:
                raise ValueError(
                    f"ingest.{key}.{name} names {', '.join(unknown)}, which are not columns of {name} "
                    f"(ours: {', '.join(source.columns)})"
                )
            statuses = mapping.get(C.ORDER_STATUS, {}) if key == "values" else {}
            wrong = sorted({ours for ours in statuses.values() if ours not in ORDER_STATUSES})
            if wrong:
                raise ValueError(
                    f"ingest.values.{name}.{C.ORDER_STATUS} maps onto {', '.join(wrong)}; an order status is "
                    f"one of {', '.join(ORDER_STATUSES)}"
                )
            if key == "columns" and not source.has_header:
                raise ValueError(
                    f"ingest.columns.{name}: {name} files have no header; their columns are positional "
                    f"({','.join(source.columns)}) and cannot be renamed"
                )
