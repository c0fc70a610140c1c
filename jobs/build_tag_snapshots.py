"""Evaluate the tag catalog into the daily tag snapshot, the latest wide profile and lifecycle transitions.

    shop-build-tag-snapshots --env local --date 2026-10-30
    shop-build-tag-snapshots --env local --from-date 2026-10-01 --date 2026-10-30    # one per day

The catalog (conf/tags.yaml) is checked before Spark starts and its expressions against the features'
schema before any row is read; a bad tag stops the job (exit 2) naming it. For each snapshot date the job
reads gold.user_features of that date (and gold.user_daily_activity when `rfm.window_days` is not a
feature window: 365, all), adds the builtins (transforms.tags.builtins: RFM scores, segment, and purchase
propensity and churn risk band from gold.user_propensity; the lifecycle stage, which needs the previous
snapshot's stages), and rewrites that date's partition of gold.tag_snapshots,
gold.lifecycle_transitions and gold.tag_quality (coverage, distribution and drift of every tag).
gold.user_profile holds the latest snapshot's wide rows. An enum tag that yields a value outside its
declared set fails the run (exit 1) before anything of that date is written.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys

from pyspark import StorageLevel
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from shop_platform.catalogs import TAGS_FILE, CatalogError, TagCatalog, load_tag_catalog
from shop_platform.cli import JobContext, command, job_parser
from shop_platform.logs import get_logger, timed
from shop_platform.session import get_spark
from shop_platform.settings import RFM_WINDOWS, Config
from shop_platform.storage import Lake, LakeTable, open_lake
from transforms import columns as C
from transforms import tables
from transforms.tags.builtins import BUILTIN_COLUMNS, LIFECYCLE_TAG, with_builtins
from transforms.tags.evaluate import enum_violations, expression_problems, tag_profile, tag_snapshot
from transforms.tags.lifecycle import stage_transitions
from transforms.tags.quality import tag_quality

log = get_logger("jobs.build_tag_snapshots")


def propensity_of(propensity: LakeTable, snapshot_date: dt.date) -> DataFrame | None:
    """gold.user_propensity rows of the date, or None (with a warning) when the date has no scores."""
    rows = propensity.read_on(snapshot_date) if propensity.exists() else None
    if rows is None or rows.isEmpty():
        log.warning(
            "%s has no scores for %s (no propensity model registered yet, or score_propensity has not run for "
            "it): the purchase_propensity and churn_risk tags are left empty for that date",
            propensity.name, snapshot_date,
        )  # fmt: skip
        return None
    return rows


def write_snapshot(
    lake: Lake, cfg: Config, catalog: TagCatalog, snapshot_date: dt.date, write_profile: bool
) -> int:
    """Evaluate and write one snapshot date; returns 1 when an enum tag left its declared values."""
    snapshots = lake.table(tables.TAG_SNAPSHOTS)
    before = snapshots.latest_date(on_or_before=snapshot_date - dt.timedelta(days=1))
    previous = (
        snapshots.read_on(before)
        .where(F.col(C.TAG_ID) == LIFECYCLE_TAG)
        .select(C.USER_ID, F.col(C.VALUE).alias(C.LIFECYCLE_STAGE))
        .persist(StorageLevel.MEMORY_AND_DISK)
    )
    # Written by build_segments before this job; absent (no segments yet) leaves the segment tag null.
    segments = lake.table(tables.USER_SEGMENTS)
    inputs = with_builtins(
        lake.table(tables.USER_FEATURES).read_on(snapshot_date),
        previous,
        cfg,
        segments.read_on(snapshot_date) if segments.exists() else None,
        propensity_of(lake.table(tables.USER_PROPENSITY), snapshot_date),
        daily=None if cfg.rfm.window_days in RFM_WINDOWS else lake.table(tables.USER_DAILY_ACTIVITY).read(),
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
        date = {C.SNAPSHOT_DATE: [snapshot_date]}
        with timed(log, f"tag snapshot {snapshot_date}"):
            snapshots.overwrite_partitions(tag_snapshot(profile, catalog), date)
            transitions = stage_transitions(previous, profile.select(C.USER_ID, C.LIFECYCLE_STAGE))
            lake.table(tables.LIFECYCLE_TRANSITIONS).overwrite_partitions(
                transitions.select("*", F.lit(snapshot_date).alias(C.SNAPSHOT_DATE)), date
            )
            quality = tag_quality(
                snapshots.read_on(snapshot_date),
                snapshots.read_on(before) if before else None,
                profile.count(),
                catalog,
                snapshot_date,
            )
            lake.table(tables.TAG_QUALITY).overwrite_partitions(quality, date)
            if write_profile:
                # The profile's columns follow the catalog: a new tag adds its column.
                lake.table(tables.USER_PROFILE, schema=profile.schema).overwrite(profile, merge_schema=True)
        return 0
    finally:
        profile.unpersist()
        previous.unpersist()


def parser() -> argparse.ArgumentParser:
    return job_parser(
        "Evaluate the tag catalog into gold.tag_snapshots and gold.user_profile.", date_range=True
    )


def run(ctx: JobContext) -> int:
    """Write the tag snapshots of the run date (or of every date of a back-fill)."""
    cfg = ctx.config
    try:
        catalog = load_tag_catalog(BUILTIN_COLUMNS, cfg.tags.catalog or TAGS_FILE)
    except CatalogError as exc:
        log.error("%s", exc)
        return 2
    spark = get_spark(cfg.spark, app_name="build_tag_snapshots")
    lake = open_lake(spark, cfg.lake)
    features = lake.table(tables.USER_FEATURES)
    if not features.exists():
        log.error("%s does not exist at %s: run build_user_features first", features.name, features.path)
        return 1
    problems = expression_problems(
        with_builtins(
            features.read().limit(0),
            spark.createDataFrame([], f"{C.USER_ID} string, {C.LIFECYCLE_STAGE} string"),
            cfg,
            daily=lake.table(tables.USER_DAILY_ACTIVITY).empty(),
        ),
        catalog,
        BUILTIN_COLUMNS,
    )
    if problems:
        log.error("the tag catalog does not fit %s:\n  %s", features.name, "\n  ".join(problems))
        return 2
    for spec in (tables.TAG_SNAPSHOTS, tables.LIFECYCLE_TRANSITIONS, tables.TAG_QUALITY):
        lake.table(spec).create()
    latest = lake.table(tables.TAG_SNAPSHOTS).latest_date()
    for snapshot_date in ctx.dates:
        # Re-running an older date must not replace the profile of a later snapshot.
        write_profile = snapshot_date == ctx.run_date and (latest is None or snapshot_date >= latest)
        status = write_snapshot(lake, cfg, catalog, snapshot_date, write_profile)
        if status != 0:
            log.error("tag snapshot %s failed; nothing of that date was written", snapshot_date)
            return status
    log.info(
        "wrote %s for %s..%s (%d tags)",
        tables.TAG_SNAPSHOTS.name,
        ctx.first_date,
        ctx.run_date,
        len(catalog.tags),
    )
    return 0


main = command(parser, run)

if __name__ == "__main__":
    sys.exit(main())
