"""`kg build --engine dask` on real Dask LocalClusters of worker processes on 127.0.0.1.

Most tests share one LocalCluster and pass its address with --scheduler, as
a user of an existing cluster would. A few let kg start its own cluster.
The build tests compare the sorted N-Triples with those of the local build.
"""

from __future__ import annotations

import gzip
import itertools
import json
import logging
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

distributed = pytest.importorskip("distributed")

import dask  # noqa: E402  (after the skip: these tests need Dask)

from kg.build import build  # noqa: E402
from kg.cli import main  # noqa: E402
from kg.errors import KgError  # noqa: E402
from kg.graph import entity_node_id  # noqa: E402
from kg.model import Paper  # noqa: E402
from kg.nlp import create_pipeline  # noqa: E402

REPOSITORY = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def scheduler() -> Iterator[str]:
    """Return the address of a LocalCluster of two worker processes that the tests share."""
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None
    ) as cluster:
        yield cluster.scheduler_address


def _build(inputs: list[Path], out: Path, *options: str) -> list[str]:
    """Run `kg build` with N-Triples output and return the sorted lines of graph.nt."""
    status = main(["-q", "build", *map(str, inputs), "--out", str(out), "--rdf-format", "ntriples", "--no-progress", *options])
    assert status == 0
    return sorted((out / "graph.nt").read_text(encoding="utf-8").splitlines())


