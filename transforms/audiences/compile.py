"""Turning a validated audience rule into a Spark Column over `gold.user_profile`, and into display SQL.

The Column is built only from `F.col(tag id)`, `F.lit(value)`, Column operators and `F.array_contains`: no
text of the rule is ever handed to Spark's SQL parser, so a rule cannot smuggle SQL in. Tag ids reach
`F.col` only after the grammar (ASCII letters, digits, `_`) and the catalog have both accepted them.

Null semantics. Tag values may be null (unknown), and predicates follow SQL's three-valued logic: a
comparison with an unknown value is unknown, `NOT unknown` is unknown, `unknown AND false` is false and
`unknown OR true` is true. Only at the top is unknown turned into "not a member"
(`coalesce(rule, false)`). So `NOT active_7d` selects the users known to be inactive and leaves out those
whose `active_7d` is null; write `NOT active_7d OR active_7d IS NULL` to include them. Likewise
`gender != 'F'` and `gender NOT IN ('F')` leave out users of unknown gender, and `tag HAS 'x'` is unknown
for a null list (and, as Spark's `array_contains`, for a list without 'x' that holds a null element).
"""

from __future__ import annotations

from decimal import Decimal
from functools import reduce

from pyspark.sql import Column
from pyspark.sql import functions as F

from shop_platform.catalogs import TagCatalog
from transforms.audiences.grammar import parse_audience
from transforms.audiences.nodes import (
    And,
    Between,
    Compare,
    Expr,
    Has,
    InList,
    IsNull,
    IsTrue,
    Literal,
    Not,
    Or,
)
from transforms.audiences.validate import validate_audience


def compile_audience(audience_id: str, rule: str, catalog: TagCatalog) -> Column:
    """Parse, validate and compile an audience rule into its membership Column.

    Args:
        audience_id: The audience's id, named in every error.
        rule: The rule text, in the grammar of `transforms.audiences.grammar`.
        catalog: The tag catalog the rule's tags must belong to.

    Returns:
        A non-null boolean Column over the profile's tag columns (one per tag id the rule names): true
        exactly for the members. Unaliased; e.g. `profile.filter(column)` or `.select(USER_ID, column.alias(...))`.

    Raises:
        AudienceSyntaxError: The rule is not in the grammar.
        AudienceValidationError: The rule does not fit the catalog.
    """
    expr = parse_audience(audience_id, rule)
    validate_audience(audience_id, expr, catalog)
    return membership_column(expr)


def membership_column(expr: Expr) -> Column:
    """The validated `expr` as a non-null boolean Column: unknown is not a member."""
    return F.coalesce(predicate_column(expr), F.lit(False))


def predicate_column(expr: Expr) -> Column:
    """The validated `expr` as a three-valued boolean Column (null where it is unknown)."""
    if isinstance(expr, Not):
        return ~predicate_column(expr.operand)
    if isinstance(expr, And):
        return reduce(lambda left, right: left & right, map(predicate_column, expr.operands))
    if isinstance(expr, Or):
        return reduce(lambda left, right: left | right, map(predicate_column, expr.operands))
    column = F.col(expr.tag)
    if isinstance(expr, IsTrue):
        return column
    if isinstance(expr, Compare):
        return _COMPARE[expr.op](column, _lit(expr.value))
    if isinstance(expr, InList):
        member = column.isin([_lit(value) for value in expr.values])
        return ~member if expr.negated else member
    if isinstance(expr, Between):
        inside = column.between(_lit(expr.low), _lit(expr.high))
        return ~inside if expr.negated else inside
    if isinstance(expr, IsNull):
        return column.isNotNull() if expr.negated else column.isNull()
    if isinstance(expr, Has):
        return F.array_contains(column, _lit(expr.value))
    raise TypeError(f"not an audience expression: {expr!r}")


_COMPARE = {
    "=": lambda column, value: column == value,
    "!=": lambda column, value: column != value,
    "<": lambda column, value: column < value,
    "<=": lambda column, value: column <= value,
    ">": lambda column, value: column > value,
    ">=": lambda column, value: column >= value,
}


def _lit(literal: Literal) -> Column:
    # Number tags are DoubleType columns.
    value = literal.value
    return F.lit(float(value) if isinstance(value, Decimal) else value)


def to_sql(expr: Expr, *, membership: bool = True) -> str:
    """A canonical Spark SQL rendering of `expr`, for logs and documentation (never executed by this package).

    Identifiers are backquoted, strings single-quoted with backslash escapes (Spark's default literal
    syntax), `<>` is written `!=`, and AND/OR operands are parenthesised wherever precedence could be
    misread. With `membership` (the default) the expression is wrapped in `coalesce(..., false)`, which is
    what `membership_column` computes; without it, the three-valued predicate.
    """
    sql = _sql(expr)
    return f"coalesce({sql}, false)" if membership else sql


def _sql(expr: Expr) -> str:
    if isinstance(expr, Not):
        operand = _sql(expr.operand)
        return f"NOT {operand}" if isinstance(expr.operand, IsTrue) else f"NOT ({operand})"
    if isinstance(expr, And):
        return " AND ".join(_wrap(operand, (Or, Between)) for operand in expr.operands)
    if isinstance(expr, Or):
        return " OR ".join(_wrap(operand, (And,)) for operand in expr.operands)
    tag = _identifier(expr.tag)
    if isinstance(expr, IsTrue):
        return tag
    if isinstance(expr, Compare):
        return f"{tag} {expr.op} {_sql_literal(expr.value)}"
    if isinstance(expr, InList):
        values = ", ".join(_sql_literal(value) for value in expr.values)
        return f"{tag} {'NOT IN' if expr.negated else 'IN'} ({values})"
    if isinstance(expr, Between):
        keyword = "NOT BETWEEN" if expr.negated else "BETWEEN"
        return f"{tag} {keyword} {_sql_literal(expr.low)} AND {_sql_literal(expr.high)}"
    if isinstance(expr, IsNull):
        return f"{tag} IS {'NOT NULL' if expr.negated else 'NULL'}"
    if isinstance(expr, Has):
        return f"array_contains({tag}, {_sql_literal(expr.value)})"
    raise TypeError(f"not an audience expression: {expr!r}")


def _wrap(expr: Expr, kinds: tuple[type, ...]) -> str:
    return f"({_sql(expr)})" if isinstance(expr, kinds) else _sql(expr)


def _identifier(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


def _sql_literal(literal: Literal) -> str:
    value = literal.value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value, "f")
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
