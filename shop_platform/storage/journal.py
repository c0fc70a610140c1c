"""A record of every table write this process made, so a runner can say what each task produced.

`LakeTable` appends one entry per committed write; the pipeline runner takes a mark before a task and
reads the entries after it. Rows are what the commit wrote into new data files (Delta's numOutputRows):
for an upsert that includes the unchanged rows of rewritten files.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from dataclasses import dataclass


@dataclass(frozen=True)
class TableWrite:
    table: str
    operation: str
    # None when the engine did not report it.
    rows: int | None


class WriteJournal:
    """Append-only, thread-safe list of `TableWrite`s."""

    def __init__(self) -> None:
        self._writes: list[TableWrite] = []
        self._lock = threading.Lock()

    def record(self, write: TableWrite) -> None:
        with self._lock:
            self._writes.append(write)

    def mark(self) -> int:
        """A position to read from later with `since`."""
        with self._lock:
            return len(self._writes)

    def since(self, mark: int) -> list[TableWrite]:
        with self._lock:
            return list(self._writes[mark:])


def rows_by_table(writes: list[TableWrite]) -> dict[str, int | None]:
    """Rows written per table, in first-write order (None when any write of the table had no count)."""
    totals: dict[str, int | None] = defaultdict(int)
    for write in writes:
        current = totals[write.table]
        totals[write.table] = None if current is None or write.rows is None else current + write.rows
    return dict(totals)


# The process's journal: every Lake of the process records into it.
WRITE_JOURNAL = WriteJournal()
