"""Readers of annotated corpora for `kg eval`.

Each reader turns one file into typed records that the scorer compares with
kg's output:

- `GoldPaper`: one paper of kg's own gold format (JSON Lines, paper-level
  entity names by type, proposed artifacts, links, abbreviations);
- `Document`: a text with gold spans (character offsets into `Document.text`)
  and paper-level gold labels, read from SciERC, CoNLL (BIO or BIOES) or
  SciREX files.

Token-level corpora are turned into text by joining tokens with single
spaces, and every gold span is converted from token indices to character
offsets of that text. kg's pipeline then runs on exactly that text, so
predicted and gold spans share one offset space.

References
----------
SciERC: Luan et al., EMNLP 2018. TDMSci: Hou et al., EACL 2021. CS-NER:
D'Souza and Auer, 2022. SciREX: Jain et al., ACL 2020.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from kg.errors import InputError
from kg.model import EntityType

__all__ = [
    "CORPUS_FORMATS",
    "Document",
    "GoldPaper",
    "GoldSpan",
    "detect_corpus_format",
    "join_tokens",
    "read_conll",
    "read_documents",
    "read_gold",
    "read_scierc",
    "read_scirex",
]

logger = logging.getLogger(__name__)

CorpusFormat = Literal["gold", "scierc", "conll", "scirex"]
CORPUS_FORMATS: tuple[str, ...] = ("gold", "scierc", "conll", "scirex")

# File suffixes that can only be CoNLL-style column files.
_CONLL_SUFFIXES = frozenset({".conll", ".conllu", ".bio", ".bioes", ".iob", ".data", ".tsv"})
_JSON_SUFFIXES = frozenset({".json", ".jsonl", ".ndjson"})

# Penn Treebank escapes that SciERC uses for brackets. The pipeline gets the
# bracket itself, because the abbreviation detector looks for "(".
_PTB_ESCAPES: Mapping[str, str] = {
    "-LRB-": "(",
    "-RRB-": ")",
    "-LSB-": "[",
    "-RSB-": "]",
    "-LCB-": "{",
    "-RCB-": "}",
}

# Encoding tried when a CoNLL file is not valid UTF-8: CS-NER is Windows-1252.
_FALLBACK_ENCODING = "cp1252"

_TAG = re.compile(r"^(?P<prefix>[BIESLU])-(?P<label>\S+)$")
_DOCSTART = "-DOCSTART-"


@dataclass(frozen=True, slots=True)
class GoldSpan:
    """A gold mention: character offsets into `Document.text` (end-exclusive) and its corpus label."""

    start: int
    end: int
    label: str


@dataclass(frozen=True, slots=True)
class Document:
    """One annotated text of a span-level corpus.

    Attributes
    ----------
    id : str
        The corpus's document id, or ``<file name>:<n>`` when it has none.
    text : str
        The text the pipeline reads and the gold offsets point into.
    spans : tuple of GoldSpan
        Gold mentions in text order, with corpus labels (not yet mapped).
    title : str
        The paper's title when the corpus has one (SciREX); the pipeline
        reads it before `text`, but title mentions are not scored.
    labels : tuple of (label, name)
        Paper-level gold: the corpus label and name of each entity the
        document contains. SciREX gives its salient entities; the other
        readers list the distinct span texts.
    source : str
        The file the document came from.
    record : int
        1-based line of the file where the document starts.
    """

    id: str
    text: str
    spans: tuple[GoldSpan, ...] = ()
    title: str = ""
    labels: tuple[tuple[str, str], ...] = ()
    source: str = ""
    record: int = 0

    def span_text(self, span: GoldSpan) -> str:
        return self.text[span.start:span.end]


@dataclass(frozen=True, slots=True)
class GoldPaper:
    """One paper of kg's gold format.

    Every entity item is a tuple of names of one thing (any one matches; the
    long form comes first by convention).

    Attributes
    ----------
    id, title : str
        The paper id as kg derives it, and the exact title.
    entities : mapping of str to tuple of tuple of str
        Expected entities per `EntityType` value.
    proposed : tuple of tuple of str
        Artifacts the paper introduces.
    links : tuple of str
        URLs in the paper's text.
    abbreviations : tuple of (short, long)
        Abbreviations the paper defines.
    source : str
    record : int
        1-based line of the record.
    """

    id: str
    title: str
    entities: Mapping[str, tuple[tuple[str, ...], ...]] = field(default_factory=dict)
    proposed: tuple[tuple[str, ...], ...] = ()
    links: tuple[str, ...] = ()
    abbreviations: tuple[tuple[str, str], ...] = ()
    source: str = ""
    record: int = 0


def join_tokens(tokens: Sequence[str]) -> tuple[str, list[int]]:
    """Join tokens with single spaces and return the text and each token's start offset.

    Penn Treebank bracket escapes ("-LRB-") become the bracket they stand for.

    Examples
    --------
    >>> join_tokens(["A", "-LRB-", "B", "-RRB-"])
    ('A ( B )', [0, 2, 4, 6])
    """
    starts: list[int] = []
    parts: list[str] = []
    offset = 0
    for token in tokens:
        token = _PTB_ESCAPES.get(token, token)
        starts.append(offset)
        parts.append(token)
        offset += len(token) + 1
    return " ".join(parts), starts


def _token_span(starts: list[int], tokens: Sequence[str], first: int, last: int, label: str) -> GoldSpan:
    """Convert inclusive token indices `first`..`last` to a character span."""
    last_token = _PTB_ESCAPES.get(tokens[last], tokens[last])
    return GoldSpan(start=starts[first], end=starts[last] + len(last_token), label=label)


def _distinct_names(text: str, spans: Sequence[GoldSpan]) -> tuple[tuple[str, str], ...]:
    seen: dict[tuple[str, str], None] = {}
    for span in spans:
        seen.setdefault((span.label, text[span.start:span.end]), None)
    return tuple(seen)


# --- JSON Lines helpers ---------------------------------------------------


def _json_records(path: Path) -> Iterator[tuple[int, Any]]:
    """Yield (1-based line, parsed value) for each non-blank line of a JSON Lines file."""
    if not path.is_file():
        raise InputError(str(path), "file not found")
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            try:
                line = raw.decode("utf-8-sig" if number == 1 else "utf-8")
            except UnicodeDecodeError as err:
                raise InputError(str(path), f"not valid UTF-8 ({err.reason} at byte {err.start + 1} of the line)", record=number) from err
            if not line.strip():
                continue
            try:
                value = json.loads(line)
            except json.JSONDecodeError as err:
                raise InputError(str(path), f"invalid JSON: {err.msg} at column {err.colno}", record=number) from err
            if not isinstance(value, dict):
                raise InputError(str(path), f"expected a JSON object, got {type(value).__name__}", record=number)
            yield number, value


def _require(record: dict[str, Any], name: str, kind: type | tuple[type, ...], path: Path, number: int) -> Any:
    if name not in record:
        present = ", ".join(sorted(record)) or "none"
        raise InputError(str(path), f"missing field {name!r} (fields present: {present})", record=number)
    value = record[name]
    if not isinstance(value, kind):
        expected = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
        raise InputError(str(path), f"field {name!r} must be {expected}, got {type(value).__name__}", record=number)
    return value


# --- kg gold format ---------------------------------------------------------


def _gold_items(value: Any, where: str, path: Path, number: int) -> tuple[tuple[str, ...], ...]:
    if not isinstance(value, list):
        raise InputError(str(path), f"{where} must be a list of names, got {type(value).__name__}", record=number)
    items: list[tuple[str, ...]] = []
    for item in value:
        names = [item] if isinstance(item, str) else item
        if not isinstance(names, list) or not names or not all(isinstance(name, str) and name.strip() for name in names):
            raise InputError(
                str(path),
                f"{where} item {item!r} must be a non-empty name or a non-empty list of names",
                record=number,
            )
        items.append(tuple(names))
    return tuple(items)


def read_gold(path: str | Path) -> Iterator[GoldPaper]:
    """Read kg's gold format: one JSON object per paper.

    Fields: ``id`` and ``title`` (required), ``entities`` (object from entity
    type to a list of items), ``proposed`` (list of items), ``links`` (list of
    URLs) and ``abbreviations`` (list of ``{"short", "long"}``). An item is a
    name or a list of names of the same thing.

    Raises
    ------
    InputError
        For invalid JSON, a missing id or title, an unknown entity type or a
        malformed item, naming the file and line.
    """
    path = Path(path)
    known_types = {str(entity_type) for entity_type in EntityType}
    for number, record in _json_records(path):
        paper_id = _require(record, "id", str, path, number)
        title = _require(record, "title", str, path, number)
        entities_value = record.get("entities", {})
        if not isinstance(entities_value, dict):
            raise InputError(str(path), f"field 'entities' must be an object, got {type(entities_value).__name__}", record=number)
        entities: dict[str, tuple[tuple[str, ...], ...]] = {}
        for type_name, items in entities_value.items():
            if type_name not in known_types:
                raise InputError(
                    str(path),
                    f"unknown entity type {type_name!r} in 'entities'; expected one of {', '.join(sorted(known_types))}",
                    record=number,
                )
            entities[type_name] = _gold_items(items, f"entities.{type_name}", path, number)
        links = record.get("links", [])
        if not isinstance(links, list) or not all(isinstance(link, str) for link in links):
            raise InputError(str(path), "field 'links' must be a list of URL strings", record=number)
        abbreviations: list[tuple[str, str]] = []
        for item in record.get("abbreviations", []):
            if not isinstance(item, dict) or not isinstance(item.get("short"), str) or not isinstance(item.get("long"), str):
                raise InputError(
                    str(path), f"abbreviation {item!r} must be an object with string fields 'short' and 'long'", record=number
                )
            abbreviations.append((item["short"], item["long"]))
        yield GoldPaper(
            id=paper_id,
            title=title,
            entities=entities,
            proposed=_gold_items(record.get("proposed", []), "proposed", path, number),
            links=tuple(links),
            abbreviations=tuple(abbreviations),
            source=str(path),
            record=number,
        )


# --- SciERC -------------------------------------------------------------------


def read_scierc(path: str | Path) -> Iterator[Document]:
    """Read SciERC JSON Lines (Luan et al., 2018).

    Each line has ``doc_key``, ``sentences`` (lists of tokens) and ``ner``
    (per sentence, ``[first, last, label]`` with token indices over the whole
    document and `last` inclusive).

    Raises
    ------
    InputError
        For a missing field or a token index outside the document.
    """
    path = Path(path)
    for number, record in _json_records(path):
        sentences = _require(record, "sentences", list, path, number)
        ner = _require(record, "ner", list, path, number)
        tokens = [token for sentence in sentences for token in sentence]
        text, starts = join_tokens(tokens)
        spans: list[GoldSpan] = []
        for sentence_spans in ner:
            for item in sentence_spans:
                if not (isinstance(item, list) and len(item) == 3 and isinstance(item[0], int) and isinstance(item[1], int)):
                    raise InputError(str(path), f"'ner' item {item!r} must be [first token, last token, label]", record=number)
                first, last, label = item
                if not 0 <= first <= last < len(tokens):
                    raise InputError(
                        str(path), f"'ner' item {item!r} is outside the document's {len(tokens)} tokens", record=number
                    )
                spans.append(_token_span(starts, tokens, first, last, str(label)))
        spans.sort(key=lambda span: (span.start, span.end))
        yield Document(
            id=str(record.get("doc_key", f"{path.name}:{number}")),
            text=text,
            spans=tuple(spans),
            labels=_distinct_names(text, spans),
            source=str(path),
            record=number,
        )


# --- SciREX -------------------------------------------------------------------


def read_scirex(path: str | Path) -> Iterator[Document]:
    """Read SciREX documents cut to their abstracts (Jain et al., 2020).

    Each line has ``title``, ``abstract_words`` (or ``abstract``, tokens
    joined by spaces), ``ner`` (``[first, end, label]``, token indices, `end`
    exclusive) and, for paper-level labels, ``salient_entities_in_abstract``
    with their types in ``salient_entity_types``. Salient entity names use
    underscores for spaces ("Mean_IoU"), which `kg.resolve.entity_key` treats
    as separators.
    """
    path = Path(path)
    for number, record in _json_records(path):
        words = record.get("abstract_words")
        if words is None:
            words = _require(record, "abstract", str, path, number).split(" ")
        if not isinstance(words, list):
            raise InputError(str(path), "field 'abstract_words' must be a list of tokens", record=number)
        text, starts = join_tokens(words)
        spans: list[GoldSpan] = []
        for item in _require(record, "ner", list, path, number):
            if not (isinstance(item, list) and len(item) == 3 and isinstance(item[0], int) and isinstance(item[1], int)):
                raise InputError(str(path), f"'ner' item {item!r} must be [first token, end token, label]", record=number)
            first, end, label = item
            if not 0 <= first < end <= len(words):
                raise InputError(str(path), f"'ner' item {item!r} is outside the abstract's {len(words)} tokens", record=number)
            spans.append(_token_span(starts, words, first, end - 1, str(label)))
        spans.sort(key=lambda span: (span.start, span.end))
        types = record.get("salient_entity_types") or {}
        labels = tuple(
            (str(types[name]), name)
            for name in record.get("salient_entities_in_abstract") or ()
            if types.get(name)
        )
        yield Document(
            id=str(record.get("doc_id", f"{path.name}:{number}")),
            text=text,
            spans=tuple(spans),
            title=str(record.get("title") or ""),
            labels=labels,
            source=str(path),
            record=number,
        )


# --- CoNLL BIO / BIOES --------------------------------------------------------


def _decode_lines(path: Path, encoding: str | None) -> list[str]:
    if not path.is_file():
        raise InputError(str(path), "file not found")
    data = path.read_bytes()
    if encoding is not None:
        try:
            return data.decode(encoding).splitlines()
        except (UnicodeDecodeError, LookupError) as err:
            raise InputError(str(path), f"cannot be decoded as {encoding}: {err}") from err
    try:
        return data.decode("utf-8-sig").splitlines()
    except UnicodeDecodeError as err:
        line = data[: err.start].count(b"\n") + 1
        logger.warning(
            "%s, line %d: not valid UTF-8 (%s); reading the file as %s", path, line, err.reason, _FALLBACK_ENCODING
        )
    try:
        return data.decode(_FALLBACK_ENCODING).splitlines()
    except UnicodeDecodeError as err:
        line = data[: err.start].count(b"\n") + 1
        raise InputError(
            str(path), f"neither UTF-8 nor {_FALLBACK_ENCODING}; name the encoding with --encoding", record=line
        ) from err


def _split_columns(line: str) -> list[str]:
    # A line with a tab is split on tabs, so tokens may contain spaces.
    # Otherwise any run of spaces separates columns.
    if "\t" in line:
        return [column.strip() for column in line.split("\t")]
    return line.split()


def _conll_spans(tags: list[tuple[int, str]], starts: list[int], tokens: list[str], path: Path) -> list[GoldSpan]:
    """Decode BIO or BIOES tags (also IOB1 and BILOU) into spans.

    An I- or E- tag that does not continue a span of the same label starts a
    new one, as the CoNLL-2000 conlleval script does. So an IOB1 file and a
    file with a broken sequence still give every tagged token a span.
    """
    spans: list[GoldSpan] = []
    open_label: str | None = None
    open_first = 0

    def close(last: int) -> None:
        nonlocal open_label
        if open_label is not None:
            spans.append(_token_span(starts, tokens, open_first, last, open_label))
        open_label = None

    for index, (number, tag) in enumerate(tags):
        if tag == "O":
            close(index - 1)
            continue
        match = _TAG.match(tag)
        if match is None:
            raise InputError(
                str(path), f"invalid tag {tag!r}; expected O or B-, I-, E-, S- (or L-, U-) followed by a label", record=number
            )
        prefix, label = match["prefix"], match["label"]
        continues = open_label == label and prefix in "IEL"
        if not continues:
            close(index - 1)
            open_label, open_first = label, index
        if prefix in "ESLU":
            close(index)
    close(len(tags) - 1)
    return spans


def read_conll(path: str | Path, *, encoding: str | None = None) -> Iterator[Document]:
    """Read a CoNLL-style file with BIO or BIOES tags; each blank-line-separated block is one document.

    The token is the first column and the tag the last. Columns are separated
    by tabs, or by spaces when a line has no tab, so TDMSci's
    ``token<TAB>offset<TAB>tag`` (Hou et al., 2021) and CS-NER's
    ``token<TAB>tag`` (D'Souza and Auer, 2022) both read. ``-DOCSTART-``
    lines are skipped.

    Parameters
    ----------
    path : path
    encoding : str, optional
        The file's encoding. By default UTF-8 is tried, then Windows-1252
        (CS-NER's encoding) with a warning.

    Raises
    ------
    InputError
        For a line with fewer than two columns or an invalid tag, naming the line.
    """
    path = Path(path)
    lines = _decode_lines(path, encoding)
    block: list[tuple[int, str, str]] = []
    count = 0

    def finish() -> Document:
        tokens = [token for _, token, _ in block]
        text, starts = join_tokens(tokens)
        spans = _conll_spans([(number, tag) for number, _, tag in block], starts, tokens, path)
        return Document(
            id=f"{path.name}:{count}",
            text=text,
            spans=tuple(spans),
            labels=_distinct_names(text, spans),
            source=str(path),
            record=block[0][0],
        )

    for number, line in enumerate(lines, start=1):
        if not line.strip():
            if block:
                count += 1
                yield finish()
                block = []
            continue
        columns = _split_columns(line)
        if columns[0] == _DOCSTART:
            continue
        if len(columns) < 2 or not columns[0]:
            raise InputError(
                str(path), f"expected a token and a tag separated by a tab or spaces, got {line[:80]!r}", record=number
            )
        block.append((number, columns[0], columns[-1]))
    if block:
        count += 1
        yield finish()


# --- Format detection ---------------------------------------------------------


def detect_corpus_format(path: str | Path) -> CorpusFormat:
    """Guess a corpus file's format from its suffix and, for JSON, the fields of its first record.

    Raises
    ------
    InputError
        When neither the suffix nor the first record identify a format.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in _CONLL_SUFFIXES:
        return "conll"
    if suffix in _JSON_SUFFIXES:
        for number, record in _json_records(path):
            if "sentences" in record and "ner" in record:
                return "scierc"
            if "ner" in record and ("abstract_words" in record or "abstract" in record):
                return "scirex"
            if "id" in record and "title" in record:
                return "gold"
            fields = ", ".join(sorted(record)) or "none"
            raise InputError(
                str(path),
                f"cannot tell the corpus format from the fields of the first record ({fields}); "
                f"name it with --format ({', '.join(CORPUS_FORMATS)})",
                record=number,
            )
        raise InputError(str(path), "the file has no records")
    raise InputError(
        str(path),
        f"cannot tell the corpus format from the suffix {suffix or '(none)'!r}; name it with --format "
        f"({', '.join(CORPUS_FORMATS)})",
    )


def read_documents(path: str | Path, corpus_format: str, *, encoding: str | None = None) -> Iterator[Document]:
    """Read the span-level documents of a SciERC, CoNLL or SciREX file."""
    if corpus_format == "scierc":
        return read_scierc(path)
    if corpus_format == "scirex":
        return read_scirex(path)
    if corpus_format == "conll":
        return read_conll(path, encoding=encoding)
    raise InputError(str(path), f"format {corpus_format!r} has no span-level documents; expected scierc, conll or scirex")
