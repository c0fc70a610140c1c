"""Raw event lines to checked rows: the one chain every raw date of an event ingest goes through.

lines ─ decode ─ format adapter (common shape) ─ [dated by event time] ─ validate ─ bad encoding ─ dedupe

The checked rows feed both bronze outputs (`bronze.valid_events`, `bronze.quarantine_rows`) and the
account (`conservation.count_outcomes`).
"""

from __future__ import annotations

from pyspark.sql import DataFrame

from shop_platform.settings import IngestSettings
from transforms.ingest.dedupe import flag_duplicates
from transforms.ingest.encoding import decode_lines, flag_bad_encoding
from transforms.ingest.formats import EventFormat, ReadContext
from transforms.ingest.history_import import dated_by_event_time
from transforms.ingest.validate import EventRules, validate_events


def check_event_lines(
    lines: DataFrame,
    fmt: EventFormat,
    context: ReadContext,
    settings: IngestSettings,
    by_event_date: bool = False,
) -> DataFrame:
    """Parse, validate and flag every raw line.

    Args:
        lines: shape.LINE_COLUMNS of every raw date, as read (not yet decoded).
        fmt: The format the lines are in (`ingest.format`).
        context: What `fmt` needs to parse them (formats.read_context), with the shop's time zone.
        settings: `ingest.*`: the validation rules, `encoding`, `timestamp_days_after`.
        by_event_date: File each row under the local date of its own event time (a history import)
            instead of the raw date it was delivered under.

    Returns:
        validate.VALIDATED_COLUMNS plus IS_DUPLICATE, one row per input line.
    """
    parsed = fmt.to_common_shape(decode_lines(lines, settings.encoding), context)
    if by_event_date:
        parsed = dated_by_event_time(parsed, context.timezone, settings.timestamp_days_after)
    return (
        parsed.transform(
            validate_events,
            rules=EventRules.from_settings(settings, context.timezone),
            provided_fields=fmt.provided_fields,
        )
        # Before duplicates are looked for: a line that is no text is no event, whatever its id.
        .transform(flag_bad_encoding, encoding=settings.encoding)
        .transform(flag_duplicates)
    )
