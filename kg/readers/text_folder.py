"""Reader of a folder of plain-text files, one paper per ``.txt`` file.

In each file the first non-empty line is the title and the remaining lines
are the abstract, joined with single spaces. The paper id is the file name
without ``.txt``. Files are read in sorted order of their names; other files
and subfolders are skipped with a debug log message.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from kg.errors import InputError
from kg.model import Paper
from kg.sources import ReadStats, _guarded, _lines, clean_text

__all__ = ["TEXT_SUFFIX", "read_text_folder"]

logger = logging.getLogger(__name__)

TEXT_SUFFIX = ".txt"


def _paper(path: Path) -> Paper:
    title = ""
    title_line = 0
    body: list[str] = []
    for number, line in _lines(path):
        text = line.strip()
        if not title:
            if text:
                title, title_line = clean_text(text), number
            continue
        body.append(text)
    if not title:
        raise InputError(str(path), "the file is empty; expected a title line, then the abstract", record=1)
    return Paper(
        id=clean_text(path.name[: -len(TEXT_SUFFIX)]) or path.name,
        title=title,
        abstract=clean_text(" ".join(body)),
        source=str(path),
        record=title_line,
    )


def read_text_folder(path: str | Path, *, skip_invalid: bool = False, stats: ReadStats | None = None) -> Iterator[Paper]:
    """Read one paper from each ``.txt`` file of the folder `path`.

    The record number of a paper is the line of its title in its own file,
    and its ``source`` is that file.

    Raises
    ------
    InputError
        If `path` is not a folder or has no .txt file, or a file is empty or not UTF-8 (with
        `skip_invalid`, such a file is logged, counted and skipped instead).
    """
    path = Path(path)
    if not path.is_dir():
        raise InputError(str(path), "not a folder; the text-folder format reads a folder of .txt files")

    files = sorted(path.iterdir(), key=lambda item: item.name)
    if not any(file.is_file() and file.suffix.lower() == TEXT_SUFFIX for file in files):
        raise InputError(str(path), f"the folder has no {TEXT_SUFFIX} files; put one paper in each .txt file")

    def records() -> Iterator[tuple[int, Any]]:
        for number, file in enumerate(files, start=1):
            if not file.is_file() or file.suffix.lower() != TEXT_SUFFIX:
                logger.debug("%s: not a %s file; skipped", file, TEXT_SUFFIX)
                continue
            try:
                yield number, _paper(file)
            except InputError as err:
                yield number, err

    return _guarded(records(), path, skip_invalid, stats or ReadStats())
