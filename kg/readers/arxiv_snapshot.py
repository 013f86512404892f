"""Reader of the arXiv metadata snapshot (format name "arxiv-snapshot").

The snapshot that arXiv publishes on Kaggle ("arxiv-metadata-oai-snapshot.json")
is JSON Lines despite its suffix: one object per paper with the fields ``id``,
``submitter``, ``authors``, ``title``, ``comments``, ``journal-ref``, ``doi``,
``report-no``, ``categories`` (one space-separated string), ``license``,
``abstract``, ``versions`` (a list of ``{"version": "v1", "created": <RFC 2822
date>}``), ``update_date`` (``YYYY-MM-DD``) and ``authors_parsed`` (a list of
``[last, first, suffix]``).

A record becomes a `Paper` as follows:

- ``id`` is the arXiv identifier without version, as arXiv prints it:
  "2409.01234" or, before April 2007, "cs/0112017". arXiv never reassigns an
  identifier, so the id is stable across snapshot releases and matches the
  arXiv ids that other sources use. The slash of old-style ids is kept in the
  id and percent-encoded in IRIs (see `kg.rdf.mint_iri`).
- ``title`` and ``abstract`` have their whitespace collapsed: the snapshot
  wraps lines with a newline and two spaces. LaTeX markup is kept as it is.
- ``authors`` come from ``authors_parsed`` as "First Last Suffix", or, when a
  record lacks it, from splitting the ``authors`` string at commas and "and".
- ``date`` is the day of the first version ("v1" ``created``), in UTC and ISO
  form. ``update_date`` changes whenever arXiv updates a record's metadata,
  so it can be years after the submission, and it is used only when a
  record has no versions.
- ``url`` is ``https://arxiv.org/abs/<id>``. ``arxiv_id``, ``doi`` (the first
  DOI when several are given) and ``categories`` (in the order of the
  snapshot's field) are filled in too.

A ``.json`` or ``.jsonl`` file (optionally ``.gz``) whose first record has the
snapshot's fields is read with this reader (see `looks_like_snapshot_record`).
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

from kg.errors import InputError
from kg.model import Paper
from kg.sources import ReadStats, _guarded, _json_type, _lines, clean_text

__all__ = [
    "ARXIV_ABS_URL",
    "looks_like_snapshot_record",
    "normalize_arxiv_id",
    "paper_from_snapshot_record",
    "read_arxiv_snapshot",
]

logger = logging.getLogger(__name__)

ARXIV_ABS_URL = "https://arxiv.org/abs/"

# New-style ids (since April 2007): YYMM.NNNN, and YYMM.NNNNN since January 2015.
# Old-style ids: archive, optional subject class, "/", YYMMNNN ("math.GT/0309136").
_ARXIV_ID = re.compile(
    r"(?:arxiv:)?(?P<id>\d{4}\.\d{4,5}|[a-z][a-z-]*(?:\.[A-Z]{2})?/\d{7})(?:v\d+)?",
    re.IGNORECASE,
)
_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_DOI = re.compile(r"10\.\d{4,9}/\S+")
_DOI_PREFIX = re.compile(r"^(?:https?://(?:dx\.)?doi\.org/|doi:)", re.IGNORECASE)
# The `authors` string separates names with commas and a final "and".
_AUTHOR_SEPARATOR = re.compile(r",\s*|\s+and\s+")

# The field `id` and at least one of these mark a record as a snapshot record.
# A generic kg JSON Lines record has none of them.
_SNAPSHOT_FIELDS = frozenset({"categories", "versions", "update_date", "authors_parsed"})


def looks_like_snapshot_record(record: Any) -> bool:
    """Return whether a decoded JSON value has the fields of an arXiv snapshot record.

    Examples
    --------
    >>> looks_like_snapshot_record({"id": "0704.0001", "title": "T", "categories": "hep-ph"})
    True
    >>> looks_like_snapshot_record({"id": "p1", "title": "T", "date": "2024-01-02"})
    False
    """
    return isinstance(record, dict) and "id" in record and not _SNAPSHOT_FIELDS.isdisjoint(record)


def normalize_arxiv_id(text: str) -> str | None:
    """Return the arXiv id in `text` without an "arXiv:" prefix or version, or None.

    Examples
    --------
    >>> normalize_arxiv_id("arXiv:2409.01234v2")
    '2409.01234'
    >>> normalize_arxiv_id("cs/0112017")
    'cs/0112017'
    >>> normalize_arxiv_id("not an id") is None
    True
    """
    match = _ARXIV_ID.fullmatch(text.strip())
    return None if match is None else match["id"]


def _string(data: dict[str, Any], name: str, path: Path, record: int) -> str | None:
    value = data.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise InputError(str(path), f"field {name!r} must be a string, got {_json_type(value)}", record=record)
    return clean_text(value) or None


def _authors(data: dict[str, Any], path: Path, record: int) -> tuple[str, ...]:
    parsed = data.get("authors_parsed")
    if parsed is None:
        text = _string(data, "authors", path, record)
        if text is None:
            return ()
        return tuple(name for name in (clean_text(part) for part in _AUTHOR_SEPARATOR.split(text)) if name)

    problem = "field 'authors_parsed' must be a list of [last, first, suffix] string lists"
    if not isinstance(parsed, list):
        raise InputError(str(path), f"{problem}, got {_json_type(parsed)}", record=record)
    names = []
    for entry in parsed:
        if not isinstance(entry, list) or not all(isinstance(part, str) for part in entry):
            raise InputError(str(path), f"{problem}, got an entry {json.dumps(entry)[:80]}", record=record)
        # Entries are [last, first, suffix]. Collaborations have an empty first part.
        padded = [*entry, "", ""]
        name = clean_text(" ".join((padded[1], padded[0], *entry[2:])))
        if name:
            names.append(name)
    return tuple(names)


def _first_version_day(data: dict[str, Any], path: Path, record: int) -> str | None:
    versions = data.get("versions")
    if versions is None or versions == []:
        return None
    if not isinstance(versions, list) or not all(isinstance(version, dict) for version in versions):
        raise InputError(
            str(path), f"field 'versions' must be a list of objects, got {_json_type(versions)}", record=record
        )
    first = next((version for version in versions if version.get("version") == "v1"), versions[0])
    created = first.get("created")
    if not isinstance(created, str):
        raise InputError(
            str(path), f"field 'versions': 'created' must be a string, got {_json_type(created)}", record=record
        )
    try:
        moment = parsedate_to_datetime(created)
    except (TypeError, ValueError) as err:
        raise InputError(
            str(path),
            f"field 'versions': invalid 'created' date {created[:40]!r}; expected an RFC 2822 date "
            "such as 'Mon, 2 Apr 2007 19:18:42 GMT'",
            record=record,
        ) from err
    if moment.tzinfo is None:
        # parsedate_to_datetime returns a naive datetime for "-0000", which RFC 2822 defines as UTC.
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).date().isoformat()


def _update_day(data: dict[str, Any], path: Path, record: int) -> str | None:
    day = _string(data, "update_date", path, record)
    if day is None:
        return None
    try:
        if not _ISO_DAY.fullmatch(day):
            raise ValueError(day)
        datetime.strptime(day, "%Y-%m-%d")
    except ValueError as err:
        raise InputError(
            str(path), f"field 'update_date' must be a date YYYY-MM-DD, got {day[:40]!r}", record=record
        ) from err
    return day


def _doi(data: dict[str, Any], path: Path, record: int) -> str | None:
    text = _string(data, "doi", path, record)
    if text is None:
        return None
    # Some records list several DOIs separated by spaces, and only the first is kept.
    first = _DOI_PREFIX.sub("", text.split()[0])
    if not _DOI.fullmatch(first):
        logger.warning("%s, record %d: field 'doi' %r is not a DOI (10.NNNN/...); ignored", path, record, text[:80])
        return None
    return first


def paper_from_snapshot_record(data: Any, path: Path, record: int) -> Paper:
    """Convert one decoded snapshot line into a `Paper`.

    Raises
    ------
    InputError
        If the value is not an object, ``id`` is not an arXiv identifier,
        ``title`` is missing or empty, or a field has the wrong type or an
        invalid date.
    """
    if not isinstance(data, dict):
        raise InputError(str(path), f"expected a JSON object, got {_json_type(data)}", record=record)
    raw_id = data.get("id")
    if not isinstance(raw_id, str):
        raise InputError(
            str(path),
            f"field 'id' must be an arXiv id string such as '2409.01234' or 'cs/0112017', got {_json_type(raw_id)}",
            record=record,
        )
    arxiv_id = normalize_arxiv_id(raw_id)
    if arxiv_id is None:
        raise InputError(
            str(path),
            f"field 'id' is not an arXiv id: {raw_id[:40]!r}; expected e.g. '2409.01234' or 'cs/0112017' "
            "(is this file in the arXiv snapshot format? use --format jsonl for kg's own JSON Lines)",
            record=record,
        )
    title = _string(data, "title", path, record)
    if title is None:
        raise InputError(str(path), f"paper {arxiv_id}: field 'title' is missing or empty", record=record)

    categories = _string(data, "categories", path, record)
    return Paper(
        id=arxiv_id,
        title=title,
        abstract=_string(data, "abstract", path, record) or "",
        url=ARXIV_ABS_URL + arxiv_id,
        date=_first_version_day(data, path, record) or _update_day(data, path, record),
        authors=_authors(data, path, record),
        source=str(path),
        record=record,
        arxiv_id=arxiv_id,
        doi=_doi(data, path, record),
        categories=tuple(categories.split()) if categories else (),
    )


def read_arxiv_snapshot(
    path: str | Path, *, skip_invalid: bool = False, stats: ReadStats | None = None
) -> Iterator[Paper]:
    """Read papers from an arXiv metadata snapshot file, streaming line by line.

    Parameters
    ----------
    path : path
        The snapshot (JSON Lines, UTF-8), optionally gzip-compressed (``.gz``).
    skip_invalid : bool
        Log, count and skip an invalid line instead of raising `InputError`.
    stats : ReadStats, optional
        Updated with the numbers of papers, title-only papers and skipped lines.

    Yields
    ------
    Paper
        In file order; blank lines are ignored.

    Raises
    ------
    InputError
        On the first invalid line (bad JSON, wrong field type, no arXiv id,
        no title), naming the file and line.
    """
    path = Path(path)

    def records() -> Iterator[tuple[int, Any]]:
        for number, line in _lines(path):
            if not line.strip():
                continue
            try:
                yield number, json.loads(line)
            except json.JSONDecodeError as err:
                yield number, InputError(str(path), f"invalid JSON: {err.msg} at column {err.colno}", record=number)

    return _guarded(records(), path, skip_invalid, stats or ReadStats(), parse=paper_from_snapshot_record)
