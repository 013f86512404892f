from __future__ import annotations

import importlib.util
import json
import os
import signal
import sys
import time
from pathlib import Path
from types import ModuleType

import psutil
import pytest

from kg.readers.arxiv_snapshot import read_arxiv_snapshot
from kg.sources import detect_format

BENCH = Path(__file__).resolve().parent.parent / "bench" / "throughput.py"


@pytest.fixture(scope="module")
def throughput() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_throughput", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    # Dataclasses look up their module in sys.modules while the module runs.
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture()
def source(tmp_path: Path) -> Path:
    records = [
        {"title": f"Paper {n} on ResNet-50", "abstract": f"We train ResNet-50 on ImageNet. It reaches {n}% on CIFAR-10. BERT helps."}
        for n in range(20)
    ]
    path = tmp_path / "source.jsonl"
    path.write_text("".join(json.dumps(record) + "\n" for record in records), encoding="utf-8")
    return path


def test_corpus_reads_as_snapshot(throughput: ModuleType, source: Path, tmp_path: Path) -> None:
    corpus = throughput.ensure_corpus(source, tmp_path / "cache", 300, 0, [])
    assert detect_format(corpus) == "arxiv-snapshot"
    papers = list(read_arxiv_snapshot(corpus))
    assert len(papers) == 300
    assert len({paper.id for paper in papers}) == 300
    assert all(paper.categories and paper.date and paper.authors for paper in papers)


def test_corpus_is_deterministic(throughput: ModuleType, source: Path) -> None:
    pools = throughput.load_pools(source)
    first = list(throughput.synthetic_records(pools, 50, 7))
    second = list(throughput.synthetic_records(pools, 50, 7))
    assert first == second


def test_corpus_names_grow(throughput: ModuleType, source: Path) -> None:
    pools = throughput.load_pools(source)
    names = {size: set() for size in (100, 2000)}
    for size, seen in names.items():
        for record in throughput.synthetic_records(pools, size, 0):
            seen.update(throughput._NAME.findall(record["abstract"]))
    assert len(names[2000]) > 2 * len(names[100])


def test_wrap_keeps_text(throughput: ModuleType) -> None:
    text = " ".join(["a state-of-the-art mixture-of-experts model-based method"] * 8)
    wrapped = throughput._wrap(text)
    assert "\n  " in wrapped
    assert " ".join(wrapped.split()) == text


def test_write_docs_replaces_section(throughput: ModuleType, tmp_path: Path) -> None:
    docs = tmp_path / "performance.md"
    docs.write_text("# Performance\n\n## Throughput\n\nold\n\n## SPARQL\n\nkept\n", encoding="utf-8")
    throughput.write_docs(["## Throughput", "", "new"], docs)
    assert docs.read_text(encoding="utf-8") == "# Performance\n\n## Throughput\n\nnew\n\n## SPARQL\n\nkept\n"


def test_write_docs_appends_section(throughput: ModuleType, tmp_path: Path) -> None:
    docs = tmp_path / "performance.md"
    docs.write_text("# Performance\n\n## SPARQL\n\nkept\n", encoding="utf-8")
    throughput.write_docs(["## Throughput", "", "new"], docs)
    assert docs.read_text(encoding="utf-8") == "# Performance\n\n## SPARQL\n\nkept\n\n## Throughput\n\nnew\n"


def test_forked_child_pss_below_rss(throughput: ModuleType) -> None:
    # A forked child shares its parent's pages, so its PSS is well below its RSS,
    # which counts the 64 MiB that parent and child share in full.
    ballast = bytearray(64 * 2**20)
    for offset in range(0, len(ballast), 4096):
        ballast[offset] = 1
    reader, writer = os.pipe()
    child = os.fork()
    if child == 0:
        os.close(reader)
        os.write(writer, b"x")
        time.sleep(5)
        os._exit(0)
    try:
        os.close(writer)
        assert os.read(reader, 1) == b"x"
        rss = psutil.Process(child).memory_info().rss
        pss = throughput._proportional_bytes(child)
        assert pss > 0
        assert pss < rss - 16 * 2**20
    finally:
        os.close(reader)
        os.kill(child, signal.SIGKILL)
        os.waitpid(child, 0)
