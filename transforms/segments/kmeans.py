"""The K-means model: preprocessing, the choice of k by silhouette and stability, persistent segment ids, and
assigning users to segments.

The model is one Spark ML PipelineModel (SQLTransformer for ratios, log1p and mean imputation,
VectorAssembler, StandardScaler, KMeans, and a SQLTransformer naming each cluster's segment id), so the
registered model scores raw gold.user_features rows on its own and carries its id mapping with it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

from pyspark import StorageLevel
from pyspark.ml import Pipeline, PipelineModel
from pyspark.ml.clustering import KMeans, KMeansModel
from pyspark.ml.evaluation import ClusteringEvaluator
from pyspark.ml.feature import SQLTransformer, StandardScaler, StandardScalerModel, VectorAssembler
from pyspark.ml.functions import vector_to_array
from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from transforms import columns as C
from transforms.segments.agreement import ADJUSTED_RAND_INDEX, adjusted_rand_index, contingency
from transforms.segments.features import imputation_means, input_statement, model_input
from transforms.segments.identity import fresh_ids, match_segment_ids

# K-means' own cluster index (0..k-1), before the last stage names it as a segment id.
CLUSTER = "_seg_cluster"
_LEFT, _RIGHT = "_seg_left", "_seg_right"


@dataclass(frozen=True)
class KCandidate:
    """One k tried: its silhouette (squared Euclidean, on the standardized features), training cost
    (within-cluster sum of squared distances) and stability (mean adjusted Rand index between the
    partitions of models fitted on subsamples; None when not measured)."""

    k: int
    silhouette: float
    cost: float
    stability: float | None = None


@dataclass(frozen=True)
class SegmentSearch:
    """The chosen model and every candidate tried, in order of k."""

    model: PipelineModel
    k: int
    candidates: list[KCandidate]


def preprocessing(
    features: Sequence[str],
    log1p_features: Collection[str],
    means: Mapping[str, float],
    ratios: Mapping[str, Sequence[str]] | None = None,
) -> Pipeline:
    """Ratios where configured, log1p where configured, nulls imputed with `means`, assembled and
    standardized into SCALED_FEATURES.

    The imputation is a SQL literal rather than Spark's Imputer, which fails outright when a feature is null
    for every user (no buyer at all on an early date).
    """
    return Pipeline(
        stages=[
            SQLTransformer(statement=input_statement(features, log1p_features, means, ratios)),
            VectorAssembler(inputCols=[model_input(f) for f in features], outputCol=C.SEGMENT_FEATURES),
            StandardScaler(
                inputCol=C.SEGMENT_FEATURES, outputCol=C.SCALED_FEATURES, withMean=True, withStd=True
            ),
        ]
    )


def kmeans(k: int, seed: int, max_iter: int) -> KMeans:
    return KMeans(k=k, seed=seed, maxIter=max_iter, featuresCol=C.SCALED_FEATURES, predictionCol=CLUSTER)


def fit_best_of(scaled: DataFrame, k: int, seed: int, max_iter: int, restarts: int) -> KMeansModel:
    """K-means fitted from `restarts` initialisations (seeds `seed`, `seed` + 1, ...), the lowest
    within-cluster cost kept: a single k-means|| start often stops in a local optimum that the next refit
    or subsample does not find again, which shows as segments reshuffled for no reason in the data."""
    fits = [kmeans(k, seed + r, max_iter).fit(scaled) for r in range(max(restarts, 1))]
    return min(fits, key=lambda m: m.summary.trainingCost)


def segment_naming(segment_ids: Sequence[int]) -> SQLTransformer:
    """The last stage: SEGMENT_ID is `segment_ids[cluster]`."""
    ids = ", ".join(str(int(i)) for i in segment_ids)
    return SQLTransformer(
        statement=f"SELECT *, element_at(array({ids}), CAST(`{CLUSTER}` AS INT) + 1) AS `{C.SEGMENT_ID}` "
        "FROM __THIS__"
    )


def _stability(
    scaled: DataFrame, k: int, seed: int, max_iter: int, restarts: int, resamples: int, fraction: float
) -> float:
    """Mean adjusted Rand index over pairs of models fitted on `resamples` subsamples of `fraction` of the
    users, each model scoring every user: near 1 when k gives the same segments whoever is sampled."""
    # Seeds of their own, so no subsample fit repeats the full fit's initialisation.
    labels = [
        fit_best_of(
            scaled.sample(fraction=fraction, seed=seed + 100 + r), k, seed + 100 * (r + 1), max_iter, restarts
        )
        .transform(scaled)
        .select(C.USER_ID, F.col(CLUSTER).alias(f"_seg_r{r}"))
        for r in range(resamples)
    ]
    scores = []
    for a in range(resamples):
        for b in range(a + 1, resamples):
            # One row per user on each side: the join does not multiply users.
            pair = (
                labels[a]
                .withColumnRenamed(f"_seg_r{a}", _LEFT)
                .join(labels[b].withColumnRenamed(f"_seg_r{b}", _RIGHT), on=[C.USER_ID], how="inner")
            )
            row = adjusted_rand_index(contingency(pair, _LEFT, _RIGHT), _LEFT, _RIGHT).first()
            scores.append(row[ADJUSTED_RAND_INDEX] if row[ADJUSTED_RAND_INDEX] is not None else 0.0)
    return sum(scores) / len(scores)


def choose(
    candidates: Sequence[KCandidate],
    min_stability: float,
    previous_k: int | None = None,
    k_switch_margin: float = 0.0,
) -> KCandidate:
    """The best silhouette among candidates at least `min_stability` stable (all, when stability was not
    measured); when none is stable enough, the most stable. Ties go to the smaller k.

    A refit keeps `previous_k` when it is stable enough and its silhouette is within `k_switch_margin` of the
    best: a new k regroups users wholesale, and a silhouette a hair better is not worth that to marketing.
    """
    stable = [c for c in candidates if c.stability is None or c.stability >= min_stability]
    if not stable:
        return max(candidates, key=lambda c: (c.stability or 0.0, c.silhouette, -c.k))
    best = max(stable, key=lambda c: (c.silhouette, -c.k))
    kept = next((c for c in stable if c.k == previous_k), None)
    if kept is not None and best.silhouette - kept.silhouette <= k_switch_margin:
        return kept
    return best


def search_k(
    population: DataFrame,
    features: Sequence[str],
    log1p_features: Collection[str],
    ks: Sequence[int],
    seed: int,
    max_iter: int,
    *,
    ratios: Mapping[str, Sequence[str]] | None = None,
    restarts: int = 1,
    stability_resamples: int = 0,
    stability_fraction: float = 0.8,
    min_stability: float = 0.0,
    previous_k: int | None = None,
    k_switch_margin: float = 0.0,
    reserved_ids: Collection[int] = (),
) -> SegmentSearch:
    """Fit K-means for every k of `ks` on the same standardized inputs; keep the best silhouette among the
    stable ones (see `choose`).

    The preprocessing is fitted once: every candidate sees the same space, so their silhouettes compare.
    The chosen clusters get ids from 0 up, skipping `reserved_ids`; `with_persistent_ids` renames them after
    a previous model's.

    Args:
        population: gold.user_features rows of the users to segment (see `segmentation_population`).
        features: The model's inputs; `ratios` among them are computed from two columns, `log1p_features`
            are log1p-transformed.
        ks: Candidate numbers of segments, each at least 2 and below the number of users.
        seed: K-means seed (k-means|| initialisation; subsamples use seed + 0, 1, ...).
        max_iter: K-means iterations.
        restarts: Initialisations per fit, the lowest cost kept (see `fit_best_of`).
        stability_resamples: Subsample fits per k for its stability; 0 chooses by silhouette alone.
        stability_fraction: The share of users in each subsample.
        min_stability: The stability a candidate needs to be chosen by its silhouette.
        previous_k, k_switch_margin: The k of the model this one replaces, kept unless another k's
            silhouette beats it by more than the margin (see `choose`).

    Returns:
        The chosen PipelineModel (preprocessing, K-means, segment naming), its k, and every candidate's scores.
    """
    means = imputation_means(population, features, log1p_features, ratios)
    prepared = preprocessing(features, log1p_features, means, ratios).fit(population)
    scaled = (
        prepared.transform(population)
        .select(C.USER_ID, C.SCALED_FEATURES)
        .persist(StorageLevel.MEMORY_AND_DISK)
    )
    evaluator = ClusteringEvaluator(
        featuresCol=C.SCALED_FEATURES,
        predictionCol=CLUSTER,
        metricName="silhouette",
        distanceMeasure="squaredEuclidean",
    )
    try:
        fitted: dict[int, KMeansModel] = {}
        candidates = []
        for k in ks:
            model = fit_best_of(scaled, k, seed, max_iter, restarts)
            fitted[k] = model
            # Fewer distinct users than k can leave a single centre, where the silhouette is undefined:
            # score it as the worst possible.
            silhouette = (
                evaluator.evaluate(model.transform(scaled)) if len(model.clusterCenters()) > 1 else -1.0
            )
            stability = (
                _stability(scaled, k, seed, max_iter, restarts, stability_resamples, stability_fraction)
                if stability_resamples >= 2
                else None
            )
            candidates.append(KCandidate(k, silhouette, model.summary.trainingCost, stability))
    finally:
        scaled.unpersist()
    best = choose(candidates, min_stability, previous_k, k_switch_margin)
    chosen = fitted[best.k]
    ids = fresh_ids(len(chosen.clusterCenters()), reserved_ids)
    return SegmentSearch(
        PipelineModel(stages=[*prepared.stages, chosen, segment_naming(ids)]), best.k, candidates
    )


def _stage(model: PipelineModel, kind: type):
    return next(stage for stage in model.stages if isinstance(stage, kind))


def segment_ids(model: PipelineModel) -> list[int]:
    """The segment id of each cluster index, read from the naming stage (the index itself for a model
    registered before segments were named, whose K-means predicted SEGMENT_ID directly)."""
    if not isinstance(model.stages[-1], SQLTransformer):
        return list(range(len(_stage(model, KMeansModel).clusterCenters())))
    statement = model.stages[-1].getStatement()
    inside = statement[statement.index("array(") + len("array(") : statement.index(")")]
    return [int(part) for part in inside.split(",")]


def centres(model: PipelineModel) -> dict[int, list[float]]:
    """The K-means centres, in the model's standardized input space, by SEGMENT_ID."""
    clusters = _stage(model, KMeansModel).clusterCenters()
    return {
        segment: [float(v) for v in centre]
        for segment, centre in zip(segment_ids(model), clusters, strict=True)
    }


