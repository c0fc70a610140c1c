"""The DAG (conf/pipeline.yaml), the local runner's ordering and selection, and what each task is given."""

from __future__ import annotations

import datetime as dt
import importlib
import importlib.metadata
import logging
from dataclasses import replace
from pathlib import Path

import pytest

import jobs.run_pipeline as runner
import sample_shop.demo as demo
import shop_platform.cli as cli
import shop_platform.pipeline as pipeline_module
from shop_platform.config import ConfigError
from shop_platform.pipeline import (
    Pipeline,
    Schedule,
    Task,
    describe_writes,
    due_tasks,
    load_pipeline,
    ordered,
    select,
)
from tests import recording_job
from tests.job_logs import job_log_of

ROOT = Path(__file__).resolve().parent.parent
PIPELINE = load_pipeline()

DAG = [
    Task("report", "m", ("tags", "recs")),
    Task("tags", "m", ("silver",)),
    Task("bronze", "m"),
    Task("recs", "m", ("silver",)),
    Task("silver", "m", ("bronze",)),
]


def test_tasks_run_after_their_dependencies():
    names = [t.name for t in ordered(DAG)]
    for task in DAG:
        for dependency in task.depends_on:
            assert names.index(dependency) < names.index(task.name)
    assert sorted(names) == sorted(t.name for t in DAG)


def test_cycles_and_unknown_dependencies_name_the_task():
    with pytest.raises(ValueError, match="cycle through task 'a'"):
        ordered([Task("a", "m", ("b",)), Task("b", "m", ("a",))])
    with pytest.raises(ValueError, match="'a' depends on unknown task 'zzz'"):
        ordered([Task("a", "m", ("zzz",))])


def test_from_resumes_and_only_filters():
    tasks = ordered(DAG)
    assert [t.name for t in select(tasks, [], "tags")] == [t.name for t in tasks][
        [t.name for t in tasks].index("tags") :
    ]
    assert [t.name for t in select(tasks, ["silver"], None)] == ["silver"]
    with pytest.raises(ValueError, match="unknown task 'nope'"):
        select(tasks, ["nope"], None)


