"""Who was in each campaign and what they did in its attribution window.

A campaign is evaluated on every user assigned to it, in either group, whether or not they visited: that is
what randomisation makes comparable (and what the generator's planted uplift is defined on).
"""

from __future__ import annotations

import datetime as dt

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from transforms import columns as C
from transforms.analytics.as_of import latest_snapshot_before


def attribution_windows(campaigns: DataFrame, days_after_end: int, run_date: dt.date) -> DataFrame:
    """The campaigns started by `run_date`, with their attribution window.

    Args:
        campaigns: bronze.campaigns rows (CAMPAIGN_ID, CAMPAIGN_NAME, START_DATE, END_DATE).
        days_after_end: `campaigns.attribution_days_after_end`.

    Returns:
        CAMPAIGN_ID, CAMPAIGN_NAME, START_DATE, END_DATE, ATTRIBUTION_END (END_DATE + days_after_end),
        COMPLETE (the window ended by `run_date`; otherwise orders count through `run_date` only).
    """
    attribution_end = F.date_add(F.col(C.END_DATE), days_after_end)
    return campaigns.where(F.col(C.START_DATE) <= F.lit(run_date)).select(
        C.CAMPAIGN_ID,
        C.CAMPAIGN_NAME,
        C.START_DATE,
        C.END_DATE,
        attribution_end.alias(C.ATTRIBUTION_END),
        (attribution_end <= F.lit(run_date)).alias(C.COMPLETE),
    )


def user_outcomes(
    assignments: DataFrame, windows: DataFrame, orders: DataFrame, run_date: dt.date
) -> DataFrame:
    """Each assigned user's conversion and paid GMV in the campaign's attribution window (through `run_date`).

    Args:
        assignments: bronze.campaign_assignments rows (CAMPAIGN_ID, USER_ID, GROUP), one per (campaign, user).
        windows: `attribution_windows` output.
        orders: silver.orders rows (USER_ID, ORDER_DATE, PAID_AMOUNT).

    Returns:
        CAMPAIGN_ID, USER_ID, GROUP, CONVERTED (1.0 with an order placed in the window, else 0.0), GMV (the
        paid amount of those orders, refunds not deducted; 0.0 without).
    """
    in_window = F.col(C.ORDER_DATE).between(
        F.col(C.START_DATE), F.least(F.col(C.ATTRIBUTION_END), F.lit(run_date))
    )
    # Windows are a handful of rows; an order falls in every window holding its date.
    per_user = (
        orders.join(
            F.broadcast(windows.select(C.CAMPAIGN_ID, C.START_DATE, C.ATTRIBUTION_END)), in_window, "inner"
        )
        .groupBy(C.CAMPAIGN_ID, C.USER_ID)
        .agg(
            F.count(F.lit(1)).alias(C.ORDERS),
            F.sum(F.coalesce(F.col(C.PAID_AMOUNT), F.lit(0.0))).alias(C.GMV),
        )
    )
    # Left join from the assignments, one per (campaign, user): users without orders stay, with zeros.
    return (
        assignments.join(windows.select(C.CAMPAIGN_ID), on=[C.CAMPAIGN_ID], how="inner")
        .join(per_user, on=[C.CAMPAIGN_ID, C.USER_ID], how="left")
        .select(
            C.CAMPAIGN_ID,
            C.USER_ID,
            C.GROUP,
            F.when(F.col(C.ORDERS) > 0, F.lit(1.0)).otherwise(F.lit(0.0)).alias(C.CONVERTED),
            F.coalesce(F.col(C.GMV), F.lit(0.0)).alias(C.GMV),
        )
    )


def with_pre_period(
    outcomes: DataFrame,
    windows: DataFrame,
    features: DataFrame,
    conversion_covariate: str,
    gmv_covariate: str,
) -> DataFrame:
    """Add each user's CUPED covariates from the latest gold.user_features snapshot before the campaign start.

    Args:
        outcomes: `user_outcomes` output.
        windows: `attribution_windows` output.
        features: gold.user_features rows (USER_ID, SNAPSHOT_DATE, the two covariate columns).
        conversion_covariate, gmv_covariate: The feature columns (`campaigns.*_covariate`).

    Returns:
        `outcomes` columns, CONVERSION_COVARIATE, GMV_COVARIATE (0.0 for a user without a features row: no
        activity in the features' windows).
    """
    pre = latest_snapshot_before(
        features.select(
            C.USER_ID,
            C.SNAPSHOT_DATE,
            F.col(conversion_covariate).cast("double").alias(C.CONVERSION_COVARIATE),
            F.col(gmv_covariate).cast("double").alias(C.GMV_COVARIATE),
        ),
        windows.select(C.CAMPAIGN_ID, C.START_DATE),
        C.START_DATE,
    )
    # One features row per (user, snapshot date), one snapshot per campaign: the left join keeps the count.
    return outcomes.join(
        pre.select(C.CAMPAIGN_ID, C.USER_ID, C.CONVERSION_COVARIATE, C.GMV_COVARIATE),
        on=[C.CAMPAIGN_ID, C.USER_ID],
        how="left",
    ).select(
        *outcomes.columns,
        F.coalesce(F.col(C.CONVERSION_COVARIATE), F.lit(0.0)).alias(C.CONVERSION_COVARIATE),
        F.coalesce(F.col(C.GMV_COVARIATE), F.lit(0.0)).alias(C.GMV_COVARIATE),
    )
