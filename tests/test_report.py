"""kg analyze: the report on the example build and on hand-built graphs."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest

from analytics_samples import small_graph
from kg.analytics import analyze
from kg.build import build
from kg.cli import main
from kg.exports import write_network
from kg.graph import read_graphml
from kg.report import write_report


@pytest.fixture(scope="module")
def example_report(tmp_path_factory: pytest.TempPathFactory, example_page: Path) -> Path:
    out = tmp_path_factory.mktemp("example")
    build([example_page], out)
    assert main(["analyze", str(out)]) == 0
    return out / "report"


def _section(markdown: str, title: str) -> str:
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", markdown, re.S | re.M)
    assert match, f"section {title!r} missing"
    return match.group(1)


def test_example_report_files(example_report: Path) -> None:
    for name in ("report.md", "report.html", "plots/degree_distribution.png", "tables/communities.csv"):
        assert (example_report / name).stat().st_size > 0


@pytest.mark.parametrize("benchmark", ["RewardBench", "ProcessBench", "MiniHack"])
def test_example_report_names_benchmark(example_report: Path, benchmark: str) -> None:
    markdown = (example_report / "report.md").read_text(encoding="utf-8")
    evaluated = _section(markdown, "Datasets and benchmarks that papers evaluate on")
    assert f"| {benchmark} | dataset |" in evaluated


def test_example_report_names_community(example_report: Path) -> None:
    markdown = (example_report / "report.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| 1 \| (\d+) \| (.+) \|$", _section(markdown, "Communities"), re.M)
    assert rows, "no community 1 row"
    size, members = rows[0]
    assert int(size) >= 2
    assert "reinforcement learning" in members.split(", ")


def test_example_report_lists_families(example_report: Path) -> None:
    markdown = (example_report / "report.md").read_text(encoding="utf-8")
    assert re.search(r"^\| Qwen2\.5 \| \d+ \| .*Qwen2\.5-3B", _section(markdown, "Model families"), re.M)


def test_example_report_lists_results(example_report: Path) -> None:
    markdown = (example_report / "report.md").read_text(encoding="utf-8")
    assert "| RewardBench | 94.1 on RewardBench | Llama-3.1-70B-Instruct |" in _section(markdown, "Results reported on benchmarks")


def test_example_report_says_no_dates(example_report: Path) -> None:
    markdown = (example_report / "report.md").read_text(encoding="utf-8")
    assert "None of the 71 papers has a date" in _section(markdown, "Counts over time")
    assert not (example_report / "plots" / "timeline.png").exists()


def test_example_html_embeds_plots(example_report: Path) -> None:
    page = (example_report / "report.html").read_text(encoding="utf-8")
    assert page.count('src="data:image/png;base64,') == 3
    assert not re.search(r"""(src|href)=["']?(https?:|plots/)""", page)