def test_a_malformed_dag_file_names_the_file_and_the_task(tmp_path):
    path = tmp_path / "pipeline.yaml"
    path.write_text("tasks:\n  - name: a\n    depends: [b]\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"pipeline.yaml: tasks\[1\] \(a\): unknown keys \['depends'\]"):
        load_pipeline(path)
    path.write_text("tasks:\n  - name: a\n    depends_on: [b]\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="pipeline.yaml: task 'a' depends on unknown task 'b'"):
        load_pipeline(path)


def test_a_schedule_is_daily_or_weekly_on_a_day_and_a_bad_one_names_the_file_task_and_value(tmp_path):
    path = tmp_path / "pipeline.yaml"
    path.write_text(
        "tasks:\n  - name: a\n  - name: b\n    schedule: daily\n  - name: c\n    schedule: Weekly on Sunday\n",
        encoding="utf-8",
    )
    assert [str(t.schedule) for t in load_pipeline(path).tasks] == ["daily", "daily", "weekly on sunday"]
    for bad in ("weekly on sundy", "weekly", "monthly", "{every: week}"):
        path.write_text(f"tasks:\n  - name: a\n  - name: t\n    schedule: {bad}\n", encoding="utf-8")
        with pytest.raises(
            ConfigError, match=r"pipeline.yaml: tasks\[2\] \(t\): schedule .* is neither 'daily'"
        ):
            load_pipeline(path)


def test_a_weekly_task_is_due_on_its_day_and_says_when_it_runs_next(caplog):
    caplog.set_level(logging.INFO, logger="shop_platform.pipeline")
    sunday = Schedule.parse("weekly on sunday")
    friday, saturday, next_sunday = dt.date(2026, 10, 30), dt.date(2026, 10, 31), dt.date(2026, 11, 1)
    assert not sunday.due_on(friday) and sunday.due_on(next_sunday)
    assert [sunday.next_run(d) for d in (friday, saturday, next_sunday)] == [next_sunday] * 3
    assert Schedule.parse("daily").due_on(friday) and Schedule.parse("daily").next_run(friday) == friday
    tasks = [Task("a", "m"), Task("w", "m", ("a",), schedule=sunday)]
    with job_log_of("shop_platform.pipeline") as log:
        assert [t.name for t in due_tasks(tasks, friday)] == ["a"]
        assert [t.name for t in due_tasks(tasks, next_sunday)] == ["a", "w"]
    assert log.messages == ["w skipped: weekly on sunday, next run 2026-11-01"]


def test_the_shipped_dag_trains_weekly_on_one_day_and_scores_daily():
    schedules = {t.name: str(t.schedule) for t in PIPELINE.tasks}
    weekly = {name for name, schedule in schedules.items() if schedule != "daily"}
    assert weekly == {"evaluate_customer_value", "evaluate_recommenders", "train_als", "train_propensity"}
    assert {schedules[name] for name in weekly} == {"weekly on sunday"}


def every_task() -> list[Task]:
    return [*PIPELINE.sample_shop_before, *PIPELINE.tasks, *PIPELINE.sample_shop_after]


@pytest.mark.parametrize("task", every_task(), ids=lambda task: task.name)
def test_every_task_is_a_job_with_parser_run_and_main(task):
    job = importlib.import_module(task.module)
    assert callable(job.run) and callable(job.main)
    # The runner gives each task its options at their defaults: none may be required.
    options = job.parser().parse_args([])
    assert hasattr(options, "from_date") or not task.date_range, f"{task.name} takes no --from-date"


def test_every_job_module_is_a_task_and_has_its_console_script():
    """setup.py makes a console script of every job module: the DAG names each of them (the runner apart)."""
    scripts = {ep.name: ep.value for ep in importlib.metadata.entry_points(group="console_scripts")}
    for task in every_task():
        assert scripts.get(task.console_script) == f"{task.module}:main", task.name
    on_disk = {p.stem for p in (ROOT / "jobs").glob("*.py")} - {"__init__", "run_pipeline"}
    assert on_disk == {task.name for task in PIPELINE.tasks}
    sample_jobs = {p.stem for p in (ROOT / "sample_shop" / "jobs").glob("*.py")} - {"__init__"}
    assert sample_jobs == {t.name for t in (*PIPELINE.sample_shop_before, *PIPELINE.sample_shop_after)}


def run_recorded(
    monkeypatch, main, *argv: str, skipped: frozenset[str] = frozenset()
) -> dict[str, cli.JobContext]:
    """Run `main` with every task replaced by the recording job; returns each task's context by name (every
    task but `skipped`)."""
    recorded = Pipeline(
        *(
            tuple(replace(task, module="tests.recording_job") for task in tasks)
            for tasks in (PIPELINE.tasks, PIPELINE.sample_shop_before, PIPELINE.sample_shop_after)
        )
    )
    loads = []
    real_load_config = cli.load_config
    monkeypatch.setattr(cli, "load_config", lambda *a: loads.append(a) or real_load_config(*a))
    monkeypatch.setattr(pipeline_module, "load_pipeline", lambda: recorded)
    recording_job.CALLS.clear()
    assert main(["--env", "local", *argv]) == 0
    assert len(loads) == 1, "the config is loaded once per pipeline run"
    names = [t.name for t in ordered(recorded.tasks) if t.name not in skipped]
    if main is demo.main:
        names = [
            *(t.name for t in recorded.sample_shop_before),
            *names,
            *(t.name for t in recorded.sample_shop_after),
        ]
    assert len(recording_job.CALLS) == len(names)
    return dict(zip(names, recording_job.CALLS, strict=True))


def test_a_back_fill_gives_the_range_to_range_tasks_and_the_last_date_to_the_rest(monkeypatch):
    setting = ["--set", "sessions.gap_minutes=20"]
    calls = run_recorded(
        monkeypatch, runner.main, "--from-date", "2026-10-01", "--date", "2026-10-30", *setting
    )
    first_config = calls["ingest_catalog"].config
    for task in PIPELINE.tasks:
        ctx = calls[task.name]
        assert ctx.config is first_config and ctx.config.sessions.gap_minutes == 20
        assert (ctx.env, ctx.run_date) == ("local", dt.date(2026, 10, 30))
        assert ctx.first_date == (dt.date(2026, 10, 1) if task.date_range else dt.date(2026, 10, 30)), (
            task.name
        )
        assert ctx.args.flag is False, "a task's own options are at their defaults"


WEEKLY = frozenset(t.name for t in PIPELINE.tasks if t.schedule.weekday is not None)


def test_a_daily_run_gives_every_task_the_run_date_alone(monkeypatch):
    calls = run_recorded(monkeypatch, runner.main, "--date", "2026-10-30", skipped=WEEKLY)
    assert {ctx.dates[0] for ctx in calls.values()} == {dt.date(2026, 10, 30)}
    assert {len(ctx.dates) for ctx in calls.values()} == {1}


def test_a_daily_run_off_the_training_day_skips_the_weekly_tasks_and_runs_the_others(monkeypatch):
    with job_log_of("shop_platform.pipeline") as log:
        calls = run_recorded(monkeypatch, runner.main, "--date", "2026-10-30", skipped=WEEKLY)  # a Friday
    assert set(calls) == {t.name for t in PIPELINE.tasks} - WEEKLY
    assert {"score_propensity", "build_recommendations", "build_report"} <= set(calls)
    for name in sorted(WEEKLY):
        assert f"{name} skipped: weekly on sunday, next run 2026-11-01" in log.messages


def test_a_daily_run_on_the_training_day_runs_every_task(monkeypatch):
    with job_log_of("shop_platform.pipeline") as log:
        calls = run_recorded(monkeypatch, runner.main, "--date", "2026-11-01")  # a Sunday
    assert set(calls) == {t.name for t in PIPELINE.tasks}
    assert not [m for m in log.messages if "skipped" in m]


def test_only_runs_a_weekly_task_off_its_day(monkeypatch):
    calls = run_recorded(monkeypatch, runner.main, "--date", "2026-10-30", "--only", "train_als",
                         skipped=frozenset(t.name for t in PIPELINE.tasks) - {"train_als"})  # fmt: skip
    assert list(calls) == ["train_als"] and calls["train_als"].run_date == dt.date(2026, 10, 30)


def test_a_back_fill_off_the_training_day_trains_once_as_of_its_last_date(monkeypatch):
    calls = run_recorded(monkeypatch, runner.main, "--from-date", "2026-10-01", "--date", "2026-10-30")
    assert len(recording_job.CALLS) == len(PIPELINE.tasks), "every task once, the weekly ones included"
    for name in WEEKLY:
        assert calls[name].dates == [dt.date(2026, 10, 30)], name


def test_the_demo_generates_first_and_back_fills_the_generated_period(monkeypatch):
    with job_log_of("shop_platform.pipeline") as log:
        calls = run_recorded(monkeypatch, demo.main, "--date", "2026-10-30", "--set", "generator.days=10")
    assert "[1/27] generate_sample_data: starting" in log.messages
    assert "[27/27] measure_campaign_truth: starting" in log.messages
    assert calls["generate_sample_data"].first_date == dt.date(2026, 10, 30)
    assert calls["ingest_events"].first_date == dt.date(2026, 10, 21)
    assert calls["build_interactions"].first_date == dt.date(2026, 10, 30)
    assert calls["measure_behaviour_truth"].first_date == dt.date(2026, 10, 21)
    assert calls["measure_tag_truth"].first_date == dt.date(2026, 10, 21)


def test_a_failing_task_stops_the_run_and_names_where_to_resume(monkeypatch):
    monkeypatch.setattr(recording_job, "run", lambda ctx: 3)
    recorded = Pipeline(tuple(replace(t, module="tests.recording_job") for t in PIPELINE.tasks), (), ())
    monkeypatch.setattr(pipeline_module, "load_pipeline", lambda: recorded)
    with job_log_of("shop_platform.pipeline") as log:
        assert runner.main(["--env", "local", "--date", "2026-10-30", "--from", "build_silver"]) == 3
    assert log.messages[-1] == "task build_silver exited with 3; resume with --from build_silver"


def test_the_shipped_dag_orders_the_behaviour_stages():
    names = [t.name for t in ordered(PIPELINE.tasks)]
    assert names.index("ingest_events") < names.index("build_silver") < names.index("build_interactions")
    assert names.index("ingest_catalog") < names.index("build_silver")


def test_each_task_reports_the_rows_it_wrote_per_table():
    assert (
        describe_writes({"bronze.events": 990_183, "gold.x": None})
        == "bronze.events 990,183 rows, gold.x ? rows"
    )
    assert describe_writes({}) == "no tables"
