"""Readers that turn input files into a stream of `Paper` records.

Three formats are read, chosen by file name (or forced with `input_format`):

- page text (``.txt``, ``.md``): a "Daily Papers" listing as copied from the
  web page, with a short page header, then per paper a title line and, after
  blank lines, the abstract as one paragraph;
- JSON Lines (``.jsonl``, ``.ndjson``), one object per line;
- CSV (``.csv``) with a header row;
- the arXiv metadata snapshot (format "arxiv-snapshot", `kg.readers.arxiv_snapshot`),
  chosen by content when the first record of a ``.json`` or ``.jsonl`` file has
  the snapshot's fields.

JSON Lines and CSV records have the fields ``title`` (required), ``id``,
``abstract``, ``url``, ``date``, ``language`` (a language tag such as "en" or
"en_US", normalised to BCP 47 form "en-US") and ``authors`` (a list, or one
string with names separated by ";" or ","). A file may be gzip-compressed (``.gz`` after
the format suffix). All readers stream: memory use does not grow with the
number of records.

Text is read as UTF-8; control characters other than tab and newline are
removed at ingest, so no later stage (GraphML, RDF, HTML) has to cope with them.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import itertools
import json
import logging
import re
import unicodedata
import zlib
from urllib.parse import urlsplit
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import IO, Any, Literal

from kg.errors import InputError
from kg.language import normalize_language_tag
from kg.model import Paper

__all__ = [
    "INPUT_FORMATS",
    "ReadStats",
    "detect_format",
    "paper_id",
    "read_csv",
    "read_daily_papers",
    "read_jsonl",
    "read_papers",
]

logger = logging.getLogger(__name__)

InputFormat = Literal["page", "jsonl", "csv", "arxiv-snapshot"]
INPUT_FORMATS: tuple[str, ...] = ("page", "jsonl", "csv", "arxiv-snapshot")

_SUFFIX_FORMATS: dict[str, InputFormat] = {
    ".txt": "page",
    ".text": "page",
    ".md": "page",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".csv": "csv",
    # The arXiv snapshot is JSON Lines named .json; `_sniff_json_lines` decides.
    ".json": "jsonl",
}

# Bytes of a JSON Lines file read to recognise the arXiv snapshot by its first
# record. A snapshot record has a few KB, so 1 MiB leaves a wide margin.
_SNIFF_BYTES = 1 << 20

# C0 and C1 control characters except tab, line feed and carriage return, and
# the bidirectional embedding, override and isolate controls (U+202A-U+202E,
# U+2066-U+2069), which can make a name display in a misleading order.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_SPACE = re.compile(r"\s+")
_SLUG_SEPARATOR = re.compile(r"[^a-z0-9]+")

# Words of the slug part of a derived paper id; the hash keeps it unique.
_ID_SLUG_WORDS = 6

# Maximum length of a title line in characters: longer paragraphs are abstracts. The longest title on the bundled example page has 123.
_MAX_TITLE_CHARS = 300

# Lines of the Hugging Face page chrome that a copy-paste picks up.
_PAGE_CHROME = frozenset(
    {
        "new",
        "subscribe",
        "daily papers",
        "upvote",
        "get trending papers in your email inbox!",
        "byak and the research community",
        "previous",
        "next",
    }
)
_MONTHS = "jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec"
# "Sep 11", "September 11, 2025", "2025-09-11": the date line that closes the header.
_DATE_LINE = re.compile(
    rf"^(?:(?:{_MONTHS})[a-z]*\.?\s+\d{{1,2}}(?:,?\s+\d{{4}})?|\d{{4}}-\d{{2}}-\d{{2}})$",
    re.IGNORECASE,
)
_NOISE_LINE = re.compile(r"^(?:\d+|submitted by .*|·?\s*\d+ authors?|published on .*)$", re.IGNORECASE)


class ReadStats:
    """Counts kept by a reader while it streams, for the build summary."""

    def __init__(self) -> None:
        self.records = 0
        self.skipped_invalid = 0
        self.title_only = 0

    def __repr__(self) -> str:
        return (
            f"ReadStats(records={self.records}, skipped_invalid={self.skipped_invalid}, "
            f"title_only={self.title_only})"
        )


def clean_text(text: str) -> str:
    """Return `text` in NFC form without control characters and with single spaces."""
    text = unicodedata.normalize("NFC", text)
    text = _CONTROL.sub(" ", text)
    return _SPACE.sub(" ", text).strip()


def paper_id(title: str) -> str:
    """Derive a stable paper id from a title.

    The id is a short slug of the first words followed by 8 hex digits of the
    SHA-1 of the normalised title. It survives re-runs, other machines and
    changes of case or spacing, and the hash keeps apart two titles that share
    their first words.

    Examples
    --------
    >>> paper_id("RL Tango: Reinforcing Generator and Verifier Together")
    'rl-tango-reinforcing-generator-and-verifier-cf84a5a2'
    """
    normalized = clean_text(title).casefold()
    digest = hashlib.sha1(normalized.encode("utf-8")).hexdigest()[:8]
    slug = _SLUG_SEPARATOR.sub("-", unicodedata.normalize("NFKD", normalized).encode("ascii", "ignore").decode())
    words = [word for word in slug.split("-") if word][:_ID_SLUG_WORDS]
    return "-".join([*words, digest])


class _DerivedIds:
    """Paper ids derived from titles, numbered when different papers share a title.

    A repeated listing (same title and abstract) gets the same id again, so
    `kg.build.deduplicate` drops it. A different paper with the same title
    gets ``<id>-2``, ``<id>-3``, ... in order of appearance.
    """

    def __init__(self) -> None:
        self._ids: dict[str, dict[int, str]] = defaultdict(dict)

    def assign(self, title: str, abstract: str, *, path: Path, record: int) -> str:
        base = paper_id(title)
        ids = self._ids[base]
        fingerprint = hash(abstract)
        if fingerprint not in ids:
            if ids:
                logger.warning("%s, record %d: another paper is titled %r; it gets a numbered id", path, record, title)
            ids[fingerprint] = base if not ids else f"{base}-{len(ids) + 1}"
        return ids[fingerprint]


def _sniff_json_lines(path: Path) -> InputFormat:
    """Return "arxiv-snapshot" if the first non-blank line of `path` is a snapshot record, else "jsonl".

    A file that cannot be opened, decoded or parsed here is left to the JSON
    Lines reader, whose error names the line.
    """
    from kg.readers.arxiv_snapshot import looks_like_snapshot_record

    if not path.is_file():
        return "jsonl"
    try:
        with _open_binary(path) as handle:
            while handle.tell() < _SNIFF_BYTES:
                # A line cut at the size limit fails to parse and counts as "jsonl".
                raw = handle.readline(_SNIFF_BYTES)
                if not raw:
                    break
                line = raw.decode("utf-8-sig").strip()
                if line:
                    return "arxiv-snapshot" if looks_like_snapshot_record(json.loads(line)) else "jsonl"
    except (OSError, EOFError, zlib.error, UnicodeDecodeError, json.JSONDecodeError, InputError):
        pass
    return "jsonl"


def detect_format(path: str | Path) -> InputFormat:
    """Return the input format of `path` from its suffixes (``.gz`` is looked through).

    A ``.json``, ``.jsonl`` or ``.ndjson`` file whose first record has the
    fields of the arXiv metadata snapshot is "arxiv-snapshot".
    """
    suffixes = [suffix.lower() for suffix in Path(path).suffixes]
    if suffixes and suffixes[-1] == ".gz":
        suffixes = suffixes[:-1]
    if suffixes and suffixes[-1] in _SUFFIX_FORMATS:
        detected = _SUFFIX_FORMATS[suffixes[-1]]
        return _sniff_json_lines(Path(path)) if detected == "jsonl" else detected
    known = ", ".join(sorted(_SUFFIX_FORMATS))
    raise InputError(
        str(path),
        f"unknown input format; expected a file ending in {known} (optionally .gz), "
        "or name the format with --format",
    )


def _open_binary(path: Path) -> IO[bytes]:
    if not path.exists():
        raise InputError(str(path), "file not found")
    if not path.is_file():
        raise InputError(str(path), "not a regular file")
    if path.suffix.lower() == ".gz":
        return gzip.open(path, "rb")
    return path.open("rb")


def _lines(path: Path) -> Iterator[tuple[int, str]]:
    """Yield (1-based line number, line), decoding each line as UTF-8 on its own.

    Decoding line by line lets an error name the line that contains the bad byte.
    """
    with _open_binary(path) as handle:
        number = 0
        try:
            for number, raw in enumerate(handle, start=1):
                if number == 1 and raw.startswith(b"\xef\xbb\xbf"):
                    raw = raw[3:]
                try:
                    yield number, raw.decode("utf-8")
                except UnicodeDecodeError as err:
                    raise InputError(
                        str(path), f"not valid UTF-8 ({err.reason} at byte {err.start + 1} of the line)", record=number
                    ) from err
        except (OSError, EOFError, zlib.error) as err:
            # gzip reports a corrupt or truncated file while decompressing a line.
            raise InputError(str(path), f"cannot be read: {err}", record=number + 1) from err


# --- Daily Papers page text --------------------------------------------------


def _paragraphs(path: Path) -> Iterator[tuple[int, list[str]]]:
    """Yield (first line number, lines) for each run of non-blank lines."""
    block: list[str] = []
    first = 0
    for number, line in _lines(path):
        text = line.strip()
        if text:
            if not block:
                first = number
            block.append(text)
        elif block:
            yield first, block
            block = []
    if block:
        yield first, block


def _is_chrome(line: str) -> bool:
    lowered = line.casefold()
    return lowered in _PAGE_CHROME or bool(_NOISE_LINE.match(line))


def _looks_like_abstract(text: str) -> bool:
    # Abstracts are long, or end like a sentence; titles rarely end with a
    # period, but a cut abstract often ends with an ellipsis.
    if len(text) > _MAX_TITLE_CHARS:
        return True
    return text.endswith((".", "…", "...")) and not text.endswith(("et al.",))


# Paragraphs searched for the date line that ends the page header.
_MAX_HEADER_PARAGRAPHS = 12


def _is_header_line(lines: list[str]) -> bool:
    return len(lines) == 1 and len(lines[0]) < 60


def _content_paragraphs(path: Path) -> Iterator[tuple[int, list[str]]]:
    """Yield the paragraphs after the page header, without page chrome.

    The header is the run of short single-line paragraphs up to the date line
    ("Sep 11"). A page with no such date line near the top has no header we
    know, and all of its paragraphs are content.
    """
    paragraphs = _paragraphs(path)
    buffered: list[tuple[int, list[str]]] = []
    for first, lines in paragraphs:
        if _is_header_line(lines) and _DATE_LINE.match(lines[0]):
            buffered = []
            break
        buffered.append((first, lines))
        if len(buffered) > _MAX_HEADER_PARAGRAPHS or not _is_header_line(lines):
            break

    for first, lines in itertools.chain(buffered, paragraphs):
        if len(lines) == 1 and _is_chrome(lines[0]):
            continue
        yield first, lines


def read_daily_papers(
    path: str | Path, *, skip_invalid: bool = False, stats: ReadStats | None = None
) -> Iterator[Paper]:
    """Read a Daily Papers page copied as text.

    Parameters
    ----------
    path : path
        The page text, UTF-8.
    skip_invalid : bool
        Log and skip a paragraph that cannot be a paper (an abstract with no
        title before it) instead of raising `InputError`.
    stats : ReadStats, optional
        Updated with the number of papers, title-only papers and skipped
        paragraphs.

    Yields
    ------
    Paper
        In page order. A title followed directly by another title, or by the
        end of the file, is kept as a title-only paper with an empty abstract.

    Notes
    -----
    The page header ends at its date line ("Sep 11"); lines of page chrome
    ("Subscribe", "Upvote", vote counts) are skipped wherever they appear. A
    paragraph that starts with a title-like line followed by more lines is read
    as a title and its abstract without the blank line between them.
    """
    path = Path(path)
    stats = stats or ReadStats()
    pending: tuple[int, str] | None = None
    derived_ids = _DerivedIds()

    def emit(title_line: int, title: str, abstract: str) -> Paper:
        stats.records += 1
        if not abstract:
            stats.title_only += 1
            logger.info("%s, line %d: paper %r has no abstract; kept with its title only", path, title_line, title)
        return Paper(
            id=derived_ids.assign(title, abstract, path=path, record=title_line),
            title=title,
            abstract=abstract,
            source=str(path),
            record=title_line,
        )

    for first, lines in _content_paragraphs(path):
        text = clean_text(" ".join(lines))
        if pending is None:
            if len(lines) > 1 and not _looks_like_abstract(clean_text(lines[0])):
                # Title and abstract with no blank line between them.
                yield emit(first, clean_text(lines[0]), clean_text(" ".join(lines[1:])))
            elif len(lines) == 1 and len(text) <= _MAX_TITLE_CHARS:
                # After an abstract, a short line is a title even if it ends
                # with a period ("Attention Is All You Need.").
                pending = (first, text)
            else:
                error = InputError(
                    str(path),
                    "found an abstract-like paragraph with no title before it; "
                    "expected a title line, a blank line, then the abstract",
                    record=first,
                )
                if not skip_invalid:
                    raise error
                stats.skipped_invalid += 1
                logger.warning("Skipped invalid record: %s", error)
            continue

        title_line, title = pending
        if _looks_like_abstract(text) or len(lines) > 1:
            yield emit(title_line, title, text)
            pending = None
        else:
            # Two titles in a row: the first paper has no abstract on the page.
            yield emit(title_line, title, "")
            pending = (first, text)

    if pending is not None:
        yield emit(pending[0], pending[1], "")


# --- JSON Lines and CSV -------------------------------------------------------


def _json_type(value: Any) -> str:
    """Return the JSON name of a decoded value's type ("null", "array", ...)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    names = {dict: "object", list: "array", str: "string"}
    return names.get(type(value), type(value).__name__)


