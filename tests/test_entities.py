from __future__ import annotations

import re
from pathlib import Path

import pytest
import spacy
from hypothesis import given
from hypothesis import strategies as st

import kg.nlp
from kg.errors import ConfigError
from kg.extract import extract, make_doc
from kg.model import EntityType, Paper
from kg.nlp.entities import (
    Candidate,
    Source,
    _derived_names,
    resolve_overlaps,
    shape_type,
)
from kg.nlp.extensions import ABBREVIATIONS, ENTITIES_KEY

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
    return {extraction.paper.title: extraction for extraction in extract(read_example_page(), nlp)}


def entities(nlp, title: str, abstract: str = "") -> dict[str, str]:
    doc = nlp(make_doc(nlp, Paper(id="t", title=title, abstract=abstract)))
    return {span.text: span.label_ for span in doc.spans[ENTITIES_KEY]}


def find_paper(page, prefix: str):
    return next(extraction for title, extraction in page.items() if title.startswith(prefix))


# shape_type


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ProcessBench", EntityType.DATASET),
        ("LiveCodeBench", EntityType.DATASET),
        ("SWE-bench", EntityType.DATASET),
        ("HumanEval", EntityType.DATASET),
        ("TriviaQA", EntityType.DATASET),
        ("Qwen2.5-Math-7B", EntityType.MODEL),
        ("Qwen3-4B", EntityType.MODEL),
        ("Llama-3.1-Nemotron-70B-Reward", EntityType.MODEL),
        ("Skywork-R1V2-38B", EntityType.MODEL),
        ("GPT-4o", EntityType.MODEL),
        ("DeepSeek-R1", EntityType.MODEL),
        ("VerifyRM", EntityType.MODEL),
        ("CrossLoco", EntityType.METHOD),
        ("Q-Insight", EntityType.METHOD),
        ("B-STaR", EntityType.METHOD),
        ("Sotopia-RL", EntityType.METHOD),
        ("HelpSteer2", EntityType.MODEL),
    ],
)
def test_shape_type_names(text, expected):
    assert shape_type(text) is expected


@pytest.mark.parametrize(
    "text",
    ["However", "We", "LLMs", "GitHub", "OpenAI", "CC-BY-4.0", "L2", "A100", "7B", "RL-Based", "LLM-Empowered",
     "Multi-Agent", "Bradley-Terry", "COVID-19", "a", "x"],
)  # fmt: skip
def test_shape_type_rejects(text):
    assert shape_type(text) is None


# resolve_overlaps


def test_overlaps_longest_wins():
    long = Candidate(0, 3, EntityType.MODEL, Source.SHAPE)
    short = Candidate(1, 2, EntityType.DATASET, Source.CONTEXT)
    assert resolve_overlaps([short, long]) == [long]


def test_overlaps_tie_goes_to_source():
    vocabulary = Candidate(2, 4, EntityType.METHOD, Source.VOCABULARY)
    context = Candidate(2, 4, EntityType.DATASET, Source.CONTEXT)
    shape = Candidate(2, 4, EntityType.MODEL, Source.SHAPE)
    assert resolve_overlaps([shape, vocabulary, context]) == [context]


def test_overlaps_keeps_disjoint_in_order():
    first = Candidate(0, 1, EntityType.METHOD, Source.SHAPE)
    second = Candidate(1, 2, EntityType.METHOD, Source.SHAPE)
    assert resolve_overlaps([second, first]) == [first, second]


def test_overlaps_partial_overlap_drops_shorter():
    a = Candidate(0, 2, EntityType.METHOD, Source.SHAPE)
    b = Candidate(1, 4, EntityType.DATASET, Source.SHAPE)
    assert resolve_overlaps([a, b]) == [b]


# the component on small texts


def test_vocabulary_acronym_is_case_sensitive(nlp):
    found = entities(nlp, "A title", "We report results on MATH. Students dislike math.")
    assert found.get("MATH") == "dataset"
    assert "math" not in found


