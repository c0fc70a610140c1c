"""MLflow runs land in a real SQLite store under the lake root; training runs record their inputs; Spark
models go through the registry and load back by alias."""

from __future__ import annotations

import datetime as dt

import mlflow
from chispa import assert_df_equality
from mlflow.tracking import MlflowClient
from pyspark.ml import Pipeline
from pyspark.ml.clustering import KMeans
from pyspark.ml.feature import VectorAssembler
from pyspark.sql import types as T

from shop_platform.config import load_config
from shop_platform.settings import TrackingSettings
from shop_platform.storage import open_lake
from shop_platform.tracking import (
    configure_tracking,
    load_registered_spark_model,
    log_spark_model,
    register_model,
    registered_version,
    tracking_uri,
    training_run,
)

RUN_DATE = dt.date(2026, 10, 30)


def test_runs_are_stored_under_the_lake_root(lake_root):
    settings = TrackingSettings(uri=None, experiment="tests")
    experiment_id = configure_tracking(settings, lake_root)
    with mlflow.start_run() as run:
        mlflow.log_param("k", 7)
        mlflow.log_metric("silhouette", 0.42)
    uri = tracking_uri(settings, lake_root)
    assert uri == f"sqlite:///{lake_root}/mlflow/mlflow.db"
    stored = MlflowClient(tracking_uri=uri).get_run(run.info.run_id)
    assert stored.info.experiment_id == experiment_id
    assert stored.data.params == {"k": "7"} and stored.data.metrics == {"silhouette": 0.42}
    assert stored.info.artifact_uri.startswith(f"{lake_root}/mlflow/artifacts")


def test_a_training_run_records_its_job_date_params_and_input_versions(spark, lake_root):
    config = load_config("local", [f"lake.root={lake_root}", "lake.engine=embedded", "tracking.experiment=t"])
    lake = open_lake(spark, config.lake)
    table = lake.table("gold.tiny", T.StructType([T.StructField("x", T.DoubleType())]))
    table.append(spark.createDataFrame([(1.0,)], "x double"))
    table.append(spark.createDataFrame([(2.0,)], "x double"))
    version = table.version()

    with training_run(
        config, job="tiny_job", run_date=RUN_DATE, inputs={"gold.tiny": table}, params={"k": 3}
    ):
        with training_run(config, job="tiny_job", run_date=RUN_DATE, inputs={}, params={"k": 4}, nested=True):
            mlflow.log_metric("silhouette", 0.5)
        parent = mlflow.active_run().info.run_id

    stored = MlflowClient(tracking_uri=tracking_uri(config.tracking, lake_root)).get_run(parent)
    assert stored.data.params == {"k": "3", "input_version.gold.tiny": str(version)}
    assert stored.data.tags["run_date"] == "2026-10-30" and stored.data.tags["job"] == "tiny_job"
    assert stored.data.tags["input_path.gold.tiny"] == table.path
    # The logged version reads back exactly the rows the run saw.
    table.append(spark.createDataFrame([(3.0,)], "x double"))
    assert sorted(table.read(version=version).collect()) == [(1.0,), (2.0,)]
    children = mlflow.search_runs(
        experiment_ids=[stored.info.experiment_id],
        filter_string=f"tags.mlflow.parentRunId = '{parent}'",
        output_format="list",
    )
    assert [(c.data.params["k"], c.data.metrics["silhouette"]) for c in children] == [("4", 0.5)]


def test_a_registered_spark_model_loads_back_by_alias_and_scores_the_same(spark, lake_root):
    config = load_config("local", [f"lake.root={lake_root}", "lake.engine=embedded", "tracking.experiment=t"])
    points = spark.createDataFrame([(0.0, 0.0), (0.1, 0.2), (9.0, 9.0), (9.2, 8.9)], "a double, b double")
    model = Pipeline(
        stages=[VectorAssembler(inputCols=["a", "b"], outputCol="features"), KMeans(k=2, seed=1)]
    ).fit(points)

    with training_run(config, job="tiny_job", run_date=RUN_DATE, inputs={}):
        uri = log_spark_model(model, "tiny_model")
        version = register_model(uri, "tiny_model", tags={"run_date": RUN_DATE.isoformat()})
    assert version == 1
    champion = registered_version(config, "tiny_model")
    assert int(champion.version) == 1 and champion.tags["run_date"] == "2026-10-30"
    assert registered_version(config, "tiny_model", alias="nobody") is None
    assert registered_version(config, "no_such_model") is None

    loaded = load_registered_spark_model(config, "tiny_model")
    assert_df_equality(
        loaded.transform(points).select("a", "b", "prediction"),
        model.transform(points).select("a", "b", "prediction"),
        ignore_row_order=True,
    )


def test_a_date_is_scored_with_the_latest_version_trained_within_the_retrain_interval():
    from mlflow.entities.model_registry import ModelVersion, ModelVersionTag

    from shop_platform.tracking import fitting_version

    def version(number: int, trained: str | None) -> ModelVersion:
        tags = [ModelVersionTag("run_date", trained)] if trained else []
        return ModelVersion("shop-segments", str(number), 0, tags=tags)

    versions = [
        version(1, "2026-10-01"),
        version(2, "2026-10-05"),
        version(3, None),
        version(4, "2026-10-20"),
    ]
    assert fitting_version(versions, dt.date(2026, 10, 7), 7) == 2  # 1 fits too, 2 is later
    assert fitting_version(versions, dt.date(2026, 10, 12), 7) is None  # 7 days after 2: retrain
    assert fitting_version(versions, dt.date(2026, 10, 19), 30) == 2  # 4 is trained after the date
    assert fitting_version([*versions, version(5, "2026-10-05")], dt.date(2026, 10, 7), 7) == 5


def test_a_rerun_reuses_the_newest_version_of_its_date_whose_tag_matches_and_says_who_is_champion():
    from mlflow.entities.model_registry import ModelVersion, ModelVersionTag

    from shop_platform.tracking import ALS_PARAMS_TAG, champion_note, params_tag, reusable_version

    same, other = params_tag({"seed": 1, "rank": 8}), params_tag({"rank": 8, "seed": 2})
    assert same == '{"rank": 8, "seed": 1}'

    def version(number: int, trained: str, tag: str) -> ModelVersion:
        tags = [ModelVersionTag("run_date", trained), ModelVersionTag(ALS_PARAMS_TAG, tag)]
        return ModelVersion("shop-als", str(number), 0, tags=tags)

    versions = [version(1, "2026-10-30", same), version(9, "2026-10-30", same), version(10, "2026-10-30", other),
                version(11, "2026-10-31", same)]  # fmt: skip
    assert reusable_version(versions, RUN_DATE, ALS_PARAMS_TAG, same).version == "9"  # 9 > 1 as numbers
    assert reusable_version(versions, RUN_DATE, ALS_PARAMS_TAG, params_tag({"rank": 4})) is None
    assert reusable_version(versions, dt.date(2026, 10, 29), ALS_PARAMS_TAG, same) is None
    assert champion_note(True) == " as champion"
    assert champion_note(False) == " (champion stays with a later run date's model)"
