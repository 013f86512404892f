from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyoxigraph
import pytest
from rdflib import Graph, Literal, URIRef
from rdflib import namespace
from rdflib.namespace import DCTERMS, OWL, RDF, SKOS

from kg.errors import ConfigError, InputError, KgError
from kg.graph import AUTHORED_BY, build_graph
from kg.model import (
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
from kg.rdf import (
    DEFAULT_BASE_IRI,
    KG,
    KG_NAMESPACE,
    MAX_SEGMENT_LENGTH,
    clean_literal,
    count_triples_with_oxigraph,
    evaluation_summary_iri,
    graph_to_dataset,
    graph_to_rdf,
    is_valid_iri,
    mint_iri,
    validate_base_iri,
    write_turtle,
)
from kg.resolve import entity_key

REPOSITORY = Path(__file__).resolve().parent.parent
ONTOLOGY = REPOSITORY / "ontology" / "kg.ttl"

HOSTILE = [
    'say "hi"',
    "a > b",
    "<script>alert(1)</script>",
    "line one\nline two",
    "back\\slash\\",
    '"x" ; <http://e/iri> "y"',
    "} INSERT DATA { <a> <b> <c> } {",
    "with spaces  inside",
    "Ünïcödé 数据集 😀",
    "'''triple'''\"\"\"quotes\"\"\"",
    "%20%3E already encoded",
    "..",
    "_starts_with_underscore",
    "https://e.org/a b>c",
]

# Every IRI in an export: ASCII letters, digits, "-._~", percent escapes,
# and the ":/#" of the base and vocabulary namespaces.
SAFE_IRI = re.compile(r"[A-Za-z0-9\-._~:/#]*(?:%[0-9A-F]{2}[A-Za-z0-9\-._~:/#]*)*")

KNOWN_NAMESPACES = (
    DEFAULT_BASE_IRI,
    KG_NAMESPACE,
    str(RDF),
    str(SKOS),
    str(DCTERMS),
    str(namespace.SDO),
    "http://www.w3.org/ns/prov#",
    "http://www.w3.org/2008/05/skos-xl#",
    "https://arxiv.org/abs/",
    "https://doi.org/",
    "http://purl.org/ontology/bibo/",
)


def make_extraction(
    *,
    paper_id: str = "rl-tango",
    title: str = "RL Tango: Reinforcing Generator and Verifier Together",
    method: str = "Tango",
    dataset: str = "ProcessBench",
    alias: str = "PB",
    sentence: str = "The verifier leads on the ProcessBench dataset.",
    url: str = "https://github.com/kaiwenzha/rl-tango",
    author: str = "A. Author",
    arxiv_id: str = "2505.15034",
    doi: str = "10.48550/arXiv.2505.15034",
) -> PaperExtraction:
    """Build one paper with every kind of node and edge, from the given strings."""
    title_mention = Mention(method, 0, len(method), Field.TITLE, title)
    dataset_mention = Mention(dataset, 22, 22 + len(dataset), Field.ABSTRACT, sentence)
    link_mention = Mention(url, 60, 60 + len(url), Field.ABSTRACT, sentence)
    return PaperExtraction(
        paper=Paper(
            id=paper_id,
            title=title,
            abstract=f"We propose {method}. {sentence} Code: {url}",
            url=url,
            date="2025-09-11",
            authors=(author, "B. Author"),
            source="daily.txt",
            record=3,
            arxiv_id=arxiv_id,
            doi=doi,
            categories=("cs.LG",),
        ),
        entities=(
            ExtractedEntity(method, entity_key(method), EntityType.METHOD, True, (title_mention,)),
            ExtractedEntity(dataset, entity_key(dataset), EntityType.DATASET, False, (dataset_mention,), (alias,)),
        ),
        links=(Link(url, LinkKind.CODE, link_mention),),
        relations=(Relation(RelationType.EVALUATED_ON, "", entity_key(dataset), dataset_mention),),
    )


def export(*extractions: PaperExtraction, base_iri: str = DEFAULT_BASE_IRI) -> Graph:
    return graph_to_rdf(build_graph(extractions), base_iri=base_iri)


def iris_of(rdf: Graph) -> set[str]:
    return {str(term) for triple in rdf for term in triple if isinstance(term, URIRef)}


def hostile_extraction(text: str) -> PaperExtraction:
    return make_extraction(
        paper_id=text,
        title=text,
        method=f"{text} method",
        dataset=f"{text} bench",
        alias=f"{text} alias",
        sentence=text,
        url=text,
        author=text,
    )


def test_round_trip_counts_agree(tmp_path: Path) -> None:
    rdf = export(make_extraction())
    path = tmp_path / "graph.ttl"
    written = write_turtle(rdf, path)
    assert written == len(rdf)
    assert count_triples_with_oxigraph(path) == written


def test_round_trip_rdflib_reparse(tmp_path: Path) -> None:
    rdf = export(make_extraction())
    path = tmp_path / "graph.ttl"
    write_turtle(rdf, path)
    assert set(Graph().parse(path, format="turtle")) == set(rdf)


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_adds_no_triples(text: str) -> None:
    assert len(export(hostile_extraction(text))) == len(export(make_extraction()))


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_oxigraph_count(text: str, tmp_path: Path) -> None:
    path = tmp_path / "graph.ttl"
    written = write_turtle(export(hostile_extraction(text)), path)
    assert count_triples_with_oxigraph(path) == written


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_iris_are_safe(text: str) -> None:
    for iri in iris_of(export(hostile_extraction(text))):
        assert SAFE_IRI.fullmatch(iri), iri
        assert iri.startswith(KNOWN_NAMESPACES), iri
        if not text.isalnum():
            assert text not in iri, iri


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_literals_survive(text: str, tmp_path: Path) -> None:
    path = tmp_path / "graph.ttl"
    write_turtle(export(hostile_extraction(text)), path)
    parsed = Graph().parse(path, format="turtle")
    assert Literal(text) in set(parsed.objects(None, DCTERMS.title))
    assert Literal(f"{text} bench") in set(parsed.objects(None, SKOS.prefLabel))
    assert Literal(f"{text} alias") in set(parsed.objects(None, SKOS.altLabel))
    assert Literal(text) in set(parsed.objects(None, KG.sentence))


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_identifiers_add_no_triples(text: str) -> None:
    hostile = export(make_extraction(arxiv_id=text, doi=f"10.1234/{text}"))
    assert len(hostile) <= len(export(make_extraction()))
    for iri in iris_of(hostile):
        assert SAFE_IRI.fullmatch(iri), iri
        assert iri.startswith(KNOWN_NAMESPACES), iri


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_identifiers_survive_as_literals(text: str, tmp_path: Path) -> None:
    path = tmp_path / "graph.ttl"
    write_turtle(export(make_extraction(arxiv_id=text, doi=f"10.1234/{text}")), path)
    parsed = Graph().parse(path, format="turtle")
    assert set(parsed.objects(None, KG.arxivId)) == {Literal(text.strip())}
    assert set(parsed.objects(None, URIRef("http://purl.org/ontology/bibo/doi"))) == {Literal(f"10.1234/{text}".strip())}


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_author_name_survives(text: str, tmp_path: Path) -> None:
    path = tmp_path / "graph.ttl"
    write_turtle(export(hostile_extraction(text)), path)
    parsed = Graph().parse(path, format="turtle")
    assert Literal(text) in set(parsed.objects(None, namespace.SDO.name))
    assert Literal(text) in set(parsed.objects(None, KG.authorName))


def test_empty_strings_export(tmp_path: Path) -> None:
    extraction = PaperExtraction(
        paper=Paper(id="", title=""),
        entities=(ExtractedEntity("", "", EntityType.TASK, False, (Mention("", 0, 0, Field.TITLE),)),),
        links=(Link("", LinkKind.PROJECT, Mention("", 0, 0, Field.TITLE)),),
    )
    rdf = export(extraction)
    path = tmp_path / "graph.ttl"
    written = write_turtle(rdf, path)
    assert count_triples_with_oxigraph(path) == written
    assert all(SAFE_IRI.fullmatch(iri) for iri in iris_of(rdf))
    assert mint_iri("paper", "") in set(rdf.subjects(RDF.type, KG.Paper))


def test_control_characters_removed() -> None:
    rdf = export(make_extraction(title="bell\x07 escape\x1b[31m nul\x00 keep\ttab"))
    titles = set(rdf.objects(None, DCTERMS.title))
    assert titles == {Literal("bell escape[31m nul keep\ttab")}


def test_clean_literal_lone_surrogate() -> None:
    assert clean_literal("a\ud800b") == "ab"


def test_url_with_space_plain_literal() -> None:
    rdf = export(make_extraction(url="https://e.org/a b"))
    urls = set(rdf.objects(None, namespace.SDO.url))
    assert urls == {Literal("https://e.org/a b")}


def test_valid_url_any_uri() -> None:
    rdf = export(make_extraction())
    urls = set(rdf.objects(None, namespace.SDO.url))
    assert urls == {Literal("https://github.com/kaiwenzha/rl-tango", datatype=namespace.XSD.anyURI)}


def test_date_typed_when_iso() -> None:
    rdf = export(make_extraction())
    assert set(rdf.objects(None, DCTERMS.issued)) == {Literal("2025-09-11", datatype=namespace.XSD.date)}


def test_output_byte_identical(tmp_path: Path) -> None:
    first, second = make_extraction(), make_extraction(paper_id="other", title="Other paper", method="GRPO")
    write_turtle(export(first, second), tmp_path / "a.ttl")
    write_turtle(export(second, first), tmp_path / "b.ttl")
    assert (tmp_path / "a.ttl").read_bytes() == (tmp_path / "b.ttl").read_bytes()


_EXPORT_SCRIPT = """
import sys
sys.path.insert(0, sys.argv[2])
from test_rdf import export, make_extraction, hostile_extraction
from kg.rdf import write_turtle
write_turtle(export(make_extraction(), hostile_extraction('Ünïcödé "x"')), sys.argv[1])
"""


def test_output_identical_across_hash_seeds(tmp_path: Path) -> None:
    outputs = []
    for seed in ("1", "2"):
        path = tmp_path / f"seed{seed}.ttl"
        environment = {**os.environ, "PYTHONHASHSEED": seed}
        subprocess.run(
            [sys.executable, "-c", _EXPORT_SCRIPT, str(path), str(Path(__file__).parent)],
            check=True,
            env=environment,
        )
        outputs.append(path.read_bytes())
    assert outputs[0] == outputs[1]


def test_write_turtle_replaces_file(tmp_path: Path) -> None:
    path = tmp_path / "graph.ttl"
    path.write_text("stale")
    write_turtle(export(make_extraction()), path)
    assert not path.read_text(encoding="utf-8").startswith("stale")
    assert [p.name for p in tmp_path.iterdir()] == ["graph.ttl"]


def test_prefixes_bound() -> None:
    text = export(make_extraction()).serialize(format="turtle")
    for prefix in ("kg", "skos", "dcterms", "schema", "prov"):
        assert f"@prefix {prefix}: " in text


def test_ontology_parses() -> None:
    ontology = Graph().parse(ONTOLOGY, format="turtle")
    assert (URIRef(KG_NAMESPACE.rstrip("#")), RDF.type, OWL.Ontology) in ontology


def declared_terms() -> set[str]:
    ontology = Graph().parse(ONTOLOGY, format="turtle")
    kinds = (OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty)
    return {str(subject) for kind in kinds for subject in ontology.subjects(RDF.type, kind)}


def test_exported_terms_declared() -> None:
    rdf = export(make_extraction(), make_extraction(paper_id="p2", url="https://huggingface.co/datasets/a/b"))
    used = {iri for iri in iris_of(rdf) if iri.startswith(KG_NAMESPACE)}
    assert used - declared_terms() == set()


def test_namespace_terms_declared() -> None:
    names = {str(KG[name]) for name in KG.__annotations__}
    assert names - declared_terms() == set()


def test_ontology_terms_in_namespace() -> None:
    names = {str(KG[name]) for name in KG.__annotations__}
    kg_terms = {term for term in declared_terms() if term.startswith(KG_NAMESPACE)}
    assert kg_terms - names == set()


def test_namespace_closed() -> None:
    with pytest.raises(AttributeError):
        _ = KG.evaluated_on


def test_exported_types() -> None:
    rdf = export(make_extraction())
    dataset = mint_iri("entity", "processbench")
    assert set(rdf.objects(dataset, RDF.type)) == {KG.Entity, KG.Dataset}


def test_direct_triples() -> None:
    rdf = export(make_extraction())
    paper = mint_iri("paper", "rl-tango")
    assert (paper, KG.evaluatedOn, mint_iri("entity", "processbench")) in rdf
    assert (paper, KG.proposes, mint_iri("entity", "tango")) in rdf
    assert (paper, KG.hasCode, mint_iri("link", "https://github.com/kaiwenzha/rl-tango")) in rdf


def test_statement_evidence() -> None:
    rdf = export(make_extraction())
    paper = mint_iri("paper", "rl-tango")
    statements = set(rdf.subjects(KG.predicate, KG.evaluatedOn))
    assert len(statements) == 1
    statement = statements.pop()
    assert rdf.value(statement, KG.subject) == paper
    assert rdf.value(statement, KG.object) == mint_iri("entity", "processbench")
    assert rdf.value(statement, URIRef("http://www.w3.org/ns/prov#wasDerivedFrom")) == paper
    assert rdf.value(statement, KG.sentence) == Literal("The verifier leads on the ProcessBench dataset.")
    assert rdf.value(statement, KG.startOffset) == Literal(22)
    assert rdf.value(statement, KG.field) == Literal("abstract")


def test_statements_match_edges() -> None:
    graph = build_graph([make_extraction()])
    rdf = graph_to_rdf(graph)
    # Authorship edges become prov:Attribution nodes, not statements.
    claims = [edge for edge in graph.edges(keys=True) if edge[2] != AUTHORED_BY]
    assert len(set(rdf.subjects(RDF.type, KG.Statement))) == len(claims)


def test_evaluation_summary_exported() -> None:
    rdf = export(make_extraction())
    method, dataset = mint_iri("entity", "tango"), mint_iri("entity", "processbench")
    summary = evaluation_summary_iri(method, dataset)
    assert (summary, RDF.type, KG.EvaluationSummary) in rdf
    assert rdf.value(summary, KG.method) == method
    assert rdf.value(summary, KG.dataset) == dataset
    assert rdf.value(summary, KG.paperCount) == Literal(1)


def test_evaluation_summary_iri_hashed() -> None:
    summary = evaluation_summary_iri(mint_iri("entity", "tango"), mint_iri("entity", "processbench"))
    assert re.fullmatch(re.escape(DEFAULT_BASE_IRI) + r"evaluation/[0-9a-f]{16}", str(summary))


def test_evaluation_summary_default_graph() -> None:
    dataset = graph_to_dataset(build_graph([make_extraction()]))
    contexts = {context for _, _, _, context in dataset.quads((None, RDF.type, KG.EvaluationSummary, None))}
    assert [str(context) for context in contexts] == ["urn:x-rdflib:default"]


def test_pyoxigraph_loads_export(tmp_path: Path) -> None:
    path = tmp_path / "graph.ttl"
    write_turtle(export(make_extraction()), path)
    store = pyoxigraph.Store()
    store.load(path=path, format=pyoxigraph.RdfFormat.TURTLE)
    assert len(store) == count_triples_with_oxigraph(path)


@pytest.mark.parametrize(
    "base_iri",
    [
        "ftp://e.org/id/",
        "https://e.org/id",
        "relative/id/",
        "https://e.org/id?x=/",
        "https://e.org/a b/",
        "https:///id/",
        "https://e.org/#frag/",
        "",
    ],
)
def test_base_iri_invalid(base_iri: str) -> None:
    with pytest.raises(ConfigError):
        validate_base_iri(base_iri)


@pytest.mark.parametrize("base_iri", ["https://e.org/id/", "http://e.org/graph#"])
def test_base_iri_custom(base_iri: str) -> None:
    for iri in iris_of(export(make_extraction(), base_iri=base_iri)):
        assert iri.startswith((base_iri, *KNOWN_NAMESPACES[1:])), iri


def test_mint_iri_paper_distinct() -> None:
    ids = ["", ".", "..", "_x", "a b", "a%20b", "a/b", "A", "a", "~"]
    iris = [mint_iri("paper", paper_id) for paper_id in ids]
    assert len(set(iris)) == len(ids)
    assert all(is_valid_iri(str(iri)) for iri in iris)


def test_mint_iri_paper_encoded() -> None:
    assert str(mint_iri("paper", "2505.15034 v2")) == f"{DEFAULT_BASE_IRI}paper/2505.15034%20v2"


def test_mint_iri_entity_slug() -> None:
    iri = mint_iri("entity", "group relative policy optimization")
    assert str(iri) == f"{DEFAULT_BASE_IRI}entity/group-relative-policy-optimization"


def test_mint_iri_entity_distinct() -> None:
    keys = ["a b", "a-b", "a.b", "", "ä b", "h 0123456789abcdef", "_x"]
    iris = [mint_iri("entity", key) for key in keys]
    assert len(set(iris)) == len(keys)


@pytest.mark.parametrize(
    ("kind", "long_value"),
    [("paper", "long " * 1000), ("entity", "long " * 1000 + "x"), ("concept", "long " * 1000 + "x"),
     ("result", "long " * 1000 + ":1"), ("graph", "long " * 1000)],
)
def test_mint_iri_long_value_short(kind: str, long_value: str) -> None:
    iris = {mint_iri(kind, long_value), mint_iri(kind, long_value + "2")}
    assert len(iris) == 2
    for iri in iris:
        assert len(iri) <= len(DEFAULT_BASE_IRI) + len("concept/") + MAX_SEGMENT_LENGTH, iri


def test_mint_iri_unknown_kind() -> None:
    with pytest.raises(ConfigError):
        mint_iri("creator", "x")  # type: ignore[arg-type]


def test_unknown_node_type() -> None:
    graph = build_graph([make_extraction()])
    graph.add_node("entity:odd", type="person", key="odd", name="Odd")
    with pytest.raises(KgError, match="person"):
        graph_to_rdf(graph)


def test_count_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError):
        count_triples_with_oxigraph(tmp_path / "absent.ttl")


