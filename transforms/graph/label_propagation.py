"""Static label propagation (community detection) as distributed DataFrame steps.

Every vertex starts with its own id as label. In each synchronous step a vertex takes the label most
common among its neighbours and itself (edges count in both directions), ties going to the smallest
label. Counting its own label keeps two-coloured parts of the graph from swapping labels back and forth
forever, which purely synchronous updates do; the tie rule makes the result deterministic. The loop stops
after `max_iterations` steps or as soon as no label changes.
"""

from __future__ import annotations

from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F

from transforms import columns as C
from transforms.graph.components import undirected_neighbours
from transforms.graph.iterations import Checkpointing, release

_VOTES = "_votes"
_CHOICE = "_choice"
_CHANGED = "_changed"


def label_propagation(
    vertices: DataFrame, edges: DataFrame, max_iterations: int, checkpointing: Checkpointing
) -> DataFrame:
    """The community label of every vertex.

    Args:
        vertices: VERTEX_ID, one row per vertex.
        edges: SRC, DST between vertices (direction ignored).
        max_iterations: most propagation steps.
        checkpointing: how often the labels are checkpointed.

    Returns:
        VERTEX_ID, LABEL (a vertex id), materialised.
    """
    if max_iterations < 1:
        raise ValueError(f"graph.label_propagation_iterations must be >= 1, got {max_iterations}")
    neighbours = checkpointing.cut(undirected_neighbours(edges))
    labels = checkpointing.cut(
        vertices.select(C.VERTEX_ID, F.col(C.VERTEX_ID).alias(C.LABEL), F.lit(True).alias(_CHANGED))
    )
    strongest = Window.partitionBy(C.VERTEX_ID).orderBy(F.col(_VOTES).desc(), F.col(C.LABEL).asc())
    for iteration in range(1, max_iterations + 1):
        current = labels.select(C.VERTEX_ID, C.LABEL)
        votes = (
            neighbours.join(current.withColumnRenamed(C.VERTEX_ID, C.SRC), on=[C.SRC], how="inner")
            .select(F.col(C.DST).alias(C.VERTEX_ID), C.LABEL)
            .unionByName(current)
            .groupBy(C.VERTEX_ID, C.LABEL)
            .agg(F.count(F.lit(1)).alias(_VOTES))
        )
        chosen = (
            votes.withColumn(_CHOICE, F.row_number().over(strongest))
            .where(F.col(_CHOICE) == 1)
            .select(C.VERTEX_ID, F.col(C.LABEL).alias(_CHOICE))
        )
        # One choice per vertex (every vertex votes for its own label), so the join keeps its rows.
        step = current.join(chosen, on=[C.VERTEX_ID], how="inner").select(
            C.VERTEX_ID,
            F.col(_CHOICE).alias(C.LABEL),
            (F.col(_CHOICE) != F.col(C.LABEL)).alias(_CHANGED),
        )
        step = checkpointing.materialise(step, iteration)
        changed = step.where(F.col(_CHANGED)).count()
        release(labels)
        labels = step
        if changed == 0:
            break
    release(neighbours)
    return labels.select(C.VERTEX_ID, C.LABEL)
