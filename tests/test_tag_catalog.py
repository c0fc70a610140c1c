"""The tag catalog: the shipped one is sound, a broken one fails naming the tag, tags evaluate to known values."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
import yaml
from chispa import assert_df_equality
from pyspark.sql import functions as F

from shop_platform.catalogs import TAGS_FILE, CatalogError, load_tag_catalog
from transforms.schemas import GOLD_USER_FEATURES_SCHEMA
from transforms.tags.allowed_functions import disallowed_calls
from transforms.tags.evaluate import enum_violations, expression_problems, tag_profile, tag_snapshot
from transforms.tags.intervals import range_intervals

BUILTINS = {
    name: name
    for name in (
        "rfm_segment",
        "r_score",
        "f_score",
        "m_score",
        "lifecycle_stage",
        "segment",
        "purchase_propensity",
        "churn_risk",
        "p_alive",
        "expected_orders_90d",
        "clv_90d",
        "value_tier",
    )
}
S = dt.date(2026, 10, 30)


def with_builtins(features):
    return features.select(
        "*",
        F.lit("champions").alias("rfm_segment"),
        *[F.lit(5).alias(name) for name in ("r_score", "f_score", "m_score")],
        F.lit("active").alias("lifecycle_stage"),
        F.lit(3).alias("segment"),
        F.lit(0.3).alias("purchase_propensity"),
        F.lit("low").alias("churn_risk"),
        F.lit(0.8).alias("p_alive"),
        F.lit(1.5).alias("expected_orders_90d"),
        F.lit(120.0).alias("clv_90d"),
        F.lit("high").alias("value_tier"),
    )


def features(spark, rows: list[dict]):
    """gold.user_features rows: null except the given columns."""
    names = GOLD_USER_FEATURES_SCHEMA.fieldNames()
    return spark.createDataFrame(
        [tuple({"snapshot_date": S, **row}.get(n) for n in names) for row in rows], GOLD_USER_FEATURES_SCHEMA
    )


def write_catalog(tmp_path: Path, tags: list[dict], categories=None) -> Path:
    base = {"name_zh": "标签", "name_en": "Tag", "description": "d", "category": "activity",
            "subcategory": "engagement", "kind": "dynamic", "owner": "tests"}  # fmt: skip
    data = {
        "categories": categories
        or [{"id": "activity", "name_zh": "活跃度", "name_en": "Activity", "subcategories": ["engagement"]}],
        "tags": [{**base, **tag} for tag in tags],
    }
    path = tmp_path / "tags.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def test_the_shipped_catalog_is_sound_and_spans_every_category(spark):
    catalog = load_tag_catalog(BUILTINS, TAGS_FILE)
    assert len(catalog.tags) >= 40
    assert {t.category for t in catalog.tags} == {c.id for c in catalog.categories}
    assert {t.kind for t in catalog.tags} == {"static", "dynamic", "interest", "scenario", "predicted"}
    empty = with_builtins(spark.createDataFrame([], GOLD_USER_FEATURES_SCHEMA))
    assert expression_problems(empty, catalog, BUILTINS) == []


@pytest.mark.parametrize(
    ("tags", "message"),
    [
        ([{"id": "a", "value_type": "boolean", "expression": "true"}] * 2, "tag 'a' is defined twice"),
        (
            [{"id": "a", "value_type": "boolean", "expression": "true", "category": "nope"}],
            "tag 'a': category 'nope'",
        ),
        (
            [{"id": "a", "value_type": "enum", "expression": "'x'"}],
            "tag 'a': an enum tag needs its allowed values",
        ),
        ([{"id": "a", "value_type": "number", "builtin": "magic"}], "tag 'a': unknown builtin 'magic'"),
        ([{"id": "a", "value_type": "boolean"}], "tag 'a': give exactly one of expression and builtin"),
        (
            [{"id": "Bad-Id", "value_type": "boolean", "expression": "true"}],
            "tag 'Bad-Id': ids are lower-case",
        ),
        ([{"id": "a", "value_type": "colour", "expression": "true"}], "tags.a.value_type"),
        (
            [{"id": "a", "value_type": "boolean", "expression": "true", "colour": 1}],
            "unknown key 'tags.a.colour'",
        ),
    ],
)
def test_a_broken_catalog_fails_before_spark_naming_the_tag(tmp_path, tags, message):
    with pytest.raises(CatalogError, match=message.replace("(", r"\(")):
        load_tag_catalog(BUILTINS, write_catalog(tmp_path, tags))


@pytest.mark.parametrize(
    ("tag", "message"),
    [
        ({"value_type": "boolean", "expression": "orders_7d >"}, "tag 'a': expression does not parse"),
        ({"value_type": "boolean", "expression": "no_such_column > 0"}, "tag 'a': .*no_such_column"),
        (
            {"value_type": "boolean", "expression": "orders_7d"},
            "tag 'a': a boolean tag, but its value is bigint",
        ),
        (
            {
                "value_type": "enum",
                "values": ["x", "y"],
                "expression": "CASE WHEN orders_7d > 0 THEN 'x' ELSE 'z' END",
            },
            r"tag 'a': returns \['z'\], outside its values",
        ),
    ],
)
def test_expressions_are_checked_against_the_features_naming_the_tag(spark, tmp_path, tag, message):
    catalog = load_tag_catalog(BUILTINS, write_catalog(tmp_path, [{"id": "a", **tag}]))
    empty = with_builtins(spark.createDataFrame([], GOLD_USER_FEATURES_SCHEMA))
    problems = expression_problems(empty, catalog, BUILTINS)
    assert len(problems) == 1 and re.search(message, problems[0]), problems


SALT_READER = "java_method('java.lang.System', 'getenv', 'SHOP_PII_SALT')"


@pytest.mark.parametrize(
    ("value_type", "expression", "refused"),
    [
        ("enum", SALT_READER, "java_method"),
        ("enum", "reflect('java.util.UUID', 'randomUUID')", "reflect"),
        ("enum", "upper(try_reflect('java.lang.System', 'getenv', 'HOME'))", "try_reflect"),
        ("boolean", "orders_7d > 0 AND EXISTS (SELECT 1)", "a subquery"),
        ("boolean", "orders_7d IN (SELECT 1)", "a subquery"),
        ("enum", "input_file_name()", "input_file_name"),
        ("number", "(SELECT count(*) FROM read_files('/etc/passwd'))", "a subquery"),
        ("number", "rand(7) * orders_7d", "rand"),
        ("boolean", "first_order_date > date_sub(current_date, 30)", "current_date"),
        ("boolean", "abs(orders_7d) > 0 OR uuid() IS NULL", "uuid"),
        ("enum", "IDENTIFIER('java_method')('java.lang.System', 'getenv', 'HOME')", r"IDENTIFIER\(\.\.\.\)"),
        ("number", "row_number() OVER (ORDER BY orders_7d)", "row_number"),
    ],
)
def test_expressions_may_call_only_allowed_functions_naming_the_tag_and_the_function(
    spark, tmp_path, value_type, expression, refused
):
    """Each of these passed the check before the allow-list (an enum's values only bind CASE branches)."""
    tag = {"id": "a", "value_type": value_type, "expression": expression}
    if value_type == "enum":
        tag["values"] = ["x"]
    catalog = load_tag_catalog(BUILTINS, write_catalog(tmp_path, [tag]))
    empty = with_builtins(spark.createDataFrame([], GOLD_USER_FEATURES_SCHEMA))
    problems = expression_problems(empty, catalog, BUILTINS)
    assert len(problems) == 1 and re.match(f"tag 'a': calls {refused}, not allowed", problems[0]), problems


def test_a_subquery_reading_a_file_is_refused_before_spark_reads_the_file(spark, tmp_path):
    """Without the allow-list this tag passes the check and puts the file's first line in every user's
    profile; the file here is the lake's own secret, written for the test."""
    secret = tmp_path / "secret.txt"
    secret.write_text("SHOP_PII_SALT=s3cr3t\n", encoding="utf-8")
    expression = f"(SELECT max(value) FROM text.`{secret}`)"
    catalog = load_tag_catalog(
        BUILTINS, write_catalog(tmp_path, [{"id": "leak", "value_type": "enum", "values": ["x"],
                                            "expression": expression}])
    )  # fmt: skip
    empty = with_builtins(spark.createDataFrame([], GOLD_USER_FEATURES_SCHEMA))
    assert expression_problems(empty, catalog, BUILTINS) == [
        "tag 'leak': calls a subquery, not allowed in tag expressions (deterministic SQL functions only: no "
        "reflection, file readers, subqueries, UDFs, randomness or clock; allowed functions: "
        "transforms.tags.allowed_functions.ALLOWED_FUNCTIONS)"
    ]


def test_a_session_udf_is_refused_by_name(spark, tmp_path):
    spark.udf.register("shop_test_identity", lambda x: x, "bigint")
    catalog = load_tag_catalog(
        BUILTINS,
        write_catalog(
            tmp_path, [{"id": "a", "value_type": "number", "expression": "shop_test_identity(orders_7d)"}]
        ),
    )
    empty = with_builtins(spark.createDataFrame([], GOLD_USER_FEATURES_SCHEMA))
    problems = expression_problems(empty, catalog, BUILTINS)
    assert len(problems) == 1 and problems[0].startswith("tag 'a': calls shop_test_identity, not allowed")


def test_the_allow_list_keeps_what_the_catalog_and_tag_authors_use(spark):
    written = (
        "CASE WHEN paid_gmv_90d <= 0 THEN 'none' WHEN percent_rank() OVER (PARTITION BY paid_gmv_90d > 0 "
        "ORDER BY paid_gmv_90d) >= 0.95 THEN 'vip' ELSE concat('tier_', lower(city)) END",
        "size(filter(top_categories, c -> c IN ('food', 'beauty'))) BETWEEN 1 AND 2",
        "first_order_date > date_sub(snapshot_date, 30) AND coalesce(orders_7d, 0) || '' LIKE '1%'",
        "avg(orders_30d) OVER (PARTITION BY city_tier) < CAST(orders_30d AS DOUBLE)",
    )
    for expression in written:
        assert disallowed_calls(spark, expression) == [], expression
    catalog = load_tag_catalog(BUILTINS, TAGS_FILE)
    for tag in catalog.tags:
        if tag.expression is not None:
            assert disallowed_calls(spark, tag.expression) == [], tag.id


def test_tags_evaluate_to_known_values_in_the_profile_and_the_long_snapshot(spark, tmp_path):
    catalog = load_tag_catalog(
        BUILTINS,
        write_catalog(
            tmp_path,
            [
                {"id": "active_7d", "value_type": "boolean", "expression": "days_active_7d > 0"},
                {
                    "id": "band",
                    "value_type": "enum",
                    "values": ["hi", "lo"],
                    "expression": "CASE WHEN orders_30d >= 2 THEN 'hi' WHEN orders_30d >= 0 THEN 'lo' END",
                },
                {"id": "gmv", "value_type": "number", "expression": "paid_gmv_30d"},
                {"id": "cats", "value_type": "list", "expression": "top_categories"},
                {"id": "stage", "value_type": "enum", "values": ["active"], "builtin": "lifecycle_stage"},
            ],
        ),
    )
    inputs = with_builtins(
        features(
            spark,
            [
                {
                    "user_id": "u1",
                    "days_active_7d": 3,
                    "orders_30d": 2,
                    "paid_gmv_30d": 10.5,
                    "top_categories": ["beauty", "food"],
                },
                {"user_id": "u2", "days_active_7d": 0},
            ],
        )
    )
    profile = tag_profile(inputs, catalog, BUILTINS)
    assert profile.columns == ["user_id", "active_7d", "band", "gmv", "cats", "stage", "snapshot_date"]
    assert sorted(profile.collect()) == [
        ("u1", True, "hi", 10.5, ["beauty", "food"], "active", S),
        ("u2", False, None, None, None, "active", S),
    ]
    snapshot = tag_snapshot(profile, catalog)
    expected = spark.createDataFrame(
        [
            ("u1", "active_7d", "true", True, None, None, S),
            ("u1", "band", "hi", None, None, None, S),
            ("u1", "gmv", "10.5", None, 10.5, None, S),
            ("u1", "cats", "beauty,food", None, None, ["beauty", "food"], S),
            ("u1", "stage", "active", None, None, None, S),
            ("u2", "active_7d", "false", False, None, None, S),
            ("u2", "stage", "active", None, None, None, S),
        ],
        snapshot.schema,
    )
    assert_df_equality(snapshot, expected, ignore_row_order=True, ignore_nullable=True)
    stray = profile.withColumn("band", F.lit("mid"))
    assert [tuple(r) for r in enum_violations(stray, catalog.tags).collect()] == [("band", "mid", 2)]


def test_a_number_summed_in_another_order_keeps_its_value_and_its_interval(spark, tmp_path):
    # 0.1 + 0.2 and 0.2 + 0.1 + 0.0 differ in the last bit as doubles; the same money, so the same tag value
    # on both days and one interval in the history, not a change of value.
    catalog = load_tag_catalog(
        BUILTINS,
        write_catalog(tmp_path, [{"id": "gmv", "value_type": "number", "expression": "paid_gmv_30d"}]),
    )
    ulp_apart = [0.1 + 0.2, 0.3]
    assert ulp_apart[0] != ulp_apart[1]
    days = [
        features(spark, [{"user_id": "u1", "paid_gmv_30d": gmv}]).withColumn(
            "snapshot_date", F.lit(S + dt.timedelta(days=n))
        )
        for n, gmv in enumerate(ulp_apart)
    ]
    profile = tag_profile(with_builtins(days[0].unionByName(days[1])), catalog, BUILTINS)
    assert sorted(tuple(r) for r in profile.collect()) == [
        ("u1", 0.3, S),
        ("u1", 0.3, S + dt.timedelta(days=1)),
    ]
    intervals = range_intervals(profile, catalog, S + dt.timedelta(days=1), None)
    assert [(r["value_num"], r["valid_from"], r["valid_to"]) for r in intervals.collect()] == [(0.3, S, None)]
