"""MLflow tracking: a SQLite store and artifacts under the lake root unless config says otherwise, training
runs that record what they read, and Spark models in the registry.

Only jobs (through this module) talk to MLflow; transforms stay pure. A training run records its job, run
date, parameters and the Delta version of every input table, so `LakeTable.read(version=...)` gives back
exactly the data it saw. Models that are served downstream are registered, and scoring jobs load them by
name and alias (`models:/<name>@<alias>`), never by path.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from shop_platform.settings import Config, TrackingSettings
from shop_platform.storage.paths import resolve_root

if TYPE_CHECKING:
    import mlflow
    from mlflow.entities.model_registry import ModelVersion

    from shop_platform.storage import LakeTable

TRACKING_DIR = "mlflow"
# Run tags (and model version tags) every training run carries.
RUN_DATE_TAG = "run_date"
JOB_TAG = "job"
# Per input table: param `input_version.<layer.name>` (its Delta version), tag `input_path.<layer.name>`.
INPUT_VERSION_PREFIX = "input_version."
INPUT_PATH_PREFIX = "input_path."
CHAMPION = "champion"
# Model version tags besides RUN_DATE_TAG. ALS: the configuration and seed it was trained with (JSON). The
# propensity model: the inputs it reads (FeatureSpec JSON), its family and parameters, and the SHA-256 of its
# training settings (a hash, as the settings with the tag expressions come close to MLflow's 5,000-character
# limit on a tag value). A re-run of a date reuses a version whose tag matches (`reusable_version`).
ALS_PARAMS_TAG = "als_params"
FEATURE_SPEC_TAG = "feature_spec"
MODEL_FAMILY_TAG = "model_family"
MODEL_PARAMS_TAG = "model_params"
TRAINING_SETTINGS_TAG = "training_settings_sha256"


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


@contextmanager
def training_run(
    config: Config,
    *,
    job: str,
    run_date: dt.date,
    inputs: Mapping[str, LakeTable],
    params: Mapping[str, object] | None = None,
    run_name: str | None = None,
    nested: bool = False,
) -> Iterator[mlflow.ActiveRun]:
    """An MLflow run that records what it was trained on; a failure inside marks the run FAILED.

    Tags the run with `job` and `run_date`, logs `params`, and for every input table (keyed by its
    `layer.name`) its current Delta version as param `input_version.<name>` and its path as tag
    `input_path.<name>`. With `nested`, the run is a child of the active run (e.g. one candidate of a
    search).
    """
    import mlflow

    if mlflow.active_run() is None:
        configure_tracking(config.tracking, config.lake.root)
    tags = {JOB_TAG: job, RUN_DATE_TAG: run_date.isoformat()}
    tags.update({f"{INPUT_PATH_PREFIX}{name}": table.path for name, table in inputs.items()})
    logged = {f"{INPUT_VERSION_PREFIX}{name}": table.version() for name, table in inputs.items()}
    logged.update(params or {})
    with mlflow.start_run(run_name=run_name or f"{job} {run_date.isoformat()}", nested=nested) as run:
        mlflow.set_tags(tags)
        if logged:
            mlflow.log_params(logged)
        yield run


def log_spark_model(model, name: str, dfs_tmpdir: str | None = None) -> str:
    """Log a Spark MLlib model (a PipelineModel or any MLWritable model) to the active run; returns its URI.

    The pip requirements are given (the pinned pyspark) rather than inferred: inference reloads the model in
    a fresh Python process, which would start a second JVM. Spark first saves the model to `dfs_tmpdir`
    (default: `$MLFLOW_DFS_TMP` or /tmp/mlflow), which must be on the cluster's file system on a cluster.
    """
    import mlflow
    import mlflow.spark

    info = mlflow.spark.log_model(
        model,
        artifact_path=name,
        dfs_tmpdir=dfs_tmpdir,
        pip_requirements=mlflow.spark.get_default_pip_requirements(),
    )
    return info.model_uri


def register_model(
    model_uri: str, name: str, alias: str | None = CHAMPION, tags: Mapping[str, str] | None = None
) -> int:
    """Register `model_uri` as a new version of model `name` (with `tags`) and point `alias` at it (no
    alias when None); returns the version."""
    import mlflow
    from mlflow import MlflowClient

    version = mlflow.register_model(model_uri, name, tags=dict(tags) if tags else None)
    if alias is not None:
        MlflowClient().set_registered_model_alias(name, alias, version.version)
    return int(version.version)


def set_alias(config: Config, name: str, alias: str, version: int) -> None:
    """Point `alias` of model `name` at `version` (e.g. a re-run reusing the version of its date)."""
    from mlflow import MlflowClient

    configure_tracking(config.tracking, config.lake.root)
    MlflowClient().set_registered_model_alias(name, alias, str(version))


def trained_on(version: ModelVersion) -> dt.date | None:
    """The run date a registered version was trained for (its `run_date` tag), or None without one."""
    text = (version.tags or {}).get(RUN_DATE_TAG)
    return dt.date.fromisoformat(text) if text else None


def fitting_version(
    versions: Sequence[ModelVersion], run_date: dt.date, retrain_every_days: int
) -> int | None:
    """The version to score `run_date` with: trained on it or fewer than `retrain_every_days` days before it,
    the latest such (then the highest version); None when the date needs a new model."""
    fitting = [
        (day, int(v.version))
        for v in versions
        if (day := trained_on(v)) is not None and 0 <= (run_date - day).days < retrain_every_days
    ]
    return max(fitting)[1] if fitting else None


def params_tag(params: Mapping[str, object]) -> str:
    """`params` as a tag value: JSON with sorted keys, so equal parameters give equal tags."""
    return json.dumps(dict(params), sort_keys=True)


def settings_digest(settings: str) -> str:
    """The SHA-256 (hex) of a model's training settings text, for the TRAINING_SETTINGS_TAG."""
    return hashlib.sha256(settings.encode("utf-8")).hexdigest()


