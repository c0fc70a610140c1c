"""The sample-data generator: deterministic, realistic where later stages depend on it, truth kept exact."""

from __future__ import annotations

import pytest
from chispa import assert_df_equality
from pyspark.ml.classification import LogisticRegression
from pyspark.ml.linalg import Vectors
from pyspark.sql import functions as F
from pyspark.sql import types as T

from sample_shop.generator.dataset import build_inputs, build_sample_data
from sample_shop.generator.materialise import LocalCheckpoints
from shop_platform.config import load_config

TIMEZONE = "Asia/Shanghai"
SMALL = [
    "generator.users=300",
    "generator.items=400",
    "generator.days=14",
    "generator.bundles=8",
    "generator.partitions=2",
    "generator.dirt.bot_users=1",
    "generator.dirt.bot_events_per_day=400",
]


def generate(spark, *overrides: str):
    """The sample data as the job builds it: users, plans, orders and events materialised once."""
    settings = load_config("local", [*SMALL, *overrides]).generator
    inputs = build_inputs(spark, settings)
    data = build_sample_data(inputs, settings, TIMEZONE, settings.start_date, checkpoint=LocalCheckpoints())
    return data, settings


@pytest.fixture(scope="module")
def sample(spark):
    data, settings = generate(spark)
    data.raw_events.cache()
    yield data, settings
    data.raw_events.unpersist()


def test_the_session_stays_usable_for_mllib_after_generating(spark, sample):
    """Spark 4's `Observation` left the session unserializable, so a model that keeps its training summary
    (which holds the session) failed to score later in the same process, as the daily pipeline does."""
    rows = [(Vectors.dense([x]), float(x > 0.5)) for x in (0.1, 0.3, 0.7, 0.9)]
    labelled = spark.createDataFrame(rows, ["features", "label"])
    model = LogisticRegression(maxIter=5).fit(labelled)
    assert model.transform(labelled).filter("prediction = label").count() == 4


def fingerprint(df):
    """Row count and an order-independent hash of every row: equal frames give equal fingerprints."""
    return tuple(df.agg(F.count("*"), F.sum(F.xxhash64(*df.columns).cast("decimal(38,0)"))).first())


def test_same_seed_gives_the_same_data_and_another_seed_does_not(spark, sample):
    data, _ = sample
    again, _ = generate(spark)
    assert_df_equality(data.truth_personas, again.truth_personas, ignore_row_order=True)
    assert fingerprint(data.raw_events) == fingerprint(again.raw_events)
    other, _ = generate(spark, "generator.seed=7")
    assert fingerprint(data.raw_events) != fingerprint(other.raw_events)


def test_truth_datasets_have_exactly_the_promised_columns(sample):
    data, _ = sample
    expected = {
        "truth_personas": ["user_id", "persona"],
        "truth_event_sessions": ["event_id", "session_id"],
        "truth_bundles": ["bundle_id", "item_id"],
        "truth_campaigns": ["campaign_id", "user_id", "group", "planted_uplift"],
        "truth_churn": ["user_id", "churn_date"],
        "truth_dirt": ["event_id", "date", "dirt"],
    }
    for name, columns in expected.items():
        assert getattr(data, name).columns == columns, name
    assert {f.name: f.dataType for f in data.truth_churn.schema.fields}["churn_date"] == T.DateType()
    groups = {r.group for r in data.truth_campaigns.select("group").distinct().collect()}
    assert groups == {"treatment", "control"}


def test_ids_are_strings_and_event_ids_unique_among_clean_events(sample):
    data, _ = sample
    assert dict(data.events.dtypes)["event_id"] == "string"
    assert data.events.groupBy("event_id").count().filter(F.col("count") > 1).count() == 0


def test_personas_differ_in_activity_and_spend(sample):
    data, _ = sample
    personas = data.truth_personas.filter(F.col("persona") != "bot")
    orders = data.events.filter(F.col("event_type") == "order")
    per_persona = (
        personas.join(data.events.groupBy("user_id").count(), on=["user_id"], how="left")
        .join(orders.groupBy("user_id").agg(F.avg("amount").alias("avg_amount")), on=["user_id"], how="left")
        .groupBy("persona")
        .agg(
            F.avg(F.coalesce("count", F.lit(0))).alias("events_per_user"), F.avg("avg_amount").alias("amount")
        )
        .collect()
    )
    stats = {r.persona: r for r in per_persona}
    assert len(stats) >= 5
    events = sorted(r.events_per_user for r in stats.values())
    assert events[-1] > 2 * events[0], stats
    amounts = [r.amount for r in stats.values() if r.amount is not None]
    assert max(amounts) > 1.3 * min(amounts), stats


