"""The hidden personas as data, and `by_persona` to turn a persona attribute into a column expression.

A persona drives how often a user comes back, when, what they browse and how readily they buy. Analysts
never see it in raw data; `truth/personas` records it so segmentation can be scored.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from pyspark.sql import Column
from pyspark.sql import functions as F

from sample_shop import columns as TC
from sample_shop.generator.catalog import CATEGORIES, L1_NAMES
from sample_shop.generator.literals import literal_array, nth
from sample_shop.generator.random import choice_table, table_choice
from transforms.vocabulary import CHANNELS

BOT = "bot"

# Relative weight of each local hour 0..23 of starting a session.
EVENING = (2, 1, 0.5, 0.3, 0.2, 0.3, 0.8, 1.5, 2, 2, 2.5, 3, 4, 3.5, 2.5, 2.5, 2.5, 3, 4, 6, 7.5, 8, 7, 4)
COMMUTER = (1, 0.5, 0.3, 0.2, 0.2, 0.5, 2, 5, 6, 3, 2.5, 3, 5, 4, 2, 2, 2.5, 3.5, 5, 6, 6.5, 6, 4, 2)
NIGHT_OWL = (6, 5, 3, 1.5, 0.5, 0.3, 0.3, 0.5, 1, 1.5, 2, 2.5, 3, 3, 2.5, 2.5, 3, 3, 3.5, 4.5, 6, 7.5, 8.5, 8)
DAYTIME = (
    0.5,
    0.3,
    0.2,
    0.1,
    0.1,
    0.2,
    0.6,
    1.5,
    2.5,
    3.5,
    4.5,
    5,
    5,
    4.5,
    4.5,
    4.5,
    4.5,
    4.5,
    4.5,
    5,
    5,
    4.5,
    3,
    1.5,
)


@dataclass(frozen=True)
class Persona:
    name: str
    # Share of (non-bot) users with this persona.
    share: float
    # Chance that a given weekday is an active day, and the multiplier on it for Saturday and Sunday.
    active_day_prob: float
    weekend_factor: float
    hour_weights: tuple[float, ...]
    # Mean number of browsing events (page views, searches, favourites) per session.
    browse_mean: float
    # Chance that a session that does not convert still adds something to the cart.
    cart_prob: float
    # Per-session chance of placing an order, before channel, user propensity and campaign lift.
    order_prob: float
    pay_prob: float
    coupon_prob: float
    # -1 takes the cheaper of two candidate items, +1 the dearer, 0 the first.
    price_tilt: int
    # Popularity concentration of the items this persona picks (higher follows the crowd more).
    zipf_exponent: float
    # Chance a product pick is from the user's favourite brand of that category.
    brand_loyalty: float
    # Chance a product pick is a new arrival (launched during the period and already on sale).
    new_arrival_affinity: float
    category_weights: Mapping[str, float]
    channel_weights: Mapping[str, float]
    refund_prob: float
    review_prob: float
    always_churns: bool = False


def _l1(electronics, apparel, sports, beauty, home, food, books, mother_baby) -> dict[str, float]:
    return dict(
        zip(L1_NAMES, (electronics, apparel, sports, beauty, home, food, books, mother_baby), strict=True)
    )


def _channels(direct, search_engine, social, push, ads) -> dict[str, float]:
    return dict(zip(CHANNELS, (direct, search_engine, social, push, ads), strict=True))


# fmt: off
PERSONAS: tuple[Persona, ...] = (
    Persona(
        name="bargain_hunter", share=0.22, active_day_prob=0.32, weekend_factor=1.25, hour_weights=EVENING,
        browse_mean=10, cart_prob=0.30, order_prob=0.055, pay_prob=0.93, coupon_prob=0.70, price_tilt=-1,
        zipf_exponent=0.95, brand_loyalty=0.05, new_arrival_affinity=0.03,
        category_weights=_l1(electronics=0.5, apparel=1.0, sports=0.5, beauty=0.8, home=1.5, food=2.0, books=0.8,
                             mother_baby=1.0),
        channel_weights=_channels(direct=0.30, search_engine=0.15, social=0.15, push=0.25, ads=0.15),
        refund_prob=0.05, review_prob=0.25,
    ),
    Persona(
        name="brand_loyalist", share=0.14, active_day_prob=0.26, weekend_factor=1.0, hour_weights=COMMUTER,
        browse_mean=6, cart_prob=0.25, order_prob=0.085, pay_prob=0.95, coupon_prob=0.15, price_tilt=0,
        zipf_exponent=1.1, brand_loyalty=0.75, new_arrival_affinity=0.05,
        category_weights=_l1(electronics=2.0, apparel=1.2, sports=0.8, beauty=1.5, home=0.6, food=0.4, books=0.4,
                             mother_baby=0.6),
        channel_weights=_channels(direct=0.50, search_engine=0.20, social=0.10, push=0.15, ads=0.05),
        refund_prob=0.03, review_prob=0.35,
    ),
    Persona(
        name="trend_seeker", share=0.15, active_day_prob=0.36, weekend_factor=1.4, hour_weights=NIGHT_OWL,
        browse_mean=12, cart_prob=0.22, order_prob=0.045, pay_prob=0.90, coupon_prob=0.25, price_tilt=0,
        zipf_exponent=1.4, brand_loyalty=0.15, new_arrival_affinity=0.40,
        category_weights=_l1(electronics=1.2, apparel=2.0, sports=1.0, beauty=1.8, home=0.4, food=0.6, books=0.3,
                             mother_baby=0.2),
        channel_weights=_channels(direct=0.20, search_engine=0.10, social=0.45, push=0.10, ads=0.15),
        refund_prob=0.08, review_prob=0.30,
    ),
    Persona(
        name="high_value_regular", share=0.12, active_day_prob=0.45, weekend_factor=0.9, hour_weights=COMMUTER,
        browse_mean=7, cart_prob=0.30, order_prob=0.14, pay_prob=0.97, coupon_prob=0.10, price_tilt=1,
        zipf_exponent=1.1, brand_loyalty=0.30, new_arrival_affinity=0.10,
        category_weights=_l1(electronics=1.8, apparel=1.2, sports=0.8, beauty=1.0, home=1.5, food=0.8, books=0.6,
                             mother_baby=1.2),
        channel_weights=_channels(direct=0.55, search_engine=0.15, social=0.05, push=0.20, ads=0.05),
        refund_prob=0.03, review_prob=0.40,
    ),
    Persona(
        name="casual_browser", share=0.27, active_day_prob=0.12, weekend_factor=1.5, hour_weights=DAYTIME,
        browse_mean=5, cart_prob=0.12, order_prob=0.015, pay_prob=0.88, coupon_prob=0.20, price_tilt=0,
        zipf_exponent=0.9, brand_loyalty=0.05, new_arrival_affinity=0.05,
        category_weights=_l1(electronics=0.8, apparel=1.0, sports=0.8, beauty=0.8, home=1.0, food=1.0, books=1.5,
                             mother_baby=0.6),
        channel_weights=_channels(direct=0.25, search_engine=0.25, social=0.20, push=0.10, ads=0.20),
        refund_prob=0.06, review_prob=0.15,
    ),
    Persona(
        name="churning", share=0.10, active_day_prob=0.28, weekend_factor=1.0, hour_weights=EVENING,
        browse_mean=6, cart_prob=0.20, order_prob=0.04, pay_prob=0.90, coupon_prob=0.30, price_tilt=0,
        zipf_exponent=1.05, brand_loyalty=0.10, new_arrival_affinity=0.05,
        category_weights=_l1(electronics=1, apparel=1, sports=1, beauty=1, home=1, food=1, books=1, mother_baby=1),
        channel_weights=_channels(direct=0.30, search_engine=0.20, social=0.20, push=0.15, ads=0.15),
        refund_prob=0.10, review_prob=0.20, always_churns=True,
    ),
)
# fmt: on
PERSONA_NAMES: tuple[str, ...] = tuple(p.name for p in PERSONAS)
# random.zipf_rank takes a column exponent only away from 1 (where its formula has a removable 0/0).
if any(abs(p.zipf_exponent - 1.0) < 1e-3 for p in PERSONAS):
    raise ValueError("persona zipf_exponent must not be 1; use e.g. 0.95 or 1.05")


def persona_position(persona: str = TC.PERSONA) -> Column:
    """1-based position of the row's persona in PERSONAS; null for any other persona (e.g. bots)."""
    position = F.array_position(literal_array(PERSONA_NAMES), F.col(persona)).cast("int")
    return F.nullif(position, F.lit(0))


