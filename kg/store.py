"""An on-disk Oxigraph store that accumulates the RDF of several builds.

`GraphStore` wraps `pyoxigraph.Store` opened on a folder. `GraphStore.load`
adds the RDF export of a build (``graph.ttl``) so that loading is
idempotent: loading the same build twice changes nothing, and loading a
build with more papers adds only the triples that are new.

Merge rule
----------
kg mints IRIs deterministically (from paper ids, entity keys and URLs), so a
paper, entity or link has the same IRI in every build, and the set
semantics of RDF make most of a repeated load a no-op. Descriptions that a
later build can change are merged per subject IRI, as follows:

* A subject typed ``kg:Paper``, ``kg:Result`` or ``kg:Statement`` depends
  only on its own paper, so the new build's triples replace all of the
  stored ones.
* Any other subject (entities, concepts, links) may have been described by
  earlier builds from other papers. Its literal values (``skos:prefLabel``,
  ``kg:key``, ...) are replaced by the new build's values, except
  ``skos:altLabel`` values, which accumulate. A replaced ``skos:prefLabel``
  is kept as a ``skos:altLabel``, so a search by an older name still
  finds the entity. ``kg:matchKey`` values accumulate like
  ``skos:altLabel`` values, so saved queries still match the older name.
  Triples whose object is an IRI (types and edges) accumulate.
* ``kg:paperCount`` is recounted from the merged store: the distinct
  subjects of ``kg:mentions`` and ``kg:proposes`` edges to the entity, as
  `kg.rdf.paper_counts` counts them in one build. Two builds of different
  papers therefore add up instead of the second count replacing the first.
* The ``kg:paperCount`` of a ``kg:EvaluationSummary`` is recounted the same
  way, by the rule of `kg.rdf.count_evaluations`, for every summary that
  the loaded file describes and every (method, dataset) pair whose count a
  changed ``kg:evaluatedOn``, ``kg:mentions`` or ``kg:proposes`` edge can
  change. A pair whose count becomes 0 loses its summary, and a pair that
  only the merged edges give a count gets a new summary.

The export has no blank nodes, so every triple belongs to a subject IRI.
"""

from __future__ import annotations

import io
import itertools
import logging
import os
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, BinaryIO

import pyoxigraph

from kg.errors import InputError, KgError
from kg.rdf import DEFAULT_BASE_IRI, evaluation_summary_iri

__all__ = [
    "DEFAULT_STORE",
    "RDF_SUFFIXES",
    "GraphStore",
    "LoadStats",
    "is_store",
    "store_size_on_disk",
    "resolve_rdf_file",
]

logger = logging.getLogger(__name__)

# The store that `kg query` reads when no source is given. It is in the
# folder of the default output files of `kg build`.
DEFAULT_STORE = Path("outputs") / "store"

# The file of a build folder that `GraphStore.load` reads.
BUILD_RDF_FILE = "graph.ttl"

# Files that RocksDB, the storage engine under pyoxigraph, creates in every
# store folder. Their absence marks a folder that is not a store.
_STORE_MARKERS = ("CURRENT", "IDENTITY")

RDF_SUFFIXES: dict[str, pyoxigraph.RdfFormat] = {
    ".ttl": pyoxigraph.RdfFormat.TURTLE,
    ".nt": pyoxigraph.RdfFormat.N_TRIPLES,
    ".nq": pyoxigraph.RdfFormat.N_QUADS,
    ".trig": pyoxigraph.RdfFormat.TRIG,
    ".rdf": pyoxigraph.RdfFormat.RDF_XML,
    ".jsonld": pyoxigraph.RdfFormat.JSON_LD,
}

# Formats without named graphs, which `pyoxigraph.Store.bulk_load` can load
# straight into the default graph.
_TRIPLE_FORMATS = frozenset({pyoxigraph.RdfFormat.TURTLE, pyoxigraph.RdfFormat.N_TRIPLES, pyoxigraph.RdfFormat.RDF_XML})

