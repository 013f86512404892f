"""Export of the knowledge graph as RDF, with the kg ontology's terms.

`graph_to_rdf` turns the NetworkX graph of `kg.graph.build_graph` into an
rdflib graph, and `graph_to_dataset` into an rdflib dataset with one named
graph per paper. `write_rdf` writes either in one of `RDF_FORMATS` (Turtle,
N-Triples, JSON-LD, TriG, N-Quads), byte-identical for the same input, and
checks the file with pyoxigraph, a second, independent parser.

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
Authorship edges are the exception: ``<paper> dcterms:creator <author>``
comes with a ``prov:Attribution`` that gives the author's position in the
list instead of a statement.
TriG and N-Quads add named graphs on top: the direct triples, statements and
results that come from one paper go into that paper's graph, and everything
else (papers, entities, concepts, links, aliases) into the default graph.
The ontology (``ontology/kg.ttl``), its SHACL shapes (``ontology/shapes.ttl``)
and ``docs/rdf.md`` describe every term.

Text from the corpus never becomes part of an IRI: `mint_iri` percent-encodes
paper ids, turns entity keys into slugs or hashes, and hashes URLs. URLs are
kept as ``schema:url`` literals instead.
"""

from __future__ import annotations

import datetime
import functools
import hashlib
import itertools
import json
import logging
import re
from collections.abc import Container, Iterable, Iterator, Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal as TypingLiteral, NamedTuple
from urllib.parse import quote, urlsplit

import networkx as nx
import pyoxigraph
from rdflib import Dataset, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, PROV, RDF, RDFS, SDO, SKOS, XSD, DefinedNamespace

from kg.compact import CompactGraph
from kg.errors import ConfigError, InputError, KgError
from kg.graph import AUTHOR_TYPE, AUTHORED_BY, EVALUATED_ON, HAS_CODE, LINK_TYPE, LINKS_TO, MENTIONS, PAPER_TYPE, PROPOSES
from kg.io import atomic_write
from kg.language import normalize_language_tag
from kg.model import EntityType, LinkKind
from kg.readers.fields import normalize_arxiv_id, normalize_doi
from kg.resolve import entity_key

__all__ = [
    "ARXIV_ABS_IRI",
    "BIBO",
    "DEFAULT_BASE_IRI",
    "DOI_IRI",
    "KG",
    "KG_NAMESPACE",
    "MAX_SEGMENT_LENGTH",
    "ONTOLOGY_DIR",
    "RDF_FORMATS",
    "RDF_MEDIA_TYPES",
    "SKOSXL",
    "IriKind",
    "TermQuads",
    "canonical_decimal",
    "check_rdf_formats",
    "clean_literal",
    "count_evaluations",
    "count_triples_with_oxigraph",
    "evaluation_counts",
    "evaluation_summary_iri",
    "graph_to_dataset",
    "graph_to_rdf",
    "is_valid_iri",
    "iter_quads",
    "jsonld_context",
    "match_keys",
    "mint_iri",
    "paper_counts",
    "serialize_rdf",
    "validate_base_iri",
    "write_rdf",
    "write_turtle",
]

logger = logging.getLogger(__name__)

KG_NAMESPACE = "https://w3id.org/kg-papers/ontology#"
DEFAULT_BASE_IRI = "https://w3id.org/kg-papers/id/"

# Hex digits of SHA-1 kept in hashed IRIs: 64 bits. By the birthday bound
# (n**2 / 2**65), 10 million hashed IRIs of one kind collide with an estimated
# chance of 3 in a million, and 100 million with about 3 in 10,000.
HASH_LENGTH = 16

# Maximum length of a readable path segment of a minted IRI. Longer ids and
# keys are hashed, because Virtuoso 7.2 (Debian's virtuoso-opensource-7)
# cuts IRIs longer than about 1,880 characters and appends a hash, and
# percent-encoding can make a segment nine times longer than its text.
MAX_SEGMENT_LENGTH = 200

IriKind = TypingLiteral[
    "paper", "entity", "link", "statement", "concept", "result", "alias", "graph", "author", "attribution", "evaluation"
]
_IRI_KINDS: tuple[str, ...] = (
    "paper", "entity", "link", "statement", "concept", "result", "alias", "graph", "author", "attribution", "evaluation",
)  # fmt: skip

# The folder of the ontology, its SHACL shapes and the JSON-LD context.
# NOTE: it sits beside the package, so only source checkouts and editable
# installs (pip install -e .) have it. A wheel does not ship it yet.
ONTOLOGY_DIR = Path(__file__).resolve().parent.parent / "ontology"
CONTEXT_FILE = "context.jsonld"

SKOSXL = Namespace("http://www.w3.org/2008/05/skos-xl#")
# The Bibliographic Ontology, for bibo:doi.
BIBO = Namespace("http://purl.org/ontology/bibo/")

# Resolvable IRIs of a paper's arXiv id and DOI, stated with schema:sameAs.
ARXIV_ABS_IRI = "https://arxiv.org/abs/"
DOI_IRI = "https://doi.org/"
# Characters kept as they are in the path of a DOI IRI, besides letters,
# digits and "-._~". Everything else, including the "();<>" of old DOIs, is
# percent-encoded, which doi.org decodes.
_DOI_PATH_SAFE = "/:"

# Format name -> file suffix of every RDF serialization that kg writes.
RDF_FORMATS: dict[str, str] = {
    "turtle": ".ttl",
    "ntriples": ".nt",
    "jsonld": ".jsonld",
    "trig": ".trig",
    "nquads": ".nq",
}

# Format name -> IANA media type, for DCAT distributions.
RDF_MEDIA_TYPES: dict[str, str] = {
    "turtle": "text/turtle",
    "ntriples": "application/n-triples",
    "jsonld": "application/ld+json",
    "trig": "application/trig",
    "nquads": "application/n-quads",
}


