"""The one place a SparkSession is built.

Locally it starts `local[*]` from config. Under `spark-submit` or on Databricks the platform has already
chosen the master and the jars: the factory takes that session and only sets session-level SQL options.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager

from pyspark.sql import SparkSession

from shop_platform.java import ensure_java
from shop_platform.logs import get_logger
from shop_platform.settings import SparkSettings

log = get_logger(__name__)

# Session-level options every job relies on, safe to set on a session someone else built.
SQL_OPTIONS = {
    "spark.sql.session.timeZone": "UTC",
    # Parquet timestamps as INT64 micros (not INT96) so delta-rs, DuckDB and Polars read them the same.
    "spark.sql.parquet.outputTimestampType": "TIMESTAMP_MICROS",
    "spark.sql.sources.partitionOverwriteMode": "static",
}


def is_managed_environment() -> bool:
    """True under spark-submit (the JVM launched Python) or on Databricks."""
    return "PYSPARK_GATEWAY_PORT" in os.environ or "DATABRICKS_RUNTIME_VERSION" in os.environ


def get_spark(settings: SparkSettings, app_name: str | None = None) -> SparkSession:
    """Return the active or platform-provided session, or build a local one from `settings`."""
    active = SparkSession.getActiveSession()
    if active is not None:
        return _apply_sql_options(active, settings)
    if is_managed_environment():
        log.info("Using the session provided by spark-submit/Databricks; master left as configured there")
        return _apply_sql_options(SparkSession.builder.getOrCreate(), settings)

    runtime = ensure_java()
    log.info("Starting local Spark (%s) with Java from %s", settings.master, runtime.source)
    builder = (
        SparkSession.builder.master(settings.master)
        .appName(app_name or settings.app_name)
        .config("spark.driver.memory", settings.driver_memory)
        .config("spark.ui.enabled", str(settings.ui_enabled).lower())
        .config("spark.sql.shuffle.partitions", str(settings.shuffle_partitions))
        .config("spark.sql.adaptive.enabled", "true")
        .config("spark.driver.extraJavaOptions", "-Dderby.system.home=/tmp")
        .config("spark.ui.showConsoleProgress", "false")
    )
    for key, value in {**SQL_OPTIONS, **settings.conf}.items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("WARN")
    return spark


def _apply_sql_options(spark: SparkSession, settings: SparkSettings) -> SparkSession:
    for key, value in SQL_OPTIONS.items():
        spark.conf.set(key, value)
    spark.conf.set("spark.sql.shuffle.partitions", str(settings.shuffle_partitions))
    return spark


def jvm_class_loaded(spark: SparkSession, class_name: str) -> bool:
    """True when the session's JVM can load `class_name` (its jar is on the classpath); False on Spark
    Connect, which has no local JVM."""
    try:
        jvm = spark.sparkContext._jvm
    except Exception:
        return False
    if jvm is None:
        return False
    try:
        loader = jvm.java.lang.Thread.currentThread().getContextClassLoader()
        jvm.java.lang.Class.forName(class_name, False, loader)
        return True
    except Exception:
        return False


@contextmanager
def session_options(spark: SparkSession, options: Mapping[str, str]) -> Iterator[None]:
    """Run the block with the SQL `options` set, then restore each to its value before (or unset it)."""
    before = {key: spark.conf.get(key, None) for key in options}
    for key, value in options.items():
        spark.conf.set(key, value)
    try:
        yield
    finally:
        for key, value in before.items():
            if value is None:
                spark.conf.unset(key)
            else:
                spark.conf.set(key, value)


def shuffle_partitions(spark: SparkSession, partitions: int) -> AbstractContextManager[None]:
    """Run the block with `spark.sql.shuffle.partitions` = `partitions`, then restore the session's value."""
    return session_options(spark, {"spark.sql.shuffle.partitions": str(partitions)})
