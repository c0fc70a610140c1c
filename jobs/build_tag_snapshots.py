"""Evaluate the tag catalog into the daily tag snapshot, the latest wide profile and lifecycle transitions.

    shop-build-tag-snapshots --env local --date 2026-10-30
    shop-build-tag-snapshots --env local --from-date 2026-10-01 --date 2026-10-30    # one per day

The catalog (conf/tags.yaml) is checked before Spark starts and its expressions against the features'
schema before any row is read; a bad tag stops the job (exit 2) naming it. For each snapshot date the job
reads gold.user_features of that date (and gold.user_daily_activity when `rfm.window_days` is not a
feature window: 365, all), adds the builtins (RFM scores, segment, and purchase propensity
and churn risk band from gold.user_propensity; the lifecycle stage, which needs the previous snapshot's
stages), and rewrites that date's partition of gold.tag_snapshots,
gold.lifecycle_transitions and gold.tag_quality (coverage, distribution and drift of every tag).
gold.user_profile holds the latest snapshot's wide rows. An enum tag that yields a value outside its
declared set fails the run (exit 1) before anything of that date is written.
"""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Sequence

from pyspark import StorageLevel
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from shop_platform.catalogs import TAGS_FILE, CatalogError, TagCatalog, load_tag_catalog
from shop_platform.cli import job_parser, parse_job_args
from shop_platform.logs import get_logger, timed
from shop_platform.session import get_spark
from shop_platform.settings import RFM_WINDOWS, Config
from shop_platform.storage import Lake, LakeTable, open_lake
from transforms import columns as C
from transforms.propensity.scoring import propensity_tag_values
from transforms.schemas import (
    GOLD_LIFECYCLE_TRANSITIONS_PARTITIONS,
    GOLD_LIFECYCLE_TRANSITIONS_SCHEMA,
    GOLD_TAG_QUALITY_PARTITIONS,
    GOLD_TAG_QUALITY_SCHEMA,
    GOLD_TAG_SNAPSHOTS_PARTITIONS,
    GOLD_TAG_SNAPSHOTS_SCHEMA,
    GOLD_USER_DAILY_ACTIVITY_SCHEMA,
)
from transforms.tags.evaluate import enum_violations, expression_problems, tag_profile, tag_snapshot
from transforms.tags.lifecycle import lifecycle_stages, stage_transitions
from transforms.tags.quality import tag_quality
from transforms.tags.rfm import rfm_scores, with_window_totals

log = get_logger("jobs.build_tag_snapshots")

USER_FEATURES = "gold.user_features"
# RFM over a window the features lack (rfm.window_days 365, all, ...) sums this table.
DAILY_ACTIVITY = "gold.user_daily_activity"
TAG_SNAPSHOTS = "gold.tag_snapshots"
USER_PROFILE = "gold.user_profile"
LIFECYCLE_TRANSITIONS = "gold.lifecycle_transitions"
# Written by build_segments before this job; absent (no segments yet) leaves the segment tag null.
USER_SEGMENTS = "gold.user_segments"
# Written by score_propensity before this job; without the date's scores (no model registered yet) the
# purchase_propensity and churn_risk tags are left empty for that date, with a warning.
USER_PROPENSITY = "gold.user_propensity"
TAG_QUALITY = "gold.tag_quality"
# Builtin name in the catalog -> the column the builtins add to the features.
BUILTIN_COLUMNS = {
    "rfm_segment": C.RFM_SEGMENT,
    "r_score": C.R_SCORE,
    "f_score": C.F_SCORE,
    "m_score": C.M_SCORE,
    "lifecycle_stage": C.LIFECYCLE_STAGE,
    "segment": C.SEGMENT,
    "purchase_propensity": C.PURCHASE_PROPENSITY,
    "churn_risk": C.CHURN_RISK_BAND,
}


