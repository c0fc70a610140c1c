"""Lookup arrays as literals that stay small in the plan: one string literal, split and cast.

`F.array(*[F.lit(v) for v in values])` costs a Py4J round trip per element and leaves one expression
node per element in every plan that uses it; the generator's inverse-CDF tables have thousands of
entries, and plans that carried them took minutes to analyse and megabytes to ship to each task.
`split(lit("v1,v2,..."), ",")` cast to the element type is three nodes, built in a few calls, and
the optimizer folds it into a single array literal before code generation.
"""

from __future__ import annotations

from collections.abc import Sequence

from pyspark.sql import Column
from pyspark.sql import functions as F

# Joins string values; none of the generator's vocabulary contains it.
_SEPARATOR = "\x1f"


def _element_type(values: Sequence[object]) -> str:
    if all(isinstance(v, bool) for v in values):
        return "boolean"
    if all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        return "bigint" if any(abs(v) >= 2**31 for v in values) else "int"  # type: ignore[arg-type]
    if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
        return "double"
    if all(isinstance(v, str) for v in values):
        return "string"
    raise TypeError(f"literal_array needs values of one kind (bool, int, float or str), got {values!r}")


def literal_array(values: Sequence[object], element_type: str | None = None) -> Column:
    """An array literal of `values` (bools, ints, floats or strings; floats round-trip exactly).

    Args:
        values: The elements, in order; at least one.
        element_type: Spark SQL type of the elements; inferred from the values when not given.
    """
    if not values:
        raise ValueError("literal_array needs at least one value")
    kind = element_type or _element_type(values)
    if kind == "string":
        if any(_SEPARATOR in str(v) for v in values):
            raise ValueError(f"literal_array strings must not contain {_SEPARATOR!r}")
        return F.split(F.lit(_SEPARATOR.join(str(v) for v in values)), _SEPARATOR)
    text = ",".join(("true" if v else "false") if isinstance(v, bool) else repr(v) for v in values)
    return F.split(F.lit(text), ",").cast(f"array<{kind}>")


def nth(values: Sequence[object], index: Column) -> Column:
    """`values[index]` for a 0-based index column (null when the index is null)."""
    return F.element_at(literal_array(values), (index + F.lit(1)).cast("int"))
