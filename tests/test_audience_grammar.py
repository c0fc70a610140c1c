"""Audience rules: parsing, validation against the tag catalog, compiled membership (with nulls), and
injection attempts that must stay errors or plain literals."""

from __future__ import annotations

from decimal import Decimal

import pytest
from chispa import assert_df_equality
from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T

from shop_platform.catalogs import Tag, TagCatalog
from transforms import columns as C
from transforms.audiences import (
    AudienceSyntaxError,
    AudienceValidationError,
    compile_audience,
    parse_audience,
    referenced_tags,
    to_sql,
    validate_audience,
)
from transforms.audiences.nodes import And, Between, Compare, Has, InList, IsNull, IsTrue, Literal, Not, Or

GENERATIONS = ("95后", "90后", "80后", "70后", "00后", "other")
EXAMPLE = "active_7d AND NOT ordered_7d AND gender = 'F' AND generation = '95后'"


def tag(tag_id: str, value_type: str, values: tuple[str, ...] = ()) -> Tag:
    return Tag(
        id=tag_id,
        name_zh=tag_id,
        name_en=tag_id,
        description=f"test tag {tag_id}",
        category="test",
        subcategory="test",
        kind="dynamic",
        value_type=value_type,
        owner="tests",
        expression="true",
        values=values,
    )


CATALOG = TagCatalog(
    categories=(),
    tags=(
        tag("active_7d", "boolean"),
        tag("ordered_7d", "boolean"),
        tag("gender", "enum", ("F", "M", "U")),
        tag("generation", "enum", GENERATIONS),
        tag("orders_30d", "number"),
        tag("preferred_categories", "list"),
    ),
)

PROFILE_SCHEMA = T.StructType(
    [
        T.StructField(C.USER_ID, T.StringType()),
        T.StructField("active_7d", T.BooleanType()),
        T.StructField("ordered_7d", T.BooleanType()),
        T.StructField("gender", T.StringType()),
        T.StructField("generation", T.StringType()),
        T.StructField("orders_30d", T.DoubleType()),
        T.StructField("preferred_categories", T.ArrayType(T.StringType())),
    ]
)
PROFILE_ROWS = [
    ("u1", True, False, "F", "95后", 0.0, ["beauty", "books"]),
    ("u2", True, True, "F", "90后", 5.0, ["electronics"]),
    ("u3", True, False, "M", "95后", 1.0, []),
    ("u4", False, False, "F", "95后", 2.0, ["beauty"]),
    ("u5", None, None, None, None, None, None),  # nothing known
    ("u6", True, None, "F", "95后", 3.0, ["books", None]),
    ("u7", False, True, "U", "00后", 10.0, ["home"]),
    ("u8", True, False, "F", "other", 7.5, ["kids' toys", "back\\slash"]),
]
USERS = [row[0] for row in PROFILE_ROWS]
MEMBERSHIP_SCHEMA = T.StructType(
    [
        T.StructField("rule", T.StringType()),
        T.StructField(C.USER_ID, T.StringType()),
        T.StructField("member", T.BooleanType()),
        T.StructField("member_via_sql", T.BooleanType()),
    ]
)


@pytest.fixture(scope="module")
def profile(spark) -> DataFrame:
    return spark.createDataFrame(PROFILE_ROWS, PROFILE_SCHEMA)


def syntax_error(rule: str) -> str:
    with pytest.raises(AudienceSyntaxError) as caught:
        compile_audience("aud", rule, CATALOG)
    return str(caught.value)


def validation_error(rule: str) -> str:
    with pytest.raises(AudienceValidationError) as caught:
        compile_audience("aud", rule, CATALOG)
    return str(caught.value)


# --- membership, evaluated on the profile ---------------------------------------------------------------