def test_vocabulary_phrase_is_case_insensitive(nlp):
    found = entities(nlp, "Better Question Answering", "We study question answering.")
    assert found.get("Question Answering") == "task"
    assert found.get("question answering") == "task"


def test_model_name_with_size(nlp):
    found = entities(nlp, "A title", "We fine-tune Qwen2.5-Math-7B and Llama-3.1-70B-Instruct.")
    assert found.get("Qwen2.5-Math-7B") == "model"
    assert found.get("Llama-3.1-70B-Instruct") == "model"


def test_model_family_absorbs_version(nlp):
    found = entities(nlp, "A title", "We compare Claude 3.5 Sonnet with Gemini 1.5 Flash.")
    assert found.get("Claude 3.5 Sonnet") == "model"
    assert found.get("Gemini 1.5 Flash") == "model"


def test_dataset_absorbs_year(nlp):
    found = entities(nlp, "A title", "We evaluate on AIME 2025 and GSM8K.")
    assert found.get("AIME 2025") == "dataset"


def test_proposed_name_typed_by_cue(nlp):
    found = entities(nlp, "A title", "We introduce Zorblax, a novel benchmark for planning. Zorblax is hard.")
    assert found.get("Zorblax") == "dataset"


@pytest.mark.parametrize("dash", ["\u2010", "\u2011", "\u2013", "\u2212"])
def test_unicode_dash_vocabulary_name(nlp, dash):
    found = entities(nlp, "A study", f"We fine-tune BERT{dash}base on the data.")
    assert found == {f"BERT{dash}base": "model"}


@pytest.mark.parametrize("dash", ["\u2010", "\u2011", "\u2013", "\u2212"])
def test_unicode_dash_coined_name(nlp, dash):
    found = entities(nlp, "A study", f"We compare against Qwen2.5{dash}Math{dash}7B and DynLin{dash}UCB.")
    assert found == {f"Qwen2.5{dash}Math{dash}7B": "model", f"DynLin{dash}UCB": "method"}


def test_later_mentions_found(nlp):
    doc = nlp(make_doc(nlp, Paper(id="t", title="A title", abstract="We propose Quokka, a framework. Quokka wins.")))
    assert [span.text for span in doc.spans[ENTITIES_KEY]] == ["Quokka", "Quokka"]


def test_name_before_dataset_cue(nlp):
    found = entities(nlp, "A title", "Results on the Wumpus dataset improve.")
    assert found.get("Wumpus") == "dataset"


def test_title_name_is_entity(nlp):
    found = entities(nlp, "ZetaNet: Fast Learning of Things", "This paper studies things.")
    assert found.get("ZetaNet") == "model"


def test_title_phrase_is_not_entity(nlp):
    # "concept drift" is a task in the vocabulary, so the phrase here is one it lacks.
    found = entities(nlp, "Label Drift: A Survey", "We review label drift.")
    assert "Label Drift" not in found


def test_sentence_initial_words_are_not_entities(nlp):
    found = entities(nlp, "A title", "However, we show this. In this work, Our method helps. Recently, a novel method appeared.")
    assert found == {}


def test_urls_are_not_entities(nlp):
    found = entities(nlp, "A title", "Code: https://github.com/Org/Qwen2.5-Math-7B-Repo.")
    assert found == {}


def test_generic_category_is_not_entity(nlp):
    found = entities(nlp, "A title", "Large language models (LLMs) are used.")
    assert found == {}


def test_spans_do_not_overlap(nlp):
    doc = nlp(make_doc(nlp, read_example_page()[0]))
    taken: set[int] = set()
    for span in doc.spans[ENTITIES_KEY]:
        positions = set(range(span.start, span.end))
        assert not positions & taken
        taken |= positions


def test_labels_are_entity_types(nlp):
    doc = nlp(make_doc(nlp, read_example_page()[1]))
    assert {span.label_ for span in doc.spans[ENTITIES_KEY]} <= {str(t) for t in EntityType}


