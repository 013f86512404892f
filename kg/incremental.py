"""Incremental builds: add papers to an existing build without extracting the old ones again.

``kg build NEW --out DIR --incremental`` reads the records of the build in
``DIR`` (``extractions.jsonl``) and its state file (`STATE_FILE`). It runs
the spaCy pipeline only on the papers that are new or changed, and then
builds the graph and every export from all records, as a full build would.

A paper of the new input is

* new when its id is not in the previous build: it is extracted;
* unchanged when its id, title and abstract equal a previous record: it is
  skipped and its old record is kept, even when its url, date or authors
  differ. A full build keeps the first copy of a repeated paper the same way;
* replaced when its id is known but its title or abstract differ: it is
  extracted again and its new record replaces the old one.

Entity ids
----------
A full build derives each entity id from the names in the whole corpus, so
new papers can change it: a paper that defines "XYZ (Foo Bar Baz)" merges
the node ``entity:xyz`` into ``entity:foo bar baz``. An incremental build
keeps ids stable by one rule, applied to every entity node of the new graph:

1. A node whose key was an entity key of the previous build keeps it.
2. Otherwise, when nodes of the previous build merged into it, it takes the
   smallest of their keys (in code point order), so the example above keeps
   ``entity:xyz``, now named "Foo Bar Baz".
3. Otherwise the node is new and keeps the key of a full build.

An id of the previous build that merged into another node is recorded in
that node's ``former_keys`` attribute and exported as ``kg:replaces``, so
its IRI stays resolvable. An id that left no merge record (a replaced paper
can move a name into another entity directly) goes to the one node that
has a name or alias with that key, if exactly one has. The record is carried from build to build and
follows later merges. It is dropped when the key becomes a node of its own
again, or when no paper mentions the entity any more.

Store
-----
With ``--store``, the store is updated by the difference between the
previous and the new RDF export (triples to remove, triples to add) when the
state file shows that the store contains exactly the previous export of this
folder. Otherwise the new export is merged by `kg.store.GraphStore.load`.
"""

from __future__ import annotations

import hashlib
import json
import logging
import tempfile
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, TypeVar

import networkx as nx
import pyoxigraph

from kg.compact import CompactGraph
from kg.errors import InputError
from kg.graph import RESULT_TYPE, entity_node_id
from kg.io import atomic_write
from kg.model import EntityType, Paper, PaperExtraction
from kg.resolve import entity_key
from kg.store import RDF_SUFFIXES, GraphStore, LoadStats

__all__ = [
    "STATE_FILE",
    "STATE_VERSION",
    "BuildState",
    "PaperCounts",
    "PreviousBuild",
    "StoreRecord",
    "TripleDelta",
    "apply_delta",
    "build_state",
    "keep_entity_ids",
    "pipeline_fingerprint",
    "read_state",
    "record_store",
    "rename_entities",
    "triple_delta",
    "write_state",
]

logger = logging.getLogger(__name__)

# The graph classes that `rename_entities` and `keep_entity_ids` return as they receive them.
GraphT = TypeVar("GraphT", nx.MultiDiGraph, CompactGraph)

STATE_FILE = "build-state.json"
# Version of the state file's layout; a reader rejects other versions.
STATE_VERSION = 1
EXTRACTIONS_FILE = "extractions.jsonl"

# Bytes of the BLAKE2b digest that represents one N-Triples line (or one
# paper's title and abstract) in comparisons. 128 bits make a collision
# between two different triples of a corpus practically impossible.
_DIGEST_SIZE = 16

_ENTITY_TYPES = frozenset(str(entity_type) for entity_type in EntityType)
_RESULT_KEY_ATTRIBUTES = ("subject", "metric", "benchmark")


@dataclass(frozen=True, slots=True)
class StoreRecord:
    """The store that a build's RDF export was loaded into, when that store contains nothing else.

    Attributes
    ----------
    path : str
        The store folder, resolved to an absolute path.
    file : str
        The name of the RDF file of the build folder that was loaded.
    triples : int
        Triples in the store right after the load; a different count later
        means that something else changed the store.
    """

    path: str
    file: str
    triples: int


