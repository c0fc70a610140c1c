"""A shop's history in one export (`ingest_events --import`): each row filed under its own event date.

A daily delivery files its lines under the folder's date, and the validation window is relative to that
date. A first load is one export covering months, so each parsed row gets the shop-local date of its own
event time as INGEST_DATE; the rest of the ingest (validation, duplicates, the account, the per-date
partition overwrite) then runs exactly as a back-fill over the dates found.

A row whose time cannot be read keeps the date it was read under (the run's --date), and so does one dated
after that date's window (a typo such as 2062): validation then quarantines it (`missing:event_time`,
`wrong_type:event_time`, `malformed_*` or `timestamp_out_of_window`), so it is counted and kept, never
lost and never filed under a made-up future date.
"""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from transforms import columns as C
from transforms.ingest.bronze import local_date


def dated_by_event_time(parsed: DataFrame, timezone: str, days_after: int) -> DataFrame:
    """Set INGEST_DATE to the local date of EVENT_TIME, unless that is unknown or after the window.

    Args:
        parsed: shape.COMMON_COLUMNS with INGEST_DATE = the run date every line was read under.
        timezone: The shop's time zone (`app.timezone`), which decides the date of an instant.
        days_after: `ingest.timestamp_days_after`: how far after the run date an event may be dated.

    Returns:
        The columns of `parsed`, in order.
    """
    run_date = F.col(C.INGEST_DATE)
    own = local_date(F.col(C.EVENT_TIME), timezone)
    dated = F.when(own.isNotNull() & (own <= F.date_add(run_date, days_after)), own).otherwise(run_date)
    return parsed.select(*[dated.alias(c) if c == C.INGEST_DATE else F.col(c) for c in parsed.columns])
