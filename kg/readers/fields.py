"""Normalisation of the identifiers, dates and URLs that readers take from records.

Every reader under `kg.readers` passes arXiv ids, DOIs and dates through
these functions, so a paper carries the same values whatever format it came
from: an arXiv id without prefix or version, a DOI without resolver, and an
ISO 8601 date (``YYYY-MM-DD``, ``YYYY-MM`` or ``YYYY``) where the input gives one.
"""

from __future__ import annotations

import json
import logging
import re
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from kg.errors import InputError
from kg.sources import _json_type, _open_binary, clean_text

__all__ = [
    "MAX_DOCUMENT_BYTES",
    "http_url",
    "json_authors",
    "json_text",
    "load_json_document",
    "normalize_arxiv_id",
    "normalize_date",
    "normalize_doi",
    "read_limited",
]

logger = logging.getLogger(__name__)

# Largest JSON or BibTeX document read whole into memory. Parsed JSON takes
# several times its size in Python objects, so by our estimate this keeps one
# read below a few GiB. One day of Daily Papers is far smaller (about 1.3 KB per
# paper in the bundled fixture).
MAX_DOCUMENT_BYTES = 256 * 1024 * 1024

# arXiv identifiers (https://info.arxiv.org/help/arxiv_identifier.html):
# "YYMM.NNNN" (2007-2014) or "YYMM.NNNNN" (since 2015), and before April 2007
# "archive(.SUBJECT)/YYMMNNN" such as "cs/0112017" or "math.GT/0309136".
# An optional version "v2" follows either form.
_ARXIV_NEW = r"\d{4}\.\d{4,5}"
_ARXIV_OLD = r"[a-z][a-z-]*(?:\.[A-Z]{2})?/\d{7}"
_ARXIV_ID = re.compile(rf"(?P<id>{_ARXIV_NEW}|{_ARXIV_OLD})(?:v\d+)?")
# Prefixes that arXiv ids come with: "arXiv:", or an abs/pdf URL.
_ARXIV_PREFIX = re.compile(r"^(?:arxiv:|https?://(?:export\.|www\.)?arxiv\.org/(?:abs|pdf)/)", re.IGNORECASE)

# A DOI is "10.", a registrant code, "/" and a suffix (ISO 26324). The suffix
# may contain any printable character, and kg treats whitespace in it as an error.
_DOI = re.compile(r"10\.\d{4,9}(?:\.\d+)*/\S+")
_DOI_PREFIX = re.compile(r"^(?:doi:\s*|https?://(?:dx\.)?doi\.org/)", re.IGNORECASE)

