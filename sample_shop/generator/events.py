"""Browsing and cart events of planned sessions, and the event record every event kind is shaped into.

A session's positions 0..N_PLAIN-1 are: N_BROWSE browsing events (the first is the landing page), then
for each cart item its product page and `add_to_cart`, then `remove_from_cart` of the first cart item
when REMOVED. Order and pay events follow in `orders`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from sample_shop import columns as TC
from sample_shop.generator import ids
from sample_shop.generator.catalog import CATEGORIES
from sample_shop.generator.codegen import split_codegen
from sample_shop.generator.funnel import event_time_ms
from sample_shop.generator.items import pick_category, with_item_pick
from sample_shop.generator.launches import Launches
from sample_shop.generator.literals import nth
from sample_shop.generator.random import choice, uniform
from transforms import columns as C
from transforms import vocabulary as V
from transforms.schemas import RAW_EVENT_SCHEMA

# Every generated event: its true session, then the raw event fields in RAW_EVENT_SCHEMA order.
EVENT_COLUMNS = (C.SESSION_ID, *RAW_EVENT_SCHEMA.fieldNames())

_KIND = "_kind"
# Browsing after the landing page: (kind, relative weight). A kind is an event type or "view_<page>".
BROWSE_KINDS = (
    ("search", 10),
    ("view_search", 7),
    ("view_category", 13),
    ("view_home", 5),
    ("favorite", 4),
    ("view_product", 61),
)
CART_QUANTITIES = ((1, 0.8), (2, 0.15), (3, 0.05))
BROWSE_PICK = 0
CART_PICK = 1


def event_record(values: Mapping[str, Column]) -> list[Column]:
    """EVENT_COLUMNS from `values`, cast to the raw schema's types; fields a kind lacks are typed nulls."""
    unknown = set(values) - set(EVENT_COLUMNS)
    if unknown:
        raise ValueError(f"not event fields: {sorted(unknown)}")
    types = {f.name: f.dataType for f in RAW_EVENT_SCHEMA.fields}
    record = [values.get(C.SESSION_ID, F.lit(None)).cast("string").alias(C.SESSION_ID)]
    for name in RAW_EVENT_SCHEMA.fieldNames():
        record.append(values.get(name, F.lit(None)).cast(types[name]).alias(name))
    return record


def with_item(
    df: DataFrame,
    seed: int,
    n_items: int,
    start_date: dt.date,
    days: int,
    launches: Launches | None = None,
) -> DataFrame:
    """Add ITEM_IDX for the row's pick keys: SESSION_NO, PICK_TAG (CART_PICK for the j-th cart item,
    BROWSE_PICK for a browsed item) and PICK_KEY (j, or the event position). Orders draw their lines with
    the same keys, so an ordered item is the one that was put in the cart. `launches`: drift's catalogue."""
    keys = (TC.SESSION_NO, TC.PICK_TAG, TC.PICK_KEY)
    return df.select("*", pick_category(seed, "pick", *keys).alias(TC.CATEGORY_IDX)).transform(
        with_item_pick,
        seed=seed,
        keys=keys,
        category=TC.CATEGORY_IDX,
        out=C.ITEM_IDX,
        n_items=n_items,
        start_date=start_date,
        days=days,
        launches=launches,
    )


def cart_quantity(seed: int, j: Column) -> Column:
    """Quantity of the session's j-th cart item."""
    values, weights = zip(*CART_QUANTITIES, strict=True)
    return choice(uniform(seed, "quantity", TC.SESSION_NO, j.cast("int")), values, weights).cast("int")


def search_keyword(seed: int, *keys: Column | str) -> Column:
    """A search phrase from the keywords of a category the user would browse."""
    category = pick_category(seed, "search", *keys)
    # All categories' keywords end to end: the category's run starts at its offset.
    counts = [len(c.keywords) for c in CATEGORIES]
    offsets = [sum(counts[:i]) for i in range(len(CATEGORIES))]
    index = nth(offsets, category) + F.floor(uniform(seed, "keyword", *keys) * nth(counts, category))
    return nth([k for c in CATEGORIES for k in c.keywords], index)


