"""Bronze validation: every rule gives its reason, all reasons are kept, wrong types are never silent."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json

import pytest
from chispa import assert_df_equality
from pyspark.sql import types as T

from shop_platform.config import load_config
from transforms import columns as C
from transforms.ingest.conservation import ConservationError, IngestCounts, check_conservation, count_outcomes
from transforms.ingest.dedupe import flag_duplicates
from transforms.ingest.event_lines import check_event_lines
from transforms.ingest.formats import ReadContext, event_format
from transforms.ingest.reasons import REASONS_TYPE
from transforms.ingest.validate import EventRules, validate_events

TIMEZONE = "Asia/Shanghai"
RUN_DATE = dt.date(2026, 10, 5)
# The accepted window for RUN_DATE with 7 days before and 1 after, in UTC: Shanghai is UTC+8.
WINDOW_START = "2026-09-27T16:00:00.000Z"
WINDOW_END = "2026-10-06T16:00:00.000Z"
LANDED = dt.datetime(2026, 10, 6, 1, 0, tzinfo=dt.timezone.utc)
RULES = EventRules(
    required_fields=(C.EVENT_ID, C.USER_ID, C.EVENT_TYPE, C.EVENT_TIME),
    id_patterns={C.EVENT_ID: "[a-z0-9]{1,16}", C.USER_ID: "u[0-9]+", C.ITEM_ID: "i[0-9]+"},
    days_before=7,
    days_after=1,
    timezone=TIMEZONE,
)
RESULT_SCHEMA = T.StructType(
    [T.StructField(C.EVENT_ID, T.StringType()), T.StructField(C.REASONS, REASONS_TYPE, nullable=False)]
)


def event(event_id: str | None = "e1", **fields: object) -> str:
    """A valid page view as one JSON line; `fields` override or (with None) remove fields."""
    body = {
        C.EVENT_ID: event_id,
        C.USER_ID: "u1",
        C.EVENT_TYPE: "page_view",
        C.EVENT_TIME: "2026-10-05T02:00:00.000Z",
        C.DEVICE: "ios",
        C.PAGE_TYPE: "product",
        C.ITEM_ID: "i7",
    }
    body.update(fields)
    return json.dumps({k: v for k, v in body.items() if v is not None})


def lines(spark, texts: list[str], source_file: str = "file:/raw/a.txt"):
    return spark.createDataFrame(
        [(text, source_file, LANDED, RUN_DATE) for text in texts],
        T.StructType(
            [
                T.StructField(C.RAW_LINE, T.StringType()),
                T.StructField(C.SOURCE_FILE, T.StringType()),
                T.StructField(C.INGESTED_AT, T.TimestampType()),
                T.StructField(C.INGEST_DATE, T.DateType()),
            ]
        ),
    )


def validated(spark, texts: list[str], rules: EventRules = RULES, fmt: str = "events_jsonl"):
    adapter = event_format(fmt)
    return adapter.to_common_shape(lines(spark, texts), TIMEZONE).transform(
        validate_events, rules=rules, provided_fields=adapter.provided_fields
    )


def reasons_by_event(spark, expected: list[tuple[str, list[str]]]):
    return spark.createDataFrame(expected, RESULT_SCHEMA)


def test_each_rule_names_its_reason_and_field(spark):
    order = {C.EVENT_TYPE: "order", C.ORDER_ID: "o1", C.ITEM_ID: None, C.PAGE_TYPE: None}
    texts = [
        event("ok"),
        '{"event_id":"cut","user_id":"u1","event_ty',
        event("nouser", user_id=None),
        event("blankuser", user_id="  "),
        event("clicky", event_type="clicky"),
        event("badid", user_id="user 1"),
        event("baditem", item_id="item-7"),
        event("negamount", **order, amount=-5.0),
        event("zeroqty", event_type="add_to_cart", quantity=0),
        event("rating6", event_type="review", rating=6),
        event("future", event_time="2027-01-01T00:00:00.000Z"),
        event("ancient", event_time="1970-01-01T00:00:00.000Z"),
        # The window ends (exclusive) at local midnight after run date + 1.
        event("end", event_time=WINDOW_END),
        event("textamount", **order, amount="12.50 CNY"),
        event("textqty", event_type="add_to_cart", quantity="2"),
        event("badtime", event_time="yesterday"),
        event("badprice", **order, items=[{"item_id": "i1", "quantity": 1, "price": "x"}], amount=1.0),
        event("zeroline", **order, items=[{"item_id": "i1", "quantity": 0, "price": 1.0}], amount=0.0),
    ]
    actual = validated(spark, texts).select(C.EVENT_ID, C.REASONS)
    expected = reasons_by_event(
        spark,
        [
            ("ok", []),
            # A malformed line keeps the id it still carries, so it can be traced.
            ("cut", ["malformed_json"]),
            ("nouser", ["missing:user_id"]),
            ("blankuser", ["missing:user_id"]),
            ("clicky", ["unknown_event_type:clicky"]),
            ("badid", ["bad_id:user_id"]),
            ("baditem", ["bad_id:item_id"]),
            ("negamount", ["out_of_range:amount"]),
            ("zeroqty", ["out_of_range:quantity"]),
            ("rating6", ["out_of_range:rating"]),
            ("future", ["timestamp_out_of_window"]),
            ("ancient", ["timestamp_out_of_window"]),
            ("end", ["timestamp_out_of_window"]),
            ("textamount", ["wrong_type:amount"]),
            ("textqty", ["wrong_type:quantity"]),
            # A time that does not parse is a wrong type, not a missing field.
            ("badtime", ["wrong_type:event_time"]),
            ("badprice", ["wrong_type:items.price"]),
            ("zeroline", ["out_of_range:items.quantity"]),
        ],
    )
    assert_df_equality(actual, expected, ignore_row_order=True, ignore_nullable=True)


def test_json_that_is_no_object_is_malformed(spark):
    # The typed parse takes most lines whole; these it cannot, and the text parse must say why.
    texts = [f"[{event('inarray')}]", '"just text"', "42", "null", "", event("ok")]
    actual = validated(spark, texts).select(C.EVENT_ID, C.REASONS)
    expected = reasons_by_event(
        spark,
        [("inarray", ["malformed_json"]), *[(None, ["malformed_json"])] * 4, ("ok", [])],
    )
    assert_df_equality(actual, expected, ignore_row_order=True, ignore_nullable=True)


def test_a_row_with_several_problems_gets_every_reason(spark):
    text = event(
        "many",
        user_id=None,
        event_type="clicky",
        item_id="x y",
        amount=-1.0,
        event_time="2030-01-01T00:00:00Z",
    )
    actual = validated(spark, [text]).select(C.EVENT_ID, C.REASONS)
    expected = reasons_by_event(
        spark,
        [
            (
                "many",
                [
                    "missing:user_id",
                    "unknown_event_type:clicky",
                    "bad_id:item_id",
                    "out_of_range:amount",
                    "timestamp_out_of_window",
                ],
            )
        ],
    )
    assert_df_equality(actual, expected, ignore_nullable=True)


def test_wrong_type_is_reported_and_the_good_fields_still_parse(spark):
    text = event("e9", event_type="order", amount="N/A", order_id="o9", item_id=None)
    actual = validated(spark, [text]).select(C.EVENT_ID, C.USER_ID, C.AMOUNT, C.REASONS)
    expected = spark.createDataFrame(
        [("e9", "u1", None, ["wrong_type:amount"])],
        T.StructType(
            [
                T.StructField(C.EVENT_ID, T.StringType()),
                T.StructField(C.USER_ID, T.StringType()),
                T.StructField(C.AMOUNT, T.DoubleType()),
                T.StructField(C.REASONS, REASONS_TYPE),
            ]
        ),
    )
    assert_df_equality(actual, expected, ignore_nullable=True)


def test_good_rows_of_every_event_type_pass_with_their_typed_values(spark):
    texts = [
        event("pv"),
        event("srch", event_type="search", keyword="skirt", item_id=None, page_type="search"),
        event("cart", event_type="add_to_cart", quantity=2),
        event(
            "ord",
            event_type="order",
            order_id="o1",
            item_id=None,
            items=[{"item_id": "i1", "quantity": 2, "price": 9.5}],
            amount=19.0,
            discount=0.0,
        ),
        event("pay", event_type="pay", order_id="o1", amount=19.0, payment_method="alipay"),
        event("rev", event_type="review", order_id="o1", rating=5),
        # Local midnight 7 days before the run date is the first accepted instant.
        event("first", event_time=WINDOW_START),
        event("last", event_time="2026-10-06T15:59:59.999Z"),
    ]
    actual = validated(spark, texts).select(C.EVENT_ID, C.REASONS, C.AMOUNT, C.RATING)
    typed = {"ord": (19.0, None), "pay": (19.0, None), "rev": (None, 5)}
    expected = spark.createDataFrame(
        [(event_id, [], *typed.get(event_id, (None, None))) for event_id in json_ids(texts)],
        T.StructType(
            [
                *RESULT_SCHEMA.fields,
                T.StructField(C.AMOUNT, T.DoubleType()),
                T.StructField(C.RATING, T.IntegerType()),
            ]
        ),
    )
    assert_df_equality(actual, expected, ignore_row_order=True, ignore_nullable=True)


def test_rules_for_fields_a_format_does_not_provide_do_not_fire(spark):
    # Taobao lines have no device; requiring it must not quarantine every line.
    rules = dataclasses.replace(
        RULES, required_fields=(*RULES.required_fields, C.DEVICE), id_patterns={C.USER_ID: "[0-9]+"}
    )
    texts = ["1,2,3,pv,1791165600", "1,2,3,pv"]
    actual = validated(spark, texts, rules=rules, fmt="taobao_user_behavior").select(C.REASONS)
    expected = spark.createDataFrame([([],), (["malformed_csv"],)], RESULT_SCHEMA[1:])
    assert_df_equality(actual, expected, ignore_row_order=True, ignore_nullable=True)


def test_rules_from_settings_name_the_setting_at_fault():
    settings = load_config("local").ingest
    with pytest.raises(ValueError, match=r"ingest.required_fields names \['colour'\]"):
        EventRules.from_settings(
            dataclasses.replace(settings, required_fields=["event_id", "event_time", "colour"]),
            TIMEZONE,
        )
    with pytest.raises(ValueError, match=r"must include \['event_time'\]"):
        EventRules.from_settings(dataclasses.replace(settings, required_fields=["event_id"]), TIMEZONE)


def test_duplicates_are_flagged_among_valid_rows_only_and_counted(spark):
    # "bad" is quarantined twice: only valid rows are deduplicated.
    texts = [
        event("a"),
        event("a"),
        event("a"),
        event("b"),
        event("bad", user_id=None),
        event("bad", user_id=None),
    ]
    checked = validated(spark, texts).transform(flag_duplicates)
    counts = IngestCounts.from_rows(count_outcomes(checked).collect())
    assert counts == IngestCounts(
        lines=6, valid=2, quarantined=2, duplicates=2, reasons={"missing:user_id": 2}
    )
    check_conservation(counts, RUN_DATE)


def test_every_line_is_checked_once_bad_encoding_before_duplicates_and_an_import_dates_rows_itself(spark):
    settings = load_config("local").ingest
    # A copy of "a" holding a NUL: no text, so no event, and not a duplicate of "a" either.
    no_text = event("a")[:-1] + ', "note": "\x00"}'
    texts = [
        event("a"),
        event("a"),
        event("bad", user_id=None),
        event("late", event_time="2026-10-02T02:00:00.000Z"),
    ]
    raw = lines(spark, [*texts, no_text])
    fmt = event_format("events_jsonl")

    delivered = check_event_lines(raw, fmt, ReadContext(TIMEZONE), settings)
    counts = IngestCounts.from_rows(count_outcomes(delivered).collect())
    assert counts == IngestCounts(
        lines=5, valid=2, quarantined=2, duplicates=1, reasons={"bad_encoding": 1, "missing:user_id": 1}
    )

    imported = check_event_lines(raw, fmt, ReadContext(TIMEZONE), settings, by_event_date=True)
    per_date = IngestCounts.per_key(count_outcomes(imported, by=[C.INGEST_DATE]).collect(), C.INGEST_DATE)
    assert {day: c.lines for day, c in per_date.items()} == {dt.date(2026, 10, 2): 1, RUN_DATE: 4}


def test_an_account_reads_as_one_log_line():
    counts = IngestCounts(lines=120, valid=117, quarantined=3, duplicates=0, reasons={"missing:user_id": 3})
    assert counts.summary() == "120 rows, 117 valid, 3 quarantined (2.50%) {'missing:user_id': 3}"


def test_conservation_failure_names_every_count():
    counts = IngestCounts(lines=10, valid=6, quarantined=2, duplicates=1)
    with pytest.raises(
        ConservationError, match=r"10 input lines but 9 accounted for .*valid 6 .*quarantined 2"
    ):
        check_conservation(counts, RUN_DATE)


def json_ids(texts: list[str]) -> list[str]:
    return [json.loads(text)[C.EVENT_ID] for text in texts]
