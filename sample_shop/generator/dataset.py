"""The whole sample dataset: the generator's transforms composed, from base frames to raw and truth frames."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from sample_shop import columns as TC
from sample_shop.generator import ids
from sample_shop.generator.bots import bot_events, bot_users
from sample_shop.generator.bundles import bundle_members
from sample_shop.generator.campaigns import (
    campaign_assignments,
    campaign_windows,
    planted_uplift,
    raw_assignments,
    raw_campaigns,
    with_campaign,
)
from sample_shop.generator.catalog import NEW_ARRIVAL_STRIDE
from sample_shop.generator.collector import planted_dirt, raw_event_lines, with_collector_fields
from sample_shop.generator.events import EVENT_COLUMNS, plain_events
from sample_shop.generator.funnel import plan_sessions
from sample_shop.generator.items import generate_items, raw_items
from sample_shop.generator.launches import Launches
from sample_shop.generator.orders import order_events, order_lines, orders_from_lines
from sample_shop.generator.post_orders import post_order_events
from sample_shop.generator.sessions import MAX_SESSIONS_PER_DAY, active_user_days, day_sessions
from sample_shop.generator.tastes import TasteChanges
from sample_shop.generator.truth_datasets import (
    truth_bundles,
    truth_campaigns,
    truth_churn,
    truth_event_sessions,
    truth_launches,
    truth_personas,
    truth_taste_changes,
)
from sample_shop.generator.users import (
    generate_users,
    later_users,
    later_users_per_day,
    raw_users,
    with_later_churn,
)
from shop_platform.settings import GeneratorSettings
from transforms import columns as C

# Called with each frame that several outputs are built from, and its name; returns the frame to build on.
Checkpoint = Callable[[DataFrame, str], DataFrame]


def keep_lazy(frame: DataFrame, name: str) -> DataFrame:
    """The `Checkpoint` that keeps nothing: every output recomputes the frames it is built from."""
    return frame


@dataclass(frozen=True)
class GeneratorInputs:
    """Base frames, each `spark.range(n)` (`build_inputs`): users, items, bundles, campaigns, bots, and the
    users who register after the period (none unless the generated days go past it)."""

    users: DataFrame
    items: DataFrame
    bundles: DataFrame
    campaigns: DataFrame
    bots: DataFrame
    later_users: DataFrame


def build_inputs(
    spark: SparkSession, settings: GeneratorSettings, last_day: int | None = None
) -> GeneratorInputs:
    """The base frames the generator starts from, sized by the settings and the last day index generated
    (default the period's last, `settings.days - 1`)."""
    partitions = settings.partitions
    later_days = 0 if last_day is None else max(0, last_day + 1 - settings.days)
    return GeneratorInputs(
        users=spark.range(0, settings.users, numPartitions=partitions),
        items=spark.range(0, settings.items, numPartitions=max(1, min(partitions, settings.items // 1000))),
        bundles=spark.range(0, settings.bundles, numPartitions=1),
        campaigns=spark.range(0, settings.campaigns.count, numPartitions=1),
        # Bots write a large share of all events: one partition each (up to `partitions`) spreads that work.
        bots=spark.range(
            0, settings.dirt.bot_users, numPartitions=max(1, min(partitions, settings.dirt.bot_users))
        ),
        later_users=spark.range(
            0, later_days * later_users_per_day(settings.users, settings.days), numPartitions=partitions
        ),
    )


@dataclass(frozen=True)
class SampleData:
    """Every frame the generator produces. `raw_*` and `truth_*` are written; the rest are for inspection.

    Frames that continue a lake (`continues`) hold the generated days' new rows only: their events, the
    users who registered on them (raw_users, truth_personas) and those who churned on them (truth_churn);
    `plans` and `orders` cover every day from the period's first.
    The datasets fixed by the period (items, campaigns, bundles, launches, taste changes) are then None:
    continuing leaves them as they are. `truth_launches` and `truth_taste_changes` are None too when drift
    (`generator.drift`) is off.
    """

    users: DataFrame
    items: DataFrame
    plans: DataFrame
    orders: DataFrame
    events: DataFrame
    raw_events: DataFrame
    raw_users: DataFrame
    raw_items: DataFrame | None
    raw_campaigns: DataFrame | None
    raw_campaign_assignments: DataFrame | None
    truth_personas: DataFrame
    truth_event_sessions: DataFrame
    truth_bundles: DataFrame | None
    truth_campaigns: DataFrame | None
    truth_churn: DataFrame
    truth_dirt: DataFrame
    truth_launches: DataFrame | None
    truth_taste_changes: DataFrame | None

    @property
    def continues(self) -> bool:
        """Whether the frames continue a lake (only new rows) rather than make one."""
        return self.raw_items is None


def day_numbering(settings: GeneratorSettings) -> ids.DayNumbering:
    """How the settings' users and days are numbered in session, event and order ids."""
    return ids.DayNumbering(
        days=settings.days,
        regular_users=settings.users,
        bots=settings.dirt.bot_users,
        new_per_day=later_users_per_day(settings.users, settings.days),
    )


def check_capacity(settings: GeneratorSettings, last_day: int | None = None) -> None:
    """Fail early when the scale would overflow the 47-bit numbering behind regular session and event ids."""
    last = settings.days - 1 if last_day is None else last_day
    numbers = day_numbering(settings).user_days_through(last) * MAX_SESSIONS_PER_DAY * ids.EVENT_SLOTS
    if numbers >= ids.BOT_NAMESPACE:
        raise ValueError(
            f"generator.users x generator.days = {settings.users * settings.days} "
            f"({last + 1} days generated) is too large for unique event ids "
            f"(limit {ids.BOT_NAMESPACE // (MAX_SESSIONS_PER_DAY * ids.EVENT_SLOTS)} user-days)"
        )


def check_day_range(settings: GeneratorSettings, first_day: int, last_day: int) -> None:
    """A generated range is the period (from day 0) or days after it; it never starts inside it."""
    if not (first_day == 0 or first_day >= settings.days) or last_day < first_day:
        raise ValueError(
            f"days {first_day}..{last_day} of a {settings.days}-day period (generator.days): generate "
            "from day 0, or continue from a day after the period"
        )


def build_sample_data(
    inputs: GeneratorInputs,
    settings: GeneratorSettings,
    timezone: str,
    start_date: dt.date,
    checkpoint: Checkpoint = keep_lazy,
    first_day: int = 0,
    last_day: int | None = None,
) -> SampleData:
    """Compose the generator: users and items, sessions and their events, orders, campaigns, dirt, truth.

    The period (`start_date` and `settings.days`) fixes the population: who registers and churns in
    it, the catalogue's launches, the campaigns. Days after it continue the period: its users keep their
    personas and habits, and churn at a steady pace, new users register at the period's pace, bots keep
    scraping; no campaign runs and no item launches. Every draw is keyed by user, day, session or event,
    so each day's rows are the same whatever range of days is generated, in one run or several. Sessions
    and orders are planned from day 0 even when continuing (not their events): a new day's session hosts
    the refunds and reviews of earlier orders whose user had not come back yet. With `settings.drift`
    on, items launch through the period and draw traffic that fades (`launches`), and some users' favourite
    category changes in it (`tastes`); after the period the launches' pull keeps fading and changed
    tastes stay changed.

    Args:
        inputs: Base frames sized from `settings` (users, items, bundles, campaigns.count, dirt.bot_users)
            and `last_day` (`build_inputs`).
        settings: The `generator` section of the config.
        timezone: The shop's time zone (`app.timezone`): local days, hours and raw partitions.
        start_date: First day of the period (`settings.start_date` unless the job was given a date).
        checkpoint: Applied to the frames that several outputs share, in order "users", "plans",
            "orders" and "events" (with the collector's DATE and DIRT). A checkpoint that materialises
            them (the job's) makes each one computed once and keeps every later plan small; the default
            keeps everything lazy.
        first_day: Day index (0 = `start_date`) of the first day generated: 0, or a day after the period
            to continue a lake that holds the days before it.
        last_day: Day index of the last day generated (default the period's last, `settings.days - 1`).

    Returns:
        SampleData; with the default checkpoint, nothing is computed until a frame is used.
    """
    last_day = settings.days - 1 if last_day is None else last_day
    check_day_range(settings, first_day, last_day)
    check_capacity(settings, last_day)
    seed, days, n_items = settings.seed, settings.days, settings.items
    window = {"start_date": start_date, "days": days}
    campaign = settings.campaigns
    numbering = day_numbering(settings)
    past_period = last_day >= days
    launches = Launches.of(settings, start_date)
    tastes = TasteChanges.of(settings, start_date)
    stride = NEW_ARRIVAL_STRIDE if launches is None else launches.stride

    users = inputs.users.transform(generate_users, seed=seed, churn_share=settings.churn_share, **window)
    per_day = numbering.new_per_day
    if past_period and per_day:
        # As many users churn after the period as register: the shop neither shrinks nor booms.
        users = users.unionByName(
            inputs.later_users.transform(
                later_users,
                seed=seed,
                first_idx=settings.users + settings.dirt.bot_users,
                per_day=per_day,
                **window,
            )
        ).transform(with_later_churn, seed=seed, mean_days=settings.users / per_day, **window)
    users = checkpoint(users, "users")
    bots = inputs.bots.transform(bot_users, seed=seed, first_idx=settings.users, **window)
    items = inputs.items.transform(generate_items, seed=seed, n_items=n_items, **window, launches=launches)
    members = inputs.bundles.transform(
        bundle_members, n_bundles=settings.bundles, n_items=n_items, stride=stride
    )
    campaigns = inputs.campaigns.transform(
        campaign_windows, seed=seed, count=campaign.count, duration_days=campaign.duration_days, **window
    )
    assignments = campaign_assignments(users, campaigns, seed=seed, eligible_share=campaign.eligible_share)

    plans = checkpoint(
        # From day 0 even when continuing: a new day's session can host a review of any earlier order.
        users.transform(active_user_days, seed=seed, last_day=last_day, **window, tastes=tastes)
        .transform(
            day_sessions,
            seed=seed,
            numbering=numbering,
            mean_sessions=settings.mean_sessions_per_active_day,
            timezone=timezone,
        )
        .transform(with_campaign, campaigns=campaigns, seed=seed, eligible_share=campaign.eligible_share)
        .transform(plan_sessions, seed=seed, conversion_lift=campaign.conversion_lift),
        "plans",
    )
    orders = checkpoint(
        plans.transform(order_lines, seed=seed, n_items=n_items, **window, launches=launches).transform(
            orders_from_lines, seed=seed, n_bundles=settings.bundles, n_items=n_items, stride=stride
        ),
        "orders",
    )
    continues = first_day > 0
    first_date, last_date = (F.date_add(F.lit(start_date), day) for day in (first_day, last_day))
    new_plans, new_orders = plans, orders
    post_order = post_order_events(orders, plans, seed=seed)
    if continues:
        new_plans = plans.where(F.col(TC.DAY_IDX) >= F.lit(first_day))
        new_orders = orders.where(F.col(C.EVENT_DATE) >= first_date)
        # A refund or review sits in its host session, which ends before the host day's local midnight.
        local_day = F.to_date(F.from_utc_timestamp(F.col(C.EVENT_TIME), timezone))
        post_order = post_order.where(local_day >= first_date)
    # The collector's decisions (raw folder, defect) are part of the stored events: the raw lines and
    # truth/dirt both read them instead of drawing them twice.
    collected = checkpoint(
        new_plans.transform(plain_events, seed=seed, n_items=n_items, **window, launches=launches)
        .unionByName(new_orders.transform(order_events, seed=seed))
        .unionByName(post_order)
        .unionByName(
            bots.transform(
                bot_events,
                seed=seed,
                first_idx=settings.users,
                events_per_day=settings.dirt.bot_events_per_day,
                n_items=n_items,
                timezone=timezone,
                numbering=numbering,
                **window,
                first_day=first_day,
                last_day=last_day,
                launches=launches,
            )
        )
        .transform(
            with_collector_fields,
            seed=seed,
            late_share=settings.late_event_share,
            dirt=settings.dirt,
            timezone=timezone,
        ),
        "events",
    )
    events = collected.select(*EVENT_COLUMNS)
    all_users = users.unionByName(bots)
    # What the generated days add: from day 0, every user; after the period, those registering on them.
    # Churn dates after the period reach past the generated days: only those on them are planted yet.
    registering = all_users.where(F.col(C.REGISTRATION_DATE) >= first_date) if continues else all_users
    churning = users.where(F.col(TC.CHURN_DATE).between(first_date, last_date)) if past_period else users
    return SampleData(
        users=all_users,
        items=items,
        plans=plans,
        orders=orders,
        events=events,
        raw_events=raw_event_lines(collected, seed=seed),
        raw_users=raw_users(registering),
        raw_items=None if continues else raw_items(items),
        raw_campaigns=None if continues else raw_campaigns(campaigns),
        raw_campaign_assignments=None if continues else raw_assignments(assignments),
        truth_personas=truth_personas(registering),
        truth_event_sessions=truth_event_sessions(events),
        truth_bundles=None if continues else truth_bundles(members),
        truth_campaigns=None
        if continues
        else truth_campaigns(assignments, planted_uplift(plans, assignments, campaign.conversion_lift)),
        truth_churn=truth_churn(churning),
        truth_dirt=planted_dirt(collected),
        truth_launches=None if continues or launches is None else truth_launches(items, start_date),
        truth_taste_changes=None
        if continues or tastes is None
        else truth_taste_changes(users.transform(tastes.with_changes), start_date),
    )
