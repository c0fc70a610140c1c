"""Checking a parsed audience rule against the tag catalog, before any data is read.

Each predicate must name a catalog tag and use it as its value type allows:

| value type | bare `tag` | = != | < <= > >= | IN | BETWEEN | HAS | IS NULL |
|---|---|---|---|---|---|---|---|
| boolean | yes | TRUE/FALSE | no | TRUE/FALSE | no | no | yes |
| enum | no | a declared value | no | declared values | no | no | yes |
| number | no | a number | a number | numbers | numbers, low <= high | no | yes |
| list | no | no | no | no | no | a string | yes |

Every problem found is reported at once, each naming the tag and where it was written.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping

from shop_platform.catalogs import Tag, TagCatalog
from transforms.audiences.nodes import (
    AudienceValidationError,
    Between,
    Compare,
    Expr,
    Has,
    InList,
    IsNull,
    IsTrue,
    Literal,
    Predicate,
    predicates,
)

_ORDERING = ("<", "<=", ">", ">=")


def validate_audience(audience_id: str, expr: Expr, catalog: TagCatalog) -> None:
    """Check that every predicate of `expr` names a catalog tag and fits its value type.

    Raises:
        AudienceValidationError: With every problem found: an unknown tag (and the closest known ids), a
            literal of the wrong type for the tag, an enum value outside the tag's `values` (and the allowed
            ones), an operator the tag's value type does not support.
    """
    tags = catalog.by_id
    problems: list[str] = []
    for predicate in predicates(expr):
        tag = tags.get(predicate.tag)
        if tag is None:
            problems.append(_unknown_tag(predicate, tags))
        else:
            problems.extend(_problems(predicate, tag))
    if problems:
        raise AudienceValidationError(audience_id, problems)


def _unknown_tag(predicate: Predicate, tags: Mapping[str, Tag]) -> str:
    message = f"unknown tag '{predicate.tag}' at {predicate.pos}"
    suggestions = _close(predicate.tag, list(tags))
    return message + (f" (did you mean {_quoted(suggestions)}?)" if suggestions else "")


def _close(word: str, choices: list[str]) -> list[str]:
    """Choices equal to `word` but for case first, then similar ones."""
    same_but_case = [choice for choice in choices if choice.casefold() == word.casefold()]
    return same_but_case or difflib.get_close_matches(word, choices, n=3, cutoff=0.6)


def _quoted(values: list[str] | tuple[str, ...]) -> str:
    return " or ".join(str(Literal(value)) for value in values)


def _problems(predicate: Predicate, tag: Tag) -> list[str]:
    kind, name = tag.value_type, f"tag '{tag.id}'"
    if isinstance(predicate, IsNull):
        return []
    if kind not in ("boolean", "enum", "number", "list"):
        return [f"{name} has value type '{kind}', which audience rules cannot use"]
    if isinstance(predicate, IsTrue):
        if kind == "boolean":
            return []
        return [f"{name} at {predicate.pos} is {_a(kind)}, not a boolean: compare it to a value"]
    if isinstance(predicate, Has):
        if kind != "list":
            return [f"HAS needs a list tag, and {name} at {predicate.pos} is {_a(kind)}"]
        if predicate.value.kind != "string":
            return [f"{name} is a list of strings: HAS takes a string, not {predicate.value}"]
        return []
    if kind == "list":
        return [f"{name} at {predicate.pos} is a list: test its elements with {tag.id} HAS '...'"]
    if isinstance(predicate, Compare):
        if predicate.op in _ORDERING and kind != "number":
            return [f"{name} at {predicate.pos} is {_a(kind)}: only number tags take {predicate.op}"]
        return _value_problems(tag, [predicate.value])
    if isinstance(predicate, InList):
        return _value_problems(tag, list(predicate.values))
    if isinstance(predicate, Between):
        if kind != "number":
            return [f"{name} at {predicate.pos} is {_a(kind)}: only number tags take BETWEEN"]
        problems = _value_problems(tag, [predicate.low, predicate.high])
        if not problems and predicate.low.value > predicate.high.value:
            problems.append(
                f"{name} at {predicate.pos}: BETWEEN {predicate.low} AND {predicate.high} is empty "
                "(the low bound comes first)"
            )
        return problems
    raise TypeError(f"not a predicate: {predicate!r}")


def _a(kind: str) -> str:
    return f"an {kind}" if kind[0] in "aeiou" else f"a {kind}"


def _value_problems(tag: Tag, literals: list[Literal]) -> list[str]:
    """What is wrong with comparing `tag` to each of `literals` (a boolean, enum or number tag)."""
    name = f"tag '{tag.id}'"
    problems = []
    for literal in literals:
        at = f"{literal} at {literal.pos}"
        if tag.value_type == "boolean" and literal.kind != "boolean":
            problems.append(f"{name} is a boolean: compare it to TRUE or FALSE, not {at}")
        elif tag.value_type == "number" and literal.kind != "number":
            problems.append(f"{name} is a number: compare it to a number, not {at}")
        elif tag.value_type == "enum" and literal.kind != "string":
            problems.append(f"{name} is an enum: compare it to one of {_allowed(tag)}, not {at}")
        elif tag.value_type == "enum" and literal.value not in tag.values:
            suggestions = _close(str(literal.value), list(tag.values))
            hint = f"; did you mean {_quoted(suggestions)}?" if suggestions else ""
            problems.append(f"{at} is not a value of enum {name} (allowed: {_allowed(tag)}{hint})")
    return problems


def _allowed(tag: Tag) -> str:
    return ", ".join(str(Literal(value)) for value in tag.values) if tag.values else "none declared"
