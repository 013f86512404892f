from __future__ import annotations

from pathlib import Path

import pytest

import kg.nlp
from kg.extract import extract, make_doc
from kg.model import EntityType, Paper, RelationType
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


def relations(nlp, abstract: str, relation: RelationType = RelationType.EVALUATED_ON) -> list[tuple[str, str]]:
    """(subject text or "<paper>", object text) of each relation of one type, from the Doc."""
    doc = nlp(make_doc(nlp, Paper(id="t", title="A title", abstract=abstract)))
    found = []
    for item in doc._.get(RELATIONS):
        if item["type"] != relation:
            continue
        subject = "<paper>" if item["subject_start"] < 0 else doc.text[item["subject_start"] : item["subject_end"]]
        found.append((subject, doc.text[item["object_start"] : item["object_end"]]))
    return found


def extracted(nlp, abstract: str, relation: RelationType) -> list[tuple[str, str]]:
    """(subject key, object key) of each `Relation` record of one type."""
    paper = Paper(id="t", title="A title", abstract=abstract)
    (extraction,) = extract([paper], nlp)
    return [(item.subject, item.object) for item in extraction.relations if item.type == relation]


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
    (item,) = [item for item in doc._.get(RELATIONS) if item["type"] == "evaluated_on"]
    assert item["type"] == "evaluated_on"
    assert doc.text[item["object_start"] : item["object_end"]] == "GSM8K"
    assert doc.text[item["sentence_start"] : item["sentence_end"]] == "We report results on GSM8K today."
    assert (item["subject_start"], item["subject_end"]) == (-1, -1)


def test_relations_empty_without_entities(nlp):
    doc = nlp(make_doc(nlp, Paper(id="t", title="A title", abstract="Nothing to see.")))
    assert doc._.get(RELATIONS) == []


# ---------------------------------------------------------------------------
# uses, built_on, compared_with, outperforms, addresses, is_a


def test_uses_positive(nlp):
    assert extracted(nlp, "We propose Quokka. Quokka uses GRPO for training.", RelationType.USES) == [("quokka", "group relative policy optimization")]


def test_uses_trained_on_dataset(nlp):
    assert relations(nlp, "We propose Quokka. Quokka is trained on GSM8K.", RelationType.USES) == [("Quokka", "GSM8K")]


def test_uses_needs_entity(nlp):
    assert relations(nlp, "We use a small network to predict rewards.", RelationType.USES) == []


def test_uses_passive_is_skipped(nlp):
    assert relations(nlp, "GRPO is used by PPO variants.", RelationType.USES) == []


def test_built_on_positive(nlp):
    abstract = "We propose Q-Insight, a reinforcement learning-based model built upon group relative policy optimization (GRPO)."
    found = extracted(nlp, abstract, RelationType.BUILT_ON)
    assert found == [("q insight", "group relative policy optimization")]


def test_built_on_needs_fitting_type(nlp):
    assert relations(nlp, "Our method is based on mathematical reasoning.", RelationType.BUILT_ON) == []


def test_compared_with_positive(nlp):
    found = relations(nlp, "We propose Quokka, which is compared with PPO.", RelationType.COMPARED_WITH)
    assert found == [("Quokka", "PPO")]


def test_compare_x_with_y(nlp):
    found = relations(nlp, "We compare GRPO with PPO on math.", RelationType.COMPARED_WITH)
    assert found == [("GRPO", "PPO")]


def test_fronted_compared_to(nlp):
    found = relations(nlp, "Compared to PPO, DPO is simpler.", RelationType.COMPARED_WITH)
    assert found == [("DPO", "PPO")]


def test_compared_with_rejects_dataset(nlp):
    assert relations(nlp, "Results are compared with GSM8K scores.", RelationType.COMPARED_WITH) == []


def test_outperforms_list(nlp):
    found = relations(nlp, "We propose Quokka. Quokka outperforms PPO, GRPO, and DPO on MATH.", RelationType.OUTPERFORMS)
    assert found == [("Quokka", "PPO"), ("Quokka", "GRPO"), ("Quokka", "DPO")]


