"""Deliveries that are broken or shaped unlike a daily folder, through ingest_events.main: empty or cut
deliveries never erase a held date, missing folders in a back-fill are days without events, undecodable
files are quarantined as bad_encoding, and a history export loads each row under its own date."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest
from deltalake import DeltaTable
from pyspark.sql import functions as F

from tests.test_ingest_job import run, table
from transforms import columns as C

D = dt.date(2026, 10, 5)


def day(offset: int) -> dt.date:
    return D + dt.timedelta(days=offset)


def event(event_id: str, when: dt.date, **fields: object) -> str:
    body = {
        C.EVENT_ID: event_id,
        C.USER_ID: "u1",
        C.EVENT_TYPE: "page_view",
        C.EVENT_TIME: f"{when.isoformat()}T02:00:00Z",
    }
    return json.dumps({**body, **fields})


def raw_folder(lake_root: str, when: dt.date) -> Path:
    return Path(lake_root) / "raw" / "events" / f"date={when.isoformat()}"


def deliver(lake_root: str, when: dt.date, data: bytes | list[str], name: str = "part-0.jsonl") -> None:
    """Put one raw file (bytes as they are, or lines as UTF-8) into the date's folder."""
    folder = raw_folder(lake_root, when)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(data if isinstance(data, bytes) else "".join(f"{x}\n" for x in data).encode())


def redeliver_empty(lake_root: str, when: dt.date) -> None:
    shutil.rmtree(raw_folder(lake_root, when))
    deliver(lake_root, when, b"")


def rows_by_date(spark, lake_root: str, name: str) -> dict[dt.date, int]:
    counted = table(spark, lake_root, name).read().groupBy(C.INGEST_DATE).count().collect()
    return {row[C.INGEST_DATE]: row["count"] for row in counted}


def test_an_empty_or_cut_delivery_of_a_held_date_stops_and_changes_nothing_unless_allowed(
    spark, lake_root, capfd
):
    deliver(lake_root, D, [event("e1", D), event("e2", D), "not json"])
    assert run(lake_root, "--date", "2026-10-05", "--set", "ingest.max_quarantine_rate=0.5") == 0
    events, quarantine = (
        table(spark, lake_root, "bronze.events"),
        table(spark, lake_root, "bronze.events_quarantine"),
    )
    versions = events.version(), quarantine.version()
    capfd.readouterr()

    redeliver_empty(lake_root, D)
    assert run(lake_root, "--date", "2026-10-05") == 1
    logged = capfd.readouterr().err
    assert (
        "raw date 2026-10-05: 0 input lines, 0 valid, 0 quarantined (0.00%), 0 duplicates removed" in logged
    )
    assert (
        "raw date 2026-10-05: 0 input lines, fewer than ingest.min_lines_per_date = 1, but bronze.events holds "
        "2 rows and bronze.events_quarantine holds 1 rows for ingest_date=2026-10-05" in logged
    )
    assert "re-run with --allow-empty (or lower ingest.min_lines_per_date)" in logged
    assert (events.version(), quarantine.version()) == versions

    # A cut delivery: fewer lines than the configured expectation.
    shutil.rmtree(raw_folder(lake_root, D))
    deliver(lake_root, D, [event("e1", D)])
    assert run(lake_root, "--date", "2026-10-05", "--set", "ingest.min_lines_per_date=2") == 1
    assert "1 input lines, fewer than ingest.min_lines_per_date = 2" in capfd.readouterr().err
    assert (events.version(), quarantine.version()) == versions

    redeliver_empty(lake_root, D)
    assert run(lake_root, "--date", "2026-10-05", "--allow-empty") == 0
    assert "--allow-empty, so they are replaced" in capfd.readouterr().err
    assert rows_by_date(spark, lake_root, "bronze.events") == {}
    assert rows_by_date(spark, lake_root, "bronze.events_quarantine") == {}


def test_a_back_fill_passes_over_missing_folders_keeping_held_dates_and_stops_at_an_empty_held_one(
    spark, lake_root, capfd
):
    for offset in (1, 2, 3):
        deliver(lake_root, day(offset), [event(f"e{offset}", day(offset))])
    assert run(lake_root, "--from-date", "2026-10-06", "--date", "2026-10-08") == 0
    # The 6th's raw files are gone (retention), the 7th gets a second line, the 8th is re-delivered empty.
    shutil.rmtree(raw_folder(lake_root, day(1)))
    deliver(lake_root, day(2), [event("e2", day(2)), event("e2b", day(2))])
    redeliver_empty(lake_root, day(3))
    deliver(lake_root, D, [event("e0", D)])
    capfd.readouterr()

    assert run(lake_root, "--from-date", "2026-10-05", "--date", "2026-10-08") == 1
    logged = capfd.readouterr().err
    assert (
        "raw/events/date=2026-10-06 does not exist (ingest.raw_dir=raw/events); a day without events"
        in logged
    )
    assert "ingest stopped at raw date 2026-10-08 for the reason above" in logged
    assert "re-run from there with --from-date 2026-10-08 --date 2026-10-08" in logged
    expected = {D: 1, day(1): 1, day(2): 2, day(3): 1}
    assert rows_by_date(spark, lake_root, "bronze.events") == expected

    # Without the empty held date, the same gap is no error at all.
    assert run(lake_root, "--from-date", "2026-10-05", "--date", "2026-10-07") == 0
    assert rows_by_date(spark, lake_root, "bronze.events") == expected