def reusable_version(
    versions: Sequence[ModelVersion], run_date: dt.date, tag: str, value: str
) -> ModelVersion | None:
    """The newest of `versions` registered for `run_date` whose `tag` is `value` (what a re-run with the same
    configuration would train again), or None."""
    fitting = [v for v in versions if trained_on(v) == run_date and (v.tags or {}).get(tag) == value]
    return max(fitting, key=lambda v: int(v.version), default=None)


def champion_note(champion: bool) -> str:
    """How a log line ends for a version that took the champion alias, or did not."""
    return f" as {CHAMPION}" if champion else f" ({CHAMPION} stays with a later run date's model)"


def may_take_champion(config: Config, name: str, run_date: dt.date) -> bool:
    """Whether a version of model `name` for `run_date` may hold the champion alias: there is no champion
    yet, or it was trained for `run_date` or earlier. A re-run of an older date never takes the alias from
    a model trained for a later one."""
    champion = registered_version(config, name)
    return champion is None or (trained_on(champion) or dt.date.min) <= run_date


def model_versions(config: Config, name: str) -> list[ModelVersion]:
    """Every registered version of model `name` with its tags (none when the model does not exist)."""
    from mlflow import MlflowClient

    configure_tracking(config.tracking, config.lake.root)
    escaped = name.replace("'", "\\'")
    return list(MlflowClient().search_model_versions(f"name = '{escaped}'"))


def registered_version(config: Config, name: str, alias: str = CHAMPION) -> ModelVersion | None:
    """The model version `alias` points at (with its tags), or None when the model or alias does not
    exist."""
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

    configure_tracking(config.tracking, config.lake.root)
    try:
        return MlflowClient().get_model_version_by_alias(name, alias)
    except MlflowException as exc:
        if exc.error_code in ("RESOURCE_DOES_NOT_EXIST", "INVALID_PARAMETER_VALUE"):
            return None
        raise


def load_registered_spark_model(config: Config, name: str, alias: str = CHAMPION, version: int | None = None):
    """The Spark PipelineModel registered as `models:/<name>@<alias>`, or as `models:/<name>/<version>`
    when a version is given."""
    import mlflow.spark

    configure_tracking(config.tracking, config.lake.root)
    return mlflow.spark.load_model(
        f"models:/{name}/{version}" if version is not None else f"models:/{name}@{alias}"
    )


def log_python_model(python_model, name: str) -> str:
    """Log an `mlflow.pyfunc.PythonModel` to the active run; returns its URI. The pip requirements are this
    installation's mlflow, pandas and scipy (not inferred: inference would load the model in a new process)."""
    import mlflow.pyfunc

    info = mlflow.pyfunc.log_model(
        artifact_path=name,
        python_model=python_model,
        pip_requirements=[f"mlflow=={mlflow.__version__}", "pandas", "scipy", "numpy"],
    )
    return info.model_uri
