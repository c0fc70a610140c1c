"""The event ingest job end to end on a tiny raw folder: conservation, dedupe, reruns, late events."""

from __future__ import annotations

import datetime as dt
import json

from chispa import assert_df_equality
from pyspark.sql import functions as F
from pyspark.sql import types as T

from jobs import ingest_events
from shop_platform.config import load_config
from shop_platform.storage import open_lake
from shop_platform.storage.files import LakeFiles
from transforms import columns as C
from transforms.ingest.reasons import REASONS_TYPE

D = dt.date(2026, 10, 5)
NEXT = D + dt.timedelta(days=1)


def event(event_id: str, event_time: str, **fields: object) -> str:
    body = {C.EVENT_ID: event_id, C.USER_ID: "u1", C.EVENT_TYPE: "page_view", C.EVENT_TIME: event_time}
    return json.dumps({**body, **fields})


def write_raw(spark, lake_root: str, lines_by_date: dict[dt.date, list[str]]) -> None:
    rows = [(line, day.isoformat()) for day, lines in lines_by_date.items() for line in lines]
    frame = spark.createDataFrame(rows, [C.VALUE, C.DATE]).coalesce(1)
    LakeFiles(spark, lake_root).write_lines(frame, "raw/events", partition_by=[C.DATE])


def run(lake_root: str, *args: str) -> int:
    settings = [f"lake.root={lake_root}", "lake.engine=embedded", "spark.shuffle_partitions=2"]
    return ingest_events.main([*[arg for setting in settings for arg in ("--set", setting)], *args])


def table(spark, lake_root: str, name: str):
    settings = load_config("local", [f"lake.root={lake_root}", "lake.engine=embedded"]).lake
    return open_lake(spark, settings).table(name)


def test_a_back_fill_accounts_for_every_line_and_a_rerun_replaces_exactly_its_date(spark, lake_root, capfd):
    write_raw(
        spark,
        lake_root,
        {
            D: [
                event("e1", "2026-10-05T02:00:00.000Z"),
                event("e1", "2026-10-05T02:00:00.000Z"),
                event("e2", "2026-10-05T03:00:00.000Z", event_type="search", keyword="skirt"),
                # 17:00 UTC on the 4th is 01:00 on the 5th in Shanghai.
                event("e3", "2026-10-04T17:00:00.000Z"),
                # Late: it happened on the 3rd (local) and arrived with the 5th's files.
                event("late", "2026-10-03T12:00:00.000Z"),
                '{"event_id":"cut","user_id":"u1","eve',
                event("neg", "2026-10-05T04:00:00.000Z", event_type="pay", order_id="o1", amount=-3.0),
                # Two local days after the 5th: outside its window (1 day after), inside the 6th's.
                event("ahead", "2026-10-07T02:00:00.000Z"),
            ],
            NEXT: [
                event("e5", "2026-10-06T02:00:00.000Z"),
                event("ahead", "2026-10-07T02:00:00.000Z"),
                # A copy of an event delivered again on a later raw date stays in bronze; silver picks one.
                event("e1", "2026-10-05T02:00:00.000Z"),
            ],
        },
    )
    assert (
        run(
            lake_root,
            "--from-date",
            "2026-10-05",
            "--date",
            "2026-10-06",
            "--set",
            "ingest.max_quarantine_rate=0.5",
        )
        == 0
    )

    events = table(spark, lake_root, "bronze.events")
    quarantine = table(spark, lake_root, "bronze.events_quarantine")
    actual = events.read().select(C.EVENT_ID, C.EVENT_DATE, C.INGEST_DATE)
    expected = spark.createDataFrame(
        [
            ("e1", D, D),
            ("e2", D, D),
            ("e3", D, D),
            ("late", dt.date(2026, 10, 3), D),
            ("e5", NEXT, NEXT),
            ("ahead", dt.date(2026, 10, 7), NEXT),
            ("e1", D, NEXT),
        ],
        actual.schema,
    )
    assert_df_equality(actual, expected, ignore_row_order=True)
    actual_quarantine = quarantine.read().select(C.EVENT_ID, C.REASONS, C.INGEST_FORMAT, C.INGEST_DATE)
    expected_quarantine = spark.createDataFrame(
        [
            ("cut", ["malformed_json"], "events_jsonl", D),
            ("neg", ["out_of_range:amount"], "events_jsonl", D),
            ("ahead", ["timestamp_out_of_window"], "events_jsonl", D),
        ],
        T.StructType(
            [
                T.StructField(C.EVENT_ID, T.StringType()),
                T.StructField(C.REASONS, REASONS_TYPE),
                T.StructField(C.INGEST_FORMAT, T.StringType()),
                T.StructField(C.INGEST_DATE, T.DateType()),
            ]
        ),
    )
    assert_df_equality(actual_quarantine, expected_quarantine, ignore_row_order=True, ignore_nullable=True)
    # 8 lines = 4 valid + 3 quarantined + 1 duplicate, and the run says so; each date has its own account.
    logged = capfd.readouterr().err
    assert (
        "raw date 2026-10-05: 8 input lines, 4 valid, 3 quarantined (37.50%), 1 duplicates removed" in logged
    )
    assert (
        "raw date 2026-10-06: 3 input lines, 3 valid, 0 quarantined (0.00%), 0 duplicates removed" in logged
    )

    versions = events.version(), quarantine.version()
    before_events, before_quarantine = events.read(version=versions[0]), quarantine.read(version=versions[1])
    assert run(lake_root, "--date", "2026-10-05", "--set", "ingest.max_quarantine_rate=0.5") == 0
    assert (events.version(), quarantine.version()) == (versions[0] + 1, versions[1] + 1)
    assert_df_equality(events.read(), before_events, ignore_row_order=True)
    assert_df_equality(quarantine.read(), before_quarantine, ignore_row_order=True)


