"""gold.item_rank: every item's PageRank on the co-purchase graph, its position and its degree."""

from __future__ import annotations

from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F

from transforms import columns as C
from transforms.graph.components import undirected_neighbours


def item_rank(ranks: DataFrame, edges: DataFrame) -> DataFrame:
    """Items by PageRank, highest first.

    Args:
        ranks: VERTEX_ID, PAGERANK (an engine's `pagerank`).
        edges: SRC, DST the ranks were computed on.

    Returns:
        ITEM_ID, PAGERANK, RANK (1 = most central; ties by item id), DEGREE (distinct neighbours).
    """
    degree = (
        undirected_neighbours(edges)
        .groupBy(F.col(C.SRC).alias(C.VERTEX_ID))
        .agg(F.count(F.lit(1)).alias(C.DEGREE))
    )
    # A single global order: one partition, fine for an item catalogue (not for users).
    position = Window.orderBy(F.col(C.PAGERANK).desc(), F.col(C.VERTEX_ID).asc())
    return (
        ranks.join(degree, on=[C.VERTEX_ID], how="left")
        .withColumn(C.RANK, F.row_number().over(position))
        .select(
            F.col(C.VERTEX_ID).alias(C.ITEM_ID),
            F.col(C.PAGERANK).cast("double").alias(C.PAGERANK),
            F.col(C.RANK).cast("int").alias(C.RANK),
            F.coalesce(F.col(C.DEGREE), F.lit(0)).cast("long").alias(C.DEGREE),
        )
    )