def with_builtins(
    features: DataFrame,
    previous_stages: DataFrame,
    cfg: Config,
    segments: DataFrame | None = None,
    propensity: DataFrame | None = None,
    daily: DataFrame | None = None,
) -> DataFrame:
    """The features plus every builtin column, one row per user; `segments` (gold.user_segments of the
    date) gives C.SEGMENT, null without it or for users it does not hold; `propensity` (gold.user_propensity
    of the date) gives C.PURCHASE_PROPENSITY and C.CHURN_RISK_BAND (propensity.churn_risk_bands), null
    without it or for users it does not hold; `daily` (gold.user_daily_activity) gives RFM's F and M for an
    `rfm.window_days` that is not a feature window."""
    window = cfg.rfm.window_days
    if window not in RFM_WINDOWS and daily is None:
        raise ValueError(f"rfm.window_days={window} needs {DAILY_ACTIVITY}, which was not given")
    rfm_input = features if window in RFM_WINDOWS else with_window_totals(features, daily, window)
    rfm = rfm_scores(rfm_input, window, cfg.rfm.split).select(
        C.USER_ID, C.R_SCORE, C.F_SCORE, C.M_SCORE, C.RFM_SEGMENT
    )
    stages = lifecycle_stages(features, previous_stages, cfg.lifecycle).select(C.USER_ID, C.LIFECYCLE_STAGE)
    joined = features.join(rfm, on=[C.USER_ID], how="left").join(stages, on=[C.USER_ID], how="left")
    if segments is None:
        joined = joined.select("*", F.lit(None).cast("int").alias(C.SEGMENT))
    else:
        # One segment row per user and date: the left join keeps one row per user.
        joined = joined.join(
            segments.select(C.USER_ID, F.col(C.SEGMENT_ID).alias(C.SEGMENT)), on=[C.USER_ID], how="left"
        )
    if propensity is None:
        return joined.select(
            "*",
            F.lit(None).cast("double").alias(C.PURCHASE_PROPENSITY),
            F.lit(None).cast("string").alias(C.CHURN_RISK_BAND),
        )
    bands = cfg.propensity.churn_risk_bands
    # One score per user and date: the left join keeps one row per user.
    return joined.join(
        propensity_tag_values(propensity, bands.medium, bands.high), on=[C.USER_ID], how="left"
    )


def previous_date(snapshots: LakeTable, snapshot_date: dt.date) -> dt.date | None:
    """The latest snapshot date before `snapshot_date`, if any."""
    earlier = snapshots.read().where(F.col(C.SNAPSHOT_DATE) < F.lit(snapshot_date))
    return earlier.agg(F.max(C.SNAPSHOT_DATE)).first()[0]


def snapshot_of(snapshots: LakeTable, snapshot_date: dt.date | None) -> DataFrame:
    """The long rows of one snapshot date (none when the date is None)."""
    return snapshots.read().where(F.col(C.SNAPSHOT_DATE) == F.lit(snapshot_date))


def snapshot_date_rows(features: LakeTable, snapshot_date: dt.date) -> DataFrame:
    return features.read().where(F.col(C.SNAPSHOT_DATE) == F.lit(snapshot_date))


def propensity_of(propensity: LakeTable, snapshot_date: dt.date) -> DataFrame | None:
    """gold.user_propensity rows of the date, or None (with a warning) when the date has no scores."""
    rows = snapshot_date_rows(propensity, snapshot_date) if propensity.exists() else None
    if rows is None or rows.isEmpty():
        log.warning(
            "%s has no scores for %s (no propensity model registered yet, or score_propensity has not run for "
            "it): the purchase_propensity and churn_risk tags are left empty for that date",
            USER_PROPENSITY, snapshot_date,
        )  # fmt: skip
        return None
    return rows


