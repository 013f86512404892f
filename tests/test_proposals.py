from __future__ import annotations

from pathlib import Path

import pytest

import kg.nlp
from kg.extract import extract, make_doc
from kg.model import Paper
from kg.nlp.extensions import PROPOSED_KEY

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


def proposed(nlp, abstract: str, title: str = "A title") -> list[str]:
    doc = nlp(make_doc(nlp, Paper(id="t", title=title, abstract=abstract)))
    return [span.text for span in doc.spans[PROPOSED_KEY]]


def proposed_names(page, title_prefix: str) -> set[str]:
    extraction = next(e for e in page if e.paper.title.startswith(title_prefix))
    names = set()
    for entity in extraction.entities:
        if entity.proposed:
            names.add(entity.name)
            names.update(entity.aliases)
    return names


@pytest.mark.parametrize(
    ("prefix", "name"),
    [
        ("RL Tango", "Tango"),
        ("Q-Insight", "Q-Insight"),
        ("CrossLoco", "CrossLoco"),
        ("Attacking Cooperative Multi-Agent", "AMI"),
        ("Attacking Cooperative Multi-Agent", "Adversarial Minority Influence"),
        ("Discovering and Exploiting Sparse Rewards", "STAX"),
        ("SLIM", "SLIM"),
        ("B-STaR", "B-STaR"),
    ],
)
def test_example_proposals(page, prefix, name):
    assert name in proposed_names(page, prefix)


def test_example_used_methods_not_proposed(page):
    names = proposed_names(page, "RL Tango")
    assert "ProcessBench" not in names
    assert "supervised fine-tuning" not in names


def test_we_propose_name(nlp):
    assert proposed(nlp, "We propose Quokka, a framework for planning.") == ["Quokka"]


def test_this_paper_presents(nlp):
    assert proposed(nlp, "This paper presents ZetaFormer for vision.") == ["ZetaFormer"]


def test_skips_determiner_and_adjective(nlp):
    assert proposed(nlp, "We introduce a novel Wombat-RL method.") == ["Wombat-RL"]


def test_named_cue(nlp):
    assert proposed(nlp, "We train a reward model named CheckRM on math.") == ["CheckRM"]


def test_novel_apposition(nlp):
    assert proposed(nlp, "Experiments use Pangolin, a novel approach to search.") == ["Pangolin"]


def test_plain_apposition_not_proposed(nlp):
    assert proposed(nlp, "Experiments use Pangolin, an approach to search.") == []


def test_title_name_proposed(nlp):
    assert proposed(nlp, "It works well.", title="ZetaNet: Fast Learning of Things") == ["ZetaNet"]


def test_known_lowercase_method_not_proposed(nlp):
    assert proposed(nlp, "We introduce contrastive learning to the task.") == []


def test_later_mentions_not_proposed(nlp):
    doc = nlp(make_doc(nlp, Paper(id="t", title="A title", abstract="We propose Quokka. Quokka wins.")))
    spans = doc.spans[PROPOSED_KEY]
    assert len(spans) == 1
    assert spans[0].start_char == doc.text.index("Quokka")


def test_lowercase_description_proposes_nothing(nlp):
    assert proposed(nlp, "We propose a method to measure the strength of preferences.") == []


def test_two_names_after_cue_noun(nlp):
    names = proposed(nlp, "We propose two techniques MixFlow and RankFuse, which help training.")
    assert "MixFlow" in names
    assert "RankFuse" in names


def test_our_proposed_cue_apposition(nlp):
    names = proposed(nlp, 'Our proposed scoring mechanism, "Answer Echo Reward" (AER), is cheap.')
    assert "AER" in names


def test_acronym_then_novel_apposition(nlp):
    names = proposed(nlp, "We lay out Planning with Language Models (PLaM), a novel approach to control.")
    assert "Planning with Language Models" in names


def test_new_dataset_apposition(nlp):
    names = proposed(nlp, "The data form a new preference dataset, Chatterly-V2, of 9K pairs.")
    assert "Chatterly-V2" in names


def test_apposition_without_novelty_not_proposed(nlp):
    names = proposed(nlp, "We test on a standard dataset, Chatterly-V2, of 9K pairs.")
    assert "Chatterly-V2" not in names
