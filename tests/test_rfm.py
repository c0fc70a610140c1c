"""RFM on hand-computed examples: rank quintiles where equal values share a score, the classic segments
against the snapshot's mean or median score, and users without an order in the window."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from chispa import assert_df_equality

from transforms import columns as C
from transforms.schemas import GOLD_USER_FEATURES_SCHEMA
from transforms.tags.rfm import NO_PURCHASE, RFM_SEGMENTS, rfm_scores, with_window_totals

S = dt.date(2026, 10, 30)
S2 = dt.date(2026, 10, 31)
OUTPUT = (
    f"{C.USER_ID} string, {C.RFM_RECENCY_DAYS} int, {C.RFM_FREQUENCY} long, {C.RFM_MONETARY} double, "
    f"{C.R_SCORE} int, {C.F_SCORE} int, {C.M_SCORE} int, {C.RFM_SCORE} string, {C.RFM_SEGMENT} string, "
    f"{C.SNAPSHOT_DATE} date"
)


def features(spark, rows: list[dict]):
    """gold.user_features rows: the given columns, every other column null."""
    names = GOLD_USER_FEATURES_SCHEMA.fieldNames()
    unknown = {key for row in rows for key in row} - set(names)
    assert not unknown, f"not gold.user_features columns: {unknown}"
    return spark.createDataFrame(
        [tuple(row.get(n) for n in names) for row in rows], GOLD_USER_FEATURES_SCHEMA
    )


def buyer(user: str, recency: int | None, orders: int, gmv: float, snapshot: dt.date = S) -> dict:
    """A user with `orders` orders and `gmv` paid in the last 30 days; the 90-day window differs on purpose,
    so reading the wrong window changes every answer."""
    return {
        C.USER_ID: user,
        C.DAYS_SINCE_LAST_ORDER: recency,
        "orders_30d": orders,
        "paid_gmv_30d": gmv,
        "orders_90d": orders + 1,
        "paid_gmv_90d": gmv + 1000.0,
        C.SNAPSHOT_DATE: snapshot,
    }


def test_worked_example_scores_ties_alike_and_segments_against_the_mean(spark):
    # 10 buyers, so score = 1 + floor(5 * w / 10) = 1 + w // 2, w = buyers with a strictly worse value.
    # R (fewer days is better): u01 0d w=9 -> 5; u06 1d w=8 -> 5; u02, u03 3d w=6 -> 4 (tie); u09 8d w=5
    #   -> 3; u07 12d w=4 -> 3; u10 15d w=3 -> 2; u04 20d w=2 -> 2; u05 25d w=1 -> 1; u08 28d w=0 -> 1.
    #   Mean 30 / 10 = 3.0.
    # F: the five buyers with 1 order all have w=0 -> 1 (ntile would spread them over 1, 1, 2, 2, 3);
    #   u07 2 w=5 -> 3; u09 3 w=6 -> 4; u03 4 w=7 -> 4; u04 5 w=8 -> 5; u01 6 w=9 -> 5. Mean 26 / 10 = 2.6.
    # M: 20 (u10) 1, 30 (u08) 1, 40 (u07) 2, 50 (u06) 2, 100 (u09) 3, 300 (u03) 3, 600 (u05) 4, 700 (u04) 4,
    #   800 (u02) 5, 900 (u01) 5. Mean 30 / 10 = 3.0.
    # High means strictly above the mean: R >= 4, F >= 3, M >= 4 (a score of 3 equal to the mean is low).
    source = features(
        spark,
        [
            buyer("u01", 0, 6, 900.0),
            buyer("u02", 3, 1, 800.0),
            buyer("u03", 3, 4, 300.0),
            buyer("u04", 20, 5, 700.0),
            buyer("u05", 25, 1, 600.0),
            buyer("u06", 1, 1, 50.0),
            buyer("u07", 12, 2, 40.0),
            buyer("u08", 28, 1, 30.0),
            buyer("u09", 8, 3, 100.0),
            buyer("u10", 15, 1, 20.0),
            # No order in the window: an older order, no order ever, a payment in the window for an older order.
            buyer("u11", 45, 0, 0.0),
            buyer("u12", None, 0, 0.0),
            buyer("u13", 40, 0, 120.0),
        ],
    )
    actual = rfm_scores(source, window_days=30, split="mean")
    expected = spark.createDataFrame(
        [
            ("u01", 0, 6, 900.0, 5, 5, 5, "555", "champions", S),  # H H H
            ("u02", 3, 1, 800.0, 4, 1, 5, "415", "potential_loyalists", S),  # H L H
            ("u03", 3, 4, 300.0, 4, 4, 3, "443", "loyal_low_spenders", S),  # H H L
            ("u04", 20, 5, 700.0, 2, 5, 4, "254", "loyal_at_risk", S),  # L H H
            ("u05", 25, 1, 600.0, 1, 1, 4, "114", "cant_lose_them", S),  # L L H
            ("u06", 1, 1, 50.0, 5, 1, 2, "512", "promising", S),  # H L L
            ("u07", 12, 2, 40.0, 3, 3, 2, "332", "need_attention", S),  # L H L
            ("u08", 28, 1, 30.0, 1, 1, 1, "111", "lost", S),  # L L L
            ("u09", 8, 3, 100.0, 3, 4, 3, "343", "need_attention", S),  # L H L
            ("u10", 15, 1, 20.0, 2, 1, 1, "211", "lost", S),  # L L L
            ("u11", 45, 0, 0.0, None, None, None, None, NO_PURCHASE, S),
            ("u12", None, 0, 0.0, None, None, None, None, NO_PURCHASE, S),
            ("u13", 40, 0, 120.0, None, None, None, None, NO_PURCHASE, S),
        ],
        OUTPUT,
    )
    assert_df_equality(actual, expected, ignore_row_order=True, ignore_nullable=True)


def test_median_split_and_each_snapshot_scored_on_its_own(spark):
    # Snapshot S: five buyers, R and F all tied (scores 1, mean = median = 1, so both low); M 10, 20, 30,
    # 30, 30 -> w = 0, 1, 2, 2, 2 -> scores 1, 2, 3, 3, 3 (n = 5: score = 1 + w). Mean 12 / 5 = 2.4, so the
    # three 3s are high M (cant_lose_them); the median is 3, and 3 is not above it (lost).
    # Snapshot S2 holds one big buyer; scored with S, it would change every M score of S.
    rows = [buyer(f"v{i}", 2, 1, gmv) for i, gmv in enumerate([10.0, 20.0, 30.0, 30.0, 30.0], start=1)]
    source = features(spark, [*rows, buyer("v1", 0, 9, 5000.0, snapshot=S2)])
    columns = [C.USER_ID, C.SNAPSHOT_DATE, C.M_SCORE, C.RFM_SEGMENT]
    schema = f"{C.USER_ID} string, {C.SNAPSHOT_DATE} date, {C.M_SCORE} int, {C.RFM_SEGMENT} string"
    m_scores = {"v1": 1, "v2": 2, "v3": 3, "v4": 3, "v5": 3}

    def expected(high_m_segment: str):
        return spark.createDataFrame(
            [(u, S, m, high_m_segment if m == 3 else "lost") for u, m in m_scores.items()]
            + [("v1", S2, 1, "lost")],
            schema,
        )

    for split, high_m_segment in (("mean", "cant_lose_them"), ("median", "lost")):
        actual = rfm_scores(source, window_days=30, split=split).select(*columns)
        assert_df_equality(actual, expected(high_m_segment), ignore_row_order=True, ignore_nullable=True)


def test_segment_table_has_every_high_low_triple_once_and_names_in_both_languages():
    scored = [(s.r, s.f, s.m) for s in RFM_SEGMENTS if s.id != NO_PURCHASE]
    assert sorted(scored) == sorted(itertools.product([True, False], repeat=3))
    assert len({s.id for s in RFM_SEGMENTS}) == len(RFM_SEGMENTS) == 9
    assert all(s.zh and s.en for s in RFM_SEGMENTS)
    by_id = {s.id: s for s in RFM_SEGMENTS}
    assert by_id["champions"].zh == "重要价值客户" and by_id["lost"].zh == "一般挽留客户"
    assert (by_id[NO_PURCHASE].r, by_id[NO_PURCHASE].zh) == (None, "无购买")


def test_window_without_feature_columns_or_unknown_split_is_rejected(spark):
    empty = features(spark, [])
    with pytest.raises(ValueError, match=r"rfm.window_days=14: the features have no column orders_14d"):
        rfm_scores(empty, window_days=14, split="mean")
    with pytest.raises(ValueError, match=r"rfm.split must be one of mean, median, got 'mode'"):
        rfm_scores(empty, window_days=30, split="mode")


def test_buyer_without_a_last_order_fails_instead_of_ranking_a_null(spark):
    source = features(spark, [buyer("broken", None, 2, 50.0)])
    with pytest.raises(Exception, match=r"no days_since_last_order: broken"):
        rfm_scores(source, window_days=30, split="mean").collect()


def test_a_year_or_all_history_sums_the_daily_activity_before_the_snapshot(spark):
    daily = spark.createDataFrame(
        [
            # Day offsets before S: 0 is the snapshot day, 364 the first day of a 365-day window.
            ("old", S - dt.timedelta(days=200), 1, 80.0),
            ("old", S - dt.timedelta(days=364), 1, 20.0),
            ("ancient", S - dt.timedelta(days=365), 2, 500.0),
            ("recent", S, 1, 10.0),
            # After the snapshot: in no window of it.
            ("recent", S + dt.timedelta(days=1), 4, 999.0),
        ],
        f"{C.USER_ID} string, {C.ACTIVITY_DATE} date, {C.ORDERS} long, {C.PAID_GMV} double",
    )
    source = features(
        spark,
        [
            {C.USER_ID: "old", C.DAYS_SINCE_LAST_ORDER: 200, C.SNAPSHOT_DATE: S},
            {C.USER_ID: "ancient", C.DAYS_SINCE_LAST_ORDER: 365, C.SNAPSHOT_DATE: S},
            {C.USER_ID: "recent", C.DAYS_SINCE_LAST_ORDER: 0, C.SNAPSHOT_DATE: S},
            {C.USER_ID: "never", C.DAYS_SINCE_LAST_ORDER: None, C.SNAPSHOT_DATE: S},
        ],
    )
    columns = [C.USER_ID, C.RFM_FREQUENCY, C.RFM_MONETARY, C.RFM_SEGMENT]

    def scored(window):
        totals = with_window_totals(source, daily, window)
        assert totals.count() == 4
        return sorted(tuple(row) for row in rfm_scores(totals, window, "mean").select(*columns).collect())

    # R: recent 5, old 3 (w=1 of 2 -> 1 + floor(5/2)); F: old 2 vs recent 1; M: old 100 vs recent 10.
    assert scored(365) == [
        ("ancient", 0, 0.0, NO_PURCHASE),
        ("never", 0, 0.0, NO_PURCHASE),
        ("old", 2, 100.0, "loyal_at_risk"),
        ("recent", 1, 10.0, "promising"),
    ]
    assert [row[:3] for row in scored("all")] == [
        ("ancient", 2, 500.0),
        ("never", 0, 0.0),
        ("old", 2, 100.0),
        ("recent", 1, 10.0),
    ]


@pytest.mark.parametrize("window", [0, -30, "year", True, 1.5])
def test_a_window_that_is_not_days_or_all_is_rejected_naming_the_setting(spark, window):
    with pytest.raises(ValueError, match=r"rfm.window_days must be a positive number of days or 'all'"):
        rfm_scores(features(spark, []), window_days=window, split="mean")
