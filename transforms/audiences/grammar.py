"""The audience rule language: the grammar and its recursive-descent parser (tokens come from `tokens`).

An audience is a boolean expression over catalog tags, such as
`active_7d AND NOT ordered_7d AND gender = 'F' AND generation = '95后'`. The grammar, in EBNF (keywords are
case-insensitive, tag ids are case-sensitive, whitespace separates tokens and is otherwise ignored):

    rule      = or_expr END ;
    or_expr   = and_expr { "OR" and_expr } ;
    and_expr  = not_expr { "AND" not_expr } ;
    not_expr  = "NOT" not_expr | "(" or_expr ")" | predicate ;
    predicate = tag [ cmp_op literal
                    | [ "NOT" ] "IN" "(" literal { "," literal } ")"
                    | [ "NOT" ] "BETWEEN" literal "AND" literal
                    | "IS" [ "NOT" ] "NULL"
                    | "HAS" literal ] ;              (* a tag alone: a boolean tag is true *)
    cmp_op    = "=" | "!=" | "<>" | "<" | "<=" | ">" | ">=" ;
    literal   = string | number | "TRUE" | "FALSE" ;
    string    = "'" { any character except "'" | "''" } "'" ;    (* '' is one quote; unicode allowed *)
    number    = [ "-" ] digit { digit } [ "." digit { digit } ] ;
    tag       = ( "A".."Z" | "a".."z" | "_" ) { "A".."Z" | "a".."z" | "0".."9" | "_" } ;   (* not a keyword *)

So OR binds loosest, then AND, then NOT; the AND inside BETWEEN belongs to the BETWEEN. Nothing else is a
token: semicolons, backquotes, double quotes, comments (`--`, `/*`) and function calls are syntax errors,
so a rule can only name tags, literals and the operators above. The reserved words (AND OR NOT IN BETWEEN
IS NULL HAS TRUE FALSE) cannot be tag ids in a rule.
"""

from __future__ import annotations

from decimal import Decimal

