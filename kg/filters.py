"""Filters that keep the papers of some arXiv categories or from some day on.

`kg build --category CAT --since YYYY-MM-DD` applies them to the papers of
every input format after reading, before deduplication and extraction.

A category filter keeps a paper when any of its categories matches any of
the requested ones, ignoring case. A request with a dot ("cs.LG",
"physics.atom-ph") matches that category only. A request without a dot is an
arXiv archive and matches the archive itself and each of its categories:
"cs" matches "cs.LG" and "cs.CL", "hep-th" matches "hep-th", and "math" does
not match "math-ph", which is an archive of its own.

A date filter keeps a paper whose date is on or after the given day. Dates
are compared by their leading ``YYYY-MM-DD``, so "2024-05-01T12:00:00Z"
counts as 2024-05-01.

Papers that a filter cannot judge are excluded and counted: papers without
categories by a category filter, and papers whose date is missing or does not
start with a valid ``YYYY-MM-DD`` by a date filter.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date

from kg.errors import ConfigError
from kg.model import Paper

__all__ = [
    "FilterStats",
    "PaperFilter",
    "filter_papers",
    "matches_categories",
    "paper_day",
    "parse_category",
    "parse_since",
]

logger = logging.getLogger(__name__)

# An arXiv archive ("cs", "hep-th", "q-bio") with an optional subject class
# ("LG", "atom-ph", "stat-mech").
_CATEGORY = re.compile(r"[a-z][a-z-]*(?:\.[a-z][a-z-]*)?", re.IGNORECASE)
_ISO_DAY = re.compile(r"(\d{4})-(\d{2})-(\d{2})")


def parse_category(text: str) -> str:
    """Return a `--category` value in the form used for matching (case-folded).

    Raises
    ------
    ConfigError
        If `text` is not an arXiv category ("cs.LG") or archive ("cs").

    Examples
    --------
    >>> parse_category(" cs.LG ")
    'cs.lg'
    """
    value = text.strip()
    if not _CATEGORY.fullmatch(value):
        raise ConfigError(
            f"Invalid category {text!r}: expected an arXiv category such as 'cs.LG' or an archive such as 'cs'."
        )
    return value.casefold()


def parse_since(text: str) -> date:
    """Return the day of a `--since` value.

    Raises
    ------
    ConfigError
        If `text` is not a valid date in the form YYYY-MM-DD.

    Examples
    --------
    >>> parse_since("2024-02-29")
    datetime.date(2024, 2, 29)
    """
    value = text.strip()
    try:
        if not _ISO_DAY.fullmatch(value):
            raise ValueError(value)
        return date.fromisoformat(value)
    except ValueError as err:
        raise ConfigError(f"Invalid date {text!r}: expected a day YYYY-MM-DD such as 2024-01-31.") from err


def paper_day(paper: Paper) -> date | None:
    """Return the day of `paper.date` from its leading YYYY-MM-DD, or None."""
    match = _ISO_DAY.match(paper.date or "")
    if match is None:
        return None
    try:
        return date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        return None


def matches_categories(categories: Iterable[str], requested: Iterable[str]) -> bool:
    """Return whether any of `categories` matches any `requested` value from `parse_category`.

    Examples
    --------
    >>> matches_categories(["stat.ML", "cs.LG"], ["cs"])
    True
    >>> matches_categories(["math-ph"], ["math"])
    False
    """
    folded = [category.casefold() for category in categories]
    for request in requested:
        if "." in request:
            if request in folded:
                return True
        elif any(category == request or category.startswith(request + ".") for category in folded):
            return True
    return False


@dataclass(frozen=True)
class PaperFilter:
    """Requested categories (from `parse_category`) and first day; empty means no filter."""

    categories: tuple[str, ...] = ()
    since: date | None = None

    @classmethod
    def create(cls, *, categories: Sequence[str] = (), since: str | date | None = None) -> PaperFilter:
        """Check and normalise the values of ``--category`` and ``--since``.

        Raises
        ------
        ConfigError
            For a value that is not an arXiv category or archive, or not a day YYYY-MM-DD.
        """
        parsed = tuple(dict.fromkeys(parse_category(category) for category in categories))
        day = parse_since(since) if isinstance(since, str) else since
        return cls(categories=parsed, since=day)

    @property
    def active(self) -> bool:
        return bool(self.categories) or self.since is not None

    def describe(self) -> str:
        """Return the filter as command-line options, for messages."""
        options = [f"--category {category}" for category in self.categories]
        if self.since is not None:
            options.append(f"--since {self.since.isoformat()}")
        return " ".join(options)


@dataclass
class FilterStats:
    """Papers that the filters excluded, by reason."""

    outside_categories: int = 0
    without_categories: int = 0  # included in outside_categories
    before_since: int = 0
    without_date: int = 0  # included in before_since

    @property
    def excluded(self) -> int:
        return self.outside_categories + self.before_since


def filter_papers(papers: Iterable[Paper], paper_filter: PaperFilter, stats: FilterStats) -> Iterator[Paper]:
    """Yield the papers that pass `paper_filter`, counting the others in `stats`.

    The category filter runs first, so a paper that both filters exclude is
    counted under `FilterStats.outside_categories` only. Each excluded paper
    is logged at debug level, and the papers that a filter could not judge
    are logged once, at warning level, when the stream ends.
    """
    for paper in papers:
        if paper_filter.categories and not matches_categories(paper.categories, paper_filter.categories):
            stats.outside_categories += 1
            if not paper.categories:
                stats.without_categories += 1
            logger.debug("%s, record %d: paper %r is outside the categories; skipped", paper.source, paper.record, paper.id)
            continue
        if paper_filter.since is not None:
            day = paper_day(paper)
            if day is None or day < paper_filter.since:
                stats.before_since += 1
                if day is None:
                    stats.without_date += 1
                logger.debug("%s, record %d: paper %r is dated %r; skipped", paper.source, paper.record, paper.id, paper.date)
                continue
        yield paper

    if stats.without_categories:
        logger.warning("%d papers have no categories, so --category excluded them", stats.without_categories)
    if stats.without_date:
        logger.warning("%d papers have no date in the form YYYY-MM-DD, so --since excluded them", stats.without_date)
