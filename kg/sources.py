"""Readers that turn input files into a stream of `Paper` records.

Four formats are read here, chosen by file name (or forced with `input_format`):

- page text (``.txt``, ``.md``): a "Daily Papers" listing as copied from the
  web page, with a short page header, then per paper a title line and, after
  blank lines, the abstract as one paragraph;
- JSON Lines (``.jsonl``, ``.ndjson``), one object per line;
- CSV (``.csv``) with a header row;
- the arXiv metadata snapshot (format "arxiv-snapshot", `kg.readers.arxiv_snapshot`),
  chosen by content when the first record of a ``.json`` or ``.jsonl`` file has
  the snapshot's fields.

JSON Lines and CSV records have the fields ``title`` (required), ``id``,
``abstract``, ``url``, ``date``, ``language`` and ``authors``. ``language`` is
a language tag such as "en" or "en_US", normalised to the BCP 47 form "en-US".
``authors`` is a list, or one string with names separated by ";" or ",". A
file may be gzip-compressed (``.gz`` after the format suffix). All readers
stream, so memory use does not grow with the number of records.

More formats are read by the modules of `kg.readers`, dispatched from
`read_papers`: Hugging Face Daily Papers API JSON ("hf-daily"), arXiv API
Atom feeds ("arxiv-atom", ``.atom``), Semantic Scholar Graph API JSON
("s2"), BibTeX ("bibtex", ``.bib``), TSV and CSV with a column mapping
("tsv", ``.tsv``), and a folder of ``.txt`` files ("text-folder"). A
``.json`` or ``.xml`` file is assigned its format by its first bytes.

Text is read as UTF-8 by default (a byte order mark is dropped) or in the
encoding given to `read_papers`. A file that is not text (NUL bytes,
compressed data under a name without ``.gz``) or not valid in its encoding
raises `InputError` with the line and byte offset. At ingest, every field is
cleaned: mojibake (UTF-8 decoded as Windows-1252, "CafÃ©") is repaired with
ftfy, control characters other than tab and newline become spaces, and
zero-width characters and soft hyphens are removed, so no later stage
(entity names, IRIs, GraphML, HTML) has to cope with them.
"""

from __future__ import annotations

import codecs
import contextvars
import csv
import gzip
import hashlib
import io
import itertools
import json
import logging
import re
import unicodedata
import zlib
from urllib.parse import urlsplit
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Literal

import ftfy

from kg.errors import ConfigError, InputError
from kg.language import normalize_language_tag
from kg.model import Paper

__all__ = [
    "INPUT_FORMATS",
    "ReadStats",
    "SkippedRecord",
    "clean_text",
    "detect_format",
    "has_mojibake",
    "paper_id",
    "read_csv",
    "read_daily_papers",
    "read_jsonl",
    "read_papers",
]

logger = logging.getLogger(__name__)

InputFormat = Literal[
    "page", "jsonl", "csv", "arxiv-snapshot", "hf-daily", "arxiv-atom", "s2", "bibtex", "tsv", "text-folder"
]
INPUT_FORMATS: tuple[str, ...] = (
    "page", "jsonl", "csv", "arxiv-snapshot", "hf-daily", "arxiv-atom", "s2", "bibtex", "tsv", "text-folder",
)  # fmt: skip

_SUFFIX_FORMATS: dict[str, InputFormat] = {
    ".txt": "page",
    ".text": "page",
    ".md": "page",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".csv": "csv",
    ".atom": "arxiv-atom",
    ".bib": "bibtex",
    ".tsv": "tsv",
    ".tab": "tsv",
}