from transforms.audiences.nodes import (
    And,
    AudienceSyntaxError,
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
from transforms.audiences.tokens import END, KEYWORD, NUMBER, OP, PUNCT, STRING, TAG, Token, tokenize

# Deeper nesting of NOT and parentheses is certainly a mistake, and would otherwise exhaust Python's stack.
MAX_DEPTH = 50


def parse_audience(audience_id: str, rule: str) -> Expr:
    """Parse an audience rule into its syntax tree.

    Args:
        audience_id: The audience's id, named in every error.
        rule: The rule text, e.g. `active_7d AND gender IN ('F', 'U')`.

    Returns:
        The expression: And/Or/Not nodes over predicates (IsTrue, Compare, InList, Between, IsNull, Has).

    Raises:
        AudienceSyntaxError: The text is not in the grammar; the message says where and what was expected.
    """
    return _Parser(audience_id, tokenize(audience_id, rule)).rule()


class _Parser:
    """Recursive descent over the token list; one method per grammar rule."""

    def __init__(self, audience_id: str, tokens: list[Token]):
        self.audience_id = audience_id
        self.tokens = tokens
        self.i = 0
        self.depth = 0

    def peek(self, ahead: int = 0) -> Token:
        return self.tokens[min(self.i + ahead, len(self.tokens) - 1)]

    def advance(self) -> Token:
        token = self.peek()
        self.i += 1
        return token

    def at_keyword(self, *words: str) -> bool:
        token = self.peek()
        return token.kind == KEYWORD and token.text in words

    def at_punct(self, char: str) -> bool:
        token = self.peek()
        return token.kind == PUNCT and token.text == char

    def error(self, expected: str, note: str = "") -> AudienceSyntaxError:
        token = self.peek()
        message = f"expected {expected} at {token.pos}, found {token.describe()}"
        return AudienceSyntaxError(self.audience_id, [message + (f" ({note})" if note else "")])

    def expect_keyword(self, word: str, context: str) -> None:
        if not self.at_keyword(word):
            raise self.error(f"{word} {context}")
        self.advance()

    def expect_punct(self, char: str, context: str, note: str = "") -> None:
        if not self.at_punct(char):
            raise self.error(f"'{char}' {context}".rstrip(), note)
        self.advance()

    def rule(self) -> Expr:
        expr = self.or_expr()
        if self.peek().kind != END:
            raise self.error("AND, OR or the end of the rule")
        return expr

    def or_expr(self) -> Expr:
        operands = [self.and_expr()]
        while self.at_keyword("OR"):
            self.advance()
            operands.append(self.and_expr())
        return operands[0] if len(operands) == 1 else Or(tuple(operands))

    def and_expr(self) -> Expr:
        operands = [self.not_expr()]
        while self.at_keyword("AND"):
            self.advance()
            operands.append(self.not_expr())
        return operands[0] if len(operands) == 1 else And(tuple(operands))

    def not_expr(self) -> Expr:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise AudienceSyntaxError(
                self.audience_id,
                [f"more than {MAX_DEPTH} nested NOTs and parentheses at {self.peek().pos}"],
            )
        try:
            if self.at_keyword("NOT"):
                self.advance()
                return Not(self.not_expr())
            if self.at_punct("("):
                opening = self.advance()
                expr = self.or_expr()
                self.expect_punct(")", "", f"to close the '(' at {opening.pos}")
                return expr
            return self.predicate()
        finally:
            self.depth -= 1

    def predicate(self) -> Expr:
        token = self.peek()
        if token.kind != TAG:
            raise self.error("a tag, NOT or '('")
        self.advance()
        tag, pos = token.text, token.pos
        if self.at_punct("("):
            raise AudienceSyntaxError(
                self.audience_id, [f"function calls are not allowed ('{tag}(' at {pos})"]
            )
        nxt = self.peek()
        if nxt.kind == OP:
            self.advance()
            op = "!=" if nxt.text == "<>" else nxt.text
            return Compare(tag, op, self.literal(f"after '{nxt.text}'"), pos)
        negated = False
        if self.at_keyword("NOT"):
            self.advance()
            negated = True
            if not self.at_keyword("IN", "BETWEEN"):
                raise self.error(f"IN or BETWEEN after '{tag} NOT'")
        if self.at_keyword("IN"):
            self.advance()
            self.expect_punct("(", "after IN")
            values = [self.literal("in the IN list")]
            while self.at_punct(","):
                self.advance()
                values.append(self.literal("after ','"))
            self.expect_punct(")", "or ',' in the IN list")
            return InList(tag, tuple(values), negated, pos)
        if self.at_keyword("BETWEEN"):
            self.advance()
            low = self.literal("after BETWEEN")
            self.expect_keyword("AND", "between the bounds of BETWEEN")
            return Between(tag, low, self.literal("after BETWEEN ... AND"), negated, pos)
        if self.at_keyword("IS"):
            self.advance()
            is_not = self.at_keyword("NOT")
            if is_not:
                self.advance()
            self.expect_keyword("NULL", "after IS NOT" if is_not else "or NOT after IS")
            return IsNull(tag, is_not, pos)
        if self.at_keyword("HAS"):
            self.advance()
            return Has(tag, self.literal("after HAS"), pos)
        return IsTrue(tag, pos)

    def literal(self, context: str) -> Literal:
        token = self.peek()
        if token.kind == STRING:
            value: str | bool | Decimal = token.text
        elif token.kind == NUMBER:
            value = Decimal(token.text)
        elif token.kind == KEYWORD and token.text in ("TRUE", "FALSE"):
            value = token.text == "TRUE"
        elif token.kind == KEYWORD and token.text == "NULL":
            raise self.error(f"a value {context}", "test for unknown values with IS NULL")
        else:
            raise self.error(f"a value {context}")
        self.advance()
        return Literal(value, token.pos)
