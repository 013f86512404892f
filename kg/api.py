"""The Python API for analytics scripts: build or load a graph, then take views of it.

`build` runs the same extraction as ``kg build`` but returns the graph
instead of writing files; `load` reads a build folder or a network file back.
Both return a `networkx.MultiDiGraph` with these attributes:

Node attributes
---------------
type : str
    "paper", "link", "concept", "result", "author", or an entity type:
    "method", "model", "dataset" (datasets and benchmarks), "task", "metric".
label : str
    Display name: the paper title, the entity name, the URL.
name, key : str
    Entities and concepts: the canonical name and the normalised key that
    merges names across papers (`kg.resolve.entity_key`).
aliases : list of str
    Entities: other names seen for the same thing ("GRPO" for "group
    relative policy optimization").
papers : list of str
    Entities and links: ids of the papers that mention them, sorted.
proposed_by : list of str
    Entities: ids of the papers that introduce them.
merge_reasons : list of dict
    Entities, where the build records them: one ``{"form", "reason",
    "paper"}`` per alias, saying why the alias joined the node.
paper_id, title, abstract, url, date, authors, source, record
    Papers: `date` is an ISO 8601 string, or "" when unknown; `source` and
    `record` say where the paper was read.

Edge attributes
---------------
type : str
    The relation, also the edge key: "proposes", "mentions", "evaluated_on",
    "has_code", "links_to", and, where the build extracts them, "uses",
    "built_on", "compared_with", "outperforms", "addresses", "is_a",
    "variant_of", "has_result", "on_dataset", "has_metric".
paper, field, start, end, text, sentence, count
    Provenance of the first occurrence: the paper id, the field ("title" or
    "abstract"), the character span and text of the evidence, its sentence,
    and how often the paper states the edge.

Node ids are ``paper:<id>``, ``entity:<key>``, ``link:<url>``,
``concept:<key>`` and ``result:<paper id>:<n>``.
"""

from __future__ import annotations

import logging
import os
from collections import Counter, defaultdict
from collections.abc import Collection, Iterable, Iterator
from itertools import combinations
from pathlib import Path
from typing import TYPE_CHECKING, Any

import networkx as nx

from kg.errors import InputError
from kg.graph import EVALUATED_ON, PAPER_TYPE, read_graphml
from kg.model import EntityType

if TYPE_CHECKING:
    from kg.model import Paper

__all__ = [
    "ENTITY_TYPES",
    "bipartite",
    "build",
    "cooccurrence",
    "evaluation_graph",
    "load",
]

logger = logging.getLogger(__name__)

ENTITY_TYPES: tuple[str, ...] = tuple(str(entity_type) for entity_type in EntityType)

# The graph file of a build folder. Same value as kg.build.GRAPHML_FILE, which
# is not imported because kg.build loads spaCy and `load` must stay fast.
BUILD_GRAPH_FILE = "graph.graphml"

# The batch size of `kg build --batch-size` (kg.extract.DEFAULT_BATCH_SIZE).
DEFAULT_BATCH_SIZE = 64

# GraphML keys come before the graph, so the first bytes tell whether the file
# carries kg's network schema (written by kg.exports) or is a build's graph.
_SCHEMA_PROBE_BYTES = 1 << 16

# Subjects and objects of an evaluation: what is evaluated, on what.
_EVALUATED_TYPES = frozenset({str(EntityType.METHOD), str(EntityType.MODEL)})
_DATASET_TYPE = str(EntityType.DATASET)


def _papers_from(items: Iterable[Paper | str | os.PathLike[str]]) -> Iterator[Paper]:
    from kg.model import Paper
    from kg.sources import read_papers

    for item in items:
        if isinstance(item, Paper):
            yield item
        elif isinstance(item, (str, os.PathLike)):
            yield from read_papers(item)
        else:
            raise InputError(
                "papers", f"item {item!r} is a {type(item).__name__}; expected a kg.model.Paper or the path of an input file"
            )


