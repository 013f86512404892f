"""Time `kg build --engine dask` against the local `--processes` build on the same abstracts.

The corpus is the first N records of a JSON Lines file of real abstracts
(default: the SOTA CLEF 2024 training set in ../shared, read with its
"paper_id", "title" and "abstract" fields; records without a title are left
out). Each build runs in its own
process (`python -m kg.cli build ...`), one after the other, with N-Triples
output; the script checks that both builds wrote the same sorted N-Triples
and prints seconds, papers per second and the Dask/local time ratio.
The Dask time includes starting the LocalCluster.

Usage::

    python bench/dask.py                              # 10000 abstracts, 2 workers each
    python bench/dask.py --papers 2000 --workers 2 --partition-size 256
"""

from __future__ import annotations

import argparse
import gzip
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

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
                continue  # kg rejects records without a title; the benchmark is about speed
            identifier = record.get("paper_id") or record.get("id")
            handle.write(json.dumps({"id": identifier, "title": record["title"], "abstract": record.get("abstract", "")}) + "\n")
            written += 1
    return written


def run_build(corpus: Path, out_dir: Path, options: list[str]) -> float:
    """Return the wall-clock seconds of one `kg build` process."""
    command = [sys.executable, "-m", "kg.cli", "-q", "build", str(corpus), "--out", str(out_dir), "--force"]
    command += ["--no-progress", "--rdf-format", "ntriples", *options]
    started = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=SHARED_CORPUS, help="JSON Lines file of abstracts (.gz allowed).")
    parser.add_argument("--papers", type=int, default=10_000, help="Records to take from the corpus.")
    parser.add_argument("--workers", type=int, default=2, help="Local worker processes and Dask workers.")
    parser.add_argument("--partition-size", type=int, default=256, help="Papers per Dask task.")
    arguments = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="kg-bench-dask-") as folder:
        root = Path(folder)
        corpus = root / "corpus.jsonl"
        papers = write_corpus(arguments.corpus, corpus, arguments.papers)
        runs = {
            f"local --processes {arguments.workers}": ["--processes", str(arguments.workers)],
            f"dask --dask-workers {arguments.workers}": [
                "--engine", "dask", "--dask-workers", str(arguments.workers),
                "--partition-size", str(arguments.partition_size),
            ],
        }
        seconds: dict[str, float] = {}
        triples: dict[str, list[str]] = {}
        for number, (name, options) in enumerate(runs.items()):
            out_dir = root / f"out{number}"
            seconds[name] = run_build(corpus, out_dir, options)
            triples[name] = sorted((out_dir / "graph.nt").read_text(encoding="utf-8").splitlines())

        print(f"{papers} papers from {arguments.corpus.name}")
        print(f"{'build':<28}{'seconds':>10}{'papers/s':>10}")
        for name, value in seconds.items():
            print(f"{name:<28}{value:>10.1f}{papers / value:>10.0f}")
        local, dask = seconds.values()
        print(f"dask / local time ratio: {dask / local:.2f}")
        same = len({tuple(lines) for lines in triples.values()}) == 1
        print(f"identical sorted N-Triples: {'yes' if same else 'NO'} ({len(next(iter(triples.values())))} lines)")
        if not same:
            raise SystemExit(1)


if __name__ == "__main__":
    main()
