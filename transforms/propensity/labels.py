"""The purchase label and the time split: which snapshots have a complete label window by a run date.

A user of snapshot T is a purchaser when they placed an order on a day in (T, T + horizon] (ORDER_DATE, the
shop-local day) that has been paid (PAID_TIME set; a later refund still counts: they bought). An order on T
itself is already in T's features, so it does not count; one on T + horizon does, one a day later does not.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from shop_platform.settings import PropensitySettings
from transforms import columns as C
from transforms import tables

_T = "_label_snapshot"


@dataclass(frozen=True)
class TimeSplit:
    """Snapshot dates of a run: train on `train_dates`, validate on `validation_date`; every label window ends
    on or before the run date, and the training windows end on or before the validation snapshot."""

    train_dates: tuple[dt.date, ...]
    validation_date: dt.date

    @property
    def dates(self) -> tuple[dt.date, ...]:
        """Every snapshot the split reads, oldest first."""
        return (*sorted(self.train_dates), self.validation_date)


def time_split(run_date: dt.date, horizon_days: int, train_snapshots: int, step_days: int) -> TimeSplit:
    """The split for `run_date`: validation snapshot run_date - horizon (labels through the run date), training
    snapshots run_date - 2 * horizon and then every `step_days` earlier, `train_snapshots` of them.

    The training labels end on or before the validation snapshot, so validation is strictly out of time.
    """
    validation = run_date - dt.timedelta(days=horizon_days)
    newest_train = validation - dt.timedelta(days=horizon_days)
    train = tuple(newest_train - dt.timedelta(days=step_days * n) for n in range(train_snapshots))
    return TimeSplit(train_dates=tuple(sorted(train)), validation_date=validation)


def purchasers(orders: DataFrame, snapshot_dates: DataFrame, horizon_days: int) -> DataFrame:
    """The users who made a purchase in the label window of each snapshot date.

    Args:
        orders: silver.orders (USER_ID, ORDER_DATE, PAID_TIME).
        snapshot_dates: SNAPSHOT_DATE, one row per date (a handful).
        horizon_days: The window length: orders placed in (T, T + horizon_days] count.

    Returns:
        USER_ID, SNAPSHOT_DATE: one row per user and snapshot date with a purchase.
    """
    paid = orders.where(F.col(C.PAID_TIME).isNotNull() & F.col(C.USER_ID).isNotNull()).select(
        C.USER_ID, C.ORDER_DATE
    )
    dates = snapshot_dates.select(F.col(C.SNAPSHOT_DATE).alias(_T))
    in_window = (F.col(C.ORDER_DATE) > F.col(_T)) & (
        F.col(C.ORDER_DATE) <= F.date_add(F.col(_T), horizon_days)
    )
    # A user with several orders in one window is one purchaser: distinct.
    return (
        paid.join(F.broadcast(dates), on=in_window, how="inner")
        .select(C.USER_ID, F.col(_T).alias(C.SNAPSHOT_DATE))
        .distinct()
    )


def with_purchase_label(dataset: DataFrame, orders: DataFrame, horizon_days: int) -> DataFrame:
    """`dataset` (one row per USER_ID and SNAPSHOT_DATE) plus PURCHASED: 1.0 for a purchase in the snapshot's
    label window, else 0.0.

    Returns:
        The columns of `dataset`, then PURCHASED.
    """
    bought = purchasers(orders, dataset.select(C.SNAPSHOT_DATE).distinct(), horizon_days).select(
        C.USER_ID, C.SNAPSHOT_DATE, F.lit(1.0).alias(C.PURCHASED)
    )
    # `bought` has one row per (user, date), so the left join keeps one row per dataset row.
    return dataset.join(bought, on=[C.USER_ID, C.SNAPSHOT_DATE], how="left").select(
        *dataset.columns, F.coalesce(F.col(C.PURCHASED), F.lit(0.0)).alias(C.PURCHASED)
    )


def history_problem(
    available: Sequence[dt.date], split: TimeSplit, run_date: dt.date, p: PropensitySettings
) -> tuple[bool, str] | None:
    """Why gold.user_features (holding the snapshots `available`) cannot give this split: (young, message),
    young when the history merely starts too late (nothing is broken; later run dates will train); None when
    every snapshot is there."""
    features = tables.USER_FEATURES.name
    missing = [day for day in split.dates if day not in set(available)]
    if not missing:
        return None
    needed = ", ".join(d.isoformat() for d in split.dates)
    settings = (
        f"propensity.horizon_days={p.horizon_days}, train_snapshots={p.train_snapshots}, "
        f"snapshot_step_days={p.snapshot_step_days}"
    )
    if not available:
        return True, f"{features} has no snapshots yet; run date {run_date} needs {needed} ({settings})"
    first = min(available)
    if all(day < first for day in missing):
        ready = run_date + (first - min(split.dates))
        return True, (
            f"{features} starts on {first}; run date {run_date} needs the snapshots {needed} ({settings}), "
            f"missing {', '.join(d.isoformat() for d in missing)}: the first run date with enough history is "
            f"{ready}"
        )
    return False, (
        f"{features} has no snapshot for {', '.join(d.isoformat() for d in missing)}, which run date "
        f"{run_date} needs ({settings}; the table holds {first}..{max(available)}): run build_user_features "
        f"for it"
    )


def snapshot_counts(labelled: DataFrame) -> dict[dt.date, tuple[int, int]]:
    """Users and purchasers of each snapshot date of the labelled rows (PURCHASED): one row per date
    collected."""
    return {
        r[C.SNAPSHOT_DATE]: (r["users"], int(r["positives"]))
        for r in labelled.groupBy(C.SNAPSHOT_DATE)
        .agg(F.count(F.lit(1)).alias("users"), F.sum(C.PURCHASED).alias("positives"))
        .collect()
    }


def role_counts(per_date: Mapping[dt.date, tuple[int, int]], split: TimeSplit) -> dict[str, tuple[int, int]]:
    """Users and purchasers of the training snapshots together and of the validation snapshot."""
    train = [per_date.get(d, (0, 0)) for d in split.train_dates]
    return {
        "training": (sum(u for u, _ in train), sum(n for _, n in train)),
        "validation": per_date.get(split.validation_date, (0, 0)),
    }


def one_class_problem(counts: Mapping[str, tuple[int, int]]) -> str | None:
    """Why the snapshots of a role (`role_counts`) cannot train or validate a model: all or none of their
    users purchased; None when both classes are there."""
    for role, (users, positives) in counts.items():
        if positives == 0 or positives == users:
            return (
                f"the {role} snapshots have {users} users of whom {positives} purchased: a model needs both "
                f"purchasers and others"
            )
    return None
