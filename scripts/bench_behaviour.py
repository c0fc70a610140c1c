"""Throughput of the behaviour pipeline on N generated events, and its sessionization against DuckDB SQL.

    .venv/bin/python scripts/bench_behaviour.py [--events 1000000 10000000] [--days 30] [--work DIR]
        [--users U] [--repeats 1] [--sample-users 1000] [--json results.json] [--set spark.driver_memory=8g]
    .venv/bin/python scripts/bench_behaviour.py --lake /path/to/lake [--repeats 3]    # sessionization only

For each N the project's generator writes a raw lake sized to about N raw event lines (users computed from
EVENTS_PER_USER_DAY; generation is not a measured stage and is reused from --work when its scale matches).
Then the real jobs run through their `main(argv)` in one local[2] Spark session, each timed as a whole
(reads, transforms, Delta commits): ingest_catalog, ingest_events over every raw date, build_silver as one
back-fill over the whole period (dedupe, bots, sessionization, sessions, orders) and build_interactions
(its first run: all history). Rows in are the stage's input rows: raw lines, bronze.events, silver.events.
When the generation is reused rather than run in the same session, the first stage (ingest_catalog) also
pays the JVM's warm-up.

Sessionization alone: silver.events (without session_id) is written once as plain Parquet; Spark
(transforms.sessions: sessionize + summarise_sessions) and DuckDB (scripts/sql/sessions.sql) each read those
files and write the sessions as Parquet, with the same threads (DuckDB threads = Spark local cores = 2) and
memory (DuckDB memory_limit = spark.driver_memory). Both outputs are compared row for row on the sessions
of a seeded sample of users, and in full by EXCEPT ALL. The ratio is Spark seconds / DuckDB seconds.

Every measurement has wall seconds and CPU seconds (driver process, DuckDB included, plus Spark's JVM) and
the 1-minute load average before it: on a shared machine wall time includes waiting for a core.

With --lake the stages are skipped: the sessionization comparison runs on the silver.events of a lake the
pipeline already built (e.g. a bench_pipeline month), so a change to sessionization can be measured at 10M
events without regenerating and re-ingesting them.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import platform
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import duckdb
from pyspark.sql import SparkSession

from jobs import build_interactions, build_silver, ingest_catalog, ingest_events
from sample_shop.jobs import generate_sample_data
from shop_platform.config import load_config
from shop_platform.session import get_spark
from shop_platform.settings import Config
from shop_platform.storage import Lake, open_lake
from transforms import columns as C
from transforms.events_cleansing import CLEAN_EVENT_COLUMNS
from transforms.schemas import SILVER_SESSIONS_SCHEMA
from transforms.sessions import sessionize, summarise_sessions

SESSIONS_SQL = Path(__file__).with_name("sql") / "sessions.sql"
# Untimed: the sampled users' events reshaped to reach the edges of the rules (gaps of exactly 30 minutes,
# time ties, missing and switched channels), sessionized by both engines and compared.
BOUNDARY_EVENTS_SQL = Path(__file__).with_name("sql") / "boundary_events.sql"
CORES = 2
# Raw event lines per user and day of the period from the generator's defaults (seed 20261101, 1.6 mean
# sessions per active day, churn and inactive days included), measured on 7,116 and 16,862 users x 30 days
# (3.51 and 3.50). Bots add dirt.bot_users x dirt.bot_events_per_day lines a day on top.
EVENTS_PER_USER_DAY = 3.5
TIMESTAMP_COLUMNS = (C.SESSION_START, C.SESSION_END)


def load_average() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def machine(spark: SparkSession) -> dict[str, object]:
    """What the figures were measured on, read at run time."""
    meminfo = Path("/proc/meminfo").read_text().split()
    cpu = [line for line in Path("/proc/cpuinfo").read_text().splitlines() if line.startswith("model name")]
    return {
        "cpu": cpu[0].split(":", 1)[1].strip() if cpu else platform.processor(),
        "cores": os.cpu_count(),
        "ram_gib": round(int(meminfo[meminfo.index("MemTotal:") + 1]) / 2**20, 1),
        "os": platform.platform(),
        "python": platform.python_version(),
        "java": spark.sparkContext._jvm.java.lang.System.getProperty("java.version"),
        "spark": spark.version,
        "duckdb": duckdb.__version__,
        "spark_master": spark.sparkContext.master,
        "driver_memory": spark.conf.get("spark.driver.memory"),
        "shuffle_partitions": spark.conf.get("spark.sql.shuffle.partitions"),
    }


def users_for(events: int, days: int, config: Config) -> int:
    """Users whose `days` of activity give about `events` raw lines, bots' lines included."""
    dirt = config.generator.dirt
    regular = events - dirt.bot_users * dirt.bot_events_per_day * days
    if regular <= 0:
        raise ValueError(f"{events} events is less than the bots alone produce in {days} days")
    return math.ceil(regular / (EVENTS_PER_USER_DAY * days))


