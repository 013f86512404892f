"""Time `kg build --engine dask` against the local `--jobs` build on the same abstracts.

The corpus is the first N records of a JSON Lines file of real abstracts.
The default file is the SOTA CLEF 2024 training set in ../shared, read with
its "paper_id", "title" and "abstract" fields. Records without a title are
left out. Each build runs in its own process (`python -m kg.cli -v build ...`),
one after the other, with N-Triples output. Two times are taken per build:

- extraction: from the start of the process to its "Extracted N papers" log
  line, which comes after every paper is extracted and, for Dask, after the
  entity states are merged on the cluster and gathered. The Dask time
  includes starting the LocalCluster.
- total: to the end of the process. What follows extraction (merging the
  graph, RDF, GraphML, HTML) is the same code on the client for both engines.

Before the builds, the script times, in its own process, the extraction of
the first 512 papers and the entity states that a Dask worker computes from
them (CPU time). With ``--extract-only`` each build is killed once extraction is
done, and only the extraction times are printed. Otherwise the script also
checks that both builds wrote the same sorted N-Triples.

Usage::

    python bench/dask.py                              # 10000 abstracts, 2 workers each
    python bench/dask.py --papers 10000 --extract-only
    python bench/dask.py --papers 2000 --workers 2 --partition-size 256
"""

from __future__ import annotations

import argparse
import gzip
import itertools
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# Papers whose extraction and entity states are timed in this process, to
# show the extra work per partition of the Dask engine.
PARTITION_COST_SAMPLE = 512

SHARED_CORPUS = Path(__file__).resolve().parent.parent.parent / "shared" / "eval" / "sota_clef24" / "train.jsonl.gz"


def write_corpus(source: Path, target: Path, papers: int) -> int:
    """Write the first `papers` records of `source` that have a title, with id, title and abstract.

    Returns how many were written.
    """
    opener = gzip.open if source.suffix == ".gz" else open
    written = 0
    with opener(source, "rt", encoding="utf-8") as lines, target.open("w", encoding="utf-8") as handle:
        for line in lines:
            if written == papers:
                break
            record = json.loads(line)
            if not (record.get("title") or "").strip():
                continue  # kg rejects records without a title, so they would stop the build
            identifier = record.get("paper_id") or record.get("id")
            handle.write(json.dumps({"id": identifier, "title": record["title"], "abstract": record.get("abstract", "")}) + "\n")
            written += 1
    return written


def measure_partition_cost(corpus: Path, size: int) -> tuple[float, float]:
    """Return the CPU seconds to extract the first `size` papers of `corpus`, and to compute their entity states.

    The second figure is the extra work that the Dask engine gives a worker
    per partition (`kg.graph.GraphBuilder.entity_states`).
    """
    from kg.extract import extract
    from kg.graph import GraphBuilder
    from kg.nlp import create_pipeline
    from kg.sources import read_papers

    papers = list(itertools.islice(read_papers(corpus), size))
    nlp = create_pipeline()
    started = time.process_time()
    extractions = list(extract(papers, nlp))
    extracted = time.process_time()
    builder = GraphBuilder()
    for extraction in extractions:
        builder.add(extraction)
    builder.entity_states({extraction.paper.id: number for number, extraction in enumerate(extractions)})
    return extracted - started, time.process_time() - extracted


def run_build(corpus: Path, out_dir: Path, options: list[str], *, extract_only: bool) -> tuple[float, float | None]:
    """Return the seconds to the end of extraction and to the end of one `kg build` process.

    The second value is None with `extract_only`, where the build is stopped
    after extraction.
    """
    command = [sys.executable, "-m", "kg.cli", "-v", "build", str(corpus), "--out", str(out_dir), "--force"]
    command += ["--no-progress", "--rdf-format", "ntriples", *options]
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    assert process.stderr is not None
    extracted = None
    log = []
    for line in process.stderr:
        log.append(line)
        if extracted is None and line.startswith("INFO: Extracted "):
            extracted = time.perf_counter() - started
            if extract_only:
                # SIGKILL: a SIGTERM can land in a finalizer of a Dask object, where
                # Python ignores the KeyboardInterrupt that kg raises for it.
                process.kill()
    status = process.wait()
    total = time.perf_counter() - started
    if extracted is None or (status != 0 and not extract_only):
        raise SystemExit(f"kg build failed with exit status {status}: {' '.join(command)}\n{''.join(log[-20:])}")
    return extracted, None if extract_only else total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=SHARED_CORPUS, help="JSON Lines file of abstracts (.gz allowed).")
    parser.add_argument("--papers", type=int, default=10_000, help="Records to take from the corpus.")
    parser.add_argument("--workers", type=int, default=2, help="Local worker processes and Dask workers.")
    parser.add_argument("--partition-size", type=int, default=256, help="Papers per Dask task.")
    parser.add_argument("--extract-only", action="store_true", help="Stop each build after extraction; skip the output check.")
    arguments = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="kg-bench-dask-") as folder:
        root = Path(folder)
        corpus = root / "corpus.jsonl"
        papers = write_corpus(arguments.corpus, corpus, arguments.papers)
        runs = {
            f"local --jobs {arguments.workers}": ["--jobs", str(arguments.workers)],
            f"dask --dask-workers {arguments.workers}": [
                "--engine", "dask", "--dask-workers", str(arguments.workers),
                "--partition-size", str(arguments.partition_size),
            ],
        }
        extraction_cpu, states_cpu = measure_partition_cost(corpus, PARTITION_COST_SAMPLE)
        times: dict[str, tuple[float, float | None]] = {}
        triples: dict[str, list[str]] = {}
        for number, (name, options) in enumerate(runs.items()):
            out_dir = root / f"out{number}"
            times[name] = run_build(corpus, out_dir, options, extract_only=arguments.extract_only)
            if not arguments.extract_only:
                triples[name] = sorted((out_dir / "graph.nt").read_text(encoding="utf-8").splitlines())

        print(f"{papers} papers from {arguments.corpus.name}")
        print(
            f"one process, first {PARTITION_COST_SAMPLE} papers: extraction {extraction_cpu:.2f} s CPU "
            f"({PARTITION_COST_SAMPLE / extraction_cpu:.0f} papers/s), entity states {states_cpu:.2f} s CPU "
            f"({states_cpu / extraction_cpu:.0%} of extraction)"
        )
        print(f"{'build':<28}{'extraction s':>14}{'papers/s':>10}{'total s':>10}")
        for name, (extracted, total) in times.items():
            total_text = "-" if total is None else f"{total:.1f}"
            print(f"{name:<28}{extracted:>14.1f}{papers / extracted:>10.0f}{total_text:>10}")
        (local_extracted, local_total), (dask_extracted, dask_total) = times.values()
        print(f"dask / local extraction time ratio: {dask_extracted / local_extracted:.2f}")
        if local_total is not None and dask_total is not None:
            print(f"dask / local total time ratio: {dask_total / local_total:.2f}")
            same = len({tuple(lines) for lines in triples.values()}) == 1
            print(f"identical sorted N-Triples: {'yes' if same else 'NO'} ({len(next(iter(triples.values())))} lines)")
            if not same:
                raise SystemExit(1)


if __name__ == "__main__":
    main()
