"""The main job: input files in, the four outputs of a build out.

`build` reads papers, runs extraction, merges the graph and writes:

- ``extractions.jsonl``: one object per paper (schema in docs/extractions.md);
- ``graph.graphml``: the NetworkX graph for analytics scripts and Gephi;
- ``graph.ttl``: the graph as RDF in kg's ontology (or ``graph.<suffix>`` for
  each of the requested `kg.rdf.RDF_FORMATS`);
- ``void.ttl``: the VoID and DCAT description of the RDF files;
- ``graph.html``: the self-contained browser view;
- ``build-state.json``: what an incremental build needs (`kg.incremental`).

With ``skip_invalid``, ``skipped.jsonl`` lists the records that were skipped.

All files are written to a staging folder inside the output folder and
moved into place only when every one of them is complete, so a failed or
interrupted build leaves the previous outputs as they were and no
half-written file. A staging folder left by a killed build is removed by the
next build into the same folder.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import json
import logging
import os
import shutil
import signal
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import networkx as nx
from spacy.language import Language

try:
    import fcntl
except ImportError:  # Windows: a staging folder with a lock file is then never treated as stale
    fcntl = None  # type: ignore[assignment]

from kg.errors import ConfigError, InputError, KgError
from kg.extract import DEFAULT_BATCH_SIZE, TITLE_SEPARATOR, extract, extract_with_lines, extraction_line
from kg.filters import FilterStats, PaperFilter, filter_papers
from kg.compact import CompactGraph
from kg.graph import GraphBuilder, write_graphml
from kg.incremental import (
    STATE_FILE,
    PreviousBuild,
    apply_delta,
    build_state,
    keep_entity_ids,
    pipeline_fingerprint,
    TripleDelta,
    record_store,
    write_state,
)
from kg.io import atomic_write, interrupts_deferred
from kg.model import EntityType, Paper, PaperExtraction
from kg.nlp import create_pipeline
from kg.rdf import DEFAULT_BASE_IRI, RDF_FORMATS, is_valid_iri, validate_base_iri
from kg.rdf_stream import RdfExport
from kg.sources import InputFormat, ReadStats, detect_format, read_papers
from kg.store import GraphStore, LoadStats
from kg.viewer import VIEW_MAX_NODES, select_view, write_html
from kg.void import VOID_FILE, write_void

__all__ = [
    "DEFAULT_MAX_ABSTRACT_CHARS",
    "OUTPUT_FILES",
    "SKIPPED_FILE",
    "BuildSummary",
    "FileCheck",
    "build",
    "check_abstract_length",
    "check_inputs",
    "deduplicate",
    "output_files",
    "remove_stale_staging",
]

logger = logging.getLogger(__name__)

EXTRACTIONS_FILE = "extractions.jsonl"
GRAPHML_FILE = "graph.graphml"
TURTLE_FILE = "graph.ttl"
HTML_FILE = "graph.html"
RDF_STEM = "graph"
# Folder in the staging folder for the sorted chunks of the RDF export.
WORK_FOLDER = ".work"
DEFAULT_RDF_FORMATS: tuple[str, ...] = ("turtle",)
# LocalCluster worker processes of the Dask engine when no scheduler address is given.
DEFAULT_DASK_WORKERS = 2
# Papers per Dask task. A partition of 256 abstracts takes seconds to
# extract, which is long against the scheduling cost of a task, and the
# progress bar still moves often.
DEFAULT_PARTITION_SIZE = 256
# Values of `build(engine=...)`: extraction in local processes, or on a Dask cluster (`kg.distributed`).
ENGINES: tuple[str, ...] = ("local", "dask")
OUTPUT_FILES: tuple[str, ...] = (EXTRACTIONS_FILE, GRAPHML_FILE, TURTLE_FILE, VOID_FILE, HTML_FILE)
# The report of records skipped with skip_invalid: one JSON object per line.
SKIPPED_FILE = "skipped.jsonl"

# Maximum abstract length accepted, in characters. Abstracts run to a few
# thousand characters, so this leaves room for long ones but stops the full
# text of a paper pasted into the abstract field.
DEFAULT_MAX_ABSTRACT_CHARS = 100_000

STAGING_PREFIX = ".kg-build-"
# Lock file inside a staging folder, held (flock) by the build that writes it.
_STAGING_LOCK = ".lock"
# A staging folder without a lock file is stale once it is this old, in
# seconds: a live build creates its lock right after the folder.
_UNLOCKED_STAGING_MAX_AGE = 60.0


def output_files(rdf_formats: Sequence[str] = DEFAULT_RDF_FORMATS) -> tuple[str, ...]:
    """Return the names of the files that a build with these RDF formats writes.

    Raises
    ------
    ConfigError
        If a format is not in `kg.rdf.RDF_FORMATS`.
    """
    unknown = [name for name in rdf_formats if name not in RDF_FORMATS]
    if unknown or not rdf_formats:
        raise ConfigError(
            f"Invalid RDF formats {list(rdf_formats)!r}; expected one or more of {', '.join(RDF_FORMATS)}."
        )
    rdf_files = [RDF_STEM + RDF_FORMATS[name] for name in dict.fromkeys(rdf_formats)]
    return (EXTRACTIONS_FILE, GRAPHML_FILE, *rdf_files, VOID_FILE, HTML_FILE)


@dataclass
class BuildSummary:
    """Counts and output paths of one build."""

    out_dir: Path
    papers: int = 0
    title_only: int = 0
    skipped_invalid: int = 0
    duplicates: int = 0
    repaired: int = 0
    entities: Counter[str] = field(default_factory=Counter)
    links: int = 0
    nodes: int = 0
    edges: int = 0
    triples: int = 0
    outputs: dict[str, Path] = field(default_factory=dict)
    store: Path | None = None
    store_stats: LoadStats | None = None
    incremental: bool = False
    new_papers: int = 0
    unchanged_papers: int = 0
    replaced_papers: int = 0
    paper_filter: PaperFilter = field(default_factory=PaperFilter)
    filtered: FilterStats = field(default_factory=FilterStats)

    def lines(self) -> list[str]:
        """Return the summary as lines of text for a terminal."""
        rows = [
            f"papers      {self.papers} ({self.title_only} without abstract)",
        ]
        if self.incremental:
            rows.append(
                f"papers      {self.new_papers} new, {self.unchanged_papers} unchanged, {self.replaced_papers} replaced"
            )
        if self.skipped_invalid:
            rows.append(f"skipped     {self.skipped_invalid} invalid records")
        if self.duplicates:
            rows.append(f"duplicates  {self.duplicates} repeated papers skipped")
        if self.repaired:
            rows.append(f"repaired    {self.repaired} papers with mojibake (text decoded with the wrong encoding)")
        if self.paper_filter.active:
            rows.append(f"filtered    {self.filtered.excluded} papers excluded by {self.paper_filter.describe()}")
            if self.paper_filter.categories:
                rows.append(
                    f"            {self.filtered.outside_categories} outside the categories "
                    f"({self.filtered.without_categories} without categories)"
                )
            if self.paper_filter.since is not None:
                rows.append(
                    f"            {self.filtered.before_since} dated before {self.paper_filter.since.isoformat()} "
                    f"({self.filtered.without_date} without a date)"
                )
        entity_counts = ", ".join(f"{self.entities.get(str(t), 0)} {t}" for t in EntityType)
        rows += [
            f"entities    {sum(self.entities.values())} ({entity_counts})",
            f"links       {self.links}",
            f"graph       {self.nodes} nodes, {self.edges} edges",
            f"triples     {self.triples}",
        ]
        rows += [f"wrote       {path}" for path in self.outputs.values()]
        if self.store_stats is not None:
            stats = self.store_stats
            rows.append(
                f"store       {self.store}: {stats.added} triples added, {stats.removed} removed, {stats.total} in total"
            )
        return rows


def deduplicate(
    papers: Iterable[Paper], summary: BuildSummary, *, skip_invalid: bool = False, stats: ReadStats | None = None
) -> Iterator[Paper]:
    """Drop repeated copies of a paper, and reject two different papers with one id.

    A record whose id, title and abstract equal an earlier one is skipped with
    a warning (Daily Papers pages repeat trending papers). Only a hash of each
    paper is kept, so memory grows by a few bytes per paper.

    Raises
    ------
    InputError
        If two records share an id but differ in title or abstract. With
        `skip_invalid`, the later record is skipped and counted in `stats`
        instead, and the first one is kept.
    """
    seen: dict[str, tuple[int, str, int]] = {}
    for paper in papers:
        fingerprint = hash((paper.title, paper.abstract))
        if paper.id in seen:
            previous_fingerprint, previous_source, previous_record = seen[paper.id]
            if previous_fingerprint == fingerprint:
                summary.duplicates += 1
                logger.warning(
                    "%s, record %d: paper %r repeats record %d of %s; skipped",
                    paper.source, paper.record, paper.id, previous_record, previous_source,
                )
                continue
            error = InputError(
                paper.source,
                f"paper id {paper.id!r} is already used by record {previous_record} of "
                f"{previous_source} with a different title or abstract; ids must be unique",
                record=paper.record,
            )
            if not skip_invalid or stats is None:
                raise error
            stats.skip(error, paper_id=paper.id)
            continue
        seen[paper.id] = (fingerprint, paper.source, paper.record)
        yield paper


def _within_length(papers: Iterable[Paper], nlp: Language, skip_invalid: bool, stats: ReadStats) -> Iterator[Paper]:
    """Pass papers that the pipeline can take; skip (or let `make_doc` reject) the others."""
    for paper in papers:
        length = len(paper.title) + len(paper.abstract) + len(TITLE_SEPARATOR)
        if skip_invalid and length > nlp.max_length:
            stats.skip(
                InputError(
                    paper.source,
                    f"paper {paper.id!r} has {length:,} characters, more than the pipeline's limit of {nlp.max_length:,}",
                    record=paper.record,
                ),
                paper_id=paper.id,
            )
            continue
        yield paper


def check_abstract_length(
    papers: Iterable[Paper], *, max_chars: int, skip_invalid: bool, stats: ReadStats
) -> Iterator[Paper]:
    """Pass papers whose abstract has at most `max_chars` characters.

    Raises
    ------
    InputError
        For a longer abstract, naming the record, its length and the limit.
        With `skip_invalid`, the paper is skipped and counted in `stats` instead.
    """
    for paper in papers:
        if len(paper.abstract) > max_chars:
            error = InputError(
                paper.source,
                f"the abstract of paper {paper.id!r} has {len(paper.abstract):,} characters, more than the limit "
                f"of {max_chars:,}; is it the full text of a paper? Shorten it, or raise the limit with --max-abstract-chars",
                record=paper.record,
            )
            if not skip_invalid:
                raise error
            stats.skip(error, paper_id=paper.id)
            continue
        yield paper


def _progress(papers: Iterator[Paper], enabled: bool) -> Iterator[Paper]:
    if not enabled:
        return papers
    from tqdm import tqdm

    return iter(tqdm(papers, desc="Extracting", unit=" papers", leave=False))


def _lock_staging(staging: Path) -> int:
    """Create and lock the lock file of `staging`; return its descriptor.

    The lock (flock) lasts until the descriptor is closed or the process
    ends, also by SIGKILL, which is what tells a later build that the folder
    is stale.
    """
    descriptor = os.open(staging / _STAGING_LOCK, os.O_CREAT | os.O_RDWR, 0o600)
    if fcntl is not None:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    return descriptor


def _is_stale_staging(folder: Path) -> bool:
    """Return True if no running build has locked the staging `folder`."""
    try:
        descriptor = os.open(folder / _STAGING_LOCK, os.O_RDWR)
    except FileNotFoundError:
        return time.time() - folder.stat().st_mtime > _UNLOCKED_STAGING_MAX_AGE
    try:
        if fcntl is None:
            return False
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True
    finally:
        os.close(descriptor)


def remove_stale_staging(out_dir: Path) -> list[Path]:
    """Remove the staging folders in `out_dir` that no running build has locked; return them.

    A build killed with SIGKILL (or by a power cut) cannot remove its
    staging folder, and the next build into the same folder does it.
    """
    removed: list[Path] = []
    if not out_dir.is_dir():
        return removed
    for folder in sorted(out_dir.glob(STAGING_PREFIX + "*")):
        with contextlib.suppress(FileNotFoundError):
            if folder.is_dir() and _is_stale_staging(folder):
                shutil.rmtree(folder, ignore_errors=True)
                logger.warning("Removed %s, left by an interrupted build", folder)
                removed.append(folder)
    return removed


@contextlib.contextmanager
def _staging(
    out_dir: Path, *, remove: Sequence[str] = (), on_failure: Sequence[Callable[[], None]] = ()
) -> Iterator[Path]:
    """Yield a temporary folder in `out_dir`; on success move its files into `out_dir`.

    On success, the files named in `remove` (outputs of an earlier build that
    this one does not write) are deleted too. On failure the staging folder is
    removed, and so is `out_dir` when this build created it and it is empty
    again. A failure also calls the functions in `on_failure`, which the
    caller may add to while the block runs, so that work done outside the
    staging folder (a store load) is undone when the outputs are not moved.
    """
    created = not out_dir.exists()
    out_dir.mkdir(parents=True, exist_ok=True)
    remove_stale_staging(out_dir)
    staging = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=out_dir))
    lock = _lock_staging(staging)
    succeeded = False
    try:
        yield staging
        staged = sorted(path for path in staging.iterdir() if path.name != _STAGING_LOCK)
        # Check every target first, so that the outputs are replaced all together or not at all.
        for path in staged:
            if (out_dir / path.name).is_dir():
                raise KgError(f"{out_dir / path.name} is a folder; remove it or choose another --out folder")
        logger.info("Moving %d outputs into %s", len(staged), out_dir)
        # Renames take microseconds; Ctrl-C waits for them, so the outputs
        # in out_dir are all from this build or all from the previous one.
        with interrupts_deferred():
            for path in staged:
                os.replace(path, out_dir / path.name)
            for name in remove:
                with contextlib.suppress(FileNotFoundError):
                    (out_dir / name).unlink()
            succeeded = True
    finally:
        if not succeeded:
            with interrupts_deferred():
                for undo in on_failure:
                    undo()
        shutil.rmtree(staging, ignore_errors=True)
        os.close(lock)
        if created and not succeeded and not any(out_dir.iterdir()):
            out_dir.rmdir()


def build(
    inputs: Sequence[str | Path],
    out_dir: str | Path,
    *,
    input_format: InputFormat | None = None,
    base_iri: str = DEFAULT_BASE_IRI,
    rdf_formats: Sequence[str] = DEFAULT_RDF_FORMATS,
    license_iri: str | None = None,
    model: str | None = None,
    vocabulary_paths: Sequence[str | Path] = (),
    batch_size: int = DEFAULT_BATCH_SIZE,
    jobs: int = 1,
    skip_invalid: bool = False,
    progress: bool = False,
    title: str | None = None,
    view_max_nodes: int = VIEW_MAX_NODES,
    store: str | Path | None = None,
    columns: Mapping[str, str] | None = None,
    engine: str = "local",
    scheduler: str | None = None,
    dask_workers: int = DEFAULT_DASK_WORKERS,
    partition_size: int = DEFAULT_PARTITION_SIZE,
    encoding: str | None = None,
    max_abstract_chars: int = DEFAULT_MAX_ABSTRACT_CHARS,
    incremental: bool = False,
    categories: Sequence[str] = (),
    since: str | None = None,
    keep_graph: bool = True,
) -> tuple[CompactGraph | None, BuildSummary]:
    """Build the knowledge graph of `inputs` and write its outputs to `out_dir`.

    Parameters
    ----------
    inputs : sequence of path
        Input files (or folders of .txt files) in any format of
        `kg.sources.INPUT_FORMATS`, read in order.
    out_dir : path
        Created if missing; existing outputs are replaced.
    input_format : str, optional
        Format of every input, one of `kg.sources.INPUT_FORMATS`; detected
        from each file name (and the first bytes of .json and .xml files) by default.
    base_iri : str
        Namespace of the IRIs minted for papers, entities and links.
    rdf_formats : sequence of str
        RDF serializations to write, by name of `kg.rdf.RDF_FORMATS`; each
        goes to ``graph.<suffix>``.
    license_iri : str, optional
        License of the data, stated as ``dcterms:license`` in ``void.ttl``;
        omitted when None.
    model : str, optional
        An installed spaCy pipeline to build on; None for the fast rule-based one.
    vocabulary_paths : sequence of path
        User vocabulary files added to the starter vocabulary.
    batch_size : int
        Papers per `nlp.pipe` batch, and per batch sent to a worker process.
    jobs : int
        Worker processes for extraction (`kg.parallel`); 1 extracts in this
        process. Results keep the input order, so every output is the same
        for any number of jobs.
    skip_invalid : bool
        Log and skip invalid records (and input files without papers) instead
        of stopping, and list them in ``skipped.jsonl``. Without it, a
        successful build removes the ``skipped.jsonl`` of an earlier build.
    progress : bool
        Show a progress bar on standard error.
    title : str, optional
        Heading of the HTML view; defaults to the input file names.
    view_max_nodes : int
        Largest graph that graph.html draws in full; a larger one is cut to
        its most widely mentioned entities (see `kg.viewer.select_view`).
    store : path, optional
        An Oxigraph store folder, created if missing, that the build's
        triples are also loaded into: by bulk load into an empty store, else
        by the idempotent merge that adds only what is new (see `kg.store`).
    columns : mapping of str to str, optional
        For CSV and TSV inputs: paper field -> column name of the header
        (see `kg.readers.tabular.read_delimited`).
    engine : {"local", "dask"}
        Where extraction runs: in this process (and `jobs` workers), or
        on a Dask distributed cluster (`kg.distributed`), which also merges
        the entity tables per key. Both give the same outputs.
    scheduler : str, optional
        Address of a running Dask scheduler ("tcp://HOST:PORT") for
        ``engine="dask"``; None starts a LocalCluster on 127.0.0.1.
    dask_workers : int
        Worker processes of that LocalCluster. After extraction, as many
        processes write the RDF files (one per core with a scheduler).
    partition_size : int
        Papers per Dask task.
    encoding : str, optional
        Encoding of every input, a Python codec name; UTF-8 by default.
    max_abstract_chars : int
        Maximum abstract length accepted, in characters; a longer one is an invalid
        record (see `check_abstract_length`).
    incremental : bool
        Add the papers of `inputs` to the build in `out_dir`: only papers
        that are new or changed go through the pipeline, entity ids of the
        previous build are kept, and the store is updated by the difference
        of the exports (see `kg.incremental`). Without a previous build in
        `out_dir`, a full build.
    categories : sequence of str
        Keep only papers with one of these arXiv categories ("cs.LG") or
        archives ("cs"); see `kg.filters`.
    since : str, optional
        Keep only papers dated on or after this day, YYYY-MM-DD.
    keep_graph : bool
        Return the graph. With False, the build frees the graph as soon as
        its triples are in the sorted chunk files, before the merge, the
        Turtle and the store load, and returns None in its place. The
        command line does this, because the graph of a million abstracts
        takes about 5 GiB. A build that writes JSON-LD keeps the graph until
        the end, because that writer reads it.

    Returns
    -------
    graph : kg.compact.CompactGraph or None
        The graph with its edges in columns; its ``to_networkx()`` returns
        the `networkx.MultiDiGraph`. None when `keep_graph` is False.
    summary : BuildSummary

    Raises
    ------
    KgError
        For unreadable inputs, invalid records, bad settings, or an RDF export
        that does not re-parse to the same number of triples.
    """
    out_dir = Path(out_dir)
    summary = BuildSummary(out_dir=out_dir)
    stats = ReadStats()
    # Check settings before the long extraction starts.
    base_iri = validate_base_iri(base_iri)
    written_files = output_files(rdf_formats)
    if license_iri is not None and not is_valid_iri(license_iri):
        raise ConfigError(
            f"Invalid license IRI {license_iri!r}: expected an absolute IRI such as "
            "'https://creativecommons.org/licenses/by/4.0/'."
        )
    rdf_formats = tuple(dict.fromkeys(rdf_formats))
    _check_engine(engine, scheduler=scheduler, jobs=jobs)
    summary.paper_filter = PaperFilter.create(categories=categories, since=since)
    if store is not None:
        # Open and close the store now, so a locked or invalid store fails
        # before the extraction starts.
        GraphStore.open(store, create=True).close()
    if incremental and engine == "dask":
        # NOTE: the Dask engine merges entity tables of the new papers only;
        # the old records would need theirs merged on the cluster too.
        raise ConfigError("--incremental does not work with --engine dask yet; run the incremental build with --engine local")
    previous = PreviousBuild.read(out_dir) if incremental else None
    summary.incremental = incremental
    fingerprint = pipeline_fingerprint(model, vocabulary_paths)
    if previous is not None:
        previous.check_pipeline(fingerprint)
    nlp = create_pipeline(model, vocabulary_paths=vocabulary_paths)

    def papers() -> Iterator[Paper]:
        for path in inputs:
            logger.info("Reading %s", path)
            yield from read_papers(
                path, input_format=input_format, skip_invalid=skip_invalid, stats=stats, columns=columns, encoding=encoding
            )

    def selected_papers() -> Iterator[Paper]:
        if not summary.paper_filter.active:
            return papers()
        return filter_papers(papers(), summary.paper_filter, summary.filtered)

    # Undoes a store load that finished when the build fails before its outputs move into place.
    undo_store: list[Callable[[], None]] = []
    with _staging(out_dir, remove=() if skip_invalid else (SKIPPED_FILE,), on_failure=undo_store) as staging:
        # Sorted chunks and the sorted N-Triples that the store loads; the
        # folder is removed before the staged files become the outputs.
        work_dir = staging / WORK_FOLDER
        checked = check_abstract_length(
            deduplicate(selected_papers(), summary, skip_invalid=skip_invalid, stats=stats),
            max_chars=max_abstract_chars, skip_invalid=skip_invalid, stats=stats,
        )
        stream = _within_length(checked, nlp, skip_invalid, stats)
        if previous is not None:
            stream = previous.select(stream)
        engine_settings = _EngineSettings(
            engine=engine, scheduler=scheduler, dask_workers=dask_workers, partition_size=partition_size,
            jobs=jobs, batch_size=batch_size, progress=progress,
        )
        builder = _extract_into_builder(
            stream, nlp, staging / EXTRACTIONS_FILE, summary, engine_settings, previous=previous
        )
        summary.skipped_invalid = stats.skipped_invalid
        summary.repaired = stats.repaired
        logger.info("Extracted %d papers", summary.papers)
        if skip_invalid:
            _write_skipped(staging / SKIPPED_FILE, stats)
        if previous is not None:
            summary.new_papers = previous.counts.new
            summary.unchanged_papers = previous.counts.unchanged
            summary.replaced_papers = previous.counts.replaced
        elif incremental:
            summary.new_papers = summary.papers
        if summary.papers == 0:
            names = ", ".join(str(path) for path in inputs)
            if summary.filtered.excluded:
                raise KgError(
                    f"no paper of {names} passed {summary.paper_filter.describe()}: "
                    f"{summary.filtered.excluded} papers were excluded; widen the filters"
                )
            raise KgError(
                f"found no papers in {names}; expected page text with titles and abstracts, "
                "or JSON Lines/CSV records with a 'title' field"
            )

        # The compact graph, never the NetworkX one, which would add about 760 bytes per edge.
        graph, former_keys = keep_entity_ids(
            builder.compact_graph(), builder.merged_keys(), previous.state if previous is not None else None
        )
        del builder
        _return_free_memory()
        sources = [Path(path).name for path in inputs]
        if previous is not None:
            sources = list(dict.fromkeys([*previous.state.sources, *sources]))
        write_state(staging / STATE_FILE, build_state(graph, former_keys=former_keys, sources=sources, pipeline=fingerprint))
        _count_graph(graph, summary)
        logger.info("Merged the graph: %d nodes, %d edges", summary.nodes, summary.edges)

        held_graph = _HeldGraph(graph)
        del graph
        _write_outputs(
            held_graph, staging, rdf_formats, written_files,
            work_dir=work_dir, base_iri=base_iri, summary=summary, sources=sources, license_iri=license_iri,
            title=title, view_max_nodes=view_max_nodes, store=store, previous=previous,
            jobs=_writer_jobs(engine, jobs=jobs, scheduler=scheduler, dask_workers=dask_workers), keep_graph=keep_graph,
            undo_store=undo_store,
        )
        shutil.rmtree(work_dir)

    summary.outputs = {name: out_dir / name for name in written_files}
    if skip_invalid:
        summary.outputs[SKIPPED_FILE] = out_dir / SKIPPED_FILE
    return held_graph.graph, summary


def _writer_jobs(engine: str, *, jobs: int, scheduler: str | None, dask_workers: int) -> int:
    """Return the number of processes that write the outputs once extraction has ended.

    The local engine keeps its ``jobs``. The workers of a Dask LocalCluster
    run on this machine and are idle by then. So the Dask engine uses as many
    processes as the cluster had workers. With a remote scheduler it uses one
    per core of this machine, where the outputs are written.
    """
    if engine != "dask":
        return jobs
    if scheduler is None:
        return max(1, dask_workers)
    return os.cpu_count() or 1


def _check_engine(engine: str, *, scheduler: str | None, jobs: int) -> None:
    """Reject engine settings that do not go together, before any work starts."""
    if engine not in ENGINES:
        raise ConfigError(f"Invalid engine {engine!r}; expected one of {', '.join(ENGINES)}")
    if engine != "dask" and scheduler is not None:
        raise ConfigError(f"A Dask scheduler ({scheduler}) was given for the {engine} engine; add --engine dask")
    if engine == "dask":
        # Fail before the pipeline is built when Dask is missing; the import raises a KgError then.
        import kg.distributed  # noqa: F401
    if engine == "dask" and jobs > 1:
        raise ConfigError(
            f"{jobs} worker processes were requested for the dask engine, which runs on the Dask workers; "
            "use --dask-workers for a local cluster, and drop --jobs"
        )


@dataclass(frozen=True)
class _EngineSettings:
    """Engine settings of `_extract_into_builder`; `build` describes each one."""

    engine: str
    scheduler: str | None
    dask_workers: int
    partition_size: int
    jobs: int
    batch_size: int
    progress: bool


def _extract_into_builder(
    papers: Iterator[Paper],
    nlp: Language,
    path: Path,
    summary: BuildSummary,
    settings: _EngineSettings,
    *,
    previous: PreviousBuild | None,
) -> GraphBuilder:
    """Extract `papers`, write each record to `path` (extractions.jsonl) and add it to a new `GraphBuilder`.

    With a `previous` build, its records of the papers that are not
    extracted again come first, as `PreviousBuild.records` orders them.
    """
    builder = GraphBuilder()
    with contextlib.ExitStack() as engine_stack, atomic_write(path) as handle:
        cluster = None
        lines: Iterator[tuple[PaperExtraction, str]] | None = None
        if settings.engine == "dask":
            # Imported here, so that only Dask builds need Dask installed.
            from kg.distributed import DaskEngine

            cluster = engine_stack.enter_context(
                DaskEngine(
                    nlp, scheduler=settings.scheduler, n_workers=settings.dask_workers,
                    partition_size=settings.partition_size, batch_size=settings.batch_size, progress=settings.progress,
                )
            )
            extractions = cluster.extract(papers)
        elif previous is None:
            # The worker processes serialize the records, which leaves the
            # graph builder more of this process's time.
            lines = extract_with_lines(
                _progress(papers, settings.progress), nlp, batch_size=settings.batch_size, n_process=settings.jobs
            )
        else:
            extractions = extract(
                _progress(papers, settings.progress), nlp, batch_size=settings.batch_size, n_process=settings.jobs
            )
        if previous is not None:
            extractions = previous.records(extractions)
        if lines is None:
            lines = ((extraction, extraction_line(extraction)) for extraction in extractions)
        with _graph_kept_from_gc() as freeze:
            for extraction, line in lines:
                handle.write(line)
                # The Dask engine merges the entity tables on the cluster.
                builder.add(extraction, entity_tables=cluster is None)
                summary.papers += 1
                summary.title_only += not extraction.paper.has_abstract
                if summary.papers % GC_FREEZE_INTERVAL == 0:
                    freeze()
        if cluster is not None:
            builder.load_entity_states(cluster.entity_states())
    return builder


def _return_free_memory() -> None:
    """Return the free memory of the C heap to the operating system, where the C library is glibc.

    The builder's tables, freed once the graph is final, leave free blocks
    that glibc keeps in the process. ``malloc_trim`` returns them, which took
    the resident memory of a 10,000-paper graph from 107 to 89 MiB
    (``python bench/memory.py``). Memory of Python's own small-object
    allocator is returned only where whole arenas are free.
    """
    try:
        trim = ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):
        return  # not glibc, such as macOS or musl
    trim(0)


# Papers added to the graph builder between two `gc.freeze` calls during
# extraction. At most this many papers' objects wait for a full collection
# to scan them, and a call (it splices the collector's lists) costs little.
GC_FREEZE_INTERVAL = 1_000


@contextlib.contextmanager
def _graph_kept_from_gc() -> Iterator[Callable[[], None]]:
    """Yield a function that moves the objects made so far out of the garbage collector's scans.

    The graph builder keeps every node and edge dict until the build ends, and
    each full collection of Python's cyclic garbage collector scanned all of
    them: 0.8 s of the 3.5 s of CPU time that the main process spent while
    extracting 10,000 papers with ``--jobs 2`` (gc.callbacks, 2-core VM).
    The function is `gc.freeze`, and `gc.unfreeze` at the end returns the
    objects to the collector. In a process that already uses `gc.freeze`
    itself, or has the collector disabled, the function does nothing,
    because `gc.unfreeze` would also release the process's own frozen objects.
    """
    if not gc.isenabled() or gc.get_freeze_count() > 0:
        yield lambda: None
        return
    try:
        yield gc.freeze
    finally:
        gc.unfreeze()


@dataclass
class _HeldGraph:
    """The only reference to a build's graph, so that `_write_outputs` can free the graph before the build returns."""

    graph: CompactGraph | None


