"""RFM: recency, frequency and monetary value over one window, 1-5 scores and the classic segments.

R is the days since the last order, F the orders placed and M the paid GMV (payments, refunds not deducted)
in the last `window_days` days, or in all history up to the snapshot when `window_days` is "all". R and,
for the feature windows (7, 30, 90 days), F and M are read from gold.user_features; any other window sums
F and M from gold.user_daily_activity (`with_window_totals`), the table those features are summed from, so
a window of 90 gives the same values either way. Only buyers, users with at least one order in the window,
are scored; the scores and segments are relative to the buyers of the same snapshot.

Scores are quintiles by rank, not `ntile`: a buyer's score is 1 + floor(5 × w / n), where n is the number of
buyers in the snapshot and w the number of them with a strictly worse value (a larger R, a smaller F or M).
Buyers with equal values therefore share a score, which `ntile(5)` would split across two or three scores
only by the tie-breaker (with most buyers at F = 1, some of them would get F score 2 or 3 for nothing).
Without ties it gives the same quintiles as `ntile(5)` when n is a multiple of 5. The price of ties: a value
many buyers share takes the score of the lowest position it covers, so a score may stay empty (if 60% of
the buyers have F = 1, F scores are 1, then 4 and 5).

Each of R, F and M is then high when its score is strictly above the snapshot buyers' mean (or median,
`rfm.split`) of that score, and the high/low triple picks one of the eight classic segments of RFM_SEGMENTS.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F
from pyspark.sql.window import WindowSpec

from transforms import columns as C
from transforms.features.windows import windowed
from transforms.vocabulary import RFM_ALL_HISTORY as ALL_HISTORY
from transforms.vocabulary import RFM_SPLITS as SPLITS

QUINTILES = 5
NO_PURCHASE = "no_purchase"
_BUYER = "_buyer"
_SPLIT = "_split_"


@dataclass(frozen=True)
class RfmSegment:
    """One RFM segment: its id (the tag value), Chinese and English names, and whether R, F and M are high
    (True), low (False) or not scored (None, users without an order in the window)."""

    id: str
    zh: str
    en: str
    r: bool | None
    f: bool | None
    m: bool | None


H, L = True, False
# The classic eight-segment table, plus the users the window has no order from. Ids match conf/tags.yaml.
RFM_SEGMENTS = (
    RfmSegment("champions", "重要价值客户", "Champions", H, H, H),
    RfmSegment("potential_loyalists", "重要发展客户", "Potential loyalists", H, L, H),
    RfmSegment("loyal_at_risk", "重要保持客户", "Loyal at risk", L, H, H),
    RfmSegment("cant_lose_them", "重要挽留客户", "Can't lose them", L, L, H),
    RfmSegment("loyal_low_spenders", "一般价值客户", "Loyal low spenders", H, H, L),
    RfmSegment("promising", "一般发展客户", "Promising", H, L, L),
    RfmSegment("need_attention", "一般保持客户", "Need attention", L, H, L),
    RfmSegment("lost", "一般挽留客户", "Lost", L, L, L),
    RfmSegment(NO_PURCHASE, "无购买", "No purchase in the window", None, None, None),
)


def check_window(window_days: Any) -> int | str:
    """`window_days` if it is a positive number of days or ALL_HISTORY.

    Raises:
        ValueError: Anything else, naming `rfm.window_days`.
    """
    days = isinstance(window_days, int) and not isinstance(window_days, bool)
    if (days and window_days > 0) or window_days == ALL_HISTORY:
        return window_days
    raise ValueError(
        f"rfm.window_days must be a positive number of days or {ALL_HISTORY!r}, got {window_days!r}"
    )


def window_columns(window_days: int | str) -> tuple[str, str]:
    """The columns F and M are read from: `orders_<n>d` and `paid_gmv_<n>d`, or `orders_all` and
    `paid_gmv_all` for all history."""
    if check_window(window_days) == ALL_HISTORY:
        return f"{C.ORDERS}_{ALL_HISTORY}", f"{C.PAID_GMV}_{ALL_HISTORY}"
    return windowed(C.ORDERS, window_days), windowed(C.PAID_GMV, window_days)


def with_window_totals(features: DataFrame, daily: DataFrame, window_days: int | str) -> DataFrame:
    """The features plus `window_columns(window_days)`: each user's orders and paid GMV summed from the
    daily activity over the window ending on the row's SNAPSHOT_DATE (0 without activity in it).

    Args:
        features: Rows with USER_ID and SNAPSHOT_DATE (gold.user_features, any number of snapshots).
        daily: gold.user_daily_activity (USER_ID, ACTIVITY_DATE, ORDERS, PAID_GMV).
        window_days: A positive number of days or ALL_HISTORY.

    Returns:
        The input's columns plus the two window columns, one row per input row.
    """
    orders, gmv = window_columns(window_days)
    day, snapshot = F.col(C.ACTIVITY_DATE), F.col(C.SNAPSHOT_DATE)
    inside = day <= snapshot
    if window_days != ALL_HISTORY:
        inside &= day > F.date_sub(snapshot, window_days)
    totals = (
        features.select(C.USER_ID, C.SNAPSHOT_DATE)
        .distinct()
        .join(daily.select(C.USER_ID, C.ACTIVITY_DATE, C.ORDERS, C.PAID_GMV), on=[C.USER_ID], how="inner")
        .where(inside)
        .groupBy(C.USER_ID, C.SNAPSHOT_DATE)
        .agg(F.sum(C.ORDERS).alias(orders), F.sum(C.PAID_GMV).alias(gmv))
    )
    # `totals` has one row per user and snapshot, so the left join keeps one row per feature row.
    return features.join(totals, on=[C.USER_ID, C.SNAPSHOT_DATE], how="left").select(
        *features.columns,
        F.coalesce(F.col(orders), F.lit(0)).cast("long").alias(orders),
        F.coalesce(F.col(gmv), F.lit(0.0)).cast("double").alias(gmv),
    )


def rfm_scores(features: DataFrame, window_days: int | str, split: str) -> DataFrame:
    """R, F and M, their 1-5 scores and the RFM segment of every user of every snapshot in `features`.

    Users without an order in the window keep their R, F (0) and M (payments in the window for older
    orders, else 0), get null scores and the segment NO_PURCHASE.

    Args:
        features: gold.user_features rows (USER_ID, DAYS_SINCE_LAST_ORDER, the two `window_columns`,
            SNAPSHOT_DATE); any number of snapshots, each scored on its own. Windows the features lack are
            added by `with_window_totals`.
        window_days: The window F and M cover (`rfm.window_days`): days, or ALL_HISTORY.
        split: "mean" or "median": the score above which R, F or M is high (`rfm.split`).

    Returns:
        USER_ID, RFM_RECENCY_DAYS (int, null if never ordered), RFM_FREQUENCY (long), RFM_MONETARY (double),
        R_SCORE, F_SCORE, M_SCORE (int 1-5; 5 = most recent, most orders, most GMV), RFM_SCORE (e.g. "545"),
        RFM_SEGMENT (an id of RFM_SEGMENTS), SNAPSHOT_DATE.

    Raises:
        ValueError: `window_days` is not a window, `features` lacks a column the window needs, or `split`
            is not one of SPLITS.
    """
    orders, gmv = window_columns(window_days)
    missing = [
        name
        for name in (C.USER_ID, C.DAYS_SINCE_LAST_ORDER, orders, gmv, C.SNAPSHOT_DATE)
        if name not in features.columns
    ]
    if missing:
        raise ValueError(f"rfm.window_days={window_days}: the features have no column {', '.join(missing)}")
    if split not in SPLITS:
        raise ValueError(f"rfm.split must be one of {', '.join(SPLITS)}, got {split!r}")

    buyer = F.col(orders) > 0
    last_order = F.col(C.DAYS_SINCE_LAST_ORDER)
    # Both come from the same daily activity, so a buyer always has a last order; if not, fail loudly
    # rather than rank a null.
    recency = F.when(
        buyer & last_order.isNull(),
        F.raise_error(
            F.concat(F.lit(f"user has {orders} > 0 but no {C.DAYS_SINCE_LAST_ORDER}: "), C.USER_ID)
        ),
    ).otherwise(last_order)
    values = features.select(
        C.USER_ID,
        recency.alias(C.RFM_RECENCY_DAYS),
        F.col(orders).alias(C.RFM_FREQUENCY),
        F.col(gmv).alias(C.RFM_MONETARY),
        C.SNAPSHOT_DATE,
        buyer.alias(_BUYER),
    )
    # Non-buyers get a partition of their own; their scores are computed there and dropped.
    cohort = Window.partitionBy(C.SNAPSHOT_DATE, _BUYER)
    is_buyer = F.col(_BUYER)
    scored = values.select(
        "*",
        F.when(is_buyer, _quintile(F.col(C.RFM_RECENCY_DAYS).desc(), cohort)).alias(C.R_SCORE),
        F.when(is_buyer, _quintile(F.col(C.RFM_FREQUENCY).asc(), cohort)).alias(C.F_SCORE),
        F.when(is_buyer, _quintile(F.col(C.RFM_MONETARY).asc(), cohort)).alias(C.M_SCORE),
    )
    scores = (C.R_SCORE, C.F_SCORE, C.M_SCORE)
    average = F.avg if split == "mean" else F.median
    with_splits = scored.select("*", *[average(score).over(cohort).alias(_SPLIT + score) for score in scores])
    high_r, high_f, high_m = (F.col(score) > F.col(_SPLIT + score) for score in scores)
    return with_splits.select(
        C.USER_ID,
        C.RFM_RECENCY_DAYS,
        C.RFM_FREQUENCY,
        C.RFM_MONETARY,
        *scores,
        F.concat(*[F.col(score).cast("string") for score in scores]).alias(C.RFM_SCORE),
        _segment(is_buyer, high_r, high_f, high_m).alias(C.RFM_SEGMENT),
        C.SNAPSHOT_DATE,
    )


def _quintile(worst_first: Column, cohort: WindowSpec) -> Column:
    """1 + floor(5 × share of the cohort with a strictly worse value): `rank` counts ties once, so equal
    values share a score."""
    worse = F.rank().over(cohort.orderBy(worst_first)) - 1
    return (1 + F.floor(QUINTILES * worse / F.count(F.lit(1)).over(cohort))).cast("int")


def _segment(is_buyer: Column, high_r: Column, high_f: Column, high_m: Column) -> Column:
    """The RFM_SEGMENTS id of a high/low triple; NO_PURCHASE for non-buyers."""
    segment = F.when(~is_buyer, F.lit(NO_PURCHASE))
    for entry in RFM_SEGMENTS:
        if entry.r is not None:
            match = (high_r == F.lit(entry.r)) & (high_f == F.lit(entry.f)) & (high_m == F.lit(entry.m))
            segment = segment.when(match, F.lit(entry.id))
    return segment
