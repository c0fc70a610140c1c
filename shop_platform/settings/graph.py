"""The item co-purchase graph: `graph` and its PageRank."""

from __future__ import annotations

from dataclasses import dataclass

from shop_platform.settings.checks import Problems, positive
from shop_platform.vocabulary import COPURCHASE_EDGE_TYPES, ORDER_STATUSES, GraphEngineChoice


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
        yield from positive(self, ("max_iterations", "tolerance"))


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
    # m of the shrunk lift (n_ij + m) / (E_ij + m) that ranks partners: pseudo co-occurrences at independence.
    lift_prior_strength: float
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
    engine: GraphEngineChoice

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
        yield from positive(
            self,
            (
                "lookback_days",
                "label_propagation_iterations",
                "checkpoint_interval",
                "algorithm_edges_per_partition",
                "bought_together_top_n",
                "lift_prior_strength",
            ),
        )
        if self.same_user_window_days < 0:
            yield "same_user_window_days", f"must be >= 0, got {self.same_user_window_days}"
        if self.max_bundle_size < 2:
            yield "max_bundle_size", f"must be >= 2, got {self.max_bundle_size}"
