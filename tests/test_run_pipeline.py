"""The local runner's task ordering and selection."""

from __future__ import annotations

from dataclasses import replace

import pytest

from jobs.run_pipeline import PIPELINE, Task, ordered, select

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


def test_shipped_pipeline_is_a_valid_dag_of_importable_jobs():
    import importlib

    for task in ordered(PIPELINE):
        assert callable(importlib.import_module(task.module).main)


def run_recorded(monkeypatch, *argv: str) -> dict[str, list[str]]:
    """Run the pipeline with every task replaced by the recording job; returns each task's arguments."""
    import jobs.run_pipeline as runner
    from tests import recording_job

    monkeypatch.setattr(runner, "PIPELINE", tuple(replace(t, module="tests.recording_job") for t in PIPELINE))
    monkeypatch.setattr(runner, "SAMPLE_DATA", replace(runner.SAMPLE_DATA, module="tests.recording_job"))
    monkeypatch.setattr(
        runner, "TRUTH_CHECKS", tuple(replace(t, module="tests.recording_job") for t in runner.TRUTH_CHECKS)
    )
    recording_job.CALLS.clear()
    assert runner.main(["--env", "local", *argv]) == 0
    names = [t.name for t in ordered(runner.PIPELINE)]
    if "--sample-data" in argv:
        names = [runner.SAMPLE_DATA.name, *names, *[t.name for t in runner.TRUTH_CHECKS]]
    assert len(recording_job.CALLS) == len(names)
    return dict(zip(names, recording_job.CALLS, strict=True))


def test_a_back_fill_gives_the_range_to_range_tasks_and_the_last_date_to_the_rest(monkeypatch):
    setting = ["--set", "sessions.gap_minutes=20"]
    calls = run_recorded(monkeypatch, "--from-date", "2026-10-01", "--date", "2026-10-30", *setting)
    for task in PIPELINE:
        expected = ["--env", "local", "--date", "2026-10-30", *setting]
        if task.date_range:
            expected += ["--from-date", "2026-10-01"]
        assert calls[task.name] == expected, task.name


def test_sample_data_generates_first_and_back_fills_the_generated_period(monkeypatch):
    calls = run_recorded(monkeypatch, "--sample-data", "--date", "2026-10-30", "--set", "generator.days=10")
    assert calls["generate_sample_data"] == [
        "--env",
        "local",
        "--date",
        "2026-10-30",
        "--set",
        "generator.days=10",
    ]
    assert calls["ingest_events"][-2:] == ["--from-date", "2026-10-21"]
    assert "--from-date" not in calls["build_interactions"]
    assert calls["measure_behaviour_truth"][-2:] == ["--from-date", "2026-10-21"]
    assert calls["measure_tag_truth"][-2:] == ["--from-date", "2026-10-21"]


def test_the_shipped_dag_orders_the_behaviour_stages():
    names = [t.name for t in ordered(PIPELINE)]
    assert names.index("ingest_events") < names.index("build_silver") < names.index("build_interactions")
    assert names.index("ingest_catalog") < names.index("build_silver")


def test_each_task_reports_the_rows_it_wrote_per_table():
    from jobs.run_pipeline import describe_writes

    assert (
        describe_writes({"bronze.events": 990_183, "gold.x": None})
        == "bronze.events 990,183 rows, gold.x ? rows"
    )
    assert describe_writes({}) == "no tables"
