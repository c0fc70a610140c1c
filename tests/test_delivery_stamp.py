"""A catalogue-style delivery already ingested is not ingested again: same files, settings and salt write
nothing; a changed, added or removed file, another setting or `--force` ingest it."""

from __future__ import annotations

import os
import pathlib

from jobs import ingest_campaigns, ingest_catalog
from shop_platform.storage.delivery_stamp import DELIVERY_STAMP
from tests.job_logs import job_log_of
from tests.test_ingest_headers import SALT, bronze, write_file

USERS = ["user_id,gender", "u1,female", "u2,male"]
ITEMS = ["item_id,brand", "i1,Midea"]


def run_catalog(lake_root, monkeypatch, *args, salt=SALT):
    monkeypatch.setenv("SHOP_PII_SALT", salt)
    settings = [f"lake.root={lake_root}", "lake.engine=embedded", "spark.shuffle_partitions=2"]
    settings += [a.removeprefix("set:") for a in args if a.startswith("set:")]
    flags = [a for a in args if not a.startswith("set:")]
    argv = ["--date", "2026-10-05", *[a for s in settings for a in ("--set", s)], *flags]
    with job_log_of("jobs.ingest_catalog") as log:
        assert ingest_catalog.main(argv) == 0
    return "\n".join(log.messages)


def versions(spark, lake_root):
    return {name: bronze(spark, lake_root, name).version() for name in ("bronze.users", "bronze.items")}


def test_an_unchanged_catalogue_is_not_ingested_again(spark, lake_root, monkeypatch):
    write_file(lake_root, "raw/users/users.csv", USERS)
    write_file(lake_root, "raw/items/items.csv", ITEMS)
    run_catalog(lake_root, monkeypatch)
    stamp = bronze(spark, lake_root, "bronze.users").properties()[DELIVERY_STAMP]
    assert bronze(spark, lake_root, "bronze.items").properties()[DELIVERY_STAMP] == stamp
    first = versions(spark, lake_root)

    logged = run_catalog(lake_root, monkeypatch)
    assert "raw/users and raw/items unchanged since last ingested" in logged
    assert versions(spark, lake_root) == first

    # Another setting (here the quarantine limit) may change what the rows become: ingested again.
    assert "unchanged" not in run_catalog(lake_root, monkeypatch, "set:ingest.max_quarantine_rate=0.5")
    assert versions(spark, lake_root) != first
    assert "unchanged" not in run_catalog(lake_root, monkeypatch, "--force")


def test_a_changed_added_or_removed_file_is_ingested(spark, lake_root, monkeypatch):
    write_file(lake_root, "raw/users/users.csv", USERS)
    write_file(lake_root, "raw/items/items.csv", ITEMS)
    run_catalog(lake_root, monkeypatch)

    # Same size and name, another modification time: a re-delivered file counts as new.
    items = pathlib.Path(lake_root, "raw/items/items.csv")
    stat = items.stat()
    items.write_text("item_id,brand\ni1,Haier\n", encoding="utf-8")
    os.utime(items, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    assert "unchanged" not in run_catalog(lake_root, monkeypatch)
    assert [r["brand"] for r in bronze(spark, lake_root, "bronze.items").read().collect()] == ["Haier"]

    write_file(lake_root, "raw/items/more.csv", ["item_id,brand", "i2,Gree"])
    assert "unchanged" not in run_catalog(lake_root, monkeypatch)
    assert bronze(spark, lake_root, "bronze.items").read().count() == 2

    os.remove(pathlib.Path(lake_root, "raw/items/more.csv"))
    assert "unchanged" not in run_catalog(lake_root, monkeypatch)
    assert "unchanged" in run_catalog(lake_root, monkeypatch)


def test_another_salt_is_never_taken_for_an_unchanged_delivery(spark, lake_root, monkeypatch, capfd):
    write_file(lake_root, "raw/users/users.csv", USERS)
    run_catalog(lake_root, monkeypatch)
    monkeypatch.setenv("SHOP_PII_SALT", "another-salt")
    argv = ["--date", "2026-10-05", "--set", f"lake.root={lake_root}", "--set", "lake.engine=embedded"]
    assert ingest_catalog.main(argv) == 1
    assert "is not the one bronze.users'" in capfd.readouterr().err


def test_unchanged_campaign_exports_are_not_ingested_again(spark, lake_root):
    write_file(
        lake_root,
        "raw/campaigns/c.csv",
        ["campaign_id,name,start_date,end_date", "c1,A,2026-10-01,2026-10-09"],
    )
    write_file(lake_root, "raw/campaign_assignments/a.csv", ["campaign_id,user_id,group", "c1,u1,treatment"])
    argv = ["--date", "2026-10-05", "--set", f"lake.root={lake_root}", "--set", "lake.engine=embedded"]
    assert ingest_campaigns.main(argv) == 0
    tables = ("bronze.campaigns", "bronze.campaign_assignments")
    first = {name: bronze(spark, lake_root, name).version() for name in tables}
    with job_log_of("jobs.ingest_campaigns") as log:
        assert ingest_campaigns.main(argv) == 0
    assert "raw/campaigns and raw/campaign_assignments unchanged since last ingested" in "\n".join(
        log.messages
    )
    assert {name: bronze(spark, lake_root, name).version() for name in tables} == first
    with job_log_of("jobs.ingest_campaigns") as log:
        assert ingest_campaigns.main([*argv, "--force"]) == 0
    assert "unchanged" not in "\n".join(log.messages)
