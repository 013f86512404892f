"""Print the datasets and benchmarks that papers use together with a benchmark.

Usage: python examples/benchmarks_with_rewardbench.py [GRAPH] [BENCHMARK]

GRAPH is a `kg build` output folder or a network file (default "outputs");
BENCHMARK defaults to RewardBench. Entities of every type that share a paper
with the benchmark are listed, datasets first, by number of shared papers.
"""

from __future__ import annotations

import sys

import kg
from kg.resolve import entity_key

graph_path = sys.argv[1] if len(sys.argv) > 1 else "outputs"
benchmark = sys.argv[2] if len(sys.argv) > 2 else "RewardBench"

graph = kg.load(graph_path)
projection = kg.cooccurrence(graph)
node = f"entity:{entity_key(benchmark)}"
if node not in projection:
    sys.exit(f"{benchmark} is not in {graph_path}")

print(f"{benchmark}: {projection.nodes[node]['n_papers']} papers")
neighbours = sorted(
    projection[node].items(),
    key=lambda item: (projection.nodes[item[0]]["type"] != "dataset", -item[1]["weight"], item[0]),
)
for other, edge in neighbours:
    data = projection.nodes[other]
    print(f"{edge['weight']:3d}  {data['type']:8s}  {data['name']}")