def _write_outputs(
    held: _HeldGraph,
    staging: Path,
    rdf_formats: Sequence[str],
    written_files: Sequence[str],
    *,
    work_dir: Path,
    base_iri: str,
    summary: BuildSummary,
    sources: Sequence[str],
    license_iri: str | None,
    title: str | None,
    view_max_nodes: int,
    store: str | Path | None,
    previous: PreviousBuild | None,
    jobs: int,
    keep_graph: bool,
    undo_store: list[Callable[[], None]],
) -> None:
    """Write graph.graphml, the RDF files, void.ttl and graph.html to `staging`, and load the store.

    With `jobs` above 1, forked processes convert parts of the graph to RDF
    while this process writes graph.graphml and graph.html, and another one
    re-parses each RDF file while the next one is written. An empty store then
    bulk-loads the triples in a thread, beside the merge and the Turtle.

    The store is loaded before the outputs move into place, so a failed load
    leaves the previous outputs as they were. If the build fails while such a
    thread loads the store, the store is emptied again, as it was before.

    Unless `keep_graph` is set, the graph is freed (``held.graph = None``)
    once it is converted to sorted chunks. After a bulk load into an empty
    store, the function that empties the store again goes to `undo_store`,
    for a failure between the load and the move of the outputs.
    """
    graph = held.graph
    assert graph is not None
    logger.info("Writing %s", ", ".join(RDF_STEM + RDF_FORMATS[name] for name in rdf_formats))
    with RdfExport(graph, staging, rdf_formats, work_dir=work_dir, base_iri=base_iri, stem=RDF_STEM, jobs=jobs) as export:
        export.start()
        logger.info("Writing %s", GRAPHML_FILE)
        write_graphml(graph, staging / GRAPHML_FILE)
        logger.info("Writing %s", HTML_FILE)
        _write_view(graph, staging / HTML_FILE, sources=sources, title=title, view_max_nodes=view_max_nodes)
        chunks = export.generate()
        if not keep_graph:
            export.release_graph()
            if export.graph is None:
                held.graph = graph = None
                _return_free_memory()
                logger.info("Freed the graph; its triples are in %d sorted chunk files", len(chunks))

        background = None
        if store is not None and previous is None and jobs > 1:
            background = _BackgroundLoad.start_if_empty(store, chunks)
        try:
            # The store thread reads the chunks until it ends; the work folder is removed after the load.
            # Another store load reads the sorted N-Triples file instead.
            export.merge(keep_chunks=background is not None, sorted_ntriples=store is not None and background is None)
            export.write_dumps()
            rdf_files = export.finish()
            summary.triples = rdf_files.triples
            write_void(
                staging / VOID_FILE,
                rdf_files.statistics,
                rdf_files.dumps,
                sources=sources,
                license_iri=license_iri,
                base_iri=base_iri,
            )
            if store is not None:
                # Triples formats first: TriG and N-Quads keep claims in named graphs,
                # which the store's default graph would not show.
                preference = [RDF_STEM + RDF_FORMATS[name] for name in ("turtle", "ntriples", "jsonld", "trig", "nquads")]
                rdf_file = next(name for name in preference if name in written_files)
                if background is not None:
                    background.finish(summary, state_dir=staging, export_name=rdf_file)
                    undo_store.append(background.empty_again)
                else:
                    # Compared before the previous export is replaced.
                    delta = previous.store_delta(store, staging / rdf_file) if previous is not None else None
                    assert rdf_files.ntriples is not None
                    _load_store(store, rdf_files.ntriples, summary, delta=delta, state_dir=staging, export_name=rdf_file)
        except BaseException:
            if background is not None:
                background.discard()
            raise


