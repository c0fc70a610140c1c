"""Hand-made bronze rows for the silver tests: one helper, so each test spells out only what it is about."""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

from pyspark.sql import DataFrame, SparkSession

from transforms.schemas import BRONZE_EVENTS_SCHEMA, BRONZE_ITEMS_SCHEMA, SILVER_EVENTS_SCHEMA

UTC = dt.timezone.utc
# The shop's zone in conf/base.yaml is Asia/Shanghai: UTC+8 all year, no daylight saving.
SHOP_OFFSET = dt.timedelta(hours=8)
TIMEZONE = "Asia/Shanghai"


def utc(day: dt.date, hour: int, minute: int = 0, second: int = 0) -> dt.datetime:
    """An aware UTC instant (aware, so PySpark does not apply the machine's local zone)."""
    return dt.datetime(day.year, day.month, day.day, hour, minute, second, tzinfo=UTC)


def local(day: dt.date, hour: int, minute: int = 0, second: int = 0) -> dt.datetime:
    """The UTC instant of a shop-local wall-clock time."""
    return utc(day, 0) + dt.timedelta(hours=hour, minutes=minute, seconds=second) - SHOP_OFFSET


def local_date(instant: dt.datetime) -> dt.date:
    return (instant.astimezone(UTC) + SHOP_OFFSET).date()


def session_id(user_id: str, first_event_id: str) -> str:
    """The id the pipeline gives a session: sha2-256 of "user|first event id"."""
    return hashlib.sha256(f"{user_id}|{first_event_id}".encode()).hexdigest()


def bronze_event(
    event_id: str,
    user_id: str,
    event_type: str,
    event_time: dt.datetime,
    *,
    ingest_date: dt.date | None = None,
    source_file: str | None = None,
    channel: str | None = "direct",
    device: str | None = "ios",
    **fields: Any,
) -> dict[str, Any]:
    """One bronze.events row; `fields` sets any other column (item_id, order_id, amount, items, ...)."""
    unknown = set(fields) - set(BRONZE_EVENTS_SCHEMA.fieldNames())
    if unknown:
        raise ValueError(f"not bronze.events columns: {sorted(unknown)}")
    event_date = local_date(event_time)
    ingest_date = ingest_date or event_date
    row = {name: None for name in BRONZE_EVENTS_SCHEMA.fieldNames()}
    row.update(
        event_id=event_id,
        user_id=user_id,
        event_type=event_type,
        event_time=event_time,
        channel=channel,
        device=device,
        source_file=source_file or f"raw/events/date={ingest_date}/part-00000.json",
        ingested_at=utc(ingest_date, 20),
        event_date=event_date,
        ingest_date=ingest_date,
        **fields,
    )
    return row


def bronze_events(spark: SparkSession, rows: list[dict[str, Any]]) -> DataFrame:
    return spark.createDataFrame(
        [tuple(r[n] for n in BRONZE_EVENTS_SCHEMA.fieldNames()) for r in rows], BRONZE_EVENTS_SCHEMA
    )


def bronze_items(spark: SparkSession, rows: list[tuple]) -> DataFrame:
    """Rows of (item_id, category_l1, category_l2, brand[, ingested_at])."""
    full = [
        (
            r[0],
            r[1],
            r[2],
            r[3],
            99.0,
            dt.date(2026, 1, 1),
            r[4] if len(r) > 4 else utc(dt.date(2026, 9, 1), 0),
        )
        for r in rows
    ]
    return spark.createDataFrame(full, BRONZE_ITEMS_SCHEMA)


def silver_event(
    event_id: str,
    user_id: str,
    event_type: str,
    event_time: dt.datetime,
    *,
    session: str = "s1",
    **fields: Any,
) -> dict[str, Any]:
    """One silver.events row (what the order transforms read), in session `session`."""
    unknown = set(fields) - set(SILVER_EVENTS_SCHEMA.fieldNames())
    if unknown:
        raise ValueError(f"not silver.events columns: {sorted(unknown)}")
    row = {name: None for name in SILVER_EVENTS_SCHEMA.fieldNames()}
    row.update(
        event_id=event_id,
        user_id=user_id,
        session_id=session,
        event_type=event_type,
        event_time=event_time,
        event_time_local=(event_time.astimezone(UTC) + SHOP_OFFSET).replace(tzinfo=None),
        event_date=local_date(event_time),
        **fields,
    )
    return row


def silver_events(spark: SparkSession, rows: list[dict[str, Any]]) -> DataFrame:
    return spark.createDataFrame(
        [tuple(r[n] for n in SILVER_EVENTS_SCHEMA.fieldNames()) for r in rows], SILVER_EVENTS_SCHEMA
    )