def test_session_gaps_are_under_30_minutes_inside_and_over_between(sample):
    data, _ = sample
    from pyspark.sql import Window

    timed = data.events.drop("session_id").join(data.truth_event_sessions, on=["event_id"], how="inner")
    sessions = timed.groupBy("user_id", "session_id").agg(
        F.min("event_time").alias("start"), F.max("event_time").alias("end")
    )
    inside = (
        timed.withColumn(
            "gap",
            F.col("event_time").cast("long")
            - F.lag(F.col("event_time").cast("long")).over(
                Window.partitionBy("session_id").orderBy("event_time", "event_id")
            ),
        )
        .agg(F.max("gap"))
        .first()[0]
    )
    between = (
        sessions.withColumn(
            "gap",
            F.col("start").cast("long")
            - F.lag(F.col("end").cast("long")).over(Window.partitionBy("user_id").orderBy("start")),
        )
        .agg(F.min("gap"))
        .first()[0]
    )
    assert inside < 30 * 60
    assert between > 30 * 60


def test_dirt_appears_at_the_configured_rates(sample):
    data, settings = sample
    lines = data.raw_events.select("value")
    total = lines.count()
    parsed = lines.select(F.from_json("value", "map<string,string>").alias("m"), "value")
    malformed = parsed.filter(F.col("m").isNull()).count()
    duplicates = total - lines.distinct().count()
    rate = settings.dirt.malformed_json_rate
    assert malformed == pytest.approx(total * rate, abs=max(6.0, 4 * (total * rate) ** 0.5))
    dup_rate = settings.dirt.duplicate_rate
    assert duplicates == pytest.approx(total * dup_rate, abs=max(8.0, 4 * (total * dup_rate) ** 0.5))


def test_bundle_items_are_bought_together_far_above_chance(sample):
    data, _ = sample
    lines = (
        data.events.filter(F.col("event_type") == "order")
        .select("order_id", F.explode("items").alias("line"))
        .select("order_id", F.col("line.item_id").alias("item_id"))
        .distinct()
    )
    orders = lines.select("order_id").distinct().count()
    pairs = (
        data.truth_bundles.alias("a")
        .join(
            data.truth_bundles.alias("b"),
            (F.col("a.bundle_id") == F.col("b.bundle_id")) & (F.col("a.item_id") < F.col("b.item_id")),
            how="inner",
        )
        .select(F.col("a.item_id").alias("x"), F.col("b.item_id").alias("y"))
    )
    with_x = lines.withColumnRenamed("item_id", "x")
    with_y = lines.withColumnRenamed("item_id", "y")
    support = (
        pairs.join(with_x, on=["x"], how="inner")
        .join(with_y, on=["order_id", "y"], how="inner")
        .groupBy("x", "y")
        .agg(F.countDistinct("order_id").alias("both"))
    )
    item_orders = lines.groupBy("item_id").agg(F.countDistinct("order_id").alias("n"))
    lift = (
        support.join(
            item_orders.withColumnRenamed("item_id", "x").withColumnRenamed("n", "nx"), on=["x"], how="inner"
        )
        .join(
            item_orders.withColumnRenamed("item_id", "y").withColumnRenamed("n", "ny"), on=["y"], how="inner"
        )
        .select((F.col("both") * F.lit(orders) / (F.col("nx") * F.col("ny"))).alias("lift"))
        .agg(F.expr("percentile_approx(lift, 0.5)"))
        .first()[0]
    )
    assert lift is not None and lift > 5


def test_late_arrivals_land_one_or_two_days_after_the_event(sample):
    data, settings = sample
    parsed = data.raw_events.select(
        F.to_date("date").alias("arrival"),
        F.to_date(
            F.from_utc_timestamp(F.get_json_object("value", "$.event_time").cast("timestamp"), TIMEZONE)
        ).alias("day"),
    ).filter(F.col("day").isNotNull())
    delay = parsed.select(F.datediff("arrival", "day").alias("late"))
    counts = {r.late: r["count"] for r in delay.groupBy("late").count().collect()}
    total = sum(counts.values())
    late = counts.get(1, 0) + counts.get(2, 0)
    assert late / total == pytest.approx(settings.late_event_share, abs=0.01)
    # Anything else is planted dirt: timestamps 30-365 days ahead, or years (or decades) back.
    assert all(k in (0, 1, 2) or k <= -29 or k >= 1000 for k in counts), counts
