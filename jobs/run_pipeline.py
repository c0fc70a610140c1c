"""Run the daily pipeline's tasks in dependency order in one Spark session.

    python -m jobs.run_pipeline --env local --date 2026-10-30 [--only TASK] [--from TASK]

Each task is a job module with `main(argv) -> int`; the runner passes on `--env`, `--date` and `--set`,
logs each task's time, and stops at the first failure, naming the task so it can be resumed with `--from`.
"""

from __future__ import annotations

import importlib
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass

from shop_platform.cli import job_parser, parse_job_args
from shop_platform.logs import get_logger

log = get_logger("jobs.run_pipeline")


@dataclass(frozen=True)
class Task:
    name: str
    module: str
    depends_on: tuple[str, ...] = ()


# The daily DAG so far; later stages (bronze, silver, tags, models, report) are appended as they land.
PIPELINE: tuple[Task, ...] = (Task("generate_sample_data", "jobs.generate_sample_data"),)


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


def main(argv: Sequence[str] | None = None) -> int:
    parser = job_parser(__doc__.splitlines()[0])
    parser.add_argument("--only", action="append", default=[], metavar="TASK", help="run only these tasks")
    parser.add_argument("--from", dest="start_from", metavar="TASK", help="resume from this task")
    ctx = parse_job_args(parser, argv)
    try:
        tasks = select(ordered(PIPELINE), ctx.args.only, ctx.args.start_from)
    except ValueError as exc:
        parser.exit(2, f"{exc}\n")
    task_argv = ["--env", ctx.env, "--date", ctx.run_date.isoformat()]
    for override in ctx.args.overrides:
        task_argv += ["--set", override]

    started = time.perf_counter()
    for position, task in enumerate(tasks, start=1):
        log.info("[%d/%d] %s: starting", position, len(tasks), task.name)
        task_started = time.perf_counter()
        try:
            status = importlib.import_module(task.module).main(task_argv)
        except Exception:
            log.exception("task %s failed; resume with --from %s", task.name, task.name)
            return 1
        if status != 0:
            log.error("task %s exited with %s; resume with --from %s", task.name, status, task.name)
            return status
        log.info(
            "[%d/%d] %s: done in %.1fs", position, len(tasks), task.name, time.perf_counter() - task_started
        )
    log.info(
        "pipeline for %s finished: %d tasks in %.1fs", ctx.run_date, len(tasks), time.perf_counter() - started
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
