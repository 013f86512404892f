"""Time the saved queries on the Oxigraph store and on rdflib, on synthetic graphs.

For each size, the script writes a synthetic graph in kg's RDF terms as
N-Triples and loads it into an on-disk store with `kg.store.GraphStore.load`
(reported in triples per second). Then it runs every saved query of
``kg/queries`` without parameters, which is each query's broadest form.
Up to ``--rdflib-max-papers`` papers, the same queries also run on rdflib's
in-memory graph; the ratio column is rdflib's time over Oxigraph's.

Oxigraph times are the median of ``--repeat`` runs after one warm-up run;
rdflib times are one run without warm-up. Each run reads every result row.

The synthetic graph has the shape of a kg export: each paper has a title,
an abstract, a date in a 24-month window, and edges with a `kg:Statement`
each (11 triples of evidence). Entities are drawn with Zipf popularity, so a
few benchmarks and methods appear in many papers and most in one or two.
Papers also propose methods, build on others, link code, and report
results with values, units, metrics and benchmarks. Like a kg export, the
graph ends with the ``kg:paperCount`` of every entity and the
``kg:EvaluationSummary`` nodes, counted by `kg.rdf.count_evaluations`.

Usage::

    python bench/sparql.py                     # 10k and 100k papers
    python bench/sparql.py --papers 2000 --repeat 5
"""

from __future__ import annotations

import argparse
import hashlib
import random
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from kg.query import DEFAULT_PREFIXES
from kg.graph import EVALUATED_ON, MENTIONS, PROPOSES
from kg.rdf import count_evaluations, evaluation_summary_iri, match_keys
from kg.saved import bind_parameters, saved_queries
from kg.store import GraphStore, store_size_on_disk

KG = "https://w3id.org/kg-papers/ontology#"
BASE = "https://w3id.org/kg-papers/id/"
RDF_TYPE = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"
XSD = "http://www.w3.org/2001/XMLSchema#"

# Shape of a paper. The bundled example has about 3 mentions, 0.5
# proposals, 0.3 evaluations and 0.2 code links per paper (69 triples).
# The synthetic papers have more edges (about 135 triples), so the queries
# work harder.
MENTIONS = 3
DATASETS = (1, 2)
PROPOSE_PROBABILITY = 0.6
BUILT_ON_PROBABILITY = 0.4
CODE_PROBABILITY = 0.3
RESULTS = (0, 2)
# Zipf exponent of entity popularity: word and citation counts in text
# follow s close to 1.
ZIPF_EXPONENT = 1.1
# Distinct entities of each type per paper of the corpus.
ENTITIES_PER_PAPER = {"Method": 0.4, "Model": 0.2, "Dataset": 0.1, "Task": 0.05, "Metric": 0.01}
MONTHS = [f"{2024 + index // 12}-{index % 12 + 1:02d}" for index in range(24)]

# A typical parameter set of each saved query, timed beside its broadest
# form. "Dataset 0" and "Method 0" are the most popular entities, which is
# the slowest case for a name filter.
PARAMETERS = {
    "benchmarks-of-month": {"month": "2025-06"},
    "built-on": {"base": "Method 0"},
    "code-for-method": {"method": "Method 0"},
    "methods-on-benchmark": {"benchmark": "Dataset 0"},
    "papers-per-benchmark": {"benchmark": "Dataset 0"},
    "results-above": {"threshold": "90", "benchmark": "Dataset 0"},
}


def _literal(text: str, datatype: str | None = None) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"' + (f"^^<{XSD}{datatype}>" if datatype else "")


def _iri(kind: str, key: str) -> str:
    return f"<{BASE}{kind}/{key}>"


class _Zipf:
    """Draw indexes 0..n-1 with probability proportional to 1 / (rank ** s)."""

    def __init__(self, size: int, random_state: random.Random) -> None:
        weights = [1 / (rank**ZIPF_EXPONENT) for rank in range(1, size + 1)]
        total = 0.0
        self.cumulative = []
        for weight in weights:
            total += weight
            self.cumulative.append(total)
        self.random = random_state

    def draw(self, count: int) -> list[int]:
        return self.random.choices(range(len(self.cumulative)), cum_weights=self.cumulative, k=count)


