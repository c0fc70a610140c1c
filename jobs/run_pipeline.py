"""Run the daily pipeline's tasks in dependency order in one Spark session.

    python -m jobs.run_pipeline --env local --date 2026-10-30 [--only TASK] [--from TASK]
    python -m jobs.run_pipeline --env local --from-date 2026-10-01 --date 2026-10-30     # back-fill
    python -m jobs.run_pipeline --env local --sample-data --date 2026-10-30              # the demo

Each task is a job module with `main(argv) -> int`; the runner passes on `--env`, `--date` and `--set`,
logs each task's time and the rows it wrote per table, and stops at the first failure, naming the task so
it can be resumed with `--from`.
A back-fill passes `--from-date` to the tasks that take a date range and runs the others as of `--date`
(they catch up from their own state). `--sample-data` first generates the sample shop for the period
ending on `--date`, back-fills that whole period (unless `--from-date` says otherwise) and ends by measuring
sessions, quarantine and tags against the generator's truth.
"""

from __future__ import annotations

import datetime as dt
import importlib
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass

from shop_platform.cli import job_parser, parse_job_args
from shop_platform.logs import get_logger
from shop_platform.reporting.output import report_path
from shop_platform.storage.journal import WRITE_JOURNAL, rows_by_table

log = get_logger("jobs.run_pipeline")


@dataclass(frozen=True)
class Task:
    name: str
    module: str
    depends_on: tuple[str, ...] = ()
    # Takes `--from-date` for a back-fill in one run; other tasks run as of the last date.
    date_range: bool = False


# The daily DAG. Tasks marked date_range compute every date of a back-fill (their history is read later:
# tag snapshots, segments, features, funnels); the others run once, as of the last date.
PIPELINE: tuple[Task, ...] = (
    Task("ingest_catalog", "jobs.ingest_catalog"),
    Task("ingest_events", "jobs.ingest_events", date_range=True),
    Task("ingest_campaigns", "jobs.ingest_campaigns"),
    Task("build_silver", "jobs.build_silver", ("ingest_catalog", "ingest_events"), date_range=True),
    Task("build_interactions", "jobs.build_interactions", ("build_silver",)),
    Task("build_user_features", "jobs.build_user_features", ("build_interactions",), date_range=True),
    Task("build_segments", "jobs.build_segments", ("build_user_features",), date_range=True),
    # The tag snapshot carries the registered propensity model's scores (churn_risk, purchase_propensity).
    Task("train_propensity", "jobs.train_propensity", ("build_silver", "build_user_features")),
    Task("score_propensity", "jobs.score_propensity", ("build_user_features", "train_propensity")),
    Task(
        "build_tag_snapshots",
        "jobs.build_tag_snapshots",
        ("build_user_features", "build_segments", "score_propensity"),
        date_range=True,
    ),
    Task("build_segment_profiles", "jobs.build_segment_profiles", ("build_segments", "build_tag_snapshots")),
    Task("build_audiences", "jobs.build_audiences", ("build_tag_snapshots",)),
    Task(
        "build_behaviour_analytics",
        "jobs.build_behaviour_analytics",
        ("build_silver", "build_segments", "build_tag_snapshots"),
        date_range=True,
    ),
    Task(
        "evaluate_campaigns",
        "jobs.evaluate_campaigns",
        ("ingest_campaigns", "build_silver", "build_user_features", "build_segments", "build_audiences"),
    ),
    Task("evaluate_recommenders", "jobs.evaluate_recommenders", ("build_interactions",)),
    Task("train_als", "jobs.train_als", ("evaluate_recommenders",)),
    Task("build_copurchase_graph", "jobs.build_copurchase_graph", ("build_silver",)),
    Task(
        "build_recommendations",
        "jobs.build_recommendations",
        ("train_als", "build_copurchase_graph", "build_segments", "build_tag_snapshots"),
    ),
    Task(
        "build_report",
        "jobs.build_report",
        (
            "build_behaviour_analytics",
            "build_segment_profiles",
            "build_audiences",
            "evaluate_campaigns",
            "build_recommendations",
            "score_propensity",
        ),
    ),
)
REPORT_TASK = "build_report"
# Not part of the daily DAG: real shops deliver raw files; the demo makes them first and, having the
# generator's ground truth, measures sessions, quarantine and tags against it at the end.
SAMPLE_DATA = Task("generate_sample_data", "jobs.generate_sample_data")
TRUTH_CHECKS: tuple[Task, ...] = (
    Task(
        "measure_behaviour_truth",
        "jobs.measure_behaviour_truth",
        ("build_silver", SAMPLE_DATA.name),
        date_range=True,
    ),
    Task(
        "measure_tag_truth",
        "jobs.measure_tag_truth",
        ("build_tag_snapshots", SAMPLE_DATA.name),
        date_range=True,
    ),
    Task("measure_segments_truth", "jobs.measure_segments_truth", ("build_segments", SAMPLE_DATA.name)),
    Task(
        "measure_bundle_recovery",
        "jobs.measure_bundle_recovery",
        ("build_copurchase_graph", SAMPLE_DATA.name),
    ),
    Task("measure_campaign_truth", "jobs.measure_campaign_truth", ("evaluate_campaigns", SAMPLE_DATA.name)),
)


