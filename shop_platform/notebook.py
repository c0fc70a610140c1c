"""The notebooks' configuration: the same config files the jobs read, with the lake and overrides taken from
the environment, so one notebook runs against ./lake, the demo lake or a test's lake unchanged.

    SHOP_LAKE_ROOT=/work/lakes/demo jupyter lab notebooks/

- SHOP_ENV: the overlay (default local).
- SHOP_LAKE_ROOT: the lake root (default: lake.root of the config, a relative root taken from the repository
  root rather than the notebook's folder, so ./lake is the demo's lake).
- SHOP_SETTINGS: more `key=value` overrides separated by ";" (e.g. "spark.master=local[2];spark.ui_enabled=false").
- SHOP_RUN_DATE: the date to look at (default: the latest snapshot of the lake, which the notebook finds).
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

from shop_platform.config import load_config
from shop_platform.settings import Config

REPOSITORY = Path(__file__).resolve().parent.parent


def notebook_config() -> Config:
    """The config of the environment (SHOP_ENV, SHOP_LAKE_ROOT, SHOP_SETTINGS), validated like a job's."""
    overrides = [s.strip() for s in os.environ.get("SHOP_SETTINGS", "").split(";") if s.strip()]
    root = os.environ.get("SHOP_LAKE_ROOT")
    if root:
        overrides.append(f"lake.root={root}")
    config = load_config(os.environ.get("SHOP_ENV", "local"), overrides)
    if root or "://" in config.lake.root or config.lake.root.startswith(("/", "~", "dbfs:")):
        return config
    return load_config(
        os.environ.get("SHOP_ENV", "local"), [*overrides, f"lake.root={REPOSITORY / config.lake.root}"]
    )


def notebook_date() -> dt.date | None:
    """SHOP_RUN_DATE as a date, or None: look at the lake's latest snapshot."""
    text = os.environ.get("SHOP_RUN_DATE")
    return dt.date.fromisoformat(text) if text else None
