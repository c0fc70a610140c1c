"""Quarantine against planted dirt: was every bad line the generator planted quarantined, for the right
reason, and nothing else?

Quarantined lines are matched to `truth/dirt` by raw date and event id. The id is read from the raw line
itself (`"event_id":"..."` is its first field), because a cut-short line may have lost the fields the
parser needs; the parsed EVENT_ID is the fallback. Planted duplicates are resent good lines: they must be
removed as duplicates, never quarantined, so a quarantined duplicate counts against precision.
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from sample_shop import columns as TC
from transforms import columns as C
from transforms.ingest import reasons as R

# The kinds `truth/dirt` names (the DIRT column), as the generator writes them.
DUPLICATE = "duplicate"
MALFORMED_JSON = "malformed_json"
MISSING_FIELD = "missing_field"
WRONG_TYPE = "wrong_type"
NEGATIVE_AMOUNT = "negative_amount"
FUTURE_TIMESTAMP = "future_timestamp"
ANCIENT_TIMESTAMP = "ancient_timestamp"
UNKNOWN_EVENT_TYPE = "unknown_event_type"
# The required fields a `missing_field` line may have lost, in the order they are looked for.
DROPPABLE_FIELDS = (C.USER_ID, C.EVENT_TYPE, C.EVENT_TIME)
# A row of `quarantine_by_kind` for quarantined lines that carry no planted defect.
NOT_PLANTED = "none"

EVENT_ID_IN_LINE = r'"event_id":"([^"]*)"'
EVENT_TYPE_IN_LINE = r'"event_type":"([^"]*)"'

MATCH_COLUMNS = (
    C.INGEST_DATE,
    C.EVENT_ID,
    TC.DIRT,
    TC.SHOULD_QUARANTINE,
    TC.QUARANTINED_ROWS,
    C.REASONS,
    TC.EXPECTED_REASON,
    TC.RIGHT_REASON,
    TC.EXACT_REASONS,
    C.RAW_LINE,
)
KIND_COLUMNS = (
    TC.DIRT,
    TC.PLANTED,
    TC.QUARANTINED,
    TC.QUARANTINED_ROWS,
    TC.RIGHT_REASON,
    TC.EXACT_REASONS,
    TC.MISSED,
)
SUMMARY_COLUMNS = (
    TC.QUARANTINED_ROWS,
    TC.TRUE_POSITIVE_ROWS,
    TC.PRECISION,
    TC.PLANTED_BAD,
    TC.RECALLED,
    TC.RECALL,
    TC.RIGHT_REASON,
    TC.RIGHT_REASON_SHARE,
    TC.EXACT_REASONS,
    TC.PLANTED_DUPLICATES,
    TC.QUARANTINED_DUPLICATES,
)


def event_id_of_line(raw_line: Column, parsed_event_id: Column | None = None) -> Column:
    """The event id written in a raw JSON line, else `parsed_event_id`, else null."""
    found = F.regexp_extract(raw_line, EVENT_ID_IN_LINE, 1)
    in_line = F.when(found != F.lit(""), found)
    return in_line if parsed_event_id is None else F.coalesce(in_line, parsed_event_id)


def expected_reason(kind: Column, raw_line: Column) -> Column:
    """The reason code ingestion should give a line with planted defect `kind` (null for a duplicate, a
    kind this module does not know, or a `missing_field` line that lost none of DROPPABLE_FIELDS).

    The field a `missing_field` line lost and the value of an unknown event type are read from the line.
    """
    lost_field = None
    for name in DROPPABLE_FIELDS:
        absent = ~raw_line.contains(f'"{name}":')
        lost_field = (
            F.when(absent, F.lit(R.missing(name)))
            if lost_field is None
            else lost_field.when(absent, R.missing(name))
        )
    return (
        F.when(kind == F.lit(MALFORMED_JSON), F.lit(R.MALFORMED_JSON))
        .when(kind == F.lit(MISSING_FIELD), lost_field)
        .when(kind == F.lit(WRONG_TYPE), F.lit(R.wrong_type(C.AMOUNT)))
        .when(kind == F.lit(NEGATIVE_AMOUNT), F.lit(R.out_of_range(C.AMOUNT)))
        .when(kind.isin(FUTURE_TIMESTAMP, ANCIENT_TIMESTAMP), F.lit(R.TIMESTAMP_OUT_OF_WINDOW))
        .when(
            kind == F.lit(UNKNOWN_EVENT_TYPE),
            R.unknown_event_type(F.regexp_extract(raw_line, EVENT_TYPE_IN_LINE, 1)),
        )
    )


def match_quarantine_to_dirt(quarantine: DataFrame, dirt: DataFrame) -> DataFrame:
    """One row per (raw date, event id) that was quarantined, planted as dirt, or both.

    Args:
        quarantine: bronze.events_quarantine rows with RAW_LINE, REASONS, EVENT_ID, INGEST_DATE.
        dirt: `truth/dirt`: EVENT_ID, DATE ("YYYY-MM-DD", the raw folder), DIRT (the kind); one row per
            event id.

    Returns:
        MATCH_COLUMNS: DIRT is null for a line without a planted defect; SHOULD_QUARANTINE is true for
        planted kinds other than duplicates; QUARANTINED_ROWS counts quarantine rows (0 when the line
        escaped); REASONS are all their reasons; RIGHT_REASON = quarantined with EXPECTED_REASON among the
        reasons, EXACT_REASONS = with it as the only reason. Quarantined lines without a readable event id
        are one row per raw date with a null EVENT_ID.
    """
    quarantined = (
        quarantine.select(
            C.INGEST_DATE,
            event_id_of_line(F.col(C.RAW_LINE), F.col(C.EVENT_ID)).alias(C.EVENT_ID),
            C.RAW_LINE,
            C.REASONS,
        )
        .groupBy(C.INGEST_DATE, C.EVENT_ID)
        .agg(
            F.count(F.lit(1)).alias(TC.QUARANTINED_ROWS),
            F.min(C.RAW_LINE).alias(C.RAW_LINE),
            F.array_sort(F.array_distinct(F.flatten(F.collect_list(C.REASONS)))).alias(C.REASONS),
        )
    )
    planted = dirt.select(F.to_date(F.col(C.DATE)).alias(C.INGEST_DATE), C.EVENT_ID, TC.DIRT)
    # One row per (date, id) on both sides (the quarantine is grouped, the truth has one row per event),
    # so the full join keeps one row per key.
    matched = quarantined.join(planted, on=[C.INGEST_DATE, C.EVENT_ID], how="full").select(
        C.INGEST_DATE,
        C.EVENT_ID,
        TC.DIRT,
        (F.col(TC.DIRT).isNotNull() & (F.col(TC.DIRT) != F.lit(DUPLICATE))).alias(TC.SHOULD_QUARANTINE),
        F.coalesce(F.col(TC.QUARANTINED_ROWS), F.lit(0)).alias(TC.QUARANTINED_ROWS),
        C.REASONS,
        expected_reason(F.col(TC.DIRT), F.col(C.RAW_LINE)).alias(TC.EXPECTED_REASON),
        C.RAW_LINE,
    )
    is_quarantined = F.col(TC.QUARANTINED_ROWS) > 0
    expected = F.col(TC.EXPECTED_REASON)
    right = is_quarantined & F.coalesce(F.array_contains(F.col(C.REASONS), expected), F.lit(False))
    exact = is_quarantined & F.coalesce(F.col(C.REASONS) == F.array(expected), F.lit(False))
    return matched.select(
        C.INGEST_DATE,
        C.EVENT_ID,
        TC.DIRT,
        TC.SHOULD_QUARANTINE,
        TC.QUARANTINED_ROWS,
        C.REASONS,
        TC.EXPECTED_REASON,
        right.alias(TC.RIGHT_REASON),
        exact.alias(TC.EXACT_REASONS),
        C.RAW_LINE,
    )


def quarantine_by_kind(matched: DataFrame) -> DataFrame:
    """Per planted kind (NOT_PLANTED for quarantined lines without a defect): how each fared.

    Args:
        matched: Output of `match_quarantine_to_dirt`.

    Returns:
        KIND_COLUMNS: PLANTED events of the kind, of which QUARANTINED (in QUARANTINED_ROWS rows), with
        the RIGHT_REASON, with EXACT_REASONS, and MISSED (should have been quarantined, were not).
    """
    is_quarantined = F.col(TC.QUARANTINED_ROWS) > 0
    return (
        matched.groupBy(F.coalesce(F.col(TC.DIRT), F.lit(NOT_PLANTED)).alias(TC.DIRT))
        .agg(
            F.count_if(F.col(TC.DIRT).isNotNull()).alias(TC.PLANTED),
            F.count_if(is_quarantined).alias(TC.QUARANTINED),
            F.sum(TC.QUARANTINED_ROWS).cast("long").alias(TC.QUARANTINED_ROWS),
            F.count_if(F.col(TC.RIGHT_REASON)).alias(TC.RIGHT_REASON),
            F.count_if(F.col(TC.EXACT_REASONS)).alias(TC.EXACT_REASONS),
            F.count_if(F.col(TC.SHOULD_QUARANTINE) & ~is_quarantined).alias(TC.MISSED),
        )
        .select(*KIND_COLUMNS)
    )


def quarantine_summary(matched: DataFrame) -> DataFrame:
    """One row: precision and recall of the quarantine against the planted dirt, and the reasons' share.

    PRECISION = quarantine rows of lines with a planted defect (duplicates excluded) / all quarantine
    rows (1.0 when nothing was quarantined: nothing was wrongly quarantined); RECALL = planted bad lines
    quarantined / planted bad lines (1.0 when none was planted); RIGHT_REASON_SHARE = of the planted bad
    lines quarantined, the share with the expected reason (1.0 when none was quarantined).

    Args:
        matched: Output of `match_quarantine_to_dirt`.

    Returns:
        SUMMARY_COLUMNS.
    """
    should, rows = F.col(TC.SHOULD_QUARANTINE), F.col(TC.QUARANTINED_ROWS)
    is_quarantined = rows > 0
    is_duplicate = F.col(TC.DIRT) == F.lit(DUPLICATE)
    counts = matched.agg(
        F.coalesce(F.sum(rows), F.lit(0)).cast("long").alias(TC.QUARANTINED_ROWS),
        F.coalesce(F.sum(F.when(should, rows)), F.lit(0)).cast("long").alias(TC.TRUE_POSITIVE_ROWS),
        F.count_if(should).alias(TC.PLANTED_BAD),
        F.count_if(should & is_quarantined).alias(TC.RECALLED),
        F.count_if(should & F.col(TC.RIGHT_REASON)).alias(TC.RIGHT_REASON),
        F.count_if(should & F.col(TC.EXACT_REASONS)).alias(TC.EXACT_REASONS),
        F.count_if(is_duplicate).alias(TC.PLANTED_DUPLICATES),
        F.count_if(is_duplicate & is_quarantined).alias(TC.QUARANTINED_DUPLICATES),
    )

    def share(part: str, whole: str) -> Column:
        return F.when(F.col(whole) > 0, F.col(part) / F.col(whole)).otherwise(F.lit(1.0))

    return counts.select(
        TC.QUARANTINED_ROWS,
        TC.TRUE_POSITIVE_ROWS,
        share(TC.TRUE_POSITIVE_ROWS, TC.QUARANTINED_ROWS).alias(TC.PRECISION),
        TC.PLANTED_BAD,
        TC.RECALLED,
        share(TC.RECALLED, TC.PLANTED_BAD).alias(TC.RECALL),
        TC.RIGHT_REASON,
        share(TC.RIGHT_REASON, TC.RECALLED).alias(TC.RIGHT_REASON_SHARE),
        TC.EXACT_REASONS,
        TC.PLANTED_DUPLICATES,
        TC.QUARANTINED_DUPLICATES,
    )


def quarantine_mismatches(matched: DataFrame) -> DataFrame:
    """Rows of `match_quarantine_to_dirt` that are not a planted bad line quarantined for exactly the
    expected reason: escaped lines, other or extra reasons, and quarantined lines without planted dirt.

    Returns:
        MATCH_COLUMNS.
    """
    should, is_quarantined = F.col(TC.SHOULD_QUARANTINE), F.col(TC.QUARANTINED_ROWS) > 0
    return matched.where((should & ~F.col(TC.EXACT_REASONS)) | (~should & is_quarantined)).select(
        *MATCH_COLUMNS
    )
