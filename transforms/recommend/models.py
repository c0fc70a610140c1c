"""The recommenders beside ALS and the blend, each a function of the same inputs: what the evaluation scores
on its training part and what build_recommendations serves a user group whose champion it is.

    popularity            the most popular items (summed decayed strength), transforms.recommend.baselines
    category_popularity   popular items within the user's preferred categories, likewise
    trending_popularity   what is popular now (recent days weighed up), transforms.recommend.trending
    sar                   item-to-item co-occurrence (SAR), transforms.recommend.cooccurrence
    bpr                   Bayesian Personalized Ranking, transforms.recommend.bpr (a local-mode session only)

Every list leaves out the user's seen pairs (`recommend.seen_items`). A model that is fitted before it lists
(BPR) is fitted by `fit_model`, which the evaluation times; `model_lists` fits it when the inputs do not
hold it fitted already.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field

from pyspark.ml.recommendation import ALSModel
from pyspark.sql import DataFrame, SparkSession

from shop_platform.settings import RecommendSettings
from transforms.recommend.als import IMPLICIT_ENGINE, als_recommendations
from transforms.recommend.baselines import category_popular_items, popular_items, preferred_categories
from transforms.recommend.bpr import bpr_unavailable, fit_bpr
from transforms.recommend.cooccurrence import (
    DRIVER_ENGINE,
    cooccurrence_engine,
    cooccurrence_on_driver,
    cooccurrence_recommendations,
    item_similarity,
)
from transforms.recommend.seen_items import unseen_of_ranking
from transforms.recommend.trending import trending_items

BLEND = "blend"
POPULARITY = "popularity"
CATEGORY_POPULARITY = "category_popularity"
TRENDING_POPULARITY = "trending_popularity"
SAR = "sar"
BPR = "bpr"
# In print order.
MODELS = (POPULARITY, CATEGORY_POPULARITY, TRENDING_POPULARITY, SAR, BPR)


@dataclass(frozen=True)
class ModelInputs:
    """What the models read, all as of one date (the evaluation's split day, or the run date).

    Attributes:
        interactions: USER_ID, ITEM_ID, USER_IDX, ITEM_IDX, STRENGTH: the matrix as of the date.
        popularity: `baselines.item_popularity` of the interactions.
        daily: USER_ID, ITEM_ID, STRENGTH, EVENT_DATE through the date (the trend's days).
        categories: ITEM_ID, CATEGORY.
        seen: `seen_items.seen_pairs` of the interactions.
        user_index, item_index: gold.user_index, gold.item_index.
        as_of: The date.
        fitted: Models already fitted on `interactions` by `fit_model`, by name (the evaluation fits them
            apart to time the fit); a fitted model not here is fitted by `model_lists`.
    """

    interactions: DataFrame
    popularity: DataFrame
    daily: DataFrame
    categories: DataFrame
    seen: DataFrame
    user_index: DataFrame
    item_index: DataFrame
    as_of: dt.date
    fitted: Mapping[str, ALSModel] = field(default_factory=dict)


def unavailable_models(spark: SparkSession) -> dict[str, str]:
    """The models `spark` cannot run, each with the reason (BPR away from local mode): left out of the
    evaluation and never served there."""
    reason = bpr_unavailable(spark)
    return {} if reason is None else {BPR: reason}


def fit_model(model: str, inputs: ModelInputs, rec: RecommendSettings) -> ALSModel | None:
    """`model` fitted on the inputs' interactions, for a model that is fitted before it lists (BPR); None for
    the others, which count and rank as they list."""
    if model == BPR:
        settings = rec.bpr
        return fit_bpr(
            inputs.interactions,
            factors=settings.factors,
            learning_rate=settings.learning_rate,
            regularization=settings.regularization,
            iterations=settings.iterations,
            seed=rec.seed,
        )
    if model not in MODELS:
        raise ValueError(f"unknown model {model!r}: one of {', '.join(MODELS)}")
    return None


def model_lists(
    model: str, inputs: ModelInputs, users: DataFrame, rec: RecommendSettings, k: int
) -> DataFrame:
    """`model`'s `k` best items for each of `users` (USER_ID) outside their seen pairs: USER_ID, RANK, ITEM_ID,
    SCORE. Users without interactions get no category, item-to-item or BPR list."""
    seen = inputs.seen
    if model == POPULARITY:
        return popular_items(inputs.popularity, users, k=k, seen=seen)
    if model == CATEGORY_POPULARITY:
        preferences = preferred_categories(
            inputs.interactions, inputs.categories, top=rec.preferred_categories
        )
        return category_popular_items(
            inputs.popularity, inputs.categories, preferences, users, k=k, seen=seen
        )
    if model == TRENDING_POPULARITY:
        trend = trending_items(inputs.daily, as_of=inputs.as_of, half_life_days=rec.trending.half_life_days)
        return unseen_of_ranking(trend, users, seen, k)
    if model == SAR:
        return item_to_item_lists(inputs, rec, users, k)
    if model == BPR:
        fitted = inputs.fitted[BPR] if BPR in inputs.fitted else fit_model(BPR, inputs, rec)
        # Scored as ALS's implicit engine scores: on the driver, the seen pairs masked before the top k.
        return als_recommendations(
            fitted, users, inputs.user_index, inputs.item_index, k=k, engine=IMPLICIT_ENGINE, seen=seen
        )
    raise ValueError(f"unknown model {model!r}: one of {', '.join(MODELS)}")


def item_to_item_lists(inputs: ModelInputs, rec: RecommendSettings, users: DataFrame, k: int) -> DataFrame:
    """The item-to-item (SAR) model's lists, by `recommend.cooccurrence.engine`."""
    settings = rec.cooccurrence
    measures = {
        "measure": settings.similarity,
        "min_cooccurrence": settings.min_cooccurrence,
        "neighbours": settings.neighbours,
    }
    train = inputs.interactions
    if cooccurrence_engine(train.sparkSession, settings.engine) == DRIVER_ENGINE:
        return cooccurrence_on_driver(
            train, users, inputs.seen, inputs.user_index, inputs.item_index, k=k, **measures
        )
    similarity = item_similarity(train, **measures)
    return cooccurrence_recommendations(train, similarity, users, inputs.seen, k=k)


def model_params(rec: RecommendSettings) -> dict[str, dict[str, str]]:
    """The settings of the models that have any, as the PARAMS of their metrics rows."""
    return {
        TRENDING_POPULARITY: {"half_life_days": str(rec.trending.half_life_days)},
        SAR: {name: str(value) for name, value in asdict(rec.cooccurrence).items()},
        BPR: {**{name: str(value) for name, value in asdict(rec.bpr).items()}, "seed": str(rec.seed)},
    }
