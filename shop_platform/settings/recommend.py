"""Recommendations: implicit feedback (`interactions`), ALS, the blend and their evaluation (`recommend`)."""

from __future__ import annotations

from dataclasses import dataclass

from shop_platform.settings.checks import Problems, positive
from shop_platform.vocabulary import (
    BLEND_SOURCES,
    AlsEngineChoice,
    ConfidenceScaling,
    CooccurrenceEngineChoice,
    CooccurrenceSimilarity,
    SeenItemsChoice,
)


@dataclass(frozen=True)
class InteractionSettings:
    """Implicit-feedback strength: weight per event type, halved every `half_life_days` of age."""

    weights: dict[str, float]
    half_life_days: float

    def problems(self) -> Problems:
        yield from positive(self, ("half_life_days",))
        for event_type, weight in self.weights.items():
            if weight < 0:
                yield "weights", f"{event_type} has a negative weight {weight}"


@dataclass(frozen=True)
class AlsParams:
    """One ALS configuration (Spark MLlib names: rank, regParam, alpha, maxIter)."""

    rank: int
    reg_param: float
    alpha: float
    max_iter: int
    # How a strength becomes a confidence (shop_platform.vocabulary.ConfidenceScaling); evaluations written
    # before this setting existed fitted linear.
    scaling: ConfidenceScaling = "linear"

    def problems(self) -> Problems:
        yield from positive(self, ("rank", "alpha", "max_iter"))
        if self.reg_param < 0:
            yield "reg_param", f"must be >= 0, got {self.reg_param}"


@dataclass(frozen=True)
class AlsGrid:
    """The hyperparameter search: every combination of these values is one MLflow child run."""

    rank: list[int]
    reg_param: list[float]
    alpha: list[float]
    max_iter: list[int]
    scaling: list[ConfidenceScaling]

    def problems(self) -> Problems:
        for name in ("rank", "reg_param", "alpha", "max_iter"):
            values = getattr(self, name)
            if not values:
                yield name, "must list at least one value"
            elif min(values) < 0 or (name != "reg_param" and min(values) == 0):
                yield name, f"must hold positive values, got {values}"
        if not self.scaling:
            yield "scaling", "must list at least one value"


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
    # Evaluation user groups by training items: new (fewer than new_user_interactions; 1: no training history),
    # light, heavy (at least heavy_user_interactions).
    new_user_interactions: int
    heavy_user_interactions: int

    def problems(self) -> Problems:
        yield from positive(self, ("top_n", "candidates_per_source", "recent_days"))
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


@dataclass(frozen=True)
class SeenItemsSettings:
    """What no model recommends to a user again (transforms.recommend.seen_items): the baselines, ALS and the
    blend, in the evaluation and in the served lists alike."""

    # none, bought (items the user ordered) or interacted (any item the user viewed, favourited, carted or
    # ordered).
    exclude: SeenItemsChoice
    # Items of these categories (or under one: food covers food/snacks) are recommended again whatever
    # `exclude` says: what people buy again.
    repeat_purchase_categories: list[str]

    def problems(self) -> Problems:
        if any(not c.strip() for c in self.repeat_purchase_categories):
            yield (
                "repeat_purchase_categories",
                f"must not hold empty names, got {self.repeat_purchase_categories}",
            )


@dataclass(frozen=True)
class TrendingSettings:
    """Trending popularity (transforms.recommend.trending): a day's strength counts half after half_life_days."""

    half_life_days: float

    def problems(self) -> Problems:
        yield from positive(self, ("half_life_days",))


@dataclass(frozen=True)
class CooccurrenceSettings:
    """The item-to-item (SAR) model (transforms.recommend.cooccurrence)."""

    # jaccard, lift or cooccurrence (the count of users who interacted with both items).
    similarity: CooccurrenceSimilarity
    # Pairs fewer users share are not similar at all; each item keeps its `neighbours` most similar items.
    min_cooccurrence: int
    neighbours: int
    # spark (DataFrames: a cluster), driver (sparse matrices on the driver: one machine), or auto: the driver
    # on a local-mode session.
    engine: CooccurrenceEngineChoice

    def problems(self) -> Problems:
        yield from positive(self, ("min_cooccurrence", "neighbours"))


@dataclass(frozen=True)
class BprSettings:
    """Bayesian Personalized Ranking (transforms.recommend.bpr): `implicit`'s SGD on the driver."""

    # Latent factors per user and item (each item also learns a bias), the SGD step, the L2 penalty on the
    # factors, and the epochs (each samples as many (user, item, other item) triples as there are pairs).
    factors: int
    learning_rate: float
    regularization: float
    iterations: int

    def problems(self) -> Problems:
        yield from positive(self, ("factors", "learning_rate", "iterations"))
        if self.regularization < 0:
            yield "regularization", f"must be >= 0, got {self.regularization}"


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
    # What fits ALS: spark (MLlib, distributed), implicit (the `implicit` library on the driver, factors handed
    # back as a Spark ALSModel), or auto: implicit on a local-mode session where it is installed, else spark.
    engine: AlsEngineChoice
    # ALS's user and item blocks (numUserBlocks = numItemBlocks): the tasks of each of its steps. Fixed, not
    # the session's cores, because the blocks seed the initial factors: the same data gives the same model
    # on any machine with the same setting.
    blocks: int
    grid: AlsGrid
    # The configuration train_als uses when no evaluation has chosen one yet.
    default_params: AlsParams
    # Registered model name (alias champion) and the outputs' sizes.
    model_name: str
    top_n: int
    similar_top_n: int
    # What a user already has and is not recommended again, by every model.
    seen_items: SeenItemsSettings
    # The models evaluated beside the popularity baselines and ALS.
    trending: TrendingSettings
    cooccurrence: CooccurrenceSettings
    bpr: BprSettings
    # The hybrid recommendations blended from ALS and the other sources.
    blend: BlendSettings

    def problems(self) -> Problems:
        yield from positive(
            self,
            ("test_days", "k", "cart_add_grade", "preferred_categories", "blocks", "top_n", "similar_top_n"),
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
