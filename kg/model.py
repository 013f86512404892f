"""Records passed between the stages of kg.

Readers yield `Paper` records; the extraction stage turns each paper into a
`PaperExtraction`; the graph stage merges extractions into one graph. Every
record is a frozen dataclass of plain values, so stages cannot change each
other's data and records compare by value.

Character offsets (`start`, `end`) are 0-based, end-exclusive, and count
characters of the field they name (`title` or `abstract`), not of any
concatenation that a stage builds internally.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from enum import StrEnum
from collections.abc import Mapping
from typing import Any

__all__ = [
    "Abbreviation",
    "EntityType",
    "ExtractedEntity",
    "Field",
    "Link",
    "LinkKind",
    "Mention",
    "Paper",
    "PaperExtraction",
    "Relation",
    "RelationType",
    "Result",
    "TYPE_PRIORITY",
    "majority_type",
]


class EntityType(StrEnum):
    """Kinds of named research artifact that kg extracts."""

    METHOD = "method"
    MODEL = "model"
    DATASET = "dataset"  # datasets and benchmarks alike
    TASK = "task"
    METRIC = "metric"


class LinkKind(StrEnum):
    """Target type of a URL found in a paper's text."""

    CODE = "code"  # source repositories: GitHub, GitLab, Bitbucket, ...
    MODEL = "model"  # model pages, for example on the Hugging Face Hub
    DATASET = "dataset"  # dataset pages, for example on the Hugging Face Hub
    PAPER = "paper"  # arXiv, OpenReview, ACL Anthology, DOI
    PROJECT = "project"  # any other page: project sites, demos, blogs


class Field(StrEnum):
    """The part of a paper record that a mention was found in."""

    TITLE = "title"
    ABSTRACT = "abstract"
    # A structured field of the input record, such as the githubRepo of a
    # Hugging Face Daily Papers entry. Offsets then count characters of the
    # value itself (the URL), from 0.
    METADATA = "metadata"


class RelationType(StrEnum):
    """Relations that extraction reports inside one paper.

    `proposes` and `mentions` are implied by `ExtractedEntity.proposed` and are
    not repeated as `Relation` records. The cues of each type are listed in
    `kg.nlp.relations`.
    """

    EVALUATED_ON = "evaluated_on"  # method or paper -> dataset it reports results on
    USES = "uses"  # -> method, model or dataset it applies ("we use GRPO", "trained on X")
    BUILT_ON = "built_on"  # -> method, model or dataset it extends ("built upon GRPO")
    COMPARED_WITH = "compared_with"  # -> method or model it is compared with
    OUTPERFORMS = "outperforms"  # -> method or model it reports better results than
    ADDRESSES = "addresses"  # -> task it solves or improves
    IS_A = "is_a"  # -> concept key, the head noun that describes it ("framework")


# Tie-break order of `majority_type`: the more specific type first.
TYPE_PRIORITY: tuple[EntityType, ...] = (
    EntityType.DATASET,
    EntityType.MODEL,
    EntityType.METRIC,
    EntityType.TASK,
    EntityType.METHOD,
)


def majority_type(votes: Mapping[str, int]) -> EntityType:
    """Return the entity type with the most votes; ties go by `TYPE_PRIORITY`.

    Examples
    --------
    >>> majority_type({"method": 2, "model": 2, "task": 1})
    <EntityType.MODEL: 'model'>
    """
    best = max(votes.values())
    return next(entity_type for entity_type in TYPE_PRIORITY if votes.get(str(entity_type)) == best)


@dataclass(frozen=True, slots=True)
class Paper:
    """One paper as a reader found it.

    Attributes
    ----------
    id : str
        Stable identifier: the record's own id, or one derived from the title.
    title : str
        The title exactly as in the input, with surrounding whitespace removed.
    abstract : str
        The abstract; empty when the input has only a title.
    url, date : str or None
        Optional landing page and publication date (ISO 8601 where known).
    authors : tuple of str
        Author names in input order.
    source : str
        The input file the paper came from.
    record : int
        1-based line number of the record in its file: the title line for page
        text, the line for JSON Lines, and for CSV the line on which the row
        ends (a quoted field may span lines).
    language : str
        BCP 47 tag of the title and abstract ("en-US") when the input states
        one, else "".
    arxiv_id : str or None
        arXiv identifier without the "arXiv:" prefix and without a version
        ("2409.01234", or old style "cs/0112017").
    doi : str or None
        DOI without a resolver prefix ("10.1234/abcd").
    categories : tuple of str
        arXiv categories, primary first ("cs.LG", "stat.ML").
    author_ids : tuple of str
        The source's id of each author, parallel to `authors`; "" where the
        source gives none. Empty when the source gives no ids at all.
    links : tuple of str
        URLs that the record gives in structured fields (code repository,
        project page); extraction adds them as links beside those found in
        the text.
    """

    id: str
    title: str
    abstract: str = ""
    url: str | None = None
    date: str | None = None
    authors: tuple[str, ...] = ()
    source: str = ""
    record: int = 0
    language: str = ""
    arxiv_id: str | None = None      # "2409.01234" (no "arXiv:" prefix, no version), or old style "cs/0112017"
    doi: str | None = None           # "10.1234/abcd" (no "https://doi.org/" prefix)
    categories: tuple[str, ...] = () # arXiv categories, primary first ("cs.LG", "stat.ML")
    author_ids: tuple[str, ...] = ()
    links: tuple[str, ...] = ()

    @property
    def has_abstract(self) -> bool:
        return bool(self.abstract.strip())


