"""What happens in a session: its conversion probability, how far down the funnel it goes, and when.

A session browses (page views, searches, favourites), may put 1-3 items in the cart (each preceded by
its product page), may remove one, and converts with probability P_ORDER into an order, which is
usually paid. Events are spread over a span of at most REGULAR_SPAN_MAX_MS.
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from sample_shop import columns as TC
from sample_shop.generator.codegen import split_codegen
from sample_shop.generator.personas import by_persona
from sample_shop.generator.random import choice, geometric, lognormal, uniform
from transforms import columns as C

MAX_ORDER_PROB = 0.95
MAX_BROWSE = 30
# Channels differ in intent: someone arriving directly or from a search engine buys more readily.
CHANNEL_CONVERSION = {"direct": 1.15, "search_engine": 1.1, "social": 0.8, "push": 1.0, "ads": 0.85}
MEAN_EVENT_GAP_MS = 35_000
# Regular events end within this span after the session start; post-order events (refunds, reviews)
# placed in a later session come within POST_ORDER_WINDOW_MS after that, so a whole session stays under
# sessions.SESSION_MAX_MINUTES.
REGULAR_SPAN_MAX_MS = 21 * 60_000
POST_ORDER_WINDOW_MS = 3 * 60_000

PLAN_COLUMNS = (
    TC.P_BASE,
    TC.P_ORDER,
    TC.ORDERED,
    TC.N_BROWSE,
    TC.N_CART,
    TC.REMOVED,
    TC.PAID,
    TC.N_PLAIN,
    TC.N_TOTAL,
    TC.SPAN_MS,
)
# An event's offset into the span is (position + EVENT_JITTER * u) / N_TOTAL of it: strictly increasing
# with position, gaps between 1 - EVENT_JITTER and 1 + EVENT_JITTER times the mean.
EVENT_JITTER = 0.9


def lifted_probability(p: Column, conversion_lift: float) -> Column:
    """A treated session's conversion probability: p * (1 + lift), capped at MAX_ORDER_PROB."""
    return F.least(p * F.lit(1.0 + conversion_lift), F.lit(MAX_ORDER_PROB))


def _channel_factor() -> Column:
    pairs = [F.lit(x) for channel, value in CHANNEL_CONVERSION.items() for x in (channel, value)]
    return F.coalesce(F.create_map(*pairs)[F.col(C.CHANNEL)], F.lit(1.0))


def plan_sessions(sessions: DataFrame, seed: int, conversion_lift: float) -> DataFrame:
    """Add the session's funnel plan and event timing (PLAN_COLUMNS) to sessions with TREATED.

    P_BASE is the persona's order probability times the channel factor times the user's propensity;
    treated sessions convert with the lifted probability P_ORDER. N_PLAIN counts the events before the
    order, N_TOTAL all regular events (with order and pay); they all fall within SPAN_MS of the start.
    """
    key = TC.SESSION_NO
    p_base = F.least(
        by_persona(lambda p: p.order_prob) * _channel_factor() * F.col(TC.PROPENSITY), F.lit(MAX_ORDER_PROB)
    )
    p_order = F.when(F.col(TC.TREATED), lifted_probability(F.col(TC.P_BASE), conversion_lift)).otherwise(
        F.col(TC.P_BASE)
    )
    ordered = uniform(seed, "order", key) < F.col(TC.P_ORDER)
    adds_anyway = uniform(seed, "abandoned_cart", key) < by_persona(lambda p: p.cart_prob)
    n_cart = (
        F.when(
            F.col(TC.ORDERED), F.lit(1) + choice(uniform(seed, "cart_size", key), [0, 1, 2], [0.6, 0.3, 0.1])
        )
        .when(adds_anyway, F.lit(1) + choice(uniform(seed, "cart_size", key), [0, 1], [0.75, 0.25]))
        .otherwise(F.lit(0))
    )
    remove_draw = uniform(seed, "remove", key)
    # An order keeps at least one item, so only a cart of two or more loses one before ordering.
    removed = F.when(F.col(TC.ORDERED), (F.col(TC.N_CART) >= 2) & (remove_draw < F.lit(0.2))).otherwise(
        (F.col(TC.N_CART) >= 1) & (remove_draw < F.lit(0.3))
    )
    paid = F.col(TC.ORDERED) & (uniform(seed, "pay", key) < by_persona(lambda p: p.pay_prob))
    n_browse = F.least(
        F.lit(1) + geometric(uniform(seed, "browse", key), by_persona(lambda p: p.browse_mean - 1.0)),
        F.lit(MAX_BROWSE),
    )
    n_plain = F.col(TC.N_BROWSE) + F.lit(2) * F.col(TC.N_CART) + F.col(TC.REMOVED).cast("int")
    n_total = F.col(TC.N_PLAIN) + F.col(TC.ORDERED).cast("int") + F.col(TC.PAID).cast("int")
    span = F.least(
        F.floor(F.col(TC.N_TOTAL) * F.lit(MEAN_EVENT_GAP_MS) * lognormal(seed, "span", -0.125, 0.5, key)),
        F.lit(REGULAR_SPAN_MAX_MS),
    )
    # The split points keep each generated method small enough for the JIT (see `codegen`).
    return (
        sessions.transform(split_codegen)
        .select("*", p_base.alias(TC.P_BASE))
        .select("*", p_order.alias(TC.P_ORDER))
        .select("*", ordered.alias(TC.ORDERED))
        .select("*", n_cart.cast("int").alias(TC.N_CART), n_browse.cast("int").alias(TC.N_BROWSE))
        .transform(split_codegen)
        .select("*", removed.alias(TC.REMOVED), paid.alias(TC.PAID))
        .select("*", n_plain.alias(TC.N_PLAIN))
        .select("*", n_total.alias(TC.N_TOTAL))
        .select("*", span.cast("long").alias(TC.SPAN_MS))
        .select(*sessions.columns, *PLAN_COLUMNS)
    )


def event_time_ms(seed: int, pos: Column) -> Column:
    """Epoch milliseconds of the session's event at 0-based position `pos` (needs SESSION_NO,
    SESSION_START_MS, SPAN_MS, N_TOTAL): always inside the span, strictly increasing with position."""
    jitter = F.lit(EVENT_JITTER) * uniform(seed, "event_time", TC.SESSION_NO, pos.cast("int"))
    share = (pos.cast("double") + jitter) / F.col(TC.N_TOTAL)
    return F.col(TC.SESSION_START_MS) + F.floor(share * F.col(TC.SPAN_MS)).cast("long")


def session_end_ms() -> Column:
    """When the session's regular events are over: its start plus its span."""
    return F.col(TC.SESSION_START_MS) + F.col(TC.SPAN_MS)
