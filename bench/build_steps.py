"""Time and measure the steps of `kg build` after extraction, at corpus sizes that extraction makes slow.

The script extracts up to ``--papers`` real abstracts once, in ``--jobs``
worker processes. It then adds ``--copies`` copies of the extractions to a
`kg.graph.GraphBuilder`, each copy with new paper ids and titles. So the
graph steps see ``papers x copies`` papers without paying for extraction
again. Copies repeat the same entities and share their text in memory, so
the graph has fewer distinct entities, and takes less memory, than a real
corpus of that size would.

Each step prints its wall time, its CPU time in this process, the resident
memory after it and the peak resident memory of the process so far
(``ru_maxrss``). The graph is the `kg.compact.CompactGraph` that ``kg
build`` writes from, except for ``--writers old``, whose writers need the
NetworkX graph of `GraphBuilder.graph`. ``--writers old`` runs
the in-memory writers that `kg build` used before streaming (rdflib graph for
Turtle and void.ttl, NetworkX's GraphML writer on a copy of the graph) for a
comparison on the same graph. ``--writers build`` runs the steps as `kg build`
runs them, overlapped in ``--jobs`` processes, with a store when ``--store``
is given. Its steps overlap, so it prints their total: wall time, CPU time of
this process and of its children, and the peak memory of the process tree,
sampled, as the sum of the resident sets (RSS, which counts the pages that
forked children share with this process once per process) and of the
proportional sets (PSS, which divides each shared page among its processes).

``--extractions`` reads the records of an earlier build's
``extractions.jsonl`` instead of extracting, which saves minutes per run.

Usage::

    python bench/build_steps.py --papers 10000 --copies 1 --writers old
    python bench/build_steps.py --papers 10000 --copies 10
    python bench/build_steps.py --extractions OUT/extractions.jsonl --copies 10 --writers build --store
"""

from __future__ import annotations

import argparse
import dataclasses
import gc
import gzip
import importlib
import json
import resource
import sys
import tempfile
import threading
import time
from pathlib import Path

import networkx as nx

from kg.compact import CompactGraph
from kg.extract import extract
from kg.graph import GraphBuilder, _graphml_ready, write_graphml
from kg.model import Paper, PaperExtraction
from kg.nlp import create_pipeline
from kg.rdf import graph_to_rdf, write_rdf
from kg.rdf_stream import write_rdf_files
from kg.viewer import VIEW_MAX_NODES, select_view, write_html
from kg.void import write_void

ROOT = Path(__file__).resolve().parent.parent
REAL_ABSTRACTS = ROOT.parent / "shared" / "eval" / "sota_clef24" / "train.jsonl.gz"


def _resident_mib() -> float:
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * resource.getpagesize() / 2**20


class StepClock:
    """Print each step's wall time, CPU time, the resident memory after it, and the peak so far."""

    def __init__(self) -> None:
        self.last = time.perf_counter()
        self.last_cpu = time.process_time()

    def step(self, name: str) -> None:
        now, cpu = time.perf_counter(), time.process_time()
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"{name:<34} {now - self.last:>8.1f} {cpu - self.last_cpu:>8.1f} {_resident_mib():>8.0f} {peak:>8.0f}", flush=True)
        self.last, self.last_cpu = now, cpu


def read_records(path: Path, limit: int) -> list[Paper]:
    papers = []
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            record = json.loads(line)
            if record.get("title"):
                papers.append(Paper(id=str(record["paper_id"]), title=record["title"], abstract=record.get("abstract") or "", record=number))
            if len(papers) == limit:
                break
    return papers


class TreeMemory(threading.Thread):
    """Sample the summed RSS and PSS of this process and its children (psutil)."""

    # Seconds between samples; reading the proportional sets of every process takes milliseconds.
    INTERVAL = 0.5

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.peak_rss = 0
        self.peak_pss = 0
        self._stop_event = threading.Event()

    def run(self) -> None:
        import psutil

        root = psutil.Process()
        while not self._stop_event.wait(self.INTERVAL):
            rss = pss = 0
            for process in [root, *root.children(recursive=True)]:
                try:
                    memory = process.memory_full_info()
                except psutil.Error:
                    continue
                rss += memory.rss
                pss += memory.pss
            self.peak_rss = max(self.peak_rss, rss)
            self.peak_pss = max(self.peak_pss, pss)

    def stop(self) -> None:
        self._stop_event.set()
        self.join()


def _cpu_seconds() -> tuple[float, float]:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime, children.ru_utime + children.ru_stime


