from __future__ import annotations

from pathlib import Path

import pytest

from kg.graph import (
    EDGE_TYPES,
    EVALUATED_ON,
    HAS_CODE,
    LINKS_TO,
    MENTIONS,
    PROPOSES,
    build_graph,
    entity_node_id,
    link_node_id,
    paper_node_id,
    read_graphml,
    write_graphml,
)
from kg.model import (
    Abbreviation,
    EntityType,
    ExtractedEntity,
    Field,
    Link,
    LinkKind,
    Mention,
    Paper,
    PaperExtraction,
    Relation,
    RelationType,
)
from kg.resolve import entity_key


def _mention(text: str, start: int = 0) -> Mention:
    return Mention(text=text, start=start, end=start + len(text), field=Field.ABSTRACT, sentence=f"We use {text}.")


def _entity(name: str, entity_type: EntityType, *, proposed: bool = False, aliases: tuple[str, ...] = ()) -> ExtractedEntity:
    return ExtractedEntity(
        name=name, key=entity_key(name), type=entity_type, proposed=proposed, mentions=(_mention(name),), aliases=aliases
    )


@pytest.fixture()
def extractions() -> list[PaperExtraction]:
    tango = PaperExtraction(
        paper=Paper(id="tango", title="RL Tango: Reinforcing Generator and Verifier"),
        entities=(
            _entity("Tango", EntityType.METHOD, proposed=True),
            _entity("ProcessBench", EntityType.DATASET),
            _entity("large language models", EntityType.MODEL, aliases=("LLMs",)),
        ),
        links=(Link(url="https://github.com/kaiwenzha/rl-tango", kind=LinkKind.CODE, mention=_mention("https://github.com/kaiwenzha/rl-tango", 50)),),
        abbreviations=(Abbreviation(short="LLMs", long="large language models", mention=_mention("LLMs")),),
        relations=(Relation(type=RelationType.EVALUATED_ON, subject="", object="processbench", evidence=_mention("ProcessBench")),),
    )
    other = PaperExtraction(
        paper=Paper(id="other", title="Another paper"),
        entities=(
            _entity("LLM", EntityType.MODEL),
            _entity("processbench", EntityType.DATASET),
            _entity("Master-RM", EntityType.MODEL, proposed=True),
        ),
        links=(
            Link(url="https://huggingface.co/sarosavo/Master-RM", kind=LinkKind.MODEL, mention=_mention("https://huggingface.co/sarosavo/Master-RM")),
            Link(url="https://github.com/kaiwenzha/rl-tango", kind=LinkKind.CODE, mention=_mention("https://github.com/kaiwenzha/rl-tango")),
        ),
    )
    return [tango, other]


def test_graph_has_node_per_paper_entity_link(extractions: list[PaperExtraction]) -> None:
    graph = build_graph(extractions)
    assert graph.nodes[paper_node_id("tango")]["type"] == "paper"
    assert graph.nodes[entity_node_id("processbench")]["type"] == "dataset"
    assert graph.nodes[link_node_id("https://github.com/kaiwenzha/rl-tango")]["kind"] == "code"
    assert graph.number_of_nodes() == 2 + 4 + 2


def test_graph_merges_across_papers(extractions: list[PaperExtraction]) -> None:
    graph = build_graph(extractions)
    node = graph.nodes[entity_node_id("processbench")]
    assert node["papers"] == ["other", "tango"]
    assert node["name"] == "ProcessBench"
    assert node["aliases"] == ["processbench"]


def test_graph_abbreviation_joins_long_form(extractions: list[PaperExtraction]) -> None:
    graph = build_graph(extractions)
    node_id = entity_node_id(entity_key("large language models"))
    assert entity_node_id("llm") not in graph
    assert graph.nodes[node_id]["name"] == "large language models"
    assert graph.nodes[node_id]["papers"] == ["other", "tango"]
    assert "LLM" in graph.nodes[node_id]["aliases"]


def test_graph_edge_types(extractions: list[PaperExtraction]) -> None:
    graph = build_graph(extractions)
    tango, dataset = paper_node_id("tango"), entity_node_id("processbench")
    link = link_node_id("https://github.com/kaiwenzha/rl-tango")
    assert graph.has_edge(tango, entity_node_id("tango"), key=PROPOSES)
    assert graph.has_edge(tango, entity_node_id("tango"), key=MENTIONS)
    assert graph.has_edge(tango, dataset, key=EVALUATED_ON)
    assert graph.has_edge(tango, link, key=HAS_CODE)
    assert graph.has_edge(entity_node_id("tango"), link, key=HAS_CODE)
    assert graph.has_edge(paper_node_id("other"), link_node_id("https://huggingface.co/sarosavo/Master-RM"), key=LINKS_TO)
    assert not graph.has_edge(paper_node_id("other"), dataset, key=PROPOSES)


