"""A knowledge graph whose edges are stored in columns, for builds too large for NetworkX.

A NetworkX `MultiDiGraph` keeps three dictionaries per edge (the attribute
dict, the key dict and adjacency entries), about 1,100 bytes per edge of a
`kg.graph.GraphBuilder` graph (``python bench/memory.py``). Edges grow with
the number of papers, so `kg build` keeps them here instead: one integer
column per attribute (source and target node, relation, paper, field,
start, end, text, sentence, count), with the repeated strings stored once
in tables. An evidence sentence that is a part of its paper's title or
abstract is stored as its start and end in that text. Node attributes stay
dicts, as in NetworkX.

`CompactGraph` is read-only and offers the part of the NetworkX API that
kg's writers read (`CompactGraph.nodes`, `CompactGraph.edges`,
`CompactGraph.in_edges`, `CompactGraph.subgraph`, ...). Edge attribute dicts
are built on the fly, with the keys and values that `kg.graph` documents.
Nodes and edges come in the order of the `networkx.MultiDiGraph` that
`CompactGraph.to_networkx` returns, which is the order of the graph that
`kg.graph.GraphBuilder.graph` returns.

`MutableEdges` is the builder's side: it appends edges, rejects a second
edge with the same source, target and relation, and moves the edges of a
node that is merged into another, as `kg.graph.GraphBuilder` needs.
"""

from __future__ import annotations

import logging
from array import array
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import networkx as nx
import numpy as np

__all__ = ["CompactGraph", "MutableEdges"]

logger = logging.getLogger(__name__)

# The relation whose edges carry the author's ``position`` instead of evidence
# attributes (`kg.graph.AUTHORED_BY`); the count column stores the position.
_AUTHORED_BY = "authored_by"

# Bits of a relation index and of a node index in the packed key of an edge.
# 2**6 relations and 2**28 (268 million) nodes, far above the 16 relations
# and the ~3 million nodes of a million abstracts.
_RELATION_BITS = 6
_NODE_BITS = 28

# Edges turned into attribute dicts per batch: `ndarray.tolist` per batch is
# much faster than indexing NumPy arrays one element at a time.
_EDGE_BATCH = 4096


def _pack(source: int, target: int, relation: int) -> int:
    return (source << (_NODE_BITS + _RELATION_BITS)) | (target << _RELATION_BITS) | relation


class _Interned:
    """A table of distinct strings: each is stored once and referred to by its index."""

    __slots__ = ("index", "values")

    def __init__(self) -> None:
        self.index: dict[str, int] = {}
        self.values: list[str] = []

    def __call__(self, value: str) -> int:
        number = self.index.get(value)
        if number is None:
            number = self.index[value] = len(self.values)
            self.values.append(value)
        return number


