"""Vocabulary aliases become one entity named by the entry's canonical name.

The recognizer stores the canonical name in ``span.kb_id_`` and
`kg.extract` keys entities by it. The starter vocabulary is checked for
aliases that belong to two entries and for aliases that are really another
version, size, year or variant of their entry.
"""

from __future__ import annotations

import re
from collections import defaultdict

import pytest
from spacy.tokens import DocBin

import kg.nlp
from kg.extract import extract, make_doc
from kg.model import EntityType, ExtractedEntity, Paper
from kg.nlp.extensions import ENTITIES_KEY
from kg.nlp.vocabulary import default_vocabulary_files, read_vocabulary_file
from kg.resolve import entity_key

ZETA_LINE = "ZetaBench\tdataset\tZeta-Bench|ZB2\n"


@pytest.fixture(scope="module")
def zeta_nlp(tmp_path_factory):
    path = tmp_path_factory.mktemp("vocabulary") / "zeta.tsv"
    path.write_text(ZETA_LINE, encoding="utf-8")
    return kg.nlp.create_pipeline(vocabulary_paths=[path])


@pytest.fixture(scope="module")
def nlp():
    return kg.nlp.create_pipeline()


def run(nlp, abstract: str, title: str = "A title") -> tuple[ExtractedEntity, ...]:
    (extraction,) = extract([Paper(id="p", title=title, abstract=abstract)], nlp)
    return extraction.entities


def entity_named(entities: tuple[ExtractedEntity, ...], name: str) -> ExtractedEntity:
    matches = [entity for entity in entities if entity.name == name]
    assert len(matches) == 1, [(entity.name, entity.aliases) for entity in entities]
    return matches[0]


# kb_id on spans


def test_kb_id_on_every_alias(zeta_nlp):
    doc = zeta_nlp(make_doc(zeta_nlp, Paper(id="p", title="A title", abstract="We use ZetaBench, Zeta-Bench and ZB2.")))
    found = {span.text: span.kb_id_ for span in doc.spans[ENTITIES_KEY]}
    assert found == {"ZetaBench": "ZetaBench", "Zeta-Bench": "ZetaBench", "ZB2": "ZetaBench"}


def test_kb_id_empty_without_vocabulary(nlp):
    doc = nlp(make_doc(nlp, Paper(id="p", title="A title", abstract="We propose Quokka, a framework. Quokka wins.")))
    assert [span.kb_id_ for span in doc.spans[ENTITIES_KEY]] == ["", ""]


def test_kb_id_survives_docbin(zeta_nlp):
    doc = zeta_nlp(make_doc(zeta_nlp, Paper(id="p", title="A title", abstract="Results on ZB2 and Zeta-Bench.")))
    data = DocBin(docs=[doc], store_user_data=True).to_bytes()
    (restored,) = DocBin().from_bytes(data).get_docs(zeta_nlp.vocab)
    assert [span.kb_id_ for span in restored.spans[ENTITIES_KEY]] == ["ZetaBench", "ZetaBench"]


def test_kb_id_needs_matching_type(tmp_path):
    path = tmp_path / "zorblax.tsv"
    path.write_text("Zorblax\tmethod\n", encoding="utf-8")
    nlp = kg.nlp.create_pipeline(vocabulary_paths=[path])
    doc = nlp(make_doc(nlp, Paper(id="p", title="A title", abstract="We introduce Zorblax, a novel benchmark.")))
    (span,) = doc.spans[ENTITIES_KEY]
    assert span.label_ == "dataset"
    assert span.kb_id_ == ""


def test_extended_span_drops_kb_id(nlp):
    doc = nlp(make_doc(nlp, Paper(id="p", title="A title", abstract="We evaluate on AIME 2031 and AIME.")))
    found = {span.text: span.kb_id_ for span in doc.spans[ENTITIES_KEY]}
    assert found == {"AIME 2031": "", "AIME": "AIME"}


def test_canonical_name_case_rule(nlp):
    recognizer = nlp.get_pipe("kg_entities")
    assert recognizer.canonical_name("gsm-8k") == "GSM8K"
    assert recognizer.canonical_name("Math") == ""
    assert recognizer.canonical_name("GSM8K", entity_type=EntityType.MODEL) == ""


# entities in kg.extract


def test_aliases_make_one_entity(zeta_nlp):
    entities = run(zeta_nlp, "We evaluate on ZetaBench. Zeta-Bench has 500 tasks. Our model tops ZB2.")
    zeta = entity_named(entities, "ZetaBench")
    assert zeta.key == entity_key("ZetaBench")
    assert zeta.type is EntityType.DATASET
    assert zeta.aliases == ("ZB2", "Zeta-Bench")
    assert len(zeta.mentions) == 3


def test_canonical_name_when_only_alias_seen(zeta_nlp):
    entities = run(zeta_nlp, "Our model tops ZB2 and zeta-bench.")
    zeta = entity_named(entities, "ZetaBench")
    assert zeta.aliases == ("ZB2", "zeta-bench")


def test_starter_spellings_merge(nlp):
    entities = run(nlp, "We report accuracy on GSM8K and on GSM-8K.")
    gsm = entity_named(entities, "GSM8K")
    assert gsm.aliases == ("GSM-8K",)


def test_versions_stay_apart(nlp):
    entities = run(nlp, "We evaluate on MATH, MATH500, AIME 2024 and AIME25.")
    names = {entity.name for entity in entities}
    assert {"MATH", "MATH-500", "AIME 2024", "AIME 2025"} <= names


def test_model_versions_stay_apart(nlp):
    entities = run(nlp, "We compare GPT-4, GPT-4o and Qwen2.5 with Qwen.")
    names = {entity.name for entity in entities}
    assert {"GPT-4", "GPT-4o", "Qwen2.5", "Qwen"} <= names