def cluster_count(model: PipelineModel) -> int:
    """The model's k."""
    return len(_stage(model, KMeansModel).clusterCenters())


def model_inputs(model: PipelineModel) -> list[str]:
    """The model's input columns, in the order its centres list them."""
    return list(_stage(model, VectorAssembler).getInputCols())


def centres_in_space_of(previous: PipelineModel, model: PipelineModel) -> dict[int, list[float]]:
    """`previous`'s centres, by segment id, moved into `model`'s standardized space: unscaled with the
    previous model's means and deviations, then scaled with the new model's. Empty when the two models do not
    read the same inputs (there is no common space to compare them in)."""
    if model_inputs(previous) != model_inputs(model):
        return {}
    old, new = _stage(previous, StandardScalerModel), _stage(model, StandardScalerModel)

    def moved(centre: list[float]) -> list[float]:
        raw = [c * s + m for c, s, m in zip(centre, old.std, old.mean, strict=True)]
        return [(r - m) / s if s else 0.0 for r, s, m in zip(raw, new.std, new.mean, strict=True)]

    return {segment: moved(centre) for segment, centre in centres(previous).items()}


def with_persistent_ids(
    model: PipelineModel, previous: PipelineModel | None, reserved_ids: Collection[int] = ()
) -> PipelineModel:
    """`model` with its clusters named after `previous`'s nearest centres (transforms.segments.identity);
    unchanged ids from 0 up (skipping `reserved_ids`) without a previous model."""
    clusters = [[float(v) for v in c] for c in _stage(model, KMeansModel).clusterCenters()]
    before = centres_in_space_of(previous, model) if previous is not None else {}
    retired = set(segment_ids(previous)) if previous is not None else set()
    ids = match_segment_ids(clusters, before, {*reserved_ids, *retired} - set(before))
    return PipelineModel(stages=[*model.stages[:-1], segment_naming(ids)])


