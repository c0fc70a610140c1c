"""Per customer, from a date's fitted models: P(alive), expected repeat purchases, order value and CLV.

BG/NBD's conditional expectation needs the Gauss hypergeometric function, which Spark does not have: it is
evaluated with SciPy in `mapInPandas` over the distinct (x, t_x, T) rows, which are few, and joined back to
the customers. Gamma-Gamma's expected value and the CLV are plain column arithmetic.

CLV over a horizon of H days, discounted per step of S days at a yearly rate d (as `lifetimes` does per
month): sum over steps k of (E[Y(t_k)] - E[Y(t_(k-1))]) * E[M] / (1 + d)^(t_k / 365), t_k = min(k S, H).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T

from shop_platform.settings import CustomerValueSettings
from transforms import columns as C
from transforms.value import bg_nbd

_DAYS_PER_YEAR = 365.0


@dataclass(frozen=True)
class Horizon:
    """What the predictions cover: `days` after the date, in a time unit of `unit_days`, discounted per
    `step_days` at the yearly `discount_rate`."""

    days: int
    unit_days: int
    discount_rate: float
    step_days: int

    @classmethod
    def of(cls, settings: CustomerValueSettings) -> Horizon:
        """The horizon `clv` configures."""
        return cls(
            settings.horizon_days,
            settings.time_unit_days,
            settings.discount_rate,
            settings.discount_step_days,
        )

    def steps(self) -> list[int]:
        """The day each discounting step ends on: step_days, 2 step_days, ..., the horizon."""
        ends = list(range(self.step_days, self.days, self.step_days))
        return [*ends, self.days]


def bg_nbd_predictions(
    params: tuple[float, float, float, float],
    x: np.ndarray,
    t_x: np.ndarray,
    age: np.ndarray,
    horizon: Horizon,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """P(alive), expected repeat purchases over the horizon and their discounted sum (see the module)."""
    alive = bg_nbd.p_alive(params, x, t_x, age)
    discounted = np.zeros_like(alive)
    before = np.zeros_like(alive)
    for day in horizon.steps():
        cumulative = bg_nbd.expected_purchases(params, day / horizon.unit_days, x, t_x, age)
        discounted += (cumulative - before) / (1.0 + horizon.discount_rate) ** (day / _DAYS_PER_YEAR)
        before = cumulative
    return alive, before, discounted


_PREDICTION_SCHEMA = T.StructType(
    [
        T.StructField(C.SNAPSHOT_DATE, T.DateType()),
        T.StructField(C.FREQUENCY, T.IntegerType()),
        T.StructField(C.RECENCY, T.DoubleType()),
        T.StructField(C.CUSTOMER_AGE, T.DoubleType()),
        T.StructField(C.P_ALIVE, T.DoubleType()),
        T.StructField(C.EXPECTED_ORDERS, T.DoubleType()),
        T.StructField(C.DISCOUNTED_ORDERS, T.DoubleType()),
    ]
)


def _predict_batches(
    params: Mapping[dt.date, tuple[float, float, float, float]], horizon: Horizon
) -> Callable[[Iterator[pd.DataFrame]], Iterator[pd.DataFrame]]:
    def predict(batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        for batch in batches:
            out = []
            for date, rows in batch.groupby(C.SNAPSHOT_DATE, sort=False):
                alive, expected, discounted = bg_nbd_predictions(
                    params[date],
                    rows[C.FREQUENCY].to_numpy(float),
                    rows[C.RECENCY].to_numpy(float),
                    rows[C.CUSTOMER_AGE].to_numpy(float),
                    horizon,
                )
                out.append(
                    rows.assign(
                        **{C.P_ALIVE: alive, C.EXPECTED_ORDERS: expected, C.DISCOUNTED_ORDERS: discounted}
                    )
                )
            if out:
                yield pd.concat(out)[[f.name for f in _PREDICTION_SCHEMA.fields]]

    return predict


def customer_values(
    summaries: DataFrame,
    bg_params: Mapping[dt.date, tuple[float, float, float, float]],
    gg_params: Mapping[dt.date, tuple[float, float, float]],
    horizon: Horizon,
) -> DataFrame:
    """Each customer of a fitted date with the models' predictions (dates without both fits are dropped).

    Args:
        summaries: `transforms.value.summary.customer_summaries` rows.
        bg_params, gg_params: Each fitted date's BG/NBD (r, alpha, a, b) and Gamma-Gamma (p, q, v).
        horizon: What the expectations and the CLV cover.

    Returns:
        USER_ID, FIRST_PURCHASE_DATE, FREQUENCY, RECENCY, CUSTOMER_AGE, MEAN_REPEAT_VALUE,
        FIRST_PURCHASE_VALUE, P_ALIVE, EXPECTED_ORDERS, EXPECTED_ORDER_VALUE, CLV, SNAPSHOT_DATE.
    """
    fitted = sorted(set(bg_params) & set(gg_params))
    rows = summaries.where(F.col(C.SNAPSHOT_DATE).isin(fitted))
    keys = [C.SNAPSHOT_DATE, C.FREQUENCY, C.RECENCY, C.CUSTOMER_AGE]
    predictions = (
        rows.select(*keys)
        .distinct()
        .mapInPandas(_predict_batches({d: bg_params[d] for d in fitted}, horizon), _PREDICTION_SCHEMA)
    )
    gg = rows.sparkSession.createDataFrame(
        [(d, *gg_params[d]) for d in fitted], f"{C.SNAPSHOT_DATE} date, _p double, _q double, _v double"
    )
    # Gamma-Gamma's E[M | x, m] = p (v + x m) / (p x + q - 1); without repeat purchases the first purchase
    # counts as the one transaction seen (x = 1, m = its value), as gamma_gamma.expected_value says why.
    repeat = F.col(C.FREQUENCY) > 0
    m = F.greatest(
        F.coalesce(
            F.when(repeat, F.col(C.MEAN_REPEAT_VALUE)).otherwise(F.col(C.FIRST_PURCHASE_VALUE)), F.lit(0.0)
        ),
        F.lit(0.0),
    )
    x = F.when(repeat, F.col(C.FREQUENCY).cast("double")).otherwise(F.lit(1.0))
    order_value = F.col("_p") * (F.col("_v") + x * m) / (F.col("_p") * x + F.col("_q") - 1.0)
    # One prediction per distinct key and one parameter row per date: the joins keep one row per customer.
    return (
        rows.join(predictions, on=keys, how="inner")
        .join(F.broadcast(gg), on=[C.SNAPSHOT_DATE], how="inner")
        .select(
            C.USER_ID,
            C.FIRST_PURCHASE_DATE,
            C.FREQUENCY,
            C.RECENCY,
            C.CUSTOMER_AGE,
            C.MEAN_REPEAT_VALUE,
            C.FIRST_PURCHASE_VALUE,
            C.P_ALIVE,
            C.EXPECTED_ORDERS,
            order_value.alias(C.EXPECTED_ORDER_VALUE),
            (F.col(C.DISCOUNTED_ORDERS) * order_value).alias(C.CLV),
            C.SNAPSHOT_DATE,
        )
    )