def build(
    papers: Iterable[Paper | str | os.PathLike[str]] | str | os.PathLike[str],
    *,
    model: str | None = None,
    vocabulary: Iterable[str | os.PathLike[str]] = (),
    batch_size: int = DEFAULT_BATCH_SIZE,
    processes: int = 1,
    progress: bool = False,
) -> nx.MultiDiGraph:
    """Extract entities, links and relations from papers and return the merged graph.

    Runs the pipeline of ``kg build`` and writes no file.

    Parameters
    ----------
    papers : iterable of Paper or path, or one path
        `kg.model.Paper` records, paths of input files (page text, JSON Lines
        or CSV, format from the file name, as ``kg build`` reads them), or a
        mix. Repeated copies of a paper are skipped, as in ``kg build``.
    model : str, optional
        An installed spaCy pipeline to build on; None for the rule-based one.
    vocabulary : iterable of path
        User vocabulary files added to the starter vocabulary.
    batch_size : int
        Papers per `nlp.pipe` batch.
    processes : int
        Worker processes for extraction.
    progress : bool
        Show a progress bar on standard error.

    Returns
    -------
    networkx.MultiDiGraph
        Node and edge attributes are listed in the docstring of `kg.api`. An
        empty input gives an empty graph.

    Raises
    ------
    InputError
        For unreadable inputs, invalid records, two papers with one id, or an
        item that is neither a Paper nor a path.
    ConfigError
        For an unknown `model` or a missing vocabulary file.

    Examples
    --------
    >>> import kg
    >>> from kg.model import Paper
    >>> graph = kg.build([Paper(id="p1", title="GRPO on MATH", abstract="We train with GRPO.")])
    >>> sorted(data["type"] for _, data in graph.nodes(data=True))
    ['dataset', 'method', 'paper']
    """
    from kg.build import BuildSummary, _progress, deduplicate
    from kg.extract import extract
    from kg.graph import GraphBuilder
    from kg.nlp import create_pipeline

    if isinstance(papers, (str, os.PathLike)):
        papers = [papers]
    nlp = create_pipeline(model, vocabulary_paths=list(vocabulary))
    summary = BuildSummary(out_dir=Path())
    stream = _progress(deduplicate(_papers_from(papers), summary), progress)
    builder = GraphBuilder()
    for extraction in extract(stream, nlp, batch_size=batch_size, n_process=processes):
        builder.add(extraction)
    graph = builder.graph()
    logger.info("Built a graph of %d nodes and %d edges", graph.number_of_nodes(), graph.number_of_edges())
    return graph


def load(path: str | os.PathLike[str]) -> nx.MultiDiGraph:
    """Read a graph: a ``kg build`` folder, its graph.graphml, or a .graphml/.gexf/.json network file.

    Parameters
    ----------
    path : path
        A build folder (the graph is its ``graph.graphml``), a GraphML file
        from ``kg build``, or a file from `kg.exports.write_network`.

    Returns
    -------
    networkx.MultiDiGraph
        The graph with list attributes as lists again (see the docstring of
        `kg.api` for the attributes). A network file holding another graph
        class comes back as that class.

    Raises
    ------
    InputError
        If the path does not exist, the folder has no graph.graphml, or the
        file cannot be parsed.

    Examples
    --------
    >>> import kg, tempfile
    >>> from kg.model import Paper
    >>> path = tempfile.mkdtemp() + "/graph.json"
    >>> kg.write_network(kg.build([Paper(id="p1", title="Tuning with PPO on GSM8K")]), path)
    0
    >>> kg.load(path).nodes["entity:gsm8k"]["papers"]
    ['p1']
    """
    from kg.exports import NETWORK_FORMATS, format_from_suffix, read_network

    path = Path(path)
    if path.is_dir():
        graph_file = path / BUILD_GRAPH_FILE
        if not graph_file.is_file():
            raise InputError(str(path), f"folder has no {BUILD_GRAPH_FILE}; give a kg build output folder or a network file")
        return _read_build_graphml(graph_file)
    if not path.exists():
        raise InputError(str(path), "file or folder not found")
    suffix = path.suffix.lower()
    if suffix not in NETWORK_FORMATS.values():
        raise InputError(
            str(path),
            f"unknown file suffix {suffix!r}; kg.load reads a kg build folder or a "
            f"{', '.join(NETWORK_FORMATS.values())} file; give the build folder instead",
        )
    format = format_from_suffix(path)
    if format == "graphml":
        with path.open("rb") as handle:
            head = handle.read(_SCHEMA_PROBE_BYTES)
        if b'attr.name="kg_schema"' not in head:
            return _read_build_graphml(path)
    assert format in NETWORK_FORMATS
    return read_network(path, format=format)