MEMBERSHIP_CASES = [
    # u6's ordered_7d is unknown, so NOT ordered_7d is unknown for u6: not a member.
    (EXAMPLE, {"u1"}),
    ("ordered_7d OR active_7d AND gender = 'M'", {"u2", "u3", "u7"}),  # AND binds tighter than OR
    ("(ordered_7d OR active_7d) AND gender = 'M'", {"u3"}),
    ("NOT (active_7d OR ordered_7d)", {"u4"}),  # u5: NOT unknown is unknown
    ("NOT NOT active_7d", {"u1", "u2", "u3", "u6", "u8"}),
    ("NOT active_7d", {"u4", "u7"}),
    ("NOT active_7d OR active_7d IS NULL", {"u4", "u5", "u7"}),
    ("active_7d AND (gender = 'M' OR NOT (orders_30d < 5 AND NOT ordered_7d))", {"u2", "u3", "u8"}),
    ("gender IN ('M', 'U')", {"u3", "u7"}),
    ("gender NOT IN ('M', 'U')", {"u1", "u2", "u4", "u6", "u8"}),
    ("orders_30d BETWEEN 1 AND 3", {"u3", "u4", "u6"}),  # bounds included
    ("orders_30d NOT BETWEEN 1 AND 3", {"u1", "u2", "u7", "u8"}),
    ("orders_30d BETWEEN 1 AND 3 AND active_7d", {"u3", "u6"}),  # the first AND belongs to BETWEEN
    ("orders_30d >= 7.5", {"u7", "u8"}),
    ("orders_30d > -1 AND orders_30d < 1", {"u1"}),
    ("orders_30d <> 5", {"u1", "u3", "u4", "u6", "u7", "u8"}),
    ("orders_30d != 5.0 AND orders_30d <= 2", {"u1", "u3", "u4"}),
    ("gender IS NULL", {"u5"}),
    ("ordered_7d IS NOT NULL", {"u1", "u2", "u3", "u4", "u7", "u8"}),
    ("ordered_7d = FALSE", {"u1", "u3", "u4", "u8"}),
    ("active_7d != true", {"u4", "u7"}),
    ("active_7d IN (TRUE)", {"u1", "u2", "u3", "u6", "u8"}),
    ("preferred_categories HAS 'books'", {"u1", "u6"}),
    # u6's list holds a null and no 'beauty': array_contains is unknown, so u6 is out either way.
    ("NOT preferred_categories HAS 'beauty'", {"u2", "u3", "u7", "u8"}),
    ("generation IN ('95后', '00后')", {"u1", "u3", "u4", "u6", "u7"}),
    ("generation = 'other' OR generation = '00后'", {"u7", "u8"}),
    (
        "active_7d and Not ordered_7d aNd gender is not null AND orders_30d between 0 And 1",
        {"u1", "u3"},
    ),
    ("active_7d\n  AND gender = 'F'\n", {"u1", "u2", "u6", "u8"}),
    # Quotes and backslashes inside a properly quoted literal are just characters of the value.
    ("preferred_categories HAS 'kids'' toys'", {"u8"}),
    ("preferred_categories HAS 'back\\slash'", {"u8"}),
    ("preferred_categories HAS ''' OR ''''='''", set()),
    ("preferred_categories HAS 'x'') OR (''1''=''1'", set()),
]


def test_audiences_select_exactly_their_members(spark, profile):
    # Every case in one Spark job, one row per (user, rule): the machine is small and shared. Nothing
    # shuffles between the hand-built profile and the collect, so rows keep profile order, then rule order,
    # and no sort is needed to compare. Each rule is evaluated twice, as the compiled Column and as its
    # to_sql text, so to_sql must say what the Column computes, escaping included. A member is true, a
    # non-member false, never null.
    evaluations = [
        F.struct(
            F.lit(rule).alias("rule"),
            compile_audience("aud", rule, CATALOG).alias("member"),
            F.expr(to_sql(parse_audience("aud", rule))).alias("member_via_sql"),
        )
        for rule, _ in MEMBERSHIP_CASES
    ]
    actual = profile.select(C.USER_ID, F.explode(F.array(*evaluations)).alias("e")).select(
        F.col("e.rule"), F.col(C.USER_ID), F.col("e.member"), F.col("e.member_via_sql")
    )
    expected = spark.createDataFrame(
        [
            (rule, user, user in members, user in members)
            for user in USERS
            for rule, members in MEMBERSHIP_CASES
        ],
        MEMBERSHIP_SCHEMA,
    )
    assert_df_equality(actual, expected, ignore_nullable=True)


def test_membership_column_filters_the_profile(spark, profile):
    members = profile.filter(compile_audience("aud", EXAMPLE, CATALOG)).select(C.USER_ID)
    expected = spark.createDataFrame([("u1",)], T.StructType([T.StructField(C.USER_ID, T.StringType())]))
    assert_df_equality(members, expected, ignore_nullable=True)


# --- the syntax tree ------------------------------------------------------------------------------------


def test_or_binds_looser_than_and_and_not_binds_tightest():
    assert parse_audience("aud", "a OR NOT b AND c") == Or(
        (IsTrue("a"), And((Not(IsTrue("b")), IsTrue("c"))))
    )
    assert parse_audience("aud", "(a OR b) AND c") == And((Or((IsTrue("a"), IsTrue("b"))), IsTrue("c")))


def test_chains_are_flat_and_parentheses_leave_no_node():
    assert parse_audience("aud", "a AND b AND (c)") == And((IsTrue("a"), IsTrue("b"), IsTrue("c")))
    assert parse_audience("aud", "((NOT (a)))") == Not(IsTrue("a"))


def test_keywords_are_case_insensitive_and_spacing_does_not_matter():
    assert parse_audience("aud", "x not between 1 and 2 or y is not null") == parse_audience(
        "aud", "x  NOT BETWEEN 1 AND 2\n\tOR y IS NOT NULL"
    )