def check_rdf_formats(names: Iterable[str]) -> None:
    """Raise ConfigError if a name in `names` is not a key of `RDF_FORMATS`.

    The message lists every unknown name and the valid ones.
    """
    unknown = [name for name in names if name not in RDF_FORMATS]
    if not unknown:
        return
    plural = "s" if len(unknown) > 1 else ""
    listed = ", ".join(repr(name) for name in unknown)
    raise ConfigError(f"Unknown RDF format{plural} {listed}; expected one of {', '.join(RDF_FORMATS)}.")


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
    Alias: URIRef  # One other name of an entity, with the reason for the merge.
    EvaluationSummary: URIRef  # The papers that report one method or model on one dataset, counted.

    # Object properties
    mentions: URIRef  # The paper names the entity.
    proposes: URIRef  # The paper introduces the entity.
    evaluatedOn: URIRef  # The subject reports results on the object.
    hasCode: URIRef  # The code repository belongs to the subject.
    linksTo: URIRef  # The paper gives the URL of a non-code link.
    uses: URIRef  # The subject applies the object.
    builtOn: URIRef  # The subject extends the object.
    comparedWith: URIRef  # The paper compares the subject with the object.
    outperforms: URIRef  # The subject does better than the object.
    addresses: URIRef  # The subject is applied to the object (a task).
    isA: URIRef  # The entity is a kind of the concept.
    variantOf: URIRef  # The entity belongs to the object's family.
    hasResult: URIRef  # The paper or entity reports the result.
    onDataset: URIRef  # The benchmark of a result.
    hasMetric: URIRef  # The metric of a result.
    hasAlias: URIRef  # One other name of the entity.
    replaces: URIRef  # An entity IRI of an earlier build that merged into the subject.
    subject: URIRef  # Subject of the triple that a statement supports.
    predicate: URIRef  # Property of the triple that a statement supports.
    object: URIRef  # Object of the triple that a statement supports.
    method: URIRef  # The method or model of an evaluation summary.
    dataset: URIRef  # The dataset or benchmark of an evaluation summary.

    # Datatype properties
    field: URIRef  # "title" or "abstract".
    startOffset: URIRef  # 0-based start of the evidence in its field.
    endOffset: URIRef  # End-exclusive end of the evidence in its field.
    evidenceText: URIRef  # The evidence span's text.
    sentence: URIRef  # The sentence around the evidence.
    mentionCount: URIRef  # How often the paper states the relation.
    key: URIRef  # Normalised merge key of an entity.
    matchKey: URIRef  # Normalised form of one label of an entity, for name lookups.
    paperCount: URIRef  # Distinct papers that mention or propose an entity, or that an evaluation summary counts.
    linkKind: URIRef  # A `kg.model.LinkKind` value.
    authorName: URIRef  # One author's name.
    sourceFile: URIRef  # The input file of a paper record.
    recordNumber: URIRef  # 1-based position of the record in its file.
    value: URIRef  # The number of a result (xsd:decimal).
    unit: URIRef  # "percent", "points" or "x".
    spread: URIRef  # The plus-minus number of a result (xsd:decimal).
    mergeReason: URIRef  # The reason for merging an alias into its entity.
    Author: URIRef  # A person listed as an author of a paper.
    authorPosition: URIRef  # 1-based place of an author in a paper's author list.
    arxivId: URIRef  # arXiv identifier of a paper, without version.
    arxivCategory: URIRef  # One arXiv category of a paper.


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

CONCEPT_TYPE = "concept"
RESULT_TYPE = "result"

# Edge type -> property. The string keys equal the constants USES, BUILT_ON,
# ..., HAS_METRIC of kg.graph, which name the relation types of kg.model.
_EDGE_PROPERTIES: dict[str, URIRef] = {
    PROPOSES: KG.proposes,
    MENTIONS: KG.mentions,
    EVALUATED_ON: KG.evaluatedOn,
    HAS_CODE: KG.hasCode,
    LINKS_TO: KG.linksTo,
    "uses": KG.uses,
    "built_on": KG.builtOn,
    "compared_with": KG.comparedWith,
    "outperforms": KG.outperforms,
    "addresses": KG.addresses,
    "is_a": KG.isA,
    "variant_of": KG.variantOf,
    "has_result": KG.hasResult,
    "on_dataset": KG.onDataset,
    "has_metric": KG.hasMetric,
}

# Values of `merge_reasons[i]["reason"]` on entity nodes.
MERGE_REASONS: tuple[str, ...] = ("variant", "abbreviation", "vocabulary", "title")

