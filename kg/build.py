"""The main job: input files in, the four outputs of a build out.

`build` reads papers, runs extraction, merges the graph and writes:

- ``extractions.jsonl``: one object per paper (schema in docs/extractions.md);
- ``graph.graphml``: the NetworkX graph for analytics scripts and Gephi;
- ``graph.ttl``: the graph as RDF in kg's ontology (or ``graph.<suffix>`` for
  each of the requested `kg.rdf.RDF_FORMATS`);
- ``void.ttl``: the VoID and DCAT description of the RDF files;
- ``graph.html``: the self-contained browser view.

All files are written to a staging folder inside the output folder and
moved into place only when every one of them is complete, so a failed build
leaves the previous outputs as they were and no half-written file.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import tempfile
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import networkx as nx
from spacy.language import Language

from kg.errors import ConfigError, InputError, KgError
from kg.extract import DEFAULT_BATCH_SIZE, TITLE_SEPARATOR, extract
from kg.graph import GraphBuilder, write_graphml
from kg.io import atomic_write
from kg.model import EntityType, Paper
from kg.nlp import create_pipeline
from kg.rdf import DEFAULT_BASE_IRI, RDF_FORMATS, is_valid_iri, validate_base_iri
from kg.rdf_stream import RdfFiles, write_rdf_files
from kg.sources import InputFormat, ReadStats, read_papers
from kg.store import GraphStore, LoadStats
from kg.viewer import VIEW_MAX_NODES, select_view, write_html
from kg.void import VOID_FILE, write_void

__all__ = [
    "OUTPUT_FILES",
    "BuildSummary",
    "build",
    "deduplicate",
    "output_files",
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
OUTPUT_FILES: tuple[str, ...] = (EXTRACTIONS_FILE, GRAPHML_FILE, TURTLE_FILE, VOID_FILE, HTML_FILE)


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
    entities: Counter[str] = field(default_factory=Counter)
    links: int = 0
    nodes: int = 0
    edges: int = 0
    triples: int = 0
    outputs: dict[str, Path] = field(default_factory=dict)
    store: Path | None = None
    store_stats: LoadStats | None = None

    def lines(self) -> list[str]:
        """Return the summary as lines of text for a terminal."""
        rows = [
            f"papers      {self.papers} ({self.title_only} without abstract)",
        ]
        if self.skipped_invalid:
            rows.append(f"skipped     {self.skipped_invalid} invalid records")
        if self.duplicates:
            rows.append(f"duplicates  {self.duplicates} repeated papers skipped")
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


def deduplicate(papers: Iterable[Paper], summary: BuildSummary) -> Iterator[Paper]:
    """Drop repeated copies of a paper, and reject two different papers with one id.

    A record whose id, title and abstract equal an earlier one is skipped with
    a warning (Daily Papers pages repeat trending papers). Only a hash of each
    paper is kept, so memory grows by a few bytes per paper.

    Raises
    ------
    InputError
        If two records share an id but differ in title or abstract.
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
            raise InputError(
                paper.source,
                f"paper id {paper.id!r} is already used by record {previous_record} of "
                f"{previous_source} with a different title or abstract; ids must be unique",
                record=paper.record,
            )
        seen[paper.id] = (fingerprint, paper.source, paper.record)
        yield paper


def _within_length(papers: Iterable[Paper], nlp: Language, skip_invalid: bool, stats: ReadStats) -> Iterator[Paper]:
    """Pass papers that the pipeline can take; skip (or let `make_doc` reject) the others."""
    for paper in papers:
        length = len(paper.title) + len(paper.abstract) + len(TITLE_SEPARATOR)
        if skip_invalid and length > nlp.max_length:
            stats.skipped_invalid += 1
            logger.warning(
                "Skipped invalid record: %s, record %d: paper %r has %d characters, more than the pipeline's limit of %d",
                paper.source, paper.record, paper.id, length, nlp.max_length,
            )
            continue
        yield paper


def _progress(papers: Iterator[Paper], enabled: bool) -> Iterator[Paper]:
    if not enabled:
        return papers
    from tqdm import tqdm

    return iter(tqdm(papers, desc="Extracting", unit=" papers", leave=False))


