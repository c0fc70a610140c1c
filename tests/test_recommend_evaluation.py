"""The pieces of the recommender evaluation and of the ALS training data outside Spark ML: which matrix a run date
trains on, the configuration train_als takes from the evaluation, the split's preconditions, the choice among
the grid, the metrics rows and MLflow names, and who gets a blended list."""

from __future__ import annotations

import datetime as dt

import pytest
from chispa import assert_df_equality
from pyspark.ml.feature import StringIndexer

from shop_platform.settings import AlsGrid, AlsParams
from transforms import columns as C
from transforms import tables
from transforms.recommend.als import als_model
from transforms.recommend.blend import known_users, source_counts
from transforms.recommend.evaluation import (
    ALL_USERS,
    ALS,
    ALS_CANDIDATE,
    BLEND,
    BPR,
    CATEGORY_POPULARITY,
    METRIC_COLUMNS,
    POPULARITY,
    SAR,
    TRENDING_POPULARITY,
    WARM,
    Evaluation,
    best_candidate,
    chosen_configuration,
    grid_params,
    scored_models,
    split_problem,
)
from transforms.recommend.evaluation_table import (
    mlflow_metrics,
    model_group_rows,
    model_rows,
    table_rows,
    tracked_metrics,
)
from transforms.recommend.matrix import matrix_on, matrix_problem, matrix_sources
from transforms.recommend.split import interactions_as_of
from transforms.schemas import (
    GOLD_RECOMMENDATION_METRICS_BY_GROUP_SCHEMA,
    GOLD_RECOMMENDATION_METRICS_SCHEMA,
    GOLD_USER_ITEM_DAILY_SCHEMA,
)

D = dt.date(2026, 10, 30)
DEFAULT = AlsParams(rank=8, reg_param=0.1, alpha=10.0, max_iter=10)


def test_the_matrix_of_its_date_is_read_as_stored_and_an_older_date_is_rebuilt_from_the_daily_table(spark):
    assert matrix_problem(D, D) is None and matrix_problem(D, D - dt.timedelta(days=1)) is None
    assert matrix_problem(None, D) == (
        "gold.user_item_interactions is as of None, before 2026-10-30: run build_interactions for the run date"
    )
    assert "is as of 2026-10-29, before 2026-10-30" in matrix_problem(D - dt.timedelta(days=1), D)
    assert matrix_sources(D, D) == (tables.USER_ITEM_INTERACTIONS, tables.USER_INDEX, tables.ITEM_INDEX)
    older = D - dt.timedelta(days=1)
    assert matrix_sources(D, older) == (tables.USER_ITEM_DAILY, tables.USER_INDEX, tables.ITEM_INDEX)

    stored = spark.createDataFrame([], tables.USER_ITEM_INTERACTIONS.schema)
    assert (
        matrix_on(D, {tables.USER_ITEM_INTERACTIONS.name: stored}, half_life_days=30, timezone="UTC")
        is stored
    )
    names = GOLD_USER_ITEM_DAILY_SCHEMA.fieldNames()
    day = {C.USER_ID: "u1", C.ITEM_ID: "i1", C.EVENT_DATE: older, C.PAGE_VIEWS: 2, C.STRENGTH: 2.0}
    daily = spark.createDataFrame([tuple(day.get(n) for n in names)], GOLD_USER_ITEM_DAILY_SCHEMA)
    users = spark.createDataFrame([("u1", 0, older)], tables.USER_INDEX.schema)
    items = spark.createDataFrame([("i1", 0, older)], tables.ITEM_INDEX.schema)
    sources = {
        tables.USER_ITEM_DAILY.name: daily,
        tables.USER_INDEX.name: users,
        tables.ITEM_INDEX.name: items,
    }
    rebuilt = matrix_on(older, sources, half_life_days=30, timezone="UTC")
    expected = interactions_as_of(daily, users, items, as_of=older, half_life_days=30, timezone="UTC")
    assert_df_equality(rebuilt, expected, ignore_row_order=True)
    assert rebuilt.first()[C.AS_OF_DATE] == older


def metrics_table(spark, rows):
    names = GOLD_RECOMMENDATION_METRICS_SCHEMA.fieldNames()
    return spark.createDataFrame(
        [tuple({C.MODEL: m, C.PARAMS: p, C.RUN_DATE: d}.get(n) for n in names) for m, p, d in rows],
        GOLD_RECOMMENDATION_METRICS_SCHEMA,
    )


