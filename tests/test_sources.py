from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from kg.errors import InputError
from kg.sources import ReadStats, clean_text, detect_format, paper_id, read_csv, read_daily_papers, read_jsonl, read_papers


def _page_titles(path: Path) -> list[str]:
    """Titles of the example page: every paragraph after the date line at an even offset."""
    paragraphs = [block.strip() for block in path.read_text(encoding="utf-8").split("\n\n") if block.strip()]
    start = paragraphs.index("Sep 11") + 1
    return paragraphs[start::2]


def test_page_reader_finds_every_title(example_page: Path) -> None:
    papers = list(read_daily_papers(example_page))
    assert [paper.title for paper in papers] == _page_titles(example_page)
    assert len(papers) == 71


def test_page_reader_attaches_abstracts(example_page: Path) -> None:
    papers = list(read_daily_papers(example_page))
    tango = papers[0]
    assert tango.title == "RL Tango: Reinforcing Generator and Verifier Together for Language Reasoning"
    assert tango.abstract.startswith("Reinforcement learning (RL) has recently emerged")
    assert tango.abstract.endswith("https://github.com/kaiwenzha/rl-tango.")
    assert all(paper.has_abstract for paper in papers)


def test_page_reader_records_title_line(example_page: Path) -> None:
    papers = list(read_daily_papers(example_page))
    lines = example_page.read_text(encoding="utf-8").splitlines()
    for paper in papers:
        assert lines[paper.record - 1].strip() == paper.title


def test_page_ids_stable_and_unique(example_page: Path) -> None:
    first = [paper.id for paper in read_daily_papers(example_page)]
    second = [paper.id for paper in read_daily_papers(example_page)]
    assert first == second
    assert len(set(first)) == len(first)


def test_paper_id_ignores_case_and_spacing() -> None:
    assert paper_id("RL Tango:  Reinforcing") == paper_id("rl tango: reinforcing")
    assert paper_id("RL Tango: Reinforcing") != paper_id("RL Tango: Reinforced")


def test_paper_id_is_ascii_slug() -> None:
    identifier = paper_id('Über "quotes" <script> & ümlauts')
    assert identifier.isascii()
    assert all(character.isalnum() or character == "-" for character in identifier)


def test_page_title_only_papers_kept(tmp_path: Path) -> None:
    page = tmp_path / "page.txt"
    page.write_text(
        "Daily Papers\n\nSep 12\n\n"
        "First Paper: With a Title Only\n\n"
        "Second Paper Has an Abstract\n\n"
        "We study things. We find results that matter.\n\n"
        "Third Paper at the End Without Abstract\n",
        encoding="utf-8",
    )
    stats = ReadStats()
    papers = list(read_daily_papers(page, stats=stats))
    assert [paper.title for paper in papers] == [
        "First Paper: With a Title Only",
        "Second Paper Has an Abstract",
        "Third Paper at the End Without Abstract",
    ]
    assert [paper.has_abstract for paper in papers] == [False, True, False]
    assert stats.title_only == 2


def test_page_cut_abstract_kept(tmp_path: Path) -> None:
    page = tmp_path / "page.txt"
    page.write_text("Sep 12\n\nA Title\n\nWe propose X, which…\n\nAnother Title\n\nIt works.\n", encoding="utf-8")
    papers = list(read_daily_papers(page))
    assert [(paper.title, paper.abstract) for paper in papers] == [
        ("A Title", "We propose X, which…"),
        ("Another Title", "It works."),
    ]


def test_page_without_header(tmp_path: Path) -> None:
    page = tmp_path / "page.txt"
    abstract = "We propose a method. " * 20
    page.write_text(f"A Paper About Things\n\n{abstract}\n", encoding="utf-8")
    papers = list(read_daily_papers(page))
    assert len(papers) == 1
    assert papers[0].title == "A Paper About Things"


