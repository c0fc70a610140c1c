"""The contract every table engine fulfils; `LakeTable` calls it, jobs never do."""

from __future__ import annotations

import datetime as dt
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from typing import Any

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T

# Partition values per partition column: {"event_date": [date(2026, 10, 1), ...]}.
PartitionSpec = Mapping[str, Sequence[Any]]

# Times an upsert that lost a race to a writer of the same keys is merged again before it gives up.
MERGE_ATTEMPTS = 4

HISTORY_SCHEMA = T.StructType(
    [
        T.StructField("version", T.LongType(), False),
        T.StructField("timestamp", T.TimestampType(), True),
        T.StructField("operation", T.StringType(), True),
        T.StructField("operation_parameters", T.MapType(T.StringType(), T.StringType()), True),
        T.StructField("operation_metrics", T.MapType(T.StringType(), T.StringType()), True),
    ]
)


class TableNotFoundError(LookupError):
    """The table has not been created (no Delta log at its path)."""


class ConcurrentWriteError(RuntimeError):
    """Another writer committed, since the snapshot a write was computed from, changes that write depends on.

    Nothing of the failed write is visible; re-running it computes it from the new snapshot.
    """


class TableEngine(ABC):
    """Delta table operations on a path. Implementations: delta-spark, embedded (Spark + delta-rs)."""

    name: str

    def __init__(self, spark: SparkSession) -> None:
        self.spark = spark

    @abstractmethod
    def exists(self, path: str) -> bool: ...

    @abstractmethod
    def create(self, path: str, schema: T.StructType, partition_by: Sequence[str]) -> None:
        """Create an empty table; the caller has checked that it does not exist."""

    @abstractmethod
    def schema(self, path: str) -> T.StructType: ...

    @abstractmethod
    def partition_columns(self, path: str) -> list[str]: ...

    @abstractmethod
    def append(self, path: str, df: DataFrame, merge_schema: bool) -> None: ...

    @abstractmethod
    def overwrite(self, path: str, df: DataFrame, merge_schema: bool) -> None: ...

    @abstractmethod
    def overwrite_partitions(
        self, path: str, df: DataFrame, partitions: PartitionSpec, merge_schema: bool, add_outside: bool
    ) -> None:
        """Atomically replace the rows of `partitions` with `df` (replaceWhere semantics); rows of `df` outside
        them fail the write, or with `add_outside` are added to their partitions in the same commit."""

    @abstractmethod
    def upsert(self, path: str, df: DataFrame, keys: Sequence[str], merge_schema: bool) -> None:
        """Update rows whose keys match, insert the others; `df` keys are unique."""

    @abstractmethod
    def read(self, path: str, version: int | None, timestamp: dt.datetime | None) -> DataFrame: ...

    def read_between(self, path: str, column: str, first: Any, last: Any) -> DataFrame:
        """The latest snapshot's rows whose `column` lies from `first` through `last`.

        An engine that can leave out the files outside the range (a partition column) does, so a day's read
        costs the same on a year of history as on a week.
        """
        return self.read(path, None, None).where(F.col(column).between(F.lit(first), F.lit(last)))

    def partition_values(self, path: str, column: str) -> list[Any] | None:
        """The values partition column `column` takes in the latest snapshot's files that hold rows, from the
        table's log alone; None where the engine cannot tell without reading the data (then the caller
        aggregates the rows)."""
        return None

    @abstractmethod
    def version(self, path: str) -> int: ...

    @abstractmethod
    def rows_written(self, path: str) -> int | None:
        """Rows the table's latest commit wrote into new data files (None when the log does not say)."""

    @abstractmethod
    def history(self, path: str) -> DataFrame:
        """One row per table version, newest first, with HISTORY_SCHEMA."""

    @abstractmethod
    def vacuum(self, path: str, retention_hours: int) -> list[str]:
        """Delete files no version within the retention needs; return what was deleted."""

    @abstractmethod
    def properties(self, path: str) -> dict[str, str]:
        """The table's properties (Delta `configuration`), custom keys such as `shop.*` included."""

    @abstractmethod
    def set_properties(self, path: str, properties: Mapping[str, str]) -> None:
        """Add or change table properties in one metadata commit; other properties are kept."""
