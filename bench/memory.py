"""Measure where the memory of `kg.graph.GraphBuilder` and its compact graph goes, per paper and per edge.

The script reads saved extraction records (the ``extractions.jsonl`` of a
``kg build``) one at a time and adds them to a `GraphBuilder`, as ``kg
build`` adds the records that its workers return. ``--copies K`` reads the
file K times, each time with new paper ids and titles, so the graph steps
see K times the papers without another extraction. Each copy's text is read
again, so copies do not share strings in memory, but they repeat the same
entities, so the graph has fewer distinct entities than a real corpus of that
size would.

After each step the script prints the resident memory (RSS) it added since
the start, per paper and per edge of the final graph. The graph is the
`kg.compact.CompactGraph` of `GraphBuilder.compact_graph`, which ``kg
build`` writes its outputs from. The script then prints the bytes of the
objects that the graph references, by kind (node attribute dictionaries,
attribute values by name, edge columns, edge string tables), each object
counted once, and the bytes that only the builder's entity tables still
hold. ``--networkx`` also converts the graph with
`kg.compact.CompactGraph.to_networkx`, as `GraphBuilder.graph` does, and
prints the memory that the NetworkX graph adds and its objects by kind. ``--trace`` adds the 25 source lines that allocated the most memory
(tracemalloc, which doubles the run time and adds its own memory to RSS).

``--store FILE`` instead loads an N-Triples file into a new store with
`kg.store.GraphStore.load`, once in one `bulk_load` call and once in calls of
`kg.store.BULK_LOAD_LINES` lines, each in a new process, and prints the peak
resident memory and CPU time of each.

Usage::

    kg build INPUT --jobs 2 --out /tmp/kg-10k
    python bench/memory.py --records /tmp/kg-10k/extractions.jsonl
    python bench/memory.py --records /tmp/kg-10k/extractions.jsonl --copies 3
    python bench/memory.py --records /tmp/kg-10k/extractions.jsonl --networkx
    python bench/memory.py --store /tmp/kg-10k/graph.nt
"""

from __future__ import annotations

import argparse
import dataclasses
import gc
import json
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import networkx as nx

import kg.store
from kg.build import _return_free_memory
from kg.compact import CompactGraph
from kg.graph import GraphBuilder
from kg.model import PaperExtraction
from kg.store import GraphStore

# Corpus sizes that the per-paper and per-edge figures are extrapolated to.
EXTRAPOLATE_TO = (100_000, 1_000_000)


def resident_mib() -> float:
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * resource.getpagesize() / 2**20


def read_records(path: Path, *, limit: int | None, copies: int) -> Iterator[PaperExtraction]:
    """Yield the first `limit` records of `path`, `copies` times, with new ids and titles after the first time."""
    for copy in range(copies):
        with path.open(encoding="utf-8") as handle:
            for number, line in enumerate(handle):
                if limit is not None and number == limit:
                    break
                extraction = PaperExtraction.from_json(json.loads(line))
                if copy:
                    paper = extraction.paper
                    paper = dataclasses.replace(paper, id=f"{paper.id}-copy{copy}", title=f"{paper.title} ({copy})")
                    extraction = dataclasses.replace(extraction, paper=paper)
                yield extraction


class SizeCounter:
    """Add up `sys.getsizeof` over containers and their contents, counting each object once.

    Objects that were counted before (under another kind) add nothing, so
    the order of the calls decides which kind a shared object is charged to.
    """

    def __init__(self) -> None:
        self.seen: set[int] = set()
        self.bytes: dict[str, int] = defaultdict(int)
        self.objects: dict[str, int] = defaultdict(int)

    def add(self, kind: str, value: Any, *, deep: bool = True) -> None:
        stack = [value]
        while stack:
            item = stack.pop()
            if id(item) in self.seen:
                continue
            self.seen.add(id(item))
            self.bytes[kind] += sys.getsizeof(item)
            self.objects[kind] += 1
            if not deep:
                continue
            if isinstance(item, dict):
                stack.extend(item.keys())
                stack.extend(item.values())
            elif isinstance(item, (list, tuple, set, frozenset)):
                stack.extend(item)
            elif dataclasses.is_dataclass(item) and not isinstance(item, type):
                stack.extend(getattr(item, entry.name) for entry in dataclasses.fields(item))


