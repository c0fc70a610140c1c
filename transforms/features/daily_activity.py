"""Per-user daily activity: the small table every windowed user feature is aggregated from.

One row per (user, shop-local day) with any event or session. Each day's row depends only on that day's
silver rows, so a daily run rewrites the look-back window and older days never change; the features of
any snapshot date then read days, not events.
"""

from __future__ import annotations

import datetime as dt

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from transforms import columns as C
from transforms import vocabulary as V
from transforms.orders import declared_paid, declared_refunded, order_key

HOURS = 24
UNKNOWN = "unknown"

COUNT_COLUMNS = (
    C.EVENTS,
    C.PAGE_VIEWS,
    C.SEARCHES,
    C.CART_ADDS,
    C.FAVORITES,
    C.ORDERS,
    C.DISCOUNTED_ORDERS,
    C.COUPON_ORDERS,
    C.PAYMENTS,
    C.REFUNDS,
    C.REVIEWS,
    C.SESSIONS,
    C.VISITS,
    C.ABANDONED_CARTS,
)
AMOUNT_COLUMNS = (C.ORDER_AMOUNT, C.PAID_GMV, C.REFUND_AMOUNT, C.ORDER_LEAD_MINUTES)

_PAY_EVENTS = "_pay_events"
_REFUND_EVENTS = "_refund_events"
_DECLARED_PAYMENTS = "_declared_payments"
_DECLARED_REFUNDS = "_declared_refunds"
_DISCOUNTED = "_discounted"
_COUPON = "_coupon"
_DECLARED_PAID = "_declared_paid"
_DECLARED_REFUNDED = "_declared_refunded"


def activity_dates(first_date: dt.date, run_date: dt.date, lookback_days: int) -> list[dt.date]:
    """The days of daily activity a run rewrites: `lookback_days` before `first_date` through `run_date`, so
    late events of the look-back window reach their day's row."""
    start = first_date - dt.timedelta(days=lookback_days)
    return [start + dt.timedelta(days=n) for n in range((run_date - start).days + 1)]


def user_daily_activity(events: DataFrame, sessions: DataFrame) -> DataFrame:
    """Aggregate silver events and sessions per user and day.

    Orders, discounts and coupons count on the day the order was placed, once per order however many
    `order` rows (lines of an export) it has; payments (PAID_GMV) and refunds on the day they happened, so
    a late payment changes its own day, never an older one. An order export's rows declared paid or
    refunded (ORDER_STATUS, see transforms/orders.py) are a payment, and refunded ones a refund, on their
    own day: once per order in the counts, their amounts summed in PAID_GMV and REFUND_AMOUNT. Sessions count on the
    day they started; a visit is a session with a page view; an abandoned cart is a session that added to
    the cart and did not order. ORDER_LEAD_MINUTES sums, over the day's orders, the minutes from the start
    of the order's session to the order.

    Args:
        events: silver.events rows (USER_ID, SESSION_ID, EVENT_TYPE, EVENT_TIME, EVENT_TIME_LOCAL,
            CATEGORY_L1, AMOUNT, DISCOUNT, COUPON_ID, EVENT_DATE).
        sessions: silver.sessions rows (USER_ID, SESSION_ID, SESSION_START, PAGE_VIEWS, CART_ADDS, ORDERS,
            DEVICE, CHANNEL, EVENT_DATE).

    Returns:
        USER_ID, ACTIVITY_DATE, the COUNT_COLUMNS (0 when none), the AMOUNT_COLUMNS (0.0 when none),
        CATEGORIES (sorted distinct first-level categories of the day's items), EVENTS_BY_HOUR (24 counts by
        local hour), SESSIONS_BY_DEVICE and SESSIONS_BY_CHANNEL (maps to session counts).
    """
    keys = [C.USER_ID, C.ACTIVITY_DATE]

    def total(*names: str) -> Column:
        return sum((F.coalesce(F.col(name), F.lit(0)) for name in names), F.lit(0))

    # Every order's user-day has events, so the left join loses no order; one row per user-day each side.
    events_and_orders = _event_counts(events).join(_order_counts(events), on=keys, how="left")
    with_payments = events_and_orders.select(
        "*",
        total(_PAY_EVENTS, _DECLARED_PAYMENTS).alias(C.PAYMENTS),
        total(_REFUND_EVENTS, _DECLARED_REFUNDS).alias(C.REFUNDS),
    )
    day = (
        with_payments.join(_session_counts(sessions), on=keys, how="full")
        .join(_sessions_by(sessions, C.DEVICE, C.SESSIONS_BY_DEVICE), on=keys, how="left")
        .join(_sessions_by(sessions, C.CHANNEL, C.SESSIONS_BY_CHANNEL), on=keys, how="left")
        .join(_order_lead_minutes(events, sessions), on=keys, how="left")
    )
    no_map = F.create_map().cast("map<string,bigint>")
    return day.select(
        C.USER_ID,
        C.ACTIVITY_DATE,
        *[F.coalesce(F.col(name), F.lit(0)).cast("long").alias(name) for name in COUNT_COLUMNS],
        *[F.coalesce(F.col(name), F.lit(0.0)).cast("double").alias(name) for name in AMOUNT_COLUMNS],
        F.coalesce(F.col(C.CATEGORIES), F.array().cast("array<string>")).alias(C.CATEGORIES),
        F.coalesce(F.col(C.EVENTS_BY_HOUR), F.array_repeat(F.lit(0).cast("long"), HOURS)).alias(
            C.EVENTS_BY_HOUR
        ),
        F.coalesce(F.col(C.SESSIONS_BY_DEVICE), no_map).alias(C.SESSIONS_BY_DEVICE),
        F.coalesce(F.col(C.SESSIONS_BY_CHANNEL), no_map).alias(C.SESSIONS_BY_CHANNEL),
    )


