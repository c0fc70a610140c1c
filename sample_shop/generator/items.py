"""Items: the catalogue table and the column expressions that pick an item for a user without a join.

An item's category, brand, list price and launch date are functions of its global index (see `catalog`),
so an order line can carry the list price and a product view can avoid unlaunched items in-row.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from sample_shop import columns as TC
from sample_shop.generator import ids
from sample_shop.generator.catalog import CATEGORIES, NEW_ARRIVAL_STRIDE, category_layout
from sample_shop.generator.codegen import split_codegen
from sample_shop.generator.launches import Launches
from sample_shop.generator.literals import nth
from sample_shop.generator.personas import by_persona, category_weights, persona_choice
from sample_shop.generator.random import ColumnOrValue, lognormal, uniform, zipf_rank
from transforms import columns as C

# Share of category picks that go to the user's favourite category rather than the persona's mix.
FAVOURITE_CATEGORY_SHARE = 0.35
# Items launched before the period went on sale up to this many days before it.
LAUNCHED_WITHIN_DAYS = 720


# Expressions here refer to each input as few times as possible: Spark may inline a column's whole
# expression where it pushes a filter down, and repeated references multiply that expression's size.
# `category_of` is the exception: pass it a column (or a field of a lambda variable), not an expression.


def category_of(item_idx: Column, n_items: int) -> Column:
    """The category index (position in CATEGORIES) of a global item index: how many blocks end at or before it."""
    layout = category_layout(n_items)
    ends = [offset + size for offset, size in zip(layout.offsets, layout.sizes, strict=True)][:-1]
    # A compiled CASE rather than a lambda over the ends: higher-order functions run interpreted.
    category = F.when(item_idx < F.lit(ends[0]), F.lit(0))
    for index, end in enumerate(ends[1:], start=1):
        category = category.when(item_idx < F.lit(end), F.lit(index))
    return category.otherwise(F.lit(len(ends)))


def local_index(item_idx: Column, n_items: int) -> Column:
    """Position of an item inside its category block, which is also its popularity rank - 1."""
    return item_idx - nth(category_layout(n_items).offsets, category_of(item_idx, n_items))


def list_price(seed: int, item_idx: Column, n_items: int) -> Column:
    """Lognormal around the category's median price, ending in .99 like shop prices do."""
    return _price_in(seed, category_of(item_idx, n_items), item_idx)


def _launch_date(seed: int, item_idx: Column, local: Column, start_date: dt.date, days: int) -> Column:
    u = uniform(seed, "launch_day", item_idx)
    is_new = F.pmod(local, F.lit(NEW_ARRIVAL_STRIDE)) == F.lit(NEW_ARRIVAL_STRIDE - 1)
    days_after = F.when(is_new, F.floor(u * days)).otherwise(-F.lit(1) - F.floor(u * LAUNCHED_WITHIN_DAYS))
    return F.date_add(F.lit(start_date), days_after.cast("int"))


def launch_date(seed: int, item_idx: Column, n_items: int, start_date: dt.date, days: int) -> Column:
    """New arrivals (every NEW_ARRIVAL_STRIDE-th local index) launch during the period, others before it."""
    return _launch_date(seed, item_idx, local_index(item_idx, n_items), start_date, days)


def on_sale(
    seed: int,
    item_idx: Column,
    on_date: Column,
    n_items: int,
    start_date: dt.date,
    days: int,
    local: Column | None = None,
) -> Column:
    """`item_idx`, or the item just before it when it has not launched by `on_date`.

    Only new arrivals can be unlaunched, and the item before a new arrival is never one, so the result
    is always on sale and stays in the same category. Pass `local` when the local index is at hand.
    """
    local = local_index(item_idx, n_items) if local is None else local
    not_yet = (_launch_date(seed, item_idx, local, start_date, days) > on_date).cast("long")
    return item_idx - not_yet