def _edge(subject: str, predicate: str, target: str, paper: str, sentence: str) -> Iterator[str]:
    statement = _iri("statement", hashlib.sha1(f"{subject}{predicate}{target}".encode()).hexdigest()[:16])
    yield f"{subject} <{KG}{predicate}> {target} ."
    yield f"{statement} {RDF_TYPE} <{KG}Statement> ."
    yield f"{statement} <{KG}subject> {subject} ."
    yield f"{statement} <{KG}predicate> <{KG}{predicate}> ."
    yield f"{statement} <{KG}object> {target} ."
    yield f"{statement} <http://www.w3.org/ns/prov#wasDerivedFrom> {paper} ."
    yield f"{statement} <{KG}field> \"abstract\" ."
    yield f"{statement} <{KG}startOffset> {_literal('10', 'integer')} ."
    yield f"{statement} <{KG}endOffset> {_literal('20', 'integer')} ."
    yield f"{statement} <{KG}evidenceText> {_literal(target[-20:-1])} ."
    yield f"{statement} <{KG}sentence> {_literal(sentence)} ."
    yield f"{statement} <{KG}mentionCount> {_literal('1', 'integer')} ."


def _entity(kind: str, index: int) -> Iterator[str]:
    iri = _iri("entity", f"{kind.lower()}-{index}")
    name = f"{kind} {index}"
    yield f"{iri} {RDF_TYPE} <{KG}Entity> ."
    yield f"{iri} {RDF_TYPE} <{KG}{kind}> ."
    yield f"{iri} <http://www.w3.org/2004/02/skos/core#prefLabel> {_literal(name)} ."
    yield f"{iri} <{KG}key> {_literal(name.lower())} ."
    labels = [name]
    if index % 3 == 0:
        labels.append(f"{kind[0]}{index}")
        yield f"{iri} <http://www.w3.org/2004/02/skos/core#altLabel> {_literal(labels[-1])} ."
    # kg.rdf exports the same match keys for a build's entities.
    for key in match_keys(labels):
        yield f"{iri} <{KG}matchKey> {_literal(key)} ."