def test_predicates_parse_to_their_nodes():
    d = Decimal
    assert parse_audience("aud", "n >= -1.5") == Compare("n", ">=", Literal(d("-1.5")))
    assert parse_audience("aud", "n <> 2") == Compare("n", "!=", Literal(d("2")))
    assert parse_audience("aud", "g NOT IN ('a', 'b')") == InList("g", (Literal("a"), Literal("b")), True)
    assert parse_audience("aud", "n BETWEEN 1 AND 3") == Between("n", Literal(d("1")), Literal(d("3")))
    assert parse_audience("aud", "g IS NULL") == IsNull("g")
    assert parse_audience("aud", "b = false") == Compare("b", "=", Literal(False))
    assert parse_audience("aud", "l HAS 'x'") == Has("l", Literal("x"))


def test_string_literals_undo_doubled_quotes_and_keep_unicode():
    assert parse_audience("aud", "g = 'it''s 95后'") == Compare("g", "=", Literal("it's 95后"))
    assert parse_audience("aud", "g = ''' OR ''''='''") == Compare("g", "=", Literal("' OR ''='"))
    assert parse_audience("aud", "g = ''") == Compare("g", "=", Literal(""))


def test_referenced_tags_lists_each_tag_once_in_order():
    assert referenced_tags(parse_audience("aud", EXAMPLE + " OR active_7d IS NULL")) == (
        "active_7d",
        "ordered_7d",
        "gender",
        "generation",
    )


def test_to_sql_renders_a_canonical_backquoted_expression():
    assert to_sql(parse_audience("aud", EXAMPLE)) == (
        "coalesce(`active_7d` AND NOT `ordered_7d` AND `gender` = 'F' AND `generation` = '95后', false)"
    )
    rule = "a or b and not (c <> 1) and n between 1 and 2 and l has 'it''s \\'"
    assert to_sql(parse_audience("aud", rule), membership=False) == (
        "`a` OR (`b` AND NOT (`c` != 1) AND (`n` BETWEEN 1 AND 2) AND array_contains(`l`, 'it\\'s \\\\'))"
    )


# --- syntax errors --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ("gender = ", "audience 'aud': expected a value after '=' at column 10, found the end of the rule"),
        ("active_7d ordered_7d", "expected AND, OR or the end of the rule at column 11, found 'ordered_7d'"),
        ("active_7d AND gender = 'F' 'M'", "expected AND, OR or the end of the rule at column 28"),
        (
            "(active_7d AND ordered_7d",
            "expected ')' at column 26, found the end of the rule (to close the '('",
        ),
        ("active_7d)", "expected AND, OR or the end of the rule at column 10, found ')'"),
        ("((active_7d)", "expected ')' at column 13"),
        ("", "expected a tag, NOT or '(' at column 1, found the end of the rule"),
        ("active_7d AND", "expected a tag, NOT or '(' at column 14, found the end of the rule"),
        ("gender = NULL", "found NULL (test for unknown values with IS NULL)"),
        ("gender IN ()", "expected a value in the IN list at column 12, found ')'"),
        ("gender IN ('F' 'M')", "expected ')' or ',' in the IN list at column 16"),
        ("orders_30d BETWEEN 1 OR 3", "expected AND between the bounds of BETWEEN at column 22, found OR"),
        ("gender IS 'F'", "expected NULL or NOT after IS at column 11, found the string 'F'"),
        ("gender NOT 'F'", "expected IN or BETWEEN after 'gender NOT' at column 12"),
        ("gender = 'F", "unterminated string starting at column 10"),
        ("orders_30d > 1.", "malformed number '1.' at column 14"),
        ("generation = 95后", "malformed number '95后' at column 14 (strings take single quotes)"),
        ("gender = 女", "unexpected character '女' at column 10"),
        ("active_7d\nAND ordered_7d )", "at line 2, column 16, found ')'"),
        ("NOT " * 60 + "active_7d", "more than 50 nested NOTs and parentheses"),
    ],
)
def test_rule_outside_the_grammar_names_position_and_expectation(rule, message):
    assert message in syntax_error(rule)


