from __future__ import annotations

import pytest

from kg.resolve import entity_key, normalize_text


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
