"""evaluate_recommenders and train_als end to end on a tiny lake: metrics table, MLflow runs, registered
model, ALS candidates and similar items."""

from __future__ import annotations

import datetime as dt

import pytest
from mlflow import MlflowClient
from pyspark.sql import functions as F

from jobs import build_interactions, evaluate_recommenders, train_als
from shop_platform.settings import LakeSettings, TrackingSettings
from shop_platform.storage import open_lake
from shop_platform.tracking import tracking_uri
from tests.test_interactions import silver_event
from transforms import columns as C
from transforms import vocabulary as V
from transforms.schemas import SILVER_EVENTS_PARTITIONS, SILVER_EVENTS_SCHEMA

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
    "recommend.top_n=3",
    "recommend.similar_top_n=2",
    "recommend.model_name=test-als",
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


def silver_rows():
    """Two taste groups: each user views three of the group's four items and buys the fourth after the split;
    everyone also views p1, the most popular item, which nobody buys."""
    rows = []
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


@pytest.fixture(scope="module")
def lake(spark, tmp_path_factory):
    root = str(tmp_path_factory.mktemp("recommend") / "lake")
    lake = open_lake(spark, LakeSettings(root, "embedded", 168, 0))
    events = lake.table("silver.events", SILVER_EVENTS_SCHEMA, partition_by=SILVER_EVENTS_PARTITIONS)
    events.create()
    events.overwrite(spark.createDataFrame(silver_rows(), SILVER_EVENTS_SCHEMA))
    assert build_interactions.main([*lake_args(root), "--rebuild"]) == 0
    assert evaluate_recommenders.main(lake_args(root)) == 0
    assert train_als.main(lake_args(root)) == 0
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
        ("als", 1), ("als_candidate", 1), ("category_popularity", 1), ("popularity", 1)
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
    # Every user's held-out item is one of its group's, none is p1: popularity ranks p1 first for all.
    assert by_model["popularity"][0][C.PRECISION_AT_K] <= 0.2 + 1e-9


def test_the_search_is_one_parent_run_with_a_child_run_per_configuration(lake):
    root, _ = lake
    mlflow = client(root)
    (experiment,) = [e for e in mlflow.search_experiments() if e.name == "recommend-tests"]
    runs = mlflow.search_runs([experiment.experiment_id], "tags.job = 'evaluate_recommenders'")
    parents = [r for r in runs if "mlflow.parentRunId" not in r.data.tags]
    children = [r for r in runs if r.data.tags.get("mlflow.parentRunId") == parents[0].info.run_id]
    assert len(parents) == 1 and len(children) == 2
    for child in children:
        assert {"rank", "reg_param", "alpha", "max_iter", "input_version.gold.user_item_daily"} <= set(
            child.data.params
        )
        assert {"ndcg_at_5", "precision_at_5", "train_seconds"} <= set(child.data.metrics)
    assert {"popularity.ndcg_at_5", "category_popularity.ndcg_at_5", "als.ndcg_at_5"} <= set(
        parents[0].data.metrics
    )


def test_train_als_registers_the_chosen_configuration_with_its_input_versions(lake):
    root, lake = lake
    mlflow = client(root)
    version = mlflow.get_model_version_by_alias("test-als", "champion")
    run = mlflow.get_run(version.run_id)
    chosen = lake.table("gold.recommendation_metrics").read().where(F.col(C.MODEL) == "als").first()[C.PARAMS]
    assert run.data.params["rank"] == chosen["rank"]
    assert run.data.params["params_source"] == f"evaluation of {LAST}"
    assert run.data.params["input_version.gold.user_item_interactions"] == str(
        lake.table("gold.user_item_interactions").version()
    )
    assert run.data.tags["run_date"] == LAST.isoformat()


def test_train_als_writes_top_n_candidates_per_user_and_similar_items_per_item(lake):
    _, lake = lake
    candidates = lake.table("gold.als_recommendations").read()
    assert candidates.count() == 12 * 3
    assert candidates.where(F.col(C.SNAPSHOT_DATE) != F.lit(LAST)).isEmpty()
    ranks = candidates.groupBy(C.USER_ID).agg(F.sort_array(F.collect_list(C.RANK)).alias("ranks"))
    assert {tuple(r["ranks"]) for r in ranks.collect()} == {(1, 2, 3)}
    similar = lake.table("gold.item_similar_als").read()
    assert similar.count() == 9 * 2
    assert similar.where(F.col(C.ITEM_ID) == F.col(C.SIMILAR_ITEM_ID)).isEmpty()
    # The two taste groups separate in factor space: an a-item's nearest item is another a-item.
    nearest = similar.where((F.col(C.RANK) == 1) & F.col(C.ITEM_ID).startswith("a")).collect()
    assert all(row[C.SIMILAR_ITEM_ID].startswith("a") for row in nearest)
