"""Lake storage: the only code that reads or writes tables and lake files.

lake = open_lake(spark, config.lake)
events = lake.table(tables.SILVER_EVENTS)            # a declaration of transforms/tables.py
events.overwrite_partitions(df, {"event_date": [run_date]})
"""

from __future__ import annotations

from pyspark.sql import SparkSession

from shop_platform.logs import get_logger
from shop_platform.settings import LakeSettings
from shop_platform.storage.delta_spark import DeltaSparkEngine, delta_classes_loaded
from shop_platform.storage.embedded import EmbeddedEngine
from shop_platform.storage.engine import ConcurrentWriteError, TableEngine, TableNotFoundError
from shop_platform.storage.lake import DuplicateKeyError, Lake, LakeTable
from shop_platform.storage.paths import LakeRootError
from shop_platform.storage.schema_check import SchemaMismatchError

__all__ = [
    "ConcurrentWriteError",
    "DuplicateKeyError",
    "Lake",
    "LakeRootError",
    "LakeTable",
    "SchemaMismatchError",
    "TableNotFoundError",
    "make_engine",
    "open_lake",
]

log = get_logger(__name__)


def make_engine(spark: SparkSession, settings: LakeSettings) -> TableEngine:
    """The engine `lake.engine` asks for; `auto` is delta-spark when its classes are loaded."""
    engine = settings.engine
    if engine == "auto":
        engine = "delta-spark" if delta_classes_loaded(spark) else "embedded"
    if engine == "delta-spark":
        if not delta_classes_loaded(spark):
            raise RuntimeError(
                "lake.engine is delta-spark but io.delta classes are not on the JVM classpath: start Spark "
                "with --packages io.delta:delta-spark_2.13:<version> (or on Databricks), "
                "or set lake.engine: embedded"
            )
        return DeltaSparkEngine(spark)
    return EmbeddedEngine(spark, settings.staging_retention_hours, settings.uncommitted_retention_hours)


def open_lake(spark: SparkSession, settings: LakeSettings, check_writable: bool = True) -> Lake:
    """The lake at `settings.root` with the configured engine.

    Raises:
        LakeRootError: a local root that cannot be created or written to (unless `check_writable` is off,
            for readers of a read-only lake).
    """
    lake = Lake(spark, settings, make_engine(spark, settings), check_writable)
    log.info("lake at %s, engine %s", lake.root, lake.engine.name)
    return lake
