"""Run the spaCy pipeline over papers and turn each Doc into a `PaperExtraction`.

A paper becomes one Doc whose text is the title, `TITLE_SEPARATOR`, then the
abstract. Components report character offsets into that text; this module
maps them back to offsets in the `title` or `abstract` field, groups mentions
of the same entity, and applies the abbreviations the paper defines, so that
"group relative policy optimization (GRPO)" and a later "GRPO" are one entity.
Mentions that matched one vocabulary entry (``span.kb_id_``, see
`kg.nlp.entities`) are one entity named by the entry's canonical name.
"""

from __future__ import annotations

import bisect
import json
import logging
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import replace
from operator import attrgetter
from typing import NamedTuple

from spacy.language import Language
from spacy.tokens import Doc

from kg.errors import InputError
from kg.model import (
    Abbreviation,
    EntityType,
    ExtractedEntity,
    Field,
    Link,
    LinkKind,
    Mention,
    Paper,
    PaperExtraction,
    Relation,
    RelationType,
    Result,
    majority_type,
)
from kg.nlp.extensions import (
    ABBREVIATIONS,
    ENTITIES_KEY,
    LINKS,
    PAPER_ID,
    PROPOSED_KEY,
    RELATIONS,
    RESULTS,
    TITLE_END,
    register_extensions,
)
from kg.nlp.links import link_kind
from kg.nlp.relations import CONCEPT_TYPES
from kg.nlp.tokens import token_table
from kg.resolve import entity_key, is_title_name_of, preferred_name

__all__ = [
    "TITLE_SEPARATOR",
    "doc_to_extraction",
    "extract",
    "extract_with_lines",
    "extraction_line",
    "make_doc",
]

logger = logging.getLogger(__name__)

# Two newlines: the sentencizer never joins a title to the first sentence of
# the abstract across them, and kg_title_boundary marks the break explicitly.
TITLE_SEPARATOR = "\n\n"

DEFAULT_BATCH_SIZE = 64

_SURROGATE = re.compile("[\ud800-\udfff]")



def make_doc(nlp: Language, paper: Paper) -> Doc:
    """Tokenise a paper into the Doc that kg's components expect."""
    register_extensions()
    text = paper.title
    if paper.has_abstract:
        text = f"{paper.title}{TITLE_SEPARATOR}{paper.abstract}"
    if len(text) > nlp.max_length:
        raise InputError(
            paper.source,
            f"paper {paper.id!r} has {len(text):,} characters of title and abstract, more than the "
            f"pipeline's limit of {nlp.max_length:,}; is the abstract a whole paper?",
            record=paper.record,
        )
    surrogate = _SURROGATE.search(text)
    if surrogate is not None:
        # spaCy's string store cannot encode them; kg's readers replace them with U+FFFD.
        raise InputError(
            paper.source,
            f"paper {paper.id!r} contains the lone surrogate U+{ord(surrogate.group()):04X}, which is not valid "
            "Unicode text; read the paper with kg.sources, or replace it with U+FFFD",
            record=paper.record,
        )
    doc = nlp.make_doc(text)
    doc._.set(PAPER_ID, paper.id)
    doc._.set(TITLE_END, len(paper.title))
    return doc


def extract(
    papers: Iterable[Paper],
    nlp: Language,
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    n_process: int = 1,
) -> Iterator[PaperExtraction]:
    """Extract entities, links, abbreviations and relations from each paper.

    Papers stream through `nlp.pipe` in batches; the result for each paper is
    yielded in input order as soon as its batch is done.

    Parameters
    ----------
    papers : iterable of Paper
    nlp : Language
        A pipeline from `kg.nlp.create_pipeline`.
    batch_size : int
        Papers per `nlp.pipe` batch.
    n_process : int
        Worker processes (1 runs in this process); see `kg.parallel`.

    Yields
    ------
    PaperExtraction
    """
    if n_process > 1:
        from kg.parallel import extract_in_processes

        yield from extract_in_processes(papers, nlp, batch_size=batch_size, n_process=n_process)
        return

    pairs = ((make_doc(nlp, paper), paper) for paper in papers)
    for doc, paper in nlp.pipe(pairs, as_tuples=True, batch_size=batch_size, n_process=n_process):
        yield doc_to_extraction(doc, paper)


def extraction_line(extraction: PaperExtraction) -> str:
    """Serialize a record as its line of ``extractions.jsonl``, newline included."""
    return json.dumps(extraction.to_json(), ensure_ascii=False) + "\n"


