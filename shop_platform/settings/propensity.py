"""The purchase propensity model: `propensity`, its candidate grids and churn risk bands."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from shop_platform.settings.checks import Problems, positive


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
        yield from positive(self, ("horizon_days", "train_snapshots", "snapshot_step_days"))
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
