"""Where and how tables are stored: `lake` (shop_platform.storage)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from shop_platform.settings.checks import Problems


@dataclass(frozen=True)
class LakeSettings:
    # Tables live at <root>/<layer>/<name>; relative roots are resolved against the working directory.
    root: str
    engine: Literal["auto", "delta-spark", "embedded"]
    vacuum_retention_hours: int
    # Files an aborted embedded write left in the staging area are removed by vacuum after this long.
    staging_retention_hours: int
    # Data files no version of the log references (a killed write's) are removed by vacuum after this long,
    # whatever vacuum_retention_hours says: plain Parquet readers would see them.
    uncommitted_retention_hours: float = 1.0

    def problems(self) -> Problems:
        if not self.root.strip():
            # An empty root would resolve to the working directory, i.e. the repository.
            yield "root", "must be a non-empty path or URI, got an empty value"
        if self.uncommitted_retention_hours < 0:
            yield "uncommitted_retention_hours", f"must be >= 0, got {self.uncommitted_retention_hours}"
        if self.vacuum_retention_hours < 0:
            yield "vacuum_retention_hours", f"must be >= 0, got {self.vacuum_retention_hours}"
        if self.staging_retention_hours < 0:
            yield "staging_retention_hours", f"must be >= 0, got {self.staging_retention_hours}"