class Clock:
    """Wall seconds and CPU seconds of the work measured: this process (the driver, and DuckDB, which runs
    in it) plus Spark's JVM. On a shared machine the wall time also counts waiting for a core; the CPU time
    does not."""

    def __init__(self, spark: SparkSession) -> None:
        pid = spark.sparkContext._jvm.java.lang.ProcessHandle.current().pid()
        self._jvm_stat = Path(f"/proc/{pid}/stat")
        self._ticks = os.sysconf("SC_CLK_TCK")

    def cpu(self) -> float:
        # utime and stime are fields 14 and 15 of /proc/PID/stat, counted after the ")" ending field 2.
        fields = self._jvm_stat.read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / self._ticks + time.process_time()

    def measure(self, action: Callable[..., object], *args: object) -> tuple[dict[str, float], object]:
        load, cpu, started = os.getloadavg()[0], self.cpu(), time.perf_counter()
        result = action(*args)
        seconds = time.perf_counter() - started
        return {"seconds": seconds, "cpu_seconds": self.cpu() - cpu, "load_1min_before": load}, result


def run_job(clock: Clock, main: Callable[[Sequence[str]], int], argv: list[str]) -> dict[str, float]:
    timing, status = clock.measure(main, argv)
    if status != 0:
        raise SystemExit(f"{main.__module__} {' '.join(argv)} exited with {status}")
    return timing


def generate(clock: Clock, lake_root: Path, argv: list[str], scale: dict[str, int]) -> float | None:
    """Generate the raw lake unless one of the same scale is there; returns seconds, None when reused."""
    marker = lake_root / "bench-scale.json"
    if marker.exists() and json.loads(marker.read_text()) == scale:
        return None
    shutil.rmtree(lake_root, ignore_errors=True)
    seconds = run_job(clock, generate_sample_data.main, argv)["seconds"]
    marker.write_text(json.dumps(scale))
    return seconds


def raw_dates(lake_root: Path) -> list[dt.date]:
    folders = (lake_root / "raw" / "events").glob("date=*")
    return sorted(dt.date.fromisoformat(folder.name.removeprefix("date=")) for folder in folders)


def count(lake: Lake, name: str) -> int:
    return lake.table(name).read().count()


def spark_sessions(spark: SparkSession, source: str, target: str, config: Config) -> None:
    settings = config.sessions
    (
        spark.read.parquet(source)
        .transform(
            sessionize,
            gap_minutes=settings.gap_minutes,
            split_on_channel_change=settings.split_on_channel_change,
        )
        .transform(summarise_sessions)
        .select(*SILVER_SESSIONS_SCHEMA.fieldNames())
        .write.mode("overwrite")
        .parquet(target)
    )