def run_build_steps(graph: nx.MultiDiGraph | CompactGraph, out: Path, *, jobs: int, with_store: bool) -> None:
    """Run the steps of `kg build` after extraction and print their wall time, CPU time and peak memory."""
    build_module = importlib.import_module("kg.build")
    staging = out / "staging"
    staging.mkdir()
    summary = build_module.BuildSummary(out_dir=out)
    sampler = TreeMemory()
    sampler.start()
    started = time.perf_counter()
    own_before, children_before = _cpu_seconds()
    build_module._write_outputs(
        graph, staging, ["turtle"], ["graph.ttl"], work_dir=staging / ".work", base_iri=build_module.DEFAULT_BASE_IRI,
        summary=summary, sources=["bench"], license_iri=None, title="bench", view_max_nodes=VIEW_MAX_NODES,
        store=out / "store" if with_store else None, previous=None, jobs=jobs,
    )
    wall = time.perf_counter() - started
    own_after, children_after = _cpu_seconds()
    sampler.stop()
    own, children = own_after - own_before, children_after - children_before
    print(f"{summary.triples} triples, --jobs {jobs}, store: {'yes' if with_store else 'no'}")
    print(f"after extraction: {wall:.1f} s wall, CPU {own:.1f} s here + {children:.1f} s in children = {own + children:.1f} s")
    print(f"peak of the process tree: RSS {sampler.peak_rss / 2**20:.0f} MiB, PSS {sampler.peak_pss / 2**20:.0f} MiB")


def read_extractions(path: Path, limit: int) -> list[PaperExtraction]:
    with path.open(encoding="utf-8") as handle:
        return [PaperExtraction.from_json(json.loads(line)) for _, line in zip(range(limit), handle)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--input", type=Path, default=REAL_ABSTRACTS, help="JSON Lines file (.gz) with paper_id, title and abstract.")
    parser.add_argument("--papers", type=int, default=10000, help="Papers to extract.")
    parser.add_argument("--copies", type=int, default=1, help="Copies of the extractions added to the graph.")
    parser.add_argument("--jobs", type=int, default=2, help="Worker processes for the extraction and, with --writers build, the steps after it.")
    parser.add_argument(
        "--writers", choices=["stream", "old", "build"], default="stream",
        help="Streaming writers one after the other, the in-memory ones, or the overlapped steps of kg build.",
    )
    parser.add_argument("--extractions", type=Path, help="An extractions.jsonl to read instead of extracting --input.")
    parser.add_argument("--store", action="store_true", help="With --writers build: load the triples into a new store.")
    arguments = parser.parse_args()

    if arguments.extractions is not None:
        extractions = read_extractions(arguments.extractions, arguments.papers)
    else:
        papers = read_records(arguments.input, arguments.papers)
        extractions = list(extract(papers, create_pipeline(None), n_process=arguments.jobs))
        del papers
    gc.collect()
    print(f"{len(extractions)} papers extracted, {arguments.copies} copies, {arguments.writers} writers", file=sys.stderr)
    print(f"{'step':<34} {'seconds':>8} {'CPU s':>8} {'RSS MiB':>8} {'peak MiB':>8}")
    clock = StepClock()
    clock.step("extracted")

    builder = GraphBuilder()
    for copy in range(arguments.copies):
        for extraction in extractions:
            paper = extraction.paper
            if copy:
                paper = dataclasses.replace(paper, id=f"{paper.id}-copy{copy}", title=f"{paper.title} ({copy})")
            builder.add(dataclasses.replace(extraction, paper=paper))
    del extractions
    gc.collect()
    clock.step(f"GraphBuilder.add x{arguments.copies}")
    graph: nx.MultiDiGraph | CompactGraph = builder.graph() if arguments.writers == "old" else builder.compact_graph()
    del builder
    gc.collect()
    importlib.import_module("kg.build")._return_free_memory()
    clock.step(f"graph: {graph.number_of_nodes()} nodes, {graph.number_of_edges()} edges")

    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder)
        if arguments.writers == "build":
            run_build_steps(graph, out, jobs=arguments.jobs, with_store=arguments.store)
            return
        if arguments.writers == "old":
            with (out / "graph.graphml").open("wb") as handle:
                nx.write_graphml(_graphml_ready(graph), handle, edge_id_from_attribute="edge_id")
            clock.step("GraphML (NetworkX)")
            triples = write_rdf(graph, out / "graph.ttl", format="turtle")
            clock.step(f"Turtle (rdflib): {triples} triples")
            write_void(out / "void.ttl", graph_to_rdf(graph), {"turtle": out / "graph.ttl"})
            clock.step("void.ttl (rdflib graph)")
        else:
            write_graphml(graph, out / "graph.graphml")
            clock.step("GraphML (streamed)")
            files = write_rdf_files(graph, out, ["turtle"], work_dir=out / "work")
            clock.step(f"Turtle (streamed): {files.triples} triples")
            write_void(out / "void.ttl", files.statistics, files.dumps)
            clock.step("void.ttl (streamed counts)")
        view = select_view(graph, max_nodes=VIEW_MAX_NODES)
        if isinstance(view, CompactGraph):
            view = view.to_networkx()
        write_html(view, out / "graph.html", title="bench")
        clock.step(f"graph.html ({view.number_of_nodes()} nodes)")


if __name__ == "__main__":
    main()
