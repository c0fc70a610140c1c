"""The local runner's task ordering and selection."""

from __future__ import annotations

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
