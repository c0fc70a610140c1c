"""Orders and order lines: status from the payments seen so far, late payments, lines per item."""

from __future__ import annotations

import datetime as dt

from chispa import assert_df_equality
from pyspark.sql import functions as F

from tests.silver_builders import bronze_items, local, silver_event, silver_events
from transforms import columns as C
from transforms.order_items import build_order_items
from transforms.orders import build_orders, rewritten_orders, update_earlier_orders
from transforms.schemas import SILVER_ORDER_ITEMS_SCHEMA, SILVER_ORDERS_SCHEMA

D = dt.date(2026, 10, 5)
NEXT = D + dt.timedelta(days=1)
CATALOGUE = [
    ("i1", "electronics", "phones", "Apple"),
    ("i1", "electronics", "phones", "Apple"),
    ("i2", "home", "kitchen", "Midea"),
]


def order(
    event_id: str, user_id: str, order_id: str, at: dt.datetime, amount: float | None, **fields
) -> dict:
    return silver_event(event_id, user_id, "order", at, order_id=order_id, amount=amount, **fields)


def pay(event_id: str, user_id: str, order_id: str, at: dt.datetime, amount: float, method: str) -> dict:
    return silver_event(
        event_id, user_id, "pay", at, session="s-pay", order_id=order_id, amount=amount, payment_method=method
    )


def refund(event_id: str, user_id: str, order_id: str, at: dt.datetime, amount: float) -> dict:
    return silver_event(event_id, user_id, "refund", at, session="s-refund", order_id=order_id, amount=amount)


def order_row(
    order_id: str,
    user_id: str,
    at: dt.datetime,
    amount: float,
    status: str,
    session: str,
    *,
    discount: float | None = None,
    coupon: str | None = None,
    units: int = 1,
    paid: tuple[dt.datetime, float, str] | None = None,
    refunded: tuple[dt.datetime, float] | None = None,
) -> tuple:
    """A silver.orders row in SILVER_ORDERS_SCHEMA order; `paid` is (time, amount, method)."""
    paid_time, paid_amount, method = paid or (None, None, None)
    refund_time, refund_amount = refunded or (None, None)
    order_date = (at + dt.timedelta(hours=8)).date()
    return (
        order_id, user_id, at, order_date, amount, discount, coupon, units, status,
        paid_time, paid_amount, refund_time, refund_amount, method, session,
    )  # fmt: skip


def test_status_is_placed_paid_or_refunded_by_first_payment_and_refund(spark):
    rows = [
        order("a1", "u1", "o-placed", local(D, 10), 50.0, session="s-a", discount=5.0, coupon_id="SAVE10",
              items=[("i1", 1, 55.0)]),
        order("b1", "u2", "o-paid", local(D, 11), 20.0, session="s-b", items=[("i2", 2, 10.0)]),
        pay("b2", "u2", "o-paid", local(D, 11, 1), 20.0, "card"),
        # A second pay (a retry) does not replace the first.
        pay("b3", "u2", "o-paid", local(D, 11, 2), 20.0, "alipay"),
        order("c1", "u3", "o-refunded", local(D, 12), 30.0, session="s-c", items=[("i2", 3, 10.0)]),
        pay("c2", "u3", "o-refunded", local(D, 12, 1), 30.0, "credit"),
        refund("c3", "u3", "o-refunded", local(D, 20), 30.0),
    ]  # fmt: skip
    actual = build_orders(silver_events(spark, rows))
    expected = spark.createDataFrame(
        [
            order_row(
                "o-placed", "u1", local(D, 10), 50.0, "placed", "s-a",
                discount=5.0, coupon="SAVE10",
            ),
            order_row(
                "o-paid", "u2", local(D, 11), 20.0, "paid", "s-b", units=2,
                paid=(local(D, 11, 1), 20.0, "card"),
            ),
            order_row(
                "o-refunded", "u3", local(D, 12), 30.0, "refunded", "s-c", units=3,
                paid=(local(D, 12, 1), 30.0, "credit"), refunded=(local(D, 20), 30.0),
            ),
        ],
        SILVER_ORDERS_SCHEMA,
    )  # fmt: skip
    assert_df_equality(actual, expected, ignore_row_order=True, ignore_nullable=True)


