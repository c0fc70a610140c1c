"""CSV inputs are read by header name: order never matters, extra columns are ignored, a missing or
misspelt required column stops the run before any row is read, and a shop's own names map by config."""

from __future__ import annotations

import pytest
from chispa import assert_df_equality
from pyspark.sql import functions as F

from jobs import ingest_catalog
from shop_platform.config import load_config
from shop_platform.storage import open_lake
from transforms import columns as C
from transforms.ingest.headers import ORDER_LINES, USERS, HeaderError, map_header, split_header
from transforms.schemas import RAW_USERS_SCHEMA

SALT = "pepper-for-tests"
USER_COLUMNS = RAW_USERS_SCHEMA.fieldNames()
U1 = {
    C.USER_ID: "u1",
    C.GENDER: "female",
    C.BIRTH_YEAR: "1990",
    C.CITY: "Hangzhou",
    C.CITY_TIER: "2",
    C.PROVINCE: "Zhejiang",
    C.REGISTRATION_DATE: "2025-01-02",
    C.REGISTRATION_CHANNEL: "app",
    C.DEVICE_PREFERENCE: "ios",
    C.PHONE: "13800138000",
    C.EMAIL: "li.hua@example.com",
}


def write_file(lake_root: str, relative: str, lines: list[str]) -> None:
    import pathlib

    path = pathlib.Path(lake_root, relative)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")


def run_catalog(lake_root: str, monkeypatch, *settings: str) -> int:
    monkeypatch.setenv("SHOP_PII_SALT", SALT)
    base = [f"lake.root={lake_root}", "lake.engine=embedded", "spark.shuffle_partitions=2", *settings]
    return ingest_catalog.main(["--date", "2026-10-05", *[a for s in base for a in ("--set", s)]])


def bronze(spark, lake_root: str, name: str):
    lake = open_lake(spark, load_config("local", [f"lake.root={lake_root}", "lake.engine=embedded"]).lake)
    return lake.table(name)


def test_a_header_in_another_order_maps_by_name():
    layout = map_header(split_header("EMAIL, user_id ,gender,x"), USERS, {}, "f.csv")
    assert layout.positions[C.EMAIL] == 0 and layout.positions[C.USER_ID] == 1
    assert layout.extra == ("x",)
    assert C.CITY in layout.absent and C.PHONE in layout.absent


def test_a_misspelt_required_header_names_expected_found_and_closest():
    with pytest.raises(HeaderError) as caught:
        map_header(split_header("user_idd,gendre,city"), USERS, {}, "raw/users/part-0.csv")
    message = str(caught.value)
    assert message.startswith(
        "raw/users/part-0.csv: the header lacks the required column(s) user_id (closest found: user_idd)"
    )
    assert "gender (closest found: gendre), which look misspelt" in message
    assert f"expected {','.join(USER_COLUMNS)}" in message
    assert "found user_idd,gendre,city" in message


def test_a_missing_optional_column_with_a_close_extra_column_is_taken_for_a_typo():
    with pytest.raises(HeaderError, match=r"lacks the column\(s\) gender \(closest found: gendre\)"):
        map_header(split_header("user_id,gendre"), USERS, {}, "f.csv")
    # Far from every optional column, an extra column is just ignored.
    assert map_header(split_header("user_id,loyalty_points"), USERS, {}, "f.csv").extra == ("loyalty_points",)


def test_a_configured_name_replaces_ours_and_required_order_columns_are_checked():
    layout = map_header(
        split_header("Buyer,OrderNo,Paid At"),
        ORDER_LINES,
        {C.USER_ID: "buyer", C.ORDER_ID: "orderno", "order_time": "paid at"},
        "f",
    )
    assert layout.positions == {C.USER_ID: 0, C.ORDER_ID: 1, "order_time": 2}
    with pytest.raises(HeaderError, match=r"lacks the required column\(s\) order_time"):
        map_header(split_header("user_id,order_id,item_id"), ORDER_LINES, {}, "f")


