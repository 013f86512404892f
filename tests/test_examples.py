"""The scripts in examples/ and the script in docs/api.md, run as a user runs them."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from analytics_samples import small_graph
from kg.build import build
from kg.exports import write_network

REPOSITORY = Path(__file__).resolve().parent.parent
EXAMPLES = REPOSITORY / "examples"


@pytest.fixture(scope="module")
def example_build(tmp_path_factory: pytest.TempPathFactory, example_page: Path) -> Path:
    out = tmp_path_factory.mktemp("example") / "outputs"
    build([example_page], out)
    return out


def _run(args: list[str], cwd: Path = REPOSITORY) -> str:
    environment = {**os.environ, "PYTHONPATH": str(REPOSITORY)}
    result = subprocess.run(
        [sys.executable, *args], cwd=cwd, env=environment, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_benchmarks_with_rewardbench(example_build: Path) -> None:
    output = _run([str(EXAMPLES / "benchmarks_with_rewardbench.py"), str(example_build)])
    lines = output.splitlines()
    assert lines[0] == "RewardBench: 2 papers"
    assert re.fullmatch(r"\s*1\s+dataset\s+HelpSteer2", lines[1])


def test_methods_built_on_grpo(tmp_path: Path) -> None:
    path = tmp_path / "graph.json"
    write_network(small_graph(), path)
    output = _run([str(EXAMPLES / "methods_built_on_grpo.py"), str(path)])
    assert output.splitlines() == ["Dr. GRPO (paper p2): We use GRPO.", "1 methods or models built on GRPO"]


def test_methods_built_on_grpo_example(example_build: Path) -> None:
    output = _run([str(EXAMPLES / "methods_built_on_grpo.py"), str(example_build)])
    assert output.splitlines()[-1].endswith("methods or models built on GRPO")


def test_communities(example_build: Path) -> None:
    output = _run([str(EXAMPLES / "communities.py"), str(example_build)])
    first = output.splitlines()[0]
    assert re.match(r" 1 \(\d+ entities\): reinforcement learning, ", first)


def test_docs_script(example_build: Path, tmp_path: Path) -> None:
    text = (REPOSITORY / "docs" / "api.md").read_text(encoding="utf-8")
    match = re.search(r"## A ten-line analytics script.*?```python\n(.*?)```", text, re.S)
    assert match, "docs/api.md has no ten-line script"
    script = match.group(1)
    assert len(script.strip().splitlines()) <= 10
    (tmp_path / "outputs").symlink_to(example_build)
    (tmp_path / "script.py").write_text(script, encoding="utf-8")
    lines = _run([str(tmp_path / "script.py")], cwd=tmp_path).splitlines()
    assert len(lines) == 5
    assert lines[0].startswith("MiniHack: 2 papers, with ")
