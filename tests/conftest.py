"""One SparkSession for the whole suite (local[2], 2 shuffle partitions, UI off, UTC) and lake fixtures."""

from __future__ import annotations

import pytest
from pyspark.sql import SparkSession

from shop_platform.java import ensure_java
from shop_platform.session import SQL_OPTIONS


@pytest.fixture(scope="session")
def spark() -> SparkSession:
    ensure_java()
    builder = (
        SparkSession.builder.master("local[2]")
        .appName("shop-analytics-tests")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.default.parallelism", "2")
        .config("spark.driver.memory", "2g")
        .config("spark.sql.adaptive.enabled", "false")
        .config("spark.driver.extraJavaOptions", "-Dderby.system.home=/tmp")
        .config("spark.ui.showConsoleProgress", "false")
    )
    for key, value in SQL_OPTIONS.items():
        builder = builder.config(key, value)
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


@pytest.fixture()
def lake_root(tmp_path) -> str:
    """A fresh lake root per test."""
    root = tmp_path / "lake"
    root.mkdir()
    return str(root)
