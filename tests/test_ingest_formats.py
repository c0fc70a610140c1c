"""The other raw formats through the ingest job: Taobao UserBehavior and order-line CSV."""

from __future__ import annotations

import datetime as dt
import hashlib

from chispa import assert_df_equality
from pyspark.sql import types as T

from jobs import ingest_events
from shop_platform.config import load_config
from shop_platform.storage import open_lake
from shop_platform.storage.files import LakeFiles
from transforms import columns as C
from transforms.ingest.reasons import REASONS_TYPE
from transforms.schemas import ORDER_LINE_SCHEMA

UTC = dt.timezone.utc
QUARANTINE_SCHEMA = T.StructType(
    [T.StructField(C.RAW_LINE, T.StringType()), T.StructField(C.REASONS, REASONS_TYPE)]
)


def hashed_id(prefix: str, *texts: str) -> str:
    return prefix + hashlib.sha256("|".join(texts).encode()).hexdigest()[:32]


def ingest(spark, lake_root: str, day: dt.date, lines: list[str], ingest_format: str):
    frame = spark.createDataFrame([(line, day.isoformat()) for line in lines], [C.VALUE, C.DATE]).coalesce(1)
    LakeFiles(spark, lake_root).write_lines(frame, "raw/events", partition_by=[C.DATE])
    settings = [
        f"lake.root={lake_root}",
        "lake.engine=embedded",
        "spark.shuffle_partitions=2",
        f"ingest.format={ingest_format}",
        "ingest.max_quarantine_rate=0.6",
    ]
    status = ingest_events.main(["--date", day.isoformat(), *[a for s in settings for a in ("--set", s)]])
    lake = open_lake(spark, load_config("local", settings[:2]).lake)
    return status, lake.table("bronze.events"), lake.table("bronze.events_quarantine")


def test_taobao_user_behavior_lines_become_typed_events(spark, lake_root):
    view = "1,2268318,2520377,pv,1511544070"
    buy = "1,2333346,2520771,buy,1511561733"
    lines = [
        view,
        view,  # an exact duplicate line: same hashed event id, removed
        buy,
        "2,4365585,2520377,fav,1511596146",
        "2,4365585,2520377,cart,1511600000",
        "3,123,456,click,1511600000",
        "4,5,6,pv,yesterday",
        "7,8,9,pv",
        "5,6,7,pv,1000000000",
    ]
    status, events, quarantine = ingest(
        spark, lake_root, dt.date(2017, 11, 25), lines, "taobao_user_behavior"
    )
    assert status == 0

    columns = [C.EVENT_ID, C.USER_ID, C.EVENT_TYPE, C.EVENT_TIME, C.PAGE_TYPE, C.ITEM_ID, C.CATEGORY_ID]
    actual = events.read().select(*columns, C.ORDER_ID, C.ITEMS, C.AMOUNT, C.EVENT_DATE)
    day = dt.date(2017, 11, 25)
    fav, cart = "2,4365585,2520377,fav,1511596146", "2,4365585,2520377,cart,1511600000"
    t_view, t_buy, t_fav, t_cart = (
        dt.datetime(2017, 11, 24, 17, 21, 10, tzinfo=UTC),
        dt.datetime(2017, 11, 24, 22, 15, 33, tzinfo=UTC),
        dt.datetime(2017, 11, 25, 7, 49, 6, tzinfo=UTC),
        dt.datetime(2017, 11, 25, 8, 53, 20, tzinfo=UTC),
    )
    order_id = hashed_id("tbo-", "order", buy)
    expected = spark.createDataFrame(
        [
            (
                hashed_id("tb-", view),
                "1",
                "page_view",
                t_view,
                "product",
                "2268318",
                "2520377",
                None,
                None,
                None,
                day,
            ),
            (
                hashed_id("tb-", buy),
                "1",
                "order",
                t_buy,
                None,
                "2333346",
                "2520771",
                order_id,
                [("2333346", 1, None)],
                None,
                day,
            ),
            (
                hashed_id("tb-", fav),
                "2",
                "favorite",
                t_fav,
                None,
                "4365585",
                "2520377",
                None,
                None,
                None,
                day,
            ),
            (
                hashed_id("tb-", cart),
                "2",
                "add_to_cart",
                t_cart,
                None,
                "4365585",
                "2520377",
                None,
                None,
                None,
                day,
            ),
        ],
        actual.schema,
    )
    assert_df_equality(actual, expected, ignore_row_order=True, ignore_nullable=True)

    actual_quarantine = quarantine.read().select(C.RAW_LINE, C.REASONS)
    expected_quarantine = spark.createDataFrame(
        [
            ("3,123,456,click,1511600000", ["unknown_event_type:click"]),
            ("4,5,6,pv,yesterday", ["wrong_type:event_time"]),
            ("7,8,9,pv", ["malformed_csv"]),
            ("5,6,7,pv,1000000000", ["timestamp_out_of_window"]),
        ],
        QUARANTINE_SCHEMA,
    )
    assert_df_equality(actual_quarantine, expected_quarantine, ignore_row_order=True, ignore_nullable=True)


