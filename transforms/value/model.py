"""A date's two fitted models as one object: fitted from distinct summary rows, scoring customer summaries.

The registered MLflow model of build_customer_value wraps this, so whoever loads it scores (x, t_x, T, m)
rows exactly as gold.customer_value does.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from pyspark.sql import DataFrame

from transforms import columns as C
from transforms.value import bg_nbd, gamma_gamma
from transforms.value.bg_nbd import BgNbdFit
from transforms.value.gamma_gamma import GammaGammaFit
from transforms.value.scoring import Horizon, bg_nbd_predictions
from transforms.value.summary import bg_nbd_rows, gamma_gamma_rows

BG_NBD = "bg_nbd"
GAMMA_GAMMA = "gamma_gamma"


@dataclass(frozen=True)
class CustomerValueModel:
    """BG/NBD and Gamma-Gamma fitted on one date, with what their predictions cover."""

    bg: BgNbdFit
    gg: GammaGammaFit
    horizon: Horizon
    bg_rows: int
    gg_rows: int
    bg_seconds: float
    gg_seconds: float

    def estimates(self) -> dict[str, dict[str, float]]:
        """The parameters per model, as gold.customer_value_fits and MLflow record them."""
        return {
            BG_NBD: dict(zip(bg_nbd.PARAMETERS, self.bg.params, strict=True)),
            GAMMA_GAMMA: dict(zip(gamma_gamma.PARAMETERS, self.gg.params, strict=True)),
        }

    def predict(self, summaries: pd.DataFrame) -> pd.DataFrame:
        """P_ALIVE, EXPECTED_ORDERS, EXPECTED_ORDER_VALUE and CLV for rows of FREQUENCY, RECENCY,
        CUSTOMER_AGE, MEAN_REPEAT_VALUE and FIRST_PURCHASE_VALUE (the gold.customer_value columns)."""
        x = summaries[C.FREQUENCY].to_numpy(float)
        alive, expected, discounted = bg_nbd_predictions(
            self.bg.params,
            x,
            summaries[C.RECENCY].to_numpy(float),
            summaries[C.CUSTOMER_AGE].to_numpy(float),
            self.horizon,
        )
        m = np.clip(np.nan_to_num(summaries[C.MEAN_REPEAT_VALUE].to_numpy(float)), 0.0, None)
        first = summaries[C.FIRST_PURCHASE_VALUE].to_numpy(float)
        value = gamma_gamma.expected_value(self.gg.params, x, m, first)
        return pd.DataFrame(
            {
                C.P_ALIVE: alive,
                C.EXPECTED_ORDERS: expected,
                C.EXPECTED_ORDER_VALUE: value,
                C.CLV: discounted * value,
            },
            index=summaries.index,
        )


def fit_model(bg_rows: pd.DataFrame, gg_rows: pd.DataFrame, horizon: Horizon) -> CustomerValueModel:
    """Fit both models on one date's distinct rows (`summary.bg_nbd_rows` and `summary.gamma_gamma_rows`).

    Raises:
        ValueError: A model cannot be fitted (no customers, or none with repeat purchases of positive value).
    """
    started = time.perf_counter()
    bg = bg_nbd.fit(
        bg_rows[C.FREQUENCY].to_numpy(float),
        bg_rows[C.RECENCY].to_numpy(float),
        bg_rows[C.CUSTOMER_AGE].to_numpy(float),
        bg_rows[C.CUSTOMERS].to_numpy(float),
    )
    fitted_bg = time.perf_counter()
    gg = gamma_gamma.fit(
        gg_rows[C.FREQUENCY].to_numpy(float),
        gg_rows[C.MEAN_REPEAT_VALUE].to_numpy(float),
        gg_rows[C.CUSTOMERS].to_numpy(float),
    )
    return CustomerValueModel(
        bg, gg, horizon, len(bg_rows), len(gg_rows), fitted_bg - started, time.perf_counter() - fitted_bg
    )


def fit_models(
    bg_rows: pd.DataFrame,
    gg_rows: pd.DataFrame,
    dates: Sequence[dt.date],
    horizon: Horizon,
    min_customers: int,
) -> tuple[dict[dt.date, CustomerValueModel], list[str]]:
    """The models of every date with at least `min_customers` customers that both models can be fitted on,
    and why each other date has none.

    Args:
        bg_rows, gg_rows: `summary.bg_nbd_rows` and `summary.gamma_gamma_rows` of the dates, on the driver.
    """
    models, skipped = {}, []
    for date in dates:
        bg = bg_rows[bg_rows[C.SNAPSHOT_DATE] == date]
        customers = int(bg[C.CUSTOMERS].sum())
        if customers < min_customers:
            skipped.append(f"{date}: {customers} customers, fewer than {min_customers}")
            continue
        try:
            models[date] = fit_model(bg, gg_rows[gg_rows[C.SNAPSHOT_DATE] == date], horizon)
        except ValueError as exc:
            skipped.append(f"{date}: {exc}")
    return models, skipped


def fit_summaries(
    summaries: DataFrame, dates: Sequence[dt.date], horizon: Horizon, min_customers: int
) -> tuple[dict[dt.date, CustomerValueModel], list[str]]:
    """`fit_models` on the distinct rows of `customer_summaries` rows, brought to the driver: a few thousand
    per date whatever the number of customers (summary.bg_nbd_rows, summary.gamma_gamma_rows)."""
    return fit_models(
        bg_nbd_rows(summaries).toPandas(),
        gamma_gamma_rows(summaries).toPandas(),
        dates,
        horizon,
        min_customers,
    )
