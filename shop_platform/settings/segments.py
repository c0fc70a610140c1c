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
        yield from positive(self, ("max_iter", "retrain_every_days", "top_categories"))
        if not self.model_name.strip():
            yield "model_name", "must not be empty"