class MutableEdges:
    """The nodes and edges of a graph being built, with edges in append-only columns.

    Nodes are the keys of `node_data`, in insertion order, as in NetworkX.
    A node removed and added again gets a new index and goes to the end.
    Edges are numbered in the order they were added. An edge of a removed
    node is marked dead, not deleted, so edge numbers stay valid. At most one
    edge joins two nodes with one relation (`has_edge`), because
    `kg.graph.GraphBuilder` keys edges by relation.

    `freeze` returns the `CompactGraph`, after which this object is empty.
    """

    def __init__(self) -> None:
        self.node_data: dict[str, dict[str, Any]] = {}
        self._index: dict[str, int] = {}
        self._ids: list[str] = []

        # Strings that edges repeat, stored once.
        self._relations = _Interned()
        self._fields = _Interned()
        self._papers = _Interned()
        self._texts = _Interned()
        # Sentences that are not part of their paper's text, shared within one
        # paper only (`new_paper`): papers rarely quote one sentence.
        self._sentences: list[str] = []
        # Sentence codes of the paper being added, keyed by (sentence, context), as `_sentence_code` returns them.
        self._paper_sentences: dict[tuple[str, str], tuple[int, int]] = {}

        # One column per edge attribute, indexed by edge number.
        self._source = array("i")
        self._target = array("i")
        self._relation = array("B")
        self._paper = array("i")
        self._field = array("B")
        self._start = array("i")
        self._end = array("i")
        self._text = array("i")
        self._sentence = array("i")
        self._sentence_end = array("i")
        self._count = array("i")
        self._dead = bytearray()
        # The packed (source, target, relation) of every live edge.
        self._keys: set[int] = set()

        # Incident edges per node, built on the first merge (once every paper
        # was added) as edge numbers sorted by source and by target, with the
        # start of each node's run. Later edges go to the overflow lists.
        self._incidence: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None = None
        self._out_extra: dict[int, list[int]] = {}
        self._in_extra: dict[int, list[int]] = {}

    def __contains__(self, node: object) -> bool:
        return node in self.node_data

    def __len__(self) -> int:
        return len(self.node_data)

    def add_node(self, node: str, **attributes: Any) -> None:
        """Add `node`, or update its attributes if it exists, as ``networkx.Graph.add_node`` does."""
        data = self.node_data.get(node)
        if data is None:
            self._index[node] = len(self._ids)
            self._ids.append(node)
            self.node_data[node] = data = {}
        data.update(attributes)

    def new_paper(self) -> None:
        """Start sharing sentences afresh, because the next edges come from another paper."""
        self._paper_sentences = {}

    def has_edge(self, source: str, target: str, relation: str) -> bool:
        index = self._index
        if source not in index or target not in index or relation not in self._relations.index:
            return False
        return _pack(index[source], index[target], self._relations.index[relation]) in self._keys

    def add_edge(
        self,
        source: str,
        target: str,
        relation: str,
        paper: str,
        *,
        field: str = "",
        start: int = 0,
        end: int = 0,
        text: str = "",
        sentence: str = "",
        count: int = 1,
        context: str = "",
    ) -> bool:
        """Add an edge unless one with the same source, target and relation exists; return whether it was added.

        `context` is the text of the paper's `field`, which usually contains
        `sentence`. Missing nodes are added without attributes. For
        `_AUTHORED_BY` edges, `count` is the author's position and the
        evidence arguments are ignored.
        """
        # NetworkX's add_edge adds missing nodes without attributes.
        for node in (source, target):
            if node not in self._index:
                self.add_node(node)
        source_index, target_index = self._index[source], self._index[target]
        relation_index = self._relations(relation)
        key = _pack(source_index, target_index, relation_index)
        if key in self._keys:
            return False
        self._keys.add(key)
        sentence_code, sentence_end = self._sentence_code(sentence, context)
        self._append(
            source_index, target_index, relation_index, self._papers(paper), self._fields(field),
            start, end, self._texts(text), sentence_code, sentence_end, count,
        )  # fmt: skip
        return True

    def _sentence_code(self, sentence: str, context: str) -> tuple[int, int]:
        """Return the sentence column values: ``(-1 - start, end)`` of `sentence` in `context`, else ``(table index, 0)``."""
        code = self._paper_sentences.get((sentence, context))
        if code is None:
            start = context.find(sentence)
            if start >= 0:
                code = (-1 - start, start + len(sentence))
            else:
                code = (len(self._sentences), 0)
                self._sentences.append(sentence)
            self._paper_sentences[(sentence, context)] = code
        return code

    def _append(self, *values: int) -> None:
        number = len(self._source)
        source, target, relation, paper, field, start, end, text, sentence, sentence_end, count = values
        self._source.append(source)
        self._target.append(target)
        self._relation.append(relation)
        self._paper.append(paper)
        self._field.append(field)
        self._start.append(start)
        self._end.append(end)
        self._text.append(text)
        self._sentence.append(sentence)
        self._sentence_end.append(sentence_end)
        self._count.append(count)
        self._dead.append(0)
        if self._incidence is not None:
            self._out_extra.setdefault(source, []).append(number)
            self._in_extra.setdefault(target, []).append(number)

    def _build_incidence(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        # `np.array` copies, so the columns stay free to grow.
        source, target = np.array(self._source, dtype=np.int32), np.array(self._target, dtype=np.int32)
        by_source, by_target = np.argsort(source, kind="stable"), np.argsort(target, kind="stable")
        nodes = np.arange(len(self._ids) + 1)
        self._incidence = (
            by_source.astype(np.int32), np.searchsorted(source[by_source], nodes),
            by_target.astype(np.int32), np.searchsorted(target[by_target], nodes),
        )  # fmt: skip
        return self._incidence

    def _incident(self, node: str, *, outgoing: bool) -> list[int]:
        """Return the live edge numbers of `node` in NetworkX's order: by neighbour, in order of the neighbour's first edge, then by key."""
        by_source, source_start, by_target, target_start = self._incidence or self._build_incidence()
        index = self._index[node]
        if outgoing:
            order, starts, extra, ends = by_source, source_start, self._out_extra, self._target
        else:
            order, starts, extra, ends = by_target, target_start, self._in_extra, self._source
        # A node added after the incidence was built has only overflow edges.
        indexed = order[starts[index] : starts[index + 1]].tolist() if index + 1 < len(starts) else []
        edges = [number for number in indexed + extra.get(index, []) if not self._dead[number]]
        first: dict[int, int] = {}
        for number in edges:
            first.setdefault(ends[number], number)
        edges.sort(key=lambda number: (first[ends[number]], number))
        return edges

    def merge_node(self, node: str, *, into: str) -> None:
        """Move the edges of `node` to `into` and remove `node`, as ``kg.graph.GraphBuilder`` merges entities.

        An edge whose copy would repeat an edge of `into` (same neighbour and
        relation) is dropped, so `into` keeps its own evidence. Outgoing edges
        are copied first, then incoming ones, each in NetworkX's order.
        """
        if into not in self.node_data:
            self.add_node(into)
        target = self._index[into]
        for number in self._incident(node, outgoing=True):
            self._copy(number, target, self._target[number])
        for number in self._incident(node, outgoing=False):
            self._copy(number, self._source[number], target)
        self.remove_node(node)

    def _copy(self, number: int, source: int, target: int) -> None:
        relation = self._relation[number]
        key = _pack(source, target, relation)
        if key in self._keys:
            return
        self._keys.add(key)
        self._append(
            source, target, relation, self._paper[number], self._field[number], self._start[number],
            self._end[number], self._text[number], self._sentence[number], self._sentence_end[number],
            self._count[number],
        )  # fmt: skip

    def remove_node(self, node: str) -> None:
        """Remove `node` and mark its edges dead."""
        for number in self._incident(node, outgoing=True) + self._incident(node, outgoing=False):
            if not self._dead[number]:
                self._dead[number] = 1
                self._keys.discard(_pack(self._source[number], self._target[number], self._relation[number]))
        del self._index[node]
        del self.node_data[node]

    def freeze(self) -> CompactGraph:
        """Return the finished graph and empty this object, whose tables the graph now owns."""
        # Each table of the builder is released once it is no longer read, so
        # that the peak memory of this step stays close to that of the result.
        # The key set alone takes about 60 bytes per edge (`sys.getsizeof` of
        # the set and its ints).
        self._keys = set()
        for table in (self._relations, self._fields, self._papers, self._texts):
            table.index.clear()
        self._paper_sentences = {}
        live = np.flatnonzero(np.frombuffer(bytes(self._dead), dtype=np.uint8) == 0)
        self._dead = bytearray()
        # The rank of each live node in node order; removed nodes keep -1.
        rank = np.full(len(self._ids), -1, dtype=np.int64)
        rank[np.fromiter((self._index[node] for node in self.node_data), dtype=np.int64, count=len(self.node_data))] = (
            np.arange(len(self.node_data))
        )
        self._index, self._ids = {}, []
        source = rank[np.frombuffer(self._source, dtype=np.int32)[live]]
        target = rank[np.frombuffer(self._target, dtype=np.int32)[live]]
        del rank
        self._source, self._target = array("i"), array("i")

        # NetworkX lists a node's neighbours in the order of the first edge to
        # each, and the edges between two nodes in the order they were added.
        # `live` is in that order, so the first edge of each pair is the
        # smallest position among the pair's edges.
        position = np.arange(len(live), dtype=np.int64)
        by_pair = np.lexsort((position, target, source))
        pair_start = np.ones(len(live), dtype=bool)
        if len(live):
            pair_start[1:] = (source[by_pair][1:] != source[by_pair][:-1]) | (target[by_pair][1:] != target[by_pair][:-1])
        first_of_pair = np.empty(len(live), dtype=np.int64)
        first_of_pair[by_pair] = position[by_pair][pair_start][np.cumsum(pair_start) - 1]
        out_order = np.lexsort((position, first_of_pair, source))
        in_order = np.lexsort((position, first_of_pair, target))
        out_position = np.empty(len(live), dtype=np.int64)
        out_position[out_order] = position

        del by_pair, pair_start, first_of_pair, position
        in_order = out_position[in_order].astype(np.int32)
        out_position = out_position.astype(np.int32)

        def column(name: str, dtype: Any) -> np.ndarray:
            values = np.frombuffer(getattr(self, name), dtype=dtype)[live][out_order]
            setattr(self, name, array(getattr(self, name).typecode))
            return values

        graph = CompactGraph(
            node_data=self.node_data,
            source=source[out_order].astype(np.int32),
            target=target[out_order].astype(np.int32),
            relation=column("_relation", np.uint8),
            paper=column("_paper", np.int32),
            field=column("_field", np.uint8),
            start=column("_start", np.int32),
            end=column("_end", np.int32),
            text=column("_text", np.int32),
            sentence=column("_sentence", np.int32),
            sentence_end=column("_sentence_end", np.int32),
            count=column("_count", np.int32),
            in_order=in_order,
            insertion_order=out_position,
            relations=self._relations.values,
            fields=self._fields.values,
            papers=self._papers.values,
            texts=self._texts.values,
            sentences=self._sentences,
        )
        self.__init__()  # type: ignore[misc]
        return graph


class _NodeView:
    """The ``graph.nodes`` of a `CompactGraph`: iterable, sized, indexable by node, and callable like NetworkX's."""

    __slots__ = ("_data",)

    def __init__(self, data: dict[str, dict[str, Any]]) -> None:
        self._data = data

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __contains__(self, node: object) -> bool:
        return node in self._data

    def __getitem__(self, node: str) -> dict[str, Any]:
        return self._data[node]

    def __call__(self, data: bool | str = False, default: Any = None) -> Iterator[Any]:
        if data is False:
            return iter(self._data)
        if data is True:
            return iter(self._data.items())
        return ((node, attributes.get(data, default)) for node, attributes in self._data.items())

    def items(self) -> Iterable[tuple[str, dict[str, Any]]]:
        return self._data.items()


class _EdgeView:
    """The ``graph.edges`` of a `CompactGraph`: iterable, sized and callable like NetworkX's ``OutMultiEdgeView``."""

    __slots__ = ("_graph",)

    def __init__(self, graph: CompactGraph) -> None:
        self._graph = graph

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return self._graph.out_edges()

    def __len__(self) -> int:
        return self._graph.number_of_edges()

    def __call__(
        self, nbunch: Iterable[str] | str | None = None, data: bool | str = False, *, keys: bool = False, default: Any = None
    ) -> Iterator[tuple[Any, ...]]:
        return self._graph.out_edges(nbunch, data=data, keys=keys, default=default)


class CompactGraph:
    """A read-only directed multigraph with kg's schema, whose edges are stored in NumPy columns.

    It supports the NetworkX calls that kg's writers make, with the results a
    `networkx.MultiDiGraph` of the same nodes and edges would give, in the
    same order. Edge keys are the relation types, as in `kg.graph`. Use
    `to_networkx` for anything else.

    `kg.graph.GraphBuilder.compact_graph` returns one; nothing else needs to
    create it.

    Examples
    --------
    >>> from kg.graph import GraphBuilder
    >>> from kg.model import Paper, PaperExtraction
    >>> builder = GraphBuilder()
    >>> builder.add(PaperExtraction(paper=Paper(id="p1", title="A title", authors=("Ada Lovelace",))))
    >>> graph = builder.compact_graph()
    >>> list(graph.edges(keys=True))
    [('paper:p1', 'author:name:ada lovelace', 'authored_by')]
    >>> graph.to_networkx().number_of_edges()
    1
    """

    def __init__(
        self,
        *,
        node_data: dict[str, dict[str, Any]],
        source: np.ndarray,
        target: np.ndarray,
        relation: np.ndarray,
        paper: np.ndarray,
        field: np.ndarray,
        start: np.ndarray,
        end: np.ndarray,
        text: np.ndarray,
        sentence: np.ndarray,
        sentence_end: np.ndarray,
        count: np.ndarray,
        in_order: np.ndarray,
        insertion_order: np.ndarray,
        relations: list[str],
        fields: list[str],
        papers: list[str],
        texts: list[str],
        sentences: list[str],
    ) -> None:
        self._node_data = node_data
        self._ids = list(node_data)
        self._rank = {node: rank for rank, node in enumerate(self._ids)}
        self._source, self._target, self._relation = source, target, relation
        self._paper, self._field, self._start, self._end = paper, field, start, end
        self._text, self._sentence, self._sentence_end, self._count = text, sentence, sentence_end, count
        # Edge positions by target (NetworkX's in-edge order), and in the order
        # the edges were added, which `to_networkx` needs to rebuild NetworkX's adjacency order.
        self._in_order = in_order
        self._insertion_order = insertion_order
        self._relations, self._fields, self._papers = relations, fields, papers
        self._texts, self._sentences = texts, sentences
        self._paper_data = self._paper_nodes()
        count_nodes = len(self._ids)
        self._out_start = np.searchsorted(source, np.arange(count_nodes + 1))
        self._in_start = np.searchsorted(target[in_order], np.arange(count_nodes + 1))
        self.graph: dict[str, Any] = {}
        self.nodes = _NodeView(node_data)

    @property
    def edges(self) -> _EdgeView:
        """The edges, iterable, sized and callable like NetworkX's ``graph.edges``."""
        # A new view on each access, because a view stored on the graph would
        # make a reference cycle. The graph of a large build would then keep
        # its memory until a full run of the cyclic garbage collector.
        return _EdgeView(self)

    def _paper_nodes(self, mapping: Mapping[str, str] | None = None) -> list[dict[str, Any]]:
        """Return the attribute dict of the node of each paper in the paper table, in table order.

        Most evidence sentences are stored as offsets into these nodes' titles and abstracts.

        NOTE: a sentence stored as offsets is read from the node ``paper:<id>``
        of the edge's paper, so that node's title and abstract must not change
        after `MutableEdges.add_edge`. `kg.graph.GraphBuilder` never changes them.
        """
        nodes = (f"paper:{paper}" for paper in self._papers)
        if mapping:
            nodes = (mapping.get(node, node) for node in nodes)
        return [self._node_data.get(node, {}) for node in nodes]

    # Graph-wide answers.

    def __len__(self) -> int:
        return len(self._ids)

    def __iter__(self) -> Iterator[str]:
        return iter(self._node_data)

    def __contains__(self, node: object) -> bool:
        return node in self._node_data

    def is_directed(self) -> bool:
        return True

    def is_multigraph(self) -> bool:
        return True

    def number_of_nodes(self) -> int:
        return len(self._ids)

    def number_of_edges(self) -> int:
        return len(self._source)

    # Edges.

    def _positions(self, nbunch: Iterable[str] | str | None, *, outgoing: bool) -> Iterator[np.ndarray]:
        """Yield arrays of edge positions, in NetworkX's order for the nodes of `nbunch` (all nodes when None)."""
        starts = self._out_start if outgoing else self._in_start
        if nbunch is None:
            if outgoing:
                for first in range(0, len(self._source), _EDGE_BATCH):
                    yield np.arange(first, min(first + _EDGE_BATCH, len(self._source)))
            else:
                for first in range(0, len(self._source), _EDGE_BATCH):
                    yield self._in_order[first : first + _EDGE_BATCH]
            return
        nodes = [nbunch] if isinstance(nbunch, str) and nbunch in self._rank else nbunch
        for node in nodes:
            rank = self._rank.get(node)
            if rank is None:
                continue
            span = slice(starts[rank], starts[rank + 1])
            yield np.arange(span.start, span.stop) if outgoing else self._in_order[span]

    def _tuples(
        self, batches: Iterable[np.ndarray], *, data: bool | str, keys: bool, default: Any
    ) -> Iterator[tuple[Any, ...]]:
        ids, relations = self._ids, self._relations
        for positions in batches:
            sources = [ids[rank] for rank in self._source[positions].tolist()]
            targets = [ids[rank] for rank in self._target[positions].tolist()]
            kinds = [relations[number] for number in self._relation[positions].tolist()]
            if data is False:
                attributes: list[Any] | None = None
            else:
                attributes = self._attributes(positions, kinds)
                if data is not True:
                    attributes = [entry.get(data, default) for entry in attributes]
            for index, (source, target, kind) in enumerate(zip(sources, targets, kinds)):
                head = (source, target, kind) if keys else (source, target)
                yield head if attributes is None else (*head, attributes[index])

    def _attributes(self, positions: np.ndarray, kinds: list[str]) -> list[dict[str, Any]]:
        """Return the attribute dicts of the edges at `positions`, keyed as `kg.graph` documents them."""
        papers = [self._papers[number] for number in self._paper[positions].tolist()]
        counts = self._count[positions].tolist()
        fields = [self._fields[number] for number in self._field[positions].tolist()]
        starts, ends = self._start[positions].tolist(), self._end[positions].tolist()
        texts = [self._texts[number] for number in self._text[positions].tolist()]
        sentences = self._sentence_values(positions, fields)
        attributes = []
        for index, kind in enumerate(kinds):
            if kind == _AUTHORED_BY:
                attributes.append({"type": kind, "paper": papers[index], "position": counts[index]})
                continue
            attributes.append(
                {
                    "type": kind,
                    "paper": papers[index],
                    "field": fields[index],
                    "start": starts[index],
                    "end": ends[index],
                    "text": texts[index],
                    "sentence": sentences[index],
                    "count": counts[index],
                }
            )
        return attributes

    def _sentence_values(self, positions: np.ndarray, fields: list[str]) -> list[str]:
        paper_data, table = self._paper_data, self._sentences
        values = []
        codes = self._sentence[positions].tolist()
        ends = self._sentence_end[positions].tolist()
        papers = self._paper[positions].tolist()
        for code, end, paper, field in zip(codes, ends, papers, fields):
            values.append(table[code] if code >= 0 else paper_data[paper].get(field, "")[-1 - code : end])
        return values

    def out_edges(
        self, nbunch: Iterable[str] | str | None = None, data: bool | str = False, *, keys: bool = False, default: Any = None
    ) -> Iterator[tuple[Any, ...]]:
        """Yield the edges out of the nodes of `nbunch` (every edge when None), as ``MultiDiGraph.out_edges`` does."""
        return self._tuples(self._positions(nbunch, outgoing=True), data=data, keys=keys, default=default)

    def in_edges(
        self, nbunch: Iterable[str] | str | None = None, data: bool | str = False, *, keys: bool = False, default: Any = None
    ) -> Iterator[tuple[Any, ...]]:
        """Yield the edges into the nodes of `nbunch` (every edge when None), as ``MultiDiGraph.in_edges`` does."""
        return self._tuples(self._positions(nbunch, outgoing=False), data=data, keys=keys, default=default)

    def edge_range(self, start: int, stop: int) -> Iterator[tuple[str, str, str, dict[str, Any]]]:
        """Yield ``(source, target, key, data)`` of the edges at positions `start` to `stop` (end-exclusive) of ``edges()``.

        It equals ``itertools.islice(graph.edges(keys=True, data=True), start, stop)``
        without building the skipped edges.
        """
        stop = min(stop, self.number_of_edges())
        batches = (np.arange(first, min(first + _EDGE_BATCH, stop)) for first in range(start, stop, _EDGE_BATCH))
        return self._tuples(batches, data=True, keys=True, default=None)  # type: ignore[return-value]

    def has_edge(self, source: str, target: str, key: str | None = None) -> bool:
        rank, target_rank = self._rank.get(source), self._rank.get(target)
        if rank is None or target_rank is None:
            return False
        span = slice(self._out_start[rank], self._out_start[rank + 1])
        matches = self._target[span] == target_rank
        if key is None:
            return bool(matches.any())
        return any(self._relations[number] == key for number in self._relation[span][matches].tolist())

    def successors(self, node: str) -> Iterator[str]:
        """Yield the distinct targets of `node`'s edges, in NetworkX's order."""
        rank = self._rank[node]
        ranks = self._target[self._out_start[rank] : self._out_start[rank + 1]].tolist()
        return (self._ids[target] for target in dict.fromkeys(ranks))

    def predecessors(self, node: str) -> Iterator[str]:
        """Yield the distinct sources of the edges into `node`, in NetworkX's order."""
        rank = self._rank[node]
        positions = self._in_order[self._in_start[rank] : self._in_start[rank + 1]]
        return (self._ids[source] for source in dict.fromkeys(self._source[positions].tolist()))

    def degree(self, node: str) -> int:
        """Return the number of edges into and out of `node`; a self-loop counts twice, as in NetworkX."""
        rank = self._rank[node]
        outgoing = self._out_start[rank + 1] - self._out_start[rank]
        incoming = self._in_start[rank + 1] - self._in_start[rank]
        return int(outgoing + incoming)

    # Copies.

    def _networkx(self, nodes: Iterable[str], keep: np.ndarray | None) -> nx.MultiDiGraph:
        graph = nx.MultiDiGraph()
        graph.graph.update(self.graph)
        graph.add_nodes_from((node, self._node_data[node]) for node in nodes)
        # Edges are added in the order they were first added to the builder,
        # which gives every adjacency dict NetworkX's order of the builder's graph.
        positions = self._insertion_order if keep is None else self._insertion_order[keep[self._insertion_order]]
        batches = (positions[first : first + _EDGE_BATCH] for first in range(0, len(positions), _EDGE_BATCH))
        graph.add_edges_from(self._tuples(batches, data=True, keys=True, default=None))
        return graph

    def to_networkx(self) -> nx.MultiDiGraph:
        """Return a new `networkx.MultiDiGraph` with the same nodes, edges, keys, attributes and order.

        Node attribute dicts are copied, but values such as lists are shared with this graph.
        """
        return self._networkx(self._ids, None)

    def subgraph(self, nodes: Iterable[str]) -> nx.MultiDiGraph:
        """Return the induced subgraph on `nodes` as a new `networkx.MultiDiGraph`, in this graph's order.

        Unlike ``networkx.Graph.subgraph`` it is a copy, not a view.
        """
        chosen = np.zeros(len(self._ids), dtype=bool)
        for node in nodes:
            rank = self._rank.get(node)
            if rank is not None:
                chosen[rank] = True
        keep = chosen[self._source] & chosen[self._target]
        return self._networkx((node for node, inside in zip(self._ids, chosen.tolist()) if inside), keep)

    def relabel_nodes(self, mapping: Mapping[str, str]) -> CompactGraph:
        """Return a copy whose nodes are renamed by `mapping`, keeping node and edge order.

        New names must not be nodes of the graph already: unlike
        ``networkx.relabel_nodes``, two nodes are never merged. The copy
        shares the edge columns with this graph, and copies the attribute
        dicts of nodes (not the lists in them), as ``networkx.relabel_nodes`` does.

        Raises
        ------
        ValueError
            If a new name is already a node that keeps its name.
        """
        clashes = sorted(new for old, new in mapping.items() if new in self._node_data and new not in mapping and old != new)
        if clashes:
            raise ValueError(f"Cannot rename nodes to existing node ids {clashes[:5]}; expected new ids")
        node_data = {mapping.get(node, node): dict(data) for node, data in self._node_data.items()}
        if len(node_data) != len(self._node_data):
            raise ValueError("Renaming would merge nodes; expected a mapping to distinct new ids")
        renamed = CompactGraph.__new__(CompactGraph)
        renamed.__dict__.update(self.__dict__)
        renamed._node_data = node_data
        renamed._ids = list(node_data)
        renamed._rank = {node: rank for rank, node in enumerate(renamed._ids)}
        renamed.graph = dict(self.graph)
        renamed._paper_data = renamed._paper_nodes(mapping)
        renamed.nodes = _NodeView(node_data)
        return renamed

    def column_bytes(self) -> int:
        """Return the bytes of the NumPy arrays: edge columns, edge orders and node offsets."""
        columns = (
            self._source, self._target, self._relation, self._paper, self._field, self._start, self._end,
            self._text, self._sentence, self._sentence_end, self._count, self._in_order, self._insertion_order, self._out_start, self._in_start,
        )  # fmt: skip
        return sum(column.nbytes for column in columns)
