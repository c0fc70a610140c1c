"""Formatting numbers and building tables for the report: every cell is text, a missing value an en dash."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping

import pandas as pd

from transforms.report.page import Table

Formatter = Callable[[object], str]


def missing(frame: pd.DataFrame | None) -> bool:
    return frame is None or frame.empty


def blank(value: object) -> bool:
    if value is None:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def count(value: object) -> str:
    """1,234 (or an en dash for a missing value)."""
    return "–" if blank(value) else f"{int(value):,}"


def percent(value: object, digits: int = 1) -> str:
    """12.3% (or an en dash)."""
    return "–" if blank(value) else f"{100 * float(value):.{digits}f}%"


def number(value: object, digits: int = 3) -> str:
    """A number with `digits` significant digits (or an en dash)."""
    if blank(value):
        return "–"
    value = float(value)
    if value != 0 and abs(value) >= 10**digits:
        return f"{value:,.0f}"
    return f"{value:.{digits}g}"


def interval(estimate: object, low: object, high: object) -> str:
    """ "0.036 [0.002, 0.07]" (3 significant digits each; an en dash when the estimate is missing)."""
    if blank(estimate):
        return "–"
    return f"{number(estimate)} [{number(low)}, {number(high)}]"


def settings(values: object) -> str:
    """ "alpha=1.0, rank=32" from a mapping (or a list of pairs, as Spark maps arrive); an en dash when empty."""
    pairs = sorted(dict(values).items()) if values is not None and not blank_list(values) else []
    return ", ".join(f"{k}={v}" for k, v in pairs) or "–"


def day(value: object) -> str:
    """YYYY-MM-DD (or an en dash)."""
    return "–" if blank(value) else pd.Timestamp(value).strftime("%Y-%m-%d")


def humanize(identifier: str) -> str:
    """ "add_to_cart" -> "Add to cart"."""
    return identifier.replace("_", " ").capitalize()


def joined(values: object) -> str:
    return "–" if blank_list(values) else ", ".join(str(v) for v in values)


def blank_list(values: object) -> bool:
    if values is None:
        return True
    if isinstance(values, float) and math.isnan(values):
        return True
    return len(values) == 0  # type: ignore[arg-type]


def text(value: object) -> str:
    return "–" if blank(value) else str(value)


def signed(value: object) -> str:
    return "–" if blank(value) else f"{int(value):+,}"


def table(caption: str, frame: pd.DataFrame, columns: Mapping[str, tuple[str, Formatter]]) -> Table:
    """A table of `frame`'s columns: column -> (heading, formatter); numbers are right-aligned and settings
    (long parameter lists) wrap."""
    rows = [[fmt(row[column]) for column, (_, fmt) in columns.items()] for _, row in frame.iterrows()]
    numeric = [heading for heading, fmt in columns.values() if fmt in NUMERIC]
    wrap = [heading for heading, fmt in columns.values() if fmt is settings]
    return Table(caption, [heading for heading, _ in columns.values()], rows, numeric, wrap)


NUMERIC = (count, percent, number, signed)
