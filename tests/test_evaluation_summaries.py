"""The saved queries that read precomputed nodes return the rows of their aggregate forms.

``methods-on-benchmark`` reads `kg:EvaluationSummary` nodes, and
``results-above`` starts from the benchmark's match key when one is given.
Their earlier texts, kept below, compute the same rows from the edges and
from every ``kg:value``. The tests compare both on the example build and on
seeded random graphs. Without a benchmark, ``methods-on-benchmark``
returns one row per benchmark, whose method count must equal the number of
rows the earlier text returned for that benchmark.
"""

from __future__ import annotations

import random
from collections import Counter
from pathlib import Path

import networkx as nx
import pytest

from kg.build import build
from kg.graph import EVALUATED_ON, HAS_RESULT, MENTIONS, ON_DATASET, PROPOSES
from kg.query import run_query
from kg.rdf import evaluation_counts, write_rdf
from kg.resolve import entity_key
from kg.saved import bind_parameters, load_saved_query

# methods-on-benchmark before kg:EvaluationSummary: it counts the papers
# from the kg:evaluatedOn, kg:proposes and kg:mentions edges.
AGGREGATE_METHODS_ON_BENCHMARK = """# Methods and models evaluated on a benchmark, with the number of papers that report it
# Parameters: benchmark (name, optional): a name or alias, matched ignoring case, dashes and a plural s; every benchmark when unset
SELECT ?dataset_name ?method_name (COUNT(DISTINCT ?paper) AS ?papers) WHERE {
  { SELECT ?paper ?dataset WHERE { ?paper kg:evaluatedOn ?dataset } }
  FILTER(!BOUND(?benchmark) || EXISTS { ?dataset kg:matchKey ?benchmark })
  {
    { SELECT ?paper ?method WHERE { ?paper kg:proposes ?method } }
  } UNION {
    { SELECT ?paper ?method WHERE { { ?paper kg:mentions ?method } UNION { ?paper kg:proposes ?method } } }
    { SELECT ?method ?dataset WHERE { ?method kg:evaluatedOn ?dataset } }
  }
  { SELECT ?method WHERE { { ?method a kg:Method } UNION { ?method a kg:Model } } }
  { SELECT ?dataset ?dataset_name WHERE { ?dataset skos:prefLabel ?dataset_name } }
  { SELECT ?method ?method_name WHERE { ?method skos:prefLabel ?method_name } }
}
GROUP BY ?dataset_name ?method_name
ORDER BY ?dataset_name DESC(?papers) ?method_name
"""

# results-above before it started from the benchmark's match key.
EXISTS_RESULTS_ABOVE = """# Results above a threshold: the 100 largest reported numbers greater than a value, largest first
# Parameters: threshold (decimal, optional): results must be greater than it; all results when unset. benchmark (name, optional): a name or alias of the dataset or benchmark, matched ignoring case, dashes and a plural s
SELECT ?value ?unit ?metric_name ?dataset_name ?title ?label WHERE {
  {
    SELECT ?result ?value
    # kg:bind-parameters
    WHERE {
      {
        SELECT (MIN(?top_value) AS ?cutoff) WHERE {
          {
            SELECT ?top_value
            # kg:bind-parameters
            WHERE {
              ?top_result kg:value ?top_value
              FILTER(!BOUND(?threshold) || ?top_value > ?threshold)
              FILTER(!BOUND(?benchmark) || EXISTS { ?top_result kg:onDataset/kg:matchKey ?benchmark })
            }
            ORDER BY DESC(?top_value)
            LIMIT 100
          }
        }
      }
      ?result kg:value ?value
      FILTER(?value >= ?cutoff)
      FILTER(!BOUND(?threshold) || ?value > ?threshold)
      FILTER(!BOUND(?benchmark) || EXISTS { ?result kg:onDataset/kg:matchKey ?benchmark })
    }
  }
  OPTIONAL { ?result a ?result_type }
  FILTER(?result_type = kg:Result)
  OPTIONAL {
    ?result ^kg:hasResult ?paper
    OPTIONAL { ?paper a ?paper_type }
    OPTIONAL { ?paper dcterms:title ?title }
  }
  FILTER(?paper_type = kg:Paper && BOUND(?title))
  OPTIONAL { ?result kg:unit ?unit }
  OPTIONAL { ?result rdfs:label ?label }
  OPTIONAL { ?result kg:hasMetric/skos:prefLabel ?metric_name }
  OPTIONAL { ?result kg:onDataset/skos:prefLabel ?dataset_name }
}
ORDER BY DESC(?value) ?title
LIMIT 100
"""

