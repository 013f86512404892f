"""Exceptions raised by kg.

Every error that a user can fix derives from `KgError`, so the command line can
print it as one line and exit with status 1. Messages name what arrived, what
was expected and, where it helps, what to do next.
"""

from __future__ import annotations

__all__ = [
    "ConfigError",
    "ExportError",
    "FetchError",
    "InputError",
    "KgError",
    "QueryError",
]


class KgError(Exception):
    """Base class of the errors that kg reports to users."""


class InputError(KgError):
    """An input file or one of its records cannot be read.

    Parameters
    ----------
    path : str
        The file that was being read.
    problem : str
        What is wrong, in a sentence.
    record : int or None
        The 1-based line or record number, when the problem belongs to one record.
    """

    def __init__(self, path: str, problem: str, record: int | None = None) -> None:
        self.path = str(path)
        self.problem = problem
        self.record = record
        where = self.path if record is None else f"{self.path}, record {record}"
        super().__init__(f"{where}: {problem}")

    def __reduce__(self) -> tuple[type[InputError], tuple[str, str, int | None]]:
        # Rebuild from the fields, so the error crosses process boundaries intact.
        return (self.__class__, (self.path, self.problem, self.record))


class ConfigError(KgError):
    """A setting, option or user-supplied vocabulary is invalid."""


class QueryError(KgError):
    """A SPARQL query is invalid or failed to run."""


class ExportError(KgError):
    """A graph cannot be written in the requested format."""


class FetchError(KgError):
    """A download from a paper API failed, after any retries."""