def test_count_relative_iris(tmp_path: Path) -> None:
    path = tmp_path / "void.ttl"
    path.write_text("<void.ttl#dataset> <http://rdfs.org/ns/void#triples> 3 .\n", encoding="utf-8")
    assert count_triples_with_oxigraph(path) == 1


def test_count_invalid_turtle(tmp_path: Path) -> None:
    path = tmp_path / "broken.ttl"
    path.write_text("<a> <b> .", encoding="utf-8")
    with pytest.raises(InputError, match="invalid"):
        count_triples_with_oxigraph(path)


def test_export_conforms_to_shapes(check_shapes: Callable[[Any], None]) -> None:
    check_shapes(export(make_extraction(), make_extraction(paper_id="p2", url="https://huggingface.co/datasets/a/b")))


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_export_conforms(text: str, check_shapes: Callable[[Any], None]) -> None:
    check_shapes(export(hostile_extraction(text)))


def test_empty_strings_conform(check_shapes: Callable[[Any], None]) -> None:
    extraction = PaperExtraction(
        paper=Paper(id="", title=""),
        entities=(ExtractedEntity("", "", EntityType.TASK, False, (Mention("", 0, 0, Field.TITLE),)),),
        links=(Link("", LinkKind.PROJECT, Mention("", 0, 0, Field.TITLE)),),
    )
    check_shapes(export(extraction))
