"""MLflow tracking: `tracking` (shop_platform.tracking)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TrackingSettings:
    # None: a SQLite store and artifact folder under <lake.root>/mlflow.
    uri: str | None
    experiment: str
