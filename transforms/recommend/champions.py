"""Which model serves each user group: the champion of the latest offline evaluation.

evaluate_recommenders scores every model per user group (gold.recommendation_metrics_by_group: new, light,
heavy). So that a shop whose data favours popularity is never served a worse model, build_recommendations
serves each group the lists of the model with the best NDCG@k in that group on the latest evaluation on or
before the run date, among SERVED_MODELS; equal scores go to the earlier of them (the blend first). A group
the evaluation did not see (no test user in it), or a lake without an evaluation, gets the blend, as does a
user the champion has no list for (ALS, BPR and the item-to-item model know nothing of a new user).

A served row's SOURCE names where the item came from: the blend's own source for the blend's rows, and for a
champion's rows the champion's counterpart among the sources (SERVED_SOURCE).

A model the serving session cannot run (BPR away from local mode: models.unavailable_models) is not a
candidate: its groups go to their best other model.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from shop_platform.settings import RecommendSettings
from transforms import columns as C
from transforms.recommend.blend import USER_GROUPS
from transforms.recommend.candidates import SOURCES
from transforms.recommend.models import (
    BLEND,
    BPR,
    CATEGORY_POPULARITY,
    POPULARITY,
    SAR,
    TRENDING_POPULARITY,
    ModelInputs,
    model_lists,
)
from transforms.vocabulary import ALS, CATEGORY_POPULAR, GLOBAL_POPULAR

# The models a group can be served, in the order that breaks ties.
SERVED_MODELS = (BLEND, ALS, BPR, SAR, CATEGORY_POPULARITY, TRENDING_POPULARITY, POPULARITY)
TRENDING_POPULAR, ITEM_TO_ITEM = "trending_popular", "item_to_item"
# The SOURCE of a champion's rows in gold.recommendations; every source a served row can name.
SERVED_SOURCE = {
    ALS: ALS,
    BPR: BPR,
    SAR: ITEM_TO_ITEM,
    CATEGORY_POPULARITY: CATEGORY_POPULAR,
    TRENDING_POPULARITY: TRENDING_POPULAR,
    POPULARITY: GLOBAL_POPULAR,
}
SERVED_SOURCES = (*SOURCES, BPR, TRENDING_POPULAR, ITEM_TO_ITEM)


def choose_champions(
    scores: Iterable[tuple[str, str, float | None]], unavailable: Sequence[str] = ()
) -> dict[str, str]:
    """Each user group's champion from (USER_GROUP, MODEL, NDCG@k) rows: the best score among SERVED_MODELS
    but the `unavailable` ones, ties to the earlier of them; groups without a row get the blend."""
    best: dict[str, tuple[float, int, str]] = {}
    for group, model, ndcg in scores:
        if group not in USER_GROUPS or model not in SERVED_MODELS or model in unavailable:
            continue
        # Larger NDCG first, then the earlier model: compare (-ndcg, position).
        key = (-(ndcg or 0.0), SERVED_MODELS.index(model), model)
        if group not in best or key < best[group]:
            best[group] = key
    return {group: best[group][2] if group in best else BLEND for group in USER_GROUPS}


def latest_champions(
    by_group: DataFrame | None, as_of: dt.date, unavailable: Sequence[str] = ()
) -> tuple[dict[str, str], dt.date | None]:
    """The champions of the latest evaluation on or before `as_of` (gold.recommendation_metrics_by_group, or
    None when the table does not exist) among the models not `unavailable`, and its run date; the blend
    everywhere without one (a few rows collected)."""
    if by_group is None:
        return choose_champions([]), None
    done = by_group.where(F.col(C.RUN_DATE) <= F.lit(as_of))
    latest = done.agg(F.max(C.RUN_DATE)).first()[0]
    if latest is None:
        return choose_champions([]), None
    rows = done.where(F.col(C.RUN_DATE) == F.lit(latest)).select(C.USER_GROUP, C.MODEL, C.NDCG_AT_K).collect()
    scores = ((r[C.USER_GROUP], r[C.MODEL], r[C.NDCG_AT_K]) for r in rows)
    return choose_champions(scores, unavailable), latest


def champions_lists(
    champions: Mapping[str, str],
    groups: DataFrame,
    als: DataFrame,
    inputs: ModelInputs,
    rec: RecommendSettings,
    top_n: int,
) -> dict[str, DataFrame]:
    """The lists of every champion but the blend, for the users of the groups it is champion of.

    Args:
        champions: group -> model (`latest_champions`).
        groups: USER_ID, USER_GROUP (`blend.user_groups`), one row per user.
        als: USER_ID, RANK, ITEM_ID, SCORE: the day's ALS lists (already without the seen pairs).
        inputs: The models' inputs as of the date.

    Returns:
        model -> USER_ID, RANK, ITEM_ID, SCORE, at most `top_n` rows per user.
    """
    lists = {}
    for model in sorted({m for m in champions.values() if m != BLEND}):
        its_groups = [group for group, champion in champions.items() if champion == model]
        members = groups.where(F.col(C.USER_GROUP).isin(its_groups)).select(C.USER_ID)
        if model == ALS:
            lists[model] = als.where(F.col(C.RANK) <= F.lit(top_n)).join(
                members, on=[C.USER_ID], how="left_semi"
            )
        else:
            lists[model] = model_lists(model, inputs, members, rec, top_n)
    return lists


def served_lists(
    blended: DataFrame,
    champion_lists: Mapping[str, DataFrame],
    groups: DataFrame,
    champions: Mapping[str, str],
) -> DataFrame:
    """Every user's served list: the champion's list for the users of a group whose champion is not the
    blend and who have one, the blend's for everyone else.

    Args:
        blended: USER_ID, RANK, ITEM_ID, SCORE, SOURCE (`blend.hybrid_recommendations`).
        champion_lists: model -> USER_ID, RANK, ITEM_ID, SCORE for the users of the groups it is champion of.
        groups: USER_ID, USER_GROUP (`blend.user_groups`), one row per user.
        champions: group -> model (`latest_champions`).

    Returns:
        USER_ID, RANK, ITEM_ID, SCORE, SOURCE.
    """
    served = []
    for model, lists in champion_lists.items():
        its_groups = [group for group, champion in champions.items() if champion == model]
        members = groups.where(F.col(C.USER_GROUP).isin(its_groups)).select(C.USER_ID)
        served.append(
            lists.join(members, on=[C.USER_ID], how="left_semi").select(
                C.USER_ID, C.RANK, C.ITEM_ID, C.SCORE, F.lit(SERVED_SOURCE[model]).alias(C.SOURCE)
            )
        )
    result = blended.select(C.USER_ID, C.RANK, C.ITEM_ID, C.SCORE, C.SOURCE)
    for lists in served:
        result = result.join(lists.select(C.USER_ID).distinct(), on=[C.USER_ID], how="left_anti").unionByName(
            lists
        )
    return result
