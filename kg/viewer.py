"""Interactive HTML view of a kg graph in one self-contained file.

`write_html` turns the graph of `kg.graph.build_graph` into a single page that
opens from ``file://`` without a network: the vis-network 9.1.2 script and
stylesheet that pyvis ships are inlined, and the graph travels as JSON.

The page is built for untrusted corpus text. Every title, name, alias and URL
reaches the browser only through the JSON data block, which escapes ``<``,
``>``, ``&``, U+2028 and U+2029, so a name cannot close the ``<script>``
element. The page script inserts that text with ``textContent`` and canvas
labels, never as HTML. The heading is HTML-escaped by the Jinja template. As a
second line of defence, a Content-Security-Policy allows only the page's own
scripts (by SHA-256 hash) and no network access.

pyvis's own `Network` class and template are not used: its template loads
vis-network, tom-select and Bootstrap from CDNs, writes the heading and node
ids unescaped, and turns tooltips that contain HTML into DOM nodes through
``innerHTML``.
"""

from __future__ import annotations

import base64
import difflib
import hashlib
import json
import logging
import math
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any, NamedTuple
from xml.etree import ElementTree

import jinja2
import markupsafe
import networkx as nx
import numpy as np

from kg import __version__
from kg.errors import ConfigError, InputError
from kg.graph import read_graphml
from kg.io import atomic_write
from kg.model import EntityType
from kg.resolve import entity_key

__all__ = [
    "EDGE_STYLES",
    "NODE_STYLES",
    "PYTHON_LAYOUT_MIN_NODES",
    "SIZE_MEASURES",
    "VIEW_MAX_NODES",
    "EdgeStyle",
    "NodeStyle",
    "build_payload",
    "find_node",
    "read_graph",
    "pagerank",
    "render_html",
    "script_json",
    "select_subgraph",
    "select_view",
    "write_html",
]

logger = logging.getLogger(__name__)


class NodeStyle(NamedTuple):
    """Drawing style of one node type: colour, vis-network shape and legend text."""

    color: str
    shape: str
    label: str


class EdgeStyle(NamedTuple):
    """Drawing style of one edge type.

    `dashes` is vis-network's dash pattern in pixels (dash, gap); an empty tuple
    draws a solid line.
    """

    color: str
    dashes: tuple[int, ...]
    width: float
    label: str


# Okabe-Ito colours (except the concept's lavender) stay distinct under the
# common colour-vision deficiencies. Each type also gets its own shape, so colour
# is never the only cue. Only shapes that vis-network scales by `size` are used (not box or
# ellipse, which grow with the label).
NODE_STYLES: Mapping[str, NodeStyle] = {
    "paper": NodeStyle("#0072B2", "square", "Paper"),
    "method": NodeStyle("#E69F00", "dot", "Method"),
    "model": NodeStyle("#D55E00", "diamond", "Model"),
    "dataset": NodeStyle("#009E73", "hexagon", "Dataset or benchmark"),
    "task": NodeStyle("#CC79A7", "triangle", "Task"),
    "metric": NodeStyle("#56B4E9", "star", "Metric"),
    "link": NodeStyle("#7F7F7F", "triangleDown", "Link"),
    # Concepts and results carry short labels ("framework", "94.1 %"), so
    # shapes that grow with the label stay small and keep the text readable.
    "concept": NodeStyle("#C9B8E8", "ellipse", "Concept"),
    "result": NodeStyle("#F0E442", "box", "Result"),
    # Authors are drawn as their names in this dark indigo (Paul Tol's
    # palette), because every size-scaled vis-network shape is taken.
    "author": NodeStyle("#332288", "text", "Author"),
}
OTHER_NODE_STYLE = NodeStyle("#BBBBBB", "dot", "Other")

EDGE_STYLES: Mapping[str, EdgeStyle] = {
    "proposes": EdgeStyle("#B2182B", (), 2.5, "proposes"),
    "mentions": EdgeStyle("#A0A0A0", (), 1.0, "mentions"),
    "evaluated_on": EdgeStyle("#009E73", (8, 4), 2.0, "evaluated on"),
    "has_code": EdgeStyle("#0072B2", (2, 3), 2.0, "has code"),
    "links_to": EdgeStyle("#7F7F7F", (6, 6), 1.0, "links to"),
    "uses": EdgeStyle("#E69F00", (), 1.5, "uses"),
    "built_on": EdgeStyle("#D55E00", (), 2.0, "built on"),
    "compared_with": EdgeStyle("#56B4E9", (4, 4), 1.5, "compared with"),
    "outperforms": EdgeStyle("#CC79A7", (), 2.5, "outperforms"),
    "addresses": EdgeStyle("#882255", (10, 3), 1.5, "addresses"),
    "is_a": EdgeStyle("#6A3D9A", (2, 4), 1.5, "is a"),
    "variant_of": EdgeStyle("#444444", (12, 4, 2, 4), 1.5, "variant of"),
    "has_result": EdgeStyle("#B8A200", (), 1.5, "has result"),
    "on_dataset": EdgeStyle("#009E73", (2, 3), 1.5, "on dataset"),
    "has_metric": EdgeStyle("#56B4E9", (2, 3), 1.0, "has metric"),
    "authored_by": EdgeStyle("#332288", (1, 3), 1.0, "authored by"),
}
OTHER_EDGE_STYLE = EdgeStyle("#BBBBBB", (), 1.0, "other")

# A `mentions` edge is not drawn beside one of these types on the same node
# pair, because build_graph adds `mentions` for every entity a paper states
# anything about, so the more specific edge already implies it.
_IMPLIES_MENTION = frozenset(
    {"proposes", "evaluated_on", "uses", "built_on", "compared_with", "outperforms", "addresses"}
)

# Ways to size nodes: "degree" counts distinct neighbours, "pagerank" uses the
# PageRank of the undirected graph, which favours nodes joined to other hubs.
SIZE_MEASURES = ("degree", "pagerank")
# Damping factor and stopping rule of PageRank, as in Brin and Page (1998) and
# networkx.pagerank.
PAGERANK_ALPHA = 0.85
PAGERANK_TOLERANCE = 1.0e-6
PAGERANK_MAX_ITERATIONS = 100

# Roundness (vis-network's curvedCW `roundness`, 0 is straight) added per
# extra edge on one node pair.
PARALLEL_EDGE_CURVE = 0.25

# Canvas labels longer than this are cut with an ellipsis, so that paper titles
# do not cover their neighbours. Tooltips and the details panel show the full text.
LABEL_MAX_CHARS = 40