# --- validation against the catalog ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ("activ_7d AND gender = 'F'", "unknown tag 'activ_7d' at column 1 (did you mean 'active_7d'?)"),
        ("Gender = 'F'", "unknown tag 'Gender' at column 1 (did you mean 'gender'?)"),
        ("user_id = 'u1'", "unknown tag 'user_id' at column 1"),
        ("gender = 'X'", "'X' at column 10 is not a value of enum tag 'gender' (allowed: 'F', 'M', 'U')"),
        ("gender = 'f'", "did you mean 'F'?"),
        ("generation IN ('95后', '85后')", "'85后' at column 23 is not a value of enum tag 'generation'"),
        ("generation IN ('95后', '85后')", "'95后', '90后', '80后', '70后', '00后', 'other'"),
        ("gender = 1", "tag 'gender' is an enum: compare it to one of 'F', 'M', 'U', not 1 at column 10"),
        ("gender < 'M'", "tag 'gender' at column 1 is an enum: only number tags take <"),
        ("active_7d = 'yes'", "tag 'active_7d' is a boolean: compare it to TRUE or FALSE, not 'yes'"),
        ("active_7d IN (TRUE, 1)", "tag 'active_7d' is a boolean: compare it to TRUE or FALSE, not 1"),
        ("active_7d > FALSE", "only number tags take >"),
        ("orders_30d = '3'", "tag 'orders_30d' is a number: compare it to a number, not '3' at column 14"),
        ("orders_30d BETWEEN 'a' AND 3", "tag 'orders_30d' is a number: compare it to a number, not 'a'"),
        ("orders_30d BETWEEN 5 AND 1", "BETWEEN 5 AND 1 is empty"),
        ("gender BETWEEN 'F' AND 'M'", "tag 'gender' at column 1 is an enum: only number tags take BETWEEN"),
        ("gender", "tag 'gender' at column 1 is an enum, not a boolean"),
        ("active_7d AND orders_30d", "tag 'orders_30d' at column 15 is a number, not a boolean"),
        ("gender HAS 'F'", "HAS needs a list tag, and tag 'gender' at column 1 is an enum"),
        ("active_7d HAS 'x'", "HAS needs a list tag, and tag 'active_7d' at column 1 is a boolean"),
        ("preferred_categories HAS 3", "HAS takes a string, not 3"),
        ("preferred_categories = 'books'", "tag 'preferred_categories' at column 1 is a list"),
        ("preferred_categories IN ('books')", "test its elements with preferred_categories HAS"),
    ],
)
def test_rule_that_does_not_fit_the_catalog_names_the_tag(rule, message):
    error = validation_error(rule)
    assert error.startswith("audience 'aud': ")
    assert message in error


def test_every_catalog_problem_is_reported_at_once():
    with pytest.raises(AudienceValidationError) as caught:
        compile_audience("aud", "activ_7d AND gender = 'X' OR orders_30d = 'many'", CATALOG)
    assert len(caught.value.problems) == 3
    assert [problem.split()[:2] for problem in caught.value.problems] == [
        ["unknown", "tag"],
        ["'X'", "at"],
        ["tag", "'orders_30d'"],
    ]


def test_is_null_applies_to_every_value_type():
    for tag_id in ("active_7d", "gender", "orders_30d", "preferred_categories"):
        validate_audience("aud", parse_audience("aud", f"{tag_id} IS NULL"), CATALOG)


# --- injection attempts ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ("gender = 'F' OR 1=1", "expected a tag, NOT or '(' at column 17, found the number 1"),
        ("gender = 'F' OR TRUE", "expected a tag, NOT or '(' at column 17, found TRUE"),
        ("gender = 'F' OR 'a' = 'a'", "expected a tag, NOT or '(' at column 17, found the string 'a'"),
        ("gender = 'F'; DROP TABLE x", "';' is not allowed: a rule is a single expression (at column 13)"),
        ("gender = 'F' --", "comments are not allowed ('--' at column 14)"),
        ("gender = 'F' -- AND active_7d", "comments are not allowed"),
        ("gender = 'F' /* x */", "comments are not allowed ('/*' at column 14)"),
        ("`gender` = 'F'", "backquotes are not allowed"),
        ("gender = 'F' OR `user_id` IS NOT NULL", "backquotes are not allowed"),
        ('gender = "F"', "double quotes are not allowed: strings take single quotes (at column 10)"),
        ("rand() > 0", "function calls are not allowed ('rand(' at column 1)"),
        ("active_7d AND array_contains(preferred_categories, 'x')", "function calls are not allowed"),
        ("gender = gender", "expected a value after '=' at column 10, found 'gender'"),
        ("gender = ＇F＇", "unexpected character '＇' at column 10"),
        ("orders_30d > 1 + 1", "unexpected character '+' at column 16"),
        ("gender.x = 'F'", "unexpected character '.' at column 7"),
    ],
)
def test_injection_attempt_is_a_syntax_error(rule, message):
    assert message in syntax_error(rule)


def test_quotes_inside_a_quoted_literal_stay_part_of_the_value():
    # Parsed as one literal compared with gender; the catalog then rejects that value.
    assert parse_audience("aud", "gender = 'F'' OR ''1''=''1'") == Compare(
        "gender", "=", Literal("F' OR '1'='1")
    )
    assert "'F'' OR ''1''=''1' at column 10 is not a value of enum tag 'gender'" in validation_error(
        "gender = 'F'' OR ''1''=''1'"
    )
