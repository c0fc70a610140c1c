"""Describe each segment of a snapshot date: gold.segment_profiles.

    shop-build-segment-profiles --env local --date 2026-10-30
    shop-build-segment-profiles --env local --from-date 2026-10-01 --date 2026-10-30

Runs after build_segments and build_tag_snapshots of the same dates. Per snapshot date and segment: its size
and share of the segmented users, the mean of every `segments.features` and `segments.ratios` input and its
z against the segmented population (on the model's log1p scale), the dominant RFM segment and lifecycle
stage (tags rfm_segment and lifecycle_stage of gold.tag_history as of the date; null when it has none), the
categories most common among its members' top categories with their lift, and a readable label
(`segments.label`; the light users' segment has its configured label).
Re-running a date rewrites its partition with the same rows.
"""

from __future__ import annotations

import argparse
import sys

from shop_platform.cli import JobContext, command, job_parser
from shop_platform.logs import get_logger, timed
from shop_platform.session import get_spark
from shop_platform.storage import open_lake
from transforms import columns as C
from transforms import tables
from transforms.segments.features import feature_problems
from transforms.segments.labels import with_labels
from transforms.segments.profiles import segment_profiles
from transforms.tags.builtins import LIFECYCLE_TAG, RFM_TAG
from transforms.tags.history import tags_as_of

log = get_logger("jobs.build_segment_profiles")

JOB = "build_segment_profiles"


def parser() -> argparse.ArgumentParser:
    return job_parser("Profile and label each segment into gold.segment_profiles.", date_range=True)


def run(ctx: JobContext) -> int:
    """Write gold.segment_profiles for the run date (or every date of a back-fill)."""
    cfg = ctx.config
    s = cfg.segments
    spark = get_spark(cfg.spark, app_name=JOB)
    lake = open_lake(spark, cfg.lake)
    features, segments = lake.table(tables.USER_FEATURES), lake.table(tables.USER_SEGMENTS)
    tags = lake.table(tables.TAG_HISTORY)
    for table in (features, segments):
        if not table.exists():
            log.error("%s does not exist at %s: run %s first", table.name, table.path, table.spec.written_by)
            return 1
    problems = feature_problems(features.schema(), s.source_columns, s.active_feature)
    if problems:
        log.error("segments.features / segments.active_feature (conf/base.yaml): %s", "; ".join(problems))
        return 2
    if not tags.exists():
        log.warning("%s does not exist: dominant RFM segments and lifecycle stages stay null", tags.name)
    profiles = lake.table(tables.SEGMENT_PROFILES)
    for snapshot_date in ctx.dates:
        described = segment_profiles(
            segments.read_on(snapshot_date),
            features.read_on(snapshot_date),
            tags_as_of(tags.read() if tags.exists() else tags.empty(), snapshot_date),
            feature_columns=s.inputs,
            log1p_features=s.log1p_features,
            ratios=s.ratios,
            top_n=s.top_categories,
            rfm_tag=RFM_TAG,
            lifecycle_tag=LIFECYCLE_TAG,
            snapshot_date=snapshot_date,
        )
        labelled = with_labels(
            described, s.label.names, s.label.max_features, s.label.min_z, s.label.min_category_lift,
            fixed={s.light_users.segment_id: s.light_users.label},
        )  # fmt: skip
        with timed(log, f"segment profiles {snapshot_date}"):
            profiles.overwrite_partitions(labelled, {C.SNAPSHOT_DATE: [snapshot_date]})
        written = profiles.read_on(snapshot_date).orderBy(C.SEGMENT_ID).collect()
        if not written:
            log.warning("%s: no segments in %s", snapshot_date, segments.name)
        for row in written:
            log.info(
                "%s segment %d: %d users (%.1f%%), %s / %s, top %s: %s",
                snapshot_date, row[C.SEGMENT_ID], row[C.USERS], 100 * row[C.SHARE],
                row[C.DOMINANT_RFM_SEGMENT], row[C.DOMINANT_LIFECYCLE_STAGE], row[C.TOP_CATEGORIES], row[C.LABEL],
            )  # fmt: skip
    log.info("wrote %s for %s..%s", profiles.name, ctx.first_date, ctx.run_date)
    return 0


main = command(parser, run)

if __name__ == "__main__":
    sys.exit(main())
