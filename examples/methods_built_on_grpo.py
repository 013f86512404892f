"""Print the methods and models that are built on a method, with the evidence sentence.

Usage: python examples/methods_built_on_grpo.py [GRAPH] [METHOD]

GRAPH is a `kg build` output folder or a network file (default "outputs");
METHOD defaults to GRPO and may be a name or an alias ("GRPO" or "group
relative policy optimization"). Reads the `built_on` edges (entity -> entity)
of builds that extract relations; a graph without them prints none.
"""

from __future__ import annotations

import sys

import kg

BUILT_ON = "built_on"

graph_path = sys.argv[1] if len(sys.argv) > 1 else "outputs"
method = sys.argv[2] if len(sys.argv) > 2 else "GRPO"

graph = kg.load(graph_path)
targets = [
    node
    for node, data in graph.nodes(data=True)
    if method.casefold() in {str(name).casefold() for name in [data.get("name"), *data.get("aliases", [])]}
]
if not targets:
    sys.exit(f"{method} is not in {graph_path}")

found = 0
for target in targets:
    for source, _, data in graph.in_edges(target, data=True):
        if data.get("type") != BUILT_ON or graph.nodes[source].get("type") == "paper":
            continue
        found += 1
        print(f"{graph.nodes[source]['name']} (paper {data.get('paper', '?')}): {data.get('sentence', '')}")
print(f"{found} methods or models built on {method}")
