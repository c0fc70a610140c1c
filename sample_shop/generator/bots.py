"""Bot users: registered accounts that scrape product pages all day, seconds apart, every day.

Their events are real lines in the raw files (the pipeline has to find them by their inhuman rate);
`truth/personas` marks them with persona "bot", and each bot-day is one session in `truth/event_sessions`.
"""

from __future__ import annotations

import datetime as dt

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from sample_shop import columns as TC
from sample_shop.generator import ids
from sample_shop.generator.catalog import CATEGORIES
from sample_shop.generator.codegen import split_codegen
from sample_shop.generator.events import event_record
from sample_shop.generator.items import category_of, local_index, on_sale
from sample_shop.generator.launches import Launches
from sample_shop.generator.literals import nth
from sample_shop.generator.personas import BOT
from sample_shop.generator.random import uniform
from sample_shop.generator.sessions import local_midnight_ms
from sample_shop.generator.users import USER_COLUMNS, with_profile
from transforms import columns as C
from transforms import vocabulary as V

# A bot-day's events are at most BOT_EVENT_IDS apart in the event numbering.
BOT_EVENT_IDS = 1 << 16
BOT_MAX_STEP_MS = 10_000
# A bot starts between 00:30 and 01:30 local time and spreads its events over at most this long.
BOT_DAY_MS = 20 * 3_600_000
BOT_SEARCH_SHARE = 0.15
_START, _SEARCH = "_bot_start", "_bot_search"


def bot_users(base: DataFrame, seed: int, first_idx: int, start_date: dt.date, days: int) -> DataFrame:
    """Bot accounts from `base` = `spark.range(bot_users)`, numbered after the regular users.

    Returns:
        USER_COLUMNS with PERSONA = "bot", registered before the period, never churning.
    """
    return (
        base.select((F.col(TC.RANGE_ID) + F.lit(first_idx)).alias(C.USER_IDX), F.lit(BOT).alias(TC.PERSONA))
        .transform(with_profile, seed=seed, start_date=start_date, days=days, new_user_share=0.0)
        .select(
            *[
                c
                for c in USER_COLUMNS
                if c not in (TC.ACTIVITY, TC.PROPENSITY, TC.FAVOURITE_CATEGORY, TC.CHURN_DATE)
            ],
            F.lit(None).cast("double").alias(TC.ACTIVITY),
            F.lit(None).cast("double").alias(TC.PROPENSITY),
            F.lit(None).cast("int").alias(TC.FAVOURITE_CATEGORY),
            F.lit(None).cast("date").alias(TC.CHURN_DATE),
        )
        .select(*USER_COLUMNS)
    )


def bot_events(
    bots: DataFrame,
    seed: int,
    first_idx: int,
    start_date: dt.date,
    days: int,
    events_per_day: int,
    n_items: int,
    timezone: str,
    numbering: ids.DayNumbering,
    first_day: int = 0,
    last_day: int | None = None,
    launches: Launches | None = None,
) -> DataFrame:
    """`events_per_day` events per bot and day: product page views of random items, and some searches.

    Events are a fixed step apart plus jitter below 80% of the step, so they are strictly increasing,
    at most 1.8 steps (18 s) apart, and the day's run ends well before the next day's starts. Bots work
    every day from `first_day` to `last_day` (day indexes, default the period's), numbered by `numbering`.
    They view only launched items: of the drifting catalogue when `launches` is given.

    Returns:
        EVENT_COLUMNS.
    """
    if not 0 < events_per_day < BOT_EVENT_IDS:
        raise ValueError(
            f"generator.dirt.bot_events_per_day must be in 1..{BOT_EVENT_IDS - 1}, got {events_per_day}"
        )
    step_ms = min(BOT_MAX_STEP_MS, BOT_DAY_MS // events_per_day)
    bot_day = numbering.bot_day(F.col(C.USER_IDX) - F.lit(first_idx), F.col(TC.DAY_IDX))
    last = days - 1 if last_day is None else last_day
    k = F.col(TC.EVENT_POS)
    number = F.lit(ids.BOT_NAMESPACE) + bot_day * F.lit(BOT_EVENT_IDS) + k
    start = (
        local_midnight_ms(F.col(C.EVENT_DATE), timezone)
        + F.lit(1_800_000)
        + F.floor(uniform(seed, "bot_start", C.USER_IDX, TC.DAY_IDX) * F.lit(3_600_000))
    )
    jitter = F.floor(uniform(seed, "bot_jitter", number) * F.lit(0.8 * step_ms))
    searches = F.col(_SEARCH)
    if launches is None:
        item = on_sale(seed, F.col(C.ITEM_IDX), F.col(C.EVENT_DATE), n_items, start_date, days)
    else:
        idx = F.col(C.ITEM_IDX)
        item = launches.on_sale(idx, local_index(idx, n_items), category_of(idx, n_items), F.col(TC.DAY_IDX))
    all_keywords = [k for c in CATEGORIES for k in c.keywords]
    keyword = nth(all_keywords, F.floor(uniform(seed, "bot_keyword", number) * F.lit(len(all_keywords))))
    # Small steps with a split keep each generated method small enough for the JIT (see `codegen`).
    return (
        bots.select(
            C.USER_IDX,
            C.USER_ID,
            F.explode(F.sequence(F.lit(first_day), F.lit(last))).alias(TC.DAY_IDX),
        )
        .select("*", F.date_add(F.lit(start_date), F.col(TC.DAY_IDX)).alias(C.EVENT_DATE))
        # Once per bot-day: its session and the start of its run.
        .select(
            "*",
            ids.session_id(F.lit(ids.BOT_NAMESPACE) + bot_day).alias(C.SESSION_ID),
            start.alias(_START),
        )
        .select("*", F.explode(F.sequence(F.lit(0), F.lit(events_per_day - 1))).alias(TC.EVENT_POS))
        .select(
            "*",
            F.floor(uniform(seed, "bot_item", number) * F.lit(n_items)).cast("long").alias(C.ITEM_IDX),
            (uniform(seed, "bot_kind", number) < F.lit(BOT_SEARCH_SHARE)).alias(_SEARCH),
        )
        .select("*", F.when(~searches, ids.item_id(item, n_items)).alias(C.ITEM_ID))
        .transform(split_codegen)
        .select(
            *event_record(
                {
                    C.SESSION_ID: F.col(C.SESSION_ID),
                    C.EVENT_ID: ids.event_id(number),
                    C.USER_ID: F.col(C.USER_ID),
                    C.EVENT_TYPE: F.when(searches, F.lit(V.SEARCH)).otherwise(F.lit(V.PAGE_VIEW)),
                    C.EVENT_TIME: F.timestamp_millis(F.col(_START) + k * F.lit(step_ms) + jitter),
                    C.DEVICE: F.lit("web"),
                    C.CHANNEL: F.lit("direct"),
                    C.PAGE_TYPE: F.when(~searches, F.lit(V.PAGE_PRODUCT)),
                    C.ITEM_ID: F.col(C.ITEM_ID),
                    C.KEYWORD: F.when(searches, keyword),
                }
            )
        )
    )