class _BackgroundLoad:
    """A bulk load of the build's N-Triples chunks into an empty store, in a thread beside the other outputs."""

    def __init__(self, graph_store: GraphStore, chunks: Sequence[Path]) -> None:
        self.graph_store = graph_store
        self._stats: LoadStats | None = None
        self._error: BaseException | None = None
        # Set when the load has ended. `discard` waits on it as well as on
        # `Thread.join`, because after Ctrl-C had interrupted a join, a second
        # join returned while the load still ran (CPython 3.11.7), and the
        # store kept its triples.
        self._ended = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(list(chunks),), name="kg-store-load", daemon=True)
        self._thread.start()

    @classmethod
    def start_if_empty(cls, store: str | Path, chunks: Sequence[Path]) -> _BackgroundLoad | None:
        """Start loading `chunks` if the store is empty; else return None, and the build merges into it at the end."""
        graph_store = GraphStore.open(store, create=True)
        if len(graph_store) != 0:
            graph_store.close()
            return None
        logger.info("Loading the triples into the store %s while the other outputs are written", graph_store.path)
        return cls(graph_store, chunks)

    def _run(self, chunks: list[Path]) -> None:
        # Ctrl-C must reach the main thread, which decides what it means.
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
        try:
            self._stats = self.graph_store.bulk_load_ntriples(chunks)
        except BaseException as error:  # noqa: BLE001 - raised again in the main thread by finish()
            self._error = error
        finally:
            self._ended.set()

    def finish(self, summary: BuildSummary, *, state_dir: Path, export_name: str) -> None:
        """Wait for the load, record it like `_load_store`, and close the store; raise the load's error if it failed."""
        self._ended.wait()
        self._thread.join()
        if self._error is not None:
            raise self._error
        assert self._stats is not None
        summary.store = self.graph_store.path
        summary.store_stats = self._stats
        record_store(state_dir, self.graph_store, export_name, self._stats)
        self.graph_store.close()

    def empty_again(self) -> None:
        """Empty the loaded and closed store, because the build failed before its outputs were moved; log a failure."""
        path = self.graph_store.path
        try:
            with GraphStore.open(path) as graph_store:
                graph_store.store.clear()
        except Exception as error:  # noqa: BLE001 - the build's own error is the one to raise
            logger.error("Failed to empty the store %s after the build failed: %s; remove that folder", path, error)
            return
        logger.info("Emptied the store %s again, because the build failed", path)

    def discard(self) -> None:
        """Wait for the load and empty the store again; a running bulk load cannot be stopped."""
        # Held signals wait until the store is empty and closed again.
        with interrupts_deferred():
            self._ended.wait()
            self._thread.join()
            try:
                self.graph_store.store.clear()
            finally:
                self.graph_store.close()
        logger.info("Emptied the store %s again, because the build failed", self.graph_store.path)


