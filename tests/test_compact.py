"""Tests of `kg.compact`: the compact graph returns what the NetworkX graph of the same edges returns, in the same order."""

from __future__ import annotations

import gc
import random
import weakref
from pathlib import Path

import networkx as nx
import pytest

import kg.extract
import kg.nlp
from kg.build import build
from kg.compact import CompactGraph, MutableEdges
from kg.graph import GraphBuilder
from kg.sources import read_daily_papers

RELATIONS = ("mentions", "proposes", "uses", "authored_by")


def _random_pair(seed: int) -> tuple[CompactGraph, nx.MultiDiGraph]:
    """Apply one random sequence of adds and merges to `MutableEdges` and, as `GraphBuilder` did before, to NetworkX."""
    rng = random.Random(seed)
    edges, reference = MutableEdges(), nx.MultiDiGraph()
    # Papers whose texts contain some of the evidence sentences, which are then stored as offsets.
    texts = {}
    for paper in range(5):
        texts[f"p{paper}"] = {"title": f"Title {paper}.", "abstract": f"First {paper}. Second {paper}. Sentence {paper}."}
        edges.add_node(f"paper:p{paper}", type="paper", **texts[f"p{paper}"])
        reference.add_node(f"paper:p{paper}", type="paper", **texts[f"p{paper}"])
    names = [f"n{number}" for number in range(rng.randint(2, 25))]
    for step in range(rng.randint(0, 120)):
        choice = rng.random()
        if choice < 0.15:
            node = rng.choice(names)
            edges.add_node(node, type="entity", step=step)
            reference.add_node(node, type="entity", step=step)
        elif choice < 0.9:
            source, target, relation = rng.choice(names), rng.choice(names), rng.choice(RELATIONS)
            paper, start = f"p{rng.randint(0, 4)}", rng.randint(0, 300)
            if relation == "authored_by":
                data = {"type": relation, "paper": paper, "position": start}
                added = edges.add_edge(source, target, relation, paper, count=start)
            else:
                field = rng.choice(("title", "abstract"))
                sentence = rng.choice((f"Sentence {step}.", f"Second {paper[1:]}.", f"Title {paper[1:]}.", ""))
                data = {
                    "type": relation, "paper": paper, "field": field, "start": start, "end": start + 3,
                    "text": rng.choice(("GRPO", "PPO", "MMLU")), "sentence": sentence, "count": rng.randint(0, 3),
                }  # fmt: skip
                evidence = {name: data[name] for name in ("field", "start", "end", "text", "sentence", "count")}
                added = edges.add_edge(source, target, relation, paper, **evidence, context=texts[paper][field])
            assert added == (not reference.has_edge(source, target, key=relation))
            if added:
                reference.add_edge(source, target, key=relation, **data)
        else:
            present = [name for name in names if name in reference]
            if len(present) < 2:
                continue
            node, into = rng.sample(present, 2)
            edges.merge_node(node, into=into)
            # The merge of `GraphBuilder._merge_entity` before edges went into columns.
            for _, neighbor, key, data in list(reference.out_edges(node, keys=True, data=True)):
                if not reference.has_edge(into, neighbor, key=key):
                    reference.add_edge(into, neighbor, key=key, **data)
            for neighbor, _, key, data in list(reference.in_edges(node, keys=True, data=True)):
                if not reference.has_edge(neighbor, into, key=key):
                    reference.add_edge(neighbor, into, key=key, **data)
            reference.remove_node(node)
    return edges.freeze(), reference


def _strict(value: object) -> object:
    """Return `value` with dicts as item lists and every leaf with its type, so that order and types count."""
    if isinstance(value, dict):
        return [(key, _strict(item)) for key, item in value.items()]
    if isinstance(value, (list, tuple)):
        return [_strict(item) for item in value]
    return (type(value).__name__, value)


