"""Tests of `kg train`, the kg_statistical component and its place among kg_entities' sources."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from spacy.language import Language
from spacy.tokens import Doc, Span

from kg.cli import cli, main
from kg.errors import ConfigError
from kg.extract import extract
from kg.model import EntityType, Paper
from kg.nlp.extensions import ENTITIES_KEY, STATISTICAL_KEY
from kg.nlp.pipeline import create_pipeline
from kg.training import train_pipeline

# Documents of the small training runs: enough to exercise every step, few
# enough to keep the module to a few seconds.
TRAIN_DOCUMENTS = 12
DEV_DOCUMENTS = 4


def _head(source: Path, target: Path, lines: int) -> Path:
    with source.open(encoding="utf-8") as handle:
        target.write_text("".join(handle.readline() for _ in range(lines)), encoding="utf-8")
    return target


@pytest.fixture(scope="module")
def scierc_files(shared_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("scierc")
    scierc = shared_dir / "eval" / "scierc"
    if not (scierc / "train.json").is_file():
        pytest.skip("the SciERC files are not under ../shared/eval/scierc")
    return _head(scierc / "train.json", folder / "train.json", TRAIN_DOCUMENTS), _head(scierc / "dev.json", folder / "dev.json", DEV_DOCUMENTS)


@pytest.fixture(scope="module")
def trained(scierc_files: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    train, dev = scierc_files
    out = tmp_path_factory.mktemp("model") / "pipeline"
    train_pipeline([train], dev_paths=[dev], out=out, epochs=2, seed=1)
    return out


def test_trained_pipeline_loads(trained: Path) -> None:
    nlp = create_pipeline(str(trained))
    assert "kg_statistical" in nlp.pipe_names
    assert nlp.pipe_names.index("kg_statistical") < nlp.pipe_names.index("kg_entities")


def test_trained_component_writes_group(trained: Path) -> None:
    nlp = create_pipeline(str(trained))
    doc = nlp("We present a statistical machine translation system evaluated with BLEU on the Europarl corpus.")
    assert STATISTICAL_KEY in doc.spans
    assert all(span.label_ in {str(t) for t in EntityType} for span in doc.spans[STATISTICAL_KEY])


def test_trained_component_keeps_ents(trained: Path) -> None:
    nlp = create_pipeline(str(trained))
    doc = nlp("We present a statistical machine translation system evaluated with BLEU.")
    assert len(doc.ents) == 0


def test_train_saves_labels(trained: Path) -> None:
    nlp = create_pipeline(str(trained))
    assert set(nlp.get_pipe("kg_statistical").labels) <= {str(t) for t in EntityType}


def test_train_rejects_unknown_type(scierc_files: tuple[Path, Path], tmp_path: Path) -> None:
    train, _ = scierc_files
    with pytest.raises(ConfigError, match="--types 'material': unknown type"):
        train_pipeline([train], out=tmp_path / "pipeline", epochs=1, types=["material"])


def test_threshold_needs_beam() -> None:
    nlp = create_pipeline()
    with pytest.raises(ConfigError, match="set beam_width to 2 or more"):
        nlp.add_pipe("kg_statistical", config={"threshold": 0.5})


def test_threshold_saved_with_pipeline(scierc_files: tuple[Path, Path], tmp_path: Path) -> None:
    train, _ = scierc_files
    out = train_pipeline([train], out=tmp_path / "pipeline", epochs=1, threshold=0.8).output
    component = create_pipeline(str(out)).get_pipe("kg_statistical")
    assert component.threshold == 0.8
    assert component.cfg["beam_width"] > 1


def test_train_rejects_gold_format(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    gold = Path(__file__).parent / "gold" / "daily-papers-sep-11.jsonl"
    status = main(["train", str(gold), "--out", str(tmp_path / "p"), "--epochs", "1"])
    assert status == 1
    assert "no spans to train on" in capsys.readouterr().err


def test_train_command_writes_pipeline(scierc_files: tuple[Path, Path], tmp_path: Path) -> None:
    train, dev = scierc_files
    out = tmp_path / "pipeline"
    result = CliRunner().invoke(cli, ["train", str(train), "--dev", str(dev), "--out", str(out), "--epochs", "1", "--no-progress"])
    assert result.exit_code == 0, result.output
    assert (out / "config.cfg").is_file()
    assert (out / "kg_statistical" / "model").is_file()


def test_eval_command_loads_trained(trained: Path, scierc_files: tuple[Path, Path]) -> None:
    _, dev = scierc_files
    result = CliRunner().invoke(cli, ["eval", str(dev), "--model", str(trained), "--no-progress"])
    assert result.exit_code == 0, result.output
    assert "exact" in result.output


# --- precedence among kg_entities' sources -------------------------------------------
#
# These tests need no training data: a stand-in component writes fixed spans to
# the statistical group, as a trained kg_statistical would.

_FIXED_SPANS: list[tuple[str, str]] = []


@Language.component("test_fixed_statistical_spans")
def _fixed_statistical_spans(doc: Doc) -> Doc:
    spans = []
    for text, label in _FIXED_SPANS:
        start = doc.text.find(text)
        span = doc.char_span(start, start + len(text), label=label)
        assert span is not None, text
        spans.append(span)
    doc.spans[STATISTICAL_KEY] = spans
    return doc


def _entities(text: str, fixed: list[tuple[str, str]]) -> dict[str, str]:
    _FIXED_SPANS[:] = fixed
    nlp = create_pipeline()
    nlp.add_pipe("test_fixed_statistical_spans", before="kg_entities")
    doc = nlp(text)
    return {span.text: span.label_ for span in doc.spans[ENTITIES_KEY]}


def test_rules_win_equal_overlap() -> None:
    # The vocabulary types GSM8K as a dataset, and the statistical span labels it a method.
    entities = _entities("We evaluate the model on GSM8K and report accuracy.", [("GSM8K", "method")])
    assert entities["GSM8K"] == "dataset"


def test_rules_win_shifted_overlap() -> None:
    # Two-token spans that share "translation": the vocabulary task
    # "machine translation" ranks above the statistical span.
    entities = _entities("We build better machine translation systems for Basque.", [("translation systems", "method")])
    assert entities["machine translation"] == "task"
    assert "translation systems" not in entities


def test_longer_statistical_span_wins() -> None:
    # The overlap rule keeps the longest span first, whatever its source.
    entities = _entities("We build better machine translation systems for Basque.", [("machine translation systems", "method")])
    assert entities["machine translation systems"] == "method"


def test_statistical_fills_gap() -> None:
    entities = _entities("We study dependency parsing of noisy tweets.", [("noisy tweets", "dataset")])
    assert entities["noisy tweets"] == "dataset"


def test_statistical_ignored_without_group() -> None:
    nlp = create_pipeline()
    doc = nlp("We study dependency parsing of noisy tweets.")
    assert STATISTICAL_KEY not in doc.spans
    assert "noisy tweets" not in {span.text for span in doc.spans[ENTITIES_KEY]}


def test_statistical_entity_extracted() -> None:
    _FIXED_SPANS[:] = [("noisy tweets", "dataset")]
    nlp = create_pipeline()
    nlp.add_pipe("test_fixed_statistical_spans", before="kg_entities")
    paper = Paper(id="p1", title="A study", abstract="We study dependency parsing of noisy tweets.")
    (extraction,) = extract([paper], nlp)
    assert "noisy tweets" in {entity.name for entity in extraction.entities}
