"""Lifecycle stages on hand-made users: every stage and its boundaries, reactivation across consecutive
snapshots, and the transition counts between two snapshots."""

from __future__ import annotations

import datetime as dt

from chispa import assert_df_equality
from pyspark.sql import functions as F

from shop_platform.settings import LifecycleSettings
from transforms import columns as C
from transforms.schemas import GOLD_USER_FEATURES_SCHEMA
from transforms.tags.lifecycle import lifecycle_stages, stage_transitions, transitions_by_date

# Distinct thresholds, so a rule reading the wrong one fails a boundary below.
RULES = LifecycleSettings(new_days=5, active_days=7, silent_days=14, churn_days=30)
D = dt.date(2026, 10, 28)
STAGES = f"{C.USER_ID} string, {C.LIFECYCLE_STAGE} string, {C.SNAPSHOT_DATE} date"


def features(spark, rows: list[tuple[str, int | None, int | None, dt.date]]):
    """gold.user_features rows (user, days since last visit, tenure days, snapshot date), other columns null."""
    names = GOLD_USER_FEATURES_SCHEMA.fieldNames()
    given = [C.USER_ID, C.DAYS_SINCE_LAST_VISIT, C.TENURE_DAYS, C.SNAPSHOT_DATE]
    records = [dict(zip(given, row, strict=True)) for row in rows]
    return spark.createDataFrame([tuple(r.get(n) for n in names) for r in records], GOLD_USER_FEATURES_SCHEMA)


def test_each_stage_and_its_boundaries_on_a_first_snapshot(spark):
    cases = [
        # user, days since last visit, tenure days, expected stage
        ("new_never_visited", None, 2, "new"),
        ("new_on_the_boundary", 0, 5, "new"),
        ("active_just_past_new", 0, 6, "active"),
        ("active_on_the_boundary", 7, 100, "active"),
        ("active_unregistered", 3, None, "active"),
        ("silent_just_past_active", 8, 100, "silent"),
        ("silent_on_the_boundary", 14, 100, "silent"),
        ("at_risk_just_past_silent", 15, 100, "at_risk"),
        ("at_risk_on_the_boundary", 30, 100, "at_risk"),
        ("churned_just_past_churn", 31, 100, "churned"),
        # Never visited: registration counts as the first visit.
        ("registered_never_visited", None, 10, "silent"),
        ("registered_long_ago_never_visited", None, 40, "churned"),
        ("nothing_known", None, None, "churned"),
    ]
    source = features(spark, [(user, visit, tenure, D) for user, visit, tenure, _ in cases])
    first_snapshot = spark.createDataFrame([], STAGES)
    actual = lifecycle_stages(source, first_snapshot, RULES)
    expected = spark.createDataFrame([(user, stage, D) for user, *_, stage in cases], STAGES)
    assert_df_equality(actual, expected, ignore_row_order=True, ignore_nullable=True)


def test_reactivated_on_the_snapshot_of_return_then_active_again(spark):
    d1, d2, d3 = D, D + dt.timedelta(days=1), D + dt.timedelta(days=2)
    day1 = features(spark, [("back", 31, 200, d1), ("gone", 40, 200, d1), ("risky", 20, 200, d1)])
    day2 = features(
        spark, [("back", 0, 201, d2), ("gone", 41, 201, d2), ("risky", 0, 201, d2), ("newcomer", None, 0, d2)]
    )
    day3 = features(
        spark, [("back", 1, 202, d3), ("gone", 42, 202, d3), ("risky", 0, 202, d3), ("newcomer", 0, 1, d3)]
    )
    stages1 = lifecycle_stages(day1, spark.createDataFrame([], STAGES), RULES)
    stages2 = lifecycle_stages(day2, stages1, RULES)
    stages3 = lifecycle_stages(day3, stages2, RULES)
    expected = spark.createDataFrame(
        [
            ("back", "churned", d1),
            ("gone", "churned", d1),
            ("risky", "at_risk", d1),
            ("back", "reactivated", d2),  # churned the day before, visited today
            ("gone", "churned", d2),
            ("risky", "active", d2),  # back from at risk only: not a reactivation
            ("newcomer", "new", d2),
            ("back", "active", d3),  # reactivated only on the day of return
            ("gone", "churned", d3),
            ("risky", "active", d3),
            ("newcomer", "new", d3),
        ],
        STAGES,
    )
    actual = stages1.unionByName(stages2).unionByName(stages3)
    assert_df_equality(actual, expected, ignore_row_order=True, ignore_nullable=True)


