"""Streaming RDF export: sorted N-Triples chunks first, every other format from them.

`write_rdf_files` writes the RDF of a kg graph without an rdflib graph of the
whole build. The quads of `kg.rdf.TermQuads` become N-Triples (and, when a
format with named graphs is requested, N-Quads) lines, which are sorted in
chunks of `CHUNK_LINES` lines, spilled to temporary files and merged with
`heapq.merge`. The merge drops repeated lines, so the result is a set of
triples. In one pass over the merged lines, the export writes

* ``graph.nt``, byte-identical to `kg.rdf.write_rdf`'s N-Triples,
* ``graph.ttl`` through `_TurtleWriter` (grouped by subject, because the
  lines are sorted),
* when the caller asks for it, a sorted N-Triples file in the work folder
  for `kg.store.GraphStore.load`, and
* the VoID counts.

N-Quads are sorted the same way; TriG gets its own merge, ordered by graph
name, so that each named graph is written as one block. JSON-LD has no
streaming writer here and goes through `kg.rdf.write_rdf`, which keeps the
whole graph in memory.

Memory stays flat in the number of triples: one chunk of lines, one line per
chunk file during the merge, the IRI of every graph node (`TermQuads`), and
one 8-byte hash per distinct object for the VoID counts.
"""

from __future__ import annotations

import array
import heapq
import itertools
import logging
import re
import subprocess
import sys
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, Self

import networkx as nx
import numpy
import pyoxigraph
from rdflib import Literal, URIRef
from rdflib.namespace import RDF

from kg.errors import KgError
from kg.forks import ForkedCall, can_fork, forked_calls, forks_fit_in_memory
from kg.io import atomic_write
from kg.rdf import (
    _PREFIXES,
    DEFAULT_BASE_IRI,
    KG,
    RDF_FORMATS,
    TermQuads,
    _Literal,
    check_rdf_formats,
    write_rdf,
)
from kg.void import DatasetStatistics

