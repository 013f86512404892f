"""Reader of CSV and TSV files with a header row, whose columns a mapping can rename.

The header names the columns. A column named like a field below is read as
that field, and `columns` maps other header names to fields (``--column
title=Title --column id=arxiv_id`` on the command line). Fields: ``title``
(required), ``abstract``, ``id``, ``url``, ``date``, ``language``,
``authors`` (names separated by ";" or ","), ``arxiv_id``, ``doi`` and
``categories`` (separated by spaces, "," or ";", primary first). Header
names compare without case and surrounding spaces.

TSV follows the IANA text/tab-separated-values rules as spreadsheets write
it: one record per line, no quoting, and a tab may not occur in a value.
"""

from __future__ import annotations

import csv
import dataclasses
import logging
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from kg.errors import ConfigError, InputError
from kg.model import Paper
from kg.readers.fields import normalize_arxiv_id, normalize_date, normalize_doi
from kg.sources import ReadStats, _DerivedIds, _guarded, _lines, _paper_from_record, clean_text

__all__ = ["COLUMN_FIELDS", "parse_column_mapping", "read_delimited"]

logger = logging.getLogger(__name__)

# Paper fields that a column can fill.
COLUMN_FIELDS: tuple[str, ...] = (
    "title", "abstract", "id", "url", "date", "language", "authors", "arxiv_id", "doi", "categories",
)  # fmt: skip

_CATEGORY_SEPARATOR = re.compile(r"[\s,;]+")


def parse_column_mapping(items: Mapping[str, str] | list[str] | tuple[str, ...]) -> dict[str, str]:
    """Return {field: lower-case column name} from ``FIELD=NAME`` strings or a mapping.

    Raises
    ------
    ConfigError
        If an item is not ``FIELD=NAME``, a field is not in `COLUMN_FIELDS`,
        or a field or column is given twice.

    Examples
    --------
    >>> parse_column_mapping(["title=Title", "id=arxiv_id"])
    {'title': 'title', 'id': 'arxiv_id'}
    """
    pairs = list(items.items()) if isinstance(items, Mapping) else []
    for item in [] if isinstance(items, Mapping) else items:
        field, separator, name = item.partition("=")
        if not separator or not field.strip() or not name.strip():
            raise ConfigError(f"Invalid column mapping {item!r}: expected FIELD=NAME, e.g. title=Title.")
        pairs.append((field, name))
    mapping: dict[str, str] = {}
    for field, name in pairs:
        field, name = field.strip().lower(), name.strip().lower()
        if field not in COLUMN_FIELDS:
            raise ConfigError(f"Unknown field {field!r} in a column mapping; expected one of {', '.join(COLUMN_FIELDS)}.")
        if field in mapping:
            raise ConfigError(f"Field {field!r} is mapped twice, to {mapping[field]!r} and {name!r}; map it once.")
        if name in mapping.values():
            raise ConfigError(f"Column {name!r} is mapped to two fields; map each column once.")
        mapping[field] = name
    return mapping


def _record(row: dict[str, str], path: Path, record: int, derived_ids: _DerivedIds) -> Paper:
    paper = _paper_from_record(row, path, record, derived_ids)
    doi_text = clean_text(row.get("doi") or "")
    doi = normalize_doi(doi_text)
    if doi_text and doi is None:
        logger.warning("%s, record %d: doi %.80r is not a DOI; it is ignored", path, record, doi_text)
    arxiv_text = clean_text(row.get("arxiv_id") or "")
    arxiv_id = normalize_arxiv_id(arxiv_text)
    if arxiv_text and arxiv_id is None:
        logger.warning("%s, record %d: arxiv_id %.80r is not an arXiv id; it is ignored", path, record, arxiv_text)
    categories = tuple(part for part in _CATEGORY_SEPARATOR.split(clean_text(row.get("categories") or "")) if part)
    return dataclasses.replace(
        paper, date=normalize_date(paper.date), arxiv_id=arxiv_id, doi=doi, categories=categories
    )


def read_delimited(
    path: str | Path,
    *,
    delimiter: str,
    columns: Mapping[str, str] | None = None,
    skip_invalid: bool = False,
    stats: ReadStats | None = None,
) -> Iterator[Paper]:
    """Read papers from CSV (``delimiter=","``) or TSV (``delimiter="\\t"``).

    Parameters
    ----------
    path : path
    delimiter : str
        "," for CSV (RFC 4180 quoting), "\\t" for TSV (no quoting).
    columns : mapping of str to str, optional
        Field name -> header name, from `parse_column_mapping`. A mapped
        column is read as its field. An unmapped column whose name is a
        field is read as that field too, unless the mapping names another
        column for that field.
    skip_invalid, stats
        As for `kg.sources.read_csv`.

    Raises
    ------
    InputError
        If the header lacks the title column (naming the columns found and
        the mapping), repeats a column, lacks a mapped column, or a row has
        more or fewer fields than the header.
    """
    path = Path(path)
    mapping = parse_column_mapping(columns or {})
    derived_ids = _DerivedIds()
    quoting = csv.QUOTE_NONE if delimiter == "\t" else csv.QUOTE_MINIMAL

    def records() -> Iterator[tuple[int, Any]]:
        reader = csv.reader((line for _, line in _lines(path)), delimiter=delimiter, quoting=quoting, strict=True)
        try:
            header = [name.strip().lower() for name in next(reader, [])]
            duplicates = sorted({name for name in header if header.count(name) > 1})
            if duplicates:
                raise InputError(str(path), f"the header row repeats the column(s) {', '.join(duplicates)}", record=1)
            missing = sorted(name for name in mapping.values() if name not in header)
            if missing:
                raise InputError(
                    str(path), f"the header row has no column(s) {', '.join(missing)} named by --column; columns: {header}",
                    record=1,
                )
            # Header position -> field: mapped columns first, then columns named like an unmapped field.
            field_of = {header.index(name): field for field, name in mapping.items()}
            for index, name in enumerate(header):
                if index not in field_of and name in COLUMN_FIELDS and name not in mapping:
                    field_of[index] = name
            if "title" not in field_of.values():
                raise InputError(
                    str(path),
                    f"no title column: the header row has {header!r}; name one 'title' or map it with --column title=NAME",
                    record=1,
                )
            for row in reader:
                if not any(value.strip() for value in row):
                    continue
                if len(row) != len(header):
                    problem = f"row has {len(row)} fields, the header has {len(header)}"
                    yield reader.line_num, InputError(str(path), problem, record=reader.line_num)
                    continue
                data = {field: row[index] for index, field in field_of.items()}
                try:
                    yield reader.line_num, _record(data, path, reader.line_num, derived_ids)
                except InputError as err:
                    yield reader.line_num, err
        except csv.Error as err:
            raise InputError(str(path), f"invalid {'TSV' if delimiter == chr(9) else 'CSV'}: {err}", record=reader.line_num) from err

    return _guarded(records(), path, skip_invalid, stats or ReadStats())
