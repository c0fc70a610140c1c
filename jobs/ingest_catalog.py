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

A delivery already ingested is not ingested again: the job records the stamp of the files it upserted (their
names, sizes and modification times, with the settings, the salt's fingerprint and the suite's version;
shop_platform.storage.delivery_stamp) on bronze.users and bronze.items and, finding the same stamp on both,
logs that nothing changed and writes nothing (no quarantine partition for the date either: the delivery's
bad rows were quarantined under the date it was ingested). `--force` ingests it anyway.
"""

from __future__ import annotations

import argparse
import os
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
from transforms.ingest import items as item_rows
from transforms.ingest import users as user_rows
from transforms.ingest.catalog import RECORD_COLUMNS, catalog_rows, delivery_quarantine
from transforms.ingest.conservation import (
    IngestCounts,
    check_conservation,
    count_outcomes,
    over_quarantine_limit,
)
from transforms.ingest.headers import ITEMS, USERS, HeaderError
from transforms.ingest.mapping import SourceMapping, check_source_settings
from transforms.ingest.pii import SALT_FINGERPRINT, PiiSaltError, resolve_salt, salt_change, salt_fingerprint

log = get_logger("jobs.ingest_catalog")

RAW_USERS = delivery_folder(USERS.name)
RAW_ITEMS = delivery_folder(ITEMS.name)


def parser() -> argparse.ArgumentParser:
    parser = job_parser("Ingest the users and items deliveries into bronze, with PII pseudonymized.")
    parser.add_argument(
        "--rekey",
        action="store_true",
        help="accept a salt other than the one bronze.users' pseudonyms were made with, and record it "
        "(deliver every user: users not in the delivery keep pseudonyms of the old salt)",
    )
    parser.add_argument(
        "--force", action="store_true", help="ingest the delivery even when it is the one ingested last"
    )
    return parser


def run(ctx: JobContext) -> int:
    """Ingest raw/users and raw/items into bronze; returns the exit status."""
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
    users_table, items_table = lake.table(tables.USERS), lake.table(tables.ITEMS)
    fingerprint = salt_fingerprint(salt)
    settings = {"ingest": cfg.ingest, "pii_columns": cfg.pii.columns, "salt_fingerprint": fingerprint}
    delivery = Delivery.listed(lake.files, (RAW_USERS, RAW_ITEMS), settings)
    targets = [t for t, f in ((users_table, RAW_USERS), (items_table, RAW_ITEMS)) if delivery.delivered(f)]
    if not (ctx.args.force or ctx.args.rekey) and delivery.already_ingested(targets):
        log.info("%s", delivery.unchanged_message())
        return 0
    mapping = partial(SourceMapping.from_settings, settings=cfg.ingest)
    try:
        raw_users = read_csv_delivery(lake.files, RAW_USERS, mapping(USERS), RECORD_COLUMNS)
        raw_items = read_csv_delivery(lake.files, RAW_ITEMS, mapping(ITEMS), RECORD_COLUMNS)
    except HeaderError as exc:
        log.error("%s; nothing was read or written", exc)
        return 1
    if raw_users is not None:
        recorded = users_table.properties().get(SALT_FINGERPRINT) if users_table.exists() else None
        may_write, message = salt_change(users_table.name, recorded, fingerprint, cfg.pii, ctx.args.rekey)
        if message is not None:
            (log.warning if may_write else log.error)("%s", message)
        if not may_write:
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
            items_table,
        )
    if not checked:
        log.error(
            "neither %s nor %s exists under %s: nothing to ingest", RAW_USERS, RAW_ITEMS, lake.files.root
        )
        return 1
    for rows, _key, _table in checked.values():
        rows.persist(StorageLevel.MEMORY_AND_DISK)
    quarantine = lake.table(tables.CATALOG_QUARANTINE)
    try:
        counts = {}
        for dataset, (rows, _key, _table) in checked.items():
            with timed(log, f"validate {dataset}"):
                counts[dataset] = IngestCounts.from_rows(count_outcomes(rows).collect())
            check_conservation(counts[dataset], run_date)
            log.info("%s: %s", dataset, counts[dataset].summary())
        quarantine.overwrite_partitions(
            delivery_quarantine(
                {d: (rows, key) for d, (rows, key, _) in checked.items()}, run_date, cfg.pii.columns
            ),
            {C.INGEST_DATE: [run_date]},
        )
        too_dirty = over_quarantine_limit(counts, cfg.ingest.max_quarantine_rate)
        if too_dirty:
            log.error(
                "quarantine rate above ingest.max_quarantine_rate = %.2f%%: %s; the rows are in %s "
                "(ingest_date=%s); nothing was upserted",
                100 * cfg.ingest.max_quarantine_rate, too_dirty, quarantine.name, run_date,
            )  # fmt: skip
            return 1
        for dataset, (rows, key, table) in checked.items():
            table.upsert(catalog_rows(rows, table.declared_schema), keys=[key])
            recorded = {DELIVERY_STAMP: delivery.stamp}
            if dataset == user_rows.DATASET:
                recorded[SALT_FINGERPRINT] = fingerprint
            table.set_properties(recorded)
    finally:
        for rows, _key, _table in checked.values():
            rows.unpersist()
    log.info(
        "upserted %s; %d rows quarantined in %s",
        ", ".join(f"{counts[d].valid} {d} into {table.name}" for d, (_, _, table) in checked.items()),
        sum(c.quarantined for c in counts.values()),
        quarantine.name,
    )
    return 0


main = command(parser, run)

if __name__ == "__main__":
    sys.exit(main())