# abbreviations


def test_abbreviation_gets_long_form_type():
    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    recognizer = nlp.add_pipe("kg_entities")
    text = "A title\n\nWe use group relative policy optimization (GRPO) for training."
    doc = nlp.make_doc(text)
    for _, component in nlp.pipeline[:-1]:
        doc = component(doc)
    start = text.index("group")
    short = text.index("GRPO")
    doc._.set(ABBREVIATIONS, [
        {"short": "GRPO", "long": "group relative policy optimization", "short_start": short,
         "short_end": short + 4, "long_start": start, "long_end": start + len("group relative policy optimization")},
    ])  # fmt: skip
    doc = recognizer(doc)
    found = {span.text: span.label_ for span in doc.spans[ENTITIES_KEY]}
    assert found.get("GRPO") == "method"
    assert found.get("group relative policy optimization") == "method"


def run_with_abbreviation(text: str, short: str, long: str) -> dict[str, str]:
    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    recognizer = nlp.add_pipe("kg_entities")
    doc = nlp.get_pipe("sentencizer")(nlp.make_doc(text))
    long_start, short_start = text.index(long), text.index(f"({short})") + 1
    doc._.set(ABBREVIATIONS, [
        {"short": short, "long": long, "short_start": short_start, "short_end": short_start + len(short),
         "long_start": long_start, "long_end": long_start + len(long)},
    ])  # fmt: skip
    doc = recognizer(doc)
    return {span.text: span.label_ for span in doc.spans[ENTITIES_KEY]}


def test_abbreviation_typed_by_head_word():
    found = run_with_abbreviation("A title\n\nWe study visual scene classification (VSC) here.", "VSC", "visual scene classification")
    assert found.get("VSC") == "task"
    assert found.get("visual scene classification") == "task"


def test_abbreviation_with_unknown_head_skipped():
    found = run_with_abbreviation("A title\n\nWe study visual scene grading (VSG) here.", "VSG", "visual scene grading")
    assert "VSG" not in found


def test_abbreviation_short_form_types_long_form():
    found = run_with_abbreviation("A title\n\nWe use the proximal update rule (PPO) here.", "PPO", "proximal update rule")
    assert found.get("proximal update rule") == "method"


# vocabulary settings


def test_user_vocabulary_adds_names(tmp_path):
    path = tmp_path / "mine.tsv"
    path.write_text("flurble corpus\tdataset\tflurble\n", encoding="utf-8")
    nlp = kg.nlp.create_pipeline(vocabulary_paths=[path])
    found = entities(nlp, "A title", "We test on the flurble corpus.")
    assert found.get("flurble corpus") == "dataset"