def _authors(value: Any, path: Path, record: int) -> tuple[str, ...]:
    if value is None or value == "":
        return ()
    if isinstance(value, str):
        separator = ";" if ";" in value else ","
        return tuple(name for name in (clean_text(part) for part in value.split(separator)) if name)
    if isinstance(value, list) and all(isinstance(name, str) for name in value):
        return tuple(name for name in (clean_text(part) for part in value) if name)
    raise InputError(str(path), f"field 'authors' must be a list of strings or a string, got {_json_type(value)}", record=record)


def _optional_string(record_data: dict[str, Any], name: str, path: Path, record: int) -> str | None:
    value = record_data.get(name)
    if value is None or value == "":
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool) and name == "id":
        return str(value)
    if not isinstance(value, str):
        raise InputError(str(path), f"field {name!r} must be a string, got {_json_type(value)}", record=record)
    return clean_text(value) or None


def _language(record_data: dict[str, Any], path: Path, record: int) -> str:
    tag = _optional_string(record_data, "language", path, record)
    if tag is None:
        return ""
    try:
        return normalize_language_tag(tag)
    except ValueError as err:
        raise InputError(str(path), f"field 'language': {err}", record=record) from err


def _paper_from_record(record_data: Any, path: Path, record: int, derived_ids: _DerivedIds) -> Paper:
    if not isinstance(record_data, dict):
        raise InputError(str(path), f"expected a JSON object, got {_json_type(record_data)}", record=record)
    title = _optional_string(record_data, "title", path, record)
    if title is None and "title" in record_data:
        raise InputError(str(path), "field 'title' is empty", record=record)
    if title is None:
        fields = ", ".join(sorted(map(str, record_data))) or "none"
        raise InputError(str(path), f"missing required field 'title' (fields present: {fields})", record=record)
    abstract = _optional_string(record_data, "abstract", path, record) or ""
    identifier = _optional_string(record_data, "id", path, record)
    if identifier is None:
        identifier = derived_ids.assign(title, abstract, path=path, record=record)
    url = _optional_string(record_data, "url", path, record)
    if url is not None and urlsplit(url).scheme.lower() not in {"http", "https"}:
        raise InputError(str(path), f"field 'url' must be an http or https URL, got {url[:80]!r}", record=record)
    return Paper(
        id=identifier,
        title=title,
        abstract=abstract,
        url=url,
        date=_optional_string(record_data, "date", path, record),
        language=_language(record_data, path, record),
        authors=_authors(record_data.get("authors"), path, record),
        source=str(path),
        record=record,
    )


