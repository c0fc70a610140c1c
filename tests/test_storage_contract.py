"""The lake storage contract, run against every engine (delta-spark is skipped where its jars are absent)."""

from __future__ import annotations

import datetime as dt
import re
import time

import polars as pl
import pytest
from chispa import assert_df_equality
from deltalake import DeltaTable
from pyspark.sql import functions as F
from pyspark.sql import types as T

from shop_platform.settings import LakeSettings
from shop_platform.storage import (
    DuplicateKeyError,
    SchemaMismatchError,
    TableNotFoundError,
    make_engine,
    open_lake,
)
from shop_platform.storage.delta_spark import delta_classes_loaded
from shop_platform.storage.journal import WRITE_JOURNAL, TableWrite, rows_by_table
from shop_platform.storage.lake import Lake
from shop_platform.storage.paths import TableNameError, table_path
from shop_platform.storage.spec import TableSpec

SCHEMA = T.StructType(
    [
        T.StructField("order_id", T.StringType(), True),
        T.StructField("amount", T.DoubleType(), True),
        T.StructField("quantity", T.IntegerType(), True),
        T.StructField("ordered_at", T.TimestampType(), True),
        T.StructField("order_date", T.DateType(), True),
        T.StructField("shard", T.IntegerType(), True),
    ]
)
PARTITIONS = ["order_date", "shard"]
DAY1, DAY2, DAY3 = dt.date(2026, 10, 1), dt.date(2026, 10, 2), dt.date(2026, 10, 3)


def order(order_id: str, amount: float, day: dt.date, shard: int = 1, quantity: int = 1):
    return (order_id, amount, quantity, dt.datetime.combine(day, dt.time(8, 30, 0, 123456)), day, shard)


ORDERS = [
    order("o1", 10.0, DAY1),
    order("o2", 20.5, DAY1, 2),
    order("o3", 7.25, DAY2),
    order("o4", 1.0, DAY3),
]


@pytest.fixture(params=["embedded", "delta-spark"])
def lake(request, spark, lake_root) -> Lake:
    if request.param == "delta-spark" and not delta_classes_loaded(spark):
        pytest.skip(
            "delta-spark engine: io.delta classes are not on this JVM's classpath (the Delta jars come from "
            "Maven, which this machine cannot reach); run with --packages io.delta:delta-spark_2.13:4.0.0"
        )
    settings = LakeSettings(
        root=lake_root, engine=request.param, vacuum_retention_hours=168, staging_retention_hours=0
    )
    return open_lake(spark, settings)


@pytest.fixture()
def orders(lake):
    table = lake.table("silver.orders", schema=SCHEMA, partition_by=PARTITIONS)
    table.create()
    table.append(lake.spark.createDataFrame(ORDERS, SCHEMA))
    return table


def test_table_name_maps_to_layer_folder_for_every_engine(lake):
    assert lake.table("silver.sessions").path == f"{lake.root}/silver/sessions"
    assert table_path("/x", "gold.user_profile") == "/x/gold/user_profile"
    with pytest.raises(TableNameError, match="platinum.sessions"):
        lake.table("platinum.sessions")


def test_created_table_is_empty_with_exact_schema_and_partitions(lake):
    table = lake.table("bronze.empty", schema=SCHEMA, partition_by=PARTITIONS).create()
    assert table.version() == 0
    assert table.partition_columns() == PARTITIONS
    assert_df_equality(table.read(), lake.spark.createDataFrame([], SCHEMA))


def test_append_round_trips_rows_and_partition_column_types(orders, spark):
    assert_df_equality(orders.read(), spark.createDataFrame(ORDERS, SCHEMA), ignore_row_order=True)
    assert dict(orders.read().dtypes)["order_date"] == "date"
    assert dict(orders.read().dtypes)["shard"] == "int"


def test_partition_filters_prune_to_matching_rows(orders):
    rows = orders.read().filter(F.col("order_date") == F.lit(DAY1)).select("order_id").collect()
    assert sorted(r.order_id for r in rows) == ["o1", "o2"]


def test_reading_a_missing_table_names_it(lake):
    with pytest.raises(TableNotFoundError, match="silver.nothing"):
        lake.table("silver.nothing").read()