def _event_counts(events: DataFrame) -> DataFrame:
    event_type = F.col(C.EVENT_TYPE)
    is_paid = (event_type == V.PAY) | declared_paid()
    is_refund = (event_type == V.REFUND) | declared_refunded()

    def count_of(event_type_value: str) -> Column:
        return F.count(F.when(event_type == event_type_value, True))

    def amount_where(condition: Column) -> Column:
        return F.sum(F.when(condition, F.col(C.AMOUNT)))

    hour = F.hour(C.EVENT_TIME_LOCAL)
    return events.groupBy(C.USER_ID, F.col(C.EVENT_DATE).alias(C.ACTIVITY_DATE)).agg(
        F.count(F.lit(1)).alias(C.EVENTS),
        count_of(V.PAGE_VIEW).alias(C.PAGE_VIEWS),
        count_of(V.SEARCH).alias(C.SEARCHES),
        count_of(V.ADD_TO_CART).alias(C.CART_ADDS),
        count_of(V.FAVORITE).alias(C.FAVORITES),
        count_of(V.PAY).alias(_PAY_EVENTS),
        count_of(V.REFUND).alias(_REFUND_EVENTS),
        count_of(V.REVIEW).alias(C.REVIEWS),
        amount_where(event_type == V.ORDER).alias(C.ORDER_AMOUNT),
        amount_where(is_paid).alias(C.PAID_GMV),
        amount_where(is_refund).alias(C.REFUND_AMOUNT),
        F.array_sort(F.collect_set(C.CATEGORY_L1)).alias(C.CATEGORIES),
        F.array(*[F.count(F.when(hour == h, True)) for h in range(HOURS)]).alias(C.EVENTS_BY_HOUR),
    )


def _order_counts(events: DataFrame) -> DataFrame:
    """Orders per user and day, each counted once however many `order` rows (export lines) it has; the
    payments and refunds an export's rows declare, once per order."""
    day = [C.USER_ID, F.col(C.EVENT_DATE).alias(C.ACTIVITY_DATE)]
    per_order = (
        events.where(F.col(C.EVENT_TYPE) == V.ORDER)
        .groupBy(*day, order_key().alias(C.ORDER_ID))
        .agg(
            F.max(F.coalesce(F.col(C.DISCOUNT) > 0, F.lit(False))).alias(_DISCOUNTED),
            F.max(F.col(C.COUPON_ID).isNotNull()).alias(_COUPON),
            F.max(F.coalesce(declared_paid(), F.lit(False))).alias(_DECLARED_PAID),
            F.max(F.coalesce(declared_refunded(), F.lit(False))).alias(_DECLARED_REFUNDED),
        )
    )
    return per_order.groupBy(C.USER_ID, C.ACTIVITY_DATE).agg(
        F.count(F.lit(1)).alias(C.ORDERS),
        F.count(F.when(F.col(_DISCOUNTED), True)).alias(C.DISCOUNTED_ORDERS),
        F.count(F.when(F.col(_COUPON), True)).alias(C.COUPON_ORDERS),
        F.count(F.when(F.col(_DECLARED_PAID), True)).alias(_DECLARED_PAYMENTS),
        F.count(F.when(F.col(_DECLARED_REFUNDED), True)).alias(_DECLARED_REFUNDS),
    )


def _session_counts(sessions: DataFrame) -> DataFrame:
    return sessions.groupBy(C.USER_ID, F.col(C.EVENT_DATE).alias(C.ACTIVITY_DATE)).agg(
        F.count(F.lit(1)).alias(C.SESSIONS),
        F.count(F.when(F.col(C.PAGE_VIEWS) > 0, True)).alias(C.VISITS),
        F.count(F.when((F.col(C.CART_ADDS) > 0) & (F.col(C.ORDERS) == 0), True)).alias(C.ABANDONED_CARTS),
    )


def _sessions_by(sessions: DataFrame, key: str, out: str) -> DataFrame:
    """A map from each value of `key` (null as "unknown") to the day's session count."""
    day = [C.USER_ID, F.col(C.EVENT_DATE).alias(C.ACTIVITY_DATE)]
    counted = sessions.groupBy(*day, F.coalesce(F.col(key), F.lit(UNKNOWN)).alias(key)).agg(
        F.count(F.lit(1)).alias(C.SESSIONS)
    )
    return counted.groupBy(C.USER_ID, C.ACTIVITY_DATE).agg(
        F.map_from_entries(F.array_sort(F.collect_list(F.struct(key, C.SESSIONS)))).alias(out)
    )


def _order_lead_minutes(events: DataFrame, sessions: DataFrame) -> DataFrame:
    # One row per order: the lines of an export's order share its time and must not multiply its lead.
    orders = (
        events.where(F.col(C.EVENT_TYPE) == V.ORDER)
        .groupBy(
            C.USER_ID, C.SESSION_ID, order_key().alias(C.ORDER_ID), F.col(C.EVENT_DATE).alias(C.ACTIVITY_DATE)
        )
        .agg(F.min(C.EVENT_TIME).alias(C.EVENT_TIME))
    )
    starts = sessions.select(C.SESSION_ID, C.SESSION_START)
    lead = (F.unix_micros(F.col(C.EVENT_TIME)) - F.unix_micros(F.col(C.SESSION_START))) / F.lit(60_000_000.0)
    return (
        orders.join(starts, on=[C.SESSION_ID], how="inner")
        .groupBy(C.USER_ID, C.ACTIVITY_DATE)
        .agg(F.sum(F.greatest(lead, F.lit(0.0))).alias(C.ORDER_LEAD_MINUTES))
    )
