"""The knowledge graph as a NetworkX `MultiDiGraph`.

One node per paper, per entity and per link. Entities of different papers are
merged by their normalised key (`kg.resolve.entity_key`); a short form that
one paper defines ("GRPO") joins the node of its long form in every paper
that uses it, as long as the corpus gives it only one long form.

Node ids are stable strings: ``paper:<paper id>``, ``entity:<key>`` and
``link:<url>``. Edges are keyed by their relation type, so at most one edge of
each type joins two nodes; it keeps the provenance of its first occurrence.

Node attributes
---------------
type : str
    "paper", "link", or an `EntityType` value.
label : str
    Display name: the paper title, the entity name or the URL.
paper nodes: paper_id, title, abstract, url, date, authors (list), source, record,
    language (BCP 47 tag or "")
entity nodes: name, key, aliases (list), papers (list of paper ids),
    proposed_by (list of paper ids)
link nodes: url, kind (a `LinkKind` value), papers (list of paper ids)

Edge attributes
---------------
type : str
    One of `EDGE_TYPES`.
paper : str
    Id of the paper the edge comes from.
field, start, end, text, sentence
    Where in that paper the evidence is (see `kg.model.Mention`).
count : int
    How often the paper states the edge (mentions of the entity or link).
"""

from __future__ import annotations

import json
import logging
from collections import Counter, defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import networkx as nx

from kg.io import atomic_write
from kg.model import ExtractedEntity, Field, LinkKind, Mention, PaperExtraction, RelationType, majority_type
from kg.resolve import entity_key, preferred_name

__all__ = [
    "EDGE_TYPES",
    "GraphBuilder",
    "HAS_CODE",
    "LINK_TYPE",
    "LINKS_TO",
    "LIST_ATTRIBUTES",
    "MENTIONS",
    "PAPER_TYPE",
    "PROPOSES",
    "EVALUATED_ON",
    "build_graph",
    "entity_node_id",
    "link_node_id",
    "paper_node_id",
    "read_graphml",
    "write_graphml",
]

logger = logging.getLogger(__name__)

PROPOSES = "proposes"
MENTIONS = "mentions"
EVALUATED_ON = str(RelationType.EVALUATED_ON)
HAS_CODE = "has_code"
LINKS_TO = "links_to"
EDGE_TYPES: tuple[str, ...] = (PROPOSES, MENTIONS, EVALUATED_ON, HAS_CODE, LINKS_TO)

PAPER_TYPE = "paper"
LINK_TYPE = "link"

# Attributes that hold lists in memory and JSON arrays in GraphML.
LIST_ATTRIBUTES: frozenset[str] = frozenset({"aliases", "authors", "papers", "proposed_by"})



def paper_node_id(paper_id: str) -> str:
    return f"paper:{paper_id}"


def entity_node_id(key: str) -> str:
    return f"entity:{key}"


def link_node_id(url: str) -> str:
    return f"link:{url}"


def _evidence(paper_id: str, mention: Mention, count: int = 1) -> dict[str, Any]:
    return {
        "paper": paper_id,
        "field": str(mention.field),
        "start": mention.start,
        "end": mention.end,
        "text": mention.text,
        "sentence": mention.sentence,
        "count": count,
    }


