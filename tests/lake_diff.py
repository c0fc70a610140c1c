"""Compare every Delta table of a lake with an earlier version of itself: which tables differ, and how.

For tests on small lakes: each table's rows are collected. Rows are matched on everything but their
floating-point values (at any depth: a double inside an array of structs counts too); matched floats may
differ by a relative `rel_tol`. Text is compared exactly, a number written as text included.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Collection, Mapping
from typing import Any

from shop_platform.storage import Lake
from shop_platform.storage.paths import delta_tables_under

# Stands for a float when rows are matched, so rows differing only by float noise still pair up.
_FLOAT = "<float>"


def table_versions(lake: Lake) -> dict[str, int]:
    """The current version of every Delta table of the lake."""
    return {name: lake.table(name).version() for name in delta_tables_under(lake.root)}


def _plain(value: Any, ignore: Collection[str]) -> Any:
    """A row's value as comparable Python data (Rows become dicts without the ignored fields)."""
    if hasattr(value, "asDict"):
        return {k: _plain(v, ignore) for k, v in value.asDict().items() if k not in ignore}
    if isinstance(value, dict):
        return {k: _plain(v, ignore) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v, ignore) for v in value]
    return value


def _key(value: Any) -> str:
    """The value with every float replaced by a placeholder, as text (a hashable, sortable match key)."""

    def strip(v: Any) -> Any:
        if isinstance(v, float):
            return _FLOAT
        if isinstance(v, dict):
            return {k: strip(x) for k, x in v.items()}
        if isinstance(v, list):
            return [strip(x) for x in v]
        return v

    return repr(strip(value))


def _float_differences(before: Any, after: Any, rel_tol: float, path: str = "") -> list[str]:
    """Where two values of the same key differ beyond the tolerance: `path: before -> after`."""
    if isinstance(before, float) and isinstance(after, float):
        same = (math.isnan(before) and math.isnan(after)) or math.isclose(
            before, after, rel_tol=rel_tol, abs_tol=rel_tol
        )
        return [] if same else [f"{path}: {before!r} -> {after!r}"]
    if isinstance(before, dict):
        return [d for k in before for d in _float_differences(before[k], after[k], rel_tol, f"{path}.{k}")]
    if isinstance(before, list):
        return [
            d for i, (b, a) in enumerate(zip(before, after, strict=True))
            for d in _float_differences(b, a, rel_tol, f"{path}[{i}]")
        ]  # fmt: skip
    return []


def _column_changes(before: dict, after: dict, rel_tol: float) -> str:
    """`column: before -> after` for each top-level column of two rows that differs."""
    changed = [
        f"{name}: {before[name]!r} -> {after.get(name)!r}"
        for name in before
        if _key(before[name]) != _key(after.get(name))
        or _float_differences(before[name], after.get(name), rel_tol)
    ]
    return "; ".join(changed)


def rows_difference(
    before: list[Any], after: list[Any], rel_tol: float, ignore: Collection[str] = (), examples: int = 3
) -> str | None:
    """How two row sets differ (None when they are the same up to `rel_tol` on floats and `ignore`d
    columns): rows only on one side, then float values beyond the tolerance, a few examples of each."""
    old = [_plain(r, ignore) for r in before]
    new = [_plain(r, ignore) for r in after]
    old_keys, new_keys = Counter(_key(r) for r in old), Counter(_key(r) for r in new)
    if old_keys != new_keys:
        gone = sorted((r for r in old if (old_keys - new_keys)[_key(r)]), key=_key)
        added = sorted((r for r in new if (new_keys - old_keys)[_key(r)]), key=_key)
        summary = f"{len(old)} -> {len(new)} rows, {len(gone)} of them changed or gone and {len(added)} new"
        if len(gone) == len(added):
            # As many changed as new: pair them in key order and name the columns that changed.
            changes = [_column_changes(b, a, rel_tol) for b, a in zip(gone, added, strict=True)]
            return f"{summary}; changed columns, e.g. {changes[:examples]}"
        shown = [_key(r) for r in gone[:examples]], [_key(r) for r in added[:examples]]
        return f"{summary}; e.g. before {shown[0]}, after {shown[1]}"
    # Same keys on both sides: pair rows by key (ties ordered by their floats) and compare the floats.
    old.sort(key=lambda r: (_key(r), repr(r)))
    new.sort(key=lambda r: (_key(r), repr(r)))
    drifted = [d for b, a in zip(old, new, strict=True) if (d := _float_differences(b, a, rel_tol))]
    if drifted:
        return f"{len(drifted)} of {len(old)} rows have floats beyond {rel_tol:g}, e.g. {drifted[:examples]}"
    return None


def lake_differences(
    lake: Lake,
    before: Mapping[str, int],
    rel_tol: float = 1e-9,
    ignore: Mapping[str, Collection[str]] | None = None,
) -> list[str]:
    """Every table whose rows now differ from its rows at the version in `before` (`table_versions` taken
    earlier), one line each naming the table and how; tables created since are listed too.

    Args:
        lake: The lake.
        before: Table -> the version to compare with.
        rel_tol: Relative (and absolute) tolerance on floats.
        ignore: Table -> columns left out (values that are not meant to repeat, e.g. a wall-clock time).
    """
    ignore = ignore or {}
    found = []
    for name in delta_tables_under(lake.root):
        table = lake.table(name)
        if name not in before:
            found.append(f"{name}: new table ({table.read().count()} rows)")
            continue
        difference = rows_difference(
            table.read(version=before[name]).collect(), table.read().collect(), rel_tol, ignore.get(name, ())
        )
        if difference is not None:
            found.append(f"{name}: {difference}")
    return found
