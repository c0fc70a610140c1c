"""Orders: lines from the cart, coupon discounts, and the `order` and `pay` events that close a session."""

from __future__ import annotations

import datetime as dt

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from sample_shop import columns as TC
from sample_shop.generator import ids
from sample_shop.generator.bundles import with_bundle_items
from sample_shop.generator.catalog import NEW_ARRIVAL_STRIDE
from sample_shop.generator.events import CART_PICK, cart_quantity, event_record, with_item
from sample_shop.generator.funnel import event_time_ms
from sample_shop.generator.items import list_price
from sample_shop.generator.launches import Launches
from sample_shop.generator.personas import by_persona
from sample_shop.generator.random import choice, uniform
from transforms import columns as C
from transforms import vocabulary as V

# Order-level columns of order lines (everything but ITEM_IDX, QUANTITY, PRICE).
ORDER_HEADER = (
    TC.SESSION_NO,
    C.SESSION_ID,
    C.ORDER_ID,
    C.USER_IDX,
    C.USER_ID,
    TC.PERSONA,
    C.DEVICE,
    C.CHANNEL,
    C.EVENT_DATE,
    TC.N_PLAIN,
    TC.PAID,
    TC.ORDER_TIME_MS,
    TC.PAY_TIME_MS,
)
LINE_COLUMNS = (*ORDER_HEADER, C.ITEM_IDX, C.QUANTITY)
ORDER_COLUMNS = (*ORDER_HEADER, C.ITEMS, TC.GROSS, C.COUPON_ID, C.DISCOUNT, C.AMOUNT)

# (coupon id, share of coupon uses, percent off, fixed amount off, cap, minimum order value)
COUPONS = (
    ("SAVE10", 0.35, 0.10, 0.0, 50.0, 0.0),
    ("FULL200-20", 0.25, 0.0, 20.0, 20.0, 200.0),
    ("FREESHIP", 0.25, 0.0, 8.0, 8.0, 0.0),
    ("NEWUSER15", 0.15, 0.0, 15.0, 15.0, 50.0),
)
PAYMENT_METHOD_WEIGHTS = (45, 42, 8, 5)


def order_lines(
    plans: DataFrame,
    seed: int,
    n_items: int,
    start_date: dt.date,
    days: int,
    launches: Launches | None = None,
) -> DataFrame:
    """The cart lines of converting sessions: every cart item but the first when it was removed.
    `launches`: the drifting catalogue (`generator.drift`), None for the static one.

    Returns:
        LINE_COLUMNS, one row per cart line.
    """
    first_kept = F.col(TC.REMOVED).cast("int")
    j = F.col(TC.LINE_POS)
    return (
        plans.where(F.col(TC.ORDERED))
        .select(
            "*",
            ids.order_id(F.col(TC.SESSION_NO)).alias(C.ORDER_ID),
            event_time_ms(seed, F.col(TC.N_PLAIN)).alias(TC.ORDER_TIME_MS),
            F.when(F.col(TC.PAID), event_time_ms(seed, F.col(TC.N_PLAIN) + F.lit(1))).alias(TC.PAY_TIME_MS),
            F.explode(F.sequence(first_kept, F.col(TC.N_CART) - F.lit(1))).alias(TC.LINE_POS),
        )
        .select("*", F.lit(CART_PICK).alias(TC.PICK_TAG), j.cast("int").alias(TC.PICK_KEY))
        .transform(with_item, seed=seed, n_items=n_items, start_date=start_date, days=days, launches=launches)
        .select(
            *ORDER_HEADER,
            C.ITEM_IDX,
            cart_quantity(seed, j).alias(C.QUANTITY),
        )
    )


def _discount(coupon: Column, gross: Column) -> Column:
    expr = None
    for coupon_id, _, percent, fixed, cap, minimum in COUPONS:
        value = F.when(gross >= F.lit(minimum), F.least(gross * F.lit(percent) + F.lit(fixed), F.lit(cap)))
        condition = coupon == F.lit(coupon_id)
        expr = F.when(condition, value) if expr is None else expr.when(condition, value)
    return F.round(F.least(F.coalesce(expr, F.lit(0.0)), gross), 2)


