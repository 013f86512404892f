# cython: language_level=3, boundscheck=False, wraparound=False, infer_types=True
"""Compiled forms of the per-token loops that every kg component runs.

Each function here has a pure-Python reference in `kg.nlp.tokens` or
`kg.nlp.entities` and returns exactly what that reference returns;
tests/test_speedups.py compares the two on real abstracts and on generated
text. The references run when this module is not compiled, or was compiled
against another spaCy release (see `SPACY_VERSION`).

The functions read spaCy's token structs (``Doc.c``) directly, as spaCy's
own Cython code does, instead of going through ``Doc.to_array`` and one
Python object per attribute. The struct layout belongs to one spaCy
release, so the module records the release it was compiled against.
"""

from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_FromStringAndSize
from cpython.dict cimport PyDict_GetItem
from cpython.list cimport PyList_New, PyList_SET_ITEM
from cpython.ref cimport Py_INCREF, PyObject
from cpython.tuple cimport PyTuple_SET_ITEM
from spacy.attrs cimport IS_PUNCT, IS_SPACE
from spacy.lexeme cimport Lexeme
from preshed.maps cimport PreshMap
from spacy.strings cimport StringStore
from spacy.structs cimport TokenC
from spacy.typedefs cimport attr_t
from spacy.tokens.doc cimport Doc

cdef extern from "Python.h":
    bint PyUnicode_IS_ASCII(object text)
    # The allocator of tuple subclasses: room for the items, all NULL.
    object PyType_GenericAlloc(type subtype, Py_ssize_t items)

cdef extern from *:
    """
    #ifndef KG_SPACY_VERSION
    #define KG_SPACY_VERSION ""
    #endif
    """
    const char* KG_SPACY_VERSION

# The spaCy release whose headers this module was compiled against (set by
# setup.py), "" when unknown. kg.nlp.tokens uses the module only when the
# installed spaCy is that release.
SPACY_VERSION = KG_SPACY_VERSION.decode("ascii")



# Largest number of texts in the cache of `token_columns` before it is
# emptied, as `kg.nlp.tokens.ORTH_CACHE_SIZE` for the pure-Python cache.
TEXT_CACHE_SIZE = 200_000


cdef class _TextCache:
    """Token text by orth (or lower) hash, looked up without a Python int per token.

    The hash depends on the text alone (see `kg.nlp.tokens`), so one cache
    serves every vocabulary. `_index` maps a hash to a borrowed pointer to a
    str that `_texts` keeps alive; both are emptied together.
    """

    cdef PreshMap _index
    cdef list _texts
    cdef Py_ssize_t max_size

    def __init__(self, Py_ssize_t max_size):
        self.max_size = max_size
        self.clear()

    def clear(self):
        self._index = PreshMap()
        self._texts = []

    def __len__(self):
        return len(self._texts)

    cdef inline object get(self, attr_t orth, StringStore strings):
        cdef void* found = self._index.get(orth)
        if found is not NULL:
            return <object>found
        text = strings[orth]
        if len(self._texts) >= self.max_size:
            self.clear()
        self._texts.append(text)
        self._index.set(orth, <void*>text)
        return text


_TEXTS = _TextCache(TEXT_CACHE_SIZE)


cdef inline void _set_item(list items, Py_ssize_t index, object value):
    # PyList_SET_ITEM steals a reference, and `value` is a borrowed one here.
    Py_INCREF(value)
    PyList_SET_ITEM(items, index, value)


cdef inline void _set_tuple_item(object items, Py_ssize_t index, object value):
    # As `_set_item`, for a new tuple (or tuple subclass) whose items are NULL.
    Py_INCREF(value)
    PyTuple_SET_ITEM(items, index, value)


cdef inline object _new_chunk(type chunk_type, Py_ssize_t start, Py_ssize_t end, object text, bint closed, bint sentence_start, bint opened):
    """A `Chunk` made as ``tuple.__new__(Chunk, fields)`` makes it, without the call and the fields tuple."""
    chunk = PyType_GenericAlloc(chunk_type, 6)
    _set_tuple_item(chunk, 0, start)
    _set_tuple_item(chunk, 1, end)
    _set_tuple_item(chunk, 2, text)
    _set_tuple_item(chunk, 3, True if closed else False)
    _set_tuple_item(chunk, 4, True if sentence_start else False)
    _set_tuple_item(chunk, 5, True if opened else False)
    return chunk