# Suffixes whose format is decided by the first bytes (`_sniff_format`).
_SNIFFED_SUFFIXES = (".json", ".xml")
# Bytes read to decide the format of a .json or .xml file: enough for the
# XML declaration and root element, or for the keys of the first JSON record.
_SNIFF_BYTES = 16384
# Keys that mark the first record of a Daily Papers response ('"paper": {')
# and of a Semantic Scholar response ('"paperId"').
_HF_DAILY_MARK = re.compile(rb'"paper"\s*:\s*\{')
_S2_MARK = re.compile(rb'"paperId"\s*:')
_ATOM_MARK = re.compile(rb"<feed\b[^>]*http://www\.w3\.org/2005/Atom")
# Bytes of a JSON Lines file read to recognise the arXiv snapshot by its first
# record. A snapshot record has a few KB, so 1 MiB leaves a wide margin.
_SNAPSHOT_SNIFF_BYTES = 1 << 20

# C0 and C1 control characters except tab, line feed and carriage return, and
# the bidirectional embedding, override and isolate controls (U+202A-U+202E,
# U+2066-U+2069), which can make a name display in a misleading order.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
# Characters that are invisible inside a word: soft hyphen, zero-width space,
# non-joiner and joiner, word joiner, and a byte order mark inside the text.
# They are removed (not replaced by a space), so "Trans\u200bformer" becomes
# "Transformer" and entity names and IRIs match their visible text.
# NOTE: this also drops the joiners that emoji sequences and some scripts
# (Persian, Indic) use; the visible letters are kept.
_INVISIBLE = re.compile("[\u00ad\u200b-\u200d\u2060\ufeff]")
# Lone UTF-16 surrogates, which JSON escapes such as "\ud800" can produce;
# they cannot be written as UTF-8, so they become U+FFFD REPLACEMENT CHARACTER.
_SURROGATE = re.compile("[\ud800-\udfff]")
_SPACE = re.compile(r"\s+")
# Runs of white space and of the ASCII characters of `_CONTROL`, for ASCII text.
_ASCII_BLANK = re.compile("[\\s\x00-\x08\x0b\x0c\x0e-\x1f\x7f]+")
_SLUG_SEPARATOR = re.compile(r"[^a-z0-9]+")

# Words of the slug part of a derived paper id; the hash keeps it unique.
_ID_SLUG_WORDS = 6

# Maximum length of a title line in characters. A longer paragraph is taken
# as an abstract. The longest title on the bundled example page has 123.
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


@dataclass(frozen=True)
class SkippedRecord:
    """An input record (or a whole file) skipped because it is invalid: one line of ``skipped.jsonl``."""

    file: str
    record: int | None
    id: str | None
    problem: str

    def to_json(self) -> dict[str, Any]:
        """Return the ``skipped.jsonl`` object: file, record, id, problem."""
        return {"file": self.file, "record": self.record, "id": self.id, "problem": self.problem}


class ReadStats:
    """Counts kept by readers while they stream, for the build summary.

    Attributes
    ----------
    records : int
        Papers yielded.
    skipped_invalid : int
        Invalid records skipped because of ``skip_invalid``.
    title_only : int
        Papers yielded without an abstract.
    repaired : int
        Papers whose title, abstract or authors had mojibake repaired.
    skipped : list of SkippedRecord
        One entry per record counted by `skip`, for ``skipped.jsonl``.
    """

    def __init__(self) -> None:
        self.records = 0
        self.skipped_invalid = 0
        self.title_only = 0
        self.repaired = 0
        self.skipped: list[SkippedRecord] = []

    def skip(self, error: InputError, *, paper_id: str | None = None) -> None:
        """Count, log and remember an invalid record that is skipped."""
        self.skipped_invalid += 1
        self.skipped.append(SkippedRecord(error.path, error.record, paper_id, error.problem))
        logger.warning("Skipped invalid record: %s", error)

    def __repr__(self) -> str:
        return (
            f"ReadStats(records={self.records}, skipped_invalid={self.skipped_invalid}, "
            f"title_only={self.title_only}, repaired={self.repaired})"
        )


