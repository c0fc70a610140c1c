"""Conservation of raw lines, checked from outside the ingest: every line of a raw date is a bronze event,
a quarantined line, or the extra copy of a planted duplicate, and no event id in the raw files is lost.

The ingest job checks lines = valid + quarantined + duplicates itself, but from its own counts; here the
lines are counted in the raw files, the outcomes in the tables, and the duplicates in the truth.
"""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from sample_shop import columns as TC
from sample_shop.truth.quarantine import DUPLICATE, event_id_of_line
from transforms import columns as C

ACCOUNTING_COLUMNS = (
    C.INGEST_DATE,
    TC.LINES,
    TC.VALID,
    TC.QUARANTINED_ROWS,
    TC.DUPLICATES_REMOVED,
    TC.PLANTED_DUPLICATES,
    TC.LOST_EVENTS,
    TC.CONSERVED,
)
_COUNTS = (TC.LINES, TC.VALID, TC.QUARANTINED_ROWS, TC.PLANTED_DUPLICATES, TC.LOST_EVENTS)


def _one_per_row(df: DataFrame, counted: str) -> DataFrame:
    """INGEST_DATE plus a 1 in column `counted` and 0 in the other counts, so a union can be summed."""
    return df.select(
        C.INGEST_DATE, *[F.lit(1 if name == counted else 0).cast("long").alias(name) for name in _COUNTS]
    )


def ingest_accounting(
    raw_lines: DataFrame, bronze_events: DataFrame, quarantine: DataFrame, dirt: DataFrame
) -> DataFrame:
    """Per raw date: lines read, their outcomes, and whether they add up.

    Args:
        raw_lines: INGEST_DATE (the raw folder's date), RAW_LINE: every line of the raw files.
        bronze_events: bronze.events rows with EVENT_ID, INGEST_DATE.
        quarantine: bronze.events_quarantine rows with RAW_LINE, EVENT_ID, INGEST_DATE.
        dirt: `truth/dirt`: EVENT_ID, DATE ("YYYY-MM-DD"), DIRT.

    Returns:
        ACCOUNTING_COLUMNS, one row per date seen in any input. DUPLICATES_REMOVED = LINES - VALID -
        QUARANTINED_ROWS; LOST_EVENTS counts event ids read from raw lines that neither table holds for
        that date; CONSERVED = DUPLICATES_REMOVED equals PLANTED_DUPLICATES (each planted duplicate is one
        extra line) and nothing was lost.
    """
    raw_ids = raw_lines.select(C.INGEST_DATE, event_id_of_line(F.col(C.RAW_LINE)).alias(C.EVENT_ID))
    quarantined_ids = quarantine.select(
        C.INGEST_DATE, event_id_of_line(F.col(C.RAW_LINE), F.col(C.EVENT_ID)).alias(C.EVENT_ID)
    )
    kept_ids = bronze_events.select(C.INGEST_DATE, C.EVENT_ID).unionByName(quarantined_ids)
    lost = (
        raw_ids.where(F.col(C.EVENT_ID).isNotNull())
        .distinct()
        .join(kept_ids, on=[C.INGEST_DATE, C.EVENT_ID], how="left_anti")
    )
    planted_duplicates = dirt.where(F.col(TC.DIRT) == F.lit(DUPLICATE)).select(
        F.to_date(F.col(C.DATE)).alias(C.INGEST_DATE)
    )
    counts = (
        _one_per_row(raw_lines, TC.LINES)
        .unionByName(_one_per_row(bronze_events, TC.VALID))
        .unionByName(_one_per_row(quarantine, TC.QUARANTINED_ROWS))
        .unionByName(_one_per_row(planted_duplicates, TC.PLANTED_DUPLICATES))
        .unionByName(_one_per_row(lost, TC.LOST_EVENTS))
        .groupBy(C.INGEST_DATE)
        .agg(*[F.sum(name).alias(name) for name in _COUNTS])
    )
    removed = F.col(TC.LINES) - F.col(TC.VALID) - F.col(TC.QUARANTINED_ROWS)
    return counts.select(
        C.INGEST_DATE,
        TC.LINES,
        TC.VALID,
        TC.QUARANTINED_ROWS,
        removed.alias(TC.DUPLICATES_REMOVED),
        TC.PLANTED_DUPLICATES,
        TC.LOST_EVENTS,
        ((removed == F.col(TC.PLANTED_DUPLICATES)) & (F.col(TC.LOST_EVENTS) == 0)).alias(TC.CONSERVED),
    )
