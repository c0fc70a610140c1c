"""The sample shop's generated data: `generator`, its dirt and its campaigns."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from shop_platform.settings.checks import Problems, positive, rates


@dataclass(frozen=True)
class DirtSettings:
    """Shares of generated raw lines that carry each kind of defect (0 turns one off)."""

    duplicate_rate: float
    malformed_json_rate: float
    missing_field_rate: float
    wrong_type_rate: float
    negative_amount_rate: float
    future_timestamp_rate: float
    ancient_timestamp_rate: float
    unknown_event_type_rate: float
    bot_users: int
    bot_events_per_day: int

    def problems(self) -> Problems:
        yield from rates(
            self,
            (
                "duplicate_rate",
                "malformed_json_rate",
                "missing_field_rate",
                "wrong_type_rate",
                "negative_amount_rate",
                "future_timestamp_rate",
                "ancient_timestamp_rate",
                "unknown_event_type_rate",
            ),
        )
        if self.bot_users < 0:
            yield "bot_users", f"must be >= 0, got {self.bot_users}"


@dataclass(frozen=True)
class CampaignSettings:
    count: int
    # Share of users eligible for each campaign; eligible users split 50/50 treatment/control.
    eligible_share: float
    # Relative lift of a treated user's per-session conversion probability during the campaign.
    conversion_lift: float
    duration_days: int

    def problems(self) -> Problems:
        yield from rates(self, ("eligible_share",))
        if self.count < 0:
            yield "count", f"must be >= 0, got {self.count}"
        yield from positive(self, ("duration_days",))


@dataclass(frozen=True)
class DriftSettings:
    """A shop that moves (`generator.drift`): items launch and fade, tastes change. Off, the shop is static."""

    enabled: bool
    # Share of each category's items launched during the period: one item in every round(1 / share) by
    # popularity rank (0.2: every 5th), at a steady pace; the others launched before it at the same pace.
    new_item_share: float
    # Days in which the extra traffic of a launch halves, once it has peaked.
    popularity_half_life_days: float
    # Mean days the extra traffic of a launch takes to build up (0: it peaks on the launch day).
    popularity_rise_days: float
    # Share of the crowd's product picks (those not driven by brand loyalty or novelty) that go to launches,
    # each as much as its age gives it, while items keep launching; it fades after the period's launches.
    launch_traffic_share: float
    # Share of users whose favourite category changes on a day inside the period.
    taste_change_share: float

    def problems(self) -> Problems:
        if not 0.0 < self.new_item_share <= 0.5:
            yield "new_item_share", f"must be above 0 and at most 0.5, got {self.new_item_share}"
        yield from positive(self, ("popularity_half_life_days",))
        if self.popularity_rise_days < 0:
            yield "popularity_rise_days", f"must be >= 0, got {self.popularity_rise_days}"
        yield from rates(self, ("launch_traffic_share", "taste_change_share"))


@dataclass(frozen=True)
class GeneratorSettings:
    seed: int
    start_date: dt.date
    days: int
    users: int
    items: int
    mean_sessions_per_active_day: float
    # Share of users who stop coming back partway through the period (besides the churning persona).
    churn_share: float
    bundles: int
    # Share of events whose raw file is one or two days after the day they happened.
    late_event_share: float
    # Partitions of the generated data: more for bigger scales on a cluster.
    partitions: int
    dirt: DirtSettings
    campaigns: CampaignSettings
    drift: DriftSettings

    def problems(self) -> Problems:
        yield from positive(self, ("days", "users", "items", "mean_sessions_per_active_day", "partitions"))
        yield from rates(self, ("churn_share", "late_event_share"))
        if self.bundles < 0:
            yield "bundles", f"must be >= 0, got {self.bundles}"
