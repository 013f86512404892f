"""Label mappings between annotated corpora and kg's entity types.

Scores are computed in one label space, the *evaluation types*, which are kg's
`EntityType` values. A `LabelMapping` maps both sides to them:

- ``gold``: corpus label -> evaluation type, or None to ignore the label;
- ``predicted``: kg's entity type -> evaluation type, or None to ignore it.

kg separates trained models ("GPT-4o") from methods ("GRPO"), but SciERC,
SciREX and CS-NER have a single Method label for both, so the default
mappings score kg's "model" as "method" on those corpora. SciERC's
OtherScientificTerm and Generic have no kg counterpart and are ignored.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

from kg.errors import ConfigError
from kg.model import EntityType

__all__ = ["DEFAULT_MAPPINGS", "EVALUATION_TYPES", "LabelMapping", "parse_overrides"]

logger = logging.getLogger(__name__)

EVALUATION_TYPES: tuple[str, ...] = tuple(str(entity_type) for entity_type in EntityType)


@dataclass(frozen=True)
class LabelMapping:
    """Mapping of corpus labels and of kg's entity types to evaluation types.

    Attributes
    ----------
    gold : mapping of str to str or None
        Corpus label -> evaluation type; None ignores the label.
    predicted : mapping of str to str or None
        kg entity type -> evaluation type; None ignores predictions of that type.
    """

    gold: Mapping[str, str | None]
    predicted: Mapping[str, str | None]

    def gold_type(self, label: str) -> str | None:
        """Return the evaluation type of a corpus label (None = ignored).

        Raises
        ------
        ConfigError
            If the mapping does not list the label.
        """
        if label not in self.gold:
            raise ConfigError(
                f"corpus label {label!r} has no mapping. Add --map {label}=TYPE "
                f"(TYPE one of {', '.join(EVALUATION_TYPES)}) or --map {label}= to ignore it"
            )
        return self.gold[label]

    def predicted_type(self, entity_type: str) -> str | None:
        """Return the evaluation type of one of kg's entity types (None = ignored)."""
        return self.predicted.get(entity_type)

    def check_labels(self, labels: Iterable[str]) -> None:
        """Raise `ConfigError` naming every label that the mapping does not list."""
        unknown = sorted(set(labels) - set(self.gold))
        if unknown:
            options = " ".join(f"--map {label}=TYPE" for label in unknown)
            raise ConfigError(
                f"corpus labels without a mapping: {', '.join(unknown)}. Add {options} "
                f"(TYPE one of {', '.join(EVALUATION_TYPES)}, or empty to ignore the label)"
            )

    def scored_types(self, labels: Iterable[str]) -> tuple[str, ...]:
        """Return the evaluation types that the given corpus labels map to, in `EVALUATION_TYPES` order.

        Only these types are scored, so a corpus without a Method label (TDMSci)
        does not count kg's methods as false positives.
        """
        targets = {self.gold.get(label) for label in labels}
        return tuple(entity_type for entity_type in EVALUATION_TYPES if entity_type in targets)

    def with_overrides(
        self, *, gold: Mapping[str, str | None] = MappingProxyType({}), predicted: Mapping[str, str | None] = MappingProxyType({})
    ) -> LabelMapping:
        """Return a copy with some entries replaced or added."""
        return LabelMapping(gold={**self.gold, **gold}, predicted={**self.predicted, **predicted})

    def to_json(self) -> dict[str, dict[str, str | None]]:
        return {"gold": dict(self.gold), "predicted": dict(self.predicted)}


# kg's types scored as themselves: the gold format uses kg's own types.
_IDENTITY: Mapping[str, str | None] = {entity_type: entity_type for entity_type in EVALUATION_TYPES}

# For corpora whose Method label covers named models too.
_MODEL_AS_METHOD: Mapping[str, str | None] = {**_IDENTITY, "model": "method"}

DEFAULT_MAPPINGS: Mapping[str, LabelMapping] = MappingProxyType(
    {
        "gold": LabelMapping(gold=_IDENTITY, predicted=_IDENTITY),
        # SciERC (Luan et al., 2018): Material covers datasets and other data.
        "scierc": LabelMapping(
            gold={
                "Method": "method",
                "Material": "dataset",
                "Task": "task",
                "Metric": "metric",
                "OtherScientificTerm": None,
                "Generic": None,
            },
            predicted=_MODEL_AS_METHOD,
        ),
        # SciREX (Jain et al., 2020) uses SciERC's four main labels.
        "scirex": LabelMapping(
            gold={"Method": "method", "Material": "dataset", "Task": "task", "Metric": "metric"},
            predicted=_MODEL_AS_METHOD,
        ),
        # CoNLL files: TDMSci (Hou et al., 2021) and CS-NER (D'Souza and Auer, 2022) labels.
        "conll": LabelMapping(
            gold={
                "DATASET": "dataset",
                "METRIC": "metric",
                "TASK": "task",
                "RESEARCH_PROBLEM": "task",
                "METHOD": "method",
            },
            predicted=_MODEL_AS_METHOD,
        ),
    }
)


def parse_overrides(items: Sequence[str], *, option: str, sources: Iterable[str] | None = None) -> dict[str, str | None]:
    """Parse ``LABEL=TYPE`` options into a mapping; ``LABEL=`` maps the label to None (ignored).

    Parameters
    ----------
    items : sequence of str
        The option values as given.
    option : str
        The option's name, for error messages.
    sources : iterable of str, optional
        The allowed left-hand sides; any label is allowed when None.

    Raises
    ------
    ConfigError
        For a value without "=", an empty label, an unknown type or a label
        not in `sources`.

    Examples
    --------
    >>> parse_overrides(["Generic=method", "Task="], option="--map")
    {'Generic': 'method', 'Task': None}
    """
    allowed = None if sources is None else set(sources)
    overrides: dict[str, str | None] = {}
    for item in items:
        label, separator, target = item.partition("=")
        label, target = label.strip(), target.strip()
        if not separator or not label:
            raise ConfigError(f"{option} {item!r}: expected LABEL=TYPE, or LABEL= to ignore the label")
        if allowed is not None and label not in allowed:
            raise ConfigError(f"{option} {item!r}: unknown type {label!r}, expected one of {', '.join(sorted(allowed))}")
        if target and target not in EVALUATION_TYPES:
            raise ConfigError(f"{option} {item!r}: unknown type {target!r}, expected one of {', '.join(EVALUATION_TYPES)} or nothing")
        overrides[label] = target or None
    return overrides