def _write_view(
    graph: nx.MultiDiGraph, path: Path, *, sources: Sequence[str], title: str | None, view_max_nodes: int
) -> None:
    heading = title or "kg: " + ", ".join(sources)
    view = select_view(graph, max_nodes=view_max_nodes)
    if view is not graph:
        heading += f" (top {view.number_of_nodes()} of {graph.number_of_nodes()} nodes)"
    if isinstance(view, CompactGraph):
        # A graph of at most `view_max_nodes` nodes, so the NetworkX copy is small.
        view = view.to_networkx()
    write_html(view, path, title=heading)


def _load_store(
    store: str | Path,
    ntriples: Path,
    summary: BuildSummary,
    *,
    delta: TripleDelta | None,
    state_dir: Path,
    export_name: str,
) -> None:
    """Load the build's triples into the store and record in the state file of `state_dir` what it contains.

    An incremental build applies `delta`, the difference from the previous
    export, when the store still contains exactly that export. Otherwise the
    sorted N-Triples are loaded: by bulk load into an empty store, else by
    kg's merge.
    """
    with GraphStore.open(store, create=True) as graph_store:
        summary.store = graph_store.path
        stats = apply_delta(graph_store, delta) if delta is not None else None
        if stats is None:
            logger.info("Loading %s into the store %s", ntriples.name, graph_store.path)
            stats = graph_store.load(ntriples)
        summary.store_stats = stats
        record_store(state_dir, graph_store, export_name, stats)


