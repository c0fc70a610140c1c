"""K-means user segments and their labels: `segments`."""

from __future__ import annotations

from dataclasses import dataclass

from shop_platform.settings.checks import Problems, positive


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
        yield from positive(self, ("max_features", "min_z", "min_category_lift"))


@dataclass(frozen=True)
class LightUserSettings:
    """Users with too little behaviour to place (transforms.segments.features.light_users): a segment of their
    own by rule, outside K-means."""

    # A user is light with no order (orders_feature 0 or null) and fewer than min_active_days
    # (active_days_feature) active days.
    orders_feature: str
    active_days_feature: str
    min_active_days: int
    # Their fixed segment id (K-means segments get other ids) and label.
    segment_id: int
    label: str

    def problems(self) -> Problems:
        yield from positive(self, ("min_active_days",))
        if not self.label.strip():
            yield "label", "must not be empty"


@dataclass(frozen=True)
class SegmentSettings:
    """K-means user segments (transforms.segments, jobs build_segments and build_segment_profiles)."""

    # Numeric columns of gold.user_features the segments are built on; log1p_features (heavy-tailed counts
    # and amounts) are log1p-transformed first. Every feature is then standardized.
    features: list[str]
    log1p_features: list[str]
    # Model inputs computed as numerator / denominator of two gold.user_features columns (null when the
    # denominator is 0, then imputed like any null): name -> [numerator, denominator]. A ratio is an input
    # like a feature: listed in log1p_features and label.names by its name.
    ratios: dict[str, list[str]]
    light_users: LightUserSettings
    # Only users with active_feature > 0 on the snapshot date are segmented; the others get no segment.
    active_feature: str
    # k is the candidate in k_min..k_max with the best silhouette among those whose stability (mean
    # adjusted Rand index between models fitted on stability_resamples subsamples of stability_fraction of
    # the users, each scoring all of them) is at least min_stability; the most stable when none is. A refit
    # keeps the previous model's k unless another beats its silhouette by more than k_switch_margin.
    k_min: int
    k_max: int
    stability_resamples: int
    stability_fraction: float
    min_stability: float
    k_switch_margin: float
    # A model that takes over from the one before it leaves a user in the segment the previous model gives
    # them while that id survives and its centre is within (1 + handover_margin) of their nearest centre's
    # distance (0: the new model's nearest centre always wins).
    handover_margin: float
    # K-means initialisations per fit; the lowest within-cluster cost is kept.
    restarts: int
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
        stray = [f for f in self.log1p_features if f not in self.inputs]
        if stray:
            yield "log1p_features", f"{stray} are not in segments.features or segments.ratios"
        for name, pair in self.ratios.items():
            if len(pair) != 2:
                yield f"ratios.{name}", f"must be [numerator, denominator], got {pair}"
            if name in self.features:
                yield f"ratios.{name}", "is also a name in segments.features"
        if self.stability_resamples == 1:
            yield "stability_resamples", "must be 0 (silhouette only) or at least 2"
        if not 0 < self.stability_fraction <= 1:
            yield "stability_fraction", f"must be in (0, 1], got {self.stability_fraction}"
        if self.k_min < 2:
            yield "k_min", f"must be at least 2, got {self.k_min}"
        if self.k_max < self.k_min:
            yield "k_max", f"must be at least segments.k_min ({self.k_min}), got {self.k_max}"
        yield from positive(self, ("max_iter", "retrain_every_days", "top_categories", "restarts"))
        if self.k_switch_margin < 0:
            yield "k_switch_margin", f"must not be negative, got {self.k_switch_margin}"
        if self.handover_margin < 0:
            yield "handover_margin", f"must not be negative, got {self.handover_margin}"
        if not self.model_name.strip():
            yield "model_name", "must not be empty"

    @property
    def inputs(self) -> list[str]:
        """The model's inputs: the features, then the ratios, in configuration order."""
        return [*self.features, *self.ratios]

    @property
    def source_columns(self) -> list[str]:
        """Every gold.user_features column the inputs read."""
        ratio_columns = [c for pair in self.ratios.values() for c in pair]
        return list(dict.fromkeys([*self.features, *ratio_columns]))
