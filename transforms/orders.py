"""Orders from `order`, `pay` and `refund` events, with a status that follows the payments seen so far.

An order is placed by its `order` event(s); its first `pay` event makes it paid and its first `refund`
event refunded. Payments and refunds often arrive days later, so the daily job recomputes the look-back
window and, for orders placed before it, folds the new events into the row it already has
(`update_earlier_orders`): taking the first event of each kind makes that fold idempotent.

Order exports have no `pay` events: each `order` row states what it is in ORDER_STATUS (the collector leaves
it null). An order whose rows say `paid` is paid at its first such row's time, for the sum of those rows'
amounts; `refunded` rows make it paid and refunded at that time (an export says that it was refunded, not
when), for their amounts. `placed` and `cancelled` rows add no payment: a cancelled order stays `placed`
with no payment, exactly like a collector order that was never paid, so it adds no GMV and no co-purchase
edge but still counts as an order the user placed. Both kinds of evidence can meet in one order; the first
payment and first refund win as always.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from transforms import columns as C
from transforms import vocabulary as V
from transforms.vocabulary import STATUS_PAID, STATUS_PLACED, STATUS_REFUNDED

# The ORDER_STATUS values (compared trimmed and lower-cased) that make an export's `order` row a payment;
# `placed` and `cancelled` do not.
DECLARED_PAID = "paid"
DECLARED_REFUNDED = "refunded"

_FIRST = "_first"
_PAY = "_first_pay"
_REFUND = "_first_refund"
_UNITS = "_units"
_PAID_AMOUNT = "_paid_amount"
_REFUNDED_AMOUNT = "_refunded_amount"

HEADER_COLUMNS = (
    C.ORDER_ID,
    C.USER_ID,
    C.ORDER_TIME,
    C.ORDER_DATE,
    C.AMOUNT,
    C.DISCOUNT,
    C.COUPON_ID,
    C.ITEM_COUNT,
    C.SESSION_ID,
)
FACT_COLUMNS = (C.ORDER_ID, C.EVENT_TYPE, C.EVENT_TIME, C.EVENT_ID, C.AMOUNT, C.PAYMENT_METHOD)


def order_key() -> Column:
    """The order an `order` event places: its ORDER_ID, or for formats that log purchases without order
    ids (Taobao `buy` rows), the event itself, keyed by its EVENT_ID."""
    return F.coalesce(F.col(C.ORDER_ID), F.col(C.EVENT_ID))


def declared_status() -> Column:
    """The ORDER_STATUS an export gave an event, trimmed and lower-cased (null for collector events)."""
    return F.lower(F.trim(F.col(C.ORDER_STATUS)))


def declared_paid() -> Column:
    """An `order` row its export declares paid (or paid and later refunded)."""
    return (F.col(C.EVENT_TYPE) == F.lit(V.ORDER)) & declared_status().isin(DECLARED_PAID, DECLARED_REFUNDED)


def declared_refunded() -> Column:
    """An `order` row its export declares refunded."""
    return (F.col(C.EVENT_TYPE) == F.lit(V.ORDER)) & (declared_status() == F.lit(DECLARED_REFUNDED))


def order_headers(events: DataFrame) -> DataFrame:
    """One row per order from its `order` events (one per order, or one per line in line-based formats).

    Args:
        events: Sessionized silver events (SILVER_EVENTS_SCHEMA).

    Returns:
        HEADER_COLUMNS: time, date, user and session of the first order event; AMOUNT, DISCOUNT and
        ITEM_COUNT (units) summed over the order's events.
    """
    units = F.when(
        F.col(C.ITEMS).isNotNull(),
        F.aggregate(
            F.col(C.ITEMS), F.lit(0), lambda total, line: total + F.coalesce(line[C.QUANTITY], F.lit(0))
        ),
    ).otherwise(F.col(C.QUANTITY))
    first = F.struct(
        F.col(C.EVENT_TIME), F.col(C.EVENT_ID), F.col(C.USER_ID), F.col(C.SESSION_ID), F.col(C.EVENT_DATE)
    )
    return (
        events.where(F.col(C.EVENT_TYPE) == F.lit(V.ORDER))
        .select(
            order_key().alias(C.ORDER_ID),
            first.alias(_FIRST),
            C.AMOUNT,
            C.DISCOUNT,
            C.COUPON_ID,
            units.alias(_UNITS),
        )
        .groupBy(C.ORDER_ID)
        .agg(
            F.min(_FIRST).alias(_FIRST),
            F.round(F.sum(C.AMOUNT), 2).alias(C.AMOUNT),
            F.round(F.sum(C.DISCOUNT), 2).alias(C.DISCOUNT),
            # One coupon per order; min() only makes a conflicting resend resolve the same way every run.
            F.min(C.COUPON_ID).alias(C.COUPON_ID),
            F.sum(_UNITS).cast("int").alias(C.ITEM_COUNT),
        )
        .select(
            C.ORDER_ID,
            F.col(f"{_FIRST}.{C.USER_ID}").alias(C.USER_ID),
            F.col(f"{_FIRST}.{C.EVENT_TIME}").alias(C.ORDER_TIME),
            F.col(f"{_FIRST}.{C.EVENT_DATE}").alias(C.ORDER_DATE),
            C.AMOUNT,
            C.DISCOUNT,
            C.COUPON_ID,
            C.ITEM_COUNT,
            F.col(f"{_FIRST}.{C.SESSION_ID}").alias(C.SESSION_ID),
        )
    )


def payment_facts(events: DataFrame) -> DataFrame:
    """The `pay` and `refund` events that name an order, and the payments and refunds order rows declare.

    Returns:
        FACT_COLUMNS: the events as they are, plus per order with rows declared paid or refunded one `pay`
        fact (first such row's time and event id, the rows' summed amount and payment method) and, with
        rows declared refunded, one `refund` fact (first refunded row's time and id, their summed amount).
    """
    collected = events.where(
        F.col(C.EVENT_TYPE).isin(V.PAY, V.REFUND) & F.col(C.ORDER_ID).isNotNull()
    ).select(*FACT_COLUMNS)
    first = F.struct(F.col(C.EVENT_TIME), F.col(C.EVENT_ID))
    refunded = declared_refunded()
    declared = (
        events.where(declared_paid())
        .groupBy(order_key().alias(C.ORDER_ID))
        .agg(
            F.min(first).alias(_PAY),
            F.round(F.sum(C.AMOUNT), 2).alias(_PAID_AMOUNT),
            F.min(C.PAYMENT_METHOD).alias(C.PAYMENT_METHOD),
            F.min(F.when(refunded, first)).alias(_REFUND),
            F.round(F.sum(F.when(refunded, F.col(C.AMOUNT))), 2).alias(_REFUNDED_AMOUNT),
        )
    )
    pays = declared.select(
        C.ORDER_ID,
        F.lit(V.PAY).alias(C.EVENT_TYPE),
        F.col(f"{_PAY}.{C.EVENT_TIME}").alias(C.EVENT_TIME),
        F.col(f"{_PAY}.{C.EVENT_ID}").alias(C.EVENT_ID),
        F.col(_PAID_AMOUNT).alias(C.AMOUNT),
        C.PAYMENT_METHOD,
    )
    refunds = declared.where(F.col(_REFUND).isNotNull()).select(
        C.ORDER_ID,
        F.lit(V.REFUND).alias(C.EVENT_TYPE),
        F.col(f"{_REFUND}.{C.EVENT_TIME}").alias(C.EVENT_TIME),
        F.col(f"{_REFUND}.{C.EVENT_ID}").alias(C.EVENT_ID),
        F.col(_REFUNDED_AMOUNT).alias(C.AMOUNT),
        F.lit(None).cast("string").alias(C.PAYMENT_METHOD),
    )
    return collected.unionByName(pays).unionByName(refunds)


def with_payments(headers: DataFrame, facts: DataFrame) -> DataFrame:
    """Orders with the first payment and first refund among `facts`, and the status they give.

    Args:
        headers: HEADER_COLUMNS, one row per ORDER_ID.
        facts: FACT_COLUMNS; facts of other orders are ignored.

    Returns:
        SILVER_ORDERS_SCHEMA columns, one row per header.
    """

    def first_of(event_type: str) -> Column:
        # min() of a struct orders by time first, then event id: the earliest event of the kind.
        return F.min(
            F.when(
                F.col(C.EVENT_TYPE) == F.lit(event_type),
                F.struct(F.col(C.EVENT_TIME), F.col(C.EVENT_ID), F.col(C.AMOUNT), F.col(C.PAYMENT_METHOD)),
            )
        )

    payments = facts.groupBy(C.ORDER_ID).agg(first_of(V.PAY).alias(_PAY), first_of(V.REFUND).alias(_REFUND))
    paid_time = F.col(f"{_PAY}.{C.EVENT_TIME}")
    refund_time = F.col(f"{_REFUND}.{C.EVENT_TIME}")
    status = (
        F.when(refund_time.isNotNull(), F.lit(STATUS_REFUNDED))
        .when(paid_time.isNotNull(), F.lit(STATUS_PAID))
        .otherwise(F.lit(STATUS_PLACED))
    )
    # `payments` has one row per order id, so the left join keeps exactly one row per order.
    return headers.join(payments, on=[C.ORDER_ID], how="left").select(
        C.ORDER_ID,
        C.USER_ID,
        C.ORDER_TIME,
        C.ORDER_DATE,
        C.AMOUNT,
        C.DISCOUNT,
        C.COUPON_ID,
        C.ITEM_COUNT,
        status.alias(C.STATUS),
        paid_time.alias(C.PAID_TIME),
        F.col(f"{_PAY}.{C.AMOUNT}").alias(C.PAID_AMOUNT),
        refund_time.alias(C.REFUND_TIME),
        F.col(f"{_REFUND}.{C.AMOUNT}").alias(C.REFUND_AMOUNT),
        F.col(f"{_PAY}.{C.PAYMENT_METHOD}").alias(C.PAYMENT_METHOD),
        C.SESSION_ID,
    )


def build_orders(events: DataFrame) -> DataFrame:
    """silver.orders rows for every order placed in `events`, with the payments `events` hold.

    Args:
        events: Sessionized silver events up to the run date.

    Returns:
        SILVER_ORDERS_SCHEMA columns.
    """
    return with_payments(order_headers(events), payment_facts(events))


def _facts_of_rows(orders: DataFrame) -> DataFrame:
    """The payment and refund an existing silver.orders row records, as facts (no event id)."""
    no_id = F.lit(None).cast("string")
    pays = orders.where(F.col(C.PAID_TIME).isNotNull()).select(
        C.ORDER_ID,
        F.lit(V.PAY).alias(C.EVENT_TYPE),
        F.col(C.PAID_TIME).alias(C.EVENT_TIME),
        no_id.alias(C.EVENT_ID),
        F.col(C.PAID_AMOUNT).alias(C.AMOUNT),
        C.PAYMENT_METHOD,
    )
    refunds = orders.where(F.col(C.REFUND_TIME).isNotNull()).select(
        C.ORDER_ID,
        F.lit(V.REFUND).alias(C.EVENT_TYPE),
        F.col(C.REFUND_TIME).alias(C.EVENT_TIME),
        no_id.alias(C.EVENT_ID),
        F.col(C.REFUND_AMOUNT).alias(C.AMOUNT),
        F.lit(None).cast("string").alias(C.PAYMENT_METHOD),
    )
    return pays.unionByName(refunds)


def update_earlier_orders(orders: DataFrame, events: DataFrame) -> DataFrame:
    """Existing orders that `events` pay or refund, with those events folded in.

    Args:
        orders: silver.orders rows placed before the recomputed window.
        events: Sessionized silver events of the recomputed days.

    Returns:
        SILVER_ORDERS_SCHEMA columns for the orders `events` touch; folding the same events in twice
        gives the same rows.
    """
    facts = payment_facts(events)
    touched = orders.join(facts.select(C.ORDER_ID).distinct(), on=[C.ORDER_ID], how="left_semi")
    return with_payments(touched.select(*HEADER_COLUMNS), facts.unionByName(_facts_of_rows(touched)))


def rewritten_orders(
    window_orders: DataFrame, earlier: DataFrame, updates: DataFrame, earlier_days: Sequence[dt.date]
) -> DataFrame:
    """Every row of the days one run rewrites: the window's orders, the earlier orders `updates` changed,
    and the other orders of the days those were placed on, as they are.

    Args:
        window_orders: The orders placed in the recomputed window.
        earlier: silver.orders rows placed before the window.
        updates: `update_earlier_orders` of `earlier`: one row per order id.
        earlier_days: The order dates of `updates`.

    Returns:
        SILVER_ORDERS_SCHEMA columns, one row per order.
    """
    # `updates` has exactly the table's columns (SILVER_ORDERS_SCHEMA, which imports this module).
    columns = updates.columns
    kept = earlier.where(F.col(C.ORDER_DATE).isin(list(earlier_days))).join(
        updates.select(C.ORDER_ID), on=[C.ORDER_ID], how="left_anti"
    )
    return (
        window_orders.select(*columns)
        .unionByName(kept.select(*columns))
        .unionByName(updates.select(*columns))
    )
