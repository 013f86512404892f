"""Streaming RDF export: sorted N-Triples chunks first, every other format from them.

`write_rdf_files` writes the RDF of a kg graph without an rdflib graph of the
whole build. The quads of `kg.rdf.iter_quads` become N-Triples (and, when a
format with named graphs is requested, N-Quads) lines, which are sorted in
chunks of `CHUNK_LINES` lines, spilled to temporary files and merged with
`heapq.merge`. The merge drops repeated lines, so the result is a set of
triples. The sorted N-Triples file is then

* ``graph.nt`` itself, byte-identical to `kg.rdf.write_rdf`'s N-Triples,
* the input of pyoxigraph's streaming Turtle writer for ``graph.ttl`` (one
  triple at a time, grouped by subject because the lines are sorted), and
* the file that `kg.store.GraphStore.load` bulk-loads into an empty store.

N-Quads are sorted the same way; TriG gets its own merge, ordered by graph
name, so that each named graph is written as one block. JSON-LD has no
streaming writer here and goes through `kg.rdf.write_rdf`, which keeps the
whole graph in memory.

Memory stays flat in the number of triples: one chunk of lines, one line per
chunk file during the merge, the IRI of every graph node (`iter_quads`), and
one 8-byte hash per distinct object for the VoID counts.
"""

from __future__ import annotations

import array
import heapq
import logging
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import networkx as nx
import numpy
import pyoxigraph
from rdflib import Literal, URIRef
from rdflib.namespace import RDF

from kg.errors import ConfigError, KgError
from kg.io import atomic_write
from kg.rdf import _PREFIXES, DEFAULT_BASE_IRI, KG, RDF_FORMATS, iter_quads, write_rdf
from kg.void import DatasetStatistics

__all__ = [
    "CHUNK_LINES",
    "STREAMED_FORMATS",
    "RdfFiles",
    "ntriples_line",
    "nquads_line",
    "write_rdf_files",
]

logger = logging.getLogger(__name__)

# Lines sorted in memory before a chunk is spilled to disk. The lines of a
# build of real abstracts average about 170 bytes (an abstract line reaches a
# few KB), so a chunk takes an estimated 40 to 50 MB of Python bytes objects.
CHUNK_LINES = 200_000

# Formats that `write_rdf_files` writes by streaming; the others go through
# `kg.rdf.write_rdf`.
STREAMED_FORMATS: frozenset[str] = frozenset({"turtle", "ntriples", "trig", "nquads"})

_RDF_TYPE = f"<{RDF.type}>".encode()
_ENTITY_CLASS = f"<{KG.Entity}>".encode()
_LINE_END = b" .\n"


def _literal_n3(literal: Literal) -> str:
    # The escaping of rdflib 7's N-Triples writer (rdflib.plugins.serializers.nt),
    # so the lines equal those of `Graph.serialize(format="nt11")`.
    text = str(literal).replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"').replace("\r", "\\r")
    if literal.language:
        return f'"{text}"@{literal.language}'
    if literal.datatype:
        return f'"{text}"^^<{literal.datatype}>'
    return f'"{text}"'


def _term_n3(term: Any) -> str:
    if isinstance(term, Literal):
        return _literal_n3(term)
    return term.n3()


def ntriples_line(subject: URIRef, predicate: URIRef, target: Any) -> bytes:
    """Return one N-Triples line, as rdflib's N-Triples writer writes it, in UTF-8."""
    return f"{subject.n3()} {predicate.n3()} {_term_n3(target)} .\n".encode("utf-8")


def nquads_line(subject: URIRef, predicate: URIRef, target: Any, graph_name: URIRef | None) -> bytes:
    """Return one N-Quads line, as rdflib's N-Quads writer writes it (two spaces before " ." in the default graph)."""
    name = "" if graph_name is None else graph_name.n3()
    return f"{subject.n3()} {predicate.n3()} {_term_n3(target)} {name} .\n".encode("utf-8")


