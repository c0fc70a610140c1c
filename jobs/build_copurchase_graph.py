"""Build the item co-purchase graph as of the run date and run the graph algorithms on it.

    shop-build-copurchase-graph --env local --date 2026-10-30
    shop-build-copurchase-graph --env local --date 2026-10-30 --set graph.engine=builtin

Reads the lines of silver.order_items whose silver.orders status is in graph.order_statuses (paid and
refunded orders by default), placed in the graph.lookback_days days through the run date, and rewrites the
run date's partition of:

    gold.copurchase_edges   item pairs bought in one order (same_order) or by one user within
                            graph.same_user_window_days days (same_user), both directions, with support,
                            confidence, lift and shrunk lift (graph.lift_prior_strength), pruned by
                            graph.min_support and graph.min_lift
    gold.item_rank          PageRank of every item bought in the window
    gold.item_communities   connected components and label-propagation communities (bundle candidates)
    gold.bought_together    the top graph.bought_together_top_n partners of every item, by shrunk lift

The algorithms run on the edges of graph.algorithm_edge_types with the engine graph.engine picks
(transforms/graph/engine.py); asking for graphframes without its jar stops the job (exit 2).
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys

from pyspark import StorageLevel
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from shop_platform.cli import JobContext, command, job_parser
from shop_platform.logs import get_logger, timed
from shop_platform.session import get_spark
from shop_platform.storage import LakeTable, open_lake
from transforms import columns as C
from transforms import tables
from transforms.graph.bought_together import bought_together
from transforms.graph.centrality import item_rank
from transforms.graph.communities import item_communities
from transforms.graph.copurchase import (
    copurchase_edges,
    empty_graph_reason,
    graph_edges,
    graph_vertices,
    purchased_lines,
    window_order_counts,
)
from transforms.graph.engine import GraphEngineUnavailableError, choose_engine
from transforms.graph.iterations import Checkpointing, algorithm_partitions, algorithm_session

log = get_logger("jobs.build_copurchase_graph")

OUTPUTS = (tables.COPURCHASE_EDGES, tables.ITEM_RANK, tables.ITEM_COMMUNITIES, tables.BOUGHT_TOGETHER)


def parser() -> argparse.ArgumentParser:
    return job_parser(
        "Build gold.copurchase_edges, gold.item_rank, gold.item_communities, gold.bought_together."
    )


def write_date(table: LakeTable, rows: DataFrame, snapshot_date: dt.date) -> None:
    """Replace the run date's partition of `table` with `rows`.

    A column a later release adds (issue 18's SHRUNK_LIFT) evolves the table instead of failing on lakes
    written before it; older snapshots read it as null.
    """
    table.overwrite_partitions(
        rows.withColumn(C.SNAPSHOT_DATE, F.lit(snapshot_date)),
        {C.SNAPSHOT_DATE: [snapshot_date]},
        merge_schema=True,
    )


def run(ctx: JobContext) -> int:
    """Write the co-purchase graph tables of the run date; returns the exit status."""
    cfg, run_date = ctx.config, ctx.run_date
    settings = cfg.graph
    spark = get_spark(cfg.spark, app_name="build_copurchase_graph")
    if settings.checkpoint_dir:
        spark.sparkContext.setCheckpointDir(settings.checkpoint_dir)
    checkpointing = Checkpointing(settings.checkpoint_interval, reliable=bool(settings.checkpoint_dir))
    try:
        engine = choose_engine(spark, settings.engine, checkpointing)
    except GraphEngineUnavailableError as exc:
        log.error("%s", exc)
        return 2
    lake = open_lake(spark, cfg.lake)
    order_items, orders = lake.table(tables.ORDER_ITEMS), lake.table(tables.ORDERS)
    for table in (order_items, orders):
        if not table.exists():
            log.error("%s does not exist at %s: run build_silver first", table.name, table.path)
            return 1
    # Created on first write; an existing table may lack a column added since (write_date evolves it).
    edges_out, rank_out, communities_out, partners_out = (lake.table(spec) for spec in OUTPUTS)
    first_date = run_date - dt.timedelta(days=settings.lookback_days - 1)
    statuses = settings.order_statuses
    log.info("co-purchase graph as of %s: orders placed %s..%s with status %s; engine %s", run_date, first_date,
             run_date, statuses, engine.name)  # fmt: skip

    keep = StorageLevel.MEMORY_AND_DISK
    window = [table.read_between(first_date, run_date) for table in (order_items, orders)]
    lines = purchased_lines(*window, statuses, first_date, run_date).persist(keep)
    with timed(log, "co-purchase edges"):
        # Cut from the plan that read silver: the write, the counts, the partners and every step of the graph
        # algorithms read these rows, and each would otherwise analyse that plan again.
        edges = checkpointing.cut(
            copurchase_edges(
                lines,
                settings.same_user_window_days,
                settings.min_support,
                settings.min_lift,
                settings.lift_prior_strength,
            )
        )
        write_date(edges_out, edges, run_date)
    vertices = checkpointing.cut(graph_vertices(lines))
    algorithm_edges = checkpointing.cut(graph_edges(edges, settings.algorithm_edge_types))
    lines.unpersist()
    items = vertices.count()
    by_type = {row[C.EDGE_TYPE]: row["count"] for row in edges.groupBy(C.EDGE_TYPE).count().collect()}
    on_edges = algorithm_edges.count()
    if items == 0:
        counts = window_order_counts(*window, statuses, first_date, run_date).first()
        log.warning("%s", empty_graph_reason(counts.asDict(), statuses, first_date, run_date))
    log.info("%d items bought; directed edges by type %s; the algorithms run on %d edges of %s", items, by_type,
             on_edges, settings.algorithm_edge_types)  # fmt: skip

    most = int(spark.conf.get("spark.sql.shuffle.partitions"))
    partitions = algorithm_partitions(on_edges, settings.algorithm_edges_per_partition, most)
    log.info("the graph algorithms shuffle into %d partition(s)", partitions)
    with algorithm_session(spark, partitions):
        pagerank = settings.pagerank
        with timed(log, f"PageRank ({engine.name})"):
            ranks = engine.pagerank(vertices, algorithm_edges, pagerank.reset_probability,
                                    pagerank.max_iterations, pagerank.tolerance)  # fmt: skip
            write_date(rank_out, item_rank(ranks, algorithm_edges), run_date)
        with timed(log, f"components and label propagation ({engine.name})"):
            components = engine.connected_components(vertices, algorithm_edges)
            communities = engine.label_propagation(
                vertices, algorithm_edges, settings.label_propagation_iterations
            )
            grouped = item_communities(components, communities, settings.max_bundle_size).persist(keep)
            write_date(communities_out, grouped, run_date)
    candidates = grouped.where(F.col(C.BUNDLE_CANDIDATE)).agg(F.countDistinct(C.COMMUNITY)).first()[0]
    with timed(log, "bought together"):
        write_date(partners_out, bought_together(edges, settings.bought_together_top_n), run_date)

    grouped.unpersist()
    log.info("wrote %s, %s, %s and %s for %s: %d items, %d bundle-candidate communities",
             *(spec.name for spec in OUTPUTS), run_date, items, candidates)  # fmt: skip
    return 0


main = command(parser, run)

if __name__ == "__main__":
    sys.exit(main())
