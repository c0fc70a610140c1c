"""Evaluating the tag catalog over user features: checks, the wide profile and the long snapshot.

Expression tags are Spark SQL over one features row (window functions over the snapshot are allowed, e.g.
a percentile rank); builtin tags take a column that a named computation (RFM, lifecycle) added to the
features first. Both are checked against the features' schema before any data is read, and an expression
may call only the functions of transforms.tags.allowed_functions (no reflection, files, subqueries or
randomness), checked on its parsed form before Spark analyses it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from pyspark.errors import AnalysisException, ParseException
from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T

from shop_platform.catalogs import Tag, TagCatalog
from transforms import columns as C
from transforms.tags.allowed_functions import disallowed_calls
from transforms.tags.snapshot_windows import per_snapshot, unscoped_windows

# Number tags are stored to this many decimals. Summing money in another order (another plan, another
# partitioning) changes a value's last bits; unrounded, that noise would read as a change of value and split
# a user's interval in gold.tag_history. Money (cents) and scores keep every meaningful digit at 6.
NUMBER_DECIMALS = 6

# String results of CASE branches: checked against an enum's values before any data is read.
_BRANCH_RESULT = re.compile(r"\b(?:THEN|ELSE)\s+'((?:[^']|'')*)'", re.IGNORECASE)


def expected_type(tag: Tag) -> T.DataType:
    """The Spark type a tag's value has in gold.user_profile."""
    return {
        "boolean": T.BooleanType(),
        "enum": T.StringType(),
        "number": T.DoubleType(),
        "list": T.ArrayType(T.StringType()),
    }[tag.value_type]


def tag_column(tag: Tag, builtins: Mapping[str, str]) -> Column:
    """The tag's value as a column of its expected type, named by its id; a window in its expression spans
    one snapshot's users (transforms.tags.snapshot_windows), so any number of snapshots evaluate together; a
    number is rounded to NUMBER_DECIMALS."""
    source = F.col(builtins[tag.builtin]) if tag.builtin is not None else F.expr(per_snapshot(tag.expression))
    value = source.cast(expected_type(tag))
    if tag.value_type == "number":
        value = F.round(value, NUMBER_DECIMALS)
    return value.alias(tag.id)


def _fits(actual: T.DataType, tag: Tag) -> bool:
    if tag.value_type == "number":
        return isinstance(actual, T.NumericType)
    if tag.value_type == "list":
        return isinstance(actual, T.ArrayType) and isinstance(actual.elementType, T.StringType)
    return actual == expected_type(tag)


def expression_problems(inputs: DataFrame, catalog: TagCatalog, builtins: Mapping[str, str]) -> list[str]:
    """Every tag whose definition does not parse, calls a function outside the allow-list
    (transforms.tags.allowed_functions), names an unknown column, has the wrong result type or returns an
    enum value outside its declared set; `inputs` only provides the schema (no rows are read).

    Args:
        inputs: Features plus the builtin columns (an empty frame of that schema is enough).
        catalog: The tag catalog.
        builtins: Builtin name -> the column of `inputs` holding its value.
    """
    problems = []
    for tag in catalog.tags:
        where = f"tag {tag.id!r}"
        if tag.builtin is not None:
            column = builtins.get(tag.builtin)
            if column not in inputs.columns:
                problems.append(f"{where}: builtin {tag.builtin!r} gives no column {column!r}")
                continue
            actual = inputs.schema[column].dataType
        else:
            try:
                # Before analysis: analysing a subquery would already read the files it names.
                refused = disallowed_calls(inputs.sparkSession, tag.expression)
            except ParseException as exc:
                problems.append(f"{where}: expression does not parse: {_first_line(exc)}")
                continue
            if refused:
                problems.append(f"{where}: {refusal(refused)}")
                continue
            try:
                if unscoped_windows(inputs.sparkSession, per_snapshot(tag.expression)):
                    problems.append(
                        f"{where}: a window of its expression could not be limited to one snapshot's users "
                        "(write the window spec inline: OVER (PARTITION BY ... ORDER BY ...))"
                    )
                    continue
                actual = inputs.select(F.expr(per_snapshot(tag.expression)).alias(tag.id)).schema[0].dataType
            except ParseException as exc:
                problems.append(f"{where}: expression does not parse: {_first_line(exc)}")
                continue
            except AnalysisException as exc:
                problems.append(f"{where}: {_first_line(exc)}")
                continue
        if not _fits(actual, tag):
            problems.append(f"{where}: a {tag.value_type} tag, but its value is {actual.simpleString()}")
        if tag.value_type == "enum" and tag.expression is not None:
            stray = sorted(
                {v.replace("''", "'") for v in _BRANCH_RESULT.findall(tag.expression)} - set(tag.values)
            )
            if stray:
                problems.append(f"{where}: returns {stray}, outside its values {list(tag.values)}")
    return problems