# A lead byte of a multi-byte UTF-8 sequence read as Latin-1 or Windows-1252
# (U+00C2 to U+00F4), then a continuation byte read the same way (U+0080 to
# U+00BF, or the Windows-1252 characters at 0x80 to 0x9F). UTF-8 text decoded
# with either encoding always contains such a pair.
_MOJIBAKE_PAIR = re.compile(
    "[\u00c2-\u00f4][\u0080-\u00bf\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6\u02dc"
    "\u2013\u2014\u2018-\u201a\u201c-\u201e\u2020-\u2022\u2026\u2030\u2039\u203a\u20ac\u2122]"
)


def _repair(text: str) -> str:
    # fix_encoding only undoes wrong decodings ("CafÃ©" -> "Café"); it leaves
    # quotes, HTML entities and ligatures alone. It is slow on long non-ASCII
    # text, so it runs only on text with a tell-tale pair of characters.
    # NOTE: mojibake from other encodings (UTF-8 read as MacRoman or cp437)
    # has no such pair and is kept as it is.
    return ftfy.fix_encoding(text) if _MOJIBAKE_PAIR.search(text) else text


def has_mojibake(text: str) -> bool:
    """Return True if ftfy would repair mojibake in `text` ("CafÃ©" for "Café")."""
    return _repair(text) != text


def clean_text(text: str) -> str:
    """Return `text` cleaned for use as a field value.

    Lone surrogates become U+FFFD, mojibake is repaired (see `has_mojibake`),
    the text is put in NFC form, control characters become spaces,
    zero-width characters and soft hyphens are removed, and runs of white
    space become one space.

    Examples
    --------
    >>> clean_text("Caf\u00c3\u00a9  Trans\u200bformer\x07 net")
    'Café Transformer net'
    """
    if text.isascii():
        # ASCII text has no surrogates, mojibake pairs or invisible
        # characters, and is in NFC already. str.split splits at the
        # characters that \s matches, and the joined text is printable
        # unless it has control characters, which become spaces too.
        joined = " ".join(text.split())
        return joined if joined.isprintable() else _ASCII_BLANK.sub(" ", text).strip()
    if _SURROGATE.search(text):
        text = _SURROGATE.sub("\ufffd", text)
    text = unicodedata.normalize("NFC", _repair(text))
    text = _UNWANTED.sub(_replace_unwanted, text)
    return _SPACE.sub(" ", text).strip()


# One pass over the text for both kinds of unwanted characters.
_UNWANTED = re.compile(f"{_INVISIBLE.pattern}|{_CONTROL.pattern}")


def _replace_unwanted(match: re.Match[str]) -> str:
    return "" if _INVISIBLE.match(match.group()) else " "


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
            while handle.tell() < _SNAPSHOT_SNIFF_BYTES:
                # A line cut at the size limit fails to parse and counts as "jsonl".
                raw = handle.readline(_SNAPSHOT_SNIFF_BYTES)
                if not raw:
                    break
                line = raw.decode("utf-8-sig").strip()
                if line:
                    return "arxiv-snapshot" if looks_like_snapshot_record(json.loads(line)) else "jsonl"
    except (OSError, EOFError, zlib.error, UnicodeDecodeError, json.JSONDecodeError, InputError):
        pass
    return "jsonl"


def detect_format(path: str | Path) -> InputFormat:
    """Return the input format of `path` from its suffixes, ignoring a final ``.gz``.

    A folder is "text-folder". A ``.json`` or ``.xml`` file is recognised by
    its first bytes (see `_sniff_format`). A ``.json``, ``.jsonl`` or
    ``.ndjson`` file whose first record has the fields of the arXiv metadata
    snapshot is "arxiv-snapshot".
    """
    path = Path(path)
    if path.is_dir():
        return "text-folder"
    suffixes = [suffix.lower() for suffix in path.suffixes]
    if suffixes and suffixes[-1] == ".gz":
        suffixes = suffixes[:-1]
    if suffixes and suffixes[-1] in _SUFFIX_FORMATS:
        detected = _SUFFIX_FORMATS[suffixes[-1]]
        return _sniff_json_lines(path) if detected == "jsonl" else detected
    if suffixes and suffixes[-1] in _SNIFFED_SUFFIXES:
        return _sniff_format(path)
    known = ", ".join(sorted([*_SUFFIX_FORMATS, *_SNIFFED_SUFFIXES]))
    raise InputError(
        str(path),
        f"unknown input format; expected a file ending in {known} (optionally .gz), "
        f"a folder of .txt files, or name the format with --format ({', '.join(INPUT_FORMATS)})",
    )


