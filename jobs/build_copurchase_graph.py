"""Build the item co-purchase graph as of the run date and run the graph algorithms on it.

    shop-build-copurchase-graph --env local --date 2026-10-30
    shop-build-copurchase-graph --env local --date 2026-10-30 --set graph.engine=builtin

Reads the lines of silver.order_items whose silver.orders status is in graph.order_statuses (paid and
refunded orders by default), placed in the graph.lookback_days days through the run date, and rewrites the
run date's partition of:

    gold.copurchase_edges   item pairs bought in one order (same_order) or by one user within
                            graph.same_user_window_days days (same_user), both directions, with support,
                            confidence and lift, pruned by graph.min_support and graph.min_lift
    gold.item_rank          PageRank of every item bought in the window
    gold.item_communities   connected components and label-propagation communities (bundle candidates)
    gold.bought_together    the top graph.bought_together_top_n partners of every item

The algorithms run on the edges of graph.algorithm_edge_types with the engine graph.engine picks
(transforms/graph/engine.py); asking for graphframes without its jar stops the job (exit 2).
"""

from __future__ import annotations

import datetime as dt
import math
import sys
from collections.abc import Sequence

from pyspark import StorageLevel
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from shop_platform.cli import job_parser, parse_job_args
from shop_platform.logs import get_logger, timed
from shop_platform.session import get_spark, shuffle_partitions
from shop_platform.storage import Lake, LakeTable, open_lake
from transforms import columns as C
from transforms.graph.bought_together import bought_together
from transforms.graph.centrality import item_rank
from transforms.graph.communities import item_communities
from transforms.graph.copurchase import (
    COUNTED,
    PLACED,
    copurchase_edges,
    graph_edges,
    graph_vertices,
    purchased_lines,
    window_order_counts,
)
from transforms.graph.engine import GraphEngineUnavailableError, choose_engine
from transforms.graph.iterations import Checkpointing
from transforms.schemas import (
    GOLD_BOUGHT_TOGETHER_PARTITIONS,
    GOLD_BOUGHT_TOGETHER_SCHEMA,
    GOLD_COPURCHASE_EDGES_PARTITIONS,
    GOLD_COPURCHASE_EDGES_SCHEMA,
    GOLD_ITEM_COMMUNITIES_PARTITIONS,
    GOLD_ITEM_COMMUNITIES_SCHEMA,
    GOLD_ITEM_RANK_PARTITIONS,
    GOLD_ITEM_RANK_SCHEMA,
    SILVER_ORDER_ITEMS_PARTITIONS,
    SILVER_ORDER_ITEMS_SCHEMA,
    SILVER_ORDERS_PARTITIONS,
    SILVER_ORDERS_SCHEMA,
)

log = get_logger("jobs.build_copurchase_graph")

ORDER_ITEMS = "silver.order_items"
ORDERS = "silver.orders"
EDGES = "gold.copurchase_edges"
ITEM_RANK = "gold.item_rank"
ITEM_COMMUNITIES = "gold.item_communities"
BOUGHT_TOGETHER = "gold.bought_together"


def output_tables(lake: Lake) -> dict[str, LakeTable]:
    """The job's tables by name, created empty where they do not exist yet."""
    tables = {
        EDGES: lake.table(EDGES, GOLD_COPURCHASE_EDGES_SCHEMA, GOLD_COPURCHASE_EDGES_PARTITIONS),
        ITEM_RANK: lake.table(ITEM_RANK, GOLD_ITEM_RANK_SCHEMA, GOLD_ITEM_RANK_PARTITIONS),
        ITEM_COMMUNITIES: lake.table(
            ITEM_COMMUNITIES, GOLD_ITEM_COMMUNITIES_SCHEMA, GOLD_ITEM_COMMUNITIES_PARTITIONS
        ),
        BOUGHT_TOGETHER: lake.table(
            BOUGHT_TOGETHER, GOLD_BOUGHT_TOGETHER_SCHEMA, GOLD_BOUGHT_TOGETHER_PARTITIONS
        ),
    }
    for table in tables.values():
        table.create()
    return tables


def write_date(table: LakeTable, rows: DataFrame, snapshot_date: dt.date) -> None:
    """Replace the run date's partition of `table` with `rows`."""
    table.overwrite_partitions(
        rows.withColumn(C.SNAPSHOT_DATE, F.lit(snapshot_date)), {C.SNAPSHOT_DATE: [snapshot_date]}
    )


def algorithm_partitions(edges: int, edges_per_partition: int, most: int) -> int:
    """Shuffle partitions for the graph algorithms: one per `edges_per_partition` edges, 1..`most`."""
    return max(1, min(most, math.ceil(edges / edges_per_partition)))


