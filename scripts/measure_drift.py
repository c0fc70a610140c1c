"""How much the sample shop moves between its first and last week, with the generator's drift mode off and on.

    .venv/bin/python scripts/measure_drift.py                                  # the demo's shop: 5,000 users, 30 days
    .venv/bin/python scripts/measure_drift.py --set generator.users=1000 --set generator.days=21

Each mode generates the configured shop in memory (conf/base.yaml + conf/local.yaml + --set, then
`generator.drift.enabled` false and true; nothing is written) and measures the people's events, bots left
out, per item (views, favourites and cart adds; and order lines):

    top-K overlap     share of the first week's K most interacted items among the last week's K
    Spearman          rank correlation of the items' first-week and last-week counts
    launched share    share of the last week's events on items launched during the period
    all-time top K    share of the last week's events on the K items most interacted before it
    recent top K      the same for the K items of the week before it (the better popularity list on a
                      shop that moves)

and, for the users whose favourite category changes (truth/taste_changes, drift only), the share of their
item events in the old and in the new favourite before and after their change day.
"""

from __future__ import annotations

import argparse
import time

from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from scipy.stats import spearmanr

from sample_shop.generator.dataset import SampleData, build_inputs, build_sample_data
from sample_shop.generator.materialise import LocalCheckpoints
from shop_platform.config import load_config
from shop_platform.session import get_spark

WEEK = 7
INTERACTIONS = ("page_view", "favorite", "add_to_cart")


def local_day(data: SampleData, timezone: str, start) -> DataFrame:
    """The people's events (bots left out) with DAY, the local day index."""
    people = data.truth_personas.where(F.col("persona") != "bot").select("user_id")
    day = F.datediff(F.to_date(F.from_utc_timestamp("event_time", timezone)), F.lit(start))
    return data.events.join(people, on=["user_id"], how="left_semi").select("*", day.alias("day"))


def week_rows(events: DataFrame, days: int) -> list:
    """Per item: events in the first week, the last week, the days before the last week, the week before it."""
    day = F.col("day")
    return (
        events.groupBy("item_id")
        .agg(
            F.sum((day < WEEK).cast("int")).alias("first"),
            F.sum((day >= days - WEEK).cast("int")).alias("last"),
            F.sum((day < days - WEEK).cast("int")).alias("before"),
            F.sum(day.between(days - 2 * WEEK, days - WEEK - 1).cast("int")).alias("recent"),
        )
        .collect()
    )


def movement(rows: list, launched: set[str], k: int) -> dict[str, float]:
    def top(column: str) -> set[str]:
        return {r.item_id for r in sorted(rows, key=lambda r: (-r[column], r.item_id))[:k]}

    last = sum(r.last for r in rows)

    def covered(items: set[str]) -> float:
        return sum(r.last for r in rows if r.item_id in items) / last

    return {
        f"top-{k} overlap": len(top("first") & top("last")) / k,
        "Spearman": spearmanr([r.first for r in rows], [r.last for r in rows]).statistic,
        "launched share": covered(launched),
        f"all-time top {k}": covered(top("before")),
        f"recent top {k}": covered(top("recent")),
    }


def taste_shift(data: SampleData, events: DataFrame, start) -> dict[str, float]:
    """Share of the changing users' item events in their old and new favourite, before and after the change."""
    categories = data.items.select("item_id", F.col("category_l2").alias("category"))
    after = F.col("day") >= F.datediff("change_date", F.lit(start))
    rows = (
        events.where(F.col("item_id").isNotNull())
        .join(data.truth_taste_changes, on=["user_id"], how="inner")
        .join(categories, on=["item_id"], how="inner")
        .groupBy(after.alias("after"))
        .agg(
            F.avg((F.col("category") == F.col("favourite_before")).cast("double")).alias("old"),
            F.avg((F.col("category") == F.col("favourite_after")).cast("double")).alias("new"),
        )
        .collect()
    )
    shares = {r.after: r for r in rows}
    return {
        "old favourite before": shares[False].old,
        "old favourite after": shares[True].old,
        "new favourite before": shares[False].new,
        "new favourite after": shares[True].new,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="config override")
    parser.add_argument("--top", type=int, default=100, metavar="K", help="list length (default 100)")
    args = parser.parse_args()
    config = load_config("local", ["spark.ui_enabled=false", *args.set])
    spark = get_spark(config.spark, "measure-drift")
    timezone = config.app.timezone
    for enabled in (False, True):
        settings = load_config(
            "local", [*args.set, f"generator.drift.enabled={str(enabled).lower()}"]
        ).generator
        started = time.perf_counter()
        data = build_sample_data(
            build_inputs(spark, settings),
            settings,
            timezone,
            settings.start_date,
            checkpoint=LocalCheckpoints(),
        )
        events = local_day(data, timezone, settings.start_date).cache()
        launched = {
            r.item_id for r in data.items.where(F.col("launch_date") >= F.lit(settings.start_date)).collect()
        }
        orders = events.where(F.col("event_type") == "order").select(F.explode("items").alias("line"), "day")
        for name, of in (
            (
                "interactions",
                events.where(F.col("event_type").isin(*INTERACTIONS) & F.col("item_id").isNotNull()),
            ),
            ("order lines", orders.select(F.col("line.item_id").alias("item_id"), "day")),
        ):
            measured = movement(week_rows(of, settings.days), launched, args.top)
            print(
                f"drift {'on ' if enabled else 'off'} {name:12s} "
                + ", ".join(f"{key} {value:.2f}" for key, value in measured.items())
            )
        if data.truth_taste_changes is not None:
            shift = taste_shift(data, events, settings.start_date)
            print(
                "drift on  taste changes " + ", ".join(f"{key} {value:.2f}" for key, value in shift.items())
            )
        seconds = time.perf_counter() - started
        print(
            f"  ({settings.users:,} users, {settings.items:,} items, {settings.days} days: {seconds:.0f} s)"
        )
        events.unpersist()
    spark.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
