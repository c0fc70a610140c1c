"""What moves ALS's NDCG@10 on a lake: each suspect of issue 18 varied alone on the evaluation's time split.

    .venv/bin/python scripts/als_suspects.py --lake ~/.cache/shop-analytics/public-data/lakes/ml-100k \
        --date 1998-04-22 --set recommend.seen_items.exclude=interacted [--set recommend.test_days=30] \
        [--markdown out.md] [--csv out.csv]

The split is evaluate_recommenders' (transforms.recommend.evaluation.time_split), scored by the same harness
on the test users with training data. Starting from recommend.default_params, the ALS settings are searched
one at a time in SWEEPS' order (regularisation, confidence weighting and scaling, iterations, rank), each
sweep keeping its best value for the next: a coordinate search, so every row differs from its sweep's best
in one setting. Then, at the final settings, the suspects that change the matrix itself: the event-type
weights, the decay's half-life and a minimum number of training users per item. Popularity on the same split
is every row's reference, and the seed sweep shows how much of a difference is noise.

The event weights are re-applied to the daily rows' counts (user_item_daily keeps them per event type): each
day's strength is scaled by the ratio of the new weighted count to the configured one, which keeps the decay
within the day.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import os
import sys
import time
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from shop_platform.config import load_config
from shop_platform.session import get_spark
from shop_platform.settings import AlsParams, Config
from shop_platform.storage import open_lake
from transforms import columns as C
from transforms import tables
from transforms.recommend import evaluation as ev
from transforms.recommend.als import als_engine, als_recommendations
from transforms.recommend.baselines import popular_items

# ALS settings searched one at a time, in this order; each sweep's best value is kept for the next.
SWEEPS: tuple[tuple[str, tuple], ...] = (
    ("reg_param", (0.01, 0.05, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0)),
    ("alpha", (1.0, 5.0, 20.0, 80.0)),
    ("scaling", ("linear", "log")),
    ("alpha", (1.0, 5.0, 20.0, 80.0)),
    ("max_iter", (5, 10, 20, 40)),
    ("rank", (8, 16, 32, 64, 128)),
)
SEEDS = (42, 7, 2024)
# Event weights by the daily count column they multiply; `configured` is interactions.weights.
WEIGHT_COLUMNS = {
    "page_view": C.PAGE_VIEWS,
    "favorite": C.FAVORITES,
    "add_to_cart": C.CART_ADDS,
    "order": C.ORDERS,
    "review": C.REVIEWS,
    "remove_from_cart": C.CART_REMOVES,
}
WEIGHTINGS = {
    "equal": {"page_view": 1.0, "favorite": 1.0, "add_to_cart": 1.0, "order": 1.0},
    "orders x3": {"page_view": 1.0, "favorite": 2.0, "add_to_cart": 3.0, "order": 15.0},
    "views x0.2": {"page_view": 0.2, "favorite": 2.0, "add_to_cart": 3.0, "order": 5.0},
}
HALF_LIVES = (3.0, 7.0, 30.0, 90.0, 365.0)
MIN_ITEM_USERS = (3, 10)
FIELDS = (
    "suspect",
    "value",
    "ndcg_at_10",
    "recall_at_10",
    "coverage",
    "popularity_ndcg",
    "seconds",
    "settings",
)


@dataclass(frozen=True)
class Row:
    suspect: str
    value: str
    ndcg_at_10: float
    recall_at_10: float
    coverage: float
    popularity_ndcg: float
    seconds: float
    settings: str


class Harness:
    """One split and the means to score an ALS configuration on it."""

    def __init__(self, cfg: Config, lake, run_date: dt.date, daily: DataFrame, half_life_days: float):
        rec = cfg.recommend
        user_index, item_index, events = (
            lake.table(spec).read() for spec in (tables.USER_INDEX, tables.ITEM_INDEX, tables.SILVER_EVENTS)
        )
        self.cfg, self.rec = cfg, rec
        self.split = ev.time_split(daily, user_index, item_index, events, rec,
                                   split_date=run_date - dt.timedelta(days=rec.test_days), run_date=run_date,
                                   half_life_days=half_life_days, timezone=cfg.app.timezone)  # fmt: skip
        self.engine = als_engine(lake.spark, rec.engine)
        popular = popular_items(self.split.popularity, self.split.users, k=rec.k, seen=self.split.seen)
        self.popularity_ndcg = ev.measure(popular, self.split, rec.k)[C.NDCG_AT_K]

    def score(self, params: AlsParams, seed: int, train: DataFrame | None = None) -> tuple[dict, float]:
        split = self.split if train is None else replace(self.split, train=train)
        started = time.perf_counter()
        model = ev.fit_on_split(split, params, engine=self.engine, seed=seed, blocks=self.rec.blocks)
        seconds = time.perf_counter() - started
        lists = als_recommendations(model, self.split.users, self.split.user_index, self.split.item_index,
                                    k=self.rec.k, engine=self.engine, seen=self.split.seen)  # fmt: skip
        return ev.measure(lists, self.split, self.rec.k), seconds

    def row(self, suspect: str, value: object, params: AlsParams, seed: int, train=None) -> Row:
        metrics, seconds = self.score(params, seed, train)
        settings = ", ".join(f"{k}={v}" for k, v in asdict(params).items())
        return Row(suspect, str(value), round(metrics[C.NDCG_AT_K], 4), round(metrics[C.RECALL_AT_K], 4),
                   round(metrics[C.CATALOG_COVERAGE], 4), round(self.popularity_ndcg, 4), round(seconds, 2),
                   settings)  # fmt: skip


def reweighted(daily: DataFrame, configured: Mapping[str, float], weights: Mapping[str, float]) -> DataFrame:
    """`daily` with each day's strength scaled from the `configured` event weights to `weights`; days whose
    new weighted count is zero are dropped (no interaction left)."""

    def weighted(chosen: Mapping[str, float]):
        terms = [
            F.col(column) * F.lit(float(chosen.get(event, 0.0))) for event, column in WEIGHT_COLUMNS.items()
        ]
        total = terms[0]
        for term in terms[1:]:
            total = total + term
        return total

    ratio = weighted(weights) / weighted(configured)
    return daily.withColumn(C.STRENGTH, F.col(C.STRENGTH) * ratio).where(F.col(C.STRENGTH) > 0)


def coordinate_search(harness: Harness, start: AlsParams, seed: int) -> Iterator[Row | AlsParams]:
    """Rows of each sweep, then the final settings."""
    best = start
    for name, values in SWEEPS:
        rows = [harness.row(name, value, replace(best, **{name: value}), seed) for value in values]
        yield from rows
        winner = max(range(len(rows)), key=lambda i: rows[i].ndcg_at_10)
        best = replace(best, **{name: values[winner]})
    yield best


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lake", required=True, type=Path, help="a lake build_interactions has run on")
    parser.add_argument("--date", required=True, type=dt.date.fromisoformat, help="the evaluation's run date")
    parser.add_argument("--set", action="append", default=[], dest="overrides", metavar="KEY=VALUE")
    parser.add_argument("--csv", type=Path)
    parser.add_argument("--markdown", type=Path)
    args = parser.parse_args(argv)

    cfg = load_config("local", [f"lake.root={args.lake}", *args.overrides])
    rec = cfg.recommend
    lake = open_lake(get_spark(cfg.spark, app_name="als_suspects"), cfg.lake, check_writable=False)
    daily = lake.table(tables.USER_ITEM_DAILY).read().cache()
    started = time.perf_counter()
    harness = Harness(cfg, lake, args.date, daily, cfg.interactions.half_life_days)
    print(f"split: {harness.split.users.count()} test users with training data; popularity NDCG@10 "
          f"{harness.popularity_ndcg:.4f}; load {os.getloadavg()[0]:.1f}", flush=True)  # fmt: skip
    rows: list[Row] = []

    def keep(row: Row) -> None:
        rows.append(row)
        print(row, flush=True)

    best = rec.default_params
    for found in coordinate_search(harness, rec.default_params, rec.seed):
        if isinstance(found, AlsParams):
            best = found
        else:
            keep(found)
    for seed in SEEDS:
        keep(harness.row("seed", seed, best, seed))
    for minimum in MIN_ITEM_USERS:
        split = harness.split
        kept_items = (
            split.train.groupBy(C.ITEM_IDX).count().where(F.col("count") >= minimum).select(C.ITEM_IDX)
        )
        keep(harness.row("min_item_users", minimum, best, rec.seed,
                         train=split.train.join(kept_items, C.ITEM_IDX, "left_semi")))  # fmt: skip
    harness.split.unpersist()
    configured = cfg.interactions.weights
    for name, weights in WEIGHTINGS.items():
        other = Harness(
            cfg, lake, args.date, reweighted(daily, configured, weights), cfg.interactions.half_life_days
        )
        keep(other.row("event_weights", name, best, rec.seed))
        other.split.unpersist()
    for half_life in HALF_LIVES:
        other = Harness(cfg, lake, args.date, daily, half_life)
        keep(other.row("half_life_days", half_life, best, rec.seed))
        other.split.unpersist()
    print(f"{len(rows)} fits in {time.perf_counter() - started:.0f} s; best settings {best}", flush=True)
    if args.csv:
        with args.csv.open("w", newline="") as out:
            writer = csv.DictWriter(out, fieldnames=FIELDS)
            writer.writeheader()
            writer.writerows(asdict(row) for row in rows)
    if args.markdown:
        lines = ["| suspect | value | NDCG@10 | recall@10 | coverage | popularity NDCG@10 | fit s |",
                 "|---|---|---:|---:|---:|---:|---:|"]  # fmt: skip
        lines += [f"| {r.suspect} | {r.value} | {r.ndcg_at_10:.4f} | {r.recall_at_10:.4f} | {r.coverage:.4f} | "
                  f"{r.popularity_ndcg:.4f} | {r.seconds:.1f} |" for r in rows]  # fmt: skip
        args.markdown.write_text("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
