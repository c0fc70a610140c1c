"""The built-in graph algorithms against networkx on small graphs, and the engine choice."""

from __future__ import annotations

import networkx as nx
import pytest
from chispa import assert_df_equality

from transforms import columns as C
from transforms.graph.communities import item_communities
from transforms.graph.engine import BuiltinEngine, GraphEngineUnavailableError, choose_engine
from transforms.graph.iterations import Checkpointing, algorithm_partitions, algorithm_session

# Every other step checkpointed, so the tests cross several checkpoints.
ENGINE = BuiltinEngine(Checkpointing(interval=2))


def frames(spark, vertices: list[str], edges: list[tuple[str, str]]):
    return (
        spark.createDataFrame([(v,) for v in vertices], f"{C.VERTEX_ID} string"),
        spark.createDataFrame(edges, f"{C.SRC} string, {C.DST} string"),
    )


def groups(rows, label: str) -> set[frozenset[str]]:
    members: dict[str, set[str]] = {}
    for row in rows:
        members.setdefault(row[label], set()).add(row[C.VERTEX_ID])
    return {frozenset(m) for m in members.values()}


def test_pagerank_matches_networkx_with_a_sink_and_an_isolated_vertex(spark):
    edges = [("a", "b"), ("b", "c"), ("c", "a"), ("a", "d"), ("d", "c"), ("e", "a"), ("c", "f"), ("g", "f")]
    vertices = ["a", "b", "c", "d", "e", "f", "g", "h"]  # f is a sink, h has no edges at all
    graph = nx.DiGraph(edges)
    graph.add_nodes_from(vertices)
    expected = nx.pagerank(graph, alpha=0.85, tol=1e-12, max_iter=1000)

    ranks = ENGINE.pagerank(
        *frames(spark, vertices, edges), reset_probability=0.15, max_iterations=100, tolerance=1e-6
    )
    actual = {row[C.VERTEX_ID]: row[C.PAGERANK] for row in ranks.collect()}

    assert actual == pytest.approx(expected, abs=1e-4)
    assert sum(actual.values()) == pytest.approx(1.0, abs=1e-9)


def test_connected_components_match_networkx_and_take_the_smallest_id(spark):
    # A path of 7 (more steps than the checkpoint interval), a triangle and a vertex alone.
    edges = [("p1", "p2"), ("p3", "p2"), ("p3", "p4"), ("p5", "p4"), ("p5", "p6"), ("p7", "p6")]
    edges += [("t1", "t2"), ("t2", "t3"), ("t3", "t1")]
    vertices = [f"p{i}" for i in range(1, 8)] + ["t1", "t2", "t3", "z"]
    graph = nx.Graph(edges)
    graph.add_nodes_from(vertices)

    rows = ENGINE.connected_components(*frames(spark, vertices, edges)).collect()

    assert groups(rows, C.COMPONENT) == {frozenset(c) for c in nx.connected_components(graph)}
    assert all(row[C.COMPONENT] == min(g for g in vertices if g[0] == row[C.VERTEX_ID][0]) for row in rows)


def test_label_propagation_finds_two_cliques_joined_by_one_edge(spark):
    left, right = [f"a{i}" for i in range(5)], [f"b{i}" for i in range(5)]
    edges = [(u, v) for clique in (left, right) for i, u in enumerate(clique) for v in clique[i + 1 :]]
    edges.append(("a4", "b0"))
    vertices = left + right + ["z"]
    graph = nx.Graph(edges)
    graph.add_nodes_from(vertices)
    reference = {frozenset(c) for c in nx.community.label_propagation_communities(graph)}

    vertex_frame, edge_frame = frames(spark, vertices, edges)
    labels = ENGINE.label_propagation(vertex_frame, edge_frame, max_iterations=10)

    assert (
        groups(labels.collect(), C.LABEL)
        == {frozenset(left), frozenset(right), frozenset({"z"})}
        == reference
    )
    components = ENGINE.connected_components(vertex_frame, edge_frame)
    actual = item_communities(components, labels, max_bundle_size=5)
    expected = spark.createDataFrame(
        [(v, "a0", 10, "a0", 5, True) for v in left]
        + [(v, "a0", 10, "b0", 5, True) for v in right]
        + [("z", "z", 1, "z", 1, False)],
        f"{C.ITEM_ID} string, {C.COMPONENT} string, {C.COMPONENT_SIZE} long, {C.COMMUNITY} string, "
        f"{C.COMMUNITY_SIZE} long, {C.BUNDLE_CANDIDATE} boolean",
    )
    assert_df_equality(actual, expected, ignore_row_order=True, ignore_nullable=True)


def test_engine_choice_falls_back_to_builtin_and_refuses_graphframes_without_its_jar(spark):
    checkpointing = Checkpointing(interval=3)
    assert choose_engine(spark, "auto", checkpointing).name == "builtin"
    assert choose_engine(spark, "builtin", checkpointing).name == "builtin"
    with pytest.raises(GraphEngineUnavailableError, match="graph.engine is graphframes"):
        choose_engine(spark, "graphframes", checkpointing)


@pytest.mark.parametrize(
    ("edges", "expected"), [(0, 1), (154, 1), (1_000_000, 1), (1_000_001, 2), (2_500_000, 3), (50_000_000, 8)]
)
def test_algorithm_partitions_grow_with_the_edges_up_to_the_shuffle_partitions(edges, expected):
    assert algorithm_partitions(edges, 1_000_000, 8) == expected


def test_local_checkpointing_cuts_every_step_and_reliable_checkpointing_persists_between_cuts(spark):
    rows = spark.range(3).groupBy("id").count()

    local = Checkpointing(interval=3).materialise(rows, iteration=1)
    reliable = Checkpointing(interval=3, reliable=True).materialise(rows, iteration=1)

    # A cut plan is one scan of the saved rows, whatever built them; a persisted one keeps its aggregate.
    assert "Aggregate" not in local._jdf.queryExecution().analyzed().toString()
    assert not local.is_cached
    assert reliable.is_cached
    assert "Aggregate" in reliable._jdf.queryExecution().analyzed().toString()
    assert sorted(local.collect()) == sorted(reliable.collect())
    reliable.unpersist()


def test_algorithm_session_sets_its_options_and_restores_the_session_after(spark):
    keys = ("spark.sql.shuffle.partitions", "spark.sql.adaptive.enabled", "spark.sql.codegen.wholeStage")
    before = [spark.conf.get(key) for key in keys]

    with algorithm_session(spark, 3):
        inside = [spark.conf.get(key) for key in keys]

    assert inside == ["3", "false", "false"]
    assert [spark.conf.get(key) for key in keys] == before
