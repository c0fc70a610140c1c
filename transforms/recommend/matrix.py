"""The user-item matrix as of a run date, which train_als trains on and build_recommendations blends from.

gold.user_item_interactions holds the matrix as of the last date build_interactions ran for. For that date
it is read as it is; for an earlier one (a re-run of an older date) it is rebuilt from gold.user_item_daily,
which holds every day through the matrix's date, with the same decay (`split.interactions_as_of`). A matrix
older than the run date cannot be brought forward: build_interactions must run for the date first.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from pyspark.sql import DataFrame

from shop_platform.storage.spec import TableSpec
from transforms import tables
from transforms.recommend.split import interactions_as_of


def matrix_problem(matrix_date: dt.date | None, run_date: dt.date) -> str | None:
    """Why the stored matrix (as of `matrix_date`, None when missing or empty) cannot give the matrix as of
    `run_date`, or None when it can."""
    if matrix_date is None or matrix_date < run_date:
        return (
            f"{tables.USER_ITEM_INTERACTIONS.name} is as of {matrix_date}, before {run_date}: run "
            f"build_interactions for the run date"
        )
    return None


def matrix_sources(matrix_date: dt.date, run_date: dt.date) -> tuple[TableSpec, ...]:
    """The tables the matrix as of `run_date` is read from: the stored matrix when it is as of the run date,
    else the daily table; and the two indexes."""
    matrix = tables.USER_ITEM_INTERACTIONS if matrix_date == run_date else tables.USER_ITEM_DAILY
    return matrix, tables.USER_INDEX, tables.ITEM_INDEX


def matrix_on(
    run_date: dt.date, sources: Mapping[str, DataFrame], *, half_life_days: float, timezone: str
) -> DataFrame:
    """The matrix as of `run_date` (GOLD_USER_ITEM_INTERACTIONS_SCHEMA columns).

    Args:
        sources: The frames of `matrix_sources` by table name.
        half_life_days: `interactions.half_life_days`; timezone: `app.timezone`.
    """
    stored = sources.get(tables.USER_ITEM_INTERACTIONS.name)
    if stored is not None:
        return stored
    return interactions_as_of(
        sources[tables.USER_ITEM_DAILY.name],
        sources[tables.USER_INDEX.name],
        sources[tables.ITEM_INDEX.name],
        as_of=run_date,
        half_life_days=half_life_days,
        timezone=timezone,
    )