# Node radius range in vis-network canvas pixels. The area grows with the
# number of distinct neighbours, so hubs stand out without hiding the rest.
NODE_SIZE_MIN = 8.0
NODE_SIZE_MAX = 36.0

# From this node count on, positions are computed in Python and browser physics
# stays off. Below it, vis-network's forceAtlas2Based solver settles in the
# browser within a few seconds (measurements in docs/viewer.md).
PYTHON_LAYOUT_MIN_NODES = 1000

# Physics steps that vis-network runs before the first frame; physics is then
# switched off so the page stops moving. 400 settles graphs of a few hundred
# nodes in the forceAtlas2Based solver.
STABILIZATION_ITERATIONS = 400

# Fruchterman-Reingold steps of the Python layout. 60 steps untangle graphs of
# a few thousand nodes; more mainly cost time, since each step is quadratic.
LAYOUT_ITERATIONS = 60
LAYOUT_SEED = 0
# Typical distance between neighbouring hub nodes after scaling to canvas pixels.
LAYOUT_SPACING_PX = 90.0
# Leaves (nodes with one neighbour) sit on a ring around that neighbour; the
# ring grows so that leaves stay this far apart along it.
LEAF_GAP_PX = 18.0
LEAF_RING_MIN_PX = 45.0
# Rows of the pairwise-distance block computed at once, which bounds memory
# to about 8 * rows * nodes bytes per step.
_LAYOUT_CHUNK_ROWS = 512
# Up to this many non-leaf nodes, repulsion is summed over all pairs. Above it,
# a grid approximation is several times faster, and its forces differed from
# the exact ones by under 0.5 % (95th percentile) on clustered test layouts.
EXACT_REPULSION_MAX_NODES = 500
# Average nodes per cell of that grid: fewer cells make the far field cheaper,
# fuller cells make the exact near field dearer.
GRID_NODES_PER_CELL = 24

# Items listed per section of a hover tooltip; the details panel lists all
# papers and links.
TOOLTIP_MAX_ITEMS = 8
# Edges with their evidence sentences listed in the details panel of one node.
# A hub of a big corpus has thousands, which would make the panel unusable.
PANEL_MAX_EDGES = 200

_TEMPLATE_NAME = "viewer.html"
_SOURCE_MAP_COMMENT = re.compile(r"^//# sourceMappingURL=[^\n]*\n?", re.MULTILINE)
_VIS_DIRECTORY = "lib/vis-9.1.2"

# Characters that must not appear raw inside a <script> element or a
# JavaScript string: "<" and ">" could form "</script>" or "<!--", "&" is
# escaped for the same reason HTML-sensitive JSON encoders escape it, and
# U+2028/U+2029 ended string literals in JavaScript before ES2019.
_SCRIPT_ESCAPES = {
    "<": "\\u003c",
    ">": "\\u003e",
    "&": "\\u0026",
    "\u2028": "\\u2028",
    "\u2029": "\\u2029",
}
_SCRIPT_ESCAPE_TABLE = str.maketrans(_SCRIPT_ESCAPES)


def script_json(value: Any) -> str:
    """Serialise `value` as JSON that is safe inside an HTML ``<script>`` element.

    Parameters
    ----------
    value : Any
        Anything `json.dumps` accepts.

    Returns
    -------
    str
        Compact JSON in which ``<``, ``>``, ``&``, U+2028 and U+2029 are
        written as ``\\uXXXX`` escapes. Those characters can only occur inside
        JSON strings, so replacing them everywhere keeps the JSON equal in value.

    Examples
    --------
    >>> script_json({"name": "</script>"})
    '{"name":"\\\\u003c/script\\\\u003e"}'
    """
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True, allow_nan=False)
    return text.translate(_SCRIPT_ESCAPE_TABLE)


def _truncate(text: str, limit: int = LABEL_MAX_CHARS) -> str:
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    return text[: limit - 1].rstrip() + "\u2026"


def _as_list(value: Any) -> list[Any]:
    if isinstance(value, (list, tuple)):
        return list(value)
    # A GraphML file written before an attribute joined LIST_ATTRIBUTES stores
    # the list as JSON text.
    if isinstance(value, str) and value.startswith("["):
        try:
            decoded = json.loads(value)
        except json.JSONDecodeError:
            return []
        return decoded if isinstance(decoded, list) else []
    return []


def _as_text(value: Any) -> str:
    if value is None:
        return ""
    return str(value)


def _node_size(score: float, max_score: float) -> float:
    if max_score <= 0:
        return NODE_SIZE_MIN
    return round(NODE_SIZE_MIN + (NODE_SIZE_MAX - NODE_SIZE_MIN) * math.sqrt(score / max_score), 2)


def pagerank(graph: nx.Graph, *, alpha: float = PAGERANK_ALPHA) -> dict[Any, float]:
    """Compute the PageRank of every node of `graph`, ignoring edge direction.

    Power iteration of Brin and Page (1998), "The anatomy of a large-scale
    hypertextual Web search engine", on the undirected simple graph: parallel
    edges count once, and a node without neighbours spreads its rank evenly
    over all nodes. networkx's own `pagerank` needs SciPy, which kg does not
    depend on.

    Parameters
    ----------
    graph : networkx.Graph
        Any networkx graph.
    alpha : float, default PAGERANK_ALPHA
        Damping factor, the probability of following an edge.

    Returns
    -------
    dict
        Node -> rank; the ranks sum to 1.

    Examples
    --------
    >>> ranks = pagerank(nx.star_graph(3))
    >>> round(ranks[0], 3), round(ranks[1], 3)
    (0.48, 0.173)
    """
    nodes = list(graph.nodes)
    count = len(nodes)
    if count == 0:
        return {}
    index = {node: position for position, node in enumerate(nodes)}
    pairs = {
        (index[source], index[target])
        for source, target in graph.edges()
        if source != target
    }
    sources = np.array([s for s, t in pairs] + [t for s, t in pairs], dtype=np.int64)
    targets = np.array([t for s, t in pairs] + [s for s, t in pairs], dtype=np.int64)
    # Undirected pairs may arrive in both directions; keep each direction once.
    if len(sources):
        unique = np.unique(np.stack([sources, targets], axis=1), axis=0)
        sources, targets = unique[:, 0], unique[:, 1]
    degree = np.bincount(sources, minlength=count).astype(float)
    dangling = degree == 0

    rank = np.full(count, 1.0 / count)
    for _ in range(PAGERANK_MAX_ITERATIONS):
        share = np.divide(rank, degree, out=np.zeros(count), where=~dangling)
        new_rank = np.bincount(targets, weights=share[sources], minlength=count) * alpha
        new_rank += (alpha * rank[dangling].sum() + 1.0 - alpha) / count
        change = np.abs(new_rank - rank).sum()
        rank = new_rank
        if change < count * PAGERANK_TOLERANCE:
            break
    else:
        logger.debug("PageRank did not converge in %d iterations", PAGERANK_MAX_ITERATIONS)
    return {node: float(rank[position]) for node, position in index.items()}


