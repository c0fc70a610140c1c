"""K-means segments: k by silhouette on separable users, distances, profiles, labels, and the adjusted Rand
index against scikit-learn."""

from __future__ import annotations

import datetime as dt
import math
import random

import pytest
from chispa import assert_df_equality
from pyspark.ml.functions import vector_to_array
from pyspark.sql import functions as F
from sklearn.metrics import adjusted_rand_score

from sample_shop import columns as TC
from sample_shop.truth.segments import adjusted_rand_index, contingency_table
from transforms import columns as C
from transforms.segments.features import population_by_date
from transforms.segments.kmeans import assign_segments, centres, search_k
from transforms.segments.labels import with_labels
from transforms.segments.profiles import segment_profiles

S = dt.date(2026, 10, 30)
FEATURES = ["orders_90d", "paid_gmv_90d", "night_share"]
# Three well-separated kinds of users: (orders, GMV, night share) around these centres.
GROUPS = {"heavy": (20, 5000.0, 0.1), "light": (1, 30.0, 0.1), "night": (3, 200.0, 0.9)}


def separable_users(spark):
    rows = []
    for name, (orders, gmv, night) in GROUPS.items():
        for i in range(8):
            wobble = (i % 4 - 1.5) / 20
            rows.append((f"{name}{i}", name, orders + i % 2, gmv * (1 + wobble), night + wobble / 5))
    # A user without orders at night: the null share is imputed, not a crash.
    rows.append(("light_null", "light", 1, 31.0, None))
    return spark.createDataFrame(
        rows, "user_id string, group string, orders_90d long, paid_gmv_90d double, night_share double"
    )


def test_silhouette_picks_the_planted_k_and_each_group_is_one_segment(spark):
    users = separable_users(spark)
    search = search_k(users, FEATURES, ["orders_90d", "paid_gmv_90d"], ks=[2, 3, 4, 5], seed=7, max_iter=20)
    assert [c.k for c in search.candidates] == [2, 3, 4, 5]
    assert search.k == 3
    best = max(search.candidates, key=lambda c: c.silhouette)
    assert best.k == 3 and best.silhouette > 0.8
    # More clusters never cost more within clusters here (k-means|| on separable data).
    assert search.candidates[0].cost > search.candidates[1].cost

    segments = assign_segments(search.model, users, S)
    assert segments.columns == [C.USER_ID, C.SEGMENT_ID, C.DISTANCE_TO_CENTRE, C.SNAPSHOT_DATE]
    pairs = segments.join(users.select(C.USER_ID, "group"), on=[C.USER_ID], how="inner")
    spread = pairs.groupBy("group").agg(F.countDistinct(C.SEGMENT_ID).alias("n"))
    per_group = {r["group"]: r["n"] for r in spread.collect()}
    assert per_group == {"heavy": 1, "light": 1, "night": 1}
    assert pairs.select(C.SEGMENT_ID).distinct().count() == 3 and pairs.count() == 25

    # Without a date each row keeps its own, so one model scores several dates at once.
    earlier = S - dt.timedelta(days=1)
    dated = users.withColumn(C.SNAPSHOT_DATE, F.when(F.col("group") == "heavy", S).otherwise(earlier))
    expected_dates = segments.drop(C.SNAPSHOT_DATE).join(
        dated.select(C.USER_ID, C.SNAPSHOT_DATE), on=[C.USER_ID], how="inner"
    )  # one row per user on both sides
    assert_df_equality(
        assign_segments(search.model, dated), expected_dates, ignore_row_order=True, ignore_nullable=True
    )

    # The distance is Euclidean to the own centre in the standardized space.
    scaled = search.model.transform(users).select(
        C.USER_ID, C.SEGMENT_ID, vector_to_array(C.SCALED_FEATURES).alias("v")
    )
    centre_of = centres(search.model)
    expected = {r[C.USER_ID]: math.dist(r["v"], centre_of[r[C.SEGMENT_ID]]) for r in scaled.collect()}
    for row in segments.collect():
        assert row[C.DISTANCE_TO_CENTRE] == pytest.approx(expected[row[C.USER_ID]], abs=1e-9)


