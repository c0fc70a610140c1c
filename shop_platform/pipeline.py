"""The daily pipeline's DAG (conf/pipeline.yaml) and running its tasks in one Spark session.

A task is a job module with `parser()` and `run(context)` (see shop_platform.cli). The runner loads the
config once, hands every task the same context (its own options at their defaults, `--from-date` only when
the task takes a date range), logs each task's time and the rows it wrote per table, and stops at the first
failure, naming the task so it can be resumed with `--from`.

Each task has a schedule (`schedule: daily`, the default, or `schedule: weekly on sunday`): a daily run (no
first date: `run_pipeline` without `--from-date`) skips a task that is not due on its run date and logs when
it runs next; a back-fill runs every task, the non-range ones (training among them) once, as of its last
date; `--only TASK` runs the named tasks whatever their schedule.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from shop_platform.cli import JobContext, job_parser, parse_job_args
from shop_platform.config import CONF_DIR, ConfigError
from shop_platform.logs import get_logger
from shop_platform.run_metrics import CostLog, TaskCost, measured
from shop_platform.storage.journal import WRITE_JOURNAL, rows_by_table
from shop_platform.storage.local_files import report_path

log = get_logger(__name__)

PIPELINE_FILE = CONF_DIR / "pipeline.yaml"
REPORT_TASK = "build_report"
PRODUCT_PACKAGE = "jobs"
SAMPLE_SHOP_PACKAGE = "sample_shop.jobs"
TASK_KEYS = frozenset({"name", "depends_on", "date_range", "schedule"})
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
DAILY_TEXT, WEEKLY_PREFIX = "daily", "weekly on "


@dataclass(frozen=True)
class Schedule:
    """When a task is due in a daily run: every day (`weekday` None) or once a week on `weekday` (0 = Monday,
    as `datetime.date.weekday()`)."""

    weekday: int | None = None

    @classmethod
    def parse(cls, text: str) -> Schedule:
        """`daily` or `weekly on <weekday>` (monday..sunday); ValueError for anything else."""
        words = text.lower().split() if isinstance(text, str) else []
        if words == [DAILY_TEXT]:
            return cls()
        if len(words) == 3 and words[:2] == WEEKLY_PREFIX.split() and words[2] in WEEKDAYS:
            return cls(WEEKDAYS.index(words[2]))
        raise ValueError(
            f"schedule {text!r} is neither {DAILY_TEXT!r} nor '{WEEKLY_PREFIX}<day>' with a day of "
            f"{', '.join(WEEKDAYS)}"
        )

    def due_on(self, day: dt.date) -> bool:
        return self.weekday is None or day.weekday() == self.weekday

    def next_run(self, day: dt.date) -> dt.date:
        """The first date on or after `day` the task is due."""
        return day if self.weekday is None else day + dt.timedelta(days=(self.weekday - day.weekday()) % 7)

    def __str__(self) -> str:
        return DAILY_TEXT if self.weekday is None else WEEKLY_PREFIX + WEEKDAYS[self.weekday]


DAILY = Schedule()


@dataclass(frozen=True)
class Task:
    name: str
    module: str
    depends_on: tuple[str, ...] = ()
    # Takes `--from-date` for a back-fill in one run; other tasks run as of the last date.
    date_range: bool = False
    # When a daily run runs it (a back-fill and `--only` run it regardless).
    schedule: Schedule = DAILY

    @property
    def console_script(self) -> str:
        """The task's console script (setup.py makes one per job module): build_silver -> shop-build-silver."""
        return "shop-" + self.name.replace("_", "-")


@dataclass(frozen=True)
class Pipeline:
    """The daily DAG's tasks, and the sample shop's tasks that run before and after it in the demo."""

    tasks: tuple[Task, ...]
    sample_shop_before: tuple[Task, ...]
    sample_shop_after: tuple[Task, ...]