def test_outperforms_we_means_artifact(nlp):
    found = relations(nlp, "We propose Quokka. In our tests, we outperform GPT-4o.", RelationType.OUTPERFORMS)
    assert found == [("Quokka", "GPT-4o")]


def test_outperforms_relative_clause(nlp):
    found = relations(nlp, "Gemini 1.5 Flash, which, in turn, outperforms GPT-4o.", RelationType.OUTPERFORMS)
    assert found == [("Gemini 1.5 Flash", "GPT-4o")]


def test_outperformed_by_is_skipped(nlp):
    assert relations(nlp, "PPO is outperformed by GRPO.", RelationType.OUTPERFORMS) == []


def test_outperforms_prior_work_skipped(nlp):
    assert relations(nlp, "Existing methods outperform PPO.", RelationType.OUTPERFORMS) == []


def test_addresses_positive(nlp):
    found = relations(nlp, "We propose Quokka, a framework for mathematical reasoning.", RelationType.ADDRESSES)
    assert found == [("Quokka", "mathematical reasoning")]


def test_addresses_needs_task(nlp):
    assert relations(nlp, "We propose Quokka, a framework for GRPO.", RelationType.ADDRESSES) == []


def test_addresses_far_object_skipped(nlp):
    abstract = "We improve the speed of many strong systems in mathematical reasoning."
    assert relations(nlp, abstract, RelationType.ADDRESSES) == []


def test_is_a_apposition(nlp):
    found = extracted(nlp, "We propose Quokka, a novel reinforcement learning framework that learns.", RelationType.IS_A)
    assert found == [("quokka", "framework")]


def test_is_a_copula(nlp):
    assert extracted(nlp, "ProcessBench is a benchmark for process errors.", RelationType.IS_A) == [("processbench", "benchmark")]


def test_is_a_named(nlp):
    assert extracted(nlp, "We train a reward model named CheckRM.", RelationType.IS_A) == [("checkrm", "model")]


def test_is_a_plural_head_singular(nlp):
    found = extracted(nlp, "We release Zorba, a suite of new benchmarks.", RelationType.IS_A)
    assert found == [("zorba", "suite")]


def test_is_a_needs_head_noun(nlp):
    assert extracted(nlp, "We propose Quokka, a way to learn faster.", RelationType.IS_A) == []


def test_is_a_types_entity(nlp):
    (extraction,) = extract([Paper(id="t", title="A title", abstract="MegaLoco is a benchmark of hard problems. We test MegaLoco.")], nlp)
    mega = next(entity for entity in extraction.entities if entity.key == "megaloco")
    assert mega.type == EntityType.DATASET


@pytest.mark.parametrize(
    ("abstract", "relation"),
    [
        ("We propose Quokka. Quokka outperforms PPO and GRPO.", RelationType.OUTPERFORMS),
        ("We propose Quokka, a framework built upon GRPO.", RelationType.BUILT_ON),
        ("We propose Quokka, a framework for mathematical reasoning.", RelationType.ADDRESSES),
        ("We propose Quokka, a novel framework.", RelationType.IS_A),
    ],
)
def test_evidence_offsets(nlp, abstract, relation):
    paper = Paper(id="t", title="A title", abstract=abstract)
    (extraction,) = extract([paper], nlp)
    found = [item for item in extraction.relations if item.type == relation]
    assert found
    for item in found:
        evidence = item.evidence
        assert getattr(paper, str(evidence.field))[evidence.start : evidence.end] == evidence.text
        assert evidence.text in evidence.sentence


def test_example_relation_types(page):
    found = {item.type for extraction in page for item in extraction.relations}
    assert found == set(RelationType)


def test_example_q_insight_built_on_grpo(page):
    extraction = next(e for e in page if e.paper.title.startswith("Q-Insight"))
    pairs = {(r.type, r.subject, r.object) for r in extraction.relations}
    assert (RelationType.BUILT_ON, "q insight", "group relative policy optimization") in pairs


def test_shape_type_without_is_a(nlp):
    (extraction,) = extract([Paper(id="t", title="A title", abstract="We test MegaLoco on hard problems.")], nlp)
    mega = next(entity for entity in extraction.entities if entity.key == "megaloco")
    assert mega.type == EntityType.METHOD