def graph_sizes(graph: nx.MultiDiGraph, counter: SizeCounter) -> None:
    """Charge the objects of `graph` to kinds: NetworkX's dictionaries, attribute dictionaries, values per attribute."""
    for name in ("_node", "_succ", "_pred"):
        counter.add("NetworkX node and adjacency tables", getattr(graph, name), deep=False)
    for node in graph:
        counter.add("node ids", node)
        counter.add("NetworkX adjacency dicts per node", graph._succ[node], deep=False)
        counter.add("NetworkX adjacency dicts per node", graph._pred[node], deep=False)
    for node, data in graph.nodes(data=True):
        counter.add("node attribute dicts", data, deep=False)
        for name, value in data.items():
            counter.add("node attribute names", name)
            counter.add(f"node {name}", value)
    for _, neighbours in graph._succ.items():
        for keys in neighbours.values():
            counter.add("NetworkX edge key dicts", keys, deep=False)
            for key, data in keys.items():
                counter.add("edge keys", key)
                counter.add("edge attribute dicts", data, deep=False)
                for name, value in data.items():
                    counter.add("edge attribute names", name)
                    counter.add(f"edge {name}", value)


def compact_sizes(graph: CompactGraph, counter: SizeCounter) -> None:
    """Charge the objects of a compact graph to kinds: node ids and attributes, node index, edge columns and string tables."""
    for node, data in graph.nodes(data=True):
        counter.add("node ids", node)
        counter.add("node attribute dicts", data, deep=False)
        for name, value in data.items():
            counter.add("node attribute names", name)
            counter.add(f"node {name}", value)
    counter.add("node attribute table", graph._node_data, deep=False)
    counter.add("node index (id list, rank dict)", graph._ids)
    counter.add("node index (id list, rank dict)", graph._rank)
    counter.bytes["edge columns and orders (NumPy)"] += graph.column_bytes()
    counter.objects["edge columns and orders (NumPy)"] += 14
    for name in ("_texts", "_sentences", "_papers", "_fields", "_relations"):
        counter.add(f"edge string table {name.lstrip('_')}", getattr(graph, name))


def print_breakdown(counter: SizeCounter, edges: int) -> int:
    """Print the bytes per kind of `counter`, largest first, and return the total."""
    total = sum(counter.bytes.values())
    print(f"\n{'objects of the graph, by kind':<44} {'objects':>10} {'MiB':>8} {'bytes/edge':>11}")
    for kind, size in sorted(counter.bytes.items(), key=lambda item: -item[1]):
        if size * 1000 < total:
            continue  # under 0.1 % of the graph
        print(f"{kind:<44} {counter.objects[kind]:>10,} {size / 2**20:>8.1f} {size / edges:>11,.0f}")
    print(f"{'total (sys.getsizeof)':<44} {'':>10} {total / 2**20:>8.1f} {total / edges:>11,.0f}")
    return total


def print_string_sharing(graph: nx.MultiDiGraph) -> None:
    """Print, per string attribute of the edges, how many string objects the edges reference and how many distinct values."""
    print(f"\n{'edge attribute':<16} {'references':>11} {'objects':>9} {'values':>9}")
    for name in ("type", "paper", "field", "text", "sentence"):
        references, objects, values = 0, set(), set()
        for _, _, data in graph.edges(data=True):
            value = data.get(name)
            if isinstance(value, str):
                references += 1
                objects.add(id(value))
                values.add(value)
        print(f"{name:<16} {references:>11,} {len(objects):>9,} {len(values):>9,}")


def load_store(path: Path, lines: int) -> None:
    """Load `path` into a new store in calls of `lines` lines, and print the peak RSS and CPU time of this process."""
    kg.store.BULK_LOAD_LINES = lines
    start = time.process_time()
    with tempfile.TemporaryDirectory() as folder, GraphStore.open(Path(folder) / "store", create=True) as store:
        stats = store.load(path)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    label = "all" if lines == sys.maxsize else f"{lines:,}"
    print(f"{label:>14} {stats.total:>10,} {peak:>14,.0f} {time.process_time() - start:>8.1f}", flush=True)


