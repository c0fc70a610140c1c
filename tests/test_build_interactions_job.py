"""The interactions job end to end: day-by-day runs with late events equal one rebuild from all history."""

from __future__ import annotations

import datetime as dt

import pytest
from chispa import assert_approx_df_equality

from jobs import build_interactions
from shop_platform.settings import LakeSettings
from shop_platform.storage import open_lake
from tests.job_logs import job_log_of
from tests.test_interactions import silver_event, utc
from tests.test_recommend_baselines import with_category
from transforms import columns as C
from transforms import tables
from transforms import vocabulary as V
from transforms.recommend.baselines import item_categories
from transforms.schemas import SILVER_EVENTS_SCHEMA

D = {day: dt.date(2026, 9, 28) + dt.timedelta(days=day) for day in range(8)}  # D[0] = 09-28 ... D[7] = 10-05
RUN_DAYS = [D[3], D[4], D[5], D[6], D[7]]
LAST = D[7]
HALF_LIFE = 14.0  # conf/base.yaml, as are the weights: page_view 1, favorite 2, add_to_cart 3, order 5

SILVER = {
    D[0]: [
        # Categories come from days a later run no longer reads: gold.item_categories must keep them.
        with_category(silver_event("u1", V.PAGE_VIEW, D[0], 10, item="i1"), l1="home", l2="kitchen"),
        silver_event("u1", V.FAVORITE, D[0], 11, item="i1"),
        silver_event("u2", V.ORDER, D[0], 15, items=["i1", "i2"]),
    ],
    D[1]: [
        silver_event("u1", V.ADD_TO_CART, D[1], 8, item="i2"),
        with_category(silver_event("u3", V.PAGE_VIEW, D[1], 21, item="i3"), category_id="33"),
    ],
    D[2]: [
        silver_event("u2", V.PAGE_VIEW, D[2], 12, item="i1"),
        silver_event("u2", V.REVIEW, D[2], 13, item="i2"),
    ],
    D[3]: [
        silver_event("u1", V.PAGE_VIEW, D[3], 9, item="i1"),
        silver_event("u3", V.ADD_TO_CART, D[3], 10, item="i3"),
        silver_event("u3", V.REMOVE_FROM_CART, D[3], 10, 30, item="i3"),
    ],
    D[4]: [
        with_category(silver_event("u4", V.PAGE_VIEW, D[4], 12, item="i4"), l1="toys"),
        silver_event("u1", V.ORDER, D[4], 18, items=["i2"]),
    ],
    D[5]: [silver_event("u2", V.FAVORITE, D[5], 7, item="i3")],
    D[6]: [
        # Silver drops this one before the last run (e.g. a duplicate found late): u1-i1's last interaction
        # moves back to D[3], which no sum of increments could express.
        silver_event("u1", V.PAGE_VIEW, D[6], 23, item="i1"),
        silver_event("u0", V.PAGE_VIEW, D[6], 14, item="i1"),
    ],
    D[7]: [silver_event("u3", V.ORDER, D[7], 20, items=["i3", "i4"])],
}
# What silver learns before a run, inside that run's look-back window: {run date: {day: that day's rows}}.
LATE = {
    D[5]: {
        D[3]: [
            *SILVER[D[3]],
            with_category(silver_event("u2", V.ADD_TO_CART, D[3], 20, item="i4"), l1="garden"),
        ]
    },
    D[7]: {
        D[6]: SILVER[D[6]][1:],
        D[5]: [*SILVER[D[5]], silver_event("u0", V.ORDER, D[5], 16, items=["i0"])],
    },
}
FINAL = {**SILVER, **LATE[D[5]], **LATE[D[7]]}


def open_test_lake(spark, root):
    return open_lake(spark, LakeSettings(root, "embedded", 168, 0))


def write_silver(spark, root, days):
    table = open_test_lake(spark, root).table(tables.SILVER_EVENTS)
    rows = [row for day_rows in days.values() for row in day_rows]
    table.create()
    table.overwrite_partitions(
        spark.createDataFrame(rows, SILVER_EVENTS_SCHEMA), {C.EVENT_DATE: sorted(days)}
    )


def run_job(root, day, *extra):
    argv = ["--date", day.isoformat(), "--set", f"lake.root={root}", "--set", "spark.shuffle_partitions=2"]
    assert build_interactions.main([*argv, "--set", "ingest.lookback_days=2", *extra]) == 0


def gold(spark, root, name):
    return open_test_lake(spark, root).table(f"gold.{name}")


def assert_same_rows(actual, expected, ignore_columns=None):
    assert_approx_df_equality(
        actual, expected, 1e-9, ignore_row_order=True, ignore_nullable=True, ignore_columns=ignore_columns
    )


@pytest.fixture(scope="module")
def incremental(spark, tmp_path_factory):
    """A lake where the job ran once a day over RUN_DAYS while late events arrived; its final versions."""
    root = str(tmp_path_factory.mktemp("incremental") / "lake")
    write_silver(spark, root, SILVER)
    for day in RUN_DAYS:
        if day in LATE:
            write_silver(spark, root, LATE[day])
        run_job(root, day)
    versions = {name: gold(spark, root, name).version() for name in ("user_item_interactions", "user_index")}
    return root, versions


