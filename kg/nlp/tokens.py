"""Per-Doc token attributes as plain Python lists, for fast rule loops.

kg's components walk the tokens of a Doc many times. Each ``doc[i]`` creates a
`spacy.tokens.Token` object and each ``doc.text`` joins every token again, so
rules that read one attribute at a time spend most of their time building
those objects. `token_table` reads the attributes once with `Doc.to_array`
and keeps them as lists; components index the lists instead of the Doc.

The table is cached per Doc object and shared by the components of one
pipeline run. Sentence starts are compared with the Doc on every
`token_table` call that may read them, because the title boundary, the
sentencizer or a parser sets them between components.
"""

from __future__ import annotations

import bisect
import logging
import weakref

import numpy
from spacy.attrs import IDX, IS_PUNCT, IS_SPACE, LENGTH, ORTH, SENT_START, SPACY
from spacy.strings import StringStore
from spacy.tokens import Doc

__all__ = ["TokenTable", "token_table"]

logger = logging.getLogger(__name__)


# Maximum number of entries in `_ORTH_TEXTS` before it is emptied. An entry
# (int key, short str, dict slot) takes an estimated 150 bytes, so the cache
# stays under about 30 MB. The 2,000 abstracts of bench/pipeline.py have
# about 20,000 distinct token texts.
ORTH_CACHE_SIZE = 200_000

# Token text by orth hash, shared by every vocabulary. spaCy 3.8 computes the
# orth hash from the text alone (64-bit MurmurHash of its UTF-8 bytes), and
# its symbol ids (small integers) name the same strings in every StringStore.
_ORTH_TEXTS: dict[int, str] = {}

# The trailing text of a token, indexed by its ``whitespace`` flag.
_TRAILING = ("", " ")


def _texts_of(orths: list[int], strings: StringStore) -> list[str]:
    """Return the text of each orth hash, as ``[strings[orth] for orth in orths]`` does.

    A `StringStore` lookup decodes the stored bytes into a new str on every
    call, so the texts come from `_ORTH_TEXTS` (one ``dict.get`` per token,
    mapped in C), and only the misses are looked up in `strings`. Safe with
    threads that read Docs of other vocabularies at the same time: a miss
    is looked up in the caller's own `strings`, and each dict operation is
    atomic.
    """
    if len(_ORTH_TEXTS) > ORTH_CACHE_SIZE:
        _ORTH_TEXTS.clear()
    texts = list(map(_ORTH_TEXTS.get, orths))
    if None in texts:
        for index, text in enumerate(texts):
            if text is None:
                orth = orths[index]
                texts[index] = _ORTH_TEXTS[orth] = strings[orth]
    return texts  # type: ignore[return-value]


