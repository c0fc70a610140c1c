"""Generate the sample data: raw collector files and ground truth under the lake root.

    shop-generate-sample-data --env local --set generator.users=10000
    spark-submit jobs/generate_sample_data.py --env cluster

The period is `generator.start_date` plus `generator.days`, unless `--date` is given: then the period
ends on that date. (Without `--date` the run date is not used, so the demo data never depends on the clock.)
"""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Sequence

from pyspark import StorageLevel
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


def build_inputs(spark: SparkSession, settings: GeneratorSettings) -> GeneratorInputs:
    """The base frames the generator starts from, sized by the settings."""
    partitions = settings.partitions
    return GeneratorInputs(
        users=spark.range(0, settings.users, numPartitions=partitions),
        items=spark.range(0, settings.items, numPartitions=max(1, min(partitions, settings.items // 1000))),
        bundles=spark.range(0, settings.bundles, numPartitions=1),
        campaigns=spark.range(0, settings.campaigns.count, numPartitions=1),
        bots=spark.range(0, settings.dirt.bot_users, numPartitions=1),
    )


def period_start(ctx: JobContext) -> dt.date:
    """`generator.start_date`, or the start of the period ending on an explicit `--date`."""
    settings = ctx.config.generator
    if ctx.args.date is None:
        return settings.start_date
    return ctx.args.date - dt.timedelta(days=settings.days - 1)


def write_sample_data(data: SampleData, files: LakeFiles, partitions: int) -> dict[str, int]:
    """Write every raw and truth dataset; returns rows written per relative folder."""
    csv = {
        "raw/users": data.raw_users,
        "raw/items": data.raw_items,
        "raw/campaigns": data.raw_campaigns,
        "raw/campaign_assignments": data.raw_campaign_assignments,
    }
    parquet = {
        "truth/personas": data.truth_personas,
        "truth/event_sessions": data.truth_event_sessions,
        "truth/bundles": data.truth_bundles,
        "truth/campaigns": data.truth_campaigns,
        "truth/churn": data.truth_churn,
        "truth/dirt": data.truth_dirt,
    }
    counts: dict[str, int] = {}
    # Lines are counted from the persisted frame, so the count and the files come from one computation.
    raw_events = data.raw_events.coalesce(partitions).persist(StorageLevel.MEMORY_AND_DISK)
    with timed(log, f"write {RAW_EVENTS}"):
        files.write_lines(raw_events, RAW_EVENTS, partition_by=[C.DATE])
        counts[RAW_EVENTS] = raw_events.count()
    raw_events.unpersist()
    for folder, frame in csv.items():
        counts[folder] = _write(folder, frame, files.write_csv)
    for folder, frame in parquet.items():
        counts[folder] = _write(folder, frame, files.write_parquet)
    return counts


def _write(folder: str, frame: DataFrame, writer) -> int:
    frame = frame.persist(StorageLevel.MEMORY_AND_DISK)
    with timed(log, f"write {folder}"):
        writer(frame, folder)
        rows = frame.count()
    frame.unpersist()
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
        settings.users, settings.items, settings.days, start, settings.seed,
    )
    spark = get_spark(ctx.config.spark, app_name="generate_sample_data")
    lake = open_lake(spark, ctx.config.lake)
    data = build_sample_data(build_inputs(spark, settings), settings, ctx.config.app.timezone, start)
    # Sessions and events feed several outputs; keeping them avoids regenerating them for each one.
    data.plans.persist(StorageLevel.MEMORY_AND_DISK)
    data.events.persist(StorageLevel.MEMORY_AND_DISK)
    with timed(log, "generate and write sample data"):
        counts = write_sample_data(data, lake.files, settings.partitions)
    data.events.unpersist()
    data.plans.unpersist()
    log.info(
        "wrote sample data under %s: %s",
        lake.files.root,
        ", ".join(f"{folder} {rows} rows" for folder, rows in counts.items()),
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