def _sniff_format(path: Path) -> InputFormat:
    """Decide the format of a .json or .xml file from its first `_SNIFF_BYTES` bytes.

    An Atom ``<feed>`` root is "arxiv-atom". In JSON, the first of the keys
    ``"paper": {`` (a Daily Papers entry) and ``"paperId":`` (a Semantic
    Scholar paper) decides between "hf-daily" and "s2". A ``.json`` file of JSON Lines is
    "arxiv-snapshot" when its first record has the snapshot's fields, and
    "jsonl" when its first line is one object with a title.
    """
    with _open_binary(path) as handle:
        try:
            head = handle.read(_SNIFF_BYTES)
        except (OSError, EOFError, zlib.error) as err:
            raise InputError(str(path), f"cannot be read: {err}") from err
    if _ATOM_MARK.search(head):
        return "arxiv-atom"
    marks = [(match.start(), name) for name, mark in (("hf-daily", _HF_DAILY_MARK), ("s2", _S2_MARK)) if (match := mark.search(head))]
    if marks:
        return min(marks)[1]  # type: ignore[return-value]  # the names above are InputFormat values
    if path.name.lower().removesuffix(".gz").endswith(".json"):
        # The arXiv metadata snapshot, and other JSON Lines with titles, come
        # as .json files too.
        if _sniff_json_lines(path) == "arxiv-snapshot":
            return "arxiv-snapshot"
        first_line = head.lstrip(b"\xef\xbb\xbf \t\r\n").split(b"\n", 1)[0].strip()
        if first_line.startswith(b"{") and first_line.endswith(b"}") and b'"title"' in first_line:
            return "jsonl"
    raise InputError(
        str(path),
        "cannot tell the format from the first bytes: expected an arXiv API Atom feed, a Daily Papers "
        "API response (entries with a \"paper\" object), a Semantic Scholar response (\"paperId\" keys), "
        "arXiv metadata snapshot lines or JSON Lines with titles; name the format with --format",
    )


# The encoding of the file being read, set by `read_papers` around each step
# of its reader, so that readers call `_lines(path)` without passing it on.
_ENCODING: contextvars.ContextVar[str | None] = contextvars.ContextVar("kg_input_encoding", default=None)

# Bytes at the start of a file that are checked for signs of binary data.
_BINARY_SNIFF_BYTES = 8192
# Share of control bytes (other than tab, line feed, form feed and carriage
# return) above which undecodable bytes are binary data, not text in another
# encoding: random bytes have about 11 %, Latin-1 or Windows-1252 prose none.
_MAX_CONTROL_SHARE = 0.05
_CONTROL_BYTES = frozenset([*range(0x00, 0x09), 0x0B, *range(0x0E, 0x20), 0x7F])

# Maximum CSV field length read, in characters. Python's csv module stops at
# 131,072 by default. A longer abstract should reach the build's abstract
# length check, because its message names the record, the length and the limit.
_MAX_CSV_FIELD_CHARS = 64 * 1024 * 1024

_MAGIC_NUMBERS: tuple[tuple[bytes, str], ...] = (
    (b"\x1f\x8b", "gzip-compressed data; give it a name ending in .gz"),
    (b"PK\x03\x04", "a ZIP archive; extract it first"),
    (b"BZh", "bzip2-compressed data; decompress it first"),
    (b"\xfd7zXZ\x00", "xz-compressed data; decompress it first"),
    (b"\x28\xb5\x2f\xfd", "Zstandard-compressed data; decompress it first"),
    (b"%PDF-", "a PDF document; convert it to text first"),
    (b"\x89PNG", "a PNG image"),
)
_WIDE_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def _input_encoding() -> str:
    return _ENCODING.get() or "utf-8"