class TokenTable:
    """Token attributes of one Doc as lists indexed by token position.

    Get one with `token_table`, which keeps one table per Doc and refreshes
    its sentence attributes on every call without ``refresh_sentences=False``,
    so the sentence attributes describe the Doc as it was at the latest such
    call.

    Attributes
    ----------
    doc : Doc
    text : str
        ``doc.text``.
    texts, lowers : list of str
        ``token.text`` and ``token.lower_``.
    starts, ends : list of int
        Character offsets of each token in `text` (``token.idx`` and
        ``token.idx + len(token)``).
    whitespace : list of bool
        True when the token has trailing whitespace (``token.whitespace_``).
    is_space, is_punct : list of bool
        ``token.is_space`` and ``token.is_punct``.
    sent_starts : list of bool
        True where ``token.is_sent_start`` is True.
    has_sentences : bool
        ``doc.has_annotation("SENT_START")``.
    """

    __slots__ = (
        "_by_end",
        "_by_start",
        "_doc_ref",
        "_hooked",
        "_sentence_indices",
        "_sentence_ranges",
        "_sentence_values",
        "ends",
        "has_sentences",
        "is_punct",
        "is_space",
        "lowers",
        "sent_starts",
        "starts",
        "text",
        "texts",
        "whitespace",
    )

    def __init__(self, doc: Doc) -> None:
        # A weak reference: `_CACHE` holds the table as the value of a weak
        # key, and a strong reference back to that key would keep every Doc
        # (and its table) alive for the whole run.
        self._doc_ref = weakref.ref(doc)
        # One to_array call and column slices in numpy: far cheaper than
        # reading the attributes from a Token object per token.
        array = doc.to_array([ORTH, SPACY, IS_SPACE, IS_PUNCT, IDX, LENGTH, SENT_START])
        self.texts: list[str] = _texts_of(array[:, 0].tolist(), doc.vocab.strings)
        self.whitespace: list[bool] = array[:, 1].astype(bool).tolist()
        self.is_space: list[bool] = array[:, 2].astype(bool).tolist()
        self.is_punct: list[bool] = array[:, 3].astype(bool).tolist()
        self.starts: list[int] = array[:, 4].tolist()
        self.ends: list[int] = (array[:, 4] + array[:, 5]).tolist()
        # Doc.text is the token texts, each followed by its trailing space if
        # any. The list alternates the two and is filled by slice assignment,
        # which runs in C.
        parts = [""] * (2 * len(self.texts))
        parts[::2] = self.texts
        parts[1::2] = map(_TRAILING.__getitem__, self.whitespace)
        self.text: str = "".join(parts)
        self.lowers: list[str] = list(map(str.lower, self.texts))
        self._by_start: dict[int, int] | None = None
        self._by_end: dict[int, int] | None = None
        self._sentence_values: bytes | None = None
        self._hooked = False
        self.sent_starts: list[bool] = []
        self.has_sentences = False
        self._sentence_indices: list[int] | None = None
        self._sentence_ranges: list[tuple[int, int]] | None = None
        self._read_sentences(array[:, 6])

    @property
    def doc(self) -> Doc:
        """The Doc whose tokens the table lists."""
        doc = self._doc_ref()
        if doc is None:
            raise ReferenceError("the Doc of this TokenTable was garbage collected")
        return doc

    def _read_sentences(self, values: numpy.ndarray | None = None) -> None:
        """Read the sentence starts again, unless they are unchanged since the last read.

        `values` is the Doc's SENT_START column when the caller has just read it.
        """
        doc = self.doc
        # SENT_START is 1 (start), -1 (not a start) or 0 (unset); to_array
        # returns it as an unsigned integer, so -1 arrives as 2**64 - 1.
        if values is None:
            values = doc.to_array(SENT_START)
        hooked = "sents" in doc.user_hooks
        raw = values.tobytes()
        # Most calls find the sentences unchanged, so the comparison of the
        # raw bytes comes before any other work on the array.
        if raw == self._sentence_values and hooked == self._hooked:
            return
        self._sentence_values = raw
        self._hooked = hooked
        self.has_sentences = hooked or len(values) <= 1 or bool(values[1:].any())
        self.sent_starts = (values == 1).tolist()
        self._sentence_indices = None
        self._sentence_ranges = None

    def __len__(self) -> int:
        return len(self.texts)

    def span_text(self, start: int, end: int) -> str:
        """Return the text of the tokens [start, end), as ``doc[start:end].text``."""
        if start >= end:
            return ""
        return self.text[self.starts[start] : self.ends[end - 1]]

    def char_span(self, start_char: int, end_char: int) -> tuple[int, int] | None:
        """Return the token range (start, end) that covers exactly these characters, else None.

        The same rule as ``doc.char_span(start_char, end_char)`` with the
        default "strict" alignment: both offsets must fall on token edges.
        """
        if self._by_start is None:
            self._by_start = {start: index for index, start in enumerate(self.starts)}
            self._by_end = {end: index for index, end in enumerate(self.ends)}
        start = self._by_start.get(start_char)
        end = self._by_end.get(end_char)  # type: ignore[union-attr]
        if start is None or end is None:
            return None
        return start, end + 1

    def sentences(self) -> list[tuple[int, int]]:
        """Return the token range (start, end) of each sentence, as ``doc.sents`` yields them.

        Falls back to ``doc.sents`` when a ``"sents"`` user hook replaces the
        sentence boundaries. The Doc must have sentence boundaries
        (`has_sentences`), as for ``doc.sents``.
        """
        if "sents" in self.doc.user_hooks:
            return [(sentence.start, sentence.end) for sentence in self.doc.sents]
        if self._sentence_ranges is None:
            count = len(self.texts)
            # Token 0 always starts a sentence, whatever its SENT_START value.
            starts = [0, *[index for index, start in enumerate(self.sent_starts) if start and index > 0]]
            self._sentence_ranges = list(zip(starts, [*starts[1:], count])) if count else []
        return self._sentence_ranges

    def sentence_bounds(self, index: int) -> tuple[int, int]:
        """Token range of the sentence around token `index`; the whole Doc if sentences are unset."""
        if not self.has_sentences:
            return 0, len(self.texts)
        if self._sentence_indices is None:
            self._sentence_indices = [position for position, start in enumerate(self.sent_starts) if start]
        indices = self._sentence_indices
        # The sentence starts at the last start at or before `index` (token 0 at
        # the latest) and ends at the first start after it.
        position = bisect.bisect_right(indices, index)
        start = indices[position - 1] if position > 0 else 0
        end = indices[position] if position < len(indices) else len(self.texts)
        return start, end


# Doc -> its TokenTable. Weak keys, so a Doc that is garbage collected drops its entry.
_CACHE: weakref.WeakKeyDictionary[Doc, TokenTable] = weakref.WeakKeyDictionary()


def token_table(doc: Doc, *, refresh_sentences: bool = True) -> TokenTable:
    """Return the `TokenTable` of a Doc, reusing the token lists read for it earlier.

    The token lists are read again when the Doc's length changed since they
    were read, because a component merged or split tokens. The sentence
    starts are compared with the Doc on every call, unless
    `refresh_sentences` is False: callers that read no sentence attribute
    (`sent_starts`, `has_sentences`, `sentences`, `sentence_bounds`) pass
    False to skip that comparison, which costs a `Doc.to_array` call.

    NOTE: a retokenization that keeps the number of tokens is not detected;
    kg's components never retokenize.
    """
    table = _CACHE.get(doc)
    if table is None or len(table.texts) != len(doc):
        table = _CACHE[doc] = TokenTable(doc)
    elif refresh_sentences:
        table._read_sentences()
    return table
