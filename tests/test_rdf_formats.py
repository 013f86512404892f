"""RDF serializations: every format re-parses to the same triples with rdflib, pyoxigraph and rapper."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyoxigraph
import pytest
from rdflib import Dataset, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, RDF, RDFS, SKOS, XSD

from kg.errors import ConfigError
from kg.graph import AUTHORED_BY, build_graph
from kg.rdf import (
    KG,
    ONTOLOGY_DIR,
    RDF_FORMATS,
    canonical_decimal,
    count_triples_with_oxigraph,
    graph_to_dataset,
    graph_to_rdf,
    jsonld_context,
    mint_iri,
    serialize_rdf,
    write_rdf,
)
from rdf_samples import NEW_EDGE_TYPES, sample_extraction, sample_graph, two_paper_graph

TESTS = Path(__file__).resolve().parent

HOSTILE = [
    'say "hi"',
    "a > b",
    "line one\nline two",
    "cr\rlf",
    '"x" ; <http://e/iri> "y"',
    "back\\slash\\",
    "'''triple'''\"\"\"quotes\"\"\"",
    "nul\x00byte",
    "bidi \u202eevil\u202c text",
    "} INSERT DATA { <a> <b> <c> } {",
    '{"@id": "http://e/x", "@type": "@id"}',
    "@id",
    "Ünïcödé 数据集 😀",
]

# rdflib parser name of each format.
RDFLIB_PARSERS = {"turtle": "turtle", "ntriples": "nt", "jsonld": "json-ld", "trig": "trig", "nquads": "nquads"}

# Raptor 2 (rapper) has no JSON-LD parser.
RAPPER_PARSERS = {"turtle": "turtle", "ntriples": "ntriples", "trig": "trig", "nquads": "nquads"}


def rdflib_triples(path: Path, rdf_format: str) -> set[tuple[Any, Any, Any]]:
    if rdf_format in ("trig", "nquads"):
        dataset = Dataset()
        dataset.parse(path, format=RDFLIB_PARSERS[rdf_format])
        return {(s, p, o) for s, p, o, _ in dataset.quads()}
    return set(Graph().parse(path, format=RDFLIB_PARSERS[rdf_format]))


def rapper_count(path: Path, rdf_format: str) -> int:
    if shutil.which("rapper") is None:
        pytest.skip("rapper (Debian package raptor2-utils) is not installed")
    completed = subprocess.run(
        ["rapper", "--count", "--input", RAPPER_PARSERS[rdf_format], str(path)],
        capture_output=True, text=True, check=False,
    )
    assert completed.returncode == 0, completed.stderr
    last = completed.stderr.strip().splitlines()[-1]
    assert last.startswith("rapper: Parsing returned "), completed.stderr
    return int(last.split()[3])


def write_all(graph: Any, folder: Path) -> dict[str, tuple[Path, int]]:
    written = {}
    for rdf_format, suffix in RDF_FORMATS.items():
        path = folder / f"graph{suffix}"
        written[rdf_format] = (path, write_rdf(graph, path, format=rdf_format))
    return written


@pytest.mark.parametrize("rdf_format", list(RDF_FORMATS))
def test_format_oxigraph_count(rdf_format: str, tmp_path: Path) -> None:
    path = tmp_path / f"graph{RDF_FORMATS[rdf_format]}"
    written = write_rdf(sample_graph(), path, format=rdf_format)
    assert written == len(graph_to_rdf(sample_graph()))
    assert count_triples_with_oxigraph(path) == written


@pytest.mark.parametrize("rdf_format", list(RAPPER_PARSERS))
def test_format_rapper_count(rdf_format: str, tmp_path: Path) -> None:
    path = tmp_path / f"graph{RDF_FORMATS[rdf_format]}"
    written = write_rdf(sample_graph(), path, format=rdf_format)
    assert rapper_count(path, rdf_format) == written


@pytest.mark.parametrize("rdf_format", list(RDF_FORMATS))
def test_format_rdflib_same_triples(rdf_format: str, tmp_path: Path) -> None:
    path = tmp_path / f"graph{RDF_FORMATS[rdf_format]}"
    write_rdf(sample_graph(), path, format=rdf_format)
    assert rdflib_triples(path, rdf_format) == set(graph_to_rdf(sample_graph()))


@pytest.mark.parametrize("rdf_format", list(RDF_FORMATS))
def test_format_oxigraph_same_triples(rdf_format: str, tmp_path: Path) -> None:
    folder = tmp_path
    write_rdf(sample_graph(), folder / "graph.nt", format="ntriples")
    path = folder / f"graph{RDF_FORMATS[rdf_format]}"
    write_rdf(sample_graph(), path, format=rdf_format)

    def triples(file: Path) -> set[str]:
        rdf_format = {".nt": pyoxigraph.RdfFormat.N_TRIPLES}.get(file.suffix) or pyoxigraph.RdfFormat.from_extension(file.suffix[1:])
        return {str(pyoxigraph.Triple(q.subject, q.predicate, q.object)) for q in pyoxigraph.parse(path=file, format=rdf_format)}

    assert triples(path) == triples(folder / "graph.nt")


def test_repeated_author_written_once(tmp_path: Path) -> None:
    graph = sample_graph()
    graph.nodes["paper:rl-tango"]["authors"] = ["A. Author", "A. Author", "B. Author"]
    baseline = len(graph_to_rdf(sample_graph()))
    for rdf_format, (path, written) in write_all(graph, tmp_path).items():
        assert written == baseline, rdf_format
        assert count_triples_with_oxigraph(path) == baseline, rdf_format


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_three_parsers_agree(text: str, tmp_path: Path) -> None:
    baseline = len(graph_to_rdf(sample_graph()))
    for rdf_format, (path, written) in write_all(sample_graph(text=text), tmp_path).items():
        assert written == baseline, rdf_format
        assert count_triples_with_oxigraph(path) == baseline, rdf_format
        assert len(rdflib_triples(path, rdf_format)) == baseline, rdf_format
        if rdf_format in RAPPER_PARSERS:
            assert rapper_count(path, rdf_format) == baseline, rdf_format


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_jsonld_keeps_literals(text: str, tmp_path: Path) -> None:
    path = tmp_path / "graph.jsonld"
    write_rdf(sample_graph(text=text), path, format="jsonld")
    labels = {str(label) for label in Graph().parse(path, format="json-ld").objects(None, SKOS.prefLabel)}
    assert f"ProcessBench{text}".replace("\x00", "") in labels


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_conforms(text: str, check_shapes: Callable[[Any], None]) -> None:
    check_shapes(sample_graph(text=text))


def test_new_types_conform(check_shapes: Callable[[Any], None]) -> None:
    check_shapes(two_paper_graph())


@pytest.mark.parametrize("rdf_format", list(RDF_FORMATS))
def test_output_independent_of_order(rdf_format: str) -> None:
    first = serialize_rdf(two_paper_graph(), format=rdf_format)
    second = serialize_rdf(two_paper_graph(reverse=True), format=rdf_format)
    assert first == second


_EXPORT_SCRIPT = """
import sys
sys.path.insert(0, sys.argv[2])
from pathlib import Path
from rdf_samples import two_paper_graph
from kg.rdf import RDF_FORMATS, write_rdf
for name, suffix in RDF_FORMATS.items():
    write_rdf(two_paper_graph(), Path(sys.argv[1]) / ("graph" + suffix), format=name)
