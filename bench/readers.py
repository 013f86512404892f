"""Measure the read speed of the readers in kg.readers on generated files.

Usage: python bench/readers.py [--papers N]

Each format gets one file of N generated papers (the fixtures of
tests/data repeated with new ids). The script prints papers per second of
`kg.sources.read_papers`. A second pass, which is not timed because
tracemalloc slows reading, gives the peak Python memory.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
import tracemalloc
from pathlib import Path

from kg.sources import read_papers

DATA = Path(__file__).resolve().parent.parent / "tests" / "data"


def write_inputs(folder: Path, papers: int) -> dict[str, Path]:
    """Write one generated input file (or folder) per format and return them by format name."""
    daily = json.loads((DATA / "hf-daily-2025-09-11.json").read_text(encoding="utf-8"))
    entries = []
    for number in range(papers):
        entry = json.loads(json.dumps(daily[number % len(daily)]))
        entry["paper"]["id"] = f"2509.{number:05d}"
        entry["paper"]["title"] += f" ({number})"
        entries.append(entry)
    (folder / "daily.json").write_text(json.dumps(entries), encoding="utf-8")

    atom = (DATA / "arxiv-query.atom").read_text(encoding="utf-8")
    head, rest = atom.split("<entry>", 1)
    entry = "<entry>" + rest.split("</entry>", 1)[0] + "</entry>\n"
    body = "".join(entry.replace("2409.01234", f"2409.{number:05d}") for number in range(papers))
    (folder / "query.atom").write_text(head + body + "</feed>\n", encoding="utf-8")

    search = json.loads((DATA / "s2-search.json").read_text(encoding="utf-8"))
    records = []
    for number in range(papers):
        record = dict(search["data"][number % 3], paperId=f"{number:040x}", externalIds={})
        records.append(record)
    (folder / "s2.json").write_text(json.dumps({"total": papers, "offset": 0, "data": records}), encoding="utf-8")

    bibtex = (DATA / "papers.bib").read_text(encoding="utf-8")
    block = bibtex[bibtex.index("@inproceedings") : bibtex.index("@misc")]
    (folder / "papers.bib").write_text(
        "".join(block.replace("muller2023graph", f"key{number}") for number in range(papers)), encoding="utf-8"
    )

    tsv = (DATA / "papers.tsv").read_text(encoding="utf-8").splitlines()
    rows = [tsv[1].replace("2409.01234", f"2409.{number:05d}", 1) for number in range(papers)]
    (folder / "papers.tsv").write_text("\n".join([tsv[0], *rows]) + "\n", encoding="utf-8")

    texts = folder / "texts"
    texts.mkdir()
    text = (DATA / "abstracts" / "sparse-adapters.txt").read_text(encoding="utf-8")
    for number in range(papers):
        (texts / f"paper-{number:06d}.txt").write_text(text, encoding="utf-8")

    return {
        "hf-daily": folder / "daily.json",
        "arxiv-atom": folder / "query.atom",
        "s2": folder / "s2.json",
        "bibtex": folder / "papers.bib",
        "tsv": folder / "papers.tsv",
        "text-folder": texts,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--papers", type=int, default=2000, help="Papers per generated file.")
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        inputs = write_inputs(Path(folder), arguments.papers)
        print(f"{'format':<12} {'papers':>7} {'seconds':>8} {'papers/s':>9} {'peak MiB':>9}")
        for name, path in inputs.items():
            start = time.perf_counter()
            count = sum(1 for _ in read_papers(path))
            seconds = time.perf_counter() - start
            tracemalloc.start()
            sum(1 for _ in read_papers(path))
            peak = tracemalloc.get_traced_memory()[1] / (1024 * 1024)
            tracemalloc.stop()
            print(f"{name:<12} {count:>7} {seconds:>8.2f} {count / seconds:>9.0f} {peak:>9.1f}")


if __name__ == "__main__":
    main()
