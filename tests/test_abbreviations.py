"""Tests of abbreviation definition finding and the abbreviation component."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import spacy
from spacy.language import Language
from spacy.tokens import Doc, DocBin

import kg.extract
import kg.nlp
from kg.extract import make_doc
from kg.model import Paper
from kg.nlp.abbreviations import (
    AbbreviationDetector,
    best_long_form_start,
    classic_long_form_start,
    find_abbreviations,
    is_short_form,
)
from kg.nlp.extensions import ABBREVIATIONS
from kg.nlp.links import LinkDetector

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "daily-papers-sep-11.txt"

# Lines of page header before the first title of the example page.
EXAMPLE_HEADER_LINES = 12


@pytest.fixture(scope="module")
def nlp() -> Language:
    return kg.nlp.create_pipeline()


def _pairs(text: str, **options) -> list[tuple[str, str]]:
    return [(definition.short, definition.long) for definition in find_abbreviations(text, **options)]


def _doc(nlp: Language, title: str, abstract: str = "") -> Doc:
    return nlp(make_doc(nlp, Paper(id="p", title=title, abstract=abstract)))


def _example_papers() -> list[Paper]:
    lines = EXAMPLE.read_text(encoding="utf-8").split("\n")
    body = "\n".join(lines[EXAMPLE_HEADER_LINES:])
    paragraphs = [paragraph.strip() for paragraph in re.split(r"\n\s*\n", body) if paragraph.strip()]
    return [
        Paper(id=str(index // 2), title=paragraphs[index], abstract=paragraphs[index + 1])
        for index in range(0, len(paragraphs) - 1, 2)
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("built upon group relative policy optimization (GRPO), which", ("GRPO", "group relative policy optimization")),
        ("We introduce Masked Momentum (MM) for it.", ("MM", "Masked Momentum")),
        ("We pretrain with SSL (self-supervised learning) first.", ("SSL", "self-supervised learning")),
        (
            "This study probes the vulnerabilities of cooperative multi-agent reinforcement learning (c-MARL) under attack.",
            ("c-MARL", "cooperative multi-agent reinforcement learning"),
        ),
        ("capabilities of large language models (LLMs), where", ("LLMs", "large language models")),
        ("Reinforcement Learning from Human Feedback (RLHF) is", ("RLHF", "Reinforcement Learning from Human Feedback")),
        ("we propose Adversarial Minority Influence (AMI), a practical", ("AMI", "Adversarial Minority Influence")),
        ("of multi-modal large language models (MLLMs) has", ("MLLMs", "multi-modal large language models")),
        ("training meta-reinforcement learning (meta-RL) agents", ("meta-RL", "meta-reinforcement learning")),
        ("emergent long chains of thought (CoTs) and", ("CoTs", "chains of thought")),
        ("the Dynamical Linear Upper Confidence Bound (DynLin-UCB) is", ("DynLin-UCB", "Dynamical Linear Upper Confidence Bound")),
        ("as Imitation Learning from Observations (ILfO) does", ("ILfO", "Imitation Learning from Observations")),
        ("a ``Follow-up Likelihood as Reward\" (FLR) signal", ("FLR", "Follow-up Likelihood as Reward")),
        ("Markov decision process (MDP)-based RL", ("MDP", "Markov decision process")),
        ("a 3D convolutional neural network (3D-CNN) model", ("3D-CNN", "3D convolutional neural network")),
        ("with eXtreme Gradient Boosting (XGBoost) trees", ("XGBoost", "eXtreme Gradient Boosting")),
        ("upon group relative policy optimization (GRPO; Shao et al., 2024) is", ("GRPO", "group relative policy optimization")),
        ("we propose Cooper(Co-optimizing Policy Model and Reward Model), a", ("Cooper", "Co-optimizing Policy Model and Reward Model")),
        ("the high replay ratio (RR) hurts", ("RR", "replay ratio")),
        ("large language\nmodels (LLMs) wrap", ("LLMs", "large language models")),
    ],
)
def test_find_abbreviations_definitions(text: str, expected: tuple[str, str]) -> None:
    assert _pairs(text) == [expected]


@pytest.mark.parametrize(
    "text",
    [
        "tasks (e.g., PPO or DPO) matter",
        "tasks (e.g. MMLU, GSM8k) matter",
        "results (see Table 1) show",
        "as shown before (2023) in",
        "the future outcome (i.e., return) and",
        "guided by a verifier (reward model). However",
        "verifiers that are fixed (rule-based or frozen pretrained) or",
        "Positive and Negative Sample Reinforcement (PSR and NSR) are",
        "large language and reasoning models (LLMs/LRMs) How",
        "The Trickle-down Impact of Reward (In-)consistency in RLHF",
        "on a much smaller model (Qwen2.5-3B) trained",
        "so, we let different LLMs (GPT-3, GPT-3.5, and GPT-4) play",
        "conditions are met: (1) structure and (2) memory",
        "claims (i) and (ii) hold",
        "we propose Tango (a novel framework) here",
        "our GRPO variant (see Table 1) wins",
        "the hard case (NP-hard) problem",
        "significance (p < 0.01; N=820 unique participants) holds",
    ],
)
def test_find_abbreviations_non_definitions(text: str) -> None:
    assert _pairs(text) == []


def test_sotopia_name_matched_by_letters_rejected() -> None:
    # Each letter of "Sotopia-RL" has a match, but "Sotopia" is a name, not initials.
    text = "the social tool for planning in agents with RL (Sotopia-RL)"
    assert _pairs(text) == []


def test_sotopia_letters_do_match() -> None:
    # Guards the test above: the rejection comes from the name-part rule.
    candidate = "the social tool for planning in agents with RL"
    assert best_long_form_start("Sotopia-RL", candidate) is not None


def test_sotopia_name_spelled_out_accepted() -> None:
    text = "we train Sotopia reinforcement learning (Sotopia-RL) agents"
    assert _pairs(text) == [("Sotopia-RL", "Sotopia reinforcement learning")]


def test_classic_matcher_cuts_masked_momentum() -> None:
    candidate = "We introduce Masked Momentum"
    assert candidate[classic_long_form_start("MM", candidate) :] == "Momentum"


def test_best_matcher_keeps_masked_momentum() -> None:
    candidate = "We introduce Masked Momentum"
    assert candidate[best_long_form_start("MM", candidate) :] == "Masked Momentum"


def test_classic_matcher_finds_grpo() -> None:
    candidate = "built upon group relative policy optimization"
    assert candidate[classic_long_form_start("GRPO", candidate) :] == "group relative policy optimization"


def test_best_matcher_prefers_fewer_skipped_words() -> None:
    candidate = "a large language model"
    assert candidate[best_long_form_start("LM", candidate) :] == "language model"


def test_best_matcher_without_match() -> None:
    assert best_long_form_start("XYZ", "a large language model") is None


def test_best_matcher_first_letter_starts_word() -> None:
    assert best_long_form_start("AM", "dream machine") is None


@pytest.mark.parametrize("text", ["GRPO", "c-MARL", "LLMs", "DynLin-UCB", "R&D", "3D-CNN", "PSR NSR"])
def test_is_short_form_accepts(text: str) -> None:
    assert is_short_form(text)


@pytest.mark.parametrize(
    "text",
    ["A", "almost", "ii", "2023", "Qwen2.5-3B", "LLMs/LRMs", "In-", "PSR and NSR", "self-supervised learning", "see Table", "e.g. MMLU"],
)
def test_is_short_form_rejects(text: str) -> None:
    assert not is_short_form(text)


def test_find_abbreviations_forward_offsets() -> None:
    text = "We use group relative policy optimization (GRPO)."
    definition = find_abbreviations(text)[0]
    assert text[definition.short_start : definition.short_end] == "GRPO"
    assert text[definition.long_start : definition.long_end] == "group relative policy optimization"


def test_find_abbreviations_reverse_offsets() -> None:
    text = "We pretrain with SSL (self-supervised learning) first."
    definition = find_abbreviations(text)[0]
    assert text[definition.short_start : definition.short_end] == "SSL"
    assert text[definition.long_start : definition.long_end] == "self-supervised learning"


def test_find_abbreviations_offsets_keep_line_break() -> None:
    text = "large language\nmodels (LLMs)"
    definition = find_abbreviations(text)[0]
    assert text[definition.long_start : definition.long_end] == "large language\nmodels"


def test_find_abbreviations_respects_boundaries() -> None:
    text = "Masked. Momentum Masked Momentum (MM)"
    assert _pairs(text, boundaries=[24]) == [("MM", "Momentum")]


def test_find_abbreviations_stops_at_sentence_end() -> None:
    assert _pairs("We use Masked. Momentum (MM) here") == [("MM", "Momentum")]


def test_find_abbreviations_ignores_spans() -> None:
    text = "See https://en.wikipedia.org/wiki/Free_Orbit_(FO) now"
    assert _pairs(text, ignore=[(4, 49)]) == []


def test_find_abbreviations_span_needed_for_ignore() -> None:
    # Guards the test above: without the ignored span, the URL yields a definition.
    text = "See https://en.wikipedia.org/wiki/Free_Orbit_(FO) now"
    assert _pairs(text) != []


def test_find_abbreviations_repeated_definitions_kept() -> None:
    text = "reinforcement learning (RL). Later, reinforcement learning (RL) again."
    assert _pairs(text) == [("RL", "reinforcement learning"), ("RL", "reinforcement learning")]


def test_component_alone_sets_dicts() -> None:
    blank = spacy.blank("en")
    doc = AbbreviationDetector(blank, "kg_abbreviations")(blank.make_doc("We use reinforcement learning (RL)."))
    assert doc._.get(ABBREVIATIONS) == [
        {"short": "RL", "long": "reinforcement learning", "short_start": 31, "short_end": 33, "long_start": 7, "long_end": 29}
    ]


def test_component_alone_skips_link_parentheses() -> None:
    blank = spacy.blank("en")
    doc = blank.make_doc("See https://en.wikipedia.org/wiki/Free_Orbit_(FO) now")
    doc = LinkDetector(blank, "kg_links")(doc)
    doc = AbbreviationDetector(blank, "kg_abbreviations")(doc)
    assert doc._.get(ABBREVIATIONS) == []


def test_pipeline_finds_definition(nlp: Language) -> None:
    doc = _doc(nlp, "Q-Insight", "We build upon group relative policy optimization (GRPO).")
    assert [(item["short"], item["long"]) for item in doc._.get(ABBREVIATIONS)] == [
        ("GRPO", "group relative policy optimization")
    ]


def test_pipeline_long_form_stays_in_title(nlp: Language) -> None:
    doc = _doc(nlp, "Learning with Masked Momentum", "(MM) helps agents.")
    assert doc._.get(ABBREVIATIONS) == []


def test_pipeline_definition_in_title(nlp: Language) -> None:
    doc = _doc(nlp, "Attacking c-MARL by Adversarial Minority Influence (AMI)", "We study it.")
    assert [(item["short"], item["long"]) for item in doc._.get(ABBREVIATIONS)] == [
        ("AMI", "Adversarial Minority Influence")
    ]


def test_pipeline_long_form_stays_in_sentence(nlp: Language) -> None:
    doc = _doc(nlp, "A title", "We use Masked Momentum! Momentum (MM) helps.")
    assert [item["long"] for item in doc._.get(ABBREVIATIONS)] == ["Momentum"]


def test_pipeline_skips_link_parentheses(nlp: Language) -> None:
    doc = _doc(nlp, "A title", "See https://en.wikipedia.org/wiki/Free_Orbit_(FO) for details.")
    assert doc._.get(ABBREVIATIONS) == []


def test_pipeline_example_page_definitions(nlp: Language) -> None:
    found = {
        (abbreviation.short, abbreviation.long)
        for extraction in kg.extract.extract(_example_papers(), nlp)
        for abbreviation in extraction.abbreviations
    }
    expected = {
        ("GRPO", "group relative policy optimization"),
        ("c-MARL", "cooperative multi-agent reinforcement learning"),
        ("AMI", "Adversarial Minority Influence"),
        ("RLHF", "Reinforcement Learning from Human Feedback"),
        ("LLMs", "large language models"),
        ("MLLMs", "multi-modal large language models"),
        ("meta-RL", "meta-reinforcement learning"),
        ("DynLin-UCB", "Dynamical Linear Upper Confidence Bound"),
        ("AIM", "AI Mother Tongue"),
        ("Cooper", "Co-optimizing Policy Model and Reward Model"),
    }
    assert expected <= found


def test_pipeline_example_page_short_forms_in_text(nlp: Language) -> None:
    for extraction in kg.extract.extract(_example_papers(), nlp):
        for abbreviation in extraction.abbreviations:
            assert abbreviation.mention.text == abbreviation.short


def test_docbin_round_trip_keeps_abbreviations(nlp: Language) -> None:
    doc = _doc(nlp, "T", "We use reinforcement learning (RL) and SSL (self-supervised learning).")
    doc_bin = DocBin(store_user_data=True)
    doc_bin.add(doc)
    restored: Doc = next(DocBin().from_bytes(doc_bin.to_bytes()).get_docs(nlp.vocab))
    # msgpack, which DocBin uses, gives lists back as tuples.
    assert list(restored._.get(ABBREVIATIONS)) == doc._.get(ABBREVIATIONS)
    assert len(doc._.get(ABBREVIATIONS)) == 2


# The two cases where the classic matcher cuts the long form short, on real Docs.


def test_pipeline_masked_momentum_whole(nlp: Language) -> None:
    doc = _doc(nlp, "A title", "We propose Masked Momentum (MM), a method for agents.")
    assert [(item["short"], item["long"]) for item in doc._.get(ABBREVIATIONS)] == [("MM", "Masked Momentum")]


def test_pipeline_ssl_reverse_definition(nlp: Language) -> None:
    doc = _doc(nlp, "A title", "We study SSL (self-supervised learning) for vision.")
    assert [(item["short"], item["long"]) for item in doc._.get(ABBREVIATIONS)] == [("SSL", "self-supervised learning")]


@pytest.mark.parametrize(
    ("abstract", "name", "alias"),
    [
        ("We propose Masked Momentum (MM), a method for agents. MM improves returns.", "Masked Momentum", "MM"),
        ("We study SSL (self-supervised learning) for vision. SSL helps.", "self-supervised learning", "SSL"),
    ],
)
def test_extraction_names_long_form(nlp: Language, abstract: str, name: str, alias: str) -> None:
    extraction = next(kg.extract.extract([Paper(id="p", title="A title", abstract=abstract)], nlp))
    (entity,) = [entity for entity in extraction.entities if alias in entity.aliases]
    assert entity.name == name
    assert len(entity.mentions) == 3