def duckdb_sessions(source: str, target: str, config: Config) -> None:
    shutil.rmtree(target, ignore_errors=True)
    os.makedirs(target)
    con = duckdb.connect()
    try:
        con.execute(f"SET threads = {CORES}")
        con.execute(f"SET memory_limit = '{config.spark.driver_memory.upper()}B'")
        con.execute("SET TimeZone = 'UTC'")
        con.execute(f"SET VARIABLE gap_minutes = {int(config.sessions.gap_minutes)}")
        con.execute(f"SET VARIABLE split_on_channel_change = {bool(config.sessions.split_on_channel_change)}")
        con.execute(f"CREATE VIEW events AS SELECT * FROM read_parquet('{source}/*.parquet')")
        query = SESSIONS_SQL.read_text()
        con.execute(f"COPY ({query}) TO '{target}/sessions.parquet' (FORMAT parquet)")
    finally:
        con.close()


def user_sample(table: str, size: int, seed: int) -> str:
    """SQL for a seeded sample of `size` user ids of `table`."""
    return f"SELECT DISTINCT user_id FROM {table} ORDER BY hash(user_id || '{seed}'), user_id LIMIT {size}"


def boundary_events(source: str, target: str, sample_users: int, seed: int) -> None:
    """Write the sampled users' events of `source`, reshaped by sql/boundary_events.sql, to `target`."""
    os.makedirs(target)
    con = duckdb.connect()
    try:
        con.execute(f"SET threads = {CORES}")
        con.execute(f"CREATE VIEW events AS SELECT * FROM read_parquet('{source}/*.parquet')")
        con.execute(f"CREATE TABLE sample AS {user_sample('events', sample_users, seed)}")
        query = BOUNDARY_EVENTS_SQL.read_text()
        con.execute(f"COPY ({query}) TO '{target}/events.parquet' (FORMAT parquet)")
    finally:
        con.close()


def compare_sessions(spark_dir: str, duckdb_dir: str, sample_users: int, seed: int) -> dict[str, object]:
    """Row-for-row comparison on the sessions of a seeded user sample, and full EXCEPT ALL counts."""
    con = duckdb.connect()
    columns = [
        f"epoch_us({name}) AS {name}" if name in TIMESTAMP_COLUMNS else name
        for name in SILVER_SESSIONS_SCHEMA.fieldNames()
    ]
    for side, folder in (("spark", spark_dir), ("duck", duckdb_dir)):
        con.execute(
            f"CREATE VIEW {side} AS SELECT {', '.join(columns)} FROM read_parquet('{folder}/*.parquet')"
        )
    con.execute("CREATE VIEW both_sides AS SELECT user_id FROM spark UNION ALL SELECT user_id FROM duck")
    con.execute(f"CREATE TABLE sample AS {user_sample('both_sides', sample_users, seed)}")

    def rows(side: str) -> dict[str, tuple]:
        fetched = con.execute(f"SELECT * FROM {side} SEMI JOIN sample USING (user_id)").fetchall()
        return {row[names.index(C.SESSION_ID)]: row for row in fetched}

    names = SILVER_SESSIONS_SCHEMA.fieldNames()
    spark_rows, duck_rows = rows("spark"), rows("duck")
    differing = {}
    for session_id in spark_rows.keys() & duck_rows.keys():
        left, right = spark_rows[session_id], duck_rows[session_id]
        columns_off = [name for name, a, b in zip(names, left, right, strict=True) if a != b]
        if columns_off:
            differing[session_id] = {
                name: (left[names.index(name)], right[names.index(name)]) for name in columns_off
            }
    only_spark = sorted(spark_rows.keys() - duck_rows.keys())
    only_duck = sorted(duck_rows.keys() - spark_rows.keys())
    full = {side: con.execute(f"SELECT count(*) FROM {side}").fetchone()[0] for side in ("spark", "duck")}
    only = {
        (left, right): con.execute(
            f"SELECT count(*) FROM (SELECT * FROM {left} EXCEPT ALL SELECT * FROM {right})"
        ).fetchone()[0]
        for left, right in (("spark", "duck"), ("duck", "spark"))
    }
    con.close()
    return {
        "sample_users": sample_users,
        "sample_sessions": len(spark_rows),
        "sample_mismatches": len(differing) + len(only_spark) + len(only_duck),
        "sample_only_spark": only_spark[:5],
        "sample_only_duckdb": only_duck[:5],
        "sample_differing": dict(list(differing.items())[:5]),
        "sessions_spark": full["spark"],
        "sessions_duckdb": full["duck"],
        "full_rows_spark_not_duckdb": only["spark", "duck"],
        "full_rows_duckdb_not_spark": only["duck", "spark"],
    }