class _ExternalSorter:
    """Sort byte lines in chunks spilled to `folder`, then merge them without repeats.

    Examples
    --------
    >>> import tempfile
    >>> sorter = _ExternalSorter(Path(tempfile.mkdtemp()), "x", chunk_lines=2)
    >>> for line in (b"c\\n", b"a\\n", b"c\\n", b"b\\n"):
    ...     sorter.add(line)
    >>> list(sorter.merged())
    [b'a\\n', b'b\\n', b'c\\n']
    """

    def __init__(self, folder: Path, name: str, *, chunk_lines: int = CHUNK_LINES) -> None:
        self.folder = folder
        self.name = name
        self.chunk_lines = chunk_lines
        self._lines: list[bytes] = []
        self._chunks: list[Path] = []

    def add(self, line: bytes) -> None:
        self._lines.append(line)
        if len(self._lines) >= self.chunk_lines:
            self._spill()

    def _spill(self) -> None:
        path = self.folder / f"{self.name}-{len(self._chunks):05d}.chunk"
        self._lines.sort()
        with path.open("wb") as handle:
            handle.writelines(self._lines)
        self._chunks.append(path)
        self._lines = []

    def merged(self) -> Iterator[bytes]:
        """Yield every distinct line added, in byte order; the chunk files are removed afterwards."""
        self._lines.sort()
        with ExitStack() as stack:
            sources: list[Iterable[bytes]] = [stack.enter_context(path.open("rb")) for path in self._chunks]
            sources.append(self._lines)
            previous = None
            for line in heapq.merge(*sources):
                if line != previous:
                    yield line
                    previous = line
        for path in self._chunks:
            path.unlink(missing_ok=True)
        self._chunks = []
        self._lines = []


class _StatisticsCounter:
    """Count `DatasetStatistics` from sorted, distinct N-Triples lines, one line at a time."""

    def __init__(self) -> None:
        self.statistics = DatasetStatistics()
        self._previous_subject = b""
        # Python's hash of each distinct object, in 8 bytes each.
        # NOTE: two different objects with the same 64-bit hash count once;
        # at 100 million objects the chance of one such pair is below 0.03 %.
        self._object_hashes = array.array("q")
        self._classes: Counter[bytes] = Counter()
        self._properties: Counter[bytes] = Counter()

    def add(self, line: bytes) -> None:
        # kg's IRIs contain no space (`kg.rdf.is_valid_iri` rejects it), so
        # the first two spaces end the subject and the predicate.
        subject_end = line.index(b" ")
        predicate_end = line.index(b" ", subject_end + 1)
        subject = line[:subject_end]
        predicate = line[subject_end + 1 : predicate_end]
        target = line[predicate_end + 1 : -len(_LINE_END)]
        statistics = self.statistics
        statistics.triples += 1
        # Sorted lines keep each subject's triples together.
        if subject != self._previous_subject:
            statistics.distinct_subjects += 1
            self._previous_subject = subject
        self._object_hashes.append(hash(target))
        self._properties[predicate] += 1
        if predicate == _RDF_TYPE:
            self._classes[target] += 1
            if target == _ENTITY_CLASS:
                statistics.entities += 1

    def finish(self) -> DatasetStatistics:
        statistics = self.statistics
        statistics.distinct_objects = int(numpy.unique(numpy.frombuffer(self._object_hashes, dtype=numpy.int64)).size)
        self._object_hashes = array.array("q")
        statistics.classes = Counter({URIRef(iri.decode()[1:-1]): count for iri, count in self._classes.items()})
        statistics.properties = Counter({URIRef(iri.decode()[1:-1]): count for iri, count in self._properties.items()})
        return statistics