def test_example_csv_complete(example_report: Path) -> None:
    with (example_report / "tables" / "top_datasets.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    graph = read_graphml(example_report.parent / "graph.graphml")
    datasets = [node for node, data in graph.nodes(data=True) if data["type"] == "dataset" and data["papers"]]
    assert len(rows) == len(datasets)


def test_example_csv_ranked(example_report: Path) -> None:
    with (example_report / "tables" / "top_datasets.csv").open(encoding="utf-8", newline="") as handle:
        scores = [int(row["score"]) for row in csv.DictReader(handle)]
    assert scores == sorted(scores, reverse=True)


def test_report_escapes_html(tmp_path: Path) -> None:
    write_report(analyze(small_graph()), tmp_path, title="<b>kg</b>")
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "<script>" not in page
    assert "Vision &lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<title>&lt;b&gt;kg&lt;/b&gt;</title>" in page


def test_report_escapes_markdown(tmp_path: Path) -> None:
    graph = small_graph()
    graph.nodes["paper:p1"]["title"] = "A | B\nC"
    write_report(analyze(graph), tmp_path)
    markdown = (tmp_path / "report.md").read_text(encoding="utf-8")
    assert "| A \\| B C |" in markdown
    assert "<script>" not in markdown


def test_report_markdown_renders_no_markup(tmp_path: Path) -> None:
    markdown_it = pytest.importorskip("markdown_it")
    graph = small_graph()
    graph.nodes["paper:p1"]["title"] = "*Q** and A* _snake_ ~~old~~ [x](http://127.0.0.1/) ![p](http://127.0.0.1/p.png)"
    write_report(analyze(graph), tmp_path)
    markdown = (tmp_path / "report.md").read_text(encoding="utf-8")
    rendered = markdown_it.MarkdownIt("commonmark").enable(["table", "strikethrough"]).render(markdown)
    row = next(line for line in rendered.splitlines() if "snake" in line)
    assert row == "<td>*Q** and A* _snake_ ~~old~~ [x](http://127.0.0.1/) ![p](http://127.0.0.1/p.png)</td>"


def test_report_csv_guards_formulas(tmp_path: Path) -> None:
    graph = small_graph()
    graph.nodes["paper:p1"]["title"] = '=HYPERLINK("http://127.0.0.1/","x")'
    graph.nodes["entity:math"]["name"] = "@SUM(1+1)"
    graph.nodes["entity:gsm8k"]["name"] = "-2+3"
    write_report(analyze(graph), tmp_path)
    with (tmp_path / "tables" / "top_papers.csv").open(encoding="utf-8", newline="") as handle:
        titles = [row["title"] for row in csv.DictReader(handle)]
    with (tmp_path / "tables" / "top_datasets.csv").open(encoding="utf-8", newline="") as handle:
        names = [row["name"] for row in csv.DictReader(handle)]
    assert """'=HYPERLINK("http://127.0.0.1/","x")""" in titles
    assert "'@SUM(1+1)" in names
    assert "'-2+3" in names


def test_report_code_table_cut_to_top(tmp_path: Path) -> None:
    write_report(analyze(small_graph(), top=1), tmp_path)
    markdown = (tmp_path / "report.md").read_text(encoding="utf-8")
    section = _section(markdown, "Proposed methods and models with and without code")
    assert "| Dr. GRPO | method | none |" in section
    assert "Tango" not in section.split("|---|---|---|")[1]
    with (tmp_path / "tables" / "code_availability.csv").open(encoding="utf-8", newline="") as handle:
        assert len(list(csv.DictReader(handle))) == 2


def test_report_timeline_plot(tmp_path: Path) -> None:
    write_report(analyze(small_graph()), tmp_path)
    markdown = (tmp_path / "report.md").read_text(encoding="utf-8")
    assert "![Counts over time](plots/timeline.png)" in markdown
    assert "| period | group relative policy optimization | GSM8K | MATH |" in markdown
    assert "| 2025-09-01 | 1 | 1 | 1 |" in markdown


def test_report_timeline_rows_are_periods(tmp_path: Path) -> None:
    graph = small_graph()
    graph.nodes["paper:p1"]["date"] = "2025-01-15"
    graph.nodes["paper:p2"]["date"] = "2025-12-10"
    write_report(analyze(graph), tmp_path)
    section = _section((tmp_path / "report.md").read_text(encoding="utf-8"), "Counts over time")
    header = next(line for line in section.splitlines() if line.startswith("| period |"))
    assert header.count("|") == 10
    assert "| 2025-06 | 0 | 0 | 0 |" in section


def test_report_one_date(tmp_path: Path) -> None:
    graph = small_graph()
    for node in ("paper:p1", "paper:p2", "paper:p3", "paper:p4"):
        graph.nodes[node]["date"] = "2025-09-11"
    write_report(analyze(graph), tmp_path)
    markdown = (tmp_path / "report.md").read_text(encoding="utf-8")
    assert "All 4 dated papers have the same date (2025-09-11)" in markdown


def test_analyze_network_file(tmp_path: Path) -> None:
    path = tmp_path / "graph.gexf"
    write_network(small_graph(), path)
    assert main(["analyze", str(path), "--out", str(tmp_path / "out"), "--top", "2"]) == 0
    markdown = (tmp_path / "out" / "report.md").read_text(encoding="utf-8")
    assert "| 2 | GSM8K | dataset | 2 | entity:gsm8k |" in markdown
    assert "| 3 |" not in _section(markdown, "Top datasets and benchmarks by papers")


def test_analyze_needs_force(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "graph.json"
    write_network(small_graph(), path)
    assert main(["analyze", str(path)]) == 0
    assert main(["analyze", str(path)]) == 2
    assert "pass --force" in capsys.readouterr().err
    assert main(["analyze", str(path), "--force"]) == 0


def test_report_replaces_stale_files(tmp_path: Path) -> None:
    write_report(analyze(small_graph()), tmp_path)
    graph = small_graph()
    for node in ("paper:p1", "paper:p2", "paper:p3"):
        graph.nodes[node]["date"] = ""
    (tmp_path / "plots" / "notes.txt").write_text("mine", encoding="utf-8")
    write_report(analyze(graph), tmp_path)
    assert not (tmp_path / "plots" / "timeline.png").exists()
    assert (tmp_path / "plots" / "notes.txt").exists()


def test_analyze_missing_graph(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["analyze", str(tmp_path / "absent")]) == 2
    assert "not found" in capsys.readouterr().err


def test_analyze_invalid_graph(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "graph.graphml"
    path.write_text("<graphml>", encoding="utf-8")
    assert main(["analyze", str(path)]) == 1
    assert "graph.graphml" in capsys.readouterr().err


def test_analyze_rejects_undirected(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import kg

    path = tmp_path / "projection.json"
    write_network(kg.cooccurrence(small_graph()), path)
    assert main(["analyze", str(path)]) == 1
    assert "undirected graph" in capsys.readouterr().err
