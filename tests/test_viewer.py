from __future__ import annotations

import base64
import copy
import hashlib
import json
import math
import re
from html.parser import HTMLParser
from pathlib import Path

import networkx as nx
import numpy as np
import pytest
from viewer_samples import (
    NEW_EDGE_TYPES,
    HOSTILE_HEADING,
    HOSTILE_NAMES,
    HOSTILE_TITLE,
    hostile_graph,
    realistic_graph,
    rich_graph,
    synthetic_graph,
)

from kg.graph import build_graph, entity_node_id, link_node_id, paper_node_id
from kg.model import EntityType, ExtractedEntity, Field, Mention, Paper, PaperExtraction
from kg.resolve import entity_key
from kg.cli import main
from kg.errors import ConfigError, InputError
from kg.graph import write_graphml
from kg.viewer import (
    EDGE_STYLES,
    NODE_STYLES,
    PYTHON_LAYOUT_MIN_NODES,
    build_payload,
    find_node,
    pagerank,
    read_graph,
    render_html,
    script_json,
    select_subgraph,
    select_view,
    write_html,
)


class _PageParser(HTMLParser):
    """Collect script elements, tags with URL attributes and the CSP of a page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.scripts: list[tuple[dict[str, str | None], str]] = []
        self.url_attributes: list[tuple[str, str, str | None]] = []
        self.csp: str | None = None
        self.text_of: dict[str, str] = {}
        self._script_attributes: dict[str, str | None] | None = None
        self._script_text: list[str] = []
        self._open_id: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        for name, value in attrs:
            if name in {"src", "href", "action", "srcset", "poster", "data"}:
                self.url_attributes.append((tag, name, value))
        if tag == "meta" and attributes.get("http-equiv") == "Content-Security-Policy":
            self.csp = attributes.get("content")
        if tag == "script":
            self._script_attributes = attributes
            self._script_text = []
        if attributes.get("id") in {"kg-title"} or tag == "title":
            self._open_id = attributes.get("id") or tag

    def handle_endtag(self, tag: str) -> None:
        if tag == "script" and self._script_attributes is not None:
            self.scripts.append((self._script_attributes, "".join(self._script_text)))
            self._script_attributes = None
        self._open_id = None

    def handle_data(self, data: str) -> None:
        if self._script_attributes is not None:
            self._script_text.append(data)
        if self._open_id is not None:
            self.text_of[self._open_id] = self.text_of.get(self._open_id, "") + data


def _parse(html: str) -> _PageParser:
    parser = _PageParser()
    parser.feed(html)
    parser.close()
    return parser


def _node(payload: dict, node_id: str) -> dict:
    return next(node for node in payload["nodes"] if node["nodeId"] == node_id)


def _index(payload: dict, node_id: str) -> int:
    return _node(payload, node_id)["id"]


@pytest.fixture(scope="module")
def graph() -> nx.MultiDiGraph:
    return realistic_graph()


@pytest.fixture(scope="module")
def payload(graph: nx.MultiDiGraph) -> dict:
    return build_payload(graph)


@pytest.fixture(scope="module")
def hostile_html() -> str:
    return render_html(hostile_graph(), title=HOSTILE_HEADING)


# Payload


def test_payload_node_count(graph: nx.MultiDiGraph, payload: dict) -> None:
    assert len(payload["nodes"]) == graph.number_of_nodes()


def test_payload_node_ids(graph: nx.MultiDiGraph, payload: dict) -> None:
    assert {node["nodeId"] for node in payload["nodes"]} == set(graph.nodes)


def test_payload_ids_are_positions(payload: dict) -> None:
    assert [node["id"] for node in payload["nodes"]] == list(range(len(payload["nodes"])))


def test_payload_proposes_hides_mentions(payload: dict) -> None:
    paper = _index(payload, paper_node_id("rl-tango"))
    tango = _index(payload, entity_node_id(entity_key("Tango")))
    types = [edge["type"] for edge in payload["edges"] if (edge["from"], edge["to"]) == (paper, tango)]
    assert types == ["proposes"]


def test_payload_evaluated_on_hides_mentions(payload: dict) -> None:
    paper = _index(payload, paper_node_id("rl-tango"))
    dataset = _index(payload, entity_node_id(entity_key("MATH")))
    types = [edge["type"] for edge in payload["edges"] if (edge["from"], edge["to"]) == (paper, dataset)]
    assert types == ["evaluated_on"]


def test_payload_keeps_plain_mentions(payload: dict) -> None:
    paper = _index(payload, paper_node_id("rl-tango"))
    metric = _index(payload, entity_node_id(entity_key("accuracy")))
    types = [edge["type"] for edge in payload["edges"] if (edge["from"], edge["to"]) == (paper, metric)]
    assert types == ["mentions"]


def test_payload_edge_types_known(payload: dict) -> None:
    assert {edge["type"] for edge in payload["edges"]} <= set(EDGE_STYLES)


def test_payload_edge_paper_index(payload: dict) -> None:
    paper = _index(payload, paper_node_id("q-insight"))
    code = _index(payload, link_node_id("https://github.com/lwq20020127/Q-Insight"))
    edge = next(edge for edge in payload["edges"] if (edge["from"], edge["to"]) == (paper, code))
    assert edge["paper"] == paper


def test_payload_edge_sentence(payload: dict) -> None:
    paper = _index(payload, paper_node_id("rl-tango"))
    dataset = _index(payload, entity_node_id(entity_key("MATH")))
    edge = next(edge for edge in payload["edges"] if (edge["from"], edge["to"]) == (paper, dataset))
    assert edge["sentence"] == "Experiments on MATH show consistent gains."


def test_payload_size_grows_with_degree(payload: dict) -> None:
    hub = _node(payload, entity_node_id(entity_key("reinforcement learning")))
    leaf = _node(payload, entity_node_id(entity_key("Q-Insight")))
    assert hub["size"] > leaf["size"]


def test_payload_size_ignores_parallel_edges() -> None:
    graph = nx.MultiDiGraph()
    graph.add_node("a", type="paper", label="A")
    graph.add_node("b", type="method", label="B")
    graph.add_node("c", type="method", label="C")
    graph.add_edge("a", "b", type="mentions")
    graph.add_edge("a", "b", type="proposes")
    graph.add_edge("a", "c", type="mentions")
    payload = build_payload(graph)
    assert _node(payload, "b")["size"] == _node(payload, "c")["size"]


def test_payload_entity_papers(payload: dict) -> None:
    details = _node(payload, entity_node_id(entity_key("MATH")))["details"]
    titles = sorted(payload["nodes"][index]["details"]["title"] for index in details["papers"])
    assert titles == ["One Token to Fool LLM-as-a-Judge", "RL Tango: Reinforcing Generator and Verifier Together for Language Reasoning"]


def test_payload_entity_proposed_by(payload: dict) -> None:
    details = _node(payload, entity_node_id(entity_key("Tango")))["details"]
    assert details["proposedBy"] == [_index(payload, paper_node_id("rl-tango"))]


def test_payload_entity_aliases(payload: dict) -> None:
    details = _node(payload, entity_node_id(entity_key("reinforcement learning")))["details"]
    assert "RL" in details["aliases"]


def test_payload_link_details(payload: dict) -> None:
    details = _node(payload, link_node_id("https://huggingface.co/sarosavo/Master-RM"))["details"]
    assert details == {
        "url": "https://huggingface.co/sarosavo/Master-RM",
        "kind": "model",
        "papers": [_index(payload, paper_node_id("master-rm"))],
    }


def test_payload_paper_details(payload: dict) -> None:
    details = _node(payload, paper_node_id("rl-tango"))["details"]
    assert details == {
        "title": "RL Tango: Reinforcing Generator and Verifier Together for Language Reasoning",
        "date": "2025-09-11",
        "url": "",
    }


def test_payload_label_truncated(payload: dict) -> None:
    node = _node(payload, paper_node_id("rl-tango"))
    assert node["label"].endswith("\u2026")
    assert len(node["label"]) <= 40
    assert node["text"] == "RL Tango: Reinforcing Generator and Verifier Together for Language Reasoning"


def test_payload_small_graph_uses_physics(payload: dict) -> None:
    assert payload["physics"] is True
    assert all("x" not in node for node in payload["nodes"])


def test_payload_large_graph_has_positions() -> None:
    graph = synthetic_graph(60)
    payload = build_payload(graph, python_layout_min_nodes=10)
    assert payload["physics"] is False
    positions = [(node["x"], node["y"]) for node in payload["nodes"]]
    assert all(math.isfinite(x) and math.isfinite(y) for x, y in positions)
    assert len(set(positions)) == len(positions)


def test_payload_layout_threshold_default() -> None:
    # Each synthetic paper adds a paper node and a link node.
    graph = synthetic_graph(PYTHON_LAYOUT_MIN_NODES // 2)
    assert graph.number_of_nodes() >= PYTHON_LAYOUT_MIN_NODES
    payload = build_payload(graph)
    assert payload["physics"] is False


def test_payload_layout_deterministic() -> None:
    graph = synthetic_graph(40)
    first = build_payload(graph, python_layout_min_nodes=1)
    second = build_payload(graph, python_layout_min_nodes=1)
    assert first == second


def test_payload_layout_seed_changes_positions() -> None:
    graph = synthetic_graph(40)
    first = build_payload(graph, python_layout_min_nodes=1, seed=1)
    second = build_payload(graph, python_layout_min_nodes=1, seed=2)
    assert [node["x"] for node in first["nodes"]] != [node["x"] for node in second["nodes"]]


def test_payload_layout_neighbours_closer() -> None:
    # A working force layout puts linked nodes nearer than random pairs.
    graph = synthetic_graph(80)
    payload = build_payload(graph, python_layout_min_nodes=1)
    points = [(node["x"], node["y"]) for node in payload["nodes"]]
    linked = [math.dist(points[edge["from"]], points[edge["to"]]) for edge in payload["edges"]]
    count = len(points)
    spread = [math.dist(points[i], points[(i * 37 + 11) % count]) for i in range(count)]
    assert sum(linked) / len(linked) < 0.5 * sum(spread) / len(spread)


def test_payload_leaves_ring_their_hub() -> None:
    graph = nx.MultiDiGraph()
    graph.add_node("hub", type="paper", label="Hub")
    graph.add_node("other", type="paper", label="Other")
    graph.add_edge("hub", "other", type="links_to")
    for number in range(12):
        graph.add_node(f"leaf{number}", type="method", label=f"Leaf {number}")
        graph.add_edge("hub", f"leaf{number}", type="mentions")
    payload = build_payload(graph, python_layout_min_nodes=1)
    hub = _node(payload, "hub")
    radii = {round(math.dist((hub["x"], hub["y"]), (node["x"], node["y"]))) for node in payload["nodes"] if node["nodeId"].startswith("leaf")}
    assert len(radii) == 1


def test_payload_parallel_edges_curve() -> None:
    graph = nx.MultiDiGraph()
    graph.add_node("paper:p", type="paper", label="P", paper_id="p")
    graph.add_node("entity:x", type="method", label="X")
    graph.add_edge("paper:p", "entity:x", key="proposes", type="proposes", paper="p")
    graph.add_edge("paper:p", "entity:x", key="evaluated_on", type="evaluated_on", paper="p")
    payload = build_payload(graph)
    curves = [edge.get("curve", 0) for edge in payload["edges"]]
    assert sorted(curves) == [0, 0.25]


def test_payload_unknown_type_drawn() -> None:
    graph = nx.MultiDiGraph()
    graph.add_node("widget:1", type="widget", label="A widget")
    payload = build_payload(graph)
    assert payload["hasOtherNodes"] is True
    assert payload["nodes"][0]["type"] == "widget"


def test_payload_graph_unchanged(graph: nx.MultiDiGraph) -> None:
    before = copy.deepcopy(dict(graph.nodes(data=True))), copy.deepcopy(list(graph.edges(keys=True, data=True)))
    build_payload(graph, python_layout_min_nodes=1)
    after = dict(graph.nodes(data=True)), list(graph.edges(keys=True, data=True))
    assert before == after


def test_payload_empty_graph() -> None:
    payload = build_payload(nx.MultiDiGraph())
    assert payload["nodes"] == []
    assert payload["edges"] == []


def test_payload_plain_graph_class() -> None:
    graph = nx.Graph()
    graph.add_edge("a", "b", type="mentions")
    payload = build_payload(graph)
    assert len(payload["edges"]) == 1


def test_node_styles_distinct_colours() -> None:
    colours = [style.color for style in NODE_STYLES.values()]
    assert len(set(colours)) == len(colours)


def test_node_styles_distinct_shapes() -> None:
    shapes = [style.shape for style in NODE_STYLES.values()]
    assert len(set(shapes)) == len(shapes)


def test_node_styles_cover_graph_types() -> None:
    expected = {"paper", "link", "method", "model", "dataset", "task", "metric", "concept", "result", "author"}
    assert set(NODE_STYLES) == expected


def test_edge_styles_distinct() -> None:
    looks = [(style.color, style.dashes, style.width) for style in EDGE_STYLES.values()]
    assert len(set(looks)) == len(looks)


# script_json


@pytest.mark.parametrize("text", [*HOSTILE_NAMES, HOSTILE_TITLE, "</SCRIPT >", "<!--", "a & b"])
def test_script_json_escapes(text: str) -> None:
    encoded = script_json({"name": text})
    for character in "<>&\u2028\u2029":
        assert character not in encoded


@pytest.mark.parametrize("text", [*HOSTILE_NAMES, HOSTILE_TITLE, "unicode: \u00e9\u4e2d"])
def test_script_json_round_trip(text: str) -> None:
    assert json.loads(script_json({"name": text})) == {"name": text}


def test_script_json_rejects_nan() -> None:
    with pytest.raises(ValueError):
        script_json({"x": float("nan")})


# render_html


def test_render_data_matches_payload(graph: nx.MultiDiGraph, payload: dict) -> None:
    parser = _parse(render_html(graph))
    data = [text for attributes, text in parser.scripts if attributes.get("id") == "kg-data"]
    assert len(data) == 1
    assert json.loads(data[0]) == json.loads(json.dumps(payload))


def test_render_data_block_type(graph: nx.MultiDiGraph) -> None:
    parser = _parse(render_html(graph))
    data = next(attributes for attributes, _ in parser.scripts if attributes.get("id") == "kg-data")
    assert data.get("type") == "application/json"


def test_render_no_url_attributes(graph: nx.MultiDiGraph) -> None:
    assert _parse(render_html(graph)).url_attributes == []


def test_render_no_remote_urls_outside_scripts(graph: nx.MultiDiGraph) -> None:
    html = render_html(graph)
    markup = re.sub(r"<script\b[^>]*>.*?</script>", "", html, flags=re.DOTALL)
    markup = re.sub(r"<style\b[^>]*>.*?</style>", "", markup, flags=re.DOTALL)
    assert "http://" not in markup
    assert "https://" not in markup
    assert "//cdn" not in html


def test_render_inlines_vis_network(graph: nx.MultiDiGraph) -> None:
    html = render_html(graph)
    assert "@version 9.1.2" in html
    assert ".vis-network" in html


def test_render_drops_source_map(graph: nx.MultiDiGraph) -> None:
    assert "sourceMappingURL" not in render_html(graph)


def test_render_csp_blocks_network(graph: nx.MultiDiGraph) -> None:
    csp = _parse(render_html(graph)).csp
    assert csp is not None
    assert "default-src 'none'" in csp
    assert "unsafe-inline" not in csp.split("script-src", 1)[1].split(";", 1)[0]


def test_render_csp_hashes_scripts(graph: nx.MultiDiGraph) -> None:
    parser = _parse(render_html(graph))
    executable = [text for attributes, text in parser.scripts if attributes.get("type") != "application/json"]
    allowed = set(re.findall(r"'sha256-([^']+)'", parser.csp or ""))
    hashes = {base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii") for text in executable}
    assert len(executable) == 2
    assert hashes == allowed


def test_render_legend_lists_types(graph: nx.MultiDiGraph) -> None:
    html = render_html(graph)
    legend = html[html.index('id="kg-legend"') : html.index("</aside>")]
    for style in [*NODE_STYLES.values(), *EDGE_STYLES.values()]:
        assert f"<span>{style.label}</span>" in legend


def test_render_legend_other_type() -> None:
    graph = nx.MultiDiGraph()
    graph.add_node("widget:1", type="widget", label="A widget")
    assert 'data-type="other"' in render_html(graph)


def test_render_default_title(graph: nx.MultiDiGraph) -> None:
    assert _parse(render_html(graph)).text_of["title"] == "kg knowledge graph"


def test_render_rejects_non_graph() -> None:
    with pytest.raises(TypeError, match="networkx graph"):
        render_html([("a", "b")])  # type: ignore[arg-type]


def test_render_rejects_non_string_title(graph: nx.MultiDiGraph) -> None:
    with pytest.raises(TypeError, match="title must be a str"):
        render_html(graph, title=None)  # type: ignore[arg-type]


def test_implied_mentions_note_names_types() -> None:
    from kg.viewer import _IMPLIES_MENTION

    note = re.search(r'<span title="([^"]*)">\(\+\d+ implied mentions\)', render_html(rich_graph()))
    assert note is not None
    for edge_type in _IMPLIES_MENTION:
        assert EDGE_STYLES[edge_type].label in note.group(1)


def test_render_empty_graph() -> None:
    html = render_html(nx.MultiDiGraph())
    assert "0 nodes, 0 edges" in html


# Escaping of hostile input


def test_hostile_heading_escaped(hostile_html: str) -> None:
    parser = _parse(hostile_html)
    assert parser.text_of["kg-title"] == HOSTILE_HEADING
    assert parser.text_of["title"] == HOSTILE_HEADING


def test_hostile_heading_not_raw(hostile_html: str) -> None:
    assert HOSTILE_HEADING not in hostile_html
    assert "&lt;/title&gt;&lt;img" in hostile_html


def test_hostile_names_not_raw(hostile_html: str) -> None:
    for name in HOSTILE_NAMES[:3]:
        assert name not in hostile_html


def test_hostile_no_extra_script_tags(hostile_html: str) -> None:
    assert len(_parse(hostile_html).scripts) == 3
    assert hostile_html.lower().count("</script") == 3


def test_hostile_no_image_tags(hostile_html: str) -> None:
    assert "<img" not in hostile_html.lower()


def test_hostile_data_round_trip(hostile_html: str) -> None:
    parser = _parse(hostile_html)
    data = json.loads(next(text for attributes, text in parser.scripts if attributes.get("id") == "kg-data"))
    texts = {node["text"] for node in data["nodes"]}
    assert set(HOSTILE_NAMES) <= texts


def test_hostile_payload_keeps_text() -> None:
    payload = build_payload(hostile_graph())
    titles = {node["details"].get("title") for node in payload["nodes"] if node["type"] == "paper"}
    assert HOSTILE_TITLE in titles


# write_html


def test_write_creates_parents(graph: nx.MultiDiGraph, tmp_path: Path) -> None:
    path = tmp_path / "a" / "b" / "graph.html"
    write_html(graph, path)
    assert path.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


def test_write_matches_render(graph: nx.MultiDiGraph, tmp_path: Path) -> None:
    path = tmp_path / "graph.html"
    write_html(graph, path, title="Sep 11")
    assert path.read_text(encoding="utf-8") == render_html(graph, title="Sep 11")


def test_write_deterministic(graph: nx.MultiDiGraph, tmp_path: Path) -> None:
    write_html(graph, tmp_path / "first.html")
    write_html(realistic_graph(), tmp_path / "second.html")
    assert (tmp_path / "first.html").read_bytes() == (tmp_path / "second.html").read_bytes()


def test_write_replaces_file(graph: nx.MultiDiGraph, tmp_path: Path) -> None:
    path = tmp_path / "graph.html"
    path.write_text("old", encoding="utf-8")
    write_html(graph, path)
    assert path.read_text(encoding="utf-8") != "old"


def test_write_failure_keeps_old_file(tmp_path: Path) -> None:
    path = tmp_path / "graph.html"
    path.write_text("old", encoding="utf-8")
    with pytest.raises(TypeError):
        write_html("not a graph", path)  # type: ignore[arg-type]
    assert path.read_text(encoding="utf-8") == "old"
    assert [item.name for item in tmp_path.iterdir()] == ["graph.html"]


def test_write_directory_path_fails(graph: nx.MultiDiGraph, tmp_path: Path) -> None:
    with pytest.raises(OSError):
        write_html(graph, tmp_path)


def test_select_view_small_graph_unchanged() -> None:
    graph = build_graph([PaperExtraction(paper=Paper(id="p", title="T"))])
    assert select_view(graph, max_nodes=5) is graph


def test_select_view_keeps_most_mentioned() -> None:
    def paper(index: int, names: list[str]) -> PaperExtraction:
        entities = tuple(
            ExtractedEntity(name=name, key=name.lower(), type=EntityType.DATASET, mentions=(Mention(name, 0, len(name), Field.ABSTRACT, name),))
            for name in names
        )
        return PaperExtraction(paper=Paper(id=f"p{index}", title=f"T{index}"), entities=entities)

    graph = build_graph([paper(0, ["Popular", "Rare"]), paper(1, ["Popular"]), paper(2, ["Popular", "Other"])])
    view = select_view(graph, max_nodes=4)
    assert set(view.nodes) == {"entity:popular", "paper:p0", "paper:p1", "paper:p2"}
    assert view.number_of_edges() == 3
    assert graph.number_of_nodes() == 6


def test_select_view_tiny_limit_keeps_top_entity() -> None:
    entity = ExtractedEntity(name="X", key="x", type=EntityType.METHOD, mentions=(Mention("X", 0, 1, Field.ABSTRACT, "X"),))
    graph = build_graph([PaperExtraction(paper=Paper(id=f"p{i}", title="T"), entities=(entity,)) for i in range(3)])
    assert list(select_view(graph, max_nodes=1).nodes) == ["entity:x"]


# Concepts, results and relation edges


def test_edge_styles_cover_schema() -> None:
    assert set(NEW_EDGE_TYPES) <= set(EDGE_STYLES)


def test_rich_payload_no_other_types() -> None:
    payload = build_payload(rich_graph())
    assert payload["hasOtherNodes"] is False
    assert payload["hasOtherEdges"] is False


def test_rich_result_caption() -> None:
    node = _node(build_payload(rich_graph()), "result:rl-tango:1")
    assert node["label"] == "25.5 % \u00b1 0.4"
    assert node["text"] == "25.5 % accuracy on MATH"


def test_rich_result_details() -> None:
    details = _node(build_payload(rich_graph()), "result:rl-tango:1")["details"]
    assert (details["value"], details["unit"], details["spread"]) == ("25.5", "percent", "0.4")
    assert (details["metric"], details["benchmark"]) == ("accuracy", "math")
    assert details["sentence"].startswith("Tango reaches 25.5 %")


def test_rich_uses_hides_mentions() -> None:
    payload = build_payload(rich_graph())
    paper = _index(payload, paper_node_id("rl-tango"))
    rl = _index(payload, entity_node_id(entity_key("reinforcement learning")))
    types = {edge["type"] for edge in payload["edges"] if (edge["from"], edge["to"]) == (paper, rl)}
    assert types == {"uses"}


def test_rich_merge_reasons() -> None:
    details = _node(build_payload(rich_graph()), "entity:qwen2-5-7b")["details"]
    assert details["mergeReasons"] == [{"form": "Qwen2.5 7B", "reason": "variant"}]


def test_merge_reasons_from_json_text() -> None:
    graph = nx.MultiDiGraph()
    graph.add_node("entity:x", type="method", label="X", merge_reasons='[{"form": "x", "reason": "variant", "paper": ""}]')
    assert _node(build_payload(graph), "entity:x")["details"]["mergeReasons"] == [{"form": "x", "reason": "variant"}]


def test_render_legend_new_types() -> None:
    html = render_html(rich_graph())
    for name in ("concept", "result", *NEW_EDGE_TYPES):
        assert f'value="{name}"' in html, name


# Node size


def test_pagerank_matches_networkx() -> None:
    from networkx.algorithms.link_analysis.pagerank_alg import _pagerank_python

    graph = nx.karate_club_graph()
    ours = pagerank(graph)
    reference = _pagerank_python(graph, weight=None)
    assert max(abs(ours[node] - reference[node]) for node in graph) < 1e-6


def test_pagerank_sums_to_one() -> None:
    graph = rich_graph()
    assert math.isclose(sum(pagerank(graph).values()), 1.0)


def test_pagerank_empty_graph() -> None:
    assert pagerank(nx.Graph()) == {}


def test_payload_size_pagerank() -> None:
    graph = nx.MultiDiGraph([("hub", "a"), ("hub", "b"), ("hub", "c"), ("a", "b")])
    sizes = {node["nodeId"]: node["size"] for node in build_payload(graph, size="pagerank")["nodes"]}
    assert sizes["hub"] > sizes["a"] > sizes["c"]
    assert build_payload(graph, size="pagerank")["sizeMeasure"] == "pagerank"


def test_payload_size_rejects_unknown() -> None:
    with pytest.raises(ValueError, match="pagerank"):
        build_payload(realistic_graph(), size="betweenness")


# Selection


def test_find_node_by_alias() -> None:
    assert find_node(realistic_graph(), "grpo") == entity_node_id(entity_key("Group Relative Policy Optimization"))


def test_find_node_by_paper_title() -> None:
    assert find_node(realistic_graph(), "adversarial cheap talk") == entity_node_id(entity_key("Adversarial Cheap Talk"))
    assert find_node(realistic_graph(), "One Token to Fool LLM-as-a-Judge") == paper_node_id("master-rm")


def test_find_node_suggests_close_matches() -> None:
    with pytest.raises(ConfigError, match="close matches: 'Master-RM'"):
        find_node(realistic_graph(), "Mastr-RM")


def test_focus_depth_one() -> None:
    view = select_subgraph(realistic_graph(), focus="MATH", depth=1)
    assert set(view) == {entity_node_id("math"), paper_node_id("rl-tango"), paper_node_id("master-rm")}


def test_focus_depth_two_reaches_entities() -> None:
    view = select_subgraph(realistic_graph(), focus="MATH", depth=2)
    assert entity_node_id(entity_key("Master-RM")) in view
    assert paper_node_id("q-insight") not in view


def test_focus_respects_max_nodes() -> None:
    view = select_subgraph(realistic_graph(), focus="reinforcement learning", depth=2, max_nodes=3)
    assert view.number_of_nodes() == 3
    assert entity_node_id(entity_key("reinforcement learning")) in view


def test_top_keeps_entities_and_papers() -> None:
    view = select_subgraph(realistic_graph(), top=1)
    assert set(view) == {entity_node_id(entity_key("reinforcement learning"))} | {
        paper_node_id(paper) for paper in ("rl-tango", "q-insight", "master-rm", "cheap-talk")
    }


def test_types_filter_drops_isolated() -> None:
    view = select_subgraph(realistic_graph(), types=["paper", "dataset"])
    assert set(view) == {entity_node_id("math"), paper_node_id("rl-tango"), paper_node_id("master-rm")}


def test_min_papers_filter() -> None:
    view = select_subgraph(realistic_graph(), min_papers=2)
    entities = {node for node, data in view.nodes(data=True) if data["type"] not in {"paper", "link"}}
    assert entities == {entity_node_id(entity_key(name)) for name in ("reinforcement learning", "large language models", "MATH", "accuracy")}


def test_min_papers_drops_papers_without_entities() -> None:
    graph = realistic_graph()
    graph.add_node(paper_node_id("lonely"), type="paper", paper_id="lonely", title="A paper with a link only")
    graph.add_node(link_node_id("https://github.com/lonely/code"), type="link", url="https://github.com/lonely/code")
    graph.add_edge(paper_node_id("lonely"), link_node_id("https://github.com/lonely/code"), key="links_to", type="links_to")
    view = select_subgraph(graph, min_papers=2)
    assert paper_node_id("lonely") not in view
    assert link_node_id("https://github.com/lonely/code") not in view


def test_select_rejects_empty_view() -> None:
    with pytest.raises(ConfigError, match="leave no nodes"):
        select_subgraph(realistic_graph(), types=["paper"])


def test_select_empty_graph_allowed() -> None:
    assert select_subgraph(nx.MultiDiGraph(), types=["paper"]).number_of_nodes() == 0


@pytest.mark.parametrize("name", ["", "   "])
def test_find_node_rejects_empty_name(name: str) -> None:
    graph = nx.MultiDiGraph()
    graph.add_node("entity:", type="method", name="", key="")
    with pytest.raises(ConfigError, match="empty"):
        find_node(graph, name)


def test_select_rejects_unknown_type() -> None:
    with pytest.raises(ConfigError, match="invalid node type 'foo'"):
        select_subgraph(realistic_graph(), types=["foo"])


def test_select_rejects_top_and_focus() -> None:
    with pytest.raises(ConfigError):
        select_subgraph(realistic_graph(), top=2, focus="MATH")


def test_focus_filtered_out() -> None:
    with pytest.raises(ConfigError, match="filters"):
        select_subgraph(realistic_graph(), focus="MATH", types=["paper", "method"])


def test_select_no_options_unchanged() -> None:
    graph = realistic_graph()
    assert select_subgraph(graph) is graph


# kg view


@pytest.fixture()
def build_folder(tmp_path: Path) -> Path:
    write_graphml(rich_graph(), tmp_path / "graph.graphml")
    return tmp_path


def test_read_graph_folder(build_folder: Path) -> None:
    graphml, graph = read_graph(build_folder)
    assert graphml == build_folder / "graph.graphml"
    assert graph.number_of_nodes() == rich_graph().number_of_nodes()


def test_read_graph_missing(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="graph.graphml: not found"):
        read_graph(tmp_path)


def test_read_graph_not_graphml(tmp_path: Path) -> None:
    path = tmp_path / "broken.graphml"
    path.write_text("not xml", encoding="utf-8")
    with pytest.raises(InputError, match="not a GraphML file"):
        read_graph(path)


def test_cli_view_default_out(build_folder: Path) -> None:
    assert main(["view", str(build_folder)]) == 0
    assert (build_folder / "view.html").read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


def test_cli_view_focus(build_folder: Path, tmp_path: Path) -> None:
    out = tmp_path / "focus.html"
    assert main(["view", str(build_folder), "--focus", "MATH", "--depth", "1", "--out", str(out)]) == 0
    data = json.loads(_parse(out.read_text(encoding="utf-8")).scripts[0][1])
    assert {node["nodeId"] for node in data["nodes"]} >= {"entity:math", "result:rl-tango:1", "concept:benchmark"}
    assert len(data["nodes"]) < rich_graph().number_of_nodes()


def test_cli_view_unknown_focus(build_folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["view", str(build_folder), "--focus", "Tang0"]) == 2
    assert "close matches: 'Tango'" in capsys.readouterr().err


def test_cli_view_missing_graph(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["view", str(tmp_path / "nowhere")]) == 1
    assert "not found" in capsys.readouterr().err


def test_cli_view_top_and_focus(build_folder: Path) -> None:
    assert main(["view", str(build_folder), "--top", "2", "--focus", "MATH"]) == 2


def test_cli_view_filters_leave_nothing(build_folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["view", str(build_folder), "--types", "paper"]) == 2
    assert "leave no nodes" in capsys.readouterr().err
    assert not (build_folder / "view.html").exists()


def test_cli_view_keeps_input_graph(build_folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    graphml = build_folder / "graph.graphml"
    before = graphml.read_bytes()
    assert main(["view", str(build_folder), "--out", str(graphml)]) == 2
    assert "input graph" in capsys.readouterr().err
    assert graphml.read_bytes() == before


def test_cli_view_pagerank_legend(build_folder: Path) -> None:
    assert main(["view", str(build_folder), "--size", "pagerank"]) == 0
    assert "grows with PageRank" in (build_folder / "view.html").read_text(encoding="utf-8")


def test_grid_repulsion_matches_exact() -> None:
    from kg.viewer import _exact_repulsion, _grid_repulsion

    rng = np.random.default_rng(3)
    centres = rng.uniform(-0.5, 0.5, size=(40, 2))
    positions = centres[rng.integers(0, 40, 2000)] + rng.normal(0, 0.02, size=(2000, 2))
    k = 1 / math.sqrt(len(positions))
    exact = _exact_repulsion(positions, k, (0.01 * k) ** 2)
    approximate = _grid_repulsion(positions, k, (0.01 * k) ** 2)
    relative = np.linalg.norm(exact - approximate, axis=1) / np.linalg.norm(exact, axis=1)
    assert np.percentile(relative, 95) < 0.01