def bench_sessions(
    clock: Clock, spark: SparkSession, lake: Lake, scratch: Path, config: Config, args
) -> dict[str, object]:
    """Spark and DuckDB sessionization of the same Parquet files, timed, then compared; then both again,
    untimed, on the boundary events of the sampled users."""
    source, spark_out, duck_out = (str(scratch / name) for name in ("input", "spark", "duckdb"))
    seed = config.generator.seed
    # The input is materialised once, untimed, so both sides start from the same files.
    lake.table("silver.events").read().select(*CLEAN_EVENT_COLUMNS).write.mode("overwrite").parquet(source)
    rows_in = spark.read.parquet(source).count()
    runs: dict[str, list[dict[str, float]]] = {"spark": [], "duckdb": []}
    for _ in range(args.repeats):
        runs["spark"].append(clock.measure(spark_sessions, spark, source, spark_out, config)[0])
        runs["duckdb"].append(clock.measure(duckdb_sessions, source, duck_out, config)[0])
    median = {
        side: {key: statistics.median(run[key] for run in side_runs) for key in side_runs[0]}
        for side, side_runs in runs.items()
    }
    return {
        "rows_in": rows_in,
        "runs": runs,
        "median": median,
        "ratio_spark_to_duckdb": median["spark"]["seconds"] / median["duckdb"]["seconds"],
        "cpu_ratio_spark_to_duckdb": median["spark"]["cpu_seconds"] / median["duckdb"]["cpu_seconds"],
        "comparison": compare_sessions(spark_out, duck_out, args.sample_users, seed),
        "boundary_comparison": boundary_check(spark, source, scratch / "boundary", config, args.sample_users),
    }


def boundary_check(
    spark: SparkSession, source: str, scratch: Path, config: Config, sample_users: int
) -> dict[str, object]:
    events, spark_out, duck_out = (str(scratch / name) for name in ("input", "spark", "duckdb"))
    seed = config.generator.seed
    boundary_events(source, events, sample_users, seed)
    spark_sessions(spark, events, spark_out, config)
    duckdb_sessions(events, duck_out, config)
    return compare_sessions(spark_out, duck_out, sample_users, seed)