_PREFIXES: dict[str, str] = {
    "bibo": str(BIBO),
    "dcterms": str(DCTERMS),
    "kg": KG_NAMESPACE,
    "prov": str(PROV),
    "rdf": str(RDF),
    "rdfs": str(RDFS),
    "schema": str(SDO),
    "skos": str(SKOS),
    "skosxl": str(SKOSXL),
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

# The lexical space of xsd:decimal (XML Schema 1.1 Part 2, section 3.3.3):
# ASCII digits with an optional sign and point, no exponent.
_DECIMAL = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")

# A result node id: "result:<paper id>:<1-based number>".
_RESULT_ID = re.compile(r"(.*):([0-9]+)", re.DOTALL)


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


def canonical_decimal(text: str) -> str | None:
    """Return the canonical xsd:decimal form of `text`, or None if it is not a decimal.

    The canonical form (XML Schema 1.0 Part 2, section 3.2.3.2) has no "+",
    no leading or trailing zeros, and at least one digit on each side of the
    point. Every serializer then writes the same lexical form, so exports in
    different formats contain equal literals.

    Examples
    --------
    >>> canonical_decimal("94.10"), canonical_decimal("-3"), canonical_decimal(".5")
    ('94.1', '-3.0', '0.5')
    >>> canonical_decimal("1e5") is None
    True
    """
    text = text.strip()
    if not _DECIMAL.fullmatch(text):
        return None
    number = Decimal(text)
    if number.is_zero():
        return "0.0"
    digits = format(number, "f")
    if "." in digits:
        digits = digits.rstrip("0")
    if digits.endswith("."):
        return digits + "0"
    if "." not in digits:
        return digits + ".0"
    return digits


def _sha1(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8", "surrogatepass")).hexdigest()[:HASH_LENGTH]


def _paper_segment(paper_id: str) -> str:
    # Percent-encoding is one-to-one, so distinct ids get distinct segments.
    # Encoded ids that could read as a path step ("", ".", "..") or that
    # start with "_" go to the hashed form, whose "_" prefix no other
    # encoded id keeps, so the two forms never meet. So do long ids.
    encoded = quote(paper_id, safe="", errors="surrogatepass")
    if (encoded[:1].isalnum() or encoded.startswith("%")) and len(encoded) <= MAX_SEGMENT_LENGTH:
        return encoded
    return f"_{_sha1(paper_id)}"


def _entity_segment(key: str) -> str:
    # Slugs contain only [a-z0-9.-] and the hashed form starts with "_", so
    # the two forms never collide.
    if len(key) <= MAX_SEGMENT_LENGTH and _SLUG_KEY.fullmatch(key):
        return key.replace(" ", "-")
    return f"_{_sha1(key)}"


def _result_segment(value: str) -> str:
    # "<paper id>:<n>" -> "<paper segment>/<n>". Paper segments never
    # contain "/", so the split is unambiguous; any other value is hashed.
    match = _RESULT_ID.fullmatch(value)
    if match is None:
        return f"_{_sha1(value)}"
    return f"{_paper_segment(match[1])}/{match[2]}"


def mint_iri(kind: IriKind, value: str, *, base_iri: str = DEFAULT_BASE_IRI) -> URIRef:
    """Mint the IRI of a paper, entity, link, statement, concept, result, alias or named graph.

    This is the only place where kg builds data IRIs.

    Parameters
    ----------
    kind : {"paper", "entity", "link", "statement", "concept", "result", "alias", "graph", "author", "attribution", "evaluation"}
        What the IRI names.
    value : str
        What identifies the thing, by `kind`:

        * "paper": the paper id. "graph": the id of the paper whose claims
          the named graph contains.
        * "entity", "concept": the entity or concept key.
        * "link": the URL.
        * "result": ``"<paper id>:<n>"``.
        * "author": the author key (`kg.graph.author_key`).
        * "attribution": ``"<paper id>:<author position>"``.
        * "statement", "alias", "evaluation": any string that identifies it.
          kg passes its parts as a JSON array.
    base_iri : str
        Namespace of the minted IRIs; checked by `validate_base_iri`.

    Returns
    -------
    rdflib.URIRef
        ``{base}paper/{percent-encoded id}``, ``{base}entity/{slug}`` (or
        ``entity/_{hash}`` for keys that are not plain ASCII words),
        where an id or key longer than `MAX_SEGMENT_LENGTH` is hashed too,
        ``{base}concept/{slug}`` likewise, ``{base}result/{paper}/{n}``,
        ``{base}attribution/{paper}/{n}``,
        ``{base}graph/{paper}``, and ``{base}link/{hash}``,
        ``{base}statement/{hash}``, ``{base}alias/{hash}`` and
        ``{base}evaluation/{hash}``, where hash is
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
    if kind not in _IRI_KINDS:
        raise ConfigError(f"Unknown IRI kind {kind!r}; expected one of {', '.join(_IRI_KINDS)}.")
    return URIRef(_mint(kind, value, base_iri=base_iri))


# Kinds whose segment is a SHA-1 prefix: hex digits after a valid base IRI
# always give a valid IRI, so `_mint` skips the check for them.
_HASHED_KINDS = frozenset({"link", "statement", "alias", "author", "evaluation"})

# Readable IRIs cached by `_mint_readable`: a paper's IRI is minted again for
# the provenance and named graph of each of its edges, and edges come grouped
# by paper, so a small cache catches nearly all repeats.
_READABLE_IRI_CACHE_SIZE = 4096


def _mint(kind: str, value: str, *, base_iri: str) -> str:
    """Return the IRI text of `mint_iri`, for a known `kind` and a `base_iri` that the caller validated."""
    if kind in _HASHED_KINDS:
        return f"{base_iri}{kind}/{_sha1(value)}"
    return _mint_readable(kind, value, base_iri)


@functools.lru_cache(maxsize=_READABLE_IRI_CACHE_SIZE)
def _mint_readable(kind: str, value: str, base_iri: str) -> str:
    if kind in ("paper", "graph"):
        segment = _paper_segment(value)
    elif kind in ("entity", "concept"):
        segment = _entity_segment(value)
    else:
        segment = _result_segment(value)
    iri = f"{base_iri}{kind}/{segment}"
    # The segments above use only unreserved characters and percent escapes,
    # so this check can fail only through a bug in the segment functions.
    if not is_valid_iri(iri):
        raise KgError(f"Minted an invalid IRI {iri!r} for {kind} {value!r}; please report this as a bug.")
    return iri


class _Literal(NamedTuple):
    """An RDF literal as the exporters build it, before it becomes an rdflib term or N-Triples text.

    A lexical form with at most one of a language tag and a datatype IRI.
    IRIs are plain `str` (or rdflib `URIRef`) beside it.
    """

    lexical: str
    language: str | None = None
    datatype: str | None = None


_XSD_INTEGER = str(XSD.integer)


def _text(value: Any) -> str:
    return clean_literal("" if value is None else str(value))


def _url_literal(url: str) -> _Literal:
    # xsd:anyURI only for real IRIs, so that consumers that check datatypes
    # accept the file; anything else (spaces, "<", relative paths) stays a
    # plain string.
    url = _text(url)
    if is_valid_iri(url):
        return _Literal(url, None, XSD.anyURI)
    return _Literal(url)


# A year or a year and month, which BibTeX and Semantic Scholar give when no day is known.
_YEAR = re.compile(r"[0-9]{4}")
_YEAR_MONTH = re.compile(r"[0-9]{4}-(?:0[1-9]|1[0-2])")


def _date_literal(date: str) -> _Literal:
    date = _text(date)
    if _YEAR.fullmatch(date):
        return _Literal(date, None, XSD.gYear)
    if _YEAR_MONTH.fullmatch(date):
        return _Literal(date, None, XSD.gYearMonth)
    try:
        datetime.date.fromisoformat(date)
    except ValueError:
        return _Literal(date)
    if len(date) != len("2025-09-11"):
        # fromisoformat also reads "20250911"; xsd:date needs the dashes.
        return _Literal(date)
    return _Literal(date, None, XSD.date)


def _integer(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _integer_literal(number: int) -> _Literal:
    # The lexical form that rdflib's Literal(int) has.
    return _Literal(str(number), None, _XSD_INTEGER)


def _decimal_literal(value: Any, *, node: str, name: str) -> _Literal:
    text = _text(value)
    canonical = canonical_decimal(text)
    if canonical is None:
        # Exported as a plain string so that no value is lost. The SHACL shapes
        # (ontology/shapes.ttl) require xsd:decimal, so `kg validate` reports it.
        logger.warning("Node %r has %s %r, which is not a decimal number; exported as a plain string", node, name, text)
        return _Literal(text)
    return _Literal(canonical, None, XSD.decimal)


def _language(node: str, data: Mapping[str, Any]) -> str | None:
    tag = _text(data.get("language", "")).strip()
    if not tag:
        return None
    try:
        return normalize_language_tag(tag)
    except ValueError as err:
        logger.warning("Paper %r: %s; its title and abstract are exported without a language tag", node, err)
        return None


def _list(value: Any) -> list[Any]:
    # GraphML files of other tools may keep list attributes as JSON text.
    if isinstance(value, str):
        try:
            value = json.loads(value) if value else []
        except json.JSONDecodeError:
            return [value]
    if isinstance(value, (list, tuple)):
        return list(value)
    return [] if value is None else [value]


_NODE_TYPES: tuple[str, ...] = (PAPER_TYPE, LINK_TYPE, CONCEPT_TYPE, RESULT_TYPE, AUTHOR_TYPE, *map(str, EntityType))


def _node_type(node: str, data: Mapping[str, Any]) -> str:
    node_type = data.get("type")
    if node_type in _NODE_TYPES:
        return str(node_type)
    raise KgError(
        f"Node {node!r} has type {node_type!r}; expected one of {', '.join(_NODE_TYPES)}. "
        "Build the graph with kg.graph.build_graph or read it with kg.graph.read_graphml."
    )


def _node_iri(node: str, node_type: str, data: Mapping[str, Any], base_iri: str) -> str:
    if node_type == PAPER_TYPE:
        return _mint("paper", str(data.get("paper_id", node.removeprefix("paper:"))), base_iri=base_iri)
    if node_type == LINK_TYPE:
        return _mint("link", str(data.get("url", node.removeprefix("link:"))), base_iri=base_iri)
    if node_type == CONCEPT_TYPE:
        return _mint("concept", str(data.get("key", node.removeprefix("concept:"))), base_iri=base_iri)
    if node_type == RESULT_TYPE:
        return _mint("result", node.removeprefix("result:"), base_iri=base_iri)
    if node_type == AUTHOR_TYPE:
        return _mint("author", str(data.get("key", node.removeprefix("author:"))), base_iri=base_iri)
    return _mint("entity", str(data.get("key", node.removeprefix("entity:"))), base_iri=base_iri)


Triple = tuple[URIRef, URIRef, Any]
Quad = tuple[URIRef, URIRef, Any, "URIRef | None"]


class _CachedNamespace:
    """A namespace whose terms are looked up once and then read as plain attributes.

    rdflib resolves ``KG.Paper`` or ``RDF.type`` through a ``__getattr__`` on
    every access, which cost about a tenth of the export time.
    """

    def __init__(self, namespace: Any) -> None:
        self._namespace = namespace

    def __getattr__(self, name: str) -> URIRef:
        # Called only when `name` is not yet an attribute of the instance.
        term = getattr(self._namespace, name)
        setattr(self, name, term)
        return term


_KG, _RDF, _RDFS, _DCTERMS, _PROV, _SDO, _SKOS, _SKOSXL, _BIBO = (
    _CachedNamespace(namespace) for namespace in (KG, RDF, RDFS, DCTERMS, PROV, SDO, SKOS, SKOSXL, BIBO)
)


class _QuadSink:
    """Collect triples of `TermQuads` terms, each with the named graph that is current when it is added."""

    def __init__(self) -> None:
        self.quads: list[Any] = []
        self.context: str | None = None

    def add(self, triple: Triple) -> None:
        self.quads.append((*triple, self.context))


def _add_paper(rdf: _QuadSink, iri: URIRef, node: str, data: Mapping[str, Any]) -> None:
    language = _language(node, data)
    rdf.add((iri, _RDF.type, _KG.Paper))
    rdf.add((iri, _DCTERMS.identifier, _Literal(_text(data.get("paper_id", "")))))
    rdf.add((iri, _DCTERMS.title, _Literal(_text(data.get("title", "")), language)))
    if data.get("abstract"):
        rdf.add((iri, _DCTERMS.abstract, _Literal(_text(data["abstract"]), language)))
    if data.get("url"):
        rdf.add((iri, _SDO.url, _url_literal(data["url"])))
    if data.get("date"):
        rdf.add((iri, _DCTERMS.issued, _date_literal(data["date"])))
    for author in _list(data.get("authors")):
        rdf.add((iri, _KG.authorName, _Literal(_text(author))))
    _add_identifiers(rdf, iri, data)
    if data.get("source"):
        rdf.add((iri, _KG.sourceFile, _Literal(_text(data["source"]))))
    record = _integer(data.get("record"))
    if record is not None and record > 0:
        rdf.add((iri, _KG.recordNumber, _integer_literal(record)))


def _add_identifiers(rdf: _QuadSink, iri: URIRef, data: Mapping[str, Any]) -> None:
    """Add a paper's arXiv id, DOI and arXiv categories.

    Each identifier is a literal (kg:arxivId, bibo:doi) and, when it has the
    form of an arXiv id or a DOI, also the resolvable IRI of the paper
    (schema:sameAs). The IRI is built from the identifier percent-encoded,
    and dropped if it is still not a valid IRI, so odd values never change
    the shape of the data.
    """
    arxiv_id = _text(data.get("arxiv_id", "")).strip()
    if arxiv_id:
        rdf.add((iri, _KG.arxivId, _Literal(arxiv_id)))
        if normalize_arxiv_id(arxiv_id) == arxiv_id:
            rdf.add((iri, _SDO.sameAs, ARXIV_ABS_IRI + arxiv_id))
    doi = _text(data.get("doi", "")).strip()
    if doi:
        rdf.add((iri, _BIBO.doi, _Literal(doi)))
        doi_iri = DOI_IRI + quote(doi, safe=_DOI_PATH_SAFE)
        if normalize_doi(doi) == doi and is_valid_iri(doi_iri):
            rdf.add((iri, _SDO.sameAs, doi_iri))
    for category in _list(data.get("categories")):
        if _text(category).strip():
            rdf.add((iri, _KG.arxivCategory, _Literal(_text(category).strip())))


def _add_author(rdf: _QuadSink, iri: URIRef, data: Mapping[str, Any]) -> None:
    rdf.add((iri, _RDF.type, _KG.Author))
    rdf.add((iri, _SDO.name, _Literal(_text(data.get("name", data.get("label", ""))))))
    rdf.add((iri, _DCTERMS.identifier, _Literal(_text(data.get("key", "")))))


def _add_authorship(rdf: _QuadSink, paper: URIRef, author: URIRef, data: Mapping[str, Any], base_iri: str) -> None:
    """Add ``paper dcterms:creator author`` and the qualified attribution that keeps the author's position.

    RDF values are unordered, so the order of the author list lives in a
    prov:Attribution per author with kg:authorPosition, the pattern that
    PROV-O uses to qualify prov:wasAttributedTo.
    """
    rdf.add((paper, _DCTERMS.creator, author))
    position = _integer(data.get("position"))
    if position is None or position < 1:
        logger.warning("Authorship %s -> %s has no valid position %r; exported without one", paper, author, data.get("position"))
        return
    attribution = _mint("attribution", f"{data.get('paper', '')}:{position}", base_iri=base_iri)
    rdf.add((paper, _PROV.qualifiedAttribution, attribution))
    rdf.add((attribution, _RDF.type, _PROV.Attribution))
    rdf.add((attribution, _PROV.agent, author))
    rdf.add((attribution, _KG.authorPosition, _integer_literal(position)))


def _add_aliases(rdf: _QuadSink, iri: URIRef, node: str, data: Mapping[str, Any], base_iri: str) -> None:
    key = _text(data.get("key", ""))
    for reason in _list(data.get("merge_reasons")):
        if not isinstance(reason, Mapping) or not reason.get("form"):
            logger.warning("Entity %r has a merge reason %r without a 'form'; it is not exported", node, reason)
            continue
        form = _text(reason["form"])
        merge_reason = _text(reason.get("reason", ""))
        paper = _text(reason.get("paper", ""))
        alias = _mint("alias", json.dumps([key, form, merge_reason, paper], ensure_ascii=False), base_iri=base_iri)
        rdf.add((iri, _KG.hasAlias, alias))
        rdf.add((alias, _RDF.type, _KG.Alias))
        rdf.add((alias, _SKOSXL.literalForm, _Literal(form)))
        if merge_reason:
            rdf.add((alias, _KG.mergeReason, _Literal(merge_reason)))
        if paper:
            rdf.add((alias, _PROV.wasDerivedFrom, _mint("paper", paper, base_iri=base_iri)))


def match_keys(labels: Iterable[str]) -> list[str]:
    """Return the distinct `kg.resolve.entity_key` values of `labels`, sorted, without the empty key.

    They are the ``kg:matchKey`` values of an entity, which saved queries
    compare with the `entity_key` of a name parameter.

    Examples
    --------
    >>> match_keys(["GPT-4", "GPT4", "LLMs", "LLM"])
    ['gpt4', 'llm']
    """
    return sorted({key for key in map(entity_key, labels) if key})


def paper_counts(graph: nx.MultiDiGraph) -> dict[str, int]:
    """Return, for each node with an in-edge, the distinct sources of its ``mentions`` and ``proposes`` edges.

    This is the ``kg:paperCount`` of an entity: the value that
    ``COUNT(DISTINCT ?paper)`` over ``?paper kg:mentions|kg:proposes ?entity``
    returns on the exported graph.
    """
    sources: dict[str, set[str]] = {}
    for source, target, key, data in graph.edges(keys=True, data=True):
        if data.get("type", key) in (MENTIONS, PROPOSES):
            sources.setdefault(target, set()).add(source)
    return {node: len(papers) for node, papers in sources.items()}


def count_evaluations(
    edges: Iterable[tuple[str, str, str]], *, methods: Container[str], datasets: Container[str]
) -> dict[tuple[str, str], int]:
    """Count, for each (method, dataset) pair, the distinct papers that report the method on the dataset.

    A paper counts for the pair when it has an ``evaluated_on`` edge to the
    dataset and proposes the method. It also counts when it mentions the
    method and the method itself has an ``evaluated_on`` edge to the
    dataset, because some abstract states that this method was evaluated
    there. This is the ``COUNT(DISTINCT ?paper)`` that the saved query
    ``methods-on-benchmark`` computed before it read `KG.EvaluationSummary`
    nodes.

    Parameters
    ----------
    edges : iterable of (str, str, str)
        ``(source, edge type, target)`` for every edge, with the edge types
        of `kg.graph` (``"proposes"``, ``"mentions"``, ``"evaluated_on"``);
        other types are ignored. Any hashable node names work: node ids of
        the NetworkX graph, or IRIs.
    methods : container of str
        The nodes that are methods or models. Only edges to them count.
    datasets : container of str
        The nodes that ``evaluated_on`` edges may point to, which are the
        nodes with a preferred label.

    Returns
    -------
    dict of (str, str) to int
        ``(method, dataset)`` to the number of papers, for pairs with at
        least one paper.

    Examples
    --------
    >>> edges = [("p1", "evaluated_on", "gsm8k"), ("p1", "proposes", "grpo"), ("p2", "evaluated_on", "gsm8k"),
    ...          ("p2", "mentions", "grpo"), ("p2", "mentions", "ppo")]
    >>> count_evaluations(edges, methods={"grpo", "ppo"}, datasets={"gsm8k"})
    {('grpo', 'gsm8k'): 1}
    """
    proposed: dict[str, set[str]] = {}
    named: dict[str, set[str]] = {}
    evaluated: dict[str, set[str]] = {}
    for source, edge_type, target in edges:
        if edge_type == EVALUATED_ON and target in datasets:
            evaluated.setdefault(source, set()).add(target)
        elif edge_type in (PROPOSES, MENTIONS) and target in methods:
            named.setdefault(source, set()).add(target)
            if edge_type == PROPOSES:
                proposed.setdefault(source, set()).add(target)

    papers: dict[tuple[str, str], set[str]] = {}
    for paper, paper_datasets in evaluated.items():
        for method in named.get(paper, ()):
            is_proposed = method in proposed.get(paper, ())
            method_datasets = evaluated.get(method, set())
            for dataset in paper_datasets:
                if is_proposed or dataset in method_datasets:
                    papers.setdefault((method, dataset), set()).add(paper)
    return {pair: len(sources) for pair, sources in papers.items()}


_METHOD_TYPES = frozenset({EntityType.METHOD, EntityType.MODEL})
# Node types that the export gives a skos:prefLabel.
_LABELLED_TYPES = frozenset({*map(str, EntityType), CONCEPT_TYPE})


def evaluation_counts(graph: nx.MultiDiGraph) -> dict[tuple[str, str], int]:
    """Return `count_evaluations` over the node ids of a kg graph.

    These are the ``kg:paperCount`` values of the `KG.EvaluationSummary`
    nodes of the export, keyed by (method node, dataset node).
    """
    methods = {node for node, node_type in graph.nodes(data="type") if node_type in _METHOD_TYPES}
    datasets = {node for node, node_type in graph.nodes(data="type") if node_type in _LABELLED_TYPES}
    edges = ((source, data.get("type", key), target) for source, target, key, data in graph.edges(keys=True, data=True))
    return count_evaluations(edges, methods=methods, datasets=datasets)


def evaluation_summary_iri(method: str, dataset: str, *, base_iri: str = DEFAULT_BASE_IRI) -> URIRef:
    """Mint the IRI of the `KG.EvaluationSummary` of a method IRI and a dataset IRI.

    The IRI hashes the two entity IRIs, so it is the same in every build,
    and `kg.store.GraphStore` can mint it for a pair that only a merge of
    builds brings together.
    """
    validate_base_iri(base_iri)
    return URIRef(_mint("evaluation", json.dumps([str(method), str(dataset)]), base_iri=base_iri))


def _add_evaluation_summaries(
    rdf: _QuadSink, counts: Mapping[tuple[str, str], int], iris: Mapping[str, URIRef], base_iri: str
) -> None:
    pairs = sorted((str(iris[method]), str(iris[dataset]), count) for (method, dataset), count in counts.items())
    for method, dataset, count in pairs:
        summary = _mint("evaluation", json.dumps([method, dataset]), base_iri=base_iri)
        rdf.add((summary, _RDF.type, _KG.EvaluationSummary))
        rdf.add((summary, _KG.method, method))
        rdf.add((summary, _KG.dataset, dataset))
        rdf.add((summary, _KG.paperCount, _integer_literal(count)))


def _add_entity(
    rdf: _QuadSink, iri: URIRef, node: str, data: Mapping[str, Any], base_iri: str, *, paper_count: int
) -> None:
    # Both the subclass and kg:Entity are stated, so `?e a kg:Entity` works
    # without a reasoner.
    rdf.add((iri, _RDF.type, _KG.Entity))
    rdf.add((iri, _RDF.type, _ENTITY_CLASSES[data["type"]]))
    rdf.add((iri, _SKOS.prefLabel, _Literal(_text(data.get("name", data.get("label", ""))))))
    aliases = [_text(alias) for alias in _list(data.get("aliases"))]
    for alias in aliases:
        rdf.add((iri, _SKOS.altLabel, _Literal(alias)))
    rdf.add((iri, _KG.key, _Literal(_text(data.get("key", "")))))
    for key in match_keys([_text(data.get("name", data.get("label", ""))), *aliases]):
        rdf.add((iri, _KG.matchKey, _Literal(key)))
    rdf.add((iri, _KG.paperCount, _integer_literal(paper_count)))
    for former_key in _list(data.get("former_keys")):
        rdf.add((iri, _KG.replaces, _mint("entity", _text(former_key), base_iri=base_iri)))
    _add_aliases(rdf, iri, node, data, base_iri)


def _add_concept(rdf: _QuadSink, iri: URIRef, data: Mapping[str, Any]) -> None:
    rdf.add((iri, _RDF.type, _KG.Concept))
    rdf.add((iri, _SKOS.prefLabel, _Literal(_text(data.get("name", data.get("label", ""))))))
    rdf.add((iri, _KG.key, _Literal(_text(data.get("key", "")))))


def _add_link(rdf: _QuadSink, iri: URIRef, data: Mapping[str, Any]) -> None:
    kind = str(data.get("kind", LinkKind.PROJECT))
    rdf.add((iri, _RDF.type, _KG.Link))
    if kind in _LINK_CLASSES:
        rdf.add((iri, _RDF.type, _LINK_CLASSES[kind]))
    else:
        logger.warning("Link %r has unknown kind %r; it is exported as a plain kg:Link", data.get("url"), kind)
    rdf.add((iri, _SDO.url, _url_literal(data.get("url", ""))))
    rdf.add((iri, _KG.linkKind, _Literal(_text(kind))))


def _add_evidence(rdf: _QuadSink, subject: URIRef, data: Mapping[str, Any]) -> None:
    if data.get("field"):
        rdf.add((subject, _KG.field, _Literal(_text(data["field"]))))
    for name, term in (("start", _KG.startOffset), ("end", _KG.endOffset), ("count", _KG.mentionCount)):
        number = _integer(data.get(name))
        if number is not None:
            rdf.add((subject, term, _integer_literal(number)))
    if data.get("text"):
        rdf.add((subject, _KG.evidenceText, _Literal(_text(data["text"]))))
    if data.get("sentence"):
        rdf.add((subject, _KG.sentence, _Literal(_text(data["sentence"]))))


def _add_result(rdf: _QuadSink, iri: URIRef, node: str, data: Mapping[str, Any], base_iri: str) -> None:
    # The subject, metric and benchmark are edges (has_result, has_metric,
    # on_dataset), so they are exported with the edges, not here.
    rdf.add((iri, _RDF.type, _KG.Result))
    rdf.add((iri, _RDFS.label, _Literal(_text(data.get("label", "")))))
    rdf.add((iri, _KG.value, _decimal_literal(data.get("value", ""), node=node, name="value")))
    if data.get("unit"):
        rdf.add((iri, _KG.unit, _Literal(_text(data["unit"]))))
    if data.get("spread"):
        rdf.add((iri, _KG.spread, _decimal_literal(data["spread"], node=node, name="spread")))
    if data.get("paper") is not None:
        rdf.add((iri, _PROV.wasDerivedFrom, _mint("paper", str(data["paper"]), base_iri=base_iri)))
    _add_evidence(rdf, iri, {name: value for name, value in data.items() if name != "count"})


def _add_edge(
    rdf: _QuadSink,
    subject: URIRef,
    predicate: URIRef,
    target: URIRef,
    data: Mapping[str, Any],
    base_iri: str,
) -> None:
    rdf.add((subject, predicate, target))

    statement = _mint("statement", json.dumps([str(subject), str(predicate), str(target)]), base_iri=base_iri)
    rdf.add((statement, _RDF.type, _KG.Statement))
    rdf.add((statement, _KG.subject, subject))
    rdf.add((statement, _KG.predicate, predicate))
    rdf.add((statement, _KG.object, target))
    if data.get("paper") is not None:
        rdf.add((statement, _PROV.wasDerivedFrom, _mint("paper", str(data["paper"]), base_iri=base_iri)))
    _add_evidence(rdf, statement, data)


def _paper_graph(data: Mapping[str, Any], base_iri: str) -> str | None:
    paper = data.get("paper")
    return None if paper is None else _mint("graph", str(paper), base_iri=base_iri)


def iter_quads(graph: nx.MultiDiGraph, *, base_iri: str = DEFAULT_BASE_IRI) -> Iterator[Quad]:
    """Yield the RDF of `graph` node by node, then edge by edge, as (subject, predicate, object, graph name) quads.

    The graph name is the paper's named graph for claims, or None for the
    default graph. Each node's and each edge's quads are yielded without
    repeats. In a graph of `kg.graph.GraphBuilder`, whose edges are keyed by
    their type, no two nodes or edges give the same quad either. A graph read
    from another tool's GraphML can, so callers that need a set drop repeats
    (`list(dict.fromkeys(...))`, or the sorted merge of `kg.rdf_stream`).
    Memory stays flat except for one IRI per node.

    Raises
    ------
    ConfigError
        If `base_iri` is invalid.
    KgError
        If a node or edge has a type that kg does not export.
    """
    quads = TermQuads(graph, base_iri=base_iri)
    groups = itertools.chain(
        quads.node_groups(0, graph.number_of_nodes()),
        quads.edge_groups(0, graph.number_of_edges()),
        [quads.summaries()],
    )
    for group in groups:
        # A repeated author name or alias gives the same triple twice, and RDF keeps one.
        yield from dict.fromkeys(map(_rdflib_quad, group))


TermQuad = tuple[str, str, "str | _Literal", "str | None"]


def _rdflib_term(term: str | _Literal) -> URIRef | Literal:
    if type(term) is _Literal:
        datatype = None if term.datatype is None else URIRef(term.datatype)
        return Literal(term.lexical, lang=term.language, datatype=datatype)
    return term if isinstance(term, URIRef) else URIRef(term)


def _rdflib_quad(quad: TermQuad) -> Quad:
    subject, predicate, target, graph_name = quad
    return (
        _rdflib_term(subject),
        _rdflib_term(predicate),
        _rdflib_term(target),
        None if graph_name is None else _rdflib_term(graph_name),
    )


class TermQuads:
    """The quads of a kg graph as plain terms, for exporters that write text rather than rdflib terms.

    IRIs are `str` (rdflib's `URIRef` is one too) and literals are
    `_Literal` tuples. Building no rdflib term makes this several times
    faster than `iter_quads`, which converts these quads. The constructor
    mints the IRI of every node, so any range of nodes or edges can be
    converted on its own, for example in a forked worker process.

    Raises
    ------
    ConfigError
        If `base_iri` is invalid.
    KgError
        If a node or edge has a type that kg does not export. The
        constructor checks node types, and `edge_groups` checks edge types.
    """

    def __init__(self, graph: nx.MultiDiGraph, *, base_iri: str = DEFAULT_BASE_IRI) -> None:
        validate_base_iri(base_iri)
        self.graph = graph
        self.base_iri = base_iri
        # Every edge endpoint needs its IRI, whichever range converts the edge.
        self.iris: dict[str, str] = {}
        for node, data in graph.nodes(data=True):
            self.iris[node] = _node_iri(node, _node_type(node, data), data, base_iri)
        self.paper_counts = paper_counts(graph)

    def node_groups(self, start: int, stop: int) -> Iterator[list[TermQuad]]:
        """Yield the quads of the nodes from position `start` to `stop` (end-exclusive), one list per node."""
        base_iri = self.base_iri
        for node, data in itertools.islice(self.graph.nodes(data=True), start, stop):
            node_type = _node_type(node, data)
            iri = self.iris[node]
            sink = _QuadSink()
            if node_type == PAPER_TYPE:
                _add_paper(sink, iri, node, data)
            elif node_type == LINK_TYPE:
                _add_link(sink, iri, data)
            elif node_type == CONCEPT_TYPE:
                _add_concept(sink, iri, data)
            elif node_type == RESULT_TYPE:
                sink.context = _paper_graph(data, base_iri)
                _add_result(sink, iri, node, data, base_iri)
            elif node_type == AUTHOR_TYPE:
                _add_author(sink, iri, data)
            else:
                _add_entity(sink, iri, node, data, base_iri, paper_count=self.paper_counts.get(node, 0))
            yield sink.quads

    def edge_groups(self, start: int, stop: int) -> Iterator[list[TermQuad]]:
        """Yield the quads of the edges from position `start` to `stop` (end-exclusive), one list per edge."""
        base_iri, iris = self.base_iri, self.iris
        if isinstance(self.graph, CompactGraph):
            # The same edges, without building the attribute dicts of the edges before `start`.
            edges = self.graph.edge_range(start, stop)
        else:
            edges = itertools.islice(self.graph.edges(keys=True, data=True), start, stop)
        for source, target, key, data in edges:
            edge_type = data.get("type", key)
            sink = _QuadSink()
            if edge_type == AUTHORED_BY:
                # Authorship describes the paper, so it goes to the default graph.
                _add_authorship(sink, iris[source], iris[target], data, base_iri)
            else:
                predicate = _EDGE_PROPERTIES.get(edge_type)
                if predicate is None:
                    raise KgError(
                        f"Edge {source!r} -> {target!r} has type {edge_type!r}; "
                        f"expected one of {', '.join(_EDGE_PROPERTIES)}."
                    )
                sink.context = _paper_graph(data, base_iri)
                _add_edge(sink, iris[source], predicate, iris[target], data, base_iri)
            yield sink.quads

    def summaries(self) -> list[TermQuad]:
        """Return the quads of the evaluation summaries, which count papers across the whole graph."""
        # They go into the default graph.
        sink = _QuadSink()
        _add_evaluation_summaries(sink, evaluation_counts(self.graph), self.iris, self.base_iri)
        return sink.quads


def _collect_quads(graph: nx.MultiDiGraph, base_iri: str) -> list[Quad]:
    """Convert `graph` to quads: the named graph of each is its paper's, or None for the default graph."""
    # A graph read from another tool's GraphML may contain two edges that map
    # to one statement, so repeats are dropped and the written count stays exact.
    quads = list(dict.fromkeys(iter_quads(graph, base_iri=base_iri)))
    logger.debug(
        "Converted %d nodes and %d edges to %d triples", graph.number_of_nodes(), graph.number_of_edges(), len(quads)
    )
    return quads


def _bind_prefixes(rdf: Graph) -> None:
    for prefix, namespace in _PREFIXES.items():
        rdf.bind(prefix, Namespace(namespace))


def _triples_graph(quads: Iterable[Quad]) -> Graph:
    rdf = Graph(bind_namespaces="none")
    _bind_prefixes(rdf)
    for subject, predicate, target, _ in quads:
        rdf.add((subject, predicate, target))
    return rdf


def _dataset(quads: Iterable[Quad]) -> Dataset:
    dataset = Dataset()
    _bind_prefixes(dataset)
    for subject, predicate, target, context in quads:
        if context is None:
            dataset.add((subject, predicate, target))
        else:
            dataset.graph(context).add((subject, predicate, target))
    return dataset


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
        A new graph with the prefixes of `_PREFIXES` bound (dcterms, kg,
        prov, rdf, rdfs, schema, skos, skosxl, xsd). It has no blank nodes,
        so serializations sort stably.

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
    Optional values that are empty (abstract, url, date, source, sentence,
    unit, spread) produce no triple. Control characters other than tab and
    line breaks are removed from every literal (see `clean_literal`). Paper
    and link URLs are typed ``xsd:anyURI`` only when they are valid IRIs,
    result values ``xsd:decimal`` only when they are decimal numbers, and
    titles and abstracts get a language tag only when the paper's
    ``language`` attribute gives one.
    """
    return _triples_graph(_collect_quads(graph, base_iri))


def graph_to_dataset(graph: nx.MultiDiGraph, *, base_iri: str = DEFAULT_BASE_IRI) -> Dataset:
    """Convert a kg graph to an RDF dataset with one named graph per paper.

    The named graph ``{base}graph/{paper}`` contains the claims of that paper:
    the direct triple and `KG.Statement` of every edge whose ``paper``
    attribute is the paper, and the paper's results. The default graph contains
    the descriptions of papers, entities, concepts, links and aliases. The
    union of all graphs equals `graph_to_rdf` of the same graph.
    """
    return _dataset(_collect_quads(graph, base_iri))


@functools.cache
def jsonld_context() -> dict[str, Any]:
    """Return the JSON-LD context of kg's exports, read from ``ontology/context.jsonld``.

    Raises
    ------
    KgError
        If the file is missing or is not a JSON object with an ``@context``.
    """
    path = ONTOLOGY_DIR / CONTEXT_FILE
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as err:
        raise KgError(f"{path}: file not found; reinstall kg from a source checkout with 'pip install -e .'") from err
    except json.JSONDecodeError as err:
        raise KgError(f"{path}: invalid JSON ({err}); restore the file from the kg repository") from err
    if not isinstance(document, dict) or not isinstance(document.get("@context"), dict):
        raise KgError(f"{path}: expected a JSON object with an '@context' object; restore the file from the kg repository")
    return document["@context"]


def _sorted_lines(data: bytes) -> bytes:
    # One triple or quad per line, so sorting the lines sorts the statements.
    lines = sorted(line for line in data.splitlines() if line.strip())
    return b"".join(line + b"\n" for line in lines)


def _json_sort_key(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def _jsonld(rdf: Graph) -> bytes:
    context = jsonld_context()
    document = json.loads(rdf.serialize(format="json-ld", context=context, auto_compact=False))
    if isinstance(document, list):
        nodes = document
    else:
        document.pop("@context", None)
        nodes = document.pop("@graph", None) or ([document] if document else [])

    # RDF has no order, and kg writes no @list, so sorting nodes and values
    # changes nothing but makes the bytes independent of insertion order.
    for node in nodes:
        for name, value in node.items():
            if isinstance(value, list):
                node[name] = sorted(value, key=_json_sort_key)
    nodes.sort(key=lambda node: (str(node.get("@id", "")), _json_sort_key(node)))
    text = json.dumps({"@context": context, "@graph": nodes}, indent=2, sort_keys=True, ensure_ascii=False)
    return (text + "\n").encode("utf-8")


def _trig(quads: list[Quad]) -> bytes:
    # rdflib's TriG writer orders named graphs by hash, which changes between
    # processes. So this writes each graph as sorted Turtle, graphs sorted by name.
    groups: dict[URIRef | None, list[Quad]] = {}
    for quad in quads:
        groups.setdefault(quad[3], []).append(quad)

    blocks = []
    for context in sorted(groups, key=lambda name: "" if name is None else str(name)):
        text = _triples_graph(groups[context]).serialize(format="turtle")
        # rdflib writes the @prefix lines, a blank line, then the triples.
        # Prefixes stay outside the graph block, where TriG allows them.
        lines = text.splitlines(keepends=True)
        split = next(index for index, line in enumerate(lines) if not line.startswith("@prefix "))
        prefixes, body = "".join(lines[:split]), "".join(lines[split:]).strip("\n")
        name = "" if context is None else f"{context.n3()} "
        blocks.append(f"{prefixes}\n{name}{{\n{body}\n}}\n")
    return "\n".join(blocks).encode("utf-8")


def _serialize_quads(quads: list[Quad], rdf_format: str) -> bytes:
    if rdf_format == "turtle":
        return _triples_graph(quads).serialize(format="turtle", encoding="utf-8")
    if rdf_format == "ntriples":
        return _sorted_lines(_triples_graph(quads).serialize(format="nt11", encoding="utf-8"))
    if rdf_format == "jsonld":
        return _jsonld(_triples_graph(quads))
    if rdf_format == "trig":
        return _trig(quads)
    if rdf_format == "nquads":
        return _sorted_lines(_dataset(quads).serialize(format="nquads", encoding="utf-8"))
    check_rdf_formats([rdf_format])
    raise KgError(f"kg has no serializer for the RDF format {rdf_format!r}; please report this as a bug")


def serialize_rdf(graph: nx.MultiDiGraph, *, format: str, base_iri: str = DEFAULT_BASE_IRI) -> bytes:
    """Serialize a kg graph in one of `RDF_FORMATS` as UTF-8 bytes.

    The same graph gives the same bytes on every run and machine, whatever
    the order in which its nodes and edges were added. rdflib's Turtle
    writer sorts Turtle and TriG (graph by graph). N-Triples and N-Quads are
    sorted line by line, and JSON-LD node by node and value by value.

    Raises
    ------
    ConfigError
        If `format` is not in `RDF_FORMATS` or `base_iri` is invalid.
    KgError
        If a node or edge has a type that kg does not export.
    """
    check_rdf_formats([format])
    return _serialize_quads(_collect_quads(graph, base_iri), format)


_OXIGRAPH_FORMATS: dict[str, pyoxigraph.RdfFormat] = {
    ".ttl": pyoxigraph.RdfFormat.TURTLE,
    ".nt": pyoxigraph.RdfFormat.N_TRIPLES,
    ".jsonld": pyoxigraph.RdfFormat.JSON_LD,
    ".trig": pyoxigraph.RdfFormat.TRIG,
    ".nq": pyoxigraph.RdfFormat.N_QUADS,
}


def _count_bytes_with_oxigraph(data: bytes, rdf_format: str) -> int:
    return sum(1 for _ in pyoxigraph.parse(data, format=_OXIGRAPH_FORMATS[RDF_FORMATS[rdf_format]]))


def write_rdf(
    graph: nx.MultiDiGraph,
    path: str | Path,
    *,
    format: str,
    base_iri: str = DEFAULT_BASE_IRI,
) -> int:
    """Write a kg graph as RDF and return its number of triples.

    Parameters
    ----------
    graph : networkx.MultiDiGraph
        A graph from `kg.graph.build_graph` or `kg.graph.read_graphml`.
    path : path
        The output file; by convention ``graph`` plus the format's suffix
        from `RDF_FORMATS`. It is written to a temporary name and renamed,
        so a failure never leaves a partial file.
    format : {"turtle", "ntriples", "jsonld", "trig", "nquads"}
        The serialization. TriG and N-Quads put each paper's claims in a
        named graph (see `graph_to_dataset`). Their number of quads equals
        the number of triples of the other formats.
    base_iri : str
        Namespace of the minted IRIs.

    Returns
    -------
    int
        The number of triples (quads for TriG and N-Quads) written.

    Raises
    ------
    ConfigError
        If `format` or `base_iri` is invalid.
    KgError
        If a node or edge has a type that kg does not export, or pyoxigraph
        reads a different number of triples from the serialized bytes than
        rdflib wrote (a bug in one of the two).

    Examples
    --------
    >>> import tempfile
    >>> from kg.graph import build_graph
    >>> from kg.model import Paper, PaperExtraction
    >>> graph = build_graph([PaperExtraction(paper=Paper(id="p1", title="A title"))])
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     write_rdf(graph, Path(folder) / "graph.nt", format="ntriples")
    3
    """
    check_rdf_formats([format])
    quads = _collect_quads(graph, base_iri)
    data = _serialize_quads(quads, format)
    # A triple in two named graphs is two quads but one triple.
    count = len(quads) if format in ("trig", "nquads") else len({quad[:3] for quad in quads})
    reparsed = _count_bytes_with_oxigraph(data, format)
    if reparsed != count:
        raise KgError(
            f"{path}: rdflib wrote {count} triples as {format} but pyoxigraph reads {reparsed}; "
            "the export is inconsistent, please report this as a bug"
        )
    with atomic_write(path, "wb") as handle:
        handle.write(data)
    logger.info("Wrote %d triples to %s", count, path)
    return count


def write_turtle(rdf_graph: Graph, path: str | Path) -> int:
    """Write an rdflib graph as UTF-8 Turtle and return its number of triples.

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


def count_triples_with_oxigraph(path: str | Path) -> int:
    """Count the triples (or quads) of an RDF file with pyoxigraph's parser.

    pyoxigraph parses independently of rdflib, so agreeing counts show that
    the file is valid for other tools too.

    Raises
    ------
    InputError
        If the file is missing, its suffix is not one of `RDF_FORMATS`, or
        its content is not valid RDF in that format.
    """
    path = Path(path)
    rdf_format = _OXIGRAPH_FORMATS.get(path.suffix.lower())
    if rdf_format is None:
        expected = ", ".join(RDF_FORMATS.values())
        raise InputError(str(path), f"unsupported suffix {path.suffix!r}; expected one of {expected}")
    if not path.is_file():
        raise InputError(str(path), "file not found")
    try:
        # Relative IRIs (as in void.ttl) resolve against the file's own URI.
        return sum(1 for _ in pyoxigraph.parse(path=path, format=rdf_format, base_iri=path.resolve().as_uri()))
    except SyntaxError as err:
        raise InputError(str(path), f"invalid {rdf_format.name}: {err}") from err
