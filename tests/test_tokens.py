"""Tests for kg.nlp.tokens: the token lists must equal what spaCy's objects report."""

from __future__ import annotations

import gc
import re

import pytest
import spacy

import kg.nlp
from kg.extract import make_doc
from kg.model import Paper
from kg.nlp.entities import _whole_mentions
from kg.nlp.tokens import _ORTH_TEXTS, _texts_of, token_table

TEXTS = [
    "",
    "One.",
    "We propose Qwen2.5\u2013Math\u20137B (see https://github.com/a/b).  It beats GPT-4o!\n\nNew   line.",
    "Ünïcödé names: BERT\u2010base, “quoted” text, and i.i.d. samples\ttabbed.",
]


@pytest.fixture(scope="module")
def nlp():
    return kg.nlp.create_pipeline()


@pytest.mark.parametrize("text", TEXTS)
def test_table_matches_tokens(nlp, text):
    doc = nlp(text)
    table = token_table(doc)
    assert table.text == doc.text
    assert table.texts == [token.text for token in doc]
    assert table.lowers == [token.lower_ for token in doc]
    assert table.starts == [token.idx for token in doc]
    assert table.ends == [token.idx + len(token) for token in doc]
    assert table.whitespace == [bool(token.whitespace_) for token in doc]
    assert table.is_space == [token.is_space for token in doc]
    assert table.is_punct == [token.is_punct for token in doc]
    assert table.sent_starts == [bool(token.is_sent_start) for token in doc]
    assert table.has_sentences == doc.has_annotation("SENT_START")


@pytest.mark.parametrize("text", TEXTS[1:])
def test_sentences_match_doc_sents(nlp, text):
    doc = nlp(text)
    table = token_table(doc)
    assert table.sentences() == [(sentence.start, sentence.end) for sentence in doc.sents]
    for index in range(len(doc)):
        sentence = doc[index].sent
        assert table.sentence_bounds(index) == (sentence.start, sentence.end)


def test_char_span_matches_doc(nlp):
    doc = nlp(TEXTS[2])
    table = token_table(doc)
    for start in range(len(doc.text) + 1):
        for end in range(start + 1, min(start + 40, len(doc.text)) + 1):
            span = doc.char_span(start, end)
            expected = None if span is None else (span.start, span.end)
            assert table.char_span(start, end) == expected, (start, end)


def test_sentences_without_annotation():
    doc = spacy.blank("en")("No sentence boundaries here. None at all.")
    table = token_table(doc)
    assert not table.has_sentences
    assert table.sentence_bounds(5) == (0, len(doc))


def test_table_sees_new_sentence_starts(nlp):
    paper = Paper(id="p1", title="A Title", abstract="First sentence. Second sentence.")
    doc = make_doc(nlp, paper)
    before = token_table(doc)
    assert not before.has_sentences
    for _, component in nlp.pipeline:
        doc = component(doc)
    after = token_table(doc)
    assert after.has_sentences
    assert after.sentences() == [(sentence.start, sentence.end) for sentence in doc.sents]


def test_table_sentences_refreshed_later(nlp):
    doc = spacy.blank("en")("First sentence. Second sentence.")
    token_table(doc)
    doc[3].is_sent_start = True
    stale = token_table(doc, refresh_sentences=False)
    assert not stale.has_sentences
    fresh = token_table(doc)
    assert fresh.sentences() == [(0, 3), (3, len(doc))]


def test_table_rebuilt_after_merge(nlp):
    doc = nlp("Large language models work.")
    token_table(doc)
    with doc.retokenize() as retokenizer:
        retokenizer.merge(doc[0:3])
    table = token_table(doc)
    assert table.texts == [token.text for token in doc]


@pytest.mark.parametrize("hyphen_after", [False, True])
def test_whole_mentions_match_regex(hyphen_after):
    text = "GRPO and GRPO-based, xGRPO, GRPO- GRPO_2 -GRPO GRPO GRPOs GRPO-hard (GRPO)."
    lookahead = r"(?![\w]|-\w)" if hyphen_after else r"(?![\w-])"
    pattern = re.compile(rf"(?<![\w-]){re.escape('GRPO')}{lookahead}")
    expected = [match.start() for match in pattern.finditer(text)]
    assert list(_whole_mentions(text, "GRPO", hyphen_after=hyphen_after)) == expected


def test_cached_tables_do_not_keep_docs_alive() -> None:
    from kg.nlp import tokens

    nlp = kg.nlp.create_pipeline()
    for doc in nlp.pipe(["GRPO improves BERT on GLUE (Wang et al.).", "We release the code."]):
        assert token_table(doc).doc is doc
    del doc
    gc.collect()
    assert len(tokens._CACHE) == 0


def test_texts_of_fills_misses_from_strings() -> None:
    vocabulary = spacy.blank("en").vocab
    orths = [vocabulary.strings.add(text) for text in ("kgOrthProbeA", "kgOrthProbeB", "kgOrthProbeA")]
    for orth in orths:
        _ORTH_TEXTS.pop(orth, None)
    assert _texts_of(orths, vocabulary.strings) == ["kgOrthProbeA", "kgOrthProbeB", "kgOrthProbeA"]
    assert _ORTH_TEXTS[orths[1]] == "kgOrthProbeB"


def test_texts_of_shared_across_vocabularies() -> None:
    first, second = spacy.blank("en").vocab, spacy.blank("en").vocab
    orth = first.strings.add("kgOrthProbeShared")
    assert _texts_of([orth], first.strings) == ["kgOrthProbeShared"]
    # The same text has the same orth hash in another vocabulary.
    assert second.strings.add("kgOrthProbeShared") == orth
    assert _texts_of([orth], second.strings) == ["kgOrthProbeShared"]
