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

import jinja2
import markupsafe
import networkx as nx
import numpy as np

from kg import __version__
from kg.io import atomic_write

__all__ = [
    "EDGE_STYLES",
    "NODE_STYLES",
    "PYTHON_LAYOUT_MIN_NODES",
    "VIEW_MAX_NODES",
    "EdgeStyle",
    "NodeStyle",
    "build_payload",
    "render_html",
    "script_json",
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


# Okabe-Ito colours, which stay distinct under the common colour-vision
# deficiencies; each type also gets its own shape, so colour is never the only
# cue. Only shapes that vis-network scales by `size` are used (not box or
# ellipse, which grow with the label).
NODE_STYLES: Mapping[str, NodeStyle] = {
    "paper": NodeStyle("#0072B2", "square", "Paper"),
    "method": NodeStyle("#E69F00", "dot", "Method"),
    "model": NodeStyle("#D55E00", "diamond", "Model"),
    "dataset": NodeStyle("#009E73", "hexagon", "Dataset or benchmark"),
    "task": NodeStyle("#CC79A7", "triangle", "Task"),
    "metric": NodeStyle("#56B4E9", "star", "Metric"),
    "link": NodeStyle("#7F7F7F", "triangleDown", "Link"),
}
OTHER_NODE_STYLE = NodeStyle("#BBBBBB", "dot", "Other")

EDGE_STYLES: Mapping[str, EdgeStyle] = {
    "proposes": EdgeStyle("#B2182B", (), 2.5, "proposes"),
    "mentions": EdgeStyle("#A0A0A0", (), 1.0, "mentions"),
    "evaluated_on": EdgeStyle("#009E73", (8, 4), 2.0, "evaluated on"),
    "has_code": EdgeStyle("#0072B2", (2, 3), 2.0, "has code"),
    "links_to": EdgeStyle("#7F7F7F", (6, 6), 1.0, "links to"),
}
OTHER_EDGE_STYLE = EdgeStyle("#BBBBBB", (), 1.0, "other")

# A `mentions` edge is not drawn beside one of these types on the same node
# pair, because build_graph adds `mentions` for every entity a paper states
# anything about, so the more specific edge already implies it.
_IMPLIES_MENTION = frozenset({"proposes", "evaluated_on"})

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

# Items listed per section of a hover tooltip; the details panel lists all.
TOOLTIP_MAX_ITEMS = 8

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
    return []


def _as_text(value: Any) -> str:
    if value is None:
        return ""
    return str(value)


def _node_size(degree: int, max_degree: int) -> float:
    if max_degree <= 0:
        return NODE_SIZE_MIN
    return round(NODE_SIZE_MIN + (NODE_SIZE_MAX - NODE_SIZE_MIN) * math.sqrt(degree / max_degree), 2)


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
    return {
        "aliases": [_as_text(alias) for alias in _as_list(data.get("aliases"))],
        "papers": paper_indices(_as_list(data.get("papers"))),
        "proposedBy": paper_indices(_as_list(data.get("proposed_by"))),
    }


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

    Returns
    -------
    dict
        JSON-ready data: ``nodes`` (id is the index in this list, ``nodeId`` is
        the graph's node id), ``edges`` (``from``/``to`` are node indices),
        ``nodeStyles``, ``edgeStyles``, ``physics`` and display limits. Paper
        ids in node attributes become indices of paper nodes, so each title is
        stored once.

    Notes
    -----
    Node size grows with the square root of the number of distinct
    neighbours, ignoring direction and parallel edges. The input graph is not
    changed.
    """
    node_ids = sorted(graph.nodes, key=str)
    index = {node: position for position, node in enumerate(node_ids)}
    paper_index = {
        _as_text(graph.nodes[node].get("paper_id")): position
        for node, position in index.items()
        if graph.nodes[node].get("type") == "paper"
    }

    undirected = graph.to_undirected(as_view=True) if graph.is_directed() else graph
    degrees = [len(undirected.adj[node]) for node in node_ids]
    max_degree = max(degrees, default=0)

    nodes = []
    unknown_types: set[str] = set()
    for position, node in enumerate(node_ids):
        data = graph.nodes[node]
        node_type = _as_text(data.get("type"))
        if node_type not in NODE_STYLES:
            unknown_types.add(node_type)
        label = _as_text(data.get("label")) or str(node)
        nodes.append(
            {
                "id": position,
                "nodeId": str(node),
                "type": node_type,
                "text": label,
                "label": _truncate(label),
                "size": _node_size(degrees[position], max_degree),
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
    return {
        "nodes": nodes,
        "edges": edges,
        "nodeStyles": {name: style._asdict() for name, style in NODE_STYLES.items()},
        "otherNodeStyle": OTHER_NODE_STYLE._asdict(),
        "edgeStyles": {name: _edge_style_json(style) for name, style in EDGE_STYLES.items()},
        "otherEdgeStyle": _edge_style_json(OTHER_EDGE_STYLE),
        "hasOtherNodes": bool(used_node_types - NODE_STYLES.keys()),
        "physics": physics,
        "stabilizationIterations": STABILIZATION_ITERATIONS,
        "tooltipMaxItems": TOOLTIP_MAX_ITEMS,
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
    node at most the current temperature, which cools linearly to zero. The
    pairwise step is exact, computed in row blocks, so time is quadratic in
    `count`. networkx's own `spring_layout` would need SciPy for graphs of this
    size, and kg does not depend on SciPy.
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
        displacement = np.zeros_like(positions)

        # Repulsion between all pairs, one block of rows at a time. With
        # w = k²/d², the push on node i is sum_j w_ij (p_i - p_j), which is
        # p_i * sum_j w_ij - (w @ p)_i, so the block needs two matrix products
        # and no (rows, n, 2) array.
        squared_norms = (positions**2).sum(axis=1)
        for start in range(0, count, _LAYOUT_CHUNK_ROWS):
            block = positions[start : start + _LAYOUT_CHUNK_ROWS]
            weights = squared_norms[start : start + len(block), None] + squared_norms[None, :] - 2.0 * (block @ positions.T)
            np.maximum(weights, min_distance_squared, out=weights)
            np.divide(k * k, weights, out=weights)
            displacement[start : start + len(block)] += block * weights.sum(axis=1)[:, None] - weights @ positions

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


def render_html(graph: nx.Graph, *, title: str = "kg knowledge graph") -> str:
    """Render the viewer page of `graph` as one HTML string.

    Parameters
    ----------
    graph : networkx.Graph
        As for `build_payload`.
    title : str
        Page title and heading; HTML-escaped, so any text is safe.

    Returns
    -------
    str
        A complete HTML document with no external references.

    Raises
    ------
    TypeError
        If `graph` is not a networkx graph or `title` is not a string.
    """
    if not isinstance(graph, nx.Graph):
        raise TypeError(f"graph must be a networkx graph such as kg.graph.build_graph returns, got {type(graph).__name__}")
    if not isinstance(title, str):
        raise TypeError(f"title must be a str, got {type(title).__name__}")

    return _render_page(build_payload(graph), title=title, graph_edge_count=graph.number_of_edges())


def _render_page(payload: Mapping[str, Any], *, title: str, graph_edge_count: int) -> str:
    script, stylesheet = _vis_assets()
    legend_nodes = [(name, style) for name, style in NODE_STYLES.items()]
    if payload["hasOtherNodes"]:
        legend_nodes.append(("other", OTHER_NODE_STYLE))
    template = _environment().get_template(_TEMPLATE_NAME)
    return template.render(
        title=title,
        version=__version__,
        node_count=len(payload["nodes"]),
        edge_count=len(payload["edges"]),
        implied_edge_count=max(graph_edge_count - len(payload["edges"]), 0),
        legend_nodes=legend_nodes,
        legend_edges=[(name, style, _css_border_style(style)) for name, style in EDGE_STYLES.items()],
        data_json=markupsafe.Markup(script_json(payload)),
        vis_script=markupsafe.Markup(script),
        vis_stylesheet=markupsafe.Markup(stylesheet),
    )


def write_html(graph: nx.Graph, path: str | Path, *, title: str = "kg knowledge graph") -> None:
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

    Raises
    ------
    TypeError
        If `graph` is not a networkx graph or `title` is not a string.
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
    html = render_html(graph, title=title)
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

    entities = [node for node, data in graph.nodes(data=True) if data.get("type") not in {"paper", "link"}]
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