@dataclass
class RdfFiles:
    """The files that `write_rdf_files` wrote, with their counts.

    Attributes
    ----------
    triples : int
        Distinct triples of the export (the line count of the N-Triples).
    quads : int
        Distinct quads, when TriG or N-Quads was written; else 0. It equals
        `triples` for graphs of `kg.graph.GraphBuilder`.
    dumps : dict of str to Path
        The written file of each requested format.
    ntriples : Path
        The sorted N-Triples file: ``graph.nt`` when requested, else a file
        in the work folder that the caller may load into a store before it
        removes the folder.
    statistics : DatasetStatistics
        The counts for ``void.ttl``.
    """

    triples: int
    quads: int
    dumps: dict[str, Path]
    ntriples: Path
    statistics: DatasetStatistics


def _write_lines(lines: Iterable[bytes], path: Path, *, on_line: Any = None) -> int:
    count = 0
    with atomic_write(path, "wb") as handle:
        for line in lines:
            handle.write(line)
            if on_line is not None:
                on_line(line)
            count += 1
    return count


def _strip_sort_key(lines: Iterable[bytes]) -> Iterator[bytes]:
    for line in lines:
        yield line[line.index(b"\t") + 1 :]


def _count_with_oxigraph(path: Path, rdf_format: str) -> int:
    oxigraph_format = {
        "turtle": pyoxigraph.RdfFormat.TURTLE,
        "ntriples": pyoxigraph.RdfFormat.N_TRIPLES,
        "trig": pyoxigraph.RdfFormat.TRIG,
        "nquads": pyoxigraph.RdfFormat.N_QUADS,
    }[rdf_format]
    return sum(1 for _ in pyoxigraph.parse(path=path, format=oxigraph_format))


def _check_count(path: Path, rdf_format: str, expected: int) -> None:
    reparsed = _count_with_oxigraph(path, rdf_format)
    if reparsed != expected:
        raise KgError(
            f"{path}: kg wrote {expected} {'quads' if rdf_format in ('trig', 'nquads') else 'triples'} "
            f"as {rdf_format} but pyoxigraph reads {reparsed}; the export is inconsistent, please report this as a bug"
        )


def _serialize_sorted(source: Path, source_format: pyoxigraph.RdfFormat, target: Path, target_format: pyoxigraph.RdfFormat) -> None:
    """Convert a sorted N-Triples or N-Quads file with pyoxigraph's streaming parser and writer."""
    statements = pyoxigraph.parse(path=source, format=source_format)
    if source_format == pyoxigraph.RdfFormat.N_TRIPLES:
        statements = (quad.triple for quad in statements)
    with atomic_write(target, "wb") as handle:
        pyoxigraph.serialize(statements, handle, target_format, prefixes=dict(_PREFIXES))


