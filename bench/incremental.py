"""Time an incremental build against a full build of the same papers, and the two ways to update a store.

The corpus is the bundled example page repeated with numbered titles, as in
bench/build.py. The script builds the first BASE papers with a store, adds
the next NEW papers with ``kg build --incremental``, and builds all BASE + NEW
papers from scratch. Each build runs in its own process. It then updates a
copy of the first build's store to the incremental build's export in two
ways: by the difference of the two exports (`kg.incremental.triple_delta`,
what ``--incremental`` does) and by the merge path of `GraphStore.load`.

Usage::

    python bench/incremental.py                      # 10,000 papers, then 500 more
    python bench/incremental.py --base 2000 --new 100
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from kg.incremental import apply_delta, read_state, triple_delta
from kg.sources import read_daily_papers
from kg.store import GraphStore

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "daily-papers-sep-11.txt"


def write_corpus(path: Path, start: int, stop: int) -> None:
    """Write papers number `start` to `stop` - 1 of the repeated example page as JSON Lines."""
    papers = list(read_daily_papers(EXAMPLE))
    with path.open("w", encoding="utf-8") as handle:
        for index in range(start, stop):
            paper = papers[index % len(papers)]
            record = {"id": f"bench-{index}", "title": f"{paper.title} ({index})", "abstract": paper.abstract}
            handle.write(json.dumps(record) + "\n")


def run_build(inputs: list[Path], out_dir: Path, *options: str) -> tuple[float, float]:
    """Return the wall-clock and CPU seconds (user plus system) of one `kg build` process.

    The CPU time varies less than the wall-clock time on a machine that
    other jobs share.
    """
    command = [sys.executable, "-m", "kg.cli", "-q", "build", *map(str, inputs), "--out", str(out_dir), "--no-progress", *options]
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    returncode = os.waitstatus_to_exitcode(status)
    if returncode != 0:
        raise SystemExit(f"kg build failed with exit status {returncode}: {' '.join(command)}")
    return seconds, usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", type=int, default=10_000, help="Papers of the first build.")
    parser.add_argument("--new", type=int, default=500, help="Papers that the incremental build adds.")
    arguments = parser.parse_args()
    base, new = arguments.base, arguments.new

    with tempfile.TemporaryDirectory() as scratch_name:
        scratch = Path(scratch_name)
        first, added, everything = scratch / "first.jsonl", scratch / "added.jsonl", scratch / "all.jsonl"
        write_corpus(first, 0, base)
        write_corpus(added, base, base + new)
        write_corpus(everything, 0, base + new)

        base_seconds = run_build([first], scratch / "inc", "--store", str(scratch / "store"))
        shutil.copytree(scratch / "inc", scratch / "base")
        shutil.copytree(scratch / "store", scratch / "store-base")
        incremental_seconds = run_build([added], scratch / "inc", "--incremental", "--store", str(scratch / "store"))
        full_seconds = run_build([everything], scratch / "full")

        print(f"{'build':<44} {'seconds':>8} {'CPU s':>8}")
        for name, (seconds, cpu) in (
            (f"full, {base:,} papers, with a new store", base_seconds),
            (f"incremental, {new:,} new papers, with the store", incremental_seconds),
            (f"full, {base + new:,} papers, no store", full_seconds),
        ):
            print(f"{name:<44} {seconds:>8.1f} {cpu:>8.1f}")
        print(f"incremental / full: {incremental_seconds[0] / full_seconds[0]:.2f} (wall clock), "
              f"{incremental_seconds[1] / full_seconds[1]:.2f} (CPU)")

        # Update a copy of the first build's store to the new export both ways.
        state = read_state(scratch / "base")
        if state is None or state.store is None:
            raise SystemExit("the first build recorded no store; cannot compare store updates")
        shutil.copytree(scratch / "store-base", scratch / "store-merge")
        started = time.perf_counter()
        delta = triple_delta(scratch / "base" / state.store.file, scratch / "inc" / state.store.file, expected_triples=state.store.triples)
        with GraphStore.open(scratch / "store-base") as graph_store:
            delta_stats = apply_delta(graph_store, delta)
        delta_seconds = time.perf_counter() - started
        started = time.perf_counter()
        with GraphStore.open(scratch / "store-merge") as graph_store:
            merge_stats = graph_store.load(scratch / "inc" / state.store.file)
        merge_seconds = time.perf_counter() - started
        if delta_stats is None:
            raise SystemExit("the store copy did not match the first build's export")

        print()
        print(f"{'store update (in this process)':<44} {'seconds':>8} {'added':>8} {'removed':>8} {'total':>10}")
        for name, seconds, stats in (
            ("delta of the exports (--incremental)", delta_seconds, delta_stats),
            ("merge path of GraphStore.load", merge_seconds, merge_stats),
        ):
            print(f"{name:<44} {seconds:>8.1f} {stats.added:>8,} {stats.removed:>8,} {stats.total:>10,}")
        print(f"delta / merge: {delta_seconds / merge_seconds:.2f}")


if __name__ == "__main__":
    main()
