"""What each task of a pipeline run cost: wall and CPU seconds, rows written and peak memory.

CPU and memory are the whole process tree's, the Python driver with the JVM it launched and Spark's Python
workers, since a local Spark task spends most of its time in the JVM. Peak memory is the largest resident
set of the tree seen by a sampler thread (every `SAMPLE_SECONDS`), so a spike shorter than that can be
missed. On a cluster the tree is the driver's only: executors report to the Spark UI instead.
"""

from __future__ import annotations

import csv
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, fields
from pathlib import Path

import psutil

SAMPLE_SECONDS = 0.5


@dataclass(frozen=True)
class TaskCost:
    task: str
    status: str
    wall_s: float
    cpu_s: float
    rows_written: int | None
    peak_rss_mb: float


def _tree(process: psutil.Process) -> list[psutil.Process]:
    try:
        return [process, *process.children(recursive=True)]
    except psutil.NoSuchProcess:
        return [process]


def tree_cpu_seconds(process: psutil.Process) -> float:
    """User + system CPU seconds of the live processes of the tree (a worker that exited takes its share
    with it: Spark's Python workers are long-lived, so that share is small)."""
    total = 0.0
    for member in _tree(process):
        try:
            times = member.cpu_times()
        except psutil.Error:
            continue
        total += times.user + times.system
    return total


def tree_rss_bytes(process: psutil.Process) -> int:
    total = 0
    for member in _tree(process):
        try:
            total += member.memory_info().rss
        except psutil.Error:
            continue
    return total


class PeakMemory:
    """Samples the tree's resident memory on a daemon thread while in use; `peak_bytes` is the largest."""

    def __init__(self, process: psutil.Process) -> None:
        self._process = process
        self._stop = threading.Event()
        self.peak_bytes = tree_rss_bytes(process)
        self._thread = threading.Thread(target=self._sample, name="peak-memory", daemon=True)

    def _sample(self) -> None:
        while not self._stop.wait(SAMPLE_SECONDS):
            self.peak_bytes = max(self.peak_bytes, tree_rss_bytes(self._process))

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak_bytes = max(self.peak_bytes, tree_rss_bytes(self._process))


@dataclass
class Measurement:
    """Filled in when the measured block ends."""

    wall_s: float = 0.0
    cpu_s: float = 0.0
    peak_rss_mb: float = 0.0


@contextmanager
def measured() -> Iterator[Measurement]:
    """Measure the block's wall seconds, the tree's CPU seconds and its peak resident memory."""
    process = psutil.Process()
    result = Measurement()
    cpu_before, started = tree_cpu_seconds(process), time.perf_counter()
    with PeakMemory(process) as peak:
        try:
            yield result
        finally:
            result.wall_s = time.perf_counter() - started
            result.cpu_s = tree_cpu_seconds(process) - cpu_before
    result.peak_rss_mb = peak.peak_bytes / 2**20


class CostLog:
    """Appends one CSV row per task to `path` (the header when the file is new), so several runs (a
    back-fill, then daily runs) can share one file; `run` labels the rows of this run."""

    def __init__(self, path: Path, run: str) -> None:
        self.path, self.run = path, run

    def write(self, cost: TaskCost) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        new = not self.path.exists() or self.path.stat().st_size == 0
        with self.path.open("a", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=["run", *(f.name for f in fields(TaskCost))])
            if new:
                writer.writeheader()
            writer.writerow({"run": self.run, **asdict(cost)})
