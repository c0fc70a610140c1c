"""Range rules the settings classes share: each yields `(field, message)` pairs for `problems()`."""

from __future__ import annotations

from collections.abc import Iterator

# What a settings class's `problems()` returns; shop_platform.config reports the first with its key and file.
Problems = Iterator[tuple[str, str]]


def rates(obj: object, names: tuple[str, ...]) -> Problems:
    """A problem for each of the fields `names` of `obj` that is not a share between 0 and 1."""
    for name in names:
        value = getattr(obj, name)
        if not 0.0 <= value <= 1.0:
            yield name, f"must be a share between 0 and 1, got {value}"


def positive(obj: object, names: tuple[str, ...]) -> Problems:
    """A problem for each of the fields `names` of `obj` that is zero or negative."""
    for name in names:
        value = getattr(obj, name)
        if value <= 0:
            yield name, f"must be positive, got {value}"
