"""The table catalogue: declarations that hold together, a writer for each, and README in step with them."""

from __future__ import annotations

import datetime as dt
import importlib.util
from pathlib import Path

import pytest
from chispa import assert_df_equality
from pyspark.sql import types as T

from sample_shop import tables as sample_tables
from shop_platform.pipeline import load_pipeline
from shop_platform.settings import LakeSettings
from shop_platform.storage import TableNotFoundError, open_lake
from shop_platform.storage.spec import TableSpec, specs_by_name
from tests.job_logs import job_log_of
from transforms import columns as C
from transforms import schemas as S
from transforms import tables

ROOT = Path(__file__).resolve().parent.parent
DAY = dt.date(2026, 10, 1)
SNAPSHOTS = TableSpec(
    "gold.scores",
    T.StructType([T.StructField("user_id", T.StringType()), T.StructField("snapshot_date", T.DateType())]),
    "build_scores",
    partition_by=("snapshot_date",),
    keys=("user_id",),
    date_column="snapshot_date",
)


@pytest.fixture()
def lake(spark, lake_root):
    return open_lake(spark, LakeSettings(lake_root, "embedded", 168, 0))


def load_script(name: str):
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_table_is_written_by_a_task_of_the_dag():
    pipeline = load_pipeline()
    assert {spec.written_by for spec in tables.TABLES} <= {task.name for task in pipeline.tasks}
    assert {spec.written_by for spec in sample_tables.TABLES} <= {t.name for t in pipeline.sample_shop_before}


def test_a_name_is_declared_once_and_every_declared_column_exists():
    with pytest.raises(ValueError, match="table gold.x is declared twice"):
        specs_by_name([TableSpec("gold.x", None, "j"), TableSpec("gold.x", None, "j")])
    with pytest.raises(ValueError, match=r"gold.x: columns \['nope'\] are not in its schema"):
        TableSpec("gold.x", S.GOLD_USER_SEGMENTS_SCHEMA, "j", partition_by=("nope",))
    assert tables.spec("gold.user_features") is tables.USER_FEATURES
    with pytest.raises(KeyError, match="no table 'gold.nope' in the catalogue"):
        tables.spec("gold.nope")


def rows(spark, *pairs):
    return spark.createDataFrame(list(pairs), SNAPSHOTS.schema)


def test_a_missing_table_reads_as_no_rows_or_names_the_job_that_writes_it(spark, lake):
    table = lake.table(SNAPSHOTS)
    with job_log_of("shop_platform.storage.lake") as log:
        assert_df_equality(table.read_or_empty(), rows(spark))
        assert table.read_on(DAY, missing_ok=True).count() == 0
    assert (
        log.messages[0]
        == f"gold.scores does not exist at {table.path} (build_scores writes it): read as no rows"
    )
    with pytest.raises(
        TableNotFoundError, match=f"gold.scores does not exist at {table.path}: run build_scores first"
    ):
        table.read_on(DAY)
    assert table.latest_date() is None


def test_a_table_is_read_by_its_date_column(spark, lake):
    table = lake.table(SNAPSHOTS)
    day = [DAY + dt.timedelta(days=n) for n in range(4)]
    table.overwrite_partitions(
        rows(spark, ("a", day[0]), ("b", day[0]), ("a", day[1]), ("c", day[3])),
        {"snapshot_date": [day[0], day[1], day[3]]},
    )
    assert_df_equality(table.read_on(day[1]), rows(spark, ("a", day[1])))
    assert_df_equality(
        table.read_between(day[0], day[1]),
        rows(spark, ("a", day[0]), ("b", day[0]), ("a", day[1])),
        ignore_row_order=True,
    )
    assert (table.latest_date(), table.latest_date(on_or_before=day[2])) == (day[3], day[1])
    latest, date = table.latest_on_or_before(day[2], needed_for="the scores")
    assert date == day[1]
    assert_df_equality(latest, rows(spark, ("a", day[1])))
    with job_log_of("shop_platform.storage.lake") as log:
        none, date = table.latest_on_or_before(day[0] - dt.timedelta(days=1), needed_for="the scores")
    assert (none.count(), date) == (0, None)
    assert log.messages == ["gold.scores has no snapshot on or before 2026-09-30: the scores is left out"]


def test_declared_tables_can_be_created_and_read_by_date(spark, lake):
    for spec in (tables.USER_SEGMENTS, tables.USER_INDEX):
        table = lake.table(spec).create()
        assert table.partition_columns() == list(spec.partition_by)
        assert table.schema().fieldNames() == spec.schema.fieldNames()
    assert lake.table(tables.USER_SEGMENTS).read_on(None).count() == 0
    assert lake.table(tables.USER_SEGMENTS).latest_date() is None


def test_readme_lists_exactly_the_declared_tables():
    catalogue = load_script("table_catalogue")
    assert catalogue.main(["--check"]) == 0, "run .venv/bin/python scripts/table_catalogue.py --write"
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for spec in (*tables.TABLES, *sample_tables.TABLES):
        assert f"| `{spec.name}` | `{spec.written_by}` |" in readme
    assert C.SNAPSHOT_DATE in readme
