"""`GraphBuilder` entity states: per-partition tables merged per key give the graph of one builder.

These tests need no Dask. They run the steps of `kg.distributed` in one
process: add each partition to its own builder, take its `entity_states`,
merge them per key in input order, and load them into a builder that got only
nodes and edges. The graph must equal the one that `build_graph` makes.
"""

from __future__ import annotations

import gzip
import itertools
import json
from typing import Any

import networkx as nx
import pytest
from spacy.language import Language

import kg.nlp
from kg.extract import extract
from kg.graph import EntityState, GraphBuilder, build_graph, entity_node_id
from kg.model import EntityType, ExtractedEntity, Field, Mention, Paper, PaperExtraction
from kg.resolve import entity_key
from kg.sources import read_daily_papers


@pytest.fixture(scope="module")
def nlp() -> Language:
    return kg.nlp.create_pipeline()


@pytest.fixture(scope="module")
def page_extractions(nlp: Language, example_page: Any) -> list[PaperExtraction]:
    return list(extract(read_daily_papers(example_page), nlp))


def _graph_from_partitions(extractions: list[PaperExtraction], size: int) -> nx.MultiDiGraph:
    merged: dict[str, EntityState] = {}
    for start in range(0, len(extractions), size):
        partition = extractions[start:start + size]
        builder = GraphBuilder()
        for extraction in partition:
            builder.add(extraction)
        positions = {extraction.paper.id: start + offset for offset, extraction in enumerate(partition)}
        for key, state in builder.entity_states(positions).items():
            if key in merged:
                merged[key].merge(state)
            else:
                merged[key] = state
    builder = GraphBuilder()
    for extraction in extractions:
        builder.add(extraction, entity_tables=False)
    builder.load_entity_states(merged)
    return builder.graph()


def _assert_same_graph(expected: nx.MultiDiGraph, actual: nx.MultiDiGraph) -> None:
    assert dict(actual.nodes(data=True)) == dict(expected.nodes(data=True))
    expected_edges = sorted((u, v, k, sorted(d.items())) for u, v, k, d in expected.edges(keys=True, data=True))
    actual_edges = sorted((u, v, k, sorted(d.items())) for u, v, k, d in actual.edges(keys=True, data=True))
    assert actual_edges == expected_edges


@pytest.mark.parametrize("size", [1, 4, 25, 1000])
def test_page_partitions_match_one_builder(page_extractions: list[PaperExtraction], size: int) -> None:
    _assert_same_graph(build_graph(page_extractions), _graph_from_partitions(page_extractions, size))


def test_real_abstracts_partitions_match(nlp: Language, shared_dir: Any) -> None:
    papers = []
    with gzip.open(shared_dir / "eval" / "sota_clef24" / "train.jsonl.gz", "rt", encoding="utf-8") as lines:
        for line in itertools.islice(lines, 400):
            record = json.loads(line)
            if (record["title"] or "").strip():
                papers.append(Paper(id=record["paper_id"], title=record["title"], abstract=record["abstract"] or ""))
    extractions = list(extract(papers, nlp))
    expected = build_graph(extractions)
    for size in (13, 64):
        _assert_same_graph(expected, _graph_from_partitions(extractions, size))


def test_definition_in_other_partition_joins(nlp: Language) -> None:
    papers = [
        Paper(id="a", title="Zonal query path optimization", abstract="We propose zonal query path optimization (ZQPO) for retrieval."),
        Paper(id="b", title="Filler", abstract="We study graph search on citation data."),
        Paper(id="c", title="Faster retrieval", abstract="We apply ZQPO to dense retrieval and improve recall."),
    ]
    extractions = list(extract(papers, nlp))
    graph = _graph_from_partitions(extractions, 1)
    _assert_same_graph(build_graph(extractions), graph)
    node = graph.nodes[entity_node_id("zonal query path optimization")]
    assert "c" in node["papers"]
    assert "ZQPO" in node["aliases"]


def _paper_with(paper_id: str, name: str, entity_type: EntityType) -> PaperExtraction:
    mention = Mention(text=name, start=0, end=len(name), field=Field.TITLE, sentence=name)
    entity = ExtractedEntity(name=name, key=entity_key(name), type=entity_type, mentions=(mention,))
    return PaperExtraction(paper=Paper(id=paper_id, title=f"{name} study"), entities=(entity,))


def test_type_votes_across_partitions() -> None:
    extractions = [
        _paper_with("p1", "Foo", EntityType.METHOD),
        _paper_with("p2", "Foo", EntityType.DATASET),
        _paper_with("p3", "Foo", EntityType.DATASET),
    ]
    graph = _graph_from_partitions(extractions, 1)
    _assert_same_graph(build_graph(extractions), graph)
    assert graph.nodes[entity_node_id("foo")]["type"] == "dataset"


def test_merge_keeps_smallest_paper() -> None:
    first = EntityState(form_papers={"GRPO": "p2"}, definer={"grpo": "p5"}, papers={"p2"})
    first.merge(EntityState(form_papers={"GRPO": "p1"}, definer={"grpo": "p9"}, papers={"p1"}))
    assert first.form_papers == {"GRPO": "p1"}
    assert first.definer == {"grpo": "p5"}
    assert first.papers == {"p1", "p2"}


def test_merge_keeps_earliest_first_seen() -> None:
    early = EntityState(first_seen=(3, 0))
    late = EntityState(first_seen=(7, 2))
    late.merge(early)
    assert late.first_seen == (3, 0)


def test_load_rejects_builder_with_tables(page_extractions: list[PaperExtraction]) -> None:
    builder = GraphBuilder()
    builder.add(page_extractions[0])
    with pytest.raises(ValueError, match="entity_tables=False"):
        builder.load_entity_states({})


def test_load_rejects_unknown_entity(page_extractions: list[PaperExtraction]) -> None:
    builder = GraphBuilder()
    builder.add(page_extractions[0], entity_tables=False)
    with pytest.raises(ValueError, match="no entity node"):
        builder.load_entity_states({"no such key": EntityState(first_seen=(0, 0), first_mention=None)})