def extract_with_lines(
    papers: Iterable[Paper],
    nlp: Language,
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    n_process: int = 1,
) -> Iterator[tuple[PaperExtraction, str]]:
    """Extract each paper as `extract` does, and yield it with its `extraction_line`.

    With `n_process` > 1 the worker processes serialize the records, so the
    consuming process only writes the lines.

    Yields
    ------
    (PaperExtraction, str)
        In input order.
    """
    if n_process > 1:
        from kg.parallel import extract_lines_in_processes

        yield from extract_lines_in_processes(papers, nlp, batch_size=batch_size, n_process=n_process)
        return

    for extraction in extract(papers, nlp, batch_size=batch_size):
        yield extraction, extraction_line(extraction)


class _FieldMap:
    """Maps offsets in the Doc text back to (field, offset) of the paper."""

    def __init__(self, doc: Doc, paper: Paper) -> None:
        self.doc = doc
        tokens = token_table(doc)
        # doc.text joins every token on each call, so it is read once here.
        self.text = tokens.text
        self.title_end = len(paper.title)
        self.abstract_start = self.title_end + len(TITLE_SEPARATOR)
        # Sentence start and end characters, computed once: `Span.sent` walks
        # the whole Doc on every call when sentences come from the sentencizer.
        self.sentence_starts: list[int] = []
        self.sentence_ends: list[int] = []
        if tokens.has_sentences:
            for start, end in tokens.sentences():
                self.sentence_starts.append(tokens.starts[start])
                self.sentence_ends.append(tokens.ends[end - 1])

    def mention(self, start: int, end: int) -> Mention:
        if end <= self.title_end:
            field, offset = Field.TITLE, 0
        else:
            field, offset = Field.ABSTRACT, self.abstract_start
        return Mention(
            text=self.text[start:end],
            start=start - offset,
            end=end - offset,
            field=field,
            sentence=self.sentence(start, end),
        )

    def sentence(self, start: int, end: int) -> str:
        """Return the text of the sentence that contains character `start`."""
        index = bisect.bisect_right(self.sentence_starts, start) - 1
        if index < 0:
            return ""
        # A span that crosses a sentence boundary keeps the sentences it covers.
        last = max(index, bisect.bisect_left(self.sentence_ends, end))
        last = min(last, len(self.sentence_ends) - 1)
        return self.text[self.sentence_starts[index]:self.sentence_ends[last]].strip()


def doc_to_extraction(doc: Doc, paper: Paper) -> PaperExtraction:
    """Build the `PaperExtraction` of one paper from its processed Doc."""
    fields = _FieldMap(doc, paper)

    links = tuple(
        Link(url=link["url"], kind=LinkKind(link["kind"]), mention=fields.mention(link["start"], link["end"]))
        for link in doc._.get(LINKS) or ()
    )
    # Links of structured fields (githubRepo, projectPage) that the text does not repeat.
    seen = {link.url.rstrip("/").casefold() for link in links}
    for url in paper.links:
        if url.rstrip("/").casefold() not in seen:
            seen.add(url.rstrip("/").casefold())
            links += (Link(url=url, kind=link_kind(url), mention=Mention(url, 0, len(url), Field.METADATA)),)

    abbreviations: list[Abbreviation] = []
    long_form_of: dict[str, str] = {}
    for item in doc._.get(ABBREVIATIONS) or ():
        short, long = item["short"], item["long"]
        abbreviations.append(
            Abbreviation(short=short, long=long, mention=fields.mention(item["short_start"], item["short_end"]))
        )
        # The first definition of a short form in a paper wins.
        long_form_of.setdefault(entity_key(short), long)

    entities, key_of_span = _group_entities(doc, fields, long_form_of)
    relations = _relations(doc, fields, key_of_span)
    entities = _type_by_concepts(entities, relations)
    return PaperExtraction(
        paper=paper,
        entities=entities,
        links=links,
        abbreviations=tuple(abbreviations),
        relations=relations,
        results=_results(doc, fields, key_of_span),
    )


class _EntitySpan(NamedTuple):
    """An entity span's offsets, text, label and kb_id, read once, because each `Span` attribute is a call into spaCy."""

    start_char: int
    end_char: int
    text: str
    label: str
    kb_id: str