METHOD_COUNT = 12
MODEL_COUNT = 4
DATASET_COUNT = 6
# Papers of a random graph. With 700 papers a dataset has more than 100
# results, so results-above with a benchmark applies its cutoff.
PAPER_COUNTS = (80, 700)


def random_graph(seed: int, *, papers: int = PAPER_COUNTS[0]) -> nx.MultiDiGraph:
    """Build a kg graph with random mentions, proposals, evaluations and results."""
    generator = random.Random(seed)
    graph = nx.MultiDiGraph()
    kinds = {"method": METHOD_COUNT, "model": MODEL_COUNT, "dataset": DATASET_COUNT, "task": 2}
    entities: dict[str, list[str]] = {}
    for kind, count in kinds.items():
        for index in range(count):
            name = f"{kind.title()} {index}"
            node = f"entity:{entity_key(name)}"
            aliases = [f"{kind[0].upper()}-{index}"] if index % 2 else []
            graph.add_node(node, type=kind, key=entity_key(name), name=name, aliases=aliases)
            entities.setdefault(kind, []).append(node)
    methods = entities["method"] + entities["model"]
    # A task as the target of an evaluation: the queries do not require kg:Dataset.
    targets = entities["dataset"] + entities["task"][:1]

    def edge(source: str, target: str, kind: str, paper_id: str) -> None:
        graph.add_edge(source, target, key=kind, type=kind, paper=paper_id)

    for number in range(papers):
        paper_id = f"p{number}"
        paper = f"paper:{paper_id}"
        graph.add_node(paper, type="paper", paper_id=paper_id, title=f"Paper {number % 50}")
        for method in generator.sample(methods, generator.randint(0, 3)):
            edge(paper, method, MENTIONS, paper_id)
        datasets = generator.sample(targets, generator.randint(0, 2))
        for dataset in datasets:
            edge(paper, dataset, EVALUATED_ON, paper_id)
        if generator.random() < 0.5:
            method = generator.choice(methods)
            edge(paper, method, PROPOSES, paper_id)
            for dataset in datasets:
                if generator.random() < 0.7:
                    edge(method, dataset, EVALUATED_ON, paper_id)
        for result_number in range(1, generator.randint(0, 3) + 1):
            result = f"result:{paper_id}:{result_number}"
            value = generator.choice(["12.5", "50", "88.0", "90.5", "94.1", "99.9", "-3"])
            graph.add_node(result, type="result", label=f"{value} on a benchmark", value=value, paper=paper_id)
            edge(paper, result, HAS_RESULT, paper_id)
            if datasets:
                edge(result, generator.choice(datasets), ON_DATASET, paper_id)
    return graph