"""


def test_output_identical_across_processes(tmp_path: Path) -> None:
    for seed in ("1", "2"):
        (tmp_path / seed).mkdir()
        environment = {**os.environ, "PYTHONHASHSEED": seed}
        subprocess.run([sys.executable, "-c", _EXPORT_SCRIPT, str(tmp_path / seed), str(TESTS)], check=True, env=environment)
    for suffix in RDF_FORMATS.values():
        assert (tmp_path / "1" / f"graph{suffix}").read_bytes() == (tmp_path / "2" / f"graph{suffix}").read_bytes(), suffix


def test_ntriples_sorted(tmp_path: Path) -> None:
    lines = serialize_rdf(two_paper_graph(), format="ntriples").decode("utf-8").splitlines()
    assert lines == sorted(lines)


def test_every_new_edge_exported() -> None:
    rdf = graph_to_rdf(sample_graph())
    predicates = {predicate for _, predicate, _ in rdf}
    for term in ("uses", "builtOn", "comparedWith", "outperforms", "addresses", "isA", "variantOf", "hasResult", "onDataset", "hasMetric"):
        assert KG[term] in predicates, term
    assert len(NEW_EDGE_TYPES) == 10


def test_statement_per_edge() -> None:
    graph = sample_graph()
    rdf = graph_to_rdf(graph)
    # Authorship edges become prov:Attribution nodes, not statements.
    claims = [edge for edge in graph.edges(keys=True) if edge[2] != AUTHORED_BY]
    assert len(set(rdf.subjects(RDF.type, KG.Statement))) == len(claims)


def test_result_typed_decimal() -> None:
    rdf = graph_to_rdf(sample_graph())
    result = mint_iri("result", "rl-tango:1")
    assert rdf.value(result, KG.value) == Literal("94.1", datatype=XSD.decimal)
    assert rdf.value(result, KG.spread) == Literal("0.3", datatype=XSD.decimal)
    assert rdf.value(result, KG.unit) == Literal("percent")
    assert rdf.value(result, RDFS.label) == Literal("94.1 % accuracy on ProcessBench")


def test_result_without_spread_or_unit() -> None:
    rdf = graph_to_rdf(sample_graph())
    result = mint_iri("result", "rl-tango:2")
    assert rdf.value(result, KG.value) == Literal("-3.0", datatype=XSD.decimal)
    assert rdf.value(result, KG.spread) is None


def test_result_non_number_plain(caplog: pytest.LogCaptureFixture) -> None:
    rdf = graph_to_rdf(sample_graph(value="about 90"))
    assert rdf.value(mint_iri("result", "rl-tango:1"), KG.value) == Literal("about 90")
    assert "not a decimal number" in caplog.text


def test_result_sparql_filter(tmp_path: Path) -> None:
    path = tmp_path / "graph.nt"
    write_rdf(sample_graph(), path, format="ntriples")
    store = pyoxigraph.Store()
    store.load(path=path, format=pyoxigraph.RdfFormat.N_TRIPLES)
    query = f"SELECT ?r WHERE {{ ?r <{KG.value}> ?v FILTER(?v > 90) }}"
    assert [str(row["r"].value) for row in store.query(query)] == [str(mint_iri("result", "rl-tango:1"))]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("94.1", "94.1"),
        ("94.10", "94.1"),
        ("-3", "-3.0"),
        ("+2", "2.0"),
        ("007", "7.0"),
        (".5", "0.5"),
        ("5.", "5.0"),
        ("-0", "0.0"),
        (" 1.25 ", "1.25"),
        ("1e5", None),
        ("1,000", None),
        ("NaN", None),
        ("٣", None),
        ("", None),
    ],
)
def test_canonical_decimal(text: str, expected: str | None) -> None:
    assert canonical_decimal(text) == expected


def test_result_iri_paths() -> None:
    assert str(mint_iri("result", "2505.15034 v2:3")).endswith("/result/2505.15034%20v2/3")
    assert str(mint_iri("result", "a:b:12")).endswith("/result/a%3Ab/12")
    assert "/result/_" in str(mint_iri("result", "no number"))


def test_concept_iri_slug() -> None:
    assert str(mint_iri("concept", "framework")).endswith("/concept/framework")


def test_aliases_with_reasons() -> None:
    rdf = graph_to_rdf(sample_graph())
    dataset = mint_iri("entity", "processbench")
    aliases = list(rdf.objects(dataset, KG.hasAlias))
    assert len(aliases) == 1
    assert rdf.value(aliases[0], URIRef("http://www.w3.org/2008/05/skos-xl#literalForm")) == Literal("PB")
    assert rdf.value(aliases[0], KG.mergeReason) == Literal("abbreviation")
    assert rdf.value(aliases[0], URIRef("http://www.w3.org/ns/prov#wasDerivedFrom")) == mint_iri("paper", "rl-tango")


def test_merge_reasons_as_json_text() -> None:
    graph = sample_graph()
    graph.nodes["entity:processbench"]["merge_reasons"] = json.dumps(graph.nodes["entity:processbench"]["merge_reasons"])
    assert set(graph_to_rdf(graph)) == set(graph_to_rdf(sample_graph()))


def test_language_tag_normalised() -> None:
    rdf = graph_to_rdf(build_graph([sample_extraction(language="en_US")]))
    title = rdf.value(mint_iri("paper", "rl-tango"), DCTERMS.title)
    assert title.language == "en-US"
    assert rdf.value(mint_iri("paper", "rl-tango"), DCTERMS.abstract).language == "en-US"


def test_language_absent_no_tag() -> None:
    rdf = graph_to_rdf(build_graph([sample_extraction()]))
    assert rdf.value(mint_iri("paper", "rl-tango"), DCTERMS.title).language is None


def test_language_invalid_dropped(caplog: pytest.LogCaptureFixture) -> None:
    graph = build_graph([sample_extraction()])
    graph.nodes["paper:rl-tango"]["language"] = 'en" ; <x> "y'
    rdf = graph_to_rdf(graph)
    assert rdf.value(mint_iri("paper", "rl-tango"), DCTERMS.title).language is None
    assert "invalid language tag" in caplog.text


def test_language_tagged_conforms(check_shapes: Callable[[Any], None]) -> None:
    check_shapes(sample_graph(language="en-GB"))


def test_named_graph_per_paper() -> None:
    dataset = graph_to_dataset(two_paper_graph())
    names = {context.identifier for context in dataset.graphs() if isinstance(context.identifier, URIRef)}
    tango, other = mint_iri("graph", "rl-tango"), mint_iri("graph", "other")
    assert {tango, other} <= names
    claims = dataset.graph(tango)
    assert (mint_iri("paper", "rl-tango"), KG.evaluatedOn, mint_iri("entity", "processbench")) in claims
    assert (mint_iri("result", "rl-tango:1"), RDF.type, KG.Result) in claims
    assert (mint_iri("entity", "processbench"), RDF.type, KG.Entity) not in claims


def test_named_graph_entities_in_default() -> None:
    dataset = graph_to_dataset(two_paper_graph())
    default = dataset.default_graph
    assert (mint_iri("entity", "processbench"), RDF.type, KG.Entity) in default
    assert (mint_iri("paper", "rl-tango"), RDF.type, KG.Paper) in default
    assert not list(default.triples((None, RDF.type, KG.Statement)))


def test_quads_equal_triples() -> None:
    graph = two_paper_graph()
    dataset = graph_to_dataset(graph)
    quads = list(dataset.quads())
    assert len(quads) == len(graph_to_rdf(graph))
    assert {(s, p, o) for s, p, o, _ in quads} == set(graph_to_rdf(graph))


def test_jsonld_embeds_published_context(tmp_path: Path) -> None:
    path = tmp_path / "graph.jsonld"
    write_rdf(sample_graph(), path, format="jsonld")
    published = json.loads((ONTOLOGY_DIR / "context.jsonld").read_text(encoding="utf-8"))
    assert json.loads(path.read_text(encoding="utf-8"))["@context"] == published["@context"]
    assert jsonld_context() == published["@context"]


def test_jsonld_uses_terms(tmp_path: Path) -> None:
    path = tmp_path / "graph.jsonld"
    write_rdf(sample_graph(), path, format="jsonld")
    nodes = json.loads(path.read_text(encoding="utf-8"))["@graph"]
    result = next(node for node in nodes if node["@id"] == str(mint_iri("result", "rl-tango:1")))
    assert result["value"] == "94.1"
    assert result["@type"] == "Result"


def test_write_rdf_unknown_format(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="rdfxml"):
        write_rdf(sample_graph(), tmp_path / "graph.rdf", format="rdfxml")
    assert not list(tmp_path.iterdir())


def test_rdf_formats_match_cli() -> None:
    from kg.cli import RDF_FORMAT_NAMES

    assert tuple(RDF_FORMATS) == RDF_FORMAT_NAMES
