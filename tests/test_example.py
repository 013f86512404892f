"""The main job on the bundled example page, checked end to end."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import networkx as nx
import pytest

from kg.build import build
from kg.graph import EVALUATED_ON, HAS_CODE, LINKS_TO, PROPOSES, read_graphml
from kg.query import run_query
from kg.sources import read_daily_papers


@pytest.fixture(scope="module")
def example_build(tmp_path_factory: pytest.TempPathFactory, example_page: Path) -> tuple[nx.MultiDiGraph, Path]:
    out = tmp_path_factory.mktemp("example")
    graph, _ = build([example_page], out, rdf_formats=("turtle", "ntriples"))
    return graph, out


def _paper_node(graph: nx.MultiDiGraph, title_prefix: str) -> str:
    matches = [node for node, data in graph.nodes(data=True) if data["type"] == "paper" and data["title"].startswith(title_prefix)]
    assert len(matches) == 1, f"expected one paper titled {title_prefix!r}..., found {len(matches)}"
    return matches[0]


def _entity_nodes(graph: nx.MultiDiGraph, name: str) -> list[str]:
    return [
        node
        for node, data in graph.nodes(data=True)
        if data["type"] not in {"paper", "link", "concept", "result"} and (data["name"] == name or name in data["aliases"])
    ]


def test_example_every_paper_found(example_build: tuple[nx.MultiDiGraph, Path], example_page: Path) -> None:
    _, out = example_build
    expected = [paper.title for paper in read_daily_papers(example_page)]
    lines = (out / "extractions.jsonl").read_text(encoding="utf-8").splitlines()
    assert [json.loads(line)["title"] for line in lines] == expected
    assert len(expected) == 71


def test_example_writes_all_outputs(example_build: tuple[nx.MultiDiGraph, Path]) -> None:
    _, out = example_build
    for name in ("extractions.jsonl", "graph.graphml", "graph.ttl", "graph.html"):
        assert (out / name).stat().st_size > 0


@pytest.mark.parametrize(
    ("benchmark", "paper"),
    [
        ("MiniHack", "A Study of Global and Episodic Bonuses"),
        ("ProcessBench", "RL Tango"),
        ("RewardBench", "HelpSteer2-Preference"),
    ],
)
def test_example_benchmarks_are_dataset_nodes(example_build: tuple[nx.MultiDiGraph, Path], benchmark: str, paper: str) -> None:
    graph, _ = example_build
    nodes = _entity_nodes(graph, benchmark)
    assert len(nodes) == 1
    assert graph.nodes[nodes[0]]["type"] == "dataset"
    assert graph.has_edge(_paper_node(graph, paper), nodes[0])


@pytest.mark.parametrize(
    ("name", "paper"),
    [
        ("Tango", "RL Tango"),
        ("Q-Insight", "Q-Insight"),
        ("CrossLoco", "CrossLoco"),
        ("AMI", "Attacking Cooperative Multi-Agent"),
    ],
)
def test_example_proposed_entities(example_build: tuple[nx.MultiDiGraph, Path], name: str, paper: str) -> None:
    graph, _ = example_build
    nodes = _entity_nodes(graph, name)
    assert len(nodes) == 1
    assert graph.has_edge(_paper_node(graph, paper), nodes[0], key=PROPOSES)


def test_example_links_typed(example_build: tuple[nx.MultiDiGraph, Path], example_page: Path) -> None:
    graph, _ = example_build
    text = example_page.read_text(encoding="utf-8")
    urls = {url.rstrip(".") for url in re.findall(r"https?://(?:github\.com|huggingface\.co)/\S+", text)}
    assert "https://github.com/kaiwenzha/rl-tango" in urls
    expected_kind = {
        url: "dataset" if "/datasets/" in url else "model" if "huggingface.co" in url else "code" for url in urls
    }
    links = {data["url"]: data["kind"] for _, data in graph.nodes(data=True) if data["type"] == "link"}
    for url, kind in expected_kind.items():
        assert links.get(url) == kind, url
    assert not [url for url in links if url.endswith((".", ",", ")"))]


def test_example_code_links_are_has_code(example_build: tuple[nx.MultiDiGraph, Path]) -> None:
    graph, _ = example_build
    tango = _paper_node(graph, "RL Tango")
    assert graph.has_edge(tango, "link:https://github.com/kaiwenzha/rl-tango", key=HAS_CODE)
    helpsteer = _paper_node(graph, "HelpSteer2-Preference")
    assert graph.has_edge(helpsteer, "link:https://huggingface.co/datasets/nvidia/HelpSteer2", key=LINKS_TO)


def test_example_tango_evaluated_on_processbench(example_build: tuple[nx.MultiDiGraph, Path]) -> None:
    graph, _ = example_build
    tango = _paper_node(graph, "RL Tango")
    (processbench,) = _entity_nodes(graph, "ProcessBench")
    evaluators = {source for source, _, key in graph.in_edges(processbench, keys=True) if key == EVALUATED_ON}
    assert tango in evaluators or any(graph.has_edge(tango, source, key=PROPOSES) for source in evaluators)


def test_example_sparql_processbench(example_build: tuple[nx.MultiDiGraph, Path]) -> None:
    _, out = example_build
    result = run_query(
        out / "graph.ttl",
        """
        SELECT DISTINCT ?title WHERE {
          ?dataset skos:prefLabel|skos:altLabel "ProcessBench" .
          { ?paper kg:evaluatedOn ?dataset } UNION { ?paper kg:proposes ?method . ?method kg:evaluatedOn ?dataset }
          ?paper dcterms:title ?title .
        }
        """,
    )
    titles = [row[0] for row in result.rows]
    assert "RL Tango: Reinforcing Generator and Verifier Together for Language Reasoning" in titles


def test_example_graphml_reloads(example_build: tuple[nx.MultiDiGraph, Path]) -> None:
    graph, out = example_build
    loaded = read_graphml(out / "graph.graphml")
    assert loaded.number_of_nodes() == graph.number_of_nodes()
    assert loaded.number_of_edges() == graph.number_of_edges()


def test_example_every_edge_has_evidence(example_build: tuple[nx.MultiDiGraph, Path]) -> None:
    graph, _ = example_build
    for source, target, key, data in graph.edges(keys=True, data=True):
        paper = graph.nodes[f"paper:{data['paper']}"]
        field_text = paper[data["field"]]
        assert field_text[data["start"]:data["end"]] == data["text"], (source, target, key)
        assert data["text"] in data["sentence"] or data["sentence"] in data["text"], (source, target, key)


def test_example_conforms_to_shapes(example_build: tuple[nx.MultiDiGraph, Path], check_shapes: Callable[[Any], None]) -> None:
    graph, _ = example_build
    check_shapes(graph)


def test_example_ntriples_identical_across_builds(
    example_build: tuple[nx.MultiDiGraph, Path], example_page: Path, tmp_path: Path
) -> None:
    _, out = example_build
    build([example_page], tmp_path, rdf_formats=("ntriples",))
    first = (out / "graph.nt").read_bytes()
    assert first == (tmp_path / "graph.nt").read_bytes()
    assert first.splitlines() == sorted(first.splitlines())
