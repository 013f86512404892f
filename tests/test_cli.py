from __future__ import annotations

import csv
import io
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from kg.cli import cli, main
from kg.sources import read_daily_papers

PROCESSBENCH_QUERY = """
SELECT ?title WHERE {
  ?paper kg:evaluatedOn ?dataset ; dcterms:title ?title .
  ?dataset skos:prefLabel "ProcessBench" .
}
"""


@pytest.fixture()
def small_input(tmp_path: Path) -> Path:
    path = tmp_path / "papers.jsonl"
    records = [
        {"id": "p1", "title": "Tango: A Verifier", "abstract": "We propose Tango, a novel framework. "
         "The verifier leads on the ProcessBench dataset. Code: https://github.com/kaiwenzha/rl-tango."},
        {"id": "p2", "title": "Only a title"},
    ]
    path.write_text("".join(json.dumps(record) + "\n" for record in records), encoding="utf-8")
    return path


def test_build_writes_four_outputs(tmp_path: Path, small_input: Path) -> None:
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["build", str(small_input), "--out", str(out)])
    assert result.exit_code == 0, result.output
    for name in ("extractions.jsonl", "graph.graphml", "graph.ttl", "graph.html"):
        assert (out / name).stat().st_size > 0
    assert "papers      2 (1 without abstract)" in result.output
    assert "triples" in result.output
    assert not [path for path in out.iterdir() if path.name.startswith(".")]


def test_build_refuses_overwrite_without_force(tmp_path: Path, small_input: Path) -> None:
    out = tmp_path / "out"
    runner = CliRunner()
    assert runner.invoke(cli, ["build", str(small_input), "--out", str(out)]).exit_code == 0
    again = runner.invoke(cli, ["build", str(small_input), "--out", str(out)])
    assert again.exit_code == 2
    assert "--force" in again.output
    forced = runner.invoke(cli, ["build", str(small_input), "--out", str(out), "--force"])
    assert forced.exit_code == 0, forced.output


def test_build_missing_input_is_usage_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["build", str(tmp_path / "missing.txt"), "--out", str(tmp_path / "o")])
    assert result.exit_code == 2
    assert "missing.txt: file not found" in result.output


def test_build_invalid_record_names_file_and_record(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"title": "ok"}\n{"abstract": "no title"}\n', encoding="utf-8")
    status = main(["build", str(bad), "--out", str(tmp_path / "out")])
    assert status == 1
    error = capsys.readouterr().err.strip()
    assert error == f"Error: {bad}, record 2: missing required field 'title' (fields present: abstract)"


