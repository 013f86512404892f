"""The knowledge graph as a NetworkX `MultiDiGraph`.

One node per paper, per entity, per link, per concept, per result and per author.
Entities of different papers are merged by their normalised key
(`kg.resolve.entity_key`); a short form that one paper defines ("GRPO") joins
the node of its long form in every paper that uses it, as long as the corpus
gives it only one long form.

Across the corpus, spellings that differ only by separators or a capitalised
plural ("Meta-World" and "MetaWorld", "Transformers" and "transformer") are
merged too (`kg.resolve.variant_key`), and a model checkpoint whose name
shows a family ("Qwen2.5-Math-7B") gets a ``variant_of`` edge to the family
node ("Qwen2.5"), which is created when no paper mentions it. The rules are
described in docs/extractions.md, section "Resolution".

Node ids are stable strings: ``paper:<paper id>``, ``entity:<key>``,
``link:<url>``, ``concept:<key>``, ``result:<paper id>:<n>`` (n counts the
paper's results from 1 in text order) and ``author:<author key>`` (see
`author_key`: the source's author id, such as ``s2:1741101``, else
``name:`` and the normalised name, so namesakes without ids share a node). Edges are keyed by their relation type,
so at most one edge of each type joins two nodes; it keeps the provenance of
its first occurrence.

Node attributes
---------------
type : str
    "paper", "link", "concept", "result", "author", or an `EntityType` value.
label : str
    Display name: the paper title, the entity name, the URL, the concept
    key, or for a result its value, unit, metric and benchmark
    ("94.1 % accuracy on RewardBench").
paper nodes: paper_id, title, abstract, url, date, authors (list), source, record,
    language (BCP 47 tag or ""), arxiv_id, doi (strings, "" when unknown),
    categories (list of arXiv categories, primary first)
entity nodes: name, key, aliases (list), papers (list of paper ids),
    proposed_by (list of paper ids), merge_reasons (list of dicts
    ``{"form", "reason", "paper"}``, one per alias in alias order; reason
    is a `kg.resolve.MergeReason` value, paper the id of the paper that
    licensed the merge). A family node that no paper mentions has empty
    papers, aliases and merge_reasons. After an incremental build
    (`kg.incremental`), also former_keys (list): keys of nodes of earlier
    builds that merged into this one.
link nodes: url, kind (a `LinkKind` value), papers (list of paper ids)
concept nodes: name, key (a head noun such as "framework"; see `kg.model.Relation`)
author nodes: name (the spelling most papers use; ties go to the first in
    sorted order), key (see `author_key`), author_id (the source's id or ""),
    papers (list of paper ids)
result nodes: value, unit, spread (strings, see `kg.model.Result`), paper
    (paper id), subject, metric, benchmark (entity keys or ""), and the
    evidence attributes field, start, end, text, sentence

Edge attributes
---------------
type : str
    One of `EDGE_TYPES`. Relation edges (`RELATION_EDGE_TYPES`) go from the
    paper, and also from the subject entity when the relation has one.
    `IS_A` goes from an entity to a concept. `AUTHORED_BY` goes from a paper
    to each of its authors and has no evidence attributes, but ``position``,
    the 1-based place of the author in the paper's author list. `HAS_RESULT` goes from the
    paper and from the result's subject entity to the result. `ON_DATASET`
    and `HAS_METRIC` go from a result to its benchmark and metric entities.
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
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import networkx as nx

from kg.compact import CompactGraph, MutableEdges
from kg.io import atomic_write
from kg.model import (
    EntityType,
    ExtractedEntity,
    Field,
    LinkKind,
    Mention,
    Paper,
    PaperExtraction,
    Relation,
    RelationType,
    Result,
    majority_type,
)
from kg.resolve import MergeReason, entity_key, is_title_name_of, model_family, preferred_name, variant_key

__all__ = [
    "ADDRESSES",
    "AUTHORED_BY",
    "AUTHOR_TYPE",
    "BUILT_ON",
    "COMPARED_WITH",
    "CONCEPT_TYPE",
    "EDGE_TYPES",
    "EntityState",
    "GraphBuilder",
    "HAS_CODE",
    "HAS_METRIC",
    "HAS_RESULT",
    "IS_A",
    "LINK_TYPE",
    "LINKS_TO",
    "LIST_ATTRIBUTES",
    "MENTIONS",
    "ON_DATASET",
    "OUTPERFORMS",
    "PAPER_TYPE",
    "PROPOSES",
    "RELATION_EDGE_TYPES",
    "RESULT_TYPE",
    "EVALUATED_ON",
    "USES",
    "VARIANT_OF",
    "author_key",
    "author_node_id",
    "build_graph",
    "concept_node_id",
    "entity_node_id",
    "link_node_id",
    "paper_node_id",
    "result_label",
    "result_node_id",
    "read_graphml",
    "write_graphml",
]

logger = logging.getLogger(__name__)

PROPOSES = "proposes"
MENTIONS = "mentions"
EVALUATED_ON = str(RelationType.EVALUATED_ON)
HAS_CODE = "has_code"
LINKS_TO = "links_to"
USES = str(RelationType.USES)
BUILT_ON = str(RelationType.BUILT_ON)
COMPARED_WITH = str(RelationType.COMPARED_WITH)
OUTPERFORMS = str(RelationType.OUTPERFORMS)
ADDRESSES = str(RelationType.ADDRESSES)
IS_A = str(RelationType.IS_A)
HAS_RESULT = "has_result"
ON_DATASET = "on_dataset"
HAS_METRIC = "has_metric"
VARIANT_OF = "variant_of"
AUTHORED_BY = "authored_by"

# Relations between entities (or the paper) and entities, from `kg.model.Relation`.
RELATION_EDGE_TYPES: tuple[str, ...] = (EVALUATED_ON, USES, BUILT_ON, COMPARED_WITH, OUTPERFORMS, ADDRESSES)

EDGE_TYPES: tuple[str, ...] = (
    PROPOSES, MENTIONS, EVALUATED_ON, HAS_CODE, LINKS_TO, USES, BUILT_ON, COMPARED_WITH, OUTPERFORMS,
    ADDRESSES, IS_A, HAS_RESULT, ON_DATASET, HAS_METRIC, VARIANT_OF, AUTHORED_BY,
)  # fmt: skip

PAPER_TYPE = "paper"
LINK_TYPE = "link"
CONCEPT_TYPE = "concept"
RESULT_TYPE = "result"
AUTHOR_TYPE = "author"

# Unit symbols in result labels ("94.1 % accuracy", "2.5 x faster").
_UNIT_SYMBOLS = {"percent": "%", "points": "points", "x": "x"}

# Attributes that hold lists in memory and JSON arrays in GraphML.
LIST_ATTRIBUTES: frozenset[str] = frozenset(
    {"aliases", "authors", "categories", "former_keys", "merge_reasons", "papers", "proposed_by"}
)

# Characters dropped from a name for its author key: punctuation such as the
# dot of an initial ("J. Smith" and "J Smith" get one key).
_NAME_PUNCTUATION = re.compile(r"[^\w\s'-]")



def paper_node_id(paper_id: str) -> str:
    return f"paper:{paper_id}"


def entity_node_id(key: str) -> str:
    return f"entity:{key}"


def link_node_id(url: str) -> str:
    return f"link:{url}"


def concept_node_id(key: str) -> str:
    return f"concept:{key}"


def author_key(name: str, author_id: str = "") -> str:
    """Return the key that merges an author's occurrences across papers.

    The source's author id wins ("s2:1741101", "hf:mkovalenko"). Without
    one, the key is ``name:`` and the name in NFKC form, case-folded, without
    punctuation other than "'" and "-", and with single spaces. Two people
    with one name and no ids therefore share a node, and one person listed
    with an id in one file and without in another gets two nodes.

    Examples
    --------
    >>> author_key("Peter J. Halloran")
    'name:peter j halloran'
    >>> author_key("Dev Raman", "s2:1741101")
    's2:1741101'
    """
    if author_id:
        return author_id
    folded = unicodedata.normalize("NFKC", name).casefold()
    return "name:" + " ".join(_NAME_PUNCTUATION.sub(" ", folded).split())


def author_node_id(key: str) -> str:
    return f"author:{key}"


def result_node_id(paper_id: str, number: int) -> str:
    """Return the id of the paper's `number`-th result (1-based, text order)."""
    return f"result:{paper_id}:{number}"


