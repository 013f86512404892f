"""Extraction of `evaluated_on` relations between a paper (or its method) and datasets.

`RelationExtractor` (factory ``kg_relations``) reads the entity spans and the
proposed spans and appends to ``doc._.kg_relations`` one dict per dataset
mention that is in an evaluation context:

- the sentence has an evaluation word ("experiments", "evaluate", "achieves",
  "outperforms", "scores", "leads", "state of the art", ...);
- a preposition ("on", "across", "in", "from", "over") precedes the dataset,
  possibly through a list ("on MATH, AIME 2025, and AMC23");
- the nearest cue word before the dataset is not a training word
  ("trained on ImageNet" is no evaluation).

The subject is the paper itself (offsets -1, -1) unless the clause that contains
the dataset starts with an entity the paper proposes ("Tango achieves 80% on
X", "CRM ... improves ... on RewardBench") or the dataset sits in a relative
clause of one ("a model named VerifyRM, which achieves ... on VerifyBench").
A clause starts after "while", "whereas", "but", "that", ";" or ":"
("experiments show that CRM improves ... on RewardBench").
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence

from spacy.language import Language
from spacy.tokens import Doc, Span

from kg.model import EntityType, RelationType
from kg.nlp.extensions import ENTITIES_KEY, PROPOSED_KEY, RELATIONS, register_extensions

__all__ = ["RelationExtractor", "evaluation_preposition", "is_evaluation_sentence"]

logger = logging.getLogger(__name__)

_EVALUATION_WORDS = re.compile(
    r"experiment\w*|evaluat\w*|results?|achiev\w*|outperform\w*|surpass\w*|attain\w*|leads?|"
    r"scor\w*|performances?|performs?|sota|accuracy|improv\w*|gains?|test(?:ed|ing)?|"
    r"benchmark\w*|reach\w*|excels?|beats?|validat\w*|tops?|ranks?|art"
)

_TRAINING_WORDS = re.compile(r"train\w*|pre-?train\w*|fine-?tun\w*|finetun\w*|distill\w*|learn(?:s|ed|ing)?")

_PREPOSITIONS = frozenset({"on", "across", "in", "from", "over", "using"})

# Tokens allowed between the preposition and the dataset ("on the", "on 12 Kaggle",
# "on MATH, AIME 2025, and"): determiners, numbers, list punctuation and conjunctions.
_LIST_FILLERS = frozenset({"the", "a", "an", "both", "all", "several", "nine", "five", ",", "and", "or", "&", "%", "(", ")"})

# Maximum distance, in tokens, from the preposition back to the dataset; a
# three-item list with scores ("62.6 on A, 79.0 on B") fits.
PREPOSITION_WINDOW = 10

_CLAUSE_BREAKS = frozenset({"while", "whereas", "but", ";", ":", "which", "that"})

# Words skipped before a clause's subject ("our CrossLoco", "the proposed Tango").
_SUBJECT_PREFIX = frozenset({"the", "our", "proposed", "both", "resulting", "trained", "full", "final", "then", ","})

# A subject starts at most this many tokens into its clause.
SUBJECT_WINDOW = 3


def is_evaluation_sentence(tokens: Span) -> bool:
    """True when a sentence or clause has an evaluation word (see module docstring)."""
    return any(_EVALUATION_WORDS.fullmatch(token.lower_) for token in tokens)


def evaluation_preposition(doc: Doc, dataset: Span, datasets: Sequence[Span], sentence_start: int) -> int | None:
    """Return the index of the preposition that governs `dataset`, or None.

    Walks back from the dataset over determiners, numbers, list punctuation
    and other dataset mentions, up to `PREPOSITION_WINDOW` tokens.
    """
    inside_other = {index for span in datasets if span.start != dataset.start for index in range(span.start, span.end)}
    for index in range(dataset.start - 1, max(sentence_start, dataset.start - PREPOSITION_WINDOW) - 1, -1):
        token = doc[index]
        if token.lower_ in _PREPOSITIONS:
            return index
        if index in inside_other or token.lower_ in _LIST_FILLERS or token.like_num or token.is_punct:
            continue
        return None
    return None


def _nearest_cue_is_training(doc: Doc, before: int, sentence_start: int) -> bool:
    for index in range(before - 1, sentence_start - 1, -1):
        word = doc[index].lower_
        if _TRAINING_WORDS.fullmatch(word):
            return True
        if _EVALUATION_WORDS.fullmatch(word):
            return False
    return False


def _clause_start(doc: Doc, position: int, sentence_start: int) -> int:
    for index in range(position - 1, sentence_start - 1, -1):
        if doc[index].lower_ in _CLAUSE_BREAKS:
            return index
    return sentence_start


def _subject(doc: Doc, clause_start: int, sentence_start: int, proposed: Sequence[Span]) -> Span | None:
    """Return the proposed entity that is the subject of the clause at `clause_start`, or None."""
    if clause_start > sentence_start and doc[clause_start].lower_ in {"which", "that"}:
        # "X, which achieves ...": the subject is X, right before the comma.
        before = clause_start - 1 if doc[clause_start - 1].text == "," else clause_start
        relative = next((span for span in proposed if span.end == before), None)
        if relative is not None or doc[clause_start].lower_ == "which":
            return relative
    start = clause_start + 1 if clause_start > sentence_start else clause_start
    while start < len(doc) and doc[start].lower_ in _SUBJECT_PREFIX and start - clause_start <= SUBJECT_WINDOW:
        start += 1
    return next((span for span in proposed if span.start == start), None)


class RelationExtractor:
    """Write `evaluated_on` relations to ``doc._.kg_relations``.

    Reads ``doc.spans[entities_key]`` and ``doc.spans["kg_proposed"]``
    (`kg.nlp.extensions.PROPOSED_KEY`). Every mention of a proposed entity's
    text counts as proposed, so "Tango achieves ..." finds Tango although only
    the first mention of Tango is in the proposed group.
    """

    def __init__(self, nlp: Language, name: str, *, entities_key: str = ENTITIES_KEY) -> None:
        register_extensions()
        self.name = name
        self.entities_key = entities_key

    def __call__(self, doc: Doc) -> Doc:
        entities = list(doc.spans[self.entities_key]) if self.entities_key in doc.spans else []
        proposed_texts = {span.text for span in doc.spans[PROPOSED_KEY]} if PROPOSED_KEY in doc.spans else set()
        proposed = [span for span in entities if span.text in proposed_texts]
        datasets = [span for span in entities if span.label_ == str(EntityType.DATASET)]

        relations = []
        for dataset in datasets:
            sentence = dataset.sent if doc.has_annotation("SENT_START") else doc[:]
            preposition = evaluation_preposition(doc, dataset, datasets, sentence.start)
            if preposition is None or not is_evaluation_sentence(sentence):
                continue
            if _nearest_cue_is_training(doc, preposition, sentence.start):
                continue

            clause = _clause_start(doc, preposition, sentence.start)
            subject = _subject(doc, clause, sentence.start, proposed)
            relations.append(
                {
                    "type": str(RelationType.EVALUATED_ON),
                    "subject_start": subject.start_char if subject is not None else -1,
                    "subject_end": subject.end_char if subject is not None else -1,
                    "object_start": dataset.start_char,
                    "object_end": dataset.end_char,
                    "sentence_start": sentence.start_char,
                    "sentence_end": sentence.end_char,
                }
            )
        doc._.set(RELATIONS, relations)
        return doc
