from __future__ import annotations

import json
import pickle
from pathlib import Path

import pytest

from kg.errors import ConfigError
from kg.extract import extract, extract_with_lines
from kg.model import EntityType, Field, Paper
from kg.nlp import PIPELINE_COMPONENTS, create_pipeline
from kg.sources import read_daily_papers


@pytest.fixture(scope="module")
def nlp():
    return create_pipeline()


def test_pipeline_component_order(nlp) -> None:
    ours = [name for name in nlp.pipe_names if name in PIPELINE_COMPONENTS]
    assert ours == list(PIPELINE_COMPONENTS)
    assert nlp.pipe_names.index("kg_title_boundary") < nlp.pipe_names.index("kg_sentencizer")


def test_pipeline_unknown_model_rejected() -> None:
    with pytest.raises(ConfigError, match="Cannot load the spaCy pipeline 'not_a_pipeline'"):
        create_pipeline("not_a_pipeline")


def test_pipeline_missing_vocabulary_rejected(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="Vocabulary file not found"):
        create_pipeline(vocabulary_paths=[tmp_path / "missing.tsv"])


@pytest.mark.parametrize(
    ("sentence", "name", "entity_type"),
    [
        ("We report accuracy on GSM8K.", "GSM8K", EntityType.DATASET),
        ("Our verifier is built on Qwen2.5-Math-7B.", "Qwen2.5-Math-7B", EntityType.MODEL),
    ],
)
def test_pipeline_name_before_final_period(nlp, sentence: str, name: str, entity_type: EntityType) -> None:
    (extraction,) = extract([Paper(id="p", title="A title", abstract=sentence)], nlp)
    found = {entity.name: entity.type for entity in extraction.entities}
    assert found.get(name) == entity_type


def test_pipeline_mentions_point_into_fields(nlp, example_page: Path) -> None:
    papers = list(read_daily_papers(example_page))
    for extraction in extract(papers, nlp):
        paper = extraction.paper
        mentions = [mention for entity in extraction.entities for mention in entity.mentions]
        mentions += [link.mention for link in extraction.links]
        mentions += [abbreviation.mention for abbreviation in extraction.abbreviations]
        for mention in mentions:
            text = paper.title if mention.field == Field.TITLE else paper.abstract
            assert text[mention.start:mention.end] == mention.text, (paper.id, mention)
            assert mention.sentence, (paper.id, mention)


def test_pipeline_title_only_paper(nlp) -> None:
    (extraction,) = extract([Paper(id="p", title="CrossLoco: Human Motion Driven Control")], nlp)
    (entity,) = [entity for entity in extraction.entities if entity.name == "CrossLoco"]
    assert entity.proposed
    assert entity.mentions[0].field == Field.TITLE
    assert entity.mentions[0].sentence == "CrossLoco: Human Motion Driven Control"


def test_pipeline_abbreviation_joins_mentions(nlp) -> None:
    abstract = (
        "We study group relative policy optimization (GRPO) for reasoning. "
        "GRPO improves accuracy on GSM8K."
    )
    (extraction,) = extract([Paper(id="p", title="A title", abstract=abstract)], nlp)
    grpo = [entity for entity in extraction.entities if "GRPO" in entity.aliases]
    assert len(grpo) == 1
    assert grpo[0].name == "group relative policy optimization"
    assert len(grpo[0].mentions) >= 2


def test_pipeline_processes_agree(example_page: Path) -> None:
    papers = list(read_daily_papers(example_page))[:12]
    nlp = create_pipeline()
    single = [extraction.to_json() for extraction in extract(papers, nlp, batch_size=4)]
    parallel = [extraction.to_json() for extraction in extract(papers, nlp, batch_size=4, n_process=2)]
    assert parallel == single


@pytest.mark.parametrize("n_process", [1, 2])
def test_pipeline_lines_match_records(example_page: Path, n_process: int) -> None:
    papers = list(read_daily_papers(example_page))[:12]
    pairs = list(extract_with_lines(papers, create_pipeline(), batch_size=4, n_process=n_process))
    assert [extraction.paper.id for extraction, _ in pairs] == [paper.id for paper in papers]
    for extraction, line in pairs:
        assert line.endswith("\n")
        assert line == json.dumps(extraction.to_json(), ensure_ascii=False) + "\n"


def test_pipeline_records_survive_pickle(example_page: Path, nlp) -> None:
    extractions = list(extract(list(read_daily_papers(example_page))[:5], nlp))
    assert pickle.loads(pickle.dumps(extractions, protocol=pickle.HIGHEST_PROTOCOL)) == extractions
    assert pickle.loads(pickle.dumps(extractions, protocol=0)) == extractions


