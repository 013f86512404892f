"""Exit codes of every command family, --quiet and --verbose logging, and kg build --dry-run."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from kg.cli import EXIT_CODES_HELP, cli, main

RECORDS = [
    {"id": "p1", "title": "Tango: A Verifier", "abstract": "We propose Tango. It beats BERT on the GSM8K benchmark."},
    {"id": "p2", "title": "Only a Title"},
]


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with a valid input, a build of it, and broken files of several kinds."""
    folder = tmp_path_factory.mktemp("exit-codes")
    (folder / "papers.jsonl").write_text("".join(json.dumps(record) + "\n" for record in RECORDS), encoding="utf-8")
    (folder / "bad.jsonl").write_text('{"title": "ok"}\n{broken\n', encoding="utf-8")
    (folder / "bad.graphml").write_text("not xml", encoding="utf-8")
    (folder / "bad.conll").write_text("garbage\n", encoding="utf-8")
    assert main(["build", str(folder / "papers.jsonl"), "--out", str(folder / "built")]) == 0
    return folder


# (command family, arguments relative to the workspace, expected exit status)
CASES = [
    ("build", ["build", "papers.jsonl", "--out", "{tmp}/out"], 0),
    ("build", ["build", "bad.jsonl", "--out", "{tmp}/out"], 1),
    ("build", ["build", "papers.jsonl", "--no-such-option"], 2),
    ("build", ["build", "missing.jsonl"], 2),
    ("query", ["query", "built", "ASK { ?s ?p ?o }"], 0),
    ("query", ["query", "built", "SELEC nothing"], 1),
    ("query", ["query", "built"], 2),
    ("export", ["export", "built", "--format", "ntriples", "-o", "{tmp}/graph.nt"], 0),
    ("export", ["export", "bad.graphml", "--format", "turtle", "-o", "{tmp}/graph.ttl"], 1),
    ("export", ["export", "built"], 2),
    ("validate", ["validate", "built"], 0),
    ("validate", ["validate", "bad.graphml"], 1),
    ("validate", [], 2),
    ("view", ["view", "built", "-o", "{tmp}/view.html"], 0),
    ("view", ["view", "bad.graphml", "-o", "{tmp}/view.html"], 1),
    ("view", ["view", "built", "--top", "1", "--focus", "Tango"], 2),
    ("analyze", ["analyze", "built", "-o", "{tmp}/report"], 0),
    ("analyze", ["analyze", "bad.graphml", "-o", "{tmp}/report"], 1),
    ("analyze", ["analyze", "missing"], 2),
    ("eval", ["eval", "bad.conll"], 1),
    ("eval", ["eval"], 2),
    ("train", ["train", "bad.conll", "--out", "{tmp}/model"], 1),
    ("train", ["train"], 2),
    ("push", ["push", "built", "--endpoint", "http://127.0.0.1:9/store", "--graph", "https://example.org/g", "--timeout", "5"], 1),
    ("push", ["push", "built"], 2),
]


@pytest.mark.parametrize(("family", "arguments", "status"), CASES, ids=[f"{case[0]}-{case[2]}-{index}" for index, case in enumerate(CASES)])
def test_exit_status(
    workspace: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
    family: str, arguments: list[str], status: int,
) -> None:
    monkeypatch.chdir(workspace)
    arguments = [argument.replace("{tmp}", str(tmp_path)) for argument in arguments]
    if family == "validate" and not arguments:
        arguments = ["validate"]
    assert main(arguments) == status, capsys.readouterr().err
    error = capsys.readouterr().err
    if status == 1:
        assert error.startswith("Error: "), error
        assert "Traceback" not in error


def test_help_lists_exit_codes() -> None:
    result = CliRunner().invoke(cli, ["--help"])
    assert result.exit_code == 0
    for line in ("0    success", "1    invalid input", "2    usage error", "130  interrupted"):
        assert line in result.output
    assert EXIT_CODES_HELP.splitlines()[1] == "Exit codes:"


