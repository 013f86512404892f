"""Time `kg build` and measure its peak memory at growing corpus sizes and job counts.

The corpus is made of real abstracts: the records of a JSON Lines file with
``paper_id``, ``title`` and ``abstract`` fields (by default `REAL_ABSTRACTS`,
10,587 arXiv abstracts with a title). Sizes above the file's length repeat its
records with new ids and a copy number after the title, so every size has the
same mix of text. Without that file the bundled example page is used the same
way.

Each size and job count runs in its own process (``python -m kg.cli build
...``) so that peak memory is that build's alone. Two memory figures are
printed:

* ``max RSS MiB``: ``ru_maxrss`` from ``wait4``, the peak resident memory of
  the largest single process among the build and its worker processes;
* ``peak PSS MiB``: the largest sum of proportional set sizes (PSS, from
  ``/proc/PID/smaps_rollup``) of the build and all its descendants, sampled
  every `SAMPLE_SECONDS`. PSS splits the pages that forked workers share
  with the main process, so the sum does not count them twice.

``CPU s`` is the user and system time of the build and its workers. On a
shared machine it is the better measure of cost, because wall time includes
waiting for a core. The ratio column compares throughput (papers per wall
second) with the smallest size at the same job count: a ratio near 1.0 means
the build time grows linearly with the corpus.

Usage::

    python bench/build.py                          # 2,000 and 10,000 papers, --jobs 1 and 2
    python bench/build.py --sizes 10000 100000 --jobs 1 2
    python bench/build.py --sizes 1000000 --jobs 2 --store
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from kg.sources import read_daily_papers

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "daily-papers-sep-11.txt"
REAL_ABSTRACTS = ROOT.parent / "shared" / "eval" / "sota_clef24" / "train.jsonl.gz"

# Interval between two memory samples of the process tree: short enough to
# catch the peaks of steps that last a few seconds.
SAMPLE_SECONDS = 0.2


def _base_records(source: Path | None) -> list[dict[str, str]]:
    """Return the records that the corpus repeats: id, title and abstract."""
    if source is None:
        return [
            {"id": paper.id, "title": paper.title, "abstract": paper.abstract}
            for paper in read_daily_papers(EXAMPLE)
        ]
    opener = gzip.open if source.suffix == ".gz" else open
    records = []
    with opener(source, "rt", encoding="utf-8") as handle:
        for line in handle:
            record = json.loads(line)
            if record.get("title"):
                records.append(
                    {"id": str(record["paper_id"]), "title": record["title"], "abstract": record.get("abstract") or ""}
                )
    return records


def write_corpus(path: Path, size: int, records: list[dict[str, str]]) -> None:
    """Write `size` JSON Lines records, repeating `records` with new ids and titles after the first pass."""
    with path.open("w", encoding="utf-8") as handle:
        for index in range(size):
            record = records[index % len(records)]
            copy = index // len(records)
            if copy:
                record = {"id": f"{record['id']}-copy{copy}", "title": f"{record['title']} ({copy})", "abstract": record["abstract"]}
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")


def _descendants(pid: int) -> Iterator[int]:
    yield pid
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return
    for task in tasks:
        try:
            children = Path(f"/proc/{pid}/task/{task}/children").read_text().split()
        except OSError:
            continue
        for child in children:
            yield from _descendants(int(child))


def _pss_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


class TreeSampler(threading.Thread):
    """Sample the summed PSS of a process and its descendants until `stop` is set."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.peak_kib = 0
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.wait(SAMPLE_SECONDS):
            total = sum(_pss_kib(pid) for pid in set(_descendants(self.pid)))
            self.peak_kib = max(self.peak_kib, total)


def run_build(corpus: Path, out_dir: Path, jobs: int, store: bool) -> tuple[float, float, float, float]:
    """Return (seconds, CPU seconds, max RSS in MiB, peak summed PSS in MiB) of one `kg build` process."""
    command = [sys.executable, "-m", "kg.cli", "-q", "build", str(corpus), "--out", str(out_dir), "--force", "--no-progress"]
    command += ["--jobs", str(jobs)]
    if store:
        command += ["--store", str(out_dir / "store")]
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL)
    sampler = TreeSampler(process.pid)
    sampler.start()
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    sampler.stop.set()
    sampler.join()
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise SystemExit(f"kg build failed with exit status {process.returncode}: {' '.join(command)}")
    # On Linux ru_maxrss is in KiB. wait4 reports the maximum over the child
    # and the descendants it waited for (the worker processes), and the sum
    # of their CPU times.
    cpu_seconds = usage.ru_utime + usage.ru_stime
    return seconds, cpu_seconds, usage.ru_maxrss / 1024, sampler.peak_kib / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[2000, 10000], help="Corpus sizes in papers.")
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 2], help="Values of kg build --jobs to compare.")
    parser.add_argument(
        "--input", type=Path, default=REAL_ABSTRACTS if REAL_ABSTRACTS.is_file() else None,
        help="JSON Lines file (.gz allowed) with paper_id, title and abstract. [default: REAL_ABSTRACTS when present, else the example page]",
    )
    parser.add_argument("--store", action="store_true", help="Also load the build into an Oxigraph store (kg build --store).")
    parser.add_argument("--keep", type=Path, default=None, help="Keep corpora and outputs in this folder instead of a temporary one.")
    arguments = parser.parse_args()

    records = _base_records(arguments.input)
    print(f"input: {arguments.input or EXAMPLE} ({len(records)} records); store: {'yes' if arguments.store else 'no'}")
    print(
        f"{'papers':>8} {'jobs':>4} {'seconds':>8} {'CPU s':>8} {'papers/s':>9} {'max RSS MiB':>12} {'peak PSS MiB':>13} {'ratio':>6}"
    )
    base_rate: dict[int, float] = {}
    with tempfile.TemporaryDirectory() as scratch:
        folder = arguments.keep or Path(scratch)
        folder.mkdir(parents=True, exist_ok=True)
        for size in sorted(arguments.sizes):
            corpus = folder / f"corpus-{size}.jsonl"
            write_corpus(corpus, size, records)
            for jobs in arguments.jobs:
                seconds, cpu_seconds, max_rss, peak_pss = run_build(corpus, folder / f"out-{size}-{jobs}", jobs, arguments.store)
                rate = size / seconds
                base_rate.setdefault(jobs, rate)
                print(
                    f"{size:>8} {jobs:>4} {seconds:>8.1f} {cpu_seconds:>8.1f} {rate:>9.1f} {max_rss:>12.0f} {peak_pss:>13.0f} "
                    f"{rate / base_rate[jobs]:>6.2f}",
                    flush=True,
                )


if __name__ == "__main__":
    main()
