"""Streaming RDF export (`kg.rdf_stream`), `kg build --jobs` and the bulk-loaded store."""

from __future__ import annotations

import gzip
import itertools
import json
from pathlib import Path

import networkx as nx
import pyoxigraph
import pytest
from rdf_samples import sample_graph, two_paper_graph
from rdflib import Graph
from test_rdf_formats import HOSTILE

from kg.build import build
from kg import rdf_stream
from kg.errors import ConfigError, KgError
from kg.extract import extract
from kg.graph import (
    GraphBuilder,
    _graphml_ready,
    _papers_with_forms,
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
)
from kg.nlp import create_pipeline
from kg.rdf import graph_to_rdf, serialize_rdf
from kg.rdf_stream import RdfExport, _CountChecker, _Tee, write_rdf_files
from kg.store import GraphStore
from kg.void import count_graph

# Real abstracts for the test on a few thousand papers.
REAL_ABSTRACTS = Path("eval") / "sota_clef24" / "train.jsonl.gz"
REAL_PAPERS = 2000

_OXIGRAPH_FORMATS = {
    "turtle": pyoxigraph.RdfFormat.TURTLE,
    "ntriples": pyoxigraph.RdfFormat.N_TRIPLES,
    "trig": pyoxigraph.RdfFormat.TRIG,
    "nquads": pyoxigraph.RdfFormat.N_QUADS,
}


@pytest.fixture(scope="module")
def example_graph(example_page: Path) -> nx.MultiDiGraph:
    from kg.sources import read_papers

    nlp = create_pipeline(None)
    return build_graph(extract(read_papers(example_page), nlp))


@pytest.fixture(scope="module")
def real_graph(shared_dir: Path) -> nx.MultiDiGraph:
    papers = []
    with gzip.open(shared_dir / REAL_ABSTRACTS, "rt", encoding="utf-8") as handle:
        for number, line in enumerate(itertools.islice(handle, REAL_PAPERS), start=1):
            record = json.loads(line)
            if record.get("title"):
                papers.append(Paper(id=record["paper_id"], title=record["title"], abstract=record.get("abstract") or "", record=number))
    return build_graph(extract(papers, create_pipeline(None), n_process=2))


def _statements(path: Path, rdf_format: str) -> set[pyoxigraph.Quad]:
    return set(pyoxigraph.parse(path=path, format=_OXIGRAPH_FORMATS[rdf_format]))


def test_stream_ntriples_equal_old_exporter(example_graph: nx.MultiDiGraph, tmp_path: Path) -> None:
    files = write_rdf_files(example_graph, tmp_path, ["ntriples"], work_dir=tmp_path / "work")
    assert (tmp_path / "graph.nt").read_bytes() == serialize_rdf(example_graph, format="ntriples")
    assert files.triples == len(graph_to_rdf(example_graph))


def test_stream_nquads_equal_old_exporter(example_graph: nx.MultiDiGraph, tmp_path: Path) -> None:
    write_rdf_files(example_graph, tmp_path, ["nquads"], work_dir=tmp_path / "work")
    assert (tmp_path / "graph.nq").read_bytes() == serialize_rdf(example_graph, format="nquads")


def test_stream_chunks_merge_equal(example_graph: nx.MultiDiGraph, tmp_path: Path) -> None:
    # Chunks of 100 lines force a merge of many sorted files.
    write_rdf_files(example_graph, tmp_path, ["ntriples"], work_dir=tmp_path / "work", chunk_lines=100)
    assert (tmp_path / "graph.nt").read_bytes() == serialize_rdf(example_graph, format="ntriples")
    assert not list((tmp_path / "work").glob("*.chunk"))


def test_stream_real_abstracts_equal(real_graph: nx.MultiDiGraph, tmp_path: Path) -> None:
    write_rdf_files(real_graph, tmp_path, ["ntriples"], work_dir=tmp_path / "work", chunk_lines=5000)
    assert (tmp_path / "graph.nt").read_bytes() == serialize_rdf(real_graph, format="ntriples")


@pytest.mark.parametrize("rdf_format", ["turtle", "trig"])
def test_stream_same_statements(rdf_format: str, example_graph: nx.MultiDiGraph, tmp_path: Path) -> None:
    old = tmp_path / ("old." + rdf_format)
    old.write_bytes(serialize_rdf(example_graph, format=rdf_format))
    files = write_rdf_files(example_graph, tmp_path, [rdf_format], work_dir=tmp_path / "work")
    assert _statements(files.dumps[rdf_format], rdf_format) == _statements(old, rdf_format)


