"""The interaction matrix transforms: counts per event type, decayed strength, the incremental run plan."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from chispa import assert_approx_df_equality, assert_df_equality
from pyspark.sql import functions as F

from transforms import columns as C
from transforms import vocabulary as V
from transforms.interactions import (
    accumulate_interactions,
    daily_interactions,
    interaction_matrix,
    interaction_parts,
    plan_run,
    validated_weights,
)
from transforms.schemas import (
    GOLD_USER_INDEX_SCHEMA,
    GOLD_USER_ITEM_DAILY_SCHEMA,
    GOLD_USER_ITEM_SETTLED_SCHEMA,
    SILVER_EVENTS_SCHEMA,
)

TIMEZONE = "Asia/Shanghai"
SHOP = ZoneInfo(TIMEZONE)
HALF_LIFE = 14.0
# Distinct weights, so a count credited to the wrong event type shows in the strength.
WEIGHTS = {
    V.PAGE_VIEW: 1.0,
    V.SEARCH: 0.0,
    V.FAVORITE: 2.0,
    V.ADD_TO_CART: 3.0,
    V.REMOVE_FROM_CART: 0.5,
    V.ORDER: 5.0,
    V.REVIEW: 7.0,
}
# Dates far from any clock this suite runs on: a transform reading the clock would get negative ages.
AS_OF = dt.date(2031, 1, 15)
FORTNIGHT_BEFORE_END = dt.date(2031, 1, 2)  # local midnight starting this day is 14 days before end(AS_OF)
MEASURE_COLUMNS = [
    C.PAGE_VIEWS,
    C.FAVORITES,
    C.CART_ADDS,
    C.CART_REMOVES,
    C.ORDERS,
    C.REVIEWS,
]


def silver_event(user, event_type, day, hour=0, minute=0, item=None, items=None):
    """One silver.events row at a shop-local time; the other columns stay null."""
    local = dt.datetime.combine(day, dt.time(hour, minute), tzinfo=SHOP)
    row = dict.fromkeys(SILVER_EVENTS_SCHEMA.fieldNames())
    row.update(
        {
            C.EVENT_ID: f"{user}-{event_type}-{local.isoformat()}-{item}-{items}",
            C.USER_ID: user,
            C.EVENT_TYPE: event_type,
            C.EVENT_TIME: local.astimezone(dt.timezone.utc),
            C.ITEM_ID: item,
            C.ITEMS: [(i, 1, 9.9) for i in items] if items is not None else None,
            C.EVENT_DATE: day,
        }
    )
    return tuple(row[name] for name in SILVER_EVENTS_SCHEMA.fieldNames())


def utc(day, hour=0, minute=0):
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=SHOP).astimezone(dt.timezone.utc)


def state_as_of(spark, rows, as_of=AS_OF, weights=WEIGHTS):
    events = spark.createDataFrame(rows, SILVER_EVENTS_SCHEMA)
    daily = events.transform(daily_interactions, weights=weights, half_life_days=HALF_LIFE, timezone=TIMEZONE)
    nothing_settled = spark.createDataFrame([], GOLD_USER_ITEM_SETTLED_SCHEMA)
    return interaction_parts(nothing_settled, daily).transform(
        accumulate_interactions, as_of=as_of, half_life_days=HALF_LIFE, timezone=TIMEZONE
    )


def expected_state(spark, rows):
    """(user, item, six counts, first, last, strength) tuples as an accumulate_interactions frame."""
    schema = GOLD_USER_ITEM_SETTLED_SCHEMA
    return spark.createDataFrame(rows, schema).drop(C.SETTLED_THROUGH)


def test_each_event_type_counts_in_its_column_with_its_weight_halved_at_the_half_life(spark):
    day = FORTNIGHT_BEFORE_END
    rows = [
        silver_event("u1", V.PAGE_VIEW, day, item="i1"),
        silver_event("u1", V.FAVORITE, day, item="i2"),
        silver_event("u1", V.ADD_TO_CART, day, item="i3"),
        silver_event("u1", V.REMOVE_FROM_CART, day, item="i4"),
        silver_event("u1", V.ORDER, day, items=["i5"]),
        silver_event("u1", V.REVIEW, day, item="i6"),
    ]
    t = utc(day)
    expected = expected_state(
        spark,
        [
            ("u1", "i1", 1, 0, 0, 0, 0, 0, t, t, 0.5, None),
            ("u1", "i2", 0, 1, 0, 0, 0, 0, t, t, 1.0, None),
            ("u1", "i3", 0, 0, 1, 0, 0, 0, t, t, 1.5, None),
            ("u1", "i4", 0, 0, 0, 1, 0, 0, t, t, 0.25, None),
            ("u1", "i5", 0, 0, 0, 0, 1, 0, t, t, 2.5, None),
            ("u1", "i6", 0, 0, 0, 0, 0, 1, t, t, 3.5, None),
        ],
    )
    assert_approx_df_equality(
        state_as_of(spark, rows), expected, 1e-12, ignore_nullable=True, ignore_row_order=True
    )


def test_decay_halves_every_half_life_and_follows_the_as_of_date_not_the_clock(spark):
    two_half_lives = FORTNIGHT_BEFORE_END - dt.timedelta(days=14)
    rows = [
        silver_event("u1", V.PAGE_VIEW, FORTNIGHT_BEFORE_END, item="i1"),
        silver_event("u1", V.PAGE_VIEW, two_half_lives, item="i2"),
        # Noon on the as-of date: half a day before its end.
        silver_event("u1", V.PAGE_VIEW, AS_OF, hour=12, item="i3"),
    ]
    strength = {
        (row[C.ITEM_ID], as_of): row[C.STRENGTH]
        for as_of in (AS_OF, AS_OF + dt.timedelta(days=14))
        for row in state_as_of(spark, rows, as_of).collect()
    }
    assert strength["i1", AS_OF] == pytest.approx(0.5, rel=1e-12)
    assert strength["i2", AS_OF] == pytest.approx(0.25, rel=1e-12)
    assert strength["i3", AS_OF] == pytest.approx(0.5 ** (0.5 / HALF_LIFE), rel=1e-12)
    for item in ("i1", "i2", "i3"):
        later = AS_OF + dt.timedelta(days=14)
        assert strength[item, later] == pytest.approx(strength[item, AS_OF] / 2, rel=1e-12)
    # Events after the as-of date do not count yet.
    assert state_as_of(spark, rows, two_half_lives).count() == 1


def test_an_order_counts_once_for_every_item_of_its_lines(spark):
    day = FORTNIGHT_BEFORE_END
    rows = [
        silver_event("u1", V.ORDER, day, hour=9, items=["a", "b"]),
        silver_event("u1", V.ORDER, day, hour=10, items=["a"]),
        # Neither names an item: nothing to count.
        silver_event("u1", V.PAY, day, hour=10, minute=5),
        silver_event("u1", V.SEARCH, day, hour=11),
        silver_event("u1", V.PAGE_VIEW, day, hour=11),
    ]
    counts = state_as_of(spark, rows).select(C.USER_ID, C.ITEM_ID, *MEASURE_COLUMNS, C.LAST_INTERACTION_TIME)
    expected = spark.createDataFrame(
        [("u1", "a", 0, 0, 0, 0, 2, 0, utc(day, 10)), ("u1", "b", 0, 0, 0, 0, 1, 0, utc(day, 9))],
        counts.schema,
    )
    assert_df_equality(counts, expected, ignore_nullable=True, ignore_row_order=True)
    strengths = {r[C.ITEM_ID]: r[C.STRENGTH] for r in state_as_of(spark, rows).collect()}
    assert strengths["b"] == pytest.approx(5.0 * 0.5 ** ((14 - 9 / 24) / HALF_LIFE), rel=1e-12)


def test_daily_rows_hold_each_day_aged_to_its_own_end_with_first_and_last_times(spark):
    day, next_day = FORTNIGHT_BEFORE_END, FORTNIGHT_BEFORE_END + dt.timedelta(days=1)
    rows = [
        silver_event("u1", V.PAGE_VIEW, day, hour=6, item="i1"),
        silver_event("u1", V.ADD_TO_CART, day, hour=18, item="i1"),
        silver_event("u1", V.PAGE_VIEW, next_day, hour=12, item="i1"),
    ]
    daily = spark.createDataFrame(rows, SILVER_EVENTS_SCHEMA).transform(
        daily_interactions, weights=WEIGHTS, half_life_days=HALF_LIFE, timezone=TIMEZONE
    )
    decay = 0.5 ** (1 / HALF_LIFE / 24)  # one hour
    expected = spark.createDataFrame(
        [
            ("u1", "i1", 1, 0, 1, 0, 0, 0, utc(day, 6), utc(day, 18), decay**18 + 3 * decay**6, day),
            ("u1", "i1", 1, 0, 0, 0, 0, 0, utc(next_day, 12), utc(next_day, 12), decay**12, next_day),
        ],
        GOLD_USER_ITEM_DAILY_SCHEMA,
    )
    assert_approx_df_equality(daily, expected, 1e-12, ignore_nullable=True, ignore_row_order=True)


def test_settled_days_plus_later_days_equal_all_days_at_once(spark):
    days = [FORTNIGHT_BEFORE_END + dt.timedelta(days=i) for i in range(6)]
    rows = [
        silver_event(user, event_type, day, hour=3 * i % 24, item=item)
        for i, (day, user, event_type, item) in enumerate(
            [
                (days[0], "u1", V.PAGE_VIEW, "i1"),
                (days[1], "u1", V.FAVORITE, "i1"),
                (days[1], "u2", V.PAGE_VIEW, "i1"),
                (days[3], "u2", V.ADD_TO_CART, "i2"),
                (days[4], "u1", V.PAGE_VIEW, "i1"),
                (days[5], "u2", V.REVIEW, "i2"),
            ]
        )
    ]
    decay = {"half_life_days": HALF_LIFE, "timezone": TIMEZONE}
    daily = spark.createDataFrame(rows, SILVER_EVENTS_SCHEMA).transform(
        daily_interactions, weights=WEIGHTS, **decay
    )
    settled_through = days[2]
    settled = interaction_parts(spark.createDataFrame([], GOLD_USER_ITEM_SETTLED_SCHEMA), daily).transform(
        accumulate_interactions, as_of=settled_through, **decay
    )
    settled = settled.withColumn(C.SETTLED_THROUGH, F.lit(settled_through))
    later_days = daily.filter(F.col(C.EVENT_DATE) > F.lit(settled_through))
    incremental = interaction_parts(settled, later_days).transform(
        accumulate_interactions, as_of=days[-1], **decay
    )
    assert_approx_df_equality(
        incremental, state_as_of(spark, rows, days[-1]), 1e-12, ignore_row_order=True, ignore_nullable=True
    )


def test_the_matrix_join_keeps_one_row_per_pair_with_its_indexes(spark):
    t = utc(FORTNIGHT_BEFORE_END)
    state = expected_state(
        spark,
        [
            ("u1", "i1", 1, 0, 0, 0, 0, 0, t, t, 0.5, None),
            ("u2", "i1", 1, 0, 0, 0, 0, 0, t, t, 0.5, None),
            ("u2", "i2", 0, 1, 0, 0, 0, 0, t, t, 1.0, None),
        ],
    )
    users = spark.createDataFrame([("u1", 7, AS_OF), ("u2", 3, AS_OF)], GOLD_USER_INDEX_SCHEMA)
    items = spark.createDataFrame([("i1", 0), ("i2", 1), ("i3", 2)], f"{C.ITEM_ID} string, {C.ITEM_IDX} int")
    matrix = interaction_matrix(state, users, items, AS_OF)
    assert sorted(
        (r[C.USER_ID], r[C.ITEM_ID], r[C.USER_IDX], r[C.ITEM_IDX], r[C.STRENGTH], r[C.AS_OF_DATE])
        for r in matrix.collect()
    ) == [("u1", "i1", 7, 0, 0.5, AS_OF), ("u2", "i1", 3, 0, 0.5, AS_OF), ("u2", "i2", 3, 1, 1.0, AS_OF)]


def test_weights_must_name_known_event_types_and_cover_every_counted_one():
    with pytest.raises(ValueError, match=r"interactions\.weights: unknown event type 'page_veiw'"):
        validated_weights({**WEIGHTS, "page_veiw": 1.0})
    without_reviews = {k: v for k, v in WEIGHTS.items() if k != V.REVIEW}
    with pytest.raises(ValueError, match=r"interactions\.weights: no weight for event type 'review'"):
        validated_weights(without_reviews)
    assert validated_weights(WEIGHTS) == WEIGHTS


def test_run_plan_recomputes_the_days_after_the_settled_state():
    run = dt.date(2026, 10, 10)
    day = dt.timedelta(days=1)
    # First run: nothing settled yet, so all history.
    assert plan_run(run, 2, None, None).window_start is None
    # The next day's run: the previous run settled through run - 3.
    daily = plan_run(run, 2, run - day, run - 4 * day)
    assert (daily.window_start, daily.settled_through) == (run - 3 * day, run - 3 * day)
    # Re-running the same date: exactly the look-back window, nothing more to settle.
    rerun = plan_run(run, 2, run, run - 3 * day)
    assert (rerun.window_start, rerun.settled_through) == (run - 2 * day, run - 3 * day)
    # The daily table's partitions a run rewrites: every window day, with or without events.
    assert rerun.window_days == [run - 2 * day, run - day, run]
    assert plan_run(run, 2, None, None).window_days == []
    # After a gap of a week the window covers every day since the settled date.
    assert plan_run(run, 2, run - 7 * day, run - 10 * day).window_start == run - 9 * day
    # A rebuild ignores what is settled; an incremental run cannot go back in time.
    assert plan_run(run, 2, run + day, run - 2 * day, rebuild=True).window_start is None
    with pytest.raises(ValueError, match="as of 2026-10-11, after the run date 2026-10-10.*--rebuild"):
        plan_run(run, 2, run + day, run - 2 * day)
