"""Time each part of a user-features back-fill on an existing lake: which feature family costs what.

    .venv/bin/python scripts/profile_user_features.py /work/bench/after-100000 \\
        --from-date 2026-10-01 --date 2026-10-30 [--parts window,recency,interest,price,habit,all]

Reads gold.user_daily_activity, gold.user_item_daily, silver.order_items and the bronze users and items of the
lake (as build_user_features does, without a settled recency state), builds each family's frame for every
snapshot date of the range and writes it to Spark's `noop` sink, so a part's time is its computation alone:
nothing is written to the lake. Prints each part's wall seconds and the ten stages with the most executor
time (from the Spark UI's REST API, when the UI is on).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import time
import urllib.request
from collections.abc import Callable

from pyspark import StorageLevel
from pyspark.sql import DataFrame

from shop_platform.config import load_config
from shop_platform.session import get_spark
from shop_platform.storage import open_lake
from transforms import tables
from transforms.features import preferences
from transforms.features.recency import recency_features
from transforms.features.user_features import user_features_over, window_start
from transforms.features.windows import window_features

PARTS = ("window", "recency", "interest", "price", "habit", "all")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("lake_root")
    parser.add_argument("--from-date", type=dt.date.fromisoformat, required=True)
    parser.add_argument("--date", type=dt.date.fromisoformat, required=True)
    parser.add_argument(
        "--parts", default=",".join(PARTS[:-1]), help=f"comma-separated, of {', '.join(PARTS)}"
    )
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE")
    args = parser.parse_args()
    parts = args.parts.split(",")
    unknown = sorted(set(parts) - set(PARTS))
    if unknown:
        parser.error(f"--parts: unknown {', '.join(unknown)} (known: {', '.join(PARTS)})")

    cfg = load_config("local", [f"lake.root={args.lake_root}", *args.overrides])
    spark = get_spark(cfg.spark, app_name="profile_user_features")
    lake = open_lake(spark, cfg.lake, check_writable=False)
    dates = [args.from_date + dt.timedelta(days=n) for n in range((args.date - args.from_date).days + 1)]
    daily = lake.table(tables.USER_DAILY_ACTIVITY).read_between(window_start(dates[0]), dates[-1])
    daily = daily.persist(StorageLevel.MEMORY_AND_DISK)
    print(f"daily activity rows: {daily.count():,}", flush=True)
    user_item_daily = lake.table(tables.USER_ITEM_DAILY).read()
    items, order_items = lake.table(tables.ITEMS).read(), lake.table(tables.ORDER_ITEMS).read()
    half_life = cfg.interactions.half_life_days
    frames: dict[str, Callable[[], DataFrame]] = {
        "window": lambda: window_features(daily, dates),
        "recency": lambda: recency_features(daily, dates),
        "interest": lambda: preferences.interest_features(user_item_daily, items, dates, half_life),
        "price": lambda: preferences.price_features(
            order_items, preferences.item_price_percentiles(items), dates
        ),
        "habit": lambda: preferences.habit_features(daily, dates),
        "all": lambda: user_features_over(
            lake.table(tables.USERS).read(), daily, user_item_daily, items, order_items, dates, half_life
        ),
    }
    for name in parts:
        started = time.perf_counter()
        frames[name]().write.format("noop").mode("overwrite").save()
        print(f"{name}: {time.perf_counter() - started:.1f} s", flush=True)
    if spark.sparkContext.uiWebUrl:
        print_busiest_stages(spark.sparkContext.uiWebUrl)


def print_busiest_stages(ui: str, top: int = 10) -> None:
    base = f"{ui}/api/v1/applications"
    with urllib.request.urlopen(base) as response:
        app = json.load(response)[0]["id"]
    with urllib.request.urlopen(f"{base}/{app}/stages") as response:
        stages = json.load(response)
    for stage in sorted(stages, key=lambda s: -s["executorRunTime"])[:top]:
        print(
            f"stage {stage['stageId']}: {stage['executorRunTime'] / 1000:.0f} s executor time, "
            f"{stage['numTasks']} tasks, shuffle read {stage.get('shuffleReadRecords', 0):,} rows, "
            f"written {stage.get('shuffleWriteRecords', 0):,}, spilled "
            f"{stage.get('diskBytesSpilled', 0) / 1e6:.0f} MB"
        )


if __name__ == "__main__":
    main()
