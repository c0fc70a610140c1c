"""The offline evaluation of the recommenders on a time split (jobs/evaluate_recommenders.py runs it).

Train on the interactions through the split day T (gold.user_item_interactions as it was on T, rebuilt from
gold.user_item_daily), test on the purchases and cart adds of the days after T through the run date
(transforms/recommend/split.py). Every model is scored on the test users with training data (WARM: the
population of gold.recommendation_metrics) and per user group over every test user (ALL_USERS and the
blend's groups: gold.recommendation_metrics_by_group): the popularity baselines, ALS for each configuration
of the grid, and the hybrid blend as of T from the training part only. Functions here take DataFrames and
settings; reading the lake, MLflow and the printed tables stay in the job (and evaluation_table.py).
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from functools import reduce

from pyspark import StorageLevel
from pyspark.ml.recommendation import ALSModel
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from shop_platform.settings import (
    AlsGrid,
    AlsParams,
    BlendSettings,
    GraphSettings,
    RecommendSettings,
    SeenItemsSettings,
)
from transforms import columns as C
from transforms import tables
from transforms.graph.bought_together import bought_together
from transforms.graph.copurchase import copurchase_edges, purchased_lines
from transforms.recommend.als import IMPLICIT_ENGINE, confidence_scaling, fit_als
from transforms.recommend.baselines import (
    item_categories,
    item_popularity,
)
from transforms.recommend.blend import (
    HEAVY,
    LIGHT,
    NEW,
    PARTNER_COLUMNS,
    BlendInputs,
    hybrid_recommendations,
    interacted_items,
    user_groups,
)
from transforms.recommend.candidates import SOURCES
from transforms.recommend.metrics import ACCURACY_METRICS, LIST_METRICS, grouped_metrics, recommender_metrics
from transforms.recommend.models import BLEND as BLEND
from transforms.recommend.models import BPR as BPR
from transforms.recommend.models import CATEGORY_POPULARITY as CATEGORY_POPULARITY
from transforms.recommend.models import MODELS, ModelInputs, fit_model, model_lists
from transforms.recommend.models import POPULARITY as POPULARITY
from transforms.recommend.models import SAR as SAR
from transforms.recommend.models import TRENDING_POPULARITY as TRENDING_POPULARITY
from transforms.recommend.seen_items import seen_pairs
from transforms.recommend.split import holdout_relevance, interactions_as_of, warm_relevance
from transforms.training_order import in_fixed_order
from transforms.vocabulary import LINEAR_SCALING

# The models of gold.recommendation_metrics: the models beside ALS (transforms.recommend.models), the chosen ALS
# configuration, the other ones, the blend.
OTHER_MODELS = MODELS
ALS = "als"
ALS_CANDIDATE = "als_candidate"
METRIC_COLUMNS = (C.EVALUATED_USERS, *ACCURACY_METRICS, *LIST_METRICS)
# The PARAMS key of an ALS row naming the engine that fitted it (regParam means something else to each).
ENGINE = "engine"
# User groups of gold.recommendation_metrics_by_group, in print order; WARM (the test users with training
# data) is the population of gold.recommendation_metrics and is only used to compute its rows.
ALL_USERS = "all"
WARM = "warm"
GROUPS = (ALL_USERS, NEW, LIGHT, HEAVY)


@dataclass(frozen=True)
class Split:
    """The evaluation data, persisted: training pairs, graded labels of the evaluated users, and what the
    baselines and the blend need.

    relevance and users are the test users with training data (gold.recommendation_metrics); labels and
    test_users every test user, groups their user groups (USER_ID, USER_GROUP: each user's own group, all,
    and warm for those with training data). seen holds the training pairs no model lists
    (`recommend.seen_items`).
    """

    train: DataFrame
    relevance: DataFrame
    users: DataFrame
    labels: DataFrame
    test_users: DataFrame
    groups: DataFrame
    daily: DataFrame
    popularity: DataFrame
    categories: DataFrame
    seen: DataFrame
    user_index: DataFrame
    item_index: DataFrame

    def unpersist(self) -> None:
        for frame in (
            self.train, self.relevance, self.users, self.labels, self.test_users, self.groups, self.popularity,
            self.categories, self.seen,
        ):  # fmt: skip
            frame.unpersist()


@dataclass(frozen=True)
class Evaluation:
    """One model's row of the metrics table."""

    model: str
    params: dict[str, str]
    metrics: dict[str, float]
    train_seconds: float | None
    # User group -> the metrics over every test user of the group (gold.recommendation_metrics_by_group).
    groups: dict[str, dict[str, float]] = field(default_factory=dict)