def compare_store_loads(path: Path) -> None:
    """Run `load_store` in new processes: the whole file in one call, then in parts of `BULK_LOAD_LINES`."""
    print(f"{'lines per call':>14} {'triples':>10} {'peak RSS MiB':>14} {'CPU s':>8}", flush=True)
    for lines in (sys.maxsize, kg.store.BULK_LOAD_LINES):
        subprocess.run([sys.executable, __file__, "--store", str(path), "--lines", str(lines)], check=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=Path, help="extractions.jsonl written by kg build.")
    parser.add_argument("--store", type=Path, help="N-Triples file to bulk-load into new stores instead.")
    parser.add_argument("--lines", type=int, help=argparse.SUPPRESS)  # set for the child processes of --store
    parser.add_argument("--papers", type=int, default=None, help="Records to read from the file. [default: all]")
    parser.add_argument("--copies", type=int, default=1, help="Times the records are added, with new ids after the first.")
    parser.add_argument("--networkx", action="store_true", help="Also measure the NetworkX graph that GraphBuilder.graph() returns.")
    parser.add_argument("--trace", action="store_true", help="Also print the source lines that allocated the most memory (tracemalloc).")
    arguments = parser.parse_args()
    if arguments.store is not None:
        if arguments.lines is None:
            compare_store_loads(arguments.store)
        else:
            load_store(arguments.store, arguments.lines)
        return
    if arguments.records is None:
        parser.error("give --records or --store")

    gc.collect()
    start = resident_mib()
    if arguments.trace:
        tracemalloc.start(1)
    builder = GraphBuilder()
    papers = 0
    for extraction in read_records(arguments.records, limit=arguments.papers, copies=arguments.copies):
        builder.add(extraction)
        papers += 1
    gc.collect()
    after_add = resident_mib() - start
    cpu = time.process_time()
    graph = builder.compact_graph()
    cpu = time.process_time() - cpu
    gc.collect()
    after_graph = resident_mib() - start
    # As `kg build` does once the graph is final.
    _return_free_memory()
    after_trim = resident_mib() - start
    edges = graph.number_of_edges()

    print(f"{papers:,} papers, {graph.number_of_nodes():,} nodes, {edges:,} edges ({arguments.copies} copies)")
    print(f"compact_graph() took {cpu:.1f} s of CPU time")
    print(f"\n{'step':<28} {'RSS added MiB':>14} {'bytes/paper':>12} {'bytes/edge':>11}")
    steps = (("GraphBuilder.add", after_add), ("compact_graph()", after_graph), ("malloc_trim", after_trim))
    for step, mib in steps:
        print(f"{step:<28} {mib:>14.1f} {mib * 2**20 / papers:>12,.0f} {mib * 2**20 / edges:>11,.0f}")
    per_paper = after_trim * 2**20 / papers
    for size in EXTRAPOLATE_TO:
        # NOTE: linear in papers, which overstates larger corpora a little,
        # because entities repeat across papers and nodes grow more slowly.
        print(f"  extrapolated to {size:,} papers: {per_paper * size / 2**30:.2f} GiB")

    if arguments.trace:
        snapshot = tracemalloc.take_snapshot()
        tracemalloc.stop()
        print("\nallocations still alive, by source line (tracemalloc):")
        for statistic in snapshot.statistics("lineno")[:25]:
            print(f"  {statistic}")

    counter = SizeCounter()
    compact_sizes(graph, counter)
    tables = {name: value for name, value in vars(builder).items() if name not in {"_graph", "_compact"}}
    counter.add("builder tables, not shared with the graph", tables)
    print_breakdown(counter, edges)

    if arguments.networkx:
        cpu = time.process_time()
        networkx_graph = graph.to_networkx()
        cpu = time.process_time() - cpu
        gc.collect()
        added = resident_mib() - start - after_trim
        print(f"\nCompactGraph.to_networkx() took {cpu:.1f} s of CPU time and added {added:.1f} MiB RSS, "
              f"{added * 2**20 / edges:,.0f} bytes/edge")
        counter = SizeCounter()
        graph_sizes(networkx_graph, counter)
        print_breakdown(counter, edges)
        print_string_sharing(networkx_graph)


if __name__ == "__main__":
    main()