def ordered(tasks: Sequence[Task]) -> list[Task]:
    """Tasks in an order that respects every dependency (stable for ties)."""
    by_name = {t.name: t for t in tasks}
    done: list[Task] = []
    visiting: set[str] = set()

    def visit(task: Task) -> None:
        if task in done:
            return
        if task.name in visiting:
            raise ValueError(f"pipeline has a dependency cycle through task {task.name!r}")
        visiting.add(task.name)
        for dependency in task.depends_on:
            if dependency not in by_name:
                raise ValueError(f"task {task.name!r} depends on unknown task {dependency!r}")
            visit(by_name[dependency])
        visiting.discard(task.name)
        done.append(task)

    for task in tasks:
        visit(task)
    return done


def select(tasks: list[Task], only: Sequence[str], start_from: str | None) -> list[Task]:
    names = [t.name for t in tasks]
    for name in [*only, *([start_from] if start_from else [])]:
        if name not in names:
            raise ValueError(f"unknown task {name!r}; tasks are: {', '.join(names)}")
    if start_from:
        tasks = tasks[names.index(start_from) :]
    return [t for t in tasks if not only or t.name in only]


def describe_writes(rows: dict[str, int | None]) -> str:
    """ "bronze.events 990,183 rows, bronze.events_quarantine 3,510 rows" (or "no tables")."""
    if not rows:
        return "no tables"
    return ", ".join(f"{table} {'?' if n is None else f'{n:,}'} rows" for table, n in rows.items())


def main(argv: Sequence[str] | None = None) -> int:
    parser = job_parser(__doc__.splitlines()[0], date_range=True)
    parser.add_argument("--only", action="append", default=[], metavar="TASK", help="run only these tasks")
    parser.add_argument("--from", dest="start_from", metavar="TASK", help="resume from this task")
    parser.add_argument(
        "--sample-data",
        action="store_true",
        help=f"first run {SAMPLE_DATA.name} for the period ending on --date, back-fill that period and "
        f"finish with {', '.join(task.name for task in TRUTH_CHECKS)}",
    )
    ctx = parse_job_args(parser, argv)
    pipeline = (SAMPLE_DATA, *PIPELINE, *TRUTH_CHECKS) if ctx.args.sample_data else PIPELINE
    try:
        tasks = select(ordered(pipeline), ctx.args.only, ctx.args.start_from)
    except ValueError as exc:
        parser.exit(2, f"{exc}\n")
    first_date = ctx.args.from_date
    if ctx.args.sample_data and first_date is None:
        first_date = ctx.run_date - dt.timedelta(days=ctx.config.generator.days - 1)
    common = ["--env", ctx.env, "--date", ctx.run_date.isoformat()]
    for override in ctx.args.overrides:
        common += ["--set", override]
    back_fill = ["--from-date", first_date.isoformat()] if first_date and first_date < ctx.run_date else []

    started = time.perf_counter()
    for position, task in enumerate(tasks, start=1):
        log.info("[%d/%d] %s: starting", position, len(tasks), task.name)
        task_started = time.perf_counter()
        mark = WRITE_JOURNAL.mark()
        try:
            task_argv = [*common, *back_fill] if task.date_range else common
            status = importlib.import_module(task.module).main(task_argv)
        except Exception:
            log.exception("task %s failed; resume with --from %s", task.name, task.name)
            return 1
        if status != 0:
            log.error("task %s exited with %s; resume with --from %s", task.name, status, task.name)
            return status
        log.info(
            "[%d/%d] %s: done in %.1fs; wrote %s",
            position,
            len(tasks),
            task.name,
            time.perf_counter() - task_started,
            describe_writes(rows_by_table(WRITE_JOURNAL.since(mark))),
        )
    log.info(
        "pipeline for %s..%s finished: %d tasks in %.1fs",
        first_date or ctx.run_date,
        ctx.run_date,
        len(tasks),
        time.perf_counter() - started,
    )
    if REPORT_TASK in {task.name for task in tasks}:
        cfg = ctx.config
        path = report_path(cfg.report.output_root or cfg.lake.root, ctx.run_date)
        log.info("report: %s", path)
        print(f"report: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
