"""Property tests with Hypothesis over the readers, extraction and RDF export.

The number of examples comes from the profile loaded in conftest.py ("ci",
"dev" or "long"; KG_HYPOTHESIS_PROFILE picks one).
"""

from __future__ import annotations

import csv
import io
import json
import tempfile
from pathlib import Path

import pyoxigraph
import pytest
import rdflib
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from spacy.language import Language

from kg.errors import InputError
from kg.extract import extract
from kg.graph import build_graph
from kg.model import Field, Mention, Paper
from kg.nlp import create_pipeline
from kg.rdf import RDF_FORMATS, write_rdf
from kg.sources import read_papers

# Any Unicode text, lone surrogates included (JSON can escape them, "\ud800").
ANY_TEXT = st.text(st.characters(codec=None, exclude_categories=()), max_size=200)
# Words and punctuation that the pipeline reacts to, mixed with any text.
WORDS = st.sampled_from([
    "We", "propose", "GRPO", "(GRPO)", "Group Relative Policy Optimization", "on", "the", "GSM8K", "benchmark",
    "accuracy", "of", "85.3%", "Transformer", "https://github.com/a/b", "BERT-base", "ImageNet", ".", ",", "\n",
    "\u200b", "\u00ad", "\x00", "\u202e", "Ã©", "e\u0301", "\U0001f600", "   ",
])
TEXT = st.one_of(ANY_TEXT, st.lists(st.one_of(WORDS, ANY_TEXT), max_size=30).map(" ".join))
JSON_VALUE = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | TEXT,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(ANY_TEXT, children, max_size=3),
    max_leaves=8,
)
FIELD_NAMES = ("id", "title", "abstract", "url", "date", "language", "authors")
RECORD = st.dictionaries(st.sampled_from(FIELD_NAMES), st.one_of(TEXT, JSON_VALUE), max_size=len(FIELD_NAMES))
# The pipeline fixture is shared by every example, which is safe because extraction does not change it.
FUZZ = settings(suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


@pytest.fixture(scope="module")
def nlp() -> Language:
    return create_pipeline(None)


def check_papers(path: Path, **options: object) -> list[Paper]:
    """Read `path`; return its papers, or [] for an InputError that names the file."""
    try:
        papers = list(read_papers(path, **options))  # type: ignore[arg-type]
    except InputError as err:
        assert err.path == str(path)
        assert str(err).startswith(str(path))
        return []
    for paper in papers:
        assert paper.title
        for text in (paper.id, paper.title, paper.abstract, *paper.authors):
            text.encode("utf-8")
            assert "\u200b" not in text
            assert "\x00" not in text
    return papers


@given(records=st.lists(st.one_of(RECORD, JSON_VALUE), max_size=5), ensure_ascii=st.booleans())
def test_jsonl_any_records(records: list[object], ensure_ascii: bool) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "fuzz.jsonl"
        lines = "".join(json.dumps(record, ensure_ascii=ensure_ascii) + "\n" for record in records)
        path.write_bytes(lines.encode("utf-8", "surrogatepass") if not ensure_ascii else lines.encode("ascii"))
        check_papers(path)
        check_papers(path, skip_invalid=True)


@given(rows=st.lists(st.lists(TEXT, min_size=1, max_size=4), max_size=5), header=st.lists(st.sampled_from(FIELD_NAMES), min_size=1, max_size=4))
def test_csv_any_rows(rows: list[list[str]], header: list[str]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "fuzz.csv"
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(header)
        writer.writerows(rows)
        path.write_bytes(buffer.getvalue().encode("utf-8", "surrogatepass"))
        check_papers(path)
        check_papers(path, skip_invalid=True)


@given(text=TEXT)
def test_page_any_text(text: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "fuzz.txt"
        path.write_bytes(text.encode("utf-8", "surrogatepass"))
        check_papers(path)
        check_papers(path, skip_invalid=True)


@given(data=st.binary(max_size=300), suffix=st.sampled_from([".txt", ".jsonl", ".csv", ".jsonl.gz"]), encoding=st.sampled_from([None, "cp1252", "utf-16"]))
def test_any_bytes(data: bytes, suffix: str, encoding: str | None) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"fuzz{suffix}"
        path.write_bytes(data)
        check_papers(path, encoding=encoding)


def check_mention(paper: Paper, mention: Mention) -> None:
    text = paper.title if mention.field == Field.TITLE else paper.abstract
    assert 0 <= mention.start <= mention.end <= len(text), mention
    assert text[mention.start:mention.end] == mention.text, mention


@FUZZ
@given(title=TEXT.filter(str.strip), abstract=TEXT)
@example(title="0", abstract="\ud800")
def test_extraction_spans_inside_text(nlp: Language, title: str, abstract: str) -> None:
    paper = Paper(id="p1", title=title, abstract=abstract)
    if any("\ud800" <= character <= "\udfff" for character in title + abstract):
        with pytest.raises(InputError, match="lone surrogate"):
            list(extract([paper], nlp))
        return
    (extraction,) = extract([paper], nlp)
    mentions = [mention for entity in extraction.entities for mention in entity.mentions]
    mentions += [link.mention for link in extraction.links]
    mentions += [abbreviation.mention for abbreviation in extraction.abbreviations]
    mentions += [relation.evidence for relation in extraction.relations]
    mentions += [result.evidence for result in extraction.results]
    for mention in mentions:
        check_mention(paper, mention)


PAPER_TEXTS = st.lists(st.tuples(TEXT.filter(str.strip), TEXT), min_size=1, max_size=3)


@FUZZ
@given(texts=PAPER_TEXTS)
def test_rdf_reparses(nlp: Language, texts: list[tuple[str, str]]) -> None:
    from kg.sources import clean_text

    papers = [
        Paper(id=f"p{index}", title=clean_text(title) or "untitled", abstract=clean_text(abstract))
        for index, (title, abstract) in enumerate(texts)
    ]
    graph = build_graph(extract(papers, nlp))
    with tempfile.TemporaryDirectory() as folder:
        written: dict[str, int] = {}
        for name, suffix in RDF_FORMATS.items():
            path = Path(folder) / f"graph{suffix}"
            written[name] = write_rdf(graph, path, format=name)
            parsed = sum(1 for _ in pyoxigraph.parse(path=path, format=pyoxigraph.RdfFormat.from_extension(suffix[1:])))
            assert parsed == written[name], name
        ntriples = rdflib.Graph().parse(Path(folder) / f"graph{RDF_FORMATS['ntriples']}", format="nt")
        assert len(ntriples) == written["ntriples"]
