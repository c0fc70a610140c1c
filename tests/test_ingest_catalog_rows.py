"""A catalogue-style delivery's quarantine: every dataset's rejected rows in one frame, PII masked."""

from __future__ import annotations

import datetime as dt

from chispa import assert_df_equality
from pyspark.sql import types as T

from transforms import columns as C
from transforms.ingest.catalog import delivery_quarantine
from transforms.schemas import BRONZE_CATALOG_QUARANTINE_SCHEMA

D = dt.date(2026, 10, 5)
LANDED = dt.datetime(2026, 10, 5, 1, 0)


def checked(spark, key: str, rows: list[tuple]):
    """`check_catalog`-shaped rows: (key, RECORD, REASONS)."""
    schema = T.StructType(
        [
            T.StructField(key, T.StringType()),
            T.StructField(C.SOURCE_FILE, T.StringType()),
            T.StructField(C.INGESTED_AT, T.TimestampType()),
            T.StructField(C.RECORD, T.StringType()),
            T.StructField(C.REASONS, T.ArrayType(T.StringType(), containsNull=False)),
        ]
    )
    return spark.createDataFrame(
        [(k, "f.csv", LANDED, record, reasons) for k, record, reasons in rows], schema
    )


def test_every_dataset_quarantines_its_rejected_rows_under_its_key_with_its_pii_masked(spark):
    users = checked(
        spark,
        C.USER_ID,
        [
            ("u1", '{"city":"Hangzhou"}', []),
            ("u2", '{"city":"Suzhou","birth_year":"n/a"}', ["wrong_type:birth_year"]),
        ],
    )
    items = checked(spark, C.ITEM_ID, [("i 1", '{"brand":"Midea"}', ["bad_id:item_id"])])

    actual = delivery_quarantine(
        {"users": (users, C.USER_ID), "items": (items, C.ITEM_ID)}, D, pii_columns={"users": ["city"]}
    )

    expected = spark.createDataFrame(
        [
            (
                "users",
                "u2",
                ["wrong_type:birth_year"],
                '{"city":"[masked]","birth_year":"n/a"}',
                "f.csv",
                LANDED,
                D,
            ),
            ("items", "i 1", ["bad_id:item_id"], '{"brand":"Midea"}', "f.csv", LANDED, D),
        ],
        BRONZE_CATALOG_QUARANTINE_SCHEMA,
    )
    assert_df_equality(actual, expected, ignore_row_order=True, ignore_nullable=True)