def result_label(value: str, unit: str, metric: str = "", benchmark: str = "") -> str:
    """Return the display label of a result from its value, unit and the names of its metric and benchmark.

    Examples
    --------
    >>> result_label("94.1", "percent", "accuracy", "RewardBench")
    '94.1 % accuracy on RewardBench'
    >>> result_label("2.5", "x")
    '2.5 x'
    """
    words = [value]
    if unit:
        words.append(_UNIT_SYMBOLS.get(unit, unit))
    if metric:
        words.append(metric)
    if benchmark:
        words += ["on", benchmark]
    return " ".join(words)


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
        self._graph = MutableEdges()
        self._compact: CompactGraph | None = None
        self._networkx: nx.MultiDiGraph | None = None
        self._names: dict[str, Counter[str]] = defaultdict(Counter)
        self._aliases: dict[str, set[str]] = defaultdict(set)
        self._types: dict[str, Counter[str]] = defaultdict(Counter)
        self._papers: dict[str, set[str]] = defaultdict(set)
        self._proposed_by: dict[str, set[str]] = defaultdict(set)
        self._long_forms: dict[str, set[str]] = defaultdict(set)
        self._long_names: dict[str, Counter[str]] = defaultdict(Counter)
        # Short key -> long key -> the first paper, in input order, that defines the pair.
        self._definer: dict[str, dict[str, str]] = defaultdict(dict)
        # Short key -> the short form as papers write it in their definitions ("ZQPO").
        self._short_spellings: dict[str, set[str]] = defaultdict(set)
        # Per entity key: the first paper of each surface form, the reason
        # recorded for each alias that is no spelling variant, and the first
        # mention as (paper id, mention).
        self._form_papers: dict[str, dict[str, str]] = defaultdict(dict)
        self._reasons: dict[str, dict[str, tuple[MergeReason, str]]] = defaultdict(dict)
        self._first_mention: dict[str, tuple[str, Mention]] = {}
        # Keys merged away, mapped to the key that absorbed them.
        self._merged_into: dict[str, str] = {}
        # Author key -> how often each spelling of the name occurs.
        self._author_names: dict[str, Counter[str]] = defaultdict(Counter)
        # One object per distinct value of the strings that many nodes
        # repeat (node ids, dates, sources, author names), so each value is
        # stored once. Edge strings are interned by `MutableEdges`.
        self._strings: dict[str, str] = {}
        # The same for the character offsets of result nodes, which CPython caches only up to 256.
        self._offsets: dict[int, int] = {}
        # The evidence sentences of the paper being added to result nodes, by value.
        self._sentences: dict[str, str] = {}
        self._finished = False

    def add(self, extraction: PaperExtraction, *, entity_tables: bool = True) -> None:
        """Add one paper with its entities, links and relations.

        With ``entity_tables=False`` only the paper's nodes and edges are
        added, and the entity tables (names, types, papers, aliases,
        abbreviation definitions) must come from `load_entity_states`
        before `graph()`; `kg.distributed` aggregates them on a cluster.

        Raises
        ------
        ValueError
            If a paper with the same id was added before, or `graph()` was called.
        """
        if self._finished:
            raise ValueError("GraphBuilder.graph() was already called; create a new builder")
        graph, share = self._graph, self._share
        paper = extraction.paper
        paper_node = share(paper_node_id(paper.id))
        if paper_node in graph:
            raise ValueError(f"Duplicate paper id {paper.id!r} ({paper.source}, record {paper.record})")
        self._sentences = {}
        graph.new_paper()
        graph.add_node(
            paper_node,
            type=PAPER_TYPE,
            label=paper.title,
            paper_id=paper.id,
            title=paper.title,
            abstract=paper.abstract,
            url=paper.url or "",
            date=share(paper.date or ""),
            authors=[share(name) for name in paper.authors],
            source=share(paper.source),
            record=paper.record,
            language=share(paper.language),
            arxiv_id=paper.arxiv_id or "",
            doi=paper.doi or "",
            categories=[share(category) for category in paper.categories],
        )
        self._add_authors(paper)

        # The entity that contains a long form decides its key and name, so a
        # vocabulary entry that names the short form ("GRPO") keeps that name.
        key_of_form = {
            entity_key(form): entity.key for entity in extraction.entities for form in (entity.name, *entity.aliases)
        }
        name_of_key = {entity.key: entity.name for entity in extraction.entities}
        for abbreviation in extraction.abbreviations if entity_tables else ():
            long_key = key_of_form.get(entity_key(abbreviation.long), entity_key(abbreviation.long))
            short_key = entity_key(abbreviation.short)
            self._long_forms[short_key].add(long_key)
            self._long_names[long_key][name_of_key.get(long_key, abbreviation.long)] += 1
            self._definer[short_key][long_key] = min(self._definer[short_key].get(long_key, paper.id), paper.id)
            self._short_spellings[short_key].add(abbreviation.short)

        for entity in extraction.entities:
            self._add_entity(paper.id, entity, entity_tables=entity_tables)
            if not entity_tables:
                continue
            for form, reason in _alias_reasons(extraction, entity).items():
                self._keep_reason(entity.key, form, (reason, paper.id))

        for relation in extraction.relations:
            if relation.type == RelationType.IS_A:
                self._add_is_a(paper.id, relation)
                continue
            target = share(entity_node_id(relation.object))
            if target not in graph:
                continue
            # The paper evaluates on what its method is evaluated on, so
            # "papers that evaluate on X" needs no second pattern.
            sources = [paper_node] if not relation.subject else [share(entity_node_id(relation.subject)), paper_node]
            for source in sources:
                if source in graph:
                    self._add_edge_once(source, target, share(str(relation.type)), paper.id, relation.evidence)

        for number, result in enumerate(extraction.results, start=1):
            self._add_result(paper.id, number, result)

        proposed_here = [entity.key for entity in extraction.entities if entity.proposed]
        for link in extraction.links:
            node = share(link_node_id(link.url))
            if node not in graph:
                graph.add_node(node, type=LINK_TYPE, label=link.url, url=link.url, kind=share(str(link.kind)), papers=[])
            if paper.id not in graph.node_data[node]["papers"]:
                graph.node_data[node]["papers"].append(paper.id)
            relation = HAS_CODE if link.kind == LinkKind.CODE else LINKS_TO
            self._add_edge_once(paper_node, node, relation, paper.id, link.mention)
            # A paper that proposes exactly one artifact releases its code with it.
            if relation == HAS_CODE and len(proposed_here) == 1:
                self._add_edge_once(share(entity_node_id(proposed_here[0])), node, HAS_CODE, paper.id, link.mention)

    def _add_authors(self, paper: Paper) -> None:
        """Add an author node per name of the paper, and an `AUTHORED_BY` edge with the author's position."""
        graph, paper_node = self._graph, self._share(paper_node_id(paper.id))
        ids = paper.author_ids
        if len(ids) != len(paper.authors):
            if ids:
                logger.warning(
                    "Paper %r has %d author ids for %d authors; its authors are keyed by name",
                    paper.id, len(ids), len(paper.authors),
                )
            ids = ("",) * len(paper.authors)
        for position, (name, author_id) in enumerate(zip(paper.authors, ids), start=1):
            key = author_key(name, author_id)
            node = self._share(author_node_id(key))
            if node not in graph:
                graph.add_node(node, type=AUTHOR_TYPE, key=key, author_id=author_id, papers=[])
            self._author_names[key][name] += 1
            if graph.has_edge(paper_node, node, AUTHORED_BY):
                # Two names of one list with one key ("J. Smith", "J Smith"): the first position stays.
                logger.debug("Paper %r lists author %r twice; position %d is not recorded", paper.id, key, position)
                continue
            graph.node_data[node]["papers"].append(paper.id)
            # The count column of an authorship edge stores the position.
            graph.add_edge(paper_node, node, AUTHORED_BY, paper.id, count=position)

    def _set_author_attributes(self) -> None:
        for key, names in self._author_names.items():
            # The most used spelling names the node; ties go to the first in
            # sorted order, so the input order does not change the graph.
            name = min(names, key=lambda form: (-names[form], form))
            data = self._compact_nodes()[author_node_id(key)]
            data.update(label=name, name=name)
            data["papers"].sort()

    def _add_entity(self, paper_id: str, entity: ExtractedEntity, *, entity_tables: bool = True) -> None:
        key, node = entity.key, self._share(entity_node_id(entity.key))
        first = entity.mentions[0] if entity.mentions else Mention(entity.name, 0, 0, Field.TITLE)
        if entity_tables:
            self._names[key][entity.name] += len(entity.mentions) or 1
            self._aliases[key].update(entity.aliases)
            self._aliases[key].add(entity.name)
            self._types[key][str(entity.type)] += 1
            self._papers[key].add(paper_id)
            for form in (entity.name, *entity.aliases):
                self._form_papers[key][form] = min(self._form_papers[key].get(form, paper_id), paper_id)
            self._first_mention.setdefault(key, (paper_id, first))
            if entity.proposed:
                self._proposed_by[key].add(paper_id)
        if node not in self._graph:
            self._graph.add_node(node)
        paper_node = self._share(paper_node_id(paper_id))
        self._add_edge_once(paper_node, node, MENTIONS, paper_id, first, count=len(entity.mentions))
        if entity.proposed:
            self._add_edge_once(paper_node, node, PROPOSES, paper_id, first)

    def _add_is_a(self, paper_id: str, relation: Relation) -> None:
        """Add the concept node of an is_a relation and the edge from its entity."""
        source, target = self._share(entity_node_id(relation.subject)), self._share(concept_node_id(relation.object))
        if not relation.subject or source not in self._graph:
            return
        if target not in self._graph:
            key = relation.object
            self._graph.add_node(target, type=CONCEPT_TYPE, label=key, name=key, key=key)
        self._add_edge_once(source, target, IS_A, paper_id, relation.evidence)

    def _add_result(self, paper_id: str, number: int, result: Result) -> None:
        """Add one result node with its edges: from the paper and subject, to its benchmark and metric."""
        graph, node = self._graph, result_node_id(paper_id, number)
        evidence = self._evidence(paper_id, result.evidence)
        del evidence["count"]
        graph.add_node(
            node,
            type=RESULT_TYPE,
            label=result_label(result.value, result.unit),
            value=result.value,
            unit=self._share(result.unit),
            spread=result.spread,
            subject=result.subject,
            metric=result.metric,
            benchmark=result.benchmark,
            **evidence,
        )
        self._add_edge_once(self._share(paper_node_id(paper_id)), node, HAS_RESULT, paper_id, result.evidence)
        links = ((result.subject, node, HAS_RESULT), (result.benchmark, node, ON_DATASET), (result.metric, node, HAS_METRIC))
        for key, _, relation in links:
            entity = self._share(entity_node_id(key))
            if not key or entity not in graph:
                continue
            source, target = (entity, node) if relation == HAS_RESULT else (node, entity)
            self._add_edge_once(source, target, relation, paper_id, result.evidence)

    def entity_states(self, positions: Mapping[str, int]) -> dict[str, EntityState]:
        """Return the entity tables of the papers added so far as one mergeable state per key.

        `kg.distributed` calls this on a builder that contains one partition of
        the input, merges the states of all partitions with
        `EntityState.merge`, and hands the result to `load_entity_states`.

        Parameters
        ----------
        positions : mapping of str to int
            The 0-based position in the whole input of each added paper id.
            Keys and first mentions are ordered by it, so the states match
            those of one builder over the whole input.

        Raises
        ------
        ValueError
            If `graph()` was called, which merges the tables.
        """
        if self._finished:
            raise ValueError("GraphBuilder.graph() was already called; take the entity states before it")
        states: dict[str, EntityState] = defaultdict(EntityState)
        # Iterating `.items()` never adds keys to the defaultdict tables.
        for rank, (key, names) in enumerate(self._names.items()):
            paper_id, mention = self._first_mention[key]
            state = states[key]
            state.first_seen = (positions[paper_id], rank)
            state.first_mention = (paper_id, mention)
            state.names = names
            state.aliases = self._aliases[key]
            state.types = self._types[key]
            state.papers = self._papers[key]
            state.form_papers = self._form_papers[key]
        for key, papers in self._proposed_by.items():
            states[key].proposed_by = papers
        for key, reasons in self._reasons.items():
            states[key].reasons = reasons
        for key, long_keys in self._long_forms.items():
            states[key].long_forms = long_keys
        for key, definers in self._definer.items():
            states[key].definer = definers
        for key, spellings in self._short_spellings.items():
            states[key].short_spellings = spellings
        for key, long_names in self._long_names.items():
            states[key].long_names = long_names
        return dict(states)

    def load_entity_states(self, states: Mapping[str, EntityState]) -> None:
        """Set the entity tables from states merged over every paper of the input.

        Call it once, after every paper was added with ``entity_tables=False``
        and before `graph()`. Keys enter the tables in the order of
        `EntityState.first_seen`, the order in which `add` would have met
        them, so the graph is the one that `add` with entity tables builds.

        Raises
        ------
        ValueError
            If the builder already has entity tables, `graph()` was called,
            or a state names an entity that no added paper mentions.
        """
        if self._finished or self._names:
            raise ValueError("load_entity_states() needs a builder whose papers were added with entity_tables=False")
        seen = sorted((state.first_seen, key) for key, state in states.items() if state.first_seen is not None)
        for _, key in seen:
            if entity_node_id(key) not in self._graph:
                raise ValueError(f"Entity state {key!r} has no entity node; was every paper added?")
            state = states[key]
            assert state.first_mention is not None, "an entity state with first_seen has a first mention"
            self._names[key] = state.names
            self._aliases[key] = state.aliases
            self._types[key] = state.types
            self._papers[key] = state.papers
            self._form_papers[key] = state.form_papers
            self._first_mention[key] = state.first_mention
        # The other tables are read by key or in sorted order, so their order does not matter.
        for key, state in states.items():
            if state.proposed_by:
                self._proposed_by[key] = state.proposed_by
            if state.reasons:
                self._reasons[key] = state.reasons
            if state.long_forms:
                self._long_forms[key] = state.long_forms
            if state.definer:
                self._definer[key] = state.definer
            if state.short_spellings:
                self._short_spellings[key] = state.short_spellings
            if state.long_names:
                self._long_names[key] = state.long_names

    def graph(self) -> nx.MultiDiGraph:
        """Finish the graph as `compact_graph` does and return it as a `networkx.MultiDiGraph`.

        Every call returns the same graph object. The NetworkX graph takes
        about 760 bytes per edge on top of the compact graph, which stays in
        memory too (``python bench/memory.py --networkx``).
        """
        if self._networkx is None:
            self._networkx = self.compact_graph().to_networkx()
        return self._networkx

    def compact_graph(self) -> CompactGraph:
        """Merge variants, add undefined short-form uses, merge short forms, set attributes, link families, return the graph.

        The `kg.compact.CompactGraph` has the nodes, edges and attributes of
        `graph` in the same order, with edges stored in columns. Every call
        returns the same object.
        """
        if self._compact is None:
            self._finished = True
            self._merge_variants()
            self._add_short_form_uses()
            self._merge_short_forms()
            self._set_entity_attributes()
            self._link_families()
            self._compact = self._graph.freeze()
            self._set_result_attributes()
            self._set_author_attributes()
            self._release_tables()
        return self._compact

    def _compact_nodes(self) -> Mapping[str, dict[str, Any]]:
        assert self._compact is not None, "author attributes are set on the finished graph"
        return self._compact.nodes  # type: ignore[return-value]

    def _release_tables(self) -> None:
        """Empty the tables that only building needs, so a finished builder keeps little memory besides its graph.

        The entity tables took a sixth as many bytes as the graph of 10,000
        abstracts (``python bench/memory.py``). Nothing reads them after
        `graph()`, because `add`, `entity_states` and `load_entity_states`
        raise then, and `merged_keys` reads only the merge record, which
        stays. Only the outer dictionaries are emptied, because the caller
        of `load_entity_states` may still use the states it passed.
        """
        tables: list[dict[Any, Any]] = [
            self._names, self._aliases, self._types, self._papers, self._proposed_by, self._long_forms,
            self._long_names, self._definer, self._short_spellings, self._form_papers, self._reasons,
            self._first_mention, self._author_names, self._strings, self._offsets, self._sentences,
        ]  # fmt: skip
        for table in tables:
            table.clear()

    def _share(self, value: str) -> str:
        """Return the stored object equal to `value`, storing `value` if it is the first."""
        return self._strings.setdefault(value, value)

    def _evidence(self, paper_id: str, mention: Mention, count: int = 1) -> dict[str, Any]:
        """Return the evidence attributes of an edge or result node that `mention` supports."""
        sentence = self._sentences.setdefault(mention.sentence, mention.sentence)
        return {
            "paper": paper_id,
            "field": self._share(str(mention.field)),
            "start": self._offsets.setdefault(mention.start, mention.start),
            "end": self._offsets.setdefault(mention.end, mention.end),
            "text": self._share(mention.text),
            "sentence": sentence,
            "count": count,
        }

    def _add_edge_once(
        self, source: str, target: str, relation: str, paper_id: str, mention: Mention, *, count: int = 1
    ) -> None:
        # Edges are keyed by relation type: the first occurrence keeps its provenance.
        field = str(mention.field)
        paper = self._graph.node_data.get(self._share(paper_node_id(paper_id)), {})
        self._graph.add_edge(
            source, target, relation, paper_id, field=field, start=mention.start, end=mention.end,
            text=mention.text, sentence=mention.sentence, count=count, context=paper.get(field, ""),
        )  # fmt: skip

    def merged_keys(self) -> dict[str, str]:
        """Return each entity key that `graph()` merged into another node, mapped to the key of that node.

        Chains are followed, so every value is the key of a node of the
        graph. Empty before `graph()` is called.
        """
        return {key: self._resolve(key) for key in self._merged_into}

    def _resolve(self, key: str) -> str:
        while key in self._merged_into:
            key = self._merged_into[key]
        return key

    def _keep_reason(self, key: str, form: str, record: tuple[MergeReason, str]) -> None:
        """Record why `form` joined `key`; of several papers, the smallest id licenses it."""
        current = self._reasons[key].get(form)
        if current is None or record[1] < current[1]:
            self._reasons[key][form] = record

    @staticmethod
    def _order(paper_id: str) -> str:
        # Provenance goes to the smallest paper id, not the first paper read,
        # so the same papers in another order give the same graph.
        return paper_id

    def _merge_variants(self) -> None:
        """Merge nodes whose names have the same `variant_key`, into the most mentioned one."""
        groups: dict[str, set[str]] = defaultdict(set)
        for key, names in self._names.items():
            for name in names:
                groups[variant_key(name)].add(key)
        for variant, keys in sorted(groups.items()):
            keys = {self._resolve(key) for key in keys}
            if len(keys) < 2:
                continue
            # The most mentioned spelling keeps its node; ties go to the smaller key.
            into = min(keys, key=lambda key: (-sum(self._names[key].values()), key))
            for key in sorted(keys - {into}):
                logger.debug("Merging %r into %r: same variant key %r", key, into, variant)
                self._merge_entity(key, into=into)

    def _set_result_attributes(self) -> None:
        """Point result attributes at the entity keys after merges, and label results with entity names."""
        assert self._compact is not None, "result attributes are set on the finished graph"
        graph = self._compact
        for node, data in graph.nodes(data=True):
            if data.get("type") != RESULT_TYPE:
                continue
            names = {"subject": "", "metric": "", "benchmark": ""}
            for source, _, relation in graph.in_edges(node, keys=True):
                if relation == HAS_RESULT and graph.nodes[source].get("type") != PAPER_TYPE:
                    names["subject"] = source
            for _, target, relation in graph.out_edges(node, keys=True):
                if relation == ON_DATASET:
                    names["benchmark"] = target
                elif relation == HAS_METRIC:
                    names["metric"] = target
            for attribute, entity in names.items():
                data[attribute] = graph.nodes[entity].get("key", "") if entity else ""
            metric = graph.nodes[names["metric"]].get("name", "") if names["metric"] else ""
            benchmark = graph.nodes[names["benchmark"]].get("name", "") if names["benchmark"] else ""
            data["label"] = result_label(data["value"], data["unit"], metric, benchmark)

    def _add_short_form_uses(self) -> None:
        """Add the short forms that papers use without defining them ("RLHF" here, its definition there).

        Each paper's title and abstract are searched for the short forms
        that another paper defines, written as the definition writes them,
        as whole words, and with at least `MIN_UNDEFINED_SHORT_FORM_CAPITALS`
        capitals. A match becomes an entity of the paper with the long form's
        type, which `_merge_short_forms` then joins to the long form.
        """
        papers = sorted(
            (data["paper_id"], data) for data in self._graph.node_data.values() if data.get("type") == PAPER_TYPE
        )
        forms_of = {
            short: sorted(form for form in spellings if sum(c.isupper() for c in form) >= MIN_UNDEFINED_SHORT_FORM_CAPITALS)
            for short, spellings in self._short_spellings.items()
        }
        # One pass over the text finds the papers that may contain each form,
        # so the cost grows with the corpus, not with corpus times short forms.
        candidates = _papers_with_forms(
            {form for forms in forms_of.values() for form in forms},
            [tuple(data.get(str(field), "") for field in (Field.TITLE, Field.ABSTRACT)) for _, data in papers],
        )
        for short, spellings in sorted(self._short_spellings.items()):
            longs = {self._resolve(long) for long in self._long_forms[short]}
            types = self._types[next(iter(longs))] if len(longs) == 1 else Counter()
            if not types:
                continue  # several long forms (the uses stay ambiguous) or an untyped long form
            entity_type = EntityType(types.most_common(1)[0][0])
            forms = forms_of[short]
            indices = sorted({index for form in forms for index in candidates.get(form, ())})
            for paper_id, data in (papers[index] for index in indices):
                if paper_id in self._papers[short] or paper_id in self._papers[next(iter(longs))]:
                    continue
                mentions = [
                    mention
                    for form in forms
                    for field in (Field.TITLE, Field.ABSTRACT)
                    for mention in _whole_word_mentions(data.get(str(field), ""), form, field)
                ]
                if mentions:
                    mentions.sort(key=lambda mention: (mention.field != Field.TITLE, mention.start))
                    name = mentions[0].text
                    self._graph.new_paper()
                    self._add_entity(paper_id, ExtractedEntity(name=name, key=short, type=entity_type, mentions=tuple(mentions)))

    def _merge_short_forms(self) -> None:
        ambiguous = 0
        for short, longs in sorted(self._long_forms.items()):
            resolved = {self._resolve(long) for long in longs}
            if len(resolved) > 1:
                # One line per form at DEBUG: a large corpus has hundreds.
                logger.debug("Short form %r has %d long forms in the corpus; its uses stay apart", short, len(resolved))
                ambiguous += 1
                continue
            (long,) = resolved
            source = self._resolve(short)
            if source == long or entity_node_id(source) not in self._graph:
                continue
            definer = min(self._definer[short].values(), key=self._order)
            # The short form's spellings join by abbreviation, licensed by the defining paper.
            for form in self._names[source].keys() | self._aliases[source]:
                if entity_key(form) == short:
                    self._reasons[source][form] = (MergeReason.ABBREVIATION, definer)
            self._merge_entity(source, into=long)
        if ambiguous:
            logger.info(
                "%d short forms have more than one long form in the corpus; their uses stay apart (-vv lists them)",
                ambiguous,
            )

    def _merge_entity(self, key: str, *, into: str) -> None:
        # Copies of the node's edges go to `into` unless it has an edge with
        # that neighbour and relation already, which keeps its own evidence.
        self._graph.merge_node(entity_node_id(key), into=self._share(entity_node_id(into)))
        self._merged_into[key] = into
        for table in (self._names, self._types):
            table[into].update(table.pop(key))
        for table in (self._aliases, self._papers, self._proposed_by):
            table[into] |= table.pop(key, set())
        for form, paper in self._form_papers.pop(key, {}).items():
            current = self._form_papers[into].get(form)
            if current is None or self._order(paper) < self._order(current):
                self._form_papers[into][form] = paper
        for form, record in self._reasons.pop(key, {}).items():
            self._keep_reason(into, form, record)
        first = self._first_mention.pop(key, None)
        current = self._first_mention.get(into)
        if first is not None and (current is None or self._order(first[0]) < self._order(current[0])):
            self._first_mention[into] = first

    def _set_entity_attributes(self) -> None:
        for key, counter in self._names.items():
            # The long form of an abbreviation names the node, else the most frequent form.
            name = preferred_name(self._long_names[key] or counter)
            # Papers that disagree on the type: the type most papers give wins.
            entity_type = self._share(str(majority_type(self._types[key])))
            aliases = sorted(self._aliases[key] - {name})
            self._graph.node_data[entity_node_id(key)].update(
                type=entity_type,
                label=name,
                name=name,
                key=key,
                aliases=aliases,
                papers=sorted(self._papers[key]),
                proposed_by=sorted(self._proposed_by[key]),
                merge_reasons=[self._merge_reason(key, name, alias) for alias in aliases],
            )
        for data in self._graph.node_data.values():
            if data.get("type") == LINK_TYPE:
                data["papers"].sort()

    def _merge_reason(self, key: str, name: str, form: str) -> dict[str, str]:
        """Return the ``merge_reasons`` record of one alias of the node `key` named `name`."""
        first_paper = self._form_papers[key].get(form, "")
        if variant_key(form) in {variant_key(name), variant_key(key)}:
            return {"form": form, "reason": str(MergeReason.VARIANT), "paper": first_paper}
        recorded = self._reasons[key].get(form)
        if recorded is not None:
            reason, paper = recorded
            return {"form": form, "reason": str(reason), "paper": paper}
        # No recorded reason: the form is a spelling variant of a form that has
        # one, like "RLs" of "RL", or was the name of a paper's entity.
        return {"form": form, "reason": str(MergeReason.VARIANT), "paper": first_paper}

    def _link_families(self) -> None:
        """Add a `VARIANT_OF` edge from each model checkpoint to its family node (`kg.resolve.model_family`)."""
        graph, nodes = self._graph, self._graph.node_data
        node_of_form: dict[str, str] = {}
        for key in self._names:
            node = self._share(entity_node_id(key))
            for form in (nodes[node]["name"], *nodes[node]["aliases"]):
                node_of_form.setdefault(entity_key(form), node)
        for key in sorted(self._names):
            node = self._share(entity_node_id(key))
            data = nodes[node]
            if data["type"] != str(EntityType.MODEL):
                continue
            family = model_family(data["name"])
            if not family:
                continue
            family_key = entity_key(family)
            family_node = node_of_form.get(family_key) or self._share(entity_node_id(family_key))
            if family_node == node:
                continue
            if family_node not in graph:
                graph.add_node(
                    family_node,
                    type=data["type"],
                    label=family,
                    name=family,
                    key=family_key,
                    aliases=[],
                    papers=[],
                    proposed_by=[],
                    merge_reasons=[],
                )
                node_of_form[family_key] = family_node
            elif nodes[family_node].get("type") != data["type"]:
                logger.debug("No family link from %s: %s has type %r", node, family_node, nodes[family_node].get("type"))
                continue
            paper_id, mention = self._first_mention[key]
            graph.new_paper()
            self._add_edge_once(node, family_node, VARIANT_OF, paper_id, mention)


