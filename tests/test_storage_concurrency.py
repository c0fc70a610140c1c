"""Optimistic concurrency of the embedded engine: two writers of one table behave as delta-spark's do."""

from __future__ import annotations

import datetime as dt
import threading
from pathlib import Path

import pytest
from pyspark.sql import functions as F
from pyspark.sql import types as T

from shop_platform.settings import LakeSettings
from shop_platform.storage import ConcurrentWriteError, open_lake
from shop_platform.storage import embedded as embedded_module
from shop_platform.storage.log_actions import logged_paths
from shop_platform.storage.paths import canonical_location
from shop_platform.storage.staging import STAGING_DIR

SCHEMA = T.StructType(
    [
        T.StructField("user_id", T.StringType(), True),
        T.StructField("writer", T.StringType(), True),
        T.StructField("event_date", T.DateType(), True),
    ]
)
DAY1, DAY2 = dt.date(2026, 10, 1), dt.date(2026, 10, 2)


@pytest.fixture()
def lake(spark, lake_root):
    return open_lake(spark, LakeSettings(lake_root, "embedded", 168, 0))


@pytest.fixture()
def users(lake, spark):
    table = lake.table("bronze.users", schema=SCHEMA, partition_by=["event_date"])
    table.append(spark.createDataFrame([("old", "setup", DAY1)], SCHEMA))
    return table


def rows(spark, writer: str, keys: list[str], day: dt.date = DAY1):
    return spark.createDataFrame([(k, writer, day) for k in keys], SCHEMA)


def uncommitted_files(table) -> set[str]:
    """Data files in the partition folders that no version of the log names (a failed attempt's)."""
    root = Path(canonical_location(table.path))
    on_disk = {
        str(p.relative_to(root))
        for p in root.rglob("*.parquet")
        if "_delta_log" not in p.parts and STAGING_DIR not in p.parts
    }
    return on_disk - logged_paths(str(root))


@pytest.fixture()
def race(monkeypatch):
    """Run another writer once, after a write staged its files and before it commits: a lost race."""
    calls = []

    def arm(other_write):
        real = embedded_module.write_staged

        def staged_then_raced(*args, **kwargs):
            files = real(*args, **kwargs)
            calls.append(args[1])
            if len(calls) == 1:
                other_write()
            return files

        monkeypatch.setattr(embedded_module, "write_staged", staged_then_raced)
        return calls

    return arm


def test_upsert_that_lost_a_race_for_the_same_new_keys_merges_again_and_keeps_each_key_once(
    users, spark, race
):
    keys = [f"u{i}" for i in range(20)]
    staged = race(lambda: users.upsert(rows(spark, "first", keys), keys=["user_id"]))
    users.upsert(rows(spark, "second", keys), keys=["user_id"])

    result = users.read()
    assert result.count() == len(keys) + 1
    assert result.select("user_id").distinct().count() == len(keys) + 1
    assert {r.writer for r in result.filter(F.col("user_id") != "old").collect()} == {"second"}
    # staged: the loser, the winner, the loser's second merge.
    assert len(staged) == 3
    assert not uncommitted_files(users)


def test_upsert_that_lost_a_race_to_other_keys_commits_on_top_without_merging_again(users, spark, race):
    staged = race(lambda: users.upsert(rows(spark, "other", ["x1", "x2"]), keys=["user_id"]))
    users.upsert(rows(spark, "mine", ["u1", "old"]), keys=["user_id"])

    result = {r.user_id: r.writer for r in users.read().collect()}
    assert result == {"old": "mine", "u1": "mine", "x1": "other", "x2": "other"}
    assert len(staged) == 2
    assert users.version() == 3


def test_upsert_whose_rewritten_file_was_replaced_meanwhile_merges_again(users, spark, race):
    race(lambda: users.overwrite_partitions(rows(spark, "replaced", ["old"]), {"event_date": [DAY1]}))
    users.upsert(rows(spark, "mine", ["old", "u9"]), keys=["user_id"])

    result = sorted((r.user_id, r.writer) for r in users.read().collect())
    assert result == [("old", "mine"), ("u9", "mine")]


def test_partition_overwrites_of_disjoint_partitions_both_commit(users, spark, race):
    race(lambda: users.overwrite_partitions(rows(spark, "a", ["a1"], DAY2), {"event_date": [DAY2]}))
    users.overwrite_partitions(rows(spark, "b", ["b1"]), {"event_date": [DAY1]})

    assert sorted((r.user_id, r.event_date) for r in users.read().collect()) == [("a1", DAY2), ("b1", DAY1)]


@pytest.mark.parametrize("other", ["append", "overwrite_partitions"])
def test_partition_overwrite_that_lost_a_race_in_its_partition_fails_and_leaves_no_files(
    users, spark, race, other
):
    def other_write():
        if other == "append":
            users.append(rows(spark, "other", ["o1"]))
        else:
            users.overwrite_partitions(rows(spark, "other", ["o1"]), {"event_date": [DAY1]})

    race(other_write)
    with pytest.raises(ConcurrentWriteError, match=r"overwrite_partitions on .*bronze/users: version 2 \("):
        users.overwrite_partitions(rows(spark, "mine", ["m1"]), {"event_date": [DAY1]})

    expected = {"old", "o1"} if other == "append" else {"o1"}
    assert {r.user_id for r in users.read().collect()} == expected
    assert not uncommitted_files(users)


def test_appends_racing_each_other_both_commit(users, spark, race):
    race(lambda: users.append(rows(spark, "a", ["a1"])))
    users.append(rows(spark, "b", ["b1"]))
    assert sorted(r.user_id for r in users.read().collect()) == ["a1", "b1", "old"]


def test_two_writers_upserting_the_same_new_keys_at_once_never_duplicate_a_key(lake, spark):
    table = lake.table("bronze.users", schema=SCHEMA, partition_by=["event_date"])
    table.create()
    trials, per_trial = 10, 100
    for trial in range(trials):
        keys = spark.range(per_trial).select(
            F.concat(F.lit(f"t{trial}-"), F.col("id").cast("string")).alias("user_id"),
            F.lit(None).cast("string").alias("writer"),
            F.lit(DAY1).alias("event_date"),
        )
        barrier = threading.Barrier(2)
        errors: list[BaseException] = []

        def write(name: str, keys=keys, barrier=barrier, errors=errors) -> None:
            try:
                barrier.wait()
                table.upsert(keys.withColumn("writer", F.lit(name)), keys=["user_id"])
            except BaseException as exc:  # re-raised in the main thread below
                errors.append(exc)

        writers = [threading.Thread(target=write, args=(name,)) for name in ("a", "b")]
        for writer in writers:
            writer.start()
        for writer in writers:
            writer.join()

        assert not errors, errors
        trial_rows = table.read().filter(F.col("user_id").startswith(f"t{trial}-"))
        assert trial_rows.count() == per_trial, f"trial {trial}: a key was written twice"
        assert trial_rows.select("writer").distinct().count() == 1, f"trial {trial}: writers mixed"
    assert table.read().count() == trials * per_trial