def refusal(refused: Iterable[str]) -> str:
    """The message for calls outside the allow-list (see transforms.tags.allowed_functions)."""
    return (
        f"calls {', '.join(refused)}, not allowed in tag expressions (deterministic SQL functions only: "
        "no reflection, file readers, subqueries, UDFs, randomness or clock; allowed functions: "
        "transforms.tags.allowed_functions.ALLOWED_FUNCTIONS)"
    )


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0]


def tag_profile(inputs: DataFrame, catalog: TagCatalog, builtins: Mapping[str, str]) -> DataFrame:
    """One wide row per user: USER_ID, a column per tag (named by its id), SNAPSHOT_DATE."""
    return inputs.select(C.USER_ID, *[tag_column(tag, builtins) for tag in catalog.tags], C.SNAPSHOT_DATE)


def enum_violations(profile: DataFrame, tags: Iterable[Tag]) -> DataFrame:
    """TAG_ID, VALUE, USERS for every enum value a profile holds outside its tag's declared values."""
    stray = [
        F.when(
            ~F.col(tag.id).isin(*tag.values),
            F.struct(F.lit(tag.id).alias(C.TAG_ID), F.col(tag.id).alias(C.VALUE)),
        )
        for tag in tags
        if tag.value_type == "enum"
    ]
    if not stray:
        return profile.sparkSession.createDataFrame(
            [], f"{C.TAG_ID} string, {C.VALUE} string, {C.USERS} long"
        )
    exploded = profile.select(F.explode(F.filter(F.array(*stray), lambda s: s.isNotNull())).alias("_stray"))
    return exploded.groupBy(
        F.col("_stray")[C.TAG_ID].alias(C.TAG_ID), F.col("_stray")[C.VALUE].alias(C.VALUE)
    ).agg(F.count(F.lit(1)).alias(C.USERS))


def tag_snapshot(profile: DataFrame, catalog: TagCatalog) -> DataFrame:
    """The long form of a profile: one row per user and tag with a value (null values are left out).

    Returns:
        USER_ID, TAG_ID, VALUE (as text; lists joined with ","), VALUE_BOOL, VALUE_NUM, VALUE_LIST (the
        typed value in the column of its type, null in the others), SNAPSHOT_DATE.
    """

    entries = F.filter(
        F.array(*[F.when(F.col(tag.id).isNotNull(), long_value(tag)) for tag in catalog.tags]),
        lambda e: e.isNotNull(),
    )
    return profile.select(C.USER_ID, C.SNAPSHOT_DATE, F.explode(entries).alias("_tag")).select(
        C.USER_ID,
        *[
            F.col("_tag")[name].alias(name)
            for name in (C.TAG_ID, C.VALUE, C.VALUE_BOOL, C.VALUE_NUM, C.VALUE_LIST)
        ],
        C.SNAPSHOT_DATE,
    )


def long_value(tag: Tag, *extra: Column) -> Column:
    """A struct of the tag's long-form fields from its wide column: TAG_ID, VALUE (text; lists joined with
    ","), VALUE_BOOL, VALUE_NUM, VALUE_LIST (the typed value in the field of its type, null in the others),
    then `extra` (named columns)."""
    value = F.col(tag.id)
    as_text = F.array_join(value, ",") if tag.value_type == "list" else value.cast("string")
    return F.struct(
        F.lit(tag.id).alias(C.TAG_ID),
        as_text.alias(C.VALUE),
        (value if tag.value_type == "boolean" else F.lit(None).cast("boolean")).alias(C.VALUE_BOOL),
        (value if tag.value_type == "number" else F.lit(None).cast("double")).alias(C.VALUE_NUM),
        (value if tag.value_type == "list" else F.lit(None).cast("array<string>")).alias(C.VALUE_LIST),
        *extra,
    )
