"""Refunds and reviews: they happen in a LATER session of the same user, the first one starting at least
REVIEW_DELAY_MS after the order, appended after that session's own events (within POST_ORDER_WINDOW_MS).

Orders whose user never comes back that late get neither. Event numbers come from the order's own
session (positions from ids.POST_ORDER_FIRST_POS on), so they never clash with the host's events.
"""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from sample_shop import columns as TC
from sample_shop.generator import ids
from sample_shop.generator.events import event_record
from sample_shop.generator.funnel import POST_ORDER_WINDOW_MS, session_end_ms
from sample_shop.generator.personas import by_persona
from sample_shop.generator.random import choice, uniform
from transforms import columns as C
from transforms import vocabulary as V

REVIEW_DELAY_MS = 24 * 3_600_000
_HOST_FIELDS = (TC.SESSION_START_MS, TC.HOST_END_MS, C.SESSION_ID, C.DEVICE, C.CHANNEL)


def with_host_session(orders: DataFrame, plans: DataFrame) -> DataFrame:
    """Paid orders with HOST: the user's first session starting REVIEW_DELAY_MS or more after the order.

    Returns:
        SESSION_NO, ORDER_ID, USER_ID, PERSONA, ITEMS, AMOUNT, HOST (struct of SESSION_START_MS,
        HOST_END_MS, SESSION_ID, DEVICE, CHANNEL); orders without such a session are dropped.
    """
    order_columns = (
        TC.SESSION_NO,
        C.ORDER_ID,
        C.USER_IDX,
        C.USER_ID,
        TC.PERSONA,
        C.ITEMS,
        C.AMOUNT,
        TC.ORDER_TIME_MS,
    )
    host = F.struct(
        F.col(TC.SESSION_START_MS),
        session_end_ms().alias(TC.HOST_END_MS),
        F.col(C.SESSION_ID),
        F.col(C.DEVICE),
        F.col(C.CHANNEL),
    )
    hosts = plans.select(C.USER_IDX, host.alias(TC.HOST))
    # Joins each order to all sessions of its user, then keeps the earliest late-enough one: min() of a
    # struct orders by its first field, the start time.
    return (
        orders.where(F.col(TC.PAID))
        .select(*order_columns)
        .join(hosts, on=[C.USER_IDX], how="inner")
        .where(F.col(f"{TC.HOST}.{TC.SESSION_START_MS}") >= F.col(TC.ORDER_TIME_MS) + F.lit(REVIEW_DELAY_MS))
        .groupBy(*order_columns)
        .agg(F.min(TC.HOST).alias(TC.HOST))
        .select(TC.SESSION_NO, C.ORDER_ID, C.USER_ID, TC.PERSONA, C.ITEMS, C.AMOUNT, TC.HOST)
    )


def post_order_events(orders: DataFrame, plans: DataFrame, seed: int) -> DataFrame:
    """`refund` events (whole amount, with the persona's refund probability) and `review` events (each
    ordered item with the persona's review probability; refunded orders rate low).

    Both kinds come from one pass over the hosted orders: line position -1 stands for the refund, 0.. for
    the review of each ordered item, and the event's position in the order's numbering is
    POST_ORDER_FIRST_POS + 1 + line position.

    Args:
        orders: From `orders.orders_from_lines`.
        plans: All planned sessions (the candidates to host the events).
        seed: Generator seed.

    Returns:
        EVENT_COLUMNS.
    """
    line = F.col(TC.LINE_POS)
    is_refund = line == F.lit(-1)
    refunded = F.col(TC.REFUNDED)
    reviewed = uniform(seed, "review", TC.SESSION_NO, TC.LINE_POS) < by_persona(lambda p: p.review_prob)
    rating_draw = uniform(seed, "rating", TC.SESSION_NO, TC.LINE_POS)
    rating = F.when(refunded, choice(rating_draw, [1, 2, 3], [50, 30, 20])).otherwise(
        choice(rating_draw, [5, 4, 3, 2, 1], [55, 25, 10, 5, 5])
    )
    number = ids.event_no(F.col(TC.SESSION_NO), F.lit(ids.POST_ORDER_FIRST_POS + 1) + line)
    delay = F.lit(1_000) + F.floor(
        uniform(seed, "post_order_time", number) * F.lit(POST_ORDER_WINDOW_MS - 1_000)
    )
    reviewed_item = F.element_at(F.col(C.ITEMS), (line + F.lit(1)).cast("int"))[C.ITEM_ID]
    return (
        with_host_session(orders, plans)
        .select(
            "*",
            (uniform(seed, "refund", TC.SESSION_NO) < by_persona(lambda p: p.refund_prob)).alias(TC.REFUNDED),
            F.explode(F.sequence(F.lit(-1), F.size(C.ITEMS) - F.lit(1))).alias(TC.LINE_POS),
        )
        .where(F.when(is_refund, refunded).otherwise(reviewed))
        .select(
            *event_record(
                {
                    C.SESSION_ID: F.col(f"{TC.HOST}.{C.SESSION_ID}"),
                    C.EVENT_ID: ids.event_id(number),
                    C.USER_ID: F.col(C.USER_ID),
                    C.EVENT_TYPE: F.when(is_refund, F.lit(V.REFUND)).otherwise(F.lit(V.REVIEW)),
                    C.EVENT_TIME: F.timestamp_millis(
                        F.col(f"{TC.HOST}.{TC.HOST_END_MS}") + delay.cast("long")
                    ),
                    C.DEVICE: F.col(f"{TC.HOST}.{C.DEVICE}"),
                    C.CHANNEL: F.col(f"{TC.HOST}.{C.CHANNEL}"),
                    C.ORDER_ID: F.col(C.ORDER_ID),
                    C.AMOUNT: F.when(is_refund, F.col(C.AMOUNT)),
                    C.ITEM_ID: F.when(~is_refund, reviewed_item),
                    C.RATING: F.when(~is_refund, rating),
                }
            )
        )
    )
