"""train_propensity -> score_propensity -> the churn_risk and purchase_propensity tags, on a tiny lake where
buyers buy again and browsers do not: a young lake does not train, the MLflow runs and the registered champion,
gold.propensity_metrics, gold.user_propensity and the tag values."""

from __future__ import annotations

import datetime as dt
import json

from chispa import assert_approx_df_equality
from mlflow import MlflowClient
from pyspark.sql import functions as F

from jobs import score_propensity, train_propensity
from shop_platform.catalogs import TagCatalog, load_tag_catalog
from shop_platform.config import load_config
from shop_platform.settings import LakeSettings
from shop_platform.storage import open_lake
from transforms import columns as C
from transforms import tables
from transforms.propensity.dataset import FeatureSpec
from transforms.schemas import (
    GOLD_USER_FEATURES_SCHEMA,
    SILVER_ORDERS_SCHEMA,
)
from transforms.tags.builtins import BUILTIN_COLUMNS, with_builtins
from transforms.tags.evaluate import NUMBER_DECIMALS, tag_profile, tag_snapshot

D = dt.date(2026, 10, 30)
# horizon 3, one training snapshot: train on D - 6 (labels D-5..D-3), validate on D - 3 (labels D-2..D).
TRAIN, VALID = D - dt.timedelta(days=6), D - dt.timedelta(days=3)
MODEL = "test-propensity"
SETTINGS = [
    "spark.shuffle_partitions=2",
    "tracking.experiment=propensity-tests",
    "propensity.horizon_days=3",
    "propensity.train_snapshots=1",
    f"propensity.model_name={MODEL}",
    "propensity.numeric_features=[orders_30d, days_active_30d, days_since_last_order, price_level]",
    "propensity.log1p_features=[orders_30d]",
    "propensity.tag_features=[activity_level, repeat_buyer]",
    "propensity.candidates.logistic_regression.reg_param=[0.01]",
    "propensity.candidates.logistic_regression.max_iter=[5]",
    "propensity.candidates.gbt.max_depth=[2]",
    "propensity.candidates.gbt.max_iter=[3]",
    "propensity.churn_risk_bands={medium: 0.5, high: 0.8}",
]
BUYERS = [f"b{i:02d}" for i in range(12)]
BROWSERS = [f"w{i:02d}" for i in range(12)]


def feature_row(user: str, snapshot: dt.date) -> tuple:
    n = int(user[1:])
    buyer = user.startswith("b")
    values = {
        "user_id": user,
        "snapshot_date": snapshot,
        "orders_30d": 2 + n % 3 if buyer else 0,
        "orders_90d": 4 + n % 3 if buyer else 0,
        "days_active_30d": 8 + n % 5 if buyer else 1 + n % 3,
        "days_since_last_order": 1 + n % 4 if buyer else None,
        # price_level stays null for everyone: left out of the model, with a warning.
    }
    return tuple(values.get(name) for name in GOLD_USER_FEATURES_SCHEMA.fieldNames())


def order_row(user: str, day: dt.date) -> tuple:
    values = {
        C.ORDER_ID: f"{user}-{day}",
        C.USER_ID: user,
        C.ORDER_DATE: day,
        C.STATUS: "paid",
        C.PAID_TIME: dt.datetime.combine(day, dt.time(10)),
    }
    return tuple(values.get(name) for name in SILVER_ORDERS_SCHEMA.fieldNames())


def orders() -> list[tuple]:
    """Buyers buy the day after each snapshot (b11 not after the validation one); w11 buys once."""
    rows = [order_row(u, TRAIN + dt.timedelta(days=1)) for u in BUYERS]
    rows += [order_row(u, VALID + dt.timedelta(days=2)) for u in BUYERS if u != "b11"]
    rows += [order_row("w11", D), order_row("b00", D)]
    return rows


def run(job, root: str, day: dt.date = D) -> int:
    return job.main(
        ["--env", "local", "--set", f"lake.root={root}", *[a for s in SETTINGS for a in ("--set", s)],
         "--date", day.isoformat()]
    )  # fmt: skip


