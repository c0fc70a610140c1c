"""Raw deliveries read through shop_platform.storage.raw_files: by header name, by raw date, from an export."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from chispa import assert_df_equality
from pyspark.sql import functions as F
from pyspark.sql import types as T

from shop_platform.session import session_options
from shop_platform.storage.files import LakeFiles
from shop_platform.storage.raw_files import (
    delivery_folder,
    export_location,
    first_lines,
    read_csv_delivery,
    read_deliveries,
)
from transforms import columns as C
from transforms.ingest.catalog import RECORD_COLUMNS
from transforms.ingest.headers import CAMPAIGN_ASSIGNMENTS
from transforms.ingest.mapping import SourceMapping
from transforms.ingest.shape import LINE_COLUMNS

D = dt.date(2026, 10, 5)


def write(root: str, relative: str, data: bytes) -> Path:
    path = Path(root, relative)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def file_name(column: str):
    return F.element_at(F.split(F.col(column), "/"), -1)


def test_a_delivery_is_mapped_by_header_name_file_by_file(spark, lake_root):
    folder = delivery_folder(CAMPAIGN_ASSIGNMENTS.name)
    write(lake_root, f"{folder}/a.csv", b"campaign_id,user_id,group\nc1,u1,treatment\n")
    # Another column order, and a column we do not use.
    write(lake_root, f"{folder}/b.csv", b"user_id,group,campaign_id,note\nu2,control,c1,hi\n")
    # A header that is no UTF-8 text: every line of the file goes whole to the corrupt record column.
    write(lake_root, f"{folder}/c.csv", b"campaign_id,user_id,group\xff\nc2,u4,control\n")

    rows = read_csv_delivery(
        LakeFiles(spark, lake_root), folder, SourceMapping(CAMPAIGN_ASSIGNMENTS), RECORD_COLUMNS
    )

    assert rows.columns == [*CAMPAIGN_ASSIGNMENTS.columns, *RECORD_COLUMNS]
    actual = rows.select(
        *CAMPAIGN_ASSIGNMENTS.columns, C.CORRUPT_RECORD, file_name(C.SOURCE_FILE).alias("file")
    )
    expected = spark.createDataFrame(
        [
            ("c1", "u1", "treatment", None, "a.csv"),
            ("c1", "u2", "control", None, "b.csv"),
            (None, None, None, "c2,u4,control", "c.csv"),
        ],
        actual.schema,
    )
    # Spark refuses a query of the corrupt record column alone, so the header line is checked as collected.
    collected = actual.collect()
    header = [
        row for row in collected if (row[C.CORRUPT_RECORD] or "").startswith("campaign_id,user_id,group")
    ]
    assert [row["file"] for row in header] == ["c.csv"]
    rest = spark.createDataFrame([row for row in collected if row not in header], actual.schema)
    assert_df_equality(rest, expected, ignore_row_order=True)
    assert rows.where(F.col(C.INGESTED_AT).isNull()).isEmpty()


def test_a_delivery_whose_folder_is_missing_reads_as_none(spark, lake_root):
    files = LakeFiles(spark, lake_root)
    assert read_csv_delivery(files, "raw/items", SourceMapping(CAMPAIGN_ASSIGNMENTS), RECORD_COLUMNS) is None


def test_a_back_fill_reads_the_dates_that_have_a_folder_and_a_daily_run_needs_its_own(spark, lake_root):
    write(lake_root, f"raw/events/date={D}/part-0.txt", b'{"event_id":"e1"}\n{"event_id":"e2"}\n')
    files = LakeFiles(spark, lake_root)

    lines, found = read_deliveries(
        files, "raw/events", [D - dt.timedelta(days=1), D], None, LINE_COLUMNS, "both"
    )

    assert found == [D]
    actual = lines.select(C.RAW_LINE, file_name(C.SOURCE_FILE).alias("file"), C.INGEST_DATE)
    schema = T.StructType(
        [
            T.StructField(C.RAW_LINE, T.StringType()),
            T.StructField("file", T.StringType()),
            T.StructField(C.INGEST_DATE, T.DateType()),
        ]
    )
    expected = spark.createDataFrame(
        [('{"event_id":"e1"}', "part-0.txt", D), ('{"event_id":"e2"}', "part-0.txt", D)], schema
    )
    assert_df_equality(actual, expected, ignore_row_order=True, ignore_nullable=True)
    assert lines.columns == list(LINE_COLUMNS)
    assert read_deliveries(files, "raw/events", [D - dt.timedelta(days=1)], None, LINE_COLUMNS, "both") == (
        None,
        [],
    )


def test_a_back_fill_reads_all_its_folders_in_one_scan_and_files_each_line_under_its_folders_date(
    spark, lake_root, capsys
):
    write(lake_root, f"raw/events/date={D}/part-0.txt", b"a\nb\n")
    write(lake_root, f"raw/events/date={D + dt.timedelta(days=2)}/part-0.txt", b"c\n")
    write(lake_root, f"raw/events/date={D + dt.timedelta(days=2)}/part-1.txt", b"d\n")
    # An existing empty folder is a date with no lines; a missing one (the 6th) is no date of the run.
    Path(lake_root, f"raw/events/date={D + dt.timedelta(days=3)}").mkdir(parents=True)
    days = [D + dt.timedelta(days=n) for n in range(4)]

    lines, found = read_deliveries(
        LakeFiles(spark, lake_root), "raw/events", days, None, LINE_COLUMNS, "both"
    )

    assert found == [days[0], days[2], days[3]]
    dated = [(row[C.RAW_LINE], row[C.INGEST_DATE]) for row in lines.collect()]
    assert sorted(dated) == [("a", days[0]), ("b", days[0]), ("c", days[2]), ("d", days[2])]
    # One reader whatever the number of dates: the plan's size does not grow with the range.
    lines.explain()
    assert capsys.readouterr().out.count("FileScan text") == 1


def test_the_first_line_of_every_file_comes_from_one_read_even_when_a_file_is_split(spark, lake_root):
    header = "user_id,order_id,order_time"
    long = write(lake_root, "raw/x/long.csv", (header + "\n" + "u1,o1,2026-10-05\n" * 50).encode())
    bom = write(lake_root, "raw/x/bom.csv", ("\ufeff" + header + "\r\nu2,o2,2026-10-05\r\n").encode())
    write(lake_root, "raw/x/empty.csv", b"")
    one = write(lake_root, "raw/x/one.csv", b"order_id")
    files = LakeFiles(spark, lake_root)
    # Splits of 64 bytes: the long file is read by several tasks, only one of which holds its first line.
    with session_options(
        spark, {"spark.sql.files.maxPartitionBytes": "64", "spark.sql.files.openCostInBytes": "0"}
    ):
        found = first_lines(spark, files.list_files("raw/x"))

    assert {Path(file).name: line for file, line in found.items()} == {
        long.name: header,
        # The text reader drops a UTF-8 byte-order mark, from the header as from every line.
        bom.name: header,
        one.name: "order_id",
    }
    assert set(found) <= set(
        row[0] for row in files.read_lines("raw/x").select("_metadata.file_path").collect()
    )


def test_an_export_outside_the_lake_is_read_under_the_run_date(spark, lake_root, tmp_path):
    export = write(str(tmp_path), "exports/orders.csv", b"user_id,order_id\nu1,o1\n")
    lines, found = read_deliveries(
        LakeFiles(spark, lake_root), "raw/events", [D], export_location(str(export)), LINE_COLUMNS, "both"
    )
    assert found is None
    assert [(row[C.RAW_LINE], row[C.INGEST_DATE]) for row in lines.collect()] == [
        ("user_id,order_id", D),
        ("u1,o1", D),
    ]


def test_an_export_path_that_does_not_exist_is_named():
    with pytest.raises(FileNotFoundError, match=r"--import /no/such/export.csv: .* does not exist"):
        export_location("/no/such/export.csv")
    assert export_location("s3://bucket/exports/") == "s3://bucket/exports/"
    assert export_location(None) is None
