"""Vocabularies of known entity names: file format, loading and merging.

A vocabulary file is UTF-8 text with one entry per line and three
tab-separated columns::

    name<TAB>type<TAB>aliases

`type` is a `kg.model.EntityType` value (method, model, dataset, task,
metric). `aliases` is optional and separates other surface forms with ``|``.
Blank lines and lines whose first non-space character is ``#`` are skipped.

kg ships a starter vocabulary in ``kg/vocab/*.tsv``; users add their own files
with ``--vocabulary``. When two entries give the same surface form different
types, the entry loaded last wins, so a user file overrides the starter files.

Examples
--------
>>> vocabulary = Vocabulary.from_lines(["GSM8K\\tdataset\\tGSM-8K|GSM8k"], source="inline")
>>> vocabulary.type_of("GSM-8K")
<EntityType.DATASET: 'dataset'>
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from kg.errors import ConfigError
from kg.model import EntityType

__all__ = [
    "DEFAULT_VOCABULARY_DIR",
    "Vocabulary",
    "VocabularyEntry",
    "default_vocabulary_files",
    "load_vocabulary",
    "parse_vocabulary_line",
    "read_vocabulary_file",
]

logger = logging.getLogger(__name__)

# Directory of the starter vocabulary files (package data of kg).
DEFAULT_VOCABULARY_DIR = Path(__file__).resolve().parent.parent / "vocab"

ALIAS_SEPARATOR = "|"
COMMENT_PREFIX = "#"

_TYPE_CHOICES = ", ".join(str(entity_type) for entity_type in EntityType)


@dataclass(frozen=True, slots=True)
class VocabularyEntry:
    """One named entity of a vocabulary, with where it was defined.

    `line` is the 1-based line number in `source`.
    """

    name: str
    type: EntityType
    aliases: tuple[str, ...] = ()
    source: str = ""
    line: int = 0

    @property
    def surface_forms(self) -> tuple[str, ...]:
        """Name first, then the aliases, without repeats."""
        return tuple(dict.fromkeys((self.name, *self.aliases)))


def parse_vocabulary_line(text: str, *, source: str, line: int) -> VocabularyEntry | None:
    """Parse one line of a vocabulary file.

    Returns None for blank and comment lines.

    Raises
    ------
    ConfigError
        If the line has fewer than two or more than three columns, an empty
        name, or a type that is not an `EntityType` value. The message names
        the file and line.
    """
    stripped = text.strip()
    if not stripped or stripped.startswith(COMMENT_PREFIX):
        return None

    columns = text.rstrip("\r\n").split("\t")
    if not 2 <= len(columns) <= 3:
        raise ConfigError(
            f"{source}, line {line}: expected 2 or 3 tab-separated columns "
            f"(name, type, aliases), found {len(columns)}. Separate the columns with one tab."
        )

    name = columns[0].strip()
    if not name:
        raise ConfigError(f"{source}, line {line}: the name column is empty. Write the entity name first.")

    type_text = columns[1].strip().lower()
    try:
        entity_type = EntityType(type_text)
    except ValueError as err:
        raise ConfigError(
            f"{source}, line {line}: invalid type {columns[1].strip()!r} for {name!r}; "
            f"expected one of: {_TYPE_CHOICES}."
        ) from err

    aliases: tuple[str, ...] = ()
    if len(columns) == 3:
        aliases = tuple(alias.strip() for alias in columns[2].split(ALIAS_SEPARATOR) if alias.strip())
    return VocabularyEntry(name=name, type=entity_type, aliases=aliases, source=source, line=line)


class Vocabulary:
    """Known entity names merged from one or more vocabulary files.

    Surface forms are looked up exactly (case and spelling as written); the
    entity recognizer decides how each form is matched in text.
    """

    def __init__(self, entries: Iterable[VocabularyEntry] = ()) -> None:
        self._entries: list[VocabularyEntry] = []
        self._types: dict[str, EntityType] = {}
        for entry in entries:
            self.add(entry)

    @classmethod
    def from_lines(cls, lines: Iterable[str], *, source: str) -> Vocabulary:
        """Build a vocabulary from the lines of one file (see `parse_vocabulary_line`)."""
        vocabulary = cls()
        for number, text in enumerate(lines, start=1):
            entry = parse_vocabulary_line(text, source=source, line=number)
            if entry is not None:
                vocabulary.add(entry)
        return vocabulary

    def add(self, entry: VocabularyEntry) -> None:
        """Add an entry; its surface forms override earlier types for the same forms."""
        for form in entry.surface_forms:
            previous = self._types.get(form)
            if previous is not None and previous != entry.type:
                logger.debug(
                    "Vocabulary %s, line %d: %r changes type from %s to %s",
                    entry.source,
                    entry.line,
                    form,
                    previous,
                    entry.type,
                )
            self._types[form] = entry.type
        self._entries.append(entry)

    def merge(self, other: Vocabulary) -> None:
        """Add every entry of `other`; `other` wins where types disagree."""
        for entry in other.entries:
            self.add(entry)

    @property
    def entries(self) -> tuple[VocabularyEntry, ...]:
        return tuple(self._entries)

    def to_lines(self) -> Iterator[str]:
        """Yield the entries as vocabulary file lines, in the order they were added.

        `Vocabulary.from_lines` on these lines gives the same surface forms
        and types, because later entries still override earlier ones.
        """
        for entry in self._entries:
            yield "\t".join((entry.name, str(entry.type), ALIAS_SEPARATOR.join(entry.aliases)))

    def type_of(self, form: str) -> EntityType | None:
        """Return the type of a surface form, or None if the vocabulary lacks it."""
        return self._types.get(form)

    def items(self) -> Iterator[tuple[str, EntityType]]:
        """Yield (surface form, type) pairs, in the order the forms were first added."""
        yield from self._types.items()

    def __len__(self) -> int:
        return len(self._types)

    def __contains__(self, form: object) -> bool:
        return form in self._types


def read_vocabulary_file(path: str | Path) -> Vocabulary:
    """Read one vocabulary file.

    Raises
    ------
    ConfigError
        If the file is missing, unreadable, not UTF-8, or has an invalid line.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as err:
        raise ConfigError(f"Vocabulary file not found: {path}. Check the path given with --vocabulary.") from err
    except UnicodeDecodeError as err:
        raise ConfigError(f"{path}: vocabulary files must be UTF-8 text ({err.reason} at byte {err.start}).") from err
    except OSError as err:
        raise ConfigError(f"Cannot read vocabulary file {path}: {err.strerror}.") from err
    return Vocabulary.from_lines(text.splitlines(), source=str(path))


def default_vocabulary_files() -> list[Path]:
    """Return the starter vocabulary files that ship with kg, sorted by name."""
    return sorted(DEFAULT_VOCABULARY_DIR.glob("*.tsv"))


def load_vocabulary(paths: Sequence[str | Path] = (), *, use_default: bool = True) -> Vocabulary:
    """Load the starter vocabulary (optional) and the user files, in that order.

    Parameters
    ----------
    paths : sequence of path
        User vocabulary files; later files override earlier ones where they
        give the same surface form another type.
    use_default : bool
        Load the starter vocabulary first (default True).

    Returns
    -------
    Vocabulary

    Raises
    ------
    ConfigError
        If a file is missing or has an invalid line.
    """
    vocabulary = Vocabulary()
    files = [*default_vocabulary_files()] if use_default else []
    files.extend(Path(path) for path in paths)
    for path in files:
        vocabulary.merge(read_vocabulary_file(path))
    logger.debug("Loaded %d surface forms from %d vocabulary files", len(vocabulary), len(files))
    return vocabulary
