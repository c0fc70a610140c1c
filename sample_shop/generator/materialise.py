"""Materialising the sample data: each shared frame stored once, then every raw and truth dataset written
under the lake root."""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial

from pyspark.sql import DataFrame

from sample_shop import tables as truth_tables
from sample_shop.generator.dataset import SampleData
from shop_platform.logs import get_logger, timed
from shop_platform.storage.files import LakeFiles
from transforms import columns as C

log = get_logger(__name__)

RAW_EVENTS = "raw/events"
# Writes in flight at once (see `write_sample_data`).
WRITERS = 3


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

    The writes are independent Spark jobs, submitted WRITERS at a time from threads: while the driver
    plans and compiles one, the executors run another's tasks.
    """
    lines = partial(files.write_lines, partition_by=[C.DATE])
    truth = truth_tables.truth_folder
    writes = {
        RAW_EVENTS: (data.raw_events.coalesce(partitions), lines),
        "raw/users": (data.raw_users, files.write_csv),
        "raw/items": (data.raw_items, files.write_csv),
        "raw/campaigns": (data.raw_campaigns, files.write_csv),
        "raw/campaign_assignments": (data.raw_campaign_assignments, files.write_csv),
        truth(truth_tables.PERSONAS): (data.truth_personas, files.write_parquet),
        truth(truth_tables.EVENT_SESSIONS): (data.truth_event_sessions, files.write_parquet),
        truth(truth_tables.BUNDLES): (data.truth_bundles, files.write_parquet),
        truth(truth_tables.CAMPAIGNS): (data.truth_campaigns, files.write_parquet),
        truth(truth_tables.CHURN): (data.truth_churn, files.write_parquet),
        truth(truth_tables.DIRT): (data.truth_dirt, files.write_parquet),
    }
    with ThreadPoolExecutor(max_workers=WRITERS, thread_name_prefix="write") as pool:
        pending = {
            folder: pool.submit(_write, folder, frame, writer) for folder, (frame, writer) in writes.items()
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
