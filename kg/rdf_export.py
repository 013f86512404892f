"""RDF export of a finished build, as ``kg export`` runs it.

`export_rdf` reads a build's ``graph.graphml``, writes it in one of
`kg.rdf.RDF_FORMATS`, and writes ``void.ttl`` beside the output.
"""

from __future__ import annotations

import logging
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import networkx as nx

from kg.errors import ConfigError, InputError
from kg.graph import PAPER_TYPE, read_graphml
from kg.rdf import DEFAULT_BASE_IRI, RDF_FORMATS, graph_to_rdf, write_rdf
from kg.void import VOID_FILE, write_void

__all__ = ["export_rdf"]

logger = logging.getLogger(__name__)

GRAPHML_FILE = "graph.graphml"
RDF_STEM = "graph"


def _graphml_path(graph: Path) -> Path:
    path = graph / GRAPHML_FILE if graph.is_dir() else graph
    if path.suffix.lower() != ".graphml":
        raise InputError(str(path), "unsupported input; expected a build folder or a .graphml file")
    if not path.is_file():
        raise InputError(str(path), "file not found; give a build folder that contains graph.graphml, or a .graphml file")
    return path


def export_rdf(
    graph: str | Path,
    *,
    format: str,
    out_path: str | Path | None = None,
    base_iri: str = DEFAULT_BASE_IRI,
    license_iri: str | None = None,
) -> tuple[Path, int]:
    """Export a build folder or GraphML file as RDF, with ``void.ttl`` beside it.

    Parameters
    ----------
    graph : path
        A build folder (its ``graph.graphml`` is read) or a ``.graphml`` file.
    format : str
        A format name of `kg.rdf.RDF_FORMATS`.
    out_path : path, optional
        The output file; by default ``graph.<suffix>`` in the folder of the
        GraphML file. It is replaced if it exists.
    base_iri : str
        Namespace of the minted IRIs.
    license_iri : str, optional
        License IRI stated in ``void.ttl``.

    Returns
    -------
    (pathlib.Path, int)
        The output file and its number of triples.

    Notes
    -----
    ``void.ttl`` lists as dumps the output and every other file in its
    folder with the same name stem and an RDF suffix (``graph.ttl`` and
    ``graph.nt`` of one build folder, for example). It replaces an earlier
    ``void.ttl`` there.
    """
    graphml = _graphml_path(Path(graph))
    if format not in RDF_FORMATS:
        raise ConfigError(f"Unknown RDF format {format!r}; expected one of {', '.join(RDF_FORMATS)}.")
    out = Path(out_path) if out_path is not None else graphml.parent / (RDF_STEM + RDF_FORMATS[format])

    try:
        network = read_graphml(graphml)
    except (ElementTree.ParseError, nx.NetworkXError, ValueError, KeyError) as err:
        raise InputError(str(graphml), f"invalid kg GraphML file ({err}); rebuild it with kg build") from err
    count = write_rdf(network, out, format=format, base_iri=base_iri)

    # NOTE: a file with the same stem is assumed to contain the same graph,
    # because kg does not re-read it to check.
    dumps = {format: out}
    for other_format, suffix in RDF_FORMATS.items():
        sibling = out.with_suffix(suffix)
        if other_format != format and sibling.is_file():
            dumps[other_format] = sibling
    sources = sorted({
        Path(str(data["source"])).name
        for _, data in network.nodes(data=True)
        if data.get("type") == PAPER_TYPE and data.get("source")
    })
    write_void(
        out.parent / VOID_FILE,
        graph_to_rdf(network, base_iri=base_iri),
        dumps,
        sources=sources,
        license_iri=license_iri,
        base_iri=base_iri,
    )
    return out, count