@dataclass(frozen=True)
class BuildState:
    """State of a build that the next incremental build of its folder reads (`STATE_FILE`).

    Attributes
    ----------
    entity_keys : frozenset of str
        Keys of the entity nodes of the build.
    former_keys : mapping of str to str
        Keys of entity nodes of earlier builds that merged into another node,
        mapped to the key of that node.
    sources : tuple of str
        Names of the input files of every build that added papers.
    pipeline : mapping
        `pipeline_fingerprint` of the pipeline that extracted the papers.
    store : StoreRecord or None
        The store that contains exactly this build's export, if any.
    """

    entity_keys: frozenset[str]
    former_keys: Mapping[str, str] = field(default_factory=dict)
    sources: tuple[str, ...] = ()
    pipeline: Mapping[str, Any] = field(default_factory=dict)
    store: StoreRecord | None = None

    def to_json(self) -> dict[str, Any]:
        store = None
        if self.store is not None:
            store = {"path": self.store.path, "file": self.store.file, "triples": self.store.triples}
        return {
            "version": STATE_VERSION,
            "entity_keys": sorted(self.entity_keys),
            "former_keys": dict(sorted(self.former_keys.items())),
            "sources": list(self.sources),
            "pipeline": dict(self.pipeline),
            "store": store,
        }

    @classmethod
    def from_json(cls, data: Any, path: Path) -> BuildState:
        """Read a state object; `path` names the file in errors.

        Raises
        ------
        InputError
            If the object is not a state of `STATE_VERSION`.
        """
        if not isinstance(data, dict) or data.get("version") != STATE_VERSION:
            version = data.get("version") if isinstance(data, dict) else None
            raise InputError(
                str(path),
                f"unsupported build state version {version!r}; expected {STATE_VERSION}. "
                "Run a full build (without --incremental) to rewrite it",
            )
        try:
            store_data = data["store"]
            store = None
            if store_data is not None:
                store = StoreRecord(str(store_data["path"]), str(store_data["file"]), int(store_data["triples"]))
            return cls(
                entity_keys=frozenset(str(key) for key in data["entity_keys"]),
                former_keys={str(key): str(value) for key, value in data["former_keys"].items()},
                sources=tuple(str(name) for name in data["sources"]),
                pipeline=dict(data["pipeline"]),
                store=store,
            )
        except (KeyError, TypeError, ValueError, AttributeError) as err:
            raise InputError(
                str(path), f"invalid build state ({type(err).__name__}: {err}); run a full build to rewrite it"
            ) from err


def build_state(
    graph: nx.MultiDiGraph, *, former_keys: Mapping[str, str], sources: Sequence[str], pipeline: Mapping[str, Any]
) -> BuildState:
    """Return the state of a build of `graph`, without a store record (`record_store` adds it after loading)."""
    entity_keys = frozenset(data["key"] for _, data in graph.nodes(data=True) if data.get("type") in _ENTITY_TYPES)
    return BuildState(entity_keys=entity_keys, former_keys=dict(former_keys), sources=tuple(sources), pipeline=dict(pipeline))


def read_state(out_dir: str | Path) -> BuildState | None:
    """Return the state of the build in `out_dir`, or None when it has no `STATE_FILE`.

    Raises
    ------
    InputError
        If the file is not valid JSON or not a state of `STATE_VERSION`.
    """
    path = Path(out_dir) / STATE_FILE
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise InputError(str(path), f"invalid JSON ({err}); run a full build to rewrite it") from err
    return BuildState.from_json(data, path)


def write_state(path: str | Path, state: BuildState) -> None:
    """Write `state` as JSON to `path`, atomically."""
    with atomic_write(path) as handle:
        json.dump(state.to_json(), handle, ensure_ascii=False, indent=1)
        handle.write("\n")


