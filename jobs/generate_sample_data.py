"""Generate the sample data: raw collector files and ground truth under the lake root.

    shop-generate-sample-data --env local --set generator.users=10000
    spark-submit jobs/generate_sample_data.py --env cluster

The period is `generator.start_date` plus `generator.days`, unless `--date` is given: then the period
ends on that date. (Without `--date` the run date is not used, so the demo data never depends on the clock.)
"""

from __future__ import annotations

import datetime as dt
import sys
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import partial

from pyspark.sql import DataFrame, SparkSession

from shop_platform.cli import JobContext, job_parser, parse_job_args
from shop_platform.logs import get_logger, timed
from shop_platform.session import get_spark
from shop_platform.settings import GeneratorSettings
from shop_platform.storage import open_lake
from shop_platform.storage.files import LakeFiles
from transforms import columns as C
from transforms.sample_data.dataset import GeneratorInputs, SampleData, build_sample_data

log = get_logger("jobs.generate_sample_data")

RAW_EVENTS = "raw/events"
# Writes in flight at once (see `write_sample_data`).
WRITERS = 3


def build_inputs(spark: SparkSession, settings: GeneratorSettings) -> GeneratorInputs:
    """The base frames the generator starts from, sized by the settings."""
    partitions = settings.partitions
    return GeneratorInputs(
        users=spark.range(0, settings.users, numPartitions=partitions),
        items=spark.range(0, settings.items, numPartitions=max(1, min(partitions, settings.items // 1000))),
        bundles=spark.range(0, settings.bundles, numPartitions=1),
        campaigns=spark.range(0, settings.campaigns.count, numPartitions=1),
        # Bots write a large share of all events: one partition each (up to `partitions`) spreads that work.
        bots=spark.range(
            0, settings.dirt.bot_users, numPartitions=max(1, min(partitions, settings.dirt.bot_users))
        ),
    )


def period_start(ctx: JobContext) -> dt.date:
    """`generator.start_date`, or the start of the period ending on an explicit `--date`."""
    settings = ctx.config.generator
    if ctx.args.date is None:
        return settings.start_date
    return ctx.args.date - dt.timedelta(days=settings.days - 1)


class LocalCheckpoints:
    """The job's `Checkpoint`: materialises each shared frame once (`DataFrame.localCheckpoint`), logs it.

    Every output is then built on the stored rows instead of regenerating them, and its plan starts from
    them instead of from the whole generator, so planning stays fast and tasks stay small. The rows live
    in the executors' block stores (memory, spilling to disk) for the life of the session.
    `seconds` and `rows` record each materialisation.
    """

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self.rows: dict[str, int] = {}

    def __call__(self, frame: DataFrame, name: str) -> DataFrame:
        started = time.perf_counter()
        kept = frame.localCheckpoint(eager=True)
        # Counting the stored blocks is cheap. Not `Observation`: in Spark 4 it leaves the session
        # unserializable, and later jobs of the same process whose tasks capture the session then fail
        # (MLlib's evaluators, ALS).
        self.rows[name] = kept.count()
        self.seconds[name] = time.perf_counter() - started
        log.info("generated %s: %d rows in %.2fs", name, self.rows[name], self.seconds[name])
        return kept


def write_sample_data(data: SampleData, files: LakeFiles, partitions: int) -> dict[str, int]:
    """Write every raw and truth dataset; returns rows written per relative folder.

    The writes are independent Spark jobs, submitted WRITERS at a time from threads: while the driver
    plans and compiles one, the executors run another's tasks.
    """
    lines = partial(files.write_lines, partition_by=[C.DATE])
    writes = {
        RAW_EVENTS: (data.raw_events.coalesce(partitions), lines),
        "raw/users": (data.raw_users, files.write_csv),
        "raw/items": (data.raw_items, files.write_csv),
        "raw/campaigns": (data.raw_campaigns, files.write_csv),
        "raw/campaign_assignments": (data.raw_campaign_assignments, files.write_csv),
        "truth/personas": (data.truth_personas, files.write_parquet),
        "truth/event_sessions": (data.truth_event_sessions, files.write_parquet),
        "truth/bundles": (data.truth_bundles, files.write_parquet),
        "truth/campaigns": (data.truth_campaigns, files.write_parquet),
        "truth/churn": (data.truth_churn, files.write_parquet),
        "truth/dirt": (data.truth_dirt, files.write_parquet),
    }
    with ThreadPoolExecutor(max_workers=WRITERS, thread_name_prefix="write") as pool:
        pending = {
            folder: pool.submit(_write, folder, frame, writer) for folder, (frame, writer) in writes.items()
        }
        return {folder: future.result() for folder, future in pending.items()}


def _write(folder: str, frame: DataFrame, writer: Callable[[DataFrame, str], None]) -> int:
    # A count needs no columns, so it costs a fraction of the write (see `LocalCheckpoints` for why not
    # `Observation`).
    with timed(log, f"write {folder}"):
        rows = frame.count()
        writer(frame, folder)
    log.info("%s: %d rows", folder, rows)
    return rows


def main(argv: Sequence[str] | None = None) -> int:
    """Generate the sample data for the configured scale and write it under the lake root."""
    parser = job_parser("Generate seeded sample data: raw event, user, item and campaign files plus truth.")
    ctx = parse_job_args(parser, argv)
    settings = ctx.config.generator
    start = period_start(ctx)
    log.info(
        "generating %d users, %d items, %d days from %s (seed %d)",
        settings.users,
        settings.items,
        settings.days,
        start,
        settings.seed,
    )
    spark = get_spark(ctx.config.spark, app_name="generate_sample_data")
    lake = open_lake(spark, ctx.config.lake)
    with timed(log, "generate users, sessions, orders and events"):
        data = build_sample_data(
            build_inputs(spark, settings),
            settings,
            ctx.config.app.timezone,
            start,
            checkpoint=LocalCheckpoints(),
        )
    with timed(log, "write sample data"):
        counts = write_sample_data(data, lake.files, settings.partitions)
    log.info(
        "wrote sample data under %s: %s",
        lake.files.root,
        ", ".join(f"{folder} {rows} rows" for folder, rows in counts.items()),
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
