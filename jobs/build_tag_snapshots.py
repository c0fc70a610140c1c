"""Evaluate the tag catalog into the tag history, the latest wide profile, lifecycle transitions and tag quality.

    shop-build-tag-snapshots --env local --date 2026-10-30
    shop-build-tag-snapshots --env local --from-date 2026-10-01 --date 2026-10-30    # one pass

The catalog (conf/tags.yaml) is checked before Spark starts and its expressions against the features'
schema before any row is read; a bad tag stops the job (exit 2) naming it. The job reads gold.user_features
of every date of the range at once (and gold.user_daily_activity when `rfm.window_days` is not a feature
window: 365, all), adds the builtins (transforms.tags.builtins: RFM scores, segment, and purchase propensity
and churn risk band from gold.user_propensity; the lifecycle stage, which needs the previous snapshot's
stages: the stored one for the first date, the day before's for the others) and evaluates the catalog for
all dates together. Then, each in one commit for the whole range: gold.tag_history (the snapshots as
validity intervals, transforms.tags.intervals; read them with transforms.tags.history.tags_as_of) takes the
range's values in place of what it held for those days (a run past the history's end, as a daily one,
rewrites only its current intervals), and gold.lifecycle_transitions and gold.tag_quality
(coverage, distribution and drift of every tag) get the range's partitions. gold.user_profile holds the
latest snapshot's wide rows. An enum tag that yields a value outside its declared set on any date fails the
run (exit 1) before anything is written.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys

from pyspark import StorageLevel
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from shop_platform.catalogs import TAGS_FILE, CatalogError, load_tag_catalog
from shop_platform.cli import JobContext, command, job_parser
from shop_platform.logs import get_logger, timed
from shop_platform.session import get_spark
from shop_platform.settings import RFM_WINDOWS
from shop_platform.storage import Lake, open_lake
from transforms import columns as C
from transforms import tables
from transforms.tags.builtins import BUILTIN_COLUMNS, LIFECYCLE_TAG, with_builtins
from transforms.tags.evaluate import enum_violations, expression_problems, tag_profile
from transforms.tags.history import tags_as_of
from transforms.tags.intervals import (
    OPEN,
    closed_from,
    extended_current,
    merged_history,
    month_of,
    months_between,
    range_intervals,
)
from transforms.tags.lifecycle import transitions_by_date
from transforms.tags.quality import interval_value_counts, quality_of_counts

log = get_logger("jobs.build_tag_snapshots")


def propensity_between(lake: Lake, first: dt.date, last: dt.date) -> DataFrame | None:
    """gold.user_propensity rows of the range, or None; a warning names the dates without scores."""
    propensity = lake.table(tables.USER_PROPENSITY)
    rows = propensity.read_between(first, last) if propensity.exists() else None
    scored = set() if rows is None else {r[0] for r in rows.select(C.SNAPSHOT_DATE).distinct().collect()}
    unscored = [
        d for d in (first + dt.timedelta(days=n) for n in range((last - first).days + 1)) if d not in scored
    ]
    if unscored:
        log.warning(
            "%s has no scores for %s (no propensity model registered yet, or score_propensity has not run for "
            "them): the purchase_propensity and churn_risk tags are left empty for those dates",
            propensity.name, ", ".join(d.isoformat() for d in unscored),
        )  # fmt: skip
    return rows if scored else None


def customer_value_between(lake: Lake, first: dt.date, last: dt.date) -> DataFrame | None:
    """gold.customer_value rows of the range, or None (its four tags then stay empty) with a warning."""
    values = lake.table(tables.CUSTOMER_VALUE)
    if not values.exists():
        log.warning("%s does not exist yet (build_customer_value writes it): the p_alive, expected_orders_90d, "
                    "clv_90d and value_tier tags are left empty", values.name)  # fmt: skip
        return None
    return values.read_between(first, last)


def parser() -> argparse.ArgumentParser:
    return job_parser(
        "Evaluate the tag catalog into gold.tag_history and gold.user_profile.", date_range=True
    )


def run(ctx: JobContext) -> int:
    """Write the tag snapshots of the run date (or of every date of a back-fill, in one pass)."""
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
    history, quality = lake.table(tables.TAG_HISTORY), lake.table(tables.TAG_QUALITY)
    for spec in (tables.TAG_HISTORY, tables.LIFECYCLE_TRANSITIONS, tables.TAG_QUALITY):
        lake.table(spec).create()
    first, last = ctx.first_date, ctx.run_date
    # gold.tag_quality, written by the same runs, has a row per tag for every snapshot date.
    latest = quality.latest_date()
    before_date = quality.latest_date(on_or_before=first - dt.timedelta(days=1))
    later = quality.read().where(F.col(C.SNAPSHOT_DATE) > F.lit(last)).agg(F.min(C.SNAPSHOT_DATE)).first()[0]

    stored = history.read()
    before = tags_as_of(stored, first - dt.timedelta(days=1)).persist(StorageLevel.MEMORY_AND_DISK)
    previous_stages = before.where(F.col(C.TAG_ID) == LIFECYCLE_TAG).select(
        C.USER_ID, F.col(C.VALUE).alias(C.LIFECYCLE_STAGE)
    )
    # Written by build_segments before this job; absent (no segments yet) leaves the segment tag null.
    segments = lake.table(tables.USER_SEGMENTS)
    inputs = with_builtins(
        features.read_between(first, last),
        previous_stages,
        cfg,
        segments.read_between(first, last) if segments.exists() else None,
        propensity_between(lake, first, last),
        daily=None if cfg.rfm.window_days in RFM_WINDOWS else lake.table(tables.USER_DAILY_ACTIVITY).read(),
        first_date=first,
        customer_value=customer_value_between(lake, first, last),
    )
    profile = tag_profile(inputs, catalog, BUILTIN_COLUMNS).persist(StorageLevel.MEMORY_AND_DISK)
    try:
        stray = enum_violations(profile, catalog.tags).collect()
        if stray:
            for row in stray:
                log.error(
                    "snapshots %s..%s: tag %r gave %d users the value %r, which is not among its values %s",
                    first, last, row[C.TAG_ID], row[C.USERS], row[C.VALUE],
                    list(catalog.by_id[row[C.TAG_ID]].values),
                )  # fmt: skip
            log.error("tag snapshots %s..%s failed; nothing was written", first, last)
            return 1
        dates = {C.SNAPSHOT_DATE: ctx.dates}
        with timed(log, f"tag history {first}..{last}"):
            new = range_intervals(profile, catalog, last, later)
            if later is None and closed_from(stored, first).isEmpty():
                # A daily run: rewrite the current intervals only, the ones it closes join their month.
                current = stored.where(F.col(C.VALID_TO_MONTH) == F.lit(OPEN))
                history.overwrite_partitions(
                    extended_current(current, new, first), {C.VALID_TO_MONTH: [OPEN]}, add_outside=True
                )
            else:
                tail = stored.where(F.col(C.VALID_TO_MONTH) >= F.lit(month_of(first)))
                months = {r[0] for r in tail.select(C.VALID_TO_MONTH).distinct().collect()}
                months |= {*months_between(first, later or last + dt.timedelta(days=1)), OPEN}
                history.overwrite_partitions(
                    merged_history(tail, new, first, later), {C.VALID_TO_MONTH: sorted(months)}
                )
        with timed(log, f"lifecycle transitions {first}..{last}"):
            stages = profile.select(C.USER_ID, F.col(LIFECYCLE_TAG).alias(C.LIFECYCLE_STAGE), C.SNAPSHOT_DATE)
            lake.table(tables.LIFECYCLE_TRANSITIONS).overwrite_partitions(
                transitions_by_date(stages, previous_stages, first, last), dates
            )
        with timed(log, f"tag quality {first}..{last}"):
            users = (
                spark.createDataFrame([(d,) for d in ctx.dates], f"{C.SNAPSHOT_DATE} date")
                .join(
                    profile.groupBy(C.SNAPSHOT_DATE).agg(F.count(F.lit(1)).alias(C.USERS)),
                    on=[C.SNAPSHOT_DATE],
                    how="left",
                )
                .select(C.SNAPSHOT_DATE, F.coalesce(F.col(C.USERS), F.lit(0)).alias(C.USERS))
            )
            previous = before if before_date is not None else None
            # The history just written holds the range's snapshots as intervals: counting values from
            # them reads a few rows per user and tag, where the long snapshots are one per user, tag and
            # date (a hundred million at 100k users x 30 days).
            by_value = interval_value_counts(history.read(), first, last).localCheckpoint()
            quality.overwrite_partitions(quality_of_counts(by_value, previous, users, catalog, first), dates)
        # Re-running older dates must not replace the profile of a later snapshot.
        if latest is None or last >= latest:
            # The profile's columns follow the catalog: a new tag adds its column.
            lake.table(tables.USER_PROFILE, schema=profile.schema).overwrite(
                profile.where(F.col(C.SNAPSHOT_DATE) == F.lit(last)), merge_schema=True
            )
    finally:
        profile.unpersist()
        before.unpersist()
    log.info(
        "wrote %s, %s and %s for %s..%s (%d tags)",
        tables.TAG_HISTORY.name, tables.LIFECYCLE_TRANSITIONS.name, tables.TAG_QUALITY.name,
        first, last, len(catalog.tags),
    )  # fmt: skip
    return 0


main = command(parser, run)

if __name__ == "__main__":
    sys.exit(main())