def bench_scale(clock: Clock, spark: SparkSession, events: int, args, base: list[str]) -> dict[str, object]:
    """Generate (or reuse) about `events` raw lines, run and time the stages, compare the sessionization."""
    folder = Path(args.work) / f"events-{events}"
    root = folder / "lake"
    users = args.users or users_for(events, args.days, load_config("local", base))
    overrides = [*base, f"lake.root={root}", f"generator.users={users}", f"generator.days={args.days}"]
    config = load_config("local", overrides)
    argv = ["--env", "local"] + [part for override in overrides for part in ("--set", override)]
    scale = {
        "users": users,
        "days": args.days,
        "seed": config.generator.seed,
        "items": config.generator.items,
    }
    print(f"[{events:,} events] {users:,} users x {args.days} days under {root}: generating", flush=True)
    generation = generate(clock, root, argv, scale)
    # A clean slate for the stages: only the raw files and the generator's truth stay.
    for layer in ("bronze", "silver", "gold", "mlflow"):
        shutil.rmtree(root / layer, ignore_errors=True)
    shutil.rmtree(folder / "sessions", ignore_errors=True)

    lake = open_lake(spark, config.lake)
    dates = raw_dates(root)
    first, last = dates[0].isoformat(), dates[-1].isoformat()
    raw_lines = lake.files.read_lines("raw/events").count()
    stages = {}
    print(
        f"[{events:,} events] {raw_lines:,} raw lines, raw dates {first}..{last}; running the stages",
        flush=True,
    )
    timing = run_job(clock, ingest_catalog.main, [*argv, "--date", last])
    catalog = sum(count(lake, name) for name in ("bronze.users", "bronze.items", "bronze.catalog_quarantine"))
    stages["ingest_catalog"] = {"rows_in": catalog, **timing, "rows_out": catalog}
    timing = run_job(clock, ingest_events.main, [*argv, "--from-date", first, "--date", last])
    bronze = count(lake, "bronze.events")
    stages["ingest_events"] = {"rows_in": raw_lines, **timing, "rows_out": bronze}
    timing = run_job(clock, build_silver.main, [*argv, "--from-date", first, "--date", last])
    silver = count(lake, "silver.events")
    stages["build_silver"] = {"rows_in": bronze, **timing, "rows_out": silver}
    timing = run_job(clock, build_interactions.main, [*argv, "--date", last])
    interactions = count(lake, "gold.user_item_interactions")
    stages["build_interactions"] = {"rows_in": silver, **timing, "rows_out": interactions}
    for stage in stages.values():
        stage["rows_per_second"] = stage["rows_in"] / stage["seconds"]
    print(f"[{events:,} events] sessionization: Spark and DuckDB on the same Parquet files", flush=True)
    return {
        "target_events": events,
        "scale": scale,
        "generation_seconds": generation,
        "raw_lines": raw_lines,
        "bronze_quarantine": count(lake, "bronze.events_quarantine"),
        "silver_sessions": count(lake, "silver.sessions"),
        "stages": stages,
        "sessions": bench_sessions(clock, spark, lake, folder / "sessions", config, args),
    }


def bench_lake(clock: Clock, spark: SparkSession, args, base: list[str]) -> dict[str, object]:
    """The sessionization comparison alone, on the silver.events of the lake at `args.lake`."""
    root = Path(args.lake).resolve()
    config = load_config("local", [*base, f"lake.root={root}"])
    lake = open_lake(spark, config.lake)
    if not lake.table("silver.events").exists():
        raise SystemExit(f"--lake {root}: no silver.events table (run build_silver on it first)")
    scratch = Path(args.work) / f"lake-{root.name}"
    shutil.rmtree(scratch, ignore_errors=True)
    print(f"[{root}] sessionization: Spark and DuckDB on the same Parquet files", flush=True)
    return {
        "lake": str(root),
        "stages": {},
        "sessions": bench_sessions(clock, spark, lake, scratch, config, args),
    }


