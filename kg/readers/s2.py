"""Reader of Semantic Scholar Academic Graph API responses saved as JSON.

Accepted documents: one paper object (``/graph/v1/paper/{id}``), an array
of paper objects (``POST /graph/v1/paper/batch``, where ``null`` stands for
an id that was not found), and a search or bulk-search response
``{"total", "offset", "next", "data": [...]}`` (``/graph/v1/paper/search``).

Fields used per paper: ``paperId``; ``externalIds`` (``ArXiv`` and ``DOI``);
``title``; ``abstract`` (null when Semantic Scholar may not share it);
``publicationDate``, else ``year``, as the date; ``authors`` with
``authorId`` and ``name``, in order (author ids become ``s2:<authorId>``);
``url``. The paper id is the arXiv id when there is one, so the same paper
from an arXiv or Daily Papers file is read once, else the ``paperId``.
``venue``, ``openAccessPdf`` and ``fieldsOfStudy`` are not used.
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
    normalize_doi,
)
from kg.sources import ReadStats, _DerivedIds, _guarded, _json_type

__all__ = ["read_s2"]

logger = logging.getLogger(__name__)


def _string(value: Any, name: str, path: Path, record: int) -> str:
    return json_text(value, name, path, record, integers=True)


def _authors(value: Any, path: Path, record: int) -> tuple[tuple[str, ...], tuple[str, ...]]:
    def s2_id(author: dict[str, Any], position: int) -> str:
        author_id = _string(author.get("authorId"), f"authors[{position}].authorId", path, record)
        return f"s2:{author_id}" if author_id else ""

    return json_authors(value, field="authors", path=path, record=record, author_id=s2_id)


def _paper(data: Any, path: Path, record: int, derived_ids: _DerivedIds) -> Paper:
    if not isinstance(data, dict):
        raise InputError(str(path), f"expected a paper object, got {_json_type(data)}", record=record)
    title = _string(data.get("title"), "title", path, record)
    if not title:
        fields = ", ".join(sorted(map(str, data))) or "none"
        raise InputError(
            str(path), f"missing or empty 'title' (fields present: {fields}); request the title field from the API", record=record
        )
    abstract = _string(data.get("abstract"), "abstract", path, record)

    external = data.get("externalIds") or {}
    if not isinstance(external, dict):
        raise InputError(str(path), f"field 'externalIds' must be an object, got {_json_type(external)}", record=record)
    arxiv_text = _string(external.get("ArXiv"), "externalIds.ArXiv", path, record)
    arxiv_id = normalize_arxiv_id(arxiv_text)
    if arxiv_text and arxiv_id is None:
        logger.warning("%s, record %d: externalIds.ArXiv %.80r is not an arXiv id; it is ignored", path, record, arxiv_text)
    doi_text = _string(external.get("DOI"), "externalIds.DOI", path, record)
    doi = normalize_doi(doi_text)
    if doi_text and doi is None:
        logger.warning("%s, record %d: externalIds.DOI %.80r is not a DOI; it is ignored", path, record, doi_text)

    paper_id = _string(data.get("paperId"), "paperId", path, record)
    date = _string(data.get("publicationDate"), "publicationDate", path, record) or _string(
        data.get("year"), "year", path, record
    )
    authors, author_ids = _authors(data.get("authors"), path, record)
    return Paper(
        id=arxiv_id or paper_id or derived_ids.assign(title, abstract, path=path, record=record),
        title=title,
        abstract=abstract,
        url=http_url(data.get("url"), path=path, record=record, name="url"),
        date=normalize_date(date or None),
        authors=authors,
        source=str(path),
        record=record,
        arxiv_id=arxiv_id,
        doi=doi,
        author_ids=author_ids,
    )


def _papers_of(document: Any, path: Path) -> list[Any]:
    if isinstance(document, list):
        return document
    if isinstance(document, dict) and isinstance(document.get("data"), list):
        return document["data"]
    if isinstance(document, dict) and ("paperId" in document or "title" in document):
        return [document]
    found = _json_type(document) if not isinstance(document, dict) else "an object with keys " + ", ".join(sorted(document)[:8])
    raise InputError(
        str(path),
        f"expected a Semantic Scholar paper object, an array of them, or a search response with 'data'; got {found}",
    )


def read_s2(path: str | Path, *, skip_invalid: bool = False, stats: ReadStats | None = None) -> Iterator[Paper]:
    """Read papers from a Semantic Scholar Graph API response.

    The document is parsed whole (see `kg.readers.fields.MAX_DOCUMENT_BYTES`).
    The record number of a paper is its 1-based position in the array
    (``data`` of a search response); a single paper object is record 1.
    A ``null`` entry of a batch response is logged and skipped.

    Raises
    ------
    InputError
        If the document has none of the accepted shapes, or a paper has no
        title or a field of the wrong type (with `skip_invalid`, the paper
        is logged, counted and skipped instead).
    """
    path = Path(path)
    papers = _papers_of(load_json_document(path), path)
    derived_ids = _DerivedIds()

    def records() -> Iterator[tuple[int, Any]]:
        for record, data in enumerate(papers, start=1):
            if data is None:
                logger.warning("%s, record %d: null (an id the batch request did not find); skipped", path, record)
                continue
            try:
                yield record, _paper(data, path, record, derived_ids)
            except InputError as err:
                yield record, err

    return _guarded(records(), path, skip_invalid, stats or ReadStats())
