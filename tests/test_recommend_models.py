"""The models scored beside ALS on hand-computed cases: trending popularity, item-to-item co-occurrence and
BPR on a planted matrix; and how champions are chosen and served."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from types import SimpleNamespace

import pytest
from chispa import assert_approx_df_equality
from pyspark.sql import functions as F

from shop_platform.config import ConfigError, load_config
from transforms import columns as C
from transforms.recommend.bpr import bpr_unavailable
from transforms.recommend.champions import champions_lists, choose_champions, served_lists
from transforms.recommend.cooccurrence import (
    cooccurrence_on_driver,
    cooccurrence_recommendations,
    item_similarity,
)
from transforms.recommend.models import BPR, ModelInputs, fit_model, model_lists, model_params
from transforms.recommend.seen_items import unseen_of_ranking
from transforms.recommend.trending import trending_items

T = dt.date(2031, 4, 10)
LISTS = f"{C.USER_ID} string, {C.RANK} int, {C.ITEM_ID} string, {C.SCORE} double"
PAIRS = f"{C.USER_ID} string, {C.ITEM_ID} string"
TRAIN = f"{C.USER_ID} string, {C.ITEM_ID} string, {C.STRENGTH} double"


def test_trending_halves_a_days_strength_every_half_life_and_ignores_later_days(spark):
    daily = spark.createDataFrame(
        [
            ("u1", "x", 4.0, T - dt.timedelta(days=6)),  # two half-lives old: 1.0
            ("u2", "y", 2.0, T),  # 2.0
            ("u1", "z", 1.0, T - dt.timedelta(days=3)),  # 0.5
            ("u2", "z", 9.0, T + dt.timedelta(days=1)),  # after the as-of day
        ],
        f"{C.USER_ID} string, {C.ITEM_ID} string, {C.STRENGTH} double, {C.EVENT_DATE} date",
    )
    trend = trending_items(daily, as_of=T, half_life_days=3.0)
    expected = spark.createDataFrame(
        [("y", 1, 2.0), ("x", 2, 1.0), ("z", 3, 0.5)], f"{C.ITEM_ID} string, {C.RANK} int, {C.SCORE} double"
    )
    assert_approx_df_equality(trend, expected, 1e-12, ignore_row_order=True, ignore_nullable=True)
    users = spark.createDataFrame([("u2",), ("u3",)], f"{C.USER_ID} string")
    seen = spark.createDataFrame([("u2", "y")], PAIRS)
    lists = unseen_of_ranking(trend, users, seen, 2)
    expected_lists = spark.createDataFrame(
        [("u2", 1, "x", 1.0), ("u2", 2, "z", 0.5), ("u3", 1, "y", 2.0), ("u3", 2, "x", 1.0)], LISTS
    )
    assert_approx_df_equality(lists, expected_lists, 1e-12, ignore_row_order=True, ignore_nullable=True)


def test_item_to_item_scores_the_users_affinities_times_jaccard_of_kept_neighbours(spark):
    # Users per item: a {u1, u2}, b {u1, u2, u3}, c {u2, u3}; a-b and b-c shared by 2 users, a-c by 1.
    train = spark.createDataFrame(
        [("u1", "a", 2.0), ("u1", "b", 1.0), ("u2", "a", 1.0), ("u2", "b", 1.0), ("u2", "c", 1.0),
         ("u3", "b", 1.0), ("u3", "c", 4.0), ("u3", "d", 0.0)],
        TRAIN,
    )  # fmt: skip
    similarity = item_similarity(train, measure="jaccard", min_cooccurrence=2, neighbours=2)
    # a-c (1 user) is dropped; jaccard a-b = 2 / (2 + 3 - 2), b-c likewise; b keeps itself and a (a before c
    # on equal similarity); d has no positive strength.
    expected_similarity = spark.createDataFrame(
        [("a", "a", 1.0), ("a", "b", 2 / 3), ("b", "b", 1.0), ("b", "a", 2 / 3), ("c", "c", 1.0),
         ("c", "b", 2 / 3)],
        f"{C.ITEM_A} string, {C.ITEM_B} string, {C.SIMILARITY} double",
    )  # fmt: skip
    assert_approx_df_equality(
        similarity, expected_similarity, 1e-12, ignore_row_order=True, ignore_nullable=True
    )
    users = spark.createDataFrame([("u1",), ("u3",), ("u9",)], f"{C.USER_ID} string")
    seen = spark.createDataFrame([("u1", "a")], PAIRS)
    lists = cooccurrence_recommendations(train, similarity, users, seen, k=3)
    # u1: a = 2 * 1 + 1 * 2/3 (seen), b = 2 * 2/3 + 1 * 1; u3: c = 4, b = 1 + 4 * 2/3, a = 1 * 2/3; u9: nothing.
    expected = spark.createDataFrame(
        [("u1", 1, "b", 7 / 3), ("u3", 1, "c", 4.0), ("u3", 2, "b", 11 / 3), ("u3", 3, "a", 2 / 3)], LISTS
    )
    assert_approx_df_equality(lists, expected, 1e-12, ignore_row_order=True, ignore_nullable=True)
    # The driver engine: the same lists from sparse products over the indexes.
    user_index = spark.createDataFrame(
        [(f"u{i}", i) for i in range(1, 10)], f"{C.USER_ID} string, {C.USER_IDX} int"
    )
    item_index = spark.createDataFrame(
        [(item, i) for i, item in enumerate("abcd")], f"{C.ITEM_ID} string, {C.ITEM_IDX} int"
    )
    indexed = train.join(user_index, C.USER_ID).join(item_index, C.ITEM_ID)
    on_driver = cooccurrence_on_driver(
        indexed, users, seen, user_index, item_index, measure="jaccard", min_cooccurrence=2, neighbours=2, k=3
    )
    assert_approx_df_equality(on_driver, expected, 1e-12, ignore_row_order=True, ignore_nullable=True)


def test_each_group_is_served_its_champion_ties_to_the_blend_and_unseen_groups_to_the_blend():
    scores = [
        ("heavy", "als", 0.30), ("heavy", "popularity", 0.31), ("heavy", "blend", 0.29),
        ("light", "sar", 0.20), ("light", "blend", 0.20), ("light", "als_candidate", 0.9),
        ("all", "popularity", 0.99),  # not a group a user is served by
    ]  # fmt: skip
    assert choose_champions(scores) == {"new": "blend", "light": "blend", "heavy": "popularity"}
    assert choose_champions([("new", "als", None), ("new", "trending_popularity", 0.0)]) == {
        "new": "als", "light": "blend", "heavy": "blend"
    }  # fmt: skip


def test_served_lists_take_the_champions_list_where_it_has_one_and_the_blend_elsewhere(spark):
    blended = spark.createDataFrame(
        [("h1", 1, "x", 1.0, "als"), ("h2", 1, "x", 1.0, "als"), ("n1", 1, "y", 1.0, "global_popular")],
        f"{LISTS}, {C.SOURCE} string",
    )
    groups = spark.createDataFrame(
        [("h1", "heavy"), ("h2", "heavy"), ("n1", "new")], f"{C.USER_ID} string, {C.USER_GROUP} string"
    )
    # The item-to-item model is the heavy users' champion; it has no list for h2.
    sar = spark.createDataFrame([("h1", 1, "z", 0.5), ("h1", 2, "w", 0.2)], LISTS)
    served = served_lists(blended, {"sar": sar}, groups, {"new": "blend", "light": "blend", "heavy": "sar"})
    expected = spark.createDataFrame(
        [("h1", 1, "z", 0.5, "item_to_item"), ("h1", 2, "w", 0.2, "item_to_item"), ("h2", 1, "x", 1.0, "als"),
         ("n1", 1, "y", 1.0, "global_popular")],
        f"{LISTS}, {C.SOURCE} string",
    )  # fmt: skip
    assert_approx_df_equality(served, expected, 1e-12, ignore_row_order=True, ignore_nullable=True)


def test_each_champion_lists_only_the_users_of_its_groups(spark):
    groups = spark.createDataFrame(
        [("h1", "heavy"), ("l1", "light"), ("n1", "new")], f"{C.USER_ID} string, {C.USER_GROUP} string"
    )
    als = spark.createDataFrame([("h1", 1, "x", 0.9), ("h1", 2, "y", 0.8), ("l1", 1, "x", 0.7)], LISTS)
    popularity = spark.createDataFrame(
        [("x", 3.0, 1), ("y", 2.0, 2)], f"{C.ITEM_ID} string, {C.POPULARITY} double, {C.POPULARITY_RANK} int"
    )
    empty = spark.createDataFrame([], PAIRS)
    inputs = ModelInputs(
        interactions=empty, popularity=popularity, daily=empty, categories=empty, seen=empty, user_index=empty,
        item_index=empty, as_of=T,
    )  # fmt: skip
    lists = champions_lists(
        {"new": "popularity", "light": "blend", "heavy": "als"}, groups, als, inputs, None, 1
    )
    assert sorted(lists) == ["als", "popularity"]
    assert [tuple(r) for r in lists["als"].collect()] == [("h1", 1, "x", 0.9)]
    assert [tuple(r) for r in lists["popularity"].collect()] == [("n1", 1, "x", 3.0)]


# Two taste groups of eight users: user a<n> has four of the items A0..A4, all but A<n % 5>, and b<n> likewise
# of B0..B4; z has only a zero-strength pair (no positive pair: nothing to learn from).
TASTE_PAIRS = [
    (f"{group}{n}", f"{group.upper()}{item}", 1.0 + (n + item) % 3)
    for group in "ab"
    for n in range(8)
    for item in range(5)
    if item != n % 5
] + [("z", "A0", 0.0)]  # fmt: skip
BPR_SETTINGS = [
    "recommend.bpr.factors=8",
    "recommend.bpr.learning_rate=0.05",
    "recommend.bpr.regularization=0.01",
    "recommend.bpr.iterations=100",
]


@pytest.fixture(scope="module")
def taste(spark):
    """ModelInputs of TASTE_PAIRS (indexed, every pair seen) and the users to list: everyone and x, unknown."""
    users = sorted({user for user, _, _ in TASTE_PAIRS})
    items = sorted({item for _, item, _ in TASTE_PAIRS})
    user_index = spark.createDataFrame(
        list(zip(users, range(len(users)), strict=True)), f"{C.USER_ID} string, {C.USER_IDX} int"
    )
    item_index = spark.createDataFrame(
        list(zip(items, range(len(items)), strict=True)), f"{C.ITEM_ID} string, {C.ITEM_IDX} int"
    )
    train = (
        spark.createDataFrame(TASTE_PAIRS, TRAIN)
        .join(user_index, on=[C.USER_ID], how="inner")
        .join(item_index, on=[C.ITEM_ID], how="inner")
        .select(C.USER_ID, C.ITEM_ID, C.USER_IDX, C.ITEM_IDX, C.STRENGTH)
        .cache()
    )
    inputs = ModelInputs(
        interactions=train, popularity=None, daily=None, categories=None,
        seen=train.select(C.USER_ID, C.ITEM_ID, C.USER_IDX, C.ITEM_IDX), user_index=user_index,
        item_index=item_index, as_of=T,
    )  # fmt: skip
    listed = spark.createDataFrame([(u,) for u in [*users, "x"]], f"{C.USER_ID} string")
    return inputs, listed


def test_bpr_ranks_the_unseen_item_of_the_users_taste_group_first_and_never_lists_a_seen_pair(taste):
    inputs, users = taste
    rec = load_config("local", BPR_SETTINGS).recommend
    lists = model_lists(BPR, inputs, users, rec, 3).collect()
    by_user = {}
    for row in lists:
        by_user.setdefault(row[C.USER_ID], []).append(row)
    # z and x have no positive pair: no factors, no list (as ALS).
    assert sorted(by_user) == sorted({user for user, _, s in TASTE_PAIRS if s > 0})
    for user, slots in by_user.items():
        ranked = sorted(slots, key=lambda r: r[C.RANK])
        assert [r[C.RANK] for r in ranked] == [1, 2, 3], user
        n, group = int(user[1:]), user[0]
        # The one unseen item of the user's group beats the five of the other group, none of them seen.
        assert ranked[0][C.ITEM_ID] == f"{group.upper()}{n % 5}", user
        assert all(r[C.ITEM_ID].startswith("B" if group == "a" else "A") for r in ranked[1:]), user
        assert [r[C.SCORE] for r in ranked] == sorted((r[C.SCORE] for r in ranked), reverse=True), user
    seen = {(user, item) for user, item, _ in TASTE_PAIRS}
    assert not seen & {(r[C.USER_ID], r[C.ITEM_ID]) for r in lists}


def test_bpr_with_the_same_seed_gives_the_same_lists_and_another_seed_other_scores(taste):
    inputs, users = taste
    rec = load_config("local", BPR_SETTINGS).recommend

    def rows(seed_rec):
        lists = model_lists(BPR, inputs, users, seed_rec, 3)
        return sorted(tuple(r) for r in lists.collect())

    first = rows(rec)
    # A model fitted apart (as the evaluation times it) lists the same as one fitted by model_lists.
    fitted = fit_model(BPR, inputs, rec)
    again = model_lists(BPR, replace(inputs, fitted={BPR: fitted}), users, rec, 3)
    assert sorted(tuple(r) for r in again.collect()) == first
    assert rows(load_config("local", [*BPR_SETTINGS, "recommend.seed=43"]).recommend) != first
    assert model_params(rec)[BPR] == {
        "factors": "8", "learning_rate": "0.05", "regularization": "0.01", "iterations": "100", "seed": "42"
    }  # fmt: skip


def test_bpr_has_no_list_without_a_positive_pair(taste):
    inputs, _ = taste
    rec = load_config("local", BPR_SETTINGS).recommend
    only_zero = inputs.interactions.where(F.col(C.STRENGTH) == F.lit(0.0))
    with pytest.raises(ValueError, match="no training pair with a positive strength: nothing to fit BPR on"):
        fit_model(BPR, replace(inputs, interactions=only_zero), rec)


def test_bpr_runs_only_on_a_local_mode_session_and_a_group_it_won_goes_to_the_next_best_model(spark):
    assert bpr_unavailable(spark) is None
    cluster = SimpleNamespace(conf=SimpleNamespace(get=lambda key, default=None: "spark://driver:7077"))
    assert "spark.master is 'spark://driver:7077', not local mode" in bpr_unavailable(cluster)
    scores = [("heavy", "bpr", 0.4), ("heavy", "als", 0.3), ("heavy", "blend", 0.2), ("new", "bpr", 0.1)]
    assert choose_champions(scores) == {"new": "bpr", "light": "blend", "heavy": "bpr"}
    assert choose_champions(scores, unavailable=["bpr"]) == {"new": "blend", "light": "blend", "heavy": "als"}


def test_bpr_settings_are_checked_by_key():
    with pytest.raises(ConfigError, match=r"--set: 'recommend.bpr.learning_rate' must be positive, got 0.0"):
        load_config("local", ["recommend.bpr.learning_rate=0.0"])
    with pytest.raises(ConfigError, match=r"'recommend.bpr.factors' must be positive, got 0"):
        load_config("local", ["recommend.bpr.factors=0"])
    with pytest.raises(ConfigError, match=r"'recommend.bpr.regularization' must be >= 0, got -0.1"):
        load_config("local", ["recommend.bpr.regularization=-0.1"])
    with pytest.raises(ConfigError, match=r"'recommend.bpr.iterations' must be an integer"):
        load_config("local", ["recommend.bpr.iterations=many"])