def grid_params(grid: AlsGrid) -> list[AlsParams]:
    """Every combination of `recommend.grid`, in a fixed order."""
    return [
        AlsParams(rank=r, reg_param=g, alpha=a, max_iter=i, scaling=s)
        for r, g, a, i, s in itertools.product(
            grid.rank, grid.reg_param, grid.alpha, grid.max_iter, grid.scaling
        )
    ]


def params_map(params: AlsParams, engine: str) -> dict[str, str]:
    """An ALS configuration and the engine that fitted it as the PARAMS map of its metrics row."""
    return {**{name: str(value) for name, value in asdict(params).items()}, ENGINE: engine}


def als_params(params: Mapping[str, str], source: str) -> AlsParams:
    """The ALS configuration of a metrics row's PARAMS map; an unusable map is an error naming `source`."""
    try:
        return AlsParams(
            rank=int(params["rank"]),
            reg_param=float(params["reg_param"]),
            alpha=float(params["alpha"]),
            max_iter=int(params["max_iter"]),
            scaling=confidence_scaling(params.get("scaling", LINEAR_SCALING)),
        )
    except (KeyError, ValueError) as exc:
        raise ValueError(f"{source} has unusable params {dict(params)}: {exc}") from exc


def chosen_configuration(
    metrics: DataFrame | None, run_date: dt.date, default: AlsParams
) -> tuple[AlsParams, str]:
    """The ALS configuration the latest evaluation on or before `run_date` chose (its ALS row of
    gold.recommendation_metrics, None when the table does not exist), or `default`; and where it came from."""
    if metrics is None:
        return default, "recommend.default_params (no evaluation yet)"
    latest = (
        metrics.where((F.col(C.MODEL) == F.lit(ALS)) & (F.col(C.RUN_DATE) <= F.lit(run_date)))
        .orderBy(F.col(C.RUN_DATE).desc())
        .select(C.PARAMS, C.RUN_DATE)
        .first()
    )
    if latest is None:
        return default, f"recommend.default_params (no evaluation on or before {run_date})"
    source = f"{tables.RECOMMENDATION_METRICS.name}: the {ALS} row of {latest[C.RUN_DATE]}"
    engine = latest[C.PARAMS].get(ENGINE)
    fitted_by = f" (engine {engine})" if engine else ""
    return als_params(latest[C.PARAMS], source), f"evaluation of {latest[C.RUN_DATE]}{fitted_by}"


def data_dates(daily: DataFrame) -> tuple[dt.date | None, dt.date | None]:
    """The first and last day gold.user_item_daily holds: one aggregate."""
    first, last = daily.agg(F.min(C.EVENT_DATE), F.max(C.EVENT_DATE)).first()
    return first, last


def split_problem(
    first: dt.date | None, last: dt.date | None, split_date: dt.date, run_date: dt.date
) -> str | None:
    """Why the daily table (holding `first`..`last`) cannot give this split, or None when it can."""
    daily = tables.USER_ITEM_DAILY.name
    if first is None:
        return f"{daily} is empty: run build_interactions first"
    if first > split_date:
        return (
            f"{daily} starts on {first}, after the split day {split_date}: nothing to train on "
            f"(lower recommend.test_days or choose a later --date)"
        )
    if last < run_date:
        return f"{daily} ends on {last}, before the run date {run_date}: run build_interactions for it"
    return None


