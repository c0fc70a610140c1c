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
        # Test frames hold a handful of rows, so compiling generated code for each plan costs far more than
        # interpreting it (about 15% of the suite's time); the jobs themselves keep whole-stage codegen.
        .config("spark.sql.codegen.wholeStage", "false")
        .config("spark.sql.codegen.factoryMode", "NO_CODEGEN")
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


# Modules whose fixtures run several real jobs over a lake, about one to two minutes each on CI. xdist hands
# a worker one module at a time in collection order (test.sh turns off its reordering by test count), so
# these go first: a long module started last would leave the other worker idle while it runs.
LONGEST_FIRST = (
    "test_train_als_job",
    "test_rerun_reproduces",
    "test_build_silver_job",
    "test_build_copurchase_graph_job",
    "test_generator",
    "test_behaviour_truth",
    "test_build_tag_snapshots_job",
    "test_build_user_features_job",
    "test_embedded_engine",
    "test_audience_grammar",
    "test_build_interactions_job",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    position = {module: n for n, module in enumerate(LONGEST_FIRST)}

    def module_of(item: pytest.Item) -> str:
        return item.nodeid.split("::", 1)[0].rsplit("/", 1)[-1].removesuffix(".py")

    # A stable sort: tests keep their order within a module.
    items.sort(key=lambda item: position.get(module_of(item), len(position)))