def _entity_spans(doc: Doc, fields: _FieldMap) -> list[_EntitySpan]:
    """Return the spans of ``doc.spans[ENTITIES_KEY]`` in text order."""
    if ENTITIES_KEY not in doc.spans:
        return []
    tokens = token_table(doc, refresh_sentences=False)
    spans = []
    for span in doc.spans[ENTITIES_KEY]:
        # The Doc text from the token lists: Span.text joins the span's tokens on every call.
        start_char, end_char = tokens.starts[span.start], tokens.ends[span.end - 1]
        spans.append(_EntitySpan(start_char, end_char, fields.text[start_char:end_char], span.label_, span.kb_id_))
    spans.sort(key=_START_CHAR_OF)
    return spans


_START_CHAR_OF = attrgetter("start_char")


def _group_entities(
    doc: Doc, fields: _FieldMap, long_form_of: dict[str, str]
) -> tuple[tuple[ExtractedEntity, ...], dict[tuple[int, int], str]]:
    """Group the entity spans of a Doc into entities, one per key.

    A span's key and the entity's name come from the first rule that applies:

    1. The span is a short form that the paper defines: it joins the entity
       of the definition's long form. That entity is the long form's
       vocabulary entry (its canonical name) when the long form matched the
       vocabulary, else the long form as written. The definition wins over a
       vocabulary entry that lists the short form, because a paper that
       writes "reinforcement fine-tuning (RFT)" means its own RFT.
    2. The span has a kb_id (it matched the vocabulary): the entry's canonical
       name. When that name is itself a short form the paper defines, rule 1
       applies to it.
    3. Otherwise: `entity_key` of the span text, named by `preferred_name`.

    So with an entry "GRPO" listing "group relative policy optimization" as an
    alias, "group relative policy optimization (GRPO)" and later "GRPO" are one
    entity named "GRPO"; with the entry the other way round, one entity named
    "group relative policy optimization". Surface forms other than the name
    become aliases.

    Returns the entities and a map from span character offsets to entity key.
    """
    spans = _entity_spans(doc, fields)
    proposed = {(span.start_char, span.end_char) for span in doc.spans.get(PROPOSED_KEY, [])}
    definitions = _definition_targets(spans, long_form_of)

    groups: dict[str, list[_EntitySpan]] = defaultdict(list)
    fixed_name: dict[str, str] = {}
    key_of_span: dict[tuple[int, int], str] = {}
    for span in spans:
        key, name = _span_identity(span, definitions)
        if name:
            fixed_name.setdefault(key, name)
        groups[key].append(span)
        key_of_span[(span.start_char, span.end_char)] = key

    for title_key, key in _title_name_targets(groups, proposed, fields.title_end).items():
        groups[key].extend(groups.pop(title_key))
        groups[key].sort(key=lambda span: span.start_char)
        for span_offsets, span_key in key_of_span.items():
            if span_key == title_key:
                key_of_span[span_offsets] = key

    entities: list[ExtractedEntity] = []
    for key, group in groups.items():
        surface = Counter(span.text for span in group)
        name = fixed_name.get(key) or preferred_name(surface)
        # Several labels for one entity in a paper: the most frequent wins.
        entity_type = majority_type(Counter(span.label for span in group))
        entities.append(
            ExtractedEntity(
                name=name,
                key=key,
                type=entity_type,
                proposed=any((span.start_char, span.end_char) in proposed for span in group),
                mentions=tuple(fields.mention(span.start_char, span.end_char) for span in group),
                aliases=tuple(sorted(set(surface) - {name})),
            )
        )
    return tuple(entities), key_of_span


def _definition_targets(spans: list[_EntitySpan], long_form_of: dict[str, str]) -> dict[str, tuple[str, str]]:
    """Map the key of each short form the paper defines to the (key, name) of its long form's entity."""
    canonical_of: dict[str, str] = {}
    for span in spans:
        if span.kb_id:
            canonical_of.setdefault(entity_key(span.text), span.kb_id)
    targets: dict[str, tuple[str, str]] = {}
    for short_key, long in long_form_of.items():
        name = canonical_of.get(entity_key(long)) or long
        targets[short_key] = (entity_key(name), name)
    return targets


def _span_identity(span: _EntitySpan, definitions: dict[str, tuple[str, str]]) -> tuple[str, str]:
    """Return (key, name) of the entity a span belongs to; name is "" when the surface forms decide it."""
    surface_key = entity_key(span.text)
    if surface_key in definitions:
        return definitions[surface_key]
    if span.kb_id:
        kb_key = entity_key(span.kb_id)
        return definitions.get(kb_key, (kb_key, span.kb_id))
    return surface_key, ""


