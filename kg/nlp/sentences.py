"""Sentence boundaries around the title of a paper's Doc.

`kg.extract.make_doc` builds each Doc as the title, a blank line, then the
abstract, and stores the title's length in ``doc._.kg_title_end``. A title is
not always one sentence to a sentencizer ("Exploitation Is All You Need... for
Exploration"), and without a boundary its last word would run into the
abstract's first sentence. `TitleBoundary` presets ``token.is_sent_start`` so
that the title is exactly one sentence and the abstract starts a new one.

In spaCy 3.8 the ``sentencizer`` changes only unset tokens unless its
``overwrite`` setting is true (the default is false), and the parser's
transition system keeps preset sentence starts and non-starts. Both then decide
the rest, so this component must run before them.
"""

from __future__ import annotations

import logging

from spacy.language import Language
from spacy.tokens import Doc

from kg.errors import ConfigError
from kg.nlp.batching import BatchedComponent
from kg.nlp.extensions import TITLE_END, register_extensions

__all__ = ["TitleBoundary"]

logger = logging.getLogger(__name__)


class TitleBoundary(BatchedComponent):
    """Make the title of a Doc one sentence and start a sentence after it.

    Reads ``doc._.kg_title_end`` (the title's length in characters) and sets
    ``token.is_sent_start`` as follows. Token 0 gets True. Every other token
    that starts inside the title, and each whitespace token right after the
    title, gets False. The first token after those gets True, and later tokens
    stay unset. A Doc whose ``kg_title_end`` is 0 is returned unchanged.

    Raises
    ------
    ConfigError
        If the Doc already has a dependency parse, because spaCy does not allow
        changing sentence starts then and the parse would ignore them anyway.
    """

    def __init__(self, nlp: Language, name: str) -> None:
        self.name = name
        register_extensions()

    def __call__(self, doc: Doc) -> Doc:
        title_end = doc._.get(TITLE_END)
        if not title_end or len(doc) == 0:
            return doc
        if doc.has_annotation("DEP"):
            raise ConfigError(
                f"The component {self.name!r} received a Doc that already has a dependency parse. "
                "Add it before the parser, for example with nlp.add_pipe(..., first=True)."
            )

        # Title tokens and the separator's whitespace continue the first sentence.
        for token in doc:
            if token.idx < title_end:
                token.is_sent_start = token.i == 0
            elif token.is_space:
                token.is_sent_start = False
            else:
                token.is_sent_start = True
                break
        return doc
