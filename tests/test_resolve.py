from __future__ import annotations

from pathlib import Path

import networkx as nx
import pytest

from kg.build import build
from kg.graph import VARIANT_OF, entity_node_id
from kg.model import EntityType

from kg.resolve import entity_key, is_title_name_of, model_family, normalize_text, preferred_name, variant_key


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
        ("policy losses", "policy loss"),
        ("Bellman processes", "Bellman process"),
        ("bounding boxes", "bounding box"),
        ("triangle meshes", "triangle mesh"),
        ("vector databases", "vector database"),
        ("KV caches", "KV cache"),
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


@pytest.mark.parametrize("dash", ["\u2010", "\u2011", "\u2012", "\u2013", "\u2014", "\u2015", "\u2212"])
def test_entity_key_unicode_dashes(dash: str) -> None:
    assert entity_key(f"BERT{dash}base") == entity_key("BERT-base")


@pytest.mark.parametrize(("plural", "singular"), [("LEDs", "LED"), ("RMs", "RM"), ("CoTs", "CoT")])
def test_entity_key_acronym_plurals(plural: str, singular: str) -> None:
    assert entity_key(plural) == entity_key(singular)


def test_entity_key_led_not_lemmatised() -> None:
    assert entity_key("LED") == "led"
    assert entity_key("LED") != entity_key("lead")


def test_entity_key_checkpoints_distinct() -> None:
    keys = {entity_key(name) for name in ("Qwen2.5-7B", "Qwen2.5-Math-7B", "Qwen2.5-7B-Instruct", "Qwen2.5")}
    assert len(keys) == 4


@pytest.mark.parametrize(("left", "right"), [("GPT-4", "GPT4"), ("Llama 3", "Llama-3"), ("AIME 2024", "AIME2024")])
def test_entity_key_letter_digit_separator(left: str, right: str) -> None:
    assert entity_key(left) == entity_key(right)


def test_entity_key_size_stays_a_word() -> None:
    assert entity_key("Qwen2.5-Math-7B") == "qwen2.5 math 7b"


def test_entity_key_capitalised_plural_kept() -> None:
    assert entity_key("Transformers") != entity_key("transformer")


@pytest.mark.parametrize(
    ("left", "right"),
    [
        ("Transformers", "transformer"),
        ("Meta-World", "MetaWorld"),
        ("multi-agent", "multiagent"),
        ("Mistral-7B", "Mistral7B"),
        ("Policies", "policy"),
    ],
)
def test_variant_key_merges(left: str, right: str) -> None:
    assert variant_key(left) == variant_key(right)


@pytest.mark.parametrize(("left", "right"), [("MAPS", "MAP"), ("GAS", "GA"), ("Qwen2.5-7B", "Qwen2.5-Math-7B")])
def test_variant_key_keeps_apart(left: str, right: str) -> None:
    assert variant_key(left) != variant_key(right)


@pytest.mark.parametrize(
    ("name", "family"),
    [
        ("Qwen2.5-7B", "Qwen2.5"),
        ("Qwen2.5-Math-7B", "Qwen2.5"),
        ("Qwen2.5-7B-Instruct", "Qwen2.5"),
        ("Llama-3.1-8B-Instruct", "Llama-3.1"),
        ("Llama 2 70B", "Llama 2"),
        ("DeepSeek-R1-Distill-Qwen-7B", "DeepSeek-R1"),
        ("GPT-4o-mini", "GPT-4o"),
        ("Claude 3.5 Sonnet", "Claude 3.5"),
        ("Mixtral-8x7B", "Mixtral"),
        ("Qwen3-30B-A3B", "Qwen3"),
        ("BERT\u2010base", "BERT"),
    ],
)
def test_model_family_found(name: str, family: str) -> None:
    assert model_family(name) == family


@pytest.mark.parametrize("name", ["GPT-4o", "Qwen2.5", "HelpSteer2-Preference", "7B-Instruct", "Instruct", ""])
def test_model_family_none(name: str) -> None:
    assert model_family(name) == ""


@pytest.mark.parametrize(
    ("title_name", "name"),
    [("RL Tango", "Tango"), ("Collaborative Reward Modeling", "CRM"), ("Reinforcement Learning from Human Feedback", "RLHF")],
)
def test_title_name_joins(title_name: str, name: str) -> None:
    assert is_title_name_of(title_name, name)


@pytest.mark.parametrize(
    ("title_name", "name"),
    [("Sotopia-RL", "Sotopia"), ("Tango", "Tango"), ("Latent Reward", "LaRe"), ("Latent Reward", "Lare"), ("Q-Insight", "Q")],
)
def test_title_name_rejects(title_name: str, name: str) -> None:
    assert not is_title_name_of(title_name, name)


# The example graph: no two of its most connected entities are one thing.

# How many of the most connected entity nodes the duplicate check covers.
TOP_ENTITIES = 30


@pytest.fixture(scope="module")
def example_graph(tmp_path_factory: pytest.TempPathFactory, example_page: Path) -> nx.MultiDiGraph:
    graph, _ = build([example_page], tmp_path_factory.mktemp("resolve"))
    return graph


def _top_entities(graph: nx.MultiDiGraph) -> list[str]:
    entities = [node for node, data in graph.nodes(data=True) if data["type"] in set(EntityType)]
    return sorted(entities, key=lambda node: (-graph.degree(node), node))[:TOP_ENTITIES]


def _forms(graph: nx.MultiDiGraph, node: str) -> list[str]:
    return [graph.nodes[node]["name"], *graph.nodes[node]["aliases"]]


def test_example_top_entities_counted(example_graph: nx.MultiDiGraph) -> None:
    assert len(_top_entities(example_graph)) == TOP_ENTITIES


def test_example_top_entities_keys_distinct(example_graph: nx.MultiDiGraph) -> None:
    owner: dict[str, str] = {}
    for node in _top_entities(example_graph):
        for form in _forms(example_graph, node):
            for key in {entity_key(form), variant_key(form)}:
                assert owner.setdefault(key, node) == node, f"{form!r} of {node} has key {key!r} of {owner[key]}"


def test_example_top_entities_aliases_distinct(example_graph: nx.MultiDiGraph) -> None:
    owner: dict[str, str] = {}
    for node in _top_entities(example_graph):
        for form in _forms(example_graph, node):
            assert owner.setdefault(form.casefold(), node) == node, f"{form!r} names {node} and {owner[form.casefold()]}"


def test_example_every_entity_has_merge_reasons(example_graph: nx.MultiDiGraph) -> None:
    for node, data in example_graph.nodes(data=True):
        if data["type"] in set(EntityType):
            assert [record["form"] for record in data["merge_reasons"]] == data["aliases"], node


def test_example_families_linked(example_graph: nx.MultiDiGraph) -> None:
    families = {target for _, target, key in example_graph.edges(keys=True) if key == VARIANT_OF}
    assert entity_node_id("qwen2.5") in families


# The overlap rule on real Docs: the longest candidate wins, so the vocabulary
# name "Qwen2.5" inside the name-shape candidate "Qwen2.5-Math-7B" is dropped.


def test_overlap_longest_span_wins(example_graph: nx.MultiDiGraph) -> None:
    names = {data["name"] for _, data in example_graph.nodes(data=True) if data["type"] == "model"}
    assert "Qwen2.5-Math-7B" in names