def _node_scores(graph: nx.Graph, node_ids: list[Any], size: str) -> list[float]:
    """Return the score that sets each node's size, in the order of `node_ids`."""
    if size == "pagerank":
        ranks = pagerank(graph)
        return [ranks[node] for node in node_ids]
    undirected = graph.to_undirected(as_view=True) if graph.is_directed() else graph
    return [float(len(undirected.adj[node])) for node in node_ids]


def _node_details(data: Mapping[str, Any], node_type: str, paper_index: Mapping[str, int]) -> dict[str, Any]:
    """Collect the text a tooltip shows for one node; paper ids become node indices."""

    def paper_indices(paper_ids: Iterable[Any]) -> list[int]:
        return [paper_index[str(paper_id)] for paper_id in paper_ids if str(paper_id) in paper_index]

    if node_type == "paper":
        return {
            "title": _as_text(data.get("title", data.get("label"))),
            "date": _as_text(data.get("date")),
            "url": _as_text(data.get("url")),
        }
    if node_type == "link":
        return {
            "url": _as_text(data.get("url", data.get("label"))),
            "kind": _as_text(data.get("kind")),
            "papers": paper_indices(_as_list(data.get("papers"))),
        }
    if node_type == "concept":
        return {"key": _as_text(data.get("key"))}
    if node_type == "author":
        return {"key": _as_text(data.get("key")), "papers": paper_indices(_as_list(data.get("papers")))}
    if node_type == "result":
        return {
            "label": _as_text(data.get("label")),
            "value": _as_text(data.get("value")),
            "unit": _as_text(data.get("unit")),
            "spread": _as_text(data.get("spread")),
            "subject": _as_text(data.get("subject")),
            "metric": _as_text(data.get("metric")),
            "benchmark": _as_text(data.get("benchmark")),
            "papers": paper_indices([data.get("paper")] if data.get("paper") else []),
            "sentence": _as_text(data.get("sentence")),
        }
    details: dict[str, Any] = {
        "aliases": [_as_text(alias) for alias in _as_list(data.get("aliases"))],
        "papers": paper_indices(_as_list(data.get("papers"))),
        "proposedBy": paper_indices(_as_list(data.get("proposed_by"))),
    }
    reasons = [
        {"form": _as_text(item.get("form")), "reason": _as_text(item.get("reason"))}
        for item in _as_list(data.get("merge_reasons"))
        if isinstance(item, Mapping)
    ]
    if reasons:
        details["mergeReasons"] = reasons
    return details


# Short canvas captions of result values; the full label is in the tooltip.
_UNIT_SUFFIXES = {"percent": " %", "points": " pts", "x": "\u00d7"}


def _result_caption(data: Mapping[str, Any]) -> str:
    """Return the value of a result node with its unit and spread, e.g. "94.1 % ± 0.3"."""
    value = _as_text(data.get("value"))
    if not value:
        return ""
    unit = _as_text(data.get("unit"))
    caption = value + _UNIT_SUFFIXES.get(unit, f" {unit}" if unit else "")
    spread = _as_text(data.get("spread"))
    if spread:
        caption += f" \u00b1 {spread}"
    return caption


def _drawn_edges(graph: nx.Graph, index: Mapping[Any, int]) -> list[tuple[int, int, dict[str, Any]]]:
    """Return the edges to draw as (source index, target index, attributes).

    Drops a `mentions` edge that shares its node pair with an edge type that
    implies it, and sorts the rest by (source, target, type) so that output
    does not depend on insertion order.
    """
    by_pair: dict[tuple[int, int], dict[str, dict[str, Any]]] = defaultdict(dict)
    for source, target, data in graph.edges(data=True):
        edge_type = _as_text(data.get("type")) or "other"
        by_pair[(index[source], index[target])].setdefault(edge_type, dict(data))

    edges = []
    for pair in sorted(by_pair):
        types = by_pair[pair]
        if "mentions" in types and _IMPLIES_MENTION & types.keys():
            del types["mentions"]
        for edge_type in sorted(types):
            edges.append((pair[0], pair[1], {**types[edge_type], "type": edge_type}))
    return edges


