"""MLflow runs land in a real SQLite store under the lake root."""

from __future__ import annotations

import mlflow
from mlflow.tracking import MlflowClient

from shop_platform.settings import TrackingSettings
from shop_platform.tracking import configure_tracking, tracking_uri


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