def test_back_under_churn_days_after_a_churned_snapshot_is_reactivated_whatever_the_gap(spark):
    # Weekly snapshots: a churned user who came back 10 days ago is silent by recency, but returned after churn.
    previous = spark.createDataFrame([("back", "churned", D - dt.timedelta(days=14))], STAGES)
    actual = lifecycle_stages(features(spark, [("back", 10, 200, D)]), previous, RULES)
    assert_df_equality(
        actual, spark.createDataFrame([("back", "reactivated", D)], STAGES), ignore_nullable=True
    )


def test_transitions_count_users_per_stage_pair_including_arrivals_and_departures(spark):
    previous = spark.createDataFrame(
        [
            ("a", "active", D),
            ("b", "active", D),
            ("c", "at_risk", D),
            ("h", "at_risk", D),
            ("d", "churned", D),
            ("e", "churned", D),
            ("f", "silent", D),  # missing from the next snapshot
        ],
        STAGES,
    )
    next_day = D + dt.timedelta(days=1)
    current = spark.createDataFrame(
        [
            ("a", "active", next_day),
            ("b", "silent", next_day),
            ("c", "active", next_day),
            ("h", "active", next_day),
            ("d", "reactivated", next_day),
            ("e", "churned", next_day),
            ("g", "new", next_day),  # new in this snapshot
        ],
        STAGES,
    )
    expected = spark.createDataFrame(
        [
            ("active", "active", 1),
            ("active", "silent", 1),
            ("at_risk", "active", 2),
            ("churned", "reactivated", 1),
            ("churned", "churned", 1),
            ("silent", None, 1),
            (None, "new", 1),
        ],
        f"{C.FROM_STAGE} string, {C.TO_STAGE} string, {C.USERS} long",
    )
    actual = stage_transitions(previous, current)
    assert_df_equality(actual, expected, ignore_row_order=True, ignore_nullable=True)


def test_one_pass_over_dates_gives_the_stages_and_transitions_of_a_date_by_date_chain(spark):
    d1, d2, d3 = D, D + dt.timedelta(days=1), D + dt.timedelta(days=2)
    stored = spark.createDataFrame([("back", "churned", d1 - dt.timedelta(days=1))], STAGES).select(
        C.USER_ID, C.LIFECYCLE_STAGE
    )
    days = [
        # back: churned before the range, returns on d1; gone: churned throughout; away: churned on d1, missing
        # on d2 (no previous stage on d3, so not reactivated); late: churned d2, returns d3.
        features(spark, [("back", 0, 200, d1), ("gone", 40, 200, d1), ("away", 40, 200, d1)]),
        features(spark, [("back", 1, 201, d2), ("gone", 41, 201, d2), ("late", 35, 201, d2)]),
        features(
            spark, [("back", 2, 202, d3), ("gone", 42, 202, d3), ("away", 0, 202, d3), ("late", 0, 202, d3)]
        ),
    ]
    chain, previous = [], stored
    for day in days:
        stages = lifecycle_stages(day, previous, RULES)
        chain.append(stages)
        previous = stages.select(C.USER_ID, C.LIFECYCLE_STAGE)
    expected = chain[0].unionByName(chain[1]).unionByName(chain[2])
    every_day = days[0].unionByName(days[1]).unionByName(days[2])

    actual = lifecycle_stages(every_day, stored, RULES, first_date=d1)

    assert_df_equality(actual, expected, ignore_row_order=True, ignore_nullable=True)
    assert {
        (r[C.USER_ID], r[C.SNAPSHOT_DATE]) for r in actual.where("lifecycle_stage = 'reactivated'").collect()
    } == {
        ("back", d1),
        ("late", d3),
    }
    per_date = [
        stage_transitions(before, after).select("*", F.lit(day).alias(C.SNAPSHOT_DATE))
        for before, after, day in ((stored, chain[0], d1), (chain[0], chain[1], d2), (chain[1], chain[2], d3))
    ]
    assert_df_equality(
        transitions_by_date(actual, stored, d1, d3),
        per_date[0].unionByName(per_date[1]).unionByName(per_date[2]),
        ignore_row_order=True,
        ignore_nullable=True,
    )
