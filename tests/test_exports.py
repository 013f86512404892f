"""Network exports read back unchanged (GraphML, GEXF, node-link JSON)."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import networkx as nx
import pytest

from kg.errors import ExportError, InputError
from kg.exports import NETWORK_FORMATS, read_network, write_network

FORMATS = sorted(NETWORK_FORMATS)


def _sample() -> nx.MultiDiGraph:
    graph = nx.MultiDiGraph(name="sample", created="2025-09-11")
    graph.add_node("paper:p1", type="paper", label="Tango: RL", date=None, authors=["Ann", "Bo"], score=0.25, rank=3, seen=True)
    graph.add_node(
        "entity:grpo", type="method", label="GRPO", date="", authors=[], score=1.5, rank=-7, seen=False,
        merge_reasons=[{"form": "GRPO", "reason": "abbreviation", "paper": "p1"}],
        note="tab\there, line\nbreak, cr\r\nend, unicode ∑ 😀 ünï",
    )
    graph.add_node("entity:x", type="dataset", label="X", key="x", mixed=3)
    graph.add_node("entity:y", type="dataset", label="Y", mixed="three")
    graph.add_edge("paper:p1", "entity:grpo", key="mentions", type="mentions", start=0, end=4, text="GRPO", count=2, weight=1)
    graph.add_edge("paper:p1", "entity:grpo", key="proposes", type="proposes", start=0, end=4, text="GRPO", count=1, weight=2)
    graph.add_edge("entity:grpo", "entity:x", key="evaluated_on", type="evaluated_on", start=None, end=9, text="x", count=1, weight=3)
    return graph


def _edges(graph: nx.Graph) -> list[tuple]:
    if graph.is_multigraph():
        return sorted((repr(u), repr(v), repr(k), json.dumps(d, sort_keys=True)) for u, v, k, d in graph.edges(keys=True, data=True))
    return sorted((repr(u), repr(v), json.dumps(d, sort_keys=True)) for u, v, d in graph.edges(data=True))


def _assert_same(read: nx.Graph, written: nx.Graph) -> None:
    assert type(read) is type(written)
    assert read.graph == written.graph
    assert dict(read.nodes(data=True)) == dict(written.nodes(data=True))
    assert _edges(read) == _edges(written)


@pytest.mark.parametrize("format", FORMATS)
def test_round_trip_multidigraph(tmp_path: Path, format: str) -> None:
    graph = _sample()
    path = tmp_path / f"graph{NETWORK_FORMATS[format]}"
    assert write_network(graph, path) == 0
    _assert_same(read_network(path), graph)


@pytest.mark.parametrize("format", FORMATS)
def test_round_trip_keeps_none(tmp_path: Path, format: str) -> None:
    path = tmp_path / f"graph{NETWORK_FORMATS[format]}"
    write_network(_sample(), path)
    read = read_network(path)
    assert read.nodes["paper:p1"]["date"] is None
    assert read.nodes["entity:grpo"]["date"] == ""


@pytest.mark.parametrize("format", FORMATS)
def test_round_trip_list_and_dict(tmp_path: Path, format: str) -> None:
    path = tmp_path / f"graph{NETWORK_FORMATS[format]}"
    write_network(_sample(), path)
    node = read_network(path).nodes["entity:grpo"]
    assert node["authors"] == []
    assert node["merge_reasons"] == [{"form": "GRPO", "reason": "abbreviation", "paper": "p1"}]


@pytest.mark.parametrize("graph_class", [nx.Graph, nx.DiGraph, nx.MultiGraph])
@pytest.mark.parametrize("format", FORMATS)
def test_round_trip_other_classes(tmp_path: Path, format: str, graph_class: type[nx.Graph]) -> None:
    graph = graph_class()
    graph.add_edge(1, 2, weight=3)
    graph.add_edge(2, (3, "x") if format == "json" else 3, weight=0.5)
    graph.add_node(1, tags=("a",))
    path = tmp_path / f"graph{NETWORK_FORMATS[format]}"
    write_network(graph, path)
    read = read_network(path)
    assert type(read) is graph_class
    assert read.nodes[1]["tags"] == ["a"]
    assert sorted(read.edges(data="weight"), key=repr) == sorted(graph.edges(data="weight"), key=repr)


@pytest.mark.parametrize("format", ["graphml", "gexf"])
def test_control_characters_removed(tmp_path: Path, format: str) -> None:
    graph = nx.MultiDiGraph()
    graph.add_node("a\x01b", label="bell\x07", aliases=["x\x00y"], kept="tab\tline\ncr\r")
    path = tmp_path / f"graph{NETWORK_FORMATS[format]}"
    with pytest.warns(UserWarning, match="removed 2 characters"):
        removed = write_network(graph, path)
    assert removed == 2
    read = read_network(path)
    assert dict(read.nodes(data=True)) == {"ab": {"label": "bell", "aliases": ["x\x00y"], "kept": "tab\tline\ncr\r"}}


def test_json_keeps_control_characters(tmp_path: Path) -> None:
    graph = nx.MultiDiGraph()
    graph.add_node("a\x01b", label="bell\x07")
    path = tmp_path / "graph.json"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert write_network(graph, path) == 0
    assert read_network(path).nodes["a\x01b"]["label"] == "bell\x07"


def test_graphml_one_type_per_key(tmp_path: Path) -> None:
    path = tmp_path / "graph.graphml"
    write_network(_sample(), path)
    keys = [(key.get("for"), key.get("attr.name")) for key in _xml_keys(path)]
    assert len(keys) == len(set(keys))


def _xml_keys(path: Path) -> list:
    import xml.etree.ElementTree as ElementTree

    return [element for element in ElementTree.parse(path).getroot() if element.tag.endswith("}key")]


def test_graphml_opens_in_networkx(tmp_path: Path) -> None:
    path = tmp_path / "graph.graphml"
    write_network(_sample(), path)
    plain = nx.read_graphml(path)
    assert plain.nodes["entity:grpo"]["label"] == "GRPO"
    assert json.loads(plain.nodes["paper:p1"]["authors"]) == ["Ann", "Bo"]


def test_gexf_opens_in_networkx(tmp_path: Path) -> None:
    path = tmp_path / "graph.gexf"
    write_network(_sample(), path)
    plain = nx.read_gexf(path)
    assert plain.nodes["entity:grpo"]["label"] == "GRPO"
    assert plain.number_of_edges() == 3
    weights = sorted(data["weight"] for *_, data in plain.edges(data=True))
    assert weights == [1.0, 2.0, 3.0]


def test_gexf_schema_in_meta(tmp_path: Path) -> None:
    path = tmp_path / "graph.gexf"
    write_network(_sample(), path)
    text = path.read_text(encoding="utf-8")
    assert text.index("<description>") < text.index("<graph ")


def test_reserved_attribute_rejected(tmp_path: Path) -> None:
    graph = nx.Graph()
    graph.add_node("a", kg_null="x")
    with pytest.raises(ExportError, match="kg_null"):
        write_network(graph, tmp_path / "graph.graphml")


def test_set_value_rejected(tmp_path: Path) -> None:
    graph = nx.Graph()
    graph.add_node("a", tags={"x"})
    with pytest.raises(ExportError, match="tags"):
        write_network(graph, tmp_path / "graph.gexf")


def test_unknown_suffix_rejected(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="unknown network file suffix"):
        write_network(nx.Graph(), tmp_path / "graph.xml")


def test_foreign_graphml_read_as_is(tmp_path: Path) -> None:
    path = tmp_path / "other.graphml"
    graph = nx.Graph()
    graph.add_edge("a", "b", weight=2)
    nx.write_graphml(graph, path)
    assert read_network(path).edges["a", "b"]["weight"] == 2


def test_missing_file_rejected(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="file not found"):
        read_network(tmp_path / "absent.gexf")


def test_invalid_xml_rejected(tmp_path: Path) -> None:
    path = tmp_path / "broken.graphml"
    path.write_text("<graphml><graph>", encoding="utf-8")
    with pytest.raises(InputError, match="invalid graphml network file"):
        read_network(path)


# `kg export` with a network format


def test_cli_network_names_match() -> None:
    from kg.cli import NETWORK_FORMAT_NAMES

    assert NETWORK_FORMAT_NAMES == tuple(NETWORK_FORMATS)


@pytest.mark.parametrize("format", list(NETWORK_FORMATS))
def test_cli_export_network(tmp_path: Path, format: str) -> None:
    from kg.api import load
    from kg.cli import main
    from kg.graph import write_graphml

    graph = _sample()
    write_graphml(graph, tmp_path / "graph.graphml")
    assert main(["export", str(tmp_path), "--format", format]) == 0
    exported = load(tmp_path / f"network{NETWORK_FORMATS[format]}")
    assert sorted(exported.nodes) == sorted(load(tmp_path).nodes)
