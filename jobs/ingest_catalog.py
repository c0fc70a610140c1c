"""Ingest the users and items deliveries into bronze.users and bronze.items (upsert by id).

    SHOP_PII_SALT=... python -m jobs.ingest_catalog --env local --date 2026-10-07

Phone numbers and e-mail addresses are replaced by salted SHA-256 pseudonyms before anything is written;
the salt comes from `pii.salt` when set (local demos, tests), else from the environment variable named by
`pii.salt_env`. Rows with a missing, malformed or repeated id, or a value that does not fit its type, go to
bronze.catalog_quarantine (partition ingest_date = --date) with their reasons, phone- and e-mail-like values
and `pii.columns` masked; above
`ingest.max_quarantine_rate` the job writes that quarantine, upserts nothing and exits with 1. A dataset
whose raw folder does not exist (formats such as Taobao UserBehavior deliver no catalogue) is skipped.

Files are read by header name (transforms/ingest/headers.py): a file lacking a required column stops the
run before any row is read. bronze.users records the fingerprint of the salt its pseudonyms were made
with (table property `shop.pii_salt_fingerprint`, a SHA-256 of the salt, never the salt); a run with
another salt stops before writing anything, unless `--rekey`, which upserts the delivery with the new salt
and records its fingerprint (deliver every user then: users not delivered keep the old pseudonyms).
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
from shop_platform.settings import IngestSettings, PiiSettings
from shop_platform.storage import Lake, LakeTable, open_lake
from transforms import columns as C
from transforms.ingest import items as item_rows
from transforms.ingest import users as user_rows
from transforms.ingest.catalog import catalog_quarantine_rows, catalog_rows
from transforms.ingest.conservation import (
    IngestCounts,
    check_conservation,
    count_outcomes,
    over_quarantine_limit,
)
from transforms.ingest.headers import ITEMS, USERS, HeaderError, Source
from transforms.ingest.mapping import SourceMapping, check_source_settings, read_schema
from transforms.ingest.pii import salt_fingerprint
from transforms.schemas import (
    BRONZE_CATALOG_QUARANTINE_PARTITIONS,
    BRONZE_CATALOG_QUARANTINE_SCHEMA,
    BRONZE_ITEMS_SCHEMA,
    BRONZE_USERS_SCHEMA,
)

log = get_logger("jobs.ingest_catalog")

RAW_USERS = "raw/users"
RAW_ITEMS = "raw/items"
QUARANTINE_TABLE = "bronze.catalog_quarantine"
USERS_TABLE = "bronze.users"
# Table property of bronze.users: which salt its pseudonyms were made with (a hash of it, never the salt).
SALT_FINGERPRINT = "shop.pii_salt_fingerprint"
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


def read_catalog(lake: Lake, folder: str, source: Source, settings: IngestSettings) -> DataFrame | None:
    """The CSV files of `folder` mapped by header name onto `source`'s columns (as text), with
    CORRUPT_RECORD, SOURCE_FILE and INGESTED_AT; None when the folder does not exist.

    Each file's header is read first (one line per file), so a file lacking a required column stops the
    run before any row is read. Files with different headers are read group by group and united.

    Raises:
        HeaderError: naming the file, the expected and the found columns.
    """
    try:
        files = lake.files.list_files(folder)
    except AnalysisException as exc:
        if exc.getCondition() == "PATH_NOT_FOUND":
            log.warning("%s does not exist: no %s delivered, skipped", lake.files.path(folder), folder)
            return None
        raise
    mapping = SourceMapping.from_settings(source, settings)
    groups, undecodable = mapping.group_files(lake.files.first_lines(files))
    metadata = (F.col(FILE_PATH).alias(C.SOURCE_FILE), F.col(FILE_MODIFICATION_TIME).alias(C.INGESTED_AT))
    frames = []
    for group in groups:
        layout = group.layout
        if layout.extra:
            log.info(
                "%s: ignoring column(s) %s of %d file(s)", folder, ",".join(layout.extra), len(group.files)
            )
        if layout.absent:
            log.warning(
                "%s: optional column(s) %s absent from %d file(s), loaded as null",
                folder,
                ",".join(layout.absent),
                len(group.files),
            )
        raw = lake.files.read_csv_files(group.files, read_schema(layout, C.CORRUPT_RECORD))
        frames.append(mapping.select_columns(raw, layout, F.col(C.CORRUPT_RECORD), *metadata))
    if undecodable:
        log.warning("%s: %s not UTF-8 text; their lines go to quarantine", folder, ", ".join(undecodable))
        lines = lake.files.read_text_files(undecodable)
        frames.append(
            lines.select(
                *[F.lit(None).cast(T.StringType()).alias(name) for name in source.columns],
                F.col(C.VALUE).alias(C.CORRUPT_RECORD),
                *metadata,
            )
        )
    if not frames:
        log.warning("%s holds no rows", lake.files.path(folder))
        schema = T.StructType(
            [T.StructField(n, T.StringType()) for n in (*source.columns, C.CORRUPT_RECORD, C.SOURCE_FILE)]
            + [T.StructField(C.INGESTED_AT, T.TimestampType())]
        )
        return lake.files.spark.createDataFrame([], schema)
    return reduce(DataFrame.unionByName, frames)


def salt_matches(users: LakeTable, fingerprint: str, settings: PiiSettings, rekey: bool) -> bool:
    """Whether bronze.users' pseudonyms were made with the salt of `fingerprint` (or may be re-keyed).

    A table without a recorded fingerprint (new, or older than the record) takes this run's.
    """
    recorded = users.properties().get(SALT_FINGERPRINT) if users.exists() else None
    if recorded is None or recorded == fingerprint:
        return True
    if rekey:
        log.warning(
            "--rekey: %s's pseudonyms were made with another salt (fingerprint %s); this run's salt "
            "(fingerprint %s) is recorded after the upsert, and users not in this delivery keep "
            "pseudonyms of the old salt",
            USERS_TABLE,
            recorded,
            fingerprint,
        )
        return True
    source = (
        f"pii.salt; runs without it read ${settings.salt_env}, named by pii.salt_env"
        if settings.salt
        else f"${settings.salt_env}, named by pii.salt_env"
    )
    log.error(
        "the PII salt (from %s) is not the one %s's pseudonyms were made with (salt fingerprint %s "
        "recorded, %s now): joins on phone_hash/email_hash across runs would break; nothing was written. "
        "Set the original salt, or re-key with a complete users delivery and --rekey",
        source,
        USERS_TABLE,
        recorded,
        fingerprint,
    )
    return False


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
    parser.add_argument(
        "--rekey",
        action="store_true",
        help="accept a salt other than the one bronze.users' pseudonyms were made with, and record it "
        "(deliver every user: users not in the delivery keep pseudonyms of the old salt)",
    )
    ctx = parse_job_args(parser, argv)
    cfg, run_date = ctx.config, ctx.run_date
    try:
        salt = resolve_salt(cfg.pii, os.environ)
    except PiiSaltError as exc:
        log.error("%s", exc)
        return 2
    patterns = cfg.ingest.id_patterns
    try:
        check_source_settings(cfg.ingest)
    except ValueError as exc:
        log.error("configuration error: %s", exc)
        return 2

    spark = get_spark(cfg.spark, app_name="ingest_catalog")
    lake = open_lake(spark, cfg.lake)
    try:
        raw_users = read_catalog(lake, RAW_USERS, USERS, cfg.ingest)
        raw_items = read_catalog(lake, RAW_ITEMS, ITEMS, cfg.ingest)
    except HeaderError as exc:
        log.error("%s; nothing was read or written", exc)
        return 1
    users_table = lake.table(USERS_TABLE, schema=BRONZE_USERS_SCHEMA)
    fingerprint = salt_fingerprint(salt)
    if raw_users is not None and not salt_matches(users_table, fingerprint, cfg.pii, ctx.args.rekey):
        return 1
    checked = {}
    if raw_users is not None:
        checked[user_rows.DATASET] = (
            user_rows.check_users(raw_users, salt, patterns.get(C.USER_ID)),
            C.USER_ID,
            users_table,
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
                catalog_quarantine_rows(
                    rows,
                    dataset=dataset,
                    key=key,
                    ingest_date=run_date,
                    pii_columns=cfg.pii.columns.get(dataset, ()),
                )
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
        if user_rows.DATASET in checked and users_table.properties().get(SALT_FINGERPRINT) != fingerprint:
            users_table.set_properties({SALT_FINGERPRINT: fingerprint})
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