_KG = "https://w3id.org/kg-papers/ontology#"
_RDF_TYPE = pyoxigraph.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
_PREF_LABEL = pyoxigraph.NamedNode("http://www.w3.org/2004/02/skos/core#prefLabel")
_ALT_LABEL = pyoxigraph.NamedNode("http://www.w3.org/2004/02/skos/core#altLabel")
_MATCH_KEY = pyoxigraph.NamedNode(_KG + "matchKey")
_PAPER_COUNT = pyoxigraph.NamedNode(_KG + "paperCount")
_XSD_INTEGER = pyoxigraph.NamedNode("http://www.w3.org/2001/XMLSchema#integer")
# Edges whose distinct subjects kg:paperCount counts.
_COUNTED_PREDICATES = frozenset(pyoxigraph.NamedNode(_KG + name) for name in ("mentions", "proposes"))
_MENTIONS = pyoxigraph.NamedNode(_KG + "mentions")
_PROPOSES = pyoxigraph.NamedNode(_KG + "proposes")
_EVALUATED_ON = pyoxigraph.NamedNode(_KG + "evaluatedOn")
_EVALUATION_SUMMARY = pyoxigraph.NamedNode(_KG + "EvaluationSummary")
_SUMMARY_METHOD = pyoxigraph.NamedNode(_KG + "method")
_SUMMARY_DATASET = pyoxigraph.NamedNode(_KG + "dataset")
# Classes of the entities that an evaluation summary counts papers for.
_METHOD_CLASSES = frozenset(pyoxigraph.NamedNode(_KG + name) for name in ("Method", "Model"))
# The path segment that kg.rdf.mint_iri puts between the base IRI and an entity's slug or hash.
_ENTITY_SEGMENT = "entity/"

# Classes whose instances depend on one paper only: a new description
# replaces the stored one completely.
REPLACED_CLASSES = frozenset(pyoxigraph.NamedNode(_KG + name) for name in ("Paper", "Result", "Statement"))

# Literal-valued predicates whose values accumulate across builds.
ACCUMULATED_PREDICATES = frozenset({_ALT_LABEL, _MATCH_KEY})


# Lines of N-Triples per `pyoxigraph.Store.bulk_load` call. pyoxigraph 0.5.13
# has no memory limit for bulk loads, and a call's memory grows with its input:
# one call peaked at 1,520 MiB for 1.2 million triples and at 3,914 MiB for 6.2
# million. Calls of 500,000 lines peaked at 685 and 752 MiB, and took 5 % more
# CPU time for the 6.2 million (`python bench/memory.py --store FILE`).
BULK_LOAD_LINES = 500_000


def _bulk_load_lines(store: pyoxigraph.Store, path: Path) -> None:
    """Bulk-load an N-Triples file in calls of at most `BULK_LOAD_LINES` lines, which bounds the loader's memory.

    Every call gives the blank nodes it reads new names, so a blank node
    split over two calls would become two nodes. From the first part that
    contains "_:" on, the rest of the file therefore goes in one call.

    Raises
    ------
    SyntaxError
        If a line is not valid N-Triples; the message gives its line in the file.
    """
    base_iri = path.resolve().as_uri()
    with path.open("rb") as handle:
        first_line = 1
        while True:
            offset = handle.tell()
            lines = list(itertools.islice(handle, BULK_LOAD_LINES))
            if not lines:
                return
            part: bytes | BinaryIO = b"".join(lines)
            rest_of_file = b"_:" in part
            if rest_of_file:
                handle.seek(offset)
                part = handle
            try:
                store.bulk_load(
                    input=part, format=pyoxigraph.RdfFormat.N_TRIPLES, base_iri=base_iri,
                    to_graph=pyoxigraph.DefaultGraph(),
                )
            except SyntaxError as err:
                raise _shift_line(err, first_line - 1) from err
            if rest_of_file:
                return
            first_line += len(lines)


