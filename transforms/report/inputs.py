"""What the report reads: the catalogue's tables (`transforms.tables`), which of them it cannot go without,
checking a table's columns before it is used, and turning what the lake holds into each section's input.

A table that does not exist leaves its section saying so (optional tables) or stops the report (required);
a table that exists with other columns or types is broken input, an error naming the table.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from pyspark.sql import DataFrame
from pyspark.sql import types as T

from shop_platform.storage.spec import TableSpec
from transforms import tables
from transforms.report.page import Source


@dataclass(frozen=True)
class ReportInput:
    """A table of the catalogue the report reads, and whether the report can be built without it."""

    table: TableSpec
    required: bool = False

    @property
    def name(self) -> str:
        return self.table.name


@dataclass(frozen=True)
class Input:
    """A table as the report uses it: its rows (None when it cannot be used) and its source line."""

    df: DataFrame | None
    source: Source

    @property
    def as_of(self) -> dt.date:
        assert self.source.as_of is not None, self.source.table
        return self.source.as_of


class ReportInputError(ValueError):
    """A table the report reads exists but lacks columns it needs, or holds them with other types; or a
    required table is missing or has no rows on or before the run date."""


# The profile is what the report is about: without the day's tags there is no report.
REQUIRED = (tables.TAG_HISTORY, tables.TAG_QUALITY)

INPUTS: tuple[ReportInput, ...] = tuple(
    ReportInput(spec, required=spec in REQUIRED)
    for spec in (
        tables.ACTIVITY_DAILY,
        tables.FUNNEL_DAILY,
        tables.SESSION_PATHS,
        tables.RETENTION_COHORTS,
        tables.CHURN_MONTHLY,
        tables.TAG_HISTORY,
        tables.TAG_QUALITY,
        tables.SEGMENT_PROFILES,
        tables.SEGMENT_TRANSITIONS,
        tables.AUDIENCE_SIZES,
        tables.CAMPAIGN_RESULTS,
        tables.CAMPAIGN_BREAKDOWN,
        tables.RECOMMENDATION_METRICS,
        tables.RECOMMENDATIONS,
        tables.ALS_RECOMMENDATIONS,
        tables.USER_PROPENSITY,
        tables.PROPENSITY_METRICS,
        tables.CUSTOMER_VALUE_HOLDOUT,
        tables.CUSTOMER_VALUE_RANKING,
        tables.CUSTOMER_VALUE,
        # Item categories and brands for the example recommendations; the lists show bare ids without it.
        tables.ITEMS,
    )
)


def check_columns(table: TableSpec, schema: T.StructType) -> None:
    """Raise ReportInputError naming the table and every declared column it lacks or holds with another type.

    Columns the table has beyond its declaration are fine (a table may grow).
    """
    declared = table.schema.fields if table.schema is not None else []
    fields = {f.name: f.dataType for f in schema.fields}
    missing = [f"{f.name} ({f.dataType.simpleString()})" for f in declared if f.name not in fields]
    mistyped = [
        f"{f.name} (expected {f.dataType.simpleString()}, found {fields[f.name].simpleString()})"
        for f in declared
        if f.name in fields and fields[f.name] != f.dataType
    ]
    problems = [
        *(["missing columns: " + ", ".join(missing)] if missing else []),
        *(["wrong types: " + ", ".join(mistyped)] if mistyped else []),
    ]
    if problems:
        raise ReportInputError(
            f"{table.name} does not have the columns the report reads ({'; '.join(problems)}); "
            f"it is written by {table.written_by}"
        )


def absent(report_input: ReportInput, path: str) -> Input:
    """The input of a table that does not exist at `path`: its section says so.

    Raises:
        ReportInputError: the table is required.
    """
    table = report_input.table
    message = f"{table.name} does not exist at {path} ({table.written_by} writes it)"
    if report_input.required:
        raise ReportInputError(f"{message}: the report needs it")
    return Input(None, Source(table.name, problem=f"{message}: this part of the report is left out."))


def present(report_input: ReportInput, rows: DataFrame, latest: dt.date | None, run_date: dt.date) -> Input:
    """The input of a table that exists: all its `rows` and the date shown (`latest`, its last date on or
    before `run_date`); an undated table (bronze.items) is used whole.

    Raises:
        ReportInputError: the table is required and has no rows on or before the run date.
    """
    table = report_input.table
    if table.date_column is None:
        return Input(rows, Source(table.name))
    if latest is None:
        problem = f"{table.name} has no rows on or before {run_date.isoformat()} (run {table.written_by})."
        if report_input.required:
            raise ReportInputError(f"{problem[:-1]}: the report needs it")
        return Input(None, Source(table.name, problem=problem))
    return Input(rows, Source(table.name, as_of=latest))
