"""gold.item_communities: connected components and label-propagation communities, the bundle candidates."""

from __future__ import annotations

from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F

from transforms import columns as C
from transforms.graph.engine import labelled_by_smallest


def item_communities(components: DataFrame, communities: DataFrame, max_bundle_size: int) -> DataFrame:
    """Each item's component and community, both named by their smallest item id, with their sizes.

    Args:
        components: VERTEX_ID, COMPONENT (an engine's `connected_components`).
        communities: VERTEX_ID, LABEL (an engine's `label_propagation`), the same vertices.
        max_bundle_size: communities of 2 to this many items are bundle candidates.

    Returns:
        ITEM_ID, COMPONENT, COMPONENT_SIZE, COMMUNITY, COMMUNITY_SIZE, BUNDLE_CANDIDATE.
    """
    by_component = Window.partitionBy(C.COMPONENT)
    by_community = Window.partitionBy(C.COMMUNITY)
    named = labelled_by_smallest(communities, C.LABEL).withColumnRenamed(C.LABEL, C.COMMUNITY)
    # One row per vertex on both sides.
    return (
        labelled_by_smallest(components, C.COMPONENT)
        .join(named, on=[C.VERTEX_ID], how="inner")
        .withColumn(C.COMPONENT_SIZE, F.count(F.lit(1)).over(by_component))
        .withColumn(C.COMMUNITY_SIZE, F.count(F.lit(1)).over(by_community))
        .select(
            F.col(C.VERTEX_ID).alias(C.ITEM_ID),
            C.COMPONENT,
            F.col(C.COMPONENT_SIZE).cast("long").alias(C.COMPONENT_SIZE),
            C.COMMUNITY,
            F.col(C.COMMUNITY_SIZE).cast("long").alias(C.COMMUNITY_SIZE),
            F.col(C.COMMUNITY_SIZE).between(2, max_bundle_size).alias(C.BUNDLE_CANDIDATE),
        )
    )
