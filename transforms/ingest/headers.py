"""Reading CSV inputs by header name: which columns each source has, which it needs, and how a file's
header maps onto them.

Every CSV source with a header is mapped by name, never by position: the order of a file's columns does
not matter, columns we do not use are ignored (and logged once), and a file that lacks a required column
stops the run before any row is read, with the expected and the found columns and the closest found name
for each missing one. A missing optional column loads as null, unless a found column we do not use is
a close match for it (a misspelling such as `gendre` for `gender` is almost always a typo, so it stops
the run too). Names are compared trimmed and case-insensitively.

A shop whose export uses other names maps them in `ingest.columns.<source>: {our_name: their_name}`.

Required columns per source (the rest are optional):

    users                  user_id
    items                  item_id
    campaigns              campaign_id
    campaign_assignments   campaign_id, user_id, group
    order_lines            user_id, order_id, order_time
    taobao                 (no header: user_id,item_id,category_id,behavior_type,timestamp by position)
"""

from __future__ import annotations

import csv
import difflib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from transforms import columns as C
from transforms.schemas import (
    RAW_CAMPAIGN_ASSIGNMENTS_SCHEMA,
    RAW_CAMPAIGNS_SCHEMA,
    RAW_ITEMS_SCHEMA,
    RAW_USERS_SCHEMA,
)

# A found-but-unused column at least this similar to a missing column is taken for a misspelling of it.
TYPO_SIMILARITY = 0.8
# The closest found column reported for a missing one, when at least this similar.
HINT_SIMILARITY = 0.5
BOM = "\ufeff"

ORDER_TIME = "order_time"
BEHAVIOR_TYPE = "behavior_type"
TIMESTAMP = "timestamp"


@dataclass(frozen=True)
class Source:
    """A CSV input: its name in `ingest.columns.<name>`, our columns in documented order, which we need.

    `has_header` is false for formats whose files carry no header (their columns are positional).
    """

    name: str
    columns: tuple[str, ...]
    required: frozenset[str]
    has_header: bool = True


USERS = Source("users", tuple(RAW_USERS_SCHEMA.fieldNames()), frozenset({C.USER_ID}))
ITEMS = Source("items", tuple(RAW_ITEMS_SCHEMA.fieldNames()), frozenset({C.ITEM_ID}))
CAMPAIGNS = Source("campaigns", tuple(RAW_CAMPAIGNS_SCHEMA.fieldNames()), frozenset({C.CAMPAIGN_ID}))
CAMPAIGN_ASSIGNMENTS = Source(
    "campaign_assignments",
    tuple(RAW_CAMPAIGN_ASSIGNMENTS_SCHEMA.fieldNames()),
    frozenset(RAW_CAMPAIGN_ASSIGNMENTS_SCHEMA.fieldNames()),
)
ORDER_LINES = Source(
    "order_lines",
    (C.USER_ID, C.ORDER_ID, ORDER_TIME, C.ITEM_ID, C.QUANTITY, C.AMOUNT, C.ORDER_STATUS),
    frozenset({C.USER_ID, C.ORDER_ID, ORDER_TIME}),
)
TAOBAO = Source(
    "taobao",
    (C.USER_ID, C.ITEM_ID, C.CATEGORY_ID, BEHAVIOR_TYPE, TIMESTAMP),
    frozenset({C.USER_ID, C.ITEM_ID, C.CATEGORY_ID, BEHAVIOR_TYPE, TIMESTAMP}),
    has_header=False,
)
SOURCES = {
    source.name: source for source in (USERS, ITEMS, CAMPAIGNS, CAMPAIGN_ASSIGNMENTS, ORDER_LINES, TAOBAO)
}


class HeaderError(ValueError):
    """A file's header cannot be mapped onto a source's columns; the message names file and columns."""


@dataclass(frozen=True)
class HeaderMap:
    """Where each of our columns sits in one header.

    Attributes:
        header: The file's column names, as found.
        positions: Our column -> its 0-based position in `header`, for the columns the file has.
        absent: Our optional columns the file does not have (loaded as null).
        extra: Found columns we do not use (ignored).
    """

    header: tuple[str, ...]
    positions: Mapping[str, int]
    absent: tuple[str, ...]
    extra: tuple[str, ...]

    @property
    def width(self) -> int:
        return len(self.header)


def split_header(line: str) -> tuple[str, ...]:
    """The column names of a CSV header line (quotes honoured, a UTF-8 byte-order mark dropped)."""
    return tuple(next(csv.reader([line.removeprefix(BOM)]), []))


def _key(name: str) -> str:
    return name.strip().lower()


def map_header(header: Sequence[str], source: Source, renames: Mapping[str, str], where: str) -> HeaderMap:
    """Map `header` onto `source`'s columns by name.

    Args:
        header: The file's column names.
        source: The source the file belongs to.
        renames: `ingest.columns.<source>`: our name -> their name, for the columns named differently.
        where: The file (or files) the header comes from, for messages.

    Raises:
        HeaderError: a required column is missing, an optional one is missing while a found column we
            do not use is a close match for it, or two found columns have one name.
    """
    found = tuple(header)
    keys = [_key(name) for name in found]
    repeated = sorted({name for name in keys if keys.count(name) > 1})
    if repeated:
        raise HeaderError(
            f"{where}: the header names {', '.join(repeated)} more than once; found {_list(found)}"
        )
    theirs = {ours: renames.get(ours, ours) for ours in source.columns}
    position_of = {key: index for index, key in enumerate(keys)}
    positions = {ours: position_of[_key(name)] for ours, name in theirs.items() if _key(name) in position_of}
    used = {_key(theirs[ours]) for ours in positions}
    extra = tuple(name for name in found if _key(name) not in used)
    missing = [ours for ours in source.columns if ours not in positions]
    required = [ours for ours in missing if ours in source.required]
    misspelt = [
        ours
        for ours in missing
        if ours not in source.required and _closest(theirs[ours], extra, TYPO_SIMILARITY)
    ]
    if required or misspelt:
        problems = []
        if required:
            problems.append(f"lacks the required column(s) {_with_hints(required, theirs, found)}")
        if misspelt:
            problems.append(
                f"lacks the column(s) {_with_hints(misspelt, theirs, extra)}, which look misspelt "
                "(fix the header, or map the name in the setting)"
            )
        raise HeaderError(
            f"{where}: the header {' and '.join(problems)}; expected {_list(theirs[c] for c in source.columns)} "
            f"(required: {_list(theirs[c] for c in source.columns if c in source.required)}; other names "
            f"can be mapped in ingest.columns.{source.name}); found {_list(found)}"
        )
    return HeaderMap(found, positions, tuple(missing), extra)


def positional(source: Source) -> HeaderMap:
    """The documented column order of a headerless source."""
    return HeaderMap(source.columns, {name: index for index, name in enumerate(source.columns)}, (), ())


def _closest(name: str, candidates: Sequence[str], cutoff: float) -> str | None:
    by_key = {_key(candidate): candidate for candidate in candidates}
    matches = difflib.get_close_matches(_key(name), list(by_key), n=1, cutoff=cutoff)
    return by_key[matches[0]] if matches else None


def _with_hints(missing: Sequence[str], theirs: Mapping[str, str], candidates: Sequence[str]) -> str:
    described = []
    for ours in missing:
        closest = _closest(theirs[ours], candidates, HINT_SIMILARITY)
        hint = f"closest found: {closest}" if closest else "no close match found"
        described.append(f"{theirs[ours]} ({hint})")
    return ", ".join(described)


def _list(names) -> str:
    return ",".join(names) or "(nothing)"