def pipeline_fingerprint(model: str | None, vocabulary_paths: Sequence[str | Path]) -> dict[str, Any]:
    """Return what identifies the extraction settings of a build: the model name and the SHA-256 of each vocabulary file."""
    digests = [hashlib.sha256(Path(path).read_bytes()).hexdigest() for path in vocabulary_paths]
    return {"model": model, "vocabularies": digests}


def _fingerprint(title: str, abstract: str) -> bytes:
    digest = hashlib.blake2b(digest_size=_DIGEST_SIZE)
    digest.update(title.encode("utf-8", "surrogatepass"))
    digest.update(b"\0")
    digest.update(abstract.encode("utf-8", "surrogatepass"))
    return digest.digest()


@dataclass
class PaperCounts:
    """Counts of the papers of the new input, by what an incremental build did with them."""

    new: int = 0
    unchanged: int = 0
    replaced: int = 0


class PreviousBuild:
    """The records and state of the build in an output folder, read for an incremental build.

    Use `read` to open it, `select` to filter the papers of the new input,
    and `records` to yield the records of the new build.
    """

    def __init__(self, out_dir: Path, state: BuildState, fingerprints: dict[str, bytes]) -> None:
        self.out_dir = out_dir
        self.state = state
        self.counts = PaperCounts()
        self._fingerprints = fingerprints
        self._replaced: set[str] = set()

    @classmethod
    def read(cls, out_dir: str | Path) -> PreviousBuild | None:
        """Read the build in `out_dir`; return None, with a log line, when there is none.

        Only the id, title and abstract of each record are kept in memory;
        `records` reads the file again.

        Raises
        ------
        InputError
            If the folder has records but no state file (a build of an older
            kg), a state file but no records, or an invalid record.
        """
        out_dir = Path(out_dir)
        path = out_dir / EXTRACTIONS_FILE
        state = read_state(out_dir)
        if state is None and not path.exists():
            logger.info("No previous build in %s: building all papers of the input", out_dir)
            return None
        if state is None:
            raise InputError(
                str(out_dir / STATE_FILE),
                f"file not found beside {EXTRACTIONS_FILE}, so the build in {out_dir} was written by an older "
                "kg; build all inputs again without --incremental",
            )
        if not path.is_file():
            raise InputError(str(path), "file not found; build all inputs again without --incremental")
        fingerprints: dict[str, bytes] = {}
        for number, data in _read_records(path):
            paper_id, title, abstract = data.get("id"), data.get("title"), data.get("abstract")
            if not isinstance(paper_id, str) or not isinstance(title, str) or not isinstance(abstract, str):
                raise InputError(
                    str(path),
                    "expected the string fields 'id', 'title' and 'abstract'; the file was written by an older "
                    "kg or edited, so build all inputs again without --incremental",
                    record=number,
                )
            fingerprints[paper_id] = _fingerprint(title, abstract)
        logger.info("Read %d papers of the previous build in %s", len(fingerprints), out_dir)
        return cls(out_dir, state, fingerprints)

    def select(self, papers: Iterable[Paper]) -> Iterator[Paper]:
        """Yield the papers that need extraction (new or changed), and count every paper in `counts`."""
        for paper in papers:
            previous = self._fingerprints.get(paper.id)
            if previous is None:
                self.counts.new += 1
                yield paper
            elif previous == _fingerprint(paper.title, paper.abstract):
                self.counts.unchanged += 1
            else:
                self.counts.replaced += 1
                self._replaced.add(paper.id)
                logger.info(
                    "%s, record %d: paper %r has a new title or abstract; its record replaces the previous one",
                    paper.source, paper.record, paper.id,
                )
                yield paper

    def records(self, extractions: Iterable[PaperExtraction]) -> Iterator[PaperExtraction]:
        """Yield the records of the new build: the kept previous records in file order, then `extractions`.

        The previous records come first, so that a build of A and then B
        adds records to the graph in the order of a full build of A and B.
        A replaced record moves to the end. `extractions` is consumed first
        and buffered in an anonymous temporary file, because only then is
        it known which previous records are replaced.
        """
        with tempfile.TemporaryFile("w+", encoding="utf-8", dir=self.out_dir) as buffer:
            for extraction in extractions:
                buffer.write(json.dumps(extraction.to_json(), ensure_ascii=False) + "\n")
            for _, data in _read_records(self.out_dir / EXTRACTIONS_FILE):
                if data["id"] not in self._replaced:
                    yield _record(data, self.out_dir / EXTRACTIONS_FILE)
            buffer.seek(0)
            for line in buffer:
                yield PaperExtraction.from_json(json.loads(line))

    def check_pipeline(self, fingerprint: Mapping[str, Any]) -> None:
        """Log a warning when the previous build used other extraction settings."""
        if self.state.pipeline and dict(self.state.pipeline) != dict(fingerprint):
            logger.warning(
                "The previous build in %s used another model or other vocabulary files; its papers keep "
                "their old extractions. Build all inputs again without --incremental to extract them anew",
                self.out_dir,
            )

    def store_delta(self, store: str | Path, new_export: Path) -> TripleDelta | None:
        """Return the change from the previous export to `new_export`, or None when the store needs a merge.

        The difference is only worth computing when the store contains
        exactly the previous export; `apply_delta` checks the triple count
        again before it changes the store.
        """
        record = self.state.store
        reason = ""
        if record is None:
            reason = "the previous build did not load it alone into a store"
        elif Path(store).resolve() != Path(record.path):
            reason = f"the previous build was loaded into {record.path}"
        elif not (self.out_dir / record.file).is_file():
            reason = f"the previous export {self.out_dir / record.file} is missing"
        elif new_export.suffix not in RDF_SUFFIXES or new_export.suffix in (".trig", ".nq"):
            reason = f"{new_export.name} has named graphs"
        if reason:
            logger.info("Merging the new export into the store %s, because %s", store, reason)
            return None
        assert record is not None
        return triple_delta(self.out_dir / record.file, new_export, expected_triples=record.triples)


