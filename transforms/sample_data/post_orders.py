"""Refunds and reviews: they happen in a LATER session of the same user, the first one starting at least
REVIEW_DELAY_MS after the order, appended after that session's own events (within POST_ORDER_WINDOW_MS).

Orders whose user never comes back that late get neither. Event numbers come from the order's own
session (positions from ids.POST_ORDER_FIRST_POS on), so they never clash with the host's events.
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from transforms import columns as C
from transforms import vocabulary as V
from transforms.sample_data import ids
from transforms.sample_data.events import event_record
from transforms.sample_data.funnel import POST_ORDER_WINDOW_MS, session_end_ms
from transforms.sample_data.personas import by_persona
from transforms.sample_data.random import choice, uniform

REVIEW_DELAY_MS = 24 * 3_600_000
_LINE = "_line"
_HOST_FIELDS = (C.SESSION_START_MS, C.HOST_END_MS, C.SESSION_ID, C.DEVICE, C.CHANNEL)


def with_host_session(orders: DataFrame, plans: DataFrame) -> DataFrame:
    """Paid orders with HOST: the user's first session starting REVIEW_DELAY_MS or more after the order.

    Returns:
        SESSION_NO, ORDER_ID, USER_ID, PERSONA, ITEMS, AMOUNT, HOST (struct of SESSION_START_MS,
        HOST_END_MS, SESSION_ID, DEVICE, CHANNEL); orders without such a session are dropped.
    """
    order_columns = (
        C.SESSION_NO,
        C.ORDER_ID,
        C.USER_IDX,
        C.USER_ID,
        C.PERSONA,
        C.ITEMS,
        C.AMOUNT,
        C.ORDER_TIME_MS,
    )
    host = F.struct(
        F.col(C.SESSION_START_MS),
        session_end_ms().alias(C.HOST_END_MS),
        F.col(C.SESSION_ID),
        F.col(C.DEVICE),
        F.col(C.CHANNEL),
    )
    hosts = plans.select(C.USER_IDX, host.alias(C.HOST))
    # Joins each order to all sessions of its user, then keeps the earliest late-enough one: min() of a
    # struct orders by its first field, the start time.
    return (
        orders.where(F.col(C.PAID))
        .select(*order_columns)
        .join(hosts, on=[C.USER_IDX], how="inner")
        .where(F.col(f"{C.HOST}.{C.SESSION_START_MS}") >= F.col(C.ORDER_TIME_MS) + F.lit(REVIEW_DELAY_MS))
        .groupBy(*order_columns)
        .agg(F.min(C.HOST).alias(C.HOST))
        .select(C.SESSION_NO, C.ORDER_ID, C.USER_ID, C.PERSONA, C.ITEMS, C.AMOUNT, C.HOST)
    )


def _post_event(seed: int, position: Column, values: dict[str, Column]) -> list[Column]:
    number = ids.event_no(F.col(C.SESSION_NO), position)
    delay = F.lit(1_000) + F.floor(
        uniform(seed, "post_order_time", number) * F.lit(POST_ORDER_WINDOW_MS - 1_000)
    )
    return event_record(
        {
            C.SESSION_ID: F.col(f"{C.HOST}.{C.SESSION_ID}"),
            C.EVENT_ID: ids.event_id(number),
            C.USER_ID: F.col(C.USER_ID),
            C.EVENT_TIME: F.timestamp_millis(F.col(f"{C.HOST}.{C.HOST_END_MS}") + delay.cast("long")),
            C.DEVICE: F.col(f"{C.HOST}.{C.DEVICE}"),
            C.CHANNEL: F.col(f"{C.HOST}.{C.CHANNEL}"),
            C.ORDER_ID: F.col(C.ORDER_ID),
            **values,
        }
    )


def post_order_events(orders: DataFrame, plans: DataFrame, seed: int) -> DataFrame:
    """`refund` events (whole amount, with the persona's refund probability) and `review` events (each
    ordered item with the persona's review probability; refunded orders rate low).

    Args:
        orders: From `orders.orders_from_lines`.
        plans: All planned sessions (the candidates to host the events).
        seed: Generator seed.

    Returns:
        EVENT_COLUMNS.
    """
    hosted = with_host_session(orders, plans).select(
        "*", (uniform(seed, "refund", C.SESSION_NO) < by_persona(lambda p: p.refund_prob)).alias(C.REFUNDED)
    )
    refunds = hosted.where(F.col(C.REFUNDED)).select(
        *_post_event(
            seed,
            F.lit(ids.POST_ORDER_FIRST_POS),
            {
                C.EVENT_TYPE: F.lit(V.REFUND),
                C.AMOUNT: F.col(C.AMOUNT),
            },
        )
    )
    rating_draw = uniform(seed, "rating", C.SESSION_NO, C.LINE_POS)
    rating = F.when(F.col(C.REFUNDED), choice(rating_draw, [1, 2, 3], [50, 30, 20])).otherwise(
        choice(rating_draw, [5, 4, 3, 2, 1], [55, 25, 10, 5, 5])
    )
    reviews = (
        hosted.select("*", F.posexplode(C.ITEMS).alias(C.LINE_POS, _LINE))
        .where(uniform(seed, "review", C.SESSION_NO, C.LINE_POS) < by_persona(lambda p: p.review_prob))
        .select(
            *_post_event(
                seed,
                F.lit(ids.POST_ORDER_FIRST_POS + 1) + F.col(C.LINE_POS),
                {
                    C.EVENT_TYPE: F.lit(V.REVIEW),
                    C.ITEM_ID: F.col(f"{_LINE}.{C.ITEM_ID}"),
                    C.RATING: rating,
                },
            )
        )
    )
    return refunds.unionByName(reviews)
