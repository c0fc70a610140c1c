"""A re-run of a date gives the same tables: the model stages of the pipeline (K-means segments, the
propensity model and its scores, the tag snapshot built on them, ALS) run for one date on a tiny lake, the
inputs are rewritten with the same rows in another layout (as an upstream re-run writes them), the same
tasks run again, and every Delta table of the lake is compared with its first-run version.

The whole pipeline on even a 100-user generated lake takes minutes on two cores (see test_behaviour_truth),
so this lake is hand-made: the gold and silver tables the model stages read, 24 users over three snapshots.
"""

from __future__ import annotations

import datetime as dt

import pytest
from mlflow import MlflowClient

from jobs import run_pipeline, score_propensity, train_als, train_propensity
from shop_platform.config import load_config
from shop_platform.storage import open_lake
from tests.lake_diff import lake_differences, rows_difference, table_versions
from transforms import columns as C
from transforms import tables as catalogue
from transforms.schemas import (
    GOLD_USER_FEATURES_SCHEMA,
    GOLD_USER_ITEM_INTERACTIONS_SCHEMA,
    SILVER_ORDERS_SCHEMA,
)

D = dt.date(2026, 10, 30)
# horizon 3, one training snapshot: train on D - 6, validate on D - 3 (as tests/test_propensity_jobs).
TRAIN, VALID = D - dt.timedelta(days=6), D - dt.timedelta(days=3)
USERS = [f"b{i:02d}" for i in range(12)] + [f"w{i:02d}" for i in range(12)]
ITEMS = [f"i{i:02d}" for i in range(10)]
TASKS = ["build_segments", "train_propensity", "score_propensity", "build_tag_snapshots", "train_als"]
MODELS = {"propensity": "rerun-propensity", "segments": "rerun-segments", "als": "rerun-als"}
SETTINGS = [
    "spark.shuffle_partitions=2",
    "tracking.experiment=rerun-tests",
    "propensity.horizon_days=3",
    "propensity.train_snapshots=1",
    f"propensity.model_name={MODELS['propensity']}",
    "propensity.numeric_features=[orders_30d, days_active_30d, days_since_last_order]",
    "propensity.log1p_features=[orders_30d]",
    "propensity.tag_features=[activity_level, repeat_buyer]",
    "propensity.candidates.logistic_regression.reg_param=[0.01]",
    "propensity.candidates.logistic_regression.max_iter=[5]",
    "propensity.candidates.gbt.max_depth=[2]",
    "propensity.candidates.gbt.max_iter=[3]",
    f"segments.model_name={MODELS['segments']}",
    "segments.k_min=2",
    "segments.k_max=2",
    "segments.max_iter=10",
    f"recommend.model_name={MODELS['als']}",
    "recommend.default_params={rank: 3, reg_param: 0.1, alpha: 5.0, max_iter: 4}",
    "recommend.top_n=4",
    "recommend.blend.candidates_per_source=4",
    "recommend.similar_top_n=3",
]
# Wall-clock seconds of a training: measured, not computed, so never the same twice.
NOT_REPEATABLE = {"gold.propensity_metrics": {C.TRAIN_SECONDS}}
TOLERANCE = 1e-9


def feature_row(user: str, snapshot: dt.date) -> tuple:
    """Buyers order and visit often, browsers only visit; every user was active in the last 90 days."""
    n, buyer = int(user[1:]), user.startswith("b")
    values = {
        C.USER_ID: user,
        C.SNAPSHOT_DATE: snapshot,
        "orders_30d": 2 + n % 3 if buyer else 0,
        "orders_90d": 4 + n % 3 if buyer else 0,
        "paid_gmv_90d": 100.0 + 17 * n if buyer else 0.0,
        "days_active_30d": 8 + n % 5 if buyer else 1 + n % 3,
        "days_active_90d": 20 + n % 7 if buyer else 2 + n % 4,
        "page_views_90d": 60 + 3 * n if buyer else 10 + n,
        "days_since_last_order": 1 + n % 4 if buyer else None,
        "days_since_last_visit": n % 3,
        "tenure_days": 100 + n,
    }
    return tuple(values.get(name) for name in GOLD_USER_FEATURES_SCHEMA.fieldNames())


def order_rows() -> list[tuple]:
    """Buyers buy the day after each snapshot (b11 not after the validation one); w11 buys once."""
    placed = [(u, TRAIN + dt.timedelta(days=1)) for u in USERS[:12]]
    placed += [(u, VALID + dt.timedelta(days=2)) for u in USERS[:11]] + [("w11", D), ("b00", D)]
    names = SILVER_ORDERS_SCHEMA.fieldNames()
    return [
        tuple(
            {C.ORDER_ID: f"{u}-{day}", C.USER_ID: u, C.ORDER_DATE: day, C.STATUS: "paid",
             C.PAID_TIME: dt.datetime.combine(day, dt.time(10))}.get(name)
            for name in names
        )
        for u, day in placed
    ]  # fmt: skip


