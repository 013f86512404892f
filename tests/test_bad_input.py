"""Hostile and broken inputs: each case through the readers and through `kg build`.

Every failing build must exit with status 1, name the file, the record (where
there is one) and the problem, and write no output. With --skip-invalid, the
build completes and lists the record in skipped.jsonl.
"""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path

import pytest

from kg.cli import main
from kg.errors import InputError
from kg.extract import extract
from kg.graph import GraphBuilder
from kg.model import Paper
from kg.nlp import create_pipeline
from kg.rdf import graph_to_rdf
from kg.sources import ReadStats, read_papers

VALID_RECORD = {"id": "ok", "title": "A Valid Paper", "abstract": "We propose a method. It works on GSM8K."}
INVISIBLE = "\u00ad\u200b\u200c\u200d\u2060\ufeff"


def run_build(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """Run `kg build ARGS` in this process; return the exit status, standard output and standard error."""
    status = main(["build", *args])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def write_jsonl(path: Path, records: list[dict[str, object]]) -> Path:
    path.write_text("".join(json.dumps(record) + "\n" for record in records), encoding="utf-8")
    return path


def skipped_report(out: Path) -> list[dict[str, object]]:
    lines = (out / "skipped.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines]


# --- The failing cases, one file each ----------------------------------------


def _empty(tmp_path: Path, suffix: str) -> Path:
    path = tmp_path / f"empty{suffix}"
    path.write_bytes(b"")
    return path


def _nul_bytes(tmp_path: Path, suffix: str) -> Path:
    path = tmp_path / f"binary{suffix}"
    path.write_bytes(b"title\nabc\x00\x00\x01def\n")
    return path


def _gzip_misnamed(tmp_path: Path, suffix: str) -> Path:
    path = tmp_path / f"packed{suffix}"
    path.write_bytes(gzip.compress(json.dumps(VALID_RECORD).encode() + b"\n"))
    return path


def _undecodable_start(tmp_path: Path, suffix: str) -> Path:
    path = tmp_path / f"noise{suffix}"
    path.write_bytes(bytes([0x81, 0x02, 0xFE, 0x03, 0x90, 0x04, 0xC3, 0x05]) * 64)
    return path


def _latin1(tmp_path: Path, suffix: str) -> Path:
    path = tmp_path / f"latin1{suffix}"
    text = {
        ".txt": "Sep 11\n\nCaf\u00e9 Networks\n\nWe propose a method.\n",
        ".jsonl": '{"title": "Caf\u00e9 Networks"}\n',
        ".csv": "title\nCaf\u00e9 Networks\n",
    }[suffix]
    path.write_bytes(text.encode("latin-1"))
    return path


def _utf16(tmp_path: Path, suffix: str) -> Path:
    path = tmp_path / f"wide{suffix}"
    text = {".txt": "Sep 11\n\nA Title\n\nAn abstract.\n", ".jsonl": '{"title": "A Title"}\n', ".csv": "title\nA Title\n"}[suffix]
    path.write_bytes(text.encode("utf-16"))
    return path


def _missing_title(tmp_path: Path, suffix: str) -> Path:
    path = tmp_path / f"untitled{suffix}"
    text = {
        ".txt": "Sep 11\n\n" + "An abstract with no title before it. " * 12 + "\n",
        ".jsonl": json.dumps(VALID_RECORD) + "\n" + '{"id": "x", "abstract": "No title."}\n',
        ".csv": "id,title,abstract\nok,A Valid Paper,Fine.\nx,,No title.\n",
    }[suffix]
    path.write_text(text, encoding="utf-8")
    return path


def _header_only(tmp_path: Path, suffix: str) -> Path:
    path = tmp_path / f"header{suffix}"
    text = {".txt": "Daily Papers\n\nSep 11\n", ".jsonl": "\n\n", ".csv": "id,title,abstract\n"}[suffix]
    path.write_text(text, encoding="utf-8")
    return path


# (case, suffixes, maker, expected problem as a regular expression)
FAILING_CASES = [
    ("empty", (".txt", ".jsonl", ".csv"), _empty, r"is empty \(0 bytes\)"),
    ("no papers", (".txt", ".jsonl", ".csv"), _header_only, "found no papers; expected"),
    ("NUL bytes", (".txt", ".jsonl", ".csv"), _nul_bytes, "is not a text file: it contains a NUL byte at byte 10"),
    ("gzip under another name", (".txt", ".jsonl", ".csv"), _gzip_misnamed, "is not a text file: it starts like gzip"),
    ("undecodable start", (".txt", ".jsonl", ".csv"), _undecodable_start, "is not a text file: its first 512 bytes"),
    ("Latin-1", (".jsonl", ".csv"), _latin1, r"not valid UTF-8 \(invalid continuation byte at byte \d+ of the line"),
    ("UTF-16", (".txt", ".jsonl", ".csv"), _utf16, "is UTF-16 text .* pass --encoding utf-16"),
    ("missing title", (".txt", ".jsonl", ".csv"), _missing_title, "no title|missing required field 'title'|'title' is empty"),
]
PARAMETERS = [
    pytest.param(maker, suffix, problem, id=f"{case}-{suffix[1:]}")
    for case, suffixes, maker, problem in FAILING_CASES
    for suffix in suffixes
]


@pytest.mark.parametrize(("maker", "suffix", "problem"), PARAMETERS)
def test_reader_rejects(tmp_path: Path, maker, suffix: str, problem: str) -> None:
    path = maker(tmp_path, suffix)
    with pytest.raises(InputError) as raised:
        list(read_papers(path))
    assert raised.value.path == str(path)
    assert re.search(problem, raised.value.problem), raised.value.problem


@pytest.mark.parametrize(("maker", "suffix", "problem"), PARAMETERS)
def test_build_rejects_without_output(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], maker, suffix: str, problem: str
) -> None:
    path = maker(tmp_path, suffix)
    out = tmp_path / "out"
    status, _, error = run_build(capsys, str(path), "--out", str(out))
    assert status == 1, error
    assert error.startswith(f"Error: {path}"), error
    assert len(error.strip().splitlines()) == 1, error
    assert re.search(problem, error), error
    assert not out.exists()


def test_latin1_line_and_offset(tmp_path: Path) -> None:
    path = tmp_path / "papers.jsonl"
    path.write_bytes(b'{"title": "fine"}\n' + '{"title": "Caf\u00e9"}\n'.encode("latin-1"))
    with pytest.raises(InputError) as raised:
        list(read_papers(path))
    assert raised.value.record == 2
    assert "at byte 15 of the line, byte 33 of the file" in raised.value.problem
    assert "--encoding cp1252" in raised.value.problem


@pytest.mark.parametrize("suffix", [".txt", ".jsonl", ".csv"])
def test_encoding_option_reads_latin1(tmp_path: Path, suffix: str) -> None:
    path = _latin1(tmp_path, suffix)
    (paper,) = read_papers(path, encoding="latin-1")
    assert paper.title == "Caf\u00e9 Networks"


@pytest.mark.parametrize("suffix", [".txt", ".jsonl", ".csv"])
def test_encoding_option_reads_utf16(tmp_path: Path, suffix: str) -> None:
    path = _utf16(tmp_path, suffix)
    (paper,) = read_papers(path, encoding="utf-16")
    assert paper.title == "A Title"


def test_build_encoding_option(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _latin1(tmp_path, ".csv")
    out = tmp_path / "out"
    status, output, error = run_build(capsys, str(path), "--out", str(out), "--encoding", "cp1252")
    assert status == 0, error
    assert "papers      1" in output
    assert "Caf\u00e9 Networks" in (out / "extractions.jsonl").read_text(encoding="utf-8")


def test_build_unknown_encoding_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_jsonl(tmp_path / "papers.jsonl", [VALID_RECORD])
    status, _, error = run_build(capsys, str(path), "--out", str(tmp_path / "out"), "--encoding", "klingon")
    assert status == 2
    assert "'klingon' is not a known encoding" in error


@pytest.mark.parametrize("suffix", [".txt", ".jsonl", ".csv"])
def test_utf8_bom_removed(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"bom{suffix}"
    text = {".txt": "A Title\n\nAn abstract. It is short.\n", ".jsonl": '{"title": "A Title"}\n', ".csv": "title\nA Title\n"}[suffix]
    path.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    (paper,) = read_papers(path)
    assert paper.title == "A Title"


def test_gzip_name_still_reads(tmp_path: Path) -> None:
    path = tmp_path / "packed.jsonl.gz"
    path.write_bytes(gzip.compress(json.dumps(VALID_RECORD).encode() + b"\n"))
    assert [paper.id for paper in read_papers(path)] == ["ok"]


def test_gzip_truncated(tmp_path: Path) -> None:
    path = tmp_path / "papers.jsonl.gz"
    data = gzip.compress(b"".join(json.dumps({"title": f"Paper {i}"}).encode() + b"\n" for i in range(2000)))
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(InputError, match="looks truncated"):
        list(read_papers(path))


# --- Mojibake ----------------------------------------------------------------


@pytest.mark.parametrize("suffix", [".txt", ".jsonl", ".csv"])
def test_mojibake_repaired_and_counted(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"mojibake{suffix}"
    title = "Caf\u00c3\u00a9 Networks for na\u00c3\u00afve Agents"
    text = {
        ".txt": f"Sep 11\n\n{title}\n\nWe propose a method. It works.\n\nPlain Title\n\nAn abstract here.\n",
        ".jsonl": json.dumps({"title": title}) + "\n" + json.dumps({"title": "Plain Title"}) + "\n",
        ".csv": f"title\n{title}\nPlain Title\n",
    }[suffix]
    path.write_text(text, encoding="utf-8")
    stats = ReadStats()
    papers = list(read_papers(path, stats=stats))
    assert papers[0].title == "Caf\u00e9 Networks for na\u00efve Agents"
    assert stats.repaired == 1


def test_mojibake_logged_per_record(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = write_jsonl(tmp_path / "papers.jsonl", [{"title": "Ok"}, {"id": "m", "title": "R\u00c3\u00a9sum\u00c3\u00a9"}])
    list(read_papers(path))
    assert f"{path}, record 2: repaired mojibake in paper 'm'" in caplog.text


def test_build_summary_counts_mojibake(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_jsonl(tmp_path / "papers.jsonl", [{"title": "R\u00c3\u00a9sum\u00c3\u00a9 Parsing", "abstract": "We parse."}])
    status, output, error = run_build(capsys, str(path), "--out", str(tmp_path / "out"))
    assert status == 0, error
    assert "repaired    1 papers with mojibake" in output


# --- Truncated files ----------------------------------------------------------


def test_jsonl_truncated_last_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "cut.jsonl"
    path.write_text(json.dumps(VALID_RECORD) + '\n{"id": "p2", "title": "Cut Off', encoding="utf-8")
    out = tmp_path / "out"
    status, _, error = run_build(capsys, str(path), "--out", str(out))
    assert status == 1
    assert f"{path}, record 2: invalid JSON" in error
    assert "the file looks truncated" in error
    assert not out.exists()


def test_jsonl_bad_middle_line_not_truncated(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text('{"title": "A"\n{"title": "B"}\n', encoding="utf-8")
    with pytest.raises(InputError) as raised:
        list(read_papers(path))
    assert "truncated" not in raised.value.problem


def test_csv_truncated_quote(tmp_path: Path) -> None:
    path = tmp_path / "cut.csv"
    path.write_text('id,title,abstract\np1,A Title,"An abstract that was cut', encoding="utf-8")
    with pytest.raises(InputError, match="looks truncated"):
        list(read_papers(path))


# --- Missing fields -----------------------------------------------------------


@pytest.mark.parametrize("suffix", [".txt", ".jsonl", ".csv"])
def test_missing_abstract_kept_title_only(tmp_path: Path, suffix: str, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / f"titles{suffix}"
    text = {
        ".txt": "Sep 11\n\nFirst Title Only\n\nSecond Title\n\nIts abstract. It is here.\n",
        ".jsonl": '{"title": "First Title Only"}\n{"title": "Second Title", "abstract": "Its abstract."}\n',
        ".csv": "title,abstract\nFirst Title Only,\nSecond Title,Its abstract.\n",
    }[suffix]
    path.write_text(text, encoding="utf-8")
    stats = ReadStats()
    papers = list(read_papers(path, stats=stats))
    assert [paper.has_abstract for paper in papers] == [False, True]
    assert stats.title_only == 1
    assert f"{path}: 1 of 2 papers have no abstract" in caplog.text


@pytest.mark.parametrize("suffix", [".txt", ".jsonl", ".csv"])
def test_missing_title_skipped_and_reported(tmp_path: Path, capsys: pytest.CaptureFixture[str], suffix: str) -> None:
    path = _missing_title(tmp_path, suffix)
    valid = write_jsonl(tmp_path / "valid.jsonl", [{"id": "v", "title": "Another Valid Paper"}])
    out = tmp_path / "out"
    status, output, error = run_build(capsys, str(path), str(valid), "--out", str(out), "--skip-invalid")
    assert status == 0, error
    assert "skipped     1 invalid records" in output
    (entry,) = skipped_report(out)
    assert entry["file"] == str(path)
    assert entry["record"] in {2, 3}
    assert "title" in str(entry["problem"])
    assert f"wrote       {out / 'skipped.jsonl'}" in output


def test_skip_report_keeps_record_id(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_jsonl(tmp_path / "papers.jsonl", [VALID_RECORD, {"id": "bad-1", "title": 5}])
    out = tmp_path / "out"
    status, _, error = run_build(capsys, str(path), "--out", str(out), "--skip-invalid")
    assert status == 0, error
    assert skipped_report(out) == [
        {"file": str(path), "record": 2, "id": "bad-1", "problem": "field 'title' must be a string, got number"}
    ]


def test_empty_file_skipped_and_reported(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    empty = _empty(tmp_path, ".jsonl")
    valid = write_jsonl(tmp_path / "valid.jsonl", [VALID_RECORD])
    out = tmp_path / "out"
    status, _, error = run_build(capsys, str(empty), str(valid), "--out", str(out), "--skip-invalid")
    assert status == 0, error
    (entry,) = skipped_report(out)
    assert entry == {"file": str(empty), "record": None, "id": None, "problem": entry["problem"]}
    assert str(entry["problem"]).startswith("is empty")


def test_clean_build_removes_old_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_jsonl(tmp_path / "papers.jsonl", [VALID_RECORD, {"title": 5}])
    out = tmp_path / "out"
    assert run_build(capsys, str(path), "--out", str(out), "--skip-invalid")[0] == 0
    assert (out / "skipped.jsonl").exists()
    fixed = write_jsonl(tmp_path / "fixed.jsonl", [VALID_RECORD])
    assert run_build(capsys, str(fixed), "--out", str(out), "--force")[0] == 0
    assert not (out / "skipped.jsonl").exists()


# --- Duplicate ids ------------------------------------------------------------


def test_duplicate_id_conflict_stops(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_jsonl(tmp_path / "papers.jsonl", [VALID_RECORD, {**VALID_RECORD, "abstract": "Something else."}])
    out = tmp_path / "out"
    status, _, error = run_build(capsys, str(path), "--out", str(out))
    assert status == 1
    assert f"Error: {path}, record 2: paper id 'ok' is already used by record 1 of {path}" in error
    assert not out.exists()


def test_duplicate_id_conflict_skipped(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_jsonl(tmp_path / "papers.jsonl", [VALID_RECORD, {**VALID_RECORD, "abstract": "Something else."}])
    out = tmp_path / "out"
    status, output, error = run_build(capsys, str(path), "--out", str(out), "--skip-invalid")
    assert status == 0, error
    assert "papers      1" in output
    (entry,) = skipped_report(out)
    assert (entry["record"], entry["id"]) == (2, "ok")
    assert "already used by record 1" in str(entry["problem"])


# --- Long abstracts -----------------------------------------------------------


FIVE_MB_ABSTRACT = "We study long inputs. " * (5 * 1024 * 1024 // 22)


@pytest.mark.parametrize("suffix", [".txt", ".jsonl", ".csv"])
def test_five_megabyte_abstract_rejected(tmp_path: Path, capsys: pytest.CaptureFixture[str], suffix: str) -> None:
    path = tmp_path / f"long{suffix}"
    text = {
        ".txt": f"Sep 11\n\nA Long Paper\n\n{FIVE_MB_ABSTRACT}\n",
        ".jsonl": json.dumps({"id": "long", "title": "A Long Paper", "abstract": FIVE_MB_ABSTRACT}) + "\n",
        ".csv": f"id,title,abstract\nlong,A Long Paper,{FIVE_MB_ABSTRACT}\n",
    }[suffix]
    path.write_text(text, encoding="utf-8")
    out = tmp_path / "out"
    status, _, error = run_build(capsys, str(path), "--out", str(out))
    assert status == 1
    assert f"{path}, record " in error
    assert "characters, more than the limit of 100,000" in error
    assert "--max-abstract-chars" in error
    assert not out.exists()


def test_long_abstract_skipped(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_jsonl(tmp_path / "papers.jsonl", [VALID_RECORD, {"id": "long", "title": "Long", "abstract": FIVE_MB_ABSTRACT}])
    out = tmp_path / "out"
    status, output, error = run_build(capsys, str(path), "--out", str(out), "--skip-invalid")
    assert status == 0, error
    assert "papers      1" in output
    assert [entry["id"] for entry in skipped_report(out)] == ["long"]


def test_max_abstract_chars_option(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_jsonl(tmp_path / "papers.jsonl", [VALID_RECORD])
    status, _, error = run_build(capsys, str(path), "--out", str(tmp_path / "out"), "--max-abstract-chars", "10")
    assert status == 1
    assert "has 39 characters, more than the limit of 10" in error


# --- Invisible characters -----------------------------------------------------


@pytest.mark.parametrize("suffix", [".txt", ".jsonl", ".csv"])
def test_invisible_characters_removed(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"hidden{suffix}"
    title = f"GR{INVISIBLE}PO\x07 Im\u00adproves Reasoning"
    abstract = "We test it on GSM\u20608K with the Trans\u200bformer. It is fine."
    text = {
        ".txt": f"Sep 11\n\n{title}\n\n{abstract}\n",
        ".jsonl": json.dumps({"title": title, "abstract": abstract}) + "\n",
        ".csv": f'title,abstract\n"{title}","{abstract}"\n',
    }[suffix]
    path.write_text(text, encoding="utf-8")
    (paper,) = read_papers(path)
    assert paper.title == "GRPO Improves Reasoning"
    assert paper.abstract == "We test it on GSM8K with the Transformer. It is fine."


def test_invisible_characters_not_in_entities(tmp_path: Path) -> None:
    path = write_jsonl(
        tmp_path / "papers.jsonl",
        [{
            "id": f"p{INVISIBLE}1",
            "title": f"GR\u200bPO Improves Reasoning",
            "abstract": f"We propose Group Relative Policy Optimi\u00adzation (GR\u200dPO), a Trans\u200bformer "
            f"method, and evaluate it on the GSM\u20608K bench\ufeffmark with accura\u200ccy.",
        }],
    )
    (paper,) = read_papers(path)
    (extraction,) = extract([paper], create_pipeline(None))
    names = {entity.name for entity in extraction.entities}
    assert {"GSM8K", "Transformer", "accuracy"} <= names
    graph = GraphBuilder()
    graph.add(extraction)
    nx_graph = graph.graph()
    iris = {str(term) for triple in graph_to_rdf(nx_graph) for term in triple}
    for text in [*names, *(entity.key for entity in extraction.entities), *nx_graph.nodes, *iris, paper.id]:
        assert not set(text) & set(INVISIBLE), repr(text)


# --- Unknown formats ----------------------------------------------------------


def test_unknown_format_option(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from kg.cli import cli

    path = write_jsonl(tmp_path / "papers.jsonl", [VALID_RECORD])
    result = CliRunner().invoke(cli, ["build", str(path), "--format", "nope", "--out", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert "'nope' is not one of 'page', 'jsonl', 'csv'" in result.output


def test_unknown_extension_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "papers.parquet"
    path.write_bytes(b"PAR1")
    out = tmp_path / "out"
    status, _, error = run_build(capsys, str(path), "--out", str(out))
    assert status == 2
    assert f"{path}: unknown input format" in error
    assert "--format (page, jsonl, csv, " in error
    assert not out.exists()


# --- Previous outputs ---------------------------------------------------------


def test_failed_build_keeps_outputs_identical(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = write_jsonl(tmp_path / "good.jsonl", [VALID_RECORD])
    out = tmp_path / "out"
    assert run_build(capsys, str(good), "--out", str(out))[0] == 0
    before = {path.name: path.read_bytes() for path in out.iterdir()}
    cases = [
        _nul_bytes(tmp_path, ".jsonl"),
        _latin1(tmp_path, ".jsonl"),
        _empty(tmp_path, ".csv"),
        _missing_title(tmp_path, ".jsonl"),
        write_jsonl(tmp_path / "long.jsonl", [{"title": "Long", "abstract": FIVE_MB_ABSTRACT}]),
    ]
    for bad in cases:
        status, _, error = run_build(capsys, str(good), str(bad), "--out", str(out), "--force")
        assert status == 1, (bad, error)
        after = {path.name: path.read_bytes() for path in out.iterdir()}
        assert after == before, bad