__all__ = [
    "CHUNK_LINES",
    "STREAMED_FORMATS",
    "RdfExport",
    "RdfFiles",
    "nquads_line",
    "ntriples_line",
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


def _text_n3(term: str | _Literal) -> str:
    """Return a `kg.rdf.TermQuads` term as N-Triples text, as rdflib 7's N-Triples writer writes it."""
    if term.__class__ is _Literal:
        # The escaping of `_literal_n3`.
        text = term.lexical.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"').replace("\r", "\\r")
        if term.language:
            return f'"{text}"@{term.language}'
        if term.datatype:
            return f'"{text}"^^<{term.datatype}>'
        return f'"{text}"'
    # kg mints only valid IRIs, which rdflib writes unchanged.
    return f"<{term}>"


def ntriples_line(subject: URIRef, predicate: URIRef, target: Any) -> bytes:
    """Return one N-Triples line, as rdflib's N-Triples writer writes it, in UTF-8."""
    return f"{subject.n3()} {predicate.n3()} {_term_n3(target)} .\n".encode()


def nquads_line(subject: URIRef, predicate: URIRef, target: Any, graph_name: URIRef | None) -> bytes:
    """Return one N-Quads line, as rdflib's N-Quads writer writes it (two spaces before " ." in the default graph)."""
    name = "" if graph_name is None else graph_name.n3()
    return f"{subject.n3()} {predicate.n3()} {_term_n3(target)} {name} .\n".encode()


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

    def extend(self, lines: list[bytes]) -> None:
        """Add several lines. A chunk may exceed `chunk_lines` by fewer than ``len(lines)`` lines."""
        self._lines.extend(lines)
        if len(self._lines) >= self.chunk_lines:
            self._spill()

    def _spill(self) -> None:
        path = self.folder / f"{self.name}-{len(self._chunks):05d}.chunk"
        self._lines.sort()
        with path.open("wb") as handle:
            handle.writelines(self._lines)
        self._chunks.append(path)
        self._lines = []

    def spill(self) -> list[Path]:
        """Spill the lines still in memory, even if fewer than a chunk, and return every chunk file."""
        if self._lines:
            self._spill()
        return list(self._chunks)

    def adopt(self, chunks: Iterable[Path]) -> None:
        """Merge the sorted chunk files of another sorter (such as a worker process's) with this one's."""
        self._chunks.extend(chunks)

    def merged(self, *, keep_chunks: bool = False) -> Iterator[bytes]:
        """Yield every distinct line added, in byte order, then remove the chunk files unless `keep_chunks` is set."""
        # NOTE: every chunk file is open during the merge, one per CHUNK_LINES
        # lines (about 450 for 90 million triples), which must stay below the
        # limit of open files (`ulimit -n`).
        self._lines.sort()
        with ExitStack() as stack:
            sources: list[Iterable[bytes]] = [stack.enter_context(path.open("rb")) for path in self._chunks]
            sources.append(self._lines)
            previous = None
            for line in heapq.merge(*sources):
                if line != previous:
                    yield line
                    previous = line
        if not keep_chunks:
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

    def add(self, subject: bytes, predicate: bytes, target: bytes) -> None:
        """Count one triple, given as the three terms of its N-Triples line (`_split_triple`)."""
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
        # Sorted in place: `numpy.unique` would copy the 8 bytes per triple.
        hashes = numpy.frombuffer(self._object_hashes, dtype=numpy.int64)
        hashes.sort()
        statistics.distinct_objects = int(numpy.count_nonzero(hashes[1:] != hashes[:-1])) + int(hashes.size > 0)
        del hashes
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
    ntriples : Path or None
        The sorted N-Triples file: ``graph.nt`` when requested, else a file
        in the work folder that the caller may load into a store before it
        removes the folder. None when ``RdfExport.merge`` ran with
        ``sorted_ntriples=False`` and no ``graph.nt`` was requested.
    statistics : DatasetStatistics
        The counts for ``void.ttl``.
    """

    triples: int
    quads: int
    dumps: dict[str, Path]
    ntriples: Path | None
    statistics: DatasetStatistics


def _write_lines(lines: Iterable[bytes], path: Path) -> int:
    count = 0
    with atomic_write(path, "wb") as handle:
        for line in lines:
            handle.write(line)
            count += 1
    return count


def _count_with_oxigraph(path: Path, rdf_format: str) -> int:
    oxigraph_format = {
        "turtle": pyoxigraph.RdfFormat.TURTLE,
        "ntriples": pyoxigraph.RdfFormat.N_TRIPLES,
        "trig": pyoxigraph.RdfFormat.TRIG,
        "nquads": pyoxigraph.RdfFormat.N_QUADS,
    }[rdf_format]
    return sum(1 for _ in pyoxigraph.parse(path=path, format=oxigraph_format))


def _check_count(path: Path, rdf_format: str, expected: int) -> None:
    _raise_if_different(path, rdf_format, expected, _count_with_oxigraph(path, rdf_format))


def _raise_if_different(path: Path, rdf_format: str, expected: int, reparsed: int) -> None:
    if reparsed != expected:
        raise KgError(
            f"{path}: kg wrote {expected} {'quads' if rdf_format in ('trig', 'nquads') else 'triples'} "
            f"as {rdf_format} but pyoxigraph reads {reparsed}; the export is inconsistent, please report this as a bug"
        )


# Local names that a prefixed name may keep without escapes: a safe subset of
# the PN_LOCAL rule of Turtle 1.1 (section 6.5), which also allows "." inside.
_SIMPLE_LOCAL_NAME = rb"[A-Za-z_][A-Za-z0-9_-]*"

_NAMESPACE_PREFIXES: dict[bytes, bytes] = {namespace.encode(): prefix.encode() for prefix, namespace in _PREFIXES.items()}
# An IRI term in one of kg's namespaces with a simple local name. The
# alternatives keep the order of `_PREFIXES`, so when two namespaces fit, the
# first one wins.
_PREFIXED_IRI = re.compile(
    b"<(" + b"|".join(re.escape(namespace) for namespace in _NAMESPACE_PREFIXES) + b")(" + _SIMPLE_LOCAL_NAME + b")>"
)


class _TurtleWriter:
    """Write sorted N-Triples statements as Turtle, grouped by subject, with kg's prefixes.

    An N-Triples term is valid Turtle, so each term is copied as it is, except
    IRIs in one of `kg.rdf._PREFIXES` with a simple local name (and datatype
    IRIs), which become prefixed names. Unlike pyoxigraph's writer, this keeps
    the case of language tags ("en-US").
    """

    def __init__(self, handle: BinaryIO, *, indent: bytes = b"") -> None:
        self.handle = handle
        self.indent = indent
        self._subject: bytes | None = None
        self._predicate: bytes | None = None
        self._compacted: dict[bytes, bytes] = {}

    @staticmethod
    def prefix_lines() -> bytes:
        return b"".join(f"@prefix {prefix}: <{namespace}> .\n".encode() for prefix, namespace in sorted(_PREFIXES.items()))

    def _iri(self, term: bytes) -> bytes:
        compacted = self._compacted.get(term)
        if compacted is None:
            compacted = term
            match = _PREFIXED_IRI.fullmatch(term)
            if match is not None:
                compacted = _NAMESPACE_PREFIXES[match[1]] + b":" + match[2]
            if len(self._compacted) < _MAX_COMPACTED_TERMS:
                self._compacted[term] = compacted
        return compacted

    def _term(self, term: bytes) -> bytes:
        if term.startswith(b"<"):
            return self._iri(term)
        if term.endswith(b">"):
            # A typed literal: the last '"^^<' ends the lexical form, because
            # a '"' inside it is escaped.
            split = term.rfind(b'"^^<')
            return term[: split + 3] + self._iri(term[split + 3 :])
        return term

    def add(self, subject: bytes, predicate: bytes, target: bytes) -> None:
        predicate_term = b"a" if predicate == _RDF_TYPE else self._term(predicate)
        target_term = self._term(target)
        if subject == self._subject:
            if predicate == self._predicate:
                self.handle.write(b" ,\n" + self.indent + b"        " + target_term)
            else:
                self.handle.write(b" ;\n" + self.indent + b"    " + predicate_term + b" " + target_term)
        else:
            if self._subject is not None:
                self.handle.write(b" .\n")
            self.handle.write(self.indent + self._term(subject) + b" " + predicate_term + b" " + target_term)
        self._subject, self._predicate = subject, predicate

    def close(self) -> None:
        if self._subject is not None:
            self.handle.write(b" .\n")
        self._subject = self._predicate = None


# Terms whose compacted form is cached: predicates, classes and datatypes
# repeat, and the cap keeps memory flat when data IRIs fill the cache.
_MAX_COMPACTED_TERMS = 10_000


def _split_triple(line: bytes) -> tuple[bytes, bytes, bytes]:
    """Split "<s> <p> o" (no " ." at the end) at its first two spaces, because kg's IRIs contain no space."""
    subject_end = line.index(b" ")
    predicate_end = line.index(b" ", subject_end + 1)
    return line[:subject_end], line[subject_end + 1 : predicate_end], line[predicate_end + 1 :]


def _write_trig(lines: Iterable[bytes], path: Path) -> int:
    """Write TriG from "graph name TAB N-Quads line" lines sorted by graph name; return the number of quads."""
    count = 0
    current: bytes | None = None
    with atomic_write(path, "wb") as handle:
        handle.write(_TurtleWriter.prefix_lines())
        writer = _TurtleWriter(handle, indent=b"    ")
        for line in lines:
            name, quad = line.split(b"\t", 1)
            if name != current:
                if current is not None:
                    writer.close()
                    handle.write(b"}\n")
                handle.write(b"\n" + (name + b" " if name else b"") + b"{\n")
                current = name
            # The N-Quads line ends with " <graph> .\n", or "  .\n" in the default graph.
            triple = quad[: -len(b" " + name + _LINE_END)]
            writer.add(*_split_triple(triple))
            count += 1
        if current is not None:
            writer.close()
            handle.write(b"}\n")
    return count


def _add_lines(
    groups: Iterable[list[Any]],
    triple_lines: _ExternalSorter,
    quad_lines: _ExternalSorter | None,
    graph_lines: _ExternalSorter | None,
) -> None:
    """Add the N-Triples line (and N-Quads lines, when requested) of every quad of `groups` to the sorters."""
    with_quads = quad_lines is not None or graph_lines is not None
    # IRIs repeat across triples (predicates, classes, and the paper IRI of
    # every claim), so their N-Triples text is cached. Literals rarely repeat.
    iri_texts: dict[str, str] = {}
    for group in groups:
        triples: list[bytes] = []
        for subject, predicate, target, graph_name in group:
            subject_text = iri_texts.get(subject)
            if subject_text is None:
                subject_text = iri_texts[subject] = f"<{subject}>"
            predicate_text = iri_texts.get(predicate)
            if predicate_text is None:
                predicate_text = iri_texts[predicate] = f"<{predicate}>"
            target_text = _text_n3(target)
            triples.append(f"{subject_text} {predicate_text} {target_text} .\n".encode())
            if with_quads:
                name = "" if graph_name is None else f"<{graph_name}>"
                line = f"{subject_text} {predicate_text} {target_text} {name} .\n".encode()
                if quad_lines is not None:
                    quad_lines.add(line)
                if graph_lines is not None:
                    # Sorted by graph name first, so each named graph is one TriG block.
                    graph_lines.add(name.encode() + b"\t" + line)
        triple_lines.extend(triples)
        if len(iri_texts) > _MAX_CACHED_IRIS:
            iri_texts.clear()


# IRIs whose N-Triples text `_add_lines` caches. The cache is emptied when it
# grows larger, so memory stays flat on any graph.
_MAX_CACHED_IRIS = 100_000


def write_rdf_files(
    graph: nx.MultiDiGraph,
    out_dir: str | Path,
    rdf_formats: Sequence[str],
    *,
    work_dir: str | Path,
    base_iri: str = DEFAULT_BASE_IRI,
    stem: str = "graph",
    chunk_lines: int = CHUNK_LINES,
    jobs: int = 1,
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
    jobs : int
        Processes that convert the graph to lines. With more than one, forked
        processes convert parts of the graph, and another one re-parses each
        written file while the next one is written.

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
    `kg.rdf.write_rdf` byte for byte. Turtle and TriG come from kg's own
    line-by-line writer instead of rdflib's, so their bytes differ from
    `write_rdf`'s but contain the same triples, sorted by subject. Their bytes
    are the same for the same graph on every run, whatever `jobs` is.
    """
    export = RdfExport(
        graph, out_dir, rdf_formats, work_dir=work_dir, base_iri=base_iri, stem=stem, chunk_lines=chunk_lines, jobs=jobs
    )
    with export:
        export.generate()
        export.merge()
        export.write_dumps()
        return export.finish()


class RdfExport:
    """The steps of `write_rdf_files`, for a caller that runs other work between them.

    Call `start` (optional), `generate`, `merge`, `write_dumps` and `finish`
    in this order, inside a ``with`` block, which terminates the worker
    processes if a step fails. `write_rdf_files` describes the parameters.

    Examples
    --------
    >>> import tempfile
    >>> from kg.graph import build_graph
    >>> from kg.model import Paper, PaperExtraction
    >>> graph = build_graph([PaperExtraction(paper=Paper(id="p1", title="A title"))])
    >>> folder = Path(tempfile.mkdtemp())
    >>> with RdfExport(graph, folder, ["turtle"], work_dir=folder / "work") as export:
    ...     chunks = export.generate()  # the N-Triples lines, in sorted chunk files
    ...     ntriples = export.merge()  # the sorted N-Triples file
    ...     export.write_dumps()
    ...     export.finish().triples
    3
    """

    def __init__(
        self,
        graph: nx.MultiDiGraph,
        out_dir: str | Path,
        rdf_formats: Sequence[str],
        *,
        work_dir: str | Path,
        base_iri: str = DEFAULT_BASE_IRI,
        stem: str = "graph",
        chunk_lines: int = CHUNK_LINES,
        jobs: int = 1,
    ) -> None:
        check_rdf_formats(rdf_formats)
        self.graph = graph
        self.out_dir, self.work_dir = Path(out_dir), Path(work_dir)
        self.work_dir.mkdir(parents=True, exist_ok=True)
        self.formats = tuple(dict.fromkeys(rdf_formats))
        self.base_iri = base_iri
        self.stem = stem
        self.chunk_lines = chunk_lines
        self.jobs = jobs if can_fork() else 1
        self.triple_lines = _ExternalSorter(self.work_dir, "nt", chunk_lines=chunk_lines)
        self.quad_lines = _ExternalSorter(self.work_dir, "nq", chunk_lines=chunk_lines) if "nquads" in self.formats else None
        self.graph_lines = _ExternalSorter(self.work_dir, "trig", chunk_lines=chunk_lines) if "trig" in self.formats else None
        self.ntriples = self.out_dir / (stem + RDF_FORMATS["ntriples"]) if "ntriples" in self.formats else self.work_dir / "sorted.nt"
        self.ntriples_written: Path | None = None
        self.triples = 0
        self.quads = 0
        self.statistics = DatasetStatistics()
        self.dumps: dict[str, Path] = {}
        self._stack = ExitStack()
        self._checker: _CountChecker | None = None
        self._quads: TermQuads | None = None
        self._parts: list[ForkedCall] = []

    def __enter__(self) -> Self:
        self._stack.__enter__()
        self._calls = self._stack.enter_context(forked_calls())
        return self

    def __exit__(self, *exception: object) -> None:
        self._stack.__exit__(*exception)

    def start(self) -> None:
        """Fork the worker processes, when `jobs` is above 1, so that the caller can work while they convert the graph.

        The processes are forked only if their copies of this process fit in
        memory (`kg.forks.forks_fit_in_memory`); else `generate` converts the
        graph in this process. Call it while the caller runs no other thread
        (see `kg.forks`).
        """
        if self._quads is not None:
            return
        self._quads = TermQuads(self.graph, base_iri=self.base_iri)
        if self.jobs <= 1:
            return
        self._checker = _CountChecker()
        self._stack.callback(self._checker.cancel)
        if not forks_fit_in_memory(self.jobs):
            logger.info("Converting the graph to RDF lines in this process")
            return
        nodes, edges = self.graph.number_of_nodes(), self.graph.number_of_edges()
        for part in range(self.jobs):
            node_range = (nodes * part // self.jobs, nodes * (part + 1) // self.jobs)
            edge_range = (edges * part // self.jobs, edges * (part + 1) // self.jobs)
            names = self._sorter_names(f"-{part}")
            call = ForkedCall(_generate_part, self._quads, node_range, edge_range, names, self.work_dir, self.chunk_lines)
            self._calls.append(call)
            self._parts.append(call)

    def generate(self) -> list[Path]:
        """Convert the graph to lines in sorted chunk files and return the N-Triples chunks, calling `start` first if needed.

        The chunks contain every triple at least once; a triple may repeat
        across chunks, which `merge` drops. ``merge(keep_chunks=True)``
        leaves them in place, so that a store can load them meanwhile.
        """
        self.start()
        quads = self._quads
        assert quads is not None
        if self._parts:
            # The summaries are counted over the whole graph, because no part contains
            # all the edges of a pair. There are few of them.
            _add_lines([quads.summaries()], self.triple_lines, self.quad_lines, self.graph_lines)
            for call in self._parts:
                for sorter, chunks in zip(self._sorters(), call.result()):
                    sorter.adopt(chunks)
        else:
            nodes, edges = self.graph.number_of_nodes(), self.graph.number_of_edges()
            groups = itertools.chain(quads.node_groups(0, nodes), quads.edge_groups(0, edges), [quads.summaries()])
            _add_lines(groups, self.triple_lines, self.quad_lines, self.graph_lines)
        self._quads = None
        return self.triple_lines.spill()

    def release_graph(self) -> None:
        """Drop this export's reference to the graph, which `generate` has converted, unless JSON-LD still needs it."""
        if "jsonld" not in self.formats:
            self.graph = None  # type: ignore[assignment]

    def _sorters(self) -> list[_ExternalSorter]:
        return [sorter for sorter in (self.triple_lines, self.quad_lines, self.graph_lines) if sorter is not None]

    def _sorter_names(self, suffix: str) -> tuple[str | None, ...]:
        return tuple(None if sorter is None else sorter.name + suffix for sorter in (self.triple_lines, self.quad_lines, self.graph_lines))

    def merge(self, *, keep_chunks: bool = False, sorted_ntriples: bool = True) -> Path | None:
        """Merge the N-Triples chunks and write the N-Triples and the Turtle, counting the VoID statistics, in one pass.

        Return the sorted N-Triples file: ``graph.nt`` when requested, else,
        with `sorted_ntriples`, a file in the work folder (for a store load),
        else None. With `keep_chunks`, the chunk files stay, for a store that
        still loads them.
        """
        counter = _StatisticsCounter()
        ntriples = self.ntriples if "ntriples" in self.formats or sorted_ntriples else None
        turtle = self.out_dir / (self.stem + RDF_FORMATS["turtle"]) if "turtle" in self.formats else None
        with ExitStack() as stack:
            ntriples_handle = turtle_writer = None
            if ntriples is not None:
                ntriples_handle = self._open(stack, ntriples, "ntriples" if "ntriples" in self.formats else None)
            if turtle is not None:
                turtle_handle = self._open(stack, turtle, "turtle")
                turtle_handle.write(_TurtleWriter.prefix_lines() + b"\n")
                turtle_writer = _TurtleWriter(turtle_handle)
            count = 0
            for line in self.triple_lines.merged(keep_chunks=keep_chunks):
                terms = _split_triple(line[: -len(_LINE_END)])
                counter.add(*terms)
                if ntriples_handle is not None:
                    ntriples_handle.write(line)
                if turtle_writer is not None:
                    turtle_writer.add(*terms)
                count += 1
            if turtle_writer is not None:
                turtle_writer.close()
        self.triples = count
        self.statistics = counter.finish()
        if ntriples is not None:
            logger.info("Wrote %d sorted triples to %s", count, ntriples)
        if turtle is not None:
            logger.info("Wrote %s", turtle)
        for rdf_format, path in (("ntriples", ntriples), ("turtle", turtle)):
            if rdf_format in self.formats:
                assert path is not None
                self._check(path, rdf_format, count)
        self.ntriples_written = ntriples
        return ntriples

    def _open(self, stack: ExitStack, path: Path, checked_format: str | None) -> BinaryIO:
        """Open `path` for an atomic write in `stack`. With a checker and `checked_format`, the bytes also go to a count."""
        handle = stack.enter_context(atomic_write(path, "wb"))
        if self._checker is None or checked_format is None:
            return handle
        return _Tee(handle, self._checker.stream(path, checked_format))

    def write_dumps(self) -> None:
        """Write the requested files that `merge` does not write: N-Quads and TriG from their sorted lines, and JSON-LD."""
        for rdf_format in self.formats:
            path = self.out_dir / (self.stem + RDF_FORMATS[rdf_format])
            self.dumps[rdf_format] = path
            if rdf_format in ("turtle", "ntriples"):
                continue  # written by `merge`
            if rdf_format == "nquads":
                assert self.quad_lines is not None
                self.quads = _write_lines(self.quad_lines.merged(), path)
                self._check(path, rdf_format, self.quads)
            elif rdf_format == "trig":
                assert self.graph_lines is not None
                self.quads = _write_trig(self.graph_lines.merged(), path)
                self._check(path, rdf_format, self.quads)
            elif rdf_format not in STREAMED_FORMATS:
                # NOTE: JSON-LD is not streamed, so write_rdf keeps the whole graph in rdflib.
                write_rdf(self.graph, path, format=rdf_format, base_iri=self.base_iri)
            logger.info("Wrote %s", path)

    def _check(self, path: Path, rdf_format: str, expected: int) -> None:
        if self._checker is None:
            _check_count(path, rdf_format, expected)
        else:
            self._checker.submit(path, rdf_format, expected)

    def finish(self) -> RdfFiles:
        """Wait for the re-parse checks and return the written files.

        Raises
        ------
        KgError
            If pyoxigraph reads a different number of triples (or quads) from a file than were written.
        """
        if self._checker is not None:
            self._checker.wait()
        return RdfFiles(
            triples=self.triples, quads=self.quads, dumps=self.dumps, ntriples=self.ntriples_written,
            statistics=self.statistics,
        )


def _generate_part(
    quads: TermQuads,
    node_range: tuple[int, int],
    edge_range: tuple[int, int],
    names: tuple[str | None, ...],
    work_dir: Path,
    chunk_lines: int,
) -> list[list[Path]]:
    """Convert a range of nodes and a range of edges to sorted chunk files; return the chunks of each sorter."""
    sorters = [None if name is None else _ExternalSorter(work_dir, name, chunk_lines=chunk_lines) for name in names]
    triple_lines, quad_lines, graph_lines = sorters
    assert triple_lines is not None
    groups = itertools.chain(quads.node_groups(*node_range), quads.edge_groups(*edge_range))
    _add_lines(groups, triple_lines, quad_lines, graph_lines)
    return [sorter.spill() for sorter in sorters if sorter is not None]


# Counts the statements of one RDF file, or of standard input when the path
# is "-", in a new interpreter, which shares no memory with the build. It
# ignores Ctrl-C, which the build handles.
_COUNT_SCRIPT = (
    "import signal, sys\n"
    "signal.signal(signal.SIGINT, signal.SIG_IGN)\n"
    "import pyoxigraph\n"
    "rdf_format = getattr(pyoxigraph.RdfFormat, sys.argv[2])\n"
    "source = {'input': sys.stdin.buffer} if sys.argv[1] == '-' else {'path': sys.argv[1]}\n"
    "print(sum(1 for _ in pyoxigraph.parse(**source, format=rdf_format)))\n"
)
# Bytes buffered on the way to a count that reads standard input.
_STREAM_BUFFER = 1 << 20


class _Tee:
    """A binary file that also sends every byte written to it to a second one, until that one's reader has gone."""

    def __init__(self, handle: BinaryIO, copy: BinaryIO) -> None:
        self.handle = handle
        self.copy: BinaryIO | None = copy

    def write(self, data: bytes) -> int:
        if self.copy is not None:
            try:
                self.copy.write(data)
            except BrokenPipeError:
                # The count has failed; `_CountChecker.wait` reports its error.
                self.copy = None
        return self.handle.write(data)
_OXIGRAPH_FORMAT_NAMES = {"turtle": "TURTLE", "ntriples": "N_TRIPLES", "trig": "TRIG", "nquads": "N_QUADS"}


class _CountChecker:
    """Re-parse written files with pyoxigraph in separate processes, while the build goes on.

    The processes are started with `subprocess` rather than forked: a
    forked child would keep the pages of the graph that the parent changes
    afterwards, up to a second copy of the graph.
    """

    def __init__(self) -> None:
        self._runs: list[tuple[subprocess.Popen[bytes], Path, str, int]] = []
        # Counts that read standard input, by the path whose bytes they get, until `submit` gives their expected count.
        self._streams: dict[Path, subprocess.Popen[bytes]] = {}

    def stream(self, path: Path, rdf_format: str) -> BinaryIO:
        """Start a count that reads the bytes of `path` as they are written, and return the file to send them to.

        The bytes are parsed while the file is written, instead of read back
        after it, so the check ends soon after the write. Call `submit` with
        the same path once the file is complete.
        """
        command = [sys.executable, "-c", _COUNT_SCRIPT, "-", _OXIGRAPH_FORMAT_NAMES[rdf_format]]
        process = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, bufsize=_STREAM_BUFFER
        )
        assert process.stdin is not None
        self._streams[path] = process
        return process.stdin  # type: ignore[return-value]

    def submit(self, path: Path, rdf_format: str, expected: int) -> None:
        """Check that `path` contains `expected` statements: by the count started by `stream`, if any, else by a new one."""
        process = self._streams.pop(path, None)
        if process is None:
            command = [sys.executable, "-c", _COUNT_SCRIPT, str(path), _OXIGRAPH_FORMAT_NAMES[rdf_format]]
            process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        else:
            _close_input(process)
        self._runs.append((process, path, rdf_format, expected))

    def wait(self) -> None:
        """Wait for every count and raise KgError on the first that failed or differs."""
        for process, path, rdf_format, expected in self._runs:
            output, errors = process.communicate()
            if process.returncode != 0:
                last_line = (errors.decode("utf-8", "replace").strip().splitlines() or ["no message"])[-1]
                raise KgError(
                    f"{path}: pyoxigraph failed to re-parse the {rdf_format} that kg wrote (exit status "
                    f"{process.returncode}: {last_line}); please report this as a bug"
                )
            _raise_if_different(path, rdf_format, expected, int(output))
        self._runs = []

    def cancel(self) -> None:
        """Terminate the counts that still run."""
        for process in [*(run[0] for run in self._runs), *self._streams.values()]:
            if process.poll() is None:
                process.terminate()
            _close_input(process)
            process.communicate()
        self._runs = []
        self._streams = {}


def _close_input(process: subprocess.Popen[bytes]) -> None:
    """Close the standard input of `process`, if it has one, so that it reads the end of its input."""
    if process.stdin is not None:
        try:
            process.stdin.close()
        except BrokenPipeError:
            pass  # the process has ended, and its exit status gives the reason
        process.stdin = None
