"""The builtin tag values: what the tag catalog's `builtin:` tags read, computed beside the user features.

RFM scores and segment (`transforms.tags.rfm`), the lifecycle stage (`transforms.tags.lifecycle`, which needs
the previous snapshot's stages), the K-means segment (gold.user_segments), the propensity model's two tags
(gold.user_propensity) and customer value's four (gold.customer_value). The tag snapshots, the audiences and
the propensity training all name builtins through BUILTIN_COLUMNS.
"""

from __future__ import annotations

import datetime as dt

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from shop_platform.settings import RFM_WINDOWS, Config
from transforms import columns as C
from transforms import tables
from transforms.propensity.scoring import churn_risk_band
from transforms.tags.lifecycle import lifecycle_stages
from transforms.tags.rfm import rfm_scores, with_window_totals

# Builtin name in the catalog -> the column `with_builtins` adds to the features.
BUILTIN_COLUMNS = {
    "rfm_segment": C.RFM_SEGMENT,
    "r_score": C.R_SCORE,
    "f_score": C.F_SCORE,
    "m_score": C.M_SCORE,
    "lifecycle_stage": C.LIFECYCLE_STAGE,
    "segment": C.SEGMENT,
    "purchase_propensity": C.PURCHASE_PROPENSITY,
    "churn_risk": C.CHURN_RISK_BAND,
    "p_alive": C.P_ALIVE,
    "expected_orders_90d": C.EXPECTED_ORDERS_90D,
    "clv_90d": C.CLV_90D,
    "value_tier": C.VALUE_TIER,
}
# value_tier of a user without a paid order, on a date customer value was computed for.
NO_VALUE_TIER = "none"
# The tag ids of conf/tags.yaml that hold two builtins, read back from gold.tag_history.
RFM_TAG = "rfm_segment"
LIFECYCLE_TAG = "lifecycle_stage"


def with_builtins(
    features: DataFrame,
    previous_stages: DataFrame,
    cfg: Config,
    segments: DataFrame | None = None,
    propensity: DataFrame | None = None,
    daily: DataFrame | None = None,
    first_date: dt.date | None = None,
    customer_value: DataFrame | None = None,
) -> DataFrame:
    """The features plus every builtin column, one row per user and snapshot date.

    Args:
        features: gold.user_features rows of one snapshot date, or with `first_date` of every date from it
            through the last (one snapshot per day).
        previous_stages: USER_ID, LIFECYCLE_STAGE of the snapshot before the first (no rows for the first
            one ever).
        cfg: The config: `rfm`, `lifecycle` and `propensity.churn_risk_bands`.
        segments: gold.user_segments of the date(s); gives C.SEGMENT, null without it or for users it does
            not hold.
        propensity: gold.user_propensity of the date(s); gives C.PURCHASE_PROPENSITY and C.CHURN_RISK_BAND
            (`propensity.churn_risk_bands`), null without it or for users it does not hold.
        daily: gold.user_daily_activity; gives RFM's F and M for an `rfm.window_days` that is not a feature
            window.
        first_date: The first date of a multi-date `features` (segments and scores then join by user and
            date); None for one snapshot.
        customer_value: gold.customer_value of the date(s); gives P_ALIVE, EXPECTED_ORDERS_90D, CLV_90D and
            VALUE_TIER (NO_VALUE_TIER for a user it does not hold on a date it holds); null without it.

    Returns:
        The columns of `features`, then R_SCORE, F_SCORE, M_SCORE, RFM_SEGMENT, LIFECYCLE_STAGE, SEGMENT,
        PURCHASE_PROPENSITY, CHURN_RISK_BAND, P_ALIVE, EXPECTED_ORDERS_90D, CLV_90D, VALUE_TIER.
    """
    window = cfg.rfm.window_days
    if window not in RFM_WINDOWS and daily is None:
        raise ValueError(
            f"rfm.window_days={window} needs {tables.USER_DAILY_ACTIVITY.name}, which was not given"
        )
    rfm_input = features if window in RFM_WINDOWS else with_window_totals(features, daily, window)
    rfm = rfm_scores(rfm_input, window, cfg.rfm.split)
    keys = [C.USER_ID] if first_date is None else [C.USER_ID, C.SNAPSHOT_DATE]
    stages = lifecycle_stages(features, previous_stages, cfg.lifecycle, first_date).select(
        C.USER_ID, C.LIFECYCLE_STAGE, C.SNAPSHOT_DATE
    )
    # rfm_scores and lifecycle_stages give one row per feature row: the joins keep one row per user and date.
    joined = features.join(
        rfm.select(*keys, C.R_SCORE, C.F_SCORE, C.M_SCORE, C.RFM_SEGMENT), on=keys, how="left"
    )
    joined = joined.join(stages.select(*keys, C.LIFECYCLE_STAGE), on=keys, how="left")
    if segments is None:
        joined = joined.select("*", F.lit(None).cast("int").alias(C.SEGMENT))
    else:
        # One segment row per user and date: the left join keeps one row per user and date.
        joined = joined.join(
            segments.select(*keys, F.col(C.SEGMENT_ID).alias(C.SEGMENT)), on=keys, how="left"
        )
    if propensity is None:
        joined = joined.select(
            "*",
            F.lit(None).cast("double").alias(C.PURCHASE_PROPENSITY),
            F.lit(None).cast("string").alias(C.CHURN_RISK_BAND),
        )
    else:
        bands = cfg.propensity.churn_risk_bands
        # The two model tags (transforms.propensity.scoring.propensity_tag_values), kept by date.
        scores = propensity.select(
            *keys,
            C.PURCHASE_PROPENSITY,
            churn_risk_band(F.col(C.CHURN_RISK), bands.medium, bands.high).alias(C.CHURN_RISK_BAND),
        )
        # One score per user and date: the left join keeps one row per user and date.
        joined = joined.join(scores, on=keys, how="left")
    return with_customer_value(joined, customer_value, keys)


def with_customer_value(joined: DataFrame, customer_value: DataFrame | None, keys: list[str]) -> DataFrame:
    """`joined` plus the four customer-value builtin columns (see `with_builtins`)."""
    if customer_value is None:
        return joined.select(
            "*",
            *[F.lit(None).cast("double").alias(c) for c in (C.P_ALIVE, C.EXPECTED_ORDERS_90D, C.CLV_90D)],
            F.lit(None).cast("string").alias(C.VALUE_TIER),
        )
    values = customer_value.select(
        *keys,
        C.P_ALIVE,
        F.col(C.EXPECTED_ORDERS).alias(C.EXPECTED_ORDERS_90D),
        F.col(C.CLV).alias(C.CLV_90D),
        F.col(C.VALUE_TIER).alias("_tier"),
    )
    # A user without a row on a date that has rows never bought by it: tier none. A date without rows (no
    # fit) leaves the tier unknown.
    valued_dates = (
        customer_value.select(C.SNAPSHOT_DATE)
        .distinct()
        .select(C.SNAPSHOT_DATE, F.lit(True).alias("_valued"))
    )
    # One row per user and date in gold.customer_value, one per date in valued_dates: no join multiplies rows.
    out = joined.join(values, on=keys, how="left").join(
        F.broadcast(valued_dates), on=[C.SNAPSHOT_DATE], how="left"
    )
    tier = F.when(F.col("_valued"), F.coalesce(F.col("_tier"), F.lit(NO_VALUE_TIER)))
    return out.select(*joined.columns, C.P_ALIVE, C.EXPECTED_ORDERS_90D, C.CLV_90D, tier.alias(C.VALUE_TIER))
