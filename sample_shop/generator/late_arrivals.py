"""Late arrivals: the collector files most events under the shop-local day they happened, but a share
arrives one or two days later and lands in that later day's raw folder."""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from sample_shop.generator.random import uniform
from transforms import columns as C

# Of late events, the share that is two days late (the rest is one day late).
TWO_DAYS_LATE_SHARE = 0.3


def with_arrival_date(events: DataFrame, seed: int, late_share: float, timezone: str) -> DataFrame:
    """Add DATE, the arrival day "YYYY-MM-DD" in `timezone`: the event's local day, 1-2 days later for
    `late_share` of events (drawn per EVENT_ID, from the true event time before any dirt)."""
    local_day = F.to_date(F.from_utc_timestamp(F.col(C.EVENT_TIME), timezone))
    late = uniform(seed, "late", C.EVENT_ID) < F.lit(late_share)
    delay = F.when(
        late, F.lit(1) + (uniform(seed, "late_days", C.EVENT_ID) < F.lit(TWO_DAYS_LATE_SHARE)).cast("int")
    )
    arrival = F.date_add(local_day, F.coalesce(delay, F.lit(0)))
    return events.select("*", F.date_format(arrival, "yyyy-MM-dd").alias(C.DATE))
