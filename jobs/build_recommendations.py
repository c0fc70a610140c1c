"""Blend ALS, co-purchase and popularity candidates into every user's top-N list: gold.recommendations.

    shop-build-recommendations --env local --date 2026-10-30
    python -m jobs.build_recommendations --env local --date 2026-10-30 --set recommend.blend.top_n=10

Recommends to every user known on the run date: those of gold.user_index first seen by then and those of
gold.user_features of the run date, so a registered user without interactions gets a cold-start list too.
Each user group (new, light, heavy) is served its champion: the model with the best NDCG@k in that group on
the latest evaluation on or before the run date (gold.recommendation_metrics_by_group; ties, unevaluated
groups and users the champion has no list for get the blend: transforms/recommend/champions.py). A model
this session cannot run (BPR away from local mode) is no candidate, with a warning. The blend's rules are
transforms/recommend/blend.py's (the same function evaluate_recommenders scores); the inputs, all as of the
run date:

    gold.user_item_interactions   the matrix (rebuilt from gold.user_item_daily for an older run date)
    gold.user_item_daily          the last recommend.blend.recent_days days, the co-purchase seeds
    gold.als_recommendations      the run date's ALS candidates, on a day train_als ran; else the registered
                                  ALS champion's (recommend.model_name@champion) lists, scored here
    gold.bought_together          its latest snapshot on or before the run date (build_copurchase_graph)
    gold.user_segments            its latest snapshot on or before the run date (build_segments)
    gold.recommendation_metrics_by_group   the latest evaluation's scores per group (the champions)
    gold.item_categories          item categories (preferred categories, repeat-purchase exceptions to
                                  recommend.seen_items: what a user has is left out of every source), as
                                  of the matrix's date (build_interactions keeps it)

train_als runs weekly (conf/pipeline.yaml): on the other days the ALS candidates come from the champion it
registered, which must have been trained for the run date or before (a later one would recommend from the
future); without such a champion the job fails, naming train_als, rather than train here: training, with
its evaluated configuration and registration, is train_als's, and a lake without a champion has never had a
back-fill or a training day. Users first seen after the champion's training date get no ALS candidates (the
other sources fill their lists), as between two trainings before.

Without gold.bought_together, gold.user_segments or gold.user_features the job warns and goes on without
that source (or those users). It rewrites the run date's partition of gold.recommendations: up to
recommend.blend.top_n rows per user with the score and the source of each.
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import sys

from pyspark import StorageLevel
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from shop_platform.cli import JobContext, command, job_parser
from shop_platform.logs import get_logger, timed
from shop_platform.session import get_spark
from shop_platform.settings import Config
from shop_platform.storage import Lake, open_lake
from shop_platform.tracking import CHAMPION, load_registered_spark_model, registered_version, trained_on
from transforms import columns as C
from transforms import tables
from transforms.recommend.als import all_als_recommendations, als_engine, als_model
from transforms.recommend.baselines import item_popularity
from transforms.recommend.blend import (
    PARTNER_COLUMNS,
    SEGMENT_COLUMNS,
    BlendInputs,
    hybrid_recommendations,
    interacted_items,
    known_users,
    source_counts,
    user_groups,
)
from transforms.recommend.champions import SERVED_SOURCES, champions_lists, latest_champions, served_lists
from transforms.recommend.matrix import matrix_on, matrix_problem, matrix_sources
from transforms.recommend.models import BLEND, ModelInputs, unavailable_models
from transforms.recommend.seen_items import seen_pairs

log = get_logger("jobs.build_recommendations")

REQUIRED = (
    tables.USER_INDEX, tables.ITEM_INDEX, tables.USER_ITEM_INTERACTIONS, tables.USER_ITEM_DAILY,
    tables.ITEM_CATEGORIES,
)  # fmt: skip
TRAINING_TASK = "train_als"


def parser() -> argparse.ArgumentParser:
    return job_parser("Blend the recommendation sources into gold.recommendations.")


def champion_lists(cfg: Config, lake: Lake, run_date: dt.date, seen: DataFrame) -> DataFrame | None:
    """The registered ALS champion's top recommend.top_n items outside the `seen` pairs for every user it knows
    (USER_ID, RANK, ITEM_ID, SCORE: what train_als writes to gold.als_recommendations), for a day train_als did
    not run; None, with the reason logged, when no champion was trained for the run date or before."""
    name = cfg.recommend.model_name
    retrain = (f"run {TRAINING_TASK} for it first (python -m jobs.run_pipeline --date {run_date} --only "
               f"evaluate_recommenders --only {TRAINING_TASK})")  # fmt: skip
    version = registered_version(cfg, name)
    if version is None:
        log.error("%s has no rows for %s and no model is registered as %s@%s: %s", tables.ALS_RECOMMENDATIONS.name,
                  run_date, name, CHAMPION, retrain)  # fmt: skip
        return None
    trained = trained_on(version)
    if trained is None or trained > run_date:
        log.error("%s has no rows for %s and %s@%s (version %s) was trained for %s, not on or before it: %s",
                  tables.ALS_RECOMMENDATIONS.name, run_date, name, CHAMPION, version.version, trained,
                  retrain)  # fmt: skip
        return None
    log.info("%s has no rows for %s (%s did not run that day): scoring with %s@%s, version %s trained for %s",
             tables.ALS_RECOMMENDATIONS.name, run_date, TRAINING_TASK, name, CHAMPION, version.version,
             trained)  # fmt: skip
    model = als_model(load_registered_spark_model(cfg, name, version=int(version.version)))
    user_index, item_index = (lake.table(spec).read() for spec in (tables.USER_INDEX, tables.ITEM_INDEX))
    engine = als_engine(lake.spark, cfg.recommend.engine)
    return all_als_recommendations(
        model, user_index, item_index, k=cfg.recommend.top_n, engine=engine, seen=seen
    )


def serve_champions(
    lake: Lake,
    cfg: Config,
    run_date: dt.date,
    inputs: BlendInputs,
    interactions: DataFrame,
    blended: DataFrame,
    champions: dict[str, str],
) -> tuple[DataFrame, DataFrame | None]:
    """The served lists: `blended`, with the lists of each user group's champion where it is not the blend
    (transforms.recommend.champions); and the users' groups, persisted (None when the blend serves everyone)."""
    if all(model == BLEND for model in champions.values()):
        return blended, None
    rec = cfg.recommend
    activity = interacted_items(inputs.interactions.join(inputs.users, on=[C.USER_ID], how="left_semi"))
    # Read once per champion and once more to serve.
    groups = user_groups(
        inputs.users,
        activity,
        new_user_interactions=rec.blend.new_user_interactions,
        heavy_user_interactions=rec.blend.heavy_user_interactions,
    ).persist(StorageLevel.MEMORY_AND_DISK)
    # A day older than ten half-lives weighs under a thousandth: the trend reads no further back.
    trend_days = math.ceil(10 * rec.trending.half_life_days)
    model_inputs = ModelInputs(
        interactions=interactions,
        popularity=item_popularity(inputs.interactions),
        daily=lake.table(tables.USER_ITEM_DAILY).read_between(
            run_date - dt.timedelta(days=trend_days), run_date
        ),
        categories=inputs.categories,
        seen=inputs.seen,
        user_index=lake.table(tables.USER_INDEX).read(),
        item_index=lake.table(tables.ITEM_INDEX).read(),
        as_of=run_date,
    )
    lists = champions_lists(champions, groups, inputs.als, model_inputs, rec, rec.blend.top_n)
    return served_lists(blended, lists, groups, champions), groups