def time_split(
    daily: DataFrame,
    user_index: DataFrame,
    item_index: DataFrame,
    events: DataFrame,
    rec: RecommendSettings,
    *,
    split_date: dt.date,
    run_date: dt.date,
    half_life_days: float,
    timezone: str,
) -> Split:
    """The split at `split_date` of a run through `run_date`, persisted (call `Split.unpersist`).

    Args:
        daily: gold.user_item_daily.
        user_index: gold.user_index; item_index: gold.item_index.
        events: silver.events (item categories).
        rec: `recommend` (grades, blend user groups, seen items).
        half_life_days: `interactions.half_life_days`; timezone: `app.timezone`.
    """
    user_index = user_index.select(C.USER_ID, C.USER_IDX)
    item_index = item_index.select(C.ITEM_ID, C.ITEM_IDX)
    keep = StorageLevel.MEMORY_AND_DISK
    train = (
        interactions_as_of(
            daily, user_index, item_index, as_of=split_date, half_life_days=half_life_days, timezone=timezone
        )
        .select(C.USER_ID, C.ITEM_ID, C.USER_IDX, C.ITEM_IDX, C.STRENGTH, C.ORDERS)
        .persist(keep)
    )
    labels = holdout_relevance(
        daily,
        after=split_date,
        through=run_date,
        purchase_grade=rec.purchase_grade,
        cart_add_grade=rec.cart_add_grade,
    ).persist(keep)
    relevance = warm_relevance(labels, train).persist(keep)
    users = relevance.select(C.USER_ID).distinct().persist(keep)
    test_users = labels.select(C.USER_ID).distinct().persist(keep)
    own_groups = user_groups(
        test_users,
        interacted_items(train.join(test_users, on=[C.USER_ID], how="left_semi")),
        new_user_interactions=rec.blend.new_user_interactions,
        heavy_user_interactions=rec.blend.heavy_user_interactions,
    ).select(C.USER_ID, C.USER_GROUP)
    groups = (
        own_groups.unionByName(test_users.select(C.USER_ID, F.lit(ALL_USERS).alias(C.USER_GROUP)))
        .unionByName(users.select(C.USER_ID, F.lit(WARM).alias(C.USER_GROUP)))
        .persist(keep)
    )
    categories = item_categories(events.where(F.col(C.EVENT_DATE) <= F.lit(run_date))).persist(keep)
    return Split(
        train=train,
        relevance=relevance,
        users=users,
        labels=labels,
        test_users=test_users,
        groups=groups,
        daily=daily.where(F.col(C.EVENT_DATE) <= F.lit(split_date)).select(
            C.USER_ID, C.ITEM_ID, C.STRENGTH, C.EVENT_DATE
        ),
        popularity=item_popularity(train).persist(keep),
        categories=categories,
        seen=seen_pairs(train, categories, rec.seen_items).persist(keep),
        user_index=user_index,
        item_index=item_index,
    )


def group_sizes(split: Split) -> dict[str, int]:
    """Test users per group (WARM included): a few rows collected."""
    return {row[C.USER_GROUP]: row["count"] for row in split.groups.groupBy(C.USER_GROUP).count().collect()}


def fit_on_split(split: Split, params: AlsParams, *, engine: str, seed: int, blocks: int) -> ALSModel:
    """ALS with `params` fitted by `engine` on the training pairs, so that the same configuration scores the
    same on a re-run: Spark reads them in a fixed layout; implicit's matrix is laid out by index whatever
    order they come in, so it reads the persisted pairs as they are and saves a shuffle per configuration."""
    pairs = split.train.select(C.USER_IDX, C.ITEM_IDX, C.STRENGTH)
    if engine != IMPLICIT_ENGINE:
        pairs = in_fixed_order(pairs, [C.USER_IDX, C.ITEM_IDX])
    return fit_als(pairs, engine=engine, seed=seed, blocks=blocks, **asdict(params))


