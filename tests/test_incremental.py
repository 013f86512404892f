"""Incremental builds (`kg build --incremental`): records, entity ids, equivalence with full builds, store updates."""

from __future__ import annotations

import json
import logging
from dataclasses import replace
from pathlib import Path

import pyoxigraph
import pytest
from click.testing import CliRunner
from spacy.language import Language

from kg.build import build
from kg.cli import cli
from kg.errors import InputError
from kg.extract import extract
from kg.graph import read_graphml
from kg.incremental import (
    STATE_FILE,
    BuildState,
    StoreRecord,
    read_state,
    rename_entities,
)
from kg.model import PaperExtraction
from kg.nlp import create_pipeline
from kg.nlp.extensions import PAPER_ID
from kg.rdf import serialize_rdf
from kg.sources import read_daily_papers

# Paper ids that went through the counting component, in order.
PROCESSED: list[str] = []


@Language.component("test_paper_counter")
def _count_paper(doc):  # type: ignore[no-untyped-def]
    PROCESSED.append(doc._.get(PAPER_ID))
    return doc


@pytest.fixture(scope="module")
def counting_model(tmp_path_factory: pytest.TempPathFactory) -> str:
    """Return a saved kg pipeline whose first component records every paper it processes."""
    nlp = create_pipeline()
    nlp.add_pipe("test_paper_counter", first=True)
    folder = tmp_path_factory.mktemp("model") / "counting"
    nlp.to_disk(folder)
    return str(folder)


