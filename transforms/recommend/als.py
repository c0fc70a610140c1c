"""Spark MLlib ALS with implicit preferences on the interaction strengths, and its per-user lists.

ALS factorises the user-item matrix over the integer indexes gold.user_index and gold.item_index give
every id (stable across runs, so a registered model's factors keep meaning the same users and items).
With implicit preferences a strength is a confidence 1 + alpha * strength that the user likes the item,
not a rating to reproduce; log scaling (`recommend.grid.scaling`) hands the engines log(1 + strength)
instead. Two engines fit it (`recommend.engine`): Spark MLlib, and on one machine the `implicit` library
(als_implicit.py); both hand back an ALSModel, so everything after the fit is the same.
"""

from __future__ import annotations

from pyspark.ml import PipelineModel
from pyspark.ml.recommendation import ALS, ALSModel
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from transforms import columns as C
from transforms.recommend.als_implicit import fit_implicit_als, implicit_installed, top_items_on_driver
from transforms.recommend.indexed_lists import indexed_pairs, ranked_lists
from transforms.recommend.seen_items import seen_depth, top_unseen
from transforms.vocabulary import ALS_ENGINE_CHOICES, CONFIDENCE_SCALINGS, LINEAR_SCALING, AlsEngineChoice

# ALS's output names for a recommendation's item and score inside recommendFor*'s arrays.
_ALS_SCORE = "rating"
_POSITION, _RECOMMENDATION, _RECOMMENDATIONS = "_position", "_recommendation", "recommendations"


def als_estimator(*, rank: int, reg_param: float, alpha: float, max_iter: int, seed: int, blocks: int) -> ALS:
    """The ALS estimator on USER_IDX, ITEM_IDX and STRENGTH, with `blocks` user and item blocks.

    coldStartStrategy "drop": scoring a user or item the model never saw yields no row rather than NaN,
    which would poison any metric averaged over predictions.
    """
    return ALS(
        userCol=C.USER_IDX,
        itemCol=C.ITEM_IDX,
        ratingCol=C.STRENGTH,
        implicitPrefs=True,
        rank=rank,
        regParam=reg_param,
        alpha=alpha,
        maxIter=max_iter,
        seed=seed,
        numUserBlocks=blocks,
        numItemBlocks=blocks,
        coldStartStrategy="drop",
    )


SPARK_ENGINE, IMPLICIT_ENGINE = "spark", "implicit"


class AlsEngineUnavailableError(RuntimeError):
    """recommend.engine asks for an engine this machine cannot run."""


def als_engine(spark: SparkSession, setting: AlsEngineChoice) -> str:
    """The engine `recommend.engine` asks for: spark or implicit; auto is implicit on a local-mode session
    (spark.master local[...]) where the package is installed, spark elsewhere.

    Raises:
        AlsEngineUnavailableError: implicit was asked for and cannot be imported.
    """
    if setting not in ALS_ENGINE_CHOICES:
        raise ValueError(f"recommend.engine must be one of {', '.join(ALS_ENGINE_CHOICES)}, got {setting!r}")
    if setting == SPARK_ENGINE:
        return SPARK_ENGINE
    installed = implicit_installed()
    if setting == IMPLICIT_ENGINE and not installed:
        raise AlsEngineUnavailableError(
            "recommend.engine is implicit but the implicit package cannot be imported: pip install implicit, "
            "or set recommend.engine: spark (or auto)"
        )
    local = spark.conf.get("spark.master", "").startswith("local")
    return IMPLICIT_ENGINE if installed and (setting == IMPLICIT_ENGINE or local) else SPARK_ENGINE


def confidence_scaling(name: str) -> str:
    """`name` when it is a confidence scaling, else a ValueError listing them."""
    if name not in CONFIDENCE_SCALINGS:
        raise ValueError(f"unknown confidence scaling {name!r}: one of {', '.join(CONFIDENCE_SCALINGS)}")
    return name


def scaled_strengths(train: DataFrame, scaling: str) -> DataFrame:
    """`train` with STRENGTH as the engines' confidence takes it: as it is (linear), or sign(s) * log(1 + |s|)
    (log), so that both engines' 1 + alpha * |strength| becomes 1 + alpha * log(1 + |s|)."""
    if confidence_scaling(scaling) == LINEAR_SCALING:
        return train
    strength = F.col(C.STRENGTH)
    return train.withColumn(C.STRENGTH, F.signum(strength) * F.log1p(F.abs(strength)))


