"""Reader of arXiv API responses: Atom 1.0 feeds from ``export.arxiv.org/api/query``.

Fields used per ``entry``:

- ``id`` (``http://arxiv.org/abs/2409.01234v2``) gives the paper id and
  ``arxiv_id``, without the version;
- ``title`` and ``summary``, with their line breaks folded;
- ``author/name``, in order (an author's ``arxiv:affiliation`` is not kept);
- ``published`` (the date of version 1) gives the date;
- ``arxiv:doi``;
- ``arxiv:primary_category``, then the other ``category`` terms, give the categories;
- ``link rel="alternate"`` gives the url.

``updated``, ``arxiv:comment``, ``arxiv:journal_ref`` and the
``opensearch`` totals are not used.

The XML is untrusted, so it is parsed with defusedxml, which rejects any
document type declaration: no entity expansion ("billion laughs") and no
external entities. Entries are read one at a time (``iterparse``), so memory
does not grow with the size of the feed.
"""

from __future__ import annotations

import logging
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import Element, ParseError

import defusedxml
import defusedxml.ElementTree as safe_xml

from kg.errors import InputError
from kg.model import Paper
from kg.readers.fields import normalize_arxiv_id, normalize_date, normalize_doi
from kg.sources import ReadStats, _DerivedIds, _guarded, _open_binary, clean_text

__all__ = ["ARXIV_NAMESPACE", "ATOM_NAMESPACE", "read_arxiv_atom"]

logger = logging.getLogger(__name__)

ATOM_NAMESPACE = "http://www.w3.org/2005/Atom"
ARXIV_NAMESPACE = "http://arxiv.org/schemas/atom"
_ATOM = f"{{{ATOM_NAMESPACE}}}"
_ARXIV = f"{{{ARXIV_NAMESPACE}}}"

# The arXiv API reports a bad query as a feed with one entry whose id is
# "http://arxiv.org/api/errors#..." and whose summary is the message.
_ERROR_ID_PREFIX = "http://arxiv.org/api/errors"


def _child_text(element: Element, tag: str) -> str:
    child = element.find(tag)
    return clean_text(child.text or "") if child is not None else ""


def _paper(entry: Element, path: Path, record: int, derived_ids: _DerivedIds) -> Paper:
    raw_id = _child_text(entry, f"{_ATOM}id")
    if raw_id.startswith(_ERROR_ID_PREFIX):
        raise InputError(
            str(path), f"the arXiv API returned an error: {_child_text(entry, f'{_ATOM}summary')!r}; fix the query", record=record
        )
    title = _child_text(entry, f"{_ATOM}title")
    if not title:
        raise InputError(str(path), "the entry has no <title>; expected an arXiv API entry", record=record)
    abstract = _child_text(entry, f"{_ATOM}summary")
    arxiv_id = normalize_arxiv_id(raw_id)
    if raw_id and arxiv_id is None:
        logger.warning("%s, record %d: <id> %.80r is not an arXiv abs URL; the paper has no arXiv id", path, record, raw_id)

    authors = tuple(
        name for author in entry.findall(f"{_ATOM}author") if (name := _child_text(author, f"{_ATOM}name"))
    )
    categories: list[str] = []
    primary = entry.find(f"{_ARXIV}primary_category")
    for element in ([primary] if primary is not None else []) + entry.findall(f"{_ATOM}category"):
        term = clean_text(element.get("term", ""))
        if term and term not in categories:
            categories.append(term)
    url = next(
        (
            clean_text(link.get("href", ""))
            for link in entry.findall(f"{_ATOM}link")
            if link.get("rel", "alternate") == "alternate" and link.get("href")
        ),
        None,
    )
    return Paper(
        id=arxiv_id or raw_id or derived_ids.assign(title, abstract, path=path, record=record),
        title=title,
        abstract=abstract,
        url=url,
        date=normalize_date(_child_text(entry, f"{_ATOM}published") or None),
        authors=authors,
        source=str(path),
        record=record,
        arxiv_id=arxiv_id,
        doi=normalize_doi(_child_text(entry, f"{_ARXIV}doi") or None),
        categories=tuple(categories),
    )


def _entries(path: Path) -> Iterator[tuple[int, Any]]:
    """Yield (1-based entry number, Paper or InputError) while parsing the feed."""
    derived_ids = _DerivedIds()
    record = 0
    with _open_binary(path) as handle:
        try:
            parser = safe_xml.iterparse(handle, events=("start", "end"), forbid_dtd=True)
            root: Element | None = None
            for event, element in parser:
                if root is None:
                    root = element
                    if element.tag != f"{_ATOM}feed":
                        raise InputError(
                            str(path), f"the root element is {element.tag!r}; expected an Atom <feed> of the arXiv API"
                        )
                if event != "end" or element.tag != f"{_ATOM}entry":
                    continue
                record += 1
                try:
                    yield record, _paper(element, path, record, derived_ids)
                except InputError as err:
                    yield record, err
                # Drop the parsed entry, so memory does not grow with the feed.
                element.clear()
                if element in root:
                    root.remove(element)
        except ParseError as err:
            line, column = err.position
            raise InputError(str(path), f"invalid XML at line {line}, column {column + 1}: {err}", record=record + 1) from err
        except defusedxml.DefusedXmlException as err:
            raise InputError(
                str(path), f"the XML declares a document type or entities ({err}); kg rejects them for safety"
            ) from err
        except (OSError, EOFError, zlib.error) as err:
            raise InputError(str(path), f"cannot be read: {err}", record=record + 1) from err


def read_arxiv_atom(path: str | Path, *, skip_invalid: bool = False, stats: ReadStats | None = None) -> Iterator[Paper]:
    """Read an arXiv API Atom feed, one paper per ``entry``.

    The record number of a paper is the 1-based position of its entry.

    Raises
    ------
    InputError
        If the XML is invalid, declares a document type or entities, is not
        an Atom feed, or reports an arXiv API error. Also if an entry has no
        title, unless `skip_invalid` is set: then the entry is logged,
        counted and skipped.
    """
    path = Path(path)
    return _guarded(_entries(path), path, skip_invalid, stats or ReadStats())