def build_payload(
    graph: nx.Graph,
    *,
    python_layout_min_nodes: int = PYTHON_LAYOUT_MIN_NODES,
    seed: int = LAYOUT_SEED,
    size: str = "degree",
) -> dict[str, Any]:
    """Build the plain data that the viewer page draws.

    Parameters
    ----------
    graph : networkx.Graph
        Usually the `MultiDiGraph` of `kg.graph.build_graph`. Nodes need a
        `type` attribute; other attributes are read where present (see the
        module docstring of `kg.graph`). Any networkx graph class works.
    python_layout_min_nodes : int, default PYTHON_LAYOUT_MIN_NODES
        From this node count on, positions are computed here and physics is
        disabled in the browser.
    seed : int, default LAYOUT_SEED
        Seed of the Python layout, so equal graphs get equal pictures.
    size : {"degree", "pagerank"}, default "degree"
        What sets the node size: the number of distinct neighbours, or the
        PageRank of the undirected graph (see `pagerank`).

    Returns
    -------
    dict
        JSON-ready data: ``nodes`` (id is the index in this list, ``nodeId`` is
        the graph's node id), ``edges`` (``from``/``to`` are node indices),
        ``nodeStyles``, ``edgeStyles``, ``physics`` and display limits. Paper
        ids in node attributes become indices of paper nodes, so each title is
        stored once.

    Raises
    ------
    ValueError
        If `size` is not one of `SIZE_MEASURES`.

    Notes
    -----
    Node size grows with the square root of the score that `size` names,
    ignoring direction and parallel edges. The input graph is not changed.
    """
    if size not in SIZE_MEASURES:
        raise ValueError(f"size must be one of {', '.join(SIZE_MEASURES)}, got {size!r}")
    node_ids = sorted(graph.nodes, key=str)
    index = {node: position for position, node in enumerate(node_ids)}
    paper_index = {
        _as_text(graph.nodes[node].get("paper_id")): position
        for node, position in index.items()
        if graph.nodes[node].get("type") == "paper"
    }

    scores = _node_scores(graph, node_ids, size)
    max_score = max(scores, default=0.0)

    nodes = []
    unknown_types: set[str] = set()
    for position, node in enumerate(node_ids):
        data = graph.nodes[node]
        node_type = _as_text(data.get("type"))
        if node_type not in NODE_STYLES:
            unknown_types.add(node_type)
            logger.debug("Node %s has type %r, which has no style", node, node_type)
        label = _as_text(data.get("label")) or _as_text(data.get("name")) or str(node)
        caption = (_result_caption(data) if node_type == "result" else "") or label
        nodes.append(
            {
                "id": position,
                "nodeId": str(node),
                "type": node_type,
                "text": label,
                "label": _truncate(caption),
                "size": _node_size(scores[position], max_score),
                "details": _node_details(data, node_type, paper_index),
            }
        )
    if unknown_types:
        logger.warning("Drawing nodes of unknown type %s in the 'other' style", sorted(unknown_types))

    edges = []
    edges_per_pair: dict[frozenset[int], int] = defaultdict(int)
    for source, target, data in _drawn_edges(graph, index):
        edge: dict[str, Any] = {
            "from": source,
            "to": target,
            "type": data["type"],
            "sentence": _as_text(data.get("sentence")),
            "paper": paper_index.get(_as_text(data.get("paper")), -1),
        }
        # Edges are straight; a second or later edge on the same node pair
        # bends away so that it does not hide the first.
        pair = frozenset((source, target))
        if edges_per_pair[pair]:
            edge["curve"] = round(PARALLEL_EDGE_CURVE * edges_per_pair[pair], 2)
        edges_per_pair[pair] += 1
        edges.append(edge)

    physics = len(nodes) < python_layout_min_nodes
    if not physics:
        positions = _layout_positions(len(nodes), [(edge["from"], edge["to"]) for edge in edges], seed=seed)
        for node, (x, y) in zip(nodes, positions):
            node["x"] = round(float(x), 1)
            node["y"] = round(float(y), 1)

    used_node_types = {node["type"] for node in nodes}
    used_edge_types = {edge["type"] for edge in edges}
    return {
        "nodes": nodes,
        "edges": edges,
        "nodeStyles": {name: style._asdict() for name, style in NODE_STYLES.items()},
        "otherNodeStyle": OTHER_NODE_STYLE._asdict(),
        "edgeStyles": {name: _edge_style_json(style) for name, style in EDGE_STYLES.items()},
        "otherEdgeStyle": _edge_style_json(OTHER_EDGE_STYLE),
        "hasOtherNodes": bool(used_node_types - NODE_STYLES.keys()),
        "hasOtherEdges": bool(used_edge_types - EDGE_STYLES.keys()),
        "sizeMeasure": size,
        "physics": physics,
        "stabilizationIterations": STABILIZATION_ITERATIONS,
        "tooltipMaxItems": TOOLTIP_MAX_ITEMS,
        "panelMaxEdges": PANEL_MAX_EDGES,
    }


def _edge_style_json(style: EdgeStyle) -> dict[str, Any]:
    return {"color": style.color, "dashes": list(style.dashes) or False, "width": style.width, "label": style.label}


def _layout_positions(count: int, edges: list[tuple[int, int]], *, seed: int) -> np.ndarray:
    """Place `count` nodes in canvas pixels; leaves go on rings around their neighbour.


    In paper graphs most entities and links occur in one paper only. Laying
    out just the other nodes with a force model and ringing the leaves around
    them keeps the quadratic step small.
    """
    neighbours: list[set[int]] = [set() for _ in range(count)]
    for source, target in edges:
        if source != target:
            neighbours[source].add(target)
            neighbours[target].add(source)

    # A leaf has one neighbour, which itself has more. Two nodes that only
    # touch each other both stay in the core, so the core is never empty.
    parent = {
        node: next(iter(adjacent))
        for node, adjacent in enumerate(neighbours)
        if len(adjacent) == 1 and len(neighbours[next(iter(adjacent))]) > 1
    }
    core = [node for node in range(count) if node not in parent]
    core_index = {node: position for position, node in enumerate(core)}
    core_edges = np.array(
        [(core_index[s], core_index[t]) for s, t in edges if s in core_index and t in core_index and s != t],
        dtype=np.int64,
    ).reshape(-1, 2)

    core_positions = _fruchterman_reingold(len(core), core_edges, seed=seed)
    # The model places nodes about 1/sqrt(n) apart in the unit square.
    scale = LAYOUT_SPACING_PX * math.sqrt(max(len(core), 1))
    positions = np.zeros((count, 2))
    positions[core] = core_positions * scale

    leaves_of: dict[int, list[int]] = defaultdict(list)
    for leaf, hub in sorted(parent.items()):
        leaves_of[hub].append(leaf)
    for hub, leaves in leaves_of.items():
        radius = max(LEAF_RING_MIN_PX, len(leaves) * LEAF_GAP_PX / (2 * math.pi))
        angles = 2 * math.pi * np.arange(len(leaves)) / len(leaves)
        positions[leaves, 0] = positions[hub, 0] + radius * np.cos(angles)
        positions[leaves, 1] = positions[hub, 1] + radius * np.sin(angles)
    return positions


def _fruchterman_reingold(count: int, edges: np.ndarray, *, seed: int) -> np.ndarray:
    """Run the force-directed layout of Fruchterman and Reingold (1991) in the unit square.

    Each step pushes every pair of nodes apart with force k²/d, pulls the ends
    of every edge together with force d²/k (k = 1/sqrt(count)), and moves each
    node at most the current temperature, which cools linearly to zero. Up to
    `EXACT_REPULSION_MAX_NODES` nodes the pairwise step is exact, computed in
    row blocks, so time is quadratic in `count`; above it a one-level grid
    approximation is used (`_grid_repulsion`). networkx's own `spring_layout`
    would need SciPy for graphs of this size, and kg does not depend on SciPy.
    """
    rng = np.random.default_rng(seed)
    positions = rng.uniform(-0.5, 0.5, size=(count, 2))
    if count < 2:
        return positions

    k = 1.0 / math.sqrt(count)
    temperature = 0.1
    cooling = temperature / (LAYOUT_ITERATIONS + 1)
    min_distance_squared = (0.01 * k) ** 2
    for _ in range(LAYOUT_ITERATIONS):
        if count <= EXACT_REPULSION_MAX_NODES:
            displacement = _exact_repulsion(positions, k, min_distance_squared)
        else:
            displacement = _grid_repulsion(positions, k, min_distance_squared)

        # Attraction along edges.
        if len(edges):
            delta = positions[edges[:, 0]] - positions[edges[:, 1]]
            distance = np.sqrt((delta**2).sum(axis=1))
            force = delta * (distance / k)[:, None]
            np.subtract.at(displacement, edges[:, 0], force)
            np.add.at(displacement, edges[:, 1], force)

        # Move each node along its displacement, at most `temperature` far.
        length = np.maximum(np.sqrt((displacement**2).sum(axis=1)), 1e-12)
        positions += displacement * (np.minimum(length, temperature) / length)[:, None]
        temperature -= cooling
    return positions - positions.mean(axis=0)


