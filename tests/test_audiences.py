"""Audience membership over a tag snapshot: profile round trip, members, sizes, overlaps; the shipped rules."""

from __future__ import annotations

import datetime as dt

from chispa import assert_df_equality

from shop_platform.catalogs import Category, Tag, TagCatalog, load_audiences, load_tag_catalog
from transforms.audiences import compile_audience, parse_audience, validate_audience
from transforms.audiences.membership import (
    audience_members,
    audience_overlap,
    audience_sizes,
    profile_from_snapshot,
)
from transforms.tags.builtins import BUILTIN_COLUMNS
from transforms.tags.evaluate import tag_snapshot

S = dt.date(2026, 10, 30)


def tag(tag_id: str, value_type: str, values: tuple[str, ...] = ()) -> Tag:
    return Tag(
        tag_id, tag_id, tag_id, "d", "c", "s", "dynamic", value_type, "tests", expression="x", values=values
    )


CATALOG = TagCatalog(
    categories=(Category("c", "c", "c", ("s",)),),
    tags=(
        tag("active_7d", "boolean"),
        tag("gender", "enum", ("F", "M", "U")),
        tag("orders_30d", "number"),
        tag("cats", "list"),
    ),
)
PROFILE_SCHEMA = (
    "user_id string, active_7d boolean, gender string, orders_30d double, "
    "cats array<string>, snapshot_date date"
)
PROFILE = [
    ("u1", True, "F", 2.0, ["beauty"], S),
    ("u2", True, "M", 0.0, ["food", "beauty"], S),
    ("u3", False, "F", None, None, S),
]


def test_the_wide_profile_comes_back_from_the_long_snapshot(spark):
    profile = spark.createDataFrame(PROFILE, PROFILE_SCHEMA)
    assert_df_equality(
        profile_from_snapshot(tag_snapshot(profile, CATALOG), CATALOG).select(*profile.columns),
        profile,
        ignore_row_order=True,
        ignore_nullable=True,
    )


def test_members_sizes_and_overlap(spark):
    profile = spark.createDataFrame(PROFILE, PROFILE_SCHEMA)
    rules = {
        "active_women": compile_audience("active_women", "active_7d AND gender = 'F'", CATALOG),
        "beauty": compile_audience("beauty", "cats HAS 'beauty'", CATALOG),
        "nobody": compile_audience("nobody", "orders_30d > 100", CATALOG),
    }
    members = audience_members(profile, rules)
    assert sorted((r.audience_id, r.user_id) for r in members.collect()) == [
        ("active_women", "u1"),
        ("beauty", "u1"),
        ("beauty", "u2"),
    ]
    sizes = audience_sizes(members, list(rules))
    assert sorted(tuple(r) for r in sizes.collect()) == [
        ("active_women", 1, S),
        ("beauty", 2, S),
        ("nobody", 0, S),
    ]
    overlap = audience_overlap(members)
    assert sorted(tuple(r) for r in overlap.collect()) == [
        ("active_women", "active_women", 1, S),
        ("active_women", "beauty", 1, S),
        ("beauty", "active_women", 1, S),
        ("beauty", "beauty", 2, S),
    ]


def test_every_shipped_audience_fits_the_shipped_catalog():
    catalog = load_tag_catalog(BUILTIN_COLUMNS)
    audiences = load_audiences()
    assert len(audiences) >= 5
    for audience in audiences:
        validate_audience(audience.id, parse_audience(audience.id, audience.rule), catalog)
