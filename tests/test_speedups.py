"""Tests for kg.nlp._speedups: each compiled loop gives what its pure-Python reference gives.

Every comparison runs the same input twice, once with `kg.nlp.speedups.COMPILED`
set to the compiled module and once with it set to None, which selects the
references in kg.nlp.tokens, kg.nlp.entities and kg.nlp.sentences.
"""

from __future__ import annotations

import gzip
import json
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import TypeVar

import pytest
from hypothesis import given
from hypothesis import strategies as st
from spacy.language import Language

import kg.nlp
from kg.extract import extract, extraction_line, make_doc
from kg.model import Paper
from kg.nlp import entities, speedups, tokens
from kg.sources import read_papers

T = TypeVar("T")

COMPILED = speedups.COMPILED

# Pieces that exercise the loops' special cases: whitespace runs, edge
# punctuation, brackets that close inside a chunk ("P[Love]"), Unicode dashes
# (normalised in chunk texts), sentence ends, URLs, non-ASCII letters.
PIECES = [
    "We propose ", "Qwen2.5-Math-7B", "BERT\u2010base", "Qwen2.5\u2013Math", "P[Love]", "(GRPO)", "(7B)",
    "ProcessBench", "the ", "dataset", ", ", ". ", "! ", "? ", "...", " ", "  ", "\n", "\n\n", "\t", "\u00a0",
    "\u201cquoted\u201d", "'s ", "--", "(", ")", "[", "]", "https://github.com/a/b", "www.x.org/y", "caf\u00e9",
    "\u0130stanbul", "K\u212a", "3.5%", "Table 1:", "Sotopia", "Sotopia-hard", "X-", "-Y", "\u2212", "a", "I",
]

texts = st.lists(st.sampled_from(PIECES), min_size=0, max_size=30).map("".join)


@pytest.fixture(scope="module")
def nlp() -> Language:
    return kg.nlp.create_pipeline()


@contextmanager
def compiled_set_to(module: ModuleType | None) -> Iterator[None]:
    saved = speedups.COMPILED
    speedups.COMPILED = module
    try:
        yield
    finally:
        speedups.COMPILED = saved


def both(run: Callable[[], T]) -> tuple[T, T]:
    """Return ``run()`` with the compiled loops, then with the pure-Python references."""
    with compiled_set_to(COMPILED):
        compiled = run()
    with compiled_set_to(None):
        pure = run()
    return compiled, pure


requires_compiled = pytest.mark.skipif(COMPILED is None, reason="kg.nlp._speedups is not compiled")


def test_compiled_module_is_built() -> None:
    # The install (pip install -e .) must compile the module: without it, kg
    # runs at about three quarters of its speed, and the tests below compare nothing.
    assert COMPILED is not None, "kg.nlp._speedups was not compiled or does not match the installed spaCy; see setup.py"


def table_fields(doc_table: tokens.TokenTable) -> dict[str, object]:
    names = ("text", "texts", "lowers", "starts", "ends", "whitespace", "is_space", "is_punct", "sent_starts", "has_sentences")
    return {name: getattr(doc_table, name) for name in names} | {"sentences": doc_table.sentences()}


def processed(nlp: Language, text: str) -> dict[str, object]:
    """Everything the compiled loops produce for a text, with the title boundary after its first line."""
    title, _, abstract = text.partition("\n")
    doc = nlp(make_doc(nlp, Paper(id="p", title=title, abstract=abstract)))
    table = tokens.token_table(doc)
    chunks = entities._chunk_tokens(table)
    return {
        "table": table_fields(table),
        "sentence starts": [token.is_sent_start for token in doc],
        "chunks": chunks,
        "name starts": entities._name_starts(chunks),
        "shape candidates": entities._shape_candidates(chunks, table.text),
        "entities": [(span.start, span.end, span.label_, span.kb_id_) for span in doc.spans["kg_entities"]],
    }


@requires_compiled
@given(text=texts)
def test_random_text_same_results(nlp: Language, text: str) -> None:
    compiled, pure = both(lambda: processed(nlp, text))
    assert compiled == pure


@requires_compiled
def test_table_of_unprocessed_doc(nlp: Language) -> None:
    # A Doc straight from the tokenizer: no sentence starts set at all.
    doc = nlp.make_doc("One two.  Three\n\nfour")
    compiled, pure = both(lambda: table_fields(tokens.TokenTable(doc)))
    assert compiled == pure
    assert compiled["has_sentences"] is False


@requires_compiled
def test_example_page_same_extractions(nlp: Language, example_page: Path) -> None:
    papers = list(read_papers(example_page))
    compiled, pure = both(lambda: [extraction_line(record) for record in extract(papers, nlp)])
    assert len(compiled) == len(papers)
    assert compiled == pure


@requires_compiled
def test_real_abstracts_same_extractions(nlp: Language, shared_dir: Path) -> None:
    path = shared_dir / "eval" / "sota_clef24" / "train.jsonl.gz"
    if not path.is_file():
        pytest.skip(f"{path} is not present")
    papers = []
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        for line in handle:
            record = json.loads(line)
            if record.get("title") and record.get("abstract"):
                papers.append(Paper(id=str(record["paper_id"]), title=record["title"], abstract=record["abstract"]))
            if len(papers) == 1000:
                break
    compiled, pure = both(lambda: [extraction_line(record) for record in extract(papers, nlp)])
    assert compiled == pure


@requires_compiled
def test_text_cache_emptied_when_full(nlp: Language, monkeypatch: pytest.MonkeyPatch) -> None:
    doc = nlp.make_doc("Alpha beta gamma delta epsilon")
    small = COMPILED._TextCache(3)
    monkeypatch.setattr(COMPILED, "_TEXTS", small)
    with compiled_set_to(COMPILED):
        table = tokens.TokenTable(doc)
    assert table.texts == ["Alpha", "beta", "gamma", "delta", "epsilon"]
    assert table.lowers == ["alpha", "beta", "gamma", "delta", "epsilon"]
    # Six distinct texts ("Alpha" and "alpha") passed through a cache of three.
    assert 0 < len(small) <= 3


def test_no_speedups_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KG_NO_SPEEDUPS", "1")
    assert speedups.load_compiled() is None
    monkeypatch.setenv("KG_NO_SPEEDUPS", "0")
    assert speedups.load_compiled() is COMPILED


@requires_compiled
def test_other_spacy_release_falls_back(monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.delenv("KG_NO_SPEEDUPS", raising=False)
    monkeypatch.setattr(COMPILED, "SPACY_VERSION", "3.0.0")
    with caplog.at_level(logging.WARNING, logger="kg.nlp.speedups"):
        assert speedups.load_compiled() is None
    assert "compiled against spaCy 3.0.0" in caplog.text
    assert "Reinstall kg" in caplog.text