def _check_views(graph: CompactGraph, reference: nx.MultiDiGraph) -> None:
    assert graph.number_of_nodes() == reference.number_of_nodes()
    assert graph.number_of_edges() == reference.number_of_edges()
    assert len(graph.edges) == reference.number_of_edges()
    assert _strict(list(graph.nodes(data=True))) == _strict(list(reference.nodes(data=True)))
    assert list(graph.nodes(data="type")) == list(reference.nodes(data="type"))
    assert _strict(list(graph.edges(keys=True, data=True))) == _strict(list(reference.edges(keys=True, data=True)))
    assert list(graph.edges(data=True)) == list(reference.edges(data=True))
    assert list(graph.edges()) == list(reference.edges())
    assert list(graph.edges(data="paper")) == list(reference.edges(data="paper"))
    assert list(graph.in_edges(keys=True, data=True)) == list(reference.in_edges(keys=True, data=True))
    for node in reference:
        assert list(graph.out_edges(node, keys=True, data=True)) == list(reference.out_edges(node, keys=True, data=True))
        assert list(graph.in_edges(node, keys=True)) == list(reference.in_edges(node, keys=True))
        assert list(graph.successors(node)) == list(reference.successors(node))
        assert list(graph.predecessors(node)) == list(reference.predecessors(node))
        assert graph.degree(node) == reference.degree(node)
        assert graph.nodes[node] == reference.nodes[node]
        for target in reference:
            assert graph.has_edge(node, target) == reference.has_edge(node, target)
            for relation in RELATIONS:
                assert graph.has_edge(node, target, relation) == reference.has_edge(node, target, key=relation)


def _check_networkx(graph: nx.MultiDiGraph, reference: nx.MultiDiGraph) -> None:
    """Check that two NetworkX graphs have the same nodes, edges and attributes in the same adjacency order."""
    assert _strict(list(graph.nodes(data=True))) == _strict(list(reference.nodes(data=True)))
    assert _strict(list(graph.edges(keys=True, data=True))) == _strict(list(reference.edges(keys=True, data=True)))
    assert list(graph.in_edges(keys=True)) == list(reference.in_edges(keys=True))


def _check_same_content(graph: nx.MultiDiGraph, reference: nx.MultiDiGraph) -> None:
    """Check nodes and edges regardless of order: a NetworkX subgraph view may list nodes in the order of a set."""
    assert dict(graph.nodes(data=True)) == dict(reference.nodes(data=True))
    assert sorted(graph.edges(keys=True, data=True), key=repr) == sorted(reference.edges(keys=True, data=True), key=repr)


@pytest.mark.parametrize("seed", range(60))
def test_random_views(seed: int) -> None:
    graph, reference = _random_pair(seed)
    _check_views(graph, reference)


@pytest.mark.parametrize("seed", range(60))
def test_random_to_networkx(seed: int) -> None:
    graph, reference = _random_pair(seed)
    _check_networkx(graph.to_networkx(), reference)


