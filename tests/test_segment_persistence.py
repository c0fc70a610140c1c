"""Segments that stay put: ids persist across refits, light users are a segment by rule, k needs stability,
and the day-to-day transitions and stability figure."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from chispa import assert_df_equality
from pyspark.ml import PipelineModel
from pyspark.sql import functions as F

from transforms import columns as C
from transforms.report.segments import transitions_blocks
from transforms.segments.features import is_light_user, light_user_segments
from transforms.segments.identity import match_segment_ids
from transforms.segments.kmeans import (
    KCandidate,
    assign_segments,
    choose,
    handed_over,
    search_k,
    segment_ids,
    segment_naming,
    with_persistent_ids,
)
from transforms.segments.transitions import segment_stability, segment_transitions

D1, D2, D3 = dt.date(2026, 10, 1), dt.date(2026, 10, 2), dt.date(2026, 10, 3)
FEATURES = ["views_per_active_day", "coupon_share"]
RATIOS = {"views_per_active_day": ["page_views_90d", "days_active_90d"]}
# Three kinds of users, (page views, active days, coupon share): deep browsers, coupon hunters, quick buyers.
GROUPS = {"deep": (400, 10, 0.1), "coupon": (60, 10, 0.9), "quick": (30, 10, 0.1)}


def users(spark, scale: float, order: int):
    """Eight users per group; `scale` moves every group's browsing, `order` rotates the rows so a refit's
    k-means|| starts elsewhere."""
    rows = [
        (f"{name}{i}", name, int(views * scale) + i, days, share + i / 200)
        for name, (views, days, share) in GROUPS.items()
        for i in range(8)
    ]
    rows = rows[order:] + rows[:order]
    return spark.createDataFrame(
        rows, "user_id string, group string, page_views_90d long, days_active_90d long, coupon_share double"
    )


def ids_by_group(model, population) -> dict[str, set[int]]:
    assigned = assign_segments(model, population, D1).join(
        population.select(C.USER_ID, "group"), on=[C.USER_ID], how="inner"
    )  # one row per user on both sides
    rows = assigned.groupBy("group").agg(F.collect_set(C.SEGMENT_ID).alias("ids")).collect()
    return {r["group"]: set(r["ids"]) for r in rows}


def test_a_refit_on_shifted_data_keeps_each_segments_id(spark):
    def fitted(population, seed):
        return search_k(
            population, FEATURES, ["views_per_active_day"], ks=[3], seed=seed, max_iter=20,
            ratios=RATIOS, reserved_ids=[0],
        ).model  # fmt: skip

    first_users = users(spark, 1.0, 0)
    first = fitted(first_users, 7)
    # A first model numbers its clusters from 1: 0 is the light users' id.
    assert sorted(segment_ids(first)) == [1, 2, 3]
    # Ids a refit would never number its clusters with on its own: what it inherits is seen.
    previous = PipelineModel(stages=[*first.stages[:-1], segment_naming([9, 5, 7])])
    before = ids_by_group(previous, first_users)
    assert sorted(ids for group in before.values() for ids in group) == [5, 7, 9]

    # A week later everyone browses 30% more; the refit starts elsewhere and keeps each group's id.
    later_users = users(spark, 1.3, 11)
    refit = fitted(later_users, 3)
    assert ids_by_group(with_persistent_ids(refit, previous, reserved_ids=[0]), later_users) == before


def test_a_model_taking_over_leaves_users_in_their_segment_within_the_margin(spark):
    population = users(spark, 1.0, 0)
    model = search_k(
        population, FEATURES, ["views_per_active_day"], ks=[3], seed=7, max_iter=20, ratios=RATIOS, reserved_ids=[0]
    ).model  # fmt: skip
    ids = segment_ids(model)
    # The model before named the same clusters the other way round: each user's previous id is another
    # cluster's id in the new model, whose centre is farther away.
    previous = PipelineModel(stages=[*model.stages[:-1], segment_naming([ids[1], ids[2], ids[0]])])
    dated = population.select("*", F.lit(D1).alias(C.SNAPSHOT_DATE))

    def assigned(margin: float) -> dict[str, tuple[int, float]]:
        rows = handed_over(model, dated, previous, margin).collect()
        return {r[C.USER_ID]: (r[C.SEGMENT_ID], r[C.DISTANCE_TO_CENTRE]) for r in rows}

    new = {
        r[C.USER_ID]: (r[C.SEGMENT_ID], r[C.DISTANCE_TO_CENTRE])
        for r in assign_segments(model, dated).collect()
    }
    before = {r[C.USER_ID]: r[C.SEGMENT_ID] for r in assign_segments(previous, dated).collect()}
    assert assigned(0.0) == new  # the nearest centre always wins
    assert {u: seg for u, (seg, _) in assigned(1e6).items()} == before  # every previous id survives
    # In between, exactly the users whose previous segment's centre is within the margin stay in it: with
    # every previous id kept, the distance is the one to the previous segment's centre.
    ratio = {u: distance / new[u][1] for u, (_, distance) in assigned(1e6).items()}
    margin = sorted(ratio.values())[len(ratio) // 2] - 1.0
    moderate = assigned(margin)
    kept = {u for u, r in ratio.items() if r <= 1.0 + margin}
    assert 0 < len(kept) < len(moderate)
    for user, (segment, distance) in moderate.items():
        assert segment == (before[user] if user in kept else new[user][0])
        assert distance == pytest.approx(
            ratio[user] * new[user][1] if user in kept else new[user][1], rel=1e-12
        )


def test_matching_pairs_nearest_centres_and_gives_new_clusters_fresh_ids():
    previous = {4: [0.0, 0.0], 1: [5.0, 5.0], 2: [-5.0, 5.0]}
    # Shuffled and moved a little: each keeps its nearest previous id.
    assert match_segment_ids([[-4.5, 5.2], [0.3, -0.1], [5.1, 4.8]], previous) == [2, 4, 1]
    # k grew: the extra cluster gets the first id no previous segment and no rule segment (0) used.
    grown = match_segment_ids([[0.1, 0.0], [9.0, -9.0], [5.0, 5.0], [-5.0, 5.0]], previous, reserved=[0])
    assert grown == [4, 3, 1, 2]
    # k shrank: the unmatched previous id retires; a first model numbers from 0 up, skipping reserved ids.
    assert match_segment_ids([[5.0, 5.0], [-5.0, 5.0]], previous) == [1, 2]
    assert match_segment_ids([[1.0], [2.0]], {}, reserved=[0]) == [1, 2]


def test_k_is_the_best_silhouette_among_the_stable_candidates():
    candidates = [
        KCandidate(3, 0.30, 9.0, 0.95),
        KCandidate(4, 0.40, 8.0, 0.55),
        KCandidate(5, 0.35, 7.0, 0.9),
    ]
    assert choose(candidates, min_stability=0.8).k == 5
    assert choose(candidates, min_stability=0.0).k == 4
    # None stable enough: the most stable.
    assert choose(candidates, min_stability=0.99).k == 3
    # Stability not measured: silhouette alone.
    assert choose([KCandidate(3, 0.2, 1.0), KCandidate(4, 0.3, 1.0)], min_stability=0.8).k == 4


def test_light_users_have_no_order_and_few_active_days(spark):
    features = spark.createDataFrame(
        [
            ("few_days", 0, 4, D1),
            ("enough_days", 0, 5, D1),
            ("one_order", 1, 1, D1),
            ("null_orders", None, 2, D1),
        ],
        "user_id string, orders_90d long, days_active_90d long, snapshot_date date",
    )
    light = features.where(is_light_user("orders_90d", "days_active_90d", min_active_days=5))
    expected = spark.createDataFrame(
        [("few_days", 0, None, D1), ("null_orders", 0, None, D1)],
        "user_id string, segment_id int, distance_to_centre double, snapshot_date date",
    )
    assert_df_equality(light_user_segments(light, 0), expected, ignore_row_order=True, ignore_nullable=True)


def test_transitions_count_moves_between_consecutive_days_and_stability_is_the_share_kept(spark):
    segments = spark.createDataFrame(
        [
            ("a", 1, D1), ("b", 1, D1), ("c", 2, D1), ("d", 2, D1), ("gone", 2, D1),
            ("a", 1, D2), ("b", 2, D2), ("c", 2, D2), ("d", 2, D2), ("new", 0, D2),
            ("a", 1, D3),
        ],
        "user_id string, segment_id int, snapshot_date date",
    )  # fmt: skip
    # D1 has no day before it: no rows, rather than every user looking newly arrived.
    transitions = segment_transitions(segments, [D1, D2, D3])
    expected = spark.createDataFrame(
        [
            (1, 1, 1, D2), (1, 2, 1, D2), (2, 2, 2, D2), (2, None, 1, D2), (None, 0, 1, D2),
            (1, 1, 1, D3), (2, None, 3, D3), (0, None, 1, D3),
        ],
        "from_segment_id int, to_segment_id int, users long, snapshot_date date",
    )  # fmt: skip
    assert_df_equality(transitions, expected, ignore_row_order=True, ignore_nullable=True)

    stability = segment_stability(transitions).collect()
    assert [(r[C.SNAPSHOT_DATE], r[C.USERS]) for r in stability] == [(D2, 4), (D3, 1)]
    assert [r[C.STABILITY] for r in stability] == [pytest.approx(3 / 4), 1.0]


def test_the_report_shows_the_weeks_stability_and_the_days_transitions_as_a_grid():
    stability = pd.DataFrame({"snapshot_date": [D3, D2], "users": [1, 4], "stability": [1.0, 0.75]})
    matrix = pd.DataFrame(
        {"from_segment_id": [1, 1, 2, None], "to_segment_id": [1, 2, None, 0], "users": [5, 1, 2, 3]}
    )
    kept, grid = transitions_blocks(stability, matrix)
    assert kept.rows == [[str(D3), "1", "100.0%"], [str(D2), "4", "75.0%"]]
    # A row per segment the day before, a column per segment on the day; "–" for one day only.
    assert grid.columns == ["from ↓ to →", "0", "1", "2", "–"]
    assert grid.rows == [["1", "0", "5", "1", "0"], ["2", "0", "0", "0", "2"], ["–", "3", "0", "0", "0"]]