def load_pipeline(path: Path = PIPELINE_FILE) -> Pipeline:
    """Read the DAG; a malformed entry is a ConfigError naming the file and the task."""
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"{path}: cannot read the pipeline: {exc}") from exc
    sample_shop = document.get("sample_shop") or {}
    pipeline = Pipeline(
        tasks=_tasks(path, "tasks", document.get("tasks"), PRODUCT_PACKAGE),
        sample_shop_before=_tasks(path, "sample_shop.before", sample_shop.get("before"), SAMPLE_SHOP_PACKAGE),
        sample_shop_after=_tasks(path, "sample_shop.after", sample_shop.get("after"), SAMPLE_SHOP_PACKAGE),
    )
    try:
        ordered(pipeline.tasks)
        ordered((*pipeline.sample_shop_before, *pipeline.tasks, *pipeline.sample_shop_after))
    except ValueError as exc:
        raise ConfigError(f"{path}: {exc}") from exc
    return pipeline


def _tasks(path: Path, section: str, entries: Any, package: str) -> tuple[Task, ...]:
    if entries is None:
        return ()
    if not isinstance(entries, list):
        raise ConfigError(f"{path}: {section} must be a list of tasks")
    tasks = []
    for position, entry in enumerate(entries, start=1):
        where = f"{path}: {section}[{position}]"
        if not isinstance(entry, Mapping) or not isinstance(entry.get("name"), str):
            raise ConfigError(f"{where}: a task is a mapping with a name")
        unknown = sorted(set(entry) - TASK_KEYS)
        if unknown:
            raise ConfigError(
                f"{where} ({entry['name']}): unknown keys {unknown}; known: {sorted(TASK_KEYS)}"
            )
        depends_on = entry.get("depends_on") or []
        if not isinstance(depends_on, list) or not all(isinstance(d, str) for d in depends_on):
            raise ConfigError(f"{where} ({entry['name']}): depends_on must be a list of task names")
        if not isinstance(entry.get("date_range", False), bool):
            raise ConfigError(f"{where} ({entry['name']}): date_range must be true or false")
        name = entry["name"]
        try:
            schedule = Schedule.parse(entry.get("schedule", DAILY_TEXT))
        except ValueError as exc:
            raise ConfigError(f"{where} ({name}): {exc}") from exc
        tasks.append(
            Task(name, f"{package}.{name}", tuple(depends_on), entry.get("date_range", False), schedule)
        )
    return tuple(tasks)


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


def due_tasks(tasks: Sequence[Task], run_date: dt.date) -> list[Task]:
    """The tasks a daily run of `run_date` runs: those due on it; logs each skipped one and its next run."""
    due = []
    for task in tasks:
        if task.schedule.due_on(run_date):
            due.append(task)
        else:
            log.info(
                "%s skipped: %s, next run %s", task.name, task.schedule, task.schedule.next_run(run_date)
            )
    return due


def describe_writes(rows: dict[str, int | None]) -> str:
    """ "bronze.events 990,183 rows, bronze.events_quarantine 3,510 rows" (or "no tables")."""
    if not rows:
        return "no tables"
    return ", ".join(f"{table} {'?' if n is None else f'{n:,}'} rows" for table, n in rows.items())


def pipeline_command(
    description: str,
    tasks_of: Callable[[Pipeline], Sequence[Task]],
    first_date_of: Callable[[JobContext], dt.date | None],
) -> Callable[[Sequence[str] | None], int]:
    """A runner's `main(argv)`: parse the runner's arguments and load the config once, pick the tasks of the
    DAG (`tasks_of`), order and select them (`--only`, `--from`), run them as a back-fill from
    `first_date_of(context)` (None: a daily run, which skips the tasks not due on the run date unless they
    are named by `--only`) and say where the report is."""

    def main(argv: Sequence[str] | None = None) -> int:
        parser = runner_parser(description)
        ctx = parse_job_args(parser, argv)
        try:
            tasks = select(ordered(tasks_of(load_pipeline())), ctx.args.only, ctx.args.start_from)
        except (ValueError, ConfigError) as exc:
            parser.exit(2, f"{exc}\n")
        first_date = first_date_of(ctx)
        if first_date is None and not ctx.args.only:
            tasks = due_tasks(tasks, ctx.run_date)
        status = run_tasks(back_filled_from(ctx, first_date), tasks)
        if status == 0:
            announce_report(ctx, tasks)
        return status

    return main


