"""The ontology, the SHACL shapes and the JSON-LD context agree with what kg.rdf emits."""

from __future__ import annotations

import json
import shutil
import subprocess

import pyoxigraph
import pytest
from rdflib import BNode, Graph, URIRef
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS

from kg.rdf import KG, KG_NAMESPACE, ONTOLOGY_DIR, graph_to_rdf, jsonld_context
from rdf_samples import two_paper_graph

ONTOLOGY = ONTOLOGY_DIR / "kg.ttl"
SHAPES = ONTOLOGY_DIR / "shapes.ttl"
ONTOLOGY_IRI = URIRef(KG_NAMESPACE.rstrip("#"))


def ontology() -> Graph:
    return Graph().parse(ONTOLOGY, format="turtle")


def declared(kinds: tuple[URIRef, ...]) -> set[URIRef]:
    graph = ontology()
    return {subject for kind in kinds for subject in graph.subjects(RDF.type, kind) if isinstance(subject, URIRef)}


CLASSES = (OWL.Class,)
PROPERTIES = (OWL.ObjectProperty, OWL.DatatypeProperty)


@pytest.mark.parametrize("path", [ONTOLOGY, SHAPES])
def test_file_parses_with_rapper(path) -> None:
    if shutil.which("rapper") is None:
        pytest.skip("rapper (Debian package raptor2-utils) is not installed")
    completed = subprocess.run(["rapper", "--count", "--input", "turtle", str(path)], capture_output=True, text=True, check=False)
    assert completed.returncode == 0, completed.stderr
    count = int(completed.stderr.strip().splitlines()[-1].split()[3])
    assert count == len(Graph().parse(path, format="turtle"))


@pytest.mark.parametrize("path", [ONTOLOGY, SHAPES])
def test_file_parses_with_oxigraph(path) -> None:
    count = sum(1 for _ in pyoxigraph.parse(path=path, format=pyoxigraph.RdfFormat.TURTLE))
    assert count == len(Graph().parse(path, format="turtle"))


def test_header_metadata() -> None:
    graph = ontology()
    assert (ONTOLOGY_IRI, RDF.type, OWL.Ontology) in graph
    assert graph.value(ONTOLOGY_IRI, OWL.versionIRI) is not None
    assert graph.value(ONTOLOGY_IRI, DCTERMS.license) is not None
    assert str(graph.value(ONTOLOGY_IRI, DCTERMS.creator)) == "kg contributors"


@pytest.mark.parametrize("term", sorted(declared(CLASSES + PROPERTIES)), ids=str)
def test_term_documented(term: URIRef) -> None:
    graph = ontology()
    assert graph.value(term, RDFS.label) is not None
    assert graph.value(term, RDFS.comment) is not None


@pytest.mark.parametrize("term", sorted(declared(PROPERTIES)), ids=str)
def test_property_domain_range(term: URIRef) -> None:
    graph = ontology()
    assert graph.value(term, RDFS.domain) is not None
    assert graph.value(term, RDFS.range) is not None


@pytest.mark.parametrize(
    ("term", "external"),
    [
        (KG.Paper, "https://schema.org/ScholarlyArticle"),
        (KG.Paper, "http://purl.org/spar/fabio/ResearchPaper"),
        (KG.CodeRepository, "https://schema.org/SoftwareSourceCode"),
        (KG.Dataset, "https://schema.org/Dataset"),
        (KG.Method, "http://www.w3.org/ns/mls#Algorithm"),
        (KG.Model, "http://www.w3.org/ns/mls#Model"),
        (KG.Dataset, "http://www.w3.org/ns/mls#Dataset"),
        (KG.Metric, "http://www.w3.org/ns/mls#EvaluationMeasure"),
        (KG.Result, "http://www.w3.org/ns/mls#ModelEvaluation"),
        (KG.Concept, "http://www.w3.org/2004/02/skos/core#Concept"),
        (KG.Statement, "http://www.w3.org/ns/prov#Entity"),
    ],
)
def test_class_alignment(term: URIRef, external: str) -> None:
    assert (term, RDFS.subClassOf, URIRef(external)) in ontology()


def test_emitted_terms_declared() -> None:
    rdf = graph_to_rdf(two_paper_graph())
    used = {term for triple in rdf for term in triple if isinstance(term, URIRef) and str(term).startswith(KG_NAMESPACE)}
    assert used - declared(CLASSES + PROPERTIES) == set()


def test_namespace_matches_ontology() -> None:
    names = {KG[name] for name in KG.__annotations__}
    kg_terms = {term for term in declared(CLASSES + PROPERTIES) if str(term).startswith(KG_NAMESPACE)}
    assert names == kg_terms


def test_context_terms_declared() -> None:
    context = jsonld_context()
    prefix = "kg:"
    used = set()
    for definition in context.values():
        iri = definition["@id"] if isinstance(definition, dict) else definition
        if iri.startswith(prefix):
            used.add(URIRef(KG_NAMESPACE + iri.removeprefix(prefix)))
    assert used - declared(CLASSES + PROPERTIES) == set()


def test_context_object_properties_are_ids() -> None:
    context = jsonld_context()
    object_properties = declared((OWL.ObjectProperty,))
    for name, definition in context.items():
        iri = definition["@id"] if isinstance(definition, dict) else definition
        if isinstance(iri, str) and iri.startswith("kg:") and URIRef(KG_NAMESPACE + iri[3:]) in object_properties:
            assert definition["@type"] == "@id", name


def test_context_file_is_json_object() -> None:
    document = json.loads((ONTOLOGY_DIR / "context.jsonld").read_text(encoding="utf-8"))
    assert set(document) == {"@context"}


def test_shapes_cover_classes() -> None:
    shapes = Graph().parse(SHAPES, format="turtle")
    targets = set(shapes.objects(None, URIRef("http://www.w3.org/ns/shacl#targetClass")))
    for term in (KG.Paper, KG.Entity, KG.Concept, KG.Result, KG.Link, KG.Statement, KG.Alias, KG.EvaluationSummary):
        assert term in targets, term


def test_ontology_no_blank_classes() -> None:
    # Blank nodes appear only as unions and disjointness axioms.
    graph = ontology()
    blank_classes = [s for s in graph.subjects(RDF.type, OWL.Class) if isinstance(s, BNode) and graph.value(s, OWL.unionOf) is None]
    assert blank_classes == []
