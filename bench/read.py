"""Time `kg.sources.read_papers` on a generated JSON Lines file.

The file repeats the papers of the example page with ids of their own, and
adds "é" to each title and "café" to each abstract, so every field takes the
non-ASCII path of `kg.sources.clean_text`. With ``--mojibake``, each record's
non-ASCII text is written as mojibake instead (UTF-8 read as Windows-1252),
so every record is repaired. The best of three runs is printed, with CPU time
beside wall time, because on a shared machine the wall time includes waiting
for the CPU.

Usage::

    python bench/read.py                    # 20,000 records
    python bench/read.py --records 100000 --mojibake
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from kg.sources import ReadStats, read_daily_papers, read_papers

EXAMPLE_PAGE = Path(__file__).resolve().parent.parent / "examples" / "daily-papers-sep-11.txt"
RUNS = 3


def write_input(path: Path, records: int, *, mojibake: bool) -> None:
    papers = list(read_daily_papers(EXAMPLE_PAGE))
    with path.open("w", encoding="utf-8") as handle:
        for index in range(records):
            paper = papers[index % len(papers)]
            title = f"{paper.title} é {index}"
            abstract = paper.abstract + " café"
            if mojibake:
                title = title.encode("utf-8").decode("cp1252", errors="replace")
                abstract = abstract.encode("utf-8").decode("cp1252", errors="replace")
            record = {"id": f"p{index}", "title": title, "abstract": abstract}
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=20_000, help="Records in the generated file.")
    parser.add_argument("--mojibake", action="store_true", help="Write every record's non-ASCII text as mojibake.")
    arguments = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "papers.jsonl"
        write_input(path, arguments.records, mojibake=arguments.mojibake)
        best_wall = best_cpu = float("inf")
        stats = ReadStats()
        for _ in range(RUNS):
            stats = ReadStats()
            wall, cpu = time.perf_counter(), time.process_time()
            count = sum(1 for _ in read_papers(path, stats=stats))
            best_wall = min(best_wall, time.perf_counter() - wall)
            best_cpu = min(best_cpu, time.process_time() - cpu)
    print(f"records     {count}")
    print(f"repaired    {stats.repaired}")
    print(f"wall time   {best_wall:.2f} s ({count / best_wall:,.0f} records/s), best of {RUNS}")
    print(f"CPU time    {best_cpu:.2f} s ({count / best_cpu:,.0f} records/s), best of {RUNS}")


if __name__ == "__main__":
    main()
