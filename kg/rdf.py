"""Export of the knowledge graph as RDF, with the kg ontology's terms.

`graph_to_rdf` turns the NetworkX graph of `kg.graph.build_graph` into an
rdflib graph; `write_turtle` writes it as Turtle, byte-identical for the same
input; `count_triples_with_oxigraph` re-reads a file with a second, independent
parser as a check.

Each edge of the NetworkX graph becomes two things in RDF:

* a direct triple, such as ``<paper> kg:evaluatedOn <dataset>``, so that
  queries stay short, and
* a `KG.Statement` node that repeats the triple (``kg:subject``,
  ``kg:predicate``, ``kg:object``), names the paper it comes from
  (``prov:wasDerivedFrom``) and locates the evidence in that paper
  (``kg:field``, ``kg:startOffset``, ``kg:endOffset``, ``kg:evidenceText``,
  ``kg:sentence``, ``kg:mentionCount``).

This is the qualified-relation pattern: it needs neither RDF-star nor named
graphs, and a query that ignores provenance never sees the statement nodes.
The ontology (``ontology/kg.ttl``) and ``docs/rdf.md`` describe every term.

Text from the corpus never becomes part of an IRI: `mint_iri` percent-encodes
paper ids, turns entity keys into slugs or hashes, and hashes URLs. URLs are
kept as ``schema:url`` literals instead.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import logging
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal as TypingLiteral
from urllib.parse import quote, urlsplit

import networkx as nx
import pyoxigraph
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, PROV, RDF, RDFS, SDO, SKOS, XSD, DefinedNamespace

from kg.errors import ConfigError, InputError, KgError
from kg.graph import (
    ADDRESSES,
    BUILT_ON,
    COMPARED_WITH,
    CONCEPT_TYPE,
    EVALUATED_ON,
    HAS_CODE,
    HAS_METRIC,
    HAS_RESULT,
    IS_A,
    LINK_TYPE,
    LINKS_TO,
    MENTIONS,
    ON_DATASET,
    OUTPERFORMS,
    PAPER_TYPE,
    PROPOSES,
    RESULT_TYPE,
    USES,
    VARIANT_OF,
)
from kg.io import atomic_write
from kg.model import EntityType, LinkKind

__all__ = [
    "DEFAULT_BASE_IRI",
    "KG",
    "KG_NAMESPACE",
    "IriKind",
    "clean_literal",
    "count_triples_with_oxigraph",
    "graph_to_rdf",
    "is_valid_iri",
    "mint_iri",
    "validate_base_iri",
    "write_turtle",
]

logger = logging.getLogger(__name__)

KG_NAMESPACE = "https://w3id.org/kg-papers/ontology#"
DEFAULT_BASE_IRI = "https://w3id.org/kg-papers/id/"

# Hex digits of SHA-1 kept in hashed IRIs: 64 bits, so a collision among the
# few thousand links and statements of a corpus is practically impossible.
HASH_LENGTH = 16

IriKind = TypingLiteral["paper", "entity", "link", "statement", "concept", "result"]
_IRI_KINDS: tuple[str, ...] = ("paper", "entity", "link", "statement", "concept", "result")


class KG(DefinedNamespace):
    """The kg ontology (``ontology/kg.ttl``) as a closed namespace.

    `_fail` makes an undeclared term such as ``KG.evaluated_on`` raise
    AttributeError instead of minting a new IRI.
    """

    _fail = True
    _NS = Namespace(KG_NAMESPACE)

    # Classes
    Paper: URIRef  # A research paper as one input record gave it.
    Entity: URIRef  # A named research artifact, merged across papers by key.
    Method: URIRef  # An algorithm, training procedure or technique.
    Model: URIRef  # A trained model or model family.
    Dataset: URIRef  # A dataset, benchmark or evaluation environment.
    Task: URIRef  # A problem that methods and models are applied to.
    Metric: URIRef  # A quantity that results are reported in.
    Link: URIRef  # A web resource whose URL appears in a paper's text.
    CodeRepository: URIRef  # A source repository.
    ModelPage: URIRef  # A page that hosts a model.
    DatasetPage: URIRef  # A page that hosts a dataset.
    PaperPage: URIRef  # A page of a paper (arXiv, OpenReview, DOI).
    ProjectPage: URIRef  # Any other linked page.
    Statement: URIRef  # The evidence of one direct triple.
    Concept: URIRef  # A kind of artifact, such as "framework".
    Result: URIRef  # One number that a paper reports.

    # Object properties
    mentions: URIRef  # The paper names the entity.
    proposes: URIRef  # The paper introduces the entity.
    evaluatedOn: URIRef  # The subject reports results on the object.
    hasCode: URIRef  # The code repository belongs to the subject.
    linksTo: URIRef  # The paper gives the URL of a non-code link.
    variantOf: URIRef  # The entity belongs to the object's family.
    uses: URIRef  # The subject applies the object.
    builtOn: URIRef  # The subject extends the object.
    comparedWith: URIRef  # The paper compares the subject with the object.
    outperforms: URIRef  # The subject has better results than the object.
    addresses: URIRef  # The subject solves or improves the task.
    isA: URIRef  # The entity is a kind of the concept.
    hasResult: URIRef  # The paper or entity reports the result.
    onDataset: URIRef  # The result is measured on the dataset.
    hasMetric: URIRef  # The result is measured in the metric.
    subject: URIRef  # Subject of the triple that a statement supports.
    predicate: URIRef  # Property of the triple that a statement supports.
    object: URIRef  # Object of the triple that a statement supports.

    # Datatype properties
    field: URIRef  # "title" or "abstract".
    startOffset: URIRef  # 0-based start of the evidence in its field.
    endOffset: URIRef  # End-exclusive end of the evidence in its field.
    evidenceText: URIRef  # The evidence span's text.
    sentence: URIRef  # The sentence around the evidence.
    mentionCount: URIRef  # How often the paper states the relation.
    key: URIRef  # Normalised merge key of an entity.
    linkKind: URIRef  # A `kg.model.LinkKind` value.
    authorName: URIRef  # One author's name.
    sourceFile: URIRef  # The input file of a paper record.
    recordNumber: URIRef  # 1-based position of the record in its file.
    value: URIRef  # The number of a result.
    unit: URIRef  # The unit of a result.
    spread: URIRef  # The number after "±" in a result.


_ENTITY_CLASSES: dict[str, URIRef] = {
    EntityType.METHOD: KG.Method,
    EntityType.MODEL: KG.Model,
    EntityType.DATASET: KG.Dataset,
    EntityType.TASK: KG.Task,
    EntityType.METRIC: KG.Metric,
}

_LINK_CLASSES: dict[str, URIRef] = {
    LinkKind.CODE: KG.CodeRepository,
    LinkKind.MODEL: KG.ModelPage,
    LinkKind.DATASET: KG.DatasetPage,
    LinkKind.PAPER: KG.PaperPage,
    LinkKind.PROJECT: KG.ProjectPage,
}

_EDGE_PROPERTIES: dict[str, URIRef] = {
    PROPOSES: KG.proposes,
    MENTIONS: KG.mentions,
    EVALUATED_ON: KG.evaluatedOn,
    HAS_CODE: KG.hasCode,
    LINKS_TO: KG.linksTo,
    VARIANT_OF: KG.variantOf,
    USES: KG.uses,
    BUILT_ON: KG.builtOn,
    COMPARED_WITH: KG.comparedWith,
    OUTPERFORMS: KG.outperforms,
    ADDRESSES: KG.addresses,
    IS_A: KG.isA,
    HAS_RESULT: KG.hasResult,
    ON_DATASET: KG.onDataset,
    HAS_METRIC: KG.hasMetric,
}

_PREFIXES: dict[str, str] = {
    "dcterms": str(DCTERMS),
    "kg": KG_NAMESPACE,
    "prov": str(PROV),
    "rdf": str(RDF),
    "rdfs": str(RDFS),
    "schema": str(SDO),
    "skos": str(SKOS),
    "xsd": str(XSD),
}

# Characters that RDF 1.1 literals may hold but that only corrupt terminals,
# logs and XML tools downstream: C0 controls except tab, line feed and
# carriage return, DEL, C1 controls, and lone surrogates (which UTF-8 cannot
# encode, so serialization would fail).
_CONTROL_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")

# An entity key that is already a readable slug: lower-case ASCII words of
# letters, digits and dots, each starting with a letter or digit, joined by
# single spaces. Such keys contain no "-", so replacing spaces by "-" cannot
# merge two keys, and no segment can be "." or "..".
_SLUG_KEY = re.compile(r"[a-z0-9][a-z0-9.]*(?: [a-z0-9][a-z0-9.]*)*")


def clean_literal(text: str) -> str:
    """Return `text` without the control characters that kg never exports.

    Tab, line feed and carriage return stay, because the Turtle writer
    escapes them.
    """
    return _CONTROL_CHARACTERS.sub("", text)


def is_valid_iri(text: str) -> bool:
    """Return True if `text` is an absolute IRI by RFC 3987.

    The check is pyoxigraph's IRI parser (oxiri), which also rejects every
    character that Turtle's IRIREF rule forbids (space, ``<>"{}|^`\\``).
    """
    try:
        pyoxigraph.NamedNode(text)
    except ValueError:
        return False
    return True


def validate_base_iri(base_iri: str) -> str:
    """Return `base_iri` if kg can mint IRIs under it, else raise ConfigError.

    A base IRI must be an absolute http or https IRI with a host, no query,
    and end with "/" or "#" so that minted paths stay inside it.
    """
    problem = ""
    if not isinstance(base_iri, str) or not is_valid_iri(base_iri):
        problem = "it is not an absolute IRI"
    else:
        parts = urlsplit(base_iri)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            problem = "it must use http or https and name a host"
        elif parts.query:
            problem = "it must not have a query"
        elif not base_iri.endswith(("/", "#")):
            problem = "it must end with '/' or '#'"
        elif parts.fragment:
            problem = "a '#' may only come last"
    if problem:
        raise ConfigError(
            f"Invalid base IRI {base_iri!r}: {problem}. Use an IRI such as {DEFAULT_BASE_IRI!r}."
        )
    return base_iri


def _sha1(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8", "surrogatepass")).hexdigest()[:HASH_LENGTH]


def _paper_segment(paper_id: str) -> str:
    # Percent-encoding is one-to-one, so distinct ids get distinct segments.
    # Encoded ids that could read as a path step ("", ".", "..") or that
    # start with "_" go to the hashed form, whose "_" prefix no other
    # encoded id keeps, so the two forms never meet.
    encoded = quote(paper_id, safe="", errors="surrogatepass")
    if encoded[:1].isalnum() or encoded.startswith("%"):
        return encoded
    return f"_{_sha1(paper_id)}"


def _entity_segment(key: str) -> str:
    # Slugs contain only [a-z0-9.-] and the hashed form starts with "_", so
    # the two forms never collide.
    if _SLUG_KEY.fullmatch(key):
        return key.replace(" ", "-")
    return f"_{_sha1(key)}"


def mint_iri(kind: IriKind, value: str, *, base_iri: str = DEFAULT_BASE_IRI) -> URIRef:
    """Mint the IRI of a paper, entity, link or statement.

    This is the only place where kg builds data IRIs.

    Parameters
    ----------
    kind : {"paper", "entity", "link", "statement"}
        What the IRI names.
    value : str
        The paper id, the entity key, the link URL, or for a statement any
        string that identifies it (kg uses its subject, predicate and object).
    base_iri : str
        Namespace of the minted IRIs; checked by `validate_base_iri`.

    Returns
    -------
    rdflib.URIRef
        ``{base}paper/{percent-encoded id}``, ``{base}entity/{slug}`` (or
        ``entity/_{hash}`` for keys that are not plain ASCII words),
        ``{base}link/{hash}`` and ``{base}statement/{hash}``, where hash is
        the first `HASH_LENGTH` hex digits of SHA-1 over the UTF-8 value.

    Raises
    ------
    ConfigError
        If `kind` is unknown or `base_iri` is invalid.

    Examples
    --------
    >>> str(mint_iri("paper", "2505.15034 v2"))
    'https://w3id.org/kg-papers/id/paper/2505.15034%20v2'
    >>> str(mint_iri("entity", "group relative policy optimization"))
    'https://w3id.org/kg-papers/id/entity/group-relative-policy-optimization'
    """
    validate_base_iri(base_iri)
    if kind == "paper":
        segment = _paper_segment(value)
    elif kind == "entity":
        segment = _entity_segment(value)
    elif kind == "concept":
        segment = _entity_segment(value)
    elif kind in ("link", "statement", "result"):
        segment = _sha1(value)
    else:
        raise ConfigError(f"Unknown IRI kind {kind!r}; expected one of {', '.join(_IRI_KINDS)}.")

    iri = f"{base_iri}{kind}/{segment}"
    # The segments above use only unreserved characters and percent escapes,
    # so this check fails only on a bug in the segment functions.
    if not is_valid_iri(iri):
        raise KgError(f"Minted an invalid IRI {iri!r} for {kind} {value!r}; please report this as a bug.")
    return URIRef(iri)


def _text(value: Any) -> str:
    return clean_literal("" if value is None else str(value))


def _url_literal(url: str) -> Literal:
    # xsd:anyURI only for real IRIs, so that consumers that check datatypes
    # accept the file; anything else (spaces, "<", relative paths) stays a
    # plain string.
    url = _text(url)
    if is_valid_iri(url):
        return Literal(url, datatype=XSD.anyURI)
    return Literal(url)


def _date_literal(date: str) -> Literal:
    date = _text(date)
    try:
        datetime.date.fromisoformat(date)
    except ValueError:
        return Literal(date)
    if len(date) != len("2025-09-11"):
        # fromisoformat also reads "20250911"; xsd:date needs the dashes.
        return Literal(date)
    return Literal(date, datatype=XSD.date)


def _integer(value: Any) -> Literal | None:
    if isinstance(value, bool):
        return None
    try:
        return Literal(int(value))
    except (TypeError, ValueError):
        return None


def _node_type(node: str, data: Mapping[str, Any]) -> str:
    node_type = data.get("type")
    if node_type in (PAPER_TYPE, LINK_TYPE, CONCEPT_TYPE, RESULT_TYPE) or node_type in _ENTITY_CLASSES:
        return str(node_type)
    expected = ", ".join([PAPER_TYPE, LINK_TYPE, CONCEPT_TYPE, RESULT_TYPE, *map(str, _ENTITY_CLASSES)])
    raise KgError(
        f"Node {node!r} has type {node_type!r}; expected one of {expected}. "
        "Build the graph with kg.graph.build_graph or read it with kg.graph.read_graphml."
    )


def _node_iri(node: str, data: Mapping[str, Any], base_iri: str) -> URIRef:
    node_type = _node_type(node, data)
    if node_type == PAPER_TYPE:
        return mint_iri("paper", str(data.get("paper_id", node.removeprefix("paper:"))), base_iri=base_iri)
    if node_type == LINK_TYPE:
        return mint_iri("link", str(data.get("url", node.removeprefix("link:"))), base_iri=base_iri)
    if node_type == CONCEPT_TYPE:
        return mint_iri("concept", str(data.get("key", node.removeprefix("concept:"))), base_iri=base_iri)
    if node_type == RESULT_TYPE:
        return mint_iri("result", node, base_iri=base_iri)
    return mint_iri("entity", str(data.get("key", node.removeprefix("entity:"))), base_iri=base_iri)


def _add_paper(rdf: Graph, iri: URIRef, data: Mapping[str, Any]) -> None:
    rdf.add((iri, RDF.type, KG.Paper))
    rdf.add((iri, DCTERMS.identifier, Literal(_text(data.get("paper_id", "")))))
    rdf.add((iri, DCTERMS.title, Literal(_text(data.get("title", "")))))
    if data.get("abstract"):
        rdf.add((iri, DCTERMS.abstract, Literal(_text(data["abstract"]))))
    if data.get("url"):
        rdf.add((iri, SDO.url, _url_literal(data["url"])))
    if data.get("date"):
        rdf.add((iri, DCTERMS.date, _date_literal(data["date"])))
    for author in data.get("authors") or ():
        rdf.add((iri, KG.authorName, Literal(_text(author))))
    if data.get("source"):
        rdf.add((iri, KG.sourceFile, Literal(_text(data["source"]))))
    record = _integer(data.get("record"))
    if record is not None and record.toPython() > 0:
        rdf.add((iri, KG.recordNumber, record))


def _add_entity(rdf: Graph, iri: URIRef, data: Mapping[str, Any]) -> None:
    # Both the subclass and kg:Entity are stated, so `?e a kg:Entity` works
    # without a reasoner.
    rdf.add((iri, RDF.type, KG.Entity))
    rdf.add((iri, RDF.type, _ENTITY_CLASSES[data["type"]]))
    rdf.add((iri, SKOS.prefLabel, Literal(_text(data.get("name", data.get("label", ""))))))
    for alias in data.get("aliases") or ():
        rdf.add((iri, SKOS.altLabel, Literal(_text(alias))))
    rdf.add((iri, KG.key, Literal(_text(data.get("key", "")))))


def _add_concept(rdf: Graph, iri: URIRef, data: Mapping[str, Any]) -> None:
    rdf.add((iri, RDF.type, KG.Concept))
    rdf.add((iri, SKOS.prefLabel, Literal(_text(data.get("name", data.get("label", ""))))))
    rdf.add((iri, KG.key, Literal(_text(data.get("key", "")))))


def _decimal(value: Any) -> Literal:
    # A value that is not a plain decimal (possible only in a hand-edited graph) stays a string.
    text = _text(value)
    if re.fullmatch(r"-?\d+(?:\.\d+)?", text):
        return Literal(text, datatype=XSD.decimal)
    return Literal(text)


def _add_result(rdf: Graph, iri: URIRef, data: Mapping[str, Any], base_iri: str) -> None:
    # Subject, metric and benchmark are edges, exported with the other edges.
    rdf.add((iri, RDF.type, KG.Result))
    rdf.add((iri, RDFS.label, Literal(_text(data.get("label", "")))))
    rdf.add((iri, KG.value, _decimal(data.get("value", ""))))
    if data.get("unit"):
        rdf.add((iri, KG.unit, Literal(_text(data["unit"]))))
    if data.get("spread"):
        rdf.add((iri, KG.spread, _decimal(data["spread"])))
    if data.get("paper"):
        rdf.add((iri, PROV.wasDerivedFrom, mint_iri("paper", str(data["paper"]), base_iri=base_iri)))
    if data.get("text"):
        rdf.add((iri, KG.evidenceText, Literal(_text(data["text"]))))


def _add_link(rdf: Graph, iri: URIRef, data: Mapping[str, Any]) -> None:
    kind = str(data.get("kind", LinkKind.PROJECT))
    rdf.add((iri, RDF.type, KG.Link))
    if kind in _LINK_CLASSES:
        rdf.add((iri, RDF.type, _LINK_CLASSES[kind]))
    else:
        logger.warning("Link %r has unknown kind %r; it is exported as a plain kg:Link", data.get("url"), kind)
    rdf.add((iri, SDO.url, _url_literal(data.get("url", ""))))
    rdf.add((iri, KG.linkKind, Literal(_text(kind))))


def _add_edge(
    rdf: Graph,
    subject: URIRef,
    predicate: URIRef,
    target: URIRef,
    data: Mapping[str, Any],
    base_iri: str,
) -> None:
    rdf.add((subject, predicate, target))

    statement = mint_iri("statement", json.dumps([str(subject), str(predicate), str(target)]), base_iri=base_iri)
    rdf.add((statement, RDF.type, KG.Statement))
    rdf.add((statement, KG.subject, subject))
    rdf.add((statement, KG.predicate, predicate))
    rdf.add((statement, KG.object, target))
    if data.get("paper") is not None:
        rdf.add((statement, PROV.wasDerivedFrom, mint_iri("paper", str(data["paper"]), base_iri=base_iri)))
    if data.get("field"):
        rdf.add((statement, KG.field, Literal(_text(data["field"]))))
    for name, term in (("start", KG.startOffset), ("end", KG.endOffset), ("count", KG.mentionCount)):
        number = _integer(data.get(name))
        if number is not None:
            rdf.add((statement, term, number))
    if data.get("text"):
        rdf.add((statement, KG.evidenceText, Literal(_text(data["text"]))))
    if data.get("sentence"):
        rdf.add((statement, KG.sentence, Literal(_text(data["sentence"]))))


def graph_to_rdf(graph: nx.MultiDiGraph, *, base_iri: str = DEFAULT_BASE_IRI) -> Graph:
    """Convert a kg graph to RDF with the kg ontology's terms.

    Parameters
    ----------
    graph : networkx.MultiDiGraph
        A graph from `kg.graph.build_graph` or `kg.graph.read_graphml`; it is
        not changed.
    base_iri : str
        Namespace of the minted paper, entity, link and statement IRIs
        (default `DEFAULT_BASE_IRI`). It must be an absolute http(s) IRI
        ending with "/" or "#".

    Returns
    -------
    rdflib.Graph
        A new graph with the prefixes dcterms, kg, prov, rdf, schema, skos
        and xsd bound. It has no blank nodes, so serializations sort stably.

    Raises
    ------
    ConfigError
        If `base_iri` is invalid.
    KgError
        If a node or edge has a type that kg does not export.

    Examples
    --------
    >>> from kg.graph import build_graph
    >>> from kg.model import Paper, PaperExtraction
    >>> rdf = graph_to_rdf(build_graph([PaperExtraction(paper=Paper(id="p1", title="A title"))]))
    >>> len(rdf)
    3

    Notes
    -----
    Optional values that are empty (abstract, url, date, source, sentence)
    produce no triple. Control characters other than tab and line breaks are
    removed from every literal (see `clean_literal`). Paper and link URLs are
    typed ``xsd:anyURI`` only when they are valid IRIs.
    """
    validate_base_iri(base_iri)
    rdf = Graph(bind_namespaces="none")
    for prefix, namespace in _PREFIXES.items():
        rdf.bind(prefix, Namespace(namespace))

    # Nodes first: every edge endpoint needs its IRI.
    iris: dict[str, URIRef] = {}
    for node, data in graph.nodes(data=True):
        iri = _node_iri(node, data, base_iri)
        iris[node] = iri
        node_type = _node_type(node, data)
        if node_type == PAPER_TYPE:
            _add_paper(rdf, iri, data)
        elif node_type == LINK_TYPE:
            _add_link(rdf, iri, data)
        elif node_type == CONCEPT_TYPE:
            _add_concept(rdf, iri, data)
        elif node_type == RESULT_TYPE:
            _add_result(rdf, iri, data, base_iri)
        else:
            _add_entity(rdf, iri, data)

    for source, target, key, data in graph.edges(keys=True, data=True):
        edge_type = data.get("type", key)
        predicate = _EDGE_PROPERTIES.get(edge_type)
        if predicate is None:
            raise KgError(
                f"Edge {source!r} -> {target!r} has type {edge_type!r}; "
                f"expected one of {', '.join(_EDGE_PROPERTIES)}."
            )
        _add_edge(rdf, iris[source], predicate, iris[target], data, base_iri)

    logger.debug("Converted %d nodes and %d edges to %d triples", graph.number_of_nodes(), graph.number_of_edges(), len(rdf))
    return rdf


def write_turtle(rdf_graph: Graph, path: str | Path) -> int:
    """Write `rdf_graph` as UTF-8 Turtle and return its number of triples.

    The file is written to a temporary name and renamed, so a failure never
    leaves a partial file. rdflib's Turtle writer sorts prefixes, subjects,
    predicates and objects, so a graph without blank nodes gives the same
    bytes on every run.
    """
    data = rdf_graph.serialize(format="turtle", encoding="utf-8")
    with atomic_write(path, "wb") as handle:
        handle.write(data)
    count = len(rdf_graph)
    logger.info("Wrote %d triples to %s", count, path)
    return count


_RDF_FORMATS: dict[str, pyoxigraph.RdfFormat] = {
    ".ttl": pyoxigraph.RdfFormat.TURTLE,
    ".nt": pyoxigraph.RdfFormat.N_TRIPLES,
}


def count_triples_with_oxigraph(path: str | Path) -> int:
    """Count the triples of a Turtle or N-Triples file with pyoxigraph's parser.

    pyoxigraph parses independently of rdflib, so agreeing counts show that
    the file is valid for other tools too.

    Raises
    ------
    InputError
        If the file is missing, its suffix is neither ``.ttl`` nor ``.nt``,
        or its content is not valid RDF in that format.
    """
    path = Path(path)
    rdf_format = _RDF_FORMATS.get(path.suffix.lower())
    if rdf_format is None:
        raise InputError(str(path), f"unsupported suffix {path.suffix!r}; expected .ttl (Turtle) or .nt (N-Triples)")
    if not path.is_file():
        raise InputError(str(path), "file not found")
    try:
        return sum(1 for _ in pyoxigraph.parse(path=path, format=rdf_format))
    except SyntaxError as err:
        raise InputError(str(path), f"invalid {rdf_format.name}: {err}") from err
