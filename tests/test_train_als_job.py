"""evaluate_recommenders, train_als and build_recommendations end to end on a tiny lake: metrics tables (per
model and per user group), MLflow runs, registered model, ALS candidates, similar items and the blend; and the
blend on a day train_als did not run (scored with the registered champion)."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
from chispa import assert_df_equality
from mlflow import MlflowClient
from pyspark.sql import functions as F

from jobs import build_interactions, build_recommendations, evaluate_recommenders, train_als
from shop_platform.config import load_config
from shop_platform.settings import LakeSettings, TrackingSettings
from shop_platform.storage import open_lake
from shop_platform.tracking import tracking_uri
from tests.job_logs import job_log_of
from tests.test_interactions import silver_event
from transforms import columns as C
from transforms import tables
from transforms import vocabulary as V
from transforms.recommend.evaluation import partners_as_of
from transforms.schemas import (
    GOLD_BOUGHT_TOGETHER_SCHEMA,
    GOLD_USER_FEATURES_SCHEMA,
    GOLD_USER_SEGMENTS_SCHEMA,
    SILVER_EVENTS_SCHEMA,
    SILVER_ORDER_ITEMS_SCHEMA,
    SILVER_ORDERS_SCHEMA,
)

START = dt.date(2031, 4, 1)
LAST = START + dt.timedelta(days=9)
TEST_DAYS = 3  # train through START + 6, test on the three days after
CATEGORY = {"a": ("home", "kitchen"), "b": ("sports", "outdoor"), "p": ("books", "novels")}
GROUP_ITEMS = {"a": ["a1", "a2", "a3", "a4"], "b": ["b1", "b2", "b3", "b4"]}
SETTINGS = [
    f"recommend.test_days={TEST_DAYS}",
    "recommend.k=5",
    "recommend.grid.rank=[2, 3]",
    "recommend.grid.reg_param=[0.1]",
    "recommend.grid.alpha=[10.0]",
    "recommend.grid.max_iter=[5]",
    "recommend.grid.scaling=[log]",
    "recommend.top_n=3",
    "recommend.similar_top_n=2",
    "recommend.model_name=test-als",
    "recommend.blend.top_n=3",
    "recommend.blend.candidates_per_source=3",
    "recommend.blend.cold_start_interactions=2",
    "recommend.blend.heavy_user_interactions=4",
    "graph.min_support={same_order: 1, same_user: 1}",
    "graph.min_lift={same_order: 0.0, same_user: 0.0}",
    "spark.shuffle_partitions=2",
    "tracking.experiment=recommend-tests",
]


def event(user, event_type, day, hour, item):
    values = dict(
        zip(
            SILVER_EVENTS_SCHEMA.fieldNames(),
            silver_event(user, event_type, day, hour, item=item),
            strict=True,
        )
    )
    if event_type == V.ORDER:
        values.update({C.ITEM_ID: None, C.ITEMS: [(item, 1, 9.9)]})
    values[C.CATEGORY_L1], values[C.CATEGORY_L2] = CATEGORY[item[0]]
    return tuple(values.values())


SPLIT = LAST - dt.timedelta(days=TEST_DAYS)
SEGMENTS_DATE = SPLIT - dt.timedelta(days=1)


def silver_rows():
    """Two taste groups: each user views three of the group's four items and buys the fourth after the split;
    everyone also views p1, the most popular item, which nobody buys. n0 is new: first seen after the split,
    it views and buys a1."""
    rows = [
        event("n0", V.PAGE_VIEW, START + dt.timedelta(days=8), 10, "a1"),
        event("n0", V.ORDER, START + dt.timedelta(days=9), 11, "a1"),
    ]
    for group, items in GROUP_ITEMS.items():
        for n in range(6):
            user = f"{group}{n}"
            held_out = items[n % 4]
            for hour, item in enumerate(i for i in items if i != held_out):
                rows.append(event(user, V.PAGE_VIEW, START + dt.timedelta(days=n % 5), 9 + hour, item))
            rows.append(event(user, V.PAGE_VIEW, START + dt.timedelta(days=1), 20, "p1"))
            rows.append(event(user, V.PAGE_VIEW, START + dt.timedelta(days=3), 20, "p1"))
            rows.append(event(user, V.ORDER, START + dt.timedelta(days=7 + n % 3), 12, held_out))
    return rows


def lake_args(root):
    return [
        "--date",
        LAST.isoformat(),
        "--set",
        f"lake.root={root}",
        *[a for s in SETTINGS for a in ("--set", s)],
    ]


def row_of(schema, **values):
    return tuple(values.get(name) for name in schema.fieldNames())


def order(order_id, user, day, items):
    """silver.orders and silver.order_items rows of a paid order of `items` (x items, in no event)."""
    header = row_of(
        SILVER_ORDERS_SCHEMA,
        order_id=order_id,
        user_id=user,
        order_date=day,
        status="paid",
        item_count=len(items),
    )
    lines = [
        row_of(SILVER_ORDER_ITEMS_SCHEMA, order_id=order_id, user_id=user, item_id=i, order_date=day)
        for i in items
    ]
    return header, lines


# x1 and x2 are bought together before the split, x1 and x3 only after it.
ORDERS = [
    order("o1", "a0", SPLIT - dt.timedelta(days=2), ["x1", "x2"]),
    order("o2", "b0", SPLIT + dt.timedelta(days=1), ["x1", "x3"]),
]


def write(lake, spark, spec, rows):
    table = lake.table(spec)
    table.create()
    table.overwrite(spark.createDataFrame(rows, spec.schema))


@pytest.fixture(scope="module")
def lake(spark, tmp_path_factory):
    """The tiny lake after the recommendation jobs. Besides the events: silver orders of x items for the
    co-purchase graph, segments of SEGMENTS_DATE (one per taste group; r0, registered without any event, is in
    a's), r0's user features on LAST, and gold.bought_together saying a3 goes with a1."""
    root = str(tmp_path_factory.mktemp("recommend") / "lake")
    lake = open_lake(spark, LakeSettings(root, "embedded", 168, 0))
    write(lake, spark, tables.SILVER_EVENTS, silver_rows())
    write(lake, spark, tables.ORDERS, [h for h, _ in ORDERS])
    write(lake, spark, tables.ORDER_ITEMS, [line for _, lines in ORDERS for line in lines])
    segments = [
        row_of(GOLD_USER_SEGMENTS_SCHEMA, user_id=f"{g}{n}", segment_id=i, snapshot_date=SEGMENTS_DATE)
        for i, g in enumerate(GROUP_ITEMS)
        for n in range(6)
    ]
    segments.append(
        row_of(GOLD_USER_SEGMENTS_SCHEMA, user_id="r0", segment_id=0, snapshot_date=SEGMENTS_DATE)
    )
    write(lake, spark, tables.USER_SEGMENTS, segments)
    features = [row_of(GOLD_USER_FEATURES_SCHEMA, user_id="r0", snapshot_date=LAST)]
    write(lake, spark, tables.USER_FEATURES, features)
    partners = [
        row_of(
            GOLD_BOUGHT_TOGETHER_SCHEMA, item_id="a1", rank=1, partner_id="a3", edge_type="same_order", support=3,
            confidence=0.5, lift=2.0, shrunk_lift=6 / 4.5, snapshot_date=SEGMENTS_DATE,
        )
    ]  # fmt: skip
    write(lake, spark, tables.BOUGHT_TOGETHER, partners)
    assert build_interactions.main([*lake_args(root), "--rebuild"]) == 0
    assert evaluate_recommenders.main(lake_args(root)) == 0
    assert train_als.main(lake_args(root)) == 0
    assert build_recommendations.main(lake_args(root)) == 0
    return root, lake


def client(root):
    return MlflowClient(tracking_uri=tracking_uri(TrackingSettings(uri=None, experiment="x"), root))


def test_the_metrics_table_holds_the_baselines_and_every_als_configuration(lake):
    _, lake = lake
    rows = lake.table("gold.recommendation_metrics").read().collect()
    by_model = {}
    for row in rows:
        by_model.setdefault(row[C.MODEL], []).append(row)
    assert sorted((m, len(r)) for m, r in by_model.items()) == [
        ("als", 1), ("als_candidate", 1), ("blend", 1), ("bpr", 1), ("category_popularity", 1),
        ("popularity", 1), ("sar", 1), ("trending_popularity", 1),
    ]  # fmt: skip
    for row in rows:
        assert (row[C.RUN_DATE], row[C.SPLIT_DATE], row[C.K]) == (
            LAST,
            LAST - dt.timedelta(days=TEST_DAYS),
            5,
        )
        assert row[C.EVALUATED_USERS] == 12
        assert all(
            0.0 <= row[name] <= 1.0 for name in (C.PRECISION_AT_K, C.RECALL_AT_K, C.NDCG_AT_K, C.MAP_AT_K)
        )
    (chosen,) = by_model["als"]
    (other,) = by_model["als_candidate"]
    assert chosen[C.NDCG_AT_K] >= other[C.NDCG_AT_K]
    assert {chosen[C.PARAMS]["rank"], other[C.PARAMS]["rank"]} == {"2", "3"}
    assert chosen[C.TRAIN_SECONDS] > 0 and by_model["popularity"][0][C.TRAIN_SECONDS] is None
    # BPR is fitted on the driver before it lists: its fit is timed too.
    assert by_model["bpr"][0][C.TRAIN_SECONDS] > 0
    bpr_params = sorted(by_model["bpr"][0][C.PARAMS])
    assert bpr_params == ["factors", "iterations", "learning_rate", "regularization", "seed"]
    # Every user's held-out item is one of its group's, none is p1: popularity ranks p1 first for all.
    assert by_model["popularity"][0][C.PRECISION_AT_K] <= 0.2 + 1e-9
    (blend,) = by_model["blend"]
    assert blend[C.PARAMS]["weight.als"] == "1.0"
    assert blend[C.PARAMS]["segments_date"] == SEGMENTS_DATE.isoformat()
    assert blend[C.TRAIN_SECONDS] is None


def test_the_group_table_scores_every_test_user_new_ones_included(lake):
    _, lake = lake
    rows = lake.table("gold.recommendation_metrics_by_group").read().collect()
    metrics = {(row[C.MODEL], row[C.USER_GROUP]): row for row in rows}
    # n0 is the one new user; the twelve others have 4 training items each: heavy at 4, none light.
    models = ("popularity", "category_popularity", "trending_popularity", "sar", "bpr", "als", "blend")
    assert sorted(metrics) == sorted((model, group) for model in models for group in ("all", "new", "heavy"))
    for (model, group), row in metrics.items():
        assert row[C.EVALUATED_USERS] == {"all": 13, "new": 1, "heavy": 12}[group], (model, group)
        assert (row[C.RUN_DATE], row[C.SPLIT_DATE], row[C.K]) == (LAST, SPLIT, 5)
    # ALS knows nothing of n0 (nor do SAR and BPR); the blend falls back on global popularity, as the
    # popularity baseline does.
    for model in ("als", "sar", "bpr"):
        assert metrics[model, "new"][C.NDCG_AT_K] == 0.0
        assert metrics[model, "new"][C.CATALOG_COVERAGE] == 0.0
    assert metrics["blend", "new"][C.NDCG_AT_K] == pytest.approx(metrics["popularity", "new"][C.NDCG_AT_K])
    assert metrics["blend", "new"][C.HIT_RATE] == metrics["popularity", "new"][C.HIT_RATE]
    # The heavy group is the users gold.recommendation_metrics scores.
    main = lake.table("gold.recommendation_metrics").read().where(F.col(C.MODEL) == "blend").first()
    assert metrics["blend", "heavy"][C.NDCG_AT_K] == pytest.approx(main[C.NDCG_AT_K], rel=1e-12)


def test_the_evaluation_rebuilds_co_purchase_partners_from_orders_through_the_split_day_only(lake):
    root, lake = lake
    cfg = load_config("local", [f"lake.root={root}", *SETTINGS])
    order_items, orders = lake.table(tables.ORDER_ITEMS).read(), lake.table(tables.ORDERS).read()
    partners = partners_as_of(order_items, orders, cfg.graph, SPLIT).collect()
    assert sorted((r[C.ITEM_ID], r[C.PARTNER_ID]) for r in partners) == [("x1", "x2"), ("x2", "x1")]


def test_the_search_is_one_parent_run_with_a_child_run_per_configuration(lake):
    root, _ = lake
    mlflow = client(root)
    (experiment,) = [e for e in mlflow.search_experiments() if e.name == "recommend-tests"]
    runs = mlflow.search_runs([experiment.experiment_id], "tags.job = 'evaluate_recommenders'")
    parents = [r for r in runs if "mlflow.parentRunId" not in r.data.tags]
    children = [r for r in runs if r.data.tags.get("mlflow.parentRunId") == parents[0].info.run_id]
    grid = [r for r in children if "rank" in r.data.params]
    models = {r.data.tags["mlflow.runName"]: r for r in children if "rank" not in r.data.params}
    assert len(parents) == 1 and len(grid) == 2
    # Every other model of the metrics table is a child run too, with its settings and metrics.
    assert sorted(models) == ["bpr", "category_popularity", "popularity", "sar", "trending_popularity"]
    assert models["sar"].data.params["similarity"] == "jaccard"
    assert "factors" in models["bpr"].data.params and "train_seconds" in models["bpr"].data.metrics
    assert {"ndcg_at_5", "heavy.ndcg_at_5", "input_version.gold.user_item_daily"} <= {
        *models["trending_popularity"].data.metrics,
        *models["trending_popularity"].data.params,
    }
    for child in grid:
        assert {"rank", "reg_param", "alpha", "max_iter", "input_version.gold.user_item_daily"} <= set(
            child.data.params
        )
        assert {"ndcg_at_5", "precision_at_5", "train_seconds"} <= set(child.data.metrics)
    assert {
        "popularity.ndcg_at_5",
        "category_popularity.ndcg_at_5",
        "als.ndcg_at_5",
        "blend.ndcg_at_5",
    } <= set(parents[0].data.metrics)
    assert {"blend.new.ndcg_at_5", "als.heavy.ndcg_at_5", "popularity.all.hit_rate"} <= set(
        parents[0].data.metrics
    )
    assert parents[0].data.params["blend.weight.als"] == "1.0"


def test_train_als_registers_the_chosen_configuration_with_its_input_versions(lake):
    root, lake = lake
    mlflow = client(root)
    version = mlflow.get_model_version_by_alias("test-als", "champion")
    run = mlflow.get_run(version.run_id)
    chosen = lake.table("gold.recommendation_metrics").read().where(F.col(C.MODEL) == "als").first()[C.PARAMS]
    assert run.data.params["rank"] == chosen["rank"]
    # The confidence form the evaluation chose is the one trained.
    assert run.data.params["scaling"] == chosen["scaling"] == "log"
    # A local session fits with implicit (recommend.engine auto), and says so where the choice came from.
    assert run.data.params["params_source"] == f"evaluation of {LAST} (engine implicit)"
    assert run.data.params["engine"] == "implicit"
    assert run.data.params["input_version.gold.user_item_interactions"] == str(
        lake.table("gold.user_item_interactions").version()
    )
    assert run.data.tags["run_date"] == LAST.isoformat()


def test_train_als_writes_top_n_candidates_per_user_and_similar_items_per_item(lake):
    _, lake = lake
    candidates = lake.table("gold.als_recommendations").read()
    assert candidates.count() == 13 * 3
    assert candidates.where(F.col(C.SNAPSHOT_DATE) != F.lit(LAST)).isEmpty()
    ranks = candidates.groupBy(C.USER_ID).agg(F.sort_array(F.collect_list(C.RANK)).alias("ranks"))
    assert {tuple(r["ranks"]) for r in ranks.collect()} == {(1, 2, 3)}
    similar = lake.table("gold.item_similar_als").read()
    assert similar.count() == 9 * 2
    assert similar.where(F.col(C.ITEM_ID) == F.col(C.SIMILAR_ITEM_ID)).isEmpty()
    # The two taste groups separate in factor space: an a-item's nearest item is another a-item.
    nearest = similar.where((F.col(C.RANK) == 1) & F.col(C.ITEM_ID).startswith("a")).collect()
    assert all(row[C.SIMILAR_ITEM_ID].startswith("a") for row in nearest)


def test_build_recommendations_lists_every_known_user_without_what_they_bought(lake):
    _, lake = lake
    lists = lake.table("gold.recommendations").read()
    assert lists.where(F.col(C.SNAPSHOT_DATE) != F.lit(LAST)).isEmpty()
    assert lists.where(F.col(C.SOURCE).isNull() | F.col(C.SCORE).isNull()).isEmpty()
    rows = lists.collect()
    by_user = {}
    for row in rows:
        by_user.setdefault(row[C.USER_ID], []).append(row)
    # The 13 users with interactions and r0, known only from its features.
    assert sorted(by_user) == sorted([*(f"{g}{n}" for g in GROUP_ITEMS for n in range(6)), "n0", "r0"])
    for user, slots in by_user.items():
        assert sorted(r[C.RANK] for r in slots) == [1, 2, 3], user
        scores = [r[C.SCORE] for r in sorted(slots, key=lambda r: r[C.RANK])]
        if all(r[C.SOURCE] != "global_popular" for r in slots):
            assert scores == sorted(scores, reverse=True), user
    # Each user bought one item by LAST (home/kitchen, sports/outdoor: not repeat-purchase categories).
    bought = {(f"{g}{n}", items[n % 4]) for g, items in GROUP_ITEMS.items() for n in range(6)} | {
        ("n0", "a1")
    }
    assert not bought & {(r[C.USER_ID], r[C.ITEM_ID]) for r in rows}
    # r0 has no interactions: cold start, served from its segment (the a users') and global popularity.
    r0 = sorted(by_user["r0"], key=lambda r: r[C.RANK])
    assert r0[0][C.SOURCE] == "segment_popular"
    assert {r[C.SOURCE] for r in r0} <= {"segment_popular", "global_popular"}
    assert {r[C.ITEM_ID] for r in r0 if r[C.SOURCE] == "segment_popular"} <= {*GROUP_ITEMS["a"], "p1"}
    # Users with training history are warm (5 items, cold start below 2): ALS fills their lists.
    assert {r[C.SOURCE] for r in rows if r[C.USER_ID].startswith(("a", "b"))} >= {"als"}


@pytest.fixture(scope="module")
def without_als_candidates(lake, tmp_path_factory):
    """A copy of the lake after the jobs without gold.als_recommendations, as on a day train_als did not run:
    the registry (under the root) still holds the champion train_als registered for LAST."""
    root, original = lake
    copy = tmp_path_factory.mktemp("without-als-candidates") / "lake"
    shutil.copytree(root, copy)
    shutil.rmtree(copy / Path(original.table(tables.ALS_RECOMMENDATIONS).path).relative_to(root))
    return str(copy)


def test_without_the_days_als_candidates_the_blend_scores_with_the_champion_to_the_same_lists(
    lake, without_als_candidates, spark
):
    _, original = lake
    with job_log_of("jobs.build_recommendations") as log:
        assert build_recommendations.main(lake_args(without_als_candidates)) == 0
    assert any("scoring with test-als@champion, version 1 trained for 2031-04-10" in m for m in log.messages)
    copy = open_lake(spark, LakeSettings(without_als_candidates, "embedded", 168, 0))
    assert not copy.table(tables.ALS_RECOMMENDATIONS).exists(), "the blend writes only gold.recommendations"
    # The champion is the model train_als scored the day's candidates with: the same lists, row for row.
    assert_df_equality(
        copy.table(tables.RECOMMENDATIONS).read(),
        original.table(tables.RECOMMENDATIONS).read(),
        ignore_row_order=True,
    )


def test_without_a_champion_trained_by_the_run_date_the_blend_fails_naming_train_als(without_als_candidates):
    retrain = "--only evaluate_recommenders --only train_als)"
    with job_log_of("jobs.build_recommendations") as log:
        args = [*lake_args(without_als_candidates), "--set", "recommend.model_name=never-trained"]
        assert build_recommendations.main(args) == 1
    assert log.messages[-1] == (
        f"gold.als_recommendations has no rows for {LAST} and no model is registered as never-trained@champion: "
        f"run train_als for it first (python -m jobs.run_pipeline --date {LAST} {retrain}"
    )
    earlier = LAST - dt.timedelta(days=1)
    args = [*lake_args(without_als_candidates), "--date", earlier.isoformat()]
    with job_log_of("jobs.build_recommendations") as log:
        assert build_recommendations.main(args) == 1
    assert log.messages[-1] == (
        f"gold.als_recommendations has no rows for {earlier} and test-als@champion (version 1) was trained for "
        f"{LAST}, not on or before it: run train_als for it first (python -m jobs.run_pipeline --date {earlier} "
        f"{retrain}"
    )