def _guarded(
    records: Iterable[tuple[int, Any]],
    path: Path,
    skip_invalid: bool,
    stats: ReadStats,
    *,
    parse: Callable[[Any, Path, int], Paper] | None = None,
) -> Iterator[Paper]:
    """Convert (record number, decoded record or InputError) pairs into papers.

    `parse` converts one record (default: kg's JSON Lines/CSV fields, with ids
    derived from titles where missing). An `InputError` stops the stream, or
    with `skip_invalid` is logged, counted in `stats` and skipped.
    """
    derived_ids = _DerivedIds()
    for record, data in records:
        try:
            if isinstance(data, InputError):
                paper = data
            elif parse is not None:
                paper = parse(data, path, record)
            else:
                paper = _paper_from_record(data, path, record, derived_ids)
            if isinstance(paper, InputError):
                raise paper
        except InputError as err:
            if not skip_invalid:
                raise
            stats.skipped_invalid += 1
            logger.warning("Skipped invalid record: %s", err)
            continue
        stats.records += 1
        if not paper.has_abstract:
            stats.title_only += 1
        yield paper


def read_jsonl(path: str | Path, *, skip_invalid: bool = False, stats: ReadStats | None = None) -> Iterator[Paper]:
    """Read papers from JSON Lines, one object per line; blank lines are ignored.

    Raises
    ------
    InputError
        On the first invalid line (bad JSON, not an object, missing title,
        wrong field type), naming the file and line. With `skip_invalid`, the
        record is logged, counted in `stats` and skipped instead.
    """
    path = Path(path)

    def records() -> Iterator[tuple[int, Any]]:
        for number, line in _lines(path):
            if not line.strip():
                continue
            try:
                yield number, json.loads(line.rstrip("\r\n"))
            except json.JSONDecodeError as err:
                yield number, InputError(str(path), f"invalid JSON: {err.msg} at column {err.colno}", record=number)

    return _guarded(records(), path, skip_invalid, stats or ReadStats())


