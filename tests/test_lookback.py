"""The look-back window of a silver run: which days it rewrites and from which day it reads."""

from __future__ import annotations

import datetime as dt

from chispa import assert_df_equality
from pyspark.sql import types as T

from transforms import columns as C
from transforms.lookback import in_window, look_back

D = dt.date(2026, 10, 30)
DAY = dt.timedelta(days=1)


def test_a_daily_run_rewrites_the_look_back_days_and_reads_as_far_again_before_them():
    window = look_back(D, D, lookback_days=2)
    assert window.dates == [D - 2 * DAY, D - DAY, D]
    # Bot flags reach back over the look-back, so the run reads that much before the window.
    assert window.first_read == D - 4 * DAY


def test_a_back_fill_starts_its_window_before_its_first_date():
    window = look_back(D - 3 * DAY, D, lookback_days=1)
    assert window.dates == [D - 4 * DAY, D - 3 * DAY, D - 2 * DAY, D - DAY, D]
    assert window.first_read == D - 5 * DAY


def test_without_a_look_back_the_run_still_reads_the_day_before_for_sessions_crossing_midnight():
    window = look_back(D, D, lookback_days=0)
    assert (window.dates, window.first_read) == ([D], D - DAY)


def test_in_window_keeps_the_rows_of_the_window_days_only(spark):
    schema = T.StructType(
        [T.StructField(C.EVENT_ID, T.StringType()), T.StructField(C.EVENT_DATE, T.DateType())]
    )
    rows = spark.createDataFrame(
        [("before", D - 3 * DAY), ("first", D - 2 * DAY), ("last", D), ("after", D + DAY), ("none", None)],
        schema,
    )
    expected = spark.createDataFrame([("first", D - 2 * DAY), ("last", D)], schema)
    assert_df_equality(
        in_window(rows, C.EVENT_DATE, look_back(D, D, 2).dates), expected, ignore_row_order=True
    )
