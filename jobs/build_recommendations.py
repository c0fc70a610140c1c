"""Blend ALS, co-purchase and popularity candidates into every user's top-N list: gold.recommendations.

    shop-build-recommendations --env local --date 2026-10-30
    python -m jobs.build_recommendations --env local --date 2026-10-30 --set recommend.blend.top_n=10

Recommends to every user known on the run date: those of gold.user_index first seen by then and those of
gold.user_features of the run date, so a registered user without interactions gets a cold-start list too.
The rules are transforms/recommend/blend.py's (the same function evaluate_recommenders scores); the inputs,
all as of the run date:

    gold.user_item_interactions   the matrix (rebuilt from gold.user_item_daily for an older run date)
    gold.user_item_daily          the last recommend.blend.recent_days days, the co-purchase seeds
    gold.als_recommendations      the run date's ALS candidates (train_als)
    gold.bought_together          its latest snapshot on or before the run date (build_copurchase_graph)
    gold.user_segments            its latest snapshot on or before the run date (build_segments)
    silver.events                 item categories (preferred categories, repeat-purchase exceptions)

Without gold.bought_together, gold.user_segments or gold.user_features the job warns and goes on without
that source (or those users). It rewrites the run date's partition of gold.recommendations: up to
recommend.blend.top_n rows per user with the score and the source of each.
"""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Sequence

from pyspark import StorageLevel
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T

from jobs.train_als import training_data
from shop_platform.cli import job_parser, parse_job_args
from shop_platform.logs import get_logger, timed
from shop_platform.session import get_spark
from shop_platform.storage import LakeTable, open_lake
from transforms import columns as C
from transforms.recommend.baselines import item_categories
from transforms.recommend.blend import BlendInputs, hybrid_recommendations
from transforms.recommend.candidates import SOURCES
from transforms.schemas import (
    GOLD_BOUGHT_TOGETHER_SCHEMA,
    GOLD_RECOMMENDATIONS_PARTITIONS,
    GOLD_RECOMMENDATIONS_SCHEMA,
    GOLD_USER_SEGMENTS_SCHEMA,
)

log = get_logger("jobs.build_recommendations")

USER_INDEX = "gold.user_index"
ITEM_INDEX = "gold.item_index"
INTERACTIONS = "gold.user_item_interactions"
USER_ITEM_DAILY = "gold.user_item_daily"
ALS_RECOMMENDATIONS = "gold.als_recommendations"
BOUGHT_TOGETHER = "gold.bought_together"
USER_SEGMENTS = "gold.user_segments"
USER_FEATURES = "gold.user_features"
SILVER_EVENTS = "silver.events"
RECOMMENDATIONS = "gold.recommendations"
REQUIRED = (USER_INDEX, ITEM_INDEX, INTERACTIONS, USER_ITEM_DAILY, ALS_RECOMMENDATIONS, SILVER_EVENTS)

PARTNER_COLUMNS = (C.ITEM_ID, C.PARTNER_ID, C.CONFIDENCE)
SEGMENT_COLUMNS = (C.USER_ID, C.SEGMENT_ID)


def empty_frame(spark: SparkSession, schema: T.StructType, columns: Sequence[str]) -> DataFrame:
    """No rows, with `columns` of `schema`: a source whose table is missing."""
    return spark.createDataFrame([], schema).select(*columns)


def snapshot_on_or_before(
    spark: SparkSession,
    table: LakeTable,
    schema: T.StructType,
    columns: Sequence[str],
    as_of: dt.date,
    what: str,
) -> tuple[DataFrame, dt.date | None]:
    """`columns` of the table's latest SNAPSHOT_DATE on or before `as_of`, and that date; no rows (with a
    warning naming the table and the `what` it feeds) when there is none."""
    date = None
    if table.exists():
        date = (
            table.read().where(F.col(C.SNAPSHOT_DATE) <= F.lit(as_of)).agg(F.max(C.SNAPSHOT_DATE)).first()[0]
        )
    if date is None:
        log.warning("%s has no snapshot on or before %s: %s is left out", table.name, as_of, what)
        return empty_frame(spark, schema, columns), None
    if date < as_of:
        log.info("%s: using the snapshot of %s for %s", table.name, date, as_of)
    rows = table.read().where(F.col(C.SNAPSHOT_DATE) == F.lit(date)).select(*columns)
    return rows, date


