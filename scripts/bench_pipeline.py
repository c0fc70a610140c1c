"""The daily pipeline's cost curve: a month's back-fill and daily runs at several shop sizes, per task.

    .venv/bin/python scripts/bench_pipeline.py --users 10000 30000 100000 --csv bench/costs.csv
        [--label after] [--code /work/before-tree] [--daily-days 1] [--work /work/bench]

For each size the sample shop's month (`generator.days` ending on --date) is generated once into
`<work>/shop-<users>` (reused while it exists: generation is not measured), copied to a fresh lake
`<work>/<label>-<users>`, and back-filled there by the pipeline runner (`jobs.run_pipeline --from-date`),
which appends each task's wall and CPU seconds, rows written and peak memory of the process tree to the
CSV (shop_platform.run_metrics) under the run label "<label> <users> back-fill". Then the shop is
continued day by day (the generator's `--continue`) and each new day goes through a daily run, labelled
"<label> <users> day <n>" (n counted from the month's first day). With `--late-day 61`, the lake is then
continued to day 60 by one back-fill of the new days and day 61 runs daily, to compare with day 31 (a day's
cost must not grow with the history). Weekly tasks (model training) run in a daily run only on their
weekday (conf/pipeline.yaml): pick days that are not, to measure the daily tasks alone.

`--code` runs the pipeline from another checkout (e.g. the commit before a change, with the runner's
`--costs` option): its tree goes first on PYTHONPATH, so before and after run on the same generated shop
in the same session. Generation and continuation always use this checkout's generator. Each run is its own
process, like a scheduled run; the 1-minute load average before each run is printed and written to
`<csv>.load`, since on a shared machine wall time includes waiting for a core.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

HERE = Path(__file__).resolve().parents[1]
PYTHON = sys.executable


def run_module(module: str, args: Sequence[str], code: Path) -> float:
    """Run `python -m module args` with `code` first on the path; its wall seconds. Fails loudly."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(code), os.environ.get("PYTHONPATH", "")])}
    started = time.perf_counter()
    completed = subprocess.run([PYTHON, "-m", module, *args], cwd=code, env=env, check=False)
    if completed.returncode != 0:
        raise SystemExit(f"{module} {' '.join(args)} exited with {completed.returncode}")
    return time.perf_counter() - started


def load_average() -> float:
    return os.getloadavg()[0]


def note_load(csv: Path, label: str) -> None:
    load = load_average()
    print(f"--- {label}: load average {load:.2f}", flush=True)
    with csv.with_suffix(csv.suffix + ".load").open("a", encoding="utf-8") as handle:
        handle.write(f"{label},{load:.2f}\n")


def generated_shop(work: Path, users: int, end: dt.date, settings: list[str]) -> Path:
    """The generated month of `users` users (raw files and truth only), generated once."""
    shop = work / f"shop-{users}"
    if not (shop / ".generated").exists():
        shutil.rmtree(shop, ignore_errors=True)
        run_module(
            "sample_shop.demo",
            ["--only", "generate_sample_data", "--date", str(end), f"--set=lake.root={shop}", *settings],
            HERE,
        )
        (shop / ".generated").touch()
    return shop


def continue_shop(lake: Path, new_end: dt.date, settings: list[str]) -> None:
    run_module(
        "sample_shop.jobs.generate_sample_data",
        ["--continue", "--date", str(new_end), f"--set=lake.root={lake}", *settings],
        HERE,
    )


def pipeline(
    lake: Path, code: Path, csv: Path, label: str, last: dt.date, first: dt.date | None, settings: list[str]
) -> float:
    note_load(csv, label)
    dates = ["--date", str(last), *(["--from-date", str(first)] if first else [])]
    costs = ["--costs", str(csv), "--costs-label", label]
    wall = run_module("jobs.run_pipeline", [*dates, f"--set=lake.root={lake}", *settings, *costs], code)
    print(f"--- {label}: {wall:.0f}s", flush=True)
    return wall


def bench_size(args: argparse.Namespace, users: int) -> None:
    settings = [f"--set=generator.users={users}", *(f"--set={s}" for s in args.overrides)]
    end: dt.date = args.date
    first = end - dt.timedelta(days=args.days - 1)
    shop = generated_shop(args.work, users, end, settings)
    if args.generate_only:
        return
    lake = args.work / f"{args.label}-{users}"
    shutil.rmtree(lake, ignore_errors=True)
    shutil.copytree(shop, lake)
    prefix = f"{args.label} {users}"
    pipeline(lake, args.code, args.csv, f"{prefix} back-fill", end, first, settings)
    day = end
    for _ in range(args.daily_days):
        day += dt.timedelta(days=1)
        continue_shop(lake, day, settings)
        pipeline(lake, args.code, args.csv, f"{prefix} day {(day - first).days + 1}", day, None, settings)
    if args.late_day:
        late = first + dt.timedelta(days=args.late_day - 1)
        continue_shop(lake, late, settings)
        before_late = late - dt.timedelta(days=1)
        label = f"{prefix} back-fill to day {args.late_day - 1}"
        pipeline(lake, args.code, args.csv, label, before_late, day + dt.timedelta(days=1), settings)
        pipeline(lake, args.code, args.csv, f"{prefix} day {args.late_day}", late, None, settings)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, nargs="+", default=[10_000, 30_000, 100_000])
    parser.add_argument("--csv", type=Path, default=Path("bench/pipeline_costs.csv"))
    parser.add_argument("--label", default="after", help="run label prefix (e.g. before, after)")
    parser.add_argument("--code", type=Path, default=HERE, help="checkout whose pipeline runs")
    parser.add_argument("--work", type=Path, default=Path("/tmp/bench_pipeline"))
    parser.add_argument("--date", type=dt.date.fromisoformat, default=dt.date(2026, 10, 30))
    parser.add_argument("--days", type=int, default=30, help="the generated month's days")
    parser.add_argument("--daily-days", type=int, default=1, help="daily runs after the back-fill")
    parser.add_argument(
        "--late-day",
        type=int,
        default=0,
        help="then continue the shop to this day (e.g. 61), back-fill up to the day before and run it daily",
    )
    parser.add_argument("--generate-only", action="store_true", help="generate the shops, run nothing")
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE")
    args = parser.parse_args(argv)
    args.csv, args.work, args.code = args.csv.resolve(), args.work.resolve(), args.code.resolve()
    args.csv.parent.mkdir(parents=True, exist_ok=True)
    args.overrides.append(f"generator.days={args.days}")
    for users in args.users:
        bench_size(args, users)
    return 0


if __name__ == "__main__":
    sys.exit(main())
