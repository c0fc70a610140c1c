"""PII pseudonyms: salted SHA-256, deterministic, salt-dependent; raw phone and e-mail never reach bronze."""

from __future__ import annotations

import hashlib

import pytest
from chispa import assert_df_equality
from pyspark.sql import functions as F
from pyspark.sql import types as T

from jobs import ingest_catalog
from shop_platform.config import load_config
from shop_platform.settings import PiiSettings
from shop_platform.storage import open_lake
from shop_platform.storage.files import LakeFiles
from transforms import columns as C
from transforms.ingest.pii import (
    SALT_FINGERPRINT,
    PiiSaltError,
    pseudonymize_contacts,
    resolve_salt,
    salt_change,
    salt_fingerprint,
)
from transforms.schemas import RAW_ITEMS_SCHEMA, RAW_USERS_SCHEMA

SALT = "pepper-for-tests"
CONTACTS = T.StructType([T.StructField(name, T.StringType()) for name in (C.USER_ID, C.PHONE, C.EMAIL)])


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def test_pseudonyms_are_salted_sha256_of_the_normalized_value(spark):
    users = spark.createDataFrame(
        [("u1", "138 0013-8000", " Li.Hua@Example.COM "), ("u2", None, "")], CONTACTS
    )
    actual = users.transform(pseudonymize_contacts, salt=SALT)
    expected = spark.createDataFrame(
        [("u1", sha256(SALT + "13800138000"), sha256(SALT + "li.hua@example.com")), ("u2", None, None)],
        [C.USER_ID, C.PHONE_HASH, C.EMAIL_HASH],
    )
    assert_df_equality(actual, expected, ignore_nullable=True)


def test_pseudonyms_are_deterministic_and_change_with_the_salt(spark):
    users = spark.createDataFrame([("u1", "13800138000", "a@b.cn")], CONTACTS)
    first, again, other = (
        users.transform(pseudonymize_contacts, salt=salt).first() for salt in (SALT, SALT, "another-salt")
    )
    assert first == again
    assert first[C.PHONE_HASH] != other[C.PHONE_HASH] and first[C.EMAIL_HASH] != other[C.EMAIL_HASH]


def test_the_salt_comes_from_the_setting_or_the_named_environment_variable():
    assert resolve_salt(PiiSettings("MY_SALT"), {"MY_SALT": "s1"}) == "s1"
    assert resolve_salt(PiiSettings("MY_SALT", salt="s2"), {"MY_SALT": "s1"}) == "s2"
    with pytest.raises(PiiSaltError, match=r"environment variable MY_SALT .*pii.salt"):
        resolve_salt(PiiSettings("MY_SALT"), {"MY_SALT": ""})


def test_a_table_takes_the_salt_it_has_none_of_and_refuses_another_unless_rekeyed():
    settings = PiiSettings("MY_SALT")
    assert salt_change("bronze.users", None, "f1", settings, rekey=False) == (True, None)
    assert salt_change("bronze.users", "f1", "f1", settings, rekey=False) == (True, None)
    refused, error = salt_change("bronze.users", "f0", "f1", settings, rekey=False)
    assert not refused
    assert error.startswith(
        "the PII salt (from $MY_SALT, named by pii.salt_env) is not the one bronze.users'"
    )
    assert "(salt fingerprint f0 recorded, f1 now)" in error and "nothing was written" in error
    rekeyed, warning = salt_change("bronze.users", "f0", "f1", settings, rekey=True)
    assert rekeyed and warning.startswith("--rekey: bronze.users's pseudonyms were made with another salt")
    _, from_setting = salt_change("bronze.users", "f0", "f1", PiiSettings("MY_SALT", salt="s"), rekey=False)
    assert "(from pii.salt; runs without it read $MY_SALT, named by pii.salt_env)" in from_setting


