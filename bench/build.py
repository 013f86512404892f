"""Time `kg build` and measure its peak memory at growing corpus sizes.

The corpus is the bundled example page repeated with numbered titles, written
as JSON Lines, so every size has the same mix of text. Each size runs in its
own process (`python -m kg.cli build ...`) so that peak memory is that build's
alone. The last column compares throughput with the smallest size: a ratio
near 1.0 means the build scales linearly.

Usage::

    python bench/build.py                 # 500, 2000 and 8000 papers
    python bench/build.py --sizes 1000 100000
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from kg.sources import read_daily_papers

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "daily-papers-sep-11.txt"


def write_corpus(path: Path, size: int) -> None:
    papers = list(read_daily_papers(EXAMPLE))
    with path.open("w", encoding="utf-8") as handle:
        for index in range(size):
            paper = papers[index % len(papers)]
            record = {"id": f"bench-{index}", "title": f"{paper.title} ({index})", "abstract": paper.abstract}
            handle.write(json.dumps(record) + "\n")


def run_build(corpus: Path, out_dir: Path, processes: int) -> tuple[float, float]:
    """Return (seconds, peak resident memory in MiB) of one `kg build` process."""
    command = [sys.executable, "-m", "kg.cli", "-q", "build", str(corpus), "--out", str(out_dir), "--force", "--no-progress"]
    command += ["--processes", str(processes)]
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise SystemExit(f"kg build failed with exit status {process.returncode}: {' '.join(command)}")
    # ru_maxrss is in KiB on Linux; with --processes N it covers the main process only.
    return seconds, usage.ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[500, 2000, 8000], help="Corpus sizes in papers.")
    parser.add_argument("--processes", type=int, default=1, help="Worker processes passed to kg build.")
    arguments = parser.parse_args()

    print(f"{'papers':>8} {'seconds':>8} {'papers/s':>9} {'peak MiB':>9} {'throughput ratio':>17}")
    base_rate = None
    with tempfile.TemporaryDirectory() as scratch:
        for size in sorted(arguments.sizes):
            corpus = Path(scratch) / f"corpus-{size}.jsonl"
            write_corpus(corpus, size)
            seconds, peak = run_build(corpus, Path(scratch) / f"out-{size}", arguments.processes)
            rate = size / seconds
            base_rate = base_rate or rate
            print(f"{size:>8} {seconds:>8.1f} {rate:>9.1f} {peak:>9.0f} {rate / base_rate:>17.2f}")


if __name__ == "__main__":
    main()
