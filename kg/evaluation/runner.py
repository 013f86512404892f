"""Run kg's extraction over annotated data and score it.

`evaluate_documents` runs the pipeline on span-level corpora (SciERC, CoNLL,
SciREX) and scores spans and paper-level names. `evaluate_gold` runs the full
extraction on a paper file (for example the bundled Daily Papers page) and
scores it against kg's gold format.
"""

from __future__ import annotations

import itertools
import logging
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from spacy.language import Language

from kg.errors import ConfigError, InputError
from kg.evaluation.corpora import Document, GoldPaper, read_documents, read_gold
from kg.evaluation.mappings import DEFAULT_MAPPINGS, LabelMapping, parse_overrides
from kg.evaluation.scoring import Counts, MatchMode, item_keys, micro_total, score_items, score_spans
from kg.extract import extract
from kg.model import EntityType, ExtractedEntity, Field, Paper, PaperExtraction
from kg.resolve import entity_key

__all__ = ["EvaluationResult", "ScoreTable", "evaluate_documents", "evaluate_gold", "run_evaluation"]

logger = logging.getLogger(__name__)

MICRO = "micro"
ANY_TYPE = "any type"

# Characters stripped from the end of a URL before links are compared: a
# sentence or a bracket often ends right after a URL.
_URL_TRAILING = ".,;:!?)]}>'\""


@dataclass(frozen=True)
class ScoreTable:
    """One block of scores: a name for JSON, a title for the text table, and counts per row."""

    name: str
    title: str
    rows: dict[str, Counts]

    def to_json(self) -> dict[str, Any]:
        return {"title": self.title, "rows": {row: counts.to_json() for row, counts in self.rows.items()}}


@dataclass(frozen=True)
class EvaluationResult:
    """Scores of one `kg eval` run.

    Attributes
    ----------
    corpus : str
        The gold file.
    corpus_format : str
        One of `kg.evaluation.corpora.CORPUS_FORMATS`.
    documents : int
        Documents or papers scored.
    tables : tuple of ScoreTable
    mapping : LabelMapping
        The label mapping used.
    input : str or None
        The paper file that the gold format was compared with.
    errors : dict
        Per evaluation type (and "proposed" for the gold format), the most
        frequent ``"missed"`` gold texts and ``"spurious"`` predicted texts
        as (lower-cased text, count) pairs. Span corpora list the spans that
        differ under exact match.
    """

    corpus: str
    corpus_format: str
    documents: int
    tables: tuple[ScoreTable, ...]
    mapping: LabelMapping
    input: str | None = None
    errors: dict[str, dict[str, list[tuple[str, int]]]] = field(default_factory=dict)

    def table(self, name: str) -> ScoreTable:
        return next(table for table in self.tables if table.name == name)

    def to_json(self) -> dict[str, Any]:
        return {
            "corpus": self.corpus,
            "format": self.corpus_format,
            "input": self.input,
            "documents": self.documents,
            "mapping": self.mapping.to_json(),
            "scores": {table.name: table.to_json() for table in self.tables},
            "errors": {
                entity_type: {kind: [[text, count] for text, count in pairs] for kind, pairs in kinds.items()}
                for entity_type, kinds in self.errors.items()
            },
        }


def _with_micro(rows: dict[str, Counts]) -> dict[str, Counts]:
    return {**rows, MICRO: micro_total(rows)}


def _add(total: dict[str, Counts], scores: dict[str, Counts]) -> None:
    for row, counts in scores.items():
        total[row] = total.get(row, Counts()) + counts


def _entity_item(entity: ExtractedEntity) -> frozenset[str]:
    return item_keys([entity.key, entity.name, *entity.aliases])


def _progress(items: Iterable[Any], *, enabled: bool, total: int, unit: str) -> Iterable[Any]:
    if not enabled:
        return items
    from tqdm import tqdm

    return tqdm(items, total=total, unit=unit, desc="kg eval")


# --- span-level corpora -------------------------------------------------------

# Texts listed per type and kind of error: enough to see the systematic misses.
ERROR_EXAMPLES = 15