@pytest.mark.parametrize("seed", range(20))
def test_random_subgraph(seed: int) -> None:
    graph, reference = _random_pair(seed)
    chosen = random.Random(seed).sample(list(reference), len(reference) // 2)
    subgraph = graph.subgraph(chosen)
    assert isinstance(subgraph, nx.MultiDiGraph)
    _check_same_content(subgraph, reference.subgraph(chosen))
    # The copy lists nodes and edges in the graph's order.
    inside = set(chosen)
    assert list(subgraph) == [node for node in reference if node in inside]
    expected = [(u, v, key) for u, v, key in reference.edges(keys=True) if u in inside and v in inside]
    assert list(subgraph.edges(keys=True)) == expected
    expected = [(u, v, key) for u, v, key in reference.in_edges(keys=True) if u in inside and v in inside]
    assert list(subgraph.in_edges(keys=True)) == expected


@pytest.mark.parametrize("seed", range(20))
def test_random_edge_range(seed: int) -> None:
    graph, _ = _random_pair(seed)
    edges = list(graph.edges(keys=True, data=True))
    start, stop = sorted(random.Random(seed).choices(range(len(edges) + 2), k=2))
    assert list(graph.edge_range(start, stop)) == edges[start:stop]


def test_relabel_keeps_order() -> None:
    graph, reference = _random_pair(3)
    old = next(iter(reference))
    renamed = graph.relabel_nodes({old: "renamed"})
    expected = nx.relabel_nodes(reference, {old: "renamed"})
    # NetworkX's copy adds edges in out-edge order, so only nodes and out-edges keep their order.
    assert _strict(list(renamed.nodes(data=True))) == _strict(list(expected.nodes(data=True)))
    assert _strict(list(renamed.edges(keys=True, data=True))) == _strict(list(expected.edges(keys=True, data=True)))


def test_relabel_rejects_existing_id() -> None:
    graph, reference = _random_pair(3)
    first, second = list(reference)[:2]
    with pytest.raises(ValueError, match="existing node ids"):
        graph.relabel_nodes({first: second})


def test_merge_keeps_first_evidence() -> None:
    edges = MutableEdges()
    edges.add_edge("paper:a", "entity:x", "mentions", "a", text="X")
    edges.add_edge("paper:a", "entity:y", "mentions", "a", text="Y")
    edges.merge_node("entity:y", into="entity:x")
    graph = edges.freeze()
    assert [data["text"] for *_, data in graph.edges(data=True)] == ["X"]
    assert "entity:y" not in graph


def test_empty_graph() -> None:
    graph = MutableEdges().freeze()
    assert graph.number_of_edges() == 0
    assert list(graph.edges(keys=True, data=True)) == []
    assert graph.to_networkx().number_of_nodes() == 0


@pytest.fixture(scope="module")
def example_builder(example_page: Path) -> GraphBuilder:
    builder = GraphBuilder()
    for extraction in kg.extract.extract(list(read_daily_papers(example_page)), kg.nlp.create_pipeline()):
        builder.add(extraction)
    return builder


def test_example_views(example_builder: GraphBuilder) -> None:
    _check_views(example_builder.compact_graph(), example_builder.graph())


def test_example_subgraph(example_builder: GraphBuilder) -> None:
    graph, reference = example_builder.compact_graph(), example_builder.graph()
    papers = [node for node, node_type in reference.nodes(data="type") if node_type == "paper"][:5]
    chosen = set(papers) | {neighbor for paper in papers for neighbor in reference.successors(paper)}
    _check_same_content(graph.subgraph(chosen), reference.subgraph(chosen))


def test_builder_graph_is_cached(example_builder: GraphBuilder) -> None:
    assert example_builder.graph() is example_builder.graph()
    assert example_builder.compact_graph() is example_builder.compact_graph()


@pytest.fixture
def collector_disabled():
    """Disable Python's cyclic garbage collector during the test, so that only reference counts free objects."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


@pytest.mark.usefixtures("collector_disabled")
def test_graph_freed_without_collector() -> None:
    # A large build frees its graph before the merge, and a reference cycle
    # would keep gigabytes until a full collection.
    graph, _ = _random_pair(5)
    renamed = graph.relabel_nodes({next(iter(graph)): "renamed"})
    assert len(list(graph.edges)) == graph.number_of_edges()
    references = [weakref.ref(graph), weakref.ref(renamed)]
    del graph, renamed
    assert [reference() for reference in references] == [None, None]


@pytest.mark.usefixtures("collector_disabled")
def test_build_frees_graph(example_page: Path, tmp_path: Path) -> None:
    before = {id(item) for item in gc.get_objects() if isinstance(item, CompactGraph)}
    graph, summary = build([example_page], tmp_path / "out", keep_graph=False)
    assert graph is None
    assert summary.edges > 0
    alive = [item for item in gc.get_objects() if isinstance(item, CompactGraph) and id(item) not in before]
    assert alive == []