def generate_items(
    base: DataFrame,
    seed: int,
    n_items: int,
    start_date: dt.date,
    days: int,
    launches: Launches | None = None,
) -> DataFrame:
    """The catalogue, one item per row of `base`.

    Args:
        base: `spark.range(n_items)`; column `id` is the global item index.
        seed: Generator seed.
        n_items: The number of rows of `base` (it fixes the category blocks).
        start_date: First day of the generated period.
        days: Length of the period.
        launches: The drifting catalogue's launch days; None for the static catalogue's.

    Returns:
        ITEM_IDX, ITEM_ID, CATEGORY_L1, CATEGORY_L2, BRAND, LIST_PRICE, LAUNCH_DATE.
    """
    idx = F.col(TC.RANGE_ID)
    category = category_of(idx, n_items)
    local = local_index(idx, n_items)
    # All categories' brands end to end: the category's run starts at its offset.
    brand_counts = [len(c.brands) for c in CATEGORIES]
    brand_offsets = [sum(brand_counts[:i]) for i in range(len(CATEGORIES))]
    # Brands interleave through the popularity ranks, so every brand has popular and obscure items.
    brand = nth(
        [b for c in CATEGORIES for b in c.brands],
        nth(brand_offsets, category) + F.pmod(local, nth(brand_counts, category)),
    )
    return base.select(
        idx.alias(C.ITEM_IDX),
        ids.item_id(idx, n_items).alias(C.ITEM_ID),
        nth([c.l1 for c in CATEGORIES], category).alias(C.CATEGORY_L1),
        nth([c.l2 for c in CATEGORIES], category).alias(C.CATEGORY_L2),
        brand.alias(C.BRAND),
        list_price(seed, idx, n_items).alias(C.LIST_PRICE),
        (
            launch_date(seed, idx, n_items, start_date, days)
            if launches is None
            else F.date_add(F.lit(start_date), launches.launch_day(local, category).cast("int"))
        ).alias(C.LAUNCH_DATE),
    )


def raw_items(items: DataFrame) -> DataFrame:
    """The catalogue export `raw/items/`: RAW_ITEMS_SCHEMA columns."""
    return items.select(C.ITEM_ID, C.CATEGORY_L1, C.CATEGORY_L2, C.BRAND, C.LIST_PRICE, C.LAUNCH_DATE)


def pick_category(seed: int, salt: str, *keys: ColumnOrValue) -> Column:
    """A category index: the user's favourite with FAVOURITE_CATEGORY_SHARE, else from the persona's mix.

    Expects PERSONA and FAVOURITE_CATEGORY on the row.
    """
    mix = persona_choice(
        uniform(seed, f"{salt}#category", *keys), list(range(len(CATEGORIES))), category_weights
    )
    favourite = uniform(seed, f"{salt}#favourite", *keys) < F.lit(FAVOURITE_CATEGORY_SHARE)
    return F.when(favourite, F.col(TC.FAVOURITE_CATEGORY)).otherwise(mix).cast("int")


def _price_in(seed: int, category: Column, item_idx: Column) -> Column:
    """`list_price` when the item's category is already known (saves the category lookup)."""
    mu = nth([math.log(c.median_price) for c in CATEGORIES], category)
    sigma = nth([c.price_sigma for c in CATEGORIES], category)
    raw = lognormal(seed, "list_price", mu, sigma, item_idx)
    return F.round(F.greatest(F.ceil(raw) - F.lit(0.01), F.lit(0.99)), 2)


POPULAR, OF_BRAND, NEW_ARRIVAL = 0, 1, 2


