"""Registration of kg's spaCy components.

Importing this module registers every factory, so `nlp.add_pipe("kg_links")`
works after `import kg.nlp`. Each factory forwards its settings to the
component class; defaults live in the `default_config` here and nowhere else.
"""

from __future__ import annotations

from spacy.language import Language
from spacy.pipeline._parser_internals.transition_system import TransitionSystem
from thinc.api import Model

from kg.model import EntityType

from kg.nlp.abbreviations import AbbreviationDetector
from kg.nlp.entities import EntityRecognizer
from kg.nlp.extensions import (
    ABBREVIATIONS,
    ENTITIES_KEY,
    LINKS,
    PROPOSED_KEY,
    RELATIONS,
    STATISTICAL_KEY,
    RESULTS,
    register_extensions,
)
from kg.nlp.links import LinkDetector
from kg.nlp.proposals import ProposalDetector
from kg.nlp.relations import RelationExtractor
from kg.nlp.results import ResultExtractor
from kg.nlp.sentences import PunctuationSentencizer, TitleBoundary
from kg.nlp.spans import DEFAULT_MODEL, StatisticalSpanRecognizer

__all__ = ["register_factories"]


def make_title_boundary(nlp: Language, name: str) -> TitleBoundary:
    return TitleBoundary(nlp, name)


def make_sentencizer(nlp: Language, name: str, punct_chars: list[str] | None) -> PunctuationSentencizer:
    return PunctuationSentencizer(nlp, name, punct_chars=punct_chars)


def make_link_detector(nlp: Language, name: str) -> LinkDetector:
    return LinkDetector(nlp, name)


def make_abbreviation_detector(nlp: Language, name: str) -> AbbreviationDetector:
    return AbbreviationDetector(nlp, name)


def make_entity_recognizer(
    nlp: Language,
    name: str,
    vocabulary_paths: list[str],
    use_default_vocabulary: bool,
    spans_key: str,
    statistical_key: str,
) -> EntityRecognizer:
    return EntityRecognizer(
        nlp,
        name,
        vocabulary_paths=vocabulary_paths,
        use_default_vocabulary=use_default_vocabulary,
        spans_key=spans_key,
        statistical_key=statistical_key,
    )


def make_statistical_recognizer(
    nlp: Language,
    name: str,
    model: Model,
    moves: TransitionSystem | None,
    update_with_oracle_cut_size: int,
    spans_key: str,
    types: list[str],
    beam_width: int,
    threshold: float,
) -> StatisticalSpanRecognizer:
    return StatisticalSpanRecognizer(
        nlp.vocab,
        model,
        name=name,
        moves=moves,
        update_with_oracle_cut_size=update_with_oracle_cut_size,
        spans_key=spans_key,
        types=types,
        beam_width=beam_width,
        threshold=threshold,
    )


def make_proposal_detector(
    nlp: Language, name: str, entities_key: str, spans_key: str
) -> ProposalDetector:
    return ProposalDetector(nlp, name, entities_key=entities_key, spans_key=spans_key)


def make_relation_extractor(nlp: Language, name: str, entities_key: str) -> RelationExtractor:
    return RelationExtractor(nlp, name, entities_key=entities_key)


def make_result_extractor(nlp: Language, name: str, entities_key: str) -> ResultExtractor:
    return ResultExtractor(nlp, name, entities_key=entities_key)


def register_factories() -> None:
    """Register kg's component factories with spaCy; calling it again changes nothing."""
    register_extensions()
    factories = [
        ("kg_title_boundary", make_title_boundary, {}, ["token.is_sent_start"]),
        ("kg_sentencizer", make_sentencizer, {"punct_chars": None}, ["token.is_sent_start"]),
        ("kg_links", make_link_detector, {}, [f"doc._.{LINKS}"]),
        ("kg_abbreviations", make_abbreviation_detector, {}, [f"doc._.{ABBREVIATIONS}"]),
        (
            "kg_entities",
            make_entity_recognizer,
            {
                "vocabulary_paths": [],
                "use_default_vocabulary": True,
                "spans_key": ENTITIES_KEY,
                "statistical_key": STATISTICAL_KEY,
            },
            ["doc.spans"],
        ),
        (
            "kg_statistical",
            make_statistical_recognizer,
            {
                "model": DEFAULT_MODEL,
                "moves": None,
                "update_with_oracle_cut_size": 100,
                "spans_key": STATISTICAL_KEY,
                "types": [str(entity_type) for entity_type in EntityType],
                "beam_width": 1,
                "threshold": 0.0,
            },
            ["doc.spans"],
        ),
        (
            "kg_proposals",
            make_proposal_detector,
            {"entities_key": ENTITIES_KEY, "spans_key": PROPOSED_KEY},
            ["doc.spans"],
        ),
        (
            "kg_relations",
            make_relation_extractor,
            {"entities_key": ENTITIES_KEY},
            [f"doc._.{RELATIONS}"],
        ),
        (
            "kg_results",
            make_result_extractor,
            {"entities_key": ENTITIES_KEY},
            [f"doc._.{RESULTS}"],
        ),
    ]
    for name, func, default_config, assigns in factories:
        if Language.has_factory(name):
            continue
        Language.factory(name, default_config=default_config, assigns=assigns, func=func)


register_factories()