def test_bad_user_vocabulary_raises(tmp_path):
    path = tmp_path / "bad.tsv"
    path.write_text("flurble\tthing\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"bad\.tsv, line 1"):
        kg.nlp.create_pipeline(vocabulary_paths=[path])


def test_without_default_vocabulary(nlp):
    bare = kg.nlp.create_pipeline(use_default_vocabulary=False)
    found = entities(bare, "A title", "We evaluate PPO on MATH.")
    assert found == {}


# the example page


@pytest.mark.parametrize(
    ("prefix", "name"),
    [
        ("A Study of Global and Episodic Bonuses", "MiniHack"),
        ("RL Tango", "ProcessBench"),
        ("Two Minds Better Than One", "RewardBench"),
        ("HelpSteer2-Preference", "RewardBench"),
    ],
)
def test_example_datasets(page, prefix, name):
    extraction = find_paper(page, prefix)
    types = {entity.name: entity.type for entity in extraction.entities}
    assert types.get(name) is EntityType.DATASET


@pytest.mark.parametrize(
    ("prefix", "name"),
    [
        ("The Surprising Effectiveness of Negative", "Qwen2.5-Math-7B"),
        ("The Surprising Effectiveness of Negative", "Qwen3-4B"),
        ("Cultural Evolution of Cooperation", "Claude 3.5 Sonnet"),
        ("Reinforcement Learning for Machine Learning Engineering", "Qwen2.5-3B"),
    ],
)
def test_example_models(page, prefix, name):
    extraction = find_paper(page, prefix)
    types = {entity.name: entity.type for entity in extraction.entities}
    assert types.get(name) is EntityType.MODEL


def test_cue_apposition_types_name(nlp):
    found = entities(nlp, "A title", "We collect a new dialogue dataset, Chatterly-V2, with 9K turns.")
    assert found.get("Chatterly-V2") == "dataset"


def test_bracketed_name_kept_whole(nlp):
    found = entities(nlp, "A title", "We train a scoring model, S[Good], to rank answers.")
    assert found.get("S[Good]") == "model"


def test_parenthesised_size_marks_model(nlp):
    found = entities(nlp, "A title", "Our model beats larger ones such as ORCHID (13B) on all tasks.")
    assert found.get("ORCHID") == "model"


def test_named_game_is_dataset(nlp):
    found = entities(nlp, "A title", "Agents play the repeated Trust Game with each other.")
    assert found.get("Trust Game") == "dataset"


def test_markov_game_is_generic(nlp):
    found = entities(nlp, "A title", "We cast training as a two-player Markov Game between agents.")
    assert "Markov Game" not in found


def test_dataset_split_is_dataset(nlp):
    found = entities(nlp, "A title", "We evaluate on the Quokka benchmark, reporting scores on Quokka-hard.")
    assert found.get("Quokka-hard") == "dataset"


def test_method_on_dataset_keeps_type(nlp):
    found = entities(nlp, "A title", "We evaluate on the Quokka benchmark, where Quokka-RL beats baselines.")
    assert found.get("Quokka-RL") == "method"


def test_acronym_apposition_types_long_form(nlp):
    found = entities(nlp, "A title", "We build Planning with Language Models (PLaM), a novel approach to control.")
    assert found.get("Planning with Language Models") == "method"
    assert found.get("PLaM") == "method"


def test_title_name_with_version(nlp):
    found = entities(nlp, "Hexa FlowNet 2.0: Better Flows", "We describe Hexa FlowNet 2.0 here.")
    assert "Hexa FlowNet 2.0" in found


def test_sentence_initial_apposition_name(nlp):
    found = entities(nlp, "A study", "Tango, a novel framework, addresses mathematical reasoning.")
    assert found.get("Tango") == "method"


@pytest.mark.parametrize("word", ["Here", "Recently", "Overall", "Thus"])
def test_sentence_initial_adverb_not_name(nlp, word):
    found = entities(nlp, "A study", f"{word}, a novel framework addresses mathematical reasoning.")
    assert word not in found


def test_abbreviation_typed_by_whole_long_form(nlp: Language) -> None:
    doc = nlp("We propose an online Collaborative Reward Modeling (CRM) framework for alignment.")
    labels = {span.text: span.label_ for span in doc.spans["kg_entities"]}
    assert labels["CRM"] == "method"


def _derived_names_by_regex(text: str, name: str) -> list[tuple[int, int, str]]:
    """The pattern that kg.nlp.entities._derived_names replaces with str.find, compiled per name."""
    pattern = rf"(?<![\w-]){re.escape(name)}-([A-Za-z][a-z]+)(?![\w-])"
    return [(match.start(), match.end(), match.group(1)) for match in re.finditer(pattern, text)]


@given(
    text=st.lists(st.sampled_from(["Sotopia", "So", "-", "hard", "Hard", "HARD", "x", "_", " ", "\u00e9", "\u0663", "(", ".", "a-b", "Sotopia-"]), max_size=12).map("".join),
    name=st.sampled_from(["Sotopia", "So", "a", "Sotopia-hard", "x.y", "(a)"]),
)
def test_derived_names_equal_regex(text: str, name: str) -> None:
    assert list(_derived_names(text, name)) == _derived_names_by_regex(text, name)
