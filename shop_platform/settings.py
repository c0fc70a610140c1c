"""The settings model: one frozen dataclass per section of `conf/base.yaml`.

Every key in the YAML files must exist here, with its type; `shop_platform.config` validates against it.
A class may define `problems()` returning `(field, message)` pairs for range and cross-field rules.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

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


def _line_encoding(name: str) -> Problems:
    import codecs

    try:
        codec = codecs.lookup(name)
    except LookupError:
        yield "encoding", f"{name!r} is not a known character encoding"
        return
    if "\n".encode(codec.name) != b"\n":
        # Raw files are split into lines on the byte 0x0A before they are decoded.
        yield "encoding", f"{name!r} does not end lines with the single byte 0x0A; convert the files to UTF-8"


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
class OrderLineSettings:
    """What the rows of an order-lines export are when it has no (mapped) status column."""

    # An export of completed orders lists paid orders; placed, refunded or cancelled otherwise.
    row_status: Literal["placed", "paid", "refunded", "cancelled"] = "paid"


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
    # A raw date with fewer input lines than this, for which bronze already holds rows, stops the run and
    # leaves both tables as they are (an empty or truncated delivery), unless the run says --allow-empty.
    min_lines_per_date: int = 1
    # Character encoding of the raw event files (utf-8, gbk, gb18030, latin-1, ...; one byte 0x0A must end
    # a line, so not UTF-16): lines that are not valid text in it are quarantined as `bad_encoding`.
    encoding: str = "utf-8"
    # Per source (users, items, campaigns, campaign_assignments, order_lines): our column name -> the
    # name in the shop's header, for the columns named differently (transforms/ingest/headers.py).
    columns: dict[str, dict[str, str]] = field(default_factory=dict)
    # Per source and our column: the shop's value -> ours (e.g. Taobao behaviour codes, order statuses).
    values: dict[str, dict[str, dict[str, str]]] = field(default_factory=dict)
    # Per source (order_lines, taobao): a Spark datetime pattern for its times, e.g. "yyyy/MM/dd HH:mm".
    timestamp_formats: dict[str, str] = field(default_factory=dict)
    order_lines: OrderLineSettings = field(default_factory=OrderLineSettings)

    def problems(self) -> Problems:
        import re

        yield from _rates(self, ("max_quarantine_rate",))
        for source, pattern in self.timestamp_formats.items():
            if not pattern.strip():
                yield f"timestamp_formats.{source}", "must be a Spark datetime pattern, got an empty value"
        for column, pattern in self.id_patterns.items():
            try:
                re.compile(pattern)
            except re.error as exc:
                yield "id_patterns", f"has an invalid regular expression for {column}: {exc}"
        for name in ("timestamp_days_before", "timestamp_days_after", "lookback_days", "min_lines_per_date"):
            if getattr(self, name) < 0:
                yield name, f"must be >= 0, got {getattr(self, name)}"
        yield from _line_encoding(self.encoding)


@dataclass(frozen=True)
class PiiSettings:
    """Pseudonymisation of phone and e-mail: salted SHA-256, salt never in the repository."""

    # Environment variable holding the salt (preferred: a secret scope or CI secret sets it).
    salt_env: str
    # Only for local demos and tests, set by --set or an untracked overlay; null means: use salt_env.
    salt: str | None = None
    # Per source (users, items, campaigns, campaign_assignments, order_lines): columns (our or the shop's
    # header name) whose values are masked wherever a raw record is kept, the quarantines included. Any
    # value that looks like a phone number or an e-mail address is masked there too, in whatever column.
    columns: dict[str, list[str]] = field(default_factory=lambda: {"users": ["phone", "email"]})


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
    """A user is flagged as a bot (and excluded from silver) when either rate is exceeded; rates count
    actions, so the `order` rows of one order count once (transforms.bots.user_actions)."""

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


# The feature windows RFM reads straight from gold.user_features: transforms.features.windows.WINDOWS without
# the 1-day window (the platform imports nothing from transforms; tests/test_config.py checks the two agree).
# Any other window is summed from gold.user_daily_activity.
RFM_WINDOWS = (7, 30, 90)
RFM_ALL_HISTORY = "all"


@dataclass(frozen=True)
class RfmSettings:
    """RFM over one window: R days since the last order, F orders and M paid GMV in the window."""

    # A positive number of days, or "all" for all history up to the snapshot (transforms.tags.rfm).
    # Typed Any because the loader coerces one type per key; problems() checks it.
    window_days: Any
    # Each of R, F and M is high when its 1-5 score is above the snapshot's mean (or median) score.
    split: Literal["mean", "median"]

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


# Statuses silver.orders can hold (transforms.orders.STATUS_*; tests/test_copurchase.py checks they agree).
ORDER_STATUSES = ("placed", "paid", "refunded")
# Edge types of the co-purchase graph (transforms.graph.copurchase.EDGE_TYPES; checked the same way).
COPURCHASE_EDGE_TYPES = ("same_order", "same_user")


@dataclass(frozen=True)
class PageRankSettings:
    # networkx's 1 - alpha; GraphFrames' resetProbability.
    reset_probability: float
    max_iterations: int
    # networkx's tol: stop once the ranks (summing to 1) moved less than n * tolerance in total (L1).
    tolerance: float

    def problems(self) -> Problems:
        if not 0.0 < self.reset_probability < 1.0:
            yield "reset_probability", f"must be between 0 and 1 (exclusive), got {self.reset_probability}"
        yield from _positive(self, ("max_iterations", "tolerance"))


@dataclass(frozen=True)
class GraphSettings:
    """The item co-purchase graph (transforms.graph): edges, pruning, algorithms and the engine running them."""

    # silver.orders statuses whose lines count as bought (a later refund does not undo the choice).
    order_statuses: list[str]
    # Orders placed in the last lookback_days days through the run date make the edges.
    lookback_days: int
    # same_user edges: one user bought both items at most this many days apart (same order included).
    same_user_window_days: int
    # An edge is kept with at least this support (orders, or users, with both items) and this lift, per type.
    min_support: dict[str, int]
    min_lift: dict[str, float]
    # Edge types PageRank, components and label propagation run on.
    algorithm_edge_types: list[str]
    pagerank: PageRankSettings
    label_propagation_iterations: int
    # Built-in algorithms checkpoint every this many iterations so query plans stay short.
    checkpoint_interval: int
    # null: local checkpoints (executor storage); a path: reliable checkpoints there (clusters).
    checkpoint_dir: str | None
    # The algorithms shuffle into one partition per this many edges (at most spark.shuffle_partitions).
    algorithm_edges_per_partition: int
    # Partners per item in gold.bought_together.
    bought_together_top_n: int
    # A community of 2..max_bundle_size items is a bundle candidate.
    max_bundle_size: int
    # auto: GraphFrames when its JVM classes are on the classpath, else the built-in DataFrame algorithms.
    engine: Literal["auto", "graphframes", "builtin"]

    def problems(self) -> Problems:
        unknown = [s for s in self.order_statuses if s not in ORDER_STATUSES]
        if unknown or not self.order_statuses:
            yield (
                "order_statuses",
                f"must be a non-empty subset of {list(ORDER_STATUSES)}, got {self.order_statuses}",
            )
        for name in ("min_support", "min_lift"):
            keys = sorted(getattr(self, name))
            if keys != sorted(COPURCHASE_EDGE_TYPES):
                yield name, f"needs exactly the edge types {list(COPURCHASE_EDGE_TYPES)}, got {keys}"
        for edge_type, support in self.min_support.items():
            if support < 1:
                yield "min_support", f"{edge_type} must be >= 1, got {support}"
        for edge_type, lift in self.min_lift.items():
            if lift < 0:
                yield "min_lift", f"{edge_type} must be >= 0, got {lift}"
        stray = [t for t in self.algorithm_edge_types if t not in COPURCHASE_EDGE_TYPES]
        if stray or not self.algorithm_edge_types:
            yield (
                "algorithm_edge_types",
                f"must be a non-empty subset of {list(COPURCHASE_EDGE_TYPES)}, got {self.algorithm_edge_types}",
            )
        yield from _positive(
            self,
            (
                "lookback_days",
                "label_propagation_iterations",
                "checkpoint_interval",
                "algorithm_edges_per_partition",
                "bought_together_top_n",
            ),
        )
        if self.same_user_window_days < 0:
            yield "same_user_window_days", f"must be >= 0, got {self.same_user_window_days}"
        if self.max_bundle_size < 2:
            yield "max_bundle_size", f"must be >= 2, got {self.max_bundle_size}"


@dataclass(frozen=True)
class AlsParams:
    """One ALS configuration (Spark MLlib names: rank, regParam, alpha, maxIter)."""

    rank: int
    reg_param: float
    alpha: float
    max_iter: int

    def problems(self) -> Problems:
        yield from _positive(self, ("rank", "alpha", "max_iter"))
        if self.reg_param < 0:
            yield "reg_param", f"must be >= 0, got {self.reg_param}"


@dataclass(frozen=True)
class AlsGrid:
    """The hyperparameter search: every combination of these values is one MLflow child run."""

    rank: list[int]
    reg_param: list[float]
    alpha: list[float]
    max_iter: list[int]

    def problems(self) -> Problems:
        for name in ("rank", "reg_param", "alpha", "max_iter"):
            values = getattr(self, name)
            if not values:
                yield name, "must list at least one value"
            elif min(values) < 0 or (name != "reg_param" and min(values) == 0):
                yield name, f"must hold positive values, got {values}"


# The hybrid recommendations' candidate sources (transforms.recommend.candidates), in tie-break order.
BLEND_SOURCES = ("als", "copurchase", "segment_popular", "category_popular", "global_popular")


@dataclass(frozen=True)
class BlendSettings:
    """The hybrid recommendations (transforms.recommend.blend, jobs build_recommendations and evaluate_recommenders)."""

    # Items per user in gold.recommendations, and candidates each source offers per user before blending.
    top_n: int
    candidates_per_source: int
    # Co-purchase seeds: what the user viewed, carted or bought in the recent_days days through the date.
    recent_days: int
    # Weight of each source's score (scaled to 0..1 per user and source); users with fewer than
    # cold_start_interactions interacted items get cold_start_weights. A weight of 0 leaves the source out.
    weights: dict[str, float]
    cold_start_interactions: int
    cold_start_weights: dict[str, float]
    # A bought item is not recommended again unless its category is one of these (or under one: food covers
    # food/snacks).
    repeat_purchase_categories: list[str]
    # Evaluation user groups by training items: new (fewer than new_user_interactions; 1: no training history),
    # light, heavy (at least heavy_user_interactions).
    new_user_interactions: int
    heavy_user_interactions: int

    def problems(self) -> Problems:
        yield from _positive(self, ("top_n", "candidates_per_source", "recent_days"))
        for name in ("weights", "cold_start_weights"):
            weights = getattr(self, name)
            if sorted(weights) != sorted(BLEND_SOURCES):
                yield (
                    name,
                    f"needs a weight for exactly the sources {list(BLEND_SOURCES)}, got {sorted(weights)}",
                )
            elif any(w < 0 for w in weights.values()):
                yield name, f"must hold weights >= 0, got {weights}"
            elif not any(w > 0 for w in weights.values()):
                yield name, f"needs at least one positive weight, got {weights}"
        if self.cold_start_interactions < 0:
            yield "cold_start_interactions", f"must be >= 0, got {self.cold_start_interactions}"
        if self.new_user_interactions < 1:
            yield "new_user_interactions", f"must be at least 1, got {self.new_user_interactions}"
        if self.heavy_user_interactions <= self.new_user_interactions:
            yield (
                "heavy_user_interactions",
                f"must be greater than recommend.blend.new_user_interactions ({self.new_user_interactions}), "
                f"got {self.heavy_user_interactions}",
            )
        if any(not c.strip() for c in self.repeat_purchase_categories):
            yield (
                "repeat_purchase_categories",
                f"must not hold empty names, got {self.repeat_purchase_categories}",
            )


@dataclass(frozen=True)
class RecommendSettings:
    """ALS recommendations and their offline evaluation (transforms.recommend)."""

    # The time split: train on interactions through T = run date - test_days, test on the days after T.
    test_days: int
    # Length of the evaluated lists (precision@k, recall@k, NDCG@k, MAP@k).
    k: int
    # Relevance of a test (user, item): bought in the test days, else added to a cart there.
    purchase_grade: float
    cart_add_grade: float
    # The category-popularity baseline recommends within this many of the user's top categories.
    preferred_categories: int
    seed: int
    grid: AlsGrid
    # The configuration train_als uses when no evaluation has chosen one yet.
    default_params: AlsParams
    # Registered model name (alias champion) and the outputs' sizes.
    model_name: str
    top_n: int
    similar_top_n: int
    # The hybrid recommendations blended from ALS and the other sources.
    blend: BlendSettings

    def problems(self) -> Problems:
        yield from _positive(
            self, ("test_days", "k", "cart_add_grade", "preferred_categories", "top_n", "similar_top_n")
        )
        if self.blend.candidates_per_source > self.top_n:
            yield (
                "blend.candidates_per_source",
                f"must be at most recommend.top_n ({self.top_n}, the ALS candidates train_als writes per user), "
                f"got {self.blend.candidates_per_source}",
            )
        if self.purchase_grade <= self.cart_add_grade:
            yield (
                "purchase_grade",
                f"must be greater than recommend.cart_add_grade ({self.cart_add_grade}), got {self.purchase_grade}",
            )
        if not self.model_name.strip():
            yield "model_name", "must not be empty"


@dataclass(frozen=True)
class SegmentLabelSettings:
    """How a segment's readable label is built from what distinguishes it (transforms.segments.labels)."""

    # At most this many features, strongest first, each with |z| of the segment's mean >= min_z.
    max_features: int
    min_z: float
    # The segment's most over-represented top category is added when its lift is at least this.
    min_category_lift: float
    # Feature column -> the words used in labels ("high spend"); unnamed features use the column name, and
    # names of columns that are not features are unused.
    names: dict[str, str]

    def problems(self) -> Problems:
        yield from _positive(self, ("max_features", "min_z", "min_category_lift"))