def test_graph_edges_keep_provenance(extractions: list[PaperExtraction]) -> None:
    graph = build_graph(extractions)
    for _, _, key, data in graph.edges(keys=True, data=True):
        assert key in EDGE_TYPES
        assert data["type"] == key
        assert data["paper"] in {"tango", "other"}
        assert data["sentence"]
        assert data["end"] > data["start"]
        assert data["field"] in {"title", "abstract"}


def test_graph_leaves_inputs_unchanged(extractions: list[PaperExtraction]) -> None:
    before = [extraction.to_json() for extraction in extractions]
    build_graph(extractions)
    assert [extraction.to_json() for extraction in extractions] == before


def test_graph_rejects_duplicate_paper_ids() -> None:
    paper = PaperExtraction(paper=Paper(id="same", title="A"))
    with pytest.raises(ValueError, match="Duplicate paper id 'same'"):
        build_graph([paper, paper])


def test_graph_type_vote_majority() -> None:
    papers = [
        PaperExtraction(paper=Paper(id=f"p{index}", title="T"), entities=(_entity("GRPO", entity_type),))
        for index, entity_type in enumerate([EntityType.METHOD, EntityType.METHOD, EntityType.MODEL])
    ]
    graph = build_graph(papers)
    assert graph.nodes[entity_node_id("grpo")]["type"] == "method"


def test_graph_ambiguous_short_form_kept_apart() -> None:
    def paper(identifier: str, long: str) -> PaperExtraction:
        return PaperExtraction(
            paper=Paper(id=identifier, title="T"),
            entities=(_entity("RM", EntityType.MODEL),),
            abbreviations=(Abbreviation(short="RM", long=long, mention=_mention("RM")),),
        )

    graph = build_graph([paper("a", "reward model"), paper("b", "robust matching")])
    assert entity_node_id("rm") in graph


def test_graphml_round_trip(tmp_path: Path, extractions: list[PaperExtraction]) -> None:
    graph = build_graph(extractions)
    path = tmp_path / "graph.graphml"
    write_graphml(graph, path)
    loaded = read_graphml(path)
    assert set(loaded.nodes) == set(graph.nodes)
    assert loaded.number_of_edges() == graph.number_of_edges()
    for node, data in graph.nodes(data=True):
        assert loaded.nodes[node] == data
    for source, target, key, data in graph.edges(keys=True, data=True):
        assert loaded.edges[source, target, key] == data


def test_graphml_hostile_text_round_trips(tmp_path: Path) -> None:
    hostile = 'x" ; <iri> "y" </graphml> & \\ \u2028'
    extraction = PaperExtraction(paper=Paper(id="p", title=hostile), entities=(_entity(hostile, EntityType.METHOD),))
    graph = build_graph([extraction])
    path = tmp_path / "graph.graphml"
    write_graphml(graph, path)
    loaded = read_graphml(path)
    assert loaded.nodes[paper_node_id("p")]["title"] == hostile
    assert loaded.nodes[entity_node_id(entity_key(hostile))]["name"] == hostile


def test_graphml_failed_write_keeps_old_file(tmp_path: Path, extractions: list[PaperExtraction]) -> None:
    path = tmp_path / "graph.graphml"
    path.write_text("previous", encoding="utf-8")
    graph = build_graph(extractions)
    graph.add_node("bad", value=object())
    with pytest.raises(Exception):
        write_graphml(graph, path)
    assert path.read_text(encoding="utf-8") == "previous"
    assert [p.name for p in tmp_path.iterdir()] == ["graph.graphml"]


def test_graphml_ids_unique(tmp_path: Path, extractions: list[PaperExtraction]) -> None:
    import xml.etree.ElementTree as ElementTree

    path = tmp_path / "graph.graphml"
    write_graphml(build_graph(extractions), path)
    namespace = {"g": "http://graphml.graphdrawing.org/xmlns"}
    root = ElementTree.parse(path).getroot()
    edge_ids = [edge.get("id") for edge in root.iterfind(".//g:edge", namespace)]
    key_ids = [key.get("id") for key in root.iterfind("g:key", namespace)]
    assert len(edge_ids) == len(set(edge_ids))
    assert None not in edge_ids
    assert len(key_ids) == len(set(key_ids))


def test_graph_entity_relation_adds_paper_edge() -> None:
    extraction = PaperExtraction(
        paper=Paper(id="p", title="T"),
        entities=(_entity("CRM", EntityType.METHOD, proposed=True), _entity("RewardBench", EntityType.DATASET)),
        relations=(Relation(type=RelationType.EVALUATED_ON, subject="crm", object="rewardbench", evidence=_mention("RewardBench")),),
    )
    graph = build_graph([extraction])
    assert graph.has_edge(entity_node_id("crm"), entity_node_id("rewardbench"), key=EVALUATED_ON)
    assert graph.has_edge(paper_node_id("p"), entity_node_id("rewardbench"), key=EVALUATED_ON)
