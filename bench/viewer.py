"""Time how long the viewer page takes to become interactive in headless Chromium.

Time to interactive is measured from navigation start to the moment the page
sets its own ready flag (``window.kgReadyAt``, read with `performance.now()`).
The page sets it after the first frame drawn with the final layout. Below
`kg.viewer.PYTHON_LAYOUT_MIN_NODES` nodes that frame follows vis-network's
stabilisation; above it, the frame draws the positions computed in Python.
Python time (layout and HTML) is measured separately.

The graphs are synthetic but shaped like paper graphs: 40 % papers, 40 %
entities whose popularity follows a Zipf law, 15 % links and 5 % results, with
four entity mentions, one link and relation edges per paper.

Usage::

    python bench/viewer.py                    # 500, 2000 and 10000 nodes, 3 runs each
    python bench/viewer.py --sizes 2000 --runs 5
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from pathlib import Path

import networkx as nx
from playwright.sync_api import sync_playwright

from kg.viewer import write_html

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]
ENTITY_TYPES = ("method", "model", "dataset", "task", "metric")
RELATION_TYPES = ("uses", "evaluated_on", "compared_with", "outperforms")
# Targets for time to interactive, in seconds, by node count.
TARGETS = {2000: 5.0, 10000: 20.0}


def synthetic_graph(nodes: int, *, seed: int = 0) -> nx.MultiDiGraph:
    """Return a paper-shaped graph of exactly `nodes` nodes."""
    rng = random.Random(seed)
    papers = max(1, nodes * 40 // 100)
    entities = max(1, nodes * 40 // 100)
    results = nodes * 5 // 100
    links = nodes - papers - entities - results
    graph = nx.MultiDiGraph()
    weights = [1.0 / (rank + 1) for rank in range(entities)]

    for index in range(entities):
        graph.add_node(f"entity:e{index}", type=ENTITY_TYPES[index % 5], label=f"entity {index}", name=f"entity {index}",
                       key=f"e{index}", aliases=[f"E{index}"], papers=[])
    for index in range(papers):
        paper = f"paper:p{index}"
        graph.add_node(paper, type="paper", label=f"Synthetic paper {index}", title=f"Synthetic paper {index}",
                       paper_id=f"p{index}", url=f"https://example.org/p{index}")
        chosen = set(rng.choices(range(entities), weights=weights, k=4))
        # Every entity appears in at least one paper.
        chosen.add(index % entities)
        for entity in chosen:
            node = f"entity:e{entity}"
            graph.nodes[node]["papers"].append(f"p{index}")
            graph.add_edge(paper, node, key="mentions", type="mentions", paper=f"p{index}", sentence=f"We use entity {entity}.")
        first, *rest = sorted(chosen)
        for other in rest[:1]:
            relation = RELATION_TYPES[index % len(RELATION_TYPES)]
            graph.add_edge(f"entity:e{first}", f"entity:e{other}", key=relation, type=relation, paper=f"p{index}")

    for index in range(links):
        graph.add_node(f"link:l{index}", type="link", label=f"https://github.com/x/{index}", url=f"https://github.com/x/{index}",
                       kind="code", papers=[f"p{index % papers}"])
        graph.add_edge(f"paper:p{index % papers}", f"link:l{index}", key="has_code", type="has_code", paper=f"p{index % papers}")

    for index in range(results):
        node = f"result:p{index % papers}:{index}"
        graph.add_node(node, type="result", label=f"{index % 90}.5 % accuracy", value=f"{index % 90}.5", unit="percent",
                       paper=f"p{index % papers}")
        graph.add_edge(f"paper:p{index % papers}", node, key="has_result", type="has_result", paper=f"p{index % papers}")
    assert graph.number_of_nodes() == nodes
    return graph


def measure(browser, html: Path) -> float:  # noqa: ANN001
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    try:
        page.goto(html.resolve().as_uri())
        page.wait_for_selector("body[data-kg-state=ready]", state="attached", timeout=120_000)
        return page.evaluate("window.kgReadyAt") / 1000.0
    finally:
        page.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[500, 2000, 10000])
    parser.add_argument("--runs", type=int, default=3)
    arguments = parser.parse_args()

    rows = []
    with tempfile.TemporaryDirectory() as folder, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        for size in arguments.sizes:
            graph = synthetic_graph(size)
            html = Path(folder) / f"graph-{size}.html"
            started = time.perf_counter()
            write_html(graph, html)
            python_seconds = time.perf_counter() - started
            times = [measure(browser, html) for _ in range(arguments.runs)]
            rows.append((size, graph.number_of_edges(), python_seconds, html.stat().st_size / 1e6, statistics.median(times), max(times)))
        browser.close()

    print(f"{'nodes':>6} {'edges':>6} {'python s':>9} {'page MB':>8} {'ready s (median)':>17} {'ready s (max)':>14} {'target s':>9}")
    for size, edges, python_seconds, megabytes, median, worst in rows:
        target = TARGETS.get(size)
        print(f"{size:>6} {edges:>6} {python_seconds:>9.2f} {megabytes:>8.2f} {median:>17.2f} {worst:>14.2f} {target if target else '-':>9}")


if __name__ == "__main__":
    main()