class _ErrorTally:
    """Counts of the gold texts that were missed and the predicted texts that are not in the gold, per row."""

    def __init__(self, rows: Sequence[str]) -> None:
        self.missed: dict[str, Counter[str]] = {row: Counter() for row in rows}
        self.spurious: dict[str, Counter[str]] = {row: Counter() for row in rows}

    def add(self, text: str, gold: Sequence[tuple[int, int, str]], predicted: Sequence[tuple[int, int, str]]) -> None:
        """Count the spans of one document that differ under exact match."""
        gold_set, predicted_set = set(gold), set(predicted)
        for start, end, entity_type in gold_set - predicted_set:
            if entity_type in self.missed:
                self.missed[entity_type][text[start:end].lower()] += 1
        for start, end, entity_type in predicted_set - gold_set:
            if entity_type in self.spurious:
                self.spurious[entity_type][text[start:end].lower()] += 1

    def add_items(self, row: str, gold: Sequence[tuple[str, frozenset[str]]], predicted: Sequence[tuple[str, frozenset[str]]]) -> None:
        """Count the (name, keys) items of one paper that share no key with the other side.

        NOTE: this ignores the one-to-one pairing of `score_items`, so an item
        whose only match was paired with another item is not listed.
        """
        for name, keys in gold:
            if all(keys.isdisjoint(other) for _, other in predicted):
                self.missed[row][name.lower()] += 1
        for name, keys in predicted:
            if all(keys.isdisjoint(other) for _, other in gold):
                self.spurious[row][name.lower()] += 1

    def most_common(self) -> dict[str, dict[str, list[tuple[str, int]]]]:
        return {
            entity_type: {
                "missed": _most_common(self.missed[entity_type]),
                "spurious": _most_common(self.spurious[entity_type]),
            }
            for entity_type in self.missed
        }


def _most_common(counts: Counter[str]) -> list[tuple[str, int]]:
    """Return the `ERROR_EXAMPLES` most frequent texts, ties in text order.

    `Counter.most_common` keeps ties in insertion order, which follows set
    iteration and so changes with the string hash seed from run to run.
    """
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:ERROR_EXAMPLES]


def _predicted_spans(extraction: PaperExtraction, mapping: LabelMapping) -> Iterator[tuple[int, int, str]]:
    """Yield (start, end, evaluation type) of every abstract mention, because title mentions have no gold."""
    for entity in extraction.entities:
        entity_type = mapping.predicted_type(str(entity.type))
        if entity_type is None:
            continue
        for mention in entity.mentions:
            if mention.field == Field.ABSTRACT:
                yield mention.start, mention.end, entity_type


def _paper_items(
    gold_labels: Iterable[tuple[str, str]], extraction: PaperExtraction, mapping: LabelMapping, types: Sequence[str]
) -> dict[str, Counts]:
    gold: dict[str, dict[frozenset[str], None]] = {entity_type: {} for entity_type in types}
    for label, name in gold_labels:
        entity_type = mapping.gold_type(label)
        if entity_type in gold:
            gold[entity_type].setdefault(item_keys([name]), None)
    predicted: dict[str, list[frozenset[str]]] = {entity_type: [] for entity_type in types}
    for entity in extraction.entities:
        entity_type = mapping.predicted_type(str(entity.type))
        if entity_type in predicted:
            predicted[entity_type].append(_entity_item(entity))
    return {entity_type: score_items(list(gold[entity_type]), predicted[entity_type]) for entity_type in types}


def evaluate_documents(
    documents: Sequence[Document],
    nlp: Language,
    *,
    mapping: LabelMapping,
    corpus: str,
    corpus_format: str,
    modes: Sequence[MatchMode] = ("exact", "partial"),
    batch_size: int = 64,
    progress: bool = False,
) -> EvaluationResult:
    """Extract entities from each document and score them against its gold spans and labels.

    Parameters
    ----------
    documents : sequence of Document
        From `kg.evaluation.corpora.read_documents`.
    nlp : Language
        A pipeline from `kg.nlp.pipeline.create_pipeline`.
    mapping : LabelMapping
        Corpus labels and kg types to evaluation types.
    corpus, corpus_format : str
        The file and its format, for the report.
    modes : sequence of {"exact", "partial"}
        Span match modes to report.
    batch_size : int
        Documents per `nlp.pipe` batch.
    progress : bool
        Show a progress bar on standard error.

    Returns
    -------
    EvaluationResult
        A table per span match mode and one of paper-level names.

    Raises
    ------
    ConfigError
        If a corpus label has no mapping.
    """
    span_labels = {span.label for document in documents for span in document.spans}
    paper_labels = {label for document in documents for label, _ in document.labels}
    mapping.check_labels(span_labels | paper_labels)
    types = mapping.scored_types(span_labels | paper_labels)
    logger.info("Scoring %d documents of %s for types %s", len(documents), corpus, ", ".join(types))

    span_totals: dict[str, dict[str, Counts]] = {mode: {} for mode in modes}
    errors = _ErrorTally(types)
    paper_total: dict[str, Counts] = {}
    papers = (Paper(id=document.id, title=document.title, abstract=document.text, source=document.source, record=document.record) for document in documents)
    extractions = extract(papers, nlp, batch_size=batch_size)
    for document, extraction in zip(documents, _progress(extractions, enabled=progress, total=len(documents), unit="doc")):
        gold_spans = []
        for span in document.spans:
            entity_type = mapping.gold_type(span.label)
            if entity_type is not None:
                gold_spans.append((span.start, span.end, entity_type))
        predicted_spans = list(_predicted_spans(extraction, mapping))
        for mode in modes:
            _add(span_totals[mode], score_spans(gold_spans, predicted_spans, mode=mode, types=types))
        _add(paper_total, _paper_items(document.labels, extraction, mapping, types))
        errors.add(document.text, gold_spans, predicted_spans)

    empty = {entity_type: Counts() for entity_type in types}
    tables = [
        ScoreTable(mode, f"Spans, {'exact' if mode == 'exact' else 'partial (overlap)'} match", _with_micro({**empty, **span_totals[mode]}))
        for mode in modes
    ]
    paper_title = (
        "Salient entities per paper, matched by name"
        if corpus_format == "scirex"
        else "Distinct names per document, matched by name"
    )
    tables.append(ScoreTable("paper", paper_title, _with_micro({**empty, **paper_total})))
    return EvaluationResult(
        corpus=corpus,
        corpus_format=corpus_format,
        documents=len(documents),
        tables=tuple(tables),
        mapping=mapping,
        errors=errors.most_common(),
    )