class GraphBuilder:
    """Accumulate per-paper extractions into one graph, one paper at a time.

    Memory grows with the graph, not with the extraction records: `add` keeps
    only what the graph needs. Short forms are joined to their long forms in
    `graph()`, once every paper has been seen, because the definition may come
    in a later paper than the use.

    Examples
    --------
    >>> from kg.model import Paper, PaperExtraction
    >>> builder = GraphBuilder()
    >>> builder.add(PaperExtraction(paper=Paper(id="p1", title="A title")))
    >>> builder.graph().nodes["paper:p1"]["title"]
    'A title'
    """

    def __init__(self) -> None:
        self._graph = nx.MultiDiGraph()
        self._names: dict[str, Counter[str]] = defaultdict(Counter)
        self._aliases: dict[str, set[str]] = defaultdict(set)
        self._types: dict[str, Counter[str]] = defaultdict(Counter)
        self._papers: dict[str, set[str]] = defaultdict(set)
        self._proposed_by: dict[str, set[str]] = defaultdict(set)
        self._long_forms: dict[str, set[str]] = defaultdict(set)
        self._long_names: dict[str, Counter[str]] = defaultdict(Counter)
        self._finished = False

    def add(self, extraction: PaperExtraction) -> None:
        """Add one paper with its entities, links and relations.

        Raises
        ------
        ValueError
            If a paper with the same id was added before, or `graph()` was called.
        """
        if self._finished:
            raise ValueError("GraphBuilder.graph() was already called; create a new builder")
        graph = self._graph
        paper = extraction.paper
        paper_node = paper_node_id(paper.id)
        if paper_node in graph:
            raise ValueError(f"Duplicate paper id {paper.id!r} ({paper.source}, record {paper.record})")
        graph.add_node(
            paper_node,
            type=PAPER_TYPE,
            label=paper.title,
            paper_id=paper.id,
            title=paper.title,
            abstract=paper.abstract,
            url=paper.url or "",
            date=paper.date or "",
            authors=list(paper.authors),
            source=paper.source,
            record=paper.record,
            language=paper.language,
        )

        # The entity that contains a long form decides its key and name, so a
        # vocabulary entry that names the short form ("GRPO") keeps that name.
        key_of_form = {
            entity_key(form): entity.key for entity in extraction.entities for form in (entity.name, *entity.aliases)
        }
        name_of_key = {entity.key: entity.name for entity in extraction.entities}
        for abbreviation in extraction.abbreviations:
            long_key = key_of_form.get(entity_key(abbreviation.long), entity_key(abbreviation.long))
            self._long_forms[entity_key(abbreviation.short)].add(long_key)
            self._long_names[long_key][name_of_key.get(long_key, abbreviation.long)] += 1

        for entity in extraction.entities:
            self._add_entity(paper.id, entity)

        for relation in extraction.relations:
            target = entity_node_id(relation.object)
            if target not in graph:
                continue
            # The paper evaluates on what its method is evaluated on, so
            # "papers that evaluate on X" needs no second pattern.
            sources = [paper_node] if not relation.subject else [entity_node_id(relation.subject), paper_node]
            for source in sources:
                if source in graph:
                    _add_edge_once(graph, source, target, str(relation.type), paper.id, relation.evidence)

        proposed_here = [entity.key for entity in extraction.entities if entity.proposed]
        for link in extraction.links:
            node = link_node_id(link.url)
            if node not in graph:
                graph.add_node(node, type=LINK_TYPE, label=link.url, url=link.url, kind=str(link.kind), papers=[])
            if paper.id not in graph.nodes[node]["papers"]:
                graph.nodes[node]["papers"].append(paper.id)
            relation = HAS_CODE if link.kind == LinkKind.CODE else LINKS_TO
            _add_edge_once(graph, paper_node, node, relation, paper.id, link.mention)
            # A paper that proposes exactly one artifact releases its code with it.
            if relation == HAS_CODE and len(proposed_here) == 1:
                _add_edge_once(graph, entity_node_id(proposed_here[0]), node, HAS_CODE, paper.id, link.mention)

    def _add_entity(self, paper_id: str, entity: ExtractedEntity) -> None:
        key, node = entity.key, entity_node_id(entity.key)
        self._names[key][entity.name] += len(entity.mentions) or 1
        self._aliases[key].update(entity.aliases)
        self._aliases[key].add(entity.name)
        self._types[key][str(entity.type)] += 1
        self._papers[key].add(paper_id)
        if node not in self._graph:
            self._graph.add_node(node)
        first = entity.mentions[0] if entity.mentions else Mention(entity.name, 0, 0, Field.TITLE)
        paper_node = paper_node_id(paper_id)
        _add_edge_once(self._graph, paper_node, node, MENTIONS, paper_id, first, count=len(entity.mentions))
        if entity.proposed:
            self._proposed_by[key].add(paper_id)
            _add_edge_once(self._graph, paper_node, node, PROPOSES, paper_id, first)

    def graph(self) -> nx.MultiDiGraph:
        """Join short forms to their long forms, set entity attributes, return the graph."""
        if not self._finished:
            self._finished = True
            self._merge_short_forms()
            self._set_entity_attributes()
        return self._graph

    def _merge_short_forms(self) -> None:
        for short, longs in sorted(self._long_forms.items()):
            if len(longs) > 1:
                logger.info("Short form %r has %d long forms in the corpus; its uses stay apart", short, len(longs))
                continue
            (long,) = longs
            if short == long or entity_node_id(short) not in self._graph:
                continue
            self._merge_entity(short, into=long)

    def _merge_entity(self, key: str, *, into: str) -> None:
        graph, source, target = self._graph, entity_node_id(key), entity_node_id(into)
        if target not in graph:
            graph.add_node(target)
        for _, neighbor, edge_key, data in list(graph.out_edges(source, keys=True, data=True)):
            if not graph.has_edge(target, neighbor, key=edge_key):
                graph.add_edge(target, neighbor, key=edge_key, **data)
        for neighbor, _, edge_key, data in list(graph.in_edges(source, keys=True, data=True)):
            if not graph.has_edge(neighbor, target, key=edge_key):
                graph.add_edge(neighbor, target, key=edge_key, **data)
        graph.remove_node(source)
        for table in (self._names, self._types):
            table[into].update(table.pop(key))
        for table in (self._aliases, self._papers, self._proposed_by):
            table[into] |= table.pop(key, set())

    def _set_entity_attributes(self) -> None:
        for key, counter in self._names.items():
            # The long form of an abbreviation names the node, else the most frequent form.
            name = preferred_name(self._long_names[key] or counter)
            # Papers that disagree on the type: the type most papers give wins.
            entity_type = str(majority_type(self._types[key]))
            self._graph.nodes[entity_node_id(key)].update(
                type=entity_type,
                label=name,
                name=name,
                key=key,
                aliases=sorted(self._aliases[key] - {name}),
                papers=sorted(self._papers[key]),
                proposed_by=sorted(self._proposed_by[key]),
            )
        for _, data in self._graph.nodes(data=True):
            if data.get("type") == LINK_TYPE:
                data["papers"].sort()