def test_partition_overwrite_replaces_only_named_partitions_and_is_idempotent(orders, spark):
    replacement = spark.createDataFrame([order("o1b", 11.0, DAY1), order("o1c", 12.0, DAY1, 3)], SCHEMA)
    start = orders.version()
    orders.overwrite_partitions(replacement, {"order_date": [DAY1]})
    first = orders.read()
    expected = spark.createDataFrame(
        [order("o1b", 11.0, DAY1), order("o1c", 12.0, DAY1, 3), *ORDERS[2:]], SCHEMA
    )
    assert_df_equality(first, expected, ignore_row_order=True)
    assert orders.version() == start + 1

    orders.overwrite_partitions(replacement, {"order_date": [DAY1]})
    assert_df_equality(orders.read(), expected, ignore_row_order=True)
    assert orders.version() == start + 2


def test_partition_overwrite_with_empty_data_clears_the_partition(orders, spark):
    orders.overwrite_partitions(spark.createDataFrame([], SCHEMA), {"order_date": [DAY2]})
    assert sorted(r.order_id for r in orders.read().collect()) == ["o1", "o2", "o4"]


def test_partition_overwrite_rejects_rows_outside_the_partitions(orders, spark):
    before = orders.version()
    stray = spark.createDataFrame([order("o9", 1.0, DAY3)], SCHEMA)
    with pytest.raises(Exception, match="(?i)outside|replaceWhere|does not conform"):
        orders.overwrite_partitions(stray, {"order_date": [DAY1]})
    assert orders.version() == before
    assert orders.read().count() == len(ORDERS)


def test_partition_overwrite_can_add_rows_outside_the_partitions_in_the_same_commit(orders, spark):
    before = orders.version()
    rows = [order("o1b", 11.0, DAY1), order("o9", 1.0, DAY3)]
    orders.overwrite_partitions(spark.createDataFrame(rows, SCHEMA), {"order_date": [DAY1]}, add_outside=True)
    assert orders.version() == before + 1
    expected = spark.createDataFrame([rows[0], *ORDERS[2:], rows[1]], SCHEMA)
    assert_df_equality(orders.read(), expected, ignore_row_order=True)


def test_partition_overwrite_names_columns_that_are_not_partitions(orders, spark):
    with pytest.raises(ValueError, match="amount"):
        orders.overwrite_partitions(spark.createDataFrame(ORDERS, SCHEMA), {"amount": [1.0]})


def test_full_overwrite_replaces_all_rows(orders, spark):
    orders.overwrite(spark.createDataFrame([order("only", 1.0, DAY2)], SCHEMA))
    assert [r.order_id for r in orders.read().collect()] == ["only"]


def test_schema_mismatch_fails_naming_the_columns(orders, spark):
    wrong = spark.createDataFrame(ORDERS, SCHEMA).withColumn("quantity", F.col("quantity").cast("string"))
    with pytest.raises(SchemaMismatchError, match=r"quantity \(table int, data string\)"):
        orders.append(wrong)
    extra = spark.createDataFrame(ORDERS, SCHEMA).withColumn("coupon", F.lit("c1"))
    with pytest.raises(SchemaMismatchError, match=r"coupon \(string\)"):
        orders.append(extra)
    missing = spark.createDataFrame(ORDERS, SCHEMA).drop("amount")
    with pytest.raises(SchemaMismatchError, match=r"missing columns: amount \(double\)"):
        orders.append(missing)
    assert orders.version() == 1


def test_nested_values_promised_non_null_fit_a_column_that_allows_nulls_not_the_reverse(lake, spark):
    nullable_tags = T.StructType([T.StructField("tags", T.ArrayType(T.StringType(), containsNull=True))])
    table = lake.table("gold.tagged", schema=nullable_tags)
    non_null = spark.range(1).select(F.array(F.lit("a"), F.lit("b")).alias("tags"))
    assert not non_null.schema["tags"].dataType.containsNull
    table.append(non_null)
    assert table.read().collect() == [(["a", "b"],)]

    strict = lake.table(
        "gold.strict", schema=T.StructType([T.StructField("tags", T.ArrayType(T.StringType(), False))])
    )
    may_hold_null = spark.createDataFrame([(["a", None],)], nullable_tags)
    with pytest.raises(SchemaMismatchError, match=r"tags \(table array<string>, data array<string>\)"):
        strict.append(may_hold_null)


def test_schema_evolution_adds_a_nullable_column_when_asked(orders, spark):
    new = spark.createDataFrame([order("o5", 5.0, DAY3)], SCHEMA).withColumn("coupon", F.lit("c1"))
    orders.append(new, merge_schema=True)
    assert orders.schema().fieldNames() == [*SCHEMA.fieldNames(), "coupon"]
    coupons = {r.order_id: r.coupon for r in orders.read().collect()}
    assert coupons == {"o1": None, "o2": None, "o3": None, "o4": None, "o5": "c1"}


