"""Connected components by iterative min-label propagation, as distributed DataFrame steps.

Every vertex starts with its own id as label; each step gives every vertex the smallest label among its
own and its neighbours' (edges count in both directions: components of the undirected graph). Labels stop
changing after at most the graph's diameter in steps, and each component is then labelled by its smallest
vertex id.
"""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from transforms import columns as C
from transforms.graph.iterations import Checkpointing, release

_PROPOSAL = "_proposal"
_CHANGED = "_changed"


def undirected_neighbours(edges: DataFrame) -> DataFrame:
    """SRC, DST with every edge in both directions, without self-loops or repeats."""
    return (
        edges.select(C.SRC, C.DST)
        .unionByName(edges.select(F.col(C.DST).alias(C.SRC), F.col(C.SRC).alias(C.DST)))
        .where(F.col(C.SRC) != F.col(C.DST))
        .distinct()
    )


def connected_components(vertices: DataFrame, edges: DataFrame, checkpointing: Checkpointing) -> DataFrame:
    """The component of every vertex.

    Args:
        vertices: VERTEX_ID, one row per vertex.
        edges: SRC, DST between vertices (direction ignored).
        checkpointing: how often the labels are checkpointed.

    Returns:
        VERTEX_ID, COMPONENT (the smallest vertex id of the component), materialised.
    """
    neighbours = checkpointing.cut(undirected_neighbours(edges))
    labels = checkpointing.cut(
        vertices.select(C.VERTEX_ID, F.col(C.VERTEX_ID).alias(C.COMPONENT), F.lit(True).alias(_CHANGED))
    )
    iteration = 0
    while True:
        iteration += 1
        # Only vertices whose label changed can lower their neighbours' labels.
        proposals = (
            neighbours.join(
                labels.where(F.col(_CHANGED)).select(
                    F.col(C.VERTEX_ID).alias(C.SRC), F.col(C.COMPONENT).alias(_PROPOSAL)
                ),
                on=[C.SRC],
                how="inner",
            )
            .groupBy(F.col(C.DST).alias(C.VERTEX_ID))
            .agg(F.min(_PROPOSAL).alias(_PROPOSAL))
        )
        # At most one proposal per vertex, so the join keeps one row per vertex.
        step = labels.join(proposals, on=[C.VERTEX_ID], how="left").select(
            C.VERTEX_ID,
            F.least(C.COMPONENT, _PROPOSAL).alias(C.COMPONENT),
            F.coalesce(F.col(_PROPOSAL) < F.col(C.COMPONENT), F.lit(False)).alias(_CHANGED),
        )
        step = checkpointing.materialise(step, iteration)
        changed = step.where(F.col(_CHANGED)).count()
        release(labels)
        labels = step
        if changed == 0:
            break
    release(neighbours)
    return labels.select(C.VERTEX_ID, C.COMPONENT)
