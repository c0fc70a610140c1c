"""Duplicates within one raw date: a valid row whose event id an earlier valid row of that date already has.

The collector resends lines, so the same event can appear twice in one day's files. Rows are flagged
rather than dropped so the run can count them and account for every line. Copies that arrive on a later
raw date are kept in bronze (as received); silver picks one copy across dates.
"""

from __future__ import annotations

from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F

from transforms import columns as C


def flag_duplicates(validated: DataFrame) -> DataFrame:
    """Add IS_DUPLICATE: true for every valid row but one per INGEST_DATE and EVENT_ID; quarantined rows
    are never flagged.

    The copy kept is the first by (RAW_LINE, SOURCE_FILE), so reruns keep the same one even when two
    copies differ.

    Args:
        validated: Rows with INGEST_DATE, EVENT_ID, RAW_LINE, SOURCE_FILE and REASONS (empty when valid).

    Returns:
        The input's columns plus IS_DUPLICATE.
    """
    valid = F.size(F.col(C.REASONS)) == 0
    copies = Window.partitionBy(F.col(C.INGEST_DATE), F.col(C.EVENT_ID), valid).orderBy(
        F.col(C.RAW_LINE), F.col(C.SOURCE_FILE)
    )
    is_duplicate = valid & (F.row_number().over(copies) > 1)
    return validated.select(*[F.col(c) for c in validated.columns], is_duplicate.alias(C.IS_DUPLICATE))
