"""Describe each segment of a snapshot date: gold.segment_profiles.

    shop-build-segment-profiles --env local --date 2026-10-30
    shop-build-segment-profiles --env local --from-date 2026-10-01 --date 2026-10-30

Runs after build_segments and build_tag_snapshots of the same dates. Per snapshot date and segment: its size
and share of the segmented users, the mean of every `segments.features` column and its z against the
segmented population (on the model's log1p scale), the dominant RFM segment and lifecycle stage (tags
rfm_segment and lifecycle_stage of gold.tag_snapshots; null when that snapshot is missing), the categories
most common among its members' top categories with their lift, and a readable label (`segments.label`).
Re-running a date rewrites its partition with the same rows.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from pyspark.sql import functions as F

from shop_platform.cli import job_parser, parse_job_args
from shop_platform.logs import get_logger, timed
from shop_platform.session import get_spark
from shop_platform.storage import open_lake
from transforms import columns as C
from transforms.schemas import (
    GOLD_SEGMENT_PROFILES_PARTITIONS,
    GOLD_SEGMENT_PROFILES_SCHEMA,
    GOLD_TAG_SNAPSHOTS_SCHEMA,
)
from transforms.segments.features import feature_problems
from transforms.segments.labels import with_labels
from transforms.segments.profiles import segment_profiles

log = get_logger("jobs.build_segment_profiles")

JOB = "build_segment_profiles"
USER_FEATURES = "gold.user_features"
USER_SEGMENTS = "gold.user_segments"
TAG_SNAPSHOTS = "gold.tag_snapshots"
SEGMENT_PROFILES = "gold.segment_profiles"
RFM_TAG = "rfm_segment"
LIFECYCLE_TAG = "lifecycle_stage"


def main(argv: Sequence[str] | None = None) -> int:
    """Write gold.segment_profiles for the run date (or every date of a back-fill)."""
    parser = job_parser("Profile and label each segment into gold.segment_profiles.", date_range=True)
    ctx = parse_job_args(parser, argv)
    cfg = ctx.config
    s = cfg.segments
    spark = get_spark(cfg.spark, app_name=JOB)
    lake = open_lake(spark, cfg.lake)
    features, segments, tags = lake.table(USER_FEATURES), lake.table(USER_SEGMENTS), lake.table(TAG_SNAPSHOTS)
    for table, job in ((features, "build_user_features"), (segments, "build_segments")):
        if not table.exists():
            log.error("%s does not exist at %s: run %s first", table.name, table.path, job)
            return 1
    problems = feature_problems(features.schema(), s.features, s.active_feature)
    if problems:
        log.error("segments.features / segments.active_feature (conf/base.yaml): %s", "; ".join(problems))
        return 2
    if not tags.exists():
        log.warning("%s does not exist: dominant RFM segments and lifecycle stages stay null", TAG_SNAPSHOTS)
    profiles = lake.table(SEGMENT_PROFILES, GOLD_SEGMENT_PROFILES_SCHEMA, GOLD_SEGMENT_PROFILES_PARTITIONS)
    for snapshot_date in ctx.dates:
        on_date = F.col(C.SNAPSHOT_DATE) == F.lit(snapshot_date)
        tag_rows = tags.read() if tags.exists() else spark.createDataFrame([], GOLD_TAG_SNAPSHOTS_SCHEMA)
        described = segment_profiles(
            segments.read().where(on_date),
            features.read().where(on_date),
            tag_rows.where(on_date),
            feature_columns=s.features,
            log1p_features=s.log1p_features,
            top_n=s.top_categories,
            rfm_tag=RFM_TAG,
            lifecycle_tag=LIFECYCLE_TAG,
            snapshot_date=snapshot_date,
        )
        labelled = with_labels(
            described, s.label.names, s.label.max_features, s.label.min_z, s.label.min_category_lift
        )
        with timed(log, f"segment profiles {snapshot_date}"):
            profiles.overwrite_partitions(labelled, {C.SNAPSHOT_DATE: [snapshot_date]})
        written = profiles.read().where(on_date).orderBy(C.SEGMENT_ID).collect()
        if not written:
            log.warning("%s: no segments in %s", snapshot_date, USER_SEGMENTS)
        for row in written:
            log.info(
                "%s segment %d: %d users (%.1f%%), %s / %s, top %s: %s",
                snapshot_date, row[C.SEGMENT_ID], row[C.USERS], 100 * row[C.SHARE],
                row[C.DOMINANT_RFM_SEGMENT], row[C.DOMINANT_LIFECYCLE_STAGE], row[C.TOP_CATEGORIES], row[C.LABEL],
            )  # fmt: skip
    log.info("wrote %s for %s..%s", SEGMENT_PROFILES, ctx.first_date, ctx.run_date)
    return 0


if __name__ == "__main__":
    sys.exit(main())