def _count_graph(graph: nx.MultiDiGraph, summary: BuildSummary) -> None:
    entity_types = {str(t) for t in EntityType}
    summary.nodes = graph.number_of_nodes()
    summary.edges = graph.number_of_edges()
    for _, data in graph.nodes(data=True):
        if data.get("type") == "link":
            summary.links += 1
        elif data.get("type") in entity_types:
            summary.entities[data["type"]] += 1


def _write_skipped(path: Path, stats: ReadStats) -> None:
    with atomic_write(path) as handle:
        for entry in stats.skipped:
            handle.write(json.dumps(entry.to_json(), ensure_ascii=False) + "\n")


@dataclass
class FileCheck:
    """Counts of a dry run for one input file."""

    path: Path
    input_format: str
    records: int = 0
    papers: int = 0
    title_only: int = 0
    invalid: int = 0
    duplicates: int = 0
    repaired: int = 0

    def line(self) -> str:
        """Return the counts as one line of text for a terminal."""
        return (
            f"{self.path} ({self.input_format}): {self.records} records, {self.papers} papers, "
            f"{self.title_only} title-only, {self.invalid} invalid, {self.duplicates} duplicates, "
            f"{self.repaired} repaired"
        )


def check_inputs(
    inputs: Sequence[str | Path],
    *,
    input_format: InputFormat | None = None,
    skip_invalid: bool = False,
    encoding: str | None = None,
    max_abstract_chars: int = DEFAULT_MAX_ABSTRACT_CHARS,
    columns: Mapping[str, str] | None = None,
) -> list[FileCheck]:
    """Read and validate `inputs` as `build` does, without extraction or output.

    Every record goes through the same readers, duplicate check and length
    check as in a build, so `check_inputs` raises where `build` would.
    It does not load the spaCy pipeline, so the pipeline's own limit on the
    length of a text (``nlp.max_length``) is not checked.

    Returns
    -------
    list of FileCheck
        One per input, in order. ``records`` counts every record read,
        valid or not; ``papers`` those a build would extract.

    Raises
    ------
    InputError
        For the first invalid input, unless `skip_invalid`.
    """
    checks: dict[str, FileCheck] = {}
    summary = BuildSummary(out_dir=Path())
    for path in inputs:
        fmt = input_format or detect_format(path)
        checks[str(path)] = FileCheck(Path(path), fmt)

    for path in inputs:
        check = checks[str(path)]
        read_stats = ReadStats()
        # Records rejected after reading (conflicting ids, long abstracts)
        # are counted apart, so that `records` counts each record once.
        later_stats = ReadStats()
        duplicates_before = summary.duplicates
        papers = read_papers(
            path, input_format=input_format, skip_invalid=skip_invalid, stats=read_stats, columns=columns,
            encoding=encoding,
        )
        stream = check_abstract_length(
            deduplicate(papers, summary, skip_invalid=skip_invalid, stats=later_stats),
            max_chars=max_abstract_chars, skip_invalid=skip_invalid, stats=later_stats,
        )
        for paper in stream:
            check.papers += 1
            check.title_only += not paper.has_abstract
        check.records = read_stats.records + sum(entry.record is not None for entry in read_stats.skipped)
        check.invalid = read_stats.skipped_invalid + later_stats.skipped_invalid
        check.duplicates = summary.duplicates - duplicates_before
        check.repaired = read_stats.repaired
    return list(checks.values())