@dataclass(slots=True)
class EntityState:
    """The entity tables of `GraphBuilder` for one key over some of the papers.

    The key is an entity key (`kg.resolve.entity_key`); the same string is
    also the key of a short or long form when papers define abbreviations.
    States of disjoint sets of papers merge with `merge` into the state of
    their union, so the tables can be computed per partition of the input and
    combined per key (a group-by on keys), as `kg.distributed` does.

    Attributes
    ----------
    first_seen : tuple of (int, int) or None
        Position of the first paper, in input order, with an entity of this
        key, and the key's rank among the keys of that paper's partition;
        None when the key occurs only in abbreviation definitions.
    first_mention : tuple of (str, Mention) or None
        Paper id and first mention of that first paper.
    names, types : Counter
        Mentions per surface name, and papers per entity type.
    aliases, papers, proposed_by : set of str
        Surface forms, ids of the papers that mention the entity, and ids of
        the papers that propose it.
    form_papers : dict
        Smallest paper id per surface form.
    reasons : dict
        Merge reason and smallest licensing paper id per alias that is no
        spelling variant.
    long_forms, definer, short_spellings
        As a short form: keys of the long forms that papers define for it,
        the smallest defining paper id per long form, and the short form as
        definitions write it.
    long_names : Counter
        As a long form: the entity names that defining papers give it.
    """

    first_seen: tuple[int, int] | None = None
    first_mention: tuple[str, Mention] | None = None
    names: Counter[str] = field(default_factory=Counter)
    aliases: set[str] = field(default_factory=set)
    types: Counter[str] = field(default_factory=Counter)
    papers: set[str] = field(default_factory=set)
    proposed_by: set[str] = field(default_factory=set)
    form_papers: dict[str, str] = field(default_factory=dict)
    reasons: dict[str, tuple[MergeReason, str]] = field(default_factory=dict)
    long_forms: set[str] = field(default_factory=set)
    definer: dict[str, str] = field(default_factory=dict)
    short_spellings: set[str] = field(default_factory=set)
    long_names: Counter[str] = field(default_factory=Counter)

    def copy(self) -> EntityState:
        """Return a copy whose tables can be changed without changing this state."""
        return EntityState(
            first_seen=self.first_seen,
            first_mention=self.first_mention,
            names=Counter(self.names),
            aliases=set(self.aliases),
            types=Counter(self.types),
            papers=set(self.papers),
            proposed_by=set(self.proposed_by),
            form_papers=dict(self.form_papers),
            reasons=dict(self.reasons),
            long_forms=set(self.long_forms),
            definer=dict(self.definer),
            short_spellings=set(self.short_spellings),
            long_names=Counter(self.long_names),
        )

    def merge(self, later: EntityState) -> None:
        """Add the tables of `later`, a state of other papers that come later in the input.

        Counts add up, sets join, and provenance goes to the smallest paper id
        as in `GraphBuilder`. Merging states in input order keeps the order of
        the counters' keys as one builder would have it, which
        ``Counter.most_common`` falls back on when counts tie.
        """
        if later.first_seen is not None and (self.first_seen is None or later.first_seen < self.first_seen):
            self.first_seen, self.first_mention = later.first_seen, later.first_mention
        self.names.update(later.names)
        self.aliases |= later.aliases
        self.types.update(later.types)
        self.papers |= later.papers
        self.proposed_by |= later.proposed_by
        _keep_smallest(self.form_papers, later.form_papers)
        for form, record in later.reasons.items():
            current = self.reasons.get(form)
            if current is None or record[1] < current[1]:
                self.reasons[form] = record
        self.long_forms |= later.long_forms
        _keep_smallest(self.definer, later.definer)
        self.short_spellings |= later.short_spellings
        self.long_names.update(later.long_names)


