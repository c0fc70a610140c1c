"""Audiences: rule-based user segments, each a boolean expression over catalog tags.

    column = compile_audience("active_not_buying_f95", "active_7d AND NOT ordered_7d AND gender = 'F'", catalog)
    members = profile.filter(column).select(C.USER_ID)

`grammar` parses a rule (`nodes` is its syntax tree), `validate` checks it against the tag catalog and
`compile` turns it into a Column of `gold.user_profile`'s tag columns, never into SQL text. A user whose tag
values leave the rule unknown (null) is not a member; see `compile` for the null semantics.
"""

from transforms.audiences.compile import compile_audience, membership_column, predicate_column, to_sql
from transforms.audiences.grammar import parse_audience
from transforms.audiences.nodes import (
    AudienceError,
    AudienceSyntaxError,
    AudienceValidationError,
    Expr,
    referenced_tags,
)
from transforms.audiences.validate import validate_audience

__all__ = [
    "AudienceError",
    "AudienceSyntaxError",
    "AudienceValidationError",
    "Expr",
    "compile_audience",
    "membership_column",
    "parse_audience",
    "predicate_column",
    "referenced_tags",
    "to_sql",
    "validate_audience",
]
