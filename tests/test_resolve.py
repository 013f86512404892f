from __future__ import annotations

import pytest

from kg.resolve import entity_key, normalize_text, preferred_name


@pytest.mark.parametrize(
    ("left", "right"),
    [
        ("LLMs", "LLM"),
        ("large language models", "Large Language Model"),
        ("BERT\u2010base", "BERT-base"),
        ("BERT\u2013base", "bert base"),
        ("reward  models", "reward model"),
        ("policies", "policy"),
        ("multi_agent", "multi-agent"),
    ],
)
def test_entity_key_merges_variants(left: str, right: str) -> None:
    assert entity_key(left) == entity_key(right)


@pytest.mark.parametrize(
    ("left", "right"),
    [
        ("Qwen2.5-7B", "Qwen2.5-Math-7B"),
        ("Qwen2.5-7B", "Qwen2.5-72B"),
        ("GPT-4", "GPT-4o"),
    ],
)
def test_entity_key_keeps_versions_apart(left: str, right: str) -> None:
    assert entity_key(left) != entity_key(right)


@pytest.mark.parametrize("word", ["LED", "loss", "corpus", "analysis", "GAS", "Atlas"])
def test_entity_key_keeps_non_plurals(word: str) -> None:
    assert entity_key(word) == word.casefold()


def test_entity_key_empty() -> None:
    assert entity_key("  - ") == ""


def test_normalize_text_dashes_and_spaces() -> None:
    assert normalize_text("a\u2014b \u00a0 c\uff0dd") == "a-b c-d"


def test_preferred_name_folds_sentence_case() -> None:
    counts = {"Reinforcement learning": 3, "reinforcement learning": 1}
    assert preferred_name(counts) == "reinforcement learning"


def test_preferred_name_keeps_title_case_apart() -> None:
    counts = {"Reinforcement Learning": 3, "reinforcement learning": 1}
    assert preferred_name(counts) == "Reinforcement Learning"


def test_preferred_name_tie_is_order_free() -> None:
    assert preferred_name({"PPO": 1, "Ppo": 1}) == preferred_name({"Ppo": 1, "PPO": 1})


def test_preferred_name_empty_rejected() -> None:
    with pytest.raises(ValueError):
        preferred_name({})