def test_profiles_give_size_means_z_dominant_tags_top_categories_and_a_label(spark):
    features = spark.createDataFrame(
        [
            ("a1", 1, 100.0, ["electronics", "books"]),
            ("a2", 1, 300.0, ["electronics"]),
            ("b1", 1, 0.0, ["food"]),
            ("b2", 1, 0.0, ["food", "books"]),
        ],
        "user_id string, orders_90d long, paid_gmv_90d double, top_categories array<string>",
    )
    segments = spark.createDataFrame(
        [("a1", 0), ("a2", 0), ("b1", 1), ("b2", 1)], "user_id string, segment_id int"
    )
    tags = spark.createDataFrame(
        [
            ("a1", "rfm_segment", "champions"), ("a2", "rfm_segment", "champions"),
            ("b1", "rfm_segment", "lost"), ("b2", "rfm_segment", "no_purchase"),
            *[(u, "lifecycle_stage", "active") for u in ("a1", "a2", "b1", "b2")],
        ],
        "user_id string, tag_id string, value string",
    )  # fmt: skip
    profiles = segment_profiles(
        segments, features, tags, feature_columns=["paid_gmv_90d", "orders_90d"], log1p_features=[], top_n=2,
        rfm_tag="rfm_segment", lifecycle_tag="lifecycle_stage", snapshot_date=S,
    )  # fmt: skip
    labelled = with_labels(
        profiles, {"paid_gmv_90d": "spend"}, max_features=2, min_z=0.5, min_category_lift=1.3
    )
    rows = {r[C.SEGMENT_ID]: r.asDict() for r in labelled.collect()}
    z = 100 / math.sqrt(15000)  # (200 - 100) / population standard deviation of (100, 300, 0, 0)
    a, b = rows[0], rows[1]
    assert (a[C.USERS], a[C.SHARE], b[C.USERS], b[C.SHARE]) == (2, 0.5, 2, 0.5)
    assert a[C.FEATURE_MEANS] == {"paid_gmv_90d": 200.0, "orders_90d": 1.0}
    assert a[C.FEATURE_Z]["paid_gmv_90d"] == pytest.approx(z) and b[C.FEATURE_Z][
        "paid_gmv_90d"
    ] == pytest.approx(-z)
    assert a[C.FEATURE_Z]["orders_90d"] == 0.0  # no spread in the population
    # Ties between dominant values go to the first by name.
    assert (a[C.DOMINANT_RFM_SEGMENT], b[C.DOMINANT_RFM_SEGMENT]) == ("champions", "lost")
    assert a[C.DOMINANT_LIFECYCLE_STAGE] == "active"
    assert (a[C.TOP_CATEGORIES], a[C.CATEGORY_LIFT]) == (
        ["electronics", "books"],
        {"electronics": 2.0, "books": 1.0},
    )
    assert (b[C.TOP_CATEGORIES], b[C.CATEGORY_LIFT]) == (["food", "books"], {"food": 2.0, "books": 1.0})
    assert (a[C.LABEL], b[C.LABEL]) == ("high spend, electronics", "low spend, food")
    assert labelled.columns[-2:] == [C.LABEL, C.SNAPSHOT_DATE] and a[C.SNAPSHOT_DATE] == S


def test_labels_name_the_strongest_features_then_the_most_lifted_category(spark):
    profiles = spark.createDataFrame(
        [
            (0, {"orders_90d": 1.2, "paid_gmv_90d": -2.0, "night_share": 0.1}, ["books", "electronics"],
             {"books": 1.1, "electronics": 1.8}, S),
            (1, {"orders_90d": 0.2, "paid_gmv_90d": -0.3, "night_share": 0.1}, ["books"], {"books": 1.0}, S),
            (2, {"orders_90d": 0.9, "paid_gmv_90d": 0.0, "night_share": -3.0}, None, None, S),
        ],
        "segment_id int, feature_z map<string,double>, top_categories array<string>, "
        "category_lift map<string,double>, snapshot_date date",
    )  # fmt: skip
    labelled = with_labels(profiles, {"paid_gmv_90d": "spend", "night_share": "night shopping"}, 2, 0.5, 1.3)
    expected = spark.createDataFrame(
        [
            (0, "low spend, high orders_90d, electronics"),
            (1, "average"),
            (2, "low night shopping, high orders_90d"),
        ],
        "segment_id int, label string",
    )
    assert_df_equality(
        labelled.select(C.SEGMENT_ID, C.LABEL), expected, ignore_row_order=True, ignore_nullable=True
    )


def test_adjusted_rand_index_matches_scikit_learn(spark):
    rng = random.Random(11)
    personas = [rng.choice("abc") for _ in range(60)]
    # Segments that mostly follow the personas, with noise, and one that ignores them.
    follows = [{"a": 0, "b": 1, "c": 2}[p] if rng.random() < 0.7 else rng.randrange(4) for p in personas]
    renamed = [{"a": 5, "b": 3, "c": 9}[p] for p in personas]
    truth = spark.createDataFrame(
        [(f"u{i}", p) for i, p in enumerate(personas)], "user_id string, persona string"
    )
    for labels in (follows, renamed, [0] * 60):
        segments = spark.createDataFrame(
            [(f"u{i}", s) for i, s in enumerate(labels)], "user_id string, segment_id int"
        )
        ari = adjusted_rand_index(contingency_table(segments, truth)).first()[TC.ADJUSTED_RAND_INDEX]
        assert ari == pytest.approx(adjusted_rand_score(personas, labels), abs=1e-12)
    assert ari == 0.0  # one segment for everybody carries no information


def test_the_contingency_table_counts_users_with_both_a_segment_and_a_persona(spark):
    segments = spark.createDataFrame(
        [("u0", 4), ("u1", 4), ("u2", 5), ("x", 5)], "user_id string, segment_id int"
    )
    truth = spark.createDataFrame(
        [("u0", "a"), ("u1", "a"), ("u2", "b"), ("y", "b")], "user_id string, persona string"
    )
    expected = spark.createDataFrame([(4, "a", 2), (5, "b", 1)], "segment_id int, persona string, users long")
    assert_df_equality(
        contingency_table(segments, truth), expected, ignore_row_order=True, ignore_nullable=True
    )


def test_users_per_date_count_every_row_and_the_active_ones(spark):
    d1, d2 = S - dt.timedelta(days=1), S
    features = spark.createDataFrame(
        [("a", d1, 3), ("b", d1, 0), ("c", d1, None), ("a", d2, 1), ("b", d2, 2)],
        "user_id string, snapshot_date date, days_active_90d long",
    )
    expected = spark.createDataFrame([(d1, 3, 1), (d2, 2, 2)], "snapshot_date date, rows long, users long")
    assert_df_equality(
        population_by_date(features, "days_active_90d"), expected, ignore_row_order=True, ignore_nullable=True
    )
