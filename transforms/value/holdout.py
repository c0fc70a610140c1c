"""Holdout validation of BG/NBD as the paper does it: fit on a calibration period, predict the holdout.

Customers are those with a purchase by the calibration end E; the holdout is (E, D]. Every purchase day a
customer has in the holdout is a repeat purchase (their first lies before E). Two views, as the paper's
Figure 2 and Figure 4: the mean predicted and actual holdout purchases per calibration frequency x (x of 7
and more in one bucket), and the cumulative predicted and actual purchases of all customers by holdout day.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator

import numpy as np
import pandas as pd
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from transforms import columns as C
from transforms.value import bg_nbd
from transforms.value.bg_nbd import BgNbdFit
from transforms.value.model import CustomerValueModel
from transforms.value.scoring import Horizon, customer_values

VIEW_FREQUENCY = "frequency"
VIEW_DAY = "day"
# Calibration frequencies from this one up share the last bucket.
TOP_FREQUENCY_BUCKET = 7


def holdout_purchases(days: DataFrame, calibration_end: dt.date) -> DataFrame:
    """Purchase days after the calibration end of customers who had bought by it.

    Args:
        days: `purchase_days` rows of the run date D (SNAPSHOT_DATE D).
        calibration_end: E.

    Returns:
        USER_ID, ORDER_DATE: one row per customer and purchase day in (E, D].
    """
    customers = days.where(F.col(C.ORDER_DATE) <= F.lit(calibration_end)).select(C.USER_ID).distinct()
    return (
        days.where(F.col(C.ORDER_DATE) > F.lit(calibration_end))
        .join(customers, on=[C.USER_ID], how="inner")
        .select(C.USER_ID, C.ORDER_DATE)
    )


def _by_day(fit: BgNbdFit, holdout_days: int, unit_days: int) -> Callable:
    def predict(batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        for rows in batches:
            x, t_x, age = (rows[c].to_numpy(float) for c in (C.FREQUENCY, C.RECENCY, C.CUSTOMER_AGE))
            weight = rows[C.CUSTOMERS].to_numpy(float)
            days = np.arange(1, holdout_days + 1)
            totals = [
                float(np.sum(weight * bg_nbd.expected_purchases(fit.params, day / unit_days, x, t_x, age)))
                for day in days
            ]
            yield pd.DataFrame({C.BUCKET: days.astype("int32"), C.PREDICTED: totals})

    return predict


def predicted_holdout(
    summaries: DataFrame, model: CustomerValueModel, calibration_end: dt.date, holdout_days: int
) -> DataFrame:
    """Each calibration customer's P(alive) at the calibration end and expected purchases over the holdout.

    Args:
        summaries: `customer_summaries` rows of the calibration end.
        model: The models fitted on them.
        calibration_end: E, their SNAPSHOT_DATE.

    Returns:
        USER_ID, FREQUENCY, P_ALIVE, PREDICTED.
    """
    over_holdout = Horizon(holdout_days, model.horizon.unit_days, discount_rate=0.0, step_days=holdout_days)
    predicted = customer_values(
        summaries, {calibration_end: model.bg.params}, {calibration_end: model.gg.params}, over_holdout
    )
    return predicted.select(C.USER_ID, C.FREQUENCY, C.P_ALIVE, F.col(C.EXPECTED_ORDERS).alias(C.PREDICTED))


def holdout_by_frequency(predicted: DataFrame, holdout: DataFrame) -> DataFrame:
    """Mean predicted and actual holdout purchases per calibration frequency bucket.

    Returns:
        VIEW, BUCKET (x, the last bucket x >= TOP_FREQUENCY_BUCKET), CUSTOMERS, PREDICTED, ACTUAL.
    """
    actual = holdout.groupBy(C.USER_ID).agg(F.count(F.lit(1)).alias(C.ACTUAL))
    # One row per customer on each side: the left join keeps one row per customer.
    return (
        predicted.join(actual, on=[C.USER_ID], how="left")
        .groupBy(F.least(F.col(C.FREQUENCY), F.lit(TOP_FREQUENCY_BUCKET)).alias(C.BUCKET))
        .agg(
            F.count(F.lit(1)).alias(C.CUSTOMERS),
            F.avg(C.PREDICTED).alias(C.PREDICTED),
            F.avg(F.coalesce(F.col(C.ACTUAL), F.lit(0))).cast("double").alias(C.ACTUAL),
        )
        .select(F.lit(VIEW_FREQUENCY).alias(C.VIEW), C.BUCKET, C.CUSTOMERS, C.PREDICTED, C.ACTUAL)
    )


def holdout_by_day(
    summaries: DataFrame,
    holdout: DataFrame,
    fit: BgNbdFit,
    calibration_end: dt.date,
    holdout_days: int,
    unit_days: int,
) -> DataFrame:
    """Cumulative predicted and actual purchases of all calibration customers by holdout day 1..holdout_days.

    Returns:
        VIEW, BUCKET (the day after the calibration end), CUSTOMERS, PREDICTED, ACTUAL.
    """
    triples = summaries.groupBy(C.FREQUENCY, C.RECENCY, C.CUSTOMER_AGE).agg(
        F.count(F.lit(1)).alias(C.CUSTOMERS)
    )
    partial = triples.mapInPandas(
        _by_day(fit, holdout_days, unit_days), f"{C.BUCKET} int, {C.PREDICTED} double"
    )
    predicted = partial.groupBy(C.BUCKET).agg(F.sum(C.PREDICTED).alias(C.PREDICTED))
    daily = holdout.groupBy(F.datediff(C.ORDER_DATE, F.lit(calibration_end)).alias(C.BUCKET)).agg(
        F.count(F.lit(1)).alias("_day")
    )
    # A few dozen holdout days on each side: pairing every day with the days up to it is cheap.
    so_far = predicted.join(
        daily.withColumnRenamed(C.BUCKET, "_purchase_day"),
        F.col("_purchase_day") <= F.col(C.BUCKET),
        how="left",
    )
    customers = summaries.count()
    return (
        so_far.groupBy(C.BUCKET, C.PREDICTED)
        .agg(F.sum(F.coalesce(F.col("_day"), F.lit(0))).cast("double").alias(C.ACTUAL))
        .select(
            F.lit(VIEW_DAY).alias(C.VIEW),
            C.BUCKET,
            F.lit(customers).alias(C.CUSTOMERS),
            C.PREDICTED,
            C.ACTUAL,
        )
    )