def _is_ascii_compatible(encoding: str) -> bool:
    """Return True if `encoding` writes line feeds and ASCII letters as single ASCII bytes."""
    return "\nA".encode(encoding) == b"\nA"


def _check_text(path: Path, sample: bytes, encoding: str) -> None:
    """Raise `InputError` if the first bytes of a file show that it is not text in `encoding`."""
    is_gzip_name = path.suffix.lower() == ".gz"
    for magic, what in _MAGIC_NUMBERS:
        if sample.startswith(magic) and not (is_gzip_name and magic == b"\x1f\x8b"):
            raise InputError(str(path), f"is not a text file: it starts like {what}")
    if not _is_ascii_compatible(encoding):
        return
    for bom, wide_encoding in _WIDE_BOMS:
        if sample.startswith(bom):
            raise InputError(
                str(path),
                f"is {wide_encoding.upper()} text (it starts with a {wide_encoding.upper()} byte order mark); "
                f"pass --encoding {wide_encoding}",
            )
    nul = sample.find(b"\x00")
    if nul >= 0:
        raise InputError(str(path), f"is not a text file: it contains a NUL byte at byte {nul + 1}")
    try:
        codecs.getincrementaldecoder(encoding)().decode(sample, final=False)
    except UnicodeDecodeError:
        controls = sum(byte in _CONTROL_BYTES for byte in sample)
        if controls > _MAX_CONTROL_SHARE * len(sample):
            raise InputError(
                str(path), f"is not a text file: its first {len(sample)} bytes are not {_display_name(encoding)} text "
                f"and contain {controls} control bytes",
            ) from None


def _open_binary(path: Path) -> IO[bytes]:
    """Open `path` for reading bytes, decompressing ``.gz``.

    Raises
    ------
    InputError
        If the file is missing, is not a regular file, or its first bytes
        show binary data (see `_check_text`).
    """
    if not path.exists():
        raise InputError(str(path), "file not found")
    if not path.is_file():
        raise InputError(str(path), "not a regular file")
    handle: IO[bytes]
    if path.suffix.lower() == ".gz":
        handle = gzip.open(path, "rb")
    else:
        handle = path.open("rb")
    try:
        sample = handle.peek(_BINARY_SNIFF_BYTES)[:_BINARY_SNIFF_BYTES]  # type: ignore[attr-defined]  # BufferedReader and GzipFile have peek
        _check_text(path, sample, _input_encoding())
    except (OSError, EOFError, zlib.error) as err:
        handle.close()
        raise InputError(str(path), f"cannot be read: {err}") from err
    except InputError:
        handle.close()
        raise
    return handle


def _decoding_error(path: Path, err: UnicodeDecodeError, encoding: str, line: int, line_offset: int) -> InputError:
    position = f"byte {err.start + 1} of the line, byte {line_offset + err.start + 1} of the file"
    if codecs.lookup(encoding).name == "utf-8":
        hint = "if the file is in another encoding, such as Latin-1 or Windows-1252, pass --encoding cp1252"
    else:
        hint = "pass the file's encoding with --encoding"
    return InputError(str(path), f"not valid {_display_name(encoding)} ({err.reason} at {position}); {hint}", record=line)


def _display_name(encoding: str) -> str:
    return "UTF-8" if codecs.lookup(encoding).name == "utf-8" else encoding


def _read_error(path: Path, err: BaseException, line: int) -> InputError:
    if isinstance(err, EOFError):
        return InputError(str(path), f"the compressed data ends early, so the file looks truncated ({err})", record=line)
    return InputError(str(path), f"cannot be read: {err}", record=line)


