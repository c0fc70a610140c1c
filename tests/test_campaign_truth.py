"""uplift_recovery: the planted uplift against the measured conversion interval, per planted campaign."""

from __future__ import annotations

from chispa import assert_df_equality
from pyspark.sql import types as T

from sample_shop import columns as TC
from sample_shop.schemas import TRUTH_CAMPAIGNS_SCHEMA
from sample_shop.truth.campaigns import uplift_recovery
from transforms import columns as C


def results_row(campaign, metric, uplift, low, high, cuped_low, cuped_high):
    return (campaign, metric, uplift, low, high, uplift, cuped_low, cuped_high, True)


RESULTS_SCHEMA = T.StructType(
    [
        T.StructField(name, kind)
        for name, kind in (
            (C.CAMPAIGN_ID, T.StringType()),
            (C.METRIC, T.StringType()),
            (C.ABSOLUTE_UPLIFT, T.DoubleType()),
            (C.ABSOLUTE_CI_LOW, T.DoubleType()),
            (C.ABSOLUTE_CI_HIGH, T.DoubleType()),
            (C.CUPED_UPLIFT, T.DoubleType()),
            (C.CUPED_CI_LOW, T.DoubleType()),
            (C.CUPED_CI_HIGH, T.DoubleType()),
            (C.COMPLETE, T.BooleanType()),
        )
    ]
)


def test_planted_uplift_is_checked_against_the_conversion_interval_plain_and_with_cuped(spark):
    truth = spark.createDataFrame(
        [
            ("c1", "u1", "treatment", 0.03),
            ("c1", "u2", "control", 0.03),
            ("c2", "u3", "treatment", 0.05),
            ("c3", "u4", "treatment", 0.01),
        ],
        TRUTH_CAMPAIGNS_SCHEMA,
    )
    results = spark.createDataFrame(
        [
            # c1: inside both intervals; its GMV row must not be read as conversion.
            results_row("c1", "conversion", 0.028, 0.01, 0.046, 0.02, 0.036),
            results_row("c1", "gmv_per_user", 4.0, -20.0, 30.0, -10.0, 10.0),
            # c2: inside the plain interval, outside the narrower CUPED one.
            results_row("c2", "conversion", 0.02, -0.01, 0.05, 0.01, 0.03),
            # c3 has no results.
        ],
        RESULTS_SCHEMA,
    )

    actual = uplift_recovery(results, truth)

    expected = spark.createDataFrame(
        [
            ("c1", 0.03, 0.028, 0.01, 0.046, True, 0.028, 0.02, 0.036, True, True),
            ("c2", 0.05, 0.02, -0.01, 0.05, True, 0.02, 0.01, 0.03, False, True),
            ("c3", 0.01, None, None, None, False, None, None, None, False, None),
        ],
        actual.schema,
    )
    assert actual.columns == [
        C.CAMPAIGN_ID, TC.PLANTED_UPLIFT, C.ABSOLUTE_UPLIFT, C.ABSOLUTE_CI_LOW, C.ABSOLUTE_CI_HIGH,
        TC.PLANTED_IN_CI, C.CUPED_UPLIFT, C.CUPED_CI_LOW, C.CUPED_CI_HIGH, TC.PLANTED_IN_CUPED_CI, C.COMPLETE,
    ]  # fmt: skip
    assert_df_equality(actual, expected, ignore_nullable=True)