# --- kg gold format -------------------------------------------------------------


def _strip_url(url: str) -> str:
    return url.strip().rstrip(_URL_TRAILING)


def _match_gold(gold_papers: Sequence[GoldPaper], extractions: Sequence[PaperExtraction], input_path: str) -> list[tuple[GoldPaper, PaperExtraction]]:
    by_id = {extraction.paper.id: extraction for extraction in extractions}
    by_title = {extraction.paper.title: extraction for extraction in extractions}
    pairs = []
    for gold in gold_papers:
        extraction = by_id.get(gold.id) or by_title.get(gold.title)
        if extraction is None:
            raise InputError(
                gold.source,
                f"paper {gold.id!r} ({gold.title[:60]!r}) is not in {input_path}; "
                "check that --input is the file the gold file was written for",
                record=gold.record,
            )
        if extraction.paper.id != gold.id:
            logger.warning("%s, record %d: paper id %r matched by title to %r", gold.source, gold.record, gold.id, extraction.paper.id)
        pairs.append((gold, extraction))
    unmatched = len(extractions) - len(pairs)
    if unmatched > 0:
        logger.info("%d papers of %s have no gold record and are not scored", unmatched, input_path)
    return pairs


def evaluate_gold(
    gold_papers: Sequence[GoldPaper],
    papers: Iterable[Paper],
    nlp: Language,
    *,
    mapping: LabelMapping,
    corpus: str,
    input_path: str,
    batch_size: int = 64,
    progress: bool = False,
) -> EvaluationResult:
    """Extract the papers and score them against kg's gold format, micro-averaged over papers.

    Entities are compared per type and with the type ignored ("any type").
    Proposed artifacts, links (trailing punctuation stripped) and
    abbreviations (short and long form, by `kg.resolve.entity_key`) get a
    row each. An extracted entity matches a gold item when any of its name,
    key or aliases has the key of one of the item's names.

    Raises
    ------
    InputError
        If a gold paper is not among `papers` (by id, then by exact title).
    """
    paper_list = list(papers)
    extractions = list(_progress(extract(paper_list, nlp, batch_size=batch_size), enabled=progress, total=len(paper_list), unit="paper"))
    pairs = _match_gold(gold_papers, extractions, input_path)
    types = mapping.scored_types(mapping.gold)

    entity_rows: dict[str, Counts] = {entity_type: Counts() for entity_type in types}
    any_type = Counts()
    artifact_rows = {"proposed": Counts(), "links": Counts(), "abbreviations": Counts()}
    errors = _ErrorTally([*types, "proposed"])
    for gold, extraction in pairs:
        # Items as (display name, keys): the name is for the error listing.
        gold_by_type: dict[str, list[tuple[str, frozenset[str]]]] = {entity_type: [] for entity_type in types}
        for label, items in gold.entities.items():
            entity_type = mapping.gold_type(label)
            if entity_type is not None:
                gold_by_type[entity_type].extend((item[0], item_keys(item)) for item in items)
        predicted_by_type: dict[str, list[tuple[str, frozenset[str]]]] = {entity_type: [] for entity_type in types}
        for entity in extraction.entities:
            entity_type = mapping.predicted_type(str(entity.type))
            if entity_type in predicted_by_type:
                predicted_by_type[entity_type].append((entity.name, _entity_item(entity)))
        for entity_type in types:
            gold_items, predicted_items = gold_by_type[entity_type], predicted_by_type[entity_type]
            entity_rows[entity_type] += score_items([keys for _, keys in gold_items], [keys for _, keys in predicted_items])
            errors.add_items(entity_type, gold_items, predicted_items)
        any_type += score_items(
            [keys for items in gold_by_type.values() for _, keys in items],
            [keys for items in predicted_by_type.values() for _, keys in items],
        )

        gold_proposed = [(item[0], item_keys(item)) for item in gold.proposed]
        predicted_proposed = [(entity.name, _entity_item(entity)) for entity in extraction.entities if entity.proposed]
        artifact_rows["proposed"] += score_items([keys for _, keys in gold_proposed], [keys for _, keys in predicted_proposed])
        errors.add_items("proposed", gold_proposed, predicted_proposed)
        artifact_rows["links"] += score_items(
            [frozenset({_strip_url(url)}) for url in set(gold.links)],
            [frozenset({_strip_url(link.url)}) for link in {link.url: link for link in extraction.links}.values()],
        )
        artifact_rows["abbreviations"] += _score_pairs(gold.abbreviations, extraction)

    tables = (
        ScoreTable("entities", "Entities per paper, matched by name", {**_with_micro(entity_rows), ANY_TYPE: any_type}),
        ScoreTable("artifacts", "Proposed artifacts, links and abbreviations per paper", artifact_rows),
    )
    return EvaluationResult(
        corpus=corpus,
        corpus_format="gold",
        documents=len(pairs),
        tables=tables,
        mapping=mapping,
        input=input_path,
        errors=errors.most_common(),
    )