def _read_build_graphml(path: Path) -> nx.MultiDiGraph:
    import xml.etree.ElementTree as ElementTree

    try:
        return read_graphml(path)
    except (ElementTree.ParseError, nx.NetworkXError, ValueError, KeyError) as err:
        raise InputError(str(path), f"invalid kg GraphML file ({err}); rebuild it with kg build") from err


def _selected_types(types: Collection[str] | None) -> frozenset[str]:
    return frozenset(ENTITY_TYPES if types is None else types)


def _entity_papers(graph: nx.MultiDiGraph, types: frozenset[str]) -> dict[Any, set[Any]]:
    """Map each node of `types` to the paper nodes joined to it by any edge."""
    papers: dict[Any, set[Any]] = {}
    node_types = graph.nodes(data="type")
    for node, node_type in node_types:
        if node_type in types:
            papers[node] = set()
    for source, target in graph.edges():
        if node_types[source] == PAPER_TYPE and target in papers:
            papers[target].add(source)
        elif node_types[target] == PAPER_TYPE and source in papers:
            papers[source].add(target)
    return papers


def bipartite(graph: nx.MultiDiGraph, *, types: Collection[str] | None = None) -> nx.Graph:
    """Return the paper-entity bipartite graph.

    Parameters
    ----------
    graph : networkx.MultiDiGraph
        A kg graph.
    types : collection of str, optional
        Node types on the entity side; default all entity types
        (`ENTITY_TYPES`). "link" or "concept" may be added.

    Returns
    -------
    networkx.Graph
        Paper nodes with ``bipartite=0`` and entity nodes with ``bipartite=1``,
        each with a copy of its attributes. An edge joins a paper to each
        selected node that any edge of the paper reaches; its ``relations``
        attribute lists those edge types, sorted.

    Examples
    --------
    >>> import networkx as nx
    >>> graph = nx.MultiDiGraph()
    >>> graph.add_node("paper:p1", type="paper")
    >>> graph.add_node("entity:ppo", type="method")
    >>> _ = graph.add_edge("paper:p1", "entity:ppo", key="proposes", type="proposes")
    >>> _ = graph.add_edge("paper:p1", "entity:ppo", key="mentions", type="mentions")
    >>> bipartite(graph).edges["paper:p1", "entity:ppo"]["relations"]
    ['mentions', 'proposes']
    """
    selected = _selected_types(types)
    view = nx.Graph()
    for node, data in graph.nodes(data=True):
        if data.get("type") == PAPER_TYPE:
            view.add_node(node, **data, bipartite=0)
        elif data.get("type") in selected:
            view.add_node(node, **data, bipartite=1)
    relations: dict[tuple[Any, Any], set[str]] = defaultdict(set)
    node_types = graph.nodes(data="type")
    for source, target, edge_type in graph.edges(data="type"):
        if node_types[source] == PAPER_TYPE and node_types[target] in selected:
            relations[source, target].add(edge_type)
        elif node_types[target] == PAPER_TYPE and node_types[source] in selected:
            relations[target, source].add(edge_type)
    for (paper, entity), names in relations.items():
        view.add_edge(paper, entity, relations=sorted(names))
    return view


