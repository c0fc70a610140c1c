"""The shop's catalogue as data: two-level categories with price levels, brands and search keywords.

Items are laid out in contiguous blocks, one per category, in this order; inside a block an item's local
index is its popularity rank (0 = most popular), so an item can be picked by (category, Zipf rank) with
arithmetic instead of a join. Item ids are a permutation of the global index (see `ids.item_id`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache


@dataclass(frozen=True)
class Category:
    l1: str
    l2: str
    # Share of the catalogue's items in this category.
    share: float
    median_price: float
    price_sigma: float
    brands: tuple[str, ...]
    keywords: tuple[str, ...]


CATEGORIES: tuple[Category, ...] = (
    Category(
        "electronics",
        "phones",
        0.05,
        2999,
        0.45,
        ("Apple", "Huawei", "Xiaomi", "OPPO", "vivo", "Honor"),
        ("phone", "5g phone", "smartphone"),
    ),
    Category(
        "electronics",
        "accessories",
        0.08,
        59,
        0.6,
        ("Anker", "Ugreen", "Baseus", "Belkin", "Xiaomi"),
        ("phone case", "charger", "usb-c cable"),
    ),
    Category(
        "electronics",
        "computers",
        0.04,
        4999,
        0.45,
        ("Lenovo", "Apple", "Dell", "HP", "ASUS"),
        ("laptop", "tablet", "monitor"),
    ),
    Category(
        "electronics",
        "audio",
        0.04,
        299,
        0.7,
        ("Sony", "Bose", "JBL", "Edifier", "Huawei"),
        ("headphones", "earbuds", "speaker"),
    ),
    Category(
        "apparel",
        "women",
        0.10,
        199,
        0.55,
        ("Uniqlo", "ZARA", "UR", "Peacebird", "ONLY"),
        ("dress", "coat", "skirt", "sweater"),
    ),
    Category(
        "apparel",
        "men",
        0.07,
        229,
        0.55,
        ("Uniqlo", "Jack Jones", "HLA", "Semir", "Li-Ning"),
        ("jacket", "t-shirt", "jeans"),
    ),
    Category(
        "apparel",
        "shoes",
        0.06,
        399,
        0.5,
        ("Nike", "Adidas", "Anta", "Li-Ning", "Skechers"),
        ("sneakers", "running shoes", "boots"),
    ),
    Category(
        "sports",
        "fitness",
        0.04,
        159,
        0.7,
        ("Decathlon", "Keep", "Anta", "Nike"),
        ("yoga mat", "dumbbell", "fitness band"),
    ),
    Category(
        "sports",
        "outdoor",
        0.03,
        299,
        0.7,
        ("Decathlon", "The North Face", "Kailas", "Naturehike"),
        ("tent", "hiking backpack"),
    ),
    Category(
        "beauty",
        "skincare",
        0.07,
        189,
        0.6,
        ("L'Oreal", "Estee Lauder", "Proya", "Winona", "SK-II"),
        ("serum", "sunscreen", "face mask"),
    ),
    Category(
        "beauty",
        "makeup",
        0.05,
        129,
        0.6,
        ("Perfect Diary", "MAC", "Florasis", "Maybelline"),
        ("lipstick", "foundation", "eyeliner"),
    ),
    Category(
        "home",
        "kitchen",
        0.06,
        159,
        0.8,
        ("Midea", "Supor", "Joyoung", "Bear", "Philips"),
        ("air fryer", "coffee machine", "rice cooker"),
    ),
    Category(
        "home",
        "bedding",
        0.04,
        259,
        0.6,
        ("MUJI", "Fuanna", "Mercury", "IKEA"),
        ("duvet", "pillow", "bed sheet"),
    ),
    Category(
        "home",
        "cleaning",
        0.04,
        39,
        0.6,
        ("Blue Moon", "Vinda", "Kao", "Mr Muscle"),
        ("detergent", "tissue", "mop"),
    ),
    Category(
        "food",
        "snacks",
        0.07,
        29,
        0.5,
        ("Three Squirrels", "Bestore", "Oreo", "Lay's", "Liangpin"),
        ("nuts", "chips", "dried mango"),
    ),
    Category(
        "food",
        "drinks",
        0.05,
        39,
        0.5,
        ("Nongfu Spring", "Nescafe", "Starbucks", "Yili", "Genki Forest"),
        ("coffee beans", "milk", "tea"),
    ),
    Category(
        "books",
        "fiction",
        0.03,
        39,
        0.4,
        ("CITIC Press", "People's Literature", "Penguin", "Yilin"),
        ("novel", "sci-fi", "mystery"),
    ),
    Category(
        "books",
        "children",
        0.02,
        49,
        0.4,
        ("Jieli", "Penguin", "Dolphin", "21st Century"),
        ("picture book", "kids encyclopedia"),
    ),
    Category(
        "mother_baby",
        "diapers",
        0.03,
        129,
        0.35,
        ("Pampers", "Huggies", "Merries", "MamyPoko"),
        ("diapers", "baby wipes"),
    ),
    Category(
        "mother_baby",
        "feeding",
        0.03,
        99,
        0.6,
        ("Pigeon", "Philips Avent", "Hegen", "Aptamil"),
        ("baby bottle", "formula"),
    ),
)

L1_NAMES: tuple[str, ...] = tuple(dict.fromkeys(c.l1 for c in CATEGORIES))

# Items bought together: (anchor category, partner categories), by l2 name. The categories of different
# pairs are disjoint, so an item belongs to at most one bundle (the bundle join never multiplies lines).
BUNDLE_PAIRS: tuple[tuple[str, ...], ...] = (
    ("phones", "accessories", "accessories"),
    ("skincare", "makeup"),
    ("kitchen", "drinks"),
    ("fitness", "shoes"),
    ("fiction", "fiction", "fiction"),
    ("diapers", "feeding"),
)

# Every NEW_ARRIVAL_STRIDE-th item of a category (local index = stride-1 mod stride) launches during the
# period; all others launched before it.
NEW_ARRIVAL_STRIDE = 10


@dataclass(frozen=True)
class CategoryLayout:
    """Where each category's block of items starts and how many items it has, for `n_items` items."""

    n_items: int
    offsets: tuple[int, ...]
    sizes: tuple[int, ...]


@lru_cache(maxsize=16)
def category_layout(n_items: int) -> CategoryLayout:
    """Split `n_items` into category blocks by share; every category gets at least one item."""
    if n_items < len(CATEGORIES):
        raise ValueError(
            f"generator.items must be at least {len(CATEGORIES)} (one per category), got {n_items}"
        )
    sizes = [max(1, math.floor(c.share * n_items)) for c in CATEGORIES]
    # The largest category absorbs rounding so the blocks cover exactly n_items.
    largest = max(range(len(sizes)), key=lambda i: sizes[i])
    sizes[largest] += n_items - sum(sizes)
    offsets = [sum(sizes[:i]) for i in range(len(sizes))]
    return CategoryLayout(n_items=n_items, offsets=tuple(offsets), sizes=tuple(sizes))


def category_index(l2: str) -> int:
    """Position of category `l2` in CATEGORIES."""
    for index, category in enumerate(CATEGORIES):
        if category.l2 == l2:
            return index
    raise KeyError(f"unknown category l2 {l2!r}")


def established_local_index(n: int, stride: int = NEW_ARRIVAL_STRIDE) -> int:
    """The n-th local index (0-based) that is not a new arrival (one in every `stride`, the last of each
    run): bundle members launch before the period."""
    return n + n // (stride - 1)
