"""Tests of the title boundary and sentencizer components, alone and in the extraction pipeline."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
import spacy
from spacy.language import Language
from spacy.tokens import Doc

import kg.nlp
from kg.errors import ConfigError
from kg.extract import make_doc
from kg.model import Paper
from kg.nlp.extensions import TITLE_END
from kg.nlp.sentences import PunctuationSentencizer, TitleBoundary
from kg.sources import read_papers

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "daily-papers-sep-11.txt"


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


# kg_sentencizer against spaCy's sentencizer


def _starts_of_both(blank: Language, paper: Paper) -> tuple[list[bool | None], list[bool | None]]:
    """Return token.is_sent_start after the title boundary and then spaCy's or kg's sentencizer."""
    results = []
    for sentencizer in (blank.create_pipe("sentencizer"), PunctuationSentencizer(blank, "kg_sentencizer")):
        doc = TitleBoundary(blank, "kg_title_boundary")(make_doc(blank, paper))
        doc = sentencizer(doc)
        results.append([token.is_sent_start for token in doc])
    return results[0], results[1]


@pytest.mark.parametrize(
    "text",
    [
        "First. Second! Third? Fourth",
        "A run of marks?! Then quotes.\" Then brackets.) Next one.",
        "Two spaces after a stop.  The space token starts a sentence.",
        "Ellipsis... and more. Decimal 3.5 stays. End.",
        "No final mark at all",
        ".",
        "Full-width stop\u3002Next",
    ],
)
def test_sentencizer_matches_spacy(blank: Language, text: str) -> None:
    spacy_starts, kg_starts = _starts_of_both(blank, Paper(id="p", title="A title", abstract=text))
    assert kg_starts == spacy_starts


def test_sentencizer_keeps_title_boundary(blank: Language) -> None:
    paper = Paper(id="p", title="Need... for Exploration", abstract="We study it. It works.")
    spacy_starts, kg_starts = _starts_of_both(blank, paper)
    assert kg_starts == spacy_starts


def test_sentencizer_empty_doc(blank: Language) -> None:
    doc = PunctuationSentencizer(blank, "kg_sentencizer")(blank.make_doc(""))
    assert len(doc) == 0


def test_sentencizer_custom_punct_chars(blank: Language) -> None:
    doc = PunctuationSentencizer(blank, "kg_sentencizer", punct_chars=[";"])(blank.make_doc("One; two. Three"))
    assert [token.text for token in doc if token.is_sent_start] == ["One", "two"]


def test_sentencizer_matches_spacy_on_example(blank: Language) -> None:
    for paper in read_papers(EXAMPLE):
        spacy_starts, kg_starts = _starts_of_both(blank, paper)
        assert kg_starts == spacy_starts, paper.id


def test_sentencizer_matches_spacy_on_corpus(blank: Language, shared_dir: Path) -> None:
    path = shared_dir / "eval" / "sota_clef24" / "train.jsonl.gz"
    if not path.is_file():
        pytest.skip(f"{path} is not present")
    checked = 0
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        for line in handle:
            record = json.loads(line)
            title = (record.get("title") or "").strip()
            abstract = (record.get("abstract") or "").strip()
            if not (title and abstract):
                continue
            paper = Paper(id=str(record["paper_id"]), title=title, abstract=abstract)
            spacy_starts, kg_starts = _starts_of_both(blank, paper)
            assert kg_starts == spacy_starts, paper.id
            checked += 1
            if checked == 2000:
                break
    assert checked == 2000


def test_pipeline_uses_kg_sentencizer(nlp: Language) -> None:
    assert "kg_sentencizer" in nlp.pipe_names
    assert "sentencizer" not in nlp.pipe_names