def _score_pairs(gold: Sequence[tuple[str, str]], extraction: PaperExtraction) -> Counts:
    """Score abbreviations as (short key, long key) pairs, so both forms must match."""
    gold_pairs = {(entity_key(short), entity_key(long)) for short, long in gold}
    predicted_pairs = {(entity_key(item.short), entity_key(item.long)) for item in extraction.abbreviations}
    tp = len(gold_pairs & predicted_pairs)
    return Counts(tp=tp, fp=len(predicted_pairs) - tp, fn=len(gold_pairs) - tp)


# --- one call for the command line -----------------------------------------------


def run_evaluation(
    gold_path: str | Path,
    *,
    corpus_format: str,
    input_path: str | Path | None = None,
    modes: Sequence[MatchMode] = ("exact", "partial"),
    gold_map: Sequence[str] = (),
    predicted_map: Sequence[str] = (),
    limit: int | None = None,
    encoding: str | None = None,
    model: str | None = None,
    vocabulary_paths: Sequence[str | Path] = (),
    progress: bool = False,
) -> EvaluationResult:
    """Read a gold file, build the pipeline, extract and score: what `kg eval` does.

    Parameters
    ----------
    gold_path : path
        The annotated file.
    corpus_format : {"gold", "scierc", "conll", "scirex"}
    input_path : path, optional
        The papers a gold-format file describes (required for "gold").
    modes : sequence of {"exact", "partial"}
        Span match modes (span corpora only).
    gold_map, predicted_map : sequence of str
        ``LABEL=TYPE`` overrides of the default mapping for corpus labels and
        for kg's types (see `kg.evaluation.mappings.parse_overrides`).
    limit : int, optional
        Score only the first `limit` documents or gold papers.
    encoding : str, optional
        Encoding of a CoNLL file.
    model, vocabulary_paths
        As for `kg.nlp.pipeline.create_pipeline`.
    progress : bool
        Show a progress bar on standard error.

    Raises
    ------
    InputError
        For an unreadable gold or input file.
    ConfigError
        For an invalid override, a label without a mapping or an unknown model.
    """
    from kg.nlp.pipeline import create_pipeline
    from kg.sources import read_papers

    mapping = DEFAULT_MAPPINGS[corpus_format]
    our_types = [str(entity_type) for entity_type in EntityType]
    mapping = mapping.with_overrides(
        gold=parse_overrides(gold_map, option="--map", sources=our_types if corpus_format == "gold" else None),
        predicted=parse_overrides(predicted_map, option="--map-predicted", sources=our_types),
    )
    nlp = create_pipeline(model, vocabulary_paths=vocabulary_paths)

    if corpus_format == "gold":
        if input_path is None:
            raise ConfigError("the gold format needs the papers it describes: pass --input")
        gold_papers = list(itertools.islice(read_gold(gold_path), limit))
        return evaluate_gold(
            gold_papers, read_papers(input_path), nlp, mapping=mapping, corpus=str(gold_path), input_path=str(input_path), progress=progress
        )
    documents = list(itertools.islice(read_documents(gold_path, corpus_format, encoding=encoding), limit))
    return evaluate_documents(
        documents, nlp, mapping=mapping, corpus=str(gold_path), corpus_format=corpus_format, modes=modes, progress=progress
    )