def known_users(user_index: DataFrame, features: LakeTable, run_date: dt.date) -> DataFrame:
    """USER_ID of every user indexed by the run date or with features on it, one row each."""
    indexed = user_index.where(F.col(C.FIRST_SEEN) <= F.lit(run_date)).select(C.USER_ID)
    if not features.exists():
        log.warning("%s does not exist: only users with interactions get recommendations", features.name)
        return indexed
    registered = features.read().where(F.col(C.SNAPSHOT_DATE) == F.lit(run_date)).select(C.USER_ID)
    if registered.isEmpty():
        log.warning(
            "%s has no rows for %s: only users with interactions get recommendations", features.name, run_date
        )
        return indexed
    return indexed.unionByName(registered).distinct()


def main(argv: Sequence[str] | None = None) -> int:
    """Write the run date's gold.recommendations; returns the exit status."""
    parser = job_parser("Blend the recommendation sources into gold.recommendations.")
    ctx = parse_job_args(parser, argv)
    cfg = ctx.config
    rec = cfg.recommend
    run_date = ctx.run_date
    spark = get_spark(cfg.spark, app_name="build_recommendations")
    lake = open_lake(spark, cfg.lake)
    tables = {name: lake.table(name) for name in REQUIRED}
    missing = [name for name, table in tables.items() if not table.exists()]
    if missing:
        log.error("%s missing under %s: run build_interactions and train_als first", missing, lake.root)
        return 1
    data = training_data(lake, cfg, run_date)
    if data is None:
        return 1
    interactions, _ = data
    als = tables[ALS_RECOMMENDATIONS].read().where(F.col(C.SNAPSHOT_DATE) == F.lit(run_date))
    if als.isEmpty():
        log.error(
            "%s has no rows for %s: run train_als for the run date first", ALS_RECOMMENDATIONS, run_date
        )
        return 1
    partners, _ = snapshot_on_or_before(
        spark,
        lake.table(BOUGHT_TOGETHER),
        GOLD_BOUGHT_TOGETHER_SCHEMA,
        PARTNER_COLUMNS,
        run_date,
        "copurchase",
    )
    segments, _ = snapshot_on_or_before(
        spark,
        lake.table(USER_SEGMENTS),
        GOLD_USER_SEGMENTS_SCHEMA,
        SEGMENT_COLUMNS,
        run_date,
        "segment_popular",
    )
    keep = StorageLevel.MEMORY_AND_DISK
    events = tables[SILVER_EVENTS].read().where(F.col(C.EVENT_DATE) <= F.lit(run_date))
    inputs = BlendInputs(
        users=known_users(tables[USER_INDEX].read(), lake.table(USER_FEATURES), run_date).persist(keep),
        interactions=interactions.select(C.USER_ID, C.ITEM_ID, C.STRENGTH, C.ORDERS).persist(keep),
        daily=tables[USER_ITEM_DAILY].read().select(C.USER_ID, C.ITEM_ID, C.STRENGTH, C.EVENT_DATE),
        als=als.select(C.USER_ID, C.RANK, C.ITEM_ID, C.SCORE),
        partners=partners,
        segments=segments,
        categories=item_categories(events).persist(keep),
    )
    recommendations = hybrid_recommendations(
        inputs, rec.blend, as_of=run_date, preferred_categories_per_user=rec.preferred_categories
    ).persist(keep)
    with timed(log, f"blend for {run_date}"):
        lake.table(
            RECOMMENDATIONS, GOLD_RECOMMENDATIONS_SCHEMA, partition_by=GOLD_RECOMMENDATIONS_PARTITIONS
        ).overwrite_partitions(
            recommendations.select("*", F.lit(run_date).alias(C.SNAPSHOT_DATE)), {C.SNAPSHOT_DATE: [run_date]}
        )
    users = inputs.users.count()
    counts = recommendations.agg(
        F.count_distinct(C.USER_ID).alias(C.USERS),
        *[F.count(F.when(F.col(C.SOURCE) == F.lit(s), 1)).alias(s) for s in SOURCES],
    ).first()
    by_source = {source: counts[source] for source in SOURCES}
    for frame in (recommendations, inputs.users, inputs.interactions, inputs.categories):
        frame.unpersist()
    log.info(
        "wrote %s for %s: %d rows for %d of %d known users; rows by source %s",
        RECOMMENDATIONS, run_date, sum(by_source.values()), counts[C.USERS], users, by_source,
    )  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
