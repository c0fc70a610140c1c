"""A long history's first load: ingestion and silver over many raw dates in one back-fill each.

    .venv/bin/python scripts/bench_long_history.py [--days 546] [--lines 70000] [--end 2026-10-30]
        [--events-raw /work/lakes/after16/raw/events] [--skip-orders] [--work /tmp/bench_long_history]

Orders: writes `--days` daily folders (`<work>/orders/raw/events/date=YYYY-MM-DD/orders.csv`, ending on
--end) of seeded order lines in `order_lines_csv` (a header, then user_id,order_id,order_time,item_id,
quantity,amount; about `--lines` lines in all, one a week with a quantity that is no number), then runs
`jobs.ingest_events` and `jobs.build_silver` as one back-fill each over the whole range, in one Spark
session (the session is started, and warmed up, before anything is measured).

Events (`--events-raw`): the sample shop's JSON-lines folders (`date=YYYY-MM-DD/` sub-folders) are linked
(hard links: the source lake is never written) into `<work>/events/raw/events` and ingested as one
back-fill over their dates, to give ingest CPU seconds per million lines.

Each job is timed through its `main(argv)` with shop_platform.run_metrics: wall seconds, and CPU seconds of
the process tree (the Python driver and Spark's JVM). The 1-minute load average before each is printed,
since on a shared machine wall time includes waiting for a core. The script runs whatever code is first on
PYTHONPATH (e.g. PYTHONPATH=/work/before17 for the tree before a change), so before and after use it alike.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import shutil
from collections.abc import Callable, Sequence
from pathlib import Path

from jobs import build_silver, ingest_events
from shop_platform.config import load_config
from shop_platform.run_metrics import measured
from shop_platform.session import get_spark

SEED = 20261101
USERS = 5000
ITEMS = 2000
HEADER = "user_id,order_id,order_time,item_id,quantity,amount"
# Lines per order: 1 to 3, mean 1.6, as a basket of a small shop.
LINES_PER_ORDER = (1, 1, 1, 2, 2, 3)
# One line in a week's first day has a quantity that is no number: quarantined (wrong_type), far under
# ingest.max_quarantine_rate on any day.
BAD_LINE_EVERY_DAYS = 7


def write_order_history(raw: Path, end: dt.date, days: int, lines: int) -> int:
    """Write `days` daily folders of order lines ending on `end` under `raw`; returns the data lines."""
    shutil.rmtree(raw, ignore_errors=True)
    rng = random.Random(SEED)
    orders_per_day = lines / days / (sum(LINES_PER_ORDER) / len(LINES_PER_ORDER))
    written = 0
    for offset in range(days):
        day = end - dt.timedelta(days=days - 1 - offset)
        rows = [HEADER]
        # At least half the mean, so the weekly bad line stays far under ingest.max_quarantine_rate.
        orders = max(round(orders_per_day / 2), round(rng.gauss(orders_per_day, orders_per_day / 4)))
        for number in range(orders):
            user, order = f"u{rng.randrange(USERS):05d}", f"o{day:%Y%m%d}{number:04d}"
            time = f"{day} {rng.randrange(8, 23):02d}:{rng.randrange(60):02d}:{rng.randrange(60):02d}"
            for _ in range(rng.choice(LINES_PER_ORDER)):
                quantity, price = rng.randint(1, 3), rng.randrange(100, 20000) / 100
                bad = offset % BAD_LINE_EVERY_DAYS == 0 and len(rows) == 1
                shown = "two" if bad else str(quantity)
                rows.append(
                    f"{user},{order},{time},i{rng.randrange(ITEMS):04d},{shown},{quantity * price:.2f}"
                )
        folder = raw / f"date={day}"
        folder.mkdir(parents=True)
        (folder / "orders.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
        written += len(rows) - 1
    return written


def link_events(source: Path, raw: Path) -> tuple[list[dt.date], int]:
    """Hard-link the date folders of `source` under `raw`; returns their dates and their lines."""
    shutil.rmtree(raw, ignore_errors=True)
    shutil.copytree(source, raw, copy_function=os.link)
    days = sorted(dt.date.fromisoformat(p.name.removeprefix("date=")) for p in raw.glob("date=*"))
    lines = 0
    for file in raw.glob("date=*/*"):
        if file.is_file() and not file.name.startswith((".", "_")):
            with file.open("rb") as handle:
                lines += sum(chunk.count(b"\n") for chunk in iter(lambda: handle.read(1 << 24), b""))
    return days, lines


def timed_job(name: str, main: Callable[[Sequence[str]], int], argv: list[str]) -> tuple[float, float]:
    """Run a job's main(argv); its wall and CPU seconds. Fails loudly on a non-zero exit."""
    print(f"--- {name}: load average {os.getloadavg()[0]:.2f}", flush=True)
    with measured() as cost:
        status = main(argv)
    print(f"--- {name}: {cost.wall_s:.1f} s wall, {cost.cpu_s:.1f} CPU s (exit {status})", flush=True)
    if status != 0:
        raise SystemExit(f"{name} {' '.join(argv)} exited with {status}")
    return cost.wall_s, cost.cpu_s