@dataclass(frozen=True, slots=True)
class Mention:
    """A span of a paper's text that evidence points to.

    `sentence` is the full sentence around the span, so a reader of the graph
    can check an edge without the source text.
    """

    text: str
    start: int
    end: int
    field: Field
    sentence: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "start": self.start,
            "end": self.end,
            "field": str(self.field),
            "sentence": self.sentence,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Mention:
        """Rebuild a mention from its `to_json` object."""
        return cls(
            text=data["text"],
            start=data["start"],
            end=data["end"],
            field=Field(data["field"]),
            sentence=data.get("sentence", ""),
        )


@dataclass(frozen=True, slots=True)
class ExtractedEntity:
    """One entity of one paper, with all its mentions in that paper.

    Attributes
    ----------
    name : str
        Canonical name in this paper: the long form when the paper defines an
        abbreviation for it, else the vocabulary entry's canonical name when
        a mention matched the vocabulary, else the most frequent surface form.
    key : str
        Normalised name used to merge entities across papers (see
        `kg.resolve.entity_key`).
    type : EntityType
    proposed : bool
        True when the paper introduces the entity ("we propose X").
    mentions : tuple of Mention
        Every place the entity occurs, in text order.
    aliases : tuple of str
        Other surface forms seen in this paper (abbreviations, plural forms),
        sorted, without `name`.
    """

    name: str
    key: str
    type: EntityType
    proposed: bool = False
    mentions: tuple[Mention, ...] = ()
    aliases: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "key": self.key,
            "type": str(self.type),
            "proposed": self.proposed,
            "aliases": list(self.aliases),
            "mentions": [mention.to_json() for mention in self.mentions],
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ExtractedEntity:
        """Rebuild an entity from its `to_json` object."""
        return cls(
            name=data["name"],
            key=data["key"],
            type=EntityType(data["type"]),
            proposed=bool(data.get("proposed", False)),
            mentions=tuple(Mention.from_json(mention) for mention in data.get("mentions", ())),
            aliases=tuple(data.get("aliases", ())),
        )


@dataclass(frozen=True, slots=True)
class Link:
    """A URL found in a paper's text, with what it points to."""

    url: str
    kind: LinkKind
    mention: Mention

    def to_json(self) -> dict[str, Any]:
        return {"url": self.url, "kind": str(self.kind), "mention": self.mention.to_json()}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Link:
        """Rebuild a link from its `to_json` object."""
        return cls(url=data["url"], kind=LinkKind(data["kind"]), mention=Mention.from_json(data["mention"]))


@dataclass(frozen=True, slots=True)
class Abbreviation:
    """A short form defined in the text next to its long form.

    `mention` covers the short form at its defining occurrence.
    """

    short: str
    long: str
    mention: Mention

    def to_json(self) -> dict[str, Any]:
        return {"short": self.short, "long": self.long, "mention": self.mention.to_json()}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Abbreviation:
        """Rebuild an abbreviation from its `to_json` object."""
        return cls(short=data["short"], long=data["long"], mention=Mention.from_json(data["mention"]))


