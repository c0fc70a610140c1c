"""How silver cuts events into sessions and drops bots: `sessions` and `bots`."""

from __future__ import annotations

from dataclasses import dataclass

from shop_platform.settings.checks import Problems, positive


@dataclass(frozen=True)
class SessionSettings:
    # A new session starts after this much inactivity...
    gap_minutes: int
    # ...and, when enabled, when the acquisition channel changes.
    split_on_channel_change: bool

    def problems(self) -> Problems:
        yield from positive(self, ("gap_minutes",))


@dataclass(frozen=True)
class BotSettings:
    """A user is flagged as a bot (and excluded from silver) when either rate is exceeded; rates count
    actions, so the `order` rows of one order count once (transforms.bots.user_actions)."""

    max_events_per_minute: int
    max_events_per_day: int

    def problems(self) -> Problems:
        yield from positive(self, ("max_events_per_minute", "max_events_per_day"))
