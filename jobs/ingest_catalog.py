"""Ingest the users and items deliveries into bronze.users and bronze.items (upsert by id).

    SHOP_PII_SALT=... python -m jobs.ingest_catalog --env local --date 2026-10-07

Phone numbers and e-mail addresses are replaced by salted SHA-256 pseudonyms before anything is written;
the salt comes from `pii.salt` when set (local demos, tests), else from the environment variable named by
`pii.salt_env`. Rows with a missing, malformed or repeated id, or a value that does not fit its type, go to
bronze.catalog_quarantine (partition ingest_date = --date) with their reasons; above
`ingest.max_quarantine_rate` the job writes that quarantine, upserts nothing and exits with 1. A dataset
whose raw folder does not exist (formats such as Taobao UserBehavior deliver no catalogue) is skipped.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
from collections.abc import Mapping, Sequence
from functools import reduce

from pyspark import StorageLevel
from pyspark.errors import AnalysisException
from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T

from shop_platform.cli import job_parser, parse_job_args
from shop_platform.logs import get_logger, timed
from shop_platform.session import get_spark
from shop_platform.settings import PiiSettings
from shop_platform.storage import Lake, open_lake
from transforms import columns as C
from transforms.ingest import items as item_rows
from transforms.ingest import users as user_rows
from transforms.ingest.catalog import catalog_quarantine_rows, catalog_rows, text_schema
from transforms.ingest.conservation import (
    IngestCounts,
    check_conservation,
    count_outcomes,
    over_quarantine_limit,
)
from transforms.schemas import (
    BRONZE_CATALOG_QUARANTINE_PARTITIONS,
    BRONZE_CATALOG_QUARANTINE_SCHEMA,
    BRONZE_ITEMS_SCHEMA,
    BRONZE_USERS_SCHEMA,
    RAW_ITEMS_SCHEMA,
    RAW_USERS_SCHEMA,
)

log = get_logger("jobs.ingest_catalog")

RAW_USERS = "raw/users"
RAW_ITEMS = "raw/items"
QUARANTINE_TABLE = "bronze.catalog_quarantine"
FILE_PATH = "_metadata.file_path"
FILE_MODIFICATION_TIME = "_metadata.file_modification_time"


class PiiSaltError(ValueError):
    """Neither `pii.salt` nor the environment variable `pii.salt_env` names holds a salt."""


def resolve_salt(settings: PiiSettings, environ: Mapping[str, str]) -> str:
    """`pii.salt` when set, else the value of the environment variable `pii.salt_env`."""
    if settings.salt:
        return settings.salt
    salt = environ.get(settings.salt_env, "")
    if salt:
        return salt
    raise PiiSaltError(
        f"no salt for PII pseudonyms: set the environment variable {settings.salt_env} (named by "
        f"pii.salt_env), or for a local demo the setting pii.salt (--set pii.salt=...)"
    )


def read_catalog(lake: Lake, folder: str, schema: T.StructType) -> DataFrame | None:
    """The CSV files of `folder` as text columns (catalog.text_schema) with SOURCE_FILE and INGESTED_AT,
    or None when the folder does not exist."""
    try:
        raw = lake.files.read_csv(folder, text_schema(schema))
    except AnalysisException as exc:
        if exc.getCondition() == "PATH_NOT_FOUND":
            log.warning("%s does not exist: no %s delivered, skipped", lake.files.path(folder), folder)
            return None
        raise
    return raw.select(
        *raw.columns,
        F.col(FILE_PATH).alias(C.SOURCE_FILE),
        F.col(FILE_MODIFICATION_TIME).alias(C.INGESTED_AT),
    )


def counted(checked: DataFrame, dataset: str, run_date: dt.date) -> IngestCounts:
    with timed(log, f"validate {dataset}"):
        counts = IngestCounts.from_rows(count_outcomes(checked).collect())
    check_conservation(counts, run_date)
    log.info(
        "%s: %d rows, %d valid, %d quarantined (%.2f%%) %s",
        dataset,
        counts.lines,
        counts.valid,
        counts.quarantined,
        100 * counts.quarantine_rate,
        counts.reasons,
    )
    return counts


def main(argv: Sequence[str] | None = None) -> int:
    """Ingest raw/users and raw/items into bronze."""
    parser = job_parser("Ingest the users and items deliveries into bronze, with PII pseudonymized.")
    ctx = parse_job_args(parser, argv)
    cfg, run_date = ctx.config, ctx.run_date
    try:
        salt = resolve_salt(cfg.pii, os.environ)
    except PiiSaltError as exc:
        log.error("%s", exc)
        return 2
    patterns = cfg.ingest.id_patterns

    spark = get_spark(cfg.spark, app_name="ingest_catalog")
    lake = open_lake(spark, cfg.lake)
    raw_users = read_catalog(lake, RAW_USERS, RAW_USERS_SCHEMA)
    raw_items = read_catalog(lake, RAW_ITEMS, RAW_ITEMS_SCHEMA)
    checked = {}
    if raw_users is not None:
        checked[user_rows.DATASET] = (
            user_rows.check_users(raw_users, salt, patterns.get(C.USER_ID)),
            C.USER_ID,
            lake.table("bronze.users", schema=BRONZE_USERS_SCHEMA),
        )
    if raw_items is not None:
        checked[item_rows.DATASET] = (
            item_rows.check_items(raw_items, patterns.get(C.ITEM_ID)),
            C.ITEM_ID,
            lake.table("bronze.items", schema=BRONZE_ITEMS_SCHEMA),
        )
    if not checked:
        log.error(
            "neither %s nor %s exists under %s: nothing to ingest", RAW_USERS, RAW_ITEMS, lake.files.root
        )
        return 1
    for rows, _key, _table in checked.values():
        rows.persist(StorageLevel.MEMORY_AND_DISK)
    try:
        counts = {dataset: counted(rows, dataset, run_date) for dataset, (rows, _, _) in checked.items()}
        quarantine = reduce(
            DataFrame.unionByName,
            [
                catalog_quarantine_rows(rows, dataset=dataset, key=key, ingest_date=run_date)
                for dataset, (rows, key, _) in checked.items()
            ],
        )
        lake.table(
            QUARANTINE_TABLE,
            schema=BRONZE_CATALOG_QUARANTINE_SCHEMA,
            partition_by=BRONZE_CATALOG_QUARANTINE_PARTITIONS,
        ).overwrite_partitions(quarantine, {C.INGEST_DATE: [run_date]})
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
        for rows, key, table in checked.values():
            table.upsert(catalog_rows(rows, table.declared_schema), keys=[key])
    finally:
        for rows, _key, _table in checked.values():
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