def _shift_line(err: SyntaxError, lines_before: int) -> SyntaxError:
    """Return `err` of a part of a file with its line number counted from the start of the file."""
    if not lines_before or err.lineno is None:
        return err
    line = err.lineno + lines_before
    message = err.msg.replace(f"at line {err.lineno} ", f"at line {line} ", 1)
    return SyntaxError(message, (err.filename, line, err.offset, err.text))


@dataclass(frozen=True, slots=True)
class LoadStats:
    """Counts of the triples that one `GraphStore.load` read and changed.

    Attributes
    ----------
    read : int
        Triples in the loaded file.
    added, removed : int
        Triples inserted into and deleted from the store.
    total : int
        Triples in the store after the load.
    """

    read: int
    added: int
    removed: int
    total: int

    @property
    def changed(self) -> bool:
        """Whether the load added or removed any triple."""
        return bool(self.added or self.removed)


def is_store(path: str | Path) -> bool:
    """Return whether `path` is a folder that contains an Oxigraph store."""
    path = Path(path)
    return path.is_dir() and all((path / name).is_file() for name in _STORE_MARKERS)


def resolve_rdf_file(source: str | Path) -> tuple[Path, pyoxigraph.RdfFormat]:
    """Return the RDF file of `source` (a file, or a build folder) and its format.

    Raises
    ------
    InputError
        If the file is missing, or its suffix is not one of `RDF_SUFFIXES`.
    """
    path = Path(source)
    if path.is_dir():
        path = path / BUILD_RDF_FILE
        if not path.is_file():
            raise InputError(str(path), f"not found; a build folder must contain {BUILD_RDF_FILE}, so run kg build first")
        return path, pyoxigraph.RdfFormat.TURTLE
    suffixes = ", ".join(RDF_SUFFIXES)
    if not path.exists():
        raise InputError(str(path), f"not found; expected an RDF file ({suffixes}) or a build folder that contains {BUILD_RDF_FILE}")
    rdf_format = RDF_SUFFIXES.get(path.suffix.lower())
    if rdf_format is None:
        raise InputError(str(path), f"unsupported suffix {path.suffix!r}; expected one of {suffixes}")
    return path, rdf_format


def _read_triples(path: Path, rdf_format: pyoxigraph.RdfFormat) -> list[pyoxigraph.Triple]:
    # Quads of named graphs (TriG, N-Quads) are read into the default graph,
    # because the store keeps one graph.
    try:
        return [quad.triple for quad in pyoxigraph.parse(path=path, format=rdf_format, base_iri=path.resolve().as_uri())]
    except SyntaxError as err:
        raise InputError(str(path), f"invalid {rdf_format.name}: {err}") from err
    except OSError as err:
        raise InputError(str(path), f"cannot be read: {err}") from err


def _open_error(path: Path, err: OSError) -> InputError:
    message = str(err)
    if "lock" in message.lower():
        return InputError(
            str(path),
            "the store is locked by another process (a running kg build or kg query); wait for it to finish and retry",
        )
    return InputError(str(path), f"cannot open the store: {message}")


