"""Run the daily pipeline's tasks (conf/pipeline.yaml) in dependency order in one Spark session.

    python -m jobs.run_pipeline --env local --date 2026-10-30 [--only TASK] [--from TASK]
    python -m jobs.run_pipeline --env local --from-date 2026-10-01 --date 2026-10-30     # back-fill

The config is loaded once; each task gets the run's `--env`, `--date` and `--set`, and a back-fill's
`--from-date` when it takes a date range (the others run as of `--date` and catch up from their own state).
Each task's time and the rows it wrote per table are logged; the first failure stops the run, naming the
task so it can be resumed with `--from`. The sample shop's demo (`python -m sample_shop.demo`) runs the
same tasks between generating a shop and measuring the results against its truth.
"""

from __future__ import annotations

import sys

from shop_platform.pipeline import pipeline_command

main = pipeline_command(
    __doc__.splitlines()[0],
    tasks_of=lambda pipeline: pipeline.tasks,
    first_date_of=lambda ctx: ctx.args.from_date,
)

if __name__ == "__main__":
    sys.exit(main())