def test_the_catalog_job_stops_before_spark_without_a_salt(lake_root, monkeypatch, capfd):
    monkeypatch.delenv("SHOP_PII_SALT", raising=False)
    assert ingest_catalog.main(["--date", "2026-10-05", "--set", f"lake.root={lake_root}"]) == 2
    assert "set the environment variable SHOP_PII_SALT" in capfd.readouterr().err


def test_bronze_users_hold_pseudonyms_and_no_raw_pii(spark, lake_root, monkeypatch):
    users = [
        ("u1", "female", "1990", "Hangzhou", "2", "Zhejiang", "2025-01-02", "app", "ios", "13800138000", "a@b.cn"),
        ("u2", "male", "n/a", "Suzhou", "2", "Jiangsu", "2025-03-04", "web", "web", "13900139000", "c@d.cn"),
        (None, "male", "1980", "Wuxi", "3", "Jiangsu", "2025-03-04", "web", "web", "13700137000", "e@f.cn"),
    ]  # fmt: skip
    items = [
        ("i1", "home", "kitchen", "Midea", "99.5", "2025-01-01"),
        ("i2", "home", "bath", "X", "cheap", ""),
    ]
    files = LakeFiles(spark, lake_root)
    files.write_csv(
        spark.createDataFrame(users, [f.name for f in RAW_USERS_SCHEMA.fields]).coalesce(1), "raw/users"
    )
    files.write_csv(
        spark.createDataFrame(items, [f.name for f in RAW_ITEMS_SCHEMA.fields]).coalesce(1), "raw/items"
    )
    monkeypatch.setenv("SHOP_PII_SALT", SALT)
    settings = [f"lake.root={lake_root}", "lake.engine=embedded", "spark.shuffle_partitions=2"]
    argv = [
        "--date",
        "2026-10-05",
        *[a for s in settings for a in ("--set", s)],
        "--set",
        "ingest.max_quarantine_rate=0.7",
    ]
    assert ingest_catalog.main(argv) == 0

    lake = open_lake(spark, load_config("local", settings[:2]).lake)
    bronze_users = lake.table("bronze.users").read()
    assert C.PHONE not in bronze_users.columns and C.EMAIL not in bronze_users.columns
    actual = bronze_users.select(C.USER_ID, C.BIRTH_YEAR, C.PHONE_HASH, C.EMAIL_HASH)
    expected = spark.createDataFrame(
        [("u1", 1990, sha256(SALT + "13800138000"), sha256(SALT + "a@b.cn"))], actual.schema
    )
    assert_df_equality(actual, expected, ignore_nullable=True)

    quarantine = lake.table("bronze.catalog_quarantine").read()
    actual_quarantine = quarantine.select(C.DATASET, C.RECORD_ID, C.REASONS)
    expected_quarantine = spark.createDataFrame(
        [
            ("users", "u2", ["wrong_type:birth_year"]),
            ("users", None, ["missing:user_id"]),
            ("items", "i2", ["wrong_type:list_price"]),
        ],
        actual_quarantine.schema,
    )
    assert_df_equality(actual_quarantine, expected_quarantine, ignore_row_order=True)
    assert [row[C.ITEM_ID] for row in lake.table("bronze.items").read().collect()] == ["i1"]
    # No raw phone number or address anywhere in what the job wrote.
    written = bronze_users.select(F.to_json(F.struct("*"))).union(quarantine.select(F.to_json(F.struct("*"))))
    text = " ".join(row[0] for row in written.collect())
    for phone, email in [(u[9], u[10]) for u in users]:
        assert phone not in text and email not in text


def write_users(lake_root: str, lines: list[str]) -> None:
    import pathlib

    path = pathlib.Path(lake_root, "raw/users/users.csv")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")