def _exact_repulsion(positions: np.ndarray, k: float, min_distance_squared: float) -> np.ndarray:
    """Return the Fruchterman-Reingold repulsion on every node from every other node."""
    count = len(positions)
    displacement = np.zeros_like(positions)
    # One block of rows at a time. With w = k²/d², the push on node i is
    # sum_j w_ij (p_i - p_j), which is p_i * sum_j w_ij - (w @ p)_i, so the
    # block needs two matrix products and no (rows, n, 2) array.
    squared_norms = (positions**2).sum(axis=1)
    for start in range(0, count, _LAYOUT_CHUNK_ROWS):
        block = positions[start : start + _LAYOUT_CHUNK_ROWS]
        weights = squared_norms[start : start + len(block), None] + squared_norms[None, :] - 2.0 * (block @ positions.T)
        np.maximum(weights, min_distance_squared, out=weights)
        np.divide(k * k, weights, out=weights)
        displacement[start : start + len(block)] += block * weights.sum(axis=1)[:, None] - weights @ positions
    return displacement


def _grid_repulsion(positions: np.ndarray, k: float, min_distance_squared: float) -> np.ndarray:
    """Approximate the Fruchterman-Reingold repulsion with a coarse grid.

    Nodes in the same or a neighbouring grid cell repel each other exactly.
    Each farther cell repels as one body of its node count at its centroid,
    which is the idea of Barnes and Hut (1986) with a single level. The cost
    is about count * (cells + 9 * nodes per cell) instead of count².
    """
    count = len(positions)
    side = max(1, math.ceil(math.sqrt(count / GRID_NODES_PER_CELL)))
    low = positions.min(axis=0)
    extent = np.maximum(positions.max(axis=0) - low, 1e-12)
    cell_xy = np.minimum((positions - low) / extent * side, side - 1).astype(np.int64)
    cell = cell_xy[:, 0] * side + cell_xy[:, 1]
    cells = side * side

    # Far field: every cell as a body at its centroid, then the 3 x 3 block
    # around the node's own cell is taken out again and computed exactly.
    # Sums run over whole rows (no length-2 axis), which numpy reduces fast.
    members = np.bincount(cell, minlength=cells).astype(float)
    centroids = np.stack(
        [np.bincount(cell, weights=positions[:, axis], minlength=cells) for axis in range(2)], axis=1
    ) / np.maximum(members, 1.0)[:, None]
    squared_norms = (positions**2).sum(axis=1)
    centroid_norms = (centroids**2).sum(axis=1)
    displacement = np.zeros_like(positions)
    for start in range(0, count, _LAYOUT_CHUNK_ROWS):
        block = positions[start : start + _LAYOUT_CHUNK_ROWS]
        weights = squared_norms[start : start + len(block), None] + centroid_norms[None, :] - 2.0 * (block @ centroids.T)
        np.maximum(weights, min_distance_squared, out=weights)
        np.divide(members[None, :] * (k * k), weights, out=weights)
        displacement[start : start + len(block)] += block * weights.sum(axis=1)[:, None] - weights @ centroids

    xs, ys = positions[:, 0], positions[:, 1]
    order = np.argsort(cell, kind="stable")
    first = np.searchsorted(cell[order], np.arange(cells))
    slots = np.arange(int(members.max()))
    for dx in (-1, 0, 1):
        for dy in (-1, 0, 1):
            x, y = cell_xy[:, 0] + dx, cell_xy[:, 1] + dy
            inside = (x >= 0) & (x < side) & (y >= 0) & (y < side)
            neighbour_cell = np.where(inside, x * side + y, 0)
            for start in range(0, count, _LAYOUT_CHUNK_ROWS):
                rows = slice(start, start + _LAYOUT_CHUNK_ROWS)
                block_cell = neighbour_cell[rows]
                valid = inside[rows, None] & (slots[None, :] < members[block_cell][:, None])
                others = order[np.minimum(first[block_cell][:, None] + slots[None, :], count - 1)]
                valid &= others != np.arange(count)[rows][:, None]
                delta_x = xs[rows, None] - xs[others]
                delta_y = ys[rows, None] - ys[others]
                weights = (k * k) / np.maximum(delta_x * delta_x + delta_y * delta_y, min_distance_squared)
                weights[~valid] = 0.0
                # Take out the far-field estimate of this cell, which the exact sum replaces.
                centroid_delta = positions[rows] - centroids[block_cell]
                estimate = members[block_cell] * (k * k) / np.maximum(
                    centroid_delta[:, 0] ** 2 + centroid_delta[:, 1] ** 2, min_distance_squared
                )
                estimate[~inside[rows]] = 0.0
                displacement[rows, 0] += (weights * delta_x).sum(axis=1) - estimate * centroid_delta[:, 0]
                displacement[rows, 1] += (weights * delta_y).sum(axis=1) - estimate * centroid_delta[:, 1]
    return displacement


@lru_cache(maxsize=1)
def _vis_assets() -> tuple[str, str]:
    """Read vis-network's script and stylesheet from the pyvis package."""
    import pyvis

    directory = Path(pyvis.__file__).parent / _VIS_DIRECTORY
    script = (directory / "vis-network.min.js").read_text(encoding="utf-8")
    stylesheet = (directory / "vis-network.css").read_text(encoding="utf-8")
    # The source map named on the last line is not shipped, so drop the reference.
    # Only "\n" ends a line here: str.splitlines would also split at U+2028 and
    # other separators that occur inside the minified string literals.
    script = _SOURCE_MAP_COMMENT.sub("", script)
    # Inlined text must not end its element early or open an HTML comment
    # inside a script, which would change how the browser parses the rest.
    for name, text, closing in (("script", script, "</script"), ("stylesheet", stylesheet, "</style")):
        lowered = text.lower()
        if closing in lowered or "<!--" in lowered:
            raise RuntimeError(f"vis-network {name} in {directory} contains {closing!r} or '<!--' and cannot be inlined")
    return script, stylesheet


