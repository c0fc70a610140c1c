"""Ingest the marketing tool's exports into bronze.campaigns and bronze.campaign_assignments (upsert by key).

    python -m jobs.ingest_campaigns --env local --date 2026-10-30

Reads raw/campaigns and raw/campaign_assignments (CSV with a header, read by column name: see
transforms/ingest/headers.py for the required columns and `ingest.columns.<source>` for other names;
every column read as text and typed here). Rows with a missing, malformed
or repeated key, a value that does not fit its type, an end before the start, an unknown campaign or group
go to bronze.campaigns_quarantine (partition ingest_date = --date) with their reasons; above
`ingest.max_quarantine_rate` the job writes that quarantine, upserts nothing and exits with 1. Campaigns
are upserted by campaign_id, assignments by (campaign_id, user_id). Without raw/campaigns it exits with 1.
A delivery already ingested (the same files and settings: shop_platform.storage.delivery_stamp) is not
ingested again unless `--force`.
"""

from __future__ import annotations

import argparse
import sys
from functools import partial

from pyspark import StorageLevel

from shop_platform.cli import JobContext, command, job_parser
from shop_platform.logs import get_logger, timed
from shop_platform.session import get_spark
from shop_platform.storage import open_lake
from shop_platform.storage.delivery_stamp import DELIVERY_STAMP, Delivery
from shop_platform.storage.raw_files import delivery_folder, read_csv_delivery
from transforms import columns as C
from transforms import tables
from transforms.campaigns.deliveries import (
    ASSIGNMENT_ID,
    ASSIGNMENTS,
    CAMPAIGNS,
    check_assignments,
    check_campaigns,
)
from transforms.ingest.catalog import RECORD_COLUMNS, catalog_rows, delivery_quarantine
from transforms.ingest.conservation import (
    IngestCounts,
    check_conservation,
    count_outcomes,
    over_quarantine_limit,
)
from transforms.ingest.headers import CAMPAIGN_ASSIGNMENTS, HeaderError
from transforms.ingest.headers import CAMPAIGNS as CAMPAIGNS_SOURCE
from transforms.ingest.mapping import SourceMapping, check_source_settings

log = get_logger("jobs.ingest_campaigns")

RAW_CAMPAIGNS = delivery_folder(CAMPAIGNS_SOURCE.name)
RAW_ASSIGNMENTS = delivery_folder(CAMPAIGN_ASSIGNMENTS.name)


def parser() -> argparse.ArgumentParser:
    parser = job_parser("Ingest the marketing tool's campaign and assignment exports into bronze.")
    parser.add_argument(
        "--force", action="store_true", help="ingest the delivery even when it is the one ingested last"
    )
    return parser


def run(ctx: JobContext) -> int:
    """Ingest raw/campaigns and raw/campaign_assignments into bronze; returns the exit status."""
    cfg, run_date = ctx.config, ctx.run_date
    try:
        check_source_settings(cfg.ingest)
    except ValueError as exc:
        log.error("configuration error: %s", exc)
        return 2
    spark = get_spark(cfg.spark, app_name="ingest_campaigns")
    lake = open_lake(spark, cfg.lake)
    campaigns_table = lake.table(tables.CAMPAIGNS)
    assignments_table = lake.table(tables.CAMPAIGN_ASSIGNMENTS)
    delivery = Delivery.listed(
        lake.files, (RAW_CAMPAIGNS, RAW_ASSIGNMENTS), {"ingest": cfg.ingest, "pii_columns": cfg.pii.columns}
    )
    targets = [
        table
        for table, folder in ((campaigns_table, RAW_CAMPAIGNS), (assignments_table, RAW_ASSIGNMENTS))
        if delivery.delivered(folder)
    ]
    if not ctx.args.force and delivery.already_ingested(targets):
        log.info("%s", delivery.unchanged_message())
        return 0
    mapping = partial(SourceMapping.from_settings, settings=cfg.ingest)
    try:
        raw_campaigns = read_csv_delivery(
            lake.files, RAW_CAMPAIGNS, mapping(CAMPAIGNS_SOURCE), RECORD_COLUMNS
        )
        raw_assignments = read_csv_delivery(
            lake.files, RAW_ASSIGNMENTS, mapping(CAMPAIGN_ASSIGNMENTS), RECORD_COLUMNS
        )
    except HeaderError as exc:
        log.error("%s; nothing was read or written", exc)
        return 1
    if raw_campaigns is None:
        log.error("%s does not exist under %s: nothing to ingest", RAW_CAMPAIGNS, lake.files.root)
        return 1
    quarantine = lake.table(tables.CAMPAIGNS_QUARANTINE)

    campaigns = check_campaigns(raw_campaigns, cfg.ingest.id_patterns.get(C.CAMPAIGN_ID))
    campaigns.persist(StorageLevel.MEMORY_AND_DISK)
    checked = {CAMPAIGNS: (campaigns, C.CAMPAIGN_ID)}
    assignments = None
    if raw_assignments is not None:
        # An assignment may name a campaign of this delivery or one ingested before.
        known = catalog_rows(campaigns, campaigns_table.declared_schema).select(C.CAMPAIGN_ID)
        if campaigns_table.exists():
            known = known.unionByName(campaigns_table.read().select(C.CAMPAIGN_ID))
        assignments = check_assignments(raw_assignments, known, cfg.ingest.id_patterns.get(C.USER_ID))
        assignments.persist(StorageLevel.MEMORY_AND_DISK)
        checked[ASSIGNMENTS] = (assignments, ASSIGNMENT_ID)
    else:
        log.warning("%s does not exist: no assignments delivered", lake.files.path(RAW_ASSIGNMENTS))
    try:
        counts = {}
        for dataset, (rows, _key) in checked.items():
            with timed(log, f"validate {dataset}"):
                counts[dataset] = IngestCounts.from_rows(count_outcomes(rows).collect())
            check_conservation(counts[dataset], run_date)
            log.info("%s: %s", dataset, counts[dataset].summary())
        quarantine.overwrite_partitions(
            delivery_quarantine(checked, run_date, cfg.pii.columns), {C.INGEST_DATE: [run_date]}
        )
        too_dirty = over_quarantine_limit(counts, cfg.ingest.max_quarantine_rate)
        if too_dirty:
            log.error(
                "quarantine rate above ingest.max_quarantine_rate = %.2f%%: %s; the rows are in %s "
                "(ingest_date=%s); nothing was upserted",
                100 * cfg.ingest.max_quarantine_rate, too_dirty, quarantine.name, run_date,
            )  # fmt: skip
            return 1
        campaigns_table.upsert(catalog_rows(campaigns, campaigns_table.declared_schema), keys=[C.CAMPAIGN_ID])
        campaigns_table.set_properties({DELIVERY_STAMP: delivery.stamp})
        if assignments is not None:
            assignments_table.upsert(
                catalog_rows(assignments, assignments_table.declared_schema),
                keys=list(tables.CAMPAIGN_ASSIGNMENTS.keys),
            )
            assignments_table.set_properties({DELIVERY_STAMP: delivery.stamp})
    finally:
        for rows, _key in checked.values():
            rows.unpersist()
    log.info(
        "upserted %s; %d rows quarantined in %s",
        ", ".join(f"{counts[d].valid} {d} into bronze.{d}" for d in checked),
        sum(c.quarantined for c in counts.values()),
        quarantine.name,
    )
    return 0


main = command(parser, run)

if __name__ == "__main__":
    sys.exit(main())