def _distance_to(centre_by_cluster: list[list[float]], cluster: str) -> Column:
    return F.element_at(_distances(centre_by_cluster), F.col(cluster).cast("int") + 1)


def _distances(centre_by_cluster: list[list[float]]) -> Column:
    """Each row's Euclidean distance to every centre (standardized space), by cluster index."""
    features = vector_to_array(F.col(C.SCALED_FEATURES))

    def to(centre: list[float]) -> Column:
        squares = F.zip_with(features, F.array(*[F.lit(v) for v in centre]), lambda x, c: (x - c) * (x - c))
        return F.sqrt(F.aggregate(squares, F.lit(0.0), lambda total, s: total + s))

    return F.array(*[to(centre) for centre in centre_by_cluster])


def handed_over(
    model: PipelineModel, population: DataFrame, previous: PipelineModel, margin: float
) -> DataFrame:
    """Every user of `population` with their segment under `model`, except that a user keeps the segment
    `previous` (the model `model` took over from) gives them while its id survives in `model` and the user is
    within (1 + margin) times their nearest centre's distance of its centre.

    A refit that moves its centres a little would otherwise move every user near a boundary on the day it
    takes over; with the ids matched across models (`with_persistent_ids`), the margin keeps those users
    where they were, and moves only those the new model clearly places elsewhere.

    Args:
        population: gold.user_features rows with SNAPSHOT_DATE.

    Returns:
        USER_ID, SEGMENT_ID, DISTANCE_TO_CENTRE, SNAPSHOT_DATE.
    """
    clustering = _stage(model, KMeansModel)
    ids = segment_ids(model)
    before = previous.transform(population).select(
        C.USER_ID, C.SNAPSHOT_DATE, F.col(C.SEGMENT_ID).cast("int").alias("_seg_before")
    )
    scored = model.transform(population).select(
        C.USER_ID,
        C.SNAPSHOT_DATE,
        F.col(C.SEGMENT_ID).cast("int").alias(C.SEGMENT_ID),
        _distances([[float(v) for v in c] for c in clustering.clusterCenters()]).alias("_seg_distances"),
        F.col(clustering.getPredictionCol()).cast("int").alias("_seg_cluster_index"),
    )
    # array_position is 1-based and 0 when the previous id no longer exists in `model`.
    kept_at = F.array_position(F.array(*[F.lit(i) for i in ids]), F.col("_seg_before")).cast("int")
    nearest = F.element_at(F.col("_seg_distances"), F.col("_seg_cluster_index") + 1)
    kept_distance = F.when(kept_at > 0, F.element_at(F.col("_seg_distances"), F.greatest(kept_at, F.lit(1))))
    keep = kept_distance.isNotNull() & (kept_distance <= nearest * (1.0 + margin))
    # One row per user and date on each side: the join keeps one row per user and date.
    return scored.join(before, on=[C.USER_ID, C.SNAPSHOT_DATE], how="left").select(
        C.USER_ID,
        F.when(keep, F.col("_seg_before")).otherwise(F.col(C.SEGMENT_ID)).alias(C.SEGMENT_ID),
        F.when(keep, kept_distance).otherwise(nearest).alias(C.DISTANCE_TO_CENTRE),
        C.SNAPSHOT_DATE,
    )


def assign_segments(
    model: PipelineModel, population: DataFrame, snapshot_date: dt.date | None = None
) -> DataFrame:
    """Every user of `population` with their segment and Euclidean distance to its centre (standardized
    space).

    Args:
        model: A PipelineModel from `search_k` (or the registered one).
        population: gold.user_features rows (USER_ID and the model's source columns; SNAPSHOT_DATE when
            no `snapshot_date` is given).
        snapshot_date: The date the rows describe; None keeps each row's own SNAPSHOT_DATE, so one model
            scores several dates in one pass.

    Returns:
        USER_ID, SEGMENT_ID, DISTANCE_TO_CENTRE, SNAPSHOT_DATE.
    """
    day = F.col(C.SNAPSHOT_DATE) if snapshot_date is None else F.lit(snapshot_date)
    clustering = _stage(model, KMeansModel)
    by_cluster = [[float(v) for v in c] for c in clustering.clusterCenters()]
    return model.transform(population).select(
        C.USER_ID,
        F.col(C.SEGMENT_ID).cast("int").alias(C.SEGMENT_ID),
        _distance_to(by_cluster, clustering.getPredictionCol()).alias(C.DISTANCE_TO_CENTRE),
        day.alias(C.SNAPSHOT_DATE),
    )