def test_order_lines_become_order_events_with_one_line_each(spark, lake_root):
    first = "u1,o1,2026-10-05 10:00:00,i1,2,30.00"
    second = "u1,o1,2026-10-05 10:00:00,i2,1,5.50"
    no_item = "u2,o2,2026-10-04T20:00:00Z,,1,9.90"
    lines = [
        "user_id,order_id,order_time,item_id,quantity,amount",
        first,
        second,
        second,  # an exact duplicate line
        no_item,
        "u3,o3,2026-10-05 11:00:00,i3,two,3.0",
        "u4,o4,2026-10-05 11:00:00,i4,1,-3.0",
        ",o5,2026-10-05 11:00:00,i5,1,3.0",
        "u6,o6,2026-10-05 11:00:00,i6,1",
    ]
    status, events, quarantine = ingest(spark, lake_root, dt.date(2026, 10, 5), lines, "order_lines_csv")
    assert status == 0

    actual = events.read().select(
        C.EVENT_ID, C.USER_ID, C.EVENT_TYPE, C.EVENT_TIME, C.ORDER_ID, C.ITEMS, C.AMOUNT, C.EVENT_DATE
    )
    day = dt.date(2026, 10, 5)
    # A time without an offset is Shanghai wall-clock time (UTC+8); one with Z is an instant.
    ten_local, eight_pm_utc = (
        dt.datetime(2026, 10, 5, 2, tzinfo=UTC),
        dt.datetime(2026, 10, 4, 20, tzinfo=UTC),
    )
    expected = spark.createDataFrame(
        [
            (
                hashed_id("ol-", "o1", "i1", first),
                "u1",
                "order",
                ten_local,
                "o1",
                [("i1", 2, 15.0)],
                30.0,
                day,
            ),
            (
                hashed_id("ol-", "o1", "i2", second),
                "u1",
                "order",
                ten_local,
                "o1",
                [("i2", 1, 5.5)],
                5.5,
                day,
            ),
            (hashed_id("ol-", "o2", no_item), "u2", "order", eight_pm_utc, "o2", [(None, 1, 9.9)], 9.9, day),
        ],
        actual.schema,
    )
    assert_df_equality(actual, expected, ignore_row_order=True, ignore_nullable=True)
    assert actual.schema[C.ITEMS].dataType.elementType == ORDER_LINE_SCHEMA

    actual_quarantine = quarantine.read().select(C.RAW_LINE, C.REASONS)
    expected_quarantine = spark.createDataFrame(
        [
            ("u3,o3,2026-10-05 11:00:00,i3,two,3.0", ["wrong_type:items.quantity"]),
            ("u4,o4,2026-10-05 11:00:00,i4,1,-3.0", ["out_of_range:amount", "out_of_range:items.price"]),
            (",o5,2026-10-05 11:00:00,i5,1,3.0", ["missing:user_id"]),
            ("u6,o6,2026-10-05 11:00:00,i6,1", ["malformed_csv"]),
        ],
        QUARANTINE_SCHEMA,
    )
    assert_df_equality(actual_quarantine, expected_quarantine, ignore_row_order=True, ignore_nullable=True)


def ingest_with(spark, lake_root: str, day: dt.date, lines: list[str], ingest_format: str, *settings: str):
    frame = spark.createDataFrame([(line, day.isoformat()) for line in lines], [C.VALUE, C.DATE]).coalesce(1)
    LakeFiles(spark, lake_root).write_lines(frame, "raw/events", partition_by=[C.DATE])
    base = [f"lake.root={lake_root}", "lake.engine=embedded", "spark.shuffle_partitions=2"]
    base += [f"ingest.format={ingest_format}", "ingest.max_quarantine_rate=0.6", *settings]
    status = ingest_events.main(["--date", day.isoformat(), *[a for s in base for a in ("--set", s)]])
    lake = open_lake(spark, load_config("local", base[:2]).lake)
    return status, lake.table("bronze.events"), lake.table("bronze.events_quarantine")