@dataclass(frozen=True)
class SegmentSettings:
    """K-means user segments (transforms.segments, jobs build_segments and build_segment_profiles)."""

    # Numeric columns of gold.user_features the segments are built on; log1p_features (heavy-tailed counts
    # and amounts) are log1p-transformed first. Every feature is then standardized.
    features: list[str]
    log1p_features: list[str]
    # Only users with active_feature > 0 on the snapshot date are segmented; the others get no segment.
    active_feature: str
    # k is the candidate in k_min..k_max with the best silhouette.
    k_min: int
    k_max: int
    seed: int
    max_iter: int
    # Registered model name (alias champion).
    model_name: str
    # A snapshot date is scored with the champion when it was trained at most this many days before;
    # otherwise (or without a champion, or with one trained after the date) a new model is trained.
    retrain_every_days: int
    # Categories listed per segment in gold.segment_profiles.
    top_categories: int
    label: SegmentLabelSettings

    def problems(self) -> Problems:
        if not self.features:
            yield "features", "must list at least one gold.user_features column"
        duplicates = sorted({f for f in self.features if self.features.count(f) > 1})
        if duplicates:
            yield "features", f"lists {duplicates} more than once"
        stray = [f for f in self.log1p_features if f not in self.features]
        if stray:
            yield "log1p_features", f"{stray} are not in segments.features"
        if self.k_min < 2:
            yield "k_min", f"must be at least 2, got {self.k_min}"
        if self.k_max < self.k_min:
            yield "k_max", f"must be at least segments.k_min ({self.k_min}), got {self.k_max}"
        yield from _positive(self, ("max_iter", "retrain_every_days", "top_categories"))
        if not self.model_name.strip():
            yield "model_name", "must not be empty"