def test_defined_long_form_with_alias_entry(tmp_path):
    # The vocabulary names the short form; the paper defines it with the alias.
    path = tmp_path / "grpo.tsv"
    path.write_text("GRPO\tmethod\tgroup relative policy optimization\n", encoding="utf-8")
    nlp = kg.nlp.create_pipeline(vocabulary_paths=[path])
    entities = run(nlp, "We study group relative policy optimization (GRPO) for reasoning. GRPO improves results.")
    grpo = [entity for entity in entities if entity_key("GRPO") in (entity.key, entity_key(entity.name))]
    assert len(grpo) == 1
    assert grpo[0].name == "GRPO"
    assert grpo[0].aliases == ("group relative policy optimization",)
    assert len(grpo[0].mentions) == 3


def test_paper_definition_overrides_vocabulary(nlp):
    # The starter vocabulary lists "BC" for behavior cloning; this paper defines BC otherwise.
    entities = run(nlp, "We propose Bandit Calibration (BC) for ranking. BC lowers regret.")
    names = {entity.name for entity in entities}
    assert "behavior cloning" not in names
    calibration = entity_named(entities, "Bandit Calibration")
    assert calibration.aliases == ("BC",)


# starter vocabulary sanity

_VARIANT_WORDS = frozenset(
    {
        "pro", "mini", "turbo", "plus", "max", "lite", "large", "base", "small", "medium", "xl", "hard",
        "verified", "diamond", "redux", "easy", "challenge", "instruct", "chat", "flash", "ultra", "preview",
        "distill", "vision", "o", "k", "b", "m", "x",
    }
)  # fmt: skip
_ROMAN = {"ii": "2", "iii": "3", "iv": "4"}
_YEAR = re.compile(r"(?:19|20)\d\d")


def _pieces(text: str) -> tuple[str, tuple[str, ...]]:
    """Split a name into its core letters and the sorted version, size, year and variant pieces."""
    text = text.casefold().replace("+", " plus ")
    text = re.sub(r"v(?=\d)", " ", text)  # "DreamerV2", "SQuAD v2.0": the v marks a version
    core, details = [], []
    for piece in re.findall(r"[^\W\d_]+|\d+(?:\.\d+)*", text):
        if piece[0].isdigit():
            piece = re.sub(r"(?:\.0)+$", "", piece)  # "2.0" is "2"
            details.append(piece[2:] if _YEAR.fullmatch(piece) else piece)  # "2024" is "24"
        elif piece in _ROMAN:
            details.append(_ROMAN[piece])
        elif piece in _VARIANT_WORDS:
            details.append(piece)
        else:
            core.append(piece)
    return "".join(core), tuple(sorted(details))


def differs_only_by_version(name: str, alias: str) -> bool:
    """True when `alias` is `name` with another version, size, year or variant word."""
    name_core, name_details = _pieces(name)
    alias_core, alias_details = _pieces(alias)
    return name_core == alias_core and name_details != alias_details


@pytest.mark.parametrize(
    ("name", "alias"),
    [
        ("AIME", "AIME 2025"),
        ("AIME 2024", "AIME25"),
        ("MATH", "MATH500"),
        ("Qwen", "Qwen2.5"),
        ("GPT-4", "GPT-4o"),
        ("MMLU", "MMLU-Pro"),
        ("BLEU", "BLEU-4"),
        ("pass@k", "pass@1"),
        ("Dreamer", "DreamerV2"),
        ("HumanEval", "HumanEval+"),
        ("Mistral", "Mistral 7B"),
        ("AlpacaEval", "AlpacaEval 2.0"),
    ],
)
def test_version_predicate_flags(name, alias):
    assert differs_only_by_version(name, alias)


@pytest.mark.parametrize(
    ("name", "alias"),
    [
        ("GSM8K", "GSM-8K"),
        ("GSM8K", "GSM 8k"),
        ("AIME 2024", "AIME24"),
        ("CoNLL-2003", "CoNLL03"),
        ("AlpacaEval 2.0", "AlpacaEval 2"),
        ("StarCraft II", "StarCraft 2"),
        ("SQuAD 2.0", "SQuAD v2.0"),
        ("twin delayed deep deterministic policy gradient", "TD3"),
        ("F1", "F1 score"),
        ("MS COCO", "COCO"),
    ],
)
def test_version_predicate_allows(name, alias):
    assert not differs_only_by_version(name, alias)


def starter_entries():
    return [entry for path in default_vocabulary_files() for entry in read_vocabulary_file(path).entries]


def test_starter_aliases_not_ambiguous():
    owners: dict[str, set[str]] = defaultdict(set)
    for entry in starter_entries():
        for form in entry.surface_forms:
            owners[entity_key(form)].add(entity_key(entry.name))
    ambiguous = {form: sorted(keys) for form, keys in owners.items() if len(keys) > 1}
    assert ambiguous == {}


# Short names that drop a size but still name one dataset: no other KonIQ dataset exists.
_ALLOWED_SHORT_NAMES = frozenset({("KonIQ-10k", "KonIQ")})


def test_starter_aliases_not_versions():
    offenders = [
        (entry.name, alias)
        for entry in starter_entries()
        for alias in entry.aliases
        if differs_only_by_version(entry.name, alias) and (entry.name, alias) not in _ALLOWED_SHORT_NAMES
    ]
    assert offenders == []


def test_starter_has_variant_entries():
    names = {entry.name for entry in starter_entries()}
    assert {"MATH-500", "AIME 2024", "AIME 2025", "MMLU-Pro", "Qwen2.5", "GPT-4o"} <= names