def fit_als(
    train: DataFrame,
    *,
    engine: str,
    rank: int,
    reg_param: float,
    alpha: float,
    max_iter: int,
    seed: int,
    blocks: int,
    scaling: str = LINEAR_SCALING,
) -> ALSModel:
    """Fit ALS on the training interactions (USER_IDX, ITEM_IDX, STRENGTH) with `engine` (`als_engine`'s
    answer), the strengths scaled by `scaling` (`scaled_strengths`); `blocks` only matters to Spark."""
    train = scaled_strengths(train, scaling)
    if engine == IMPLICIT_ENGINE:
        return fit_implicit_als(
            train, rank=rank, reg_param=reg_param, alpha=alpha, max_iter=max_iter, seed=seed
        )
    if engine != SPARK_ENGINE:
        raise ValueError(f"unknown ALS engine {engine!r}: {SPARK_ENGINE} or {IMPLICIT_ENGINE}")
    estimator = als_estimator(
        rank=rank, reg_param=reg_param, alpha=alpha, max_iter=max_iter, seed=seed, blocks=blocks
    )
    return estimator.fit(train.select(C.USER_IDX, C.ITEM_IDX, C.STRENGTH))


def als_model(model: PipelineModel | ALSModel) -> ALSModel:
    """The ALS model inside what the model registry hands back (MLflow wraps a bare model in a PipelineModel);
    anything else is an error naming the stages found."""
    stages = model.stages if isinstance(model, PipelineModel) else [model]
    if not stages or not isinstance(stages[-1], ALSModel):
        raise TypeError(f"the registered model is not an ALS model: {[type(s).__name__ for s in stages]}")
    return stages[-1]


def _slots(lists: DataFrame) -> DataFrame:
    """recommendFor* output (USER_IDX, recommendations) as USER_IDX, RANK, ITEM_IDX, SCORE rows."""
    return lists.select(C.USER_IDX, F.posexplode(_RECOMMENDATIONS).alias(_POSITION, _RECOMMENDATION)).select(
        C.USER_IDX,
        (F.col(_POSITION) + F.lit(1)).cast("int").alias(C.RANK),
        F.col(f"{_RECOMMENDATION}.{C.ITEM_IDX}").alias(C.ITEM_IDX),
        F.col(f"{_RECOMMENDATION}.{_ALS_SCORE}").cast("double").alias(C.SCORE),
    )


def als_recommendations(
    model: ALSModel,
    users: DataFrame,
    user_index: DataFrame,
    item_index: DataFrame,
    *,
    k: int,
    engine: str,
    seen: DataFrame | None = None,
) -> DataFrame:
    """The `k` best-scored items for each of `users` the model knows, outside their seen pairs.

    Args:
        model: A fitted ALSModel over USER_IDX and ITEM_IDX.
        users: USER_ID, the users to recommend to; users the model never saw get no list; None for every
            user of the model.
        user_index: gold.user_index (USER_ID, USER_IDX).
        item_index: gold.item_index (ITEM_ID, ITEM_IDX).
        k: Items per user.
        engine: `als_engine`'s answer: with implicit (one machine) the lists are scored on the driver and
            the seen pairs masked there; with spark by the model's recommendFor*, `seen_depth` deeper than
            k, and the seen pairs dropped after.
        seen: `seen_items.seen_pairs` output (USER_ID, ITEM_ID), or None to leave nothing out.

    Returns:
        USER_ID, RANK (1 = best), ITEM_ID, SCORE (the predicted preference).
    """
    user_index = user_index.select(C.USER_ID, C.USER_IDX)
    subset = None if users is None else users.select(C.USER_ID).join(user_index, on=[C.USER_ID], how="inner")
    if engine == IMPLICIT_ENGINE:
        masked = None if seen is None else indexed_pairs(seen, user_index, item_index)
        return ranked_lists(top_items_on_driver(model, subset, k, masked), user_index, item_index)
    depth = k if seen is None else k + seen_depth(seen, user_index if users is None else users)
    if subset is None:
        slots = _slots(model.recommendForAllUsers(depth))
    else:
        slots = _slots(model.recommendForUserSubset(subset.select(C.USER_IDX), depth))
    lists = ranked_lists(slots, user_index, item_index)
    return lists if seen is None else top_unseen(lists, seen, k)


def all_als_recommendations(
    model: ALSModel,
    user_index: DataFrame,
    item_index: DataFrame,
    *,
    k: int,
    engine: str,
    seen: DataFrame | None = None,
) -> DataFrame:
    """`als_recommendations` for every user of the model: USER_ID, RANK, ITEM_ID, SCORE."""
    return als_recommendations(model, None, user_index, item_index, k=k, engine=engine, seen=seen)


def item_factors(model: ALSModel, item_index: DataFrame) -> DataFrame:
    """The model's item vectors by item id: ITEM_ID, FACTORS (array of float)."""
    return (
        model.itemFactors.select(F.col("id").alias(C.ITEM_IDX), F.col("features").alias(C.FACTORS))
        .join(item_index.select(C.ITEM_ID, C.ITEM_IDX), on=[C.ITEM_IDX], how="inner")
        .select(C.ITEM_ID, C.FACTORS)
    )