@dataclass(frozen=True)
class AnalyticsSettings:
    """Behaviour analytics (transforms.analytics, job build_behaviour_analytics)."""

    # Retention: weekly cohorts (Monday weeks) of the last cohort_weeks complete weeks, by registration and
    # by first order, followed for weeks 1..retention_weeks after the cohort week.
    cohort_weeks: int
    retention_weeks: int
    # Session paths: the first path_steps page types of each session; the path_top_n commonest paths per
    # day for converted and for other sessions.
    path_steps: int
    path_top_n: int
    # A run of one page type (product, product, product) is one step of a path.
    collapse_repeated_pages: bool

    def problems(self) -> Problems:
        yield from _positive(self, ("cohort_weeks", "retention_weeks", "path_steps", "path_top_n"))


@dataclass(frozen=True)
class CampaignEvaluationSettings:
    """A/B evaluation of campaigns (transforms.campaigns, jobs ingest_campaigns and evaluate_campaigns)."""

    # Orders placed from a campaign's start date through its end date plus this many days are attributed.
    attribution_days_after_end: int
    # The planned share of treatment users, for the sample-ratio-mismatch check; per campaign id overrides.
    planned_treatment_share: float
    planned_treatment_shares: dict[str, float]
    # Two-sided confidence intervals at this level.
    confidence_level: float
    # The split is flagged as a sample-ratio mismatch when the chi-square test's p-value is below this.
    srm_p_value: float
    # gold.user_features columns of the day before a campaign starts, the CUPED pre-period covariates.
    conversion_covariate: str
    gmv_covariate: str

    def problems(self) -> Problems:
        if self.attribution_days_after_end < 0:
            yield "attribution_days_after_end", f"must be >= 0, got {self.attribution_days_after_end}"
        shares = {f"planned_treatment_shares.{k}": v for k, v in self.planned_treatment_shares.items()}
        shares["planned_treatment_share"] = self.planned_treatment_share
        for name, share in shares.items():
            if not 0.0 < share < 1.0:
                yield name, f"must be a share strictly between 0 and 1, got {share}"
        for name in ("confidence_level", "srm_p_value"):
            if not 0.0 < getattr(self, name) < 1.0:
                yield name, f"must be strictly between 0 and 1, got {getattr(self, name)}"
        for name in ("conversion_covariate", "gmv_covariate"):
            if not getattr(self, name).strip():
                yield name, "must name a gold.user_features column"


