"""Bronze ingestion: `ingest` (raw format, validation rules, header and value mappings)."""

from __future__ import annotations

from dataclasses import dataclass, field

from shop_platform.settings.checks import Problems, rates
from shop_platform.vocabulary import IngestFormat, OrderRowStatus


def _line_encoding(name: str) -> Problems:
    import codecs

    try:
        codec = codecs.lookup(name)
    except LookupError:
        yield "encoding", f"{name!r} is not a known character encoding"
        return
    if "\n".encode(codec.name) != b"\n":
        # Raw files are split into lines on the byte 0x0A before they are decoded.
        yield "encoding", f"{name!r} does not end lines with the single byte 0x0A; convert the files to UTF-8"


@dataclass(frozen=True)
class OrderLineSettings:
    """What the rows of an order-lines export are when it has no (mapped) status column."""

    # An export of completed orders lists paid orders; placed, refunded or cancelled otherwise.
    row_status: OrderRowStatus = "paid"


@dataclass(frozen=True)
class IngestSettings:
    """Bronze ingestion: which raw format, and the validation rules every row must pass."""

    # events_jsonl: the collector's JSON lines; taobao_user_behavior: Tianchi UserBehavior CSV
    # (user_id,item_id,category_id,behavior_type,timestamp; no header); order_lines_csv: order lines with a header.
    format: IngestFormat
    # Folder under the lake root holding date=YYYY-MM-DD sub-folders of raw files.
    raw_dir: str
    required_fields: list[str]
    # Regular expressions an id must match in full, by column.
    id_patterns: dict[str, str]
    # Event times outside [run date - days_before, run date + days_after] are quarantined.
    timestamp_days_before: int
    timestamp_days_after: int
    # The job fails (after writing the quarantine) when a larger share of a day's lines is quarantined.
    max_quarantine_rate: float
    # Days before the run date that downstream stages recompute, so late events land where they belong.
    lookback_days: int
    # A raw date with fewer input lines than this, for which bronze already holds rows, stops the run and
    # leaves both tables as they are (an empty or truncated delivery), unless the run says --allow-empty.
    min_lines_per_date: int = 1
    # Character encoding of the raw event files (utf-8, gbk, gb18030, latin-1, ...; one byte 0x0A must end
    # a line, so not UTF-16): lines that are not valid text in it are quarantined as `bad_encoding`.
    encoding: str = "utf-8"
    # Per source (users, items, campaigns, campaign_assignments, order_lines): our column name -> the
    # name in the shop's header, for the columns named differently (transforms/ingest/headers.py).
    columns: dict[str, dict[str, str]] = field(default_factory=dict)
    # Per source and our column: the shop's value -> ours (e.g. Taobao behaviour codes, order statuses).
    values: dict[str, dict[str, dict[str, str]]] = field(default_factory=dict)
    # Per source (order_lines, taobao): a Spark datetime pattern for its times, e.g. "yyyy/MM/dd HH:mm".
    timestamp_formats: dict[str, str] = field(default_factory=dict)
    order_lines: OrderLineSettings = field(default_factory=OrderLineSettings)

    def problems(self) -> Problems:
        import re

        yield from rates(self, ("max_quarantine_rate",))
        for source, pattern in self.timestamp_formats.items():
            if not pattern.strip():
                yield f"timestamp_formats.{source}", "must be a Spark datetime pattern, got an empty value"
        for column, pattern in self.id_patterns.items():
            try:
                re.compile(pattern)
            except re.error as exc:
                yield "id_patterns", f"has an invalid regular expression for {column}: {exc}"
        for name in ("timestamp_days_before", "timestamp_days_after", "lookback_days", "min_lines_per_date"):
            if getattr(self, name) < 0:
                yield name, f"must be >= 0, got {getattr(self, name)}"
        yield from _line_encoding(self.encoding)