def synthetic_graph(papers: int, *, seed: int = 0) -> Iterator[str]:
    """Yield the N-Triples lines of a synthetic kg graph of `papers` papers."""
    random_state = random.Random(seed)
    pools = {kind: max(5, int(papers * share)) for kind, share in ENTITIES_PER_PAPER.items()}
    draws = {kind: _Zipf(size, random_state) for kind, size in pools.items()}
    for kind, size in pools.items():
        for index in range(size):
            yield from _entity(kind, index)

    # Entity IRI -> papers that mention or propose it, for kg:paperCount.
    citing: dict[str, set[str]] = {}
    # (source, edge type, target) of the edges that kg:EvaluationSummary
    # nodes count, and the method and model IRIs.
    counted_edges: list[tuple[str, str, str]] = []
    methods = {_iri("entity", f"{kind.lower()}-{index}") for kind in ("Method", "Model") for index in range(pools[kind])}
    proposed = 0
    for number in range(papers):
        paper = _iri("paper", f"p{number}")
        sentence = f"We evaluate our approach on several benchmarks in paper {number}."
        yield f"{paper} {RDF_TYPE} <{KG}Paper> ."
        yield f"{paper} <http://purl.org/dc/terms/title> {_literal(f'Synthetic paper {number}')} ."
        yield f"{paper} <http://purl.org/dc/terms/identifier> {_literal(f'p{number}')} ."
        yield f"{paper} <http://purl.org/dc/terms/abstract> {_literal(sentence * 4)} ."
        day = random_state.randint(1, 28)
        yield f"{paper} <http://purl.org/dc/terms/issued> {_literal(f'{random_state.choice(MONTHS)}-{day:02d}', 'date')} ."
        yield f"{paper} <{KG}sourceFile> {_literal('synthetic.jsonl')} ."
        yield f"{paper} <{KG}recordNumber> {_literal(str(number + 1), 'integer')} ."

        kinds = random_state.choices(["Method", "Model", "Task", "Metric"], weights=[5, 3, 2, 1], k=MENTIONS)
        for kind in kinds:
            target = _iri("entity", f"{kind.lower()}-{draws[kind].draw(1)[0]}")
            yield from _edge(paper, "mentions", target, paper, sentence)
            citing.setdefault(target, set()).add(paper)
            counted_edges.append((paper, MENTIONS, target))
        datasets = [_iri("entity", f"dataset-{i}") for i in set(draws["Dataset"].draw(random_state.randint(*DATASETS)))]
        for dataset in datasets:
            yield from _edge(paper, "mentions", dataset, paper, sentence)
            yield from _edge(paper, "evaluatedOn", dataset, paper, sentence)
            citing.setdefault(dataset, set()).add(paper)
            counted_edges.append((paper, EVALUATED_ON, dataset))

        method = None
        if random_state.random() < PROPOSE_PROBABILITY:
            method_index = pools["Method"] + proposed
            proposed += 1
            yield from _entity("Method", method_index)
            method = _iri("entity", f"method-{method_index}")
            yield from _edge(paper, "proposes", method, paper, sentence)
            citing.setdefault(method, set()).add(paper)
            methods.add(method)
            counted_edges.append((paper, PROPOSES, method))
            for dataset in datasets:
                yield from _edge(method, "evaluatedOn", dataset, paper, sentence)
                counted_edges.append((method, EVALUATED_ON, dataset))
            if random_state.random() < BUILT_ON_PROBABILITY:
                base = _iri("entity", f"method-{draws['Method'].draw(1)[0]}")
                yield from _edge(method, "builtOn", base, paper, sentence)
                yield from _edge(paper, "builtOn", base, paper, sentence)
        if random_state.random() < CODE_PROBABILITY:
            link = _iri("link", hashlib.sha1(f"code{number}".encode()).hexdigest()[:16])
            yield f"{link} {RDF_TYPE} <{KG}Link> ."
            yield f"{link} {RDF_TYPE} <{KG}CodeRepository> ."
            yield f"{link} <https://schema.org/url> {_literal(f'https://github.com/example/repo-{number}', 'anyURI')} ."
            yield f"{link} <{KG}linkKind> \"code\" ."
            yield from _edge(paper, "hasCode", link, paper, sentence)
            if method is not None:
                yield from _edge(method, "hasCode", link, paper, sentence)

        for result_number in range(1, random_state.randint(*RESULTS) + 1):
            result = _iri("result", f"p{number}-{result_number}")
            value = f"{random_state.uniform(0, 100):.1f}"
            dataset = random_state.choice(datasets)
            metric = _iri("entity", f"metric-{draws['Metric'].draw(1)[0]}")
            yield f"{result} {RDF_TYPE} <{KG}Result> ."
            yield f"{result} <http://www.w3.org/2000/01/rdf-schema#label> {_literal(f'{value} % on a benchmark')} ."
            yield f"{result} <{KG}value> {_literal(value, 'decimal')} ."
            yield f"{result} <{KG}unit> \"percent\" ."
            yield f"{result} <{KG}onDataset> {dataset} ."
            yield f"{result} <{KG}hasMetric> {metric} ."
            yield from _edge(paper, "hasResult", result, paper, sentence)

    # Every entity carries its count, 0 included, as kg.rdf exports it.
    entities = [_iri("entity", f"{kind.lower()}-{index}") for kind, size in pools.items() for index in range(size)]
    entities += [_iri("entity", f"method-{pools['Method'] + index}") for index in range(proposed)]
    for entity in entities:
        yield f"{entity} <{KG}paperCount> {_literal(str(len(citing.get(entity, ()))), 'integer')} ."

    # The evaluation summaries that kg.rdf exports, counted by the same function.
    counts = count_evaluations(counted_edges, methods=methods, datasets=set(entities))
    for (method, dataset), count in sorted(counts.items()):
        summary = evaluation_summary_iri(method[1:-1], dataset[1:-1], base_iri=BASE)
        yield f"<{summary}> {RDF_TYPE} <{KG}EvaluationSummary> ."
        yield f"<{summary}> <{KG}method> {method} ."
        yield f"<{summary}> <{KG}dataset> {dataset} ."
        yield f"<{summary}> <{KG}paperCount> {_literal(str(count), 'integer')} ."


