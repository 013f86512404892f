"""Reader of the Hugging Face Daily Papers API (``/api/daily_papers``).

The API returns one JSON array. Each entry has a ``paper`` object beside
listing data of the day (``title``, ``publishedAt``, ``numComments``,
``thumbnail``, ``submittedBy``). The paper object has ``id`` (the arXiv
id), ``title``, ``summary``, ``publishedAt``, ``githubRepo``,
``projectPage`` and ``authors``. Each author has ``name``, ``_id`` and
``hidden``, and an author who has claimed the paper also a ``user`` object
with the Hugging Face user name ``user``. An entry that is itself a paper
object (``/api/papers/ID``) is read as well.

Fields used:

- ``paper.id`` becomes the paper id and its ``arxiv_id``;
- ``title`` and ``summary`` are read from the paper, else from the entry;
- ``publishedAt`` becomes the date;
- authors keep their order, and an author with a ``user`` gets the id
  ``hf:<user name>``. The ``_id`` of an author entry is not used, because it
  names that entry of one paper, not a person;
- ``githubRepo`` and ``projectPage`` become links, and the url is the
  paper's Hugging Face page.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from kg.errors import InputError
from kg.model import Paper
from kg.readers.fields import (
    http_url,
    json_authors,
    json_text,
    load_json_document,
    normalize_arxiv_id,
    normalize_date,
)
from kg.sources import ReadStats, _DerivedIds, _guarded, _json_type, clean_text

__all__ = ["HF_PAPER_URL", "read_hf_daily"]

logger = logging.getLogger(__name__)

# The Hugging Face page of a paper, by its arXiv id.
HF_PAPER_URL = "https://huggingface.co/papers/{id}"


def _text(value: Any, name: str, path: Path, record: int) -> str:
    return json_text(value, name, path, record)


def _user_id(author: dict[str, Any], position: int) -> str:
    """Return ``hf:<user name>`` for an author linked to a Hugging Face user, else ""."""
    user = author.get("user")
    user_name = user.get("user") if isinstance(user, dict) else None
    if isinstance(user_name, str) and clean_text(user_name):
        return f"hf:{clean_text(user_name)}"
    return ""


def _authors(value: Any, path: Path, record: int) -> tuple[tuple[str, ...], tuple[str, ...]]:
    return json_authors(value, field="paper.authors", path=path, record=record, author_id=_user_id)


def _paper(entry: Any, path: Path, record: int, derived_ids: _DerivedIds) -> Paper:
    if not isinstance(entry, dict):
        raise InputError(str(path), f"expected an object with a 'paper' object, got {_json_type(entry)}", record=record)
    paper = entry.get("paper", entry)
    if not isinstance(paper, dict):
        raise InputError(str(path), f"field 'paper' must be an object, got {_json_type(paper)}", record=record)

    title = _text(paper.get("title"), "paper.title", path, record) or _text(entry.get("title"), "title", path, record)
    if not title:
        raise InputError(str(path), "missing or empty 'paper.title'; expected the paper's title", record=record)
    abstract = _text(paper.get("summary"), "paper.summary", path, record) or _text(
        entry.get("summary"), "summary", path, record
    )
    raw_id = _text(paper.get("id"), "paper.id", path, record)
    arxiv_id = normalize_arxiv_id(raw_id)
    identifier = arxiv_id or raw_id or derived_ids.assign(title, abstract, path=path, record=record)
    published = paper.get("publishedAt") or entry.get("publishedAt")
    authors, author_ids = _authors(paper.get("authors"), path, record)
    links = tuple(
        url
        for name in ("githubRepo", "projectPage")
        if (url := http_url(paper.get(name), path=path, record=record, name=f"paper.{name}"))
    )
    return Paper(
        id=identifier,
        title=title,
        abstract=abstract,
        url=HF_PAPER_URL.format(id=arxiv_id) if arxiv_id else None,
        date=normalize_date(published) if isinstance(published, str) else None,
        authors=authors,
        source=str(path),
        record=record,
        arxiv_id=arxiv_id,
        author_ids=author_ids,
        links=links,
    )


def read_hf_daily(path: str | Path, *, skip_invalid: bool = False, stats: ReadStats | None = None) -> Iterator[Paper]:
    """Read a Daily Papers API response saved as JSON.

    The document is one array, parsed whole (see
    `kg.readers.fields.MAX_DOCUMENT_BYTES`). The record number of an entry
    is its 1-based position in the array.

    Raises
    ------
    InputError
        If the file is not a JSON array, or an entry has no title or a field
        of the wrong type (with `skip_invalid`, the entry is logged, counted
        and skipped instead).
    """
    path = Path(path)
    document = load_json_document(path)
    if not isinstance(document, list):
        raise InputError(
            str(path), f"expected a JSON array of Daily Papers entries, got {_json_type(document)}; "
            "check --format (a Semantic Scholar response is 's2')",
        )
    derived_ids = _DerivedIds()

    def records() -> Iterator[tuple[int, Any]]:
        for record, entry in enumerate(document, start=1):
            try:
                yield record, _paper(entry, path, record, derived_ids)
            except InputError as err:
                yield record, err

    return _guarded(records(), path, skip_invalid, stats or ReadStats())
