"""The runner's per-task costs: one CSV row per task, appended across runs, failures included."""

from __future__ import annotations

import csv
import time
from dataclasses import replace

from jobs import run_pipeline as runner
from shop_platform import pipeline as pipeline_module
from shop_platform.pipeline import Pipeline, load_pipeline
from shop_platform.run_metrics import measured
from tests import recording_job

TASKS = load_pipeline().tasks[:3]


def recorded_pipeline(monkeypatch) -> list[str]:
    tasks = tuple(replace(task, module="tests.recording_job") for task in TASKS)
    monkeypatch.setattr(pipeline_module, "load_pipeline", lambda: Pipeline(tasks, (), ()))
    return [task.name for task in pipeline_module.ordered(tasks)]


def rows_of(path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_each_task_appends_its_cost_and_later_runs_append_under_their_label(monkeypatch, tmp_path):
    names = recorded_pipeline(monkeypatch)
    costs = tmp_path / "bench" / "costs.csv"
    assert runner.main(["--date", "2026-10-30", "--from-date", "2026-10-01", "--costs", str(costs)]) == 0
    assert runner.main(["--date", "2026-10-31", "--costs", str(costs), "--costs-label", "day 31"]) == 0

    rows = rows_of(costs)
    assert [row["task"] for row in rows] == names * 2
    assert {row["run"] for row in rows[: len(names)]} == {"2026-10-01..2026-10-30"}
    assert {row["run"] for row in rows[len(names) :]} == {"day 31"}
    assert {row["status"] for row in rows} == {"ok"}
    # The stand-in task writes no table.
    assert {row["rows_written"] for row in rows} == {"0"}
    assert all(float(row["peak_rss_mb"]) > 0 and float(row["wall_s"]) >= 0 for row in rows)


def test_a_failing_task_is_recorded_before_the_run_stops(monkeypatch, tmp_path):
    names = recorded_pipeline(monkeypatch)
    monkeypatch.setattr(recording_job, "run", lambda ctx: 1 / 0)
    costs = tmp_path / "costs.csv"
    assert runner.main(["--date", "2026-10-30", "--costs", str(costs)]) == 1
    assert [(row["task"], row["status"]) for row in rows_of(costs)] == [(names[0], "failed")]


def test_measured_counts_the_cpu_the_block_burns():
    with measured() as cost:
        deadline = time.process_time() + 0.3
        while time.process_time() < deadline:
            pass
    assert cost.cpu_s >= 0.25
    assert cost.wall_s >= cost.cpu_s * 0.5
    assert cost.peak_rss_mb > 10