def test_train_als_takes_the_configuration_of_the_latest_evaluation_on_or_before_its_date(spark):
    assert chosen_configuration(None, D, DEFAULT) == (DEFAULT, "recommend.default_params (no evaluation yet)")
    params = {"rank": "4", "reg_param": "0.05", "alpha": "5.0", "max_iter": "7"}
    rows = [
        (ALS, {**params, "rank": "2"}, D - dt.timedelta(days=7)),
        (ALS, params, D - dt.timedelta(days=1)),
        (ALS_CANDIDATE, {**params, "rank": "16"}, D),  # not the chosen one
        (ALS, {**params, "rank": "32"}, D + dt.timedelta(days=1)),  # after the date
    ]
    chosen, source = chosen_configuration(metrics_table(spark, rows), D, DEFAULT)
    # A row written before the confidence scaling was a setting fitted linear.
    assert chosen == AlsParams(rank=4, reg_param=0.05, alpha=5.0, max_iter=7, scaling="linear")
    assert source == "evaluation of 2026-10-29"
    logged = metrics_table(spark, [(ALS, {**params, "scaling": "log"}, D)])
    assert chosen_configuration(logged, D, DEFAULT)[0].scaling == "log"
    fitted_by = [(ALS, {**params, "engine": "implicit"}, D)]
    assert chosen_configuration(metrics_table(spark, fitted_by), D, DEFAULT) == (
        chosen,
        "evaluation of 2026-10-30 (engine implicit)",
    )
    early = D - dt.timedelta(days=30)
    assert chosen_configuration(metrics_table(spark, rows), early, DEFAULT) == (
        DEFAULT,
        f"recommend.default_params (no evaluation on or before {early})",
    )
    broken = metrics_table(spark, [(ALS, {"rank": "four"}, D)])
    with pytest.raises(
        ValueError, match=r"gold.recommendation_metrics: the als row of 2026-10-30 has unusable"
    ):
        chosen_configuration(broken, D, DEFAULT)
    squared = metrics_table(spark, [(ALS, {**params, "scaling": "square"}, D)])
    with pytest.raises(ValueError, match=r"unknown confidence scaling 'square': one of linear, log"):
        chosen_configuration(squared, D, DEFAULT)


def test_the_split_needs_training_days_before_it_and_test_days_through_the_run_date():
    split = D - dt.timedelta(days=7)
    assert (
        split_problem(None, None, split, D) == "gold.user_item_daily is empty: run build_interactions first"
    )
    assert "starts on 2026-10-25, after the split day 2026-10-23" in split_problem(
        dt.date(2026, 10, 25), D, split, D
    )
    assert split_problem(dt.date(2026, 10, 1), dt.date(2026, 10, 29), split, D) == (
        "gold.user_item_daily ends on 2026-10-29, before the run date 2026-10-30: run build_interactions for it"
    )
    assert split_problem(dt.date(2026, 10, 1), D, split, D) is None


def evaluation(model, ndcg, groups=None, params=None, seconds=None):
    metrics = {C.EVALUATED_USERS: 3, C.NDCG_AT_K: ndcg, C.NOVELTY: None}
    return Evaluation(model, params or {}, metrics, seconds, groups or {})


def test_the_grid_is_searched_in_a_fixed_order_and_the_first_of_equal_scores_wins():
    params = grid_params(
        AlsGrid(rank=[2, 4], reg_param=[0.1], alpha=[1.0, 5.0], max_iter=[3], scaling=["linear", "log"])
    )
    assert [(p.rank, p.alpha, p.scaling) for p in params] == [
        (rank, alpha, scaling) for rank in (2, 4) for alpha in (1.0, 5.0) for scaling in ("linear", "log")
    ]
    candidates = [
        evaluation(ALS_CANDIDATE, 0.2),
        evaluation(ALS_CANDIDATE, 0.3),
        evaluation(ALS_CANDIDATE, 0.3),
    ]
    assert best_candidate(candidates) == 1
    assert best_candidate([evaluation(ALS_CANDIDATE, None), evaluation(ALS_CANDIDATE, 0.0)]) == 0


def test_scored_models_keep_the_chosen_configurations_own_metrics_and_group_rows_follow_the_group_order():
    def measured(ndcg):
        return {g: {C.EVALUATED_USERS: 3, C.NDCG_AT_K: ndcg} for g in (WARM, "heavy", ALL_USERS, "new")}

    best = evaluation(ALS_CANDIDATE, 0.4, params={"rank": "2"}, seconds=1.5)
    found = {
        POPULARITY: measured(0.1),
        CATEGORY_POPULARITY: measured(0.2),
        TRENDING_POPULARITY: measured(0.25),
        SAR: measured(0.3),
        ALS: measured(0.35),
        BLEND: measured(0.5),
    }
    params = {SAR: {"neighbours": "5"}, BLEND: {"weight.als": "1.0"}}
    models = scored_models(found, best, params)
    assert [m.model for m in models] == [
        POPULARITY,
        CATEGORY_POPULARITY,
        TRENDING_POPULARITY,
        SAR,
        ALS,
        BLEND,
    ]
    assert (models[3].params, models[2].params) == ({"neighbours": "5"}, {})
    chosen, blend = models[-2:]
    assert (chosen.metrics[C.NDCG_AT_K], chosen.params, chosen.train_seconds) == (0.4, {"rank": "2"}, 1.5)
    assert chosen.groups[ALL_USERS][C.NDCG_AT_K] == 0.35
    assert (blend.metrics[C.NDCG_AT_K], blend.params, blend.train_seconds) == (
        0.5,
        {"weight.als": "1.0"},
        None,
    )
    # Warm is the population of gold.recommendation_metrics only; the group rows go all, new, light, heavy.
    assert [(r[C.MODEL], r[C.USER_GROUP]) for r in model_group_rows(models[:1])] == [
        (POPULARITY, ALL_USERS),
        (POPULARITY, "new"),
        (POPULARITY, "heavy"),
    ]
    assert model_rows(models[4:5]) == [
        {
            C.MODEL: ALS,
            C.PARAMS: {"rank": "2"},
            C.EVALUATED_USERS: 3,
            C.NDCG_AT_K: 0.4,
            C.NOVELTY: None,
            C.TRAIN_SECONDS: 1.5,
        }
    ]
    logged = tracked_metrics(models[5:], k=5)
    assert logged["blend.ndcg_at_5"] == 0.5 and logged["blend.new.ndcg_at_5"] == 0.5
    assert not any(".warm." in name for name in logged)


