"""The Python API: kg.build, kg.load and the graph views."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import networkx as nx
import pytest

import kg
from kg.errors import InputError
from kg.model import Paper
from analytics_samples import small_graph

REPOSITORY = Path(__file__).resolve().parent.parent


def test_import_skips_spacy() -> None:
    code = "import sys, kg; kg.load; assert 'spacy' not in sys.modules, 'spacy imported'"
    subprocess.run([sys.executable, "-c", code], check=True, cwd=REPOSITORY)


def test_build_from_papers() -> None:
    graph = kg.build([Paper(id="p1", title="Tuning with PPO on GSM8K")])
    assert graph.nodes["entity:gsm8k"]["papers"] == ["p1"]
    assert isinstance(graph, nx.MultiDiGraph)


def test_build_from_path(example_page: Path) -> None:
    graph = kg.build(example_page)
    papers = [node for node, node_type in graph.nodes(data="type") if node_type == "paper"]
    assert len(papers) == 71


def test_build_rejects_other_items() -> None:
    with pytest.raises(InputError, match="expected a kg.model.Paper or the path"):
        kg.build([42])  # type: ignore[list-item]


def test_build_skips_repeated_paper() -> None:
    paper = Paper(id="p1", title="PPO")
    graph = kg.build([paper, paper])
    assert [node for node, node_type in graph.nodes(data="type") if node_type == "paper"] == ["paper:p1"]


def test_build_attribute_survives_submodule_import() -> None:
    import kg.build as _  # noqa: F401  # the import system sets kg.build to the submodule

    assert callable(kg.build)
    assert kg.build.__module__ == "kg.api"


def test_load_build_folder(tmp_path: Path) -> None:
    from kg.graph import write_graphml

    write_graphml(small_graph(), tmp_path / "graph.graphml")
    graph = kg.load(tmp_path)
    assert graph.nodes["entity:grpo"]["aliases"] == ["GRPO"]


@pytest.mark.parametrize("suffix", [".graphml", ".gexf", ".json"])
def test_load_network_file(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"graph{suffix}"
    kg.write_network(small_graph(), path)
    assert dict(kg.load(path).nodes(data=True)) == dict(small_graph().nodes(data=True))


def test_load_missing_path(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not found"):
        kg.load(tmp_path / "absent")


def test_load_folder_without_graph(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no graph.graphml"):
        kg.load(tmp_path)


@pytest.mark.parametrize("text", ["[1, 2]", '"graph"', "null"])
def test_load_json_not_object(tmp_path: Path, text: str) -> None:
    path = tmp_path / "graph.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError, match="invalid json network file"):
        kg.load(path)


def test_load_other_suffix(tmp_path: Path) -> None:
    path = tmp_path / "graph.ttl"
    path.write_text("", encoding="utf-8")
    with pytest.raises(InputError, match="kg.load reads") as raised:
        kg.load(path)
    assert "format=" not in str(raised.value)


def test_bipartite_sides() -> None:
    view = kg.bipartite(small_graph())
    sides = {node: data["bipartite"] for node, data in view.nodes(data=True)}
    assert sides["paper:p1"] == 0
    assert sides["entity:grpo"] == 1
    assert "concept:framework" not in sides
    assert "link:https://github.com/x/tango" not in sides


def test_bipartite_relations() -> None:
    view = kg.bipartite(small_graph())
    assert view.edges["paper:p1", "entity:gsm8k"]["relations"] == ["evaluated_on", "mentions"]


def test_bipartite_with_links() -> None:
    view = kg.bipartite(small_graph(), types={"link"})
    assert list(view.edges) == [("paper:p1", "link:https://github.com/x/tango")]


def test_cooccurrence_weights() -> None:
    projection = kg.cooccurrence(small_graph())
    assert projection.edges["entity:grpo", "entity:gsm8k"]["weight"] == 2
    assert projection.edges["entity:vit", "entity:coco"]["weight"] == 2
    assert projection.edges["entity:vit", "entity:imagenet"]["weight"] == 1
    assert projection.nodes["entity:coco"]["n_papers"] == 2


def test_cooccurrence_matches_networkx() -> None:
    graph = small_graph()
    ours = kg.cooccurrence(graph)
    entities = [node for node in ours]
    reference = nx.bipartite.weighted_projected_graph(kg.bipartite(graph), entities)
    assert sorted(ours.edges(data="weight")) == sorted(reference.edges(data="weight"))


def test_cooccurrence_min_papers() -> None:
    projection = kg.cooccurrence(small_graph(), min_papers=2)
    assert not projection.has_edge("entity:vit", "entity:imagenet")
    assert projection.has_edge("entity:vit", "entity:coco")
    assert "entity:imagenet" in projection


def test_cooccurrence_types() -> None:
    projection = kg.cooccurrence(small_graph(), types={"dataset"})
    assert {data["type"] for _, data in projection.nodes(data=True)} == {"dataset"}


def test_evaluation_graph_edges() -> None:
    view = kg.evaluation_graph(small_graph())
    assert list(view.edges) == [("entity:tango", "entity:gsm8k")]
    assert view.edges["entity:tango", "entity:gsm8k"]["weight"] == 1
    assert view.edges["entity:tango", "entity:gsm8k"]["sentence"] == "We use GSM8K."


def test_evaluation_graph_weight_counts_papers() -> None:
    graph = small_graph()
    graph.add_edge("paper:p2", "entity:tango", key="mentions", type="mentions", paper="p2")
    view = kg.evaluation_graph(graph)
    assert view.edges["entity:tango", "entity:gsm8k"]["weight"] == 2
