"""Time the saved queries against their text at an earlier commit, on one synthetic store.

`bench/sparql.py` times the current queries only. This script times the
current text of each query and its text at ``--previous`` (read with
``git show``) on the same store, alternating the two, so that both see the
same load from other jobs. It also checks that both return the same rows.

The store is built from `bench/sparql.py`'s synthetic graph, which contains
the ``kg:EvaluationSummary`` nodes of the current export. Queries from
before those nodes existed ignore them. A folder given with ``--store`` is
reused when it already contains a store, so a second comparison skips the
load.

Usage::

    python bench/sparql_compare.py --papers 100000 --previous a270137 --store /tmp/kg-store-100k
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from kg.query import DEFAULT_PREFIXES
from kg.saved import bind_parameters, load_saved_query
from kg.store import GraphStore, is_store

REPOSITORY = Path(__file__).resolve().parent.parent


def _bench_sparql():
    # bench/ is not a package, so bench/sparql.py is imported by path.
    spec = importlib.util.spec_from_file_location("bench_sparql", Path(__file__).with_name("sparql.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def previous_text(name: str, commit: str) -> str:
    """Return the text of saved query `name` at `commit`."""
    completed = subprocess.run(
        ["git", "show", f"{commit}:kg/queries/{name}.rq"], cwd=REPOSITORY, capture_output=True, text=True, check=True
    )
    return completed.stdout


def build_store(papers: int, folder: Path) -> None:
    bench = _bench_sparql()
    graph_file = folder.parent / f"{folder.name}.nt"
    with graph_file.open("w", encoding="utf-8") as handle:
        for line in bench.synthetic_graph(papers):
            handle.write(line + "\n")
    started = time.perf_counter()
    with GraphStore.open(folder, create=True) as graph_store:
        stats = graph_store.load(graph_file)
    graph_file.unlink()
    print(f"loaded {stats.total:,} triples in {time.perf_counter() - started:.1f} s")


def compare(folder: Path, names: list[str], commit: str, repeat: int) -> None:
    bench = _bench_sparql()
    with GraphStore.open(folder, read_only=True) as graph_store:
        store = graph_store.store

        def run(text: str) -> list[tuple]:
            return [tuple(None if term is None else term.value for term in row) for row in store.query(text, prefixes=DEFAULT_PREFIXES)]

        print(f"\n{'query':<42} {'rows':>7} {'same':>5} {'before s':>9} {'after s':>8} {'load':>5}")
        for name in names:
            for parameters in ({}, bench.PARAMETERS.get(name, {})):
                texts = {
                    "before": bind_parameters(previous_text(name, commit), parameters),
                    "after": bind_parameters(load_saved_query(name).text, parameters),
                }
                rows = {label: run(text) for label, text in texts.items()}
                times: dict[str, list[float]] = {label: [] for label in texts}
                for _ in range(repeat):
                    for label, text in texts.items():
                        started = time.perf_counter()
                        run(text)
                        times[label].append(time.perf_counter() - started)
                load = Path("/proc/loadavg").read_text().split()[0] if Path("/proc/loadavg").exists() else "-"
                label = f"{name} (with parameters)" if parameters else name
                print(
                    f"{label:<42} {len(rows['after']):>7} {str(rows['before'] == rows['after']):>5} "
                    f"{statistics.median(times['before']):>9.3f} {statistics.median(times['after']):>8.3f} {load:>5}",
                    flush=True,
                )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--papers", type=int, default=10_000, help="Graph size in papers.")
    parser.add_argument("--previous", required=True, help="Git commit whose query texts are the 'before' column.")
    parser.add_argument("--store", type=Path, help="Store folder to build or reuse; a temporary folder when unset.")
    parser.add_argument("--repeat", type=int, default=3, help="Timed runs of each text; the median is reported.")
    parser.add_argument(
        "--query", action="append", default=None,
        help="Saved query to compare (repeatable); default: methods-on-benchmark and results-above.",
    )
    arguments = parser.parse_args()
    names = arguments.query or ["methods-on-benchmark", "results-above"]
    with tempfile.TemporaryDirectory(prefix="kg-bench-compare-") as temporary:
        folder = arguments.store or Path(temporary) / "store"
        if not is_store(folder):
            build_store(arguments.papers, folder)
        compare(folder, names, arguments.previous, arguments.repeat)


if __name__ == "__main__":
    main()
