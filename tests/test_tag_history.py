"""The tag history on hand-made daily profiles: every date's snapshot comes back from the intervals (a value
going A -> B -> A, a user who disappears and returns), re-runs and out-of-order back-fills leave the same
table, and tag_moves names who entered or left a value."""

from __future__ import annotations

import datetime as dt

import pytest
from chispa import assert_df_equality
from pyspark.sql import functions as F

from shop_platform.catalogs import Category, Tag, TagCatalog
from transforms import columns as C
from transforms.schemas import GOLD_TAG_HISTORY_SCHEMA
from transforms.tags.evaluate import tag_snapshot
from transforms.tags.history import tag_moves, tags_as_of, tags_as_of_each
from transforms.tags.intervals import (
    OPEN,
    closed_from,
    extended_current,
    merged_history,
    range_intervals,
    snapshot_intervals,
)
from transforms.tags.quality import interval_value_counts, value_counts

D1, D2, D3, D4 = (dt.date(2026, 10, 30) + dt.timedelta(days=n) for n in range(4))  # crosses a month
PROFILE = f"{C.USER_ID} string, band string, spend double, cats array<string>, {C.SNAPSHOT_DATE} date"


def tag(tag_id: str, value_type: str) -> Tag:
    values = ("A", "B") if value_type == "enum" else ()
    return Tag(
        tag_id, tag_id, tag_id, "d", "c", "s", "dynamic", value_type, "t", expression="x", values=values
    )


CATALOG = TagCatalog(
    (Category("c", "c", "c", ("s",)),), (tag("band", "enum"), tag("spend", "number"), tag("cats", "list"))
)
ROWS = [
    # ann: band A -> B -> A -> A, spend changes every day, cats constant.
    ("ann", "A", 1.0, ["x"], D1),
    ("ann", "B", 2.0, ["x"], D2),
    ("ann", "A", 3.0, ["x"], D3),
    ("ann", "A", 4.0, ["x"], D4),
    # bob: missing on D3, back on D4 with the same values; no spend on D2.
    ("bob", "B", 5.0, None, D1),
    ("bob", "B", None, None, D2),
    ("bob", "B", 5.0, None, D4),
    # cy: arrives on D3.
    ("cy", None, 7.0, ["y", "z"], D3),
    ("cy", "A", 7.0, ["y", "z"], D4),
]


@pytest.fixture(scope="module")
def profile(spark):
    return spark.createDataFrame(ROWS, PROFILE)


def written(spark, history, profile, first: dt.date, last: dt.date, later: dt.date | None):
    """The history after a run of first..last (what build_tag_snapshots writes)."""
    days = profile.where(F.col(C.SNAPSHOT_DATE).between(first, last))
    new = range_intervals(days, CATALOG, last, later)
    return merged_history(history, new, first, later).localCheckpoint()


def snapshot_of(profile, day: dt.date):
    return tag_snapshot(profile.where(F.col(C.SNAPSHOT_DATE) == day), CATALOG)


def test_every_date_as_of_the_history_is_that_dates_snapshot(spark, profile):
    history = written(spark, spark.createDataFrame([], GOLD_TAG_HISTORY_SCHEMA), profile, D1, D4, None)

    for day in (D1, D2, D3, D4):
        assert_df_equality(
            tags_as_of(history, day), snapshot_of(profile, day), ignore_row_order=True, ignore_nullable=True
        )
    each = tags_as_of_each(history, [D1, D2, D3, D4])
    assert_df_equality(each, tag_snapshot(profile, CATALOG), ignore_row_order=True, ignore_nullable=True)
    # A -> B -> A is three intervals; cats held all four days is one, still current.
    ann_band = history.where("user_id = 'ann' AND tag_id = 'band'").orderBy(C.VALID_FROM)
    assert [(r[C.VALUE], r[C.VALID_FROM], r[C.VALID_TO]) for r in ann_band.collect()] == [
        ("A", D1, D2),
        ("B", D2, D3),
        ("A", D3, None),
    ]
    assert [(r[C.VALID_FROM], r[C.VALID_TO], r[C.VALID_TO_MONTH]) for r in
            history.where("user_id = 'ann' AND tag_id = 'cats'").collect()] == [(D1, None, "open")]  # fmt: skip
    # bob's stretch ends the day he is missing, and a new one starts when he returns.
    bob_band = history.where("user_id = 'bob' AND tag_id = 'band'").orderBy(C.VALID_FROM)
    assert [(r[C.VALID_FROM], r[C.VALID_TO], r[C.VALID_TO_MONTH]) for r in bob_band.collect()] == [
        (D1, D3, "2026-11"),
        (D4, None, "open"),
    ]
    # Long stored snapshots give the same intervals.
    assert_df_equality(
        snapshot_intervals(tag_snapshot(profile, CATALOG), D4, None), history, ignore_row_order=True
    )