_ISO_DATE = re.compile(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?(?:[T ][0-9:.]+(?:Z|[+-]\d{2}:?\d{2})?)?")


def normalize_arxiv_id(value: str | None) -> str | None:
    """Return the arXiv id in `value` without prefix, version or ".pdf", or None if it has none.

    Examples
    --------
    >>> normalize_arxiv_id("http://arxiv.org/abs/2409.01234v2")
    '2409.01234'
    >>> normalize_arxiv_id("arXiv:cs/0112017v1")
    'cs/0112017'
    >>> normalize_arxiv_id("not an id") is None
    True
    """
    if not value:
        return None
    text = _ARXIV_PREFIX.sub("", clean_text(value))
    text = text.removesuffix(".pdf")
    match = _ARXIV_ID.fullmatch(text)
    return match["id"] if match else None


def normalize_doi(value: str | None) -> str | None:
    """Return the DOI in `value` without "doi:" or resolver URL, or None if it is not a DOI.

    DOIs compare without case (ISO 26324), but the case is kept as written.

    Examples
    --------
    >>> normalize_doi("https://doi.org/10.48550/arXiv.2409.01234")
    '10.48550/arXiv.2409.01234'
    >>> normalize_doi("10.1234/has space") is None
    True
    """
    if not value:
        return None
    text = _DOI_PREFIX.sub("", clean_text(value))
    return text if _DOI.fullmatch(text) else None


def normalize_date(value: str | None) -> str | None:
    """Return an ISO 8601 date (``YYYY-MM-DD``, ``YYYY-MM`` or ``YYYY``) from `value`.

    A timestamp loses its time ("2024-09-10T17:59:53.000Z" gives
    "2024-09-10"); the date is the UTC date the source wrote. A value that
    is not ISO 8601 is returned cleaned but otherwise unchanged, so nothing
    is lost. The RDF export then types it as a plain string.

    Examples
    --------
    >>> normalize_date("2024-09-10T17:59:53.000Z")
    '2024-09-10'
    >>> normalize_date("Sept. 2024")
    'Sept. 2024'
    """
    if value is None:
        return None
    text = clean_text(str(value))
    match = _ISO_DATE.fullmatch(text)
    if match is None:
        return text or None
    return "-".join(part for part in match.groups() if part)


def http_url(value: Any, *, path: Path, record: int, name: str) -> str | None:
    """Return `value` if it is an http(s) URL with a host; log and return None for any other non-empty value."""
    if value is None or value == "":
        return None
    text = clean_text(value) if isinstance(value, str) else ""
    parts = urlsplit(text)
    if parts.scheme.lower() in ("http", "https") and parts.netloc and " " not in text:
        return text
    logger.warning("%s, record %d: field %r is not an http(s) URL (%.80r); it is ignored", path, record, name, value)
    return None


# Bytes read at a time by `read_limited`: one read of `max_bytes` would
# allocate a buffer of that size even for a small file.
_CHUNK_BYTES = 1024 * 1024


def read_limited(path: Path, *, max_bytes: int) -> bytes:
    """Return the bytes of `path` (decompressed for ``.gz``), at most `max_bytes` + 1 of them.

    A result longer than `max_bytes` means that the file is too large.
    """
    chunks: list[bytes] = []
    size = 0
    with _open_binary(path) as handle:
        try:
            while size <= max_bytes:
                chunk = handle.read(min(_CHUNK_BYTES, max_bytes + 1 - size))
                if not chunk:
                    break
                chunks.append(chunk)
                size += len(chunk)
        except (OSError, EOFError, zlib.error) as err:
            raise InputError(str(path), f"cannot be read: {err}") from err
    return b"".join(chunks)


def load_json_document(path: Path, *, max_bytes: int = MAX_DOCUMENT_BYTES) -> Any:
    """Read and decode one JSON document (an array or object) whole.

    Raises
    ------
    InputError
        If the file is larger than `max_bytes`, not UTF-8, or not valid JSON;
        the message gives the line and column of a syntax error.
    """
    data = read_limited(path, max_bytes=max_bytes)
    if len(data) > max_bytes:
        raise InputError(
            str(path),
            f"the JSON document is larger than {max_bytes // (1024 * 1024)} MiB, the most kg reads whole; "
            "split it into several files or convert it to JSON Lines",
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise InputError(str(path), f"not valid UTF-8 ({err.reason} at byte {err.start + 1})") from err
    try:
        return json.loads(text)
    except json.JSONDecodeError as err:
        raise InputError(str(path), f"invalid JSON: {err.msg} at line {err.lineno}, column {err.colno}") from err


def json_text(value: Any, name: str, path: Path, record: int, *, integers: bool = False) -> str:
    """Return the cleaned text of the JSON string field `name`, or "" for null.

    With `integers`, an integer is accepted as its decimal text (Semantic
    Scholar sends some ids as numbers).

    Raises
    ------
    InputError
        If the value is of another JSON type.
    """
    if value is None:
        return ""
    if integers and isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if not isinstance(value, str):
        raise InputError(str(path), f"field {name!r} must be a string, got {_json_type(value)}", record=record)
    return clean_text(value)


def json_authors(
    value: Any,
    *,
    field: str,
    path: Path,
    record: int,
    author_id: Callable[[dict[str, Any], int], str],
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Return the names and ids of a JSON list of author objects, in order.

    Each object needs a ``name``; `author_id` returns the id of an author
    object and its 1-based position, or "" when it has none. An author
    without a name is left out with a warning. The ids are ``()`` when no
    author has one.

    Raises
    ------
    InputError
        If `value` is not a list, or an item is not an object.
    """
    if value is None:
        return (), ()
    if not isinstance(value, list):
        raise InputError(str(path), f"field {field!r} must be an array, got {_json_type(value)}", record=record)
    names: list[str] = []
    ids: list[str] = []
    for position, author in enumerate(value, start=1):
        if not isinstance(author, dict):
            raise InputError(
                str(path), f"author {position} of {field!r} must be an object, got {_json_type(author)}", record=record
            )
        name = json_text(author.get("name"), f"{field}[{position}].name", path, record)
        if not name:
            logger.warning("%s, record %d: author %d has no name; it is left out", path, record, position)
            continue
        names.append(name)
        ids.append(author_id(author, position))
    return tuple(names), tuple(ids) if any(ids) else ()
