"""Detection of the entities that a paper introduces.

`ProposalDetector` (factory ``kg_proposals``) copies into
``doc.spans[spans_key]`` each entity span that the paper presents as its own:

- the name after "we propose/introduce/present ..." or "this paper presents";
- the name after "named", "called", "dubbed" or "termed";
- "X, a novel ...", "X (Y), a new ..." and "a new <noun>, X";
- "we propose two techniques X and Y" and "our proposed <noun>, X";
- the "X" of a title "X: subtitle" when X looks like a name;
- the other form of a defined abbreviation whose one form is introduced
  ("Adversarial Minority Influence (AMI)").

Only mentions at these places are copied; `kg.extract` marks an entity as
proposed when any of its mentions is in the group.
"""

from __future__ import annotations

import logging

from spacy.language import Language
from spacy.tokens import Doc, Span

from kg.nlp.batching import BatchedComponent
from kg.nlp.entities import chunk_doc, find_introductions
from kg.nlp.extensions import (
    ABBREVIATIONS,
    ENTITIES_KEY,
    INTRODUCED_KEY,
    PROPOSED_KEY,
    register_extensions,
)
from kg.nlp.tokens import token_table

__all__ = ["ProposalDetector", "is_name"]

logger = logging.getLogger(__name__)

# Words after "X, a" that mark X as new ("Tango, a novel framework").
_NOVELTY_WORDS = frozenset({"novel", "new"})

# How many tokens after "X, a" a novelty word may stand ("X, a simple yet novel ...").
NOVELTY_WINDOW = 4


def is_name(span: Span) -> bool:
    """True when a span is written as a name: it has a capital letter or a digit.

    Lower-case spans are generic phrases from the vocabulary ("contrastive
    learning"); "we introduce contrastive learning" uses them, it does not
    propose them. Abbreviation partners bypass this check.
    """
    return _is_name_text(span.text)


def _is_name_text(text: str) -> bool:
    return any(char.isupper() or char.isdigit() for char in text)


def _contains(outer: tuple[int, int], inner: tuple[int, int]) -> bool:
    return outer[0] <= inner[0] and inner[1] <= outer[1]


def _is_novel_apposition(doc: Doc, span: Span) -> bool:
    """True for "X, a novel ...", "X (Y), a new ..." and "a new <noun>, X"."""
    tokens = token_table(doc, refresh_sentences=False)
    lowers = tokens.lowers
    texts = tokens.texts
    end = span.end
    # Skip a parenthesised short form: "Credit Assignment with Language Models (CALM), a novel approach".
    if end + 2 < len(doc) and texts[end] == "(" and texts[end + 2] == ")":
        end += 3
    if end + 2 < len(doc) and texts[end] == "," and lowers[end + 1] in {"a", "an"}:
        if not _NOVELTY_WORDS.isdisjoint(lowers[end + 2 : min(end + 2 + NOVELTY_WINDOW, len(doc))]):
            return True
    # "compiled into a new preference dataset, Anyprefer-V1"
    start = span.start
    if start >= 2 and texts[start - 1] == ",":
        window = lowers[max(0, start - 1 - NOVELTY_WINDOW) : start - 1]
        return not _NOVELTY_WORDS.isdisjoint(window) and not doc[start - 1].is_sent_start
    return False


class ProposalDetector(BatchedComponent):
    """Copy the entity spans that the paper introduces to ``doc.spans[spans_key]``.

    Reads ``doc.spans[entities_key]`` (from ``kg_entities``) and, when set,
    ``doc._.kg_abbreviations``. The cues are listed in the module docstring.
    """

    def __init__(
        self,
        nlp: Language,
        name: str,
        *,
        entities_key: str = ENTITIES_KEY,
        spans_key: str = PROPOSED_KEY,
    ) -> None:
        register_extensions()
        self.name = name
        self.entities_key = entities_key
        self.spans_key = spans_key

    def __call__(self, doc: Doc) -> Doc:
        entities = list(doc.spans[self.entities_key]) if self.entities_key in doc.spans else []
        if not entities:
            doc.spans[self.spans_key] = []
            return doc

        # Spans inside (or covering) an introduced name, and "X, a novel ...".
        # kg_entities leaves the introduced names in a span group; without it, find them here.
        if INTRODUCED_KEY in doc.spans:
            introduced = [(span.start, span.end) for span in doc.spans[INTRODUCED_KEY]]
        else:
            introduced = [(name.start, name.end) for name in find_introductions(doc, chunk_doc(doc))]
        proposed: dict[tuple[int, int], Span] = {}
        tokens = token_table(doc, refresh_sentences=False)
        for span in entities:
            bounds = (span.start, span.end)
            near_cue = any(_contains(cue, bounds) or _contains(bounds, cue) for cue in introduced)
            # is_name of the span, with its text from the token lists: Span.text joins its tokens on every call.
            if _is_name_text(tokens.span_text(span.start, span.end)) and (near_cue or _is_novel_apposition(doc, span)):
                proposed[bounds] = span

        # The partner form of an introduced abbreviation.
        by_chars = {(span.start_char, span.end_char): span for span in entities}
        proposed_chars = {(span.start_char, span.end_char) for span in proposed.values()}
        for item in doc._.get(ABBREVIATIONS) or ():
            short = (item["short_start"], item["short_end"])
            long = (item["long_start"], item["long_end"])
            for this, other in ((short, long), (long, short)):
                partner = by_chars.get(other)
                if this in proposed_chars and partner is not None:
                    proposed[(partner.start, partner.end)] = partner

        doc.spans[self.spans_key] = sorted(proposed.values(), key=lambda span: span.start)
        return doc