class GraphStore:
    """An Oxigraph store in a folder, with kg's idempotent loading.

    Open it with `GraphStore.open` and close it with `close` or a ``with``
    block: RocksDB locks the folder while it is open, so a second process
    cannot open the same store until then.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp()) / "store"
    >>> with GraphStore.open(folder, create=True) as store:
    ...     len(store)
    0
    """

    def __init__(self, store: pyoxigraph.Store, path: Path, *, read_only: bool = False) -> None:
        self._store: pyoxigraph.Store | None = store
        self.path = path
        self.read_only = read_only

    @classmethod
    def open(cls, path: str | Path, *, create: bool = False, read_only: bool = False) -> GraphStore:
        """Open the store in folder `path`.

        Parameters
        ----------
        path : str or Path
            The store folder.
        create : bool
            Create the store if the folder is missing or empty; otherwise a
            missing store is an error.
        read_only : bool
            Open for queries only. A read-only store takes no lock, so it can
            be queried while a build loads into it. Queries return the data
            as of the moment the store was opened.

        Raises
        ------
        InputError
            If `path` is a file, a folder that contains other files, a missing
            store (without `create`), or a store that another process has
            open.
        """
        path = Path(path)
        if path.exists() and not path.is_dir():
            raise InputError(str(path), "is a file, not a store folder; give the folder of an Oxigraph store")
        if not is_store(path):
            if path.is_dir() and any(path.iterdir()):
                raise InputError(
                    str(path),
                    "is not an Oxigraph store (it has no RocksDB CURRENT and IDENTITY files); "
                    "choose an empty or new folder for a store",
                )
            if not create or read_only:
                raise InputError(str(path), "store not found; create it with kg build INPUTS --store FOLDER")
        if create and not read_only:
            # RocksDB creates the store folder but not its parents ("outputs/store" in a fresh folder).
            path.mkdir(parents=True, exist_ok=True)
        try:
            store = pyoxigraph.Store.read_only(str(path)) if read_only else pyoxigraph.Store(str(path))
        except OSError as err:
            raise _open_error(path, err) from err
        logger.debug("Opened the store %s%s", path, " read-only" if read_only else "")
        return cls(store, path, read_only=read_only)

    @property
    def store(self) -> pyoxigraph.Store:
        """The open `pyoxigraph.Store`.

        Raises
        ------
        InputError
            If the store is closed.
        """
        if self._store is None:
            raise InputError(str(self.path), "the store is closed")
        return self._store

    def close(self) -> None:
        """Flush and release the store, so other processes can open it."""
        if self._store is not None:
            if not self.read_only:
                self._store.flush()
            # pyoxigraph has no close(): RocksDB closes when the last
            # reference goes.
            self._store = None
            logger.debug("Closed the store %s", self.path)

    def __enter__(self) -> GraphStore:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None) -> None:
        self.close()

    def __len__(self) -> int:
        return len(self.store)

    def load(self, source: str | Path, *, replace: bool = False) -> LoadStats:
        """Add the RDF of a build folder or file to the store, idempotently.

        Parameters
        ----------
        source : str or Path
            A build folder (its ``graph.ttl`` is read) or an RDF file with one
            of the suffixes of `RDF_SUFFIXES`.
        replace : bool
            Empty the store first, so it contains this build only.

        Returns
        -------
        LoadStats

        Raises
        ------
        InputError
            If the source is missing or is not valid RDF.
        OSError
            If the store cannot be written.

        Notes
        -----
        The merge rule is in the module docstring. The insertions are one
        transaction. The deletions of replaced values follow one by one, and
        the recounted evaluation summaries are written after both. So an
        interrupted load can leave an old value beside its new one, and
        loading the same build again removes the old value.
        """
        path, rdf_format = resolve_rdf_file(source)
        store = self.store
        if replace:
            store.clear()
        if len(store) == 0 and rdf_format in _TRIPLE_FORMATS:
            # Fast path: nothing to merge with.
            try:
                if rdf_format == pyoxigraph.RdfFormat.N_TRIPLES:
                    _bulk_load_lines(store, path)
                else:
                    store.bulk_load(
                        path=path, format=rdf_format, base_iri=path.resolve().as_uri(), to_graph=pyoxigraph.DefaultGraph()
                    )
            except SyntaxError as err:
                # Bulk loads are not transactional: remove the triples read
                # before the error, so the store is empty again.
                store.clear()
                raise InputError(str(path), f"invalid {rdf_format.name}: {err}") from err
            # A bulk load leaves many unmerged files behind. Compacting them
            # took 15 s for 13 million triples and made index lookups many
            # times faster (bench/sparql.py, pyoxigraph 0.5.13).
            store.optimize()
            total = len(store)
            logger.info("Loaded %d triples from %s into the empty store %s", total, path, self.path)
            return LoadStats(read=total, added=total, removed=0, total=total)

        triples = _read_triples(path, rdf_format)
        additions, removals = self._changes(triples)
        store.extend(_quad(triple) for triple in additions)
        for triple in removals:
            store.remove(_quad(triple))
        summary_additions, summary_removals = self._recount_evaluations(triples, additions, removals)
        store.extend(_quad(triple) for triple in summary_additions)
        for triple in summary_removals:
            store.remove(_quad(triple))
        added = len(additions) + len(summary_additions)
        removed = len(removals) + len(summary_removals)
        total = len(store)
        logger.info(
            "Loaded %s into %s: %d triples read, %d added, %d removed, %d in the store",
            path, self.path, len(triples), added, removed, total,
        )
        return LoadStats(read=len(set(triples)), added=added, removed=removed, total=total)

    def bulk_load_ntriples(self, paths: Sequence[str | Path]) -> LoadStats:
        """Bulk-load N-Triples files that kg wrote into the empty store, as `load` loads one file into an empty store.

        The files are read one after the other as one document, so each must
        end with a line break. A triple that repeats, in one file or across
        files, is stored once. pyoxigraph releases the GIL while it loads, so
        other threads of the caller keep running. The parser skips the
        validation of IRIs and literals, so the files must come from kg's
        own writer (`kg.rdf_stream`), not from elsewhere.

        Raises
        ------
        KgError
            If the store is not empty.
        InputError
            If a file is not valid N-Triples; the store is empty again then.
        """
        store = self.store
        if len(store) != 0:
            raise KgError(f"{self.path}: the store is not empty; load into it with GraphStore.load, which merges")
        with _ConcatenatedFiles(paths) as reader:
            try:
                # kg writes these files and re-parses its exports strictly,
                # so the load skips the IRI and literal checks: 10 to 30 %
                # faster for 1.2 million triples (pyoxigraph 0.5.13, one-off
                # runs on a busy 2-core machine).
                store.bulk_load(
                    input=reader, format=pyoxigraph.RdfFormat.N_TRIPLES, to_graph=pyoxigraph.DefaultGraph(), lenient=True
                )
            except SyntaxError as err:
                # Bulk loads are not transactional: remove the triples read
                # before the error, so the store is empty again.
                store.clear()
                raise InputError(", ".join(map(str, paths)), f"invalid N-Triples: {err}") from err
        # Compacted as in `load`, for fast index lookups.
        store.optimize()
        total = len(store)
        logger.info("Loaded %d triples from %d N-Triples files into the empty store %s", total, len(paths), self.path)
        return LoadStats(read=total, added=total, removed=0, total=total)

    def _changes(self, triples: Iterable[pyoxigraph.Triple]) -> tuple[list[pyoxigraph.Triple], list[pyoxigraph.Triple]]:
        """Return the triples to add and to remove so that the store contains `triples` merged by the merge rule."""
        described: dict[pyoxigraph.NamedNode | pyoxigraph.BlankNode, list[pyoxigraph.Triple]] = defaultdict(list)
        for triple in triples:
            described[triple.subject].append(triple)
        # Oxigraph stores typed literals in canonical form ("12.0"^^xsd:decimal
        # reads back as "12"), so the new triples are compared through an
        # in-memory store that canonicalizes them the same way.
        incoming = pyoxigraph.Store()
        incoming.extend(_quad(triple) for triple in _all(described))
        store = self.store

        additions: list[pyoxigraph.Triple] = []
        removals: list[pyoxigraph.Triple] = []
        for subject, new in described.items():
            additions.extend(triple for triple in new if _quad(triple) not in store)
            stale = [triple for triple in self._stored_triples(subject) if _quad(triple) not in incoming]
            if not stale:
                continue
            replaced_whole = any(t.predicate == _RDF_TYPE and t.object in REPLACED_CLASSES for t in new)
            new_labels = {t.object.value for t in new if t.predicate == _PREF_LABEL}
            for triple in stale:
                if replaced_whole:
                    removals.append(triple)
                elif isinstance(triple.object, pyoxigraph.Literal) and triple.predicate not in ACCUMULATED_PREDICATES:
                    removals.append(triple)
                    if triple.predicate == _PREF_LABEL and new_labels and triple.object.value not in new_labels:
                        kept = pyoxigraph.Triple(subject, _ALT_LABEL, triple.object)
                        if _quad(kept) not in store and _quad(kept) not in incoming:
                            additions.append(kept)
        return self._recount_papers(described, _unique(additions), removals)

    def _recount_papers(
        self,
        described: dict[pyoxigraph.NamedNode | pyoxigraph.BlankNode, list[pyoxigraph.Triple]],
        additions: list[pyoxigraph.Triple],
        removals: list[pyoxigraph.Triple],
    ) -> tuple[list[pyoxigraph.Triple], list[pyoxigraph.Triple]]:
        """Replace the ``kg:paperCount`` changes of a merge by counts of the merged edges.

        An entity is recounted when the loaded file gives it a count or when
        the merge adds or removes a counted edge to an entity that has one.
        """
        store = self.store
        additions = [triple for triple in additions if triple.predicate != _PAPER_COUNT]
        removals = [triple for triple in removals if triple.predicate != _PAPER_COUNT]
        added_edges: dict[object, set[object]] = defaultdict(set)
        removed_edges: dict[object, set[object]] = defaultdict(set)
        for triple in additions:
            if triple.predicate in _COUNTED_PREDICATES:
                added_edges[triple.object].add((triple.subject, triple.predicate))
        for triple in removals:
            if triple.predicate in _COUNTED_PREDICATES:
                removed_edges[triple.object].add((triple.subject, triple.predicate))

        # Evaluation summaries carry kg:paperCount too, but
        # _recount_evaluations counts them after the merge is applied.
        counted = {
            subject
            for subject, triples in described.items()
            if any(t.predicate == _PAPER_COUNT for t in triples) and not _is_summary(triples)
        }
        for entity in (added_edges.keys() | removed_edges.keys()) - counted:
            if next(store.quads_for_pattern(entity, _PAPER_COUNT, None, pyoxigraph.DefaultGraph()), None) is not None:
                counted.add(entity)

        for entity in counted:
            edges = {
                (quad.subject, quad.predicate)
                for predicate in _COUNTED_PREDICATES
                for quad in store.quads_for_pattern(None, predicate, entity, pyoxigraph.DefaultGraph())
            }
            edges = (edges | added_edges[entity]) - removed_edges[entity]
            count = pyoxigraph.Literal(str(len({subject for subject, _ in edges})), datatype=_XSD_INTEGER)
            new = pyoxigraph.Triple(entity, _PAPER_COUNT, count)
            stored = [quad.triple for quad in store.quads_for_pattern(entity, _PAPER_COUNT, None, pyoxigraph.DefaultGraph())]
            if stored == [new]:
                continue
            removals.extend(triple for triple in stored if triple != new)
            if new not in stored:
                additions.append(new)
        return additions, removals

    def _recount_evaluations(
        self,
        triples: list[pyoxigraph.Triple],
        additions: list[pyoxigraph.Triple],
        removals: list[pyoxigraph.Triple],
    ) -> tuple[list[pyoxigraph.Triple], list[pyoxigraph.Triple]]:
        """Return the triples that make the ``kg:EvaluationSummary`` nodes count the merged store.

        The store must already contain the merge of `triples` (its
        `additions` added and `removals` removed). The pairs to recount are
        those of the summaries in `triples` and those whose count depends on
        a changed edge. A changed edge of a paper affects the pairs of its
        methods and datasets, before and after the change. A changed
        ``kg:evaluatedOn`` edge of a method affects that pair.
        """
        counter = _EvaluationCounter(self.store)
        pairs: set[tuple[pyoxigraph.NamedNode, pyoxigraph.NamedNode]] = set()
        summaries = {t.subject for t in triples if t.predicate == _RDF_TYPE and t.object == _EVALUATION_SUMMARY}
        methods = {t.subject: t.object for t in triples if t.subject in summaries and t.predicate == _SUMMARY_METHOD}
        datasets = {t.subject: t.object for t in triples if t.subject in summaries and t.predicate == _SUMMARY_DATASET}
        pairs.update((methods[summary], datasets[summary]) for summary in methods.keys() & datasets.keys())

        # Edges that a removal took away from a subject, which the store no longer shows.
        removed_named: dict[object, set[object]] = defaultdict(set)
        removed_evaluated: dict[object, set[object]] = defaultdict(set)
        for triple in removals:
            if triple.predicate in _COUNTED_PREDICATES:
                removed_named[triple.subject].add(triple.object)
            elif triple.predicate == _EVALUATED_ON:
                removed_evaluated[triple.subject].add(triple.object)
        for triple in [*additions, *removals]:
            subject, target = triple.subject, triple.object
            if triple.predicate == _EVALUATED_ON:
                pairs.add((subject, target))
                named = counter.objects(subject, _MENTIONS) | counter.objects(subject, _PROPOSES)
                pairs.update((method, target) for method in named | removed_named[subject])
            elif triple.predicate in _COUNTED_PREDICATES:
                evaluated = counter.objects(subject, _EVALUATED_ON) | removed_evaluated[subject]
                pairs.update((target, dataset) for dataset in evaluated)

        summary_additions: list[pyoxigraph.Triple] = []
        summary_removals: list[pyoxigraph.Triple] = []
        for method, dataset in sorted(pairs, key=str):
            if not isinstance(method, pyoxigraph.NamedNode) or not isinstance(dataset, pyoxigraph.NamedNode):
                continue
            count = counter.count(method, dataset)
            stored = self._summaries(method, dataset)
            if count == 0:
                for summary in stored:
                    summary_removals.extend(self._stored_triples(summary))
                continue
            if not stored:
                summary = pyoxigraph.NamedNode(str(evaluation_summary_iri(method.value, dataset.value, base_iri=_base_iri(method))))
                summary_additions.extend([
                    pyoxigraph.Triple(summary, _RDF_TYPE, _EVALUATION_SUMMARY),
                    pyoxigraph.Triple(summary, _SUMMARY_METHOD, method),
                    pyoxigraph.Triple(summary, _SUMMARY_DATASET, dataset),
                ])
                stored = [summary]
            new_count = pyoxigraph.Literal(str(count), datatype=_XSD_INTEGER)
            for summary in stored:
                new = pyoxigraph.Triple(summary, _PAPER_COUNT, new_count)
                old = [q.triple for q in self.store.quads_for_pattern(summary, _PAPER_COUNT, None, pyoxigraph.DefaultGraph())]
                summary_removals.extend(triple for triple in old if triple != new)
                if new not in old:
                    summary_additions.append(new)
        return summary_additions, summary_removals

    def _summaries(self, method: pyoxigraph.NamedNode, dataset: pyoxigraph.NamedNode) -> list[pyoxigraph.NamedNode]:
        """Return the stored evaluation summaries of a (method, dataset) pair."""
        graph = pyoxigraph.DefaultGraph()
        return sorted(
            (
                quad.subject
                for quad in self.store.quads_for_pattern(None, _SUMMARY_METHOD, method, graph)
                if pyoxigraph.Quad(quad.subject, _SUMMARY_DATASET, dataset, graph) in self.store
            ),
            key=str,
        )

    def _stored_triples(self, subject: pyoxigraph.NamedNode | pyoxigraph.BlankNode) -> Iterator[pyoxigraph.Triple]:
        for quad in self.store.quads_for_pattern(subject, None, None, pyoxigraph.DefaultGraph()):
            yield quad.triple