@pytest.fixture(scope="module")
def example_split(example_page: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Write the example page as two JSON Lines files: the first 40 papers and the rest."""
    folder = tmp_path_factory.mktemp("split")
    papers = list(read_daily_papers(example_page))
    paths = (folder / "a.jsonl", folder / "b.jsonl")
    for path, part in zip(paths, (papers[:40], papers[40:])):
        records = [{"id": paper.id, "title": paper.title, "abstract": paper.abstract} for paper in part]
        write_jsonl(path, records)
    return paths


def write_jsonl(path: Path, records: list[dict[str, str]]) -> Path:
    path.write_text("".join(json.dumps(record) + "\n" for record in records), encoding="utf-8")
    return path


def nt_lines(folder: Path) -> list[str]:
    return sorted((folder / "graph.nt").read_text(encoding="utf-8").splitlines())


def entity_ids(folder: Path) -> set[str]:
    return {node for node in read_graphml(folder / "graph.graphml") if node.startswith("entity:")}


# Scenario of short forms: "QRS" alone in one paper, the long form alone in
# another, and a third paper that defines one as the other.
USES_SHORT = {"id": "p1", "title": "Faster sampling for diffusion models",
              "abstract": "We use QRS to speed up sampling of diffusion models on ImageNet."}
USES_LONG = {"id": "p2", "title": "A study of ridge methods",
             "abstract": "We analyse Quantum Ridge Sampling and compare it with PPO on MuJoCo."}
DEFINES = {"id": "p3", "title": "Quantum Ridge Sampling revisited",
           "abstract": "We propose an extension of Quantum Ridge Sampling (QRS) that outperforms PPO on MuJoCo."}
UNRELATED = {"id": "p4", "title": "Reward models for dialogue",
             "abstract": "We train a reward model and evaluate it on RewardBench."}


@pytest.fixture
def vocabulary(tmp_path: Path) -> Path:
    path = tmp_path / "vocabulary.tsv"
    path.write_text("QRS\tmethod\nQuantum Ridge Sampling\tmethod\n", encoding="utf-8")
    return path


def test_from_json_round_trip(example_page: Path) -> None:
    extractions = list(extract(read_daily_papers(example_page), create_pipeline()))
    for extraction in extractions:
        data = json.loads(json.dumps(extraction.to_json()))
        assert PaperExtraction.from_json(data) == extraction


def test_plain_add_equals_full_build(tmp_path: Path, example_split: tuple[Path, Path]) -> None:
    first, second = example_split
    build([first], tmp_path / "inc", rdf_formats=["ntriples"])
    build([second], tmp_path / "inc", rdf_formats=["ntriples"], incremental=True)
    build([first, second], tmp_path / "full", rdf_formats=["ntriples"])
    assert nt_lines(tmp_path / "inc") == nt_lines(tmp_path / "full")


def test_plain_add_keeps_ids(tmp_path: Path, example_split: tuple[Path, Path]) -> None:
    first, second = example_split
    build([first], tmp_path / "inc")
    before = entity_ids(tmp_path / "inc")
    build([second], tmp_path / "inc", incremental=True)
    after = entity_ids(tmp_path / "inc")
    assert before <= after
    assert len(after) > len(before)


def test_only_new_papers_extracted(tmp_path: Path, counting_model: str) -> None:
    first = write_jsonl(tmp_path / "a.jsonl", [USES_SHORT, USES_LONG])
    second = write_jsonl(tmp_path / "b.jsonl", [DEFINES, UNRELATED])
    build([first], tmp_path / "out", model=counting_model)
    PROCESSED.clear()
    _, summary = build([first, second], tmp_path / "out", model=counting_model, incremental=True)
    assert PROCESSED == ["p3", "p4"]
    assert (summary.new_papers, summary.unchanged_papers, summary.replaced_papers) == (2, 2, 0)
    assert summary.papers == 4


def test_changed_paper_replaced(tmp_path: Path, counting_model: str) -> None:
    first = write_jsonl(tmp_path / "a.jsonl", [USES_SHORT, USES_LONG])
    build([first], tmp_path / "out", model=counting_model)
    changed = dict(USES_SHORT, abstract="We use QRS to speed up sampling on CIFAR-10.")
    PROCESSED.clear()
    _, summary = build([write_jsonl(tmp_path / "b.jsonl", [changed])], tmp_path / "out", model=counting_model, incremental=True)
    assert PROCESSED == ["p1"]
    assert (summary.new_papers, summary.unchanged_papers, summary.replaced_papers) == (0, 0, 1)
    records = [json.loads(line) for line in (tmp_path / "out" / "extractions.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [record["id"] for record in records] == ["p2", "p1"]
    assert records[1]["abstract"] == changed["abstract"]


def test_short_form_keeps_previous_id(tmp_path: Path, vocabulary: Path) -> None:
    first = write_jsonl(tmp_path / "a.jsonl", [USES_SHORT])
    second = write_jsonl(tmp_path / "b.jsonl", [DEFINES])
    options = {"vocabulary_paths": [vocabulary], "rdf_formats": ["ntriples"]}
    build([first], tmp_path / "inc", **options)
    graph, _ = build([second], tmp_path / "inc", incremental=True, **options)
    full, _ = build([first, second], tmp_path / "full", **options)
    assert "entity:quantum ridge sampling" in full
    assert "entity:quantum ridge sampling" not in graph
    assert graph.nodes["entity:qrs"]["name"] == "Quantum Ridge Sampling"
    # The kept id is the only difference from a full build.
    expected = serialize_rdf(rename_entities(full, {"quantum ridge sampling": "qrs"}), format="ntriples")
    assert (tmp_path / "inc" / "graph.nt").read_bytes() == expected


def test_merged_id_recorded(tmp_path: Path, vocabulary: Path, check_shapes) -> None:  # type: ignore[no-untyped-def]
    first = write_jsonl(tmp_path / "a.jsonl", [USES_SHORT, USES_LONG])
    second = write_jsonl(tmp_path / "b.jsonl", [DEFINES])
    options = {"vocabulary_paths": [vocabulary], "rdf_formats": ["ntriples"]}
    build([first], tmp_path / "inc", **options)
    graph, _ = build([second], tmp_path / "inc", incremental=True, **options)
    build([first, second], tmp_path / "full", **options)
    assert "entity:qrs" not in graph
    assert graph.nodes["entity:quantum ridge sampling"]["former_keys"] == ["qrs"]
    replaces = (
        "<https://w3id.org/kg-papers/id/entity/quantum-ridge-sampling> <https://w3id.org/kg-papers/ontology#replaces> "
        "<https://w3id.org/kg-papers/id/entity/qrs> ."
    )
    incremental = nt_lines(tmp_path / "inc")
    assert replaces in incremental
    assert [line for line in incremental if line != replaces] == nt_lines(tmp_path / "full")
    check_shapes(graph)


def test_replaced_paper_keeps_id_resolvable(tmp_path: Path, vocabulary: Path) -> None:
    build([write_jsonl(tmp_path / "a.jsonl", [USES_SHORT])], tmp_path / "inc", vocabulary_paths=[vocabulary])
    defines = dict(DEFINES, id=USES_SHORT["id"])
    graph, summary = build(
        [write_jsonl(tmp_path / "b.jsonl", [defines])], tmp_path / "inc", vocabulary_paths=[vocabulary], incremental=True
    )
    assert summary.replaced_papers == 1
    assert "entity:qrs" not in graph
    assert graph.nodes["entity:quantum ridge sampling"]["former_keys"] == ["qrs"]


def test_former_keys_carried(tmp_path: Path, vocabulary: Path) -> None:
    options = {"vocabulary_paths": [vocabulary]}
    build([write_jsonl(tmp_path / "a.jsonl", [USES_SHORT, USES_LONG])], tmp_path / "inc", **options)
    build([write_jsonl(tmp_path / "b.jsonl", [DEFINES])], tmp_path / "inc", incremental=True, **options)
    graph, _ = build([write_jsonl(tmp_path / "c.jsonl", [UNRELATED])], tmp_path / "inc", incremental=True, **options)
    assert graph.nodes["entity:quantum ridge sampling"]["former_keys"] == ["qrs"]
    state = read_state(tmp_path / "inc")
    assert state is not None
    assert state.former_keys == {"qrs": "quantum ridge sampling"}
    assert state.sources == ("a.jsonl", "b.jsonl", "c.jsonl")


def store_triples(store: Path) -> set[pyoxigraph.Triple]:
    return {quad.triple for quad in pyoxigraph.Store.read_only(str(store))}


def export_triples(path: Path) -> set[pyoxigraph.Triple]:
    # Loaded through a store, which writes typed literals in canonical form as the on-disk store does.
    memory = pyoxigraph.Store()
    memory.load(path=path, format=pyoxigraph.RdfFormat.N_TRIPLES)
    return {quad.triple for quad in memory}


def test_store_equals_new_export(tmp_path: Path, vocabulary: Path) -> None:
    options = {"vocabulary_paths": [vocabulary], "rdf_formats": ["ntriples"], "store": tmp_path / "store"}
    build([write_jsonl(tmp_path / "a.jsonl", [USES_SHORT, USES_LONG])], tmp_path / "inc", **options)
    _, summary = build([write_jsonl(tmp_path / "b.jsonl", [DEFINES])], tmp_path / "inc", incremental=True, **options)
    assert summary.store_stats is not None
    assert summary.store_stats.removed > 0
    assert store_triples(tmp_path / "store") == export_triples(tmp_path / "inc" / "graph.nt")


def test_store_changed_elsewhere_merged(tmp_path: Path, vocabulary: Path) -> None:
    options = {"vocabulary_paths": [vocabulary], "rdf_formats": ["ntriples"], "store": tmp_path / "store"}
    build([write_jsonl(tmp_path / "a.jsonl", [USES_SHORT, USES_LONG])], tmp_path / "inc", **options)
    other = pyoxigraph.Quad(
        pyoxigraph.NamedNode("https://example.org/s"), pyoxigraph.NamedNode("https://example.org/p"), pyoxigraph.Literal("kept")
    )
    store = pyoxigraph.Store(str(tmp_path / "store"))
    store.add(other)
    del store
    build([write_jsonl(tmp_path / "b.jsonl", [DEFINES])], tmp_path / "inc", incremental=True, **options)
    assert other.triple in store_triples(tmp_path / "store")
    state = read_state(tmp_path / "inc")
    assert state is not None
    assert state.store is None


def test_no_previous_build_logged(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="kg.incremental")
    _, summary = build([write_jsonl(tmp_path / "a.jsonl", [USES_SHORT])], tmp_path / "out", incremental=True)
    assert "No previous build in" in caplog.text
    assert summary.new_papers == 1
    assert (tmp_path / "out" / STATE_FILE).is_file()


def test_build_without_state_rejected(tmp_path: Path) -> None:
    build([write_jsonl(tmp_path / "a.jsonl", [USES_SHORT])], tmp_path / "out")
    (tmp_path / "out" / STATE_FILE).unlink()
    with pytest.raises(InputError, match="written by an older kg"):
        build([write_jsonl(tmp_path / "b.jsonl", [UNRELATED])], tmp_path / "out", incremental=True)


def test_state_round_trip(tmp_path: Path) -> None:
    state = BuildState(
        entity_keys=frozenset({"a", "b"}),
        former_keys={"c": "a"},
        sources=("x.jsonl",),
        pipeline={"model": None, "vocabularies": []},
        store=StoreRecord("/tmp/store", "graph.ttl", 12),
    )
    assert BuildState.from_json(json.loads(json.dumps(state.to_json())), tmp_path) == state


def test_state_unknown_version(tmp_path: Path) -> None:
    (tmp_path / STATE_FILE).write_text('{"version": 99}', encoding="utf-8")
    with pytest.raises(InputError, match="unsupported build state version 99"):
        read_state(tmp_path)


def test_cli_incremental_summary(tmp_path: Path) -> None:
    out = tmp_path / "out"
    first = write_jsonl(tmp_path / "a.jsonl", [USES_SHORT, USES_LONG])
    assert CliRunner().invoke(cli, ["build", str(first), "--out", str(out)]).exit_code == 0
    second = write_jsonl(tmp_path / "b.jsonl", [USES_SHORT, replace_abstract(USES_LONG), UNRELATED])
    result = CliRunner().invoke(cli, ["build", str(second), "--out", str(out), "--incremental"])
    assert result.exit_code == 0, result.output
    assert "papers      1 new, 1 unchanged, 1 replaced" in result.output


def replace_abstract(record: dict[str, str]) -> dict[str, str]:
    return dict(record, abstract=record["abstract"] + " It also runs on CPUs.")


def test_extraction_keeps_paper_fields(tmp_path: Path) -> None:
    record = {"id": "p9", "title": "A title", "abstract": "An abstract.", "url": "https://example.org/p9",
              "date": "2025-09-11", "authors": ["A. Author"], "language": "en"}
    build([write_jsonl(tmp_path / "a.jsonl", [record])], tmp_path / "out")
    (line,) = (tmp_path / "out" / "extractions.jsonl").read_text(encoding="utf-8").splitlines()
    paper = PaperExtraction.from_json(json.loads(line)).paper
    assert paper == replace(paper, **{name: value for name, value in record.items() if name != "authors"}, authors=("A. Author",))
    assert paper.source.endswith("a.jsonl")
    assert paper.record == 1
