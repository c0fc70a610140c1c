"""The K-means model: preprocessing, the choice of k by silhouette, and assigning users to segments.

The model is one Spark ML PipelineModel (SQLTransformer for log1p and mean imputation, VectorAssembler,
StandardScaler, KMeans), so the registered model scores raw gold.user_features rows on its own.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

from pyspark import StorageLevel
from pyspark.ml import Pipeline, PipelineModel
from pyspark.ml.clustering import KMeans, KMeansModel
from pyspark.ml.evaluation import ClusteringEvaluator
from pyspark.ml.feature import SQLTransformer, StandardScaler, VectorAssembler
from pyspark.ml.functions import vector_to_array
from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from transforms import columns as C
from transforms.segments.features import imputation_means, input_statement, model_input


@dataclass(frozen=True)
class KCandidate:
    """One k tried: its silhouette (squared Euclidean, on the standardized features) and training cost
    (within-cluster sum of squared distances)."""

    k: int
    silhouette: float
    cost: float


@dataclass(frozen=True)
class SegmentSearch:
    """The chosen model and every candidate tried, in order of k."""

    model: PipelineModel
    k: int
    candidates: list[KCandidate]


def preprocessing(
    features: Sequence[str], log1p_features: Collection[str], means: Mapping[str, float]
) -> Pipeline:
    """log1p where configured, nulls imputed with `means`, assembled and standardized into SCALED_FEATURES.

    The imputation is a SQL literal rather than Spark's Imputer, which fails outright when a feature is null
    for every user (no buyer at all on an early date).
    """
    return Pipeline(
        stages=[
            SQLTransformer(statement=input_statement(features, log1p_features, means)),
            VectorAssembler(inputCols=[model_input(f) for f in features], outputCol=C.SEGMENT_FEATURES),
            StandardScaler(
                inputCol=C.SEGMENT_FEATURES, outputCol=C.SCALED_FEATURES, withMean=True, withStd=True
            ),
        ]
    )


def kmeans(k: int, seed: int, max_iter: int) -> KMeans:
    return KMeans(k=k, seed=seed, maxIter=max_iter, featuresCol=C.SCALED_FEATURES, predictionCol=C.SEGMENT_ID)


def search_k(
    population: DataFrame,
    features: Sequence[str],
    log1p_features: Collection[str],
    ks: Sequence[int],
    seed: int,
    max_iter: int,
) -> SegmentSearch:
    """Fit K-means for every k of `ks` on the same standardized features; keep the best silhouette.

    A tie goes to the smaller k. The preprocessing is fitted once: every candidate sees the same space, so
    their silhouettes compare.

    Args:
        population: gold.user_features rows of the users to segment (see `segmentation_population`).
        features: The feature columns; `log1p_features` among them are log1p-transformed.
        ks: Candidate numbers of segments, each at least 2 and below the number of users.
        seed: K-means seed (k-means|| initialisation).
        max_iter: K-means iterations.

    Returns:
        The chosen PipelineModel (preprocessing + K-means), its k, and every candidate's scores.
    """
    means = imputation_means(population, features, log1p_features)
    prepared = preprocessing(features, log1p_features, means).fit(population)
    scaled = (
        prepared.transform(population)
        .select(C.USER_ID, C.SCALED_FEATURES)
        .persist(StorageLevel.MEMORY_AND_DISK)
    )
    evaluator = ClusteringEvaluator(
        featuresCol=C.SCALED_FEATURES,
        predictionCol=C.SEGMENT_ID,
        metricName="silhouette",
        distanceMeasure="squaredEuclidean",
    )
    try:
        fitted: dict[int, KMeansModel] = {}
        candidates = []
        for k in ks:
            model = kmeans(k, seed, max_iter).fit(scaled)
            fitted[k] = model
            # Fewer distinct users than k can leave a single centre, where the silhouette is undefined:
            # score it as the worst possible.
            silhouette = (
                evaluator.evaluate(model.transform(scaled)) if len(model.clusterCenters()) > 1 else -1.0
            )
            candidates.append(KCandidate(k, silhouette, model.summary.trainingCost))
    finally:
        scaled.unpersist()
    best = max(candidates, key=lambda c: (c.silhouette, -c.k))
    return SegmentSearch(PipelineModel(stages=[*prepared.stages, fitted[best.k]]), best.k, candidates)


def centres(model: PipelineModel) -> list[list[float]]:
    """The K-means centres, in the standardized feature space, indexed by SEGMENT_ID."""
    return [[float(v) for v in centre] for centre in model.stages[-1].clusterCenters()]


def _distance_to(centres_by_segment: list[list[float]]) -> Column:
    table = F.array(*[F.array(*[F.lit(v) for v in centre]) for centre in centres_by_segment])
    centre = F.element_at(table, F.col(C.SEGMENT_ID) + 1)
    squares = F.zip_with(vector_to_array(F.col(C.SCALED_FEATURES)), centre, lambda x, c: (x - c) * (x - c))
    return F.sqrt(F.aggregate(squares, F.lit(0.0), lambda total, s: total + s))


def assign_segments(
    model: PipelineModel, population: DataFrame, snapshot_date: dt.date | None = None
) -> DataFrame:
    """Every user of `population` with their segment and Euclidean distance to its centre (standardized
    space).

    Args:
        model: A PipelineModel from `search_k` (or the registered one).
        population: gold.user_features rows (USER_ID and the model's feature columns; SNAPSHOT_DATE when
            no `snapshot_date` is given).
        snapshot_date: The date the rows describe; None keeps each row's own SNAPSHOT_DATE, so one model
            scores several dates in one pass.

    Returns:
        USER_ID, SEGMENT_ID, DISTANCE_TO_CENTRE, SNAPSHOT_DATE.
    """
    day = F.col(C.SNAPSHOT_DATE) if snapshot_date is None else F.lit(snapshot_date)
    return model.transform(population).select(
        C.USER_ID,
        F.col(C.SEGMENT_ID).cast("int").alias(C.SEGMENT_ID),
        _distance_to(centres(model)).alias(C.DISTANCE_TO_CENTRE),
        day.alias(C.SNAPSHOT_DATE),
    )
