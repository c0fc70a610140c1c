"""The report's propensity section: the purchase propensity scores of a snapshot, the evaluated models and the
chosen one's calibration. Spark summaries of gold.user_propensity and gold.propensity_metrics, and the
section drawn from them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import pandas as pd
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from transforms import columns as C
from transforms.report import charts
from transforms.report.formats import count, day, missing, number, percent, settings, table
from transforms.report.ordering import in_order
from transforms.report.page import Chart, Section, Source


def score_histogram(propensity: DataFrame, snapshot_date: dt.date, column: str, bins: int) -> DataFrame:
    """Users per equal-width bin of a score in [0, 1] on one snapshot date (empty bins are left out).

    Args:
        propensity: gold.user_propensity rows.
        snapshot_date: The snapshot to count.
        column: The score, PURCHASE_PROPENSITY or CHURN_RISK.
        bins: Number of bins over [0, 1]; a score of exactly 1 falls in the last.

    Returns:
        BIN_LOW, BIN_HIGH, USERS, by bin.
    """
    score = F.col(column)
    index = F.least(F.floor(score * bins), F.lit(bins - 1)).cast("int")
    return (
        propensity.where((F.col(C.SNAPSHOT_DATE) == F.lit(snapshot_date)) & score.isNotNull())
        .groupBy(index.alias("_bin"))
        .agg(F.count(F.lit(1)).alias(C.USERS))
        .select(
            (F.col("_bin") / F.lit(bins)).alias(C.BIN_LOW),
            ((F.col("_bin") + 1) / F.lit(bins)).alias(C.BIN_HIGH),
            C.USERS,
        )
        .transform(in_order, C.BIN_LOW)
    )


def propensity_models(metrics: DataFrame, run_date: dt.date) -> DataFrame:
    """The models evaluated on `run_date` (gold.propensity_metrics), the chosen one first.

    Returns:
        MODEL, PARAMS, CHOSEN, MODEL_VERSION, EVALUATED_USERS, BASE_RATE, AUC, PRECISION_TOP_DECILE,
        RECALL_TOP_DECILE, LIFT_TOP_DECILE, BRIER_SCORE, VALIDATION_DATE, HORIZON_DAYS.
    """
    return (
        metrics.where(F.col(C.RUN_DATE) == F.lit(run_date))
        .select(
            C.MODEL,
            C.PARAMS,
            C.CHOSEN,
            C.MODEL_VERSION,
            C.EVALUATED_USERS,
            C.BASE_RATE,
            C.AUC,
            C.PRECISION_TOP_DECILE,
            C.RECALL_TOP_DECILE,
            C.LIFT_TOP_DECILE,
            C.BRIER_SCORE,
            C.VALIDATION_DATE,
            C.HORIZON_DAYS,
        )
        .transform(in_order, F.col(C.CHOSEN).desc_nulls_last(), F.col(C.AUC).desc_nulls_last(), C.MODEL)
    )


def calibration(metrics: DataFrame, run_date: dt.date) -> DataFrame:
    """The chosen model's calibration on `run_date`: predicted against observed purchase rate per decile.

    Returns:
        MODEL, DECILE, USERS, MEAN_PREDICTED, OBSERVED_RATE, by decile (no rows when no model was chosen).
    """
    return (
        metrics.where((F.col(C.RUN_DATE) == F.lit(run_date)) & F.col(C.CHOSEN))
        .select(C.MODEL, F.explode(C.CALIBRATION).alias("_decile"))
        .select(
            C.MODEL,
            F.col("_decile")[C.DECILE].alias(C.DECILE),
            F.col("_decile")[C.USERS].alias(C.USERS),
            F.col("_decile")[C.MEAN_PREDICTED].alias(C.MEAN_PREDICTED),
            F.col("_decile")[C.OBSERVED_RATE].alias(C.OBSERVED_RATE),
        )
        .transform(in_order, C.MODEL, C.DECILE)
    )


def propensity_section(
    histogram: pd.DataFrame | None,
    models: pd.DataFrame | None,
    deciles: pd.DataFrame | None,
    sources: Sequence[Source],
) -> Section:
    """The purchase propensity scores of the day, the evaluated models and the chosen one's calibration."""
    blocks = []
    if not missing(histogram):
        figure = charts.score_histogram(
            histogram, "Purchase propensity of the users scored", "purchase propensity (churn risk = 1 - it)"
        )
        blocks.append(Chart("propensity-scores", figure))
    if not missing(deciles):
        figure = charts.calibration_plot(
            deciles, f"Calibration of the chosen model ({deciles['model'].iloc[0]})"
        )
        blocks.append(Chart("propensity-calibration", figure))
    if not missing(models):
        blocks.append(
            table(
                "Models evaluated",
                models,
                {
                    "model": ("model", str),
                    "chosen": ("chosen", lambda v: "yes" if v else ""),
                    "model_version": ("version", count),
                    "evaluated_users": ("users", count),
                    "base_rate": ("base rate", percent),
                    "auc": ("AUC", number),
                    "precision_top_decile": ("precision, top decile", percent),
                    "lift_top_decile": ("lift, top decile", number),
                    "brier_score": ("Brier score", number),
                    "validation_date": ("validated on", day),
                    "params": ("parameters", settings),
                },
            )
        )
    return Section(
        "propensity",
        "Purchase propensity",
        "The probability that each user places a paid order within the model's horizon, as scored today.",
        sources,
        blocks,
    )