def by_persona(attribute: Callable[[Persona], object], persona: str = TC.PERSONA) -> Column:
    """The row's persona's `attribute(p)`, a number, bool or string (null for any other persona, e.g. bots).

    One lookup in a literal array (see `literals`): the generator uses dozens of persona attributes per
    row, and both a CASE per persona and per-element literals made plans and generated code too big.

    Args:
        attribute: Maps a Persona to a plain value.
        persona: The column holding the persona name.
    """
    return F.element_at(literal_array([attribute(p) for p in PERSONAS]), persona_position(persona))


def category_weights(persona: Persona) -> list[float]:
    """The persona's weight on each category: its l1 weight spread over the l1's categories by item share."""
    l1_totals = {l1: sum(c.share for c in CATEGORIES if c.l1 == l1) for l1 in L1_NAMES}
    return [persona.category_weights[c.l1] * c.share / l1_totals[c.l1] for c in CATEGORIES]


def weekend_hour_weights(persona: Persona) -> list[float]:
    """Weekends blend the persona's hours half-and-half with a daytime profile (no commute, later nights)."""
    weekday_total = sum(persona.hour_weights)
    day_total = sum(DAYTIME)
    return [
        0.5 * w / weekday_total + 0.5 * d / day_total
        for w, d in zip(persona.hour_weights, DAYTIME, strict=True)
    ]


def persona_choice(
    u: Column, values: Sequence[object], weights_of: Callable[[Persona], Sequence[float]]
) -> Column:
    """One of `values`, drawn by the uniform `u` with the row's persona's weights `weights_of(persona)`.

    Uses the personas' inverse-CDF tables (`random.choice_table`), laid end to end in one literal
    array: one array lookup per row.
    """
    tables = literal_array([i for p in PERSONAS for i in choice_table(weights_of(p))])
    index = table_choice(u, tables, persona_position() - F.lit(1))
    return nth(values, index)
