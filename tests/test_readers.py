"""The readers of kg.readers: fields mapped from realistic fixtures, detection, and errors naming file and record."""

from __future__ import annotations

import gzip
import json
import logging
from pathlib import Path

import pytest

from kg.errors import ConfigError, InputError
from kg.readers.fields import normalize_arxiv_id, normalize_date, normalize_doi
from kg.readers.tabular import parse_column_mapping
from kg.sources import INPUT_FORMATS, ReadStats, detect_format, read_papers

DATA = Path(__file__).resolve().parent / "data"
HF_DAILY = DATA / "hf-daily-2025-09-11.json"
ATOM = DATA / "arxiv-query.atom"
S2_SEARCH = DATA / "s2-search.json"
S2_BATCH = DATA / "s2-batch.json"
BIBTEX = DATA / "papers.bib"
TSV = DATA / "papers.tsv"
TEXT_FOLDER = DATA / "abstracts"

TSV_COLUMNS = {
    "id": "Paper ID",
    "title": "Title",
    "abstract": "Abstract",
    "authors": "Authors",
    "date": "Published",
    "doi": "DOI",
    "categories": "Categories",
}


def read(path: Path, **options):
    return list(read_papers(path, **options))


# --- detection -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        (HF_DAILY, "hf-daily"),
        (ATOM, "arxiv-atom"),
        (S2_SEARCH, "s2"),
        (S2_BATCH, "s2"),
        (BIBTEX, "bibtex"),
        (TSV, "tsv"),
        (TEXT_FOLDER, "text-folder"),
    ],
)
def test_detect_fixture_format(path: Path, expected: str) -> None:
    assert detect_format(path) == expected


def test_detect_atom_in_xml_file(tmp_path: Path) -> None:
    path = tmp_path / "query.xml"
    path.write_bytes(ATOM.read_bytes())
    assert detect_format(path) == "arxiv-atom"


def test_detect_gzipped_json(tmp_path: Path) -> None:
    path = tmp_path / "daily.json.gz"
    path.write_bytes(gzip.compress(HF_DAILY.read_bytes()))
    assert detect_format(path) == "hf-daily"
    assert len(read(path)) == 3


def test_detect_unknown_json(tmp_path: Path) -> None:
    path = tmp_path / "other.json"
    path.write_text('{"rows": [1, 2]}', encoding="utf-8")
    with pytest.raises(InputError, match="--format") as caught:
        detect_format(path)
    assert caught.value.path == str(path)


def test_format_override_beats_content() -> None:
    with pytest.raises(InputError, match="expected a JSON array of Daily Papers entries"):
        read(S2_SEARCH, input_format="hf-daily")


def test_formats_listed_in_cli() -> None:
    from kg.cli import INPUT_FORMAT_NAMES

    assert INPUT_FORMAT_NAMES == INPUT_FORMATS


# --- Hugging Face Daily Papers ----------------------------------------------------


def test_hf_daily_fields() -> None:
    first = read(HF_DAILY)[0]
    assert first.id == "2509.08817"
    assert first.arxiv_id == "2509.08817"
    assert first.title == "StepForge: Process Rewards from Self-Verified Reasoning Traces"
    assert first.abstract.startswith("Process reward models (PRMs) give dense feedback")
    assert first.date == "2025-09-10"
    assert first.url == "https://huggingface.co/papers/2509.08817"
    assert first.record == 1


def test_hf_daily_authors_and_ids() -> None:
    first, second, third = read(HF_DAILY)
    assert first.authors == ("Mira Kovalenko", "Tomás Oyelaran", "Wen-Li Zhao")
    assert first.author_ids == ("hf:mkovalenko", "", "")
    assert second.author_ids == ("", "hf:rduarte")
    assert third.authors == ()


def test_hf_daily_links() -> None:
    first, second, third = read(HF_DAILY)
    assert first.links == ("https://github.com/stepforge/stepforge", "https://stepforge.github.io")
    assert second.links == ("https://longhaul-bench.org",)
    assert third.links == ()


def test_hf_daily_not_array(tmp_path: Path) -> None:
    path = tmp_path / "daily.json"
    path.write_text('{"paper": {"id": "1"}}', encoding="utf-8")
    with pytest.raises(InputError, match="expected a JSON array"):
        read(path, input_format="hf-daily")


