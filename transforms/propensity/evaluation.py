"""How good the scores of a labelled snapshot are: AUC, precision and recall in the top score decile, Brier
score, and calibration (mean predicted vs observed purchase rate) by score decile.

Deciles are cut on the rank of the score: users ranked 1..n by score (highest first; ties broken by user id
and snapshot date, so the cut is reproducible), decile d holds ranks with floor((rank - 1) * bins / n) = d - 1.
The top decile is decile 1: the ceil(n / 10) best-scored users. Ranking takes one global sort on one
partition: fine for the few million users of a validation snapshot (two columns per row).
"""

from __future__ import annotations

from pyspark.ml.evaluation import BinaryClassificationEvaluator
from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F

from transforms import columns as C

DECILES = 10


def with_deciles(scored: DataFrame, bins: int = DECILES) -> DataFrame:
    """`scored` (USER_ID, SNAPSHOT_DATE, SCORE, PURCHASED) plus DECILE: 1 for the highest scores .. `bins`."""
    by_score = Window.orderBy(F.col(C.SCORE).desc(), F.col(C.USER_ID), F.col(C.SNAPSHOT_DATE))
    everyone = Window.partitionBy()
    rank = F.row_number().over(by_score)
    total = F.count(F.lit(1)).over(everyone)
    decile = (F.floor((rank - 1) * bins / total) + 1).cast("int")
    return scored.select(C.USER_ID, C.SNAPSHOT_DATE, C.SCORE, C.PURCHASED, decile.alias(C.DECILE))


def calibration_table(deciled: DataFrame) -> DataFrame:
    """Per score decile: users, purchasers, mean predicted probability, observed purchase rate, score range.

    Args:
        deciled: `with_deciles` rows.

    Returns:
        DECILE, USERS, POSITIVES, MEAN_PREDICTED, OBSERVED_RATE, MIN_SCORE, MAX_SCORE; one row per decile
        that holds users, ordered by DECILE.
    """
    return (
        deciled.groupBy(C.DECILE)
        .agg(
            F.count(F.lit(1)).alias(C.USERS),
            F.sum(F.col(C.PURCHASED)).cast("long").alias(C.POSITIVES),
            F.avg(C.SCORE).alias(C.MEAN_PREDICTED),
            F.avg(C.PURCHASED).alias(C.OBSERVED_RATE),
            F.min(C.SCORE).alias(C.MIN_SCORE),
            F.max(C.SCORE).alias(C.MAX_SCORE),
        )
        .orderBy(C.DECILE)
        .select(C.DECILE, C.USERS, C.POSITIVES, C.MEAN_PREDICTED, C.OBSERVED_RATE, C.MIN_SCORE, C.MAX_SCORE)
    )


def summary_metrics(deciled: DataFrame) -> DataFrame:
    """One row: EVALUATED_USERS, POSITIVES, BASE_RATE, PRECISION_TOP_DECILE (purchase rate of decile 1),
    RECALL_TOP_DECILE (share of all purchasers in decile 1), LIFT_TOP_DECILE (precision / base rate) and
    BRIER_SCORE (mean squared error of the probability). Shares without a denominator are null."""
    top = F.col(C.DECILE) == F.lit(1)
    label = F.col(C.PURCHASED)
    row = deciled.agg(
        F.count(F.lit(1)).alias(C.EVALUATED_USERS),
        F.sum(label).alias("_positives"),
        F.sum(F.when(top, label)).alias("_top_positives"),
        F.count(F.when(top, F.lit(1))).alias("_top_users"),
        F.avg((F.col(C.SCORE) - label) * (F.col(C.SCORE) - label)).alias(C.BRIER_SCORE),
    )
    base_rate = F.try_divide(F.col("_positives"), F.col(C.EVALUATED_USERS))
    precision = F.try_divide(F.col("_top_positives"), F.col("_top_users"))
    return row.select(
        C.EVALUATED_USERS,
        F.col("_positives").cast("long").alias(C.POSITIVES),
        base_rate.alias(C.BASE_RATE),
        precision.alias(C.PRECISION_TOP_DECILE),
        F.try_divide(F.col("_top_positives"), F.col("_positives")).alias(C.RECALL_TOP_DECILE),
        F.try_divide(precision, base_rate).alias(C.LIFT_TOP_DECILE),
        C.BRIER_SCORE,
    )


def area_under_roc(scored: DataFrame) -> float:
    """The ROC AUC of SCORE against PURCHASED (ties count half, as Spark's evaluator does)."""
    evaluator = BinaryClassificationEvaluator(
        rawPredictionCol=C.SCORE, labelCol=C.PURCHASED, metricName="areaUnderROC"
    )
    return float(evaluator.evaluate(scored))