def with_item_pick(
    df: DataFrame,
    seed: int,
    keys: Sequence[str],
    category: str,
    out: str,
    n_items: int,
    start_date: dt.date,
    days: int,
    launches: Launches | None = None,
) -> DataFrame:
    """Add `out`: a global item index in category column `category` that the row's user would look at.

    Expects PERSONA, USER_IDX and EVENT_DATE on the row; `keys` name the columns that make the draw
    unique (the same keys always give the same item). The pick is of one of three kinds: with the
    persona's brand loyalty an item of the user's favourite brand in that category, with its new-arrival
    affinity a new arrival, else a popular item; each is Zipf-ranked with the persona's exponent. A
    price-tilted persona compares the popular pick with a second one and keeps the cheaper (or dearer).
    The item is always launched by EVENT_DATE. With `launches` (drift), a new-arrival pick goes to a
    recent launch instead, and so does a popular pick with the launches' share of the day.

    Built in small steps: each step is a column, not a copy of an expression tree, and each projection's
    generated code stays under the JVM's 8 KB limit for JIT compilation (this runs once per event).
    """
    layout = category_layout(n_items)
    cat = F.col(category)
    (
        size,
        offset,
        brands,
        exponent,
        tilt,
        brand,
        mode,
        kind,
        first,
        second,
        first_price,
        second_price,
        local,
        day,
    ) = (
        F.col(f"_pick_{n}")
        for n in (
            "size",
            "offset",
            "brands",
            "exponent",
            "tilt",
            "brand",
            "mode",
            "kind",
            "first",
            "second",
            "first_price",
            "second_price",
            "local",
            "day",
        )
    )
    brand_items = F.floor((size - F.lit(1) - brand) / brands) + F.lit(1)
    loyalty = by_persona(lambda p: p.brand_loyalty)
    novelty = by_persona(lambda p: p.new_arrival_affinity)

    def rank(tag: str, n: Column) -> Column:
        return zipf_rank(uniform(seed, f"pick#{tag}", *keys), n, exponent) - F.lit(1)

    if launches is None:
        new_items = F.floor(size / F.lit(NEW_ARRIVAL_STRIDE))
        pick_kind = (
            F.when((mode < loyalty) & (brand_items > 0), F.lit(OF_BRAND))
            .when((mode < loyalty + novelty) & (new_items > 0), F.lit(NEW_ARRIVAL))
            .otherwise(F.lit(POPULAR))
        )
        ranked = F.when(kind == OF_BRAND, brand_items).when(kind == NEW_ARRIVAL, new_items).otherwise(size)
        first_rank = rank("a", F.greatest(ranked, F.lit(1)))
        new_local = F.lit(NEW_ARRIVAL_STRIDE - 1) + F.lit(NEW_ARRIVAL_STRIDE) * first
        day_columns: list[Column] = []
    else:
        # Every category has launched items (the old ones before the period), so a launch pick always lands.
        pick_kind = (
            F.when((mode < loyalty) & (brand_items > 0), F.lit(OF_BRAND))
            .when(mode < loyalty + novelty, F.lit(NEW_ARRIVAL))
            .when(uniform(seed, "pick#launch", *keys) < launches.pull_share(day), F.lit(NEW_ARRIVAL))
            .otherwise(F.lit(POPULAR))
        )
        # A launch pick counts back from the day's latest launch (`first` holds how far).
        first_rank = F.when(kind == NEW_ARRIVAL, launches.launches_back(keys, cat)).otherwise(
            rank("a", F.greatest(F.when(kind == OF_BRAND, brand_items).otherwise(size), F.lit(1)))
        )
        new_local = launches.launched_local(first, cat, day)
        day_columns = [launches.day_of(F.col(C.EVENT_DATE)).alias("_pick_day")]
    first_local = (
        F.when(kind == OF_BRAND, brand + brands * first).when(kind == NEW_ARRIVAL, new_local).otherwise(first)
    )
    compares = (kind == POPULAR) & (tilt != 0)
    by_price = (
        F.when((tilt < 0) & (second_price < first_price), second)
        .when((tilt > 0) & (second_price > first_price), second)
        .otherwise(first)
    )
    if launches is None:
        launched = on_sale(seed, offset + local, F.col(C.EVENT_DATE), n_items, start_date, days, local=local)
    else:
        launched = launches.on_sale(offset + local, local, cat, day)
    kept = [] if launches is None else ["_pick_day"]
    # The launch arithmetic is a projection's worth of code of its own (see `codegen`).
    split_launch = (lambda frame: frame) if launches is None else split_codegen
    return (
        df.select(
            "*",
            nth(layout.sizes, cat).alias("_pick_size"),
            nth(layout.offsets, cat).alias("_pick_offset"),
            nth([len(c.brands) for c in CATEGORIES], cat).alias("_pick_brands"),
            by_persona(lambda p: p.zipf_exponent).alias("_pick_exponent"),
            by_persona(lambda p: p.price_tilt).alias("_pick_tilt"),
            uniform(seed, "pick#mode", *keys).alias("_pick_mode"),
            *day_columns,
        )
        .select("*", F.floor(uniform(seed, "favourite_brand", C.USER_IDX, cat) * brands).alias("_pick_brand"))
        .select("*", pick_kind.alias("_pick_kind"))
        .select(
            "*",
            first_rank.alias("_pick_first"),
            F.when(compares, rank("b", size)).alias("_pick_second"),
        )
        .transform(split_codegen)
        .select(
            *df.columns, *kept, "_pick_offset", "_pick_tilt", "_pick_second", first_local.alias("_pick_first")
        )
        .transform(split_launch)
        .select(
            "*",
            F.when(second.isNotNull(), _price_in(seed, cat, offset + first)).alias("_pick_first_price"),
            F.when(second.isNotNull(), _price_in(seed, cat, offset + second)).alias("_pick_second_price"),
        )
        .select(*df.columns, *kept, "_pick_offset", by_price.cast("long").alias("_pick_local"))
        .select(*df.columns, launched.alias(out))
    )