def _css_border_style(style: EdgeStyle) -> str:
    """Return the CSS border style that resembles the edge's dash pattern in the legend."""
    if not style.dashes:
        return "solid"
    return "dotted" if style.dashes[0] <= 2 else "dashed"


def _csp_hash(text: str) -> str:
    digest = hashlib.sha256(str(text).encode("utf-8")).digest()
    # Base64 text and quotes only, so the value is safe in an attribute as it is.
    return markupsafe.Markup("'sha256-" + base64.b64encode(digest).decode("ascii") + "'")


@lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("kg", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )
    environment.filters["csp_hash"] = _csp_hash
    return environment


def render_html(graph: nx.Graph, *, title: str = "kg knowledge graph", size: str = "degree") -> str:
    """Render the viewer page of `graph` as one HTML string.

    Parameters
    ----------
    graph : networkx.Graph
        As for `build_payload`.
    title : str
        Page title and heading; HTML-escaped, so any text is safe.
    size : {"degree", "pagerank"}, default "degree"
        What sets the node size, as for `build_payload`.

    Returns
    -------
    str
        A complete HTML document with no external references.

    Raises
    ------
    TypeError
        If `graph` is not a networkx graph or `title` is not a string.
    ValueError
        If `size` is not one of `SIZE_MEASURES`.
    """
    if not isinstance(graph, nx.Graph):
        raise TypeError(f"graph must be a networkx graph such as kg.graph.build_graph returns, got {type(graph).__name__}")
    if not isinstance(title, str):
        raise TypeError(f"title must be a str, got {type(title).__name__}")

    return _render_page(build_payload(graph, size=size), title=title, graph_edge_count=graph.number_of_edges())


def _render_page(payload: Mapping[str, Any], *, title: str, graph_edge_count: int) -> str:
    script, stylesheet = _vis_assets()
    legend_nodes = [(name, style) for name, style in NODE_STYLES.items()]
    if payload["hasOtherNodes"]:
        legend_nodes.append(("other", OTHER_NODE_STYLE))
    legend_edges = [(name, style, _css_border_style(style)) for name, style in EDGE_STYLES.items()]
    if payload["hasOtherEdges"]:
        legend_edges.append(("other", OTHER_EDGE_STYLE, _css_border_style(OTHER_EDGE_STYLE)))
    template = _environment().get_template(_TEMPLATE_NAME)
    return template.render(
        title=title,
        version=__version__,
        node_count=len(payload["nodes"]),
        edge_count=len(payload["edges"]),
        implied_edge_count=max(graph_edge_count - len(payload["edges"]), 0),
        implying_edge_labels=[style.label for name, style in EDGE_STYLES.items() if name in _IMPLIES_MENTION],
        legend_nodes=legend_nodes,
        legend_edges=legend_edges,
        size_measure=payload["sizeMeasure"],
        data_json=markupsafe.Markup(script_json(payload)),
        vis_script=markupsafe.Markup(script),
        vis_stylesheet=markupsafe.Markup(stylesheet),
    )


def write_html(graph: nx.Graph, path: str | Path, *, title: str = "kg knowledge graph", size: str = "degree") -> None:
    """Write the viewer page of `graph` to `path`.

    The page is one self-contained file: it opens from disk in a browser with
    no network access and loads nothing from elsewhere.

    Parameters
    ----------
    graph : networkx.Graph
        Usually the `MultiDiGraph` of `kg.graph.build_graph`.
    path : str or Path
        Output file. Missing parent folders are created; an existing file is
        replaced only once the new page is complete.
    title : str, default "kg knowledge graph"
        Page title and heading; HTML-escaped.
    size : {"degree", "pagerank"}, default "degree"
        What sets the node size, as for `build_payload`.

    Raises
    ------
    TypeError
        If `graph` is not a networkx graph or `title` is not a string.
    ValueError
        If `size` is not one of `SIZE_MEASURES`.
    OSError
        If the file cannot be written.

    Examples
    --------
    >>> import tempfile
    >>> from kg.graph import build_graph
    >>> from kg.model import Paper, PaperExtraction
    >>> graph = build_graph([PaperExtraction(paper=Paper(id="p1", title="A title"))])
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     write_html(graph, Path(folder) / "graph.html")

    Notes
    -----
    Below `PYTHON_LAYOUT_MIN_NODES` nodes the browser lays the graph out with
    vis-network physics and freezes it once stabilised. From that size on,
    positions come from a seeded Fruchterman-Reingold layout computed here.
    Its cost is quadratic in the number of nodes with more than one neighbour.
    """
    html = render_html(graph, title=title, size=size)
    with atomic_write(path, "w") as handle:
        handle.write(html)
    logger.info("Wrote graph viewer with %d nodes to %s", graph.number_of_nodes(), path)


# Largest graph that `kg build` draws in full. Beyond it the page shows the
# most widely mentioned entities with their papers and links, because a page
# of tens of thousands of nodes is slow to open and unreadable.
VIEW_MAX_NODES = 3000


def select_view(graph: nx.MultiDiGraph, *, max_nodes: int = VIEW_MAX_NODES) -> nx.MultiDiGraph:
    """Return the part of `graph` worth drawing, with at most `max_nodes` nodes.

    A graph within the limit is returned as it is. Otherwise entities are
    taken in order of the number of papers that mention them (ties: more
    neighbours first, then node id), each with its neighbouring papers and
    links, while the total stays within `max_nodes`.

    Parameters
    ----------
    graph : networkx.MultiDiGraph
        The graph of `kg.graph.build_graph`.
    max_nodes : int
        Maximum number of nodes of the returned view; at least 1.

    Returns
    -------
    networkx.MultiDiGraph
        `graph` itself, or a subgraph view of it (the input is not changed).

    Examples
    --------
    >>> from kg.graph import build_graph
    >>> from kg.model import Paper, PaperExtraction
    >>> graph = build_graph([PaperExtraction(paper=Paper(id=f"p{i}", title="T")) for i in range(5)])
    >>> select_view(graph, max_nodes=10) is graph
    True
    """
    if max_nodes < 1:
        raise ValueError(f"max_nodes must be at least 1, got {max_nodes}")
    if graph.number_of_nodes() <= max_nodes:
        return graph

    entities = [node for node, data in graph.nodes(data=True) if data.get("type") not in {"paper", "link", "author"}]
    entities.sort(key=lambda node: (-len(graph.nodes[node].get("papers") or ()), -graph.degree(node), str(node)))
    chosen: set[str] = set()
    for entity in entities:
        group = {entity} | set(graph.predecessors(entity)) | set(graph.successors(entity))
        new = group - chosen
        if len(chosen) + len(new) > max_nodes:
            continue
        chosen |= new
        if len(chosen) == max_nodes:
            break
    if not chosen and entities:
        # Not even one entity fits with its neighbours: draw the top entity alone.
        chosen = {entities[0]}
    logger.warning(
        "The graph has %d nodes; graph.html shows %d of them: the most widely mentioned entities "
        "with their papers and links. The other outputs contain the whole graph.",
        graph.number_of_nodes(), len(chosen),
    )
    return graph.subgraph(chosen)