@pytest.fixture(scope="module")
def example_build(example_page: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("example")
    build([example_page], out)
    return out


@pytest.fixture(scope="module", params=[(0, PAPER_COUNTS[0]), (1, PAPER_COUNTS[0]), (2, PAPER_COUNTS[1])], ids=str)
def random_export(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    seed, papers = request.param
    path = tmp_path_factory.mktemp("random") / "graph.ttl"
    write_rdf(random_graph(seed, papers=papers), path, format="turtle")
    return path


def both(source: Path, name: str, old_text: str, parameters: dict[str, str]) -> tuple[list[tuple], list[tuple]]:
    saved = load_saved_query(name)
    new = run_query(source, saved.text, parameters=parameters).rows
    old = run_query(source, bind_parameters(old_text, parameters) if parameters else old_text).rows
    return list(new), list(old)


METHOD_PARAMETERS = [{}, {"benchmark": "Dataset 0"}, {"benchmark": "d-1"}, {"benchmark": "Task 0"}, {"benchmark": "absent"}]
EXAMPLE_BENCHMARKS = [{}, {"benchmark": "RewardBench"}, {"benchmark": "ProcessBench"}, {"benchmark": "MATH"}]
RESULT_PARAMETERS = [
    {},
    {"threshold": "90"},
    {"threshold": "-5"},
    {"benchmark": "Dataset 0"},
    {"benchmark": "d-1", "threshold": "50"},
    {"benchmark": "absent"},
    {"threshold": "100"},
]


def per_benchmark(new: list[tuple]) -> list[tuple]:
    """Drop the ``methods`` column of methods-on-benchmark rows, leaving the aggregate form's columns."""
    return sorted((dataset, method, papers) for dataset, _, method, papers in new)


def method_counts(old: list[tuple]) -> dict[str, str]:
    """Count the aggregate form's rows per benchmark name, as the overview reports them."""
    return {dataset: str(count) for dataset, count in Counter(dataset for dataset, _, _ in old).items()}


def overview(new: list[tuple]) -> dict[str, str]:
    assert all(method is None and papers is None for _, _, method, papers in new)
    return {dataset: methods for dataset, methods, _, _ in new}


@pytest.mark.parametrize("parameters", METHOD_PARAMETERS[1:], ids=str)
def test_methods_on_benchmark_random(random_export: Path, parameters: dict[str, str]) -> None:
    new, old = both(random_export, "methods-on-benchmark", AGGREGATE_METHODS_ON_BENCHMARK, parameters)
    assert per_benchmark(new) == sorted(old)


@pytest.mark.parametrize("parameters", METHOD_PARAMETERS[1:], ids=str)
def test_methods_on_benchmark_random_counts(random_export: Path, parameters: dict[str, str]) -> None:
    new, old = both(random_export, "methods-on-benchmark", AGGREGATE_METHODS_ON_BENCHMARK, parameters)
    assert {dataset: methods for dataset, methods, _, _ in new} == method_counts(old)


def test_methods_on_benchmark_random_overview(random_export: Path) -> None:
    new, old = both(random_export, "methods-on-benchmark", AGGREGATE_METHODS_ON_BENCHMARK, {})
    assert overview(new) == method_counts(old)


def test_methods_on_benchmark_random_rows(random_export: Path) -> None:
    new, _ = both(random_export, "methods-on-benchmark", AGGREGATE_METHODS_ON_BENCHMARK, {})
    assert len(new) >= 5


def test_methods_on_benchmark_overview_order(random_export: Path) -> None:
    new, _ = both(random_export, "methods-on-benchmark", AGGREGATE_METHODS_ON_BENCHMARK, {})
    keys = [(-int(methods), dataset) for dataset, methods, _, _ in new]
    assert keys == sorted(keys)


@pytest.mark.parametrize("parameters", EXAMPLE_BENCHMARKS[1:], ids=str)
def test_methods_on_benchmark_example(example_build: Path, parameters: dict[str, str]) -> None:
    new, old = both(example_build, "methods-on-benchmark", AGGREGATE_METHODS_ON_BENCHMARK, parameters)
    assert per_benchmark(new) == sorted(old)


def test_methods_on_benchmark_example_order(example_build: Path) -> None:
    new, _ = both(example_build, "methods-on-benchmark", AGGREGATE_METHODS_ON_BENCHMARK, {"benchmark": "RewardBench"})
    keys = [(-int(papers), method) for _, _, method, papers in new]
    assert len(keys) > 1
    assert keys == sorted(keys)


def test_methods_on_benchmark_example_overview(example_build: Path) -> None:
    new, old = both(example_build, "methods-on-benchmark", AGGREGATE_METHODS_ON_BENCHMARK, {})
    assert new
    assert overview(new) == method_counts(old)


@pytest.mark.parametrize("parameters", RESULT_PARAMETERS, ids=str)
def test_results_above_random(random_export: Path, parameters: dict[str, str]) -> None:
    new, old = both(random_export, "results-above", EXISTS_RESULTS_ABOVE, parameters)
    assert new == old


@pytest.mark.parametrize("parameters", [{}, {"threshold": "50"}, {"benchmark": "RewardBench"}], ids=str)
def test_results_above_example(example_build: Path, parameters: dict[str, str]) -> None:
    new, old = both(example_build, "results-above", EXISTS_RESULTS_ABOVE, parameters)
    assert new == old
    assert new == old


def test_evaluation_counts_python() -> None:
    # The rule in plain Python, straight from its definition.
    graph = random_graph(3)
    methods = {node for node, kind in graph.nodes(data="type") if kind in ("method", "model")}
    evaluates = {(source, target) for source, target, kind in graph.edges(keys=True) if kind == EVALUATED_ON}
    expected = {}
    for paper, kind in graph.nodes(data="type"):
        if kind != "paper":
            continue
        proposed = {t for _, t, k in graph.out_edges(paper, keys=True) if k == PROPOSES}
        named = proposed | {t for _, t, k in graph.out_edges(paper, keys=True) if k == MENTIONS}
        for dataset in {t for _, t, k in graph.out_edges(paper, keys=True) if k == EVALUATED_ON}:
            for method in named & methods:
                if method in proposed or (method, dataset) in evaluates:
                    expected[(method, dataset)] = expected.get((method, dataset), 0) + 1
    assert evaluation_counts(graph) == expected
