"""The lake: tables addressed as `layer.name`, backed by one engine chosen from config."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import replace

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T

from shop_platform.logs import get_logger, timed
from shop_platform.settings import LakeSettings
from shop_platform.storage.engine import PartitionSpec, TableEngine, TableNotFoundError
from shop_platform.storage.files import LakeFiles
from shop_platform.storage.journal import WRITE_JOURNAL, TableWrite
from shop_platform.storage.paths import ensure_writable, resolve_root, table_path
from shop_platform.storage.schema_check import SchemaMismatchError, aligned_schema, select_in_order
from shop_platform.storage.spec import TableSpec

log = get_logger(__name__)

# A write spanning more partition values than this many per shuffle partition is clustered by them first:
# otherwise every task writes a file for every value it holds (546 dates of a long history over 8 tasks:
# 4,368 small files per table, each written, moved and described one by one). Below it (a month's 30 dates)
# the files are few and the extra shuffle of the rows would cost more than it saves.
CLUSTER_FROM_VALUES_PER_PARTITION = 4
SPARK_DEFAULT_SHUFFLE_PARTITIONS = 200


class DuplicateKeyError(ValueError):
    """An upsert source holds the same key more than once, so the result would be ambiguous."""


class LakeTable:
    """One Delta table, opened from its declaration. With a schema it is created on first write; without one
    it must exist."""

    def __init__(self, lake: Lake, spec: TableSpec) -> None:
        self.lake = lake
        self.spec = spec
        self.name = spec.name
        self.path = table_path(lake.root, spec.name)
        self.declared_schema = spec.schema
        self.declared_partitions = list(spec.partition_by)

    @property
    def engine(self) -> TableEngine:
        return self.lake.engine

    def exists(self) -> bool:
        return self.engine.exists(self.path)

    def create(
        self, schema: T.StructType | None = None, partition_by: Sequence[str] | None = None
    ) -> LakeTable:
        """Create the table if it does not exist; an existing table must have the same columns."""
        schema = schema or self.declared_schema
        partition_by = list(self.declared_partitions if partition_by is None else partition_by)
        if schema is None:
            raise ValueError(f"cannot create {self.name}: no schema given")
        unknown = [c for c in partition_by if c not in schema.fieldNames()]
        if unknown:
            raise ValueError(f"cannot create {self.name}: partition columns {unknown} are not in the schema")
        if self.exists():
            aligned_schema(self.name, self.schema(), schema)
            existing = self.engine.partition_columns(self.path)
            if existing != partition_by:
                raise SchemaMismatchError(f"{self.name} exists partitioned by {existing}, not {partition_by}")
            return self
        self.engine.create(self.path, schema, partition_by)
        log.info("created %s at %s (partitioned by %s)", self.name, self.path, partition_by or "nothing")
        return self

    def schema(self) -> T.StructType:
        self._require()
        return self.engine.schema(self.path)

    def partition_columns(self) -> list[str]:
        self._require()
        return self.engine.partition_columns(self.path)

    def append(self, df: DataFrame, merge_schema: bool = False) -> None:
        df = self._prepare(df, merge_schema)
        with timed(log, f"append to {self.name}"):
            self.engine.append(self.path, df, merge_schema)
        self._journal("append")

    def overwrite(self, df: DataFrame, merge_schema: bool = False) -> None:
        df = self._prepare(df, merge_schema)
        with timed(log, f"overwrite {self.name}"):
            self.engine.overwrite(self.path, df, merge_schema)
        self._journal("overwrite")

    def overwrite_partitions(
        self, df: DataFrame, partitions: PartitionSpec, merge_schema: bool = False, add_outside: bool = False
    ) -> None:
        """Replace exactly the rows of `partitions` (e.g. {"event_date": [d]}) with `df`, atomically.

        Every row of `df` must fall inside `partitions`; re-running with the same input gives the same rows.
        With `add_outside`, rows of `df` in other partitions are added to them in the same commit, their
        existing rows kept (e.g. current rows replaced while the rows they close join an archive partition).
        """
        df = self._prepare(df, merge_schema)
        table_partitions = self.engine.partition_columns(self.path)
        unknown = [c for c in partitions if c not in table_partitions]
        if unknown or not partitions:
            raise ValueError(
                f"overwrite_partitions on {self.name}: {unknown or 'no columns'} given, "
                f"but the table is partitioned by {table_partitions}"
            )
        empty = [c for c, values in partitions.items() if not list(values)]
        if empty:
            raise ValueError(f"overwrite_partitions on {self.name}: no values given for {empty}")
        df = clustered_for_write(df, partitions)
        with timed(log, f"overwrite partitions {_described(partitions)} of {self.name}"):
            self.engine.overwrite_partitions(self.path, df, partitions, merge_schema, add_outside)
        self._journal("overwrite_partitions")

    def upsert(self, df: DataFrame, keys: Sequence[str], merge_schema: bool = False) -> None:
        """Update the rows whose `keys` match a row of `df` and insert the rest (MERGE by key)."""
        missing = [k for k in keys if k not in df.columns]
        if not keys or missing:
            raise ValueError(f"upsert into {self.name}: key columns {missing or 'none'} not in the data")
        df = self._prepare(df, merge_schema)
        duplicates = df.groupBy(*keys).count().filter(F.col("count") > 1).limit(5).collect()
        if duplicates:
            shown = ", ".join(str({k: row[k] for k in keys}) for row in duplicates)
            raise DuplicateKeyError(f"upsert into {self.name}: the data has duplicate keys, e.g. {shown}")
        with timed(log, f"upsert into {self.name} by {list(keys)}"):
            self.engine.upsert(self.path, df, list(keys), merge_schema)
        self._journal("upsert")

    def read(self, version: int | None = None, timestamp: dt.datetime | None = None) -> DataFrame:
        """The latest snapshot, or the one at `version` or `timestamp` (time travel)."""
        if version is not None and timestamp is not None:
            raise ValueError(f"read {self.name}: give a version or a timestamp, not both")
        self._require()
        return self.engine.read(self.path, version, timestamp)

    def read_or_empty(self) -> DataFrame:
        """The latest snapshot, or no rows of the declared schema (with a warning naming the job that writes
        the table) when the table does not exist yet."""
        if self.exists():
            return self.read()
        log.warning(
            "%s does not exist at %s (%s writes it): read as no rows", self.name, self.path, self._writer()
        )
        return self.empty()

    def empty(self) -> DataFrame:
        """No rows, with the declared schema."""
        if self.declared_schema is None:
            raise ValueError(f"{self.name} declares no schema, so it has no empty frame")
        return self.lake.spark.createDataFrame([], self.declared_schema)

    def read_on(self, date: dt.date | None, missing_ok: bool = False) -> DataFrame:
        """The rows of one date of the table's date column (a snapshot, a day); none for a None date."""
        if date is None:
            return self._dated(missing_ok).where(F.lit(False))
        return self.read_between(date, date, missing_ok)

    def read_between(self, first: dt.date, last: dt.date, missing_ok: bool = False) -> DataFrame:
        """The rows whose date column falls from `first` through `last`; where the table is partitioned by
        that column, only the files of those dates are read."""
        column = self._date_column()
        if missing_ok and not self.exists():
            return self.read_or_empty().where(F.col(column).between(F.lit(first), F.lit(last)))
        self._require()
        return self.engine.read_between(self.path, column, first, last)

    def latest_date(self, on_or_before: dt.date | None = None) -> dt.date | None:
        """The table's last date (on or before `on_or_before` when given): from the log where the table is
        partitioned by its date, else a one-row aggregate; None when the table is missing or has no such
        date."""
        if not self.exists():
            return None
        dates = self.logged_dates()
        if dates is not None:
            return latest_of(dates, on_or_before)
        rows = self.read()
        if on_or_before is not None:
            rows = rows.where(F.col(self._date_column()) <= F.lit(on_or_before))
        return rows.agg(F.max(self._date_column())).first()[0]

    def earliest_date(self, before: dt.date | None = None) -> dt.date | None:
        """The table's first date (strictly before `before` when given): where its history starts; None when
        the table is missing or has no such date."""
        if not self.exists():
            return None
        dates = self.logged_dates()
        if dates is not None:
            return min((d for d in dates if before is None or d < before), default=None)
        rows = self.read()
        if before is not None:
            rows = rows.where(F.col(self._date_column()) < F.lit(before))
        return rows.agg(F.min(self._date_column())).first()[0]

    def latest_on_or_before(self, as_of: dt.date, needed_for: str) -> tuple[DataFrame, dt.date | None]:
        """The rows of the latest date on or before `as_of`, and that date; no rows and None (with a warning
        naming the table and what it was `needed_for`) when there is none."""
        date = self.latest_date(on_or_before=as_of)
        if date is None:
            log.warning("%s has no snapshot on or before %s: %s is left out", self.name, as_of, needed_for)
            return self.empty(), None
        if date < as_of:
            log.info("%s: using the snapshot of %s for %s", self.name, date, as_of)
        return self.read_on(date), date

    def version(self) -> int:
        self._require()
        return self.engine.version(self.path)

    def history(self) -> DataFrame:
        self._require()
        return self.engine.history(self.path)

    def rows_written(self) -> int | None:
        """Rows the table's latest commit wrote into new data files (None when its log does not say)."""
        self._require()
        return self.engine.rows_written(self.path)

    def vacuum(self, retention_hours: int | None = None) -> list[str]:
        self._require()
        hours = self.lake.settings.vacuum_retention_hours if retention_hours is None else retention_hours
        with timed(log, f"vacuum {self.name} (retention {hours}h)"):
            return self.engine.vacuum(self.path, hours)

    def properties(self) -> dict[str, str]:
        """The table's properties, e.g. {"shop.pii_salt_fingerprint": "..."}."""
        self._require()
        return self.engine.properties(self.path)

    def set_properties(self, properties: Mapping[str, str]) -> None:
        """Add or change table properties (custom keys such as `shop.pii_salt_fingerprint`) in one commit.

        Other properties are kept; the data is untouched.
        """
        self._require()
        bad = [k for k, v in properties.items() if not isinstance(k, str) or not k or not isinstance(v, str)]
        if bad:
            raise ValueError(f"set_properties on {self.name}: keys and values must be strings, got {bad}")
        if properties:
            self.engine.set_properties(self.path, dict(properties))
            log.info("set properties %s on %s", sorted(properties), self.name)

    def _journal(self, operation: str) -> None:
        WRITE_JOURNAL.record(TableWrite(self.name, operation, self.rows_written()))

    def _require(self) -> None:
        if not self.exists():
            raise TableNotFoundError(
                f"table {self.name} does not exist at {self.path}: run {self._writer()} first"
            )

    def _writer(self) -> str:
        return self.spec.written_by or "the job that writes it"

    def _date_column(self) -> str:
        if self.spec.date_column is None:
            raise ValueError(f"{self.name} declares no date column to read it by")
        return self.spec.date_column

    def logged_dates(self) -> list[dt.date] | None:
        """The dates of the table's date column, from its log where it is the partition column (no Spark job,
        and no file listing); None where only the rows can tell."""
        values = self.engine.partition_values(self.path, self._date_column())
        return None if values is None else [v for v in values if v is not None]

    def _dated(self, missing_ok: bool) -> DataFrame:
        return self.read_or_empty() if missing_ok else self.read()

    def _prepare(self, df: DataFrame, merge_schema: bool) -> DataFrame:
        if not self.exists():
            if self.declared_schema is None:
                raise TableNotFoundError(
                    f"table {self.name} does not exist at {self.path}; create it with a schema first"
                )
            self.create()
        new_schema = aligned_schema(self.name, self.engine.schema(self.path), df.schema, merge_schema)
        return select_in_order(df, new_schema)


