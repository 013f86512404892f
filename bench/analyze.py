"""Time the steps of `kg analyze` on synthetic graphs of growing size.

Each synthetic graph has the shape of a kg build. Papers mention entities
drawn from a pool with Zipf popularity (a few entities in many papers, a long
tail in one). Some papers evaluate on datasets, some link code, and dates
spread over a year. The graph is written as graph.graphml, then the same steps
as `kg analyze` run on it: load, every analysis of `kg.analytics.analyze`,
and the report with plots. The last column compares the time per paper with
the smallest size: a ratio near 1.0 means the step scales linearly. Times
are wall-clock per step. The CPU time of the whole run is printed too, because
on a shared machine the wall time includes waiting for the CPU.

Usage::

    python bench/analyze.py                     # 10,000 and 100,000 papers
    python bench/analyze.py --sizes 1000 10000
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from pathlib import Path

import networkx as nx

from kg.analytics import BETWEENNESS_EXACT_MAX_NODES, BETWEENNESS_SAMPLES, analyze
from kg.api import load
from kg.graph import write_graphml
from kg.report import write_report

# Entity types with their share of the pool, close to the example build's mix.
TYPE_SHARES = {"method": 0.5, "model": 0.19, "dataset": 0.17, "task": 0.09, "metric": 0.05}
# Entities per paper: uniform in this range, mean 6. The example build has
# about 3 per paper; larger vocabularies find more.
ENTITIES_PER_PAPER = (2, 10)
# Zipf exponent of entity popularity: an estimate of the long tail, not fitted to a corpus.
ZIPF_EXPONENT = 1.1
# Distinct entities in the pool per paper.
POOL_PER_PAPER = 0.5
CODE_LINK_SHARE = 0.2
EVALUATION_SHARE = 0.5
DAYS = 365


def synthetic_graph(papers: int, *, seed: int = 0) -> nx.MultiDiGraph:
    """Return a kg-shaped graph of `papers` papers."""
    rng = random.Random(seed)
    pool = max(10, int(papers * POOL_PER_PAPER))
    types = rng.choices(list(TYPE_SHARES), weights=list(TYPE_SHARES.values()), k=pool)
    weights = [1 / (rank + 1) ** ZIPF_EXPONENT for rank in range(pool)]
    graph = nx.MultiDiGraph()
    entity_papers: dict[int, list[str]] = {}
    for index in range(papers):
        paper_id = f"p{index}"
        paper = f"paper:{paper_id}"
        date = f"2025-{1 + (index * 12) // papers:02d}-{1 + rng.randrange(28):02d}"
        graph.add_node(paper, type="paper", label=f"Paper {index}", title=f"Paper {index}", paper_id=paper_id, date=date, authors=[])
        chosen = set(rng.choices(range(pool), weights=weights, k=rng.randint(*ENTITIES_PER_PAPER)))
        for entity in chosen:
            node = f"entity:e{entity}"
            if node not in graph:
                graph.add_node(node, type=types[entity], label=f"E{entity}", name=f"E{entity}", key=f"e{entity}", aliases=[])
            entity_papers.setdefault(entity, []).append(paper_id)
            evidence = {"paper": paper_id, "field": "abstract", "start": 0, "end": 3, "text": "E", "sentence": "E.", "count": 1}
            graph.add_edge(paper, node, key="mentions", type="mentions", **evidence)
            if types[entity] == "dataset" and rng.random() < EVALUATION_SHARE:
                graph.add_edge(paper, node, key="evaluated_on", type="evaluated_on", **evidence)
        if rng.random() < CODE_LINK_SHARE:
            link = f"link:https://github.com/bench/{index}"
            graph.add_node(link, type="link", label=link[5:], url=link[5:], kind="code", papers=[paper_id])
            graph.add_edge(paper, link, key="has_code", type="has_code", paper=paper_id)
            proposed = f"entity:e{next(iter(chosen))}"
            graph.add_edge(paper, proposed, key="proposes", type="proposes", paper=paper_id)
    for entity, found in entity_papers.items():
        graph.nodes[f"entity:e{entity}"].update(papers=found, proposed_by=[])
    return graph


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000], help="Graph sizes in papers.")
    parser.add_argument("--seed", type=int, default=0, help="Seed of the synthetic graphs and of the analysis.")
    arguments = parser.parse_args()

    print(f"betweenness: exact up to {BETWEENNESS_EXACT_MAX_NODES} projection nodes, else {BETWEENNESS_SAMPLES} sampled sources")
    baseline: dict[str, float] = {}
    for size in arguments.sizes:
        graph = synthetic_graph(size, seed=arguments.seed)
        with tempfile.TemporaryDirectory() as folder:
            write_graphml(graph, Path(folder) / "graph.graphml")
            cpu_start, start = time.process_time(), time.perf_counter()
            loaded = load(folder)
            seconds = {"load": time.perf_counter() - start}
            analysis = analyze(loaded, seed=arguments.seed)
            seconds.update(analysis.seconds)
            start = time.perf_counter()
            write_report(analysis, Path(folder) / "report")
            seconds["report"] = time.perf_counter() - start
            cpu = time.process_time() - cpu_start
        seconds["total"] = sum(seconds.values())
        projection_nodes, projection_edges = analysis.projection_size
        print(
            f"\n{size} papers: {graph.number_of_nodes()} nodes, {graph.number_of_edges()} edges; "
            f"projection {projection_nodes} nodes, {projection_edges} edges"
        )
        print(f"{'step':<14} {'seconds':>9} {'s per 1k papers':>16} {'ratio':>6}")
        for step, value in seconds.items():
            per_thousand = value / size * 1000
            baseline.setdefault(step, per_thousand)
            ratio = per_thousand / baseline[step] if baseline[step] else float("nan")
            print(f"{step:<14} {value:>9.2f} {per_thousand:>16.3f} {ratio:>6.2f}")
        print(f"CPU time of all steps: {cpu:.2f} s (wall time exceeds it when other processes share the CPU)")


if __name__ == "__main__":
    main()
