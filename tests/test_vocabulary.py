from __future__ import annotations

from pathlib import Path

import pytest

from kg.errors import ConfigError
from kg.model import EntityType
from kg.nlp.vocabulary import (
    Vocabulary,
    default_vocabulary_files,
    load_vocabulary,
    parse_vocabulary_line,
    read_vocabulary_file,
)


def write(tmp_path: Path, text: str, name: str = "vocab.tsv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_parse_line_with_aliases():
    entry = parse_vocabulary_line("GSM8K\tdataset\tGSM8k| GSM-8K ", source="f", line=3)
    assert entry is not None
    assert entry.name == "GSM8K"
    assert entry.type is EntityType.DATASET
    assert entry.aliases == ("GSM8k", "GSM-8K")
    assert entry.line == 3


def test_parse_line_two_columns():
    entry = parse_vocabulary_line("PPO\tmethod", source="f", line=1)
    assert entry is not None
    assert entry.aliases == ()


@pytest.mark.parametrize("text", ["", "   ", "# a comment", "  # indented comment"])
def test_parse_line_skips_blank_and_comment(text):
    assert parse_vocabulary_line(text, source="f", line=1) is None


def test_parse_line_type_is_case_insensitive():
    entry = parse_vocabulary_line("BLEU\tMetric", source="f", line=1)
    assert entry is not None
    assert entry.type is EntityType.METRIC


def test_invalid_type_names_file_line_and_choices():
    with pytest.raises(ConfigError) as info:
        parse_vocabulary_line("GSM8K\tbenchmark", source="my.tsv", line=7)
    message = str(info.value)
    assert "my.tsv, line 7" in message
    assert "'benchmark'" in message
    assert "dataset" in message


def test_wrong_column_count_raises():
    with pytest.raises(ConfigError, match="line 2: expected 2 or 3 tab-separated columns"):
        parse_vocabulary_line("GSM8K dataset", source="f", line=2)


def test_empty_name_raises():
    with pytest.raises(ConfigError, match="name column is empty"):
        parse_vocabulary_line("\tdataset", source="f", line=1)


def test_read_file_reports_bad_line(tmp_path):
    path = write(tmp_path, "# header\nPPO\tmethod\nFoo\tthing\n")
    with pytest.raises(ConfigError, match=r"vocab\.tsv, line 3"):
        read_vocabulary_file(path)


def test_read_missing_file_raises(tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        read_vocabulary_file(tmp_path / "absent.tsv")


def test_read_non_utf8_file_raises(tmp_path):
    path = tmp_path / "latin1.tsv"
    path.write_bytes("Caf\xe9\tmethod\n".encode("latin-1"))
    with pytest.raises(ConfigError, match="UTF-8"):
        read_vocabulary_file(path)


def test_later_entry_overrides_type():
    vocabulary = Vocabulary.from_lines(["Atari\tmethod", "Atari\tdataset"], source="f")
    assert vocabulary.type_of("Atari") is EntityType.DATASET


def test_user_file_overrides_default(tmp_path):
    path = write(tmp_path, "PPO\tmodel\n")
    vocabulary = load_vocabulary([path])
    assert vocabulary.type_of("PPO") is EntityType.MODEL


def test_without_default_only_user_entries(tmp_path):
    path = write(tmp_path, "FooNet\tmodel\tFoo-Net\n")
    vocabulary = load_vocabulary([path], use_default=False)
    assert len(vocabulary) == 2
    assert "FooNet" in vocabulary
    assert "GSM8K" not in vocabulary


def test_default_files_exist():
    names = {path.name for path in default_vocabulary_files()}
    assert {"datasets.tsv", "methods.tsv", "metrics.tsv", "models.tsv", "tasks.tsv"} <= names


def test_default_vocabulary_size():
    assert len(load_vocabulary()) >= 500


@pytest.mark.parametrize(
    ("form", "expected"),
    [
        ("GSM8K", EntityType.DATASET),
        ("ProcessBench", EntityType.DATASET),
        ("MiniHack", EntityType.DATASET),
        ("StarCraft II", EntityType.DATASET),
        ("PPO", EntityType.METHOD),
        ("GRPO", EntityType.METHOD),
        ("Qwen2.5", EntityType.MODEL),
        ("DeepSeek-R1", EntityType.MODEL),
        ("question answering", EntityType.TASK),
        ("image quality assessment", EntityType.TASK),
        ("BLEU", EntityType.METRIC),
        ("pass@k", EntityType.METRIC),
    ],
)
def test_default_vocabulary_types(form, expected):
    assert load_vocabulary().type_of(form) is expected


def test_default_vocabulary_parses_without_conflicts(caplog):
    caplog.set_level("DEBUG", logger="kg.nlp.vocabulary")
    load_vocabulary()
    conflicts = [record.getMessage() for record in caplog.records if "changes type" in record.getMessage()]
    assert conflicts == []
