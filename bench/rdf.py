"""Time the RDF export in every format, its re-parsing, and SHACL validation.

The script builds the bundled example page once, or reads the
``graph.graphml`` of a build folder given with ``--graph``. For each format
of `kg.rdf.RDF_FORMATS` it prints the write time, the file size, and the
triple counts that pyoxigraph and Raptor's ``rapper`` (when installed) read
back. The last line times `kg.validate.validate_rdf` on the graph.

Usage::

    python bench/rdf.py
    python bench/rdf.py --graph outputs
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from kg.graph import read_graphml
from kg.rdf import RDF_FORMATS, count_triples_with_oxigraph, graph_to_rdf, write_rdf
from kg.validate import validate_rdf

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "daily-papers-sep-11.txt"

# Raptor 2 parser names; it has no JSON-LD parser.
RAPPER_PARSERS = {"turtle": "turtle", "ntriples": "ntriples", "trig": "trig", "nquads": "nquads"}


def rapper_count(path: Path, rdf_format: str) -> str:
    if shutil.which("rapper") is None or rdf_format not in RAPPER_PARSERS:
        return "-"
    completed = subprocess.run(
        ["rapper", "--count", "--input", RAPPER_PARSERS[rdf_format], str(path)], capture_output=True, text=True, check=False
    )
    return completed.stderr.strip().splitlines()[-1].split()[3] if completed.returncode == 0 else "failed"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--graph", type=Path, default=None, help="A build folder; default: build the example page.")
    arguments = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder)
        if arguments.graph is None:
            from kg.build import build

            graph, _ = build([EXAMPLE], out / "build")
        else:
            graph = read_graphml(arguments.graph / "graph.graphml")

        print(f"{'format':<10} {'seconds':>8} {'bytes':>10} {'written':>8} {'pyoxigraph':>10} {'rapper':>8}")
        for rdf_format, suffix in RDF_FORMATS.items():
            path = out / f"graph{suffix}"
            started = time.perf_counter()
            written = write_rdf(graph, path, format=rdf_format)
            seconds = time.perf_counter() - started
            print(
                f"{rdf_format:<10} {seconds:>8.2f} {path.stat().st_size:>10} {written:>8} "
                f"{count_triples_with_oxigraph(path):>10} {rapper_count(path, rdf_format):>8}"
            )

        rdf = graph_to_rdf(graph)
        started = time.perf_counter()
        report = validate_rdf(rdf)
        seconds = time.perf_counter() - started
        print(f"validate   {seconds:>8.2f} s for {len(rdf)} triples, conforms: {report.conforms}")


if __name__ == "__main__":
    main()