@pytest.fixture(scope="module")
def page_triples(example_page: Path, tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    return _build([example_page], tmp_path_factory.mktemp("local-page"))


def _write_jsonl(path: Path, records: list[dict[str, str]]) -> Path:
    path.write_text("".join(json.dumps(record) + "\n" for record in records), encoding="utf-8")
    return path


def test_own_cluster_matches_local(tmp_path: Path) -> None:
    corpus = _write_jsonl(tmp_path / "papers.jsonl", [
        {"id": "a", "title": "Group relative policy optimization", "abstract": "We propose GRPO and evaluate it on GSM8K."},
        {"id": "b", "title": "Math reasoning", "abstract": "We apply GRPO to Qwen2.5-7B and report 81.2% accuracy on MATH."},
    ])  # fmt: skip
    expected = _build([corpus], tmp_path / "local")
    triples = _build([corpus], tmp_path / "dask", "--engine", "dask", "--dask-workers", "2", "--partition-size", "1")
    assert triples == expected


def test_own_cluster_writes_in_parallel(example_page: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    # Only a build with several writer processes loads an empty store while it writes the other outputs.
    caplog.set_level(logging.INFO, logger="kg.build")
    _, summary = build([example_page], tmp_path / "dask", engine="dask", dask_workers=2, store=tmp_path / "store")
    assert any("while the other outputs are written" in record.getMessage() for record in caplog.records)
    assert summary.store_stats is not None and summary.triples > 0


def test_page_small_partitions_match_local(
    example_page: Path, page_triples: list[str], scheduler: str, tmp_path: Path
) -> None:
    triples = _build([example_page], tmp_path / "dask", "--engine", "dask", "--scheduler", scheduler, "--partition-size", "3")
    assert triples == page_triples


def test_real_abstracts_match_local(shared_dir: Path, scheduler: str, tmp_path: Path) -> None:
    records = []
    with gzip.open(shared_dir / "eval" / "sota_clef24" / "train.jsonl.gz", "rt", encoding="utf-8") as lines:
        for line in itertools.islice(lines, 300):
            record = json.loads(line)
            if (record["title"] or "").strip():
                records.append({"id": record["paper_id"], "title": record["title"], "abstract": record["abstract"] or ""})
    corpus = _write_jsonl(tmp_path / "abstracts.jsonl", records)
    expected = _build([corpus], tmp_path / "local")
    triples = _build([corpus], tmp_path / "dask", "--engine", "dask", "--scheduler", scheduler, "--partition-size", "40")
    assert triples == expected


def test_definition_in_other_partition(scheduler: str, tmp_path: Path) -> None:
    corpus = _write_jsonl(tmp_path / "papers.jsonl", [
        {"id": "a", "title": "Zonal query path optimization", "abstract": "We propose zonal query path optimization (ZQPO) for retrieval."},
        {"id": "b", "title": "Citation graphs", "abstract": "We study graph search on citation data."},
        {"id": "c", "title": "Faster retrieval", "abstract": "We apply ZQPO to dense retrieval and improve recall."},
    ])  # fmt: skip
    local_graph, _ = build([corpus], tmp_path / "local", rdf_formats=["ntriples"])
    graph, _ = build([corpus], tmp_path / "dask", rdf_formats=["ntriples"], engine="dask", scheduler=scheduler, partition_size=1)
    node = graph.nodes[entity_node_id("zonal query path optimization")]
    assert node["papers"] == ["a", "c"]
    assert "ZQPO" in node["aliases"]
    local_lines = sorted((tmp_path / "local" / "graph.nt").read_text(encoding="utf-8").splitlines())
    assert sorted((tmp_path / "dask" / "graph.nt").read_text(encoding="utf-8").splitlines()) == local_lines
    assert dict(graph.nodes(data=True)) == dict(local_graph.nodes(data=True))


def _invalid_corpus(path: Path) -> Path:
    path.write_text(
        '{"id": "p1", "title": "Group relative policy optimization", "abstract": "We propose GRPO."}\n'
        '{"id": "p2", "title": ""}\n'
        '{"id": "p3", "title": "Math reasoning", "abstract": "We apply GRPO to GSM8K."}\n',
        encoding="utf-8",
    )
    return path


def test_skip_invalid_matches_local(scheduler: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    corpus = _invalid_corpus(tmp_path / "bad.jsonl")
    expected = _build([corpus], tmp_path / "local", "--skip-invalid")
    local_output = capsys.readouterr().out
    triples = _build([corpus], tmp_path / "dask", "--skip-invalid", "--engine", "dask", "--scheduler", scheduler)
    assert triples == expected
    assert "skipped     1 invalid records" in local_output
    assert "skipped     1 invalid records" in capsys.readouterr().out


def test_invalid_record_fails_like_local(scheduler: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    corpus = _invalid_corpus(tmp_path / "bad.jsonl")
    assert main(["build", str(corpus), "--out", str(tmp_path / "local")]) == 1
    local_error = capsys.readouterr().err
    assert main(["build", str(corpus), "--out", str(tmp_path / "dask"), "--engine", "dask", "--scheduler", scheduler]) == 1
    assert capsys.readouterr().err == local_error
    assert "record 2" in local_error
    assert not (tmp_path / "dask").exists()


def test_unreachable_scheduler_names_address() -> None:
    from kg.distributed import DaskEngine

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        address = f"tcp://127.0.0.1:{probe.getsockname()[1]}"
    with pytest.raises(KgError, match=f"Cannot connect to the Dask scheduler at {address} within 2 s"):
        with DaskEngine(create_pipeline(), scheduler=address, connect_timeout=2):
            pass


def test_dead_worker_names_partition() -> None:
    from kg.distributed import DaskEngine

    sys.path.insert(0, str(Path(__file__).parent))
    from dask_faults import EXIT_MARKER

    nlp = create_pipeline()
    nlp.add_pipe("kg_test_exit_on_marker", first=True)
    papers = [Paper(id=f"p{number}", title=f"Paper {number}", source="papers.jsonl", record=number) for number in range(1, 7)]
    papers[3] = Paper(id="p4", title=f"Paper 4 {EXIT_MARKER}", source="papers.jsonl", record=4)
    # Without retries, the first death of a worker fails its task.
    with dask.config.set({"distributed.scheduler.allowed-failures": 0}):
        with pytest.raises(KgError, match=r"died while extracting partition 2 \(3 papers from paper 'p4' \(papers.jsonl, record 4\)\)"):
            with DaskEngine(nlp, n_workers=2, partition_size=3) as engine:
                list(engine.extract(papers))


def test_local_cluster_binds_loopback() -> None:
    from kg.distributed import DaskEngine

    with DaskEngine(create_pipeline(), n_workers=2) as engine:
        addresses = engine.addresses
    assert len(addresses) == 3
    for address in addresses:
        assert address.startswith("tcp://127.0.0.1:")


def test_scheduler_needs_dask_engine(example_page: Path, tmp_path: Path) -> None:
    status = main(["build", str(example_page), "--out", str(tmp_path / "out"), "--scheduler", "tcp://127.0.0.1:8786"])
    assert status == 2


def test_processes_rejected_with_dask(example_page: Path, tmp_path: Path) -> None:
    status = main(["build", str(example_page), "--out", str(tmp_path / "out"), "--engine", "dask", "--processes", "2"])
    assert status == 2


def test_kg_import_leaves_dask_out() -> None:
    code = "import sys, kg, kg.build, kg.cli, kg.graph; print(sorted(m for m in sys.modules if m.split('.')[0] in {'dask', 'distributed'}))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPOSITORY)
    assert result.stdout.strip() == "[]"


def test_missing_dask_is_clear(example_page: Path, tmp_path: Path) -> None:
    # A None entry in sys.modules makes `import distributed` fail as if it were not installed.
    code = (
        "import sys; sys.modules['distributed'] = None\n"
        "from kg.cli import main\n"
        f"sys.exit(main(['build', {str(example_page)!r}, '--out', {str(tmp_path / 'out')!r}, '--engine', 'dask']))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPOSITORY)
    assert result.returncode == 1
    assert "--engine dask needs the Dask distributed package" in result.stderr