@dataclass(frozen=True)
class LogisticRegressionGrid:
    """Logistic regression candidates (Spark MLlib regParam, elasticNetParam, maxIter): every combination."""

    reg_param: list[float]
    elastic_net_param: list[float]
    max_iter: list[int]

    def problems(self) -> Problems:
        for name in ("reg_param", "elastic_net_param", "max_iter"):
            if not getattr(self, name):
                yield name, "must list at least one value"
        if any(v < 0 for v in self.reg_param):
            yield "reg_param", f"must hold values >= 0, got {self.reg_param}"
        if any(not 0.0 <= v <= 1.0 for v in self.elastic_net_param):
            yield (
                "elastic_net_param",
                f"must hold values between 0 (L2) and 1 (L1), got {self.elastic_net_param}",
            )
        if any(v <= 0 for v in self.max_iter):
            yield "max_iter", f"must hold positive values, got {self.max_iter}"


@dataclass(frozen=True)
class GbtGrid:
    """Gradient-boosted trees candidates (Spark MLlib maxDepth, maxIter, stepSize): every combination."""

    max_depth: list[int]
    max_iter: list[int]
    step_size: list[float]

    def problems(self) -> Problems:
        for name in ("max_depth", "max_iter", "step_size"):
            values = getattr(self, name)
            if not values:
                yield name, "must list at least one value"
            elif any(v <= 0 for v in values):
                yield name, f"must hold positive values, got {values}"
        if any(v > 1 for v in self.step_size):
            yield "step_size", f"must hold values in (0, 1], got {self.step_size}"


