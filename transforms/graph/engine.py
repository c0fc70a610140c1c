"""One interface for the graph algorithms, two engines behind it.

`GraphFramesEngine` calls the GraphFrames API, which needs its JVM classes (the graphframes jar, e.g.
`spark.jars.packages io.graphframes:graphframes-spark4_2.13:<version>` on a cluster); `BuiltinEngine`
runs the DataFrame implementations of this package and needs nothing more. Both take GraphFrames-shaped
input (vertices with VERTEX_ID, edges with SRC and DST) and give the same output shapes:

    pagerank              VERTEX_ID, PAGERANK   ranks summing to 1 (GraphFrames' sum to n and are rescaled)
    connected_components  VERTEX_ID, COMPONENT  components of the undirected graph
    label_propagation     VERTEX_ID, LABEL      communities

Component and community labels differ between engines (GraphFrames numbers them); `labelled_by_smallest`
names each group by its smallest member so downstream tables do not depend on the engine.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from shop_platform.session import jvm_class_loaded
from transforms import columns as C
from transforms.graph.components import connected_components
from transforms.graph.iterations import Checkpointing
from transforms.graph.label_propagation import label_propagation
from transforms.graph.pagerank import pagerank
from transforms.vocabulary import GRAPH_ENGINE_CHOICES, GraphEngineChoice

GRAPHFRAMES_CLASS = "org.graphframes.GraphFrame"

_SMALLEST = "_smallest"


class GraphEngineUnavailableError(RuntimeError):
    """graph.engine asks for an engine this Spark session cannot run."""


class GraphEngine(ABC):
    """The graph algorithms the co-purchase job runs."""

    name: str

    def __init__(self, checkpointing: Checkpointing) -> None:
        self.checkpointing = checkpointing

    @abstractmethod
    def pagerank(
        self,
        vertices: DataFrame,
        edges: DataFrame,
        reset_probability: float,
        max_iterations: int,
        tolerance: float,
    ) -> DataFrame:
        """VERTEX_ID, PAGERANK (summing to 1)."""

    @abstractmethod
    def connected_components(self, vertices: DataFrame, edges: DataFrame) -> DataFrame:
        """VERTEX_ID, COMPONENT."""

    @abstractmethod
    def label_propagation(self, vertices: DataFrame, edges: DataFrame, max_iterations: int) -> DataFrame:
        """VERTEX_ID, LABEL."""


class BuiltinEngine(GraphEngine):
    """DataFrame iterations with checkpoints (transforms.graph.pagerank, components, label_propagation)."""

    name = "builtin"

    def pagerank(
        self,
        vertices: DataFrame,
        edges: DataFrame,
        reset_probability: float,
        max_iterations: int,
        tolerance: float,
    ) -> DataFrame:
        return pagerank(vertices, edges, reset_probability, max_iterations, tolerance, self.checkpointing)

    def connected_components(self, vertices: DataFrame, edges: DataFrame) -> DataFrame:
        return connected_components(vertices, edges, self.checkpointing)

    def label_propagation(self, vertices: DataFrame, edges: DataFrame, max_iterations: int) -> DataFrame:
        return label_propagation(vertices, edges, max_iterations, self.checkpointing)


class GraphFramesEngine(GraphEngine):
    """The GraphFrames API; PageRank runs a fixed `max_iterations` steps (GraphFrames' tolerance is per
    vertex on ranks summing to n, not networkx's rule)."""

    name = "graphframes"

    def _graph(self, vertices: DataFrame, edges: DataFrame):  # -> GraphFrame, imported lazily
        from graphframes import GraphFrame

        return GraphFrame(vertices.select(C.VERTEX_ID), edges.select(C.SRC, C.DST).distinct())

    def pagerank(
        self,
        vertices: DataFrame,
        edges: DataFrame,
        reset_probability: float,
        max_iterations: int,
        tolerance: float,
    ) -> DataFrame:
        ranked = (
            self._graph(vertices, edges)
            .pageRank(resetProbability=reset_probability, maxIter=max_iterations)
            .vertices
        )
        # GraphX normalises the ranks to sum to n; rescale to networkx's sum of 1.
        total = ranked.agg(F.sum(C.PAGERANK).alias(_SMALLEST))
        return ranked.crossJoin(F.broadcast(total)).select(
            C.VERTEX_ID, (F.col(C.PAGERANK) / F.col(_SMALLEST)).alias(C.PAGERANK)
        )

    def connected_components(self, vertices: DataFrame, edges: DataFrame) -> DataFrame:
        return (
            self._graph(vertices, edges)
            .connectedComponents(
                checkpointInterval=self.checkpointing.interval,
                use_local_checkpoints=not self.checkpointing.reliable,
            )
            .select(C.VERTEX_ID, C.COMPONENT)
        )

    def label_propagation(self, vertices: DataFrame, edges: DataFrame, max_iterations: int) -> DataFrame:
        return (
            self._graph(vertices, edges)
            .labelPropagation(
                maxIter=max_iterations,
                use_local_checkpoints=not self.checkpointing.reliable,
                checkpoint_interval=self.checkpointing.interval,
            )
            .select(C.VERTEX_ID, C.LABEL)
        )


def graphframes_available(spark: SparkSession) -> bool:
    """True when the JVM can load GraphFrames' classes (its jar is on the classpath)."""
    return jvm_class_loaded(spark, GRAPHFRAMES_CLASS)


def choose_engine(
    spark: SparkSession, setting: GraphEngineChoice, checkpointing: Checkpointing
) -> GraphEngine:
    """The engine `graph.engine` asks for; `auto` is GraphFrames when its classes are on the classpath.

    Raises:
        GraphEngineUnavailableError: `graphframes` was asked for and its jar is not on the classpath.
    """
    if setting not in GRAPH_ENGINE_CHOICES:
        raise ValueError(f"graph.engine must be auto, graphframes or builtin, got {setting!r}")
    if setting == "builtin":
        return BuiltinEngine(checkpointing)
    available = graphframes_available(spark)
    if setting == "graphframes" and not available:
        raise GraphEngineUnavailableError(
            f"graph.engine is graphframes but {GRAPHFRAMES_CLASS} is not on the JVM classpath: start Spark "
            "with spark.jars.packages io.graphframes:graphframes-spark4_2.13:<version> (or install the jar "
            "on the cluster), or set graph.engine: builtin (or auto)"
        )
    return GraphFramesEngine(checkpointing) if available else BuiltinEngine(checkpointing)


def labelled_by_smallest(assignment: DataFrame, label: str) -> DataFrame:
    """Each group of `label` renamed to the smallest VERTEX_ID in it.

    Args:
        assignment: VERTEX_ID, `label`, one row per vertex.

    Returns:
        VERTEX_ID, `label` (a vertex id, string).
    """
    smallest = assignment.groupBy(label).agg(F.min(C.VERTEX_ID).alias(_SMALLEST))
    # One row per label in `smallest`: the join keeps one row per vertex.
    return assignment.join(smallest, on=[label], how="inner").select(
        C.VERTEX_ID, F.col(_SMALLEST).cast("string").alias(label)
    )