def token_columns(Doc doc):
    """Return the token lists of `kg.nlp.tokens.TokenTable`, read in one pass over the Doc.

    Returns ``(texts, lowers, starts, ends, whitespace, is_space, is_punct)``,
    each a list with one item per token.
    """
    cdef _TextCache texts_by_hash = _TEXTS
    cdef StringStore strings = doc.vocab.strings
    cdef Py_ssize_t count = doc.length
    cdef Py_ssize_t index
    cdef const TokenC* token
    cdef list texts = PyList_New(count)
    cdef list lowers = PyList_New(count)
    cdef list starts = PyList_New(count)
    cdef list ends = PyList_New(count)
    cdef list whitespace = PyList_New(count)
    cdef list is_space = PyList_New(count)
    cdef list is_punct = PyList_New(count)
    for index in range(count):
        token = &doc.c[index]
        _set_item(texts, index, texts_by_hash.get(token.lex.orth, strings))
        # The lexeme's LOWER is str.lower of its text, looked up like the text.
        _set_item(lowers, index, texts_by_hash.get(token.lex.lower, strings))
        _set_item(starts, index, token.idx)
        _set_item(ends, index, token.idx + <int>token.lex.length)
        _set_item(whitespace, index, True if token.spacy else False)
        _set_item(is_space, index, True if Lexeme.c_check_flag(token.lex, IS_SPACE) else False)
        _set_item(is_punct, index, True if Lexeme.c_check_flag(token.lex, IS_PUNCT) else False)
    return texts, lowers, starts, ends, whitespace, is_space, is_punct


def sentence_values(Doc doc):
    """Return each token's SENT_START (1, 0 or -1) as one signed byte, in a bytes object."""
    cdef Py_ssize_t count = doc.length
    cdef Py_ssize_t index
    cdef bytes values = PyBytes_FromStringAndSize(NULL, count)
    cdef char* cells = PyBytes_AS_STRING(values)
    for index in range(count):
        cells[index] = <char>doc.c[index].sent_start
    return values


def sentence_flags(bytes values):
    """Return, for each byte of `sentence_values`, True where the token starts a sentence."""
    cdef Py_ssize_t count = len(values)
    cdef Py_ssize_t index
    cdef const char* cells = PyBytes_AS_STRING(values)
    cdef list flags = PyList_New(count)
    for index in range(count):
        _set_item(flags, index, True if cells[index] == 1 else False)
    return flags


cdef inline bint _is_edge(list texts, list is_space, str edge_chars, frozenset edge_tokens, Py_ssize_t index) except -1:
    """`kg.nlp.entities._is_edge_text` of token `index`, or True for a whitespace token."""
    if is_space[index]:
        return True
    cdef str text = texts[index]
    cdef Py_UCS4 char
    # Only edge characters: ``not text.strip(edge_chars)``. Most tokens start
    # with a letter and fail at the first character.
    for char in text:
        if char not in edge_chars:
            return text in edge_tokens
    return True


cdef inline bint _is_closing_bracket(str text):
    return text == ")" or text == "]"


def chunk_tokens(tokens, str edge_chars, frozenset edge_tokens, type chunk_type, object normalize_dashes, object closes_inner_bracket):
    """Return the chunks of `kg.nlp.entities._chunk_tokens` for a `TokenTable`.

    A token is edge punctuation when all its characters are in `edge_chars`,
    or its text is in `edge_tokens`. The other arguments are the `Chunk`
    class and the helpers of the reference, passed in so that this module
    does not import kg.
    """
    cdef list texts = tokens.texts
    cdef list is_space = tokens.is_space
    cdef list whitespace = tokens.whitespace
    cdef list sent_starts = tokens.sent_starts
    cdef list token_starts = tokens.starts
    cdef list token_ends = tokens.ends
    cdef str text = tokens.text
    cdef Py_ssize_t count = len(texts)
    cdef Py_ssize_t group_start = 0
    cdef Py_ssize_t begin, first, end, trimmed_end, index
    cdef bint is_last, sentence_start
    cdef list chunks = []

    while group_start < count:
        # A group of tokens with no whitespace between them ends after the
        # token that has trailing whitespace, is whitespace, precedes
        # whitespace or is last.
        end = group_start
        while not (whitespace[end] or is_space[end] or end + 1 == count or is_space[end + 1]):
            end += 1
        end += 1
        begin = first = group_start
        group_start = end
        is_last = end == count

        if end - begin == 1 and not _is_edge(texts, is_space, edge_chars, edge_tokens, begin):
            # The common group of one word token: nothing to trim.
            chunk_text = texts[begin]
            if not PyUnicode_IS_ASCII(chunk_text):
                chunk_text = normalize_dashes(chunk_text)
            chunks.append(_new_chunk(
                chunk_type, begin, end, chunk_text, is_last or sent_starts[end], begin == 0 or sent_starts[begin], False
            ))
            continue

        while begin < end and _is_edge(texts, is_space, edge_chars, edge_tokens, begin):
            begin += 1
        trimmed_end = end
        while (
            trimmed_end > begin
            and _is_edge(texts, is_space, edge_chars, edge_tokens, trimmed_end - 1)
            # Only a closing bracket can close an inner one: test it here, in C.
            and not (_is_closing_bracket(texts[trimmed_end - 1]) and closes_inner_bracket(texts, begin, trimmed_end))
        ):
            trimmed_end -= 1
        if begin >= trimmed_end:
            # Only punctuation: it closes the chunk before it.
            # (wraparound is off in this module, so no negative indices.)
            if chunks:
                index = len(chunks) - 1
                last = chunks[index]
                chunks[index] = _new_chunk(chunk_type, last[0], last[1], last[2], True, last[4], last[5])
            continue

        chunk_text = text[token_starts[begin] : token_ends[trimmed_end - 1]]
        if not PyUnicode_IS_ASCII(chunk_text):
            chunk_text = normalize_dashes(chunk_text)
        sentence_start = first == 0
        index = first
        while not sentence_start and index <= begin:
            sentence_start = bool(sent_starts[index])
            index += 1
        chunks.append(_new_chunk(
            chunk_type,
            begin,
            trimmed_end,
            chunk_text,
            trimmed_end < end or (end < count and sent_starts[end]) or is_last,
            sentence_start,
            begin > first,
        ))
    return chunks