def test_users_with_email_and_city_swapped_land_in_the_right_columns(spark, lake_root, monkeypatch, capfd):
    # Another order, a quoted header name and an extra column: all read by name.
    header = [c for c in USER_COLUMNS if c not in (C.CITY, C.EMAIL)] + [C.EMAIL, C.CITY]
    line = ",".join(U1[c] for c in header)
    write_file(
        lake_root, "raw/users/users.csv", [",".join(f'"{c}"' for c in header) + ",loyalty", line + ",7"]
    )
    assert run_catalog(lake_root, monkeypatch) == 0

    users = bronze(spark, lake_root, "bronze.users").read()
    actual = users.select(C.USER_ID, C.CITY, C.PROVINCE, C.EMAIL_HASH)
    expected = spark.createDataFrame([("u1", "Hangzhou", "Zhejiang", None)], actual.schema).withColumn(
        C.EMAIL_HASH, F.sha2(F.lit(SALT + "li.hua@example.com"), 256)
    )
    assert_df_equality(actual, expected, ignore_nullable=True)
    logged = capfd.readouterr().err
    assert "raw/users: ignoring column(s) loyalty of 1 file(s)" in logged
    # The header line is no row: one row read, none quarantined.
    assert "users: 1 rows, 1 valid, 0 quarantined" in logged


def test_a_misspelt_users_header_stops_before_any_row_is_read(spark, lake_root, monkeypatch, capfd):
    header = ["user_idd", "gendre", *USER_COLUMNS[2:]]
    write_file(lake_root, "raw/users/users.csv", [",".join(header), ",".join(U1[c] for c in USER_COLUMNS)])
    assert run_catalog(lake_root, monkeypatch) == 1
    logged = capfd.readouterr().err
    assert "the header lacks the required column(s) user_id (closest found: user_idd)" in logged
    assert "nothing was read or written" in logged
    assert not bronze(spark, lake_root, "bronze.users").exists()


def test_files_with_different_headers_in_one_folder_are_each_mapped_by_their_own(
    spark, lake_root, monkeypatch
):
    write_file(lake_root, "raw/items/a.csv", ["item_id,brand,list_price", "i1,Midea,9.5"])
    write_file(lake_root, "raw/items/b.csv", ["list_price,item_id", "3.0,i2"])
    assert run_catalog(lake_root, monkeypatch) == 0
    actual = bronze(spark, lake_root, "bronze.items").read().select(C.ITEM_ID, C.BRAND, C.LIST_PRICE)
    expected = spark.createDataFrame([("i1", "Midea", 9.5), ("i2", None, 3.0)], actual.schema)
    assert_df_equality(actual, expected, ignore_row_order=True, ignore_nullable=True)


def test_a_configured_mapping_and_value_map_load_a_foreign_users_export(spark, lake_root, monkeypatch):
    write_file(lake_root, "raw/users/export.csv", ["Mobile,Member ID,Sex,Town", "13800138000,m-1,F,Ningbo"])
    settings = [
        "ingest.columns.users.user_id=Member ID",
        "ingest.columns.users.phone=mobile",
        "ingest.columns.users.gender=sex",
        "ingest.columns.users.city=town",
        "ingest.values.users.gender={F: female, M: male}",
    ]
    assert run_catalog(lake_root, monkeypatch, *settings) == 0
    row = bronze(spark, lake_root, "bronze.users").read().first()
    assert (row[C.USER_ID], row[C.GENDER], row[C.CITY]) == ("m-1", "female", "Ningbo")
    assert row[C.PHONE_HASH] is not None


def test_a_mapping_naming_an_unknown_column_is_a_configuration_error(lake_root, monkeypatch, capfd):
    assert run_catalog(lake_root, monkeypatch, "ingest.columns.users.nickname=nick") == 2
    assert "ingest.columns.users names nickname, which are not columns of users" in capfd.readouterr().err


def test_catalogue_rows_that_are_not_utf8_are_quarantined_as_bad_encoding(spark, lake_root, monkeypatch):
    import pathlib

    items = pathlib.Path(lake_root, "raw/items")
    items.mkdir(parents=True)
    good = b"item_id,brand\ni1,Midea\n"
    (items / "a.csv").write_bytes(good + b"i2,Bad\xff\xfeBrand\ni3,Nul\x00Brand\n")
    # A UTF-16 file: even its header is no UTF-8 text, so each of its lines is quarantined.
    (items / "b.csv").write_bytes("item_id,brand\ni4,Haier\n".encode("utf-16"))
    assert run_catalog(lake_root, monkeypatch, "ingest.max_quarantine_rate=1.0") == 0
    assert [r[C.ITEM_ID] for r in bronze(spark, lake_root, "bronze.items").read().collect()] == ["i1"]
    quarantine = bronze(spark, lake_root, "bronze.catalog_quarantine").read()
    reasons = quarantine.groupBy(F.col(C.SOURCE_FILE).endswith("b.csv").alias("utf16"), C.REASONS).count()
    assert sorted(tuple(r) for r in reasons.collect()) == [
        (False, ["bad_encoding"], 2),
        (True, ["bad_encoding"], 3),
    ]