def read_csv(path: str | Path, *, skip_invalid: bool = False, stats: ReadStats | None = None) -> Iterator[Paper]:
    """Read papers from CSV with a header row that names a ``title`` column.

    The record number of a row is the line on which the row ends, as
    `csv.reader` counts it (quoted fields may span lines).
    """
    path = Path(path)

    def records() -> Iterator[tuple[int, Any]]:
        # `_lines` decodes line by line, so a bad byte is reported on its own line.
        # strict=True turns malformed quoting (an unterminated quote) into csv.Error.
        reader = csv.DictReader((line for _, line in _lines(path)), strict=True)
        try:
            header = [name.strip().lower() for name in reader.fieldnames or ()]
            duplicates = sorted({name for name in header if header.count(name) > 1})
            if duplicates:
                raise InputError(str(path), f"the header row repeats the column(s) {', '.join(duplicates)}", record=1)
            reader.fieldnames = header
            if not header or "title" not in header:
                raise InputError(str(path), f"the header row must name a 'title' column, got {header!r}", record=1)
            for row in reader:
                if None in row:
                    fields = len(header) + len(row[None])
                    problem = f"row has {fields} fields, the header has {len(header)}"
                    yield reader.line_num, InputError(str(path), problem, record=reader.line_num)
                    continue
                yield reader.line_num, row
        except csv.Error as err:
            raise InputError(str(path), f"invalid CSV: {err}", record=reader.line_num) from err

    return _guarded(records(), path, skip_invalid, stats or ReadStats())


