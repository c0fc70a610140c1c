"""Stable integer indexes: old ids keep their numbers, new ids are numbered after them in id order."""

from __future__ import annotations

import datetime as dt

from chispa import assert_df_equality

from transforms import columns as C
from transforms.indexes import new_index_entries
from transforms.schemas import GOLD_USER_INDEX_SCHEMA

DAY1, DAY2 = dt.date(2026, 10, 1), dt.date(2026, 10, 2)


def new_users(spark, user_ids, index_rows, first_seen=DAY2, partitions=2):
    ids = spark.createDataFrame([(u,) for u in user_ids], f"{C.USER_ID} string").repartition(partitions)
    index = spark.createDataFrame(index_rows, GOLD_USER_INDEX_SCHEMA)
    return new_index_entries(ids, index, id_column=C.USER_ID, index_column=C.USER_IDX, first_seen=first_seen)


def test_an_empty_index_numbers_ids_from_zero_in_id_order(spark):
    expected = spark.createDataFrame([("a", 0, DAY1), ("b", 1, DAY1), ("c", 2, DAY1)], GOLD_USER_INDEX_SCHEMA)
    actual = new_users(spark, ["c", "a", "b", "a", None], [], first_seen=DAY1)
    assert_df_equality(actual, expected, ignore_nullable=True, ignore_row_order=True)


def test_new_ids_are_numbered_after_the_largest_existing_index_and_old_ids_are_left_alone(spark):
    # Existing numbers need not be dense: new ones continue after the largest.
    existing = [("b", 0, DAY1), ("d", 5, DAY1)]
    expected = spark.createDataFrame([("a", 6, DAY2), ("c", 7, DAY2), ("e", 8, DAY2)], GOLD_USER_INDEX_SCHEMA)
    actual = new_users(spark, ["e", "d", "c", "b", "a", "c"], existing)
    assert_df_equality(actual, expected, ignore_nullable=True, ignore_row_order=True)


def test_indexes_are_stable_across_runs_and_do_not_depend_on_row_order(spark):
    first = new_users(spark, ["u3", "u1", "u2"], [], first_seen=DAY1).collect()
    second_run_ids = ["u4", "u2", "u0", "u1", "u3"]
    second = new_users(spark, second_run_ids, first).collect()
    # Old ids are not re-indexed; the new ones follow, in id order, whatever order the rows came in.
    assert sorted(tuple(r) for r in second) == [("u0", 3, DAY2), ("u4", 4, DAY2)]
    reordered = new_users(spark, list(reversed(second_run_ids)), first, partitions=1).collect()
    assert sorted(tuple(r) for r in reordered) == sorted(tuple(r) for r in second)
    # A third run over the same ids finds nothing new.
    assert new_users(spark, second_run_ids, [*first, *second]).count() == 0