@pytest.mark.parametrize("text", HOSTILE)
def test_stream_hostile_turtle(text: str, tmp_path: Path) -> None:
    graph = sample_graph(text=text)
    old = tmp_path / "old.ttl"
    old.write_bytes(serialize_rdf(graph, format="turtle"))
    files = write_rdf_files(graph, tmp_path, ["turtle"], work_dir=tmp_path / "work")
    assert _statements(files.dumps["turtle"], "turtle") == _statements(old, "turtle")


def test_stream_turtle_independent_of_order(tmp_path: Path) -> None:
    first = write_rdf_files(two_paper_graph(), tmp_path / "a", ["turtle"], work_dir=tmp_path / "a" / "work")
    second = write_rdf_files(two_paper_graph(reverse=True), tmp_path / "b", ["turtle"], work_dir=tmp_path / "b" / "work")
    assert first.dumps["turtle"].read_bytes() == second.dumps["turtle"].read_bytes()


def test_stream_unknown_formats_rejected(example_graph: nx.MultiDiGraph, tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as raised:
        write_rdf_files(example_graph, tmp_path, ["turtle", "rdfxml", "n3"], work_dir=tmp_path / "work")
    assert "'rdfxml', 'n3'" in str(raised.value)
    assert "expected one of turtle, ntriples, jsonld, trig, nquads" in str(raised.value)
    assert not list(tmp_path.glob("graph.*"))


def test_stream_void_counts(example_graph: nx.MultiDiGraph, tmp_path: Path) -> None:
    files = write_rdf_files(example_graph, tmp_path, ["turtle"], work_dir=tmp_path / "work")
    assert files.statistics == count_graph(graph_to_rdf(example_graph))


def test_jobs_same_sorted_ntriples(example_page: Path, tmp_path: Path) -> None:
    outputs = {}
    for jobs in (1, 2):
        out = tmp_path / f"jobs-{jobs}"
        build([example_page], out, rdf_formats=["ntriples"], jobs=jobs, batch_size=4)
        outputs[jobs] = sorted((out / "graph.nt").read_text(encoding="utf-8").splitlines())
    assert outputs[1] == outputs[2]


def test_build_store_bulk_count(example_page: Path, tmp_path: Path) -> None:
    _, summary = build([example_page], tmp_path / "out", store=tmp_path / "store")
    with GraphStore.open(tmp_path / "from-turtle", create=True) as store:
        store.load(tmp_path / "out" / "graph.ttl")
        expected = len(store)
    assert summary.store_stats is not None
    assert summary.store_stats.total == expected
    with GraphStore.open(tmp_path / "store") as store:
        assert len(store) == expected


def test_build_leaves_no_work_files(example_page: Path, tmp_path: Path) -> None:
    build([example_page], tmp_path / "out", rdf_formats=["turtle", "trig"])
    names = sorted(path.name for path in (tmp_path / "out").iterdir())
    assert names == [
        "build-state.json", "extractions.jsonl", "graph.graphml", "graph.html", "graph.trig", "graph.ttl", "void.ttl",
    ]


def test_forms_index_word_runs() -> None:
    found = _papers_with_forms({"GRPO", "RLHF"}, [("GRPO-style loss", "we use RLHF."), ("uses GRPO", "")])
    assert found["GRPO"] == {1}
    assert found["RLHF"] == {0}


def test_forms_index_other_forms() -> None:
    found = _papers_with_forms({"GPT-4.5"}, [("", "GPT-4.5 wins"), ("GPT-4 only", "")])
    assert found["GPT-4.5"] == {0}


def test_undefined_short_form_linked() -> None:
    builder = GraphBuilder()
    long_form = "zeta quantile policy optimization"
    defining = PaperExtraction(
        paper=Paper(id="a", title="ZQPO", abstract="Zeta Quantile Policy Optimization (ZQPO) is new."),
        entities=(
            ExtractedEntity(
                name="Zeta Quantile Policy Optimization", key=long_form, type=EntityType.METHOD,
                aliases=("ZQPO",), mentions=(Mention("Zeta Quantile Policy Optimization", 0, 33, Field.ABSTRACT),),
            ),
        ),
        abbreviations=(
            Abbreviation(short="ZQPO", long="Zeta Quantile Policy Optimization", mention=Mention("ZQPO", 35, 39, Field.ABSTRACT)),
        ),
    )
    using = PaperExtraction(paper=Paper(id="b", title="More results", abstract="We train with ZQPO. It helps."))
    builder.add(defining)
    builder.add(using)
    graph = builder.graph()
    assert graph.has_edge("paper:b", f"entity:{long_form}", key="mentions")


def _networkx_graphml(graph: nx.MultiDiGraph, path: Path) -> bytes:
    nx.write_graphml(_graphml_ready(graph), path, edge_id_from_attribute="edge_id")
    return path.read_bytes()


def test_graphml_equal_networkx(example_graph: nx.MultiDiGraph, tmp_path: Path) -> None:
    write_graphml(example_graph, tmp_path / "stream.graphml")
    assert (tmp_path / "stream.graphml").read_bytes() == _networkx_graphml(example_graph, tmp_path / "nx.graphml")


@pytest.mark.parametrize("text", HOSTILE)
def test_graphml_hostile_equal_networkx(text: str, tmp_path: Path) -> None:
    graph = sample_graph(text=text)
    write_graphml(graph, tmp_path / "stream.graphml")
    assert (tmp_path / "stream.graphml").read_bytes() == _networkx_graphml(graph, tmp_path / "nx.graphml")


def test_graphml_empty_equal_networkx(tmp_path: Path) -> None:
    write_graphml(nx.MultiDiGraph(), tmp_path / "stream.graphml")
    assert (tmp_path / "stream.graphml").read_bytes() == _networkx_graphml(nx.MultiDiGraph(), tmp_path / "nx.graphml")


def test_graphml_round_trip(example_graph: nx.MultiDiGraph, tmp_path: Path) -> None:
    write_graphml(example_graph, tmp_path / "graph.graphml")
    assert nx.utils.edges_equal(read_graphml(tmp_path / "graph.graphml").edges(keys=True), example_graph.edges(keys=True))


@pytest.mark.parametrize("text", HOSTILE)
def test_stream_hostile_turtle_rdflib(text: str, tmp_path: Path) -> None:
    graph = sample_graph(text=text, language="en-US")
    files = write_rdf_files(graph, tmp_path, ["turtle"], work_dir=tmp_path / "work")
    assert set(Graph().parse(files.dumps["turtle"], format="turtle")) == set(graph_to_rdf(graph))


def test_stream_jobs_same_bytes(example_graph: nx.MultiDiGraph, tmp_path: Path) -> None:
    formats = ["turtle", "ntriples", "trig", "nquads"]
    written = {}
    for jobs in (1, 3):
        out = tmp_path / f"jobs-{jobs}"
        # Chunks of 500 lines give every worker process several chunks to spill.
        files = write_rdf_files(example_graph, out, formats, work_dir=out / "work", chunk_lines=500, jobs=jobs)
        written[jobs] = {name: path.read_bytes() for name, path in files.dumps.items()}
        assert not list((out / "work").glob("*.chunk"))
    assert written[1] == written[3]


@pytest.mark.parametrize("text", HOSTILE)
def test_stream_hostile_ntriples_equal_rdflib(text: str, tmp_path: Path) -> None:
    graph = sample_graph(text=text)
    write_rdf_files(graph, tmp_path, ["ntriples"], work_dir=tmp_path / "work", jobs=2)
    assert (tmp_path / "graph.nt").read_bytes() == serialize_rdf(graph, format="ntriples")


def test_build_jobs_same_store(example_page: Path, tmp_path: Path) -> None:
    stored = {}
    for jobs in (1, 2):
        build([example_page], tmp_path / f"out-{jobs}", store=tmp_path / f"store-{jobs}", jobs=jobs, batch_size=4)
        with GraphStore.open(tmp_path / f"store-{jobs}") as store:
            stored[jobs] = set(store.store)
    assert stored[1] == stored[2]
    assert stored[1]


def test_graphml_late_attributes_equal_networkx(tmp_path: Path) -> None:
    # Attributes that only later nodes and edges have get keys after the first edge's id.
    graph = nx.MultiDiGraph()
    graph.add_node("a", type="paper")
    graph.add_node("b", type="method", aliases=["B"], score=0.5, rank=None)
    graph.add_edge("a", "b", key="mentions", type="mentions")
    graph.add_edge("b", "a", key="uses", type="uses", count=2, text="x < y", flag=True)
    write_graphml(graph, tmp_path / "stream.graphml")
    assert (tmp_path / "stream.graphml").read_bytes() == _networkx_graphml(graph, tmp_path / "nx.graphml")


def test_stream_unforked_jobs_same_bytes(
    example_graph: nx.MultiDiGraph, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A graph whose forked copies would not fit in memory is converted in the calling process.
    formats = ["turtle", "ntriples", "trig"]
    expected = write_rdf_files(example_graph, tmp_path / "forked", formats, work_dir=tmp_path / "w1", jobs=2)
    monkeypatch.setattr(rdf_stream, "forks_fit_in_memory", lambda count: False)
    forked_calls = []
    monkeypatch.setattr(rdf_stream, "ForkedCall", lambda *args: forked_calls.append(args))
    files = write_rdf_files(example_graph, tmp_path / "serial", formats, work_dir=tmp_path / "w2", jobs=2)
    assert forked_calls == []
    for rdf_format in formats:
        assert files.dumps[rdf_format].read_bytes() == expected.dumps[rdf_format].read_bytes()


def test_merge_without_sorted_ntriples(example_graph: nx.MultiDiGraph, tmp_path: Path) -> None:
    expected = write_rdf_files(example_graph, tmp_path / "all", ["turtle"], work_dir=tmp_path / "w1")
    assert expected.ntriples is not None and expected.ntriples.exists()
    with RdfExport(example_graph, tmp_path / "out", ["turtle"], work_dir=tmp_path / "w2", jobs=2) as export:
        export.generate()
        export.release_graph()
        assert export.graph is None
        assert export.merge(sorted_ntriples=False) is None
        export.write_dumps()
        files = export.finish()
    assert files.ntriples is None
    assert sorted(path.name for path in (tmp_path / "w2").iterdir()) == []
    assert (tmp_path / "out" / "graph.ttl").read_bytes() == (tmp_path / "all" / "graph.ttl").read_bytes()
    assert files.statistics == expected.statistics


def test_release_graph_kept_for_jsonld(example_graph: nx.MultiDiGraph, tmp_path: Path) -> None:
    with RdfExport(example_graph, tmp_path, ["turtle", "jsonld"], work_dir=tmp_path / "work") as export:
        export.generate()
        export.release_graph()
        assert export.graph is example_graph
        export.merge()
        export.write_dumps()
        export.finish()
    assert (tmp_path / "graph.jsonld").stat().st_size > 0


def test_streamed_count_passes(tmp_path: Path) -> None:
    checker = _CountChecker()
    path = tmp_path / "graph.nt"
    with path.open("wb") as handle:
        tee = _Tee(handle, checker.stream(path, "ntriples"))
        for number in range(1000):
            tee.write(f"<http://example.org/s{number}> <http://example.org/p> \"{number}\" .\n".encode())
    checker.submit(path, "ntriples", 1000)
    checker.wait()


@pytest.mark.parametrize(
    ("lines", "expected", "message"),
    [
        ([b"<http://example.org/s> <http://example.org/p> <http://example.org/o> .\n"], 2, "pyoxigraph reads 1"),
        ([b"<http://example.org/s> <http://example.org/p> broken .\n"] * 50_000, 50_000, "failed to re-parse"),
    ],
)
def test_streamed_count_reports_errors(lines: list[bytes], expected: int, message: str, tmp_path: Path) -> None:
    # The second case writes more than the pipe's buffer after the parser has
    # stopped, so the writes meet a closed pipe, which must not stop the build.
    checker = _CountChecker()
    path = tmp_path / "graph.nt"
    with path.open("wb") as handle:
        tee = _Tee(handle, checker.stream(path, "ntriples"))
        for line in lines:
            tee.write(line)
    assert path.read_bytes() == b"".join(lines)
    checker.submit(path, "ntriples", expected)
    with pytest.raises(KgError, match=message) as caught:
        checker.wait()
    assert str(path) in str(caught.value)


def test_cancel_ends_streamed_counts(tmp_path: Path) -> None:
    checker = _CountChecker()
    stream = checker.stream(tmp_path / "graph.ttl", "turtle")
    stream.write(b"@prefix ex: <http://example.org/> .\n")
    process = checker._streams[tmp_path / "graph.ttl"]
    checker.cancel()
    assert process.returncode is not None


def test_build_without_graph(example_page: Path, tmp_path: Path) -> None:
    kept_graph, _ = build([example_page], tmp_path / "kept", store=tmp_path / "store-1", jobs=2, batch_size=4)
    freed_graph, summary = build([example_page], tmp_path / "freed", store=tmp_path / "store-2", jobs=2, batch_size=4, keep_graph=False)
    assert kept_graph is not None
    assert kept_graph.number_of_edges() == summary.edges
    assert freed_graph is None
    for name in ("graph.ttl", "graph.graphml", "graph.html"):
        assert (tmp_path / "freed" / name).read_bytes() == (tmp_path / "kept" / name).read_bytes()
    assert summary.store_stats is not None and summary.store_stats.total > 0


def test_failed_move_empties_store(example_page: Path, tmp_path: Path) -> None:
    # The store is bulk-loaded before the outputs move into place, and a
    # folder in the way of an output stops the move.
    out = tmp_path / "out"
    (out / "graph.html").mkdir(parents=True)
    with pytest.raises(KgError, match="is a folder"):
        build([example_page], out, store=tmp_path / "store", jobs=2, batch_size=4)
    with GraphStore.open(tmp_path / "store") as store:
        assert len(store) == 0
    assert sorted(path.name for path in out.iterdir()) == ["graph.html"]
