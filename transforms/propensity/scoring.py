"""From model scores to gold.user_propensity rows and to the values of the churn_risk and purchase_propensity
tags."""

from __future__ import annotations

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from transforms import columns as C

LOW, MEDIUM, HIGH = "low", "medium", "high"
CHURN_RISK_BANDS = (LOW, MEDIUM, HIGH)


def propensity_rows(scored: DataFrame, model_version: int) -> DataFrame:
    """gold.user_propensity rows of scored users.

    Args:
        scored: USER_ID, SNAPSHOT_DATE, SCORE (transforms.propensity.model.scored).
        model_version: The registered version that scored them.

    Returns:
        USER_ID, PURCHASE_PROPENSITY (the score), CHURN_RISK (1 - it), MODEL_VERSION, SNAPSHOT_DATE.
    """
    return scored.select(
        C.USER_ID,
        F.col(C.SCORE).alias(C.PURCHASE_PROPENSITY),
        (F.lit(1.0) - F.col(C.SCORE)).alias(C.CHURN_RISK),
        F.lit(model_version).cast("int").alias(C.MODEL_VERSION),
        C.SNAPSHOT_DATE,
    )


def churn_risk_band(churn_risk: Column, medium: float, high: float) -> Column:
    """HIGH when the churn risk is at least `high`, MEDIUM when at least `medium`, else LOW; null stays null."""
    return (
        F.when(churn_risk.isNull(), F.lit(None).cast("string"))
        .when(churn_risk >= F.lit(high), F.lit(HIGH))
        .when(churn_risk >= F.lit(medium), F.lit(MEDIUM))
        .otherwise(F.lit(LOW))
    )


def propensity_tag_values(propensity: DataFrame, medium: float, high: float) -> DataFrame:
    """The builtin columns of the two model tags, from gold.user_propensity rows of one snapshot date.

    Returns:
        USER_ID, PURCHASE_PROPENSITY (the score: tag purchase_propensity), CHURN_RISK_BAND (low / medium / high
        by the churn risk's cut-offs: tag churn_risk).
    """
    return propensity.select(
        C.USER_ID,
        C.PURCHASE_PROPENSITY,
        churn_risk_band(F.col(C.CHURN_RISK), medium, high).alias(C.CHURN_RISK_BAND),
    )
