"""Which K-means model scores which snapshot date: the registered ones, or one trained on the way.

A date is scored with the model trained on it or fewer than `retrain_every_days` days before it, the latest
such (then the highest version); without one the date trains its own. A back-fill walks its dates in order,
so a model it trains scores the following dates until the interval runs out: a first back-fill trains on its
first date and then every `retrain_every_days`. A model trained after a date never scores it, so a snapshot
depends only on what was known on its day, and a back-fill gives the rows the daily runs of its dates would.
Re-running a date finds the model trained for it and rewrites the same rows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class RegisteredModel:
    """A registered model version and the snapshot date it was trained on (its run_date tag)."""

    trained_on: dt.date
    version: int


@dataclass(frozen=True)
class ModelUse:
    """The dates one model scores, in order. `version` None: train a new model on `dates[0]` first."""

    dates: tuple[dt.date, ...]
    version: int | None = None

    @property
    def trains(self) -> bool:
        return self.version is None

    def span(self) -> str:
        """The first and last date, e.g. `2026-10-01..2026-10-07` (one date alone)."""
        first, last = self.dates[0], self.dates[-1]
        return f"{first}..{last}" if last != first else str(first)

    def describe(self) -> str:
        """For a log line: the dates and the model, e.g. `2026-10-08..2026-10-14 with version 2`."""
        model = f"a model trained on {self.dates[0]}" if self.trains else f"version {self.version}"
        return f"{self.span()} with {model}"


def scoring_plan(
    dates: Iterable[dt.date],
    registered: Iterable[RegisteredModel],
    retrain_every_days: int,
    retrain: bool = False,
) -> list[ModelUse]:
    """The models that score `dates`, each with the dates it scores, in the order of their first date.

    Args:
        dates: The snapshot dates to score (any order; duplicates ignored).
        registered: The versions in the registry before the run.
        retrain_every_days: A model scores dates fewer than this many days after the one it was trained on.
        retrain: Train a new model on every date, whatever is registered.

    Returns:
        One ModelUse per model, trainings (version None) included; a training comes before every date it
        scores. A model trained in the run outranks a registered one trained on the same date, as the
        version it gets is the highest.
    """
    if retrain_every_days < 1:
        raise ValueError(f"segments.retrain_every_days must be at least 1, got {retrain_every_days}")
    # Candidates as (trained on, rank); a model trained in the run ranks above every registered version.
    known: list[tuple[dt.date, float]] = [(m.trained_on, m.version) for m in registered]
    trained_in_run: set[tuple[dt.date, float]] = set()
    uses: dict[tuple[dt.date, float], list[dt.date]] = {}
    for day in sorted(set(dates)):
        fitting = [m for m in known if 0 <= (day - m[0]).days < retrain_every_days]
        if retrain or not fitting:
            chosen = (day, float("inf"))
            known.append(chosen)
            trained_in_run.add(chosen)
        else:
            chosen = max(fitting)
        uses.setdefault(chosen, []).append(day)
    return [
        ModelUse(tuple(days), None if model in trained_in_run else int(model[1]))
        for model, days in sorted(uses.items(), key=lambda item: item[1][0])
    ]