def test_replacing_partitions_with_a_new_column_evolves_the_table_when_asked(orders, spark):
    replacement = spark.createDataFrame([order("o6", 6.0, DAY2)], SCHEMA).withColumn("coupon", F.lit("c2"))
    with pytest.raises(SchemaMismatchError, match=r"columns not in the table: coupon"):
        orders.overwrite_partitions(replacement, {"order_date": [DAY2]})

    orders.overwrite_partitions(replacement, {"order_date": [DAY2]}, merge_schema=True)
    assert orders.schema().fieldNames() == [*SCHEMA.fieldNames(), "coupon"]
    coupons = {r.order_id: r.coupon for r in orders.read().collect()}
    assert coupons == {"o1": None, "o2": None, "o4": None, "o6": "c2"}


def test_time_travel_by_version_and_timestamp_returns_old_rows(orders, spark):
    version_with_four = orders.version()
    time.sleep(1.1)  # commit timestamps have millisecond resolution; keep the two versions apart
    between = dt.datetime.now(dt.timezone.utc)
    time.sleep(1.1)
    orders.overwrite(spark.createDataFrame([order("new", 1.0, DAY1)], SCHEMA))
    original = spark.createDataFrame(ORDERS, SCHEMA)
    assert_df_equality(orders.read(version=version_with_four), original, ignore_row_order=True)
    assert_df_equality(orders.read(timestamp=between), original, ignore_row_order=True)
    assert orders.read().count() == 1


def test_upsert_updates_matching_keys_and_inserts_new_ones(orders, spark):
    changes = spark.createDataFrame([order("o2", 99.0, DAY1, 2), order("o7", 3.0, DAY2)], SCHEMA)
    orders.upsert(changes, keys=["order_id"])
    expected = spark.createDataFrame(
        [ORDERS[0], order("o2", 99.0, DAY1, 2), *ORDERS[2:], order("o7", 3.0, DAY2)], SCHEMA
    )
    assert_df_equality(orders.read(), expected, ignore_row_order=True)
    orders.upsert(changes, keys=["order_id"])
    assert_df_equality(orders.read(), expected, ignore_row_order=True)


def test_upsert_rejects_duplicate_keys_in_the_source(orders, spark):
    twice = spark.createDataFrame([order("o2", 1.0, DAY1), order("o2", 2.0, DAY1)], SCHEMA)
    with pytest.raises(DuplicateKeyError, match="o2"):
        orders.upsert(twice, keys=["order_id"])


def test_history_lists_every_version_newest_first(orders, spark):
    orders.overwrite_partitions(
        spark.createDataFrame([order("x", 1.0, DAY2)], SCHEMA), {"order_date": [DAY2]}
    )
    versions = [r.version for r in orders.history().collect()]
    assert versions == [2, 1, 0]


def test_every_write_is_journaled_with_the_rows_it_wrote(orders, spark):
    mark = WRITE_JOURNAL.mark()
    rows = [order("x", 1.0, DAY2), order("y", 2.0, DAY2, 2)]
    orders.overwrite_partitions(spark.createDataFrame(rows, SCHEMA), {"order_date": [DAY2]})
    orders.append(spark.createDataFrame([order("z", 3.0, DAY1)], SCHEMA))
    assert WRITE_JOURNAL.since(mark) == [
        TableWrite(orders.name, "overwrite_partitions", 2),
        TableWrite(orders.name, "append", 1),
    ]
    assert rows_by_table(WRITE_JOURNAL.since(mark)) == {orders.name: 3}
    assert orders.history().first().operation_metrics["numOutputRows"] == "1"


def test_failed_write_leaves_the_previous_version_and_no_visible_files(orders, spark):
    before_version = orders.version()
    failing = spark.createDataFrame(ORDERS, SCHEMA).withColumn(
        "amount", F.when(F.col("order_id") == "o3", F.raise_error(F.lit("boom"))).otherwise(F.col("amount"))
    )
    with pytest.raises(Exception, match="boom"):
        orders.append(failing)
    assert orders.version() == before_version
    assert_df_equality(orders.read(), spark.createDataFrame(ORDERS, SCHEMA), ignore_row_order=True)


def test_vacuum_deletes_files_no_retained_version_needs(orders, spark):
    orders.overwrite(spark.createDataFrame([order("new", 1.0, DAY1)], SCHEMA))
    assert orders.vacuum(retention_hours=168) == [] or orders.engine.name == "delta-spark"
    deleted = orders.vacuum(retention_hours=0)
    assert orders.engine.name == "delta-spark" or len(deleted) >= 4
    assert [r.order_id for r in orders.read().collect()] == ["new"]