def test_pay_arriving_a_day_later_turns_the_order_paid_on_the_next_run(spark):
    rows = [
        order("a1", "u1", "o1", local(D, 23, 0), 99.0, items=[("i1", 1, 99.0)]),
        pay("a2", "u1", "o1", local(NEXT, 8, 0), 99.0, "card"),
    ]
    events = silver_events(spark, rows)
    status = [C.ORDER_ID, C.ORDER_DATE, C.STATUS, C.PAID_TIME]
    # Each run sees the events up to its run date; the next run recomputes the order's day.
    run_d = build_orders(events.where(F.col(C.EVENT_DATE) <= D)).select(*status)
    run_next = build_orders(events.where(F.col(C.EVENT_DATE) <= NEXT)).select(*status)
    assert run_d.collect() == [("o1", D, "placed", None)]
    assert run_next.collect() == [("o1", D, "paid", local(NEXT, 8, 0).astimezone().replace(tzinfo=None))]


def test_payments_and_refunds_of_earlier_orders_fold_into_their_rows_idempotently(spark):
    old_payment = (local(D, 9, 5), 40.0, "card")
    earlier = spark.createDataFrame(
        [
            order_row("o-old", "u1", local(D, 9), 40.0, "paid", "s1", paid=old_payment),
            order_row("o-untouched", "u2", local(D, 9), 10.0, "placed", "s2"),
        ],
        SILVER_ORDERS_SCHEMA,
    )
    later = silver_events(
        spark,
        [
            # A pay event resent later does not move the payment already recorded.
            pay("p9", "u1", "o-old", local(NEXT, 9), 40.0, "alipay"),
            refund("r1", "u1", "o-old", local(NEXT, 10), 40.0),
        ],
    )
    once = update_earlier_orders(earlier, later)
    expected = spark.createDataFrame(
        [
            order_row(
                "o-old",
                "u1",
                local(D, 9),
                40.0,
                "refunded",
                "s1",
                paid=old_payment,
                refunded=(local(NEXT, 10), 40.0),
            )
        ],
        SILVER_ORDERS_SCHEMA,
    )
    assert_df_equality(once, expected, ignore_nullable=True)
    # The next run reads the updated row back and sees the same refund again (the windows overlap):
    # nothing changes.
    stored = spark.createDataFrame(once.collect(), SILVER_ORDERS_SCHEMA)
    assert_df_equality(update_earlier_orders(stored, later), expected, ignore_nullable=True)


def test_a_run_rewrites_the_window_the_updated_orders_and_the_rest_of_their_days(spark):
    earlier_day, other_day = D - dt.timedelta(days=3), D - dt.timedelta(days=4)
    refunded = order_row(
        "o-late", "u1", local(earlier_day, 9), 40.0, "refunded", "s1", refunded=(local(D, 8), 40.0)
    )
    earlier = spark.createDataFrame(
        [
            order_row("o-late", "u1", local(earlier_day, 9), 40.0, "paid", "s1"),
            order_row("o-same-day", "u2", local(earlier_day, 10), 10.0, "placed", "s2"),
            # A day no update touches is not rewritten, so none of its orders is in the result.
            order_row("o-other-day", "u3", local(other_day, 10), 15.0, "placed", "s3"),
        ],
        SILVER_ORDERS_SCHEMA,
    )
    window = spark.createDataFrame(
        [order_row("o-new", "u4", local(D, 11), 20.0, "placed", "s4")], SILVER_ORDERS_SCHEMA
    )
    updates = spark.createDataFrame([refunded], SILVER_ORDERS_SCHEMA)

    actual = rewritten_orders(window, earlier, updates, [earlier_day])

    expected = spark.createDataFrame(
        [
            order_row("o-new", "u4", local(D, 11), 20.0, "placed", "s4"),
            order_row("o-same-day", "u2", local(earlier_day, 10), 10.0, "placed", "s2"),
            refunded,
        ],
        SILVER_ORDERS_SCHEMA,
    )
    assert_df_equality(actual, expected, ignore_row_order=True, ignore_nullable=True)