def test_train_register_score_and_tag(spark, tmp_path):
    root = str(tmp_path / "lake")
    lake = open_lake(spark, LakeSettings(root, "embedded", 168, 24))
    lake.table(tables.USER_FEATURES).append(
        spark.createDataFrame(
            [feature_row(u, day) for day in (TRAIN, VALID, D) for u in BUYERS + BROWSERS],
            GOLD_USER_FEATURES_SCHEMA,
        )
    )
    lake.table(tables.ORDERS).append(spark.createDataFrame(orders(), SILVER_ORDERS_SCHEMA))
    client = MlflowClient(tracking_uri=f"sqlite:///{root}/mlflow/mlflow.db")

    # Without a registered model (a young lake: see test_history_problem_tells_a_young_lake_from_a_gap),
    # scoring writes nothing and does not fail.
    assert run(score_propensity, root) == 0
    assert client.search_model_versions(f"name = '{MODEL}'") == []
    assert not lake.table("gold.user_propensity").exists()

    assert run(train_propensity, root) == 0
    champion = client.get_model_version_by_alias(MODEL, "champion")
    assert int(champion.version) == 1 and champion.tags["run_date"] == D.isoformat()
    spec = FeatureSpec.from_json(champion.tags["feature_spec"])
    assert spec.numeric == ("orders_30d", "days_active_30d", "days_since_last_order")  # price_level: all null
    assert [t.id for t in spec.tags] == ["activity_level", "repeat_buyer"]
    parent = client.get_run(champion.run_id)
    assert parent.data.params["input_version.gold.user_features"] == str(
        lake.table("gold.user_features").version()
    )
    assert parent.data.params["input_version.silver.orders"] == str(lake.table("silver.orders").version())
    assert parent.data.params["validation_date"] == VALID.isoformat()
    children = client.search_runs(
        [parent.info.experiment_id], filter_string=f"tags.mlflow.parentRunId = '{parent.info.run_id}'"
    )
    assert sorted(c.data.params["family"] for c in children) == ["gbt", "logistic_regression"]
    for child in children:
        assert {"auc", "precision_top_decile", "recall_top_decile", "brier_score"} <= set(child.data.metrics)
        artifact = client.download_artifacts(child.info.run_id, "calibration.json", str(tmp_path))
        with open(artifact, encoding="utf-8") as stored:
            assert sum(row[C.USERS] for row in json.load(stored)[C.CALIBRATION]) == 24

    metrics = {r[C.MODEL]: r for r in lake.table("gold.propensity_metrics").read().collect()}
    assert sorted(metrics) == ["gbt", "logistic_regression"]
    chosen = [r for r in metrics.values() if r[C.CHOSEN]]
    assert len(chosen) == 1 and chosen[0][C.MODEL] == champion.tags["model_family"]
    assert chosen[0][C.MODEL_VERSION] == 1 and chosen[0][C.AUC] == max(r[C.AUC] for r in metrics.values())
    for row in metrics.values():
        # Validation: 24 users, 12 purchasers (11 buyers and w11); the buyers are learnable from their history.
        assert (row[C.EVALUATED_USERS], row[C.POSITIVES], row[C.BASE_RATE]) == (24, 12, 0.5)
        assert row[C.AUC] > 0.85 and row[C.TRAIN_DATES] == [TRAIN] and row[C.VALIDATION_DATE] == VALID
        assert [c[C.DECILE] for c in row[C.CALIBRATION]] == list(range(1, 11))
        top = row[C.CALIBRATION][0]  # ceil(24 / 10) = 3 users
        assert top[C.USERS] == 3 and row[C.PRECISION_TOP_DECILE] == top[C.POSITIVES] / 3 >= 2 / 3
        assert row[C.RECALL_TOP_DECILE] == top[C.POSITIVES] / 12

    # The chosen candidate's out-of-sample scores of the validation snapshot, with its labels.
    validation = lake.table(tables.PROPENSITY_VALIDATION).read_on(D)
    assert validation.count() == 24 and validation.agg(F.sum(C.PURCHASED)).first()[0] == 12
    assert {r[0] for r in validation.select(C.SNAPSHOT_DATE).distinct().collect()} == {VALID}

    assert run(score_propensity, root) == 0
    scores = lake.table("gold.user_propensity").read()
    assert scores.count() == 24 and {r[0] for r in scores.select(C.SNAPSHOT_DATE).distinct().collect()} == {D}
    assert scores.where(F.abs(F.col(C.CHURN_RISK) + F.col(C.PURCHASE_PROPENSITY) - 1) > 1e-12).isEmpty()
    assert {r[0] for r in scores.select(C.MODEL_VERSION).distinct().collect()} == {1}
    by_user = {r[C.USER_ID]: r[C.PURCHASE_PROPENSITY] for r in scores.collect()}
    assert min(by_user[u] for u in BUYERS) > max(by_user[u] for u in BROWSERS)

    # The two tags of the snapshot: the score, and the churn risk's band by the configured cut-offs.
    cfg = load_config("local", [f"lake.root={root}", *SETTINGS])
    features = lake.table("gold.user_features").read().where(F.col(C.SNAPSHOT_DATE) == D)
    no_stages = spark.createDataFrame([], "user_id string, lifecycle_stage string")
    propensity = lake.table(tables.USER_PROPENSITY).read_on(D)
    inputs = with_builtins(features, no_stages, cfg, None, propensity)
    catalog = load_tag_catalog(BUILTIN_COLUMNS)
    two = TagCatalog(catalog.categories, (catalog.tag("purchase_propensity"), catalog.tag("churn_risk")))
    snapshot = tag_snapshot(tag_profile(inputs, two, BUILTIN_COLUMNS), two)
    actual = snapshot.select(C.USER_ID, C.TAG_ID, C.VALUE, C.VALUE_NUM)
    band = (
        F.when(F.col(C.CHURN_RISK) >= 0.8, "high").when(F.col(C.CHURN_RISK) >= 0.5, "medium").otherwise("low")
    )
    # A number tag holds the score to NUMBER_DECIMALS places.
    stored = F.round(F.col(C.PURCHASE_PROPENSITY), NUMBER_DECIMALS)
    expected = scores.select(
        C.USER_ID, F.lit("purchase_propensity").alias(C.TAG_ID), stored.cast("string"), stored,
    ).union(scores.select(C.USER_ID, F.lit("churn_risk"), band, F.lit(None).cast("double")))  # fmt: skip
    assert_approx_df_equality(
        actual, expected.toDF(*actual.columns), precision=1e-12, ignore_row_order=True, ignore_nullable=True
    )
    values = {r[C.VALUE] for r in actual.where(F.col(C.TAG_ID) == "churn_risk").collect()}
    assert "low" in values and values & {"medium", "high"}