class _EvaluationCounter:
    """Count the papers of (method, dataset) pairs in a store, by the rule of `kg.rdf.count_evaluations`.

    Lookups are cached, because the pairs of one merge share their
    methods and datasets. The store must not change while it is in use.
    """

    def __init__(self, store: pyoxigraph.Store) -> None:
        self.store = store
        self._subjects: dict[tuple[object, object], frozenset[object]] = {}
        self._objects: dict[tuple[object, object], frozenset[object]] = {}

    def subjects(self, predicate: pyoxigraph.NamedNode, target: object) -> frozenset[object]:
        key = (predicate, target)
        if key not in self._subjects:
            quads = self.store.quads_for_pattern(None, predicate, target, pyoxigraph.DefaultGraph())
            self._subjects[key] = frozenset(quad.subject for quad in quads)
        return self._subjects[key]

    def objects(self, subject: object, predicate: pyoxigraph.NamedNode) -> frozenset[object]:
        key = (subject, predicate)
        if key not in self._objects:
            quads = self.store.quads_for_pattern(subject, predicate, None, pyoxigraph.DefaultGraph())
            self._objects[key] = frozenset(quad.object for quad in quads)
        return self._objects[key]

    def count(self, method: pyoxigraph.NamedNode, dataset: pyoxigraph.NamedNode) -> int:
        """Return the number of papers that count for the pair, or 0 when the method is not typed kg:Method or kg:Model."""
        if not self.objects(method, _RDF_TYPE) & _METHOD_CLASSES:
            return 0
        # The saved query reads the dataset's name, so a dataset without one has no row.
        if not self.objects(dataset, _PREF_LABEL):
            return 0
        papers = self.subjects(_PROPOSES, method)
        if dataset in self.objects(method, _EVALUATED_ON):
            papers = papers | self.subjects(_MENTIONS, method)
        return len(papers & self.subjects(_EVALUATED_ON, dataset))