def cooccurrence(graph: nx.MultiDiGraph, *, types: Collection[str] | None = None, min_papers: int = 1) -> nx.Graph:
    """Return the entity co-occurrence projection, weighted by shared papers.

    Parameters
    ----------
    graph : networkx.MultiDiGraph
        A kg graph.
    types : collection of str, optional
        Node types to keep; default all entity types (`ENTITY_TYPES`).
    min_papers : int
        Keep an edge only if the two entities share at least this many papers.

    Returns
    -------
    networkx.Graph
        One node per selected entity (isolated ones too), with a copy of its
        attributes and ``n_papers``, the number of papers that reach it. An
        edge joins two entities that a paper both reaches; ``weight`` is the
        number of such papers. This is the weighted projection of the
        bipartite graph (`networkx.bipartite.weighted_projected_graph` gives
        the same weights, more slowly).

    Examples
    --------
    >>> import networkx as nx
    >>> graph = nx.MultiDiGraph()
    >>> graph.add_nodes_from(["paper:p1", "paper:p2"], type="paper")
    >>> graph.add_nodes_from(["entity:a", "entity:b"], type="dataset")
    >>> for paper in ["paper:p1", "paper:p2"]:
    ...     for entity in ["entity:a", "entity:b"]:
    ...         _ = graph.add_edge(paper, entity, key="mentions", type="mentions")
    >>> cooccurrence(graph).edges["entity:a", "entity:b"]["weight"]
    2
    """
    selected = _selected_types(types)
    papers_of = _entity_papers(graph, selected)
    entities_of: dict[Any, list[Any]] = defaultdict(list)
    for entity, papers in papers_of.items():
        for paper in papers:
            entities_of[paper].append(entity)

    weights: Counter[tuple[Any, Any]] = Counter()
    for entities in entities_of.values():
        weights.update(combinations(sorted(entities, key=str), 2))

    view = nx.Graph()
    for entity, papers in papers_of.items():
        view.add_node(entity, **graph.nodes[entity], n_papers=len(papers))
    view.add_weighted_edges_from((a, b, weight) for (a, b), weight in weights.items() if weight >= min_papers)
    return view


def evaluation_graph(graph: nx.MultiDiGraph) -> nx.DiGraph:
    """Return the method/model -> dataset graph of ``evaluated_on`` edges.

    Parameters
    ----------
    graph : networkx.MultiDiGraph
        A kg graph.

    Returns
    -------
    networkx.DiGraph
        Nodes are the methods, models and datasets that take part, with a
        copy of their attributes. Each edge keeps the evidence attributes of
        the graph's edge (the first paper that states it) and adds ``weight``:
        the number of papers that evaluate on the dataset and also mention
        the method or model (at least 1).

    Notes
    -----
    The weight counts papers by co-occurrence once the relation is stated in
    one paper, so a paper that evaluates on a dataset and only cites the
    method counts too.
    """
    view = nx.DiGraph()
    types = graph.nodes(data="type")
    evaluated_by_paper: dict[Any, set[Any]] = defaultdict(set)
    pairs = []
    for source, target, data in graph.edges(data=True):
        if data.get("type") != EVALUATED_ON or types[target] != _DATASET_TYPE:
            continue
        if types[source] == PAPER_TYPE:
            evaluated_by_paper[target].add(source)
        elif types[source] in _EVALUATED_TYPES:
            pairs.append((source, target, data))
    for source, target, data in pairs:
        mentioning = {paper for paper in graph.predecessors(source) if types[paper] == PAPER_TYPE}
        weight = max(1, len(mentioning & evaluated_by_paper[target]))
        view.add_node(source, **graph.nodes[source])
        view.add_node(target, **graph.nodes[target])
        view.add_edge(source, target, **data, weight=weight)
    return view