def test_order_lines_in_another_order_with_extra_columns_and_no_item_id_load_as_paid(spark, lake_root, capfd):
    line = '"2026-10-05 10:00:00",30.00,o1,u1,gift wrap,2'
    lines = ["order_time,amount,order_id,user_id,note,quantity", line, "2026-10-05 11:00:00,5.5,o2,u2,,1"]
    status, events, _ = ingest_with(spark, lake_root, dt.date(2026, 10, 5), lines, "order_lines_csv")
    assert status == 0
    actual = events.read().select(C.USER_ID, C.ORDER_ID, C.EVENT_TIME, C.ITEMS, C.AMOUNT, C.ORDER_STATUS)
    expected = spark.createDataFrame(
        [
            ("u1", "o1", dt.datetime(2026, 10, 5, 2, tzinfo=UTC), [(None, 2, 15.0)], 30.0, "paid"),
            ("u2", "o2", dt.datetime(2026, 10, 5, 3, tzinfo=UTC), [(None, 1, 5.5)], 5.5, "paid"),
        ],
        actual.schema,
    )
    assert_df_equality(actual, expected, ignore_row_order=True, ignore_nullable=True)
    logged = capfd.readouterr().err
    # The header is no input line; the absent optional column and the ignored one are named.
    assert "raw date 2026-10-05: 2 input lines, 2 valid, 0 quarantined" in logged
    assert "order_lines_csv: optional column(s) item_id,order_status absent from 1 file(s)" in logged
    assert "order_lines_csv: ignoring column(s) note of 1 file(s)" in logged


def test_a_mapped_status_column_and_time_format_load_a_shop_export(spark, lake_root):
    lines = [
        "Buyer,Order No,Paid At,Status,Buyer Phone",
        "u1,o1,05/10/2026 10:00,TRADE_FINISHED,13800138000",
        "u2,o2,05/10/2026 11:30,trade_closed,13900139000",
        "u3,o3,05/10/2026 12:00,WAIT_BUYER_PAY,13700137000",
        "u4,o4,05/10/2026 12:00,,",
    ]
    settings = [
        "ingest.columns.order_lines={user_id: buyer, order_id: Order No, order_time: Paid At, order_status: status}",
        "ingest.values.order_lines.order_status={TRADE_FINISHED: paid, TRADE_CLOSED: cancelled}",
        "ingest.timestamp_formats.order_lines=dd/MM/yyyy HH:mm",
        "ingest.order_lines.row_status=placed",
        "pii.columns.order_lines=[buyer phone]",
    ]
    status, events, quarantine = ingest_with(
        spark, lake_root, dt.date(2026, 10, 5), lines, "order_lines_csv", *settings
    )
    assert status == 0
    actual = events.read().select(C.USER_ID, C.EVENT_TIME, C.ORDER_STATUS)
    expected = spark.createDataFrame(
        [
            ("u1", dt.datetime(2026, 10, 5, 2, tzinfo=UTC), "paid"),
            ("u2", dt.datetime(2026, 10, 5, 3, 30, tzinfo=UTC), "cancelled"),
            ("u4", dt.datetime(2026, 10, 5, 4, tzinfo=UTC), "placed"),
        ],
        actual.schema,
    )
    assert_df_equality(actual, expected, ignore_row_order=True, ignore_nullable=True)
    actual_quarantine = quarantine.read().select(C.RAW_LINE, C.REASONS)
    expected_quarantine = spark.createDataFrame(
        [("u3,o3,05/10/2026 12:00,WAIT_BUYER_PAY,[masked]", ["unknown_value:order_status"])],
        QUARANTINE_SCHEMA,
    )
    assert_df_equality(actual_quarantine, expected_quarantine, ignore_nullable=True)


def test_an_order_export_without_a_required_column_stops_naming_it(spark, lake_root, capfd):
    lines = ["user_id,orderid,order_time", "u1,o1,2026-10-05 10:00:00"]
    status, events, _ = ingest_with(spark, lake_root, dt.date(2026, 10, 5), lines, "order_lines_csv")
    assert status == 1
    logged = capfd.readouterr().err
    assert "the header lacks the required column(s) order_id (closest found: orderid)" in logged
    assert "found user_id,orderid,order_time" in logged
    assert not events.exists()


def test_a_value_map_reads_numeric_taobao_behaviour_codes(spark, lake_root):
    lines = ["1,10,100,1,1511544070", "1,11,100,4,1511544071", "1,12,100,9,1511544072"]
    status, events, quarantine = ingest_with(
        spark,
        lake_root,
        dt.date(2017, 11, 25),
        lines,
        "taobao_user_behavior",
        "ingest.values.taobao.behavior_type={'1': pv, '2': fav, '3': cart, '4': buy}",
    )
    assert status == 0
    assert sorted(tuple(r) for r in events.read().select(C.ITEM_ID, C.EVENT_TYPE).collect()) == [
        ("10", "page_view"),
        ("11", "order"),
    ]
    assert [r[C.REASONS] for r in quarantine.read().collect()] == [["unknown_event_type:9"]]