def _is_summary(triples: Iterable[pyoxigraph.Triple]) -> bool:
    return any(t.predicate == _RDF_TYPE and t.object == _EVALUATION_SUMMARY for t in triples)


def _base_iri(entity: pyoxigraph.NamedNode) -> str:
    """Return the base IRI that kg.rdf.mint_iri minted an entity IRI from.

    Entity IRIs end with ``entity/`` and a slug or hash without "/", and
    a base IRI ends with "/" or "#", so the base is everything before the
    last ``entity/``.
    """
    # NOTE: an entity IRI that kg did not mint falls back to the default
    # base, so its new summaries get IRIs under that base.
    position = entity.value.rfind(_ENTITY_SEGMENT)
    base = entity.value[:position]
    if position <= 0 or base[-1] not in "/#" or "/" in entity.value[position + len(_ENTITY_SEGMENT) :]:
        return DEFAULT_BASE_IRI
    return base


def _quad(triple: pyoxigraph.Triple) -> pyoxigraph.Quad:
    return pyoxigraph.Quad(triple.subject, triple.predicate, triple.object, pyoxigraph.DefaultGraph())


def _all(described: dict[object, list[pyoxigraph.Triple]]) -> Iterator[pyoxigraph.Triple]:
    for triples in described.values():
        yield from triples


def _unique(triples: list[pyoxigraph.Triple]) -> list[pyoxigraph.Triple]:
    # A file can state a triple twice; it is added once.
    return list(dict.fromkeys(triples))


class _ConcatenatedFiles(io.RawIOBase):
    """Read several files as one stream of bytes."""

    def __init__(self, paths: Sequence[str | Path]) -> None:
        super().__init__()
        self._paths = list(paths)
        self._handle: BinaryIO | None = None

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while True:
            if self._handle is None:
                if not self._paths:
                    return 0
                self._handle = open(self._paths.pop(0), "rb")  # noqa: SIM115 - closed at its end or in close()
            count = self._handle.readinto(buffer)
            if count:
                return count
            self._handle.close()
            self._handle = None

    def close(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None
        super().close()


def store_size_on_disk(path: str | Path) -> int:
    """Return the bytes that the files of a store folder take."""
    return sum(entry.stat().st_size for entry in os.scandir(path) if entry.is_file())
