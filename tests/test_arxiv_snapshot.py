from __future__ import annotations

import gzip
import json
import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from kg.errors import InputError
from kg.model import Paper
from kg.readers.arxiv_snapshot import normalize_arxiv_id, read_arxiv_snapshot
from kg.sources import ReadStats, detect_format, read_papers

SNAPSHOT = Path(__file__).parent / "data" / "arxiv-snapshot.json"


@pytest.fixture(scope="module")
def papers() -> dict[str, Paper]:
    return {paper.id: paper for paper in read_arxiv_snapshot(SNAPSHOT)}


def _write_lines(path: Path, lines: list[str]) -> Path:
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def _record(**fields: object) -> str:
    record = {"id": "2401.00001", "title": "T", "abstract": "A.", "categories": "cs.LG", "versions": []}
    record.update(fields)
    return json.dumps(record)


def test_snapshot_reads_every_record(papers: dict[str, Paper]) -> None:
    lines = [line for line in SNAPSHOT.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert len(papers) == len(lines) == 14


def test_snapshot_record_is_line_number() -> None:
    first = next(read_arxiv_snapshot(SNAPSHOT))
    assert first.record == 1
    assert [paper.record for paper in read_arxiv_snapshot(SNAPSHOT)] == list(range(1, 15))


def test_snapshot_old_style_ids_kept(papers: dict[str, Paper]) -> None:
    assert "cs/0112017" in papers
    assert "math.GT/0309136" in papers
    assert papers["hep-th/9901001"].url == "https://arxiv.org/abs/hep-th/9901001"


def test_snapshot_sets_arxiv_id_and_url(papers: dict[str, Paper]) -> None:
    paper = papers["2409.01234"]
    assert paper.arxiv_id == "2409.01234"
    assert paper.url == "https://arxiv.org/abs/2409.01234"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2409.01234", "2409.01234"),
        ("arXiv:2409.01234v3", "2409.01234"),
        ("0704.0001", "0704.0001"),
        ("cs/0112017v2", "cs/0112017"),
        ("math.GT/0309136", "math.GT/0309136"),
        ("2409.1", None),
        ("cs/011", None),
        ("p1", None),
    ],
)
def test_normalize_arxiv_id(text: str, expected: str | None) -> None:
    assert normalize_arxiv_id(text) == expected


def test_snapshot_whitespace_normalised(papers: dict[str, Paper]) -> None:
    paper = papers["2409.01234"]
    assert paper.title == "Sparse Mixture-of-Experts Adapters for Parameter-Efficient Fine-Tuning of Large Language Models"
    assert "\n" not in paper.abstract
    assert "  " not in paper.abstract
    assert paper.abstract.startswith("We propose MoEA")
    assert paper.abstract.endswith("https://github.com/example-lab/moea.")


def test_snapshot_authors_first_last_suffix(papers: dict[str, Paper]) -> None:
    assert papers["cs/0112017"].authors == ("Claire Moreau", "John Smith Jr")


def test_snapshot_authors_collaboration(papers: dict[str, Paper]) -> None:
    assert papers["hep-th/9901001"].authors == ("ATLAS Collaboration", "Klaus Weber")


def test_snapshot_authors_string_fallback(papers: dict[str, Paper]) -> None:
    assert papers["2403.05530"].authors == ("Sofia Rossi", "Daniel Kim", "Amara Nwosu")


def test_snapshot_date_is_first_version(papers: dict[str, Paper]) -> None:
    # v1 was created on 2 September 2024, v2 on 15 October; update_date is 16 October.
    assert papers["2409.01234"].date == "2024-09-02"
    # The update_date of this record is 2007-05-23.
    assert papers["cs/0112017"].date == "2001-12-18"


def test_snapshot_date_in_utc(papers: dict[str, Paper]) -> None:
    # "Wed, 1 May 2024 23:30:00 -0700" is 2 May in UTC.
    assert papers["2405.00007"].date == "2024-05-02"


def test_snapshot_date_without_versions(papers: dict[str, Paper]) -> None:
    assert papers["2312.00752"].date == "2023-12-05"


def test_snapshot_doi_cleaned(papers: dict[str, Paper]) -> None:
    assert papers["0704.0042"].doi == "10.1007/s10994-007-0001-1"
    assert papers["hep-th/9901001"].doi == "10.1016/S0550-3213(99)00001-2"
    assert papers["1512.03385"].doi is None