def test_order_items_sum_lines_per_item_and_join_the_catalogue_without_multiplying(spark):
    rows = [
        order("a1", "u1", "o1", local(D, 10), 55.0, items=[("i1", 1, 25.0), ("i2", 2, 10.0), ("i1", 1, 5.0)]),
        # order_lines_csv: one order event per line, each with its one line and the line's amount.
        order("b1", "u2", "o2", local(D, 11), 18.0, items=[("i2", 3, 6.0)]),
        order("b2", "u2", "o2", local(D, 11), 7.5, items=[("unknown", 1, 7.5)]),
        # An order event without an items array is its own single line.
        order("c1", "u3", "o3", local(D, 12), 40.0, item_id="i1", quantity=2),
        order("d1", "u4", "o4", local(D, 13), None),
    ]
    events = silver_events(spark, rows)
    orders = build_orders(events)
    actual = build_order_items(events, orders, bronze_items(spark, CATALOGUE))
    expected = spark.createDataFrame(
        [
            ("o1", "u1", "i1", 2, 15.0, 30.0, D, "electronics", "Apple"),
            ("o1", "u1", "i2", 2, 10.0, 20.0, D, "home", "Midea"),
            ("o2", "u2", "i2", 3, 6.0, 18.0, D, "home", "Midea"),
            ("o2", "u2", "unknown", 1, 7.5, 7.5, D, None, None),
            ("o3", "u3", "i1", 2, 20.0, 40.0, D, "electronics", "Apple"),
        ],
        SILVER_ORDER_ITEMS_SCHEMA,
    )
    assert_df_equality(actual, expected, ignore_row_order=True, ignore_nullable=True)
    # A line-based order's header adds its lines up; an order without lines has no item count.
    headers = orders.where(F.col(C.ORDER_ID).isin("o2", "o4")).select(C.ORDER_ID, C.AMOUNT, C.ITEM_COUNT)
    assert sorted(headers.collect()) == [("o2", 25.5, 4), ("o4", None, None)]


def test_order_rows_an_export_declares_paid_refunded_or_cancelled_set_the_payment(spark):
    # order_lines_csv: one order event per line, each stating what the order is; no pay or refund events.
    rows = [
        order("p1", "u1", "o-paid", local(D, 10), 12.0, items=[("i1", 1, 12.0)], order_status="paid"),
        order("p2", "u1", "o-paid", local(D, 10), 8.0, items=[("i2", 2, 4.0)], order_status="paid"),
        order("r1", "u2", "o-refunded", local(D, 11), 30.0, items=[("i1", 1, 30.0)], order_status="Refunded"),
        order("c1", "u3", "o-cancelled", local(D, 12), 5.0, items=[("i2", 1, 5.0)], order_status="cancelled"),
        order("x1", "u4", "o-placed", local(D, 13), 7.0, items=[("i2", 1, 7.0)], order_status="placed"),
    ]  # fmt: skip
    actual = build_orders(silver_events(spark, rows))
    expected = spark.createDataFrame(
        [
            order_row("o-paid", "u1", local(D, 10), 20.0, "paid", "s1", units=3, paid=(local(D, 10), 20.0, None)),
            order_row(
                "o-refunded", "u2", local(D, 11), 30.0, "refunded", "s1",
                paid=(local(D, 11), 30.0, None), refunded=(local(D, 11), 30.0),
            ),
            order_row("o-cancelled", "u3", local(D, 12), 5.0, "placed", "s1"),
            order_row("o-placed", "u4", local(D, 13), 7.0, "placed", "s1"),
        ],
        SILVER_ORDERS_SCHEMA,
    )  # fmt: skip
    assert_df_equality(actual, expected, ignore_row_order=True, ignore_nullable=True)


def test_a_declared_payment_folds_into_an_earlier_row_like_a_pay_event(spark):
    earlier = spark.createDataFrame(
        [order_row("o1", "u1", local(D, 9), 40.0, "placed", "s1")], SILVER_ORDERS_SCHEMA
    )
    # A late export line of the same order, now declared paid, pays the order placed before the window.
    later = silver_events(spark, [order("l1", "u1", "o1", local(NEXT, 9), 40.0, order_status="paid")])
    expected = spark.createDataFrame(
        [order_row("o1", "u1", local(D, 9), 40.0, "paid", "s1", paid=(local(NEXT, 9), 40.0, None))],
        SILVER_ORDERS_SCHEMA,
    )
    assert_df_equality(update_earlier_orders(earlier, later), expected, ignore_nullable=True)
