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

`PunctuationSentencizer` is the rule of spaCy's ``sentencizer`` run on kg's
token lists (`kg.nlp.tokens.TokenTable`) instead of `Token` objects, with the
sentence starts written in one `Doc.from_array` call, or straight into the
Doc's token structs by `kg.nlp._speedups` when it is compiled. The default
pipeline uses it in place of ``sentencizer``.
"""

from __future__ import annotations

import bisect
import logging
from itertools import compress

import numpy
from spacy.attrs import SENT_START
from spacy.language import Language
from spacy.pipeline import Sentencizer
from spacy.tokens import Doc

from kg.errors import ConfigError
from kg.nlp import speedups
from kg.nlp.batching import BatchedComponent
from kg.nlp.extensions import TITLE_END, register_extensions
from kg.nlp.tokens import token_table

__all__ = ["DEFAULT_PUNCT_CHARS", "PunctuationSentencizer", "TitleBoundary"]

logger = logging.getLogger(__name__)

# SENT_START values in a Doc.to_array array (numpy.uint64): 1 starts a
# sentence, -1 (stored as 2**64 - 1) continues one, 0 is unset.
_START = numpy.uint64(1)
_NOT_START = numpy.uint64(2**64 - 1)


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

        # The offsets and whitespace flags come from the token lists that the
        # later components share.
        tokens = token_table(doc, refresh_sentences=False)
        # Tokens are in text order, so the title's tokens are a prefix.
        title_tokens = bisect.bisect_left(tokens.starts, title_end)
        abstract_start = title_tokens
        while abstract_start < len(doc) and tokens.is_space[abstract_start]:
            abstract_start += 1

        # Title tokens and the separator's whitespace continue the first sentence.
        compiled = speedups.COMPILED
        if compiled is not None:
            compiled.mark_title(doc, abstract_start)
            return doc
        # The starts are read and written as one array with Doc.to_array and
        # Doc.from_array, because a Token object per title token is slow.
        sent_starts = doc.to_array(SENT_START)
        sent_starts[:abstract_start] = _NOT_START
        sent_starts[0] = _START
        if abstract_start < len(doc):
            sent_starts[abstract_start] = _START
        doc.from_array([SENT_START], sent_starts)
        return doc


# The sentence-final characters of spaCy's sentencizer (spaCy 3.8), so that
# both components find the same boundaries.
DEFAULT_PUNCT_CHARS: tuple[str, ...] = tuple(Sentencizer.default_punct_chars)


def _sentence_starts(texts: list[str], is_punct: list[bool], punct_chars: frozenset[str]) -> list[int]:
    """Return the indices of the tokens that start a sentence under the rule of spaCy's ``sentencizer``.

    Token 0 starts a sentence. After a token whose text is in `punct_chars`,
    the next token that is neither punctuation (``is_punct``) nor in
    `punct_chars` starts one. A whitespace token is not punctuation, so it can
    start a sentence, as in spaCy. The result lists the positions where
    ``Sentencizer.predict`` returns True for the Doc.
    """
    count = len(texts)
    starts = [0] if count else []
    # Only the few sentence-final tokens need a Python step each.
    ends = compress(range(count), map(punct_chars.__contains__, texts))
    scanned = 0  # tokens before this index belong to a run that was already scanned
    for end in ends:
        if end < scanned:
            continue
        index = end + 1
        while index < count and (is_punct[index] or texts[index] in punct_chars):
            index += 1
        if index < count:
            starts.append(index)
        scanned = index
    return starts


class PunctuationSentencizer(BatchedComponent):
    """Split a Doc into sentences at sentence-final punctuation, as spaCy's ``sentencizer`` does.

    Sets ``token.is_sent_start`` only on tokens where it is unset (as the
    sentencizer does with ``overwrite=False``), so the title boundary's
    starts stay. It sets the same boundaries as ``sentencizer`` with the same
    `punct_chars`, and it is faster because it reads the token lists that kg's
    other components share.

    Parameters
    ----------
    nlp : Language
    name : str
    punct_chars : list of str or None
        Token texts that end a sentence; None for `DEFAULT_PUNCT_CHARS`.
    """

    def __init__(self, nlp: Language, name: str, *, punct_chars: list[str] | None = None) -> None:
        self.name = name
        self.punct_chars = frozenset(punct_chars or DEFAULT_PUNCT_CHARS)

    def __call__(self, doc: Doc) -> Doc:
        if len(doc) == 0:
            return doc
        tokens = token_table(doc, refresh_sentences=False)
        found = _sentence_starts(tokens.texts, tokens.is_punct, self.punct_chars)
        compiled = speedups.COMPILED
        if compiled is not None:
            compiled.mark_unset_sentence_starts(doc, found)
            return doc
        starts = numpy.array(found, dtype=numpy.intp)
        values = doc.to_array(SENT_START)
        unset = values == 0
        values[unset] = _NOT_START
        # Of the start indices, only those of unset tokens become starts. The
        # indices are few, which is cheaper than a flag per token from a list.
        values[starts[unset[starts]]] = _START
        doc.from_array([SENT_START], values)
        return doc
