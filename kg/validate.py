"""SHACL validation of kg's RDF with pySHACL and the shapes in ``ontology/shapes.ttl``.

`validate_rdf` checks an rdflib graph. `load_rdf` reads what ``kg validate``
accepts as one graph: a build folder, a ``.graphml`` file, or an RDF file in
one of `kg.rdf.RDF_FORMATS`.

Examples
--------
>>> from kg.graph import build_graph
>>> from kg.model import Paper, PaperExtraction
>>> from kg.rdf import graph_to_rdf
>>> report = validate_rdf(graph_to_rdf(build_graph([PaperExtraction(paper=Paper(id="p1", title="A title"))])))
>>> report.conforms, report.violations
(True, ())
"""

from __future__ import annotations

import functools
import logging
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass
from pathlib import Path

import networkx as nx
from rdflib import BNode, Dataset, Graph, Node, URIRef
from rdflib.namespace import SH

from kg.errors import InputError, KgError
from kg.rdf import DEFAULT_BASE_IRI, ONTOLOGY_DIR, RDF_FORMATS, graph_to_rdf

__all__ = [
    "SHAPES_FILE",
    "ValidationReport",
    "Violation",
    "load_rdf",
    "load_shapes",
    "validate_rdf",
]

logger = logging.getLogger(__name__)

SHAPES_FILE = "shapes.ttl"
GRAPHML_FILE = "graph.graphml"

# rdflib parser name of each RDF suffix; TriG and N-Quads go into a dataset.
_RDFLIB_FORMATS: dict[str, str] = {
    ".ttl": "turtle",
    ".nt": "nt",
    ".jsonld": "json-ld",
    ".trig": "trig",
    ".nq": "nquads",
}


@dataclass(frozen=True, slots=True)
class Violation:
    """One SHACL validation result, with terms written in prefixed form where possible."""

    focus: str
    path: str
    message: str
    severity: str
    value: str = ""

    def line(self) -> str:
        """Return the result as one line for a terminal: focus node, path, message."""
        value = f" (value {self.value})" if self.value else ""
        return f"{self.severity}: {self.focus} {self.path or '-'}: {self.message}{value}"


@dataclass(frozen=True, slots=True)
class ValidationReport:
    """The outcome of `validate_rdf`: whether the data conforms, and every result sorted by focus node."""

    conforms: bool
    violations: tuple[Violation, ...]


@functools.cache
def load_shapes() -> Graph:
    """Read kg's SHACL shapes from ``ontology/shapes.ttl`` (once per process).

    Raises
    ------
    KgError
        If the file is missing.
    """
    path = ONTOLOGY_DIR / SHAPES_FILE
    if not path.is_file():
        raise KgError(f"{path}: file not found; reinstall kg from a source checkout with 'pip install -e .'")
    return Graph().parse(path, format="turtle")


def _term(results: Graph, data: Graph, node: Node | None) -> str:
    if node is None:
        return ""
    if isinstance(node, URIRef):
        return data.namespace_manager.normalizeUri(node)
    if isinstance(node, BNode):
        # A property path such as [ sh:inversePath kg:hasAlias ].
        inverse = results.value(node, SH.inversePath)
        if inverse is not None:
            return "^" + _term(results, data, inverse)
        return "_:path"
    return node.n3(data.namespace_manager)


def validate_rdf(rdf: Graph) -> ValidationReport:
    """Check `rdf` against kg's SHACL shapes with pySHACL.

    No inference runs: kg states every class explicitly, so the shapes hold
    on the data as exported.

    Returns
    -------
    ValidationReport
        ``conforms`` is False when any result has severity sh:Violation.
    """
    import pyshacl

    # advanced=True enables the SPARQL target of the dangling-statement shape.
    conforms, results, _ = pyshacl.validate(
        rdf, shacl_graph=load_shapes(), inference="none", advanced=True, allow_warnings=True
    )
    violations = []
    for result in results.subjects(SH.resultSeverity, None):
        severity = results.value(result, SH.resultSeverity)
        violations.append(
            Violation(
                focus=_term(results, rdf, results.value(result, SH.focusNode)),
                path=_term(results, rdf, results.value(result, SH.resultPath)),
                message=str(results.value(result, SH.resultMessage) or ""),
                severity=str(severity).removeprefix(str(SH)),
                value=_term(results, rdf, results.value(result, SH.value)),
            )
        )
    violations.sort(key=lambda v: (v.focus, v.path, v.message, v.value))
    logger.info("Validated %d triples: %d results", len(rdf), len(violations))
    return ValidationReport(conforms=bool(conforms), violations=tuple(violations))


def load_rdf(path: str | Path, *, base_iri: str = DEFAULT_BASE_IRI) -> Graph:
    """Read a build folder, a GraphML file or an RDF file as one rdflib graph.

    A build folder is read through its ``graph.graphml``, and so is a
    ``.graphml`` file: both are converted with `kg.rdf.graph_to_rdf` under
    `base_iri`. An RDF file is parsed by its suffix (see
    `kg.rdf.RDF_FORMATS`); the named graphs of TriG and N-Quads are merged.

    Raises
    ------
    InputError
        If the path is missing, has an unknown suffix, or does not parse.
    """
    from kg.graph import read_graphml

    path = Path(path)
    if path.is_dir():
        path = path / GRAPHML_FILE
    if not path.is_file():
        raise InputError(str(path), "file not found; give a build folder, a .graphml file or an RDF file")

    suffix = path.suffix.lower()
    if suffix == ".graphml":
        try:
            network = read_graphml(path)
        except (ElementTree.ParseError, nx.NetworkXError, ValueError, KeyError) as err:
            raise InputError(str(path), f"invalid kg GraphML file ({err}); rebuild it with kg build") from err
        return graph_to_rdf(network, base_iri=base_iri)
    rdflib_format = _RDFLIB_FORMATS.get(suffix)
    if rdflib_format is None:
        expected = ", ".join([".graphml", *RDF_FORMATS.values()])
        raise InputError(str(path), f"unsupported suffix {path.suffix!r}; expected one of {expected}")

    try:
        if rdflib_format in ("trig", "nquads"):
            dataset = Dataset()
            dataset.parse(path, format=rdflib_format)
            rdf = Graph()
            for prefix, namespace in dataset.namespaces():
                rdf.bind(prefix, namespace)
            for subject, predicate, target, _ in dataset.quads():
                rdf.add((subject, predicate, target))
            return rdf
        return Graph().parse(path, format=rdflib_format)
    except (SyntaxError, ValueError) as err:
        raise InputError(str(path), f"invalid {rdflib_format}: {err}") from err
