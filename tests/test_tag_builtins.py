"""The builtin tag columns on hand-built features: RFM and lifecycle always, the segment and the two model
tags from their tables when given, null when not; one row per user either way."""

from __future__ import annotations

import datetime as dt

import pytest
from chispa import assert_df_equality

from shop_platform.config import load_config
from transforms import columns as C
from transforms.schemas import GOLD_USER_FEATURES_SCHEMA
from transforms.tags.builtins import BUILTIN_COLUMNS, with_builtins

D = dt.date(2026, 10, 30)
ZEROS = {f.name: 0 for f in GOLD_USER_FEATURES_SCHEMA.fields if f.name.endswith("d") and f.name[-2].isdigit()}
BUILTINS = [C.R_SCORE, C.F_SCORE, C.M_SCORE, C.RFM_SEGMENT, C.LIFECYCLE_STAGE, C.SEGMENT,
            C.PURCHASE_PROPENSITY, C.CHURN_RISK_BAND, C.P_ALIVE, C.EXPECTED_ORDERS_90D, C.CLV_90D,
            C.VALUE_TIER]  # fmt: skip


def feature_row(user: str, **values) -> tuple:
    row = {**ZEROS, "user_id": user, "snapshot_date": D, "tenure_days": 400, **values}
    return tuple(
        float(row[f.name])
        if f.dataType.typeName() == "double" and row.get(f.name) is not None
        else row.get(f.name)
        for f in GOLD_USER_FEATURES_SCHEMA.fields
    )


@pytest.fixture()
def features(spark):
    rows = [
        feature_row("ann", days_since_last_visit=0, days_active_7d=2, orders_90d=2, paid_gmv_90d=80,
                    days_since_last_order=2, first_order_date=D - dt.timedelta(days=20)),
        feature_row("bob", days_since_last_visit=40),
    ]  # fmt: skip
    return spark.createDataFrame(rows, GOLD_USER_FEATURES_SCHEMA)


def no_stages(spark):
    return spark.createDataFrame([], f"{C.USER_ID} string, {C.LIFECYCLE_STAGE} string")


def test_without_segments_or_scores_the_builtins_after_the_features_leave_those_tags_null(spark, features):
    actual = with_builtins(features, no_stages(spark), load_config("local"))
    assert actual.columns == [*features.columns, *BUILTINS]
    assert set(BUILTIN_COLUMNS.values()) == set(BUILTINS)
    rows = {r[C.USER_ID]: r for r in actual.collect()}
    assert rows["bob"][C.RFM_SEGMENT] == "no_purchase" and rows["ann"][C.RFM_SEGMENT] != "no_purchase"
    assert (rows["bob"][C.LIFECYCLE_STAGE], rows["ann"][C.LIFECYCLE_STAGE]) == ("churned", "active")
    assert all(r[C.SEGMENT] is None and r[C.PURCHASE_PROPENSITY] is None for r in rows.values())
    assert all(r[C.CHURN_RISK_BAND] is None and r[C.VALUE_TIER] is None for r in rows.values())
    assert dict(actual.dtypes)[C.SEGMENT] == "int" and dict(actual.dtypes)[C.PURCHASE_PROPENSITY] == "double"


def test_the_segment_and_scores_of_the_date_join_by_user_and_banded_by_config(spark, features):
    segments = spark.createDataFrame(
        [("ann", 3, D)], f"{C.USER_ID} string, {C.SEGMENT_ID} int, {C.SNAPSHOT_DATE} date"
    )
    propensity = spark.createDataFrame(
        [("ann", 0.25, 0.75), ("bob", 0.05, 0.95)],
        f"{C.USER_ID} string, {C.PURCHASE_PROPENSITY} double, {C.CHURN_RISK} double",
    )
    cfg = load_config(
        "local", ["propensity.churn_risk_bands.medium=0.7", "propensity.churn_risk_bands.high=0.9"]
    )
    actual = with_builtins(features, no_stages(spark), cfg, segments, propensity).select(
        C.USER_ID, C.SEGMENT, C.PURCHASE_PROPENSITY, C.CHURN_RISK_BAND
    )
    expected = spark.createDataFrame(
        [("ann", 3, 0.25, "medium"), ("bob", None, 0.05, "high")],
        f"{C.USER_ID} string, {C.SEGMENT} int, {C.PURCHASE_PROPENSITY} double, {C.CHURN_RISK_BAND} string",
    )
    assert_df_equality(actual, expected, ignore_row_order=True, ignore_nullable=True)


def test_an_rfm_window_the_features_lack_needs_the_daily_activity(spark, features):
    cfg = load_config("local", ["rfm.window_days=365"])
    with pytest.raises(ValueError, match=r"rfm.window_days=365 needs gold.user_daily_activity"):
        with_builtins(features, no_stages(spark), cfg)