def test_readme_lists_exit_codes() -> None:
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Exit codes", 1)[1].split("\n## ", 1)[0]
    for status in ("`0`", "`1`", "`2`", "`130`"):
        assert status in section


# --- Logging ------------------------------------------------------------------


def test_quiet_prints_only_errors(workspace: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # A title-only paper and a repeated record would each log a warning.
    path = tmp_path / "noisy.jsonl"
    path.write_text("".join(json.dumps(record) + "\n" for record in [*RECORDS, RECORDS[1]]), encoding="utf-8")
    assert main(["-q", "build", str(path), "--out", str(tmp_path / "out")]) == 0
    assert capsys.readouterr().err == ""
    assert main(["-q", "build", str(workspace / "bad.jsonl"), "--out", str(tmp_path / "other")]) == 1
    assert capsys.readouterr().err.startswith("Error: ")


def test_default_prints_warnings(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "noisy.jsonl"
    path.write_text("".join(json.dumps(record) + "\n" for record in [*RECORDS, RECORDS[1]]), encoding="utf-8")
    assert main(["build", str(path), "--out", str(tmp_path / "out")]) == 0
    error = capsys.readouterr().err
    assert "WARNING: " in error
    assert "INFO: " not in error


def test_verbose_prints_progress_notes(workspace: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["-v", "build", str(workspace / "papers.jsonl"), "--out", str(tmp_path / "out")]) == 0
    error = capsys.readouterr().err
    assert f"INFO: Reading {workspace / 'papers.jsonl'}" in error
    assert "INFO: Writing graph.graphml" in error
    assert "DEBUG: " not in error


# --- Dry run ------------------------------------------------------------------


def test_dry_run_writes_nothing(workspace: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["build", str(workspace / "papers.jsonl"), "--out", str(out), "--dry-run"])
    assert result.exit_code == 0, result.output
    assert not out.exists()
    assert f"read        {workspace / 'papers.jsonl'} (jsonl): 2 records, 2 papers, 1 title-only, 0 invalid" in result.output
    assert "papers      2 would be extracted" in result.output
    assert f"would write {out / 'graph.ttl'}" in result.output


def test_dry_run_counts_per_file(tmp_path: Path) -> None:
    page = tmp_path / "page.txt"
    page.write_text("Sep 11\n\nSame Title\n\nSame abstract.\n\nSame Title\n\nSame abstract.\n", encoding="utf-8")
    records = tmp_path / "papers.jsonl"
    records.write_text('{"id": "a", "title": "A"}\n{"title": 5}\n{"id": "a", "title": "B"}\n', encoding="utf-8")
    result = CliRunner().invoke(cli, ["build", str(page), str(records), "--out", str(tmp_path / "out"), "--dry-run", "--skip-invalid"])
    assert result.exit_code == 0, result.output
    assert f"{page} (page): 2 records, 1 papers, 0 title-only, 0 invalid, 1 duplicates" in result.output
    assert f"{records} (jsonl): 3 records, 1 papers, 1 title-only, 2 invalid, 0 duplicates" in result.output
    assert f"would write {tmp_path / 'out' / 'skipped.jsonl'}" in result.output


def test_dry_run_invalid_input_exits_1(workspace: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    assert main(["build", str(workspace / "bad.jsonl"), "--out", str(out), "--dry-run"]) == 1
    assert f"Error: {workspace / 'bad.jsonl'}, record 2: invalid JSON" in capsys.readouterr().err
    assert not out.exists()


def test_dry_run_marks_replaced_outputs(workspace: Path) -> None:
    built = workspace / "built"
    result = CliRunner().invoke(cli, ["build", str(workspace / "papers.jsonl"), "--out", str(built), "--dry-run"])
    assert result.exit_code == 0, result.output
    assert f"would write {built / 'graph.ttl'} (replaces an existing file)" in result.output
