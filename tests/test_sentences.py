"""Tests of the title boundary component, alone and in the extraction pipeline."""

from __future__ import annotations

import pytest
import spacy
from spacy.language import Language
from spacy.tokens import Doc

import kg.nlp
from kg.errors import ConfigError
from kg.extract import make_doc
from kg.model import Paper
from kg.nlp.extensions import TITLE_END
from kg.nlp.sentences import TitleBoundary


@pytest.fixture(scope="module")
def nlp() -> Language:
    return kg.nlp.create_pipeline()


@pytest.fixture(scope="module")
def blank() -> Language:
    return spacy.blank("en")


def _boundary_doc(blank: Language, title: str, abstract: str = "") -> Doc:
    doc = make_doc(blank, Paper(id="p", title=title, abstract=abstract))
    return TitleBoundary(blank, "kg_title_boundary")(doc)


def _sentences(nlp: Language, title: str, abstract: str = "") -> list[str]:
    doc = nlp(make_doc(nlp, Paper(id="p", title=title, abstract=abstract)))
    return [sentence.text.strip() for sentence in doc.sents]


def test_component_first_token_starts_sentence(blank: Language) -> None:
    doc = _boundary_doc(blank, "RL Tango: Reinforcing Generator", "We propose Tango. It works.")
    assert doc[0].is_sent_start is True


def test_component_title_tokens_continue_sentence(blank: Language) -> None:
    doc = _boundary_doc(blank, "Exploitation Is All You Need... for Exploration", "We study it.")
    title_end = doc._.get(TITLE_END)
    starts = [token.is_sent_start for token in doc if 0 < token.idx < title_end]
    assert starts and all(start is False for start in starts)


def test_component_separator_continues_title(blank: Language) -> None:
    doc = _boundary_doc(blank, "A title", "An abstract.")
    separator = [token for token in doc if token.is_space]
    assert [token.is_sent_start for token in separator] == [False]


def test_component_abstract_starts_sentence(blank: Language) -> None:
    doc = _boundary_doc(blank, "A title", "ensuring exploration is hard. We show it.")
    first = next(token for token in doc if token.text == "ensuring")
    assert first.is_sent_start is True


def test_component_leaves_later_tokens_unset(blank: Language) -> None:
    doc = _boundary_doc(blank, "A title", "An abstract. Second sentence.")
    first = next(token for token in doc if token.text == "An")
    assert all(token.is_sent_start is None for token in doc[first.i + 1 :])


def test_component_title_only_doc(blank: Language) -> None:
    doc = _boundary_doc(blank, "Only a title. Really")
    assert [token.is_sent_start for token in doc] == [True, False, False, False, False]


def test_component_zero_title_end_changes_nothing(blank: Language) -> None:
    doc = blank.make_doc("No title known. Two sentences.")
    TitleBoundary(blank, "kg_title_boundary")(doc)
    assert not doc.has_annotation("SENT_START")


def test_component_empty_doc(blank: Language) -> None:
    doc = blank.make_doc("")
    doc._.set(TITLE_END, 5)
    assert len(TitleBoundary(blank, "kg_title_boundary")(doc)) == 0


def test_component_rejects_parsed_doc(blank: Language) -> None:
    doc = Doc(blank.vocab, words=["A", "title"], heads=[1, 1], deps=["det", "ROOT"])
    doc._.set(TITLE_END, 7)
    with pytest.raises(ConfigError, match="before the parser"):
        TitleBoundary(blank, "kg_title_boundary")(doc)


def test_pipeline_title_is_one_sentence(nlp: Language) -> None:
    sentences = _sentences(nlp, "Exploitation Is All You Need... for Exploration", "We study it. It works.")
    assert sentences[0] == "Exploitation Is All You Need... for Exploration"


def test_pipeline_title_not_joined_to_abstract(nlp: Language) -> None:
    sentences = _sentences(nlp, "A title without a full stop", "ensuring exploration is hard. We show it.")
    assert sentences[1] == "ensuring exploration is hard."


def test_pipeline_abstract_still_split(nlp: Language) -> None:
    sentences = _sentences(nlp, "A title", "First sentence. Second sentence! Third?")
    assert sentences[1:] == ["First sentence.", "Second sentence!", "Third?"]


def test_pipeline_title_only_doc(nlp: Language) -> None:
    assert _sentences(nlp, "Only a title. Really") == ["Only a title. Really"]


def test_pipeline_without_title_uses_sentencizer(nlp: Language) -> None:
    doc = nlp("No title known. Two sentences.")
    assert [sentence.text for sentence in doc.sents] == ["No title known.", "Two sentences."]