def run_users(lake_root: str, monkeypatch, salt: str, *args: str) -> int:
    monkeypatch.setenv("SHOP_PII_SALT", salt)
    settings = [f"lake.root={lake_root}", "lake.engine=embedded", "spark.shuffle_partitions=2"]
    settings.append("ingest.max_quarantine_rate=1.0")
    return ingest_catalog.main(["--date", "2026-10-05", *[a for s in settings for a in ("--set", s)], *args])


def test_a_shifted_users_row_is_quarantined_with_phone_and_email_masked(spark, lake_root, monkeypatch):
    header = ",".join(RAW_USERS_SCHEMA.fieldNames())
    # City is missing, so every later field moves one column left: the phone lands in device_preference.
    shifted = "u2,male,1980,3,Jiangsu,2025-03-04,web,139 0013 9000,c.d@example.org"
    fine = "u1,female,1990,Hangzhou,2,Zhejiang,2025-01-02,app,ios,13800138000,a@b.cn"
    write_users(lake_root, [header, fine, shifted])
    assert run_users(lake_root, monkeypatch, SALT) == 0

    lake = open_lake(spark, load_config("local", [f"lake.root={lake_root}", "lake.engine=embedded"]).lake)
    quarantined = lake.table("bronze.catalog_quarantine").read().collect()
    assert [(row[C.RECORD_ID], row[C.REASONS]) for row in quarantined] == [("u2", ["malformed_csv"])]
    record = quarantined[0][C.RECORD]
    assert "139 0013 9000" not in record and "c.d@example.org" not in record
    assert "[phone]" in record


def test_configured_pii_columns_are_masked_in_the_quarantine_record(spark, lake_root, monkeypatch):
    header = ",".join(RAW_USERS_SCHEMA.fieldNames())
    write_users(lake_root, [header, "u1,female,n/a,Hangzhou,2,Zhejiang,2025-01-02,app,ios,,"])
    monkeypatch.setenv("SHOP_PII_SALT", SALT)
    settings = [f"lake.root={lake_root}", "lake.engine=embedded", "ingest.max_quarantine_rate=1.0"]
    settings.append("pii.columns.users=[phone, email, city]")
    assert ingest_catalog.main(["--date", "2026-10-05", *[a for s in settings for a in ("--set", s)]]) == 0
    lake = open_lake(spark, load_config("local", settings[:2]).lake)
    record = lake.table("bronze.catalog_quarantine").read().first()[C.RECORD]
    assert '"city":"[masked]"' in record and "Hangzhou" not in record and '"province":"Zhejiang"' in record


def test_a_run_with_another_salt_stops_before_writing_unless_told_to_rekey(
    spark, lake_root, monkeypatch, capfd
):
    header = ",".join(RAW_USERS_SCHEMA.fieldNames())
    write_users(
        lake_root, [header, "u1,female,1990,Hangzhou,2,Zhejiang,2025-01-02,app,ios,13800138000,a@b.cn"]
    )
    assert run_users(lake_root, monkeypatch, SALT) == 0
    lake = open_lake(spark, load_config("local", [f"lake.root={lake_root}", "lake.engine=embedded"]).lake)
    users = lake.table("bronze.users")
    recorded = users.properties()[SALT_FINGERPRINT]
    assert recorded == salt_fingerprint(SALT) and SALT not in recorded
    version = users.version()

    assert run_users(lake_root, monkeypatch, "another-salt") == 1
    logged = capfd.readouterr().err
    assert "the PII salt (from $SHOP_PII_SALT, named by pii.salt_env) is not the one bronze.users'" in logged
    assert "nothing was written" in logged
    assert users.version() == version
    assert users.read().first()[C.PHONE_HASH] == sha256(SALT + "13800138000")

    assert run_users(lake_root, monkeypatch, "another-salt", "--rekey") == 0
    assert users.read().first()[C.PHONE_HASH] == sha256("another-salt" + "13800138000")
    assert users.properties()[SALT_FINGERPRINT] == salt_fingerprint("another-salt")
    assert run_users(lake_root, monkeypatch, "another-salt") == 0