def _lines(path: Path) -> Iterator[tuple[int, str]]:
    """Yield (1-based line number, line with its line end) of a text file.

    The encoding is the one given to `read_papers` (UTF-8 by default, where
    a byte order mark at the start is dropped). Encodings that keep ASCII
    bytes as they are (UTF-8, Latin-1, Windows-1252, ...) are decoded line
    by line, so that an error names the line and byte that are invalid.
    """
    encoding = _input_encoding()
    with _open_binary(path) as handle:
        if not _is_ascii_compatible(encoding):
            yield from _wide_lines(path, handle, encoding)
            return
        number = 0
        offset = 0
        is_utf8 = codecs.lookup(encoding).name == "utf-8"
        try:
            for number, raw in enumerate(handle, start=1):
                line_offset = offset
                offset += len(raw)
                if number == 1 and is_utf8 and raw.startswith(codecs.BOM_UTF8):
                    raw = raw[len(codecs.BOM_UTF8):]
                    line_offset += len(codecs.BOM_UTF8)
                try:
                    yield number, raw.decode(encoding)
                except UnicodeDecodeError as err:
                    raise _decoding_error(path, err, encoding, number, line_offset) from err
        except (OSError, EOFError, zlib.error) as err:
            # gzip reports a corrupt or truncated file while decompressing a line.
            raise _read_error(path, err, number + 1) from err


def _wide_lines(path: Path, handle: IO[bytes], encoding: str) -> Iterator[tuple[int, str]]:
    """Yield the lines of a file in an encoding such as UTF-16, where lines cannot be split as bytes."""
    number = 0
    text = io.TextIOWrapper(handle, encoding=encoding, newline="")
    try:
        for number, line in enumerate(text, start=1):
            yield number, line.removeprefix("\ufeff") if number == 1 else line
    except UnicodeError as err:
        # The UTF-16 and UTF-32 codecs raise a plain UnicodeError for a missing byte order mark.
        reason = err.reason if isinstance(err, UnicodeDecodeError) else str(err)
        raise InputError(
            str(path), f"not valid {encoding} ({reason}); pass the file's encoding with --encoding", record=number + 1
        ) from err
    except (OSError, EOFError, zlib.error) as err:
        raise _read_error(path, err, number + 1) from err
    finally:
        text.detach()


# --- Daily Papers page text --------------------------------------------------