def plain_events(
    plans: DataFrame,
    seed: int,
    n_items: int,
    start_date: dt.date,
    days: int,
    launches: Launches | None = None,
) -> DataFrame:
    """The browsing, cart and cart-removal events of planned sessions.

    Args:
        plans: Sessions with the funnel plan (`funnel.plan_sessions`).
        seed: Generator seed.
        n_items: Catalogue size.
        start_date: First day of the period (items launched after an event's day are never shown).
        days: Length of the period.
        launches: The drifting catalogue (`generator.drift`); None for the static one.

    Returns:
        EVENT_COLUMNS.
    """
    k = F.col(TC.EVENT_POS)
    past_browse = k - F.col(TC.N_BROWSE)
    in_cart = (past_browse >= 0) & (past_browse < F.lit(2) * F.col(TC.N_CART))
    j = F.floor(past_browse / F.lit(2))
    landing = F.when(F.col(C.CHANNEL) == F.lit("direct"), F.lit("view_home")).otherwise(F.lit("view_product"))
    kinds, weights = zip(*BROWSE_KINDS, strict=True)
    kind = (
        F.when(past_browse >= F.lit(2) * F.col(TC.N_CART), F.lit("remove"))
        .when(in_cart & (F.pmod(past_browse, F.lit(2)) == 1), F.lit("add"))
        .when(in_cart, F.lit("cart_view"))
        .when(k == 0, landing)
        .otherwise(choice(uniform(seed, "browse_kind", TC.SESSION_NO, k), kinds, weights))
    )
    kind_col = F.col(_KIND)
    event_type = (
        F.when(kind_col == "search", F.lit(V.SEARCH))
        .when(kind_col == "favorite", F.lit(V.FAVORITE))
        .when(kind_col == "add", F.lit(V.ADD_TO_CART))
        .when(kind_col == "remove", F.lit(V.REMOVE_FROM_CART))
        .otherwise(F.lit(V.PAGE_VIEW))
    )
    page_type = F.when(kind_col == "cart_view", F.lit(V.PAGE_PRODUCT)).when(
        kind_col.startswith("view_"), F.substring(kind_col, 6, 20)
    )
    cart_j = F.when(kind_col == "remove", F.lit(0)).otherwise(j).cast("int")
    is_cart_kind = kind_col.isin("cart_view", "add", "remove")
    has_item = is_cart_kind | kind_col.isin("view_product", "favorite")
    pick_keys = (TC.SESSION_NO, TC.PICK_TAG, TC.PICK_KEY)
    # Each step below is its own projection so that no single generated method gets too big to JIT.
    return (
        plans.select(
            TC.SESSION_NO,
            C.SESSION_ID,
            C.USER_IDX,
            C.USER_ID,
            TC.PERSONA,
            TC.FAVOURITE_CATEGORY,
            C.EVENT_DATE,
            TC.SESSION_START_MS,
            TC.SPAN_MS,
            TC.N_TOTAL,
            C.DEVICE,
            C.CHANNEL,
            TC.N_BROWSE,
            TC.N_CART,
            F.explode(F.sequence(F.lit(0), F.col(TC.N_PLAIN) - F.lit(1))).alias(TC.EVENT_POS),
        )
        .select("*", kind.alias(_KIND))
        .select(
            "*",
            F.when(is_cart_kind, F.lit(CART_PICK)).otherwise(F.lit(BROWSE_PICK)).alias(TC.PICK_TAG),
            F.when(is_cart_kind, cart_j).otherwise(k).cast("int").alias(TC.PICK_KEY),
        )
        # A null category (events without an item) makes every step of the pick null, and cheap.
        .select("*", F.when(has_item, pick_category(seed, "pick", *pick_keys)).alias(TC.CATEGORY_IDX))
        .transform(split_codegen)
        .transform(
            with_item_pick,
            seed=seed,
            keys=pick_keys,
            category=TC.CATEGORY_IDX,
            out=C.ITEM_IDX,
            n_items=n_items,
            start_date=start_date,
            days=days,
            launches=launches,
        )
        .transform(split_codegen)
        .select(
            "*",
            ids.event_id(ids.event_no(F.col(TC.SESSION_NO), k)).alias(C.EVENT_ID),
            F.timestamp_millis(event_time_ms(seed, k)).alias(C.EVENT_TIME),
        )
        .transform(split_codegen)
        .select(
            "*",
            F.when(kind_col.isin("add", "remove"), cart_quantity(seed, cart_j)).alias(C.QUANTITY),
            F.when(kind_col == "search", search_keyword(seed, TC.SESSION_NO, k)).alias(C.KEYWORD),
        )
        .select(
            *event_record(
                {
                    C.SESSION_ID: F.col(C.SESSION_ID),
                    C.EVENT_ID: F.col(C.EVENT_ID),
                    C.USER_ID: F.col(C.USER_ID),
                    C.EVENT_TYPE: event_type,
                    C.EVENT_TIME: F.col(C.EVENT_TIME),
                    C.DEVICE: F.col(C.DEVICE),
                    C.CHANNEL: F.col(C.CHANNEL),
                    C.PAGE_TYPE: page_type,
                    C.ITEM_ID: ids.item_id(F.col(C.ITEM_IDX), n_items),
                    C.KEYWORD: F.col(C.KEYWORD),
                    C.QUANTITY: F.col(C.QUANTITY),
                }
            )
        )
    )
