"""Ranking metrics at k against hand-computed values: precision, recall, graded NDCG, MAP, hits, coverage,
novelty."""

from __future__ import annotations

import math

import pytest
from chispa import assert_approx_df_equality

from transforms import columns as C
from transforms.recommend.metrics import accuracy_metrics, list_metrics, per_user_metrics

K = 3
LISTS = f"{C.USER_ID} string, {C.RANK} int, {C.ITEM_ID} string"
LABELS = f"{C.USER_ID} string, {C.ITEM_ID} string, {C.GRADE} double"
PER_USER = (
    f"{C.USER_ID} string, {C.PRECISION_AT_K} double, {C.RECALL_AT_K} double, {C.NDCG_AT_K} double, "
    f"{C.MAP_AT_K} double, {C.HIT_RATE} double"
)

# ua: hits at ranks 1 (bought, grade 2) and 3 (cart, grade 1); i5 is relevant but ranked 4th, past k.
# ub: one relevant item, hit at rank 2. uc: relevant items but no list. ud: a list but nothing relevant,
# so it is not evaluated at all.
RECOMMENDED = [
    ("ua", 1, "i1"), ("ua", 2, "i3"), ("ua", 3, "i2"), ("ua", 4, "i5"),
    ("ub", 1, "i9"), ("ub", 2, "i4"), ("ub", 3, "i8"),
    ("ud", 1, "i1"), ("ud", 2, "i10"),
]  # fmt: skip
RELEVANT = [
    ("ua", "i1", 2.0), ("ua", "i2", 1.0), ("ua", "i5", 1.0),
    ("ub", "i4", 1.0),
    ("uc", "i2", 2.0),
]  # fmt: skip

# ua by hand: DCG = 2/log2(2) + 1/log2(4); IDCG over grades 2, 1, 1 = 2/log2(2) + 1/log2(3) + 1/log2(4);
# AP = (1/1 + 2/3) / min(3 relevant, k).
UA_NDCG = (2.0 + 0.5) / (2.0 + 1.0 / math.log2(3) + 0.5)
UA_AP = (1.0 + 2.0 / 3.0) / 3.0
# ub: DCG = 1/log2(3), IDCG = 1; AP = (1/2) / min(1, k).
UB_NDCG = 1.0 / math.log2(3)


@pytest.fixture(scope="module")
def frames(spark):
    return spark.createDataFrame(RECOMMENDED, LISTS), spark.createDataFrame(RELEVANT, LABELS)


def test_per_user_metrics_match_the_hand_computation(spark, frames):
    recommended, relevant = frames
    expected = spark.createDataFrame(
        [
            ("ua", 2 / 3, 2 / 3, UA_NDCG, UA_AP, 1.0),
            ("ub", 1 / 3, 1.0, UB_NDCG, 0.5, 1.0),
            ("uc", 0.0, 0.0, 0.0, 0.0, 0.0),
        ],
        PER_USER,
    )
    actual = per_user_metrics(recommended, relevant, k=K)
    assert_approx_df_equality(actual, expected, 1e-12, ignore_row_order=True, ignore_nullable=True)


def test_averages_run_over_every_evaluated_user_including_those_without_a_list(spark, frames):
    recommended, relevant = frames
    row = accuracy_metrics(recommended, relevant, k=K).first()
    assert row[C.EVALUATED_USERS] == 3
    assert row[C.PRECISION_AT_K] == pytest.approx((2 / 3 + 1 / 3) / 3, abs=1e-12)
    assert row[C.RECALL_AT_K] == pytest.approx((2 / 3 + 1.0) / 3, abs=1e-12)
    assert row[C.NDCG_AT_K] == pytest.approx((UA_NDCG + UB_NDCG) / 3, abs=1e-12)
    assert row[C.MAP_AT_K] == pytest.approx((UA_AP + 0.5) / 3, abs=1e-12)
    assert row[C.HIT_RATE] == pytest.approx(2 / 3, abs=1e-12)


def test_a_purchase_at_the_top_scores_higher_than_a_cart_add_there(spark):
    relevant = spark.createDataFrame([("u", "bought", 2.0), ("u", "carted", 1.0)], LABELS)
    bought_first = spark.createDataFrame([("u", 1, "bought"), ("u", 2, "carted")], LISTS)
    carted_first = spark.createDataFrame([("u", 1, "carted"), ("u", 2, "bought")], LISTS)
    ndcg = {
        name: per_user_metrics(lists, relevant, k=2).first()[C.NDCG_AT_K]
        for name, lists in (("bought_first", bought_first), ("carted_first", carted_first))
    }
    assert ndcg["bought_first"] == pytest.approx(1.0, abs=1e-12)
    # (1/log2(2) + 2/log2(3)) / (2/log2(2) + 1/log2(3))
    expected = (1.0 + 2.0 / math.log2(3)) / (2.0 + 1.0 / math.log2(3))
    assert ndcg["carted_first"] == pytest.approx(expected, abs=1e-12)


def test_coverage_and_novelty_look_at_every_slot_within_k(spark, frames):
    recommended, _ = frames
    ranks = ["i1", "i2", "i3", "i4", "i5", "i8", "i9", "i10"]
    popularity = spark.createDataFrame(
        [(item, rank) for rank, item in enumerate(ranks, start=1)],
        f"{C.ITEM_ID} string, {C.POPULARITY_RANK} int",
    )
    row = list_metrics(recommended, popularity, k=K).first()
    # Slots within k: ua i1 i3 i2, ub i9 i4 i8, ud i1 i10 -> 7 of 8 items; ranks 1+3+2 + 7+4+6 + 1+8 over 8 slots.
    assert row[C.CATALOG_COVERAGE] == pytest.approx(7 / 8, abs=1e-12)
    assert row[C.NOVELTY] == pytest.approx(32 / 8, abs=1e-12)


def test_k_must_be_positive(frames):
    recommended, relevant = frames
    with pytest.raises(ValueError, match="k must be at least 1"):
        per_user_metrics(recommended, relevant, k=0)
