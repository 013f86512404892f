from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from kg.build import build
from kg.cli import cli
from kg.errors import ConfigError, KgError
from kg.filters import FilterStats, PaperFilter, filter_papers, matches_categories, paper_day, parse_category, parse_since
from kg.model import Paper

SNAPSHOT = Path(__file__).parent / "data" / "arxiv-snapshot.json"


def _built_ids(out: Path) -> list[str]:
    lines = (out / "extractions.jsonl").read_text(encoding="utf-8").splitlines()
    return sorted(json.loads(line)["id"] for line in lines)


@pytest.mark.parametrize(
    ("categories", "requested", "expected"),
    [
        (["cs.LG"], ["cs.lg"], True),
        (["stat.ML", "cs.LG"], ["cs.lg"], True),
        (["cs.CL"], ["cs.lg"], False),
        (["cs.CL"], ["cs"], True),
        (["math.GT"], ["math"], True),
        (["math-ph"], ["math"], False),
        (["hep-th"], ["hep-th"], True),
        (["hep-th"], ["hep"], False),
        (["physics.atom-ph"], ["physics.atom-ph"], True),
        ([], ["cs"], False),
        (["cs.CV"], ["stat.ml", "cs.cv"], True),
    ],
)
def test_matches_categories(categories: list[str], requested: list[str], expected: bool) -> None:
    assert matches_categories(categories, requested) is expected


@pytest.mark.parametrize("text", ["", "cs LG", "cs.LG.x", "cs/LG", "1cs", "cs."])
def test_parse_category_rejects(text: str) -> None:
    with pytest.raises(ConfigError, match="Invalid category"):
        parse_category(text)


@pytest.mark.parametrize("text", ["2024-02-30", "2024/01/01", "2024-1-5", "20240105", "yesterday", "2024-01-01T00:00"])
def test_parse_since_rejects(text: str) -> None:
    with pytest.raises(ConfigError, match="expected a day YYYY-MM-DD"):
        parse_since(text)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2024-05-01", date(2024, 5, 1)),
        ("2024-05-01T23:59:00Z", date(2024, 5, 1)),
        ("2024-02-30", None),
        ("May 1, 2024", None),
        ("2024", None),
        (None, None),
    ],
)
def test_paper_day(value: str | None, expected: date | None) -> None:
    assert paper_day(Paper(id="p", title="T", date=value)) == expected


def test_filter_counts_papers_it_cannot_judge(caplog: pytest.LogCaptureFixture) -> None:
    papers = [
        Paper(id="a", title="A", categories=("cs.LG",), date="2024-03-01"),
        Paper(id="b", title="B", categories=("cs.LG",), date="2023-12-31"),
        Paper(id="c", title="C", categories=("cs.LG",)),
        Paper(id="d", title="D", date="2024-03-01"),
        Paper(id="e", title="E", categories=("math.GT",), date="2024-03-01"),
    ]
    stats = FilterStats()
    paper_filter = PaperFilter.create(categories=["cs"], since="2024-01-01")
    kept = [paper.id for paper in filter_papers(papers, paper_filter, stats)]
    assert kept == ["a"]
    assert stats.outside_categories == 2
    assert stats.without_categories == 1
    assert stats.before_since == 2
    assert stats.without_date == 1
    assert stats.excluded == 4
    assert "1 papers have no categories" in caplog.text
    assert "1 papers have no date" in caplog.text


def test_filter_describe() -> None:
    paper_filter = PaperFilter.create(categories=["cs.LG", "cs.lg", "stat"], since="2024-01-01")
    assert paper_filter.describe() == "--category cs.lg --category stat --since 2024-01-01"


def test_build_category_and_since(tmp_path: Path) -> None:
    out = tmp_path / "out"
    _, summary = build([SNAPSHOT], out, categories=["cs.LG", "stat"], since="2020-01-01")
    assert _built_ids(out) == ["2001.08361", "2106.09685", "2312.00752", "2409.01234"]
    assert summary.filtered.outside_categories == 9
    assert summary.filtered.before_since == 1
    assert summary.papers == 4


def test_build_archive_category(tmp_path: Path) -> None:
    out = tmp_path / "out"
    build([SNAPSHOT], out, categories=["math"])
    assert _built_ids(out) == ["math.GT/0309136"]


def test_build_invalid_since_rejected(tmp_path: Path) -> None:
    with pytest.raises(ConfigError):
        build([SNAPSHOT], tmp_path / "out", since="2024-13-01")
    assert not (tmp_path / "out").exists()


def test_build_filters_jsonl_input(tmp_path: Path) -> None:
    path = tmp_path / "papers.jsonl"
    records = [{"id": "p1", "title": "Old", "date": "2019-05-01"}, {"id": "p2", "title": "New", "date": "2024-05-01"}]
    path.write_text("".join(json.dumps(record) + "\n" for record in records), encoding="utf-8")
    build([path], tmp_path / "out", since="2020-01-01")
    assert _built_ids(tmp_path / "out") == ["p2"]


def test_build_all_filtered_is_error(tmp_path: Path) -> None:
    path = tmp_path / "papers.jsonl"
    path.write_text(json.dumps({"id": "p1", "title": "No categories"}) + "\n", encoding="utf-8")
    with pytest.raises(KgError, match="no paper of .* passed --category cs.lg: 1 papers were excluded"):
        build([path], tmp_path / "out", categories=["cs.LG"])


def test_build_old_style_id_iri(tmp_path: Path) -> None:
    out = tmp_path / "out"
    build([SNAPSHOT], out, categories=["cs.CL"], since="2001-01-01", rdf_formats=["ntriples"])
    triples = (out / "graph.nt").read_text(encoding="utf-8")
    assert "/paper/cs%2F0112017>" in triples


def test_cli_since_invalid_exit_2(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["build", str(SNAPSHOT), "--out", str(tmp_path / "out"), "--since", "2024-02-30"])
    assert result.exit_code == 2
    assert "Invalid date '2024-02-30'" in result.output


def test_cli_category_invalid_exit_2(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["build", str(SNAPSHOT), "--out", str(tmp_path / "out"), "--category", "cs LG"])
    assert result.exit_code == 2
    assert "Invalid category 'cs LG'" in result.output


def test_cli_summary_reports_filtered(tmp_path: Path) -> None:
    arguments = ["build", str(SNAPSHOT), "--out", str(tmp_path / "out"), "--category", "cs.CL", "--since", "2019-01-01"]
    result = CliRunner().invoke(cli, arguments)
    assert result.exit_code == 0, result.output
    assert "filtered    10 papers excluded by --category cs.cl --since 2019-01-01" in result.output
    assert "8 outside the categories (0 without categories)" in result.output
    assert "2 dated before 2019-01-01 (0 without a date)" in result.output


def test_cli_format_arxiv_snapshot(tmp_path: Path) -> None:
    renamed = tmp_path / "snapshot.data"
    renamed.write_bytes(SNAPSHOT.read_bytes())
    result = CliRunner().invoke(cli, ["build", str(renamed), "--out", str(tmp_path / "out"), "--format", "arxiv-snapshot"])
    assert result.exit_code == 0, result.output
    assert "papers      14 (1 without abstract)" in result.output
