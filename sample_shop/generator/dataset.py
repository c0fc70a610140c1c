"""The whole sample dataset: the generator's transforms composed, from base frames to raw and truth frames."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from pyspark.sql import DataFrame, SparkSession

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
from sample_shop.generator.collector import planted_dirt, raw_event_lines, with_collector_fields
from sample_shop.generator.events import EVENT_COLUMNS, plain_events
from sample_shop.generator.funnel import plan_sessions
from sample_shop.generator.items import generate_items, raw_items
from sample_shop.generator.orders import order_events, order_lines, orders_from_lines
from sample_shop.generator.post_orders import post_order_events
from sample_shop.generator.sessions import MAX_SESSIONS_PER_DAY, active_user_days, day_sessions
from sample_shop.generator.truth_datasets import (
    truth_bundles,
    truth_campaigns,
    truth_churn,
    truth_event_sessions,
    truth_personas,
)
from sample_shop.generator.users import generate_users, raw_users
from shop_platform.settings import GeneratorSettings

# Called with each frame that several outputs are built from, and its name; returns the frame to build on.
Checkpoint = Callable[[DataFrame, str], DataFrame]


def keep_lazy(frame: DataFrame, name: str) -> DataFrame:
    """The `Checkpoint` that keeps nothing: every output recomputes the frames it is built from."""
    return frame


@dataclass(frozen=True)
class GeneratorInputs:
    """Base frames, each `spark.range(n)` (`build_inputs`): users, items, bundles, campaigns, bots."""

    users: DataFrame
    items: DataFrame
    bundles: DataFrame
    campaigns: DataFrame
    bots: DataFrame


def build_inputs(spark: SparkSession, settings: GeneratorSettings) -> GeneratorInputs:
    """The base frames the generator starts from, sized by the settings."""
    partitions = settings.partitions
    return GeneratorInputs(
        users=spark.range(0, settings.users, numPartitions=partitions),
        items=spark.range(0, settings.items, numPartitions=max(1, min(partitions, settings.items // 1000))),
        bundles=spark.range(0, settings.bundles, numPartitions=1),
        campaigns=spark.range(0, settings.campaigns.count, numPartitions=1),
        # Bots write a large share of all events: one partition each (up to `partitions`) spreads that work.
        bots=spark.range(
            0, settings.dirt.bot_users, numPartitions=max(1, min(partitions, settings.dirt.bot_users))
        ),
    )


@dataclass(frozen=True)
class SampleData:
    """Every frame the generator produces. `raw_*` and `truth_*` are written; the rest are for inspection."""

    users: DataFrame
    items: DataFrame
    plans: DataFrame
    orders: DataFrame
    events: DataFrame
    raw_events: DataFrame
    raw_users: DataFrame
    raw_items: DataFrame
    raw_campaigns: DataFrame
    raw_campaign_assignments: DataFrame
    truth_personas: DataFrame
    truth_event_sessions: DataFrame
    truth_bundles: DataFrame
    truth_campaigns: DataFrame
    truth_churn: DataFrame
    truth_dirt: DataFrame


def check_capacity(settings: GeneratorSettings) -> None:
    """Fail early when the scale would overflow the 47-bit numbering behind regular session and event ids."""
    numbers = settings.users * settings.days * MAX_SESSIONS_PER_DAY * ids.EVENT_SLOTS
    if numbers >= ids.BOT_NAMESPACE:
        raise ValueError(
            f"generator.users x generator.days = {settings.users * settings.days} is too large for unique "
            f"event ids (limit {ids.BOT_NAMESPACE // (MAX_SESSIONS_PER_DAY * ids.EVENT_SLOTS)})"
        )


def build_sample_data(
    inputs: GeneratorInputs,
    settings: GeneratorSettings,
    timezone: str,
    start_date: dt.date,
    checkpoint: Checkpoint = keep_lazy,
) -> SampleData:
    """Compose the generator: users and items, sessions and their events, orders, campaigns, dirt, truth.

    Args:
        inputs: Base frames sized from `settings` (users, items, bundles, campaigns.count, dirt.bot_users).
        settings: The `generator` section of the config.
        timezone: The shop's time zone (`app.timezone`): local days, hours and raw partitions.
        start_date: First day of the period (`settings.start_date` unless the job was given a date).
        checkpoint: Applied to the frames that several outputs share, in order "users", "plans",
            "orders" and "events" (with the collector's DATE and DIRT). A checkpoint that materialises
            them (the job's) makes each one computed once and keeps every later plan small; the default
            keeps everything lazy.

    Returns:
        SampleData; with the default checkpoint, nothing is computed until a frame is used.
    """
    check_capacity(settings)
    seed, days, n_items = settings.seed, settings.days, settings.items
    window = {"start_date": start_date, "days": days}
    campaign = settings.campaigns

    users = checkpoint(
        inputs.users.transform(generate_users, seed=seed, churn_share=settings.churn_share, **window), "users"
    )
    bots = inputs.bots.transform(bot_users, seed=seed, first_idx=settings.users, **window)
    items = inputs.items.transform(generate_items, seed=seed, n_items=n_items, **window)
    members = inputs.bundles.transform(bundle_members, n_bundles=settings.bundles, n_items=n_items)
    campaigns = inputs.campaigns.transform(
        campaign_windows, seed=seed, count=campaign.count, duration_days=campaign.duration_days, **window
    )
    assignments = campaign_assignments(users, campaigns, seed=seed, eligible_share=campaign.eligible_share)

    plans = checkpoint(
        users.transform(active_user_days, seed=seed, **window)
        .transform(
            day_sessions,
            seed=seed,
            days=days,
            mean_sessions=settings.mean_sessions_per_active_day,
            timezone=timezone,
        )
        .transform(with_campaign, campaigns=campaigns, seed=seed, eligible_share=campaign.eligible_share)
        .transform(plan_sessions, seed=seed, conversion_lift=campaign.conversion_lift),
        "plans",
    )
    orders = checkpoint(
        plans.transform(order_lines, seed=seed, n_items=n_items, **window).transform(
            orders_from_lines, seed=seed, n_bundles=settings.bundles, n_items=n_items
        ),
        "orders",
    )
    # The collector's decisions (raw folder, defect) are part of the stored events: the raw lines and
    # truth/dirt both read them instead of drawing them twice.
    collected = checkpoint(
        plans.transform(plain_events, seed=seed, n_items=n_items, **window)
        .unionByName(orders.transform(order_events, seed=seed))
        .unionByName(post_order_events(orders, plans, seed=seed))
        .unionByName(
            bots.transform(
                bot_events,
                seed=seed,
                first_idx=settings.users,
                events_per_day=settings.dirt.bot_events_per_day,
                n_items=n_items,
                timezone=timezone,
                **window,
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
    return SampleData(
        users=all_users,
        items=items,
        plans=plans,
        orders=orders,
        events=events,
        raw_events=raw_event_lines(collected, seed=seed),
        raw_users=raw_users(all_users),
        raw_items=raw_items(items),
        raw_campaigns=raw_campaigns(campaigns),
        raw_campaign_assignments=raw_assignments(assignments),
        truth_personas=truth_personas(all_users),
        truth_event_sessions=truth_event_sessions(events),
        truth_bundles=truth_bundles(members),
        truth_campaigns=truth_campaigns(
            assignments, planted_uplift(plans, assignments, campaign.conversion_lift)
        ),
        truth_churn=truth_churn(users),
        truth_dirt=planted_dirt(collected),
    )
