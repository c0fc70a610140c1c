"""One embedded-engine commit with delta-spark's optimistic concurrency, on top of delta-rs.

delta-rs retries a commit that lost a race on its own, but it judges an insert-only upsert a blind append,
so two writers of the same new keys both commit. Here a commit is made against exactly the snapshot its
data was computed from (max_commit_retries=0); when another writer committed first, the caller's
`conflicts` rule reads those commits' actions and either lets the commit go on top of them or refuses it.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Sequence
from typing import Any

from deltalake import DeltaTable, Field, Schema
from deltalake.exceptions import CommitFailedError
from deltalake.transaction import AddAction, CommitProperties, RemoveAction
from pyspark.sql import types as T

from shop_platform.storage.engine import ConcurrentWriteError
from shop_platform.storage.log_actions import WRITE_ID, LogChanges, changes_since
from shop_platform.storage.schema_check import aligned_schema
from shop_platform.storage.staging import DataFile, delete_files

ENGINE_INFO = "shop-analytics embedded (Spark + delta-rs)"
# Delta's operation metric for the rows a commit wrote; our commits keep it in their userMetadata.
OUTPUT_ROWS = "numOutputRows"
# Commits of one write that may each land on top of other writers' harmless commits.
COMMIT_ATTEMPTS = 10

# Given the other writers' commits since the write's snapshot: why the write cannot go on top, or None.
ConflictRule = Callable[[LogChanges], "str | None"]


def no_conflict(changes: LogChanges) -> str | None:
    """The rule of a blind append: it read nothing, so no other writer's data commit can conflict."""
    return None


def commit_files(
    table: DeltaTable,
    path: str,
    location: str,
    files: list[DataFile],
    mode: str,
    data_schema: T.StructType,
    conflicts: ConflictRule,
    partition_filters: list[Any] | None = None,
    removes: Sequence[RemoveAction] = (),
    operation: str = "write",
    predicate: str | None = None,
) -> None:
    """Commit `files` (and `removes`) as one version on top of the snapshot `table` was loaded at.

    Args:
        path: the table as configured, for messages; `location` its canonical spelling, for I/O.

    Raises:
        ConcurrentWriteError: another writer committed changes this write depends on; `files` are
            deleted, so nothing of the write is left in the table folders.
    """
    read_version = table.version()
    write_id = uuid.uuid4().hex

    def check_others(latest: DeltaTable) -> int:
        """Raise if the other writers' commits up to `latest` conflict; return the version checked."""
        changes = changes_since(location, read_version, latest.version(), write_id)
        if changes.versions:
            reason = (
                f"{changes.describe()} changed the table's schema or protocol"
                if changes.metadata_changed
                else conflicts(changes)
            )
            if reason:
                raise ConcurrentWriteError(f"{operation} on {path}: {reason}")
        return latest.version()

    try:
        # The caller validated the data; this adds the columns schema evolution asked for, as nullable.
        table_schema = spark_schema(table)
        schema = aligned_schema(path, table_schema, data_schema, merge_schema=True)
        added = [f for f in schema.fields if f.name not in table_schema.fieldNames()]
        if added:
            # delta-rs commits file actions without a metadata change, so evolution is its own commit
            # just before the data's: if the data commit never happens, the table only gained null columns.
            table.alter.add_columns(
                [Field.from_json(json.dumps(f.jsonValue())) for f in added],
                commit_properties=CommitProperties(custom_metadata={WRITE_ID: write_id}),
            )
            table = DeltaTable(location)
            read_version = check_others(table)
        adds = [
            AddAction(
                path=f.path,
                size=f.size,
                partition_values=f.partition_values,
                modification_time=f.modification_time,
                data_change=True,
                stats=f.stats,
            )
            for f in files
        ]
        rows = sum(json.loads(f.stats)["numRecords"] for f in files)
        metadata = {
            "clientVersion": ENGINE_INFO,
            WRITE_ID: write_id,
            "userMetadata": json.dumps({"operation": operation, "predicate": predicate, OUTPUT_ROWS: rows}),
        }
        for _ in range(COMMIT_ATTEMPTS):
            try:
                table.create_write_transaction(
                    [*adds, *removes],
                    mode=mode,
                    schema=delta_schema(schema),
                    partition_by=table.metadata().partition_columns or None,
                    partition_filters=partition_filters,
                    commit_properties=CommitProperties(custom_metadata=metadata, max_commit_retries=0),
                )
                return
            except CommitFailedError:
                latest = DeltaTable(location)
                if latest.version() <= read_version:
                    raise  # not a lost race: delta-rs refused the transaction itself
                read_version = check_others(latest)
                table = latest
        raise ConcurrentWriteError(
            f"{operation} on {path}: other writers kept committing, {COMMIT_ATTEMPTS} commit attempts failed"
        )
    except BaseException:
        delete_files(location, files)
        raise


def delta_schema(schema: T.StructType) -> Schema:
    return Schema.from_json(schema.json())


def spark_schema(table: DeltaTable) -> T.StructType:
    # Delta's schema serialisation is Spark's StructType JSON, so types round-trip exactly.
    return T.StructType.fromJson(json.loads(table.schema().to_json()))
