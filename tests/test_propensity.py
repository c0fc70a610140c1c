"""The propensity model's pieces: label windows and the time split, the point-in-time inputs, preprocessing of
nulls and categories, top-decile metrics and calibration, scores and churn-risk bands."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest
from chispa import assert_approx_df_equality, assert_df_equality
from mlflow.entities.model_registry import ModelVersion, ModelVersionTag
from pyspark.ml import Pipeline
from pyspark.ml.functions import vector_to_array

from shop_platform.catalogs import Category, Tag, TagCatalog
from shop_platform.config import load_config
from shop_platform.tracking import TRAINING_SETTINGS_TAG, reusable_version, settings_digest
from transforms import columns as C
from transforms.propensity.dataset import (
    FeatureSpec,
    TagFeature,
    all_null_inputs,
    expression_refusals,
    model_inputs,
    spec_problems,
)
from transforms.propensity.evaluation import area_under_roc, calibration_table, summary_metrics, with_deciles
from transforms.propensity.labels import (
    TimeSplit,
    history_problem,
    one_class_problem,
    role_counts,
    snapshot_counts,
    time_split,
    with_purchase_label,
)
from transforms.propensity.model import (
    FEATURES_VECTOR,
    GBT,
    LOGISTIC_REGRESSION,
    preprocessing,
    propensity_pipeline,
    scored,
)
from transforms.propensity.scoring import propensity_rows, propensity_tag_values
from transforms.propensity.search import (
    SUMMARY_COLUMNS,
    Candidate,
    Evaluation,
    fit_candidate,
    metrics_rows,
    prepare_training,
    training_settings,
)
from transforms.schemas import GOLD_PROPENSITY_METRICS_SCHEMA, GOLD_USER_FEATURES_SCHEMA, SILVER_ORDERS_SCHEMA
from transforms.training_order import in_fixed_order

T = dt.date(2026, 9, 1)


def day(n: int) -> dt.date:
    return T + dt.timedelta(days=n)


def test_time_split_validates_one_horizon_back_and_trains_before_its_labels_start():
    split = time_split(dt.date(2026, 10, 30), horizon_days=7, train_snapshots=2, step_days=7)
    assert split == TimeSplit(train_dates=(dt.date(2026, 10, 9), dt.date(2026, 10, 16)),
                              validation_date=dt.date(2026, 10, 23))  # fmt: skip
    production = time_split(dt.date(2026, 12, 31), horizon_days=30, train_snapshots=1, step_days=7)
    assert production.dates == (dt.date(2026, 11, 1), dt.date(2026, 12, 1))


def test_history_problem_tells_a_young_lake_from_a_gap():
    p = load_config("local", ["propensity.horizon_days=7"]).propensity
    split = time_split(dt.date(2026, 10, 30), 7, 2, 7)  # 10-09, 10-16, 10-23
    every_day = [dt.date(2026, 10, 1) + dt.timedelta(days=n) for n in range(30)]
    assert history_problem(every_day, split, dt.date(2026, 10, 30), p) is None
    young, message = history_problem(every_day[12:], split, dt.date(2026, 10, 30), p)  # starts 10-13
    assert (
        young
        and "missing 2026-10-09" in message
        and "first run date with enough history is 2026-11-03" in message
    )
    gap = [d for d in every_day if d != dt.date(2026, 10, 16)]
    young, message = history_problem(gap, split, dt.date(2026, 10, 30), p)
    assert not young and "no snapshot for 2026-10-16" in message


def order(user: str, order_date: dt.date, paid: bool = True) -> tuple:
    row = dict.fromkeys(SILVER_ORDERS_SCHEMA.fieldNames())
    paid_at = dt.datetime.combine(order_date, dt.time(12)) if paid else None
    row.update(
        {C.ORDER_ID: f"{user}-{order_date}", C.USER_ID: user, C.ORDER_DATE: order_date, C.PAID_TIME: paid_at}
    )
    return tuple(row.values())


def test_label_counts_paid_orders_after_the_snapshot_through_the_horizon(spark):
    orders = spark.createDataFrame(
        [
            order("on_t", day(0)),  # already in T's features
            order("last_day", day(30)),
            order("day_after", day(31)),  # in the window of T + 1 only
            order("unpaid", day(5), paid=False),
            order("twice", day(1)),
            order("twice", day(2)),
            order("stranger", day(3)),  # not a user of the snapshots
        ],
        SILVER_ORDERS_SCHEMA,
    )
    users = ["on_t", "last_day", "day_after", "unpaid", "twice", "never"]
    dataset = spark.createDataFrame(
        [(u, d) for d in (day(0), day(1)) for u in users], f"{C.USER_ID} string, {C.SNAPSHOT_DATE} date"
    )
    labelled = with_purchase_label(dataset, orders, horizon_days=30)
    bought = {(day(0), u) for u in ("last_day", "twice")} | {
        (day(1), u) for u in ("last_day", "day_after", "twice")
    }
    expected = spark.createDataFrame(
        [(u, d, 1.0 if (d, u) in bought else 0.0) for d in (day(0), day(1)) for u in users],
        f"{C.USER_ID} string, {C.SNAPSHOT_DATE} date, {C.PURCHASED} double",
    )
    assert_df_equality(labelled, expected, ignore_row_order=True, ignore_nullable=True)


def feature_rows(spark, rows: list[dict]):
    names = GOLD_USER_FEATURES_SCHEMA.fieldNames()
    return spark.createDataFrame([tuple(r.get(n) for n in names) for r in rows], GOLD_USER_FEATURES_SCHEMA)


TOP_SPENDER = "CASE WHEN percent_rank() OVER (ORDER BY paid_gmv_90d) >= 0.5 THEN 'top' ELSE 'rest' END"
SPEC = FeatureSpec(
    numeric=("orders_30d",),
    log1p=(),
    tags=(TagFeature("buyer", "boolean", "orders_30d > 0"), TagFeature("spender", "enum", TOP_SPENDER)),
)


def test_inputs_read_only_the_snapshot_dates_and_rank_tags_within_each(spark):
    def row(user, snapshot, orders, gmv):
        return {"user_id": user, "snapshot_date": snapshot, "orders_30d": orders, "paid_gmv_90d": gmv}

    features = feature_rows(
        spark,
        [
            row("a", day(-1), 9, 1.0),  # the day before: not read
            row("a", day(0), 0, 10.0),
            row("b", day(0), 2, 20.0),
            row("c", day(0), None, 15.0),
            row("d", day(1), 7, 1.0),
            row("e", day(1), 1, 2.0),
            row("b", day(2), 5, 1000.0),  # the day after: neither read nor ranked against
        ],
    )
    actual = model_inputs(features, SPEC, [day(0), day(1)])
    # Ranked within their own date: a 0, c 0.5, b 1 on T; d 0, e 1 on T + 1. Ranked across both dates
    # e (0.25) would be 'rest' and a (0.5) 'top'.
    expected = spark.createDataFrame(
        [
            ("a", day(0), 0.0, 0.0, "rest"),
            ("b", day(0), 2.0, 1.0, "top"),
            ("c", day(0), None, None, "top"),
            ("d", day(1), 7.0, 1.0, "rest"),
            ("e", day(1), 1.0, 1.0, "top"),
        ],
        "user_id string, snapshot_date date, orders_30d double, tag__buyer double, tag__spender string",
    )
    assert_df_equality(actual, expected, ignore_row_order=True, ignore_nullable=True)


def test_spec_round_trips_and_bad_inputs_are_named():
    assert FeatureSpec.from_json(SPEC.to_json()) == SPEC
    category = Category("prediction", "预测", "Prediction", ("churn",))
    common = {"name_zh": "标", "name_en": "T", "description": "d", "category": "prediction",
              "subcategory": "churn", "kind": "predicted", "owner": "t"}  # fmt: skip
    catalog = TagCatalog(
        (category,),
        (
            Tag(id="ok", value_type="boolean", expression="orders_30d > 0", **common),
            Tag(id="stage", value_type="enum", builtin="lifecycle_stage", values=("new",), **common),
            Tag(id="cats", value_type="list", expression="top_categories", **common),
            Tag(id="churn_risk", value_type="enum", builtin="churn_risk", values=("low",), **common),
        ),
    )
    problems = spec_problems(
        GOLD_USER_FEATURES_SCHEMA,
        ["orders_30d", "gender", "nope"],
        ["orders_30d", "visits_7d"],
        ["ok", "stage", "cats", "churn_risk", "missing"],
        catalog,
    )
    assert problems == [
        "feature 'gender' is string, not numeric",
        "feature 'nope' is not a gold.user_features column",
        "log1p feature 'visits_7d' is not among the numeric features",
        "tag 'stage' is the builtin 'lifecycle_stage', which needs other tables; use its inputs as features",
        "tag 'cats' is a list tag; inputs are boolean, enum, number tags",
        "tag 'churn_risk' holds the model's own score and cannot be an input",
        "tag 'missing' is not in the tag catalog",
    ]


def test_a_model_spec_reading_a_disallowed_tag_expression_is_refused_naming_the_tag(spark):
    """A registered model carries its own copy of the tag expressions: scoring checks them again."""
    spec = FeatureSpec(
        numeric=("orders_30d",),
        log1p=(),
        tags=(
            TagFeature("ok", "boolean", "percent_rank() OVER (ORDER BY orders_30d) >= 0.5"),
            TagFeature("salt", "enum", "java_method('java.lang.System', 'getenv', 'SHOP_PII_SALT')"),
            TagFeature("broken", "number", "orders_30d +"),
        ),
    )
    problems = expression_refusals(spark, spec)
    assert len(problems) == 2, problems
    assert problems[0].startswith("tag 'salt': calls java_method, not allowed in tag expressions")
    assert problems[1].startswith("tag 'broken': expression does not parse")


def test_a_rerun_reuses_the_newest_version_of_its_date_trained_with_the_same_settings():
    settings = load_config("local", []).propensity
    spec = FeatureSpec(numeric=("orders_30d",), log1p=(), tags=())
    same = training_settings(settings, spec)
    other = training_settings(replace(settings, seed=7), spec)
    run_date = dt.date(2026, 10, 30)

    def version(number: int, day: dt.date, trained_with: str) -> ModelVersion:
        tags = [
            ModelVersionTag("run_date", day.isoformat()),
            ModelVersionTag(TRAINING_SETTINGS_TAG, settings_digest(trained_with)),
        ]
        return ModelVersion("m", str(number), 0, tags=tags)

    versions = [version(1, run_date, same), version(2, run_date, same), version(3, run_date, other),
                version(4, run_date + dt.timedelta(days=1), same)]  # fmt: skip

    def reusable(day: dt.date, trained_with: str) -> ModelVersion | None:
        return reusable_version(versions, day, TRAINING_SETTINGS_TAG, settings_digest(trained_with))

    assert reusable(run_date, same).version == "2"
    assert reusable(run_date, training_settings(settings, spec.without(["orders_30d"]))) is None
    assert reusable(run_date - dt.timedelta(days=1), same) is None


def test_preprocessing_flags_and_imputes_nulls_and_keeps_unseen_categories(spark):
    spec = FeatureSpec(numeric=("x",), log1p=("x",), tags=(TagFeature("kind", "enum", "'unused'"),))
    schema = "x double, tag__kind string"
    train = spark.createDataFrame([(0.0, "a"), (1.0, "a"), (3.0, "b"), (None, None)], schema)
    model = Pipeline(stages=preprocessing(spec, "median")).fit(train)
    score = spark.createDataFrame([(None, "a"), (7.0, None), (1.0, "z")], schema)
    vectors = [r[0] for r in model.transform(score).select(vector_to_array(FEATURES_VECTOR)).collect()]
    # [x missing, log1p(x) or the training median log1p(1) = 0.693, one-hot a / b / missing (by frequency, then
    # alphabetically) / a value unseen in training]
    assert vectors[0] == pytest.approx([1.0, 0.6931472, 1.0, 0.0, 0.0, 0.0], abs=1e-6)
    assert vectors[1] == pytest.approx([0.0, 2.0794415, 0.0, 0.0, 1.0, 0.0], abs=1e-6)
    assert vectors[2] == pytest.approx([0.0, 0.6931472, 0.0, 0.0, 0.0, 1.0], abs=1e-6)


def scored_rows(spark, rows: list[tuple[str, float, float]]):
    return spark.createDataFrame(
        [(u, T, s, y) for u, s, y in rows],
        f"{C.USER_ID} string, {C.SNAPSHOT_DATE} date, {C.SCORE} double, {C.PURCHASED} double",
    )


# 20 users, scores 1.0, 0.95, ..., 0.05; purchasers ranked 1, 3, 4, 11 and 20.
TWENTY = [(f"u{i:02d}", (20 - i) / 20, 1.0 if i in (0, 2, 3, 10, 19) else 0.0) for i in range(20)]


def test_top_decile_auc_brier_and_calibration_by_hand(spark):
    deciled = with_deciles(scored_rows(spark, TWENTY))
    summary = summary_metrics(deciled).first().asDict()
    brier = sum((s - y) ** 2 for _, s, y in TWENTY) / 20
    assert summary == {
        C.EVALUATED_USERS: 20,
        C.POSITIVES: 5,
        C.BASE_RATE: pytest.approx(0.25),
        C.PRECISION_TOP_DECILE: pytest.approx(0.5),  # u00 bought, u01 did not
        C.RECALL_TOP_DECILE: pytest.approx(0.2),  # 1 of 5 purchasers
        C.LIFT_TOP_DECILE: pytest.approx(2.0),
        C.BRIER_SCORE: pytest.approx(brier),
    }
    # Each purchaser outranks the non-purchasers below it: (15 + 14 + 14 + 8 + 0) / (5 * 15).
    assert area_under_roc(deciled) == pytest.approx(51 / 75)
    # Decile d holds u(2d-2) and u(2d-1), scores (22 - 2d) / 20 and (21 - 2d) / 20.
    calibration = calibration_table(deciled)
    positives = {1: 1, 2: 2, 6: 1, 10: 1}
    expected = spark.createDataFrame(
        [
            (
                d,
                2,
                positives.get(d, 0),
                (43 - 4 * d) / 40,
                positives.get(d, 0) / 2,
                (21 - 2 * d) / 20,
                (22 - 2 * d) / 20,
            )
            for d in range(1, 11)
        ],
        calibration.schema,
    )
    assert_approx_df_equality(calibration, expected, precision=1e-9, ignore_nullable=True)


def test_deciles_of_25_users_and_ties_broken_by_user_id(spark):
    rows = [(f"u{i:02d}", 1.0 - i / 25, 0.0) for i in range(25)]
    rows[1], rows[2] = ("z", 0.86, 1.0), ("a", 0.86, 0.0)  # equal scores, between u03 (0.88) and u04 (0.84)
    deciled = with_deciles(scored_rows(spark, rows))
    sizes = {r[C.DECILE]: r["count"] for r in deciled.groupBy(C.DECILE).count().collect()}
    # floor((rank - 1) * 10 / 25) + 1: the top decile is ceil(25 / 10) = 3 users.
    assert sizes == dict(zip(range(1, 11), [3, 2, 3, 2, 3, 2, 3, 2, 3, 2], strict=True))
    by_user = {r[C.USER_ID]: r[C.DECILE] for r in deciled.collect()}
    # u00, u03, then a (rank 3: the top decile) and z (rank 4: the second).
    assert (by_user["a"], by_user["z"]) == (1, 2)


def test_scores_become_churn_risk_and_bands_that_include_their_cut_offs(spark):
    scored = spark.createDataFrame(
        [("a", T, 0.95), ("b", T, 0.25), ("c", T, 0.05), ("d", T, None)],
        f"{C.USER_ID} string, {C.SNAPSHOT_DATE} date, {C.SCORE} double",
    )
    rows = propensity_rows(scored, model_version=4)
    expected = spark.createDataFrame(
        [("a", 0.95, 0.05, 4, T), ("b", 0.25, 0.75, 4, T), ("c", 0.05, 0.95, 4, T), ("d", None, None, 4, T)],
        rows.schema,
    )
    assert_approx_df_equality(rows, expected, precision=1e-12, ignore_row_order=True)
    # 1 - 0.25 = 0.75 and 1 - 0.05 = 0.95 exactly in binary floating point: each sits on a cut-off.
    bands = propensity_tag_values(rows, medium=0.75, high=0.95)
    expected_bands = spark.createDataFrame(
        [("a", 0.95, "low"), ("b", 0.25, "medium"), ("c", 0.05, "high"), ("d", None, None)],
        f"{C.USER_ID} string, {C.PURCHASE_PROPENSITY} double, {C.CHURN_RISK_BAND} string",
    )
    assert_df_equality(bands, expected_bands, ignore_row_order=True, ignore_nullable=True)


def test_class_counts_per_snapshot_and_role_and_a_split_with_one_class_is_refused(spark):
    split = TimeSplit(train_dates=(day(0), day(7)), validation_date=day(14))
    labelled = spark.createDataFrame(
        [
            ("a", day(0), 1.0),
            ("b", day(0), 0.0),
            ("a", day(7), 0.0),
            ("a", day(14), 1.0),
            ("b", day(14), 1.0),
        ],
        f"{C.USER_ID} string, {C.SNAPSHOT_DATE} date, {C.PURCHASED} double",
    )
    per_date = snapshot_counts(labelled)
    assert per_date == {day(0): (2, 1), day(7): (1, 0), day(14): (2, 2)}
    counts = role_counts(per_date, split)
    assert counts == {"training": (3, 1), "validation": (2, 2)}
    assert one_class_problem(counts) == (
        "the validation snapshots have 2 users of whom 2 purchased: a model needs both purchasers and others"
    )
    assert one_class_problem({"training": (3, 1), "validation": (2, 1)}) is None
    # A snapshot without rows counts as none: its role has no purchaser.
    assert role_counts({day(14): (2, 1)}, split)["training"] == (0, 0)


def test_inputs_null_for_every_training_row_are_named(spark):
    spec = FeatureSpec(numeric=("x", "y"), log1p=(), tags=(TagFeature("kind", "number", "x"),))
    train = spark.createDataFrame(
        [(1.0, None, None), (None, None, 2.0)], "x double, y double, tag__kind double"
    )
    assert all_null_inputs(train, spec) == ["y"]


def test_metrics_rows_mark_the_chosen_candidate_with_its_version():
    split = TimeSplit(train_dates=(day(0),), validation_date=day(7))
    metrics = {name: 0.5 for name in (C.AUC, *SUMMARY_COLUMNS)}
    calibration = [
        {C.DECILE: 1, C.USERS: 3, C.POSITIVES: 2, C.MEAN_PREDICTED: 0.7, C.OBSERVED_RATE: 0.6,
         C.MIN_SCORE: 0.6, C.MAX_SCORE: 0.9}
    ]  # fmt: skip
    lr = Evaluation(Candidate("logistic_regression", {"reg_param": 0.01}), metrics, calibration, 1.5)
    gbt = Evaluation(Candidate("gbt", {"max_depth": 2}), metrics, calibration, 2.5)
    rows = metrics_rows([lr, gbt], gbt, 4, 100, split, 7, day(14))
    names = GOLD_PROPENSITY_METRICS_SCHEMA.fieldNames()
    first, second = (dict(zip(names, row, strict=True)) for row in rows)
    assert (first[C.MODEL], first[C.CHOSEN], first[C.MODEL_VERSION]) == ("logistic_regression", False, None)
    assert (second[C.MODEL], second[C.CHOSEN], second[C.MODEL_VERSION]) == ("gbt", True, 4)
    assert first[C.PARAMS] == {"reg_param": "0.01"} and first[C.TRAIN_SECONDS] == 1.5
    assert first[C.CALIBRATION] == [(1, 3, 2, 0.7, 0.6, 0.6, 0.9)]
    assert (first[C.TRAIN_ROWS], first[C.TRAIN_DATES], first[C.VALIDATION_DATE]) == (100, [day(0)], day(7))
    assert (first[C.HORIZON_DAYS], first[C.RUN_DATE]) == (7, day(14))


@pytest.mark.parametrize(
    ("family", "params"),
    [
        (LOGISTIC_REGRESSION, {"reg_param": 0.01, "elastic_net_param": 0.0, "max_iter": 20}),
        (GBT, {"max_depth": 2, "max_iter": 3, "step_size": 0.1}),
    ],
)
def test_a_candidate_on_shared_preprocessing_scores_exactly_as_its_whole_pipeline(spark, family, params):
    spec = FeatureSpec(numeric=("x", "y"), log1p=("x",), tags=(TagFeature("kind", "enum", "'unused'"),))
    rows = [
        (f"u{i:02d}", T, float(i % 7) if i % 5 else None, float((i * 3) % 11), "ab"[i % 2] if i % 4 else None,
         float(i % 3 == 0))
        for i in range(40)
    ]  # fmt: skip
    train = in_fixed_order(
        spark.createDataFrame(
            rows,
            f"{C.USER_ID} string, {C.SNAPSHOT_DATE} date, x double, y double, tag__kind string, "
            f"{C.PURCHASED} double",
        ),
        [C.USER_ID, C.SNAPSHOT_DATE],
    )
    candidate = Candidate(family, params)

    whole = propensity_pipeline(family, params, spec, "median", 7).fit(train)
    prepared = prepare_training(train, spec, "median")
    shared = fit_candidate(candidate, prepared, 7)
    prepared.unpersist()

    def scores(model):
        return sorted((r[C.USER_ID], r[C.SCORE]) for r in scored(model, train).collect())

    # Equal to the last bit: the registered model and the reported metrics must not depend on the path.
    assert scores(shared) == scores(whole)
