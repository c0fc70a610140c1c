"""The two ALS engines behind fit_als: Spark MLlib and `implicit` on the driver, handed back as an ALSModel.

A tiny matrix with two taste groups: users u0..u5 interact with items 0-3, users u6..u11 with items 4-7,
each user with three of its group's four items, so each user's unseen item is its group's fourth.
"""

from __future__ import annotations

import numpy as np
import pytest
from chispa import assert_approx_df_equality, assert_df_equality
from implicit.cpu._als import least_squares_cg
from pyspark.sql import functions as F
from scipy.sparse import csr_matrix

from transforms import columns as C
from transforms.recommend.als import (
    IMPLICIT_ENGINE,
    SPARK_ENGINE,
    all_als_recommendations,
    als_engine,
    als_recommendations,
    fit_als,
    scaled_strengths,
)
from transforms.recommend.als_implicit import (
    alternating_least_squares,
    confidence_matrix,
    with_regularisation,
)

PARAMS = {"rank": 4, "reg_param": 0.1, "alpha": 10.0, "max_iter": 8, "seed": 7, "blocks": 2}
# User u holds its group's items but (u % 4): the unseen one.
PAIRS = [
    (user, group * 4 + item, 1.0 + (user + item) % 3)
    for user in range(12)
    for group in [user // 6]
    for item in range(4)
    if item != user % 4
]


@pytest.fixture(scope="module")
def train(spark):
    return spark.createDataFrame(PAIRS, f"{C.USER_IDX} int, {C.ITEM_IDX} int, {C.STRENGTH} double").cache()


def top_unseen_item(model, train):
    """Each user's best-scored item among those it has no pair with: USER_IDX -> ITEM_IDX."""
    lists = model.recommendForAllUsers(8).select(
        C.USER_IDX, F.posexplode("recommendations").alias("pos", "r")
    )
    scored = lists.select(C.USER_IDX, "pos", F.col(f"r.{C.ITEM_IDX}").alias(C.ITEM_IDX))
    unseen = scored.join(train, [C.USER_IDX, C.ITEM_IDX], "left_anti")
    best = unseen.groupBy(C.USER_IDX).agg(F.min_by(C.ITEM_IDX, "pos").alias(C.ITEM_IDX)).collect()
    return {row[C.USER_IDX]: row[C.ITEM_IDX] for row in best}


def test_the_pseudo_items_give_each_user_sparks_normal_equations_regularised_by_its_pair_count():
    # Spark's user step: (YtY + sum over the user's pairs of (c - 1) y yT + reg * n_u * I) x = sum of c y.
    random = np.random.default_rng(3)
    confidence = np.where(random.random((5, 6)) < 0.5, 1.0 + 4.0 * random.random((5, 6)), 0.0)
    confidence[4] = 0.0  # a user without pairs: no pseudo pairs either
    rows, columns = np.nonzero(confidence)
    matrix = csr_matrix((confidence[rows, columns], (rows, columns)), shape=(5, 6), dtype=np.float32)
    items = random.standard_normal((6, 3)).astype(np.float32)
    users = np.zeros((5, 3), dtype=np.float32)
    least_squares_cg(with_regularisation(matrix, 0.3, 3), users, np.vstack([items, np.eye(3, dtype=np.float32)]),
                     0.0, cg_steps=20)  # fmt: skip
    for user in range(4):
        c = confidence[user]
        lhs = items.T @ items + items.T @ np.diag(np.where(c > 0, c - 1, 0)) @ items
        lhs += 0.3 * np.count_nonzero(c) * np.eye(3)
        np.testing.assert_allclose(users[user], np.linalg.solve(lhs, items.T @ c), rtol=1e-4, atol=1e-5)
    assert not users[4].any()
    assert with_regularisation(matrix, 0.0, 3) is matrix


def test_the_confidence_is_one_plus_alpha_times_the_strength_signed_and_zero_strengths_are_left_out():
    matrix = confidence_matrix(
        np.array([0, 0, 2, 1]), np.array([1, 3, 0, 2]), np.array([2.0, -1.0, 0.5, 0.0]), alpha=5.0
    )
    assert matrix.shape == (3, 4)
    assert matrix.toarray().tolist() == [[0.0, 11.0, 0.0, -6.0], [0.0, 0.0, 0.0, 0.0], [3.5, 0.0, 0.0, 0.0]]


def test_log_scaling_hands_the_engines_the_signed_log_of_one_plus_the_strength(spark):
    strengths = spark.createDataFrame(
        [(0, 0, 0.0), (0, 1, 1.0), (1, 0, -3.0), (1, 1, 99.0)],
        f"{C.USER_IDX} int, {C.ITEM_IDX} int, {C.STRENGTH} double",
    )
    expected = spark.createDataFrame(
        [(0, 0, 0.0), (0, 1, float(np.log(2.0))), (1, 0, -float(np.log(4.0))), (1, 1, float(np.log(100.0)))],
        strengths.schema,
    )
    assert_approx_df_equality(scaled_strengths(strengths, "log"), expected, 1e-12, ignore_row_order=True)
    assert scaled_strengths(strengths, "linear") is strengths
    with pytest.raises(ValueError, match=r"unknown confidence scaling 'sqrt': one of linear, log"):
        scaled_strengths(strengths, "sqrt")


@pytest.mark.parametrize(
    ("engine", "scaling"), [(SPARK_ENGINE, "linear"), (IMPLICIT_ENGINE, "linear"), (IMPLICIT_ENGINE, "log")]
)
def test_each_engine_recommends_every_user_the_unseen_item_of_its_own_group(train, engine, scaling):
    model = fit_als(train, engine=engine, scaling=scaling, **PARAMS)
    assert model.rank == 4
    assert top_unseen_item(model, train) == {user: (user // 6) * 4 + user % 4 for user in range(12)}


def test_the_implicit_engine_hands_spark_its_factors_for_the_users_and_items_it_fitted(spark, train):
    model = fit_als(train.where(F.col(C.USER_IDX) != 3), engine=IMPLICIT_ENGINE, **PARAMS)
    users, items, strengths = (
        np.array(column) for column in zip(*[p for p in PAIRS if p[0] != 3], strict=True)
    )
    matrix = confidence_matrix(users, items, strengths, alpha=10.0)
    user_factors, _ = alternating_least_squares(matrix, rank=4, reg_param=0.1, max_iter=8, seed=7)
    # u3 has no pair: no factors, so it gets no list (Spark's coldStartStrategy drop), as in Spark's model.
    fitted = [u for u in range(12) if u != 3]
    expected = spark.createDataFrame(
        [(u, [float(x) for x in user_factors[u]]) for u in fitted], "id int, features array<float>"
    )
    assert_df_equality(model.userFactors, expected, ignore_row_order=True, ignore_nullable=True)
    assert model.itemFactors.count() == 8
    assert model.recommendForAllUsers(2).where(F.col(C.USER_IDX) == 3).isEmpty()


def test_the_implicit_engine_fits_the_same_factors_from_the_same_pairs_in_any_order(train):
    first = fit_als(train, engine=IMPLICIT_ENGINE, **PARAMS)
    second = fit_als(train.orderBy(F.col(C.ITEM_IDX).desc(), F.col(C.USER_IDX).desc()), engine=IMPLICIT_ENGINE,
                     **PARAMS)  # fmt: skip
    assert_df_equality(first.userFactors, second.userFactors, ignore_row_order=True)
    assert_df_equality(first.itemFactors, second.itemFactors, ignore_row_order=True)


def test_the_implicit_engine_names_an_empty_training_set(train):
    with pytest.raises(ValueError, match="no training pair with a non-zero strength"):
        fit_als(train.withColumn(C.STRENGTH, F.lit(0.0)), engine=IMPLICIT_ENGINE, **PARAMS)


def test_auto_is_implicit_on_a_local_session_and_an_unknown_engine_is_named(spark):
    assert als_engine(spark, "auto") == IMPLICIT_ENGINE
    assert als_engine(spark, "spark") == SPARK_ENGINE
    assert als_engine(spark, "implicit") == IMPLICIT_ENGINE
    with pytest.raises(
        ValueError, match="recommend.engine must be one of auto, spark, implicit, got 'mahout'"
    ):
        als_engine(spark, "mahout")


def indexes(spark):
    """gold.user_index and gold.item_index of the `train` fixture's 13 users (u12 without pairs) and 8 items."""
    user_index = spark.createDataFrame(
        [(f"u{i}", i) for i in range(13)], f"{C.USER_ID} string, {C.USER_IDX} int"
    )
    item_index = spark.createDataFrame(
        [(f"i{i}", i) for i in range(8)], f"{C.ITEM_ID} string, {C.ITEM_IDX} int"
    )
    return user_index, item_index


def test_lists_scored_on_the_driver_are_the_lists_spark_scores(spark, train):
    model = fit_als(train, engine=IMPLICIT_ENGINE, **PARAMS)
    user_index, item_index = indexes(spark)
    on_driver = all_als_recommendations(model, user_index, item_index, k=5, engine=IMPLICIT_ENGINE)
    by_spark = all_als_recommendations(model, user_index, item_index, k=5, engine=SPARK_ENGINE)
    assert on_driver.count() == 12 * 5
    assert_approx_df_equality(on_driver, by_spark, 1e-5, ignore_row_order=True, ignore_nullable=True)
    # A subset: u12 is indexed but has no factors (no pair), so it gets no list.
    users = spark.createDataFrame([("u0",), ("u7",), ("u12",)], f"{C.USER_ID} string")
    subset = als_recommendations(model, users, user_index, item_index, k=3, engine=IMPLICIT_ENGINE)
    expected = als_recommendations(model, users, user_index, item_index, k=3, engine=SPARK_ENGINE)
    assert sorted({r[C.USER_ID] for r in subset.collect()}) == ["u0", "u7"]
    assert_approx_df_equality(subset, expected, 1e-5, ignore_row_order=True, ignore_nullable=True)


def test_seen_pairs_are_masked_on_the_driver_as_spark_drops_them_from_deeper_lists(spark, train):
    model = fit_als(train, engine=IMPLICIT_ENGINE, **PARAMS)
    user_index, item_index = indexes(spark)
    # u0 has seen its two best items; u1 every item but one, so it gets a list of one.
    full = all_als_recommendations(model, user_index, item_index, k=8, engine=IMPLICIT_ENGINE)
    best_of_u0 = [r[C.ITEM_ID] for r in full.where("user_id = 'u0' and rank <= 2").collect()]
    seen = spark.createDataFrame(
        [("u0", item) for item in best_of_u0] + [("u1", f"i{i}") for i in range(7)],
        f"{C.USER_ID} string, {C.ITEM_ID} string",
    )
    on_driver = all_als_recommendations(model, user_index, item_index, k=3, engine=IMPLICIT_ENGINE, seen=seen)
    by_spark = all_als_recommendations(model, user_index, item_index, k=3, engine=SPARK_ENGINE, seen=seen)
    assert_approx_df_equality(on_driver, by_spark, 1e-5, ignore_row_order=True, ignore_nullable=True)
    u0 = [(r[C.RANK], r[C.ITEM_ID]) for r in on_driver.where("user_id = 'u0'").orderBy(C.RANK).collect()]
    expected = [(r[C.RANK] - 2, r[C.ITEM_ID]) for r in full.where("user_id = 'u0' and rank between 3 and 5")
                .orderBy(C.RANK).collect()]  # fmt: skip
    assert u0 == expected
    assert [(r[C.RANK], r[C.ITEM_ID]) for r in on_driver.where("user_id = 'u1'").collect()] == [(1, "i7")]
    assert on_driver.count() == 11 * 3 + 1