def test_page_skips_chrome_lines(tmp_path: Path) -> None:
    page = tmp_path / "page.txt"
    page.write_text(
        "new\n\nSubscribe\n\nDaily Papers\n\nSep 11\n\nA Title\n\nUpvote\n\n42\n\nThe abstract of it. It is short.\n",
        encoding="utf-8",
    )
    papers = list(read_daily_papers(page))
    assert [(paper.title, paper.abstract) for paper in papers] == [("A Title", "The abstract of it. It is short.")]


def test_page_title_and_abstract_without_blank_line(tmp_path: Path) -> None:
    page = tmp_path / "page.txt"
    page.write_text("Sep 11\n\nA Title Here\nThe abstract follows. It has sentences.\n", encoding="utf-8")
    papers = list(read_daily_papers(page))
    assert papers[0].title == "A Title Here"
    assert papers[0].abstract == "The abstract follows. It has sentences."


def test_page_wrapped_abstract_joined(tmp_path: Path) -> None:
    page = tmp_path / "page.txt"
    page.write_text("Sep 11\n\nA Title\n\nFirst line of the abstract\ncontinues here.\n", encoding="utf-8")
    papers = list(read_daily_papers(page))
    assert papers[0].abstract == "First line of the abstract continues here."


def test_page_abstract_without_title_rejected(tmp_path: Path) -> None:
    page = tmp_path / "page.txt"
    page.write_text("Sep 11\n\n" + "An abstract with no title. " * 20 + "\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"page\.txt, record 3: .*no title"):
        list(read_daily_papers(page))


def test_page_control_characters_removed(tmp_path: Path) -> None:
    page = tmp_path / "page.txt"
    page.write_text("Sep 11\n\nA\x01 Title\x1b\n\nAn abstract\x07 here.\n", encoding="utf-8")
    paper = next(read_daily_papers(page))
    assert paper.title == "A Title"
    assert paper.abstract == "An abstract here."


def test_page_invalid_utf8_names_file(tmp_path: Path) -> None:
    page = tmp_path / "latin1.txt"
    page.write_bytes("Sep 11\n\nCaf\xe9 Title\n\nAbstract.\n".encode("latin-1"))
    with pytest.raises(InputError, match=r"latin1\.txt, record 3: not valid UTF-8"):
        list(read_daily_papers(page))


def test_jsonl_reads_all_fields(tmp_path: Path) -> None:
    path = tmp_path / "papers.jsonl"
    records = [
        {"id": "2401.00001", "title": "One", "abstract": "A.", "url": "https://arxiv.org/abs/2401.00001",
         "date": "2024-01-01", "authors": ["Ada Lovelace", "Alan Turing"]},
        {"id": 7, "title": "Two", "authors": "Grace Hopper; Edsger Dijkstra"},
        {"title": "Three"},
    ]
    path.write_text("\n".join(json.dumps(record) for record in records) + "\n\n", encoding="utf-8")
    papers = list(read_jsonl(path))
    assert papers[0].id == "2401.00001"
    assert papers[0].authors == ("Ada Lovelace", "Alan Turing")
    assert papers[0].date == "2024-01-01"
    assert papers[1].id == "7"
    assert papers[1].authors == ("Grace Hopper", "Edsger Dijkstra")
    assert papers[2].id == paper_id("Three")
    assert papers[2].abstract == ""
    assert [paper.record for paper in papers] == [1, 2, 3]


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("{not json", "invalid JSON"),
        ("[1, 2]", "expected a JSON object, got array"),
        ("null", "expected a JSON object, got null"),
        ('{"title": ""}', "field 'title' is empty"),
        ('{"id": "x"}', "missing required field 'title'"),
        ('{"title": 5}', "field 'title' must be a string"),
        ('{"title": "T", "authors": 3}', "field 'authors' must be a list"),
    ],
)
def test_jsonl_invalid_record_named(tmp_path: Path, line: str, message: str) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text('{"title": "fine"}\n' + line + "\n", encoding="utf-8")
    with pytest.raises(InputError) as raised:
        list(read_jsonl(path))
    assert str(raised.value).startswith(f"{path}, record 2: ")
    assert message in str(raised.value)


