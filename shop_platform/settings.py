"""The settings model: one frozen dataclass per section of `conf/base.yaml`.

Every key in the YAML files must exist here, with its type; `shop_platform.config` validates against it.
A class may define `problems()` returning `(field, message)` pairs for range and cross-field rules.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Literal

Problems = Iterator[tuple[str, str]]


def _rates(obj: object, names: tuple[str, ...]) -> Problems:
    for name in names:
        value = getattr(obj, name)
        if not 0.0 <= value <= 1.0:
            yield name, f"must be a share between 0 and 1, got {value}"


def _positive(obj: object, names: tuple[str, ...]) -> Problems:
    for name in names:
        value = getattr(obj, name)
        if value <= 0:
            yield name, f"must be positive, got {value}"


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
class LakeSettings:
    # Tables live at <root>/<layer>/<name>; relative roots are resolved against the working directory.
    root: str
    engine: Literal["auto", "delta-spark", "embedded"]
    vacuum_retention_hours: int
    # Files an aborted embedded write left in the staging area are removed by vacuum after this long.
    staging_retention_hours: int

    def problems(self) -> Problems:
        if self.vacuum_retention_hours < 0:
            yield "vacuum_retention_hours", f"must be >= 0, got {self.vacuum_retention_hours}"
        if self.staging_retention_hours < 0:
            yield "staging_retention_hours", f"must be >= 0, got {self.staging_retention_hours}"


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
        yield from _positive(self, ("shuffle_partitions",))


@dataclass(frozen=True)
class TrackingSettings:
    # None: a SQLite store and artifact folder under <lake.root>/mlflow.
    uri: str | None
    experiment: str


@dataclass(frozen=True)
class LoggingSettings:
    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"]


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
        yield from _rates(
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
        yield from _rates(self, ("eligible_share",))
        if self.count < 0:
            yield "count", f"must be >= 0, got {self.count}"
        yield from _positive(self, ("duration_days",))


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

    def problems(self) -> Problems:
        yield from _positive(self, ("days", "users", "items", "mean_sessions_per_active_day", "partitions"))
        yield from _rates(self, ("churn_share", "late_event_share"))
        if self.bundles < 0:
            yield "bundles", f"must be >= 0, got {self.bundles}"


@dataclass(frozen=True)
class IngestSettings:
    """Bronze ingestion: which raw format, and the validation rules every row must pass."""

    # events_jsonl: the collector's JSON lines; taobao_user_behavior: Tianchi UserBehavior CSV
    # (user_id,item_id,category_id,behavior_type,timestamp; no header); order_lines_csv: order lines with a header.
    format: Literal["events_jsonl", "taobao_user_behavior", "order_lines_csv"]
    # Folder under the lake root holding date=YYYY-MM-DD sub-folders of raw files.
    raw_dir: str
    required_fields: list[str]
    # Regular expressions an id must match in full, by column.
    id_patterns: dict[str, str]
    # Event times outside [run date - days_before, run date + days_after] are quarantined.
    timestamp_days_before: int
    timestamp_days_after: int
    # The job fails (after writing the quarantine) when a larger share of a day's lines is quarantined.
    max_quarantine_rate: float
    # Days before the run date that downstream stages recompute, so late events land where they belong.
    lookback_days: int

    def problems(self) -> Problems:
        import re

        yield from _rates(self, ("max_quarantine_rate",))
        for column, pattern in self.id_patterns.items():
            try:
                re.compile(pattern)
            except re.error as exc:
                yield "id_patterns", f"has an invalid regular expression for {column}: {exc}"
        for name in ("timestamp_days_before", "timestamp_days_after", "lookback_days"):
            if getattr(self, name) < 0:
                yield name, f"must be >= 0, got {getattr(self, name)}"


@dataclass(frozen=True)
class PiiSettings:
    """Pseudonymisation of phone and e-mail: salted SHA-256, salt never in the repository."""

    # Environment variable holding the salt (preferred: a secret scope or CI secret sets it).
    salt_env: str
    # Only for local demos and tests, set by --set or an untracked overlay; null means: use salt_env.
    salt: str | None = None


@dataclass(frozen=True)
class SessionSettings:
    # A new session starts after this much inactivity...
    gap_minutes: int
    # ...and, when enabled, when the acquisition channel changes.
    split_on_channel_change: bool

    def problems(self) -> Problems:
        yield from _positive(self, ("gap_minutes",))


@dataclass(frozen=True)
class BotSettings:
    """A user is flagged as a bot (and excluded from silver) when either rate is exceeded."""

    max_events_per_minute: int
    max_events_per_day: int

    def problems(self) -> Problems:
        yield from _positive(self, ("max_events_per_minute", "max_events_per_day"))


@dataclass(frozen=True)
class InteractionSettings:
    """Implicit-feedback strength: weight per event type, halved every `half_life_days` of age."""

    weights: dict[str, float]
    half_life_days: float

    def problems(self) -> Problems:
        yield from _positive(self, ("half_life_days",))
        for event_type, weight in self.weights.items():
            if weight < 0:
                yield "weights", f"{event_type} has a negative weight {weight}"


# The feature windows RFM may read: transforms.features.windows.WINDOWS without the 1-day window (the
# platform imports nothing from transforms; tests/test_config.py checks the two agree).
RFM_WINDOWS = (7, 30, 90)


@dataclass(frozen=True)
class RfmSettings:
    """RFM over one feature window: R days since the last order, F orders and M paid GMV in the window."""

    # One of RFM_WINDOWS: F and M read orders_<n>d and paid_gmv_<n>d of gold.user_features.
    window_days: int
    # Each of R, F and M is high when its 1-5 score is above the snapshot's mean (or median) score.
    split: Literal["mean", "median"]

    def problems(self) -> Problems:
        if self.window_days not in RFM_WINDOWS:
            windows = ", ".join(map(str, RFM_WINDOWS))
            yield "window_days", f"must be one of the feature windows {windows}, got {self.window_days}"


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
        yield from _positive(self, ("new_days", "active_days", "silent_days", "churn_days"))
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


@dataclass(frozen=True)
class Config:
    app: AppSettings
    lake: LakeSettings
    spark: SparkSettings
    tracking: TrackingSettings
    logging: LoggingSettings
    generator: GeneratorSettings
    ingest: IngestSettings
    pii: PiiSettings
    sessions: SessionSettings
    bots: BotSettings
    interactions: InteractionSettings
    rfm: RfmSettings
    lifecycle: LifecycleSettings
    tags: TagSettings
