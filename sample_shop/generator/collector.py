"""The log collector's view: events serialized as JSON lines, filed by arrival day, with dirt."""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from sample_shop import columns as TC
from sample_shop.generator.codegen import split_codegen
from sample_shop.generator.dirt import corrupt_fields, corrupt_lines, with_dirt_kind
from sample_shop.generator.late_arrivals import with_arrival_date
from shop_platform.settings import DirtSettings
from transforms import columns as C
from transforms.schemas import RAW_EVENT_SCHEMA

# ISO-8601 in UTC. date_format renders in the session time zone, which shop_platform.session fixes to UTC.
ISO_UTC_MILLIS = "yyyy-MM-dd'T'HH:mm:ss.SSS'Z'"


def to_json_lines(events: DataFrame) -> DataFrame:
    """One JSON object per event with the RAW_EVENT_SCHEMA fields in order; null fields are left out.

    Returns:
        EVENT_ID, DIRT, DATE, VALUE.
    """
    fields = [
        F.date_format(F.col(name), ISO_UTC_MILLIS).alias(name) if name == C.EVENT_TIME else F.col(name)
        for name in RAW_EVENT_SCHEMA.fieldNames()
    ]
    return events.select(C.EVENT_ID, TC.DIRT, C.DATE, F.to_json(F.struct(*fields)).alias(C.VALUE))


def with_collector_fields(
    events: DataFrame, seed: int, late_share: float, dirt: DirtSettings, timezone: str
) -> DataFrame:
    """Add what the collector decides per event: DATE, the raw folder it is filed under (some late), and
    DIRT, the defect its line will carry (null for a clean line).

    Both are pure functions of the event id and time, computed once: `raw_event_lines` plants them and
    `planted_dirt` records them.

    Args:
        events: Clean events (EVENT_COLUMNS).
        seed: Generator seed.
        late_share: Share of events filed one or two days after their local day.
        dirt: Defect rates.
        timezone: The shop's time zone, which decides the day an event is filed under.
    """
    return (
        # Above a union of event kinds, the split keeps this projection from being copied into each kind.
        events.transform(split_codegen)
        .transform(with_arrival_date, seed=seed, late_share=late_share, timezone=timezone)
        .transform(with_dirt_kind, seed=seed, dirt=dirt)
    )


def raw_event_lines(events: DataFrame, seed: int) -> DataFrame:
    """The collector files `raw/events/date=<arrival day>/`: lines of JSON, some late, some dirty.

    Args:
        events: Clean events with their collector fields (`with_collector_fields`).
        seed: Generator seed.

    Returns:
        DATE ("YYYY-MM-DD"), VALUE (the line).
    """
    return (
        events.transform(corrupt_fields, seed=seed)
        .transform(split_codegen)
        .transform(to_json_lines)
        .transform(corrupt_lines, seed=seed)
        .select(C.DATE, C.VALUE)
    )


def planted_dirt(events: DataFrame) -> DataFrame:
    """`truth/dirt`: EVENT_ID, DATE (the raw folder), DIRT for every event whose line carries a defect.

    Args:
        events: Clean events with their collector fields (`with_collector_fields`).
    """
    return events.where(F.col(TC.DIRT).isNotNull()).select(C.EVENT_ID, C.DATE, TC.DIRT)