def read_papers(
    path: str | Path,
    *,
    input_format: InputFormat | None = None,
    skip_invalid: bool = False,
    stats: ReadStats | None = None,
) -> Iterator[Paper]:
    """Read papers from one file in any supported format.

    Parameters
    ----------
    path : path
    input_format : {"page", "jsonl", "csv", "arxiv-snapshot"}, optional
        Overrides the format detected from the file name (and, for JSON
        Lines, from the first record).
    skip_invalid : bool
        Log and skip invalid JSON Lines/CSV records instead of raising.
    stats : ReadStats, optional
        Updated while the stream is consumed.

    Raises
    ------
    InputError
        For a missing file, an unknown format or an invalid record.
    """
    fmt = input_format or detect_format(path)
    if fmt not in INPUT_FORMATS:
        raise InputError(str(path), f"unknown format {fmt!r}; expected one of {', '.join(INPUT_FORMATS)}")
    if fmt == "page":
        return read_daily_papers(path, skip_invalid=skip_invalid, stats=stats)
    if fmt == "jsonl":
        return read_jsonl(path, skip_invalid=skip_invalid, stats=stats)
    if fmt == "arxiv-snapshot":
        from kg.readers.arxiv_snapshot import read_arxiv_snapshot

        return read_arxiv_snapshot(path, skip_invalid=skip_invalid, stats=stats)
    return read_csv(path, skip_invalid=skip_invalid, stats=stats)
