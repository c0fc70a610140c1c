"""conf/jobs/daily_pipeline.json is a valid Databricks job and runs exactly the local runner's DAG."""

from __future__ import annotations

import importlib.metadata
import json

from databricks.sdk.service.jobs import JobSettings

from shop_platform import databricks_job
from shop_platform.pipeline import load_pipeline

PIPELINE = load_pipeline().tasks


def job_document() -> dict:
    return json.loads(databricks_job.JOB_FILE.read_text(encoding="utf-8"))


def test_the_job_file_is_valid_job_settings_with_nothing_the_sdk_would_drop():
    document = job_document()
    settings = JobSettings.from_dict(document)
    # from_dict ignores unknown keys: a round trip that loses nothing means every key is a real field.
    assert settings.as_dict() == document
    assert settings.schedule.quartz_cron_expression and settings.max_concurrent_runs == 1
    assert {p.name for p in settings.parameters} == {"run_date"}


def test_its_tasks_and_dependencies_are_the_runners_dag():
    settings = JobSettings.from_dict(job_document())
    actual = {task.task_key: sorted(d.task_key for d in task.depends_on or []) for task in settings.tasks}
    assert actual == {task.name: sorted(task.depends_on) for task in PIPELINE}
    for task in settings.tasks:
        assert task.max_retries >= 1 and task.timeout_seconds > 0, task.task_key
        assert task.python_wheel_task.parameters == [
            "--env",
            "cluster",
            "--date",
            "{{job.parameters.run_date}}",
        ]


def test_every_task_runs_a_console_script_of_the_wheel():
    scripts = {ep.name for ep in importlib.metadata.entry_points(group="console_scripts")}
    for task in JobSettings.from_dict(job_document()).tasks:
        assert task.python_wheel_task.entry_point in scripts, task.task_key
        assert task.python_wheel_task.package_name == "shop-analytics"


def test_check_finds_a_file_out_of_step_and_write_repairs_it(tmp_path, capsys):
    stale = job_document()
    stale["tasks"] = stale["tasks"][:-1]
    stale["tasks"][0]["max_retries"] = 5
    path = tmp_path / "job.json"
    path.write_text(json.dumps(stale), encoding="utf-8")
    assert databricks_job.main(["--check", "--file", str(path)]) == 1
    assert databricks_job.main(["--write", "--file", str(path)]) == 0
    assert databricks_job.main(["--check", "--file", str(path)]) == 0
    repaired = json.loads(path.read_text(encoding="utf-8"))
    # A hand-set retry count survives a rewrite; the missing task is back.
    assert repaired["tasks"][0]["max_retries"] == 5
    assert len(repaired["tasks"]) == len(PIPELINE)
