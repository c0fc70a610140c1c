"""The demo: generate the sample shop, back-fill its whole period through the daily pipeline and measure
the results against the generator's planted truth.

    python -m sample_shop.demo --env local --date 2026-10-30 [--set generator.users=2000] [--from TASK]

The sample shop's tasks (conf/pipeline.yaml, `sample_shop`) run before and after the daily DAG, in one
Spark session with the config loaded once. The generated period ends on `--date`; the back-fill covers all
of it unless `--from-date` says otherwise.
"""

from __future__ import annotations

import datetime as dt
import sys

from shop_platform.cli import JobContext
from shop_platform.pipeline import pipeline_command


def generated_period_start(ctx: JobContext) -> dt.date:
    """`--from-date`, or the first day of the generated period that ends on the run date."""
    return ctx.args.from_date or ctx.run_date - dt.timedelta(days=ctx.config.generator.days - 1)


main = pipeline_command(
    __doc__.splitlines()[0],
    tasks_of=lambda pipeline: (*pipeline.sample_shop_before, *pipeline.tasks, *pipeline.sample_shop_after),
    first_date_of=generated_period_start,
)

if __name__ == "__main__":
    sys.exit(main())
