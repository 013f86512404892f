from __future__ import annotations

import json
from pathlib import Path

import pytest

from kg.cli import main
from kg.errors import ConfigError, InputError, KgError
from kg.evaluation.corpora import (
    Document,
    GoldSpan,
    detect_corpus_format,
    join_tokens,
    read_conll,
    read_gold,
    read_scierc,
    read_scirex,
)
from kg.evaluation.mappings import DEFAULT_MAPPINGS, parse_overrides
from kg.evaluation.report import write_json
from kg.evaluation.runner import EvaluationResult, evaluate_documents
from kg.evaluation.scoring import Counts, item_keys, micro_total, score_items, score_spans
from kg.nlp.pipeline import create_pipeline


def spans_text(document: Document) -> list[tuple[str, str]]:
    return [(span.label, document.span_text(span)) for span in document.spans]


# --- scoring ------------------------------------------------------------------


def test_exact_needs_same_boundaries() -> None:
    scores = score_spans([(0, 9, "task")], [(0, 4, "task")], mode="exact", types=["task"])
    assert scores["task"] == Counts(tp=0, fp=1, fn=1)


def test_partial_counts_overlap() -> None:
    scores = score_spans([(0, 9, "task")], [(0, 4, "task")], mode="partial", types=["task"])
    assert scores["task"] == Counts(tp=1, fp=0, fn=0)


def test_partial_is_one_to_one() -> None:
    scores = score_spans([(0, 4, "task"), (5, 9, "task")], [(0, 9, "task")], mode="partial", types=["task"])
    assert scores["task"] == Counts(tp=1, fp=0, fn=1)


def test_partial_adjacent_spans_do_not_overlap() -> None:
    scores = score_spans([(0, 4, "task")], [(4, 9, "task")], mode="partial", types=["task"])
    assert scores["task"].tp == 0


def test_spans_of_other_type_do_not_match() -> None:
    scores = score_spans([(0, 4, "task")], [(0, 4, "method")], mode="exact", types=["task", "method"])
    assert scores["task"] == Counts(tp=0, fp=0, fn=1)
    assert scores["method"] == Counts(tp=0, fp=1, fn=0)


def test_unscored_types_are_ignored() -> None:
    scores = score_spans([(0, 4, "task")], [(0, 4, "model")], mode="exact", types=["task"])
    assert set(scores) == {"task"}


def test_empty_prediction_scores_zero() -> None:
    counts = score_spans([(0, 4, "task")], [], mode="exact", types=["task"])["task"]
    assert (counts.precision, counts.recall, counts.f1) == (0.0, 0.0, 0.0)


def test_empty_gold_scores_zero() -> None:
    counts = score_spans([], [(0, 4, "task")], mode="exact", types=["task"])["task"]
    assert (counts.precision, counts.recall, counts.f1) == (0.0, 0.0, 0.0)


def test_nothing_to_find_scores_one() -> None:
    counts = Counts()
    assert (counts.precision, counts.recall, counts.f1) == (1.0, 1.0, 1.0)


def test_f1_is_harmonic_mean() -> None:
    counts = Counts(tp=1, fp=1, fn=3)
    assert counts.precision == 0.5
    assert counts.recall == 0.25
    assert counts.f1 == pytest.approx(1 / 3)


def test_items_match_any_alternative() -> None:
    gold = [item_keys(["reinforcement learning", "RL"])]
    assert score_items(gold, [item_keys(["RL"])]) == Counts(tp=1)


def test_items_compare_by_entity_key() -> None:
    assert score_items([item_keys(["Large Language Models"])], [item_keys(["large-language model"])]) == Counts(tp=1)


def test_items_are_one_to_one() -> None:
    gold = [item_keys(["RL"])]
    predicted = [item_keys(["RL"]), item_keys(["rl"])]
    assert score_items(gold, predicted) == Counts(tp=1, fp=1)


def test_items_matching_is_maximal() -> None:
    # A greedy pairing of the first gold item with the first prediction leaves
    # the second gold item unmatched; the maximum matching pairs both.
    gold = [item_keys(["a", "b"]), item_keys(["a"])]
    predicted = [item_keys(["a"]), item_keys(["b"])]
    assert score_items(gold, predicted) == Counts(tp=2)


def test_micro_total_sums_rows() -> None:
    total = micro_total({"task": Counts(tp=1, fp=2), "metric": Counts(tp=3, fn=4)})
    assert total == Counts(tp=4, fp=2, fn=4)


# --- readers --------------------------------------------------------------------


def test_join_tokens_records_offsets() -> None:
    text, starts = join_tokens(["SGD", "-LRB-", "fast", "-RRB-"])
    assert text == "SGD ( fast )"
    assert starts == [0, 4, 6, 11]


