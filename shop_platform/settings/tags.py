"""Tag snapshots: `rfm`, `lifecycle` and where the tag catalog and audiences are (`tags`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from shop_platform.settings.checks import Problems, positive
from shop_platform.vocabulary import RFM_ALL_HISTORY, RfmSplit


@dataclass(frozen=True)
class RfmSettings:
    """RFM over one window: R days since the last order, F orders and M paid GMV in the window."""

    # A positive number of days, or "all" for all history up to the snapshot (transforms.tags.rfm).
    # Typed Any because the loader coerces one type per key; problems() checks it.
    window_days: Any
    # Each of R, F and M is high when its 1-5 score is above the snapshot's mean (or median) score.
    split: RfmSplit

    def problems(self) -> Problems:
        days = isinstance(self.window_days, int) and not isinstance(self.window_days, bool)
        if not ((days and self.window_days > 0) or self.window_days == RFM_ALL_HISTORY):
            yield (
                "window_days",
                f"must be a positive number of days or {RFM_ALL_HISTORY!r}, got {self.window_days!r}",
            )


@dataclass(frozen=True)
class LifecycleSettings:
    """Lifecycle stage thresholds in days (rules and precedence: transforms.tags.lifecycle)."""

    # Registered at most this many days before the snapshot: new.
    new_days: int
    # Last visit (or registration, for a user who never visited) at most this many days ago: active;
    # then silent up to silent_days, at risk up to churn_days, churned beyond.
    active_days: int
    silent_days: int
    churn_days: int

    def problems(self) -> Problems:
        yield from positive(self, ("new_days", "active_days", "silent_days", "churn_days"))
        ordered = (("active_days", "silent_days"), ("silent_days", "churn_days"))
        for lower, higher in ordered:
            low, high = getattr(self, lower), getattr(self, higher)
            if high <= low:
                yield higher, f"must be greater than lifecycle.{lower} ({low}), got {high}"
        if self.new_days >= self.churn_days:
            yield (
                "new_days",
                f"must be less than lifecycle.churn_days ({self.churn_days}), got {self.new_days}",
            )


@dataclass(frozen=True)
class TagSettings:
    """Where the tag catalog and the audiences are: null means the shipped conf/tags.yaml and
    conf/audiences.yaml."""

    catalog: str | None
    audiences: str | None
