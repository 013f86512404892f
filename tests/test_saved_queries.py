from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from kg.build import build
from kg.errors import ConfigError
from kg.query import run_query
from kg.saved import QUERIES_DIR, bind_parameters, load_saved_query, saved_queries

SAMPLE = Path(__file__).resolve().parent / "data" / "results-sample.ttl"
EXPECTED_QUERIES = {
    "benchmarks-of-month",
    "built-on",
    "code-for-method",
    "methods-on-benchmark",
    "papers-per-benchmark",
    "results-above",
}


@pytest.fixture(scope="module")
def example_build(example_page: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("example")
    build([example_page], out)
    return out


def rows(source: Path, name: str, **parameters: str) -> list[tuple]:
    return list(run_query(source, load_saved_query(name).text, parameters=parameters).rows)


def test_saved_query_names() -> None:
    assert EXPECTED_QUERIES <= set(saved_queries())


@pytest.mark.parametrize("path", sorted(QUERIES_DIR.glob("*.rq")), ids=lambda path: path.stem)
def test_saved_query_comment_lines(path: Path) -> None:
    first, second = path.read_text(encoding="utf-8").splitlines()[:2]
    assert first.startswith("# ")
    assert second.startswith("# Parameters: ")


@pytest.mark.parametrize("name", sorted(EXPECTED_QUERIES))
def test_saved_query_runs_on_example(example_build: Path, name: str) -> None:
    result = run_query(example_build, load_saved_query(name).text)
    assert result.form == "select"


@pytest.mark.parametrize("name", sorted(EXPECTED_QUERIES))
def test_saved_query_answers_sample(name: str) -> None:
    assert rows(SAMPLE, name)


def test_papers_per_benchmark_example(example_build: Path) -> None:
    counts = dict(rows(example_build, "papers-per-benchmark"))
    assert counts["RewardBench"] == "2"
    assert counts["ProcessBench"] == "1"


def test_papers_per_benchmark_by_alias(example_build: Path) -> None:
    assert rows(example_build, "papers-per-benchmark", benchmark="rewardbench") == [("RewardBench", "2")]


def test_methods_on_rewardbench(example_build: Path) -> None:
    methods = {method for _, _, method, _ in rows(example_build, "methods-on-benchmark", benchmark="RewardBench")}
    assert "Collaborative Reward Modeling" in methods


def test_methods_on_benchmark_filters(example_build: Path) -> None:
    benchmarks = {benchmark for benchmark, _, _, _ in rows(example_build, "methods-on-benchmark", benchmark="RewardBench")}
    assert benchmarks == {"RewardBench"}


def test_code_for_tango(example_build: Path) -> None:
    assert [url for _, url, _ in rows(example_build, "code-for-method", method="tango")] == ["https://github.com/kaiwenzha/rl-tango"]


def test_benchmarks_of_latest_month() -> None:
    assert rows(SAMPLE, "benchmarks-of-month") == [("RewardBench", "2"), ("MATH", "1")]


def test_benchmarks_of_given_month() -> None:
    assert rows(SAMPLE, "benchmarks-of-month", month="2025-08") == [("MATH", "1")]


def test_built_on_by_alias() -> None:
    found = rows(SAMPLE, "built-on", base="Group Relative Policy Optimization")
    assert found == [("Tango: RL for verifiers", "Tango", "GRPO")]


def test_built_on_all_bases() -> None:
    assert {base for _, _, base in rows(SAMPLE, "built-on")} == {"GRPO", "PPO"}


def test_results_above_threshold() -> None:
    values = [Decimal(row[0]) for row in rows(SAMPLE, "results-above", threshold="50")]
    assert values == [Decimal("94.1"), Decimal("88")]


def test_results_above_negative_threshold() -> None:
    values = [Decimal(row[0]) for row in rows(SAMPLE, "results-above", threshold="-3")]
    assert all(value > Decimal("-3") for value in values)
    assert len(values) == 4


def test_results_above_on_benchmark() -> None:
    found = rows(SAMPLE, "results-above", threshold="90", benchmark="rewardbench")
    assert [row[0] for row in found] == ["94.1"]


def test_results_threshold_not_decimal() -> None:
    with pytest.raises(ConfigError, match="xsd:decimal"):
        rows(SAMPLE, "results-above", threshold="90; DROP ALL")


def test_unknown_parameter() -> None:
    with pytest.raises(ConfigError, match="takes: benchmark"):
        rows(SAMPLE, "papers-per-benchmark", dataset="MATH")


def test_unknown_saved_query() -> None:
    with pytest.raises(ConfigError, match="papers-per-benchmark"):
        load_saved_query("no-such-query")


def test_saved_query_name_path_rejected() -> None:
    with pytest.raises(ConfigError, match="Unknown saved query"):
        load_saved_query("../kg/queries/built-on")


# Values that would end the string and add a pattern if they were pasted.
INJECTIONS = [
    'x" } UNION { ?s ?p ?o } #',
    "x' } ; DROP ALL ; #",
    'tab\there "quoted" \\ back\\slash',
    "\\u0022 } #",
    'line\nbreak """',
]


@pytest.mark.parametrize("value", INJECTIONS)
def test_parameter_stays_literal(value: str) -> None:
    query = "# t\n# Parameters: name (string)\nSELECT ?name WHERE { }"
    assert run_query(SAMPLE, query, parameters={"name": value}).rows == ((value,),)


@pytest.mark.parametrize("value", INJECTIONS)
def test_parameter_matches_nothing(value: str) -> None:
    assert rows(SAMPLE, "papers-per-benchmark", benchmark=value) == []


def test_iri_parameter() -> None:
    query = "# t\n# Parameters: paper (iri)\nSELECT ?title WHERE { ?paper dcterms:title ?title }"
    found = run_query(SAMPLE, query, parameters={"paper": "<https://w3id.org/kg-papers/id/paper/p2>"})
    assert found.rows == (("Critic models on RewardBench",),)


def test_iri_parameter_invalid() -> None:
    query = "# t\n# Parameters: paper (iri)\nSELECT ?paper WHERE { }"
    with pytest.raises(ConfigError, match="not an absolute IRI"):
        run_query(SAMPLE, query, parameters={"paper": "https://e.org/a> } <"})


def test_bind_skips_comment_braces() -> None:
    query = "# { not here\nSELECT ?x WHERE { ?x ?p ?o }"
    assert bind_parameters(query, {"x": "a"}).endswith('WHERE { VALUES (?x) { ("a") } ?x ?p ?o }')


def test_bind_construct_where_group() -> None:
    query = "CONSTRUCT { ?x ?p ?o } WHERE { ?x ?p ?o }"
    assert bind_parameters(query, {"o": "a"}) == 'CONSTRUCT { ?x ?p ?o } WHERE { VALUES (?o) { ("a") } ?x ?p ?o }'


def test_bind_invalid_name() -> None:
    with pytest.raises(ConfigError, match="variable name"):
        bind_parameters("SELECT ?x WHERE { }", {"x }": "a"})


def test_name_parameter_ignores_plural_and_dash() -> None:
    found = rows(SAMPLE, "built-on", base="group-relative policy optimizations")
    assert {base for _, _, base in found} == {"GRPO"}


def test_name_parameter_ignores_case() -> None:
    assert rows(SAMPLE, "papers-per-benchmark", benchmark="REWARDBENCH") == [("RewardBench", "2")]


def test_name_parameter_without_letters() -> None:
    with pytest.raises(ConfigError, match="no letters or digits"):
        rows(SAMPLE, "papers-per-benchmark", benchmark="--")


def test_name_parameter_bound_as_key() -> None:
    query = "# t\n# Parameters: name (name)\nSELECT ?name WHERE { }"
    assert bind_parameters(query, {"name": "GPT-4"}).count('"gpt4"') == 1


def test_results_above_limit() -> None:
    assert load_saved_query("results-above").text.rstrip().endswith("LIMIT 100")


def test_bind_marked_subselect() -> None:
    query = "SELECT ?x WHERE { { SELECT ?x\n# kg:bind-parameters\nWHERE { ?x ?p ?t } LIMIT 1 } }"
    bound = bind_parameters(query, {"t": "a"})
    assert bound.count('VALUES (?t) { ("a") }') == 2
    assert 'WHERE { VALUES (?t) { ("a") } ?x ?p ?t }' in bound