def measure(lists: DataFrame, split: Split, k: int) -> dict[str, float]:
    """The metrics of one model's lists over the warm test users: one small row collected."""
    row = recommender_metrics(lists, split.relevance, split.popularity, k=k).first()
    return {name: row[name] for name in METRIC_COLUMNS}


def measure_groups(
    lists: Mapping[str, DataFrame], split: Split, k: int
) -> dict[str, dict[str, dict[str, float]]]:
    """Each model's metrics per user group, WARM included, in one pass: model -> group -> metrics (a few rows
    collected). A model that scored no warm user is an error naming it."""
    models = [
        frame.select(F.lit(model).alias(C.MODEL), C.USER_ID, C.RANK, C.ITEM_ID)
        for model, frame in lists.items()
    ]
    union = reduce(DataFrame.unionByName, models)
    rows = grouped_metrics(union, split.labels, split.popularity, split.groups, k=k, by=[C.MODEL]).collect()
    measured: dict[str, dict[str, dict[str, float]]] = {model: {} for model in lists}
    for row in rows:
        measured[row[C.MODEL]][row[C.USER_GROUP]] = {name: row[name] for name in METRIC_COLUMNS}
    unscored = [model for model, groups in measured.items() if WARM not in groups]
    if unscored:
        raise ValueError(f"{unscored}: no test user with training data was scored")
    return measured


def best_candidate(candidates: Sequence[Evaluation]) -> int:
    """The position of the best NDCG@k; the first of equal scores wins, so the choice does not depend on float
    noise in sorting."""
    return max(range(len(candidates)), key=lambda i: candidates[i].metrics[C.NDCG_AT_K] or 0.0)


def scored_models(
    measured: Mapping[str, Mapping[str, Mapping[str, float]]],
    best: Evaluation,
    params: Mapping[str, dict[str, str]],
    train_seconds: Mapping[str, float] | None = None,
) -> list[Evaluation]:
    """The other models (those of OTHER_MODELS that were measured), the chosen ALS configuration and the blend,
    each with its metrics over the warm users and per group (`measure_groups` output): the models of
    gold.recommendation_metrics_by_group, in print order, ALS and the blend last. The chosen configuration
    keeps the metrics of `best`, the ones the choice was made on.

    Args:
        params: Model -> its settings (the PARAMS of its row) for the other models and the blend.
        train_seconds: Model -> its fit's seconds, for the other models that are fitted (BPR).
    """
    seconds = train_seconds or {}
    others = [
        Evaluation(
            name, params.get(name, {}), dict(measured[name][WARM]), seconds.get(name), _groups(measured[name])
        )
        for name in OTHER_MODELS
        if name in measured
    ]
    chosen = Evaluation(ALS, best.params, best.metrics, best.train_seconds, _groups(measured[ALS]))
    blend = Evaluation(BLEND, params[BLEND], dict(measured[BLEND][WARM]), None, _groups(measured[BLEND]))
    return [*others, chosen, blend]


def _groups(measured: Mapping[str, Mapping[str, float]]) -> dict[str, dict[str, float]]:
    return {group: dict(metrics) for group, metrics in measured.items()}


def model_inputs(
    split: Split, split_date: dt.date, fitted: Mapping[str, ALSModel] | None = None
) -> ModelInputs:
    """What the models beside ALS read (transforms.recommend.models): the training part as of the split day,
    and the `fitted` models (`fit_other_model`) by name."""
    return ModelInputs(
        interactions=split.train,
        popularity=split.popularity,
        daily=split.daily,
        categories=split.categories,
        seen=split.seen,
        user_index=split.user_index,
        item_index=split.item_index,
        as_of=split_date,
        fitted=dict(fitted or {}),
    )


