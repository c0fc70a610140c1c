"""Behaviour analytics on hand-built data: activity, funnel (with stages known before the day), weekly
retention, monthly churn and session paths."""

from __future__ import annotations

import datetime as dt

import pytest
from chispa import assert_approx_df_equality, assert_df_equality

from transforms import columns as C
from transforms.analytics.activity import activity_daily, date_range
from transforms.analytics.as_of import known_before_each_day, latest_snapshot_before
from transforms.analytics.churn import monthly_churn
from transforms.analytics.funnel import funnel_daily, session_steps
from transforms.analytics.paths import session_page_paths, top_paths
from transforms.analytics.retention import (
    FIRST_ORDER_COHORT,
    REGISTRATION_COHORT,
    retention_cohorts,
    weekly_retention,
)
from transforms.schemas import (
    GOLD_ACTIVITY_DAILY_SCHEMA,
    GOLD_CHURN_MONTHLY_SCHEMA,
    GOLD_FUNNEL_DAILY_SCHEMA,
    GOLD_RETENTION_COHORTS_SCHEMA,
    GOLD_SESSION_PATHS_SCHEMA,
)


def d(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


def approx_equal(actual, expected) -> None:
    assert_approx_df_equality(actual, expected, 1e-9, ignore_nullable=True, ignore_row_order=True)


def test_activity_counts_users_per_trailing_window_and_new_users_by_registration_day(spark):
    sessions = spark.createDataFrame(
        [
            ("ann", d("2026-09-10")),  # 25 days before D1: in both MAUs
            ("ann", d("2026-10-05")),
            ("ann", d("2026-10-05")),  # a second session the same day counts once
            ("bob", d("2026-10-01")),  # in both WAUs
            ("cat", d("2026-10-06")),  # registered that day: new
            ("dan", d("2026-09-05")),  # 30 days before D1: in no window
        ],
        f"{C.USER_ID} string, {C.EVENT_DATE} date",
    )
    users = spark.createDataFrame(
        [
            ("ann", d("2026-01-01")),
            ("bob", d("2026-09-30")),
            ("cat", d("2026-10-06")),
            ("dan", d("2025-05-01")),
        ],
        f"{C.USER_ID} string, {C.REGISTRATION_DATE} date",
    )
    expected = spark.createDataFrame(
        [(1, 2, 2, 0, 1, 0.5, d("2026-10-05")), (1, 3, 3, 1, 0, 1 / 3, d("2026-10-06"))],
        GOLD_ACTIVITY_DAILY_SCHEMA,
    )
    approx_equal(activity_daily(sessions, users, d("2026-10-05"), d("2026-10-06")), expected)


def test_funnel_counts_sessions_per_step_with_the_stage_known_before_the_day(spark):
    day = d("2026-10-05")
    sessions = spark.createDataFrame(
        [
            ("ann", "s1", "direct", "ios", day),
            ("ann", "s2", "direct", "ios", day),
            ("bob", "s3", "direct", "ios", day),
        ],
        f"{C.USER_ID} string, {C.SESSION_ID} string, {C.CHANNEL} string, {C.DEVICE} string, {C.EVENT_DATE} date",
    )
    events = spark.createDataFrame(
        [
            ("s1", "page_view", "home"),
            ("s1", "page_view", "product"),
            ("s1", "add_to_cart", "product"),
            ("s1", "order", None),
            ("s1", "pay", None),
            ("s2", "page_view", "product"),
            ("s2", "add_to_cart", "product"),
            # An order without a product view: the session stops at the first step.
            ("s3", "page_view", "home"),
            ("s3", "order", None),
        ],
        f"{C.SESSION_ID} string, {C.EVENT_TYPE} string, {C.PAGE_TYPE} string",
    )
    snapshots = spark.createDataFrame(
        [
            ("ann", "new", d("2026-10-02")),
            ("ann", "active", d("2026-10-04")),  # the latest before the day: used
            ("ann", "at_risk", day),  # the day's own snapshot comes after its sessions
            ("bob", "active", day),
        ],
        f"{C.USER_ID} string, {C.LIFECYCLE_STAGE} string, {C.SNAPSHOT_DATE} date",
    )
    stages = latest_snapshot_before(snapshots, date_range(snapshots, day, day, C.EVENT_DATE), C.EVENT_DATE)
    segments = spark.createDataFrame([], f"{C.USER_ID} string, {C.EVENT_DATE} date, {C.SEGMENT_ID} int")

    actual = funnel_daily(session_steps(events), sessions, segments, stages)

    def rows(stage, counts, before):
        steps = ("page_view", "product_view", "add_to_cart", "order", "pay")
        out = []
        for index, (step, n) in enumerate(zip(steps, counts, strict=True)):
            previous = before if index == 0 else counts[index - 1]
            out.append(
                ("direct", "ios", None, stage, index + 1, step, n, n / previous if previous else None,
                 n / counts[0], previous - n, day)
            )  # fmt: skip
        return out

    expected = spark.createDataFrame(
        rows("active", [2, 2, 2, 1, 1], 2) + rows(None, [1, 0, 0, 0, 0], 1), GOLD_FUNNEL_DAILY_SCHEMA
    )
    approx_equal(actual, expected)


def test_weekly_retention_reports_only_complete_weeks_of_recent_cohorts(spark):
    registrations = spark.createDataFrame(
        [
            ("ann", d("2026-10-05")),
            ("bob", d("2026-10-07")),
            ("cat", d("2026-10-11")),
            ("dan", d("2026-10-12")),
            # Registered in the week before the history starts: no cohort, though within cohort_weeks.
            ("eve", d("2026-10-01")),
        ],
        f"{C.USER_ID} string, {C.DATE} date",
    )
    visits = spark.createDataFrame(
        [
            ("ann", d("2026-10-06")),
            ("ann", d("2026-10-13")),
            ("ann", d("2026-10-20")),
            ("bob", d("2026-10-14")),
            ("dan", d("2026-10-12")),
            ("dan", d("2026-10-19")),
        ],
        f"{C.USER_ID} string, {C.DATE} date",
    )
    actual = weekly_retention(
        registrations,
        visits,
        REGISTRATION_COHORT,
        d("2026-10-24"),
        d("2026-10-25"),
        cohort_weeks=4,
        retention_weeks=2,
        observed_from=d("2026-10-05"),
    )
    cohort, later = d("2026-10-05"), d("2026-10-12")
    saturday, sunday = d("2026-10-24"), d("2026-10-25")
    expected = spark.createDataFrame(
        [
            # On Saturday the week of 10-19 is not over yet.
            (REGISTRATION_COHORT, cohort, 0, 3, 1, 1 / 3, saturday),
            (REGISTRATION_COHORT, cohort, 1, 3, 2, 2 / 3, saturday),
            (REGISTRATION_COHORT, later, 0, 1, 1, 1.0, saturday),
            (REGISTRATION_COHORT, cohort, 0, 3, 1, 1 / 3, sunday),
            (REGISTRATION_COHORT, cohort, 1, 3, 2, 2 / 3, sunday),
            (REGISTRATION_COHORT, cohort, 2, 3, 1, 1 / 3, sunday),
            (REGISTRATION_COHORT, later, 0, 1, 1, 1.0, sunday),
            (REGISTRATION_COHORT, later, 1, 1, 1, 1.0, sunday),
        ],
        GOLD_RETENTION_COHORTS_SCHEMA,
    )
    approx_equal(actual, expected)


def test_monthly_churn_and_reactivation_from_stage_transitions(spark):
    transitions = spark.createDataFrame(
        [
            # The lake's first snapshot: no earlier stages, so it is October's base and no move.
            (None, "active", 10, d("2026-10-01")),
            (None, "churned", 2, d("2026-10-01")),
            ("active", "active", 8, d("2026-10-02")),
            ("active", "churned", 2, d("2026-10-02")),
            ("churned", "reactivated", 1, d("2026-10-02")),
            ("churned", "churned", 1, d("2026-10-02")),
            # November's base is the stages before its first snapshot: 7 not churned, 4 churned.
            ("active", "active", 7, d("2026-11-01")),
            ("churned", "churned", 3, d("2026-11-01")),
            ("churned", "reactivated", 1, d("2026-11-01")),
            ("active", "churned", 2, d("2026-11-02")),
            ("active", "active", 5, d("2026-11-02")),
            ("reactivated", "active", 1, d("2026-11-02")),
            ("churned", "churned", 3, d("2026-11-02")),
        ],
        f"{C.FROM_STAGE} string, {C.TO_STAGE} string, {C.USERS} long, {C.SNAPSHOT_DATE} date",
    )
    october, november = d("2026-10-01"), d("2026-11-01")
    # October starts on the lake's first day: its "churned at start" users may just be unseen yet. November
    # starts 31 days in, more than the 30-day churn window.
    expected = spark.createDataFrame(
        [
            (october, d("2026-10-02"), 10, 2, 0.2, 2, 1, 0.5, False, d("2026-11-01")),
            (november, d("2026-11-01"), 7, 0, 0.0, 4, 1, 0.25, True, d("2026-11-01")),
            (october, d("2026-10-02"), 10, 2, 0.2, 2, 1, 0.5, False, d("2026-11-02")),
            (november, d("2026-11-02"), 7, 2, 2 / 7, 4, 1, 0.25, True, d("2026-11-02")),
        ],
        GOLD_CHURN_MONTHLY_SCHEMA,
    )
    churn = monthly_churn(transitions, d("2026-11-01"), d("2026-11-02"), october, churn_days=30)
    approx_equal(churn, expected)


@pytest.mark.parametrize(
    ("history_start", "churn_days", "complete"),
    [
        (d("2026-10-01"), 30, True),  # November's first snapshot is 31 days in
        (d("2026-10-01"), 31, False),  # ... which is not more than a 31-day window
        (d("2026-10-15"), 7, True),
        (None, 30, False),  # no lifecycle history at all
    ],
)
def test_a_churn_month_is_complete_once_the_lake_is_older_than_the_churn_window(
    spark, history_start, churn_days, complete
):
    transitions = spark.createDataFrame(
        [("active", "churned", 1, d("2026-11-01")), ("active", "active", 3, d("2026-11-01"))],
        f"{C.FROM_STAGE} string, {C.TO_STAGE} string, {C.USERS} long, {C.SNAPSHOT_DATE} date",
    )
    churn = monthly_churn(transitions, d("2026-11-01"), d("2026-11-01"), history_start, churn_days)
    assert [row[C.HISTORY_COMPLETE] for row in churn.collect()] == [complete]


def test_session_paths_collapse_repeats_cut_steps_and_rank_per_outcome(spark):
    day = d("2026-10-05")

    def at(second: int) -> dt.datetime:
        return dt.datetime(2026, 10, 5, 8, 0, second)

    events = spark.createDataFrame(
        [
            ("s1", "e1", "page_view", at(1), "home"),
            ("s1", "e2", "page_view", at(2), "product"),
            ("s1", "e3", "page_view", at(3), "product"),
            ("s1", "e4", "add_to_cart", at(4), "product"),
            ("s1", "e5", "page_view", at(5), "search"),
            ("s2", "e6", "page_view", at(1), "home"),
            ("s2", "e7", "page_view", at(2), "product"),
            # Same time: the event id orders them.
            ("s3", "e9", "page_view", at(1), "search"),
            ("s3", "e8", "page_view", at(1), "search"),
            ("s4", "e10", "page_view", at(1), "home"),
            ("s4", "e11", "page_view", at(2), "product"),
            ("s5", "e12", "add_to_cart", at(1), "product"),
        ],
        f"{C.SESSION_ID} string, {C.EVENT_ID} string, {C.EVENT_TYPE} string, {C.EVENT_TIME} timestamp, "
        f"{C.PAGE_TYPE} string",
    )
    sessions = spark.createDataFrame(
        [("s1", True, day), ("s2", False, day), ("s3", False, day), ("s4", False, day), ("s5", False, day)],
        f"{C.SESSION_ID} string, {C.CONVERTED} boolean, {C.EVENT_DATE} date",
    )
    paths = session_page_paths(events, steps=2, collapse_repeats=True)
    assert_df_equality(
        paths,
        spark.createDataFrame(
            [
                ("s1", "home > product", 2),
                ("s2", "home > product", 2),
                ("s3", "search", 1),
                ("s4", "home > product", 2),
            ],
            f"{C.SESSION_ID} string, {C.PATH} string, {C.PATH_LENGTH} int",
        ),
        ignore_row_order=True,
        ignore_nullable=True,
    )
    expected = spark.createDataFrame(
        [(True, 1, "home > product", 2, 1, 1.0, day), (False, 1, "home > product", 2, 2, 2 / 3, day)],
        GOLD_SESSION_PATHS_SCHEMA,
    )
    approx_equal(top_paths(paths, sessions, top_n=1), expected)


def test_each_day_gets_the_value_of_the_latest_snapshot_before_it_while_it_is_recent(spark):
    values = spark.createDataFrame(
        [
            ("ann", 1, d("2026-10-01")),
            ("bob", 3, d("2026-10-01")),
            ("ann", 2, d("2026-10-05")),
            ("old", 9, d("2026-09-20")),  # more than a week before the first day: never used
        ],
        f"{C.USER_ID} string, {C.SEGMENT_ID} int, {C.SNAPSHOT_DATE} date",
    )
    actual = known_before_each_day(values, C.SEGMENT_ID, d("2026-10-05"), d("2026-10-13"))
    # 10-05 knows the snapshot of 10-01 only; the next seven days the one of 10-05 (bob is not in it);
    # on 10-13 that snapshot is eight days old, so nobody has a value.
    later = [("ann", d("2026-10-05") + dt.timedelta(days=n), 2) for n in range(1, 8)]
    expected = spark.createDataFrame(
        [("ann", d("2026-10-05"), 1), ("bob", d("2026-10-05"), 3), *later],
        f"{C.USER_ID} string, {C.EVENT_DATE} date, {C.SEGMENT_ID} int",
    )
    assert_df_equality(actual, expected, ignore_row_order=True, ignore_nullable=True)


def test_retention_cohorts_by_registration_and_by_first_order_within_the_horizon(spark):
    users = spark.createDataFrame(
        [("ann", d("2026-10-13")), ("eve", d("2026-10-15")), ("bob", d("2026-10-20"))],
        f"{C.USER_ID} string, {C.REGISTRATION_DATE} date",
    )
    sessions = spark.createDataFrame(
        [("ann", d("2026-10-14")), ("ann", d("2026-10-20")), ("bob", d("2026-10-21"))],
        f"{C.USER_ID} string, {C.EVENT_DATE} date",
    )
    orders = spark.createDataFrame(
        [
            ("ann", d("2026-10-14")),
            ("ann", d("2026-10-22")),
            ("bob", d("2026-10-20")),
            # old's first order is before the horizon (09-27): no first-order cohort for a later order.
            ("old", d("2026-09-01")),
            ("old", d("2026-10-13")),
        ],
        f"{C.USER_ID} string, {C.ORDER_DATE} date",
    )
    sunday = d("2026-10-25")
    actual = retention_cohorts(users, sessions, orders, sunday, sunday, 2, 1, observed_from=d("2026-10-05"))
    week, next_week = d("2026-10-12"), d("2026-10-19")
    expected = spark.createDataFrame(
        [
            (REGISTRATION_COHORT, week, 0, 2, 1, 0.5, sunday),
            (REGISTRATION_COHORT, week, 1, 2, 1, 0.5, sunday),
            (REGISTRATION_COHORT, next_week, 0, 1, 1, 1.0, sunday),
            (FIRST_ORDER_COHORT, week, 0, 1, 1, 1.0, sunday),
            (FIRST_ORDER_COHORT, week, 1, 1, 1, 1.0, sunday),
            (FIRST_ORDER_COHORT, next_week, 0, 1, 1, 1.0, sunday),
        ],
        GOLD_RETENTION_COHORTS_SCHEMA,
    )
    approx_equal(actual, expected)