def test_snapshot_categories_in_order(papers: dict[str, Paper]) -> None:
    assert papers["2106.09685"].categories == ("cs.CL", "cs.AI", "cs.LG")


def test_snapshot_title_only_counted() -> None:
    stats = ReadStats()
    papers = list(read_arxiv_snapshot(SNAPSHOT, stats=stats))
    assert stats.records == 14
    assert stats.title_only == 1
    assert [paper.id for paper in papers if not paper.has_abstract] == ["2410.11111"]


def test_snapshot_gzip_reads_same(tmp_path: Path) -> None:
    zipped = tmp_path / "arxiv-metadata-oai-snapshot.json.gz"
    with SNAPSHOT.open("rb") as source, gzip.open(zipped, "wb") as target:
        shutil.copyfileobj(source, target)
    expected = [replace(paper, source=str(zipped)) for paper in read_arxiv_snapshot(SNAPSHOT)]
    assert list(read_papers(zipped)) == expected


@pytest.mark.parametrize("name", ["arxiv-metadata-oai-snapshot.json", "snapshot.jsonl", "snapshot.jsonl.gz"])
def test_detect_snapshot_by_content(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    data = b"\n" + SNAPSHOT.read_bytes()
    path.write_bytes(gzip.compress(data) if name.endswith(".gz") else data)
    assert detect_format(path) == "arxiv-snapshot"


def test_detect_plain_jsonl_unchanged(tmp_path: Path) -> None:
    path = _write_lines(tmp_path / "papers.jsonl", [json.dumps({"id": "p1", "title": "T", "date": "2024-01-01"})])
    assert detect_format(path) == "jsonl"


def test_detect_unreadable_json_is_jsonl(tmp_path: Path) -> None:
    path = _write_lines(tmp_path / "papers.jsonl", ["{not json"])
    assert detect_format(path) == "jsonl"


def test_forced_format_reads_snapshot(tmp_path: Path) -> None:
    path = tmp_path / "renamed.txt"
    shutil.copy(SNAPSHOT, path)
    assert len(list(read_papers(path, input_format="arxiv-snapshot"))) == 14


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ("{not json", "invalid JSON"),
        ("[1, 2]", "expected a JSON object, got array"),
        (_record(id=20240001), "field 'id' must be an arXiv id string"),
        (_record(id="paper-1"), "field 'id' is not an arXiv id: 'paper-1'"),
        (_record(title="  "), "field 'title' is missing or empty"),
        (_record(categories=["cs.LG"]), "field 'categories' must be a string, got array"),
        (_record(versions=[{"version": "v1", "created": "yesterday"}]), "invalid 'created' date 'yesterday'"),
        (_record(versions="v1"), "field 'versions' must be a list of objects"),
        (_record(update_date="05/01/2024"), "field 'update_date' must be a date YYYY-MM-DD"),
        (_record(authors_parsed=[["Smith", 3]]), "field 'authors_parsed' must be a list"),
    ],
)
def test_snapshot_invalid_line_names_line(tmp_path: Path, line: str, problem: str) -> None:
    path = _write_lines(tmp_path / "snapshot.json", [_record(id="2401.00002"), "", line])
    with pytest.raises(InputError) as caught:
        list(read_arxiv_snapshot(path))
    assert caught.value.record == 3
    assert caught.value.path == str(path)
    assert problem in caught.value.problem


def test_snapshot_skip_invalid_counts(tmp_path: Path) -> None:
    path = _write_lines(tmp_path / "snapshot.json", [_record(id="2401.00002"), "{broken", _record(id="x"), _record()])
    stats = ReadStats()
    papers = list(read_arxiv_snapshot(path, skip_invalid=True, stats=stats))
    assert [paper.id for paper in papers] == ["2401.00002", "2401.00001"]
    assert stats.skipped_invalid == 2


def test_snapshot_streams_before_bad_line(tmp_path: Path) -> None:
    path = _write_lines(tmp_path / "snapshot.json", [_record(), "{broken"])
    stream = read_arxiv_snapshot(path)
    assert next(stream).id == "2401.00001"
    with pytest.raises(InputError):
        next(stream)


def test_snapshot_invalid_doi_dropped(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = _write_lines(tmp_path / "snapshot.json", [_record(doi="not-a-doi")])
    assert next(read_arxiv_snapshot(path)).doi is None
    assert "not a DOI" in caplog.text