def fit_other_model(split: Split, rec: RecommendSettings, split_date: dt.date, model: str) -> ALSModel | None:
    """One of OTHER_MODELS fitted on the training part when it is fitted before it lists (BPR), else None."""
    return fit_model(model, model_inputs(split, split_date), rec)


def other_model_lists(
    split: Split,
    rec: RecommendSettings,
    split_date: dt.date,
    models: Sequence[str] = OTHER_MODELS,
    fitted: Mapping[str, ALSModel] | None = None,
) -> dict[str, DataFrame]:
    """The lists of `models` (of OTHER_MODELS, transforms.recommend.models) for every test user, as of the
    split day from the training part, without the user's seen pairs; a model of `fitted` lists from its
    fitted model (`fit_other_model`), the others are fitted here if they need it."""
    inputs = model_inputs(split, split_date, fitted)
    return {model: model_lists(model, inputs, split.test_users, rec, rec.k) for model in models}


def partners_as_of(
    order_items: DataFrame, orders: DataFrame, graph: GraphSettings, as_of: dt.date
) -> DataFrame:
    """gold.bought_together as build_copurchase_graph would have written it on `as_of`: from the silver orders
    placed through that day only (their status is today's: a later refund still counts, as in the graph job).

    Returns:
        PARTNER_COLUMNS: ITEM_ID, PARTNER_ID, CONFIDENCE.
    """
    first_date = as_of - dt.timedelta(days=graph.lookback_days - 1)
    lines = purchased_lines(order_items, orders, graph.order_statuses, first_date, as_of)
    edges = copurchase_edges(
        lines, graph.same_user_window_days, graph.min_support, graph.min_lift, graph.lift_prior_strength
    )
    return bought_together(edges, graph.bought_together_top_n).select(*PARTNER_COLUMNS)


def blend_params(
    blend: BlendSettings, seen_items: SeenItemsSettings, segments_date: dt.date | None
) -> dict[str, str]:
    """The blend's settings (`recommend.blend`, `recommend.seen_items`) and segment snapshot as the params of
    its metrics row."""
    params = {f"weight.{s}": str(blend.weights[s]) for s in SOURCES}
    params.update({f"cold_start_weight.{s}": str(blend.cold_start_weights[s]) for s in SOURCES})
    params.update(
        {
            "cold_start_interactions": str(blend.cold_start_interactions),
            "candidates_per_source": str(blend.candidates_per_source),
            "recent_days": str(blend.recent_days),
            "seen_items": seen_items.exclude,
            "repeat_purchase_categories": ",".join(seen_items.repeat_purchase_categories),
            "segments_date": str(segments_date),
        }
    )
    return params


def blend_on_split(
    split: Split,
    als_lists: DataFrame,
    partners: DataFrame,
    segments: DataFrame,
    rec: RecommendSettings,
    split_date: dt.date,
) -> DataFrame:
    """The hybrid blend's lists as of the split day for every test user, from the training data only
    (persisted: unpersist them).

    Args:
        als_lists: The chosen ALS model's lists (fitted on the training part) for the test users, at least
            recommend.blend.candidates_per_source deep.
        partners: PARTNER_COLUMNS as of the split day (`partners_as_of`).
        segments: SEGMENT_COLUMNS of the latest segment snapshot on or before the split day.
    """
    inputs = BlendInputs(
        users=split.test_users,
        interactions=split.train,
        daily=split.daily,
        als=als_lists,
        partners=partners,
        segments=segments,
        categories=split.categories,
        seen=split.seen,
    )
    # Lists (and each source's offer) at least k long, so a smaller configured top_n does not cut what is scored.
    blend = rec.blend
    settings = replace(
        blend, top_n=max(blend.top_n, rec.k), candidates_per_source=max(blend.candidates_per_source, rec.k)
    )
    return hybrid_recommendations(
        inputs, settings, as_of=split_date, preferred_categories_per_user=rec.preferred_categories
    ).persist(StorageLevel.MEMORY_AND_DISK)