# Node types that count as entities when `select_subgraph` ranks by centrality.
ENTITY_TYPES = frozenset(str(entity_type) for entity_type in EntityType)
# Close matches that the error of an unknown --focus name lists.
FOCUS_SUGGESTIONS = 5
# Default --depth: two steps reach the entity's papers and the other entities
# of those papers, which is what "what is used with X" needs.
FOCUS_DEPTH = 2


def _paper_count(data: Mapping[str, Any]) -> int:
    return len(_as_list(data.get("papers")))


def _drop_isolated(graph: nx.MultiDiGraph, kept: set[Any]) -> set[Any]:
    """Remove from `kept` the nodes with no neighbour inside `kept`."""
    return {
        node
        for node in kept
        if any(neighbour in kept and neighbour != node for neighbour in nx.all_neighbors(graph, node))
    }


def _filter_nodes(graph: nx.MultiDiGraph, *, types: Iterable[str] | None, min_papers: int) -> set[Any]:
    """Return the nodes that pass the type and paper-count filters.

    Entities mentioned in fewer than `min_papers` papers are dropped, then
    the papers that mention none of the remaining entities, and then every
    node left without neighbours. So a filtered view of a big corpus does not
    keep all of its papers with their links and results.
    """
    kept = set(graph.nodes)
    if types is not None:
        selected_types = set(types)
        kept = {node for node in kept if _as_text(graph.nodes[node].get("type")) in selected_types}
    if min_papers > 0:
        kept = {
            node
            for node in kept
            if graph.nodes[node].get("type") not in ENTITY_TYPES or _paper_count(graph.nodes[node]) >= min_papers
        }
        kept -= {
            node
            for node in kept
            if graph.nodes[node].get("type") == "paper"
            and not any(
                neighbour in kept and graph.nodes[neighbour].get("type") in ENTITY_TYPES
                for neighbour in nx.all_neighbors(graph, node)
            )
        }
    if types is not None or min_papers > 0:
        kept = _drop_isolated(graph, kept)
    return kept


def find_node(graph: nx.Graph, name: str) -> Any:
    """Return the id of the node whose name, key or alias matches `name`.

    Names are compared by `kg.resolve.entity_key`, so case, plurals, dashes
    and Unicode variants do not matter. Entities and concepts are searched
    first, then papers by title.

    Raises
    ------
    ConfigError
        If `name` normalises to an empty key, or if no node matches; the
        message lists up to `FOCUS_SUGGESTIONS` close matches.

    Examples
    --------
    >>> graph = nx.MultiDiGraph()
    >>> graph.add_node("entity:grpo", type="method", name="GRPO", key="grpo", aliases=["Group Relative Policy Optimization"])
    >>> find_node(graph, "group relative policy optimization")
    'entity:grpo'
    """
    target_key = entity_key(name)
    if not target_key:
        raise ConfigError(f"the focus name {name!r} is empty after normalisation. Give a node's name or alias.")
    titles: dict[str, Any] = {}
    forms: dict[str, str] = {}
    for node, data in graph.nodes(data=True):
        node_type = _as_text(data.get("type"))
        if node_type == "paper":
            title = _as_text(data.get("title") or data.get("label"))
            titles.setdefault(entity_key(title), node)
            forms.setdefault(title, node)
            continue
        names = [_as_text(data.get("name") or data.get("label")), *map(_as_text, _as_list(data.get("aliases")))]
        keys = {entity_key(text) for text in names if text}
        if data.get("key"):
            keys.add(_as_text(data.get("key")))
        if target_key in keys:
            return node
        for text in names:
            if text:
                forms.setdefault(text, node)
    if target_key in titles:
        return titles[target_key]

    by_lower = {form.lower(): form for form in forms}
    close = difflib.get_close_matches(name.lower(), list(by_lower), n=FOCUS_SUGGESTIONS, cutoff=0.6)
    hint = f"close matches: {', '.join(repr(by_lower[match]) for match in close)}" if close else "no close matches"
    raise ConfigError(
        f"no node has the name or alias {name!r} (compared as {target_key!r}); {hint}. "
        "Give a name as the graph spells it, for example one from the viewer's search box."
    )


def _neighbourhood(graph: nx.MultiDiGraph, centre: Any, *, depth: int, allowed: set[Any], max_nodes: int) -> set[Any]:
    """Return nodes within `depth` steps of `centre`, ignoring direction, at most `max_nodes`.

    The search goes ring by ring. When a ring does not fit, its nodes mentioned
    in the most papers (then with the most neighbours) are taken first.
    """
    chosen = {centre}
    ring = [centre]
    for _ in range(depth):
        candidates = {
            neighbour
            for node in ring
            for neighbour in nx.all_neighbors(graph, node)
            if neighbour in allowed and neighbour not in chosen
        }
        ordered = sorted(
            candidates,
            key=lambda node: (-_paper_count(graph.nodes[node]), -graph.degree(node), str(node)),
        )
        room = max_nodes - len(chosen)
        if len(ordered) > room:
            logger.warning(
                "The neighbourhood of %s has more than %d nodes; the view keeps the %d most mentioned of the "
                "next ring. Lower --depth or raise --max-nodes to change this.",
                centre, max_nodes, room,
            )
            chosen.update(ordered[:room])
            break
        chosen.update(ordered)
        ring = ordered
    return chosen


