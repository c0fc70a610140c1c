"""The report's Spark summaries (transforms/report) on the hand-built gold lake: only the day's rows, rates
recomputed from sums, the latest snapshot on or before a date (the lake's `latest_dates`), score bins; its
inputs (catalogue tables) and their column check. The other summaries are checked through the report's HTML
(tests/test_report.py)."""

from __future__ import annotations

import pytest
from chispa import assert_approx_df_equality, assert_df_equality
from pyspark.sql import types as T

from shop_platform.settings import LakeSettings
from shop_platform.storage import open_lake
from tests.gold_lake import CALIBRATION_END, PREV, RUN, gold_lake  # noqa: F401  (the fixture)
from transforms import columns as C
from transforms import schemas as S
from transforms import tables
from transforms.report.behaviour import funnel_steps
from transforms.report.inputs import INPUTS, ReportInputError, check_columns
from transforms.report.propensity import score_histogram
from transforms.report.value import holdout_views, score_rankings, tier_summary


@pytest.fixture(scope="module")
def lake(spark, gold_lake):  # noqa: F811
    return open_lake(spark, LakeSettings(root=gold_lake, engine="embedded", vacuum_retention_hours=0,
                                         staging_retention_hours=0))  # fmt: skip


def test_funnel_steps_recompute_rates_from_the_day_summed_cells(spark, lake):
    funnel = lake.table(tables.FUNNEL_DAILY).read()

    actual = funnel_steps(funnel, RUN)

    # Cells (10 then 5 of 6 sessions with a page view) summed; the day before's 100 sessions left out.
    expected = spark.createDataFrame(
        [(1, "page_view", 15, 15 / 16, 15 / 16), (2, "product_view", 13, 13 / 15, 13 / 16),
         (3, "add_to_cart", 6, 6 / 13, 6 / 16), (4, "order", 3, 3 / 6, 3 / 16), (5, "pay", 2, 2 / 3, 2 / 16)],
        f"{C.STEP_INDEX} int, {C.STEP} string, {C.SESSIONS} long, {C.STEP_CONVERSION} double, "
        f"{C.CONVERSION_FROM_START} double",
    )  # fmt: skip
    assert_approx_df_equality(actual, expected, precision=1e-9, ignore_nullable=True)


def test_latest_dates_is_the_last_snapshot_on_or_before_the_date_by_each_table_date_column(lake):
    # Three date columns (event_date, snapshot_date, as_of_date); user_features does not exist in this lake.
    opened = [
        lake.table(t)
        for t in (tables.FUNNEL_DAILY, tables.SEGMENT_PROFILES, tables.CHURN_MONTHLY, tables.USER_FEATURES)
    ]

    assert lake.latest_dates(opened, on_or_before=PREV) == {
        "gold.funnel_daily": PREV,
        "gold.segment_profiles": PREV,
        "gold.churn_monthly": None,
        "gold.user_features": None,
    }
    assert lake.latest_dates(opened[:1]) == {"gold.funnel_daily": RUN}
    assert lake.latest_dates([]) == {}


def test_score_histogram_counts_users_per_bin_with_a_score_of_one_in_the_last(spark, lake):
    actual = score_histogram(lake.table("gold.user_propensity").read(), RUN, C.PURCHASE_PROPENSITY, 4)

    # Scores 0.0, 0.05 | 0.5, 0.51 | 0.95, 1.0; the second bin is empty and left out.
    expected = spark.createDataFrame(
        [(0.0, 0.25, 2), (0.5, 0.75, 2), (0.75, 1.0, 2)],
        f"{C.BIN_LOW} double, {C.BIN_HIGH} double, {C.USERS} long",
    )
    assert_df_equality(actual, expected, ignore_nullable=True)


def test_tier_summary_counts_customers_and_value_per_tier_of_one_snapshot(spark, lake):
    actual = tier_summary(lake.table(tables.CUSTOMER_VALUE).read(), RUN)

    # u2 and u3 share the high tier; PREV's u1 (CLV 9000) is left out; tiers without customers are absent.
    expected = spark.createDataFrame(
        [(1, "vip", 1, 0.25, 1000.0, 1000.0, 0.9, 3.0), (2, "high", 2, 0.5, 300.0, 600.0, 0.55, 1.5),
         (4, "low", 1, 0.25, 50.0, 50.0, 1.0, 0.5)],
        f"{C.VALUE_TIER_RANK} int, {C.VALUE_TIER} string, {C.CUSTOMERS} long, {C.SHARE} double, "
        f"{C.MEAN_CLV} double, {C.TOTAL_CLV} double, {C.MEAN_P_ALIVE} double, {C.MEAN_EXPECTED_ORDERS} double",
    )  # fmt: skip
    assert_approx_df_equality(actual, expected, precision=1e-9, ignore_nullable=True)


def test_holdout_and_ranking_summaries_keep_the_run_in_reading_order(lake):
    views = holdout_views(lake.table(tables.CUSTOMER_VALUE_HOLDOUT).read(), RUN).collect()
    rankings = score_rankings(lake.table(tables.CUSTOMER_VALUE_RANKING).read(), RUN).collect()

    # PREV's bucket 3 is left out; day before frequency, buckets in order.
    assert [(r[C.VIEW], r[C.BUCKET]) for r in views] == [("day", d) for d in range(1, 8)] + [
        ("frequency", b) for b in (0, 1, 2, 7)
    ]
    assert {r[C.CALIBRATION_END] for r in views} == {CALIBRATION_END}
    # The customers both models scored first, best AUC first; PREV's AUC of 0.99 is left out.
    assert [(r[C.POPULATION], r[C.SCORE_NAME], r[C.AUC]) for r in rankings] == [
        ("scored_by_both", "purchase_propensity", 0.8),
        ("scored_by_both", "expected_orders", 0.68),
        ("scored_by_both", "p_alive", 0.44),
        ("all_customers", "expected_orders", 0.7),
        ("all_customers", "p_alive", 0.45),
    ]


def test_check_columns_names_the_table_and_every_missing_or_mistyped_column():
    schema = T.StructType(
        [
            T.StructField(f.name, T.IntegerType() if f.name == C.SESSIONS else f.dataType)
            for f in S.GOLD_FUNNEL_DAILY_SCHEMA.fields
            if f.name not in (C.CHANNEL, C.DEVICE)
        ]
        + [T.StructField("extra", T.StringType())]
    )

    with pytest.raises(ReportInputError) as error:
        check_columns(tables.FUNNEL_DAILY, schema)

    assert str(error.value) == (
        "gold.funnel_daily does not have the columns the report reads (missing columns: channel (string), "
        "device (string); wrong types: sessions (expected bigint, found int)); "
        "it is written by build_behaviour_analytics"
    )
    check_columns(tables.FUNNEL_DAILY, S.GOLD_FUNNEL_DAILY_SCHEMA)  # the table's own schema passes


def test_the_report_reads_catalogue_tables_and_needs_only_the_tag_snapshot_and_quality():
    assert all(tables.spec(i.name) is i.table for i in INPUTS)
    assert [i.name for i in INPUTS if i.required] == ["gold.tag_history", "gold.tag_quality"]
