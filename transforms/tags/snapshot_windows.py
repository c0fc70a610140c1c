"""Window functions in tag expressions, scoped to one snapshot.

A tag expression may rank a user among the snapshot's users (`percent_rank() OVER (ORDER BY paid_gmv_90d)`).
The tag snapshots evaluate the catalog for every date of a back-fill in one pass, so every inline window
spec gets SNAPSHOT_DATE as its first partition column: a user is ranked among the users of the same
snapshot, as when each date was evaluated alone (on one date the extra partition changes nothing).
`unscoped_windows` checks the result on Spark's parsed form, so text the rewrite misread is an error naming
the tag rather than a rank across dates.
"""

from __future__ import annotations

import re

from pyspark.sql import SparkSession

from transforms import columns as C

# A quoted literal or identifier (left alone: "over (" in a string is text), or the opening of an inline
# window spec with its optional partitioning clause.
_QUOTED_OR_WINDOW = re.compile(
    r"""('(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"|`(?:[^`]|``)*`)"""
    r"|\bOVER\s*\(\s*(PARTITION\s+BY\b|DISTRIBUTE\s+BY\b|CLUSTER\s+BY\b)?",
    re.IGNORECASE,
)
_CATALYST = "org.apache.spark.sql.catalyst"
_WINDOW_SPEC = f"{_CATALYST}.expressions.WindowSpecDefinition"
_UNRESOLVED_ATTRIBUTE = f"{_CATALYST}.analysis.UnresolvedAttribute"


def per_snapshot(expression: str) -> str:
    """`expression` with SNAPSHOT_DATE first in the partitioning of every inline window spec."""

    def scoped(match: re.Match[str]) -> str:
        if match.group(1) is not None:
            return match.group(0)
        if match.group(2) is not None:
            return f"{match.group(0)} {C.SNAPSHOT_DATE},"
        return f"{match.group(0)}PARTITION BY {C.SNAPSHOT_DATE} "

    return _QUOTED_OR_WINDOW.sub(scoped, expression)


def unscoped_windows(spark: SparkSession, expression: str) -> int:
    """How many window specs of the parsed `expression` are not partitioned by SNAPSHOT_DATE first (0 for
    `per_snapshot`'s output of any expression it understood). Only parses the text.

    Raises:
        pyspark.errors.ParseException: `expression` does not parse.
    """
    parsed = spark._jsparkSession.sessionState().sqlParser().parseExpression(expression)
    unscoped = 0
    pending = [parsed]
    while pending:
        node = pending.pop()
        if node.getClass().getName() == _WINDOW_SPEC:
            partition = node.partitionSpec()
            head = partition.head() if partition.nonEmpty() else None
            if not (
                head is not None
                and head.getClass().getName() == _UNRESOLVED_ATTRIBUTE
                and head.name().lower() == C.SNAPSHOT_DATE
            ):
                unscoped += 1
        children = node.children()
        pending.extend(children.apply(i) for i in range(children.size()))
    return unscoped
