"""MLflow tracking set-up: a SQLite store and artifacts under the lake root unless config says otherwise.

Only jobs (through this module) talk to MLflow; transforms stay pure.
"""

from __future__ import annotations

from pathlib import Path

from shop_platform.settings import TrackingSettings
from shop_platform.storage.paths import resolve_root

TRACKING_DIR = "mlflow"


def tracking_uri(settings: TrackingSettings, lake_root: str) -> str:
    """The configured URI, or `sqlite:///<lake root>/mlflow/mlflow.db`."""
    if settings.uri:
        return settings.uri
    return f"sqlite:///{resolve_root(lake_root)}/{TRACKING_DIR}/mlflow.db"


def artifact_location(lake_root: str) -> str:
    return f"{resolve_root(lake_root)}/{TRACKING_DIR}/artifacts"


def configure_tracking(settings: TrackingSettings, lake_root: str) -> str:
    """Point MLflow at the store and select the experiment; return the experiment id."""
    import mlflow

    uri = tracking_uri(settings, lake_root)
    if uri.startswith("sqlite:///"):
        Path(uri.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    mlflow.set_tracking_uri(uri)
    experiment = mlflow.get_experiment_by_name(settings.experiment)
    if experiment is not None:
        experiment_id = experiment.experiment_id
    elif uri.startswith("databricks"):
        experiment_id = mlflow.create_experiment(settings.experiment)
    else:
        experiment_id = mlflow.create_experiment(
            settings.experiment, artifact_location=artifact_location(lake_root)
        )
    mlflow.set_experiment(experiment_id=experiment_id)
    return experiment_id
