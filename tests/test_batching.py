"""Tests of the batched `pipe` that kg's components share (kg.nlp.batching)."""

from __future__ import annotations

import pytest
from spacy.language import Language
from spacy.tokens import Doc

import kg.nlp
from kg.errors import ConfigError
from kg.extract import make_doc
from kg.model import Paper
from kg.nlp.extensions import ENTITIES_KEY, TITLE_END

PAPERS = [
    Paper(id="a", title="RL Tango: Reinforcing Generator", abstract="We propose Tango, a novel framework. It beats PPO on GSM8K."),
    Paper(id="b", title="ProcessBench", abstract="We introduce ProcessBench, a benchmark. Code: https://github.com/a/b."),
    Paper(id="c", title="A study", abstract="Qwen2.5-7B reaches 81.2% accuracy on MATH."),
]


@pytest.fixture()
def nlp() -> Language:
    return kg.nlp.create_pipeline()


def _entities(doc: Doc) -> list[tuple[int, int, str, str]]:
    return [(span.start, span.end, span.label_, span.kb_id_) for span in doc.spans[ENTITIES_KEY]]


def _parsed_doc(nlp: Language) -> Doc:
    """A Doc with a dependency parse, which kg_title_boundary rejects."""
    doc = Doc(nlp.vocab, words=["A", "title"], heads=[1, 1], deps=["det", "ROOT"])
    doc._.set(TITLE_END, 7)
    return doc


def test_pipe_matches_calls(nlp: Language) -> None:
    piped = list(nlp.pipe((make_doc(nlp, paper) for paper in PAPERS), batch_size=2))
    called = [nlp(make_doc(nlp, paper)) for paper in PAPERS]
    assert [_entities(doc) for doc in piped] == [_entities(doc) for doc in called]


def test_pipe_keeps_order(nlp: Language) -> None:
    piped = list(nlp.pipe((make_doc(nlp, paper) for paper in PAPERS), batch_size=2))
    assert [doc.text[:5] for doc in piped] == [paper.title[:5] for paper in PAPERS]


def test_pipe_raises_by_default(nlp: Language) -> None:
    boundary = nlp.get_pipe("kg_title_boundary")
    with pytest.raises(ConfigError):
        list(boundary.pipe([_parsed_doc(nlp)]))


def test_pipe_calls_error_handler(nlp: Language) -> None:
    failures: list[tuple[str, int, str]] = []

    def record(name: str, component: object, docs: list[Doc], error: Exception) -> None:
        failures.append((name, len(docs), type(error).__name__))

    nlp.set_error_handler(record)
    good = make_doc(nlp, PAPERS[0])
    processed = list(nlp.get_pipe("kg_title_boundary").pipe([_parsed_doc(nlp), good], batch_size=2))
    assert failures == [("kg_title_boundary", 1, "ConfigError")]
    assert processed == [good]