@dataclass(frozen=True)
class PropensityCandidates:
    """The model families tried (null leaves one out) and their small parameter grids."""

    logistic_regression: LogisticRegressionGrid | None = None
    gbt: GbtGrid | None = None

    def problems(self) -> Problems:
        if self.logistic_regression is None and self.gbt is None:
            yield "logistic_regression", "at least one of logistic_regression and gbt must be given"


@dataclass(frozen=True)
class ChurnRiskBands:
    """Cut-offs of the churn risk (1 - purchase propensity) for the churn_risk tag's low / medium / high."""

    medium: float
    high: float

    def problems(self) -> Problems:
        if not 0.0 < self.medium < self.high < 1.0:
            yield "medium", f"needs 0 < medium < high < 1, got medium {self.medium} and high {self.high}"


@dataclass(frozen=True)
class PropensitySettings:
    """The purchase propensity model (transforms.propensity, jobs train_propensity and score_propensity)."""

    # The label: a paid order placed in the horizon_days days after the snapshot date T.
    horizon_days: int
    # Time split of run date D: validation snapshot D - horizon_days; training snapshots D - 2 * horizon_days
    # and then every snapshot_step_days earlier, train_snapshots of them.
    train_snapshots: int
    snapshot_step_days: int
    # Numeric gold.user_features columns (log1p_features: log1p-transformed) and catalog expression tags
    # (boolean, enum or number) of the snapshot date.
    numeric_features: list[str]
    log1p_features: list[str]
    tag_features: list[str]
    impute_strategy: Literal["median", "mean"]
    candidates: PropensityCandidates
    seed: int
    # Registered model name; scoring loads models:/<model_name>@champion.
    model_name: str
    churn_risk_bands: ChurnRiskBands

    def problems(self) -> Problems:
        yield from _positive(self, ("horizon_days", "train_snapshots", "snapshot_step_days"))
        if not self.numeric_features and not self.tag_features:
            yield "numeric_features", "the model needs at least one numeric feature or tag feature"
        for name in ("numeric_features", "tag_features"):
            values = getattr(self, name)
            duplicates = sorted({v for v in values if values.count(v) > 1})
            if duplicates:
                yield name, f"lists {duplicates} more than once"
        stray = [f for f in self.log1p_features if f not in self.numeric_features]
        if stray:
            yield "log1p_features", f"{stray} are not in propensity.numeric_features"
        own = [t for t in self.tag_features if t in ("churn_risk", "purchase_propensity")]
        if own:
            yield "tag_features", f"{own} hold the model's own scores and cannot be its inputs"
        if not self.model_name.strip():
            yield "model_name", "must not be empty"


@dataclass(frozen=True)
class ReportSettings:
    """The daily HTML report (transforms.report, shop_platform.reporting, job build_report)."""

    # The report goes to <output_root>/reports/<date>/report.html; null: under lake.root. A local path (or
    # dbfs:/, through the /dbfs mount): set it when the lake is on object storage.
    output_root: str | None
    # Example users (one per RFM segment, largest segments first) and the items shown of each list.
    example_users: int
    items_per_user: int
    # The largest audiences shown, the session paths per outcome, the days of the activity trend, the tags in
    # the drift chart and the bins of the propensity histogram.
    top_audiences: int
    top_paths: int
    activity_days: int
    drift_tags: int
    score_bins: int

    def problems(self) -> Problems:
        yield from _positive(
            self,
            ("example_users", "items_per_user", "top_audiences", "top_paths", "activity_days", "drift_tags",
             "score_bins"),
        )  # fmt: skip


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
    graph: GraphSettings
    recommend: RecommendSettings
    segments: SegmentSettings
    analytics: AnalyticsSettings
    campaigns: CampaignEvaluationSettings
    propensity: PropensitySettings
    report: ReportSettings
