"""Structure checks for the hand-made gold annotation of the example page.

The gold file records what an expert annotator found in each paper of
``examples/daily-papers-sep-11.txt``, and `kg eval` scores the extractor
against it. These tests check the file's shape and that every annotated string is
present in its paper, never what the extractor finds.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from kg.model import EntityType
from kg.resolve import entity_key
from kg.sources import read_daily_papers

REPOSITORY = Path(__file__).resolve().parent.parent
GOLD = REPOSITORY / "tests" / "gold" / "daily-papers-sep-11.jsonl"
EXAMPLE_PAGE = REPOSITORY / "examples" / "daily-papers-sep-11.txt"
RECORD_KEYS = {"id", "title", "proposed", "entities", "links", "abbreviations"}
ENTITY_TYPES = {str(entity_type) for entity_type in EntityType}
# A plain http(s) URL up to whitespace, written independently of kg.nlp.links
# so that a bug there cannot hide a missing gold link.
URL = re.compile(r"https?://\S+")
# Trailing characters that end a sentence rather than a URL.
URL_TRAILING_PUNCTUATION = ".,;:!?)]}'\""


def _load_gold() -> list[dict[str, Any]]:
    return [json.loads(line) for line in GOLD.read_text(encoding="utf-8").splitlines() if line.strip()]


RECORDS = _load_gold()
PAPERS = {paper.id: paper for paper in read_daily_papers(EXAMPLE_PAGE)}
RECORD_IDS = [record["id"] for record in RECORDS]


def _names(item: str | list[str]) -> list[str]:
    return [item] if isinstance(item, str) else list(item)


def _paper_text(paper_id: str) -> str:
    paper = PAPERS[paper_id]
    return f"{paper.title}\n{paper.abstract}".casefold()


def test_gold_ids_match_reader(example_page: Path) -> None:
    expected = [paper.id for paper in read_daily_papers(example_page)]
    assert RECORD_IDS == expected


def test_gold_titles_match_reader(example_page: Path) -> None:
    expected = [paper.title for paper in read_daily_papers(example_page)]
    assert [record["title"] for record in RECORDS] == expected


def test_gold_ids_unique() -> None:
    assert len(set(RECORD_IDS)) == len(RECORD_IDS)


@pytest.mark.parametrize("record", RECORDS, ids=RECORD_IDS)
def test_gold_record_keys(record: dict[str, Any]) -> None:
    assert set(record) == RECORD_KEYS
    assert set(record["entities"]) == ENTITY_TYPES


@pytest.mark.parametrize("record", RECORDS, ids=RECORD_IDS)
def test_gold_items_well_formed(record: dict[str, Any]) -> None:
    items = list(record["proposed"]) + [item for items in record["entities"].values() for item in items]
    for item in items:
        if isinstance(item, list):
            assert len(item) >= 2, f"an alternative list needs two or more names: {item!r}"
        for name in _names(item):
            assert isinstance(name, str), f"a name must be a string: {item!r}"
            assert name, f"empty name in {item!r}"
            assert name.strip() == name, f"name with surrounding spaces: {name!r}"


@pytest.mark.parametrize("record", RECORDS, ids=RECORD_IDS)
def test_gold_names_occur_in_paper(record: dict[str, Any]) -> None:
    text = _paper_text(record["id"])
    items = list(record["proposed"]) + [item for items in record["entities"].values() for item in items]
    missing = [name for item in items for name in _names(item) if name.casefold() not in text]
    assert missing == []


@pytest.mark.parametrize("record", RECORDS, ids=RECORD_IDS)
def test_gold_proposed_also_typed(record: dict[str, Any]) -> None:
    typed_keys = {
        entity_key(name) for items in record["entities"].values() for item in items for name in _names(item)
    }
    untyped = [item for item in record["proposed"] if not any(entity_key(name) in typed_keys for name in _names(item))]
    assert untyped == []


@pytest.mark.parametrize("record", RECORDS, ids=RECORD_IDS)
def test_gold_no_duplicate_within_type(record: dict[str, Any]) -> None:
    for entity_type, items in record["entities"].items():
        keys = [entity_key(_names(item)[0]) for item in items]
        assert len(keys) == len(set(keys)), f"{entity_type} lists one entity twice: {items!r}"


@pytest.mark.parametrize("record", RECORDS, ids=RECORD_IDS)
def test_gold_links_occur_in_paper(record: dict[str, Any]) -> None:
    text = _paper_text(record["id"])
    missing = [link for link in record["links"] if link.casefold() not in text]
    assert missing == []


@pytest.mark.parametrize("record", RECORDS, ids=RECORD_IDS)
def test_gold_links_complete(record: dict[str, Any]) -> None:
    paper = PAPERS[record["id"]]
    found = [url.rstrip(URL_TRAILING_PUNCTUATION) for url in URL.findall(f"{paper.title}\n{paper.abstract}")]
    assert sorted(found) == sorted(record["links"])


@pytest.mark.parametrize("record", RECORDS, ids=RECORD_IDS)
def test_gold_abbreviations_occur(record: dict[str, Any]) -> None:
    text = _paper_text(record["id"])
    for abbreviation in record["abbreviations"]:
        assert set(abbreviation) == {"short", "long"}
        assert abbreviation["short"].casefold() in text, abbreviation
        assert abbreviation["long"].casefold() in text, abbreviation