def orders_from_lines(
    lines: DataFrame, seed: int, n_bundles: int, n_items: int, stride: int = NEW_ARRIVAL_STRIDE
) -> DataFrame:
    """One row per order: lines merged per item, bundle partners added, priced; coupon, discount, amount.
    `stride` spaces the new arrivals, which are never bundle members (`bundles.bundle_members`).

    Returns:
        ORDER_COLUMNS; ITEMS is sorted by item id, AMOUNT = GROSS - DISCOUNT rounded to cents.
    """
    cart = "_cart"
    items = F.col(C.ITEMS)

    def priced(line: Column) -> Column:
        return F.struct(
            ids.item_id(line[C.ITEM_IDX], n_items).alias(C.ITEM_ID),
            line[C.QUANTITY].cast("int").alias(C.QUANTITY),
            list_price(seed, line[C.ITEM_IDX], n_items).alias(C.PRICE),
        )

    gross = F.aggregate(items, F.lit(0.0), lambda acc, line: acc + line[C.QUANTITY] * line[C.PRICE])
    uses_coupon = uniform(seed, "coupon", TC.SESSION_NO) < by_persona(lambda p: p.coupon_prob)
    coupon_ids = [c[0] for c in COUPONS]
    coupon = F.when(
        uses_coupon, choice(uniform(seed, "coupon_id", TC.SESSION_NO), coupon_ids, [c[1] for c in COUPONS])
    )
    return (
        # The same item picked for two cart slots becomes one line with the summed quantity.
        lines.groupBy(*ORDER_HEADER, C.ITEM_IDX)
        .agg(F.sum(C.QUANTITY).alias(C.QUANTITY))
        .groupBy(*ORDER_HEADER)
        .agg(F.collect_list(F.struct(C.ITEM_IDX, C.QUANTITY)).alias(cart))
        .transform(
            with_bundle_items, seed=seed, n_bundles=n_bundles, n_items=n_items, lines=cart, stride=stride
        )
        # collect_list's order depends on the shuffle; sorting by item id makes the array deterministic.
        .select(*ORDER_HEADER, F.sort_array(F.transform(F.col(cart), priced)).alias(C.ITEMS))
        .select("*", F.round(gross, 2).alias(TC.GROSS), coupon.alias(C.COUPON_ID))
        .select("*", _discount(F.col(C.COUPON_ID), F.col(TC.GROSS)).alias(C.DISCOUNT))
        .select(
            *ORDER_HEADER,
            C.ITEMS,
            TC.GROSS,
            C.COUPON_ID,
            C.DISCOUNT,
            F.round(F.col(TC.GROSS) - F.col(C.DISCOUNT), 2).alias(C.AMOUNT),
        )
    )


def order_events(orders: DataFrame, seed: int) -> DataFrame:
    """The `order` event of every order and the `pay` event of paid ones, at the session's last positions.

    Returns:
        EVENT_COLUMNS.
    """
    step = F.col(TC.EVENT_POS)
    is_pay = step == F.lit(1)
    # Positions continue the session's plain events: the order is at N_PLAIN, the payment right after.
    position = F.col(TC.N_PLAIN) + step
    method = choice(uniform(seed, "payment_method", TC.SESSION_NO), V.PAYMENT_METHODS, PAYMENT_METHOD_WEIGHTS)
    return orders.select(
        "*",
        F.explode(F.when(F.col(TC.PAID), F.array(F.lit(0), F.lit(1))).otherwise(F.array(F.lit(0)))).alias(
            TC.EVENT_POS
        ),
    ).select(
        *event_record(
            {
                C.SESSION_ID: F.col(C.SESSION_ID),
                C.EVENT_ID: ids.event_id(ids.event_no(F.col(TC.SESSION_NO), position)),
                C.USER_ID: F.col(C.USER_ID),
                C.EVENT_TYPE: F.when(is_pay, F.lit(V.PAY)).otherwise(F.lit(V.ORDER)),
                C.EVENT_TIME: F.timestamp_millis(
                    F.when(is_pay, F.col(TC.PAY_TIME_MS)).otherwise(F.col(TC.ORDER_TIME_MS))
                ),
                C.DEVICE: F.col(C.DEVICE),
                C.CHANNEL: F.col(C.CHANNEL),
                C.ORDER_ID: F.col(C.ORDER_ID),
                C.ITEMS: F.when(~is_pay, F.col(C.ITEMS)),
                C.AMOUNT: F.col(C.AMOUNT),
                C.DISCOUNT: F.when(~is_pay, F.col(C.DISCOUNT)),
                C.COUPON_ID: F.when(~is_pay, F.col(C.COUPON_ID)),
                C.PAYMENT_METHOD: F.when(is_pay, method),
            }
        )
    )
