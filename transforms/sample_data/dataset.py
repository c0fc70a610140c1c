"""The whole sample dataset: the generator's transforms composed, from base frames to raw and truth frames."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from pyspark.sql import DataFrame

from shop_platform.settings import GeneratorSettings
from transforms.sample_data import ids
from transforms.sample_data.bots import bot_events, bot_users
from transforms.sample_data.bundles import bundle_members
from transforms.sample_data.campaigns import (
    campaign_assignments,
    campaign_windows,
    planted_uplift,
    raw_assignments,
    raw_campaigns,
    with_campaign,
)
from transforms.sample_data.collector import planted_dirt, raw_event_lines, with_collector_fields
from transforms.sample_data.events import EVENT_COLUMNS, plain_events
from transforms.sample_data.funnel import plan_sessions
from transforms.sample_data.items import generate_items, raw_items
from transforms.sample_data.orders import order_events, order_lines, orders_from_lines
from transforms.sample_data.post_orders import post_order_events
from transforms.sample_data.sessions import MAX_SESSIONS_PER_DAY, active_user_days, day_sessions
from transforms.sample_data.truth import (
    truth_bundles,
    truth_campaigns,
    truth_churn,
    truth_event_sessions,
    truth_personas,
)
from transforms.sample_data.users import generate_users, raw_users

# Called with each frame that several outputs are built from, and its name; returns the frame to build on.
Checkpoint = Callable[[DataFrame, str], DataFrame]


def keep_lazy(frame: DataFrame, name: str) -> DataFrame:
    """The `Checkpoint` that keeps nothing: every output recomputes the frames it is built from."""
    return frame


@dataclass(frozen=True)
class GeneratorInputs:
    """Base frames, each `spark.range(n)` built by the job: users, items, bundles, campaigns, bots."""

    users: DataFrame
    items: DataFrame
    bundles: DataFrame
    campaigns: DataFrame
    bots: DataFrame


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