def _keep_smallest(target: dict[str, str], other: Mapping[str, str]) -> None:
    for name, paper_id in other.items():
        current = target.get(name)
        if current is None or paper_id < current:
            target[name] = paper_id


def _alias_reasons(extraction: PaperExtraction, entity: ExtractedEntity) -> dict[str, MergeReason]:
    """Return the merge reason of each alias of one paper's entity that is no spelling variant.

    Besides the key, `kg.extract` groups a form with the entity's name for
    one of three reasons. The paper defines it as an abbreviation of the
    name, a title "Name: ..." writes the name that way, or the vocabulary
    lists it under the same canonical name.
    """
    form_keys = {entity.key, entity_key(entity.name), *(entity_key(alias) for alias in entity.aliases)}
    defined: set[str] = set()
    for abbreviation in extraction.abbreviations:
        pair = {entity_key(abbreviation.short), entity_key(abbreviation.long)}
        if pair <= form_keys:
            defined |= pair
    in_title = any(mention.field == Field.TITLE for mention in entity.mentions)

    def joined_by_title(alias: str) -> bool:
        return is_title_name_of(alias, entity.name) or is_title_name_of(entity.name, alias)

    reasons: dict[str, MergeReason] = {}
    for alias in entity.aliases:
        if variant_key(alias) in {variant_key(entity.name), variant_key(entity.key)}:
            continue
        if entity_key(alias) in defined:
            reasons[alias] = MergeReason.ABBREVIATION
        elif entity.proposed and in_title and joined_by_title(alias):
            reasons[alias] = MergeReason.TITLE
        else:
            reasons[alias] = MergeReason.VOCABULARY
    return reasons


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
# Minimum capitals of a short form that is linked where no paper defines it:
# two-letter forms such as "MM" or "RL" mean different things in other fields.
MIN_UNDEFINED_SHORT_FORM_CAPITALS = 3

