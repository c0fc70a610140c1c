"""Keep the Databricks job definition (`conf/jobs/daily_pipeline.json`) in step with the DAG
(conf/pipeline.yaml).

    python -m shop_platform.databricks_job --check     # exit 1 when the file's tasks differ from the DAG
    python -m shop_platform.databricks_job --write     # rewrite the file's tasks from the DAG

The file is a Jobs API 2.2 job settings document (create it with `databricks jobs create --json
@conf/jobs/daily_pipeline.json`). Everything but the task list is edited by hand: cluster, schedule,
notifications, the wheel's location. Each task is a `python_wheel_task` running the job's console script
with `--env cluster --date {{job.parameters.run_date}}`; on `--write` a task keeps the retry and timeout
settings it has in the file, and a new task gets the runner's defaults.

Schedules (a task's `schedule` in the DAG): the job runs every day, and each weekday some task is weekly on
gets a condition task, `on_<weekday>`, true when `{{job.trigger.time.iso_weekday}}` is that day (1 = Monday
.. 7 = Sunday). A weekly task depends on it with outcome "true", so on the other days it is Excluded
(skipped, counted as a success); a task depending on a weekly task of another schedule (score_propensity on
train_propensity, build_recommendations on train_als) has `run_if: NONE_FAILED`, so it runs when that
dependency was excluded (it then scores with the registered champion) and not when it failed, as the local
runner stops at a failure. The weekday is the trigger time's, in UTC, the instant run_date's default
(`{{job.trigger.time.iso_date}}`) is read from, so the weekly tasks run when run_date falls on their day, as
the local runner decides by its `--date`. A run with run_date set by hand still decides by the day it is
triggered: to retrain for another date, run the weekly tasks alone (`run_pipeline --only ...` or a one-time
run of those tasks).

Why one job with a condition rather than a second, weekly job: the weekly tasks sit inside the DAG, after
the day's features and interactions and before the scoring that uses their models the same day. A separate
job would need its own copy of those upstream tasks, or an ordering between two jobs that a cron cannot give,
and the Databricks DAG would no longer be the local runner's. Databricks excludes a task when every one of
its dependencies was excluded, whatever its `run_if`, so a daily task may not depend on weekly tasks only:
`--write` refuses such a DAG, naming the task.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from shop_platform.config import CONF_DIR
from shop_platform.pipeline import WEEKDAYS, Schedule, Task, load_pipeline, ordered

JOB_FILE = CONF_DIR / "jobs" / "daily_pipeline.json"
PACKAGE = "shop-analytics"
CLUSTER_KEY = "shop"
RUN_DATE = "{{job.parameters.run_date}}"
# Where `pip wheel --no-deps -w dist .` output is uploaded; edit per task in the file if it moves.
WHEEL = "/Workspace/Shared/shop-analytics/dist/shop_analytics-0.1.0-py3-none-any.whl"
# Per task, unless the file says otherwise: a transient failure (a lost executor, a cloud store hiccup) is
# retried twice, a minute apart; no task of the daily run should take over two hours.
TASK_DEFAULTS: dict[str, Any] = {
    "max_retries": 2,
    "min_retry_interval_millis": 60_000,
    "retry_on_timeout": False,
    "timeout_seconds": 7_200,
}
RETRY_KEYS = tuple(TASK_DEFAULTS)
# ISO weekday (1 = Monday .. 7 = Sunday) of the trigger time, in UTC: the day run_date defaults to.
TRIGGER_WEEKDAY = "{{job.trigger.time.iso_weekday}}"
TRUE = "true"
NONE_FAILED = "NONE_FAILED"


def condition_key(schedule: Schedule) -> str:
    """The condition task gating the tasks weekly on `schedule`'s day: on_sunday."""
    return f"on_{WEEKDAYS[schedule.weekday]}"


