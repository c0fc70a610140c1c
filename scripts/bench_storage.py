"""Price of the Delta commit: the embedded engine's write and read of a table against plain Spark Parquet.

    .venv/bin/python scripts/bench_storage.py [--rows 5000000] [--repeats 3] [--out DIR]

Both sides write the same DataFrame, partitioned the same way, in the same Spark session, and read it back
with the same full-scan aggregate. Reported as medians and as ratios embedded / plain Parquet.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from shop_platform.config import load_config
from shop_platform.session import get_spark
from shop_platform.settings import LakeSettings
from shop_platform.storage import LakeTable, open_lake


def bench_frame(spark, rows: int) -> DataFrame:
    return spark.range(rows).select(
        F.format_string("u%07d", F.col("id") % 200_000).alias("user_id"),
        F.format_string("i%06d", F.col("id") % 20_000).alias("item_id"),
        (F.col("id") % 9973 / 7.0).alias("amount"),
        (F.lit(1_790_000_000) + F.col("id")).cast("timestamp").alias("event_time"),
        F.date_add(F.lit("2026-10-01").cast("date"), (F.col("id") % 30).cast("int")).alias("event_date"),
    )


def scan(df: DataFrame) -> tuple:
    return tuple(
        df.agg(F.count("*"), F.sum("amount"), F.countDistinct("user_id"), F.max("event_time")).first()
    )


def timed(action: Callable[..., object], *args: object) -> tuple[float, object]:
    started = time.perf_counter()
    result = action(*args)
    return time.perf_counter() - started, result


def read_and_scan(table: LakeTable) -> tuple:
    return scan(table.read())  # resolving the Delta snapshot is part of the read


def write_parquet(df: DataFrame, path: str) -> None:
    df.write.mode("overwrite").partitionBy("event_date").parquet(path)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=5_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", default=None, help="scratch folder (default: a temporary one)")
    args = parser.parse_args()

    config = load_config("local", ["spark.ui_enabled=false"])
    spark = get_spark(config.spark, "bench-storage")
    out = args.out or tempfile.mkdtemp(prefix="bench-storage-")
    # The input is materialised once so both sides pay only for writing, not for generating.
    source_path = f"{out}/source"
    bench_frame(spark, args.rows).write.mode("overwrite").parquet(source_path)
    source = spark.read.parquet(source_path)

    results: dict[str, list[float]] = {
        "parquet write": [],
        "parquet read": [],
        "delta write": [],
        "delta read": [],
    }
    for attempt in range(args.repeats):
        parquet_path = f"{out}/parquet-{attempt}"
        seconds, _ = timed(write_parquet, source, parquet_path)
        results["parquet write"].append(seconds)
        seconds, parquet_scan = timed(scan, spark.read.parquet(parquet_path))
        results["parquet read"].append(seconds)

        lake = open_lake(spark, LakeSettings(f"{out}/lake-{attempt}", "embedded", 168, 24))
        table = lake.table("bronze.bench", schema=source.schema, partition_by=["event_date"])
        seconds, _ = timed(table.append, source)
        results["delta write"].append(seconds)
        seconds, delta_scan = timed(read_and_scan, table)
        results["delta read"].append(seconds)
        assert parquet_scan == delta_scan, (parquet_scan, delta_scan)

    median = {name: statistics.median(values) for name, values in results.items()}
    print(f"rows: {args.rows:,}  repeats: {args.repeats}  partitions: 30 dates")
    for name, value in median.items():
        print(f"{name:14s} median {value:7.2f}s  runs {', '.join(f'{v:.2f}' for v in results[name])}")
    print(
        f"write ratio (embedded Delta / plain Parquet): {median['delta write'] / median['parquet write']:.2f}"
    )
    print(
        f"read ratio  (embedded Delta / plain Parquet): {median['delta read'] / median['parquet read']:.2f}"
    )
    if not args.out:
        shutil.rmtree(out, ignore_errors=True)
    spark.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
