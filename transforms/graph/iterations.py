"""What the built-in graph algorithms share: materialising each iteration and cutting lineage.

An iterative DataFrame algorithm builds each step's plan on the previous step's, so without a cut the plan
(and its analysis time) grows with every iteration. Every `interval`-th step is checkpointed, which
replaces its plan by the saved rows; the steps in between are persisted so the convergence check and the
next step do not recompute them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from pyspark import StorageLevel
from pyspark.sql import DataFrame


@dataclass(frozen=True)
class Checkpointing:
    """Every `interval` iterations a checkpoint: reliable (into the SparkContext's checkpoint directory,
    which the caller set) or local (executor storage, no directory needed)."""

    interval: int
    reliable: bool = False

    def __post_init__(self) -> None:
        if self.interval < 1:
            raise ValueError(f"graph.checkpoint_interval must be >= 1, got {self.interval}")

    def materialise(self, df: DataFrame, iteration: int) -> DataFrame:
        """`df` computed once: checkpointed now on every `interval`-th iteration, else persisted, to be
        filled by the caller's next action, which must read every row (a count or an aggregate, not a
        `limit`) before the previous iteration is released."""
        if iteration % self.interval == 0:
            return df.checkpoint(eager=True) if self.reliable else df.localCheckpoint(eager=True)
        return df.persist(StorageLevel.MEMORY_AND_DISK)


def release(df: DataFrame) -> None:
    """Drop an earlier iteration's cached rows once the next one is materialised."""
    df.unpersist()


def algorithm_partitions(edges: int, edges_per_partition: int, most: int) -> int:
    """Shuffle partitions for the graph algorithms: one per `edges_per_partition` edges, 1..`most` (a small
    graph's iterations spend their time on scheduling empty tasks otherwise)."""
    return max(1, min(most, math.ceil(edges / edges_per_partition)))
