"""The hybrid recommendations: ALS, co-purchase and popularity candidates blended into one top-N per user.

One function, `hybrid_recommendations`, serves the daily job (gold.recommendations as of the run date) and
the offline evaluation (as of the split day, on training data only), so both score the same rules:

1. Candidates: every source of transforms.recommend.candidates offers up to `candidates_per_source` items
   per user, each with a score on its own scale.
2. Exclusions: the pairs of `inputs.seen` are dropped: what the user already has by the policy every model
   follows (`recommend.seen_items`: bought items by default, except repeat-purchase categories;
   transforms/recommend/seen_items.py).
3. Scaling: within each (user, source) a score is divided by the user's best score of that source
   (negative scores count as 0), so every source's best candidate is 1 and the weights compare like with
   like.
4. Weights: a user with fewer than `cold_start_interactions` interacted items is cold start and uses
   `cold_start_weights` (the popular-in-segment and -category sources weighted up), others `weights`; a
   source weighted 0 for a user offers that user nothing.
5. Blend: an item's score is the sum of its sources' weighted scaled scores; its SOURCE is the source with
   the largest term (ties to the earlier source in `candidates.SOURCES`). Global popularity is the last
   resort: it only fills lists the other sources leave short. An item another source offers ignores its
   global term, and items only global popularity offers rank after all others (scored by their weighted
   scaled popularity). A popularity prior on every item made the offline evaluation worse on the sample data.
6. Top N: rank 1..top_n by score, ties to the smaller item id (scores rounded to 1e-12 first, so float
   noise from summation order cannot reorder ties).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import reduce

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

from shop_platform.settings import BlendSettings
from transforms import columns as C
from transforms.recommend.baselines import item_popularity, preferred_categories
from transforms.recommend.candidates import (
    ALS,
    CATEGORY_POPULAR,
    COPURCHASE,
    GLOBAL_POPULAR,
    SEGMENT_POPULAR,
    SOURCES,
    als_items,
    category_items,
    copurchase_items,
    global_items,
    recent_seeds,
    segment_popular_items,
)
from transforms.recommend.seen_items import without_seen

# The evaluation's user groups by interacted items as of the date (see `user_groups`).
NEW = "new"
LIGHT = "light"
HEAVY = "heavy"
USER_GROUPS = (NEW, LIGHT, HEAVY)
# The columns BlendInputs reads from gold.bought_together and gold.user_segments.
PARTNER_COLUMNS = (C.ITEM_ID, C.PARTNER_ID, C.CONFIDENCE)
SEGMENT_COLUMNS = (C.USER_ID, C.SEGMENT_ID)

_WEIGHT, _TERM, _FALLBACK, _POSITION = "_weight", "_term", "_fallback", "_position"
_PRIORITY, _OTHERS, _GLOBAL, _LARGEST = "_priority", "_others", "_global", "_largest"
SCORE_DECIMALS = 12


@dataclass(frozen=True)
class BlendInputs:
    """What the blend reads, all as of one date (the run date, or the evaluation's split day).

    Attributes:
        users: USER_ID, the users to recommend to (one row each).
        interactions: USER_ID, ITEM_ID, STRENGTH, ORDERS: the interaction matrix as of the date.
        daily: USER_ID, ITEM_ID, STRENGTH, EVENT_DATE: per-day interactions (gold.user_item_daily); days
            after the date are ignored.
        als: USER_ID, RANK, ITEM_ID, SCORE: ALS lists.
        partners: ITEM_ID, PARTNER_ID, CONFIDENCE: co-purchase partners (gold.bought_together).
        segments: USER_ID, SEGMENT_ID: one segment snapshot.
        categories: ITEM_ID, CATEGORY (transforms.recommend.baselines.item_categories).
        seen: USER_ID, ITEM_ID: the pairs no list may hold (transforms.recommend.seen_items.seen_pairs of
            the interactions).
    """

    users: DataFrame
    interactions: DataFrame
    daily: DataFrame
    als: DataFrame
    partners: DataFrame
    segments: DataFrame
    categories: DataFrame
    seen: DataFrame


def check_weights(weights: Mapping[str, float], key: str) -> None:
    """Fail, naming the config key, unless `weights` gives every source a weight >= 0."""
    if sorted(weights) != sorted(SOURCES) or any(w < 0 for w in weights.values()):
        raise ValueError(
            f"{key} needs a weight >= 0 for exactly the sources {list(SOURCES)}, got {dict(weights)}"
        )


def interacted_items(interactions: DataFrame) -> DataFrame:
    """USER_ID, INTERACTED_ITEMS: the items each user has a positive interaction strength with."""
    return (
        interactions.where(F.col(C.STRENGTH) > F.lit(0.0))
        .groupBy(C.USER_ID)
        .agg(F.count_distinct(C.ITEM_ID).alias(C.INTERACTED_ITEMS))
        .select(C.USER_ID, C.INTERACTED_ITEMS)
    )


def user_groups(
    users: DataFrame, activity: DataFrame, *, new_user_interactions: int, heavy_user_interactions: int
) -> DataFrame:
    """Each user's group: new (fewer than `new_user_interactions` items; users without any included), light,
    or heavy (at least `heavy_user_interactions`).

    Args:
        users: USER_ID.
        activity: `interacted_items` output.

    Returns:
        USER_ID, INTERACTED_ITEMS (0 for users without interactions), USER_GROUP.
    """
    items = F.coalesce(F.col(C.INTERACTED_ITEMS), F.lit(0))
    group = (
        F.when(items < F.lit(new_user_interactions), F.lit(NEW))
        .when(items < F.lit(heavy_user_interactions), F.lit(LIGHT))
        .otherwise(F.lit(HEAVY))
    )
    # activity holds one row per user.
    return (
        users.select(C.USER_ID)
        .join(activity, on=[C.USER_ID], how="left")
        .select(C.USER_ID, items.cast("long").alias(C.INTERACTED_ITEMS), group.alias(C.USER_GROUP))
    )


def known_users(user_index: DataFrame, registered: DataFrame | None, as_of: dt.date) -> DataFrame:
    """USER_ID of every user known on `as_of`, one row each: indexed (gold.user_index, first seen by then) or
    `registered` (USER_ID: gold.user_features of the date; None when it has no rows), so a registered user
    without interactions gets a cold-start list too."""
    indexed = user_index.where(F.col(C.FIRST_SEEN) <= F.lit(as_of)).select(C.USER_ID)
    if registered is None:
        return indexed
    return indexed.unionByName(registered.select(C.USER_ID)).distinct()


def source_counts(recommendations: DataFrame, sources: Sequence[str] = SOURCES) -> DataFrame:
    """One row: USERS with a list, and per source of `sources` (a column named for it) its rows."""
    return recommendations.agg(
        F.count_distinct(C.USER_ID).alias(C.USERS),
        *[F.count(F.when(F.col(C.SOURCE) == F.lit(s), 1)).alias(s) for s in sources],
    )


def _weight_of(weights: Mapping[str, float]) -> Column:
    pairs = [F.lit(x) for source in SOURCES for x in (source, float(weights[source]))]
    return F.element_at(F.create_map(*pairs), F.col(C.SOURCE))


def blend_candidates(
    candidates: DataFrame,
    activity: DataFrame,
    *,
    weights: Mapping[str, float],
    cold_start_weights: Mapping[str, float],
    cold_start_interactions: int,
    top_n: int,
) -> DataFrame:
    """Steps 3-6 of the module docstring: scale, weigh, merge and cut the candidates to `top_n` per user.

    Args:
        candidates: USER_ID, ITEM_ID, SOURCE (one of `candidates.SOURCES`), SCORE; one row per (user, item,
            source).
        activity: USER_ID, INTERACTED_ITEMS; users without a row have none (cold start).
        weights: Source -> weight for users with at least `cold_start_interactions` items.
        cold_start_weights: Source -> weight for the others.
        top_n: Items per user.

    Returns:
        USER_ID, RANK (1..top_n), ITEM_ID, SCORE (the blended score), SOURCE (the largest contributor).
    """
    check_weights(weights, "recommend.blend.weights")
    check_weights(cold_start_weights, "recommend.blend.cold_start_weights")
    if top_n < 1:
        raise ValueError(f"recommend.blend.top_n must be at least 1, got {top_n}")
    positive = F.greatest(F.col(C.SCORE).cast("double"), F.lit(0.0))
    best = F.max(positive).over(Window.partitionBy(C.USER_ID, C.SOURCE))
    scaled = F.when(best > F.lit(0.0), positive / best).otherwise(F.lit(0.0))
    cold = F.coalesce(F.col(C.INTERACTED_ITEMS), F.lit(0)) < F.lit(cold_start_interactions)
    weight = F.when(cold, _weight_of(cold_start_weights)).otherwise(_weight_of(weights))
    priority = F.array_position(F.array(*[F.lit(s) for s in SOURCES]), F.col(C.SOURCE))
    # activity holds one row per user, so the join keeps one row per candidate.
    terms = (
        candidates.join(activity.select(C.USER_ID, C.INTERACTED_ITEMS), on=[C.USER_ID], how="left")
        .select(C.USER_ID, C.ITEM_ID, C.SOURCE, weight.alias(_WEIGHT), (weight * scaled).alias(_TERM))
        .where(F.col(_WEIGHT) > F.lit(0.0))
    )
    is_global = F.col(C.SOURCE) == F.lit(GLOBAL_POPULAR)
    # The largest term wins the source; among equal terms the earlier source (smaller priority) does.
    largest = F.max(F.when(~is_global, F.struct(F.col(_TERM), (-priority).alias(_PRIORITY), F.col(C.SOURCE))))
    merged = (
        terms.groupBy(C.USER_ID, C.ITEM_ID)
        .agg(
            F.sum(F.when(~is_global, F.col(_TERM))).alias(_OTHERS),
            F.sum(F.when(is_global, F.col(_TERM))).alias(_GLOBAL),
            largest.alias(_LARGEST),
        )
        # A sum over no term is null: _OTHERS is null exactly for the items only global popularity offers.
        .select(
            C.USER_ID,
            C.ITEM_ID,
            F.round(F.coalesce(F.col(_OTHERS), F.col(_GLOBAL)), SCORE_DECIMALS).alias(C.SCORE),
            F.coalesce(F.col(f"{_LARGEST}.{C.SOURCE}"), F.lit(GLOBAL_POPULAR)).alias(C.SOURCE),
            F.col(_OTHERS).isNull().cast("int").alias(_FALLBACK),
        )
    )
    best_first = Window.partitionBy(C.USER_ID).orderBy(
        F.col(_FALLBACK).asc(), F.col(C.SCORE).desc(), F.col(C.ITEM_ID).asc()
    )
    return (
        merged.select("*", F.row_number().over(best_first).alias(_POSITION))
        .where(F.col(_POSITION) <= F.lit(top_n))
        .select(
            C.USER_ID,
            F.col(_POSITION).cast("int").alias(C.RANK),
            C.ITEM_ID,
            F.col(C.SCORE).cast("double").alias(C.SCORE),
            C.SOURCE,
        )
    )


def weighing_users(users: DataFrame, activity: DataFrame, settings: BlendSettings, source: str) -> DataFrame:
    """The users of `users` (USER_ID) whose weight for `source` is above 0: all of them, only the cold-start
    ones (fewer than `cold_start_interactions` items in `activity`, `interacted_items` output) or only the
    others. The blend drops a source's candidates for users who weigh it 0, so they need not be built."""
    warm, cold = settings.weights[source] > 0, settings.cold_start_weights[source] > 0
    if warm and cold:
        return users
    experienced = activity.where(F.col(C.INTERACTED_ITEMS) >= F.lit(settings.cold_start_interactions))
    return users.join(experienced.select(C.USER_ID), on=[C.USER_ID], how="left_semi" if warm else "left_anti")


def candidate_pool(
    inputs: BlendInputs,
    activity: DataFrame,
    settings: BlendSettings,
    *,
    as_of: dt.date,
    preferred_categories_per_user: int,
) -> DataFrame:
    """Step 1: every source's candidates for the users of `inputs.users` who weigh it above 0 (`activity`:
    `interacted_items` of the users): USER_ID, ITEM_ID, SOURCE, SCORE.

    A source weighted 0 in both weight sets is not computed.
    """
    k = settings.candidates_per_source
    everyone = inputs.users.select(C.USER_ID)
    own = inputs.interactions.join(everyone, on=[C.USER_ID], how="left_semi")
    popularity = item_popularity(inputs.interactions)
    builders = {
        ALS: lambda users: als_items(inputs.als, users, k=k),
        COPURCHASE: lambda users: copurchase_items(
            recent_seeds(inputs.daily, as_of=as_of, recent_days=settings.recent_days).join(
                users, on=[C.USER_ID], how="left_semi"
            ),
            inputs.partners,
            k=k,
        ),
        SEGMENT_POPULAR: lambda users: segment_popular_items(
            inputs.interactions, inputs.segments, users, k=k
        ),
        CATEGORY_POPULAR: lambda users: category_items(
            popularity,
            inputs.categories,
            preferred_categories(own, inputs.categories, top=preferred_categories_per_user),
            users,
            k=k,
        ),
        GLOBAL_POPULAR: lambda users: global_items(popularity, users, k=k),
    }
    used = [s for s in SOURCES if settings.weights[s] > 0 or settings.cold_start_weights[s] > 0]
    parts = [
        builders[source](weighing_users(everyone, activity, settings, source)).select(
            C.USER_ID, C.ITEM_ID, F.lit(source).alias(C.SOURCE), C.SCORE
        )
        for source in used
    ]
    return reduce(DataFrame.unionByName, parts)


def hybrid_recommendations(
    inputs: BlendInputs, settings: BlendSettings, *, as_of: dt.date, preferred_categories_per_user: int
) -> DataFrame:
    """Each user's top `settings.top_n` blended recommendations as of `as_of` (module docstring).

    Args:
        inputs: The tables as of `as_of`.
        settings: `recommend.blend`.
        as_of: The date the inputs are as of (the co-purchase seeds' window ends on it).
        preferred_categories_per_user: `recommend.preferred_categories`, the categories the
            category_popular source draws from.

    Returns:
        USER_ID, RANK, ITEM_ID, SCORE, SOURCE.
    """
    activity = interacted_items(inputs.interactions.join(inputs.users, on=[C.USER_ID], how="left_semi"))
    pool = candidate_pool(
        inputs, activity, settings, as_of=as_of, preferred_categories_per_user=preferred_categories_per_user
    )
    kept = without_seen(pool, inputs.seen)
    return blend_candidates(
        kept,
        activity,
        weights=settings.weights,
        cold_start_weights=settings.cold_start_weights,
        cold_start_interactions=settings.cold_start_interactions,
        top_n=settings.top_n,
    )
