"""Time the extraction phase of a multi-process build, and the main process's share of it.

During a ``--jobs N`` build the worker processes run the pipeline while the
main process reads and cleans the input, writes ``extractions.jsonl`` and
adds each record to the graph builder. This script runs `kg.build.build` on
one input and reports, for the extraction phase (from the "Reading" log line
to the "Extracted N papers" line):

- wall time;
- CPU time of the main process (all its threads), and that time as a share
  of one core over the phase;
- CPU time of the worker processes (``RUSAGE_CHILDREN``, counted when the
  pool is shut down at the end of the phase);
- CPU time of the main process's cyclic garbage collections
  (`gc.callbacks`).

The whole build runs, so the outputs can be compared with ``cmp``; only the
extraction phase is timed.

Usage::

    python bench/extract_main.py /tmp/kg-bench-throughput/arxiv-snapshot-10000-seed0-v1.json.gz --out /tmp/out
    python bench/extract_main.py INPUT --out DIR --jobs 2
"""

from __future__ import annotations

import argparse
import gc
import logging
import resource
import time
from pathlib import Path
from typing import Any

from kg.build import build

EXTRACTION_START = "Reading"
EXTRACTION_END = "Extracted"


class PhaseClock(logging.Handler):
    """Log handler that reads the clocks at the first "Reading" and the "Extracted" log lines."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.marks: dict[str, tuple[float, float, float, float]] = {}
        self.gc_seconds = 0.0
        self._gc_started = 0.0

    def clocks(self) -> tuple[float, float, float, float]:
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        return time.perf_counter(), time.process_time(), children.ru_utime + children.ru_stime, self.gc_seconds

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if message.startswith(EXTRACTION_START) and "start" not in self.marks:
            self.marks["start"] = self.clocks()
        elif message.startswith(EXTRACTION_END):
            self.marks["end"] = self.clocks()

    def on_gc(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._gc_started = time.process_time()
        else:
            self.gc_seconds += time.process_time() - self._gc_started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("input", type=Path, help="Input file of the build.")
    parser.add_argument("--out", type=Path, required=True, help="Output folder of the build.")
    parser.add_argument("--jobs", type=int, default=2, help="Worker processes. [default: 2]")
    arguments = parser.parse_args()

    clock = PhaseClock()
    kg_logger = logging.getLogger("kg")
    kg_logger.setLevel(logging.INFO)
    kg_logger.addHandler(clock)
    gc.callbacks.append(clock.on_gc)
    build([arguments.input], arguments.out, jobs=arguments.jobs)
    gc.callbacks.remove(clock.on_gc)

    if "start" not in clock.marks or "end" not in clock.marks:
        raise SystemExit("The build logged no 'Reading' or 'Extracted' line; is kg's logging changed?")
    wall, main_cpu, workers_cpu, gc_cpu = (
        end - start for start, end in zip(clock.marks["start"], clock.marks["end"])
    )
    print(f"input: {arguments.input}, jobs: {arguments.jobs}")
    print(f"extraction wall time: {wall:.1f} s")
    print(f"main process CPU: {main_cpu:.2f} s ({main_cpu / wall:.0%} of one core)")
    print(f"  of which garbage collection: {gc_cpu:.2f} s")
    print(f"worker processes CPU: {workers_cpu:.2f} s")
    print(f"main / workers CPU: {main_cpu / workers_cpu:.1%}")


if __name__ == "__main__":
    main()
