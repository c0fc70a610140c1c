"""What the report reads: each gold table's columns it relies on, the date column its snapshots are cut by,
and the job that writes it; checking a table against that contract and finding the snapshot to show.

A table that does not exist leaves its section saying so (optional tables) or stops the report (required);
a table that exists with other columns or types is broken input, an error naming the table.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Mapping
from dataclasses import dataclass

from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T

from transforms import columns as C
from transforms import schemas as S


@dataclass(frozen=True)
class TableContract:
    """A table the report reads: the columns it needs (a subset of the table's), how it is dated, who writes it."""

    name: str
    columns: T.StructType
    date_column: str | None
    writer: str
    required: bool = False


class ReportInputError(ValueError):
    """A table the report reads exists but lacks columns it needs, or holds them with other types."""


# Until gold.recommendations (the hybrid blend) exists, the report shows the ALS candidates with this source.
ALS_SOURCE = "als"

ACTIVITY_DAILY = TableContract(
    "gold.activity_daily", S.GOLD_ACTIVITY_DAILY_SCHEMA, C.ACTIVITY_DATE, "build_behaviour_analytics"
)
FUNNEL_DAILY = TableContract(
    "gold.funnel_daily", S.GOLD_FUNNEL_DAILY_SCHEMA, C.EVENT_DATE, "build_behaviour_analytics"
)
SESSION_PATHS = TableContract(
    "gold.session_paths", S.GOLD_SESSION_PATHS_SCHEMA, C.EVENT_DATE, "build_behaviour_analytics"
)
RETENTION_COHORTS = TableContract(
    "gold.retention_cohorts", S.GOLD_RETENTION_COHORTS_SCHEMA, C.AS_OF_DATE, "build_behaviour_analytics"
)
CHURN_MONTHLY = TableContract(
    "gold.churn_monthly", S.GOLD_CHURN_MONTHLY_SCHEMA, C.AS_OF_DATE, "build_behaviour_analytics"
)
TAG_SNAPSHOTS = TableContract(
    "gold.tag_snapshots", S.GOLD_TAG_SNAPSHOTS_SCHEMA, C.SNAPSHOT_DATE, "build_tag_snapshots", required=True
)
TAG_QUALITY = TableContract(
    "gold.tag_quality", S.GOLD_TAG_QUALITY_SCHEMA, C.SNAPSHOT_DATE, "build_tag_snapshots", required=True
)
SEGMENT_PROFILES = TableContract(
    "gold.segment_profiles", S.GOLD_SEGMENT_PROFILES_SCHEMA, C.SNAPSHOT_DATE, "build_segment_profiles"
)
AUDIENCE_SIZES = TableContract(
    "gold.audience_sizes", S.GOLD_AUDIENCE_SIZES_SCHEMA, C.SNAPSHOT_DATE, "build_audiences"
)
CAMPAIGN_RESULTS = TableContract(
    "gold.campaign_results", S.GOLD_CAMPAIGN_RESULTS_SCHEMA, C.RUN_DATE, "evaluate_campaigns"
)
CAMPAIGN_BREAKDOWN = TableContract(
    "gold.campaign_breakdown", S.GOLD_CAMPAIGN_BREAKDOWN_SCHEMA, C.RUN_DATE, "evaluate_campaigns"
)
RECOMMENDATION_METRICS = TableContract(
    "gold.recommendation_metrics", S.GOLD_RECOMMENDATION_METRICS_SCHEMA, C.RUN_DATE, "evaluate_recommenders"
)
RECOMMENDATIONS = TableContract(
    "gold.recommendations", S.GOLD_RECOMMENDATIONS_SCHEMA, C.SNAPSHOT_DATE, "build_recommendations"
)
ALS_RECOMMENDATIONS = TableContract(
    "gold.als_recommendations", S.GOLD_ALS_RECOMMENDATIONS_SCHEMA, C.SNAPSHOT_DATE, "train_als"
)
USER_PROPENSITY = TableContract(
    "gold.user_propensity", S.GOLD_USER_PROPENSITY_SCHEMA, C.SNAPSHOT_DATE, "score_propensity"
)
PROPENSITY_METRICS = TableContract(
    "gold.propensity_metrics", S.GOLD_PROPENSITY_METRICS_SCHEMA, C.RUN_DATE, "train_propensity"
)
# Item categories and brands for the example recommendations; the lists show bare ids without it.
ITEMS = TableContract("bronze.items", S.BRONZE_ITEMS_SCHEMA, None, "ingest_catalog")

CONTRACTS: tuple[TableContract, ...] = (
    ACTIVITY_DAILY,
    FUNNEL_DAILY,
    SESSION_PATHS,
    RETENTION_COHORTS,
    CHURN_MONTHLY,
    TAG_SNAPSHOTS,
    TAG_QUALITY,
    SEGMENT_PROFILES,
    AUDIENCE_SIZES,
    CAMPAIGN_RESULTS,
    CAMPAIGN_BREAKDOWN,
    RECOMMENDATION_METRICS,
    RECOMMENDATIONS,
    ALS_RECOMMENDATIONS,
    USER_PROPENSITY,
    PROPENSITY_METRICS,
    ITEMS,
)


def check_columns(contract: TableContract, schema: T.StructType) -> None:
    """Raise ReportInputError naming the table and every needed column it lacks or holds with another type.

    Columns the table has beyond the contract are fine (a table may grow).
    """
    fields = {f.name: f.dataType for f in schema.fields}
    missing = [
        f"{f.name} ({f.dataType.simpleString()})" for f in contract.columns.fields if f.name not in fields
    ]
    mistyped = [
        f"{f.name} (expected {f.dataType.simpleString()}, found {fields[f.name].simpleString()})"
        for f in contract.columns.fields
        if f.name in fields and fields[f.name] != f.dataType
    ]
    problems = [
        *(["missing columns: " + ", ".join(missing)] if missing else []),
        *(["wrong types: " + ", ".join(mistyped)] if mistyped else []),
    ]
    if problems:
        raise ReportInputError(
            f"{contract.name} does not have the columns the report reads ({'; '.join(problems)}); "
            f"it is written by {contract.writer}"
        )


def latest_dates(tables: Mapping[str, tuple[DataFrame, str]], as_of: dt.date) -> DataFrame:
    """Per table, its latest date on or before `as_of`, all in one Spark job.

    Args:
        tables: table name -> (its rows, its date column).
        as_of: The run date.

    Returns:
        TABLE, DATE (null when the table has no rows on or before `as_of`); one row per table.
    """
    latest = [
        df.where(F.col(column) <= F.lit(as_of))
        .agg(F.max(column).alias(C.DATE))
        .select(F.lit(name).alias(C.TABLE), C.DATE)
        for name, (df, column) in tables.items()
    ]
    if not latest:
        raise ValueError("latest_dates needs at least one table")
    return functools.reduce(DataFrame.unionByName, latest)
