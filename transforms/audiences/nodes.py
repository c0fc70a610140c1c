"""The audience rule's syntax tree: immutable dataclasses, and the error every audience problem raises.

Positions (`Pos`) say where in the rule text a tag or literal was written, for error messages; they are
left out of equality, so two rules that differ only in spacing or keyword case give equal trees.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import NamedTuple


class Pos(NamedTuple):
    """A 1-based line and column in the rule text."""

    line: int
    column: int

    def __str__(self) -> str:
        return f"column {self.column}" if self.line == 1 else f"line {self.line}, column {self.column}"


NOWHERE = Pos(1, 0)


class AudienceError(ValueError):
    """A rule that cannot become an audience; `problems` lists every reason found, each naming the tag
    or the position at fault, and the message starts with the audience id."""

    def __init__(self, audience_id: str, problems: Sequence[str]):
        self.audience_id = audience_id
        self.problems = tuple(problems)
        super().__init__(f"audience {audience_id!r}: " + "; ".join(self.problems))


class AudienceSyntaxError(AudienceError):
    """The rule text is not in the audience grammar."""


class AudienceValidationError(AudienceError):
    """The rule parses but does not fit the tag catalog (unknown tag, wrong type, value outside an enum)."""


@dataclass(frozen=True)
class Literal:
    """A constant: a string, a number (kept exact as a Decimal) or a boolean."""

    value: str | bool | Decimal
    pos: Pos = field(default=NOWHERE, compare=False)

    @property
    def kind(self) -> str:
        """One of "string", "number" or "boolean"."""
        if isinstance(self.value, bool):
            return "boolean"
        return "number" if isinstance(self.value, Decimal) else "string"

    def __str__(self) -> str:
        """The literal as it is written in a rule: 'it''s', 12.5, TRUE."""
        if isinstance(self.value, bool):
            return "TRUE" if self.value else "FALSE"
        if isinstance(self.value, Decimal):
            return format(self.value, "f")
        return "'" + self.value.replace("'", "''") + "'"


@dataclass(frozen=True)
class IsTrue:
    """A boolean tag on its own: `active_7d`."""

    tag: str
    pos: Pos = field(default=NOWHERE, compare=False)


@dataclass(frozen=True)
class Compare:
    """`tag op literal`; `op` is one of = != < <= > >= (`<>` is read as !=)."""

    tag: str
    op: str
    value: Literal
    pos: Pos = field(default=NOWHERE, compare=False)


@dataclass(frozen=True)
class InList:
    """`tag [NOT] IN (literal, ...)`."""

    tag: str
    values: tuple[Literal, ...]
    negated: bool = False
    pos: Pos = field(default=NOWHERE, compare=False)


@dataclass(frozen=True)
class Between:
    """`tag [NOT] BETWEEN low AND high`, bounds included."""

    tag: str
    low: Literal
    high: Literal
    negated: bool = False
    pos: Pos = field(default=NOWHERE, compare=False)


@dataclass(frozen=True)
class IsNull:
    """`tag IS [NOT] NULL`."""

    tag: str
    negated: bool = False
    pos: Pos = field(default=NOWHERE, compare=False)


@dataclass(frozen=True)
class Has:
    """`tag HAS literal`: the list tag contains the value."""

    tag: str
    value: Literal
    pos: Pos = field(default=NOWHERE, compare=False)


@dataclass(frozen=True)
class Not:
    operand: Expr


@dataclass(frozen=True)
class And:
    """Two or more operands; `a AND b AND c` is one node."""

    operands: tuple[Expr, ...]


@dataclass(frozen=True)
class Or:
    """Two or more operands; `a OR b OR c` is one node."""

    operands: tuple[Expr, ...]


Predicate = IsTrue | Compare | InList | Between | IsNull | Has
Expr = Predicate | Not | And | Or
PREDICATES = (IsTrue, Compare, InList, Between, IsNull, Has)


def predicates(expr: Expr) -> Iterator[Predicate]:
    """Every predicate (the leaves that name a tag) of `expr`, left to right."""
    if isinstance(expr, Not):
        yield from predicates(expr.operand)
    elif isinstance(expr, (And, Or)):
        for operand in expr.operands:
            yield from predicates(operand)
    else:
        yield expr


def referenced_tags(expr: Expr) -> tuple[str, ...]:
    """The tag ids `expr` reads, each once, in order of first use (the profile columns an audience needs)."""
    return tuple(dict.fromkeys(predicate.tag for predicate in predicates(expr)))