def report(result: dict[str, object]) -> None:
    sessions = result["sessions"]
    print()
    if "lake" in result:
        print(f"== silver.events of {result['lake']} (stages skipped)")
    else:
        scale, generation = result["scale"], result["generation_seconds"]
        print(
            f"== {result['raw_lines']:,} raw event lines ({scale['users']:,} users x {scale['days']} days, "
            f"{scale['items']:,} items, seed {scale['seed']}); generation "
            + ("reused" if generation is None else f"{generation:.0f}s, not a measured stage")
        )
    print(
        f"{'stage':24s} {'rows in':>11s} {'wall s':>8s} {'rows/s':>9s} {'CPU s':>8s} {'rows/CPU s':>10s} "
        f"{'rows out':>11s} {'load':>5s}"
    )
    comparison = sessions["comparison"]
    lines = [(name, stage["rows_in"], stage, stage["rows_out"]) for name, stage in result["stages"].items()]
    lines += [
        (label, sessions["rows_in"], sessions["median"][side], comparison[f"sessions_{side}"])
        for side, label in (("spark", "sessionize Spark"), ("duckdb", "sessionize DuckDB SQL"))
    ]
    for name, rows_in, timing, rows_out in lines:
        print(
            f"{name:24s} {rows_in:11,d} {timing['seconds']:8.1f} {rows_in / timing['seconds']:9,.0f} "
            f"{timing['cpu_seconds']:8.1f} {rows_in / timing['cpu_seconds']:10,.0f} {rows_out:11,d} "
            f"{timing['load_1min_before']:5.1f}"
        )
    print(
        f"Spark / DuckDB sessionization: wall time ratio {sessions['ratio_spark_to_duckdb']:.2f}, CPU time "
        f"ratio {sessions['cpu_ratio_spark_to_duckdb']:.2f} (both {CORES} threads, median of "
        f"{len(sessions['runs']['spark'])} run(s))"
    )
    if "lake" not in result:
        print(
            f"bronze.events_quarantine {result['bronze_quarantine']:,} rows; silver.sessions written by "
            f"build_silver {result['silver_sessions']:,} rows"
        )
    print(
        f"comparison: {comparison['sample_sessions']:,} sessions of {comparison['sample_users']:,} sampled "
        f"users, {comparison['sample_mismatches']} mismatching; full tables: "
        f"{comparison['full_rows_spark_not_duckdb']} rows only in Spark, "
        f"{comparison['full_rows_duckdb_not_spark']} only in DuckDB"
    )
    boundary = sessions["boundary_comparison"]
    print(
        f"boundary check (the sampled users' events with 30-minute gaps, time ties, missing and switched "
        f"channels): {boundary['sessions_spark']:,} sessions, "
        f"{boundary['full_rows_spark_not_duckdb'] + boundary['full_rows_duckdb_not_spark']} rows differ"
    )
    for check in (comparison, boundary):
        if (
            check["sample_mismatches"]
            or check["full_rows_spark_not_duckdb"]
            or check["full_rows_duckdb_not_spark"]
        ):
            print(f"  first differences: {json.dumps(check, default=str, indent=1)}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--days", type=int, default=30, help="days of the generated period")
    parser.add_argument("--users", type=int, default=None, help="users instead of the computed count")
    parser.add_argument("--repeats", type=int, default=1, help="sessionization runs per side (median)")
    parser.add_argument("--sample-users", type=int, default=1000)
    parser.add_argument("--work", default=None, help="scratch folder, kept for reuse (default: temporary)")
    parser.add_argument("--json", default=None, help="also write the results to this file")
    parser.add_argument(
        "--lake", default=None, help="skip generation and stages: sessionize this lake's silver.events"
    )
    parser.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="config override for the session and every job, e.g. spark.driver_memory=8g (repeatable)",
    )
    args = parser.parse_args()
    if args.users and len(args.events) > 1:
        parser.error("--users fixes the scale of one run: give one --events value with it")
    work_given = args.work is not None
    args.work = args.work or tempfile.mkdtemp(prefix="bench-behaviour-")
    # Not a secret: pseudonyms of generated phone numbers and e-mails in a throw-away lake.
    os.environ["SHOP_PII_SALT"] = "bench-behaviour"

    base = [f"spark.master=local[{CORES}]", "spark.ui_enabled=false", *args.overrides]
    load_start = load_average()
    spark = get_spark(load_config("local", base).spark, "bench-behaviour")
    clock = Clock(spark)
    results = {"machine": machine(spark), "load_average_start": load_start, "scales": []}
    print(f"machine: {json.dumps(results['machine'])}")
    print(f"load average (1, 5, 15 min) at start: {load_start}", flush=True)
    if args.lake:
        results["scales"].append(bench_lake(clock, spark, args, base))
        report(results["scales"][-1])
    for events in [] if args.lake else args.events:
        results["scales"].append(bench_scale(clock, spark, events, args, base))
        report(results["scales"][-1])
    results["load_average_end"] = load_average()
    print(f"\nload average (1, 5, 15 min) at end: {results['load_average_end']}")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2, default=str))
    if not work_given:
        shutil.rmtree(args.work, ignore_errors=True)
    spark.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
