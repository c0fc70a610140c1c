"""The audience rule language's tokens: tag ids, keywords, strings, numbers, operators and ( ) ,.

The tokenizer is a plain character loop. It accepts only what the grammar (see `grammar`) uses and stops
at the first other character with a message naming it and its position: `;`, backquotes, double quotes,
comments, a `-` that does not start a number, non-ASCII letters outside a string.
"""

from __future__ import annotations

from dataclasses import dataclass

from transforms.audiences.nodes import AudienceSyntaxError, Literal, Pos

KEYWORDS = frozenset({"AND", "OR", "NOT", "IN", "BETWEEN", "IS", "NULL", "HAS", "TRUE", "FALSE"})
COMPARISONS = ("=", "!=", "<>", "<", "<=", ">", ">=")

_LETTERS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_")
_DIGITS = frozenset("0123456789")
_TAG_CHARS = _LETTERS | _DIGITS
_FORBIDDEN = {
    ";": "';' is not allowed: a rule is a single expression",
    "`": "backquotes are not allowed: write the tag id as it is",
    '"': "double quotes are not allowed: strings take single quotes",
}

# Token kinds.
TAG, KEYWORD, STRING, NUMBER = "tag", "keyword", "string", "number"
OP, PUNCT, END = "op", "punct", "end"


@dataclass(frozen=True)
class Token:
    """One token: its kind (TAG, KEYWORD, ...), its text and where it starts."""

    kind: str
    text: str  # a keyword upper-cased, a string's value with '' undone, a number's digits, an operator
    pos: Pos

    def describe(self) -> str:
        """The token as an error message names it: 'gender', the string 'F', AND, the end of the rule."""
        if self.kind == END:
            return "the end of the rule"
        if self.kind == KEYWORD:
            return self.text
        if self.kind == STRING:
            return "the string " + str(Literal(self.text))
        if self.kind == NUMBER:
            return f"the number {self.text}"
        return f"'{self.text}'"


def tokenize(audience_id: str, rule: str) -> list[Token]:
    """The rule's tokens, ending with an end token; any character outside the grammar is an error."""
    tokens: list[Token] = []
    i, n = 0, len(rule)

    def fail(message: str) -> AudienceSyntaxError:
        return AudienceSyntaxError(audience_id, [message])

    while i < n:
        char = rule[i]
        if char.isspace():
            i += 1
            continue
        start, pos = i, _pos(rule, i)
        pair = rule[i : i + 2]
        if char in _LETTERS:
            while i < n and rule[i] in _TAG_CHARS:
                i += 1
            word = rule[start:i]
            if word.upper() in KEYWORDS:
                tokens.append(Token(KEYWORD, word.upper(), pos))
            else:
                tokens.append(Token(TAG, word, pos))
        elif pair in ("--", "/*"):
            raise fail(f"comments are not allowed ('{pair}' at {pos})")
        elif char in _DIGITS or (char == "-" and i + 1 < n and rule[i + 1] in _DIGITS):
            i = _scan_number(rule, i + 1)
            if i < n and (rule[i].isalnum() or rule[i] in "_."):
                while i < n and (rule[i].isalnum() or rule[i] in "_."):
                    i += 1
                raise fail(f"malformed number '{rule[start:i]}' at {pos} (strings take single quotes)")
            tokens.append(Token(NUMBER, rule[start:i], pos))
        elif char == "'":
            value, i = _scan_string(rule, i + 1)
            if value is None:
                raise fail(f"unterminated string starting at {pos}")
            tokens.append(Token(STRING, value, pos))
        elif pair in COMPARISONS or char in COMPARISONS:
            op = pair if pair in COMPARISONS else char
            tokens.append(Token(OP, op, pos))
            i += len(op)
        elif char in "(),":
            tokens.append(Token(PUNCT, char, pos))
            i += 1
        elif char in _FORBIDDEN:
            raise fail(f"{_FORBIDDEN[char]} (at {pos})")
        else:
            hint = " (strings take single quotes; tag ids are ASCII)" if char.isalpha() else ""
            raise fail(f"unexpected character '{char}' at {pos}{hint}")
    tokens.append(Token(END, "", _pos(rule, n)))
    return tokens


def _pos(rule: str, offset: int) -> Pos:
    line_start = rule.rfind("\n", 0, offset) + 1
    return Pos(rule.count("\n", 0, offset) + 1, offset - line_start + 1)


def _scan_number(rule: str, i: int) -> int:
    """The offset after the number whose first character is before `i`: digits, then optionally . digits."""
    while i < len(rule) and rule[i] in _DIGITS:
        i += 1
    if i + 1 < len(rule) and rule[i] == "." and rule[i + 1] in _DIGITS:
        i += 1
        while i < len(rule) and rule[i] in _DIGITS:
            i += 1
    return i


def _scan_string(rule: str, i: int) -> tuple[str | None, int]:
    """The value of the string whose opening quote is just before `i`, and the offset after its closing
    quote; (None, len) when it never closes."""
    parts: list[str] = []
    while i < len(rule):
        if rule[i] != "'":
            parts.append(rule[i])
            i += 1
        elif rule[i + 1 : i + 2] == "'":
            parts.append("'")
            i += 2
        else:
            return "".join(parts), i + 1
    return None, i
