"""Generate the sample data: raw collector files and ground truth under the lake root.

    python -m sample_shop.jobs.generate_sample_data --env local --set generator.users=10000
    spark-submit sample_shop/jobs/generate_sample_data.py --env cluster

The period is `generator.start_date` plus `generator.days`, unless `--date` is given: then the period
ends on that date. (Without `--date` the run date is not used, so the demo data never depends on the clock.)
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys

from sample_shop.generator.dataset import build_inputs, build_sample_data
from sample_shop.generator.materialise import LocalCheckpoints, write_sample_data
from shop_platform.cli import JobContext, command, job_parser
from shop_platform.logs import get_logger, timed
from shop_platform.session import get_spark
from shop_platform.storage import open_lake

log = get_logger("sample_shop.jobs.generate_sample_data")


def parser() -> argparse.ArgumentParser:
    return job_parser("Generate seeded sample data: raw event, user, item and campaign files plus truth.")


def period_start(ctx: JobContext) -> dt.date:
    """`generator.start_date`, or the start of the period ending on an explicit `--date`."""
    settings = ctx.config.generator
    if ctx.args.date is None:
        return settings.start_date
    return ctx.args.date - dt.timedelta(days=settings.days - 1)


def run(ctx: JobContext) -> int:
    """Generate the sample data for the configured scale and write it under the lake root."""
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


main = command(parser, run)

if __name__ == "__main__":
    sys.exit(main())