def settings(lake: Path, *more: str) -> list[str]:
    return [
        arg
        for setting in (f"lake.root={lake}", "lake.engine=embedded", "spark.master=local[2]", *more)
        for arg in ("--set", setting)
    ]


def back_fill(first: dt.date, last: dt.date, lake: Path, *more: str) -> list[str]:
    return ["--from-date", str(first), "--date", str(last), *settings(lake, *more)]


def fresh_lake(lake: Path) -> None:
    """Remove every table of `lake`, keeping its raw folders."""
    for child in lake.iterdir() if lake.exists() else []:
        if child.name != "raw":
            shutil.rmtree(child) if child.is_dir() else child.unlink()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--days", type=int, default=546, help="daily order folders (default: 18 months)")
    parser.add_argument("--lines", type=int, default=70_000, help="order lines in all, about")
    parser.add_argument("--end", type=dt.date.fromisoformat, default=dt.date(2026, 10, 30))
    parser.add_argument("--events-raw", type=Path, default=None, help="a sample shop's raw/events folder")
    parser.add_argument("--skip-orders", action="store_true", help="only the --events-raw measurement")
    parser.add_argument("--work", type=Path, default=Path("/tmp/bench_long_history"))
    args = parser.parse_args()

    spark = get_spark(load_config("local", ["spark.master=local[2]"]).spark, app_name="bench_long_history")
    spark.range(1000).selectExpr("sum(id)").collect()  # The JVM's warm-up is not measured.
    results = []
    if not args.skip_orders:
        lake = args.work / "orders"
        first = args.end - dt.timedelta(days=args.days - 1)
        lines = write_order_history(lake / "raw" / "events", args.end, args.days, args.lines)
        fresh_lake(lake)
        print(f"orders: {lines:,d} lines over {args.days} raw dates {first}..{args.end}", flush=True)
        orders = ("ingest.format=order_lines_csv",)
        ingest = timed_job(
            "ingest_events (orders)", ingest_events.main, back_fill(first, args.end, lake, *orders)
        )
        silver = timed_job("build_silver (orders)", build_silver.main, back_fill(first, args.end, lake))
        results += [
            ("ingest_events", f"{args.days} dates, {lines:,d} order lines", *ingest),
            ("build_silver", f"{args.days} dates", *silver),
            ("ingest + silver", "", ingest[0] + silver[0], ingest[1] + silver[1]),
        ]
    if args.events_raw is not None:
        lake = args.work / "events"
        days, lines = link_events(args.events_raw, lake / "raw" / "events")
        fresh_lake(lake)
        print(f"events: {lines:,d} JSON lines over {len(days)} raw dates {days[0]}..{days[-1]}", flush=True)
        wall, cpu = timed_job(
            "ingest_events (events_jsonl)", ingest_events.main, back_fill(days[0], days[-1], lake)
        )
        results.append(
            (
                "ingest_events",
                f"{len(days)} dates, {lines:,d} JSON lines: {cpu / lines * 1e6:.1f} CPU s/M",
                wall,
                cpu,
            )
        )
    print(f"\n{'task':16s} {'input':52s} {'wall s':>8s} {'CPU s':>8s}")
    for task, what, wall, cpu in results:
        print(f"{task:16s} {what:52s} {wall:8.1f} {cpu:8.1f}")


if __name__ == "__main__":
    main()