@dataclass(frozen=True, slots=True)
class Relation:
    """A typed relation between two things of one paper.

    `subject` and `object` are entity keys; a `subject` of "" stands for the
    paper itself. For `RelationType.IS_A` the object is a concept key instead:
    the lower-case singular head noun ("framework", "benchmark"). `evidence`
    covers the words of the sentence from the cue to the object.
    """

    type: RelationType
    subject: str
    object: str
    evidence: Mention

    def to_json(self) -> dict[str, Any]:
        return {
            "type": str(self.type),
            "subject": self.subject,
            "object": self.object,
            "evidence": self.evidence.to_json(),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Relation:
        """Rebuild a relation from its `to_json` object."""
        return cls(
            type=RelationType(data["type"]),
            subject=data["subject"],
            object=data["object"],
            evidence=Mention.from_json(data["evidence"]),
        )


@dataclass(frozen=True, slots=True)
class Result:
    """A numeric claim of a paper: "Tango scores 94.1 on RewardBench".

    Attributes
    ----------
    subject : str
        Entity key of what the number is about; "" for the paper itself.
    value : str
        The number as a decimal string without thousands separators ("94.1",
        "-3", "0.85").
    unit : str
        "percent" (%, percent), "points" (points, pp, percentage points), "x"
        (a multiplier: 2.5x, 3×), or "" for a bare score.
    spread : str
        The number after "±" or "+/-" as a decimal string, or "".
    metric, benchmark : str
        Entity keys of the metric and the dataset the number is measured in
        and on, or "".
    evidence : Mention
        The number as written, with its spread and unit ("85.3 ± 1.2%").
    """

    subject: str
    value: str
    unit: str
    spread: str
    metric: str
    benchmark: str
    evidence: Mention

    def to_json(self) -> dict[str, Any]:
        return {
            "subject": self.subject,
            "value": self.value,
            "unit": self.unit,
            "spread": self.spread,
            "metric": self.metric,
            "benchmark": self.benchmark,
            "evidence": self.evidence.to_json(),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Result:
        """Rebuild a result from its `to_json` object."""
        return cls(
            subject=data["subject"],
            value=data["value"],
            unit=data["unit"],
            spread=data["spread"],
            metric=data["metric"],
            benchmark=data["benchmark"],
            evidence=Mention.from_json(data["evidence"]),
        )


@dataclass(frozen=True, slots=True)
class PaperExtraction:
    """Everything extraction found in one paper."""

    paper: Paper
    entities: tuple[ExtractedEntity, ...] = ()
    links: tuple[Link, ...] = ()
    abbreviations: tuple[Abbreviation, ...] = ()
    relations: tuple[Relation, ...] = field(default=())
    results: tuple[Result, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """Return the `extractions.jsonl` object of this paper (schema in docs/extractions.md)."""
        paper = self.paper
        return {
            "id": paper.id,
            "title": paper.title,
            "abstract": paper.abstract,
            "url": paper.url,
            "date": paper.date,
            "authors": list(paper.authors),
            "author_ids": list(paper.author_ids),
            "arxiv_id": paper.arxiv_id,
            "doi": paper.doi,
            "categories": list(paper.categories),
            "source": paper.source,
            "record": paper.record,
            "language": paper.language,
            "has_abstract": paper.has_abstract,
            "entities": [entity.to_json() for entity in self.entities],
            "links": [link.to_json() for link in self.links],
            "abbreviations": [abbreviation.to_json() for abbreviation in self.abbreviations],
            "relations": [relation.to_json() for relation in self.relations],
            "results": [result.to_json() for result in self.results],
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> PaperExtraction:
        """Rebuild a record from its `to_json` object, the inverse of `to_json`.

        Every `Paper` field is read from the key of the same name, lists
        become tuples, and a missing key takes the field's default, so fields
        added to `Paper` later round-trip once `to_json` writes them.

        Raises
        ------
        KeyError
            If a required key (``id``, ``title``, or one of a nested record)
            is missing.
        ValueError
            If an enumerated value (entity type, field, link kind, relation
            type) is not one of its members.
        """
        paper_values = {
            item.name: tuple(data[item.name]) if isinstance(data[item.name], list) else data[item.name]
            for item in fields(Paper)
            # "links" at the top level are the extracted link records, which
            # already contain the paper's own structured links.
            if item.name in data and item.name != "links"
        }
        return cls(
            paper=Paper(**paper_values),
            entities=tuple(ExtractedEntity.from_json(entity) for entity in data.get("entities", ())),
            links=tuple(Link.from_json(link) for link in data.get("links", ())),
            abbreviations=tuple(Abbreviation.from_json(item) for item in data.get("abbreviations", ())),
            relations=tuple(Relation.from_json(relation) for relation in data.get("relations", ())),
            results=tuple(Result.from_json(result) for result in data.get("results", ())),
        )


def _pickle_as_field_tuple(cls: type) -> None:
    """Pickle the records of `cls` as a tuple of field values.

    The ``__setstate__`` that ``dataclass(frozen=True, slots=True)`` writes
    (Python 3.11) calls `dataclasses.fields` once per object, which made
    unpickling the records that extraction worker processes return about 40%
    slower (3,000 records of a 10k build, measured with `pickle.loads`).
    """
    names = tuple(item.name for item in fields(cls))

    def __getstate__(self: Any) -> tuple[Any, ...]:
        return tuple(map(self.__getattribute__, names))

    def __setstate__(self: Any, state: tuple[Any, ...]) -> None:
        for name, value in zip(names, state):
            # The records are frozen, so their own __setattr__ raises.
            object.__setattr__(self, name, value)

    cls.__getstate__ = __getstate__  # type: ignore[attr-defined]
    cls.__setstate__ = __setstate__  # type: ignore[attr-defined]


for _record_class in (Paper, Mention, ExtractedEntity, Link, Abbreviation, Relation, Result, PaperExtraction):
    _pickle_as_field_tuple(_record_class)