def test_build_failure_keeps_previous_outputs(tmp_path: Path, small_input: Path) -> None:
    out = tmp_path / "out"
    assert main(["build", str(small_input), "--out", str(out)]) == 0
    before = {path.name: path.read_bytes() for path in out.iterdir()}
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"title": "ok"}\n{broken\n', encoding="utf-8")
    assert main(["build", str(bad), "--out", str(out), "--force"]) == 1
    after = {path.name: path.read_bytes() for path in out.iterdir()}
    assert after == before


def test_build_skip_invalid_reports_count(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"title": "ok"}\n{broken\n{"title": "fine too"}\n', encoding="utf-8")
    result = CliRunner().invoke(cli, ["build", str(bad), "--out", str(tmp_path / "out"), "--skip-invalid"])
    assert result.exit_code == 0, result.output
    assert "skipped     1 invalid records" in result.output
    assert "papers      2" in result.output


def test_build_repeated_paper_skipped(tmp_path: Path) -> None:
    page = tmp_path / "page.txt"
    page.write_text("Sep 11\n\nSame Title\n\nSame abstract here.\n\nSame Title\n\nSame abstract here.\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["build", str(page), "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert "duplicates  1 repeated papers skipped" in result.output


def test_build_conflicting_ids_rejected(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "papers.jsonl"
    path.write_text('{"id": "x", "title": "One"}\n{"id": "x", "title": "Two"}\n', encoding="utf-8")
    assert main(["build", str(path), "--out", str(tmp_path / "out")]) == 1
    assert "record 2: paper id 'x' is already used by record 1" in capsys.readouterr().err


def test_build_unknown_model_is_clear(tmp_path: Path, small_input: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["build", str(small_input), "--out", str(tmp_path / "out"), "--model", "no_such_pipeline"]) == 2
    assert "Cannot load the spaCy pipeline 'no_such_pipeline'" in capsys.readouterr().err


@pytest.fixture()
def built(tmp_path: Path, small_input: Path) -> Path:
    out = tmp_path / "out"
    assert main(["build", str(small_input), "--out", str(out)]) == 0
    return out


def test_query_table(built: Path) -> None:
    result = CliRunner().invoke(cli, ["query", str(built), PROCESSBENCH_QUERY])
    assert result.exit_code == 0, result.output
    assert "Tango: A Verifier" in result.output


def test_query_csv_from_file(built: Path, tmp_path: Path) -> None:
    query_file = tmp_path / "q.rq"
    query_file.write_text(PROCESSBENCH_QUERY, encoding="utf-8")
    result = CliRunner().invoke(cli, ["query", str(built / "graph.ttl"), "--query-file", str(query_file), "--format", "csv"])
    assert result.exit_code == 0, result.output
    rows = list(csv.reader(io.StringIO(result.output)))
    assert rows == [["title"], ["Tango: A Verifier"]]


def test_query_json(built: Path) -> None:
    result = CliRunner().invoke(cli, ["query", str(built), PROCESSBENCH_QUERY, "--format", "json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == [{"title": "Tango: A Verifier"}]


def test_query_needs_exactly_one_query(built: Path, tmp_path: Path) -> None:
    neither = CliRunner().invoke(cli, ["query", str(built)])
    assert neither.exit_code == 2
    query_file = tmp_path / "q.rq"
    query_file.write_text("ASK {}", encoding="utf-8")
    both = CliRunner().invoke(cli, ["query", str(built), "ASK {}", "--query-file", str(query_file)])
    assert both.exit_code == 2


def test_query_syntax_error_exit_1(built: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["query", str(built), "SELEC nothing"]) == 1
    assert capsys.readouterr().err.startswith("Error: ")


def test_version_option() -> None:
    result = CliRunner().invoke(cli, ["--version"])
    assert result.exit_code == 0
    assert result.output.startswith("kg, version ")


def test_build_view_max_nodes_cuts_page(tmp_path: Path, small_input: Path) -> None:
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["build", str(small_input), "--out", str(out), "--view-max-nodes", "2"])
    assert result.exit_code == 0, result.output
    page = (out / "graph.html").read_text(encoding="utf-8")
    assert "(top 2 of " in page
    graphml = (out / "graph.graphml").read_text(encoding="utf-8")
    assert graphml.count("<node ") > 2


def test_build_empty_input_rejected(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    page = tmp_path / "empty.txt"
    page.write_text("Daily Papers\n\nSep 11\n", encoding="utf-8")
    out = tmp_path / "out"
    assert main(["build", str(page), "--out", str(out)]) == 1
    assert f"Error: {page}: found no papers; expected page text" in capsys.readouterr().err
    assert not out.exists()


def test_build_bad_base_iri_before_extraction(tmp_path: Path, small_input: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    assert main(["build", str(small_input), "--out", str(out), "--base-iri", "not an iri"]) == 2
    assert "Invalid base IRI 'not an iri'" in capsys.readouterr().err
    assert not out.exists()


def test_query_file_not_utf8(built: Path, tmp_path: Path) -> None:
    query_file = tmp_path / "q.rq"
    query_file.write_bytes("SELECT * WHERE { ?s ?p \"caf\xe9\" }".encode("latin-1"))
    result = CliRunner().invoke(cli, ["query", str(built), "--query-file", str(query_file)])
    assert result.exit_code == 2
    assert "not valid UTF-8" in result.output


def test_query_missing_query_message(built: Path) -> None:
    result = CliRunner().invoke(cli, ["query", str(built)])
    assert result.exit_code == 2
    assert "missing query" in result.output


# Seconds to wait for the staging folder, and then for the build to exit, on a busy machine.
SIGTERM_TIMEOUT = 120


@pytest.mark.parametrize("processes", ["1", "2"])
def test_build_sigterm_cleans_staging(tmp_path: Path, example_page: Path, processes: str) -> None:
    corpus = tmp_path / "big.jsonl"
    abstract = " ".join(paper.abstract for paper in read_daily_papers(example_page))
    with corpus.open("w", encoding="utf-8") as handle:
        for index in range(4000):
            handle.write(json.dumps({"id": f"p{index}", "title": f"Paper {index}", "abstract": abstract[:1500]}) + "\n")
    out = tmp_path / "out"
    out.mkdir()
    (out / "graph.ttl").write_text("previous", encoding="utf-8")
    # Output goes to files, not pipes: a forked worker that outlives the build
    # would keep a pipe open, and a read from it would wait for that worker.
    # The build gets its own process group, so a timeout can kill its workers too.
    stderr_path = tmp_path / "stderr.txt"
    with (tmp_path / "stdout.txt").open("wb") as stdout, stderr_path.open("wb") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-m", "kg.cli", "build", str(corpus), "--out", str(out), "--force", "--processes", processes],
            stdout=stdout, stderr=stderr, start_new_session=True,
        )
    try:
        deadline = time.monotonic() + SIGTERM_TIMEOUT
        while not [path for path in out.iterdir() if path.name.startswith(".kg-build-")]:
            assert process.poll() is None, stderr_path.read_text(encoding="utf-8", errors="replace")
            assert time.monotonic() < deadline, "the build never created its staging folder"
            time.sleep(0.05)
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=SIGTERM_TIMEOUT)
        except subprocess.TimeoutExpired:
            pytest.fail(f"the build did not exit within {SIGTERM_TIMEOUT} s of SIGTERM")
    finally:
        _kill_process_group(process)
    error = stderr_path.read_bytes()

    assert process.returncode == 130, error
    names = sorted(path.name for path in out.iterdir())
    assert not [name for name in names if name.startswith(".")]
    if names == ["graph.ttl"]:
        assert (out / "graph.ttl").read_text(encoding="utf-8") == "previous"
    else:
        # The signal landed while workers were forked, where Python ignores
        # the exception: the build then finishes all five outputs.
        assert names == ["build-state.json", "extractions.jsonl", "graph.graphml", "graph.html", "graph.ttl", "void.ttl"]
        assert b"Aborted after the build had finished" in error


def _kill_process_group(process: subprocess.Popen[bytes]) -> None:
    """Kill every process left in the group that `process` leads, and reap `process`."""
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass  # the build and all its workers have exited
    process.wait(timeout=SIGTERM_TIMEOUT)


def test_build_overlong_abstract(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "papers.jsonl"
    huge = "word " * 210_000
    path.write_text(json.dumps({"title": "ok"}) + "\n" + json.dumps({"id": "big", "title": "Huge", "abstract": huge}) + "\n", encoding="utf-8")
    assert main(["build", str(path), "--out", str(tmp_path / "out")]) == 1
    assert "record 2: the abstract of paper 'big' has 1,049,999 characters, more than the limit of 100,000" in capsys.readouterr().err
    assert main(["build", str(path), "--out", str(tmp_path / "out"), "--skip-invalid"]) == 0
    assert "skipped     1 invalid records" in capsys.readouterr().out


def test_build_processes_bad_record_stops(tmp_path: Path, example_page: Path) -> None:
    papers = list(read_daily_papers(example_page))
    path = tmp_path / "papers.jsonl"
    with path.open("w", encoding="utf-8") as handle:
        for index in range(1500):
            paper = papers[index % len(papers)]
            record = {"title": 5} if index == 1000 else {"id": f"p{index}", "title": f"{paper.title} {index}", "abstract": paper.abstract}
            handle.write(json.dumps(record) + "\n")
    completed = subprocess.run(
        [sys.executable, "-m", "kg.cli", "build", str(path), "--out", str(tmp_path / "out"), "--processes", "2"],
        capture_output=True, text=True, timeout=300,
    )
    assert completed.returncode == 1
    assert completed.stderr.strip() == f"Error: {path}, record 1001: field 'title' must be a string, got number"
    assert not (tmp_path / "out").exists()


def test_build_output_folder_not_writable(tmp_path: Path, small_input: Path, capsys: pytest.CaptureFixture[str]) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x", encoding="utf-8")
    assert main(["build", str(small_input), "--out", str(blocker / "out")]) == 1
    error = capsys.readouterr().err
    assert error.startswith("Error: ")
    assert "Traceback" not in error


def test_build_target_folder_keeps_outputs(tmp_path: Path, small_input: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    assert main(["build", str(small_input), "--out", str(out)]) == 0
    (out / "graph.ttl").unlink()
    (out / "graph.ttl").mkdir()
    before = (out / "extractions.jsonl").read_bytes()
    (out / "extractions.jsonl").write_bytes(b"old")
    assert main(["build", str(small_input), "--out", str(out), "--force"]) == 1
    assert "graph.ttl is a folder" in capsys.readouterr().err
    assert (out / "extractions.jsonl").read_bytes() == b"old"
    assert before != b"old"


def test_build_folder_without_text_files(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["build", str(tmp_path), "--out", str(tmp_path / "out")])
    assert result.exit_code == 1
    assert "no .txt files" in str(result.exception)


def test_build_folder_with_other_format(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["build", str(tmp_path), "--format", "jsonl", "--out", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert "is a folder" in result.output
