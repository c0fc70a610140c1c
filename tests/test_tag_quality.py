"""Tag quality on two hand-built snapshots: coverage, distribution and a hand-computed PSI."""

from __future__ import annotations

import datetime as dt
import math

import pytest
from chispa import assert_approx_df_equality
from pyspark.sql import functions as F

from shop_platform.catalogs import Category, Tag, TagCatalog
from transforms.schemas import GOLD_TAG_SNAPSHOTS_SCHEMA
from transforms.tags.quality import EMPTY_SHARE, tag_quality

D1, D2 = dt.date(2026, 10, 29), dt.date(2026, 10, 30)


def tag(tag_id: str, value_type: str) -> Tag:
    values = ("F", "M") if value_type == "enum" else ()
    return Tag(
        tag_id, tag_id, tag_id, "d", "c", "s", "dynamic", value_type, "t", expression="x", values=values
    )


CATALOG = TagCatalog(
    (Category("c", "c", "c", ("s",)),),
    (tag("gender", "enum"), tag("gmv", "number"), tag("cats", "list"), tag("unused", "boolean")),
)


def rows(day, genders, gmvs, cats):
    out = [(f"u{i}", "gender", g, None, None, None, day) for i, g in enumerate(genders)]
    out += [(f"u{i}", "gmv", str(v), None, float(v), None, day) for i, v in enumerate(gmvs)]
    out += [(f"u{i}", "cats", ",".join(c), None, None, c, day) for i, c in enumerate(cats)]
    return out


def users(spark, *dates):
    return spark.createDataFrame([(d, 4) for d in dates], "snapshot_date date, users long")


def test_coverage_distribution_and_psi(spark):
    before = spark.createDataFrame(
        rows(D1, ["F", "F", "M", "M"], [5, 50], [["a"], ["a", "b"]]), GOLD_TAG_SNAPSHOTS_SCHEMA
    )
    now = spark.createDataFrame(rows(D2, ["F", "F", "F", "M"], [5], [["a"]]), GOLD_TAG_SNAPSHOTS_SCHEMA)
    quality = {r.tag_id: r for r in tag_quality(now, before, users(spark, D2), CATALOG, D2).collect()}

    assert quality["gender"].coverage == 1.0 and quality["gender"].distribution == {"F": 0.75, "M": 0.25}
    assert quality["gender"].psi == pytest.approx(
        (0.75 - 0.5) * math.log(0.75 / 0.5) + (0.25 - 0.5) * math.log(0.25 / 0.5)
    )
    assert quality["gmv"].coverage == 0.25 and quality["gmv"].distribution == {"(1,10]": 1.0}
    # The (10,100] band emptied: its share counts as EMPTY_SHARE, not zero.
    assert quality["gmv"].psi == pytest.approx(
        (1.0 - 0.5) * math.log(1.0 / 0.5) + (EMPTY_SHARE - 0.5) * math.log(EMPTY_SHARE / 0.5)
    )
    assert quality["cats"].distribution == {"a": 1.0}
    unused = quality["unused"]
    assert (unused.users_with_value, unused.coverage, unused.psi) == (0, 0.0, None)
    first = {r.tag_id: r.psi for r in tag_quality(before, None, users(spark, D1), CATALOG, D1).collect()}
    assert set(first.values()) == {None}


def test_two_dates_at_once_give_each_dates_own_quality(spark):
    before = spark.createDataFrame(
        rows(D1, ["F", "F", "M", "M"], [5, 50], [["a"], ["a", "b"]]), GOLD_TAG_SNAPSHOTS_SCHEMA
    )
    now = spark.createDataFrame(rows(D2, ["F", "F", "F", "M"], [5], [["a"]]), GOLD_TAG_SNAPSHOTS_SCHEMA)
    together = tag_quality(before.unionByName(now), None, users(spark, D1, D2), CATALOG, D1)
    apart = tag_quality(before, None, users(spark, D1), CATALOG, D1).unionByName(
        tag_quality(now, before, users(spark, D2), CATALOG, D2)
    )
    entries = [F.map_entries(c).alias(c) if c == "distribution" else c for c in together.columns]
    assert_approx_df_equality(
        together.select(*entries), apart.select(*entries), 1e-12, ignore_row_order=True, ignore_nullable=True
    )
    assert together.where("snapshot_date = DATE'2026-10-30' AND psi IS NOT NULL").count() == 3
