"""Order lines: what each order bought, one row per (order, item), with catalogue attributes."""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from transforms import columns as C
from transforms import vocabulary as V
from transforms.catalogue import latest_catalogue
from transforms.orders import order_key

_LINE = "_line"


def order_lines(events: DataFrame) -> DataFrame:
    """One row per line of each `order` event: its ITEMS array, or for events without one (line-based and
    purchase formats) the event itself as a single line whose value is the event's AMOUNT.

    Returns:
        ORDER_ID, ITEM_ID, QUANTITY, PRICE, LINE_AMOUNT; lines without an item id are dropped.
    """
    from_items = F.transform(
        F.col(C.ITEMS),
        lambda line: F.struct(
            line[C.ITEM_ID].alias(C.ITEM_ID),
            line[C.QUANTITY].alias(C.QUANTITY),
            line[C.PRICE].alias(C.PRICE),
            F.round(line[C.QUANTITY] * line[C.PRICE], 2).alias(C.LINE_AMOUNT),
        ),
    )
    from_event = F.array(
        F.struct(
            F.col(C.ITEM_ID).alias(C.ITEM_ID),
            F.col(C.QUANTITY).alias(C.QUANTITY),
            F.lit(None).cast("double").alias(C.PRICE),
            F.col(C.AMOUNT).alias(C.LINE_AMOUNT),
        )
    )
    lines = F.when(F.col(C.ITEMS).isNotNull(), from_items).otherwise(from_event)
    return (
        events.where(F.col(C.EVENT_TYPE) == F.lit(V.ORDER))
        .select(order_key().alias(C.ORDER_ID), F.explode(lines).alias(_LINE))
        .where(F.col(f"{_LINE}.{C.ITEM_ID}").isNotNull())
        .select(
            C.ORDER_ID,
            F.col(f"{_LINE}.{C.ITEM_ID}").alias(C.ITEM_ID),
            F.col(f"{_LINE}.{C.QUANTITY}").alias(C.QUANTITY),
            F.col(f"{_LINE}.{C.PRICE}").alias(C.PRICE),
            F.col(f"{_LINE}.{C.LINE_AMOUNT}").alias(C.LINE_AMOUNT),
        )
    )


def build_order_items(events: DataFrame, orders: DataFrame, items: DataFrame) -> DataFrame:
    """silver.order_items rows: each order's lines summed per item, with category and brand.

    Args:
        events: Sessionized silver events.
        orders: HEADER_COLUMNS or silver.orders rows of the same orders (one row per ORDER_ID).
        items: bronze.items rows.

    Returns:
        SILVER_ORDER_ITEMS_SCHEMA columns. PRICE is the item's unit price, or the average unit price when
        the order lists it at several prices.
    """
    quantity, line_amount = F.sum(C.QUANTITY), F.round(F.sum(C.LINE_AMOUNT), 2)
    unit_price = F.coalesce(
        F.when(F.min(C.PRICE) == F.max(C.PRICE), F.max(C.PRICE)),
        F.round(line_amount / F.when(quantity > 0, quantity), 2),
    )
    per_item = (
        order_lines(events)
        .groupBy(C.ORDER_ID, C.ITEM_ID)
        .agg(
            quantity.cast("int").alias(C.QUANTITY),
            unit_price.alias(C.PRICE),
            line_amount.alias(C.LINE_AMOUNT),
        )
    )
    # `orders` and the catalogue lookup have one row per key, so neither join multiplies lines.
    return (
        per_item.join(orders.select(C.ORDER_ID, C.USER_ID, C.ORDER_DATE), on=[C.ORDER_ID], how="inner")
        .join(F.broadcast(latest_catalogue(items)), on=[C.ITEM_ID], how="left")
        .select(
            C.ORDER_ID,
            C.USER_ID,
            C.ITEM_ID,
            C.QUANTITY,
            C.PRICE,
            C.LINE_AMOUNT,
            C.ORDER_DATE,
            C.CATEGORY_L1,
            C.BRAND,
        )
    )