def _top_entities(graph: nx.MultiDiGraph, *, top: int, allowed: set[Any], max_nodes: int) -> set[Any]:
    """Return the `top` most central entities and the papers that mention them.

    Entities are ranked by the number of papers that mention them (ties: more
    neighbours, then node id). Papers that join more of the chosen entities
    are added first, until the view contains `max_nodes` nodes.
    """
    entities = [node for node in allowed if graph.nodes[node].get("type") in ENTITY_TYPES]
    entities.sort(key=lambda node: (-_paper_count(graph.nodes[node]), -graph.degree(node), str(node)))
    chosen = set(entities[: min(top, max_nodes)])

    shared: dict[Any, int] = defaultdict(int)
    for entity in chosen:
        for neighbour in nx.all_neighbors(graph, entity):
            if neighbour in allowed and graph.nodes[neighbour].get("type") == "paper":
                shared[neighbour] += 1
    papers = sorted(shared, key=lambda paper: (-shared[paper], str(paper)))
    room = max(max_nodes - len(chosen), 0)
    if len(papers) > room:
        logger.warning(
            "The top %d entities appear in %d papers; the view keeps the %d papers that mention most of them. "
            "Raise --max-nodes to show more.",
            len(chosen), len(papers), room,
        )
    chosen.update(papers[:room])
    return chosen


def select_subgraph(
    graph: nx.MultiDiGraph,
    *,
    top: int | None = None,
    focus: str | None = None,
    depth: int = FOCUS_DEPTH,
    types: Iterable[str] | None = None,
    min_papers: int = 0,
    max_nodes: int = VIEW_MAX_NODES,
) -> nx.MultiDiGraph:
    """Cut `graph` down to the part a person asked to see.

    Filters apply first (`types`, `min_papers`), then either the
    neighbourhood of `focus` or the `top` entities, then the `max_nodes`
    limit of `select_view`.

    Parameters
    ----------
    graph : networkx.MultiDiGraph
        The graph of `kg.graph.build_graph` or `kg.graph.read_graphml`.
    top : int, optional
        Keep the `top` entities mentioned in most papers, with those papers.
    focus : str, optional
        Keep the node with this name, alias or paper title (see `find_node`)
        and the nodes within `depth` steps of it, ignoring edge direction.
    depth : int, default FOCUS_DEPTH
        Steps around `focus`; 1 reaches the entity's papers and direct relations.
    types : iterable of str, optional
        Node types to keep, e.g. ``["paper", "method", "dataset"]``; nodes of
        other types are dropped.
    min_papers : int, default 0
        Drop entities mentioned in fewer papers, and the papers that mention
        none of the entities left. Links, concepts and results are kept while
        they still have a neighbour.
    max_nodes : int, default VIEW_MAX_NODES
        Maximum number of nodes of the result.

    Returns
    -------
    networkx.MultiDiGraph
        A subgraph view of `graph` (or `graph` itself when nothing is cut).

    Raises
    ------
    ConfigError
        If `focus` matches no node or is removed by the filters, if `types`
        names an unknown type, if the filters remove every node of a
        non-empty graph, or if both `top` and `focus` are given.
    ValueError
        If a number is out of range.

    Examples
    --------
    >>> graph = nx.MultiDiGraph()
    >>> graph.add_node("paper:p1", type="paper", title="T", paper_id="p1")
    >>> graph.add_node("entity:a", type="method", name="A", key="a", papers=["p1"])
    >>> graph.add_node("entity:b", type="dataset", name="B", key="b", papers=["p1"])
    >>> _ = graph.add_edge("paper:p1", "entity:a", key="mentions", type="mentions")
    >>> _ = graph.add_edge("paper:p1", "entity:b", key="mentions", type="mentions")
    >>> sorted(select_subgraph(graph, focus="a", depth=1))
    ['entity:a', 'paper:p1']
    """
    if top is not None and focus is not None:
        raise ConfigError("give either --top or --focus, not both")
    if top is not None and top < 1:
        raise ValueError(f"top must be at least 1, got {top}")
    if depth < 0:
        raise ValueError(f"depth must be at least 0, got {depth}")
    if min_papers < 0:
        raise ValueError(f"min_papers must be at least 0, got {min_papers}")
    if max_nodes < 1:
        raise ValueError(f"max_nodes must be at least 1, got {max_nodes}")
    if types is not None:
        types = [text.strip() for text in types if text.strip()]
        present = {_as_text(data.get("type")) for _, data in graph.nodes(data=True)}
        unknown = sorted(set(types) - NODE_STYLES.keys() - present)
        if unknown or not types:
            raise ConfigError(
                f"invalid node type {', '.join(map(repr, unknown)) or '(empty list)'}; "
                f"expected a comma-separated list of {', '.join(NODE_STYLES)}"
            )

    kept = _filter_nodes(graph, types=types, min_papers=min_papers)
    if not kept and graph.number_of_nodes():
        raise ConfigError(
            f"the --types or --min-papers filters leave no nodes of {graph.number_of_nodes()}, because every "
            "node they keep needs a neighbour that is kept too. Add a type such as method to --types, "
            "or lower --min-papers."
        )
    if focus is not None:
        centre = find_node(graph, focus)
        if centre not in kept:
            raise ConfigError(
                f"{focus!r} ({centre}) is removed by the --types or --min-papers filters; loosen them to focus on it"
            )
        kept = _neighbourhood(graph, centre, depth=depth, allowed=kept, max_nodes=max_nodes)
    elif top is not None:
        kept = _top_entities(graph, top=top, allowed=kept, max_nodes=max_nodes)

    view = graph if len(kept) == graph.number_of_nodes() else graph.subgraph(kept)
    logger.info("The view keeps %d of %d nodes", view.number_of_nodes(), graph.number_of_nodes())
    return select_view(view, max_nodes=max_nodes)


GRAPHML_FILE = "graph.graphml"


def read_graph(path: str | Path) -> tuple[Path, nx.MultiDiGraph]:
    """Read the graph of a build folder or of a .graphml file.

    Returns
    -------
    tuple of Path and networkx.MultiDiGraph
        The GraphML file that was read, and its graph.

    Raises
    ------
    InputError
        If the path does not exist, the folder has no graph.graphml, or the
        file is not GraphML that `kg.graph.read_graphml` can read.
    """
    path = Path(path)
    graphml = path / GRAPHML_FILE if path.is_dir() else path
    if not graphml.is_file():
        expected = f"a build folder with {GRAPHML_FILE} or a .graphml file"
        raise InputError(str(graphml), f"not found; expected {expected} (run `kg build` first)")
    try:
        graph = read_graphml(graphml)
    except (ElementTree.ParseError, nx.NetworkXError, json.JSONDecodeError, KeyError, ValueError) as err:
        raise InputError(str(graphml), f"not a GraphML file written by kg ({err}); give the graph.graphml of a kg build") from err
    return graphml, graph
