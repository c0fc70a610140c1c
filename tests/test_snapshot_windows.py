"""Window functions of tag expressions rank users within one snapshot when many dates evaluate together."""

from __future__ import annotations

import datetime as dt

from chispa import assert_df_equality
from pyspark.sql import functions as F

from transforms import columns as C
from transforms.tags.snapshot_windows import per_snapshot, unscoped_windows

D1, D2 = dt.date(2026, 10, 29), dt.date(2026, 10, 30)


def test_every_inline_window_gets_the_snapshot_date_first_and_literals_stay(spark):
    cases = {
        "percent_rank() OVER (ORDER BY x) >= 0.9": "percent_rank() OVER (PARTITION BY snapshot_date ORDER BY x) >= 0.9",
        "rank() over(partition by x > 0 order by y)": "rank() over(partition by snapshot_date, x > 0 order by y)",
        "count(1) OVER ()": "count(1) OVER (PARTITION BY snapshot_date )",
        "max(x) OVER (DISTRIBUTE BY y)": "max(x) OVER (DISTRIBUTE BY snapshot_date, y)",
        "'OVER (ORDER BY x)' || `over (`": "'OVER (ORDER BY x)' || `over (`",
    }
    for text, scoped in cases.items():
        assert per_snapshot(text) == scoped
        assert unscoped_windows(spark, per_snapshot(text)) == 0
    assert unscoped_windows(spark, "rank() OVER (ORDER BY x) + rank() OVER (PARTITION BY y ORDER BY x)") == 2


def test_a_rank_over_two_dates_at_once_equals_each_date_alone(spark):
    rows = spark.createDataFrame(
        [("a", 1, D1), ("b", 2, D1), ("c", 3, D1), ("a", 10, D2), ("b", 0, D2)],
        f"{C.USER_ID} string, x int, {C.SNAPSHOT_DATE} date",
    )
    rank = F.expr(per_snapshot("percent_rank() OVER (ORDER BY x)")).alias("rank")
    together = rows.select(C.USER_ID, C.SNAPSHOT_DATE, rank)
    alone = [
        rows.where(F.col(C.SNAPSHOT_DATE) == day).select(
            C.USER_ID, C.SNAPSHOT_DATE, F.expr("percent_rank() OVER (ORDER BY x)").alias("rank")
        )
        for day in (D1, D2)
    ]
    assert_df_equality(together, alone[0].unionByName(alone[1]), ignore_row_order=True)