def warn_what_is_missing(
    order_items: DataFrame,
    orders: DataFrame,
    statuses: Sequence[str],
    first_date: dt.date,
    run_date: dt.date,
) -> None:
    """Log, for a window without a bought item, which input lacks what the graph needs."""
    counts = window_order_counts(order_items, orders, statuses, first_date, run_date).first()
    window = f"{first_date}..{run_date}"
    if counts[PLACED] == 0:
        log.warning(
            "%s has no orders placed in %s: the co-purchase graph of %s is empty", ORDERS, window, run_date
        )
    elif counts[COUNTED] == 0:
        log.warning(
            "%s has %d orders placed in %s but none with status %s (no payment recorded: the collector's pay "
            "events, or an order export's %s column or ingest.order_lines.row_status): the co-purchase graph "
            "is empty",
            ORDERS, counts[PLACED], window, list(statuses), C.ORDER_STATUS,
        )  # fmt: skip
    else:
        log.warning(
            "%s has %d orders with status %s in %s but %s holds no line with an %s for any of them (an order "
            "export without an item id column): the co-purchase graph is empty",
            ORDERS, counts[COUNTED], list(statuses), window, ORDER_ITEMS, C.ITEM_ID,
        )  # fmt: skip


def main(argv: Sequence[str] | None = None) -> int:
    """Write the co-purchase graph tables of the run date; returns the exit status."""
    parser = job_parser(
        "Build gold.copurchase_edges, gold.item_rank, gold.item_communities, gold.bought_together."
    )
    ctx = parse_job_args(parser, argv)
    cfg = ctx.config
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
    sources = {
        ORDER_ITEMS: lake.table(ORDER_ITEMS, SILVER_ORDER_ITEMS_SCHEMA, SILVER_ORDER_ITEMS_PARTITIONS),
        ORDERS: lake.table(ORDERS, SILVER_ORDERS_SCHEMA, SILVER_ORDERS_PARTITIONS),
    }
    for name, table in sources.items():
        if not table.exists():
            log.error("%s does not exist at %s: run build_silver first", name, table.path)
            return 1
    tables = output_tables(lake)
    run_date = ctx.run_date
    first_date = run_date - dt.timedelta(days=settings.lookback_days - 1)
    log.info(
        "co-purchase graph as of %s: orders placed %s..%s with status %s; engine %s",
        run_date, first_date, run_date, settings.order_statuses, engine.name,
    )  # fmt: skip

    lines = purchased_lines(
        sources[ORDER_ITEMS].read(), sources[ORDERS].read(), settings.order_statuses, first_date, run_date
    ).persist(StorageLevel.MEMORY_AND_DISK)
    with timed(log, "co-purchase edges"):
        edges = copurchase_edges(
            lines, settings.same_user_window_days, settings.min_support, settings.min_lift
        ).persist(StorageLevel.MEMORY_AND_DISK)
        write_date(tables[EDGES], edges, run_date)
    vertices = graph_vertices(lines).persist(StorageLevel.MEMORY_AND_DISK)
    algorithm_edges = graph_edges(edges, settings.algorithm_edge_types).persist(StorageLevel.MEMORY_AND_DISK)
    counts = {
        "items": vertices.count(),
        "edges": edges.groupBy(C.EDGE_TYPE).count().collect(),  # one row per edge type
        "algorithm_edges": algorithm_edges.count(),
    }
    if counts["items"] == 0:
        warn_what_is_missing(
            sources[ORDER_ITEMS].read(), sources[ORDERS].read(), settings.order_statuses, first_date, run_date
        )
    log.info(
        "%d items bought; directed edges by type %s; the algorithms run on %d edges of %s",
        counts["items"], {row[C.EDGE_TYPE]: row["count"] for row in counts["edges"]},
        counts["algorithm_edges"], settings.algorithm_edge_types,
    )  # fmt: skip

    partitions = algorithm_partitions(
        counts["algorithm_edges"],
        settings.algorithm_edges_per_partition,
        int(spark.conf.get("spark.sql.shuffle.partitions")),
    )
    log.info("the graph algorithms shuffle into %d partition(s)", partitions)
    with shuffle_partitions(spark, partitions):
        pagerank = settings.pagerank
        with timed(log, f"PageRank ({engine.name})"):
            ranks = engine.pagerank(
                vertices,
                algorithm_edges,
                pagerank.reset_probability,
                pagerank.max_iterations,
                pagerank.tolerance,
            )
            write_date(tables[ITEM_RANK], item_rank(ranks, algorithm_edges), run_date)
        with timed(log, f"components and label propagation ({engine.name})"):
            components = engine.connected_components(vertices, algorithm_edges)
            communities = engine.label_propagation(
                vertices, algorithm_edges, settings.label_propagation_iterations
            )
            grouped = item_communities(components, communities, settings.max_bundle_size).persist(
                StorageLevel.MEMORY_AND_DISK
            )
            write_date(tables[ITEM_COMMUNITIES], grouped, run_date)
    candidates = grouped.where(F.col(C.BUNDLE_CANDIDATE)).agg(F.countDistinct(C.COMMUNITY)).first()[0]
    with timed(log, "bought together"):
        write_date(tables[BOUGHT_TOGETHER], bought_together(edges, settings.bought_together_top_n), run_date)

    for frame in (lines, edges, vertices, algorithm_edges, grouped):
        frame.unpersist()
    log.info(
        "wrote %s, %s, %s and %s for %s: %d items, %d bundle-candidate communities",
        EDGES, ITEM_RANK, ITEM_COMMUNITIES, BOUGHT_TOGETHER, run_date, counts["items"], candidates,
    )  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
