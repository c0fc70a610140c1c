"""A day's read as the history grows: one date of a table partitioned by date, and its latest date.

    .venv/bin/python scripts/bench_dated_reads.py [--days 30 365 730] [--files-per-day 8] [--repeats 3]
        [--spark-listing] [--out DIR]

For each history length a table of that many dates (`--files-per-day` Parquet files each, a few rows per
file) is written through the lake (embedded engine, local config), then timed, medians of --repeats:
- `read_on(last)`: the lake's dated read, given only that date's files;
- its peer, the whole snapshot filtered to the date (what a dated read cost before);
- `latest_date()`, answered from the table's log, against its peer, a Spark aggregate over the rows.
Each read is counted, so Spark lists, plans and scans what it was given. A daily job's reads should cost
the same on two years of history as on a month. `--spark-listing` restores Spark's default of listing more
than 32 given paths with a Spark job (conf/local.yaml turns that off).
"""

from __future__ import annotations

import argparse
import datetime as dt
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable

from pyspark.sql import functions as F
from pyspark.sql import types as T

from shop_platform.config import load_config
from shop_platform.session import get_spark
from shop_platform.settings import LakeSettings
from shop_platform.storage import LakeTable, open_lake
from shop_platform.storage.spec import TableSpec

FIRST_DAY = dt.date(2025, 1, 1)
SCHEMA = T.StructType(
    [
        T.StructField("user_id", T.StringType()),
        T.StructField("amount", T.DoubleType()),
        T.StructField("event_date", T.DateType()),
    ]
)
LISTING_THRESHOLD = "spark.sql.sources.parallelPartitionDiscovery.threshold"


def history_table(lake, days: int, files_per_day: int) -> LakeTable:
    """`days` dates from FIRST_DAY, `files_per_day` files per date of 100 rows each."""
    spec = TableSpec(f"silver.history_{days}", SCHEMA, "bench", ("event_date",), date_column="event_date")
    table = lake.table(spec).create()
    rows = days * files_per_day * 100
    frame = lake.spark.range(rows).select(
        F.format_string("u%06d", F.col("id") % 50_000).alias("user_id"),
        (F.col("id") % 997 / 3.0).alias("amount"),
        F.date_add(F.lit(FIRST_DAY), (F.col("id") % days).cast("int")).alias("event_date"),
    )
    # One task per file of each date: the layout of a daily table written by 8 tasks, day after day.
    table.append(frame.repartition(files_per_day))
    return table


def median_seconds(action: Callable[[], object], repeats: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeats):
        started = time.perf_counter()
        result = action()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, nargs="+", default=[30, 365, 730])
    parser.add_argument("--files-per-day", type=int, default=8)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--spark-listing", action="store_true", help="Spark's default parallel listing")
    parser.add_argument("--out", default=None, help="scratch folder (default: a temporary one)")
    args = parser.parse_args()

    cfg = load_config("local")
    spark = get_spark(cfg.spark, app_name="bench_dated_reads")
    if args.spark_listing:
        spark.conf.unset(LISTING_THRESHOLD)
    root = args.out or tempfile.mkdtemp(prefix="bench_dated_reads_")
    lake = open_lake(
        spark,
        LakeSettings(root=root, engine="embedded", vacuum_retention_hours=168, staging_retention_hours=24),
    )
    print(f"{LISTING_THRESHOLD} = {spark.conf.get(LISTING_THRESHOLD)}; {args.files_per_day} files per date")
    print("days | files | read_on(last) s | whole table, filtered s | ratio | latest_date() s | aggregate s")
    try:
        for days in args.days:
            table = history_table(lake, days, args.files_per_day)
            last = FIRST_DAY + dt.timedelta(days=days - 1)
            files = len(table.read().inputFiles())
            dated, rows = median_seconds(lambda t=table, d=last: t.read_on(d).count(), args.repeats)
            whole, whole_rows = median_seconds(
                lambda t=table, d=last: t.read().where(F.col("event_date") == F.lit(d)).count(), args.repeats
            )
            assert rows == whole_rows, (rows, whole_rows)
            logged, latest = median_seconds(table.latest_date, args.repeats)
            aggregate, by_rows = median_seconds(
                lambda t=table: t.read().agg(F.max("event_date")).first()[0], args.repeats
            )
            assert latest == by_rows == last, (latest, by_rows, last)
            print(
                f"{days} | {files} | {dated:.3f} | {whole:.3f} | {whole / dated:.1f} | {logged:.3f} | "
                f"{aggregate:.3f}",
                flush=True,
            )
    finally:
        if args.out is None:
            shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