# End of a sentence for the evidence of an undefined short form: ".", "!" or "?" and a space.
_SENTENCE_END = re.compile(r"[.!?](?=\s|$)")


def _whole_word_mentions(text: str, form: str, field: Field) -> list[Mention]:
    """Return the mentions of `form` in `text` that are whole words, not part of "ZQPO-style"."""
    mentions = []
    for match in re.finditer(rf"(?<![\w-]){re.escape(form)}(?![\w-])", text):
        # NOTE: a full stop and a space end a sentence here, which is coarser than
        # the pipeline's sentencizer ("e.g. RLHF" starts a new sentence after "e.g.").
        before = [end.end() for end in _SENTENCE_END.finditer(text, 0, match.start())]
        start = before[-1] if before else 0
        after = _SENTENCE_END.search(text, match.end())
        end = after.end() if after else len(text)
        mentions.append(Mention(form, match.start(), match.end(), field, text[start:end].strip()))
    return mentions


# A maximal run of the characters that `_whole_word_mentions` treats as part of a word.
_WORD_RUN = re.compile(r"[\w-]+")


def _papers_with_forms(forms: set[str], texts: list[tuple[str, ...]]) -> dict[str, set[int]]:
    """Return, for each form, the indices of the texts that may contain it as a whole word.

    A form made only of word characters and hyphens matches exactly where a
    maximal run of such characters equals it, so a dictionary lookup per run
    finds it. Other forms ("GPT-4.5") are found by substring search, which
    can report a text without a whole-word match; `_whole_word_mentions`
    decides.
    """
    word_forms = {form for form in forms if _WORD_RUN.fullmatch(form)}
    other_forms = sorted(forms - word_forms)
    found: dict[str, set[int]] = defaultdict(set)
    for index, fields in enumerate(texts):
        for text in fields:
            for run in _WORD_RUN.findall(text):
                if run in word_forms:
                    found[run].add(index)
            for form in other_forms:
                if form in text:
                    found[form].add(index)
    return found


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

    The file is written element by element (`_GraphMLStream`), with the
    bytes that ``networkx.write_graphml`` writes for the same graph, but
    without its in-memory XML tree, which took 460 MB for a graph of 10,000
    real abstracts.
    The file is written to a temporary name and renamed, so a failure never
    leaves a partial file.
    """
    with atomic_write(path, "wb") as handle:
        _GraphMLStream(graph).write(handle)


# GraphML attribute type of each Python type, as NetworkX 3.6's GraphMLWriter
# names them (`GraphML.construct_types`: the last entry for a type wins).
_GRAPHML_TYPES: dict[type, str] = {str: "string", int: "long", float: "double", bool: "boolean"}
_GRAPHML_NAMESPACES = (
    ("xmlns", "http://graphml.graphdrawing.org/xmlns"),
    ("xmlns:xsi", "http://www.w3.org/2001/XMLSchema-instance"),
    (
        "xsi:schemaLocation",
        "http://graphml.graphdrawing.org/xmlns http://graphml.graphdrawing.org/xmlns/1.0/graphml.xsd",
    ),
)


def _escape_text(text: str) -> str:
    # The escaping of xml.etree.ElementTree for element text.
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _escape_attribute(text: str) -> str:
    # The escaping of xml.etree.ElementTree (Python 3.11) for attribute values.
    text = _escape_text(text).replace('"', "&quot;")
    return text.replace("\r", "&#13;").replace("\n", "&#10;").replace("\t", "&#09;")


class _GraphMLStream:
    """Write a kg graph as pretty-printed GraphML, one node or edge at a time.

    The output equals ``networkx.write_graphml(_graphml_ready(graph), handle,
    edge_id_from_attribute="edge_id")`` byte for byte (NetworkX 3.6,
    ElementTree writer), so readers see no difference; a test compares the
    two. A first pass over the attributes numbers the GraphML keys in the
    order of first use, nodes before edges, as NetworkX does. The file lists
    them in reverse, because NetworkX inserts each new key first.
    """

    def __init__(self, graph: nx.MultiDiGraph) -> None:
        self.graph = graph
        self.keys: dict[tuple[str, str, str], str] = {}

    def _key(self, name: str, value: Any, scope: str) -> str:
        return self._key_of_type(name, type(value), scope)

    def _key_of_type(self, name: str, value_type: type, scope: str) -> str:
        attribute_type = _GRAPHML_TYPES.get(value_type)
        if attribute_type is None:
            raise nx.NetworkXError(f"GraphML writer does not support {value_type} as data values.")
        entry = (name, attribute_type, scope)
        key = self.keys.get(entry)
        if key is None:
            key = self.keys[entry] = f"d{len(self.keys)}"
        return key

    def _number_keys(self, data: Any, scope: str) -> None:
        """Number the keys of one node's or edge's attributes, from the types that `_encode` gives them."""
        for name, value in data.items():
            # `_encode` turns lists, tuples, dicts, list attributes and None into str.
            if name in LIST_ATTRIBUTES or value is None or isinstance(value, (list, tuple, dict)):
                self._key_of_type(str(name), str, scope)
            else:
                self._key_of_type(str(name), type(value), scope)

    def _node_data(self) -> Iterator[tuple[str, list[tuple[str, Any]]]]:
        for node, data in self.graph.nodes(data=True):
            yield str(node), [(str(name), _encode(name, value)) for name, value in data.items()]

    def _edge_data(self) -> Iterator[tuple[str, str, str, list[tuple[str, Any]]]]:
        for index, (source, target, _, data) in enumerate(self.graph.edges(keys=True, data=True)):
            attributes = [(str(name), _encode(name, value)) for name, value in data.items()]
            attributes.append((_EDGE_ID, f"e{index}"))
            yield str(source), str(target), f"e{index}", attributes

    def _data_lines(self, attributes: list[tuple[str, Any]], scope: str) -> list[str]:
        lines = []
        for name, value in attributes:
            key, text = self._key(name, value, scope), str(value)
            # ElementTree closes an element without text as "<data ... />".
            lines.append(f'      <data key="{key}">{_escape_text(text)}</data>\n' if text else f'      <data key="{key}" />\n')
        return lines

    def write(self, handle: Any) -> None:
        # Graph-level attributes are not written, as `_graphml_ready` never copied them.
        for _, data in self.graph.nodes(data=True):
            self._number_keys(data, "node")
        for *_, data in self.graph.edges(keys=True, data=True):
            self._number_keys(data, "edge")
            # Each edge's id comes after its other attributes (`_edge_data`).
            self._key_of_type(_EDGE_ID, str, "edge")

        namespaces = " ".join(f'{name}="{_escape_attribute(value)}"' for name, value in _GRAPHML_NAMESPACES)
        lines = ["<?xml version='1.0' encoding='utf-8'?>\n", f"<graphml {namespaces}>\n"]
        for (name, attribute_type, scope), key_id in reversed(self.keys.items()):
            lines.append(
                f'  <key id="{key_id}" for="{scope}" attr.name="{_escape_attribute(name)}" attr.type="{attribute_type}" />\n'
            )
        direction = "directed" if self.graph.is_directed() else "undirected"
        graph_open = f'<graph edgedefault="{direction}"'
        handle.write("".join(lines).encode("utf-8"))

        if len(self.graph) == 0:
            handle.write(f"  {graph_open} />\n</graphml>\n".encode())
            return
        elements = [f"  {graph_open}>\n"]
        for node, attributes in self._node_data():
            elements.append(self._element(f'<node id="{_escape_attribute(node)}"', "node", attributes))
            if len(elements) >= _GRAPHML_BATCH:
                handle.write("".join(elements).encode("utf-8"))
                elements = []
        for source, target, edge_id, attributes in self._edge_data():
            opening = f'<edge source="{_escape_attribute(source)}" target="{_escape_attribute(target)}" id="{_escape_attribute(edge_id)}"'
            elements.append(self._element(opening, "edge", attributes))
            if len(elements) >= _GRAPHML_BATCH:
                handle.write("".join(elements).encode("utf-8"))
                elements = []
        elements.append("  </graph>\n</graphml>\n")
        handle.write("".join(elements).encode("utf-8"))

    def _element(self, opening: str, scope: str, attributes: list[tuple[str, Any]]) -> str:
        if not attributes:
            return f"    {opening} />\n"
        return f"    {opening}>\n" + "".join(self._data_lines(attributes, scope)) + "    </" + scope + ">\n"


# Nodes or edges joined into one write: fewer system calls, little memory.
_GRAPHML_BATCH = 1000


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
