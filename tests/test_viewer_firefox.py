"""Viewer pages opened in Debian's Firefox ESR, driven over Marionette.

Playwright's Firefox is a patched build that cannot be installed here, so
these tests drive Debian's ``firefox-esr`` with Mozilla's own Marionette client
(the marionette-driver package), on a loopback port. Without the browser or
the package they skip, except when the CI environment variable is set.
Marionette scripts run in a sandbox, so page globals are read through
``window.wrappedJSObject``.
"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from viewer_samples import HOSTILE_HEADING, hostile_graph, rich_graph

from kg.viewer import build_payload, write_html

pytestmark = pytest.mark.browser

FIREFOX = Path("/usr/bin/firefox-esr")
# Seconds to wait for Firefox to start and for a page to set its ready flag.
STARTUP_TIMEOUT_S = 90
READY_TIMEOUT_S = 60


def _unavailable(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{reason}; CI must run the Firefox tests, so install firefox-esr and marionette-driver")
    pytest.skip(reason)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def firefox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    if not FIREFOX.exists():
        _unavailable(f"{FIREFOX} not found")
    try:
        from marionette_driver.marionette import Marionette
    except ImportError:
        _unavailable("the marionette-driver package is not installed")
    # Firefox's own log goes to a temporary folder instead of the working directory.
    log = tmp_path_factory.mktemp("firefox-log") / "gecko.log"
    client = Marionette(
        bin=str(FIREFOX), headless=True, host="127.0.0.1", port=_free_port(),
        startup_timeout=STARTUP_TIMEOUT_S, gecko_log=str(log),
    )
    client.start_session()
    yield client
    client.delete_session()
    client.cleanup()


def _page(client: Any, script: str) -> Any:
    return client.execute_script("var page = window.wrappedJSObject; " + script)


def _open(client: Any, html: Path) -> None:
    client.navigate(html.resolve().as_uri())
    deadline = time.monotonic() + READY_TIMEOUT_S
    while _page(client, "return document.body.getAttribute('data-kg-state');") != "ready":
        if time.monotonic() > deadline:
            raise AssertionError(f"{html} did not set data-kg-state=ready within {READY_TIMEOUT_S} s in Firefox")
        time.sleep(0.1)


@pytest.fixture(scope="module")
def rich_page(firefox: Any, tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, dict]:
    graph = rich_graph()
    path = tmp_path_factory.mktemp("firefox") / "rich.html"
    write_html(graph, path, title="Daily Papers, Sep 11")
    _open(firefox, path)
    return firefox, build_payload(graph)


def test_firefox_draws_every_node(rich_page: tuple[Any, dict]) -> None:
    client, payload = rich_page
    assert _page(client, "return page.kgNetwork.body.data.nodes.length;") == len(payload["nodes"])
    assert _page(client, "return page.kgReadyAt;") > 0


def test_firefox_legend_visible(rich_page: tuple[Any, dict]) -> None:
    client, _ = rich_page
    assert _page(client, "return document.getElementById('kg-legend').getBoundingClientRect().height;") > 100


def test_firefox_search_selects_node(rich_page: tuple[Any, dict]) -> None:
    client, payload = rich_page
    expected = next(node["id"] for node in payload["nodes"] if node["nodeId"] == "concept:framework")
    selected = _page(
        client,
        "var input = document.getElementById('kg-search'); input.value = 'framework';"
        "document.getElementById('kg-search-form').requestSubmit();"
        "return page.kgNetwork.getSelectedNodes();",
    )
    assert list(selected) == [expected]
    assert _page(client, "return document.querySelector('#kg-details .kg-name').textContent;") == "framework"


def test_firefox_type_filter(rich_page: tuple[Any, dict]) -> None:
    client, payload = rich_page
    hidden = _page(
        client,
        "document.querySelector('#kg-legend input[data-kind=\"node\"][value=\"paper\"]').click();"
        "var hidden = page.kgNetwork.body.data.nodes.get().filter(function (node) { return node.hidden; }).length;"
        "document.querySelector('#kg-legend input[data-kind=\"node\"][value=\"paper\"]').click();"
        "return hidden;",
    )
    assert hidden == sum(1 for node in payload["nodes"] if node["type"] == "paper")


def test_firefox_hostile_runs_nothing(firefox: Any, tmp_path: Path) -> None:
    path = tmp_path / "hostile.html"
    graph = hostile_graph()
    write_html(graph, path, title=HOSTILE_HEADING)
    _open(firefox, path)
    for node in build_payload(graph)["nodes"]:
        _page(firefox, f"page.kgNetwork.selectNodes([{node['id']}]); page.kgNetwork.focus({node['id']});")
    assert _page(firefox, "return typeof page.__kg_pwned;") == "undefined"
    assert _page(firefox, "return document.images.length;") == 0
    assert _page(firefox, "return document.getElementById('kg-title').textContent;") == HOSTILE_HEADING


def test_firefox_screenshot(firefox: Any, tmp_path: Path) -> None:
    path = tmp_path / "rich.html"
    write_html(rich_graph(), path, title="Daily Papers, Sep 11")
    _open(firefox, path)
    png = firefox.screenshot(format="binary")
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    assert len(png) > 20_000
    target = os.environ.get("KG_FIREFOX_SCREENSHOT")
    if target:
        Path(target).write_bytes(png)