def test_jsonl_skip_invalid_counts(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text('{"title": "fine"}\n{oops\n{"title": "also fine"}\n', encoding="utf-8")
    stats = ReadStats()
    papers = list(read_jsonl(path, skip_invalid=True, stats=stats))
    assert [paper.title for paper in papers] == ["fine", "also fine"]
    assert stats.skipped_invalid == 1
    assert stats.records == 2


def test_jsonl_gzip(tmp_path: Path) -> None:
    path = tmp_path / "papers.jsonl.gz"
    with gzip.open(path, "wt", encoding="utf-8") as handle:
        handle.write(json.dumps({"id": "a", "title": "Zipped"}) + "\n")
    assert [paper.title for paper in read_papers(path)] == ["Zipped"]


def test_jsonl_streams_lazily(tmp_path: Path) -> None:
    path = tmp_path / "papers.jsonl"
    path.write_text('{"title": "first"}\n{broken\n', encoding="utf-8")
    stream = read_jsonl(path)
    assert next(stream).title == "first"
    with pytest.raises(InputError):
        next(stream)


def test_csv_reads_rows(tmp_path: Path) -> None:
    path = tmp_path / "papers.csv"
    path.write_text(
        'id,title,abstract,url,date,authors\n'
        'p1,"A, quoted title","Multi\nline abstract.",https://example.org/p1,2025-09-11,"A. One; B. Two"\n'
        'p2,Second,,,,\n',
        encoding="utf-8",
    )
    papers = list(read_csv(path))
    assert papers[0].title == "A, quoted title"
    assert papers[0].abstract == "Multi line abstract."
    assert papers[0].authors == ("A. One", "B. Two")
    assert papers[1].has_abstract is False
    assert papers[1].url is None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("id,name\n1,x\n", "must name a 'title' column"),
        ("id,title\n1,ok\n2,bad,extra\n", r"record 3: row has 3 fields, the header has 2"),
        ('id,title\np1,"never closed\n', "invalid CSV"),
        ("title,title\na,b\n", "repeats the column"),
    ],
)
def test_csv_invalid_input_named(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "papers.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError, match=message):
        list(read_csv(path))


def test_missing_file_named(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"nope\.jsonl: file not found"):
        list(read_papers(tmp_path / "nope.jsonl"))


@pytest.mark.parametrize(
    ("name", "expected"),
    [("a.txt", "page"), ("a.md", "page"), ("a.jsonl", "jsonl"), ("a.ndjson.gz", "jsonl"), ("a.CSV", "csv")],
)
def test_detect_format(name: str, expected: str) -> None:
    assert detect_format(name) == expected


def test_detect_format_unknown() -> None:
    with pytest.raises(InputError, match="unknown input format"):
        detect_format("papers.parquet")


def test_gzip_corrupt_named(tmp_path: Path) -> None:
    path = tmp_path / "papers.jsonl.gz"
    data = gzip.compress(b'{"title": "A"}\n' * 200)
    path.write_bytes(data[:40] + b"\x00" * 20 + data[60:])
    with pytest.raises(InputError, match=r"papers\.jsonl\.gz, record \d+: cannot be read"):
        list(read_papers(path))


def test_csv_invalid_utf8_line(tmp_path: Path) -> None:
    path = tmp_path / "papers.csv"
    rows = "".join(f"p{index},Title {index}\n" for index in range(900))
    path.write_bytes(b"id,title\n" + rows.encode() + "p900,Caf\xe9\n".encode("latin-1"))
    with pytest.raises(InputError, match=r"record 902: not valid UTF-8"):
        list(read_csv(path))


def test_page_title_ending_with_period(tmp_path: Path) -> None:
    page = tmp_path / "page.txt"
    page.write_text(
        "Sep 11\n\nFirst Title\n\nFirst abstract. It is done.\n\n"
        "Attention Is All You Need.\n\nSecond abstract. It is done too.\n",
        encoding="utf-8",
    )
    papers = list(read_daily_papers(page))
    assert [paper.title for paper in papers] == ["First Title", "Attention Is All You Need."]


def test_page_same_title_different_papers(tmp_path: Path) -> None:
    page = tmp_path / "page.txt"
    page.write_text("Sep 11\n\nSame Title\n\nOne abstract.\n\nSame Title\n\nAnother abstract.\n", encoding="utf-8")
    papers = list(read_daily_papers(page))
    assert papers[1].id == papers[0].id + "-2"


def test_page_repeated_listing_keeps_id(tmp_path: Path) -> None:
    page = tmp_path / "page.txt"
    page.write_text("Sep 11\n\nSame Title\n\nOne abstract.\n\nSame Title\n\nOne abstract.\n", encoding="utf-8")
    papers = list(read_daily_papers(page))
    assert papers[0].id == papers[1].id


def test_page_skip_invalid_paragraph(tmp_path: Path) -> None:
    page = tmp_path / "page.txt"
    orphan = "An abstract with no title. " * 20
    page.write_text(f"Sep 11\n\nA Title\n\nIts abstract.\n\n{orphan}\n\nB Title\n\nB abstract.\n", encoding="utf-8")
    stats = ReadStats()
    papers = list(read_papers(page, skip_invalid=True, stats=stats))
    assert [paper.title for paper in papers] == ["A Title", "B Title"]
    assert stats.skipped_invalid == 1


def test_jsonl_same_title_gets_numbered_ids(tmp_path: Path) -> None:
    path = tmp_path / "papers.jsonl"
    records = [
        {"title": "Same", "abstract": "One."},
        {"title": "Same", "abstract": "Two."},
        {"title": "Same", "abstract": "One."},
        {"title": "Same", "abstract": "Three."},
    ]
    path.write_text("".join(json.dumps(record) + "\n" for record in records), encoding="utf-8")
    ids = [paper.id for paper in read_jsonl(path)]
    base = paper_id("Same")
    assert ids == [base, f"{base}-2", base, f"{base}-3"]


def test_jsonl_rejects_non_http_url(tmp_path: Path) -> None:
    path = tmp_path / "papers.jsonl"
    path.write_text(json.dumps({"title": "T", "url": "javascript:alert(1)"}) + "\n", encoding="utf-8")
    with pytest.raises(InputError, match="field 'url' must be an http or https URL"):
        list(read_jsonl(path))


def test_bidi_controls_removed(tmp_path: Path) -> None:
    path = tmp_path / "papers.jsonl"
    path.write_text(json.dumps({"title": "Safe\u202eemaN\u202c Title"}) + "\n", encoding="utf-8")
    assert next(read_jsonl(path)).title == "Safe emaN Title"


def test_csv_header_case_and_space(tmp_path: Path) -> None:
    path = tmp_path / "papers.csv"
    path.write_text("ID, Title ,Abstract\np1,A title,An abstract.\n", encoding="utf-8")
    (paper,) = read_csv(path)
    assert (paper.id, paper.title, paper.abstract) == ("p1", "A title", "An abstract.")


def test_jsonl_error_column(tmp_path: Path) -> None:
    path = tmp_path / "papers.jsonl"
    path.write_text('{"title":"B"\n', encoding="utf-8")
    with pytest.raises(InputError, match="at column 13"):
        list(read_jsonl(path))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("  Graph\n\tneural   networks ", "Graph neural networks"),
        ("bell\x07 and\x00null", "bell and null"),
        ("file\x1cseparator \x7f delete", "file separator delete"),
        ("\x0b\x0c", ""),
    ],
)
def test_clean_text_ascii(text: str, expected: str) -> None:
    assert clean_text(text) == expected


def test_clean_text_ascii_like_unicode_path() -> None:
    # The same controls and spaces next to a non-ASCII character take the general path.
    assert clean_text("bell\x07 and\x00null \u00e9") == clean_text("bell\x07 and\x00null") + " \u00e9"