def test_utf16_and_binary_files_are_quarantined_as_bad_encoding_and_the_run_goes_on(spark, lake_root, capfd):
    deliver(lake_root, D, [event(f"e{n}", D) for n in range(20)])
    # Three lines: the byte-order mark and the first event, NUL and the second event, and a last NUL.
    deliver(
        lake_root, D, "".join(f"{x}\n" for x in [event("w1", D), event("w2", D)]).encode("utf-16"), "u16.txt"
    )
    # One line of bytes that are no UTF-8 (no 0x0A or 0x0D among them).
    deliver(lake_root, D, bytes(range(0x80, 0x100)) * 2 + b"\x00\x01", "blob.bin")

    assert run(lake_root, "--date", "2026-10-05", "--set", "ingest.max_quarantine_rate=0.5") == 0
    logged = capfd.readouterr().err
    assert (
        "raw date 2026-10-05: 24 input lines, 20 valid, 4 quarantined (16.67%), 0 duplicates removed"
        in logged
    )
    assert "raw date 2026-10-05: quarantine reason bad_encoding: 4 lines" in logged
    quarantine = table(spark, lake_root, "bronze.events_quarantine")
    kept = quarantine.read().select(C.RAW_LINE, C.REASONS, C.SOURCE_FILE).collect()
    assert sorted(Path(row[C.SOURCE_FILE]).name for row in kept) == ["blob.bin", *["u16.txt"] * 3]
    assert {tuple(row[C.REASONS]) for row in kept} == {("bad_encoding",)}
    # The raw line is kept, made valid: what could be read of it survives.
    assert any("w1" in row[C.RAW_LINE].replace("\x00", "") for row in kept)
    assert quarantine.read().where(~F.is_valid_utf8(C.RAW_LINE)).count() == 0
    assert table(spark, lake_root, "bronze.events").read().count() == 20
    # Every Parquet file in the quarantine's folder is one the Delta log commits: none left uncommitted.
    folder = Path(quarantine.path)
    on_disk = {str(p) for p in folder.rglob("*.parquet") if "_delta_log" not in p.parts}
    committed = {unquote(urlparse(uri).path) for uri in DeltaTable(str(folder)).file_uris()}
    assert on_disk == committed


def test_a_gbk_delivery_is_decoded_and_its_undecodable_lines_quarantined(spark, lake_root, capfd):
    good = event("g1", D, event_type="search", keyword="连衣裙").encode("gbk") + b"\n"
    deliver(lake_root, D, good + b'{"event_id":"g2","keyword":"\xff\xff"}\n', "gbk.jsonl")
    args = ["--date", "2026-10-05", "--set", "ingest.encoding=gbk", "--set", "ingest.max_quarantine_rate=0.5"]
    assert run(lake_root, *args) == 0
    assert "quarantine reason bad_encoding: 1 lines" in capfd.readouterr().err
    keywords = table(spark, lake_root, "bronze.events").read().select(C.KEYWORD).collect()
    assert [row[C.KEYWORD] for row in keywords] == ["连衣裙"]
    # The session is left as it was: other jobs in the process decode as Spark 4 does by default.
    assert spark.conf.get("spark.sql.legacy.codingErrorAction", "false") == "false"


def test_an_encoding_that_does_not_end_lines_with_one_newline_byte_is_a_configuration_error(
    lake_root, capsys
):
    with pytest.raises(SystemExit) as stopped:
        run(lake_root, "--date", "2026-10-05", "--set", "ingest.encoding=utf-16")
    assert stopped.value.code == 2
    assert (
        "'ingest.encoding' 'utf-16' does not end lines with the single byte 0x0A" in capsys.readouterr().err
    )


def test_a_history_export_loads_each_row_under_its_own_date_with_the_same_account(
    spark, lake_root, tmp_path, capfd
):
    first, second = day(-10), day(-9)
    export = tmp_path / "export" / "history.jsonl"
    export.parent.mkdir()
    lines = [
        event("a1", first),
        event("a2", first),
        event("a2", first),
        event("b1", second),
        event("c1", D),
        event("c2", D),
        event("c3", D),
        event("bad", D, event_time="last tuesday"),
        event("typo", dt.date(2062, 10, 5)),
    ]
    export.write_text("".join(f"{line}\n" for line in lines))

    args = ["--date", "2026-10-05", "--import", str(export), "--set", "ingest.max_quarantine_rate=0.5"]
    assert run(lake_root, *args) == 0
    logged = capfd.readouterr().err
    # The 25th and 26th lie ten days before --date: outside its 7-day window, inside their own.
    assert (
        "raw date 2026-09-25: 3 input lines, 2 valid, 0 quarantined (0.00%), 1 duplicates removed" in logged
    )
    assert (
        "raw date 2026-09-26: 1 input lines, 1 valid, 0 quarantined (0.00%), 0 duplicates removed" in logged
    )
    assert (
        "raw date 2026-10-05: 5 input lines, 3 valid, 2 quarantined (40.00%), 0 duplicates removed" in logged
    )
    assert rows_by_date(spark, lake_root, "bronze.events") == {first: 2, second: 1, D: 3}
    quarantined = table(spark, lake_root, "bronze.events_quarantine").read().collect()
    assert sorted((row[C.EVENT_ID], tuple(row[C.REASONS]), row[C.INGEST_DATE]) for row in quarantined) == [
        ("bad", ("wrong_type:event_time",), D),
        ("typo", ("timestamp_out_of_window",), D),
    ]
    # Every line is accounted for: valid + quarantined + the one duplicate removed.
    assert table(spark, lake_root, "bronze.events").read().count() + len(quarantined) + 1 == len(lines)