def interaction_rows() -> list[tuple]:
    """Each user interacts with four of the ten items, buyers with the first half more."""
    names = GOLD_USER_ITEM_INTERACTIONS_SCHEMA.fieldNames()
    rows = []
    for u, user in enumerate(USERS):
        for j in range(4):
            i = (u + 3 * j) % len(ITEMS)
            strength = 1.0 + (u * 7 + i * 3) % 5 + (2.0 if user.startswith("b") and i < 5 else 0.0)
            values = {C.USER_ID: user, C.ITEM_ID: ITEMS[i], C.USER_IDX: u, C.ITEM_IDX: i,
                      C.PAGE_VIEWS: 1 + j, C.STRENGTH: strength, C.AS_OF_DATE: D}  # fmt: skip
            rows.append(tuple(values.get(name) for name in names))
    return rows


def lake_settings(root: str) -> list[str]:
    return [f"lake.root={root}", "lake.engine=embedded", *SETTINGS]


def run_tasks(root: str, *extra: str) -> None:
    argv = ["--env", "local", "--date", D.isoformat(), *[a for t in TASKS for a in ("--only", t)]]
    argv += [a for s in lake_settings(root) for a in ("--set", s)]
    assert run_pipeline.main([*argv, *extra]) == 0


def relayout(lake, name: str) -> None:
    """Rewrite a table with the same rows in another layout: reversed, in three partitions."""
    table = lake.table(name)
    rows = table.read().collect()
    table.overwrite(lake.spark.createDataFrame(rows[::-1], table.read().schema).repartition(3))


def registered(root: str) -> dict[str, list[int]]:
    client = MlflowClient(tracking_uri=f"sqlite:///{root}/mlflow/mlflow.db")
    return {
        kind: sorted(int(v.version) for v in client.search_model_versions(f"name = '{name}'"))
        for kind, name in MODELS.items()
    }


@pytest.fixture(scope="module")
def rerun(spark, tmp_path_factory):
    """The lake after a first run and a re-run of D: (lake, root, table versions after the first run,
    registered versions after the first run)."""
    root = str(tmp_path_factory.mktemp("rerun") / "lake")
    lake = open_lake(spark, load_config("local", lake_settings(root)).lake)
    inputs = [
        (catalogue.USER_FEATURES, [feature_row(u, day) for day in (TRAIN, VALID, D) for u in USERS]),
        (catalogue.ORDERS, order_rows()),
        (catalogue.USER_ITEM_INTERACTIONS, interaction_rows()),
        (catalogue.USER_INDEX, [(u, n, TRAIN) for n, u in enumerate(USERS)]),
        (catalogue.ITEM_INDEX, [(i, n, TRAIN) for n, i in enumerate(ITEMS)]),
    ]
    for spec, rows in inputs:
        lake.table(spec).create().overwrite(spark.createDataFrame(rows, spec.schema))
    run_tasks(root)
    first_tables, first_models = table_versions(lake), registered(root)
    for name in ("gold.user_features", "silver.orders", "gold.user_item_interactions"):
        relayout(lake, name)
    run_tasks(root)
    return lake, root, first_tables, first_models


def test_a_rerun_of_a_date_rewrites_every_table_with_the_same_rows(rerun):
    lake, _, before, _ = rerun
    assert {"gold.user_segments", "gold.propensity_metrics", "gold.user_propensity", "gold.tag_history",
            "gold.user_profile", "gold.tag_quality", "gold.als_recommendations"} <= set(before)  # fmt: skip
    differences = lake_differences(lake, before, rel_tol=TOLERANCE, ignore=NOT_REPEATABLE)
    assert not differences, "tables that differ after the re-run:\n" + "\n".join(differences)


def test_a_rerun_reuses_the_models_registered_for_its_date(rerun):
    _, root, _, models = rerun
    assert models == {"propensity": [1], "segments": [1], "als": [1]}
    assert registered(root) == models


def test_a_forced_retrain_trains_new_versions_that_score_the_same(rerun):
    """--retrain trains new versions, on inputs that now lie in another layout than the first training saw;
    the metrics, scores and ALS lists are the same but for the version numbers. (Whether a layout changes a
    model at all shows only on more rows: tests/test_training_order.py.)"""
    lake, root, before, _ = rerun
    argv = [
        "--env",
        "local",
        "--date",
        D.isoformat(),
        *[a for s in lake_settings(root) for a in ("--set", s)],
    ]
    for job in (train_propensity, train_als):
        assert job.main([*argv, "--retrain"]) == 0
    assert score_propensity.main(argv) == 0
    assert registered(root) == {"propensity": [1, 2], "segments": [1], "als": [1, 2]}
    for name in ("gold.propensity_metrics", "gold.user_propensity", "gold.als_recommendations",
                 "gold.item_similar_als"):  # fmt: skip
        table = lake.table(name)
        difference = rows_difference(
            table.read(version=before[name]).collect(),
            table.read().collect(),
            TOLERANCE,
            ignore={C.MODEL_VERSION, C.TRAIN_SECONDS},
        )
        assert difference is None, f"{name}: {difference}"
