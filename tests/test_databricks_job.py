"""conf/jobs/daily_pipeline.json is a valid Databricks job and runs exactly the local runner's DAG, its weekly
tasks gated by a weekday condition."""

from __future__ import annotations

import importlib.metadata
import json

import pytest
from databricks.sdk.service.jobs import ConditionTaskOp, JobSettings, RunIf

from shop_platform import databricks_job
from shop_platform.pipeline import Schedule, Task, load_pipeline

PIPELINE = load_pipeline().tasks
WEEKLY = {task.name for task in PIPELINE if task.schedule.weekday is not None}
SUNDAY = Schedule.parse("weekly on sunday")


def job_document() -> dict:
    return json.loads(databricks_job.JOB_FILE.read_text(encoding="utf-8"))


def test_the_job_file_is_valid_job_settings_with_nothing_the_sdk_would_drop():
    document = job_document()
    settings = JobSettings.from_dict(document)
    # from_dict ignores unknown keys: a round trip that loses nothing means every key is a real field.
    assert settings.as_dict() == document
    assert settings.schedule.quartz_cron_expression and settings.max_concurrent_runs == 1
    assert {p.name for p in settings.parameters} == {"run_date"}


def pipeline_tasks(settings: JobSettings) -> list:
    """The job's tasks that run a job of the DAG (not its condition tasks)."""
    return [task for task in settings.tasks if task.condition_task is None]


def test_its_tasks_and_dependencies_are_the_runners_dag():
    settings = JobSettings.from_dict(job_document())
    actual = {
        task.task_key: sorted(d.task_key for d in task.depends_on or []) for task in pipeline_tasks(settings)
    }
    assert actual == {
        task.name: sorted([*task.depends_on, *(["on_sunday"] if task.name in WEEKLY else [])])
        for task in PIPELINE
    }
    for task in pipeline_tasks(settings):
        assert task.max_retries >= 1 and task.timeout_seconds > 0, task.task_key
        assert task.python_wheel_task.parameters == [
            "--env",
            "cluster",
            "--date",
            "{{job.parameters.run_date}}",
        ]


def test_every_task_runs_a_console_script_of_the_wheel():
    scripts = {ep.name for ep in importlib.metadata.entry_points(group="console_scripts")}
    for task in pipeline_tasks(JobSettings.from_dict(job_document())):
        assert task.python_wheel_task.entry_point in scripts, task.task_key
        assert task.python_wheel_task.package_name == "shop-analytics"


def test_check_finds_a_file_out_of_step_and_write_repairs_it(tmp_path, capsys):
    stale = job_document()
    stale["tasks"] = stale["tasks"][:-1]
    first = next(i for i, task in enumerate(stale["tasks"]) if "python_wheel_task" in task)
    stale["tasks"][first]["max_retries"] = 5
    path = tmp_path / "job.json"
    path.write_text(json.dumps(stale), encoding="utf-8")
    assert databricks_job.main(["--check", "--file", str(path)]) == 1
    assert databricks_job.main(["--write", "--file", str(path)]) == 0
    assert databricks_job.main(["--check", "--file", str(path)]) == 0
    repaired = json.loads(path.read_text(encoding="utf-8"))
    # A hand-set retry count survives a rewrite; the missing task is back.
    assert repaired["tasks"][first]["max_retries"] == 5
    assert len(repaired["tasks"]) == len(PIPELINE) + 1, "the DAG's tasks and the Sunday condition"


def test_the_weekly_tasks_run_on_a_sunday_condition_and_their_daily_dependents_when_none_failed():
    tasks = {task.task_key: task for task in JobSettings.from_dict(job_document()).tasks}
    condition = tasks["on_sunday"].condition_task
    # ISO weekday of the trigger time (7 = Sunday), the instant run_date's default is read from.
    assert (condition.op, condition.left, condition.right) == (
        ConditionTaskOp.EQUAL_TO,
        "{{job.trigger.time.iso_weekday}}",
        "7",
    )
    assert sorted(WEEKLY) == [
        "evaluate_customer_value",
        "evaluate_recommenders",
        "train_als",
        "train_propensity",
    ]
    for name in WEEKLY:
        gates = [d for d in tasks[name].depends_on if d.task_key == "on_sunday"]
        assert [d.outcome for d in gates] == ["true"], name
    # Excluded on the other days, the training tasks must not exclude the scoring that follows them.
    dependents = {t.name for t in PIPELINE if t.name not in WEEKLY and set(t.depends_on) & WEEKLY}
    assert dependents == {"score_propensity", "build_recommendations", "build_report"}
    for name, task in tasks.items():
        expected = RunIf.NONE_FAILED if name in dependents else None
        assert task.run_if == expected, name


def test_a_daily_task_depending_only_on_weekly_tasks_is_refused_naming_it():
    dag = [
        Task("features", "m"),
        Task("train", "m", ("features",), schedule=SUNDAY),
        Task("score", "m", ("train",)),
    ]
    with pytest.raises(ValueError, match=r"task 'score' \(daily\) depends only on weekly tasks \['train'\]"):
        databricks_job.with_tasks({}, dag)
    fixed = databricks_job.with_tasks({}, [*dag[:2], Task("score", "m", ("features", "train"))])
    assert [task["task_key"] for task in fixed["tasks"]] == ["on_sunday", "features", "train", "score"]
    assert fixed["tasks"][-1]["run_if"] == "NONE_FAILED"