@contextlib.contextmanager
def _staging(out_dir: Path) -> Iterator[Path]:
    """Yield a temporary folder in `out_dir`; on success move its files into `out_dir`.

    On failure the staging folder is removed, and so is `out_dir` when this
    build created it and it is empty again.
    """
    created = not out_dir.exists()
    out_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".kg-build-", dir=out_dir))
    succeeded = False
    try:
        yield staging
        staged = sorted(staging.iterdir())
        # Check every target first, so that the outputs are replaced all together or not at all.
        for path in staged:
            if (out_dir / path.name).is_dir():
                raise KgError(f"{out_dir / path.name} is a folder; remove it or choose another --out folder")
        for path in staged:
            os.replace(path, out_dir / path.name)
        succeeded = True
    finally:
        shutil.rmtree(staging, ignore_errors=True)
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
) -> tuple[nx.MultiDiGraph, BuildSummary]:
    """Build the knowledge graph of `inputs` and write its outputs to `out_dir`.

    Parameters
    ----------
    inputs : sequence of path
        Page text, JSON Lines or CSV files, read in order.
    out_dir : path
        Created if missing; existing outputs are replaced.
    input_format : {"page", "jsonl", "csv"}, optional
        Format of every input; detected from each file name by default.
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
        Log and skip invalid JSON Lines/CSV records instead of stopping.
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

    Returns
    -------
    graph : networkx.MultiDiGraph
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
    if store is not None:
        # Open and close the store now, so a locked or invalid store fails
        # before the extraction starts.
        GraphStore.open(store, create=True).close()
    nlp = create_pipeline(model, vocabulary_paths=vocabulary_paths)

    def papers() -> Iterator[Paper]:
        for path in inputs:
            logger.info("Reading %s", path)
            yield from read_papers(path, input_format=input_format, skip_invalid=skip_invalid, stats=stats)

    with _staging(out_dir) as staging:
        # Sorted chunks and the sorted N-Triples that the store loads; the
        # folder is removed before the staged files become the outputs.
        work_dir = staging / WORK_FOLDER
        stream = _progress(_within_length(deduplicate(papers(), summary), nlp, skip_invalid, stats), progress)
        builder = _extract_into_builder(stream, nlp, staging / EXTRACTIONS_FILE, summary, batch_size=batch_size, jobs=jobs)
        summary.skipped_invalid = stats.skipped_invalid
        logger.info("Extracted %d papers", summary.papers)
        if summary.papers == 0:
            names = ", ".join(str(path) for path in inputs)
            raise KgError(
                f"found no papers in {names}; expected page text with titles and abstracts, "
                "or JSON Lines/CSV records with a 'title' field"
            )

        graph = builder.graph()
        _count_graph(graph, summary)
        logger.info("Merged the graph: %d nodes, %d edges", summary.nodes, summary.edges)

        logger.info("Writing %s", GRAPHML_FILE)
        write_graphml(graph, staging / GRAPHML_FILE)

        rdf_files = _write_rdf(graph, staging, rdf_formats, work_dir=work_dir, base_iri=base_iri, summary=summary)
        write_void(
            staging / VOID_FILE,
            rdf_files.statistics,
            rdf_files.dumps,
            sources=[Path(path).name for path in inputs],
            license_iri=license_iri,
            base_iri=base_iri,
        )

        logger.info("Writing %s", HTML_FILE)
        _write_view(graph, staging / HTML_FILE, inputs=inputs, title=title, view_max_nodes=view_max_nodes)

        # The store is loaded before the outputs move into place, so a
        # failed load leaves the previous outputs as they were.
        if store is not None:
            _load_store(store, rdf_files.ntriples, summary)
        shutil.rmtree(work_dir)

    summary.outputs = {name: out_dir / name for name in written_files}
    return graph, summary


def _extract_into_builder(
    papers: Iterator[Paper], nlp: Language, path: Path, summary: BuildSummary, *, batch_size: int, jobs: int
) -> GraphBuilder:
    """Extract `papers`, write each record to `path` (extractions.jsonl) and add it to a new `GraphBuilder`."""
    builder = GraphBuilder()
    with atomic_write(path) as handle:
        for extraction in extract(papers, nlp, batch_size=batch_size, n_process=jobs):
            handle.write(json.dumps(extraction.to_json(), ensure_ascii=False) + "\n")
            builder.add(extraction)
            summary.papers += 1
            summary.title_only += not extraction.paper.has_abstract
    return builder


def _write_rdf(
    graph: nx.MultiDiGraph,
    staging: Path,
    rdf_formats: Sequence[str],
    *,
    work_dir: Path,
    base_iri: str,
    summary: BuildSummary,
) -> RdfFiles:
    """Write the RDF files by streaming (`kg.rdf_stream`); each is re-parsed with pyoxigraph and its count checked."""
    logger.info("Writing %s", ", ".join(RDF_STEM + RDF_FORMATS[name] for name in rdf_formats))
    rdf_files = write_rdf_files(graph, staging, rdf_formats, work_dir=work_dir, base_iri=base_iri, stem=RDF_STEM)
    summary.triples = rdf_files.triples
    return rdf_files


def _write_view(
    graph: nx.MultiDiGraph, path: Path, *, inputs: Sequence[str | Path], title: str | None, view_max_nodes: int
) -> None:
    heading = title or "kg: " + ", ".join(Path(path).name for path in inputs)
    view = select_view(graph, max_nodes=view_max_nodes)
    if view is not graph:
        heading += f" (top {view.number_of_nodes()} of {graph.number_of_nodes()} nodes)"
    write_html(view, path, title=heading)


def _load_store(store: str | Path, ntriples: Path, summary: BuildSummary) -> None:
    """Load the build's sorted N-Triples into the store: a bulk load when it is empty, else kg's merge."""
    with GraphStore.open(store, create=True) as graph_store:
        logger.info("Loading %s into the store %s", ntriples.name, graph_store.path)
        summary.store = graph_store.path
        summary.store_stats = graph_store.load(ntriples)


def _count_graph(graph: nx.MultiDiGraph, summary: BuildSummary) -> None:
    entity_types = {str(t) for t in EntityType}
    summary.nodes = graph.number_of_nodes()
    summary.edges = graph.number_of_edges()
    for _, data in graph.nodes(data=True):
        if data.get("type") == "link":
            summary.links += 1
        elif data.get("type") in entity_types:
            summary.entities[data["type"]] += 1