def run(ctx: JobContext) -> int:
    """Write the run date's gold.recommendations; returns the exit status."""
    cfg, run_date = ctx.config, ctx.run_date
    rec = cfg.recommend
    lake = open_lake(get_spark(cfg.spark, app_name="build_recommendations"), cfg.lake)
    missing = [spec.name for spec in REQUIRED if not lake.table(spec).exists()]
    if missing:
        log.error("%s missing under %s: run build_interactions first", missing, lake.root)
        return 1
    matrix_date = lake.table(tables.USER_ITEM_INTERACTIONS).latest_date()
    problem = matrix_problem(matrix_date, run_date)
    if problem:
        log.error("%s", problem)
        return 1
    interactions = matrix_on(
        run_date,
        {spec.name: lake.table(spec).read() for spec in matrix_sources(matrix_date, run_date)},
        half_life_days=cfg.interactions.half_life_days,
        timezone=cfg.app.timezone,
    )
    keep = StorageLevel.MEMORY_AND_DISK
    # The blend reads its columns, the seen pairs and a champion's model the indexed matrix: built once.
    interactions = interactions.persist(keep)
    categories = lake.table(tables.ITEM_CATEGORIES).read().persist(keep)
    seen = seen_pairs(interactions, categories, rec.seen_items).persist(keep)
    als = lake.table(tables.ALS_RECOMMENDATIONS).read_on(run_date, missing_ok=True)
    if als.isEmpty():
        als = champion_lists(cfg, lake, run_date, seen)
        if als is None:
            return 1
        # Scored once here, read by several candidate steps of the blend.
        als = als.persist(keep)
    partners, _ = lake.table(tables.BOUGHT_TOGETHER).latest_on_or_before(run_date, "copurchase")
    segments, _ = lake.table(tables.USER_SEGMENTS).latest_on_or_before(run_date, "segment_popular")
    registered = lake.table(tables.USER_FEATURES).read_on(run_date, missing_ok=True).select(C.USER_ID)
    if registered.isEmpty():
        log.warning("%s has no rows for %s: only users with interactions get recommendations",
                    tables.USER_FEATURES.name, run_date)  # fmt: skip
        registered = None
    inputs = BlendInputs(
        users=known_users(lake.table(tables.USER_INDEX).read(), registered, run_date).persist(keep),
        interactions=interactions.select(C.USER_ID, C.ITEM_ID, C.STRENGTH, C.ORDERS),
        daily=lake.table(tables.USER_ITEM_DAILY)
        .read_between(run_date - dt.timedelta(days=rec.blend.recent_days - 1), run_date)
        .select(C.USER_ID, C.ITEM_ID, C.STRENGTH, C.EVENT_DATE),
        als=als.select(C.USER_ID, C.RANK, C.ITEM_ID, C.SCORE),
        partners=partners.select(*PARTNER_COLUMNS),
        segments=segments.select(*SEGMENT_COLUMNS),
        categories=categories,
        seen=seen,
    )
    blended = hybrid_recommendations(
        inputs, rec.blend, as_of=run_date, preferred_categories_per_user=rec.preferred_categories
    )
    metrics = lake.table(tables.RECOMMENDATION_METRICS_BY_GROUP)
    unavailable = unavailable_models(lake.spark)
    for model, reason in unavailable.items():
        log.warning(
            "%s is not served here: %s; a user group it won goes to its next best model", model, reason
        )
    champions, evaluated = latest_champions(
        metrics.read() if metrics.exists() else None, run_date, unavailable=list(unavailable)
    )
    log.info("champions by user group %s (%s)", champions,
             f"evaluation of {evaluated}" if evaluated else "no evaluation yet: the blend serves everyone")  # fmt: skip
    recommendations, groups = serve_champions(lake, cfg, run_date, inputs, interactions, blended, champions)
    recommendations = recommendations.persist(keep)
    with timed(log, f"recommendations for {run_date}"):
        lake.table(tables.RECOMMENDATIONS).overwrite_partitions(
            recommendations.select("*", F.lit(run_date).alias(C.SNAPSHOT_DATE)), {C.SNAPSHOT_DATE: [run_date]}
        )
    users = inputs.users.count()
    counts = source_counts(recommendations, SERVED_SOURCES).first()
    for frame in (recommendations, inputs.users, interactions, inputs.categories, inputs.seen, als, groups):
        if frame is None:
            continue
        frame.unpersist()
    by_source = {source: counts[source] for source in SERVED_SOURCES if counts[source]}
    log.info(
        "wrote %s for %s: %d rows for %d of %d known users; rows by source %s",
        tables.RECOMMENDATIONS.name, run_date, sum(by_source.values()), counts[C.USERS], users, by_source,
    )  # fmt: skip
    return 0


main = command(parser, run)

if __name__ == "__main__":
    sys.exit(main())
