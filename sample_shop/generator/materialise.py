"""Materialising the sample data: each shared frame stored once, then every raw and truth dataset written
under the lake root, and the record of the days the lake holds (`GeneratedDays`)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any

from pyspark.errors import AnalysisException
from pyspark.sql import DataFrame

from sample_shop import tables as truth_tables
from sample_shop.generator.dataset import SampleData
from shop_platform.logs import get_logger, timed
from shop_platform.settings import GeneratorSettings
from shop_platform.storage.files import LakeFiles
from transforms import columns as C

log = get_logger(__name__)

RAW_EVENTS = "raw/events"
# One JSON line: the generated period, the last day generated and the settings that shaped the data.
GENERATED_DAYS = "truth/generated_days"
# Writes in flight at once (see `write_sample_data`).
WRITERS = 3
# The drift mode's settings in the record, and its switch (see `shaping_settings`).
_DRIFT = "drift."
DRIFT_SWITCH = "drift.enabled"


class LocalCheckpoints:
    """The generator's `Checkpoint`: materialises each shared frame once (`DataFrame.localCheckpoint`), logs it.

    Every output is then built on the stored rows instead of regenerating them, and its plan starts from
    them instead of from the whole generator, so planning stays fast and tasks stay small. The rows live
    in the executors' block stores (memory, spilling to disk) for the life of the session.
    `seconds` and `rows` record each materialisation.
    """

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self.rows: dict[str, int] = {}

    def __call__(self, frame: DataFrame, name: str) -> DataFrame:
        started = time.perf_counter()
        kept = frame.localCheckpoint(eager=True)
        # Counting the stored blocks is cheap. Not `Observation`: in Spark 4 it leaves the session
        # unserializable, and later jobs of the same process whose tasks capture the session then fail
        # (MLlib's evaluators, ALS).
        self.rows[name] = kept.count()
        self.seconds[name] = time.perf_counter() - started
        log.info("generated %s: %d rows in %.2fs", name, self.rows[name], self.seconds[name])
        return kept


def write_sample_data(data: SampleData, files: LakeFiles, partitions: int) -> dict[str, int]:
    """Write every raw and truth dataset; returns rows written per relative folder.

    Data that continues a lake (`SampleData.continues`) is added beside what the folders hold, which
    stays byte for byte as it was: the new days' lines go into their `date=` folders (late lines of the
    days before may be there already), new users' rows and new truth rows into new files. The datasets
    the period fixes (None) are not written.

    The writes are independent Spark jobs, submitted WRITERS at a time from threads: while the driver
    plans and compiles one, the executors run another's tasks.
    """
    append = data.continues
    lines = partial(files.write_lines, partition_by=[C.DATE], append=append)
    csv = partial(files.write_csv, append=append)
    parquet = partial(files.write_parquet, append=append)
    truth = truth_tables.truth_folder
    writes = {
        RAW_EVENTS: (data.raw_events.coalesce(partitions), lines),
        # A continuation's new users are a few rows a day: one file, not one per partition.
        "raw/users": (data.raw_users.coalesce(1) if append else data.raw_users, csv),
        "raw/items": (data.raw_items, csv),
        "raw/campaigns": (data.raw_campaigns, csv),
        "raw/campaign_assignments": (data.raw_campaign_assignments, csv),
        truth(truth_tables.PERSONAS): (data.truth_personas, parquet),
        truth(truth_tables.EVENT_SESSIONS): (data.truth_event_sessions, parquet),
        truth(truth_tables.BUNDLES): (data.truth_bundles, parquet),
        truth(truth_tables.CAMPAIGNS): (data.truth_campaigns, parquet),
        truth(truth_tables.CHURN): (data.truth_churn.coalesce(1) if append else data.truth_churn, parquet),
        truth(truth_tables.DIRT): (data.truth_dirt, parquet),
        truth(truth_tables.LAUNCHES): (data.truth_launches, parquet),
        truth(truth_tables.TASTE_CHANGES): (data.truth_taste_changes, parquet),
    }
    with ThreadPoolExecutor(max_workers=WRITERS, thread_name_prefix="write") as pool:
        pending = {
            folder: pool.submit(_write, folder, frame, writer)
            for folder, (frame, writer) in writes.items()
            if frame is not None
        }
        return {folder: future.result() for folder, future in pending.items()}


def _write(folder: str, frame: DataFrame, writer: Callable[[DataFrame, str], None]) -> int:
    # A count needs no columns, so it costs a fraction of the write (see `LocalCheckpoints` for why not
    # `Observation`).
    with timed(log, f"write {folder}"):
        rows = frame.count()
        writer(frame, folder)
    log.info("%s: %d rows", folder, rows)
    return rows


@dataclasses.dataclass(frozen=True)
class GeneratedDays:
    """What a generated lake holds: its period (day index 0 and length), the last day generated so far,
    and the generator settings that shaped it (which a continuation must share)."""

    start_date: dt.date
    days: int
    last_date: dt.date
    settings: dict[str, Any]

    @classmethod
    def of(cls, settings: GeneratorSettings, start_date: dt.date, last_date: dt.date) -> GeneratedDays:
        return cls(start_date, settings.days, last_date, shaping_settings(settings))

    @property
    def last_day(self) -> int:
        """Day index of `last_date` (0 = `start_date`)."""
        return (self.last_date - self.start_date).days

    def differences(self, settings: GeneratorSettings) -> list[str]:
        """`generator.<key> = <value>` for each shaping setting that differs from the recorded one (only
        `drift.enabled` when one side has drift on and the other off)."""
        current, recorded = _drift_switched(shaping_settings(settings)), _drift_switched(self.settings)
        if current[DRIFT_SWITCH] != recorded[DRIFT_SWITCH]:
            current, recorded = _without_drift(current), _without_drift(recorded)
        keys = sorted(set(current) | set(recorded))
        return [
            f"generator.{key} = {current.get(key)!r} (the lake's data was made with {recorded.get(key)!r})"
            for key in keys
            if current.get(key) != recorded.get(key)
        ]

    def to_json(self) -> str:
        return json.dumps(
            {
                "start_date": self.start_date.isoformat(),
                "days": self.days,
                "last_date": self.last_date.isoformat(),
                "settings": self.settings,
            },
            sort_keys=True,
        )

    @classmethod
    def from_json(cls, text: str) -> GeneratedDays:
        record = json.loads(text)
        return cls(
            dt.date.fromisoformat(record["start_date"]),
            int(record["days"]),
            dt.date.fromisoformat(record["last_date"]),
            record["settings"],
        )


def shaping_settings(settings: GeneratorSettings) -> dict[str, Any]:
    """The generator settings as flat `a.b` keys, except the period's start and length (recorded apart)
    and `partitions` (it splits the work, never changes the data). With drift off, its keys are left out
    too: the data is then what it was before the drift mode existed, and so is a lake's record."""
    flat: dict[str, Any] = {}

    def walk(prefix: str, value: Any) -> None:
        if dataclasses.is_dataclass(value):
            for field in dataclasses.fields(value):
                walk(f"{prefix}{field.name}.", getattr(value, field.name))
        else:
            flat[prefix.rstrip(".")] = value.isoformat() if isinstance(value, dt.date) else value

    walk("", settings)
    for key in ("start_date", "days", "partitions"):
        flat.pop(key)
    if not settings.drift.enabled:
        flat = {key: value for key, value in flat.items() if not key.startswith(_DRIFT)}
    return flat


def _drift_switched(flat: dict[str, Any]) -> dict[str, Any]:
    """`flat` with DRIFT_SWITCH false when absent: drift off leaves its keys out of the record."""
    return {DRIFT_SWITCH: False, **flat}


def _without_drift(flat: dict[str, Any]) -> dict[str, Any]:
    """`flat` without the drift settings other than its switch."""
    return {key: value for key, value in flat.items() if key == DRIFT_SWITCH or not key.startswith(_DRIFT)}


def write_generated_days(files: LakeFiles, record: GeneratedDays) -> None:
    """Replace the lake's record of its generated days."""
    frame = files.spark.createDataFrame([(record.to_json(),)], [C.VALUE]).coalesce(1)
    files.write_lines(frame, GENERATED_DAYS)


def read_generated_days(files: LakeFiles) -> GeneratedDays | None:
    """The lake's record of its generated days; None when it has none (made before the record existed)."""
    try:
        line = files.read_lines(GENERATED_DAYS).first()
    except AnalysisException as exc:
        if exc.getCondition() == "PATH_NOT_FOUND":
            return None
        raise
    return None if line is None else GeneratedDays.from_json(line[0])