def test_read_scierc_inclusive_end(tmp_path: Path) -> None:
    path = tmp_path / "dev.json"
    record = {
        "doc_key": "X1",
        "sentences": [["We", "use", "neural", "networks", "."], ["On", "MNIST", "."]],
        "ner": [[[2, 3, "Method"]], [[6, 6, "Material"]]],
    }
    path.write_text(json.dumps(record) + "\n", encoding="utf-8")
    [document] = read_scierc(path)
    assert document.text == "We use neural networks . On MNIST ."
    assert spans_text(document) == [("Method", "neural networks"), ("Material", "MNIST")]


def test_read_scierc_index_out_of_range(tmp_path: Path) -> None:
    path = tmp_path / "dev.json"
    path.write_text(json.dumps({"sentences": [["A"]], "ner": [[[0, 3, "Task"]]]}) + "\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"record 1: 'ner' item \[0, 3, 'Task'\] is outside"):
        list(read_scierc(path))


def test_read_scirex_exclusive_end(tmp_path: Path) -> None:
    path = tmp_path / "scirex.jsonl"
    record = {
        "doc_id": "d1",
        "title": "A Title",
        "abstract_words": ["We", "report", "Mean", "IoU", "on", "Cityscapes", "."],
        "ner": [[2, 4, "Metric"], [5, 6, "Material"]],
        "salient_entities_in_abstract": ["Cityscapes", "Mean_IoU"],
        "salient_entity_types": {"Cityscapes": "Material", "Mean_IoU": "Metric", "Other": None},
    }
    path.write_text(json.dumps(record) + "\n", encoding="utf-8")
    [document] = read_scirex(path)
    assert spans_text(document) == [("Metric", "Mean IoU"), ("Material", "Cityscapes")]
    assert document.title == "A Title"
    assert document.labels == (("Material", "Cityscapes"), ("Metric", "Mean_IoU"))


def test_read_conll_bio(tmp_path: Path) -> None:
    path = tmp_path / "bio.conll"
    path.write_text(
        "We\t0\tO\nuse\t3\tO\nPenn\t7\tB-DATASET\nTreebank\t12\tI-DATASET\n.\t20\tO\n\nF1\t0\tB-METRIC\n",
        encoding="utf-8",
    )
    documents = list(read_conll(path))
    assert [document.text for document in documents] == ["We use Penn Treebank .", "F1"]
    assert spans_text(documents[0]) == [("DATASET", "Penn Treebank")]
    assert spans_text(documents[1]) == [("METRIC", "F1")]


def test_read_conll_bioes(tmp_path: Path) -> None:
    path = tmp_path / "bioes.data"
    path.write_text(
        "Question\tB-RESEARCH_PROBLEM\nAnswering\tE-RESEARCH_PROBLEM\nwith\tO\nBERT\tS-METHOD\nand\tO\n"
        "ELMo\tS-METHOD\nfine\tB-METHOD\ntuned\tI-METHOD\nmodels\tE-METHOD\n",
        encoding="utf-8",
    )
    [document] = read_conll(path)
    assert spans_text(document) == [
        ("RESEARCH_PROBLEM", "Question Answering"),
        ("METHOD", "BERT"),
        ("METHOD", "ELMo"),
        ("METHOD", "fine tuned models"),
    ]


def test_read_conll_space_separated(tmp_path: Path) -> None:
    path = tmp_path / "spaces.bio"
    path.write_text("-DOCSTART- O\n\nImage  NN  B-TASK\nsegmentation NN I-TASK\n", encoding="utf-8")
    [document] = read_conll(path)
    assert spans_text(document) == [("TASK", "Image segmentation")]


def test_read_conll_i_after_o_starts_span(tmp_path: Path) -> None:
    path = tmp_path / "iob1.bio"
    path.write_text("the\tO\nSQuAD\tI-DATASET\ndata\tI-DATASET\n", encoding="utf-8")
    [document] = read_conll(path)
    assert spans_text(document) == [("DATASET", "SQuAD data")]


def test_read_conll_cp1252_fallback(tmp_path: Path) -> None:
    path = tmp_path / "cs.data"
    path.write_bytes("state\u2013of\tO\nBERT\tS-METHOD\n".encode("cp1252"))
    [document] = read_conll(path)
    assert document.text == "state\u2013of BERT"
    assert spans_text(document) == [("METHOD", "BERT")]


def test_conll_missing_tag_names_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.conll"
    path.write_text("We\tO\nuse\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"bad\.conll, record 2: expected a token and a tag"):
        list(read_conll(path))


def test_conll_invalid_tag_names_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.conll"
    path.write_text("We\tO\nuse\tX-TASK\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"record 2: invalid tag 'X-TASK'"):
        list(read_conll(path))


def test_read_gold_items(tmp_path: Path) -> None:
    path = tmp_path / "gold.jsonl"
    record = {
        "id": "p1",
        "title": "T",
        "proposed": ["Tango"],
        "entities": {"method": ["Tango", ["reinforcement learning", "RL"]]},
        "links": ["https://github.com/a/b"],
        "abbreviations": [{"short": "RL", "long": "reinforcement learning"}],
    }
    path.write_text(json.dumps(record) + "\n", encoding="utf-8")
    [paper] = read_gold(path)
    assert paper.entities["method"] == (("Tango",), ("reinforcement learning", "RL"))
    assert paper.proposed == (("Tango",),)
    assert paper.abbreviations == (("RL", "reinforcement learning"),)


def test_read_gold_unknown_type(tmp_path: Path) -> None:
    path = tmp_path / "gold.jsonl"
    path.write_text("\n" + json.dumps({"id": "p1", "title": "T", "entities": {"software": ["X"]}}) + "\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"gold\.jsonl, record 2: unknown entity type 'software'"):
        list(read_gold(path))


def test_read_gold_empty_alternatives(tmp_path: Path) -> None:
    path = tmp_path / "gold.jsonl"
    path.write_text(json.dumps({"id": "p1", "title": "T", "entities": {"task": [[]]}}) + "\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"entities\.task item \[\] must be"):
        list(read_gold(path))


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("a.conll", "x\tO\n", "conll"),
        ("a.json", '{"sentences": [], "ner": []}\n', "scierc"),
        ("a.jsonl", '{"abstract": "x", "ner": []}\n', "scirex"),
        ("a.jsonl", '{"id": "p", "title": "t", "entities": {}}\n', "gold"),
    ],
)
def test_detect_corpus_format(tmp_path: Path, name: str, content: str, expected: str) -> None:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    assert detect_corpus_format(path) == expected


def test_detect_unknown_fields(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    path.write_text('{"text": "x"}\n', encoding="utf-8")
    with pytest.raises(InputError, match=r"record 1: cannot tell the corpus format .*\(text\)"):
        detect_corpus_format(path)


# --- mappings -------------------------------------------------------------------


def test_overrides_map_and_ignore() -> None:
    assert parse_overrides(["Generic=method", "Task="], option="--map") == {"Generic": "method", "Task": None}


def test_override_unknown_type() -> None:
    with pytest.raises(ConfigError, match="unknown type 'software'"):
        parse_overrides(["Method=software"], option="--map")


def test_unmapped_label_is_an_error() -> None:
    with pytest.raises(ConfigError, match="--map Foo=TYPE"):
        DEFAULT_MAPPINGS["scierc"].check_labels(["Method", "Foo"])


def test_scored_types_follow_corpus_labels() -> None:
    assert DEFAULT_MAPPINGS["conll"].scored_types(["DATASET", "TASK", "METRIC"]) == ("dataset", "task", "metric")


# --- pipeline runs ------------------------------------------------------------------


@pytest.fixture(scope="module")
def zeta_pipeline(tmp_path_factory: pytest.TempPathFactory):
    vocabulary = tmp_path_factory.mktemp("vocab") / "zeta.tsv"
    vocabulary.write_text("Zetabench\tdataset\nZetaNet-7B\tmodel\n", encoding="utf-8")
    return create_pipeline(vocabulary_paths=[vocabulary])


def test_documents_exact_match(zeta_pipeline) -> None:
    text = "We report results on Zetabench ."
    document = Document(id="d", text=text, spans=(GoldSpan(21, 30, "Material"),))
    result = evaluate_documents([document], zeta_pipeline, mapping=DEFAULT_MAPPINGS["scierc"], corpus="t", corpus_format="scierc")
    assert result.table("exact").rows["dataset"].tp == 1


def test_model_scored_as_scierc_method(zeta_pipeline) -> None:
    text = "We fine-tune ZetaNet-7B here ."
    document = Document(id="d", text=text, spans=(GoldSpan(13, 23, "Method"),))
    result = evaluate_documents([document], zeta_pipeline, mapping=DEFAULT_MAPPINGS["scierc"], corpus="t", corpus_format="scierc")
    assert result.table("exact").rows["method"].tp == 1


def test_title_mentions_are_not_scored(zeta_pipeline) -> None:
    document = Document(id="d", title="Zetabench", text="A new test .", spans=(GoldSpan(0, 1, "Material"),))
    result = evaluate_documents([document], zeta_pipeline, mapping=DEFAULT_MAPPINGS["scierc"], corpus="t", corpus_format="scierc")
    assert result.table("exact").rows["dataset"].fp == 0


# --- command line -------------------------------------------------------------------


def write_tiny_gold(path: Path) -> None:
    records = [
        {
            "id": "rl-tango-reinforcing-generator-and-verifier-e9e25a4d",
            "title": "RL Tango: Reinforcing Generator and Verifier Together for Language Reasoning",
            "proposed": ["Tango"],
            "entities": {
                "method": ["Tango", ["reinforcement learning", "RL"], ["supervised fine-tuning", "SFT"]],
                "dataset": ["ProcessBench"],
                "task": ["mathematical reasoning"],
            },
            "links": ["https://github.com/kaiwenzha/rl-tango"],
            "abbreviations": [{"short": "RL", "long": "reinforcement learning"}, {"short": "SFT", "long": "supervised fine-tuning"}],
        }
    ]
    path.write_text("".join(json.dumps(record) + "\n" for record in records), encoding="utf-8")


def test_cli_gold_end_to_end(tmp_path: Path, example_page: Path, capsys: pytest.CaptureFixture[str]) -> None:
    gold = tmp_path / "gold.jsonl"
    write_tiny_gold(gold)
    out = tmp_path / "scores.json"
    status = main(["eval", str(gold), "--input", str(example_page), "--json", str(out)])
    assert status == 0
    assert "Proposed artifacts, links and abbreviations" in capsys.readouterr().out
    scores = json.loads(out.read_text(encoding="utf-8"))["scores"]
    assert set(scores["entities"]["rows"]) == {"method", "model", "dataset", "task", "metric", "micro", "any type"}
    assert set(scores["artifacts"]["rows"]) == {"proposed", "links", "abbreviations"}
    for table in scores.values():
        for row in table["rows"].values():
            assert 0.0 <= row["f1"] <= 1.0


def test_cli_gold_needs_input(tmp_path: Path) -> None:
    gold = tmp_path / "gold.jsonl"
    write_tiny_gold(gold)
    assert main(["eval", str(gold)]) == 2


def test_cli_gold_paper_not_in_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    gold = tmp_path / "gold.jsonl"
    gold.write_text(json.dumps({"id": "nope", "title": "Not on the page"}) + "\n", encoding="utf-8")
    papers = tmp_path / "papers.jsonl"
    papers.write_text(json.dumps({"id": "p1", "title": "Other"}) + "\n", encoding="utf-8")
    assert main(["eval", str(gold), "--input", str(papers)]) == 1
    assert "gold.jsonl, record 1: paper 'nope'" in capsys.readouterr().err


def test_cli_wrong_format_names_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "tags.json"
    path.write_text("We\tO\n", encoding="utf-8")
    assert main(["eval", str(path), "--format", "scierc"]) == 1
    assert "tags.json, record 1: invalid JSON" in capsys.readouterr().err


def test_cli_scierc_dev(shared_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "scierc.json"
    status = main(["eval", str(shared_dir / "eval" / "scierc" / "dev.json"), "--json", str(out)])
    assert status == 0
    result = json.loads(out.read_text(encoding="utf-8"))
    assert result["documents"] == 50
    for name in ("exact", "partial", "paper"):
        rows = result["scores"][name]["rows"]
        assert set(rows) == {"method", "dataset", "task", "metric", "micro"}
        for row in rows.values():
            assert 0.0 <= row["precision"] <= 1.0
            assert 0.0 <= row["recall"] <= 1.0


def test_cli_json_unwritable_fails_first(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    gold = tmp_path / "tags.conll"
    gold.write_text("We O\nuse O\nBERT S-Method\n", encoding="utf-8")
    blocker = tmp_path / "file.txt"
    blocker.write_text("", encoding="utf-8")
    out = blocker / "scores.json"
    assert main(["eval", str(gold), "--map", "Method=method", "--json", str(out)]) == 2
    captured = capsys.readouterr()
    assert str(out) in captured.err
    assert "Spans" not in captured.out


def test_write_json_error_names_target(tmp_path: Path) -> None:
    folder = tmp_path / "out"
    folder.mkdir()
    target = folder / "scores.json"
    target.mkdir()  # a folder where the file should go makes the final rename fail
    result = EvaluationResult(corpus="c", corpus_format="conll", documents=0, tables=(), mapping=DEFAULT_MAPPINGS["conll"])
    with pytest.raises(KgError, match="scores.json"):
        write_json(result, target)


def test_error_examples_ties_in_text_order() -> None:
    from kg.evaluation.runner import _ErrorTally

    tally = _ErrorTally(["method"])
    gold = [(name, frozenset({name})) for name in ("zeta", "alpha", "beta")]
    tally.add_items("method", gold, [])
    assert tally.most_common()["method"]["missed"] == [("alpha", 1), ("beta", 1), ("zeta", 1)]