def test_pipeline_title_name_joins_abstract_name(nlp) -> None:
    paper = Paper(
        id="p",
        title="RL Tango: Reinforcing Generator and Verifier Together",
        abstract="We propose Tango, a novel framework that trains a verifier. Tango works well.",
    )
    (extraction,) = extract([paper], nlp)
    proposed = [entity for entity in extraction.entities if entity.proposed]
    assert [entity.name for entity in proposed] == ["Tango"]
    assert proposed[0].aliases == ("RL Tango",)
    assert proposed[0].mentions[0].field == Field.TITLE


def test_pipeline_title_prefix_not_joined(nlp) -> None:
    paper = Paper(
        id="p",
        title="Sotopia-RL: Reward Design for Social Intelligence",
        abstract="We propose Sotopia-RL, a novel framework. Experiments in Sotopia, an open-ended environment, show gains.",
    )
    (extraction,) = extract([paper], nlp)
    names = {entity.name for entity in extraction.entities}
    assert "Sotopia-RL" in names
    assert "Sotopia" in names


def test_pipeline_saved_pipeline_reused(tmp_path: Path, nlp) -> None:
    nlp.to_disk(tmp_path / "saved")
    loaded = create_pipeline(str(tmp_path / "saved"))
    assert loaded.pipe_names == nlp.pipe_names
    (extraction,) = extract([Paper(id="p", title="CrossLoco: Human Motion Driven Control")], loaded)
    assert [entity.name for entity in extraction.entities if entity.proposed] == ["CrossLoco"]


def test_pipeline_saved_with_spacy_sentencizer(tmp_path: Path) -> None:
    old_layout = create_pipeline()
    old_layout.remove_pipe("kg_sentencizer")
    old_layout.add_pipe("sentencizer", after="kg_links")
    old_layout.to_disk(tmp_path / "saved")
    loaded = create_pipeline(str(tmp_path / "saved"))
    assert loaded.pipe_names == old_layout.pipe_names
    (extraction,) = extract([Paper(id="p", title="CrossLoco: Human Motion Driven Control")], loaded)
    assert [entity.name for entity in extraction.entities if entity.proposed] == ["CrossLoco"]


def test_pipeline_saved_keeps_vocabulary(tmp_path: Path) -> None:
    vocabulary = tmp_path / "names.tsv"
    vocabulary.write_text("ZetaBench\tdataset\tZeta-Bench\n", encoding="utf-8")
    create_pipeline(vocabulary_paths=[vocabulary]).to_disk(tmp_path / "saved")
    vocabulary.unlink()
    loaded = create_pipeline(str(tmp_path / "saved"))
    paper = Paper(id="p", title="A title", abstract="We report results on Zeta-Bench and more.")
    (extraction,) = extract([paper], loaded)
    assert [(entity.name, entity.type) for entity in extraction.entities] == [("ZetaBench", EntityType.DATASET)]


def test_pipeline_saved_accepts_more_vocabulary(tmp_path: Path, nlp) -> None:
    nlp.to_disk(tmp_path / "saved")
    vocabulary = tmp_path / "names.tsv"
    vocabulary.write_text("QuuxBench\tdataset\n", encoding="utf-8")
    loaded = create_pipeline(str(tmp_path / "saved"), vocabulary_paths=[vocabulary])
    (extraction,) = extract([Paper(id="p", title="A title", abstract="Scores on QuuxBench rise.")], loaded)
    assert "QuuxBench" in {entity.name for entity in extraction.entities}


def test_tokenizer_cache_emptied_keeps_tokens() -> None:
    # create_pipeline empties the tokenizer's cache after the components
    # tokenised their patterns. The rules, the special cases and kg's own
    # split rules must all still apply, as in a tokenizer that never cached.
    import spacy

    from kg.nlp.pipeline import _split_period_after_versions, _split_unicode_hyphens

    fresh = spacy.blank("en")
    _split_period_after_versions(fresh)
    _split_unicode_hyphens(fresh)
    nlp = create_pipeline()
    text = "GSM8K. BERT\u2010base don't Qwen2.5-7B. U.S. e.g. (Llama-3-8B), 3.5%."
    tokens = [token.text for token in nlp.make_doc(text)]
    assert tokens == [token.text for token in fresh.make_doc(text)]
    assert "n't" in tokens
    assert "\u2010" in tokens
