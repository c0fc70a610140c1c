"""What only the embedded engine has: staged files, delta-rs commits, file statistics, dying mid-write."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from deltalake import DeltaTable
from pyspark.sql import types as T

from shop_platform.settings import LakeSettings
from shop_platform.storage import open_lake
from shop_platform.storage.parquet_stats import file_stats
from shop_platform.storage.staging import STAGING_DIR, partition_values_of

SCHEMA = T.StructType(
    [
        T.StructField("user_id", T.StringType(), True),
        T.StructField("amount", T.DoubleType(), True),
        T.StructField("seen_at", T.TimestampType(), True),
        T.StructField("event_date", T.DateType(), True),
    ]
)
DAY = dt.date(2026, 10, 1)
ROWS = [
    ("u1", 5.0, dt.datetime(2026, 10, 1, 1, 0, 0, 1500), DAY),
    ("u2", None, dt.datetime(2026, 10, 1, 2, 0, 0, 999999), DAY),
    ("u3", 1.5, None, DAY),
]


@pytest.fixture()
def lake(spark, lake_root):
    return open_lake(spark, LakeSettings(lake_root, "embedded", 168, 0))


def data_files(table_dir: str) -> set[str]:
    root = Path(table_dir)
    return {
        str(p.relative_to(root))
        for p in root.rglob("*.parquet")
        if not str(p.relative_to(root)).startswith(("_delta_log", STAGING_DIR))
    }


def test_add_actions_carry_row_counts_and_bounds_that_contain_the_data(lake, spark):
    table = lake.table("bronze.events", schema=SCHEMA, partition_by=["event_date"])
    table.append(spark.createDataFrame(ROWS, SCHEMA).coalesce(1))
    actions = pa.table(DeltaTable(table.path).get_add_actions(flatten=True)).to_pydict()
    assert actions["num_records"] == [3]
    assert actions["null_count.amount"] == [1]
    assert actions["min.amount"] == [1.5] and actions["max.amount"] == [5.0]
    low, high = actions["min.seen_at"][0], actions["max.seen_at"][0]
    assert low.replace(tzinfo=None) <= ROWS[0][2] and high.replace(tzinfo=None) >= ROWS[1][2]


def test_stats_round_timestamp_bounds_outward_to_milliseconds(tmp_path):

    path = tmp_path / "f.parquet"
    stamps = [
        dt.datetime(2026, 1, 1, 0, 0, 0, 1500, tzinfo=dt.timezone.utc),
        dt.datetime(2026, 1, 1, 0, 0, 0, 2500, tzinfo=dt.timezone.utc),
    ]
    pq.write_table(pa.table({"t": pa.array(stamps, pa.timestamp("us", tz="UTC"))}), path)
    stats = json.loads(file_stats(pq.read_metadata(path), set()))
    assert stats["minValues"]["t"] == "2026-01-01T00:00:00.001Z"
    assert stats["maxValues"]["t"] == "2026-01-01T00:00:00.003Z"
    assert stats["numRecords"] == 2 and stats["nullCount"]["t"] == 0


def test_partition_values_are_unescaped_from_hive_folders():
    values = partition_values_of(
        "city=S%C3%A3o Paulo/day=__HIVE_DEFAULT_PARTITION__/part-0.parquet", ["city", "day"]
    )
    assert values == {"city": "São Paulo", "day": None}


def test_failed_write_leaves_no_files_behind(lake, spark):
    from pyspark.sql import functions as F

    table = lake.table("bronze.events", schema=SCHEMA, partition_by=["event_date"])
    table.append(spark.createDataFrame(ROWS, SCHEMA))
    before = data_files(table.path)
    failing = spark.createDataFrame(ROWS, SCHEMA).withColumn(
        "amount", F.raise_error(F.lit("boom")).cast("double")
    )
    with pytest.raises(Exception, match="boom"):
        table.append(failing)
    assert data_files(table.path) == before
    assert not any((Path(table.path) / STAGING_DIR).glob("*"))


KILLED_WRITER = textwrap.dedent(
    """
    import datetime as dt, os, signal, sys
    from pyspark.sql import SparkSession, types as T
    from shop_platform.java import ensure_java
    from shop_platform.settings import LakeSettings
    from shop_platform.storage import open_lake
    from shop_platform.storage import embedded

    def die_before_commit(*args, **kwargs):
        os.kill(os.getpid(), signal.SIGKILL)

    ensure_java()
    spark = (SparkSession.builder.master("local[1]").config("spark.ui.enabled", "false")
             .config("spark.sql.session.timeZone", "UTC").getOrCreate())
    embedded.commit_files = die_before_commit
    lake = open_lake(spark, LakeSettings(sys.argv[1], "embedded", 168, 0))
    table = lake.table("bronze.events")
    table.append(spark.createDataFrame([("killed", 1.0, None, dt.date(2026, 10, 2))], table.schema()))
    """
)


def test_write_killed_before_commit_leaves_previous_version_and_vacuum_clears_its_files(
    lake, spark, tmp_path
):
    table = lake.table("bronze.events", schema=SCHEMA, partition_by=["event_date"])
    table.append(spark.createDataFrame(ROWS, SCHEMA))
    committed = data_files(table.path)
    script = tmp_path / "killed_writer.py"
    script.write_text(KILLED_WRITER)

    result = subprocess.run(
        [sys.executable, str(script), lake.root],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "PYSPARK_PYTHON": sys.executable},
    )

    assert result.returncode == -9, result.stderr[-2000:]
    assert table.version() == 1
    assert sorted(r.user_id for r in table.read().collect()) == ["u1", "u2", "u3"]
    orphans = data_files(table.path) - committed
    assert orphans, "the killed writer should have left uncommitted files in place"
    deleted = table.vacuum(retention_hours=0)
    assert orphans <= set(deleted)
    assert data_files(table.path) == committed
    assert table.read().count() == 3


def test_text_that_is_not_utf8_is_written_without_string_bounds(lake, spark):
    from pyspark.sql import functions as F

    table = lake.table("bronze.events", schema=SCHEMA, partition_by=["event_date"])
    utf16 = spark.createDataFrame(ROWS, SCHEMA).withColumn(
        "user_id", F.when(F.col("user_id") == "u2", F.unhex(F.lit("FFFE00")).cast("string")).otherwise("u1")
    )
    table.append(utf16.coalesce(1))
    assert table.read().count() == 3
    actions = pa.table(DeltaTable(table.path).get_add_actions(flatten=True)).to_pydict()
    assert actions.get("min.user_id", [None]) == [None] and actions["min.amount"] == [1.5]
    assert actions["null_count.user_id"] == [0]
    assert not any((Path(table.path) / STAGING_DIR).glob("*"))


def test_a_failure_after_files_were_moved_in_place_deletes_them(lake, spark, monkeypatch):
    from shop_platform.storage import staging

    table = lake.table("bronze.events", schema=SCHEMA, partition_by=["event_date"])
    table.append(spark.createDataFrame(ROWS, SCHEMA))
    before = data_files(table.path)
    described = []

    def stats_then_fail(metadata, partition_columns):
        described.append(1)
        if len(described) == 2:
            raise UnicodeDecodeError("utf-8", b"\xff", 0, 1, "invalid start byte")
        return file_stats(metadata, partition_columns)

    monkeypatch.setattr(staging, "file_stats", stats_then_fail)
    two_days = [*ROWS, ("u4", 2.0, None, dt.date(2026, 10, 2))]
    with pytest.raises(UnicodeDecodeError):
        table.append(spark.createDataFrame(two_days, SCHEMA).repartition(2, "event_date"))
    assert len(described) == 2
    assert data_files(table.path) == before
    assert not any((Path(table.path) / STAGING_DIR).glob("*"))
    assert table.version() == 1


def test_vacuum_removes_a_killed_writes_files_after_their_own_short_retention(spark, lake_root):
    from shop_platform.storage.staging import write_staged

    lake = open_lake(spark, LakeSettings(lake_root, "embedded", 168, 0, uncommitted_retention_hours=1))
    table = lake.table("bronze.events", schema=SCHEMA, partition_by=["event_date"])
    table.append(spark.createDataFrame(ROWS, SCHEMA))
    table.overwrite(spark.createDataFrame(ROWS[:1], SCHEMA))
    logged = data_files(table.path)
    # What kill -9 between the move into the partition folders and the commit leaves behind.
    killed = {f.path for f in write_staged(spark.createDataFrame(ROWS, SCHEMA), table.path, ["event_date"])}
    assert killed and not killed & logged

    assert table.vacuum() == []  # younger than an hour: may still be a running write's
    two_hours_ago = time.time() - 7200
    for path in [*killed, *logged]:
        os.utime(Path(table.path) / path, (two_hours_ago, two_hours_ago))
    assert sorted(table.vacuum()) == sorted(killed)
    assert data_files(table.path) == logged  # files removed by the overwrite stay for time travel
    assert table.read(version=1).count() == 3 and table.read().count() == 1