@pytest.mark.parametrize("first,last", [(D1, D4), (D2, D3), (D4, D4)])
def test_value_counts_from_the_intervals_are_the_snapshots_counts(spark, profile, first, last):
    # ann's band A -> B -> A, bob's gap and cy's late arrival: intervals that start before the range, end
    # inside it, start inside it and stay current.
    history = written(spark, spark.createDataFrame([], GOLD_TAG_HISTORY_SCHEMA), profile, D1, D4, None)
    snapshots = tag_snapshot(profile.where(F.col(C.SNAPSHOT_DATE).between(first, last)), CATALOG)

    assert_df_equality(
        interval_value_counts(history, first, last),
        value_counts(snapshots),
        ignore_row_order=True,
        ignore_nullable=True,
    )


def test_reruns_and_out_of_order_back_fills_leave_the_same_table(spark, profile):
    empty = spark.createDataFrame([], GOLD_TAG_HISTORY_SCHEMA)
    once = written(spark, empty, profile, D1, D4, None)

    # Day by day, then the middle date again.
    daily = empty
    for day in (D1, D2, D3, D4):
        daily = written(spark, daily, profile, day, day, None)
    assert_df_equality(daily, once, ignore_row_order=True)
    rerun = written(spark, daily, profile, D2, D2, D3)
    assert_df_equality(rerun, once, ignore_row_order=True)

    # The later range first, then the older one: the later snapshots are kept and the intervals join.
    late_first = written(spark, written(spark, empty, profile, D3, D4, None), profile, D1, D2, D3)
    assert_df_equality(late_first, once, ignore_row_order=True)


def test_runs_past_the_history_end_rewrite_only_the_current_intervals(spark, profile):
    empty = spark.createDataFrame([], GOLD_TAG_HISTORY_SCHEMA)
    once = written(spark, empty, profile, D1, D4, None)

    daily = empty
    for day in (D1, D2, D3, D4):
        assert closed_from(daily, day).isEmpty()
        current = daily.where(F.col(C.VALID_TO_MONTH) == OPEN)
        new = range_intervals(profile.where(F.col(C.SNAPSHOT_DATE) == day), CATALOG, day, None)
        # What the job writes: the OPEN partition replaced, the intervals the day closed added.
        kept = daily.where(F.col(C.VALID_TO_MONTH) != OPEN)
        daily = kept.unionByName(extended_current(current, new, day)).localCheckpoint()
    assert_df_equality(daily, once, ignore_row_order=True, ignore_nullable=True)
    # ann's spend 3.0 closed on D4: a run of D4 again is no extension, and takes the general path.
    assert [r[C.VALUE_NUM] for r in closed_from(once, D4).collect()] == [3.0]
    assert closed_from(once, D4 + dt.timedelta(days=1)).isEmpty()


def test_a_rerun_with_other_values_changes_only_its_date(spark, profile):
    history = written(spark, spark.createDataFrame([], GOLD_TAG_HISTORY_SCHEMA), profile, D1, D4, None)
    # ann's B on D2 becomes A, and cy appears a day early.
    changed = profile.where(F.col(C.SNAPSHOT_DATE) != D2).unionByName(
        spark.createDataFrame(
            [("ann", "A", 2.0, ["x"], D2), ("bob", "B", None, None, D2), ("cy", "A", 7.0, ["y", "z"], D2)],
            PROFILE,
        )
    )
    rerun = written(spark, history, changed, D2, D2, D3)

    for day in (D1, D2, D3, D4):
        assert_df_equality(
            tags_as_of(rerun, day), snapshot_of(changed, day), ignore_row_order=True, ignore_nullable=True
        )
    ann_band = rerun.where("user_id = 'ann' AND tag_id = 'band'")
    assert [(r[C.VALUE], r[C.VALID_FROM], r[C.VALID_TO]) for r in ann_band.collect()] == [("A", D1, None)]


def test_tag_moves_names_who_entered_and_left_a_value(spark, profile):
    history = written(spark, spark.createDataFrame([], GOLD_TAG_HISTORY_SCHEMA), profile, D1, D4, None)

    moves = tag_moves(history, "band", D2, D3).select(C.USER_ID, C.VALUE_BEFORE, C.VALUE_AFTER, C.CHANGE)

    expected = spark.createDataFrame(
        [("ann", "B", "A", "changed"), ("bob", "B", None, "removed")],
        f"{C.USER_ID} string, {C.VALUE_BEFORE} string, {C.VALUE_AFTER} string, {C.CHANGE} string",
    )
    assert_df_equality(moves, expected, ignore_row_order=True, ignore_nullable=True)
    assert tag_moves(history, "band", D3, D3).isEmpty()