def test_engine_choice_follows_config(spark, lake_root):
    auto = make_engine(spark, LakeSettings(lake_root, "auto", 1, 1))
    assert auto.name == ("delta-spark" if delta_classes_loaded(spark) else "embedded")
    if not delta_classes_loaded(spark):
        with pytest.raises(RuntimeError, match="io.delta:delta-spark_2.13"):
            make_engine(spark, LakeSettings(lake_root, "delta-spark", 1, 1))


def test_tables_are_read_back_identically_by_delta_rs_and_polars(orders, spark):
    orders.upsert(spark.createDataFrame([order("o2", 99.0, DAY1, 2)], SCHEMA), keys=["order_id"])
    spark_rows = sorted(
        (r.order_id, r.amount, r.quantity, r.order_date, r.shard) for r in orders.read().collect()
    )
    arrow = DeltaTable(orders.path).to_pyarrow_table().to_pylist()
    delta_rs_rows = sorted(
        (r["order_id"], r["amount"], r["quantity"], r["order_date"], r["shard"]) for r in arrow
    )
    polars_rows = sorted(
        pl.read_delta(orders.path).select("order_id", "amount", "quantity", "order_date", "shard").iter_rows()
    )
    assert spark_rows == delta_rs_rows == polars_rows
    assert len(spark_rows) == len(ORDERS)


def test_table_properties_round_trip_and_keep_the_data(orders, spark):
    before = orders.version()
    assert "shop.pii_salt_fingerprint" not in orders.properties()
    orders.set_properties({"shop.pii_salt_fingerprint": "sha256:ab12", "shop.note": "it's keyed"})
    orders.set_properties({"shop.pii_salt_fingerprint": "sha256:cd34"})
    properties = orders.properties()
    assert properties["shop.pii_salt_fingerprint"] == "sha256:cd34"
    assert properties["shop.note"] == "it's keyed"
    assert orders.version() == before + 2
    assert_df_equality(orders.read(), spark.createDataFrame(ORDERS, SCHEMA), ignore_row_order=True)
    with pytest.raises(ValueError, match="must be strings"):
        orders.set_properties({"shop.count": 3})


@pytest.fixture(params=["root is a link", "folder above is a link", "file URI through a link"])
def linked_lake(request, lake, tmp_path) -> Lake:
    """The `lake` fixture's engine on a root reached through a symbolic link (issue 22)."""
    real = tmp_path / "real"
    (real / "lake").mkdir(parents=True)
    if request.param == "root is a link":
        (tmp_path / "lake-link").symlink_to(real / "lake", target_is_directory=True)
        root = str(tmp_path / "lake-link")
    else:
        (tmp_path / "link").symlink_to(real, target_is_directory=True)
        root = str(tmp_path / "link" / "lake")
        if request.param.startswith("file URI"):
            root = f"file://{root}"
    settings = LakeSettings(root, lake.engine.name, 168, 0)
    return Lake(lake.spark, settings, lake.engine)


def test_every_operation_works_on_a_lake_reached_through_a_symbolic_link(linked_lake, spark):
    assert linked_lake.root == linked_lake.settings.root  # shown as configured, never the link's target
    table = linked_lake.table("silver.orders", schema=SCHEMA, partition_by=PARTITIONS).create()
    table.append(spark.createDataFrame(ORDERS, SCHEMA))
    assert table.read().count() == len(ORDERS)
    first = table.version()
    time.sleep(1.1)
    between = dt.datetime.now(dt.timezone.utc)
    time.sleep(1.1)
    table.overwrite_partitions(
        spark.createDataFrame([order("o1b", 11.0, DAY1)], SCHEMA), {"order_date": [DAY1]}
    )
    table.upsert(
        spark.createDataFrame([order("o3", 99.0, DAY2), order("o8", 8.0, DAY3)], SCHEMA), ["order_id"]
    )
    current = {r.order_id: r.amount for r in table.read().collect()}
    assert current == {"o1b": 11.0, "o3": 99.0, "o4": 1.0, "o8": 8.0}
    original = spark.createDataFrame(ORDERS, SCHEMA)
    assert_df_equality(table.read(version=first), original, ignore_row_order=True)
    assert_df_equality(table.read(timestamp=between), original, ignore_row_order=True)
    assert [r.version for r in table.history().collect()] == [3, 2, 1, 0]
    deleted = table.vacuum(retention_hours=0)
    assert table.engine.name == "delta-spark" or len(deleted) == 3  # o1, o2 and o3's old files
    assert {r.order_id for r in table.read().collect()} == set(current)
    with pytest.raises(TableNotFoundError, match=re.escape(f"{linked_lake.root}/silver/nothing")):
        linked_lake.table("silver.nothing").read()


