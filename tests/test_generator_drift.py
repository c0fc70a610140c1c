"""The generator's drift mode (`generator.drift`): launches that pull traffic and fade, new items that do not
exist before their launch day, favourite categories that change; and drift off changes nothing.

The picks here are the generator's own (`with_item_pick`, `active_user_days`, `pick_category`) over small
hand-made frames, so a month of picks costs seconds, not a generated shop.
"""

from __future__ import annotations

import datetime as dt

import pytest
from pyspark.sql import functions as F
from scipy.stats import spearmanr

from sample_shop.generator.catalog import CATEGORIES, category_layout
from sample_shop.generator.items import generate_items, pick_category, with_item_pick
from sample_shop.generator.launches import Launches
from sample_shop.generator.literals import nth
from sample_shop.generator.materialise import GeneratedDays, shaping_settings
from sample_shop.generator.personas import PERSONA_NAMES
from sample_shop.generator.sessions import active_user_days
from sample_shop.generator.tastes import TasteChanges
from sample_shop.generator.truth_datasets import truth_taste_changes
from sample_shop.generator.users import generate_users
from shop_platform.config import ConfigError, load_config

START = dt.date(2026, 10, 1)
DAYS = 28
ITEMS = 400
DRIFT = ("generator.drift.enabled=true",)
# Four categories of different sizes (20, 32, 16 and 16 items at 400 items), 3,000 picks a week.
CATEGORY_IDS = (0, 1, 2, 3)
PICKS = 12_000


def settings_of(*overrides: str):
    return load_config("local", [f"generator.items={ITEMS}", f"generator.days={DAYS}", *overrides]).generator


def picks(spark, launches: Launches | None):
    """PICKS product picks spread evenly over the days, users of every persona and CATEGORY_IDS."""
    settings = settings_of()
    key = F.col("id")
    frame = spark.range(PICKS, numPartitions=2).select(
        key.alias("key"),
        F.pmod(key, F.lit(97)).alias("user_idx"),
        nth(PERSONA_NAMES, F.pmod(key, F.lit(len(PERSONA_NAMES)))).alias("persona"),
        F.date_add(F.lit(START), F.pmod(key, F.lit(DAYS)).cast("int")).alias("event_date"),
        nth(CATEGORY_IDS, F.pmod(F.floor(key / F.lit(DAYS)), F.lit(len(CATEGORY_IDS)))).alias("category"),
    )
    return with_item_pick(
        frame, settings.seed, ("key",), "category", "item_idx", ITEMS, START, DAYS, launches=launches
    )


def catalogue(spark, launches: Launches | None):
    return generate_items(spark.range(ITEMS), settings_of().seed, ITEMS, START, DAYS, launches=launches)


def week_counts(picked) -> list:
    """Picks per item in the first and in the last week (FIRST, LAST), for items picked in either."""
    day = F.datediff("event_date", F.lit(START))
    return (
        picked.where((day < 7) | (day >= DAYS - 7))
        .groupBy("item_idx")
        .agg(F.sum((day < 7).cast("int")).alias("first"), F.sum((day >= 7).cast("int")).alias("last"))
        .collect()
    )


def rank_correlation(counts: list) -> float:
    """Spearman's correlation of the items' first-week and last-week picks (ties ranked by their mean)."""
    return spearmanr([r.first for r in counts], [r.last for r in counts]).statistic


def moved_share(counts: list) -> float:
    """Total variation distance between the first and last week's shares of picks per item."""
    first, last = sum(r.first for r in counts), sum(r.last for r in counts)
    return 0.5 * sum(abs(r.first / first - r.last / last) for r in counts)


@pytest.fixture(scope="module")
def shop(spark):
    """The drifting catalogue, and PICKS picks from the static and from the drifting one, stored: joined
    unstored, the pick expressions are copied into the join's inferred filters and planning takes half a
    minute."""
    launches = Launches.of(settings_of(*DRIFT), START)
    frames = {
        "items": catalogue(spark, launches).cache(),
        "static": picks(spark, None).cache(),
        "drift": picks(spark, launches).cache(),
    }
    yield frames
    for frame in frames.values():
        frame.unpersist()


def test_drift_settings_are_checked_and_name_the_key():
    with pytest.raises(
        ConfigError, match=r"'generator.drift.new_item_share' must be above 0 and at most 0.5"
    ):
        settings_of(*DRIFT, "generator.drift.new_item_share=0.7")
    with pytest.raises(ConfigError, match=r"'generator.drift.taste_change_share' must be a share"):
        settings_of("generator.drift.taste_change_share=1.5")