def test_hf_daily_error_names_record(tmp_path: Path) -> None:
    entries = json.loads(HF_DAILY.read_text(encoding="utf-8"))
    entries[1]["paper"]["title"] = ""
    entries[1]["title"] = ""
    path = tmp_path / "daily.json"
    path.write_text(json.dumps(entries), encoding="utf-8")
    with pytest.raises(InputError) as caught:
        read(path)
    assert caught.value.record == 2
    assert caught.value.path == str(path)
    assert "paper.title" in caught.value.problem


def test_hf_daily_skip_invalid(tmp_path: Path) -> None:
    entries = json.loads(HF_DAILY.read_text(encoding="utf-8"))
    entries[0]["paper"]["authors"] = "Mira Kovalenko"
    path = tmp_path / "daily.json"
    path.write_text(json.dumps(entries), encoding="utf-8")
    stats = ReadStats()
    papers = read(path, skip_invalid=True, stats=stats)
    assert [paper.id for paper in papers] == ["2509.08502", "2509.07990"]
    assert stats.skipped_invalid == 1


def test_hf_daily_bad_link_logged(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    entries = json.loads(HF_DAILY.read_text(encoding="utf-8"))
    entries[0]["paper"]["githubRepo"] = "javascript:alert(1)"
    path = tmp_path / "daily.json"
    path.write_text(json.dumps(entries), encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="kg"):
        first = read(path)[0]
    assert first.links == ("https://stepforge.github.io",)
    assert "githubRepo" in caplog.text


def test_hf_daily_invalid_json(tmp_path: Path) -> None:
    path = tmp_path / "daily.json"
    path.write_text('[{"paper": {"id": "2509.08817",}]', encoding="utf-8")
    with pytest.raises(InputError, match="invalid JSON: .* line 1"):
        read(path, input_format="hf-daily")


# --- arXiv API Atom ------------------------------------------------------------------


def test_atom_fields() -> None:
    first = read(ATOM)[0]
    assert first.id == "2409.01234"
    assert first.arxiv_id == "2409.01234"
    assert first.title == "Verifier-Guided Decoding for Small Language Models"
    assert first.abstract.startswith("We present VGD, a decoding method that queries a learned verifier at every step.")
    assert first.date == "2024-09-02"
    assert first.doi == "10.48550/arXiv.2409.01234"
    assert first.url == "http://arxiv.org/abs/2409.01234v2"


def test_atom_categories_primary_first() -> None:
    first, second, _ = read(ATOM)
    assert first.categories == ("cs.CL", "cs.LG")
    assert second.categories == ("cs.RO", "cs.AI")


def test_atom_authors_in_order() -> None:
    first, second, _ = read(ATOM)
    assert first.authors == ("Hannah Okafor", "Lukas Brenner")
    assert second.authors == ("Sofia Marín-Quiroga",)
    assert first.author_ids == ()


def test_atom_old_style_id() -> None:
    third = read(ATOM)[2]
    assert third.arxiv_id == "cs/0112017"
    assert third.record == 3


def test_atom_rejects_entity_expansion(tmp_path: Path) -> None:
    path = tmp_path / "bomb.atom"
    path.write_text(
        '<?xml version="1.0"?>\n<!DOCTYPE feed [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;">]>\n'
        '<feed xmlns="http://www.w3.org/2005/Atom"><entry><title>&b;</title></entry></feed>\n',
        encoding="utf-8",
    )
    with pytest.raises(InputError, match="document type or entities"):
        read(path)


def test_atom_rejects_external_entity(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("do not read", encoding="utf-8")
    path = tmp_path / "external.atom"
    path.write_text(
        f'<?xml version="1.0"?>\n<!DOCTYPE feed [<!ENTITY x SYSTEM "{secret.as_uri()}">]>\n'
        '<feed xmlns="http://www.w3.org/2005/Atom"><entry><title>&x;</title></entry></feed>\n',
        encoding="utf-8",
    )
    with pytest.raises(InputError, match="document type or entities"):
        read(path)


def test_atom_api_error_entry(tmp_path: Path) -> None:
    path = tmp_path / "error.atom"
    path.write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom">\n'
        "<entry><id>http://arxiv.org/api/errors#incorrect_id_format_for_1234</id><title>Error</title>"
        "<summary>incorrect id format for 1234</summary></entry>\n</feed>\n",
        encoding="utf-8",
    )
    with pytest.raises(InputError, match="incorrect id format for 1234") as caught:
        read(path)
    assert caught.value.record == 1


def test_atom_truncated_names_line(tmp_path: Path) -> None:
    path = tmp_path / "cut.atom"
    data = ATOM.read_bytes()
    path.write_bytes(data[: data.index(b"<entry>", data.index(b"<entry>") + 1) + 40])
    with pytest.raises(InputError, match="invalid XML at line") as caught:
        read(path)
    assert caught.value.record == 2


def test_atom_wrong_root(tmp_path: Path) -> None:
    path = tmp_path / "rss.xml"
    path.write_text('<?xml version="1.0"?><rss><channel/></rss>', encoding="utf-8")
    with pytest.raises(InputError, match="expected an Atom <feed>"):
        read(path, input_format="arxiv-atom")


# --- Semantic Scholar ------------------------------------------------------------------


def test_s2_search_fields() -> None:
    first, second, third = read(S2_SEARCH)
    assert first.id == "2409.01234"
    assert first.doi == "10.48550/arXiv.2409.01234"
    assert first.date == "2024-09-02"
    assert second.id == "a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9"
    assert second.arxiv_id is None
    assert second.doi == "10.18653/v1/2024.acl-long.512"
    assert third.date == "2020-12-06"


def test_s2_null_abstract_and_year() -> None:
    second = read(S2_SEARCH)[1]
    assert second.abstract == ""
    assert second.date == "2024"


def test_s2_author_ids() -> None:
    first, second, third = read(S2_SEARCH)
    assert first.author_ids == ("s2:2211034871", "s2:2144556012")
    assert second.authors == ("Ingrid Solberg", "Dev Raman")
    assert second.author_ids == ("", "s2:1741101")
    assert third.author_ids == ("s2:1741101",)


def test_s2_batch_skips_null(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="kg"):
        papers = read(S2_BATCH)
    assert [paper.record for paper in papers] == [1, 3]
    assert "record 2" in caplog.text


def test_s2_single_paper(tmp_path: Path) -> None:
    paper = json.loads(S2_SEARCH.read_text(encoding="utf-8"))["data"][2]
    path = tmp_path / "paper.json"
    path.write_text(json.dumps(paper), encoding="utf-8")
    (read_paper,) = read(path)
    assert read_paper.title == "Curriculum Sampling for Contrastive Image-Text Pretraining"


def test_s2_missing_title_names_fields(tmp_path: Path) -> None:
    path = tmp_path / "s2.json"
    path.write_text(json.dumps({"data": [{"paperId": "abc", "year": 2020}]}), encoding="utf-8")
    with pytest.raises(InputError, match="fields present: paperId, year") as caught:
        read(path)
    assert caught.value.record == 1


# --- BibTeX ------------------------------------------------------------------------------


def test_bibtex_fields() -> None:
    first, second, third = read(BIBTEX)
    assert first.id == "2409.01234"
    assert first.arxiv_id == "2409.01234"
    assert first.doi == "10.48550/arXiv.2409.01234"
    assert first.categories == ("cs.CL",)
    assert first.date == "2024-09"
    assert second.id == "muller2023graph"
    assert second.date == "2023-12-10"
    assert second.url == "https://openreview.net/forum?id=Xb12Qp9rT"
    assert third.date == "2001"


def test_bibtex_latex_decoded() -> None:
    first, second, _ = read(BIBTEX)
    assert first.abstract.endswith("lifts the accuracy of Llama-3.2-1B from 44.3% to 52.9%.")
    assert "{" not in first.abstract
    assert second.title == "Graph Transformers for Molecule Property Prediction: A Reproducibility Study"


def test_bibtex_authors_first_last() -> None:
    first, second, third = read(BIBTEX)
    assert first.authors == ("Hannah Okafor", "Lukas Brenner")
    assert second.authors == ("János Müller", "Ana de la Cruz", "Ken Nakamura")
    assert third.authors == ("Peter J. Halloran",)


def test_bibtex_arxiv_id_from_url() -> None:
    third = read(BIBTEX)[2]
    assert third.arxiv_id == "cs/0112017"
    assert third.record == 25


def test_bibtex_broken_block_names_line(tmp_path: Path) -> None:
    path = tmp_path / "broken.bib"
    path.write_text(BIBTEX.read_text(encoding="utf-8") + "\n@misc{open,\n  title = {Never closed\n", encoding="utf-8")
    stats = ReadStats()
    papers = read(path, skip_invalid=True, stats=stats)
    assert len(papers) == 3
    assert stats.skipped_invalid == 1
    with pytest.raises(InputError, match="invalid BibTeX block") as caught:
        read(path)
    assert caught.value.record == 32
    assert "Unexpectedly reached end of file" in caught.value.problem


def test_bibtex_missing_title(tmp_path: Path) -> None:
    path = tmp_path / "untitled.bib"
    path.write_text("@misc{nokey2020,\n  author = {A. Person},\n  year = 2020,\n}\n", encoding="utf-8")
    with pytest.raises(InputError, match="entry 'nokey2020' has no title") as caught:
        read(path)
    assert caught.value.record == 1


# --- CSV and TSV ---------------------------------------------------------------------------


def test_tsv_columns_mapped() -> None:
    first, second = read(TSV, columns=TSV_COLUMNS)
    assert first.id == "2409.01234"
    assert first.authors == ("Hannah Okafor", "Lukas Brenner")
    assert first.date == "2024-09-02"
    assert first.doi == "10.48550/arXiv.2409.01234"
    assert first.categories == ("cs.CL", "cs.LG")
    assert second.doi is None
    assert second.record == 3


def test_tsv_header_names_fields() -> None:
    first, _ = read(TSV)
    assert first.title == "Verifier-Guided Decoding for Small Language Models"
    assert first.authors == ("Hannah Okafor", "Lukas Brenner")
    assert first.doi == "10.48550/arXiv.2409.01234"


def test_tsv_without_title_column(tmp_path: Path) -> None:
    path = tmp_path / "papers.tsv"
    path.write_text("Name\tSummary\nA title\tAn abstract\n", encoding="utf-8")
    with pytest.raises(InputError, match="--column title=NAME") as caught:
        read(path)
    assert caught.value.record == 1


def test_tsv_row_with_extra_tab(tmp_path: Path) -> None:
    path = tmp_path / "papers.tsv"
    path.write_text("title\tabstract\nA title\tAn abstract\textra\n", encoding="utf-8")
    with pytest.raises(InputError, match="row has 3 fields, the header has 2") as caught:
        read(path)
    assert caught.value.record == 2


def test_tsv_mapped_column_missing(tmp_path: Path) -> None:
    path = tmp_path / "papers.tsv"
    path.write_text("title\tabstract\nA title\tAn abstract\n", encoding="utf-8")
    with pytest.raises(InputError, match="no column\\(s\\) summary"):
        read(path, columns={"abstract": "Summary"})


def test_csv_with_column_mapping(tmp_path: Path) -> None:
    path = tmp_path / "papers.csv"
    path.write_text('Name,Text,arXiv\n"Graph Transformers, Revisited","We re-run models.",2409.01234v3\n', encoding="utf-8")
    (paper,) = read(path, columns={"title": "Name", "abstract": "Text", "arxiv_id": "arXiv"})
    assert paper.title == "Graph Transformers, Revisited"
    assert paper.arxiv_id == "2409.01234"


def test_column_unknown_field() -> None:
    with pytest.raises(ConfigError, match="Unknown field 'summary'"):
        parse_column_mapping(["summary=Abstract"])


def test_column_needs_equals() -> None:
    with pytest.raises(ConfigError, match="expected FIELD=NAME"):
        parse_column_mapping(["title"])


def test_column_rejected_for_json() -> None:
    with pytest.raises(ConfigError, match="CSV and TSV input only"):
        read(HF_DAILY, columns={"title": "Title"})


# --- folder of text files ------------------------------------------------------------------


def test_text_folder_papers() -> None:
    first, second = read(TEXT_FOLDER)
    assert first.id == "longhaul"
    assert first.title == "LongHaul: A Benchmark for Hour-Long Video Question Answering"
    assert first.record == 2
    assert second.id == "sparse-adapters"
    assert second.abstract == (
        "Adapters let one speech model serve many languages. "
        "We route adapters by language family and halve the word error rate on FLEURS."
    )


def test_text_folder_source_is_file() -> None:
    first, _ = read(TEXT_FOLDER)
    assert first.source == str(TEXT_FOLDER / "longhaul.txt")


def test_text_folder_ignores_other_files(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG, logger="kg"):
        papers = read(TEXT_FOLDER)
    assert len(papers) == 2
    assert "README.md" in caplog.text


def test_text_folder_empty_file(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("A title\nAn abstract.\n", encoding="utf-8")
    (tmp_path / "b.txt").write_text("\n\n", encoding="utf-8")
    with pytest.raises(InputError, match="the file is empty") as caught:
        read(tmp_path)
    assert caught.value.path == str(tmp_path / "b.txt")


def test_text_folder_bad_utf8_names_file(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_bytes(b"A title\n\xff\xfe broken\n")
    with pytest.raises(InputError, match="not valid UTF-8") as caught:
        read(tmp_path)
    assert caught.value.path == str(tmp_path / "a.txt")
    assert caught.value.record == 2


# --- normalisation -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2409.01234", "2409.01234"),
        ("arXiv:2409.01234v3", "2409.01234"),
        ("https://arxiv.org/pdf/2409.01234v1.pdf", "2409.01234"),
        ("http://arxiv.org/abs/math.GT/0309136v2", "math.GT/0309136"),
        ("0704.0001", "0704.0001"),
        ("2409.1234567", None),
        ("2409.01234 ; drop", None),
        ("", None),
    ],
)
def test_normalize_arxiv_id(value: str, expected: str | None) -> None:
    assert normalize_arxiv_id(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("10.1234/abcd", "10.1234/abcd"),
        ("doi:10.1234/abcd", "10.1234/abcd"),
        ("https://dx.doi.org/10.1002/(SICI)1097-4571(199806)49:8", "10.1002/(SICI)1097-4571(199806)49:8"),
        ("10.1234/with space", None),
        ("11.1234/abcd", None),
    ],
)
def test_normalize_doi(value: str, expected: str | None) -> None:
    assert normalize_doi(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2025-09-10T17:59:41.000Z", "2025-09-10"),
        ("2025-09-10 08:03:12+02:00", "2025-09-10"),
        ("2025-09", "2025-09"),
        ("2025", "2025"),
        ("Sept. 2025", "Sept. 2025"),
    ],
)
def test_normalize_date(value: str, expected: str) -> None:
    assert normalize_date(value) == expected


# --- command line -----------------------------------------------------------------------------


def test_cli_column_unknown_field(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from kg.cli import cli

    result = CliRunner().invoke(cli, ["build", str(TSV), "--column", "summary=Abstract", "--out", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert "Unknown field 'summary'" in result.output


def test_cli_column_with_json_format(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from kg.cli import cli

    arguments = ["build", str(HF_DAILY), "--format", "hf-daily", "--column", "title=Title", "--out", str(tmp_path / "out")]
    result = CliRunner().invoke(cli, arguments)
    assert result.exit_code == 2
    assert "--column" in result.output


def test_cli_builds_tsv_with_columns(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from kg.cli import cli

    arguments = ["build", str(TSV), "--column", "id=Paper ID", "--column", "date=Published", "--out", str(tmp_path / "out"), "--no-progress"]
    result = CliRunner().invoke(cli, arguments)
    assert result.exit_code == 0, result.output
    lines = (tmp_path / "out" / "extractions.jsonl").read_text(encoding="utf-8").splitlines()
    records = [json.loads(line) for line in lines]
    assert [record["id"] for record in records] == ["2409.01234", "2408.17701"]
    assert records[0]["date"] == "2024-09-02"
    assert records[0]["categories"] == ["cs.CL", "cs.LG"]