def _paragraphs(path: Path) -> Iterator[tuple[int, list[str]]]:
    """Yield (first line number, lines) for each run of non-blank lines."""
    block: list[str] = []
    first = 0
    for number, line in _lines(path):
        # A line of only control or zero-width characters is blank once cleaned.
        text = line.strip() if clean_text(line) else ""
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
        if title_line in repaired_lines:
            stats.repaired += 1
            logger.warning("%s, record %d: repaired mojibake in paper %r", path, title_line, title)
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

    # Title lines of papers whose title or abstract had mojibake, which
    # clean_text repairs; counted when the paper is emitted.
    repaired_lines: set[int] = set()
    for first, lines in _content_paragraphs(path):
        if any(has_mojibake(line) for line in lines):
            repaired_lines.add(first if pending is None else pending[0])
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
                stats.skip(error)
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
    derived from titles where missing); readers under `kg.readers` may also
    pass finished `Paper` records. An `InputError` stops the stream, or with
    `skip_invalid` is logged, counted in `stats` and skipped. Papers with
    repaired mojibake are logged and counted.
    """
    derived_ids = _DerivedIds()
    for record, data in records:
        try:
            if isinstance(data, InputError):
                raise data
            if isinstance(data, Paper):
                # Readers under kg.readers pass finished Paper records.
                paper = data
            elif parse is not None:
                paper = parse(data, path, record)
            else:
                paper = _paper_from_record(data, path, record, derived_ids)
        except InputError as err:
            if not skip_invalid:
                raise
            stats.skip(err, paper_id=_raw_id(data))
            continue
        stats.records += 1
        if not paper.has_abstract:
            stats.title_only += 1
        if isinstance(data, dict) and any(
            isinstance(data.get(name), str) and has_mojibake(data[name]) for name in _REPAIRED_FIELDS
        ):
            stats.repaired += 1
            logger.warning("%s, record %d: repaired mojibake in paper %r", path, record, paper.id)
        yield paper


# Fields whose mojibake repairs are logged and counted; clean_text repairs every field.
_REPAIRED_FIELDS = ("title", "abstract", "authors")


def _raw_id(data: Any) -> str | None:
    """Return the id of an invalid record for the skip report, if it has a usable one."""
    if isinstance(data, dict) and isinstance(data.get("id"), (str, int)) and not isinstance(data.get("id"), bool):
        return str(data["id"])
    return None


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
                problem = f"invalid JSON: {err.msg} at column {err.colno}"
                if not line.endswith("\n"):
                    # Only the last line of a file can lack a line end.
                    problem += "; the last line has no line end, so the file looks truncated"
                yield number, InputError(str(path), problem, record=number)

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
        # NOTE: the field size limit is global to the csv module; it is only ever raised here.
        if csv.field_size_limit() < _MAX_CSV_FIELD_CHARS:
            csv.field_size_limit(_MAX_CSV_FIELD_CHARS)
        reader = csv.DictReader((line for _, line in _lines(path)), strict=True)
        try:
            if reader.fieldnames is None:
                # No header row: the file is empty, which `read_papers` reports.
                return
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
            problem = f"invalid CSV: {err}"
            if "unexpected end of data" in str(err):
                problem += "; a quoted field is never closed, so the file looks truncated"
            raise InputError(str(path), problem, record=reader.line_num) from err

    return _guarded(records(), path, skip_invalid, stats or ReadStats())


def read_papers(
    path: str | Path,
    *,
    input_format: InputFormat | None = None,
    skip_invalid: bool = False,
    stats: ReadStats | None = None,
    columns: Mapping[str, str] | None = None,
    encoding: str | None = None,
) -> Iterator[Paper]:
    """Read papers from one file (or, for "text-folder", one folder) in any supported format.

    Parameters
    ----------
    path : path
    input_format : str, optional
        One of `INPUT_FORMATS`; overrides the format detected from the file
        name and, for ``.json`` and ``.xml``, the first bytes.
    skip_invalid : bool
        Log and skip invalid records (and a file with no papers) instead of
        raising; each one is counted and listed in ``stats.skipped``.
    stats : ReadStats, optional
        Updated while the stream is consumed.
    columns : mapping of str to str, optional
        For "csv" and "tsv": field name -> column name of the header (see
        `kg.readers.tabular.read_delimited`).
    encoding : str, optional
        A Python codec name such as "cp1252" or "utf-16". [default: UTF-8,
        where a byte order mark at the start is dropped]

    Raises
    ------
    InputError
        For a missing, binary or empty file, text that is invalid in its
        encoding, an unknown format or an invalid record.
    ConfigError
        For an unknown encoding, or if `columns` names an unknown field, or
        is given for a format without columns.

    Notes
    -----
    A record without an abstract is kept as a title-only paper; it is counted
    in ``stats.title_only`` and one warning per file gives the count.
    """
    fmt = input_format or detect_format(path)
    if fmt not in INPUT_FORMATS:
        raise InputError(str(path), f"unknown format {fmt!r}; expected one of {', '.join(INPUT_FORMATS)}")
    if encoding is not None:
        try:
            codecs.lookup(encoding)
        except LookupError as err:
            raise ConfigError(
                f"Unknown encoding {encoding!r}; expected a Python codec name such as utf-8, cp1252, latin-1 or utf-16."
            ) from err
    stats = stats if stats is not None else ReadStats()
    if columns and fmt not in ("csv", "tsv"):
        raise ConfigError(f"{path}: --column applies to CSV and TSV input only, and this input is {fmt!r}.")
    papers: Iterator[Paper]
    if fmt == "page":
        papers = read_daily_papers(path, skip_invalid=skip_invalid, stats=stats)
    elif fmt == "jsonl":
        papers = read_jsonl(path, skip_invalid=skip_invalid, stats=stats)
    elif fmt == "arxiv-snapshot":
        from kg.readers.arxiv_snapshot import read_arxiv_snapshot

        papers = read_arxiv_snapshot(path, skip_invalid=skip_invalid, stats=stats)
    elif fmt == "csv" and not columns:
        papers = read_csv(path, skip_invalid=skip_invalid, stats=stats)
    elif fmt in ("csv", "tsv"):
        from kg.readers.tabular import read_delimited

        delimiter = "," if fmt == "csv" else "\t"
        papers = read_delimited(path, delimiter=delimiter, columns=columns, skip_invalid=skip_invalid, stats=stats)
    else:
        papers = _reader(fmt)(path, skip_invalid=skip_invalid, stats=stats)
    return _checked_file(papers, Path(path), fmt, encoding=encoding, skip_invalid=skip_invalid, stats=stats)


def _checked_file(
    papers: Iterator[Paper], path: Path, fmt: str, *, encoding: str | None, skip_invalid: bool, stats: ReadStats
) -> Iterator[Paper]:
    """Stream `papers` with `encoding` in force, then check that the file had any.

    Each step of the reader runs in a context where `_lines` and
    `_open_binary` see `encoding`, without changing the caller's context.
    """
    context = contextvars.copy_context()
    context.run(_ENCODING.set, encoding)
    count = title_only = 0
    skipped_before = stats.skipped_invalid
    while True:
        paper = context.run(next, papers, None)
        if paper is None:
            break
        count += 1
        title_only += not paper.has_abstract
        yield paper

    if title_only:
        logger.warning("%s: %d of %d papers have no abstract; they are kept with their titles only", path, title_only, count)
    if count or stats.skipped_invalid > skipped_before:
        return
    size = path.stat().st_size
    problem = f"found no papers; expected {_FORMAT_DESCRIPTIONS.get(fmt, fmt + ' records')}"
    if size == 0:
        problem = f"is empty (0 bytes); expected {_FORMAT_DESCRIPTIONS.get(fmt, fmt + ' records')}"
    error = InputError(str(path), problem)
    if not skip_invalid:
        raise error
    stats.skip(error)


_FORMAT_DESCRIPTIONS = {
    "page": "page text with a title line, a blank line and the abstract per paper",
    "jsonl": "one JSON object with a 'title' field per line",
    "csv": "a header row naming a 'title' column, then one row per paper",
    "arxiv-snapshot": "arXiv metadata snapshot records, one JSON object with 'id' and 'title' per line",
    "tsv": "a tab-separated header row naming a 'title' column, then one row per paper",
    "hf-daily": "a Hugging Face Daily Papers API response: a JSON list of entries with a 'paper' object",
    "arxiv-atom": "an arXiv API Atom feed with <entry> elements",
    "s2": "Semantic Scholar Graph API paper JSON with 'paperId' and 'title' fields",
    "bibtex": "BibTeX entries with a title field",
    "text-folder": "a folder of .txt files with the title on the first line",
}


def _reader(fmt: str) -> Callable[..., Iterator[Paper]]:
    """Return the reader function of a format of `kg.readers` (imported on first use)."""
    if fmt == "hf-daily":
        from kg.readers.hf_daily import read_hf_daily as reader
    elif fmt == "arxiv-atom":
        from kg.readers.arxiv_atom import read_arxiv_atom as reader
    elif fmt == "s2":
        from kg.readers.s2 import read_s2 as reader
    elif fmt == "bibtex":
        from kg.readers.bibtex import read_bibtex as reader
    else:
        from kg.readers.text_folder import read_text_folder as reader
    return reader
