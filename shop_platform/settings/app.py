"""The shop itself and the process: `app` (name, local time zone) and `logging`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from shop_platform.settings.checks import Problems


@dataclass(frozen=True)
class AppSettings:
    name: str
    # The shop's local time zone: local event times, and the default run date (yesterday there).
    timezone: str

    def problems(self) -> Problems:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            yield "timezone", f"is not a known IANA time zone: {self.timezone!r}"


@dataclass(frozen=True)
class LoggingSettings:
    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"]
