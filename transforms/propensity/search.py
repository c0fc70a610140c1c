"""The candidate search: every configured family and grid combination, each fitted on the training snapshots
and measured on the validation snapshot; the best validation AUC wins."""

from __future__ import annotations

import datetime as dt
import itertools
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass

from pyspark import StorageLevel
from pyspark.ml import Pipeline, PipelineModel
from pyspark.sql import DataFrame

from shop_platform.settings import PropensityCandidates, PropensitySettings
from transforms import columns as C
from transforms import tables
from transforms.propensity.dataset import FeatureSpec
from transforms.propensity.evaluation import area_under_roc, calibration_table, summary_metrics, with_deciles
from transforms.propensity.labels import TimeSplit
from transforms.propensity.model import (
    GBT,
    LOGISTIC_REGRESSION,
    classifier,
    preprocessing,
    scored,
    with_classifier,
)

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
    # The candidate as fitted on the training snapshots only (its validation scores are out of sample).
    model: PipelineModel | None = None


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


@dataclass(frozen=True)
class PreparedTraining:
    """The candidates' shared preprocessing, fitted once on the training rows, and those rows through it
    (persisted: call `unpersist`). Every candidate would fit the same preprocessing on the same rows (imputer
    medians, category indexes), so only its classifier is fitted per candidate."""

    preprocessing: PipelineModel
    rows: DataFrame

    def unpersist(self) -> None:
        self.rows.unpersist()


def prepare_training(train: DataFrame, spec: FeatureSpec, impute_strategy: str) -> PreparedTraining:
    """Fit the preprocessing of `spec` on the labelled `train` rows and keep them with FEATURES_VECTOR."""
    fitted = Pipeline(stages=preprocessing(spec, impute_strategy)).fit(train)
    return PreparedTraining(fitted, fitted.transform(train).persist(StorageLevel.MEMORY_AND_DISK))


def fit_candidate(candidate: Candidate, prepared: PreparedTraining, seed: int) -> PipelineModel:
    """The candidate's model: the shared preprocessing and its classifier fitted on the prepared rows, the
    same model `propensity_pipeline(...).fit` gives on the training rows (same rows, same layout)."""
    fitted = classifier(candidate.family, candidate.params, seed).fit(prepared.rows)
    return with_classifier(prepared.preprocessing, fitted)


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


def training_settings(p: PropensitySettings, spec: FeatureSpec) -> str:
    """Everything besides the data that decides the model, as canonical JSON: the configured feature spec
    (tags with their expressions), the split, the imputation, the candidates' grids and the seed. A re-run
    with equal settings reuses the version registered for its date."""
    return json.dumps(
        {
            "feature_spec": json.loads(spec.to_json()),
            "horizon_days": p.horizon_days,
            "train_snapshots": p.train_snapshots,
            "snapshot_step_days": p.snapshot_step_days,
            "impute_strategy": p.impute_strategy,
            "candidates": asdict(p.candidates),
            "seed": p.seed,
        },
        sort_keys=True,
        ensure_ascii=False,
    )


def search_params(p: PropensitySettings, split: TimeSplit, spec: FeatureSpec) -> dict[str, object]:
    """The search's parameters as its MLflow run logs them: the split, the inputs and the settings."""
    return {
        "horizon_days": p.horizon_days,
        "train_dates": ",".join(d.isoformat() for d in split.train_dates),
        "validation_date": split.validation_date.isoformat(),
        "numeric_features": ",".join(spec.numeric),
        "tag_features": ",".join(t.id for t in spec.tags),
        "impute_strategy": p.impute_strategy,
        "seed": p.seed,
    }


def metrics_rows(
    evaluations: Sequence[Evaluation],
    chosen: Evaluation,
    version: int,
    train_rows: int,
    split: TimeSplit,
    horizon_days: int,
    run_date: dt.date,
) -> list[tuple]:
    """The evaluations as rows of gold.propensity_metrics (one per candidate; the chosen one with the
    registered `version`)."""
    schema = tables.PROPENSITY_METRICS.schema
    calibration_fields = schema[C.CALIBRATION].dataType.elementType.fieldNames()
    rows = [
        {
            C.MODEL: e.candidate.family,
            C.PARAMS: {k: str(v) for k, v in e.candidate.params.items()},
            C.CHOSEN: e is chosen,
            **e.metrics,
            C.CALIBRATION: [tuple(c[f] for f in calibration_fields) for c in e.calibration],
            C.TRAIN_ROWS: train_rows,
            C.TRAIN_SECONDS: e.train_seconds,
            C.TRAIN_DATES: list(split.train_dates),
            C.VALIDATION_DATE: split.validation_date,
            C.HORIZON_DAYS: horizon_days,
            C.MODEL_VERSION: version if e is chosen else None,
            C.RUN_DATE: run_date,
        }
        for e in evaluations
    ]
    names = schema.fieldNames()
    return [tuple(row[n] for n in names) for row in rows]
