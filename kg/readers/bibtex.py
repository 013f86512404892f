"""Reader of BibTeX and BibLaTeX files (``.bib``) with ``abstract`` fields.

Parsed with bibtexparser 2 (the stable line on PyPI since 2.0.0). It reads
the whole file before it returns the first entry, so
`kg.readers.fields.MAX_DOCUMENT_BYTES` limits the file size.
LaTeX in the fields kg uses is decoded to Unicode with pylatexenc
(``{\\"u}`` gives "ü", ``\\emph{x}`` gives "x"), and braces are removed.
``author`` lists are split at "and", with "Last, First" names turned into
"First Last".

Fields used per entry: ``title``, ``abstract``, ``author``, ``doi`` and
``url``. The date is ``date`` (BibLaTeX), else ``year`` with ``month``. The
arXiv id is ``eprint`` when ``archivePrefix`` or ``eprinttype`` is "arXiv"
(else an arXiv ``url``), and ``primaryClass`` is its category. The paper id is
the arXiv id when there is one, else the citation key. ``@string``,
``@preamble`` and ``@comment`` blocks are not papers and are skipped.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import bibtexparser
from bibtexparser import middlewares
from pylatexenc.latex2text import LatexNodes2Text

from kg.errors import InputError
from kg.model import Paper
from kg.readers.fields import MAX_DOCUMENT_BYTES, http_url, normalize_arxiv_id, normalize_date, normalize_doi, read_limited
from kg.sources import ReadStats, _DerivedIds, _guarded, clean_text

__all__ = ["read_bibtex"]

logger = logging.getLogger(__name__)

_MONTHS = {name: number for number, name in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), start=1
)}  # fmt: skip
_YEAR = re.compile(r"\d{4}")
# Braces that group or protect text ("{RL} Tango"), removed after decoding.
_BRACES = re.compile(r"[{}]")
# One converter for all values, because building its macro tables takes
# longer than decoding a value. bibtexparser's LatexDecodingMiddleware builds
# them per value and decodes every field: `python bench/readers.py` read 59
# entries/s with it and 381 with this converter (2 shared CPU cores).
_LATEX = LatexNodes2Text()


def _decode(text: str) -> str:
    """Return `text` with LaTeX commands decoded to Unicode, without braces, cleaned."""
    if "\\" in text:
        text = _LATEX.latex_to_text(text)
    return clean_text(_BRACES.sub("", text))


def _value(fields: dict[str, Any], name: str) -> str:
    value = fields.get(name)
    if value is None:
        return ""
    if isinstance(value, list):
        value = " and ".join(map(str, value))
    return _decode(str(value))


def _date(fields: dict[str, Any]) -> str | None:
    if date := _value(fields, "date"):
        return normalize_date(date)
    year = _value(fields, "year")
    if not _YEAR.fullmatch(year):
        return normalize_date(year or None)
    month = _value(fields, "month").casefold()
    number = None
    if month[:3] in _MONTHS:
        number = _MONTHS[month[:3]]
    elif month.isdigit():
        number = int(month)
    if number is None or not 1 <= number <= 12:
        return year
    return f"{year}-{number:02d}"


def _authors(fields: dict[str, Any]) -> tuple[str, ...]:
    value = fields.get("author")
    if not value:
        return ()
    names = value if isinstance(value, list) else [value]
    return tuple(name for name in (_decode(str(item)) for item in names) if name)


def _paper(entry: Any, path: Path, record: int, derived_ids: _DerivedIds) -> Paper:
    fields = {name.casefold(): field.value for name, field in entry.fields_dict.items()}
    title = _value(fields, "title")
    if not title:
        raise InputError(str(path), f"entry {entry.key!r} has no title; add a title field", record=record)
    abstract = _value(fields, "abstract")
    url = http_url(_value(fields, "url"), path=path, record=record, name="url")

    arxiv_id = None
    archive = (_value(fields, "archiveprefix") or _value(fields, "eprinttype")).casefold()
    if archive == "arxiv" or (not archive and _value(fields, "eprint")):
        arxiv_id = normalize_arxiv_id(_value(fields, "eprint"))
    arxiv_id = arxiv_id or normalize_arxiv_id(url)
    doi_text = _value(fields, "doi")
    doi = normalize_doi(doi_text)
    if doi_text and doi is None:
        logger.warning("%s, record %d: doi %.80r is not a DOI; it is ignored", path, record, doi_text)
    category = _value(fields, "primaryclass")
    return Paper(
        id=arxiv_id or clean_text(entry.key) or derived_ids.assign(title, abstract, path=path, record=record),
        title=title,
        abstract=abstract,
        url=url,
        date=_date(fields),
        authors=_authors(fields),
        source=str(path),
        record=record,
        arxiv_id=arxiv_id,
        doi=doi,
        categories=(category,) if category and arxiv_id else (),
    )


def _read_text(path: Path) -> str:
    data = read_limited(path, max_bytes=MAX_DOCUMENT_BYTES)
    if len(data) > MAX_DOCUMENT_BYTES:
        raise InputError(str(path), f"larger than {MAX_DOCUMENT_BYTES // (1024 * 1024)} MiB; split the file")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = data[: err.start].count(b"\n") + 1
        raise InputError(str(path), f"not valid UTF-8 ({err.reason})", record=line) from err


def read_bibtex(path: str | Path, *, skip_invalid: bool = False, stats: ReadStats | None = None) -> Iterator[Paper]:
    """Read papers from a BibTeX file, one per entry, in file order.

    The record number of a paper is the line where its entry starts.

    Raises
    ------
    InputError
        If the file is not UTF-8, a block cannot be parsed (an unclosed
        brace, a duplicate citation key), or an entry has no title (with
        `skip_invalid`, such a block is logged, counted and skipped instead).
    """
    path = Path(path)
    library = bibtexparser.parse_string(
        _read_text(path),
        append_middleware=[
            middlewares.SeparateCoAuthors(),
            middlewares.SplitNameParts(),
            middlewares.MergeNameParts(style="first"),
        ],
    )
    derived_ids = _DerivedIds()
    blocks = sorted(
        [(entry.start_line, entry) for entry in library.entries]
        + [(block.start_line, block) for block in library.failed_blocks],
        key=lambda item: item[0],
    )

    def records() -> Iterator[tuple[int, Any]]:
        for start_line, block in blocks:
            record = start_line + 1  # bibtexparser counts lines from 0
            if isinstance(block, bibtexparser.model.ParsingFailedBlock):
                error = block.error
                problem = getattr(error, "abort_reason", "") or str(error) or type(error).__name__
                yield record, InputError(str(path), f"invalid BibTeX block: {problem}; check its braces and quotes", record=record)
                continue
            try:
                yield record, _paper(block, path, record, derived_ids)
            except InputError as err:
                yield record, err

    return _guarded(records(), path, skip_invalid, stats or ReadStats())
