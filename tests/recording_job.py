"""A stand-in task for the pipeline runner's tests: it records the arguments each run was given."""

from __future__ import annotations

from collections.abc import Sequence

CALLS: list[list[str]] = []


def main(argv: Sequence[str] | None = None) -> int:
    CALLS.append(list(argv or []))
    return 0
