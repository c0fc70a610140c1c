"""PageRank by power iteration as distributed DataFrame steps, normalised as networkx normalises it.

With n vertices, damping alpha = 1 - reset_probability and out-degree d(u), each step is

    rank'(v) = alpha * (sum over edges u -> v of rank(u) / d(u) + dangling / n) + (1 - alpha) / n

where `dangling` is the rank held by vertices without out-edges, spread over all vertices (networkx's
default), so the ranks always sum to 1. Ranks start at 1 / n; the loop stops when the ranks moved less
than n * tolerance in total (networkx's rule) or after `max_iterations` steps. Edges are unweighted and
directed, as in GraphFrames; an undirected pair is two edges. GraphFrames (GraphX) ranks sum to n
instead, but at convergence they are these ranks times n.
"""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from transforms import columns as C
from transforms.graph.iterations import Checkpointing, release

_WEIGHT = "_weight"
_DANGLING = "_dangling"
_DANGLING_RANK = "_dangling_rank"
_INFLOW = "_inflow"
_MOVED = "_moved"


def pagerank(
    vertices: DataFrame,
    edges: DataFrame,
    reset_probability: float,
    max_iterations: int,
    tolerance: float,
    checkpointing: Checkpointing,
) -> DataFrame:
    """The PageRank of every vertex.

    Args:
        vertices: VERTEX_ID, one row per vertex; edges must join vertices at both ends.
        edges: SRC, DST, one row per directed edge (repeats count as one).
        reset_probability: chance of a jump to a random vertex (1 - networkx's alpha).
        max_iterations: most power-iteration steps.
        tolerance: networkx's `tol`: stop when the L1 change of the ranks is below n * tolerance.
        checkpointing: how often the ranks are checkpointed.

    Returns:
        VERTEX_ID, PAGERANK (summing to 1), materialised.
    """
    if not 0.0 < reset_probability < 1.0:
        raise ValueError(f"graph.pagerank.reset_probability must be in (0, 1), got {reset_probability}")
    if max_iterations < 1:
        raise ValueError(f"graph.pagerank.max_iterations must be >= 1, got {max_iterations}")
    alpha = 1.0 - reset_probability
    # The vertex count is one number; everything else stays distributed.
    n = vertices.count()
    if n == 0:
        return vertices.select(C.VERTEX_ID, F.lit(None).cast("double").alias(C.PAGERANK))
    distinct_edges = edges.select(C.SRC, C.DST).distinct()
    out_degree = distinct_edges.groupBy(C.SRC).agg(F.count(F.lit(1)).alias(_WEIGHT))
    # Partitioned by SRC like the ranks by VERTEX_ID, so the step's join moves only the ranks' side.
    weighted = checkpointing.cut(
        distinct_edges.join(out_degree, on=[C.SRC], how="inner")
        .select(C.SRC, C.DST, (F.lit(1.0) / F.col(_WEIGHT)).alias(_WEIGHT))
        .repartition(C.SRC)
    )
    # Vertices appear once in `vertices` and once at most in `out_degree`: one row per vertex.
    ranks = checkpointing.cut(
        vertices.join(out_degree.withColumnRenamed(C.SRC, C.VERTEX_ID), on=[C.VERTEX_ID], how="left").select(
            C.VERTEX_ID,
            F.col(_WEIGHT).isNull().alias(_DANGLING),
            F.lit(1.0 / n).alias(C.PAGERANK),
            F.lit(None).cast("double").alias(_MOVED),
        )
    )
    dangling_rank = ranks.where(F.col(_DANGLING)).agg(F.sum(C.PAGERANK)).first()[0] or 0.0
    for iteration in range(1, max_iterations + 1):
        # No broadcasts: each step is one join and one aggregation, whatever the graph's size.
        inflow = (
            weighted.hint("shuffle_hash")
            .join(ranks.select(F.col(C.VERTEX_ID).alias(C.SRC), C.PAGERANK), on=[C.SRC], how="inner")
            .select(
                F.col(C.DST).alias(C.VERTEX_ID),
                F.lit(None).cast("boolean").alias(_DANGLING),
                (F.col(C.PAGERANK) * F.col(_WEIGHT)).alias(_INFLOW),
                F.lit(None).cast("double").alias(C.PAGERANK),
            )
        )
        current = ranks.select(C.VERTEX_ID, _DANGLING, F.lit(0.0).alias(_INFLOW), C.PAGERANK)
        # Grouped by vertex, the vertex's own row carries its flag and old rank, the others its inflow.
        new_rank = F.lit(alpha) * (F.col(_INFLOW) + F.lit(dangling_rank / n)) + F.lit((1.0 - alpha) / n)
        step = (
            current.unionByName(inflow)
            .groupBy(C.VERTEX_ID)
            .agg(
                F.max(_DANGLING).alias(_DANGLING),
                F.sum(_INFLOW).alias(_INFLOW),
                F.max(C.PAGERANK).alias(C.PAGERANK),
            )
            .where(F.col(_DANGLING).isNotNull())
            .select(
                C.VERTEX_ID,
                _DANGLING,
                new_rank.alias(C.PAGERANK),
                F.abs(new_rank - F.col(C.PAGERANK)).alias(_MOVED),
            )
        )
        step = checkpointing.materialise(step, iteration)
        totals = step.agg(
            F.sum(_MOVED).alias(_MOVED),
            F.sum(F.when(F.col(_DANGLING), F.col(C.PAGERANK))).alias(_DANGLING_RANK),
        ).first()
        release(ranks)
        ranks = step
        dangling_rank = totals[_DANGLING_RANK] or 0.0
        if totals[_MOVED] < n * tolerance:
            break
    release(weighted)
    return ranks.select(C.VERTEX_ID, C.PAGERANK)
