"""The Spark session: `spark` (shop_platform.session)."""

from __future__ import annotations

from dataclasses import dataclass, field

from shop_platform.settings.checks import Problems, positive


@dataclass(frozen=True)
class SparkSettings:
    master: str
    app_name: str
    shuffle_partitions: int
    ui_enabled: bool
    driver_memory: str
    # Extra Spark properties, applied as given (e.g. spark.jars.packages on a cluster with Maven access).
    conf: dict[str, str] = field(default_factory=dict)

    def problems(self) -> Problems:
        yield from positive(self, ("shuffle_partitions",))
