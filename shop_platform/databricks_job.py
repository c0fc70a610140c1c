"""Keep the Databricks job definition (`conf/jobs/daily_pipeline.json`) in step with the DAG
(conf/pipeline.yaml).

    python -m shop_platform.databricks_job --check     # exit 1 when the file's tasks differ from the DAG
    python -m shop_platform.databricks_job --write     # rewrite the file's tasks from the DAG

The file is a Jobs API 2.2 job settings document (create it with `databricks jobs create --json
@conf/jobs/daily_pipeline.json`). Everything but the task list is edited by hand: cluster, schedule,
notifications, the wheel's location. Each task is a `python_wheel_task` running the job's console script
with `--env cluster --date {{job.parameters.run_date}}`; on `--write` a task keeps the retry and timeout
settings it has in the file, and a new task gets the runner's defaults.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from shop_platform.config import CONF_DIR
from shop_platform.pipeline import Task, load_pipeline, ordered

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


def task_definition(task: Task, existing: dict[str, Any] | None) -> dict[str, Any]:
    kept = {key: (existing or {}).get(key, default) for key, default in TASK_DEFAULTS.items()}
    # No `depends_on` at all for a first task: the API leaves empty lists out.
    dependencies = {"depends_on": [{"task_key": name} for name in task.depends_on]} if task.depends_on else {}
    return {
        "task_key": task.name,
        **dependencies,
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
    """`settings` with its task list rebuilt from `pipeline`, in dependency order."""
    existing = {task["task_key"]: task for task in settings.get("tasks", [])}
    tasks = [task_definition(task, existing.get(task.name)) for task in ordered(pipeline)]
    return {**settings, "tasks": tasks}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    action = parser.add_mutually_exclusive_group(required=True)
    action.add_argument("--check", action="store_true", help="exit 1 when the file is out of step")
    action.add_argument("--write", action="store_true", help="rewrite the file's tasks from the DAG")
    parser.add_argument("--file", type=Path, default=JOB_FILE)
    args = parser.parse_args(argv)
    settings = json.loads(args.file.read_text(encoding="utf-8"))
    expected = with_tasks(settings, load_pipeline().tasks)
    if args.write:
        args.file.write_text(json.dumps(expected, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        print(f"wrote {len(expected['tasks'])} tasks to {args.file}")
        return 0
    if expected != settings:
        print(
            f"{args.file} differs from the runner's DAG; run python -m shop_platform.databricks_job --write"
        )
        return 1
    print(f"{args.file} matches the runner's DAG ({len(settings['tasks'])} tasks)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
