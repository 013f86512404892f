"""Text tables and JSON files of `kg eval` scores."""

from __future__ import annotations

import json
import logging
from pathlib import Path

from kg.errors import KgError
from kg.evaluation.runner import EvaluationResult, ScoreTable
from kg.io import atomic_write

__all__ = ["format_result", "format_table", "write_json"]

logger = logging.getLogger(__name__)

_HEADER = ("", "gold", "pred", "tp", "P", "R", "F1")


def format_table(table: ScoreTable, *, markdown: bool = False) -> str:
    """Return one score table as fixed-width text, or as a Markdown table.

    Examples
    --------
    >>> from kg.evaluation.scoring import Counts
    >>> print(format_table(ScoreTable("t", "Links", {"links": Counts(tp=1, fp=1)})))
    Links
              gold   pred     tp      P      R     F1
    links        1      2      1   0.50   1.00   0.67
    """
    rows = [
        (name, str(counts.gold), str(counts.predicted), str(counts.tp), f"{counts.precision:.2f}", f"{counts.recall:.2f}", f"{counts.f1:.2f}")
        for name, counts in table.rows.items()
    ]
    if markdown:
        lines = [f"| {' | '.join(_HEADER)} |", "|---|" + "---:|" * (len(_HEADER) - 1)]
        lines += [f"| {' | '.join(row)} |" for row in rows]
        return "\n".join(lines)
    width = max(len(row[0]) for row in [_HEADER, *rows]) + 2
    lines = [table.title, _HEADER[0].ljust(width) + "".join(cell.rjust(7) for cell in _HEADER[1:])]
    lines += [row[0].ljust(width) + "".join(cell.rjust(7) for cell in row[1:]) for row in rows]
    return "\n".join(lines)


def format_result(result: EvaluationResult) -> str:
    """Return the full text report of one run: a heading line, then every table."""
    source = result.corpus if result.input is None else f"{result.corpus} against {result.input}"
    unit = "papers" if result.corpus_format == "gold" else "documents"
    parts = [f"{source} ({result.corpus_format}, {result.documents} {unit})"]
    parts += [format_table(table) for table in result.tables]
    return "\n\n".join(parts)


def write_json(result: EvaluationResult, path: str | Path) -> None:
    """Write the scores as a JSON object (written atomically).

    Raises
    ------
    KgError
        If the file cannot be written; the message names `path`, not the
        temporary file beside it.
    """
    try:
        with atomic_write(path) as handle:
            json.dump(result.to_json(), handle, indent=2, ensure_ascii=False)
            handle.write("\n")
    except OSError as err:
        raise KgError(f"Cannot write the scores to {path}: {err.strerror or err}; choose a path in a writable folder") from err
    logger.info("Wrote %s", path)
