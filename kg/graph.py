"""The knowledge graph as a NetworkX `MultiDiGraph`.

One node per paper, per entity, per link, per concept and per result.
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
``link:<url>``, ``concept:<key>`` and ``result:<paper id>:<n>`` (n counts the
paper's results from 1 in text order). Edges are keyed by their relation type,
so at most one edge of each type joins two nodes; it keeps the provenance of
its first occurrence.

Node attributes
---------------
type : str
    "paper", "link", "concept", "result", or an `EntityType` value.
label : str
    Display name: the paper title, the entity name, the URL, the concept
    key, or for a result its value, unit, metric and benchmark
    ("94.1 % accuracy on RewardBench").
paper nodes: paper_id, title, abstract, url, date, authors (list), source, record,
    language (BCP 47 tag or "")
entity nodes: name, key, aliases (list), papers (list of paper ids),
    proposed_by (list of paper ids), merge_reasons (list of dicts
    ``{"form", "reason", "paper"}``, one per alias in alias order; reason
    is a `kg.resolve.MergeReason` value, paper the id of the paper that
    licensed the merge). A family node that no paper mentions has empty
    papers, aliases and merge_reasons.
link nodes: url, kind (a `LinkKind` value), papers (list of paper ids)
concept nodes: name, key (a head noun such as "framework"; see `kg.model.Relation`)
result nodes: value, unit, spread (strings, see `kg.model.Result`), paper
    (paper id), subject, metric, benchmark (entity keys or ""), and the
    evidence attributes field, start, end, text, sentence

Edge attributes
---------------
type : str
    One of `EDGE_TYPES`. Relation edges (`RELATION_EDGE_TYPES`) go from the
    paper, and also from the subject entity when the relation has one.
    `IS_A` goes from an entity to a concept. `HAS_RESULT` goes from the
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
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import networkx as nx

from kg.io import atomic_write
from kg.model import (
    EntityType,
    ExtractedEntity,
    Field,
    LinkKind,
    Mention,
    PaperExtraction,
    Relation,
    RelationType,
    Result,
    majority_type,
)
from kg.resolve import MergeReason, entity_key, is_title_name_of, model_family, preferred_name, variant_key

__all__ = [
    "ADDRESSES",
    "BUILT_ON",
    "COMPARED_WITH",
    "CONCEPT_TYPE",
    "EDGE_TYPES",
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

# Relations between entities (or the paper) and entities, from `kg.model.Relation`.
RELATION_EDGE_TYPES: tuple[str, ...] = (EVALUATED_ON, USES, BUILT_ON, COMPARED_WITH, OUTPERFORMS, ADDRESSES)

EDGE_TYPES: tuple[str, ...] = (
    PROPOSES, MENTIONS, EVALUATED_ON, HAS_CODE, LINKS_TO, USES, BUILT_ON, COMPARED_WITH, OUTPERFORMS,
    ADDRESSES, IS_A, HAS_RESULT, ON_DATASET, HAS_METRIC, VARIANT_OF,
)  # fmt: skip

PAPER_TYPE = "paper"
LINK_TYPE = "link"
CONCEPT_TYPE = "concept"
RESULT_TYPE = "result"

# Unit symbols in result labels ("94.1 % accuracy", "2.5 x faster").
_UNIT_SYMBOLS = {"percent": "%", "points": "points", "x": "x"}

# Attributes that hold lists in memory and JSON arrays in GraphML.
LIST_ATTRIBUTES: frozenset[str] = frozenset({"aliases", "authors", "merge_reasons", "papers", "proposed_by"})



def paper_node_id(paper_id: str) -> str:
    return f"paper:{paper_id}"


def entity_node_id(key: str) -> str:
    return f"entity:{key}"


def link_node_id(url: str) -> str:
    return f"link:{url}"


def concept_node_id(key: str) -> str:
    return f"concept:{key}"


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
            short_key = entity_key(abbreviation.short)
            self._long_forms[short_key].add(long_key)
            self._long_names[long_key][name_of_key.get(long_key, abbreviation.long)] += 1
            self._definer[short_key][long_key] = min(self._definer[short_key].get(long_key, paper.id), paper.id)
            self._short_spellings[short_key].add(abbreviation.short)

        for entity in extraction.entities:
            self._add_entity(paper.id, entity)
            for form, reason in _alias_reasons(extraction, entity).items():
                self._keep_reason(entity.key, form, (reason, paper.id))

        for relation in extraction.relations:
            if relation.type == RelationType.IS_A:
                self._add_is_a(paper.id, relation)
                continue
            target = entity_node_id(relation.object)
            if target not in graph:
                continue
            # The paper evaluates on what its method is evaluated on, so
            # "papers that evaluate on X" needs no second pattern.
            sources = [paper_node] if not relation.subject else [entity_node_id(relation.subject), paper_node]
            for source in sources:
                if source in graph:
                    _add_edge_once(graph, source, target, str(relation.type), paper.id, relation.evidence)

        for number, result in enumerate(extraction.results, start=1):
            self._add_result(paper.id, number, result)

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
        for form in (entity.name, *entity.aliases):
            self._form_papers[key][form] = min(self._form_papers[key].get(form, paper_id), paper_id)
        if node not in self._graph:
            self._graph.add_node(node)
        first = entity.mentions[0] if entity.mentions else Mention(entity.name, 0, 0, Field.TITLE)
        self._first_mention.setdefault(key, (paper_id, first))
        paper_node = paper_node_id(paper_id)
        _add_edge_once(self._graph, paper_node, node, MENTIONS, paper_id, first, count=len(entity.mentions))
        if entity.proposed:
            self._proposed_by[key].add(paper_id)
            _add_edge_once(self._graph, paper_node, node, PROPOSES, paper_id, first)

    def _add_is_a(self, paper_id: str, relation: Relation) -> None:
        """Add the concept node of an is_a relation and the edge from its entity."""
        source, target = entity_node_id(relation.subject), concept_node_id(relation.object)
        if not relation.subject or source not in self._graph:
            return
        if target not in self._graph:
            key = relation.object
            self._graph.add_node(target, type=CONCEPT_TYPE, label=key, name=key, key=key)
        _add_edge_once(self._graph, source, target, IS_A, paper_id, relation.evidence)

    def _add_result(self, paper_id: str, number: int, result: Result) -> None:
        """Add one result node with its edges: from the paper and subject, to its benchmark and metric."""
        graph, node = self._graph, result_node_id(paper_id, number)
        evidence = _evidence(paper_id, result.evidence)
        del evidence["count"]
        graph.add_node(
            node,
            type=RESULT_TYPE,
            label=result_label(result.value, result.unit),
            value=result.value,
            unit=result.unit,
            spread=result.spread,
            subject=result.subject,
            metric=result.metric,
            benchmark=result.benchmark,
            **evidence,
        )
        _add_edge_once(graph, paper_node_id(paper_id), node, HAS_RESULT, paper_id, result.evidence)
        links = ((result.subject, node, HAS_RESULT), (result.benchmark, node, ON_DATASET), (result.metric, node, HAS_METRIC))
        for key, _, relation in links:
            entity = entity_node_id(key)
            if not key or entity not in graph:
                continue
            source, target = (entity, node) if relation == HAS_RESULT else (node, entity)
            _add_edge_once(graph, source, target, relation, paper_id, result.evidence)

    def graph(self) -> nx.MultiDiGraph:
        """Merge variants, add undefined short-form uses, merge short forms, set attributes, link families, return the graph."""
        if not self._finished:
            self._finished = True
            self._merge_variants()
            self._add_short_form_uses()
            self._merge_short_forms()
            self._set_entity_attributes()
            self._link_families()
            self._set_result_attributes()
        return self._graph

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
        graph = self._graph
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
            (data["paper_id"], data) for _, data in self._graph.nodes(data=True) if data.get("type") == PAPER_TYPE
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
                    self._add_entity(paper_id, ExtractedEntity(name=name, key=short, type=entity_type, mentions=tuple(mentions)))

    def _merge_short_forms(self) -> None:
        for short, longs in sorted(self._long_forms.items()):
            resolved = {self._resolve(long) for long in longs}
            if len(resolved) > 1:
                logger.info("Short form %r has %d long forms in the corpus; its uses stay apart", short, len(resolved))
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
            entity_type = str(majority_type(self._types[key]))
            aliases = sorted(self._aliases[key] - {name})
            self._graph.nodes[entity_node_id(key)].update(
                type=entity_type,
                label=name,
                name=name,
                key=key,
                aliases=aliases,
                papers=sorted(self._papers[key]),
                proposed_by=sorted(self._proposed_by[key]),
                merge_reasons=[self._merge_reason(key, name, alias) for alias in aliases],
            )
        for _, data in self._graph.nodes(data=True):
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
        graph = self._graph
        node_of_form: dict[str, str] = {}
        for key in self._names:
            node = entity_node_id(key)
            for form in (graph.nodes[node]["name"], *graph.nodes[node]["aliases"]):
                node_of_form.setdefault(entity_key(form), node)
        for key in sorted(self._names):
            node = entity_node_id(key)
            data = graph.nodes[node]
            if data["type"] != str(EntityType.MODEL):
                continue
            family = model_family(data["name"])
            if not family:
                continue
            family_key = entity_key(family)
            family_node = node_of_form.get(family_key, entity_node_id(family_key))
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
            elif graph.nodes[family_node].get("type") != data["type"]:
                logger.debug("No family link from %s: %s has type %r", node, family_node, graph.nodes[family_node].get("type"))
                continue
            paper_id, mention = self._first_mention[key]
            _add_edge_once(graph, node, family_node, VARIANT_OF, paper_id, mention)


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
        attribute_type = _GRAPHML_TYPES.get(type(value))
        if attribute_type is None:
            raise nx.NetworkXError(f"GraphML writer does not support {type(value)} as data values.")
        return self.keys.setdefault((name, attribute_type, scope), f"d{len(self.keys)}")

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
        for _, attributes in self._node_data():
            for name, value in attributes:
                self._key(name, value, "node")
        for *_, attributes in self._edge_data():
            for name, value in attributes:
                self._key(name, value, "edge")

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