def runner_parser(description: str) -> argparse.ArgumentParser:
    """The runner's arguments: the shared job arguments with `--from-date`, plus `--only` and `--from`."""
    parser = job_parser(description, date_range=True)
    parser.add_argument("--only", action="append", default=[], metavar="TASK", help="run only these tasks")
    parser.add_argument("--from", dest="start_from", metavar="TASK", help="resume from this task")
    parser.add_argument(
        "--costs",
        type=Path,
        metavar="CSV",
        help="append each task's wall and CPU seconds, rows written and peak memory to this CSV",
    )
    parser.add_argument("--costs-label", metavar="TEXT", help="the CSV's run column (default: the dates)")
    return parser


def run_tasks(ctx: JobContext, tasks: Sequence[Task]) -> int:
    """Run `tasks` in order with the run's context; the first failing task's status (1 for an exception)."""
    started = time.perf_counter()
    costs = cost_log(ctx)
    for position, task in enumerate(tasks, start=1):
        log.info("[%d/%d] %s: starting", position, len(tasks), task.name)
        mark = WRITE_JOURNAL.mark()
        status = 1
        with measured() as cost:
            try:
                job = importlib.import_module(task.module)
                status = job.run(ctx.for_task(job.parser(), back_fill=task.date_range))
            except Exception:
                log.exception("task %s failed; resume with --from %s", task.name, task.name)
        written = rows_by_table(WRITE_JOURNAL.since(mark))
        if costs is not None:
            costs.write(
                TaskCost(
                    task.name,
                    "ok" if status == 0 else "failed",
                    round(cost.wall_s, 2),
                    round(cost.cpu_s, 2),
                    None if None in written.values() else sum(n or 0 for n in written.values()),
                    round(cost.peak_rss_mb, 1),
                )
            )
        if status != 0:
            log.error("task %s exited with %s; resume with --from %s", task.name, status, task.name)
            return status
        log.info(
            "[%d/%d] %s: done in %.1fs (CPU %.1fs, peak %.0f MiB); wrote %s",
            position,
            len(tasks),
            task.name,
            cost.wall_s,
            cost.cpu_s,
            cost.peak_rss_mb,
            describe_writes(written),
        )
    log.info(
        "pipeline for %s..%s finished: %d tasks in %.1fs",
        ctx.first_date,
        ctx.run_date,
        len(tasks),
        time.perf_counter() - started,
    )
    return 0


def cost_log(ctx: JobContext) -> CostLog | None:
    """Where the run appends its per-task costs (`--costs`), or None."""
    path = getattr(ctx.args, "costs", None)
    if path is None:
        return None
    return CostLog(path, getattr(ctx.args, "costs_label", None) or f"{ctx.first_date}..{ctx.run_date}")


def back_filled_from(ctx: JobContext, first_date: dt.date | None) -> JobContext:
    """The run's context with `--from-date` set to `first_date` (None or the run date: a daily run)."""
    args = argparse.Namespace(**vars(ctx.args))
    args.from_date = first_date if first_date is not None and first_date < ctx.run_date else None
    return JobContext(config=ctx.config, run_date=ctx.run_date, env=ctx.env, args=args)


def announce_report(ctx: JobContext, tasks: Sequence[Task]) -> None:
    """Log and print where the report of the run date is, when the run wrote it."""
    if REPORT_TASK in {task.name for task in tasks}:
        cfg = ctx.config
        path = report_path(cfg.report.output_root or cfg.lake.root, ctx.run_date)
        log.info("report: %s", path)
        print(f"report: {path}")
