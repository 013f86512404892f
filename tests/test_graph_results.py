from __future__ import annotations

from pathlib import Path

import pytest

from kg.graph import (
    EDGE_TYPES,
    HAS_METRIC,
    HAS_RESULT,
    IS_A,
    ON_DATASET,
    OUTPERFORMS,
    build_graph,
    read_graphml,
    write_graphml,
)
from kg.model import (
    Abbreviation,
    EntityType,
    ExtractedEntity,
    Field,
    Mention,
    Paper,
    PaperExtraction,
    Relation,
    RelationType,
    Result,
)
from kg.rdf import KG, graph_to_rdf

ABSTRACT = "Tango, a novel framework, outperforms GRPO and scores 85.3 ± 1.2% accuracy on GSM8K."


def mention(text: str) -> Mention:
    start = ABSTRACT.index(text)
    return Mention(text, start, start + len(text), Field.ABSTRACT, ABSTRACT)


def entity(name: str, key: str, entity_type: EntityType, *, proposed: bool = False) -> ExtractedEntity:
    return ExtractedEntity(name=name, key=key, type=entity_type, proposed=proposed, mentions=(mention(name),))


def extraction(paper_id: str = "p1") -> PaperExtraction:
    return PaperExtraction(
        paper=Paper(id=paper_id, title="A title", abstract=ABSTRACT),
        entities=(
            entity("Tango", "tango", EntityType.METHOD, proposed=True),
            entity("GRPO", "grpo", EntityType.METHOD),
            entity("accuracy", "accuracy", EntityType.METRIC),
            entity("GSM8K", "gsm8k", EntityType.DATASET),
        ),
        relations=(
            Relation(RelationType.IS_A, "tango", "framework", mention("Tango, a novel framework")),
            Relation(RelationType.OUTPERFORMS, "tango", "grpo", mention("outperforms GRPO")),
        ),
        results=(Result("tango", "85.3", "percent", "1.2", "accuracy", "gsm8k", mention("85.3 ± 1.2%")),),
    )


@pytest.fixture
def graph():
    return build_graph([extraction()])


def test_concept_node(graph):
    assert graph.nodes["concept:framework"] == {"type": "concept", "label": "framework", "name": "framework", "key": "framework"}


def test_is_a_edge(graph):
    data = graph.edges["entity:tango", "concept:framework", IS_A]
    assert data["text"] == "Tango, a novel framework"


def test_is_a_has_no_paper_edge(graph):
    assert not graph.has_edge("paper:p1", "concept:framework")


def test_relation_edge_from_paper_too(graph):
    assert graph.has_edge("entity:tango", "entity:grpo", OUTPERFORMS)
    assert graph.has_edge("paper:p1", "entity:grpo", OUTPERFORMS)


def test_result_node(graph):
    data = graph.nodes["result:p1:1"]
    assert data["type"] == "result"
    assert (data["value"], data["unit"], data["spread"]) == ("85.3", "percent", "1.2")
    assert (data["subject"], data["metric"], data["benchmark"]) == ("tango", "accuracy", "gsm8k")
    assert data["paper"] == "p1"
    assert data["text"] == "85.3 ± 1.2%"


def test_result_label(graph):
    assert graph.nodes["result:p1:1"]["label"] == "85.3 % accuracy on GSM8K"


def test_result_edges(graph):
    assert graph.has_edge("paper:p1", "result:p1:1", HAS_RESULT)
    assert graph.has_edge("entity:tango", "result:p1:1", HAS_RESULT)
    assert graph.has_edge("result:p1:1", "entity:gsm8k", ON_DATASET)
    assert graph.has_edge("result:p1:1", "entity:accuracy", HAS_METRIC)


def test_edge_types_known(graph):
    assert {key for _, _, key in graph.edges(keys=True)} <= set(EDGE_TYPES)


def test_result_keys_follow_merge():
    # Paper p2 defines GRPO's long form, so the short-form node of p1 merges into it.
    second = PaperExtraction(
        paper=Paper(id="p2", title="Other", abstract="group relative policy optimization (GRPO)"),
        entities=(
            ExtractedEntity(
                "group relative policy optimization",
                "group relative policy optimization",
                EntityType.METHOD,
                mentions=(Mention("group relative policy optimization", 0, 34, Field.ABSTRACT),),
                aliases=("GRPO",),
            ),
        ),
        abbreviations=(Abbreviation("GRPO", "group relative policy optimization", Mention("GRPO", 36, 40, Field.ABSTRACT)),),
    )
    first = extraction()
    first = PaperExtraction(
        paper=first.paper,
        entities=first.entities,
        relations=first.relations,
        results=(Result("grpo", "85.3", "percent", "", "accuracy", "gsm8k", mention("85.3 ± 1.2%")),),
    )
    graph = build_graph([first, second])
    assert graph.nodes["result:p1:1"]["subject"] == "group relative policy optimization"


def test_graphml_round_trip(graph, tmp_path: Path):
    path = tmp_path / "graph.graphml"
    write_graphml(graph, path)
    loaded = read_graphml(path)
    assert loaded.nodes["result:p1:1"]["value"] == "85.3"
    assert loaded.nodes["concept:framework"]["type"] == "concept"


def test_rdf_result_value(graph):
    rdf = graph_to_rdf(graph)
    values = [str(value) for value in rdf.objects(None, KG.value)]
    assert values == ["85.3"]


def test_rdf_is_a(graph):
    rdf = graph_to_rdf(graph)
    assert len(list(rdf.subject_objects(KG.isA))) == 1