def _read_records(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                data = json.loads(line)
            except json.JSONDecodeError as err:
                raise InputError(str(path), f"invalid JSON ({err}); build all inputs again without --incremental", record=number) from err
            if not isinstance(data, dict):
                raise InputError(str(path), f"expected a JSON object, got {type(data).__name__}", record=number)
            yield number, data


def _record(data: dict[str, Any], path: Path) -> PaperExtraction:
    try:
        return PaperExtraction.from_json(data)
    except (KeyError, TypeError, ValueError) as err:
        raise InputError(
            str(path),
            f"invalid record of paper {data.get('id')!r} ({type(err).__name__}: {err}); "
            "build all inputs again without --incremental",
        ) from err


def rename_entities(graph: GraphT, renames: Mapping[str, str]) -> GraphT:
    """Return a copy of `graph` whose entity keys are changed by `renames` (old key to new key).

    Node ids, the ``key`` attribute of entities and the entity keys in the
    attributes of result nodes change. Node and edge order stay the same.
    """
    if not renames:
        return graph
    mapping = {entity_node_id(old): entity_node_id(new) for old, new in renames.items()}
    if isinstance(graph, CompactGraph):
        renamed = graph.relabel_nodes(mapping)
    else:
        renamed = nx.relabel_nodes(graph, mapping, copy=True)
    for node in mapping.values():
        renamed.nodes[node]["key"] = node.removeprefix("entity:")
    for _, data in renamed.nodes(data=True):
        if data.get("type") != RESULT_TYPE:
            continue
        for name in _RESULT_KEY_ATTRIBUTES:
            if data.get(name) in renames:
                data[name] = renames[data[name]]
    return renamed


def keep_entity_ids(
    graph: GraphT, merged_keys: Mapping[str, str], previous: BuildState | None
) -> tuple[GraphT, dict[str, str]]:
    """Give entity nodes the ids of the previous build by the rule in the module docstring.

    Parameters
    ----------
    graph : networkx.MultiDiGraph or kg.compact.CompactGraph
        The new graph, from `kg.graph.GraphBuilder.graph` or `kg.graph.GraphBuilder.compact_graph`.
    merged_keys : mapping of str to str
        `kg.graph.GraphBuilder.merged_keys` of the builder of `graph`.
    previous : BuildState or None
        The state of the previous build; None for a full build, which
        changes nothing.

    Returns
    -------
    graph : networkx.MultiDiGraph or kg.compact.CompactGraph
        `graph` itself when no node is renamed, else a renamed copy of the same class. Nodes
        that absorbed ids of earlier builds get a ``former_keys`` list.
    former_keys : dict of str to str
        Every former id mapped to the key of the node it is part of now.
    """
    if previous is None:
        return graph, {}
    members: dict[str, set[str]] = defaultdict(set)
    for key, into in merged_keys.items():
        members[into].add(key)
    entity_keys = {data["key"] for _, data in graph.nodes(data=True) if data.get("type") in _ENTITY_TYPES}

    renames: dict[str, str] = {}
    for key in sorted(entity_keys - previous.entity_keys):
        candidates = sorted(members[key] & previous.entity_keys)
        if not candidates:
            continue
        if entity_node_id(candidates[0]) in graph:
            # NOTE: no test reaches this branch. A merged key is not a node of
            # the graph unless a family node (`GraphBuilder._link_families`) took it.
            logger.warning("Entity %r cannot take the previous id %r, which another node has", key, candidates[0])
            continue
        logger.info("Entity %r keeps the id %r of the previous build", key, candidates[0])
        renames[key] = candidates[0]
    graph = rename_entities(graph, renames)
    live = {renames.get(key, key) for key in entity_keys}

    def current(key: str) -> str | None:
        if key in live:
            return key
        if key in merged_keys:
            into = merged_keys[key]
            return renames.get(into, into)
        return None

    # Keys of the names and aliases of each node, for ids that left no merge
    # record: a replaced paper can move a form into another entity directly.
    owners: dict[str, set[str]] = defaultdict(set)
    for _, data in graph.nodes(data=True):
        if data.get("type") in _ENTITY_TYPES:
            for form in (data.get("name", ""), *data.get("aliases", ())):
                owners[entity_key(form)].add(data["key"])

    former_keys: dict[str, str] = {}
    for key in sorted(previous.entity_keys | previous.former_keys.keys()):
        if key in live:
            continue
        home = current(key)
        if home is None and key in previous.former_keys:
            home = current(previous.former_keys[key])
        if home is None and len(owners[key]) == 1:
            (home,) = owners[key]
        if home is not None:
            former_keys[key] = home

    absorbed: dict[str, list[str]] = defaultdict(list)
    for key, home in former_keys.items():
        absorbed[home].append(key)
    for home, keys in absorbed.items():
        graph.nodes[entity_node_id(home)]["former_keys"] = sorted(keys)
    return graph, former_keys


@dataclass(frozen=True, slots=True)
class TripleDelta:
    """The triples that turn a store that contains one export into one that contains another.

    Attributes
    ----------
    removals, additions : list of pyoxigraph.Quad
        Triples of the old export only, and of the new export only, as
        quads in the default graph.
    read : int
        Distinct triples of the new export.
    expected_triples : int
        Triples that the store must contain before the change.
    """

    removals: list[pyoxigraph.Quad]
    additions: list[pyoxigraph.Quad]
    read: int
    expected_triples: int


def _ntriples_lines(path: Path) -> list[bytes]:
    # pyoxigraph writes one triple per line in one canonical form, so equal
    # triples of two files give equal lines whatever the input syntax.
    rdf_format = RDF_SUFFIXES[path.suffix]
    try:
        data = pyoxigraph.serialize(
            pyoxigraph.parse(path=path, format=rdf_format, base_iri=path.resolve().as_uri()),
            format=pyoxigraph.RdfFormat.N_TRIPLES,
        )
    except SyntaxError as err:
        raise InputError(str(path), f"invalid {rdf_format.name}: {err}") from err
    assert data is not None
    return [line for line in data.split(b"\n") if line]


def _digests(lines: Iterable[bytes]) -> set[bytes]:
    return {hashlib.blake2b(line, digest_size=_DIGEST_SIZE).digest() for line in lines}


def _parse_lines(lines: list[bytes]) -> list[pyoxigraph.Quad]:
    # The parser yields quads in the default graph, ready for the store.
    if not lines:
        return []
    return list(pyoxigraph.parse(b"\n".join(lines), format=pyoxigraph.RdfFormat.N_TRIPLES))


def triple_delta(old_export: Path, new_export: Path, *, expected_triples: int) -> TripleDelta:
    """Compare two RDF exports (Turtle, N-Triples or RDF/XML) triple by triple.

    Each export is parsed by pyoxigraph and written as N-Triples lines, and
    the sets of line digests decide which lines differ. Only the lines of one
    export and the digests of both are in memory at a time, so memory grows
    with the size of the export, not only with the change.

    Raises
    ------
    InputError
        If a file is not valid RDF.
    """
    old_digests = _digests(_ntriples_lines(old_export))
    new_lines = _ntriples_lines(new_export)
    new_digests: set[bytes] = set()
    added_lines: list[bytes] = []
    for line in new_lines:
        digest = hashlib.blake2b(line, digest_size=_DIGEST_SIZE).digest()
        if digest in new_digests:
            continue
        new_digests.add(digest)
        if digest not in old_digests:
            added_lines.append(line)
    del new_lines, old_digests
    removed_lines = [
        line
        for line in dict.fromkeys(_ntriples_lines(old_export))
        if hashlib.blake2b(line, digest_size=_DIGEST_SIZE).digest() not in new_digests
    ]
    logger.info(
        "Compared %s with %s: %d triples to remove, %d to add", old_export, new_export, len(removed_lines), len(added_lines)
    )
    return TripleDelta(
        removals=_parse_lines(removed_lines),
        additions=_parse_lines(added_lines),
        read=len(new_digests),
        expected_triples=expected_triples,
    )


def apply_delta(graph_store: GraphStore, delta: TripleDelta) -> LoadStats | None:
    """Apply `delta` to the store, or return None, with a log line, if the store has changed since the previous build.

    The additions are one transaction, and the removals follow one by one,
    as in `kg.store.GraphStore.load`. The store ends with exactly the triples
    of the new export. The exception is a pair of typed literals that
    Oxigraph stores as one, because it keeps them in canonical form. The
    count then differs, a warning is logged, and the next incremental build
    merges instead.
    """
    store = graph_store.store
    before = len(store)
    # NOTE: only the count is compared, so a change elsewhere that added and
    # removed the same number of triples since the previous build goes unnoticed.
    if before != delta.expected_triples:
        logger.info(
            "The store %s has %d triples, not the %d of the previous build; merging the new export instead",
            graph_store.path, before, delta.expected_triples,
        )
        return None
    store.extend(delta.additions)
    for quad in delta.removals:
        store.remove(quad)
    total = len(store)
    if total != delta.read:
        logger.warning(
            "The store %s has %d triples after the incremental update, but the new export has %d; "
            "the next incremental build will merge instead of applying a delta",
            graph_store.path, total, delta.read,
        )
    logger.info(
        "Updated the store %s: %d triples added, %d removed, %d in the store",
        graph_store.path, len(delta.additions), len(delta.removals), total,
    )
    return LoadStats(read=delta.read, added=len(delta.additions), removed=len(delta.removals), total=total)


def record_store(out_dir: str | Path, graph_store: GraphStore, rdf_file: str, stats: LoadStats) -> None:
    """Record in the state file of `out_dir` whether the store now contains exactly this build's export.

    Only then can the next incremental build update the store by a delta.
    """
    state = read_state(out_dir)
    if state is None:
        return
    record = None
    if stats.total == stats.read:
        record = StoreRecord(str(Path(graph_store.path).resolve()), rdf_file, stats.total)
    else:
        logger.info("The store %s contains other data besides %s", graph_store.path, rdf_file)
    write_state(Path(out_dir) / STATE_FILE, replace(state, store=record))