def write_rdf_files(
    graph: nx.MultiDiGraph,
    out_dir: str | Path,
    rdf_formats: Sequence[str],
    *,
    work_dir: str | Path,
    base_iri: str = DEFAULT_BASE_IRI,
    stem: str = "graph",
    chunk_lines: int = CHUNK_LINES,
) -> RdfFiles:
    """Write the RDF of `graph` in each of `rdf_formats` to ``out_dir/<stem><suffix>``, streaming.

    Parameters
    ----------
    graph : networkx.MultiDiGraph
        A graph from `kg.graph.GraphBuilder` or `kg.graph.read_graphml`.
    out_dir : path
        Folder of the written files.
    rdf_formats : sequence of str
        Names of `kg.rdf.RDF_FORMATS`.
    work_dir : path
        Folder for the sorted chunks and, unless ``ntriples`` is requested,
        the sorted N-Triples file; created if missing. The caller removes it.
    base_iri : str
        Namespace of the minted IRIs.
    stem : str
        File name of the outputs without suffix.
    chunk_lines : int
        Lines sorted in memory before a chunk goes to disk.

    Returns
    -------
    RdfFiles

    Raises
    ------
    ConfigError
        If a format or `base_iri` is invalid.
    KgError
        If a node or edge has a type that kg does not export, or pyoxigraph
        reads back a different number of triples (or quads) than were written.

    Notes
    -----
    N-Triples and N-Quads are sorted line by line and equal the output of
    `kg.rdf.write_rdf` byte for byte. Turtle and TriG come from pyoxigraph's
    writer instead of rdflib's, so their bytes differ from `write_rdf`'s but
    contain the same triples, sorted by subject. Their bytes are the same for
    the same graph on every run.
    """
    unknown = [name for name in rdf_formats if name not in RDF_FORMATS]
    if unknown:
        raise ConfigError(f"Unknown RDF formats {unknown!r}; expected names of {', '.join(RDF_FORMATS)}.")
    out_dir, work_dir = Path(out_dir), Path(work_dir)
    work_dir.mkdir(parents=True, exist_ok=True)
    formats = tuple(dict.fromkeys(rdf_formats))
    with_quads = "nquads" in formats or "trig" in formats

    # 1. Generate every quad once and spill sorted chunks of lines.
    triple_lines = _ExternalSorter(work_dir, "nt", chunk_lines=chunk_lines)
    quad_lines = _ExternalSorter(work_dir, "nq", chunk_lines=chunk_lines) if "nquads" in formats else None
    graph_lines = _ExternalSorter(work_dir, "trig", chunk_lines=chunk_lines) if "trig" in formats else None
    for subject, predicate, target, graph_name in iter_quads(graph, base_iri=base_iri):
        triple_lines.add(ntriples_line(subject, predicate, target))
        if with_quads:
            line = nquads_line(subject, predicate, target, graph_name)
            if quad_lines is not None:
                quad_lines.add(line)
            if graph_lines is not None:
                # Sorted by graph name first, so each named graph is one TriG block.
                name = b"" if graph_name is None else graph_name.n3().encode("utf-8")
                graph_lines.add(name + b"\t" + line)

    # 2. Merge the N-Triples, counting the VoID statistics on the way.
    ntriples = out_dir / (stem + RDF_FORMATS["ntriples"]) if "ntriples" in formats else work_dir / "sorted.nt"
    counter = _StatisticsCounter()
    triples = _write_lines(triple_lines.merged(), ntriples, on_line=counter.add)
    statistics = counter.finish()
    logger.info("Wrote %d sorted triples to %s", triples, ntriples)

    dumps: dict[str, Path] = {}
    quads = 0
    for rdf_format in formats:
        path = out_dir / (stem + RDF_FORMATS[rdf_format])
        dumps[rdf_format] = path
        if rdf_format == "ntriples":
            _check_count(path, rdf_format, triples)
        elif rdf_format == "turtle":
            _serialize_sorted(ntriples, pyoxigraph.RdfFormat.N_TRIPLES, path, pyoxigraph.RdfFormat.TURTLE)
            _check_count(path, rdf_format, triples)
        elif rdf_format == "nquads":
            assert quad_lines is not None
            quads = _write_lines(quad_lines.merged(), path)
            _check_count(path, rdf_format, quads)
        elif rdf_format == "trig":
            assert graph_lines is not None
            by_graph = work_dir / "by-graph.nq"
            quads = _write_lines(_strip_sort_key(graph_lines.merged()), by_graph)
            _serialize_sorted(by_graph, pyoxigraph.RdfFormat.N_QUADS, path, pyoxigraph.RdfFormat.TRIG)
            by_graph.unlink()
            _check_count(path, rdf_format, quads)
        elif rdf_format not in STREAMED_FORMATS:
            # NOTE: JSON-LD is not streamed, so write_rdf keeps the whole graph in rdflib.
            write_rdf(graph, path, format=rdf_format, base_iri=base_iri)
        logger.info("Wrote %s", path)
    return RdfFiles(triples=triples, quads=quads, dumps=dumps, ntriples=ntriples, statistics=statistics)