def clustered_for_write(df: DataFrame, partitions: PartitionSpec) -> DataFrame:
    """`df` repartitioned by the partition columns when the write spans many values of them (see
    CLUSTER_FROM_VALUES_PER_PARTITION), so each value is written by one task into one file; else `df`."""
    values = max(len(list(v)) for v in partitions.values())
    setting = str(df.sparkSession.conf.get("spark.sql.shuffle.partitions"))
    # Databricks accepts "auto" (sized by the data): then Spark's own default number stands in.
    tasks = int(setting) if setting.isdigit() else SPARK_DEFAULT_SHUFFLE_PARTITIONS
    if values <= tasks * CLUSTER_FROM_VALUES_PER_PARTITION:
        return df
    return df.repartition(tasks, *partitions)


def _described(partitions: PartitionSpec) -> str:
    """The partitions of a write for the log: every value of a few, the first and last of many."""
    shown = {}
    for column, values in partitions.items():
        values = list(values)
        shown[column] = (
            [str(v) for v in values]
            if len(values) <= 3
            else f"{len(values)} values {values[0]}..{values[-1]}"
        )
    return str(shown)


class Lake:
    """Tables and files under one lake root, with the engine config chose."""

    def __init__(
        self, spark: SparkSession, settings: LakeSettings, engine: TableEngine, check_writable: bool = True
    ) -> None:
        self.spark = spark
        self.settings = settings
        self.root = resolve_root(settings.root)
        if check_writable:
            # Fail here, before a job reads its input, rather than at its first write deep inside Spark.
            ensure_writable(self.root, settings.root)
        self.engine = engine
        self.files = LakeFiles(spark, self.root)

    def table(
        self,
        table: TableSpec | str,
        schema: T.StructType | None = None,
        partition_by: Sequence[str] | None = None,
    ) -> LakeTable:
        """A declared table (`transforms.tables`), or one named here with an optional schema (scratch and
        test tables). A `schema` given with a declaration replaces the declared one (config-shaped tables)."""
        spec = table if isinstance(table, TableSpec) else TableSpec(table, None, written_by="")
        if schema is not None or partition_by is not None:
            spec = replace(
                spec,
                schema=schema if schema is not None else spec.schema,
                partition_by=tuple(spec.partition_by if partition_by is None else partition_by),
            )
        return LakeTable(self, spec)

    def latest_dates(
        self, tables: Sequence[LakeTable], on_or_before: dt.date | None = None
    ) -> dict[str, dt.date | None]:
        """Each table's `latest_date(on_or_before)` by name, for reading many tables as of one date; None for a
        table that is missing or has no such date. Tables partitioned by their date answer from their logs;
        the others in one Spark job (a union of one-row aggregates) instead of one per table."""
        union, from_logs = None, {}
        for table in tables:
            if not table.exists():
                continue
            dates = table.logged_dates()
            if dates is not None:
                from_logs[table.name] = latest_of(dates, on_or_before)
                continue
            rows, column = table.read(), table._date_column()
            if on_or_before is not None:
                rows = rows.where(F.col(column) <= F.lit(on_or_before))
            latest = rows.agg(F.max(column).alias("date")).select(F.lit(table.name).alias("table"), "date")
            union = latest if union is None else union.unionByName(latest)
        found = from_logs | ({} if union is None else {row["table"]: row["date"] for row in union.collect()})
        return {table.name: found.get(table.name) for table in tables}

    def path(self, name: str) -> str:
        return table_path(self.root, name)


def latest_of(dates: Sequence[dt.date], on_or_before: dt.date | None) -> dt.date | None:
    """The last of `dates` (on or before `on_or_before` when given); None when there is none."""
    return max((d for d in dates if on_or_before is None or d <= on_or_before), default=None)