def test_too_many_quarantined_lines_stop_the_back_fill_at_that_date_after_its_quarantine_is_written(
    spark, lake_root, capfd
):
    write_raw(
        spark,
        lake_root,
        {
            D: [event("fine", "2026-10-05T02:00:00.000Z")],
            NEXT: [
                event("ok", "2026-10-06T02:00:00.000Z"),
                "not json",
                event("x", "2026-10-06T02:00:00Z", user_id=""),
            ],
        },
    )
    assert run(lake_root, "--from-date", "2026-10-05", "--date", "2026-10-06") == 1
    assert "re-run from there with --from-date 2026-10-06 --date 2026-10-06" in capfd.readouterr().err
    quarantined = table(spark, lake_root, "bronze.events_quarantine").read()
    assert sorted(row[C.RAW_LINE] for row in quarantined.select(C.RAW_LINE).collect())[0] == "not json"
    assert quarantined.where(F.col(C.INGEST_DATE) == F.lit(NEXT)).count() == 2
    # The dates before the failing one are published; the failing date is not.
    published = table(spark, lake_root, "bronze.events").read().select(C.EVENT_ID, C.INGEST_DATE).collect()
    assert [tuple(row) for row in published] == [("fine", D)]


def test_a_missing_raw_folder_fails_naming_the_folder(spark, lake_root, capfd):
    assert run(lake_root, "--date", "2026-10-05") == 1
    assert "raw/events/date=2026-10-05 does not exist (ingest.raw_dir=raw/events)" in capfd.readouterr().err


def test_the_events_quarantine_masks_phone_numbers_and_email_addresses(spark, lake_root):
    # A cut line and a line whose user id is someone's contact: neither may be kept in the clear.
    cut = '{"event_id":"x1","user_id":"u1","phone":"+86 138-0013-8000","email":"li.hua@example.com","ev'
    leaked = event("x2", "2026-10-05T02:00:00.000Z", user_id="", keyword="call 13900139000")
    write_raw(spark, lake_root, {D: [event("ok", "2026-10-05T02:00:00.000Z"), cut, leaked]})
    assert run(lake_root, "--date", "2026-10-05", "--set", "ingest.max_quarantine_rate=1.0") == 0
    kept = [row[C.RAW_LINE] for row in table(spark, lake_root, "bronze.events_quarantine").read().collect()]
    assert sorted(kept) == sorted(
        [
            '{"event_id":"x1","user_id":"u1","phone":"[phone]","email":"[email]","ev',
            leaked.replace("13900139000", "[phone]"),
        ]
    )