def _title_name_targets(groups: dict[str, list[_EntitySpan]], proposed: set[tuple[int, int]], title_end: int) -> dict[str, str]:
    """Map a proposed name seen only in the title to the abstract's shorter name for it.

    Titles often write a longer name than the abstract ("RL Tango: ..." for
    the "Tango" of the abstract, "Latent Reward: ..." for "LaRe"). A name
    that only the title proposes joins a name that the abstract proposes
    when `kg.resolve.is_title_name_of` holds for exactly one such name. The
    abstract may repeat the title's name without proposing it ("the latent
    reward"). Prefixes are not
    joined, because "Sotopia-RL" is built on the "Sotopia" environment and is
    not the same thing.
    """
    def is_proposed(group: list[_EntitySpan]) -> bool:
        return any((span.start_char, span.end_char) in proposed for span in group)

    def proposed_spans(group: list[_EntitySpan]) -> list[_EntitySpan]:
        return [span for span in group if (span.start_char, span.end_char) in proposed]

    title_only = [
        key
        for key, group in groups.items()
        if is_proposed(group) and all(span.end_char <= title_end for span in proposed_spans(group))
    ]
    abstract_names = [
        key for key, group in groups.items() if any(span.start_char > title_end for span in proposed_spans(group))
    ]
    targets = {}
    for title_key in title_only:
        title_name = groups[title_key][0].text
        matches = [
            key
            for key in abstract_names
            if key != title_key
            and (title_key.endswith(" " + key) or is_title_name_of(title_name, groups[key][0].text))
        ]
        if len(matches) == 1:
            targets[title_key] = matches[0]
    return targets


def _relations(doc: Doc, fields: _FieldMap, key_of_span: dict[tuple[int, int], str]) -> tuple[Relation, ...]:
    """Map the relation dicts of a Doc to `Relation` records; the first evidence of a triple wins."""
    relations: list[Relation] = []
    seen: set[tuple[str, str, str]] = set()
    for item in doc._.get(RELATIONS) or ():
        subject = ""
        if item["subject_start"] >= 0:
            subject = key_of_span.get((item["subject_start"], item["subject_end"]), "")
            if not subject:
                continue
        relation_type = RelationType(item["type"])
        if relation_type == RelationType.IS_A:
            target = item.get("concept") or None
        else:
            target = key_of_span.get((item["object_start"], item["object_end"]))
        if target is None:
            logger.debug("Relation object is not an entity span in paper %s: %r", doc._.get(PAPER_ID), item)
            continue
        if target == subject or (relation_type, subject, target) in seen:
            continue
        seen.add((relation_type, subject, target))
        start = item.get("evidence_start", item["object_start"])
        end = item.get("evidence_end", item["object_end"])
        relations.append(Relation(type=relation_type, subject=subject, object=target, evidence=fields.mention(start, end)))
    return tuple(relations)


def _type_by_concepts(entities: tuple[ExtractedEntity, ...], relations: tuple[Relation, ...]) -> tuple[ExtractedEntity, ...]:
    """Retype entities that an is_a relation describes with a typing head noun.

    Precedence: the concept of the paper's first is_a relation of an entity
    whose key is in `kg.nlp.relations.CONCEPT_TYPES` ("X is a benchmark" ->
    dataset) overrides the majority type of the entity's mentions. Apposition
    cues ("X, a benchmark") have already typed the mentions in
    `kg.nlp.entities`, so this step mostly changes "X is a ..." sentences.
    """
    concept_type: dict[str, EntityType] = {}
    for relation in relations:
        if relation.type == RelationType.IS_A and relation.object in CONCEPT_TYPES:
            concept_type.setdefault(relation.subject, CONCEPT_TYPES[relation.object])
    if not concept_type:
        return entities
    return tuple(
        replace(entity, type=concept_type[entity.key]) if entity.key in concept_type else entity
        for entity in entities
    )


def _results(doc: Doc, fields: _FieldMap, key_of_span: dict[tuple[int, int], str]) -> tuple[Result, ...]:
    """Map the result dicts of a Doc to `Result` records, in text order."""
    def key(item: dict[str, object], name: str) -> str:
        return key_of_span.get((item[f"{name}_start"], item[f"{name}_end"]), "")

    results = []
    for item in doc._.get(RESULTS) or ():
        results.append(
            Result(
                subject=key(item, "subject"),
                value=item["value"],
                unit=item["unit"],
                spread=item["spread"],
                metric=key(item, "metric"),
                benchmark=key(item, "benchmark"),
                evidence=fields.mention(item["start"], item["end"]),
            )
        )
    return tuple(results)