def write_snapshot(
    lake: Lake, cfg: Config, catalog: TagCatalog, snapshot_date: dt.date, write_profile: bool
) -> int:
    """Evaluate and write one snapshot date; returns 1 when an enum tag left its declared values."""
    snapshots = lake.table(TAG_SNAPSHOTS)
    before = previous_date(snapshots, snapshot_date)
    previous = (
        snapshot_of(snapshots, before)
        .where(F.col(C.TAG_ID) == "lifecycle_stage")
        .select(C.USER_ID, F.col(C.VALUE).alias(C.LIFECYCLE_STAGE))
        .persist(StorageLevel.MEMORY_AND_DISK)
    )
    segments = lake.table(USER_SEGMENTS)
    inputs = with_builtins(
        snapshot_date_rows(lake.table(USER_FEATURES), snapshot_date),
        previous,
        cfg,
        snapshot_date_rows(segments, snapshot_date) if segments.exists() else None,
        propensity_of(lake.table(USER_PROPENSITY), snapshot_date),
        daily=None if cfg.rfm.window_days in RFM_WINDOWS else lake.table(DAILY_ACTIVITY).read(),
    )
    profile = tag_profile(inputs, catalog, BUILTIN_COLUMNS).persist(StorageLevel.MEMORY_AND_DISK)
    try:
        stray = enum_violations(profile, catalog.tags).collect()
        if stray:
            for row in stray:
                log.error(
                    "snapshot %s: tag %r gave %d users the value %r, which is not among its values %s",
                    snapshot_date, row[C.TAG_ID], row[C.USERS], row[C.VALUE],
                    list(catalog.by_id[row[C.TAG_ID]].values),
                )  # fmt: skip
            return 1
        with timed(log, f"tag snapshot {snapshot_date}"):
            snapshots.overwrite_partitions(tag_snapshot(profile, catalog), {C.SNAPSHOT_DATE: [snapshot_date]})
            transitions = stage_transitions(previous, profile.select(C.USER_ID, C.LIFECYCLE_STAGE))
            lake.table(LIFECYCLE_TRANSITIONS).overwrite_partitions(
                transitions.select("*", F.lit(snapshot_date).alias(C.SNAPSHOT_DATE)),
                {C.SNAPSHOT_DATE: [snapshot_date]},
            )
            quality = tag_quality(
                snapshot_of(snapshots, snapshot_date),
                snapshot_of(snapshots, before) if before else None,
                profile.count(),
                catalog,
                snapshot_date,
            )
            lake.table(TAG_QUALITY).overwrite_partitions(quality, {C.SNAPSHOT_DATE: [snapshot_date]})
            if write_profile:
                # The profile's columns follow the catalog: a new tag adds its column.
                lake.table(USER_PROFILE, schema=profile.schema).overwrite(profile, merge_schema=True)
        return 0
    finally:
        profile.unpersist()
        previous.unpersist()


def main(argv: Sequence[str] | None = None) -> int:
    """Write the tag snapshots of the run date (or of every date of a back-fill)."""
    parser = job_parser(
        "Evaluate the tag catalog into gold.tag_snapshots and gold.user_profile.", date_range=True
    )
    ctx = parse_job_args(parser, argv)
    cfg = ctx.config
    try:
        catalog = load_tag_catalog(BUILTIN_COLUMNS, cfg.tags.catalog or TAGS_FILE)
    except CatalogError as exc:
        log.error("%s", exc)
        return 2
    spark = get_spark(cfg.spark, app_name="build_tag_snapshots")
    lake = open_lake(spark, cfg.lake)
    features = lake.table(USER_FEATURES)
    if not features.exists():
        log.error("%s does not exist at %s: run build_user_features first", USER_FEATURES, features.path)
        return 1
    problems = expression_problems(
        with_builtins(
            features.read().limit(0),
            spark.createDataFrame([], f"{C.USER_ID} string, {C.LIFECYCLE_STAGE} string"),
            cfg,
            daily=spark.createDataFrame([], GOLD_USER_DAILY_ACTIVITY_SCHEMA),
        ),
        catalog,
        BUILTIN_COLUMNS,
    )
    if problems:
        log.error("the tag catalog does not fit %s:\n  %s", USER_FEATURES, "\n  ".join(problems))
        return 2
    lake.table(
        TAG_SNAPSHOTS, schema=GOLD_TAG_SNAPSHOTS_SCHEMA, partition_by=GOLD_TAG_SNAPSHOTS_PARTITIONS
    ).create()
    lake.table(
        LIFECYCLE_TRANSITIONS,
        schema=GOLD_LIFECYCLE_TRANSITIONS_SCHEMA,
        partition_by=GOLD_LIFECYCLE_TRANSITIONS_PARTITIONS,
    ).create()
    lake.table(TAG_QUALITY, schema=GOLD_TAG_QUALITY_SCHEMA, partition_by=GOLD_TAG_QUALITY_PARTITIONS).create()
    latest = lake.table(TAG_SNAPSHOTS).read().agg(F.max(C.SNAPSHOT_DATE)).first()[0]
    for snapshot_date in ctx.dates:
        # Re-running an older date must not replace the profile of a later snapshot.
        write_profile = snapshot_date == ctx.run_date and (latest is None or snapshot_date >= latest)
        status = write_snapshot(lake, cfg, catalog, snapshot_date, write_profile)
        if status != 0:
            log.error("tag snapshot %s failed; nothing of that date was written", snapshot_date)
            return status
    log.info("wrote %s for %s..%s (%d tags)", TAG_SNAPSHOTS, ctx.first_date, ctx.run_date, len(catalog.tags))
    return 0


if __name__ == "__main__":
    sys.exit(main())
