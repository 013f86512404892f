from __future__ import annotations

import pytest

import kg.nlp
from kg.extract import extract
from kg.model import Paper, Result
from kg.resolve import entity_key


@pytest.fixture(scope="module")
def nlp():
    return kg.nlp.create_pipeline()


def results(nlp, abstract: str) -> list[Result]:
    (extraction,) = extract([Paper(id="t", title="A title", abstract=abstract)], nlp)
    return list(extraction.results)


def only(nlp, abstract: str) -> Result:
    found = results(nlp, abstract)
    assert len(found) == 1, found
    return found[0]


def test_score_on_benchmark(nlp):
    result = only(nlp, "A tuned model scores 94.1 on RewardBench.")
    assert (result.value, result.unit, result.benchmark) == ("94.1", "", "rewardbench")


def test_percent_unit(nlp):
    result = only(nlp, "It improves by 12.3% overall.")
    assert (result.value, result.unit) == ("12.3", "percent")


def test_percent_word(nlp):
    assert only(nlp, "It improves by 12 percent overall.").unit == "percent"


@pytest.mark.parametrize("text", ["3.2 points", "3.2 pp", "3.2 percentage points"])
def test_points_unit(nlp, text):
    result = only(nlp, f"Accuracy rises by {text} overall.")
    assert (result.value, result.unit) == ("3.2", "points")


@pytest.mark.parametrize("text", ["2.5x", "2.5×"])
def test_multiplier_unit(nlp, text):
    result = only(nlp, f"Training is {text} faster.")
    assert (result.value, result.unit) == ("2.5", "x")


@pytest.mark.parametrize("text", ["85.3 ± 1.2%", "85.3±1.2%", "85.3% ± 1.2%", "85.3 +/- 1.2%", "85.3% (±1.2)"])
def test_spread(nlp, text):
    result = only(nlp, f"We reach {text} accuracy.")
    assert (result.value, result.spread, result.unit) == ("85.3", "1.2", "percent")


def test_evidence_covers_spread(nlp):
    assert only(nlp, "We reach 85.3 ± 1.2% accuracy.").evidence.text == "85.3 ± 1.2%"


def test_evidence_offsets(nlp):
    abstract = "Our method reaches 85.3% accuracy on GSM8K."
    result = only(nlp, abstract)
    assert abstract[result.evidence.start : result.evidence.end] == "85.3%"
    assert result.evidence.sentence == abstract


def test_metric_after_number(nlp):
    assert only(nlp, "It reaches 85% accuracy on GSM8K.").metric == "accuracy"


def test_metric_before_number(nlp):
    assert only(nlp, "It reaches an accuracy of 85% on GSM8K.").metric == "accuracy"


def test_metric_across_number_skipped(nlp):
    found = results(nlp, "It reaches 85% accuracy on GSM8K and is 2.5x faster.")
    assert [result.metric for result in found] == ["accuracy", ""]


def test_benchmark_after_metric(nlp):
    assert only(nlp, "It reaches 85% accuracy on the GSM8K benchmark.").benchmark == "gsm8k"


def test_benchmark_label(nlp):
    result = only(nlp, "Scores: GSM8K: 85.3.")
    assert (result.value, result.benchmark) == ("85.3", "gsm8k")


def test_score_list(nlp):
    found = results(nlp, "The model scores 62.6 on OlympiadBench and 79.0 on LiveCodeBench.")
    assert [(result.value, result.benchmark) for result in found] == [("62.6", "olympiadbench"), ("79.0", "livecodebench")]


def test_subject_proposed(nlp):
    result = only(nlp, "We propose Quokka. Quokka scores 94.1 on RewardBench.")
    assert result.subject == "quokka"


def test_subject_we(nlp):
    assert only(nlp, "We propose Quokka. We reach 85% accuracy on GSM8K.").subject == "quokka"


def test_subject_model(nlp):
    assert only(nlp, "GPT-4o scores 50.2 on RewardBench.").subject == entity_key("GPT-4o")


def test_subject_paper(nlp):
    assert only(nlp, "The gap closes by 40% overall.").subject == ""


def test_value_without_thousands_separator(nlp):
    assert only(nlp, "It scores 1,024.5 on RewardBench.").value == "1024.5"


def test_negative_value(nlp):
    assert only(nlp, "The change is −3.2% overall.").value == "-3.2"


@pytest.mark.parametrize(
    "abstract",
    [
        "We train on data from 2024.",
        "We fine-tune Qwen2.5-7B and a 7B model.",
        "We collect 1,000 samples on GSM8K.",
        "We use 8 GPUs.",
        "We test on AIME 2025.",
        "We release v2.1 of the code.",
        "It improves pass@1 and Top-1 accuracy.",
        "Gains of 12-15% are common.",
        "Participants (N=820) agreed.",
        "Existing methods reach 50% accuracy.",
    ],
)
def test_ignored_numbers(nlp, abstract):
    assert results(nlp, abstract) == []


@pytest.mark.parametrize("dash", ["\u2010", "\u2011", "\u2012", "\u2013", "\u2014", "\u2212"])
def test_unicode_dash_range_ignored(nlp, dash):
    assert results(nlp, f"Gains of 12{dash}15% are common.") == []


def test_from_to_gives_two(nlp):
    assert [result.value for result in results(nlp, "Accuracy rises from 40% to 60%.")] == ["40", "60"]


def test_results_in_json(nlp):
    (extraction,) = extract([Paper(id="t", title="A title", abstract="It scores 94.1 on RewardBench.")], nlp)
    (record,) = extraction.to_json()["results"]
    assert record["value"] == "94.1"
    assert record["benchmark"] == "rewardbench"
    assert record["evidence"]["text"] == "94.1"
