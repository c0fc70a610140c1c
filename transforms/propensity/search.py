"""The candidate search: every configured family and grid combination, each fitted on the training snapshots
and measured on the validation snapshot; the best validation AUC wins."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

from pyspark import StorageLevel
from pyspark.ml import PipelineModel
from pyspark.sql import DataFrame

from shop_platform.settings import PropensityCandidates
from transforms import columns as C
from transforms.propensity.evaluation import area_under_roc, calibration_table, summary_metrics, with_deciles
from transforms.propensity.model import GBT, LOGISTIC_REGRESSION, scored

# The validation metrics of a candidate, besides AUC (transforms.propensity.evaluation.summary_metrics).
SUMMARY_COLUMNS = (
    C.EVALUATED_USERS,
    C.POSITIVES,
    C.BASE_RATE,
    C.PRECISION_TOP_DECILE,
    C.RECALL_TOP_DECILE,
    C.LIFT_TOP_DECILE,
    C.BRIER_SCORE,
)


@dataclass(frozen=True)
class Candidate:
    """One model family with one combination of its grid."""

    family: str
    params: dict[str, float | int]

    @property
    def name(self) -> str:
        return " ".join([self.family, *[f"{k}={v}" for k, v in self.params.items()]])


@dataclass(frozen=True)
class Evaluation:
    """A candidate's validation metrics (C.AUC and SUMMARY_COLUMNS), calibration rows by decile (DECILE, USERS,
    POSITIVES, MEAN_PREDICTED, OBSERVED_RATE, MIN_SCORE, MAX_SCORE) and fitting time."""

    candidate: Candidate
    metrics: dict[str, float | int | None]
    calibration: list[dict[str, float | int]]
    train_seconds: float


def candidates(grid: PropensityCandidates) -> list[Candidate]:
    """Every combination of each configured family's grid: logistic regression first, then GBT."""
    found = []
    if grid.logistic_regression is not None:
        g = grid.logistic_regression
        found += [
            Candidate(LOGISTIC_REGRESSION, {"reg_param": r, "elastic_net_param": e, "max_iter": i})
            for r, e, i in itertools.product(g.reg_param, g.elastic_net_param, g.max_iter)
        ]
    if grid.gbt is not None:
        g = grid.gbt
        found += [
            Candidate(GBT, {"max_depth": d, "max_iter": i, "step_size": s})
            for d, i, s in itertools.product(g.max_depth, g.max_iter, g.step_size)
        ]
    return found


def validation_metrics(model: PipelineModel, valid: DataFrame) -> tuple[dict, list[dict]]:
    """The model's metrics (C.AUC and SUMMARY_COLUMNS) and calibration rows on the labelled `valid` rows: two
    aggregates of one row and at most ten rows collected."""
    deciled = with_deciles(scored(model, valid)).persist(StorageLevel.MEMORY_AND_DISK)
    try:
        auc = area_under_roc(deciled)
        summary = summary_metrics(deciled).first().asDict()
        calibration = [row.asDict() for row in calibration_table(deciled).collect()]
    finally:
        deciled.unpersist()
    return {C.AUC: auc, **{name: summary[name] for name in SUMMARY_COLUMNS}}, calibration


def best(evaluations: Sequence[Evaluation]) -> Evaluation:
    """The highest validation AUC; of equal ones the first (the simpler family is listed first)."""
    return max(evaluations, key=lambda e: e.metrics[C.AUC])
