"""The sample shop's truth catalogue: where each truth dataset lives, and how it is read back."""

from __future__ import annotations

import ast
import datetime as dt
from pathlib import Path

import pytest

from sample_shop import tables as truth_tables
from sample_shop.truth.reports import TruthSchemaError, read_truth
from shop_platform.config import load_config
from shop_platform.storage import open_lake

ROOT = Path(__file__).resolve().parents[1]


def test_each_truth_dataset_lives_at_its_declared_tables_path():
    folders = {truth_tables.truth_folder(spec) for spec in truth_tables.TABLES}
    assert folders == {
        "truth/personas",
        "truth/event_sessions",
        "truth/bundles",
        "truth/campaigns",
        "truth/churn",
        "truth/dirt",
        "truth/launches",
        "truth/taste_changes",
    }
    assert {spec.written_by for spec in truth_tables.TABLES} == {"generate_sample_data"}


def test_read_truth_checks_the_declared_schema_and_names_the_folder(spark, lake_root):
    lake = open_lake(spark, load_config("local", [f"lake.root={lake_root}"]).lake)
    churn = spark.createDataFrame([("u1", dt.date(2026, 10, 3))], truth_tables.CHURN.schema)
    lake.files.write_parquet(churn, truth_tables.truth_folder(truth_tables.CHURN))
    assert read_truth(lake, truth_tables.CHURN).collect() == churn.collect()

    lake.files.write_parquet(spark.createDataFrame([("u1", "x")], ["user_id", "churn_date"]), "truth/churn")
    with pytest.raises(TruthSchemaError, match=r"truth/churn has columns .*, expected .*churn_date:date"):
        read_truth(lake, truth_tables.CHURN)


def imported_modules(path: Path) -> set[str]:
    modules = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            modules.add(node.module)
            modules.update(f"{node.module}.{alias.name}" for alias in node.names)
    return modules


def test_sample_shop_jobs_import_no_job_module():
    job_modules = {f"jobs.{p.stem}" for p in (ROOT / "jobs").glob("*.py")}
    job_modules |= {f"sample_shop.jobs.{p.stem}" for p in (ROOT / "sample_shop" / "jobs").glob("*.py")}
    for path in (ROOT / "sample_shop" / "jobs").glob("*.py"):
        imported = imported_modules(path) & (job_modules - {f"sample_shop.jobs.{path.stem}"})
        assert not imported - {"jobs.__init__", "sample_shop.jobs.__init__"}, (
            f"{path.name} imports {imported}"
        )
