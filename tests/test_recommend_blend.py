"""The hybrid blend's rules on hand-made fixtures: candidate sources, exclusions, scaling and weights, cold start,
sources, the global-popularity fallback, top-N and ranks, and the evaluation's per-group metrics."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import replace

import pytest
from chispa import assert_approx_df_equality, assert_df_equality
from pyspark.sql import functions as F

from shop_platform.settings import BlendSettings, SeenItemsSettings
from transforms import columns as C
from transforms.recommend.blend import (
    BlendInputs,
    blend_candidates,
    candidate_pool,
    hybrid_recommendations,
    interacted_items,
    user_groups,
)
from transforms.recommend.candidates import (
    ALS,
    CATEGORY_POPULAR,
    COPURCHASE,
    GLOBAL_POPULAR,
    SEGMENT_POPULAR,
    SOURCES,
    copurchase_items,
    recent_seeds,
    segment_popular_items,
)
from transforms.recommend.metrics import grouped_metrics
from transforms.recommend.seen_items import seen_pairs, without_seen

T = dt.date(2031, 5, 20)  # the as-of date
CANDIDATES = f"{C.USER_ID} string, {C.ITEM_ID} string, {C.SOURCE} string, {C.SCORE} double"
BLENDED = f"{C.USER_ID} string, {C.RANK} int, {C.ITEM_ID} string, {C.SCORE} double, {C.SOURCE} string"
ACTIVITY = f"{C.USER_ID} string, {C.INTERACTED_ITEMS} long"
INTERACTIONS = f"{C.USER_ID} string, {C.ITEM_ID} string, {C.STRENGTH} double, {C.ORDERS} long"
CATEGORIES = f"{C.ITEM_ID} string, {C.CATEGORY} string"
SCORED = f"{C.USER_ID} string, {C.ITEM_ID} string, {C.SCORE} double"
NOTHING = dict.fromkeys(SOURCES, 0.0)


def weights(**given: float) -> dict[str, float]:
    return {**NOTHING, **given}


def blend(candidates, activity, *, warm, cold=None, cold_start_interactions=1, top_n=10):
    return blend_candidates(
        candidates,
        activity,
        weights=warm,
        cold_start_weights=cold or warm,
        cold_start_interactions=cold_start_interactions,
        top_n=top_n,
    )


def assert_lists(actual, expected):
    assert_approx_df_equality(actual, expected, 1e-9, ignore_row_order=True, ignore_nullable=True)


@pytest.mark.parametrize(
    ("exclude", "left_out"),
    [
        # bought, except food/snacks (food is a repeat-purchase category) and wipes (home/cleaning, listed as a
        # subcategory); "food" does not cover "foodstuff"; a bought item without a category is left out too.
        ("bought", [("u1", "phone"), ("u1", "foodie"), ("u1", "mystery")]),
        # and what u2 only viewed.
        ("interacted", [("u1", "phone"), ("u1", "foodie"), ("u1", "mystery"), ("u2", "phone")]),
        ("none", []),
    ],
)
def test_seen_items_are_left_out_by_the_policy_except_repeat_purchase_categories(spark, exclude, left_out):
    candidates = spark.createDataFrame(
        [
            ("u1", "snack", ALS, 1.0), ("u1", "phone", ALS, 1.0), ("u1", "foodie", ALS, 1.0),
            ("u1", "mystery", ALS, 1.0), ("u1", "wipes", ALS, 1.0), ("u1", "fresh", ALS, 1.0),
            ("u2", "phone", ALS, 1.0),
        ],
        CANDIDATES,
    )  # fmt: skip
    interactions = spark.createDataFrame(
        [
            ("u1", "snack", 5.0, 1), ("u1", "phone", 5.0, 2), ("u1", "foodie", 5.0, 1),
            ("u1", "mystery", 5.0, 1), ("u1", "wipes", 5.0, 1), ("u2", "phone", 1.0, 0),
        ],
        INTERACTIONS,
    )  # fmt: skip
    categories = spark.createDataFrame(
        [("snack", "food/snacks"), ("phone", "electronics/phones"), ("foodie", "foodstuff/x"),
         ("wipes", "home/cleaning"), ("fresh", "home/kitchen")],
        CATEGORIES,
    )  # fmt: skip
    policy = SeenItemsSettings(exclude=exclude, repeat_purchase_categories=["food", "home/cleaning"])
    actual = without_seen(candidates, seen_pairs(interactions, categories, policy))
    expected = candidates.where(
        ~F.struct(C.USER_ID, C.ITEM_ID).isin([F.struct(F.lit(u), F.lit(i)) for u, i in left_out])
    ) if left_out else candidates  # fmt: skip
    assert_df_equality(actual, expected, ignore_row_order=True, ignore_nullable=True)


@pytest.fixture(scope="module")
def two_sources(spark):
    # ALS scores 4, 2 and a negative one; the category source 0.5 and 1.0 (another scale entirely).
    return spark.createDataFrame(
        [
            ("u1", "i1", ALS, 4.0), ("u1", "i2", ALS, 2.0), ("u1", "i4", ALS, -0.5),
            ("u1", "i2", CATEGORY_POPULAR, 0.5), ("u1", "i3", CATEGORY_POPULAR, 1.0),
        ],
        CANDIDATES,
    )  # fmt: skip


def test_scores_are_scaled_per_source_weighted_summed_and_the_largest_term_names_the_source(
    spark, two_sources
):
    activity = spark.createDataFrame([("u1", 10)], ACTIVITY)
    actual = blend(two_sources, activity, warm=weights(als=1.0, category_popular=0.5))
    # Scaled by the user's best per source: ALS i1 1, i2 0.5, i4 0 (negative); category i3 1, i2 0.5.
    expected = spark.createDataFrame(
        [
            ("u1", 1, "i1", 1.0, ALS),
            ("u1", 2, "i2", 0.5 + 0.25, ALS),
            ("u1", 3, "i3", 0.5, CATEGORY_POPULAR),
            ("u1", 4, "i4", 0.0, ALS),
        ],
        BLENDED,
    )
    assert_lists(actual, expected)


def test_weights_change_the_order(spark, two_sources):
    activity = spark.createDataFrame([("u1", 10)], ACTIVITY)
    actual = blend(two_sources, activity, warm=weights(als=1.0, category_popular=2.0), top_n=3)
    expected = spark.createDataFrame(
        [
            ("u1", 1, "i3", 2.0, CATEGORY_POPULAR),
            ("u1", 2, "i2", 0.5 + 1.0, CATEGORY_POPULAR),
            ("u1", 3, "i1", 1.0, ALS),
        ],
        BLENDED,
    )
    assert_lists(actual, expected)


def test_cold_start_users_use_the_cold_start_weights_and_a_zero_weight_drops_the_source(spark):
    candidates = spark.createDataFrame(
        [(user, item, source, 1.0) for user in ("warm", "cold", "new") for item, source in
         (("iA", ALS), ("iS", SEGMENT_POPULAR))],
        CANDIDATES,
    )  # fmt: skip
    # cold has 2 items (below 3), new none at all (no activity row), warm 5.
    activity = spark.createDataFrame([("warm", 5), ("cold", 2)], ACTIVITY)
    actual = blend(
        candidates,
        activity,
        warm=weights(als=1.0, segment_popular=0.1),
        cold=weights(als=0.0, segment_popular=1.0),
        cold_start_interactions=3,
    )
    expected = spark.createDataFrame(
        [
            ("warm", 1, "iA", 1.0, ALS),
            ("warm", 2, "iS", 0.1, SEGMENT_POPULAR),
            ("cold", 1, "iS", 1.0, SEGMENT_POPULAR),
            ("new", 1, "iS", 1.0, SEGMENT_POPULAR),
        ],
        BLENDED,
    )
    assert_lists(actual, expected)


def test_global_popularity_only_fills_what_others_leave_top_n_cuts_and_ties_go_to_the_smaller_item(spark):
    candidates = spark.createDataFrame(
        [
            ("u1", "iC", CATEGORY_POPULAR, 0.01),
            ("u1", "g1", GLOBAL_POPULAR, 100.0), ("u1", "g2", GLOBAL_POPULAR, 50.0),
            ("u1", "iC", GLOBAL_POPULAR, 10.0),
            ("u2", "x2", ALS, 3.0), ("u2", "x1", ALS, 3.0), ("u2", "x3", ALS, 1.5),
        ],
        CANDIDATES,
    )  # fmt: skip
    activity = spark.createDataFrame([("u1", 10), ("u2", 10)], ACTIVITY)
    actual = blend(
        candidates, activity, warm=weights(als=1.0, category_popular=0.5, global_popular=2.0), top_n=2
    )
    # g1 scores 2.0, more than iC's 0.5, yet only global popularity offers it: it ranks after iC. iC's own
    # global term (10 / 100 * 2.0) is ignored, as another source offers iC.
    expected = spark.createDataFrame(
        [
            ("u1", 1, "iC", 0.5, CATEGORY_POPULAR),
            ("u1", 2, "g1", 2.0, GLOBAL_POPULAR),
            ("u2", 1, "x1", 1.0, ALS),
            ("u2", 2, "x2", 1.0, ALS),
        ],
        BLENDED,
    )
    assert_lists(actual, expected)


def test_copurchase_scores_partners_of_recent_seeds_by_confidence_times_recency_weighted_strength(spark):
    daily = spark.createDataFrame(
        [
            ("u1", "a", 1.0, T),  # a view on the as-of date: recency 3/3
            ("u1", "b", 5.0, T - dt.timedelta(days=2)),  # a purchase two days before: recency 1/3
            ("u1", "c", 5.0, T - dt.timedelta(days=3)),  # outside the 3 days
            ("u1", "d", 5.0, T + dt.timedelta(days=1)),  # after the as-of date
        ],
        f"{C.USER_ID} string, {C.ITEM_ID} string, {C.STRENGTH} double, {C.EVENT_DATE} date",
    )
    partners = spark.createDataFrame(
        [("a", "x", 0.5), ("b", "x", 0.2), ("b", "y", 0.4), ("c", "z", 0.9), ("d", "z", 0.9)],
        f"{C.ITEM_ID} string, {C.PARTNER_ID} string, {C.CONFIDENCE} double",
    )
    seeds = recent_seeds(daily, as_of=T, recent_days=3)
    actual = copurchase_items(seeds, partners, k=5)
    expected = spark.createDataFrame(
        [("u1", "x", 0.5 * 1.0 + 0.2 * 5.0 / 3), ("u1", "y", 0.4 * 5.0 / 3)], SCORED
    )
    assert_approx_df_equality(actual, expected, 1e-12, ignore_row_order=True, ignore_nullable=True)


def test_segment_popular_items_are_the_segments_top_items_by_share_of_strength(spark):
    interactions = spark.createDataFrame(
        [("u1", "x", 3.0, 0), ("u2", "x", 1.0, 0), ("u2", "y", 2.0, 0), ("u3", "z", 1.0, 0)], INTERACTIONS
    )
    segments = spark.createDataFrame(
        [("u1", 1), ("u2", 1), ("u3", 2), ("u5", 2)], f"{C.USER_ID} string, {C.SEGMENT_ID} int"
    )
    users = spark.createDataFrame([("u1",), ("u5",), ("u4",)], f"{C.USER_ID} string")
    actual = segment_popular_items(interactions, segments, users, k=1)
    # u5 has no interactions but a segment; u4 has no segment and gets nothing.
    expected = spark.createDataFrame([("u1", "x", 4.0 / 6.0), ("u5", "z", 1.0)], SCORED)
    assert_approx_df_equality(actual, expected, 1e-12, ignore_row_order=True, ignore_nullable=True)


SETTINGS = BlendSettings(
    top_n=3,
    candidates_per_source=3,
    recent_days=2,
    weights={ALS: 1.0, COPURCHASE: 0.5, SEGMENT_POPULAR: 0.2, CATEGORY_POPULAR: 0.5, GLOBAL_POPULAR: 0.1},
    cold_start_interactions=2,
    cold_start_weights={
        ALS: 0.0,
        COPURCHASE: 0.0,
        SEGMENT_POPULAR: 1.0,
        CATEGORY_POPULAR: 0.5,
        GLOBAL_POPULAR: 0.1,
    },
    new_user_interactions=1,
    heavy_user_interactions=4,
)


def blend_inputs(spark) -> BlendInputs:
    """w: warm, bought a1 (home) and f1 (food); c: one item, cold start; n: no interactions, in w's segment;
    z: no interactions, no segment."""
    interactions = spark.createDataFrame(
        [
            ("w", "a1", 5.0, 1), ("w", "f1", 5.0, 1), ("w", "b1", 1.0, 0), ("w", "p1", 2.0, 0),
            ("v", "a1", 1.0, 0), ("v", "a2", 2.0, 0), ("v", "p1", 3.0, 0),
            ("c", "b2", 1.0, 0),
        ],
        INTERACTIONS,
    )  # fmt: skip
    categories = spark.createDataFrame(
        [
            ("a1", "home/kitchen"),
            ("a2", "home/kitchen"),
            ("f1", "food/snacks"),
            ("b1", "sports/outdoor"),
            ("b2", "sports/outdoor"),
            ("p1", "books/novels"),
        ],
        CATEGORIES,
    )
    return BlendInputs(
        users=spark.createDataFrame([("w",), ("c",), ("n",), ("z",)], f"{C.USER_ID} string"),
        interactions=interactions,
        daily=spark.createDataFrame(
            [("w", "b1", 1.0, T)],
            f"{C.USER_ID} string, {C.ITEM_ID} string, {C.STRENGTH} double, {C.EVENT_DATE} date",
        ),
        als=spark.createDataFrame(
            [("w", 1, "a2", 0.9), ("w", 2, "a1", 0.8), ("w", 3, "b2", 0.3), ("c", 1, "a1", 0.5)],
            f"{C.USER_ID} string, {C.RANK} int, {C.ITEM_ID} string, {C.SCORE} double",
        ),
        partners=spark.createDataFrame(
            [("b1", "b2", 0.5)], f"{C.ITEM_ID} string, {C.PARTNER_ID} string, {C.CONFIDENCE} double"
        ),
        segments=spark.createDataFrame(
            [("w", 1), ("v", 1), ("n", 1), ("c", 2)], f"{C.USER_ID} string, {C.SEGMENT_ID} int"
        ),
        categories=categories,
        seen=seen_pairs(interactions, categories, SeenItemsSettings("bought", ["food"])),
    )


def test_the_pool_builds_each_source_only_for_the_users_who_weigh_it_above_zero(spark):
    inputs = blend_inputs(spark)
    activity = interacted_items(inputs.interactions)

    def users_by_source(settings):
        pool = candidate_pool(inputs, activity, settings, as_of=T, preferred_categories_per_user=3)
        rows = pool.select(C.SOURCE, C.USER_ID).distinct().collect()
        return {source: {r[C.USER_ID] for r in rows if r[C.SOURCE] == source} for source in SOURCES}

    # c (one item, below cold_start_interactions 2) weighs ALS and co-purchase 0, though ALS lists it.
    users = users_by_source(SETTINGS)
    assert users[ALS] == {"w"} and users[COPURCHASE] == {"w"}
    assert users[SEGMENT_POPULAR] == {"w", "c", "n"} and users[GLOBAL_POPULAR] == {"w", "c", "n", "z"}
    # Segment popularity weighted 0 for the warm: only the cold-start users with a segment get it.
    cold_only = replace(SETTINGS, weights={**SETTINGS.weights, SEGMENT_POPULAR: 0.0})
    assert users_by_source(cold_only)[SEGMENT_POPULAR] == {"c", "n"}


def test_hybrid_recommendations_blend_every_source_for_warm_cold_and_unseen_users(spark):
    inputs = blend_inputs(spark)
    actual = hybrid_recommendations(inputs, SETTINGS, as_of=T, preferred_categories_per_user=3)
    # w: a1 (bought, home) is gone from every source; f1 (bought, food) stays. Segment 1's top three are a1
    # 6/19, f1 5/19, p1 5/19; w's categories food 5/13, home 5/13, books 2/13.
    #   a2: ALS 0.9/0.9 = 1.0. b2: ALS 0.3/0.9 * 1.0 + copurchase (seed b1) 1.0 * 0.5.
    #   f1: segment 1.0 * 0.2 + category 1.0 * 0.5 (p1: 0.2 + 0.4 * 0.5); their global terms are ignored.
    # c (cold): ALS is weighted 0; b2 is its segment's only item (1.0) and tops its category (1.0 * 0.5).
    # n: segment 1's items scaled by a1's 6/19 (global popularity offers the same three: ignored).
    # z: only global popularity, a1 6, f1 5, p1 5 scaled by a1's 6 and weighted 0.1.
    expected = spark.createDataFrame(
        [
            ("w", 1, "a2", 1.0, ALS),
            ("w", 2, "b2", 1.0 / 3.0 + 0.5, COPURCHASE),
            ("w", 3, "f1", 0.2 + 0.5, CATEGORY_POPULAR),
            ("c", 1, "b2", 1.0 + 0.5, SEGMENT_POPULAR),
            ("c", 2, "b1", 0.5, CATEGORY_POPULAR),
            ("c", 3, "a1", 0.1, GLOBAL_POPULAR),
            ("n", 1, "a1", 1.0, SEGMENT_POPULAR),
            ("n", 2, "f1", 5.0 / 6.0, SEGMENT_POPULAR),
            ("n", 3, "p1", 5.0 / 6.0, SEGMENT_POPULAR),
            ("z", 1, "a1", 0.1, GLOBAL_POPULAR),
            ("z", 2, "f1", 0.1 * 5.0 / 6.0, GLOBAL_POPULAR),
            ("z", 3, "p1", 0.1 * 5.0 / 6.0, GLOBAL_POPULAR),
        ],
        BLENDED,
    )
    assert_lists(actual, expected)


def test_user_groups_split_by_interacted_items(spark):
    users = spark.createDataFrame([("none",), ("one",), ("two",), ("four",)], f"{C.USER_ID} string")
    activity = spark.createDataFrame([("one", 1), ("two", 2), ("four", 4), ("other", 9)], ACTIVITY)
    actual = user_groups(users, activity, new_user_interactions=2, heavy_user_interactions=4)
    expected = spark.createDataFrame(
        [("none", 0, "new"), ("one", 1, "new"), ("two", 2, "light"), ("four", 4, "heavy")],
        f"{C.USER_ID} string, {C.INTERACTED_ITEMS} long, {C.USER_GROUP} string",
    )
    assert_df_equality(actual, expected, ignore_row_order=True, ignore_nullable=True)


def test_grouped_metrics_score_each_group_on_its_evaluated_users(spark):
    lists = spark.createDataFrame(
        [
            ("u1", 1, "a", 1.0),
            ("u1", 2, "b", 0.5),
            ("u2", 1, "c", 1.0),
            ("u3", 1, "a", 1.0),
            ("u5", 1, "d", 1.0),
        ],
        f"{C.USER_ID} string, {C.RANK} int, {C.ITEM_ID} string, {C.SCORE} double",
    )
    relevance = spark.createDataFrame(
        [("u1", "b", 2.0), ("u2", "a", 1.0), ("u3", "a", 2.0), ("u4", "c", 1.0)],
        f"{C.USER_ID} string, {C.ITEM_ID} string, {C.GRADE} double",
    )
    popularity = spark.createDataFrame(
        [("a", 1), ("b", 2), ("c", 3), ("d", 4)], f"{C.ITEM_ID} string, {C.POPULARITY_RANK} int"
    )
    # u4 has labels but no list; u5 a list but no labels, so neither its accuracy nor its list counts.
    membership = {"x": ["u1", "u2"], "y": ["u3", "u4", "u5"], "all": ["u1", "u2", "u3", "u4", "u5"]}
    groups = spark.createDataFrame(
        [(user, group) for group, users in membership.items() for user in users],
        f"{C.USER_ID} string, {C.USER_GROUP} string",
    )
    actual = grouped_metrics(lists, relevance, popularity, groups, k=2)
    # Per user (precision, recall, NDCG, AP, hit): u1 hits b at rank 2: 1/2, 1, (2/log2 3)/2, 1/2, 1;
    # u3 hits a at rank 1: 1/2, 1, 1, 1, 1; u2 and u4 nothing.
    u1_ndcg = 2.0 / math.log2(3.0) / 2.0
    expected = spark.createDataFrame(
        [
            ("x", 2, 0.25, 0.5, u1_ndcg / 2, 0.25, 0.5, 3 / 4, (1 + 2 + 3) / 3),
            ("y", 2, 0.25, 0.5, 0.5, 0.5, 0.5, 1 / 4, 1.0),
            ("all", 4, 0.25, 0.5, (u1_ndcg + 1.0) / 4, 0.375, 0.5, 3 / 4, (1 + 2 + 3 + 1) / 4),
        ],
        f"{C.USER_GROUP} string, {C.EVALUATED_USERS} long, {C.PRECISION_AT_K} double, {C.RECALL_AT_K} double, "
        f"{C.NDCG_AT_K} double, {C.MAP_AT_K} double, {C.HIT_RATE} double, {C.CATALOG_COVERAGE} double, "
        f"{C.NOVELTY} double",
    )
    assert_approx_df_equality(actual, expected, 1e-12, ignore_row_order=True, ignore_nullable=True)


def test_blend_settings_name_every_source_and_reject_bad_weights():
    assert list(SETTINGS.problems()) == []
    missing = replace(SETTINGS, weights={ALS: 1.0})
    assert [name for name, _ in missing.problems()] == ["weights"]
    negative = replace(SETTINGS, cold_start_weights={**SETTINGS.cold_start_weights, ALS: -1.0})
    assert [name for name, _ in negative.problems()] == ["cold_start_weights"]
    inverted = replace(SETTINGS, heavy_user_interactions=1)
    assert [name for name, _ in inverted.problems()] == ["heavy_user_interactions"]
    with pytest.raises(ValueError, match="recommend.blend.weights"):
        blend_candidates(
            None, None, weights={ALS: 1.0}, cold_start_weights=NOTHING, cold_start_interactions=1, top_n=1
        )
