"""The computations of kg.analytics on hand-built graphs."""

from __future__ import annotations

import networkx as nx

import kg
from analytics_samples import small_graph
from kg import analytics
from kg.analytics import (
    benchmark_results,
    betweenness,
    code_availability,
    communities,
    cousage_pairs,
    degree_distribution,
    evaluated_datasets,
    families,
    pagerank,
    timeline,
    top_by_papers,
    top_papers,
    type_counts,
)


def test_type_counts_nodes() -> None:
    nodes, _ = type_counts(small_graph())
    assert nodes["paper"] == 4
    assert nodes["dataset"] == 4
    assert nodes["concept"] == 1


def test_type_counts_edges() -> None:
    _, edges = type_counts(small_graph())
    assert edges["built_on"] == 1
    assert edges["evaluated_on"] == 3


def test_top_by_papers_order() -> None:
    ranked = top_by_papers(small_graph())
    assert [row.name for row in ranked] == ["COCO", "GSM8K", "MATH", "ImageNet"]
    assert [row.score for row in ranked] == [2.0, 2.0, 2.0, 1.0]


def test_evaluated_datasets_counts_papers() -> None:
    ranked = evaluated_datasets(small_graph())
    assert [(row.name, row.score) for row in ranked] == [("GSM8K", 2.0)]


def test_pagerank_ranks_methods() -> None:
    ranked = pagerank(kg.cooccurrence(small_graph()))
    assert {row.type for row in ranked} == {"method"}
    assert ranked[0].name == "group relative policy optimization"


def test_pagerank_empty_graph() -> None:
    assert pagerank(nx.Graph()) == []


def test_betweenness_bridge_first() -> None:
    projection = nx.Graph()
    projection.add_nodes_from(["a", "b", "c"], type="method")
    projection.add_edges_from([("a", "b"), ("b", "c")], weight=1)
    assert [row.node for row in betweenness(projection)] == ["b", "a", "c"]


def test_betweenness_sampled_is_seeded() -> None:
    projection = nx.barabasi_albert_graph(analytics.BETWEENNESS_EXACT_MAX_NODES + 1, 2, seed=1)
    nx.set_node_attributes(projection, "method", "type")
    first = betweenness(projection, top=5, seed=3)
    assert first == betweenness(projection, top=5, seed=3)
    assert [row.score for row in first] != [row.score for row in betweenness(projection, top=5, seed=4)]


def test_communities_split_topics() -> None:
    found = communities(kg.cooccurrence(small_graph()), seed=0)
    groups = [{member.name for member in community.members} for community in found]
    assert {"ViT", "COCO", "ImageNet"} in groups
    assert any({"MATH", "GSM8K", "Tango"} <= group for group in groups)


def test_communities_same_seed_same_result() -> None:
    projection = kg.cooccurrence(small_graph())
    assert communities(projection, seed=7) == communities(projection, seed=7)


def test_communities_empty_graph() -> None:
    assert communities(nx.Graph()) == []


def test_cousage_pairs_order() -> None:
    pairs = cousage_pairs(small_graph())
    assert [(a.name, b.name, shared) for a, b, shared in pairs] == [
        ("GSM8K", "MATH", 2),
        ("COCO", "ImageNet", 1),
    ]


def test_code_availability_split() -> None:
    rows = {row.name: urls for row, urls in code_availability(small_graph())}
    assert rows == {"Dr. GRPO": [], "Tango": ["https://github.com/x/tango"]}


def test_degree_distribution_counts_neighbours() -> None:
    graph = nx.MultiDiGraph()
    graph.add_edge("a", "b", key="mentions")
    graph.add_edge("a", "b", key="proposes")
    graph.add_edge("b", "c", key="mentions")
    assert degree_distribution(graph) == {1: 2, 2: 1}


def test_top_papers_by_neighbours() -> None:
    ranked = top_papers(small_graph(), top=1)
    assert [(row.node, row.score) for row in ranked] == [("paper:p1", 6.0)]


def test_timeline_days() -> None:
    result = timeline(small_graph(), top=2)
    assert result.granularity == "day"
    assert result.periods == ("2025-09-01", "2025-09-02")
    assert (result.dated_papers, result.undated_papers) == (3, 1)
    assert result.counts["entity:grpo"] == {"2025-09-01": 1, "2025-09-02": 1}


def test_timeline_months() -> None:
    graph = small_graph()
    graph.nodes["paper:p3"]["date"] = "2024-01-15T10:00:00Z"
    result = timeline(graph)
    assert result.granularity == "month"
    assert result.periods[0] == "2024-01"
    assert result.periods[-1] == "2025-09"


def test_timeline_fills_empty_months() -> None:
    graph = small_graph()
    graph.nodes["paper:p1"]["date"] = "2025-01-15"
    graph.nodes["paper:p2"]["date"] = "2025-05-10"
    graph.nodes["paper:p3"]["date"] = ""
    result = timeline(graph)
    assert result.periods == ("2025-01", "2025-02", "2025-03", "2025-04", "2025-05")
    assert [result.counts["entity:grpo"][period] for period in result.periods] == [1, 0, 0, 0, 1]


def test_timeline_fills_empty_days() -> None:
    graph = small_graph()
    graph.nodes["paper:p2"]["date"] = "2025-09-04"
    result = timeline(graph)
    assert result.periods == ("2025-09-01", "2025-09-02", "2025-09-03", "2025-09-04")


def test_timeline_ignores_non_iso_dates() -> None:
    graph = small_graph()
    graph.nodes["paper:p1"]["date"] = "Sep 1, 2025"
    graph.nodes["paper:p3"]["date"] = "2025"
    result = timeline(graph)
    assert (result.dated_papers, result.undated_papers) == (1, 3)
    assert result.periods == ("2025-09-02",)


def test_timeline_without_dates() -> None:
    graph = small_graph()
    for node in ("paper:p1", "paper:p2", "paper:p3"):
        graph.nodes[node]["date"] = ""
    result = timeline(graph)
    assert result.distinct_dates == ()
    assert result.periods == ()


def _with_family(graph: nx.MultiDiGraph) -> nx.MultiDiGraph:
    graph.add_node("entity:vit b", type="model", label="ViT-B", name="ViT-B", key="vit b", papers=["p4"])
    graph.add_edge("paper:p4", "entity:vit b", key="mentions", type="mentions", paper="p4")
    graph.add_edge("entity:vit b", "entity:vit", key="variant_of", type="variant_of", paper="p4")
    return graph


def test_families_count_variant_papers() -> None:
    [(family, variants)] = families(_with_family(small_graph()))
    assert (family.name, family.score) == ("ViT", 2.0)
    assert [(variant.name, variant.score) for variant in variants] == [("ViT-B", 1.0)]


def test_families_empty_without_variants() -> None:
    assert families(small_graph()) == []


def test_benchmark_results_follow_on_dataset() -> None:
    graph = small_graph()
    graph.add_edge("result:p1:1", "entity:gsm8k", key="on_dataset", type="on_dataset", paper="p1")
    [row] = benchmark_results(graph)
    assert (row.benchmark.name, row.result, row.subject, row.paper) == (
        "GSM8K", "94.1 % accuracy on GSM8K", "Tango", "Tango: RL for reasoning"
    )


def test_analyze_empty_graph() -> None:
    result = analytics.analyze(nx.MultiDiGraph())
    assert result.communities == []
    assert result.top_datasets == []