def test_day_by_day_runs_with_late_events_equal_a_rebuild_from_all_history(spark, tmp_path, incremental):
    root, versions = incremental
    rebuilt = str(tmp_path / "lake")
    write_silver(spark, rebuilt, FINAL)
    run_job(rebuilt, LAST, "--rebuild")
    for name in ("user_item_daily", "user_item_settled"):
        assert_same_rows(gold(spark, root, name).read(), gold(spark, rebuilt, name).read())
    # Index numbers depend on the order ids arrived in: by day incrementally, by id in one rebuild.
    matrix = gold(spark, root, "user_item_interactions").read(version=versions["user_item_interactions"])
    rebuilt_matrix = gold(spark, rebuilt, "user_item_interactions").read()
    assert_same_rows(matrix, rebuilt_matrix, ignore_columns=[C.USER_IDX, C.ITEM_IDX])
    assert rebuilt_matrix.count() == 11


def test_item_categories_kept_day_by_day_equal_those_of_all_history(spark, tmp_path, incremental):
    root, _ = incremental
    kept = gold(spark, root, "item_categories").read()
    all_history = item_categories(
        spark.createDataFrame([r for rows in FINAL.values() for r in rows], SILVER_EVENTS_SCHEMA)
    )
    assert_same_rows(kept, all_history)
    assert {r[C.ITEM_ID]: r[C.CATEGORY] for r in kept.collect()} == {
        "i1": "home/kitchen",
        "i3": "33",
        "i4": "garden",
    }
    rebuilt = str(tmp_path / "lake")
    write_silver(spark, rebuilt, FINAL)
    run_job(rebuilt, LAST, "--rebuild")
    assert_same_rows(gold(spark, rebuilt, "item_categories").read(), all_history)


def test_the_last_state_matches_a_hand_computation(spark, incremental):
    root, versions = incremental
    matrix = gold(spark, root, "user_item_interactions").read(version=versions["user_item_interactions"])
    u1_i1 = matrix.filter((matrix[C.USER_ID] == "u1") & (matrix[C.ITEM_ID] == "i1")).collect()
    assert len(u1_i1) == 1
    row = u1_i1[0]
    # Ages in days from the end of the last run date (midnight after it, shop time).
    expected_strength = (
        1.0 * 0.5 ** ((7 + 14 / 24) / HALF_LIFE)
        + 2.0 * 0.5 ** ((7 + 13 / 24) / HALF_LIFE)
        + 1.0 * 0.5 ** ((4 + 15 / 24) / HALF_LIFE)
    )
    assert row[C.STRENGTH] == pytest.approx(expected_strength, rel=1e-9)
    assert (row[C.PAGE_VIEWS], row[C.FAVORITES], row[C.AS_OF_DATE]) == (2, 1, LAST)
    # PySpark hands timestamps back as naive datetimes in the local time zone of this process.
    first, last = (utc(day, hour).astimezone().replace(tzinfo=None) for day, hour in ((D[0], 10), (D[3], 9)))
    assert (row[C.FIRST_INTERACTION_TIME], row[C.LAST_INTERACTION_TIME]) == (first, last)
    # u0 first showed up on D[6]: it was numbered after the users indexed before, and keeps that number.
    users = {
        r[C.USER_ID]: (r[C.USER_IDX], r[C.FIRST_SEEN])
        for r in gold(spark, root, "user_index").read().collect()
    }
    assert users == {"u1": (0, D[3]), "u2": (1, D[3]), "u3": (2, D[3]), "u4": (3, D[4]), "u0": (4, D[6])}


def test_rerunning_the_last_date_changes_nothing_and_rereads_only_the_look_back_window(spark, incremental):
    root, versions = incremental
    before = gold(spark, root, "user_item_interactions").read(version=versions["user_item_interactions"])
    # A change to a settled day breaks silver's contract; a run that re-read all history would pick it up.
    write_silver(spark, root, {D[0]: [*SILVER[D[0]], silver_event("u4", V.FAVORITE, D[0], 9, item="i1")]})
    try:
        run_job(root, LAST)
    finally:
        write_silver(spark, root, {D[0]: SILVER[D[0]]})
    assert_same_rows(gold(spark, root, "user_item_interactions").read(), before)
    assert gold(spark, root, "user_index").version() == versions["user_index"]


def test_an_export_without_item_ids_warns_instead_of_writing_zero_pairs_silently(spark, tmp_path):
    root = str(tmp_path / "lake")
    # An order export without an item id column: orders whose lines name no item.
    write_silver(spark, root, {D[7]: [silver_event("u1", V.ORDER, D[7], 20, items=[None])]})
    with job_log_of("jobs.build_interactions") as records:
        run_job(root, D[7], "--rebuild")
    assert gold(spark, root, "user_item_interactions").read().count() == 0
    assert (
        "WARNING silver.events has 1 events in all history through 2026-10-05 but none names an item (item_id, "
        "or items.item_id of an order): the export has no item id column, so these days add no user-item "
        "interaction and the recommenders get nothing from them"
    ) in records.leveled