def orders_by_date(partition_by):
    """The orders table declared with its date column, partitioned by `partition_by`."""
    return TableSpec("silver.orders", SCHEMA, "build_silver", tuple(partition_by), date_column="order_date")


def test_earliest_date_is_where_a_tables_history_starts(lake, spark):
    table = lake.table(orders_by_date(PARTITIONS))
    assert table.earliest_date() is None  # no table yet
    table.append(spark.createDataFrame(ORDERS, SCHEMA))
    assert table.earliest_date() == DAY1
    assert table.earliest_date(before=DAY3) == DAY1
    assert table.earliest_date(before=DAY1) is None  # strictly before: nothing is older than the first day


def dated_orders(lake, spark, partition_by):
    table = lake.table(orders_by_date(partition_by))
    table.append(spark.createDataFrame(ORDERS, SCHEMA))
    return table


def order_ids(df):
    return sorted(r.order_id for r in df.collect())


@pytest.mark.parametrize("partition_by", [PARTITIONS, ["shard"]], ids=["by date", "not by date"])
def test_dated_reads_and_a_tables_dates_are_the_same_however_it_is_partitioned(lake, spark, partition_by):
    # Partitioned by its date, a table answers from its log and the range's files; otherwise from its rows.
    table = dated_orders(lake, spark, partition_by)
    assert order_ids(table.read_between(DAY2, DAY3)) == ["o3", "o4"]
    assert order_ids(table.read_on(DAY1)) == ["o1", "o2"]
    assert order_ids(table.read_on(dt.date(2026, 9, 30))) == []
    assert order_ids(table.read_on(None)) == []
    assert (table.earliest_date(), table.latest_date()) == (DAY1, DAY3)
    assert table.latest_date(on_or_before=DAY2) == DAY2
    assert lake.latest_dates([table], on_or_before=DAY2) == {table.name: DAY2}
    # A date whose rows are gone is no date of the table any more.
    table.overwrite(spark.createDataFrame(ORDERS[:3], SCHEMA))
    assert (table.latest_date(), lake.latest_dates([table])) == (DAY2, {table.name: DAY2})
    assert order_ids(table.read_between(DAY2, DAY3)) == ["o3"]


def test_a_missing_table_read_by_date_is_empty_when_allowed(lake):
    table = lake.table(orders_by_date(PARTITIONS))
    assert order_ids(table.read_between(DAY1, DAY3, missing_ok=True)) == []
    assert table.latest_date() is None
    with pytest.raises(TableNotFoundError, match="silver.orders"):
        table.read_on(DAY1)


def test_a_dated_read_gives_spark_only_the_files_of_its_dates(lake, spark):
    if lake.engine.name != "embedded":
        pytest.skip("delta-spark prunes the files itself, when the query runs")
    table = dated_orders(lake, spark, PARTITIONS)
    files = table.read_between(DAY2, DAY3).inputFiles()
    assert len(files) == 2, files
    assert all(re.search(r"/order_date=2026-10-0[23]/", f) for f in files), files


@pytest.fixture()
def two_shuffle_partitions(spark):
    # A job run earlier in the same session may have set its own (8 in conf/local.yaml).
    setting = spark.conf.get("spark.sql.shuffle.partitions")
    spark.conf.set("spark.sql.shuffle.partitions", "2")
    yield
    spark.conf.set("spark.sql.shuffle.partitions", setting)


def test_a_write_over_many_dates_gives_one_file_per_date(lake, spark, two_shuffle_partitions):
    # 20 dates spread over 4 input partitions: unclustered, every task would write a file for each date it
    # holds (up to 80); 2 shuffle partitions put the threshold at 8 values.
    days = [DAY1 + dt.timedelta(days=n) for n in range(20)]
    rows = [order(f"o{n}-{i}", float(i), day) for n, day in enumerate(days) for i in range(4)]
    table = lake.table("silver.daily_orders", schema=SCHEMA, partition_by=["order_date"])
    table.create()
    table.overwrite_partitions(spark.createDataFrame(rows, SCHEMA).repartition(4), {"order_date": days})
    assert_df_equality(table.read(), spark.createDataFrame(rows, SCHEMA), ignore_row_order=True)
    files = DeltaTable(table.path).file_uris()
    assert len(files) == len(days), files
