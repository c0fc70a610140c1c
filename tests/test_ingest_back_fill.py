"""A back-fill is one read over all its raw dates, yet ends exactly as the same dates run one by one."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

from chispa import assert_df_equality
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from tests.test_ingest_job import run, table
from transforms import columns as C

D = dt.date(2026, 10, 5)
HEADER = "user_id,order_id,order_time,item_id,quantity,amount"
ORDERS = ("ingest.format=order_lines_csv", "ingest.max_quarantine_rate=0.5")


def day(offset: int) -> dt.date:
    return D + dt.timedelta(days=offset)


def deliver(root: Path, when: dt.date, name: str, lines: list[str], bom: bool = False) -> None:
    folder = root / "raw" / "events" / f"date={when.isoformat()}"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(("\ufeff" if bom else "") + "".join(f"{x}\n" for x in lines), encoding="utf-8")


def order_line(user: str, order: str, when: dt.date, item: str, quantity: str = "1") -> str:
    return f"{user},{order},{when} 10:00:00,{item},{quantity},9.90"


def orders_run(root: Path, *args: str) -> int:
    return run(str(root), *[arg for setting in ORDERS for arg in ("--set", setting)], *args)


def rows(spark, root: Path, name: str) -> DataFrame:
    """The table's rows, with the lake's own path cut from the source files so two lakes compare."""
    prefix = F.lit(f"file:{root.resolve()}/")
    relative = F.replace(F.col(C.SOURCE_FILE), prefix, F.lit(""))
    df = table(spark, str(root), name).read()
    return df.withColumn(C.SOURCE_FILE, relative)


def test_a_back_fill_with_a_bad_date_and_a_reordered_header_ends_as_the_dates_run_one_by_one(
    spark, lake_root, capfd
):
    back_filled, one_by_one = Path(lake_root, "back_filled"), Path(lake_root, "one_by_one")
    repeated = order_line("u1", "o1", day(0), "i1")
    deliver(
        back_filled, day(0), "orders.csv", [HEADER, repeated, repeated, order_line("u2", "o2", day(0), "i2")]
    )
    # The next day: a second file whose header has another order, an unused column and a byte-order mark;
    # the first day's line again (a copy on a later raw date is kept) and a bad quantity (quarantined).
    deliver(back_filled, day(1), "a.csv", [HEADER, repeated, order_line("u3", "o3", day(1), "i3", "two")])
    deliver(
        back_filled,
        day(1),
        "b.csv",
        [
            "amount,note,order_time,item_id,order_id,quantity,user_id",
            f"4.50,gift,{day(1)} 11:00:00,i4,o4,1,u4",
        ],
        bom=True,
    )
    # Two of three lines broken: above ingest.max_quarantine_rate, the run stops at this date.
    deliver(
        back_filled,
        day(2),
        "orders.csv",
        [HEADER, "u5,o5", "u6,o6,not a time,i6,1,1.0", order_line("u7", "o7", day(2), "i7")],
    )
    deliver(back_filled, day(3), "orders.csv", [HEADER, order_line("u8", "o8", day(3), "i8")])
    # The same files with the same modification times (their ingested_at) in the second lake.
    shutil.copytree(back_filled / "raw", one_by_one / "raw")
    capfd.readouterr()

    assert orders_run(back_filled, "--from-date", str(day(0)), "--date", str(day(3))) == 1
    logged = capfd.readouterr().err
    assert "raw date 2026-10-07: 2 of 3 lines (66.67%) quarantined" in logged
    assert "ingest stopped at raw date 2026-10-07" in logged
    assert [orders_run(one_by_one, "--date", str(day(n))) for n in range(3)] == [0, 0, 1]

    events = rows(spark, back_filled, "bronze.events")
    assert {r[C.INGEST_DATE]: r["count"] for r in events.groupBy(C.INGEST_DATE).count().collect()} == {
        day(0): 2,
        day(1): 2,
    }
    quarantine = rows(spark, back_filled, "bronze.events_quarantine")
    assert {r[C.INGEST_DATE]: r["count"] for r in quarantine.groupBy(C.INGEST_DATE).count().collect()} == {
        day(1): 1,
        day(2): 2,
    }
    assert_df_equality(events, rows(spark, one_by_one, "bronze.events"), ignore_row_order=True)
    assert_df_equality(quarantine, rows(spark, one_by_one, "bronze.events_quarantine"), ignore_row_order=True)
