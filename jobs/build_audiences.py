"""Evaluate the rule-based audiences over a tag snapshot: members, sizes, overlaps, optional export.

    shop-build-audiences --env local --date 2026-10-30
    shop-build-audiences --env local --date 2026-10-30 --export win_back --export-format csv

Audiences (conf/audiences.yaml) are checked against the tag catalog before Spark starts; a bad rule stops
the job (exit 2) naming the audience. Members come from the tag snapshot of the date (gold.tag_history as
of it, transforms.tags.history.tags_as_of; any past date works), written to gold.audience_members,
gold.audience_sizes and gold.audience_overlap (that date's partition replaced). An export writes the
audience's user ids only (pseudonymous shop ids; no profile or contact data) to
exports/audiences/<id>/snapshot_date=<date>/ under the lake root.
"""

from __future__ import annotations

import argparse
import sys

from pyspark import StorageLevel
from pyspark.sql import functions as F

from shop_platform.catalogs import AUDIENCES_FILE, TAGS_FILE, CatalogError, load_audiences, load_tag_catalog
from shop_platform.cli import JobContext, command, job_parser
from shop_platform.logs import get_logger, timed
from shop_platform.session import get_spark
from shop_platform.storage import open_lake
from transforms import columns as C
from transforms import tables
from transforms.audiences import AudienceError, membership_column, parse_audience, validate_audience
from transforms.audiences.membership import (
    audience_members,
    audience_overlap,
    audience_sizes,
    profile_from_snapshot,
)
from transforms.tags.builtins import BUILTIN_COLUMNS
from transforms.tags.history import tags_as_of

log = get_logger("jobs.build_audiences")

EXPORT_DIR = "exports/audiences"


def parser() -> argparse.ArgumentParser:
    parser = job_parser("Evaluate rule-based audiences over the tag snapshot of the run date.")
    parser.add_argument("--export", metavar="AUDIENCE_ID", help="also export this audience's user ids")
    parser.add_argument("--export-format", choices=("csv", "parquet"), default="csv")
    return parser


def run(ctx: JobContext) -> int:
    """Write the audiences of the run date; returns the exit status."""
    cfg = ctx.config
    try:
        catalog = load_tag_catalog(BUILTIN_COLUMNS, cfg.tags.catalog or TAGS_FILE)
        audiences = load_audiences(cfg.tags.audiences or AUDIENCES_FILE)
    except CatalogError as exc:
        log.error("%s", exc)
        return 2
    rules, problems = {}, []
    for audience in audiences:
        try:
            rules[audience.id] = parse_audience(audience.id, audience.rule)
            validate_audience(audience.id, rules[audience.id], catalog)
        except AudienceError as exc:
            problems.append(str(exc))
    if ctx.args.export and ctx.args.export not in {a.id for a in audiences}:
        problems.append(
            f"--export {ctx.args.export!r}: no such audience ({', '.join(a.id for a in audiences)})"
        )
    if problems:
        log.error("audiences do not fit the tag catalog:\n  %s", "\n  ".join(problems))
        return 2

    spark = get_spark(cfg.spark, app_name="build_audiences")
    # Rules are checked before Spark starts; a Column needs the running session.
    rules = {audience_id: membership_column(expr) for audience_id, expr in rules.items()}
    lake = open_lake(spark, cfg.lake)
    snapshot = tags_as_of(lake.table(tables.TAG_HISTORY).read(), ctx.run_date)
    members = (
        audience_members(profile_from_snapshot(snapshot, catalog), rules)
        .select(*tables.AUDIENCE_MEMBERS.schema.fieldNames())
        .persist(StorageLevel.MEMORY_AND_DISK)
    )
    date = {C.SNAPSHOT_DATE: [ctx.run_date]}
    with timed(log, f"audiences of {ctx.run_date}"):
        lake.table(tables.AUDIENCE_MEMBERS).overwrite_partitions(members, date)
        sizes = audience_sizes(members, list(rules)).where(F.col(C.SNAPSHOT_DATE) == F.lit(ctx.run_date))
        sizes = sizes.persist(StorageLevel.MEMORY_AND_DISK)
        lake.table(tables.AUDIENCE_SIZES).overwrite_partitions(sizes, date)
        lake.table(tables.AUDIENCE_OVERLAP).overwrite_partitions(audience_overlap(members), date)
    for row in sizes.orderBy(C.AUDIENCE_ID).collect():
        log.info("audience %s on %s: %d users", row[C.AUDIENCE_ID], ctx.run_date, row[C.USERS])
    if ctx.args.export:
        folder = f"{EXPORT_DIR}/{ctx.args.export}/snapshot_date={ctx.run_date.isoformat()}"
        ids = members.where(F.col(C.AUDIENCE_ID) == ctx.args.export).select(C.USER_ID).orderBy(C.USER_ID)
        writer = lake.files.write_csv if ctx.args.export_format == "csv" else lake.files.write_parquet
        writer(ids.coalesce(1), folder)
        log.info("exported audience %s to %s", ctx.args.export, lake.files.path(folder))
    sizes.unpersist()
    members.unpersist()
    return 0


main = command(parser, run)

if __name__ == "__main__":
    sys.exit(main())