def test_scored_models_leave_out_the_models_not_measured_and_keep_the_fitted_ones_train_seconds():
    # BPR is fitted before it lists (its fit is timed); the item-to-item model only counts; popularity and the
    # others were left out (as BPR is on a cluster).
    found = {
        name: {g: {C.EVALUATED_USERS: 3, C.NDCG_AT_K: 0.1} for g in (WARM, ALL_USERS)}
        for name in (SAR, BPR, ALS, BLEND)
    }
    best = evaluation(ALS_CANDIDATE, 0.4, params={"rank": "2"}, seconds=1.5)
    models = scored_models(found, best, {BLEND: {}}, {BPR: 2.5})
    assert [(m.model, m.train_seconds) for m in models] == [
        (SAR, None),
        (BPR, 2.5),
        (ALS, 1.5),
        (BLEND, None),
    ]
    assert model_rows(models[1:2])[0][C.TRAIN_SECONDS] == 2.5


def test_rows_carry_the_split_columns_in_schema_order_and_mlflow_names_spell_out_k():
    row = {C.MODEL: BLEND, C.USER_GROUP: "new", **dict.fromkeys(METRIC_COLUMNS, 1), C.PRECISION_AT_K: None}
    (values,) = table_rows(
        GOLD_RECOMMENDATION_METRICS_BY_GROUP_SCHEMA, [row], split_date=D, test_days=7, k=10, run_date=D
    )
    by_name = dict(zip(GOLD_RECOMMENDATION_METRICS_BY_GROUP_SCHEMA.fieldNames(), values, strict=True))
    assert (by_name[C.MODEL], by_name[C.SPLIT_DATE], by_name[C.TEST_DAYS], by_name[C.K]) == (BLEND, D, 7, 10)
    assert by_name[C.PRECISION_AT_K] is None
    assert mlflow_metrics({C.NDCG_AT_K: 0.25, C.NOVELTY: None, C.HIT_RATE: 1}, 10, prefix="als.") == {
        "als.ndcg_at_10": 0.25,
        "als.hit_rate": 1.0,
    }


def test_known_users_are_the_indexed_ones_first_seen_by_the_date_and_the_registered_ones(spark):
    index = spark.createDataFrame(
        [("a", 0, D), ("b", 1, D + dt.timedelta(days=1)), ("c", 2, D - dt.timedelta(days=3))],
        tables.USER_INDEX.schema,
    )
    registered = spark.createDataFrame([("r",), ("a",)], f"{C.USER_ID} string")
    expected = spark.createDataFrame([("a",), ("c",), ("r",)], f"{C.USER_ID} string")
    assert_df_equality(
        known_users(index, registered, D), expected, ignore_row_order=True, ignore_nullable=True
    )
    assert_df_equality(
        known_users(index, None, D),
        expected.where(f"{C.USER_ID} != 'r'"),
        ignore_row_order=True,
        ignore_nullable=True,
    )


def test_source_counts_give_users_with_a_list_and_rows_per_source(spark):
    lists = spark.createDataFrame(
        [("a", "als"), ("a", "copurchase"), ("b", "als")], f"{C.USER_ID} string, {C.SOURCE} string"
    )
    counts = source_counts(lists).first()
    assert (counts[C.USERS], counts["als"], counts["copurchase"], counts["global_popular"]) == (2, 2, 1, 0)


def test_a_registered_model_that_is_not_als_is_refused_by_its_stages(spark):
    model = StringIndexer(inputCol="x", outputCol="y").fit(spark.createDataFrame([("a",)], "x string"))
    with pytest.raises(TypeError, match=r"not an ALS model: \['StringIndexerModel'\]"):
        als_model(model)
