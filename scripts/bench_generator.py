"""Throughput of the sample-data generator: raw lines per second at two scales, and where the wall time goes.

    .venv/bin/python scripts/bench_generator.py [--scale 2000x30 --scale 10000x30] [--repeats 1] [--out DIR]

Each scale (USERSxDAYS, other settings from conf/base.yaml + conf/local.yaml) runs the generator job's own steps in one
Spark session, writing under a temporary lake root: compose the generator, materialising the frames that
several outputs share (users, plans, orders, events), then write every raw and truth dataset. Wall time is
split into Spark start (once), plan build (driver-side DataFrame construction: composition time minus the
materialisations), generate (the materialisations) and write. Fixed overhead shows as lines per second
that grow with the scale; a generator whose cost is all data would have the same rate at both scales.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from dataclasses import dataclass

from sample_shop.generator.dataset import build_inputs, build_sample_data
from sample_shop.generator.materialise import RAW_EVENTS, LocalCheckpoints, write_sample_data
from shop_platform.config import load_config
from shop_platform.session import get_spark
from shop_platform.storage import open_lake


@dataclass(frozen=True)
class Run:
    lines: int
    plan_build: float
    generate: float
    write: float

    @property
    def total(self) -> float:
        return self.plan_build + self.generate + self.write


def parse_scale(text: str) -> tuple[int, int]:
    users, _, days = text.lower().partition("x")
    if not (users.isdigit() and days.isdigit()):
        raise argparse.ArgumentTypeError(f"scale {text!r} is not USERSxDAYS, e.g. 10000x30")
    return int(users), int(days)


def overrides(users: int, days: int, root: str) -> list[str]:
    base = load_config("local", []).generator.campaigns
    # Campaign windows must fit side by side in the period; shorter periods get shorter campaigns.
    duration = max(1, min(base.duration_days, days // max(base.count, 1)))
    return [
        f"lake.root={root}",
        f"generator.users={users}",
        f"generator.days={days}",
        f"generator.campaigns.duration_days={duration}",
    ]


def run_scale(spark, users: int, days: int, root: str) -> Run:
    config = load_config("local", overrides(users, days, root))
    settings = config.generator
    lake = open_lake(spark, config.lake)
    checkpoints = LocalCheckpoints()
    started = time.perf_counter()
    data = build_sample_data(
        build_inputs(spark, settings),
        settings,
        config.app.timezone,
        settings.start_date,
        checkpoint=checkpoints,
    )
    composed = time.perf_counter() - started
    generate = sum(checkpoints.seconds.values())
    started = time.perf_counter()
    counts = write_sample_data(data, lake.files, settings.partitions)
    write = time.perf_counter() - started
    return Run(lines=counts[RAW_EVENTS], plan_build=composed - generate, generate=generate, write=write)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--scale",
        type=parse_scale,
        action="append",
        help="USERSxDAYS, repeatable (default: 2000x30 and 10000x30)",
    )
    parser.add_argument("--repeats", type=int, default=1, help="runs per scale; medians are reported")
    parser.add_argument("--out", default=None, help="scratch folder (default: a temporary one)")
    args = parser.parse_args()
    scales = args.scale or [(2_000, 30), (10_000, 30)]

    out = args.out or tempfile.mkdtemp(prefix="bench-generator-")
    started = time.perf_counter()
    spark = get_spark(load_config("local", ["spark.ui_enabled=false"]).spark, "bench-generator")
    spark_start = time.perf_counter() - started

    results: dict[tuple[int, int], list[Run]] = {}
    for users, days in scales:
        for attempt in range(args.repeats):
            root = f"{out}/lake-{users}x{days}-{attempt}"
            results.setdefault((users, days), []).append(run_scale(spark, users, days, root))
            shutil.rmtree(root, ignore_errors=True)

    print(f"spark start {spark_start:.1f}s  repeats: {args.repeats}  (medians)")
    header = ("users x days", "raw lines", "plan build", "generate", "write", "total", "lines/s")
    print(
        f"{header[0]:>14s} {header[1]:>10s} {header[2]:>11s} {header[3]:>9s} {header[4]:>7s} {header[5]:>7s} "
        f"{header[6]:>9s}"
    )
    for (users, days), runs in results.items():
        lines = runs[0].lines
        plan, gen, write, total = (
            statistics.median(getattr(r, name) for r in runs)
            for name in ("plan_build", "generate", "write", "total")
        )
        print(
            f"{f'{users:,} x {days}':>14s} {lines:>10,d} {plan:>10.1f}s {gen:>8.1f}s {write:>6.1f}s {total:>6.1f}s "
            f"{lines / total:>9,.0f}"
        )
    if len(results) > 1:
        (small, *_, large) = results.values()
        line_ratio = large[0].lines / small[0].lines
        time_ratio = statistics.median(r.total for r in large) / statistics.median(r.total for r in small)
        print(f"largest / smallest: {line_ratio:.1f}x the lines in {time_ratio:.1f}x the time")
    if not args.out:
        shutil.rmtree(out, ignore_errors=True)
    spark.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