def condition_definition(schedule: Schedule) -> dict[str, Any]:
    day = WEEKDAYS[schedule.weekday]
    return {
        "task_key": condition_key(schedule),
        "description": f"True when run_date is a {day.capitalize()}: the tasks {schedule} run on this outcome.",
        "condition_task": {"op": "EQUAL_TO", "left": TRIGGER_WEEKDAY, "right": str(schedule.weekday + 1)},
    }


def run_if(task: Task, schedules: dict[str, Schedule]) -> dict[str, str]:
    """`run_if: NONE_FAILED` when a dependency may be excluded while the task runs (another weekly schedule);
    nothing (the default, ALL_SUCCESS) otherwise. ValueError when every dependency is weekly on another
    schedule: Databricks would exclude the task whenever they are."""
    others = [
        d for d in task.depends_on if schedules[d].weekday is not None and schedules[d] != task.schedule
    ]
    if not others:
        return {}
    if task.schedule.weekday is None and len(others) == len(task.depends_on):
        raise ValueError(
            f"task {task.name!r} ({task.schedule}) depends only on weekly tasks {others}: Databricks would "
            "exclude it on the days they do not run; give it a daily dependency or the same schedule"
        )
    return {"run_if": NONE_FAILED}


def task_definition(
    task: Task, existing: dict[str, Any] | None, schedules: dict[str, Schedule]
) -> dict[str, Any]:
    kept = {key: (existing or {}).get(key, default) for key, default in TASK_DEFAULTS.items()}
    gate = (
        [{"task_key": condition_key(task.schedule), "outcome": TRUE}]
        if task.schedule.weekday is not None
        else []
    )
    upstream = [*gate, *({"task_key": name} for name in task.depends_on)]
    # No `depends_on` at all for a first task: the API leaves empty lists out.
    dependencies = {"depends_on": upstream} if upstream else {}
    return {
        "task_key": task.name,
        **dependencies,
        **run_if(task, schedules),
        "job_cluster_key": CLUSTER_KEY,
        "python_wheel_task": {
            "package_name": PACKAGE,
            "entry_point": task.console_script,
            "parameters": ["--env", "cluster", "--date", RUN_DATE],
        },
        "libraries": (existing or {}).get("libraries", [{"whl": WHEEL}]),
        **kept,
    }


def with_tasks(settings: dict[str, Any], pipeline: Sequence[Task]) -> dict[str, Any]:
    """`settings` with its task list rebuilt from `pipeline`: a condition task per weekday some task is weekly
    on, then the tasks in dependency order."""
    existing = {task["task_key"]: task for task in settings.get("tasks", [])}
    schedules = {task.name: task.schedule for task in pipeline}
    weekly = sorted({s for s in schedules.values() if s.weekday is not None}, key=lambda s: s.weekday)
    conditions = [condition_definition(schedule) for schedule in weekly]
    tasks = [task_definition(task, existing.get(task.name), schedules) for task in ordered(pipeline)]
    return {**settings, "tasks": [*conditions, *tasks]}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    action = parser.add_mutually_exclusive_group(required=True)
    action.add_argument("--check", action="store_true", help="exit 1 when the file is out of step")
    action.add_argument("--write", action="store_true", help="rewrite the file's tasks from the DAG")
    parser.add_argument("--file", type=Path, default=JOB_FILE)
    args = parser.parse_args(argv)
    settings = json.loads(args.file.read_text(encoding="utf-8"))
    try:
        expected = with_tasks(settings, load_pipeline().tasks)
    except ValueError as exc:
        parser.exit(2, f"{exc}\n")
    if args.write:
        args.file.write_text(json.dumps(expected, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        print(f"wrote {len(expected['tasks'])} tasks to {args.file}")
        return 0
    if expected != settings:
        print(
            f"{args.file} differs from the runner's DAG; run python -m shop_platform.databricks_job --write"
        )
        return 1
    print(f"{args.file} matches the runner's DAG ({len(settings['tasks'])} tasks with its conditions)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