def mark_title(Doc doc, Py_ssize_t abstract_start):
    """Write the sentence starts of `kg.nlp.sentences.TitleBoundary` for a title that ends at `abstract_start`.

    Token 0 starts a sentence, the other tokens before `abstract_start` do
    not, and token `abstract_start` (if any) starts one. Later tokens keep
    their values. spaCy's own sentencizer writes ``Doc.c`` the same way.
    """
    cdef Py_ssize_t count = doc.length
    cdef Py_ssize_t index
    if count == 0:
        return
    for index in range(min(abstract_start, count)):
        doc.c[index].sent_start = -1
    doc.c[0].sent_start = 1
    if abstract_start < count:
        doc.c[abstract_start].sent_start = 1


def mark_unset_sentence_starts(Doc doc, list starts):
    """Write the sentence starts of `kg.nlp.sentences.PunctuationSentencizer` to the unset tokens only.

    Tokens whose SENT_START is unset (0) become sentence starts where their
    index is in `starts`, else not; tokens already set keep their values.
    """
    cdef Py_ssize_t count = doc.length
    cdef Py_ssize_t index
    cdef Py_ssize_t position = 0
    cdef Py_ssize_t following = len(starts)
    cdef Py_ssize_t next_start = starts[0] if following else count
    # `starts` is sorted, so one pointer into it follows the token index.
    for index in range(count):
        if index == next_start:
            if doc.c[index].sent_start == 0:
                doc.c[index].sent_start = 1
            position += 1
            next_start = starts[position] if position < following else count
        elif doc.c[index].sent_start == 0:
            doc.c[index].sent_start = -1


def chunk_values(list chunks, dict cache, object compute):
    """Return ``compute(chunk.text)`` for each chunk, through `cache` (text to value), which it fills."""
    cdef Py_ssize_t count = len(chunks)
    cdef Py_ssize_t index
    cdef list values = PyList_New(count)
    cdef PyObject* found
    for index in range(count):
        text = (<tuple>chunks[index])[2]
        found = PyDict_GetItem(cache, text)
        if found is not NULL:
            _set_item(values, index, <object>found)
        else:
            value = compute(text)
            cache[text] = value
            _set_item(values, index, value)
    return values


def name_starts(list chunks, dict cache, object name_flags):
    """Return `kg.nlp.entities._name_starts` of the chunks, with `name_flags` (text to flag pair) through `cache`."""
    cdef Py_ssize_t count = len(chunks)
    cdef Py_ssize_t index
    cdef list starts = PyList_New(count)
    cdef PyObject* found
    cdef tuple chunk
    for index in range(count):
        chunk = <tuple>chunks[index]
        text = chunk[2]
        found = PyDict_GetItem(cache, text)
        if found is not NULL:
            flags = <object>found
        else:
            flags = name_flags(text)
            cache[text] = flags
        # The flag pair is indexed by the chunk's `sentence_start`.
        _set_item(starts, index, (<tuple>flags)[1 if chunk[4] else 0])
    return starts
