"""Per-Doc token attributes as plain Python lists, for fast rule loops.

kg's components walk the tokens of a Doc many times. Each ``doc[i]`` creates a
`spacy.tokens.Token` object and each ``doc.text`` joins every token again, so
rules that read one attribute at a time spend most of their time building
those objects. `token_table` reads the attributes once and keeps them as
lists; components index the lists instead of the Doc. The reading is one pass
over spaCy's token structs in `kg.nlp._speedups` when that module is compiled
(see `kg.nlp.speedups`), else one `Doc.to_array` call and numpy slices.

The table is cached per Doc object and shared by the components of one
pipeline run. Sentence starts are compared with the Doc on every
`token_table` call that may read them, because the title boundary, the
sentencizer or a parser sets them between components.
"""

from __future__ import annotations

import bisect
import logging
import weakref
from itertools import compress, islice

import numpy
from spacy.attrs import IDX, IS_PUNCT, IS_SPACE, LENGTH, ORTH, SENT_START, SPACY
from spacy.strings import StringStore
from spacy.tokens import Doc

from kg.nlp import speedups

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

    texts: list[str]
    lowers: list[str]
    starts: list[int]
    ends: list[int]
    whitespace: list[bool]
    is_space: list[bool]
    is_punct: list[bool]

    def __init__(self, doc: Doc) -> None:
        # A weak reference: `_CACHE` holds the table as the value of a weak
        # key, and a strong reference back to that key would keep every Doc
        # (and its table) alive for the whole run.
        self._doc_ref = weakref.ref(doc)
        compiled = speedups.COMPILED
        sentence_column = None
        if compiled is not None:
            (
                self.texts,
                self.lowers,
                self.starts,
                self.ends,
                self.whitespace,
                self.is_space,
                self.is_punct,
            ) = compiled.token_columns(doc)
        else:
            # One to_array call and column slices in numpy: far cheaper than
            # reading the attributes from a Token object per token.
            if len(_ORTH_TEXTS) > ORTH_CACHE_SIZE:
                _ORTH_TEXTS.clear()
            array = doc.to_array([ORTH, SPACY, IS_SPACE, IS_PUNCT, IDX, LENGTH, SENT_START])
            self.texts = _texts_of(array[:, 0].tolist(), doc.vocab.strings)
            self.whitespace = array[:, 1].astype(bool).tolist()
            self.is_space = array[:, 2].astype(bool).tolist()
            self.is_punct = array[:, 3].astype(bool).tolist()
            self.starts = array[:, 4].tolist()
            self.ends = (array[:, 4] + array[:, 5]).tolist()
            self.lowers = list(map(str.lower, self.texts))
            sentence_column = array[:, 6]
        # Doc.text is the token texts, each followed by its trailing space if
        # any. The list alternates the two and is filled by slice assignment,
        # which runs in C.
        parts = [""] * (2 * len(self.texts))
        parts[::2] = self.texts
        parts[1::2] = map(_TRAILING.__getitem__, self.whitespace)
        self.text: str = "".join(parts)
        self._sentence_values: bytes | None = None
        self._hooked = False
        self.sent_starts: list[bool] = []
        self.has_sentences = False
        self._sentence_indices: list[int] | None = None
        self._sentence_ranges: list[tuple[int, int]] | None = None
        self._read_sentences(sentence_column)

    @property
    def doc(self) -> Doc:
        """The Doc whose tokens the table lists."""
        doc = self._doc_ref()
        if doc is None:
            raise ReferenceError("the Doc of this TokenTable was garbage collected")
        return doc

    def _read_sentences(self, column: numpy.ndarray | None = None) -> None:
        """Read the sentence starts again, unless they are unchanged since the last read.

        `column` is the Doc's SENT_START column when the caller has just read it.
        """
        doc = self.doc
        hooked = "sents" in doc.user_hooks
        compiled = speedups.COMPILED
        # The compiled module gives one signed byte per token. The to_array
        # column contains SENT_START (1 start, -1 not a start, 0 unset) as an
        # unsigned integer, so -1 arrives there as 2**64 - 1.
        if compiled is not None:
            raw = compiled.sentence_values(doc)
        else:
            if column is None:
                column = doc.to_array(SENT_START)
            raw = column.tobytes()
        # Most calls find the sentences unchanged, so the comparison of the
        # raw bytes comes before any other work.
        if raw == self._sentence_values and hooked == self._hooked:
            return
        self._sentence_values = raw
        self._hooked = hooked
        if compiled is not None:
            count = len(raw)
            self.has_sentences = hooked or count <= 1 or raw.count(0, 1) < count - 1
            self.sent_starts = compiled.sentence_flags(raw)
        else:
            assert column is not None
            self.has_sentences = hooked or len(column) <= 1 or bool(column[1:].any())
            self.sent_starts = (column == 1).tolist()
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
        Token offsets increase strictly, so a binary search finds them.
        """
        start = bisect.bisect_left(self.starts, start_char)
        if start == len(self.starts) or self.starts[start] != start_char:
            return None
        end = bisect.bisect_left(self.ends, end_char)
        if end == len(self.ends) or self.ends[end] != end_char:
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
            starts = [0, *compress(range(1, count), islice(self.sent_starts, 1, None))]
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
