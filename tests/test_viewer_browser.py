"""Viewer pages opened in Debian's Chromium through Playwright, from file:// URLs.

Without /usr/bin/chromium or the playwright package these tests skip, except
when the CI environment variable is set, where they fail.
Set KG_SCREENSHOT to a path to keep the screenshot of the realistic sample,
for example ``KG_SCREENSHOT=/tmp/sample.png pytest -q tests/test_viewer_browser.py -k screenshot``.
The docs' screenshot of the example input comes from ``python bench/screenshot.py``.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import networkx as nx
import pytest
from viewer_samples import (
    CHROMIUM,
    HOSTILE_HEADING,
    HOSTILE_NAMES,
    JAVASCRIPT_URL,
    hostile_graph,
    launch_chromium,
    realistic_graph,
    rich_graph,
    screenshot,
    synthetic_graph,
)

from kg.build import build
from kg.graph import entity_node_id, link_node_id, paper_node_id
from kg.resolve import entity_key
from kg.cli import main
from kg.graph import write_graphml
from kg.viewer import EDGE_STYLES, NODE_STYLES, PYTHON_LAYOUT_MIN_NODES, build_payload, write_html

pytestmark = pytest.mark.browser

# Milliseconds to wait for the layout to settle; the realistic sample needs
# well under a second on a two-core machine.
READY_TIMEOUT_MS = 60_000


def _unavailable(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{reason}; CI must run the browser tests, so install Debian's chromium package")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        _unavailable(f"{CHROMIUM} not found")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("the playwright package is not installed")
    with sync_playwright() as playwright:
        launched = launch_chromium(playwright)
        yield launched
        launched.close()


@dataclass
class LoadedPage:
    page: Any
    errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)

    def node_point(self, index: int) -> tuple[float, float]:
        """Return the page coordinates of node `index`."""
        point = self.page.evaluate(
            "(index) => window.kgNetwork.canvasToDOM(window.kgNetwork.getPositions([index])[index])", index
        )
        box = self.page.locator("#kg-network").bounding_box()
        return box["x"] + point["x"], box["y"] + point["y"]

    def hover(self, index: int) -> None:
        # Leave first, so a second hover on the same node fires hoverNode again.
        self.page.mouse.move(1, 1)
        self.page.mouse.move(*self.node_point(index))

    def click(self, index: int) -> None:
        self.page.mouse.click(*self.node_point(index))


def _open(browser: Any, html: Path) -> LoadedPage:
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    loaded = LoadedPage(page)
    page.on("console", lambda message: loaded.errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: loaded.errors.append(str(error)))
    page.on("request", lambda request: loaded.requests.append(request.url))
    page.goto(html.resolve().as_uri())
    page.wait_for_selector("body[data-kg-state=ready]", state="attached", timeout=READY_TIMEOUT_MS)
    return loaded


@pytest.fixture()
def realistic(browser: Any, tmp_path: Path) -> Iterator[tuple[LoadedPage, dict]]:
    graph = realistic_graph()
    path = tmp_path / "graph.html"
    write_html(graph, path, title="Daily Papers, Sep 11")
    loaded = _open(browser, path)
    yield loaded, build_payload(graph)
    loaded.page.close()


@pytest.fixture()
def hostile(browser: Any, tmp_path: Path) -> Iterator[tuple[LoadedPage, dict]]:
    graph = hostile_graph()
    path = tmp_path / "hostile.html"
    write_html(graph, path, title=HOSTILE_HEADING)
    loaded = _open(browser, path)
    yield loaded, build_payload(graph)
    loaded.page.close()


@pytest.fixture()
def rich(browser: Any, tmp_path: Path) -> Iterator[tuple[LoadedPage, dict]]:
    graph = rich_graph()
    path = tmp_path / "rich.html"
    write_html(graph, path, title="Daily Papers, Sep 11")
    loaded = _open(browser, path)
    yield loaded, build_payload(graph)
    loaded.page.close()


def _index(payload: dict, node_id: str) -> int:
    return next(node["id"] for node in payload["nodes"] if node["nodeId"] == node_id)


# Loading


def test_browser_no_console_errors(realistic: tuple[LoadedPage, dict]) -> None:
    loaded, _ = realistic
    assert loaded.errors == []


def test_browser_file_requests_only(realistic: tuple[LoadedPage, dict]) -> None:
    loaded, _ = realistic
    assert [url for url in loaded.requests if not url.startswith("file://")] == []


def test_browser_legend_visible(realistic: tuple[LoadedPage, dict]) -> None:
    loaded, _ = realistic
    assert loaded.page.locator("#kg-legend").is_visible()
    assert loaded.page.locator("#kg-legend li").count() == len(NODE_STYLES) + len(EDGE_STYLES)


def test_browser_network_exists(realistic: tuple[LoadedPage, dict]) -> None:
    loaded, _ = realistic
    assert loaded.page.evaluate("window.kgNetwork instanceof vis.Network")


def test_browser_canvas_drawn(realistic: tuple[LoadedPage, dict]) -> None:
    loaded, _ = realistic
    assert loaded.page.locator("#kg-network canvas").count() == 1
    assert loaded.page.locator("#kg-network canvas").bounding_box()["width"] > 300


def test_browser_node_count(realistic: tuple[LoadedPage, dict]) -> None:
    loaded, payload = realistic
    assert loaded.page.evaluate("window.kgNetwork.body.data.nodes.length") == len(payload["nodes"])


def test_browser_edge_count(realistic: tuple[LoadedPage, dict]) -> None:
    loaded, payload = realistic
    assert loaded.page.evaluate("window.kgNetwork.body.data.edges.length") == len(payload["edges"])


def test_browser_physics_frozen(realistic: tuple[LoadedPage, dict]) -> None:
    loaded, _ = realistic
    before = loaded.page.evaluate("window.kgNetwork.getPositions()")
    loaded.page.wait_for_timeout(700)
    after = loaded.page.evaluate("window.kgNetwork.getPositions()")
    assert loaded.page.evaluate("window.kgNetwork.physics.options.enabled") is False
    assert before == after


def test_browser_nodes_in_view(realistic: tuple[LoadedPage, dict]) -> None:
    loaded, payload = realistic
    box = loaded.page.locator("#kg-network").bounding_box()
    for node in payload["nodes"]:
        x, y = loaded.node_point(node["id"])
        assert box["x"] <= x <= box["x"] + box["width"], node["nodeId"]
        assert box["y"] <= y <= box["y"] + box["height"], node["nodeId"]


# Tooltips and details


def test_browser_hover_shows_entity_tooltip(realistic: tuple[LoadedPage, dict]) -> None:
    loaded, payload = realistic
    loaded.hover(_index(payload, entity_node_id(entity_key("MATH"))))
    tooltip = loaded.page.locator("#kg-tooltip")
    tooltip.wait_for(state="visible")
    text = tooltip.text_content()
    assert text.startswith("Dataset or benchmark")
    assert "MATH" in text
    assert "One Token to Fool LLM-as-a-Judge" in text
    assert "RL Tango: Reinforcing Generator and Verifier Together for Language Reasoning" in text


def test_browser_hover_shows_paper_links(realistic: tuple[LoadedPage, dict]) -> None:
    loaded, payload = realistic
    loaded.hover(_index(payload, paper_node_id("master-rm")))
    tooltip = loaded.page.locator("#kg-tooltip")
    tooltip.wait_for(state="visible")
    text = tooltip.text_content()
    assert "One Token to Fool LLM-as-a-Judge" in text
    assert "https://huggingface.co/sarosavo/Master-RM (model)" in text
    assert "https://huggingface.co/datasets/sarosavo/Master-RM (dataset)" in text


def test_browser_tooltip_has_no_links(realistic: tuple[LoadedPage, dict]) -> None:
    loaded, payload = realistic
    loaded.hover(_index(payload, paper_node_id("master-rm")))
    loaded.page.locator("#kg-tooltip").wait_for(state="visible")
    assert loaded.page.locator("#kg-tooltip a").count() == 0


def test_browser_tooltip_hides_on_leave(realistic: tuple[LoadedPage, dict]) -> None:
    loaded, payload = realistic
    loaded.hover(_index(payload, paper_node_id("master-rm")))
    loaded.page.locator("#kg-tooltip").wait_for(state="visible")
    loaded.page.mouse.move(1, 1)
    loaded.page.locator("#kg-tooltip").wait_for(state="hidden")


def test_browser_click_shows_details(realistic: tuple[LoadedPage, dict]) -> None:
    loaded, payload = realistic
    loaded.click(_index(payload, paper_node_id("rl-tango")))
    details = loaded.page.locator("#kg-details")
    assert "RL Tango: Reinforcing Generator and Verifier Together for Language Reasoning" in details.text_content()
    link = details.locator("a")
    assert link.count() == 1
    assert link.get_attribute("href") == "https://github.com/kaiwenzha/rl-tango"
    assert link.get_attribute("rel") == "noopener noreferrer"


def test_browser_search_selects_node(realistic: tuple[LoadedPage, dict]) -> None:
    loaded, payload = realistic
    loaded.page.fill("#kg-search", "master-rm")
    loaded.page.press("#kg-search", "Enter")
    expected = _index(payload, entity_node_id(entity_key("Master-RM")))
    assert loaded.page.evaluate("window.kgNetwork.getSelectedNodes()") == [expected]
    assert loaded.page.locator("#kg-details .kg-name").text_content() == "Master-RM"


@pytest.mark.parametrize(
    ("query", "name"),
    [
        ("GRPO", "Group Relative Policy Optimization"),
        ("rl", "reinforcement learning"),
        ("math", "MATH"),
    ],
)
def test_browser_search_prefers_alias_and_word(realistic: tuple[LoadedPage, dict], query: str, name: str) -> None:
    loaded, payload = realistic
    loaded.page.fill("#kg-search", query)
    loaded.page.press("#kg-search", "Enter")
    expected = _index(payload, entity_node_id(entity_key(name)))
    assert loaded.page.evaluate("window.kgNetwork.getSelectedNodes()") == [expected]


# Hostile input


def test_browser_hostile_runs_nothing(hostile: tuple[LoadedPage, dict]) -> None:
    loaded, payload = hostile
    for node in payload["nodes"]:
        loaded.hover(node["id"])
        loaded.click(node["id"])
    assert loaded.page.evaluate("typeof window.__kg_pwned") == "undefined"
    assert loaded.page.locator("img").count() == 0
    assert loaded.errors == []


def test_browser_hostile_heading_text(hostile: tuple[LoadedPage, dict]) -> None:
    loaded, _ = hostile
    assert loaded.page.locator("#kg-title").text_content() == HOSTILE_HEADING
    assert loaded.page.title() == HOSTILE_HEADING


def test_browser_hostile_tooltip_text(hostile: tuple[LoadedPage, dict]) -> None:
    loaded, payload = hostile
    for name in HOSTILE_NAMES[:3]:
        index = next(node["id"] for node in payload["nodes"] if node["text"] == name and node["type"] != "paper")
        loaded.click(index)
        name_element = loaded.page.locator("#kg-details .kg-name")
        assert name_element.text_content() == name
        assert loaded.page.locator("#kg-details img, #kg-details script").count() == 0
        assert loaded.page.locator('#kg-details a:not([href^="http"])').count() == 0


def test_browser_javascript_url_inert(hostile: tuple[LoadedPage, dict]) -> None:
    loaded, payload = hostile
    loaded.click(_index(payload, link_node_id(JAVASCRIPT_URL)))
    details = loaded.page.locator("#kg-details")
    assert JAVASCRIPT_URL in details.text_content()
    assert details.locator("a").count() == 0


def test_browser_hostile_requests(hostile: tuple[LoadedPage, dict]) -> None:
    loaded, payload = hostile
    for node in payload["nodes"]:
        loaded.hover(node["id"])
    assert [url for url in loaded.requests if not url.startswith("file://")] == []


# Other graphs


def test_browser_empty_graph(browser: Any, tmp_path: Path) -> None:
    path = tmp_path / "empty.html"
    write_html(nx.MultiDiGraph(), path)
    loaded = _open(browser, path)
    assert loaded.errors == []
    assert loaded.page.evaluate("window.kgNetwork.body.data.nodes.length") == 0
    loaded.page.close()


def test_browser_large_graph_preset(browser: Any, tmp_path: Path) -> None:
    graph = synthetic_graph(PYTHON_LAYOUT_MIN_NODES // 2)
    payload = build_payload(graph)
    path = tmp_path / "large.html"
    write_html(graph, path)
    loaded = _open(browser, path)
    assert payload["physics"] is False
    assert loaded.errors == []
    assert loaded.page.evaluate("window.kgNetwork.physics.options.enabled") is False
    first = payload["nodes"][0]
    # getPositions rounds to whole pixels.
    position = loaded.page.evaluate("window.kgNetwork.getPositions([0])[0]")
    assert abs(position["x"] - first["x"]) < 1
    assert abs(position["y"] - first["y"]) < 1
    loaded.page.close()


def test_browser_screenshot(browser: Any, tmp_path: Path) -> None:
    html = tmp_path / "graph.html"
    png = tmp_path / "graph.png"
    write_html(realistic_graph(), html, title="Daily Papers, Sep 11")
    screenshot(browser, html, png)
    assert png.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    assert png.stat().st_size > 20_000
    target = os.environ.get("KG_SCREENSHOT")
    if target:
        Path(target).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(png, target)


# The example page's own build


def test_browser_example_page_loads(browser: Any, tmp_path: Path, example_page: Path) -> None:
    graph, _ = build([example_page], tmp_path / "out")
    loaded = _open(browser, tmp_path / "out" / "graph.html")
    assert loaded.errors == []
    assert [url for url in loaded.requests if not url.startswith("file://")] == []
    assert loaded.page.locator("#kg-legend").is_visible()
    drawn = loaded.page.evaluate("window.kgNetwork.body.data.nodes.length")
    assert drawn == graph.number_of_nodes()
    loaded.page.fill("#kg-search", "ProcessBench")
    loaded.page.press("#kg-search", "Enter")
    assert loaded.page.locator("#kg-details .kg-name").text_content() == "ProcessBench"
    loaded.page.close()


# Concepts, results, relations and filters


def test_browser_rich_no_errors(rich: tuple[LoadedPage, dict]) -> None:
    loaded, payload = rich
    assert loaded.errors == []
    assert loaded.page.evaluate("window.kgNetwork.body.data.nodes.length") == len(payload["nodes"])


def test_browser_ready_after_drawing(rich: tuple[LoadedPage, dict]) -> None:
    loaded, _ = rich
    assert loaded.page.evaluate("window.kgReadyAt") > 0
    assert loaded.page.evaluate("window.kgNetwork.physics.options.enabled") is False


def test_browser_result_panel(rich: tuple[LoadedPage, dict]) -> None:
    loaded, payload = rich
    loaded.click(_index(payload, "result:rl-tango:1"))
    text = loaded.page.locator("#kg-details").text_content()
    assert "25.5 % accuracy on MATH" in text
    assert "Value: 25.5" in text
    assert "Unit: percent" in text
    assert "Metric: accuracy" in text
    assert "Benchmark: MATH" in text


def test_browser_panel_evidence(rich: tuple[LoadedPage, dict]) -> None:
    loaded, payload = rich
    loaded.click(_index(payload, entity_node_id(entity_key("Tango"))))
    relations = loaded.page.locator("#kg-details .kg-relation").all_text_contents()
    sentences = loaded.page.locator("#kg-details .kg-sentence").all_text_contents()
    assert "uses \u2192 reinforcement learning" in relations
    assert "is a \u2192 framework" in relations
    assert "Tango uses reinforcement learning to train the generator and the verifier together." in sentences


def test_browser_panel_incoming_names_node(rich: tuple[LoadedPage, dict]) -> None:
    loaded, payload = rich
    loaded.click(_index(payload, "concept:framework"))
    relations = loaded.page.locator("#kg-details .kg-relation").all_text_contents()
    assert "Tango is a framework" in relations


def test_browser_panel_paper_links(rich: tuple[LoadedPage, dict]) -> None:
    loaded, payload = rich
    loaded.click(_index(payload, entity_node_id(entity_key("MATH"))))
    links = loaded.page.locator("#kg-details a.kg-paper")
    hrefs = {links.nth(i).get_attribute("href") for i in range(links.count())}
    assert hrefs == {"https://huggingface.co/papers/2505.15034", "https://huggingface.co/papers/2507.08794"}
    assert links.first.get_attribute("rel") == "noopener noreferrer"


def test_browser_edge_hover_label(rich: tuple[LoadedPage, dict]) -> None:
    loaded, payload = rich
    tango = _index(payload, entity_node_id(entity_key("Tango")))
    concept = _index(payload, "concept:framework")
    (x1, y1), (x2, y2) = loaded.node_point(tango), loaded.node_point(concept)
    loaded.page.mouse.move(1, 1)
    loaded.page.mouse.move((x1 + x2) / 2, (y1 + y2) / 2)
    tooltip = loaded.page.locator("#kg-tooltip")
    tooltip.wait_for(state="visible")
    assert tooltip.text_content().startswith("is a")
    assert "Tango is a framework for co-training." in tooltip.text_content()


def test_browser_node_type_filter(rich: tuple[LoadedPage, dict]) -> None:
    loaded, payload = rich
    loaded.page.uncheck('#kg-legend input[data-kind="node"][value="paper"]')
    hidden = loaded.page.evaluate("window.kgNetwork.body.data.nodes.get({filter: (node) => node.hidden}).map((node) => node.id)")
    papers = [node["id"] for node in payload["nodes"] if node["type"] == "paper"]
    assert sorted(hidden) == sorted(papers)
    assert loaded.page.evaluate("(id) => window.kgNetwork.body.nodes[id].options.hidden", papers[0]) is True


def test_browser_node_filter_hides_edges(rich: tuple[LoadedPage, dict]) -> None:
    loaded, payload = rich
    loaded.page.uncheck('#kg-legend input[data-kind="node"][value="paper"]')
    hidden = loaded.page.evaluate("window.kgNetwork.body.data.edges.get({filter: (edge) => edge.hidden}).length")
    papers = {node["id"] for node in payload["nodes"] if node["type"] == "paper"}
    assert hidden == sum(1 for edge in payload["edges"] if edge["from"] in papers or edge["to"] in papers)


def test_browser_edge_type_filter(rich: tuple[LoadedPage, dict]) -> None:
    loaded, payload = rich
    loaded.page.uncheck('#kg-legend input[data-kind="edge"][value="mentions"]')
    hidden = loaded.page.evaluate("window.kgNetwork.body.data.edges.get({filter: (edge) => edge.hidden}).map((edge) => edge.id)")
    assert sorted(hidden) == [index for index, edge in enumerate(payload["edges"]) if edge["type"] == "mentions"]
    assert loaded.page.evaluate("window.kgNetwork.body.data.nodes.get({filter: (node) => node.hidden}).length") == 0


def test_browser_filter_restores(rich: tuple[LoadedPage, dict]) -> None:
    loaded, _ = rich
    before = loaded.page.evaluate("window.kgNetwork.getPositions()")
    box = '#kg-legend input[data-kind="node"][value="method"]'
    loaded.page.uncheck(box)
    loaded.page.check(box)
    assert loaded.page.evaluate("window.kgNetwork.body.data.nodes.get({filter: (node) => node.hidden}).length") == 0
    assert loaded.page.evaluate("window.kgNetwork.getPositions()") == before


def test_browser_search_reveals_type(rich: tuple[LoadedPage, dict]) -> None:
    loaded, payload = rich
    loaded.page.uncheck('#kg-legend input[data-kind="node"][value="dataset"]')
    loaded.page.fill("#kg-search", "MATH")
    loaded.page.press("#kg-search", "Enter")
    assert loaded.page.evaluate("window.kgNetwork.getSelectedNodes()") == [_index(payload, entity_node_id("math"))]
    assert loaded.page.is_checked('#kg-legend input[data-kind="node"][value="dataset"]')


def test_browser_search_focuses_node(rich: tuple[LoadedPage, dict]) -> None:
    loaded, payload = rich
    loaded.page.fill("#kg-search", "framework")
    loaded.page.press("#kg-search", "Enter")
    box = loaded.page.locator("#kg-network").bounding_box()
    centre = (box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    # The focus is animated, and on a loaded machine the animation can run longer than its set duration.
    deadline = time.monotonic() + 10
    while True:
        x, y = loaded.node_point(_index(payload, "concept:framework"))
        if (abs(x - centre[0]) < 5 and abs(y - centre[1]) < 5) or time.monotonic() > deadline:
            break
        loaded.page.wait_for_timeout(100)
    assert abs(x - centre[0]) < 5
    assert abs(y - centre[1]) < 5


# Views written by kg view


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        (["--focus", "MATH", "--depth", "1"], {"entity:math", "result:rl-tango:1", "concept:benchmark"}),
        (["--top", "2"], {entity_node_id(entity_key("reinforcement learning"))}),
    ],
)
def test_browser_cli_view(browser: Any, tmp_path: Path, options: list[str], expected: set[str]) -> None:
    write_graphml(rich_graph(), tmp_path / "graph.graphml")
    assert main(["view", str(tmp_path), *options]) == 0
    loaded = _open(browser, tmp_path / "view.html")
    assert loaded.errors == []
    drawn = set(loaded.page.evaluate("JSON.parse(document.getElementById('kg-data').textContent).nodes.map((n) => n.nodeId)"))
    assert expected <= drawn
    assert len(drawn) < rich_graph().number_of_nodes()
    assert loaded.page.evaluate("window.kgNetwork.body.data.nodes.length") == len(drawn)
    loaded.page.close()
