"""Ingest the marketing tool's exports into bronze.campaigns and bronze.campaign_assignments (upsert by key).

    python -m jobs.ingest_campaigns --env local --date 2026-10-30

Reads raw/campaigns and raw/campaign_assignments (CSV with a header, read by column name: see
transforms/ingest/headers.py for the required columns and `ingest.columns.<source>` for other names;
every column read as text and typed here). Rows with a missing, malformed
or repeated key, a value that does not fit its type, an end before the start, an unknown campaign or group
go to bronze.campaigns_quarantine (partition ingest_date = --date) with their reasons; above
`ingest.max_quarantine_rate` the job writes that quarantine, upserts nothing and exits with 1. Campaigns
are upserted by campaign_id, assignments by (campaign_id, user_id). Without raw/campaigns it exits with 1.
"""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Mapping, Sequence
from types import MappingProxyType

from pyspark import StorageLevel
from pyspark.sql import DataFrame

from jobs.ingest_catalog import counted, read_catalog
from shop_platform.cli import job_parser, parse_job_args
from shop_platform.logs import get_logger
from shop_platform.session import get_spark
from shop_platform.storage import open_lake
from transforms import columns as C
from transforms.campaigns.deliveries import (
    ASSIGNMENT_ID,
    ASSIGNMENTS,
    CAMPAIGNS,
    check_assignments,
    check_campaigns,
)
from transforms.ingest.catalog import catalog_quarantine_rows, catalog_rows
from transforms.ingest.conservation import over_quarantine_limit
from transforms.ingest.headers import CAMPAIGN_ASSIGNMENTS, HeaderError
from transforms.ingest.headers import CAMPAIGNS as CAMPAIGNS_SOURCE
from transforms.ingest.mapping import check_source_settings
from transforms.schemas import (
    BRONZE_CAMPAIGN_ASSIGNMENTS_SCHEMA,
    BRONZE_CAMPAIGNS_QUARANTINE_PARTITIONS,
    BRONZE_CAMPAIGNS_QUARANTINE_SCHEMA,
    BRONZE_CAMPAIGNS_SCHEMA,
)

log = get_logger("jobs.ingest_campaigns")

RAW_CAMPAIGNS = "raw/campaigns"
RAW_ASSIGNMENTS = "raw/campaign_assignments"
CAMPAIGNS_TABLE = "bronze.campaigns"
ASSIGNMENTS_TABLE = "bronze.campaign_assignments"
QUARANTINE_TABLE = "bronze.campaigns_quarantine"


def quarantine_rows(
    campaigns: DataFrame,
    assignments: DataFrame | None,
    run_date: dt.date,
    pii_columns: Mapping[str, Sequence[str]] = MappingProxyType({}),
) -> DataFrame:
    rows = catalog_quarantine_rows(
        campaigns,
        dataset=CAMPAIGNS,
        key=C.CAMPAIGN_ID,
        ingest_date=run_date,
        pii_columns=pii_columns.get(CAMPAIGNS, ()),
    )
    if assignments is None:
        return rows
    return rows.unionByName(
        catalog_quarantine_rows(
            assignments,
            dataset=ASSIGNMENTS,
            key=ASSIGNMENT_ID,
            ingest_date=run_date,
            pii_columns=pii_columns.get(ASSIGNMENTS, ()),
        )
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Ingest raw/campaigns and raw/campaign_assignments into bronze."""
    parser = job_parser("Ingest the marketing tool's campaign and assignment exports into bronze.")
    ctx = parse_job_args(parser, argv)
    cfg, run_date = ctx.config, ctx.run_date
    try:
        check_source_settings(cfg.ingest)
    except ValueError as exc:
        log.error("configuration error: %s", exc)
        return 2
    spark = get_spark(cfg.spark, app_name="ingest_campaigns")
    lake = open_lake(spark, cfg.lake)
    try:
        raw_campaigns = read_catalog(lake, RAW_CAMPAIGNS, CAMPAIGNS_SOURCE, cfg.ingest)
        raw_assignments = read_catalog(lake, RAW_ASSIGNMENTS, CAMPAIGN_ASSIGNMENTS, cfg.ingest)
    except HeaderError as exc:
        log.error("%s; nothing was read or written", exc)
        return 1
    if raw_campaigns is None:
        log.error("%s does not exist under %s: nothing to ingest", RAW_CAMPAIGNS, lake.files.root)
        return 1
    campaigns_table = lake.table(CAMPAIGNS_TABLE, schema=BRONZE_CAMPAIGNS_SCHEMA)
    assignments_table = lake.table(ASSIGNMENTS_TABLE, schema=BRONZE_CAMPAIGN_ASSIGNMENTS_SCHEMA)

    campaigns = check_campaigns(raw_campaigns, cfg.ingest.id_patterns.get(C.CAMPAIGN_ID))
    campaigns.persist(StorageLevel.MEMORY_AND_DISK)
    checked = {CAMPAIGNS: campaigns}
    assignments = None
    if raw_assignments is not None:
        # An assignment may name a campaign of this delivery or one ingested before.
        known = catalog_rows(campaigns, BRONZE_CAMPAIGNS_SCHEMA).select(C.CAMPAIGN_ID)
        if campaigns_table.exists():
            known = known.unionByName(campaigns_table.read().select(C.CAMPAIGN_ID))
        assignments = check_assignments(raw_assignments, known, cfg.ingest.id_patterns.get(C.USER_ID))
        assignments.persist(StorageLevel.MEMORY_AND_DISK)
        checked[ASSIGNMENTS] = assignments
    else:
        log.warning("%s does not exist: no assignments delivered", lake.files.path(RAW_ASSIGNMENTS))
    try:
        counts = {dataset: counted(rows, dataset, run_date) for dataset, rows in checked.items()}
        lake.table(
            QUARANTINE_TABLE,
            schema=BRONZE_CAMPAIGNS_QUARANTINE_SCHEMA,
            partition_by=BRONZE_CAMPAIGNS_QUARANTINE_PARTITIONS,
        ).overwrite_partitions(
            quarantine_rows(campaigns, assignments, run_date, cfg.pii.columns), {C.INGEST_DATE: [run_date]}
        )
        too_dirty = over_quarantine_limit(counts, cfg.ingest.max_quarantine_rate)
        if too_dirty:
            log.error(
                "quarantine rate above ingest.max_quarantine_rate = %.2f%%: %s; the rows are in %s "
                "(ingest_date=%s); nothing was upserted",
                100 * cfg.ingest.max_quarantine_rate,
                too_dirty,
                QUARANTINE_TABLE,
                run_date,
            )
            return 1
        campaigns_table.upsert(catalog_rows(campaigns, BRONZE_CAMPAIGNS_SCHEMA), keys=[C.CAMPAIGN_ID])
        if assignments is not None:
            assignments_table.upsert(
                catalog_rows(assignments, BRONZE_CAMPAIGN_ASSIGNMENTS_SCHEMA), keys=[C.CAMPAIGN_ID, C.USER_ID]
            )
    finally:
        for rows in checked.values():
            rows.unpersist()
    log.info(
        "upserted %s; %d rows quarantined in %s",
        ", ".join(f"{counts[d].valid} {d} into bronze.{d}" for d in checked),
        sum(c.quarantined for c in counts.values()),
        QUARANTINE_TABLE,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