def _add_edge_once(
    graph: nx.MultiDiGraph, source: str, target: str, relation: str, paper_id: str, mention: Mention, *, count: int = 1
) -> None:
    # Edges are keyed by relation type: the first occurrence keeps its provenance.
    if not graph.has_edge(source, target, key=relation):
        graph.add_edge(source, target, key=relation, type=relation, **_evidence(paper_id, mention, count))


def build_graph(extractions: Iterable[PaperExtraction]) -> nx.MultiDiGraph:
    """Merge per-paper extractions into one knowledge graph.

    Parameters
    ----------
    extractions : iterable of PaperExtraction
        Papers with distinct ids, consumed one at a time.

    Returns
    -------
    networkx.MultiDiGraph
        A new graph; the inputs are not changed. Node and edge attributes are
        described in the module docstring.

    Raises
    ------
    ValueError
        If two extractions have the same paper id.

    Examples
    --------
    >>> from kg.model import Paper, PaperExtraction
    >>> graph = build_graph([PaperExtraction(paper=Paper(id="p1", title="A title"))])
    >>> sorted(graph.nodes)
    ['paper:p1']
    """
    builder = GraphBuilder()
    for extraction in extractions:
        builder.add(extraction)
    return builder.graph()


# GraphML edge attribute that carries the unique edge id ("e0", "e1", ...).
# Edge keys repeat ("mentions" on many edges) and GraphML readers such as
# Gephi treat edges with one id as one edge, so keys cannot be the ids.
_EDGE_ID = "edge_id"


def _graphml_ready(graph: nx.MultiDiGraph) -> nx.MultiDiGraph:
    """Return a copy whose attribute values GraphML can store (lists as JSON)."""
    copy = nx.MultiDiGraph()
    for node, data in graph.nodes(data=True):
        copy.add_node(node, **{name: _encode(name, value) for name, value in data.items()})
    for index, (source, target, key, data) in enumerate(graph.edges(keys=True, data=True)):
        attributes = {name: _encode(name, value) for name, value in data.items()}
        copy.add_edge(source, target, key=key, **attributes, **{_EDGE_ID: f"e{index}"})
    return copy


def _encode(name: str, value: Any) -> Any:
    if name in LIST_ATTRIBUTES or isinstance(value, (list, tuple, dict)):
        return json.dumps(value, ensure_ascii=False)
    if value is None:
        return ""
    return value


def write_graphml(graph: nx.MultiDiGraph, path: str | Path) -> None:
    """Write the graph as GraphML; list attributes become JSON arrays.

    The file is written to a temporary name and renamed, so a failure never
    leaves a partial file.
    """
    with atomic_write(path, "wb") as handle:
        nx.write_graphml(_graphml_ready(graph), handle, edge_id_from_attribute=_EDGE_ID)


def read_graphml(path: str | Path) -> nx.MultiDiGraph:
    """Read a graph written by `write_graphml`.

    List attributes are decoded from JSON, and edges are keyed by their
    relation type again, as `build_graph` keys them.
    """
    stored = nx.read_graphml(path, force_multigraph=True)
    graph = nx.MultiDiGraph()
    for node, data in stored.nodes(data=True):
        for name in LIST_ATTRIBUTES & data.keys():
            data[name] = json.loads(data[name])
        graph.add_node(node, **data)
    for source, target, key, data in stored.edges(keys=True, data=True):
        data.pop(_EDGE_ID, None)
        graph.add_edge(source, target, key=data.get("type", key), **data)
    return graph
