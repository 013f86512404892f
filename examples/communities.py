"""Print the Louvain communities of methods, models, datasets, tasks and metrics.

Usage: python examples/communities.py [GRAPH] [MEMBERS]

GRAPH is a `kg build` output folder or a network file (default "outputs");
MEMBERS (default 6) is how many members to name per community.
"""

from __future__ import annotations

import sys

import kg
from kg.analytics import communities

graph_path = sys.argv[1] if len(sys.argv) > 1 else "outputs"
members_per_community = int(sys.argv[2]) if len(sys.argv) > 2 else 6

projection = kg.cooccurrence(kg.load(graph_path))
for community in communities(projection, seed=0):
    names = ", ".join(member.name for member in community.members[:members_per_community])
    print(f"{community.index:2d} ({community.size} entities): {names}")
