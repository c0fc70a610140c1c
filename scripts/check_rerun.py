"""Does re-running a date leave every table as it was? Re-run the daily pipeline for one date and compare.

    SHOP_PII_SALT=... .venv/bin/python scripts/check_rerun.py --env local --date 2026-10-30 \
        --set lake.root=/path/to/demo/lake

Records the version of every Delta table under the lake, runs `jobs.run_pipeline` for --date (no sample
data, no back-fill), then compares each table's rows at the recorded version with its rows now, in Spark:
rows are matched with their floating-point values rounded to `--decimals` places at any depth (a double
inside an array of structs too), so float noise is told apart from real differences. Columns that hold a
wall-clock time or a model version are listed per table with --ignore-column. Exits 1 when a table differs.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time

from lake_tables import comparable

from jobs import run_pipeline
from shop_platform.config import load_config
from shop_platform.session import get_spark
from shop_platform.storage import Lake, open_lake
from shop_platform.storage.paths import delta_tables_under

# What a re-run may change without changing what the table says: how long a step took.
ALWAYS_IGNORED = ("train_seconds",)


def compare(
    lake: Lake, name: str, before: int | dt.datetime, decimals: int, ignored: set[str]
) -> tuple[int, int, int, int]:
    """(rows before, rows now, rows only before, rows only now), floats rounded; `before` is the version
    or the time the table is compared at."""
    table = lake.table(name)
    now = table.read()
    before = table.read(timestamp=before) if isinstance(before, dt.datetime) else table.read(version=before)
    if before.schema != now.schema:
        # A re-run that evolved the schema: compare the columns both have.
        shared = [c for c in before.columns if c in now.columns]
        before, now = before.select(*shared), now.select(*shared)
    before, now = comparable(before, decimals, ignored), comparable(now, decimals, ignored)
    return before.count(), now.count(), before.exceptAll(now).count(), now.exceptAll(before).count()


def _at(before: int | dt.datetime) -> str:
    return f"v{before}" if isinstance(before, int) else f"as of {before:%H:%M:%S}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--env", default="local")
    parser.add_argument("--date", required=True)
    parser.add_argument("--set", action="append", default=[], dest="overrides", metavar="KEY=VALUE")
    parser.add_argument("--decimals", type=int, default=9, help="places floats are rounded to (default 9)")
    parser.add_argument("--ignore-column", action="append", default=[], help="a column left out everywhere")
    parser.add_argument(
        "--compare-since",
        type=dt.datetime.fromisoformat,
        help="do not run: compare every table as of this UTC time (before an earlier re-run) with now",
    )
    args = parser.parse_args(argv)

    config = load_config(args.env, args.overrides)
    spark = get_spark(config.spark, app_name="check_rerun")
    lake = open_lake(spark, config.lake)
    names = delta_tables_under(lake.root)
    before: dict[str, int | dt.datetime]
    if args.compare_since is not None:
        since = args.compare_since.replace(tzinfo=args.compare_since.tzinfo or dt.timezone.utc)
        before = dict.fromkeys(names, since)
        print(f"{len(names)} tables under {lake.root}, compared as of {since} with now", flush=True)
    else:
        before = {name: lake.table(name).version() for name in names}
        print(f"{len(names)} tables under {lake.root}; re-running {args.date}", flush=True)
        started = time.monotonic()
        pipeline_argv = ["--env", args.env, "--date", args.date]
        for override in args.overrides:
            pipeline_argv += ["--set", override]
        status = run_pipeline.main(pipeline_argv)
        print(f"re-run of {args.date}: exit {status} in {time.monotonic() - started:.0f} s", flush=True)
        if status != 0:
            return status

    ignored = {*ALWAYS_IGNORED, *args.ignore_column}
    differing = []
    for name, version in before.items():
        rows_before, rows_now, only_before, only_now = compare(lake, name, version, args.decimals, ignored)
        now_version = lake.table(name).version()
        same = only_before == 0 and only_now == 0
        verdict = "same" if same else f"DIFFERS: {only_before} rows only before, {only_now} only now"
        print(
            f"{name}: {_at(version)} -> v{now_version}, {rows_before} -> {rows_now} rows: {verdict}",
            flush=True,
        )
        if not same:
            differing.append(name)
    print(
        f"{len(before) - len(differing)} of {len(before)} tables the same (floats to {args.decimals} places)"
    )
    if differing:
        print("differ: " + ", ".join(differing))
    return 1 if differing else 0


if __name__ == "__main__":
    sys.exit(main())