def test_drift_launches_its_share_of_each_category_in_the_period_and_nothing_is_picked_before_its_launch(
    shop,
):
    items, picked = shop["items"], shop["drift"]
    day = F.datediff("launch_date", F.lit(START))
    launched = items.agg(F.sum((day >= 0).cast("int")), F.sum((day >= DAYS).cast("int"))).first()
    # Every 5th item of a category (share 0.2) launches in the period, none after it.
    assert tuple(launched) == (sum(size // 5 for size in category_layout(ITEMS).sizes), 0)
    # Every pick is of a launched item of its category.
    l2 = nth([c.l2 for c in CATEGORIES], F.col("category"))
    checked = (
        picked.join(items, on=["item_idx"], how="inner")
        .agg(
            F.count("*"),
            F.sum((F.col("event_date") < F.col("launch_date")).cast("int")),
            F.sum((F.col("category_l2") != l2).cast("int")),
        )
        .first()
    )
    assert tuple(checked) == (PICKS, 0, 0)


def test_what_sells_in_the_last_week_differs_from_the_first_only_with_drift(shop):
    static, drifting = week_counts(shop["static"]), week_counts(shop["drift"])
    # Static, the weeks differ by chance and by the new arrivals (0.71 here); with drift, 0.14.
    assert rank_correlation(drifting) <= min(0.4, rank_correlation(static) - 0.3)
    assert moved_share(drifting) >= 1.5 * moved_share(static)
    new_items = {r.item_idx for r in shop["items"].where(F.col("launch_date") >= F.lit(START)).collect()}
    # A fifth of the items, launched through the month, have 44% of the last week's picks.
    assert sum(r.last for r in drifting if r.item_idx in new_items) >= 0.3 * sum(r.last for r in drifting)


def test_users_with_a_taste_change_shift_their_category_mix_after_their_change_day(spark):
    settings = settings_of(*DRIFT, "generator.drift.taste_change_share=0.5")
    tastes = TasteChanges.of(settings, START)
    users = generate_users(spark.range(200, numPartitions=2), settings.seed, START, DAYS, churn_share=0.0)
    changes = truth_taste_changes(users.transform(tastes.with_changes), START)
    # Half the users, but for those registering in the period after their change day.
    assert 0.4 * 200 <= changes.count() <= 0.5 * 200
    user_days = active_user_days(users, settings.seed, START, DAYS, tastes=tastes)
    picked = (
        user_days.join(changes, on=["user_id"], how="inner")
        .select("*", F.explode(F.sequence(F.lit(0), F.lit(9))).alias("k"))
        .select("*", pick_category(settings.seed, "pick", "user_idx", "day_idx", "k").alias("category_idx"))
        .select("*", nth([c.l2 for c in CATEGORIES], F.col("category_idx")).alias("picked"))
        .select(
            (F.col("event_date") >= F.col("change_date")).alias("after"),
            (F.col("picked") == F.col("favourite_before")).alias("old"),
            (F.col("picked") == F.col("favourite_after")).alias("new"),
        )
    )
    mix = {
        r.after: r
        for r in picked.groupBy("after")
        .agg(F.avg(F.col("old").cast("double")).alias("old"), F.avg(F.col("new").cast("double")).alias("new"))
        .collect()
    }
    assert len(mix) == 2
    # The favourite takes 35% of the picks (items.FAVOURITE_CATEGORY_SHARE), on top of the persona's mix.
    assert mix[False].old > 0.35 and mix[False].new < 0.15
    assert mix[True].new > 0.35 and mix[True].old < 0.15


def test_drift_off_leaves_the_static_shop_and_the_lakes_record_as_they_were():
    off = settings_of("generator.drift.new_item_share=0.5", "generator.drift.taste_change_share=1.0")
    assert Launches.of(off, START) is None and TasteChanges.of(off, START) is None
    # A lake made before the drift mode records no drift key, and continues with drift off.
    assert not [key for key in shaping_settings(off) if key.startswith("drift")]
    made_with_drift = GeneratedDays.of(settings_of(*DRIFT), START, START + dt.timedelta(days=DAYS - 1))
    assert made_with_drift.differences(off) == [
        "generator.drift.enabled = False (the lake's data was made with True)"
    ]
