"""What a tag expression may call: an allow-list of deterministic Spark SQL functions, checked on the
expression's parsed form before Spark analyses or runs it.

A tag expression is reviewed config, but Spark SQL can do far more than compute a value from a features row:
`java_method('java.lang.System', 'getenv', 'SHOP_PII_SALT')` reads the pseudonymisation salt, a subquery
(`(SELECT ... FROM text.`/etc/passwd`)`) reads any file the driver can, `rand()` or `current_date()` make a
re-run differ. Spark's own parser turns the text into a Catalyst tree; every function call in it
(`UnresolvedFunction`, and the niladic `current_date`-style names the parser leaves as attributes) must be on
ALLOWED_FUNCTIONS, and subqueries and `IDENTIFIER(...)` function names (resolved only at analysis, so they
cannot be checked) are refused outright. What the parser builds directly from syntax (arithmetic, comparisons,
CASE, CAST, IN, LIKE, `||`, lambdas, windows) computes over the row and needs no entry.
"""

from __future__ import annotations

from pyspark.sql import SparkSession

# Deterministic functions of one row, or of a window over the snapshot's rows whose result does not depend on
# the order of tied rows. Left out on purpose: anything reaching outside the row (reflect, java_method,
# try_reflect, input_file_name, read_files, current_user, ...), anything random or reading the clock (rand,
# randn, uuid, shuffle, now, current_date, current_timestamp, unix_timestamp), window functions that pick a
# row among ties (row_number, ntile, lag, lead, first, last, nth_value, collect_list) and functions whose one
# call can build an unbounded value (sequence, array_repeat, repeat, space). Session-registered functions
# (UDFs) are not listed, so they are refused by name.
ALLOWED_FUNCTIONS: frozenset[str] = frozenset(
    {
        # conditionals and null handling
        "between", "coalesce", "if", "ifnull", "isnan", "isnotnull", "isnull", "nanvl", "nullif", "nvl",
        "nvl2", "greatest", "least",
        # arithmetic
        "abs", "bround", "cbrt", "ceil", "ceiling", "div", "exp", "expm1", "floor", "ln", "log", "log10",
        "log1p", "log2", "mod", "negative", "pmod", "positive", "pow", "power", "round", "sign", "signum",
        "sqrt", "try_add", "try_divide", "try_multiply", "try_subtract",
        # text
        "char_length", "character_length", "concat", "concat_ws", "contains", "endswith", "initcap",
        "instr", "lcase", "left", "length", "locate", "lower", "lpad", "ltrim", "regexp_extract",
        "regexp_like", "regexp_replace", "replace", "right", "rpad", "rtrim", "split", "split_part",
        "startswith", "substr", "substring", "trim", "ucase", "upper",
        # dates
        "add_months", "date_add", "date_diff", "date_format", "date_part", "date_sub", "date_trunc",
        "datediff", "day", "dayofmonth", "dayofweek", "dayofyear", "extract", "hour", "last_day",
        "make_date", "minute", "month", "months_between", "next_day", "quarter", "second", "to_date",
        "to_timestamp", "trunc", "unix_date", "weekday", "weekofyear", "year",
        # arrays, maps and structs of the row
        "aggregate", "array", "array_contains", "array_distinct", "array_except", "array_intersect",
        "array_join", "array_max", "array_min", "array_position", "array_remove", "array_sort",
        "array_union", "arrays_overlap", "cardinality", "element_at", "exists", "filter", "flatten",
        "forall", "map", "map_contains_key", "map_keys", "map_values", "named_struct", "size", "slice",
        "sort_array", "struct", "transform", "try_element_at", "zip_with",
        # aggregates over a window of the snapshot, and ranks that give tied rows the same value
        "avg", "count", "cume_dist", "dense_rank", "max", "mean", "median", "min", "percent_rank",
        "percentile", "rank", "stddev", "stddev_pop", "stddev_samp", "sum",
    }
)  # fmt: skip

# Names the parser leaves as column references although Spark resolves them as function calls when no
# column has the name (`current_date` without parentheses).
_NILADIC_FUNCTIONS = frozenset(
    {"current_date", "current_time", "current_timestamp", "current_user", "session_user", "user"}
)
_CATALYST = "org.apache.spark.sql.catalyst"
_UNRESOLVED_FUNCTION = f"{_CATALYST}.analysis.UnresolvedFunction"
_UNRESOLVED_ATTRIBUTE = f"{_CATALYST}.analysis.UnresolvedAttribute"
_UNRESOLVED_IDENTIFIER = f"{_CATALYST}.analysis.ExpressionWithUnresolvedIdentifier"
# Every subquery (scalar, EXISTS, IN (SELECT ...), lateral) is a PlanExpression: an expression holding a plan.
_PLAN_EXPRESSION = f"{_CATALYST}.expressions.PlanExpression"


def disallowed_calls(spark: SparkSession, expression: str) -> list[str]:
    """What `expression` calls outside ALLOWED_FUNCTIONS, in the order written (empty when it is sound).

    Only parses the text (no table or column is resolved, no data is read).

    Args:
        spark: The session whose SQL parser reads the expression.
        expression: Spark SQL expression text.

    Returns:
        One entry per refused call: a function's name (as written, lower-case), "a subquery" or
        "IDENTIFIER(...)".

    Raises:
        pyspark.errors.ParseException: `expression` does not parse.
    """
    jvm = spark.sparkContext._jvm
    # PySpark's py4j hook raises the parser's error as pyspark.errors.ParseException.
    parsed = spark._jsparkSession.sessionState().sqlParser().parseExpression(expression)
    is_plan = jvm.java.lang.Class.forName(_PLAN_EXPRESSION)
    found: list[str] = []
    pending = [parsed]
    while pending:
        node = pending.pop()
        kind = node.getClass().getName()
        if is_plan.isInstance(node):
            found.append("a subquery")
            continue
        if kind == _UNRESOLVED_IDENTIFIER:
            found.append("IDENTIFIER(...)")
        elif kind == _UNRESOLVED_FUNCTION:
            name = _dotted(node.nameParts())
            if name not in ALLOWED_FUNCTIONS:
                found.append(name)
        elif kind == _UNRESOLVED_ATTRIBUTE:
            name = _dotted(node.nameParts())
            if name in _NILADIC_FUNCTIONS:
                found.append(name)
        children = node.children()
        # Depth first, left to right, so problems come in the order they are written.
        pending.extend(children.apply(i) for i in reversed(range(children.size())))
    return list(dict.fromkeys(found))


def _dotted(parts) -> str:
    return ".".join(parts.apply(i) for i in range(parts.size())).lower()
