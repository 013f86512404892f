from __future__ import annotations

from pathlib import Path

import pytest

import kg.nlp
from kg.extract import extract, make_doc
from kg.model import Paper, RelationType
from kg.nlp.extensions import RELATIONS

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "daily-papers-sep-11.txt"


def read_example_page() -> list[Paper]:
    """Papers of the example page: header lines, "Sep 11", then title/abstract paragraphs."""
    paragraphs = [part.strip() for part in EXAMPLE.read_text(encoding="utf-8").split("\n\n") if part.strip()]
    body = paragraphs[paragraphs.index("Sep 11") + 1 :]
    return [
        Paper(id=f"p{index}", title=body[index], abstract=body[index + 1] if index + 1 < len(body) else "")
        for index in range(0, len(body), 2)
    ]


@pytest.fixture(scope="module")
def nlp():
    return kg.nlp.create_pipeline()


@pytest.fixture(scope="module")
def page(nlp):
    return list(extract(read_example_page(), nlp))


def relations(nlp, abstract: str) -> list[tuple[str, str]]:
    """(subject text or "<paper>", object text) of each relation."""
    doc = nlp(make_doc(nlp, Paper(id="t", title="A title", abstract=abstract)))
    found = []
    for item in doc._.get(RELATIONS):
        subject = "<paper>" if item["subject_start"] < 0 else doc.text[item["subject_start"] : item["subject_end"]]
        found.append((subject, doc.text[item["object_start"] : item["object_end"]]))
    return found


def test_example_tango_evaluated_on_processbench(page):
    extraction = next(e for e in page if e.paper.title.startswith("RL Tango"))
    pairs = {(r.type, r.subject, r.object) for r in extraction.relations}
    assert (RelationType.EVALUATED_ON, "", "processbench") in pairs


def test_example_evidence_sentence(page):
    extraction = next(e for e in page if e.paper.title.startswith("RL Tango"))
    relation = next(r for r in extraction.relations if r.object == "processbench")
    assert "leads on the ProcessBench dataset" in relation.evidence.sentence


def test_experiments_on_dataset(nlp):
    assert relations(nlp, "We run experiments on GSM8K today.") == [("<paper>", "GSM8K")]


def test_list_of_datasets(nlp):
    found = relations(nlp, "It improves Pass@k performance on MATH, AIME 2025, and AMC23.")
    assert found == [("<paper>", "MATH"), ("<paper>", "AIME 2025"), ("<paper>", "AMC23")]


def test_scores_with_numbers(nlp):
    found = relations(nlp, "The model scores 62.6 on OlympiadBench and 79.0 on LiveCodeBench.")
    assert found == [("<paper>", "OlympiadBench"), ("<paper>", "LiveCodeBench")]


def test_proposed_subject(nlp):
    found = relations(nlp, "We propose Quokka, a framework. Quokka achieves 80% accuracy on GSM8K in total.")
    assert found == [("Quokka", "GSM8K")]


def test_other_clause_subject_is_paper(nlp):
    abstract = "We propose Quokka, a framework. Quokka is strong, while the verifier leads on the ProcessBench dataset."
    assert relations(nlp, abstract) == [("<paper>", "ProcessBench")]


def test_that_clause_subject(nlp):
    abstract = "We propose Quokka, a framework. Experiments show that Quokka improves results on RewardBench."
    assert relations(nlp, abstract) == [("Quokka", "RewardBench")]


def test_relative_clause_subject(nlp):
    abstract = "We train a reward model named CheckRM, which achieves higher accuracy on VerifyBench."
    assert relations(nlp, abstract) == [("CheckRM", "VerifyBench")]


def test_training_is_not_evaluation(nlp):
    assert relations(nlp, "We evaluate a model trained on ImageNet.") == []


def test_no_evaluation_word(nlp):
    assert relations(nlp, "MiniHack is a popular environment.") == []


def test_dataset_without_preposition(nlp):
    assert relations(nlp, "Experiments show that GSM8K is hard.") == []


def test_relation_fields(nlp):
    doc = nlp(make_doc(nlp, Paper(id="t", title="A title", abstract="We report results on GSM8K today.")))
    (item,) = doc._.get(RELATIONS)
    assert item["type"] == "evaluated_on"
    assert doc.text[item["object_start"] : item["object_end"]] == "GSM8K"
    assert doc.text[item["sentence_start"] : item["sentence_end"]] == "We report results on GSM8K today."
    assert (item["subject_start"], item["subject_end"]) == (-1, -1)


def test_relations_empty_without_entities(nlp):
    doc = nlp(make_doc(nlp, Paper(id="t", title="A title", abstract="Nothing to see.")))
    assert doc._.get(RELATIONS) == []