def _median_seconds(run: Callable[[], int], repeat: int, *, warm_up: bool = True) -> tuple[float, int]:
    rows = run() if warm_up else 0
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        rows = run()
        times.append(time.perf_counter() - started)
    return statistics.median(times), rows


def bench_size(papers: int, *, repeat: int, rdflib_max_papers: int, reload_max_papers: int, folder: Path) -> None:
    graph_file = folder / f"synthetic-{papers}.nt"
    started = time.perf_counter()
    with graph_file.open("w", encoding="utf-8") as handle:
        for line in synthetic_graph(papers):
            handle.write(line + "\n")
    print(f"\n## {papers} papers (graph written in {time.perf_counter() - started:.1f} s)")

    store_dir = folder / f"store-{papers}"
    with GraphStore.open(store_dir, create=True) as graph_store:
        started = time.perf_counter()
        stats = graph_store.load(graph_file)
        load_seconds = time.perf_counter() - started
        size_mib = store_size_on_disk(store_dir) / 2**20
        print(f"triples {stats.total:,}; load {load_seconds:.1f} s = {stats.total / load_seconds:,.0f} triples/s; "
              f"store {size_mib:,.0f} MiB on disk")
        if papers <= reload_max_papers:
            started = time.perf_counter()
            again = graph_store.load(graph_file)
            reload_seconds = time.perf_counter() - started
            print(f"second load of the same file (merge path): {reload_seconds:.1f} s = "
                  f"{again.read / reload_seconds:,.0f} triples/s, {again.added} added, {again.removed} removed")

    rdflib_graph = None
    if papers <= rdflib_max_papers:
        import rdflib

        started = time.perf_counter()
        rdflib_graph = rdflib.Graph()
        rdflib_graph.parse(graph_file, format="nt")
        print(f"rdflib parse {time.perf_counter() - started:.1f} s")

    print(f"\n{'query':<32} {'rows':>7} {'oxigraph s':>11} {'rdflib s':>10} {'ratio':>7}")
    cases = []
    for name, saved in saved_queries().items():
        cases.append((name, saved.text))
        if name in PARAMETERS:
            cases.append((f"{name} (with parameters)", bind_parameters(saved.text, PARAMETERS[name])))
    with GraphStore.open(store_dir) as graph_store:
        store = graph_store.store
        for name, text in cases:
            oxigraph_seconds, rows = _median_seconds(lambda: len(list(store.query(text, prefixes=DEFAULT_PREFIXES))), repeat)
            rdflib_text = "-"
            ratio_text = "-"
            if rdflib_graph is not None:
                # One run without warm-up: rdflib takes minutes per query at 10k papers.
                rdflib_seconds, rdflib_rows = _median_seconds(
                    lambda: len(list(rdflib_graph.query(text, initNs=DEFAULT_PREFIXES))), 1, warm_up=False
                )
                if rdflib_rows != rows:
                    print(f"  NOTE: {name}: rdflib returned {rdflib_rows} rows, Oxigraph {rows}")
                rdflib_text = f"{rdflib_seconds:.3f}"
                ratio_text = f"{rdflib_seconds / oxigraph_seconds:.1f}"
            print(f"{name:<32} {rows:>7} {oxigraph_seconds:>11.3f} {rdflib_text:>10} {ratio_text:>7}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--papers", type=int, nargs="+", default=[10_000, 100_000], help="Graph sizes in papers.")
    parser.add_argument("--repeat", type=int, default=3, help="Timed runs per query; the median is reported.")
    parser.add_argument(
        "--rdflib-max-papers", type=int, default=10_000,
        help="Largest graph that also runs on rdflib (which keeps every triple in Python objects).",
    )
    parser.add_argument(
        "--reload-max-papers", type=int, default=10_000,
        help="Largest graph that is loaded a second time, to time the merge path of GraphStore.load.",
    )
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="kg-bench-sparql-") as folder:
        for papers in arguments.papers:
            bench_size(
                papers, repeat=arguments.repeat, rdflib_max_papers=arguments.rdflib_max_papers,
                reload_max_papers=arguments.reload_max_papers, folder=Path(folder),
            )


if __name__ == "__main__":
    main()
