"""Build the example input and save a screenshot of its graph.html for the docs.

The page is opened from disk in Debian's headless Chromium through Playwright,
after the layout is frozen. The result "94.1" (the RewardBench score reported by the
HelpSteer2-Preference paper) is searched for, so the picture shows a result node with its
benchmark and model, the short details panel of that result, and the legend
below the panel.

Usage::

    python bench/screenshot.py                       # writes docs/images/graph.png
    python bench/screenshot.py --out /tmp/graph.png --search GRPO
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

from kg.build import build

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "daily-papers-sep-11.txt"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]
# Milliseconds for the search's zoom animation (400 ms in the page) to end.
ANIMATION_MS = 800


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "images" / "graph.png")
    parser.add_argument("--search", default="94.1", help="Name to search for before the screenshot; '' for none.")
    arguments = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder, sync_playwright() as playwright:
        build([EXAMPLE], Path(folder), title="Daily Papers, Sep 11 (example input)")
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 860})
        page.goto((Path(folder) / "graph.html").as_uri())
        page.wait_for_selector("body[data-kg-state=ready]", state="attached", timeout=120_000)
        if arguments.search:
            page.fill("#kg-search", arguments.search)
            page.press("#kg-search", "Enter")
            page.wait_for_timeout(ANIMATION_MS)
        arguments.out.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(arguments.out))
        browser.close()
    print(f"Wrote {arguments.out}")


if __name__ == "__main__":
    main()
