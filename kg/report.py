"""The ``kg analyze`` report: Markdown, a standalone HTML page, PNG plots and CSV tables.

`write_report` renders an `kg.analytics.Analysis` into a folder::

    report.md           the report, with the plots linked from plots/
    report.html         the same report in one file, plots embedded as base64 data URIs
    plots/*.png         the plots (matplotlib, Agg backend, no display needed)
    tables/*.csv        every ranking in full (UTF-8, header row)

Both documents come from one list of `Section` values. Corpus text (titles,
entity names, URLs) is escaped for HTML in report.html and for Markdown in
report.md. In the CSV tables, a text cell that a spreadsheet would run as a
formula (it starts with =, +, -, @, tab, carriage return or NUL) gets a
leading apostrophe. OWASP ASVS requirement 1.2.10 lists these characters
except carriage return. Every file is written atomically.
"""

from __future__ import annotations

import base64
import csv
import html
import io
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kg.analytics import BETWEENNESS_SAMPLES, Analysis, Ranked
from kg.io import atomic_write

__all__ = ["REPORT_FILES", "Section", "build_sections", "write_report"]

logger = logging.getLogger(__name__)

MARKDOWN_FILE = "report.md"
HTML_FILE = "report.html"
PLOTS_DIR = "plots"
TABLES_DIR = "tables"
REPORT_FILES: tuple[str, ...] = (MARKDOWN_FILE, HTML_FILE, PLOTS_DIR, TABLES_DIR)

# Members named per community in the report; the CSV lists them all.
COMMUNITY_NAMES_SHOWN = 8
# Entities drawn in the timeline plot and shown as columns of its table,
# because more lines or columns are unreadable. tables/timeline.csv has all.
TIMELINE_PLOT_LINES = 8
# Plot size in inches at 100 dpi: 800 x 400 pixels.
PLOT_SIZE = (8.0, 4.0)
PLOT_DPI = 100

# First characters that make Excel, LibreOffice or Google Sheets read a CSV
# cell as a formula. Numbers are written as numbers, so only text is guarded.
_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\0")
# Markdown characters that start emphasis, strikethrough, links and images
# in CommonMark 0.31 and GFM. A backslash makes each one literal.
_MARKDOWN_SPECIAL = re.compile(r"([*_~\[\]])")


@dataclass
class Section:
    """One part of the report: a heading, paragraphs, an optional table and plot."""

    title: str
    paragraphs: list[str] = field(default_factory=list)
    header: Sequence[str] = ()
    rows: list[Sequence[Any]] = field(default_factory=list)
    plot: str | None = None
    plot_png: bytes = b""


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def _csv_cell(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(_FORMULA_PREFIXES):
        return "'" + value
    return value


def _write_csv(path: Path, header: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    with atomic_write(path) as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows([_csv_cell(value) for value in row] for row in rows)


def _plot(draw: Any) -> bytes:
    """Run `draw(axes)` on a new figure and return it as PNG bytes."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot

    figure, axes = pyplot.subplots(figsize=PLOT_SIZE, dpi=PLOT_DPI)
    try:
        draw(axes)
        figure.tight_layout()
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png")
    finally:
        pyplot.close(figure)
    return buffer.getvalue()


def _bar_plot(labels: Sequence[str], values: Sequence[float], xlabel: str) -> bytes:
    def draw(axes: Any) -> None:
        from matplotlib.ticker import MaxNLocator

        positions = range(len(labels))
        axes.barh(list(positions), list(values), color="#4c72b0")
        axes.set_yticks(list(positions), [label[:40] for label in labels], fontsize=8)
        axes.invert_yaxis()
        axes.set_xlabel(xlabel)
        axes.xaxis.set_major_locator(MaxNLocator(integer=True))

    return _plot(draw)


def _degree_plot(degrees: dict[int, int]) -> bytes:
    def draw(axes: Any) -> None:
        points = sorted((degree, count) for degree, count in degrees.items() if degree > 0)
        axes.loglog([degree for degree, _ in points], [count for _, count in points], "o", color="#4c72b0")
        axes.set_xlabel("degree (distinct neighbours)")
        axes.set_ylabel("nodes")

    return _plot(draw)


def _timeline_plot(analysis: Analysis) -> bytes:
    timeline = analysis.timeline

    def draw(axes: Any) -> None:
        from matplotlib.ticker import MaxNLocator

        periods = list(timeline.periods)
        for entity in timeline.entities[:TIMELINE_PLOT_LINES]:
            counts = timeline.counts[entity.node]
            axes.plot(periods, [counts.get(period, 0) for period in periods], marker="o", label=entity.name[:30])
        axes.set_xlabel(timeline.granularity)
        axes.set_ylabel("papers")
        axes.yaxis.set_major_locator(MaxNLocator(integer=True))
        # Label at most about 24 periods, so the dates of a long timeline do not overlap.
        axes.xaxis.set_major_locator(MaxNLocator(nbins=24, integer=True))
        axes.tick_params(axis="x", labelrotation=45, labelsize=7)
        axes.legend(fontsize=7)

    return _plot(draw)


def _ranked_rows(rows: Sequence[Ranked]) -> list[list[Any]]:
    return [[index, row.name, row.type, _fmt(row.score), row.node] for index, row in enumerate(rows, 1)]


def build_sections(analysis: Analysis, *, plots: bool = True) -> tuple[list[Section], dict[str, tuple[list[str], list[list[Any]]]]]:
    """Turn an analysis into report sections and CSV tables.

    Returns
    -------
    sections : list of Section
        In report order; each table is cut to ``analysis.top`` rows.
    tables : dict
        CSV file name -> (header, all rows).
    """
    top = analysis.top
    sections: list[Section] = []
    tables: dict[str, tuple[list[str], list[list[Any]]]] = {}

    counts = [["node", name, count] for name, count in sorted(analysis.nodes.items())]
    counts += [["edge", name, count] for name, count in sorted(analysis.edges.items())]
    tables["counts.csv"] = (["kind", "type", "count"], counts)
    node_total, edge_total = sum(analysis.nodes.values()), sum(analysis.edges.values())
    section = Section(
        "Counts per type",
        [f"{node_total} nodes and {edge_total} edges."],
        ["kind", "type", "count"],
        counts,
    )
    if plots and analysis.nodes:
        names = sorted(analysis.nodes, key=lambda name: -analysis.nodes[name])
        section.plot, section.plot_png = "counts.png", _bar_plot(names, [analysis.nodes[n] for n in names], "nodes")
    sections.append(section)

    ranked_header = ["rank", "name", "type", "score", "node"]
    tables["top_datasets.csv"] = (ranked_header, _ranked_rows(analysis.top_datasets))
    section = Section(
        "Top datasets and benchmarks by papers",
        ["Score: the number of papers that mention, propose or evaluate on the dataset."],
        ranked_header,
        _ranked_rows(analysis.top_datasets[:top]),
    )
    if plots and analysis.top_datasets:
        plotted = analysis.top_datasets[:top]
        section.plot = "top_datasets.png"
        section.plot_png = _bar_plot([row.name for row in plotted], [row.score for row in plotted], "papers")
    sections.append(section)

    tables["evaluated_datasets.csv"] = (ranked_header, _ranked_rows(analysis.evaluated))
    evaluation_rows = [[subject.name, dataset.name, papers, subject.node, dataset.node] for subject, dataset, papers in analysis.evaluations]
    tables["evaluations.csv"] = (["method_or_model", "dataset", "papers", "method_node", "dataset_node"], evaluation_rows)
    sections.append(Section(
        "Datasets and benchmarks that papers evaluate on",
        ["Score: the number of papers with an evaluated_on edge to the dataset."],
        ranked_header,
        _ranked_rows(analysis.evaluated[:top]),
    ))
    sections.append(Section(
        "Methods and models evaluated on datasets",
        ["Papers: how many papers evaluate on the dataset and mention the method or model."],
        ["method or model", "dataset", "papers"],
        [row[:3] for row in evaluation_rows[:top]],
    ))

    nodes, edges = analysis.projection_size
    projection_note = (
        f"Computed on the entity co-occurrence projection ({nodes} entities, {edges} edges weighted by shared papers)."
    )
    tables["top_methods_pagerank.csv"] = (ranked_header, _ranked_rows(analysis.pagerank))
    sections.append(Section(
        "Top methods by PageRank",
        [projection_note + " PageRank as in Page et al. (1999), damping 0.85."],
        ranked_header,
        _ranked_rows(analysis.pagerank[:top]),
    ))
    sampling = (
        f"estimated from {BETWEENNESS_SAMPLES} sampled sources (seed {analysis.seed})"
        if analysis.betweenness_sampled
        else "exact"
    )
    tables["top_methods_betweenness.csv"] = (ranked_header, _ranked_rows(analysis.betweenness))
    sections.append(Section(
        "Top methods by betweenness",
        [projection_note + f" Normalised betweenness (Brandes 2001), {sampling}, over unweighted paths."],
        ranked_header,
        _ranked_rows(analysis.betweenness[:top]),
    ))

    community_rows = [
        [community.index, rank, member.name, member.type, _fmt(member.score), member.node]
        for community in analysis.communities
        for rank, member in enumerate(community.members, 1)
    ]
    tables["communities.csv"] = (["community", "rank", "name", "type", "strength", "node"], community_rows)
    sections.append(Section(
        "Communities",
        [
            f"Louvain communities (Blondel et al. 2008, seed {analysis.seed}) of the co-occurrence projection, "
            f"largest first; {len(analysis.communities)} communities of two or more entities. "
            "Members are ordered by their weighted degree inside the community."
        ],
        ["community", "size", "top members"],
        [
            [community.index, community.size, ", ".join(member.name for member in community.members[:COMMUNITY_NAMES_SHOWN])]
            for community in analysis.communities[:top]
        ],
    ))

    pair_rows = [[a.name, b.name, shared, a.node, b.node] for a, b, shared in analysis.cousage]
    tables["benchmark_pairs.csv"] = (["first", "second", "shared_papers", "first_node", "second_node"], pair_rows)
    sections.append(Section(
        "Benchmark co-usage",
        ["Pairs of datasets and benchmarks that the same papers use, by number of shared papers."],
        ["first", "second", "shared papers"],
        [row[:3] for row in pair_rows[:top]],
    ))

    code_rows = [[row.name, row.type, int(row.score), "yes" if urls else "no", " ".join(urls), row.node] for row, urls in analysis.code]
    tables["code_availability.csv"] = (["name", "type", "proposing_papers", "has_code", "code", "node"], code_rows)
    with_code = sum(1 for _, urls in analysis.code if urls)
    sections.append(Section(
        "Proposed methods and models with and without code",
        [
            f"{with_code} of {len(analysis.code)} proposed methods and models have a code link "
            "(from the entity or a paper that proposes it); "
            f"{len(analysis.code) - with_code} have none. The first {min(top, len(code_rows))} by name are shown; "
            "tables/code_availability.csv lists them all."
        ],
        ["name", "type", "code"],
        [[row[0], row[1], row[4] or "none"] for row in code_rows[:top]],
    ))

    family_rows = [
        [family.name, int(family.score), len(variants), ", ".join(variant.name for variant in variants), family.node]
        for family, variants in analysis.families
    ]
    tables["families.csv"] = (["family", "papers", "variants", "variant_names", "node"], family_rows)
    sections.append(Section(
        "Model families",
        [
            "Families joined by variant_of edges (Qwen2.5-7B is a variant of Qwen2.5). "
            "Papers: those that mention the family or any of its variants; papers usually name a variant, "
            "so the family node itself has few papers or none."
        ],
        ["family", "papers", "variants", "variant names"],
        [row[:4] for row in family_rows[:top]],
    ))

    result_rows = [[row.benchmark.name, row.result, row.subject, row.paper, row.node] for row in analysis.results]
    tables["benchmark_results.csv"] = (["benchmark", "result", "subject", "paper", "node"], result_rows)
    sections.append(Section(
        "Results reported on benchmarks",
        [
            f"{len(result_rows)} numbers that papers report on a dataset or benchmark; subject is the method "
            "or model measured, empty when it is the paper's own. Benchmarks with the most results first."
        ],
        ["benchmark", "result", "subject", "paper"],
        [row[:4] for row in result_rows[:top]],
    ))

    degree_rows = [[degree, count] for degree, count in sorted(analysis.degrees.items())]
    tables["degree_distribution.csv"] = (["degree", "nodes"], degree_rows)
    section = Section(
        "Degree distribution",
        ["Degree: the number of distinct neighbours of a node, ignoring edge direction and type (log-log plot)."],
    )
    if plots and degree_rows:
        section.plot, section.plot_png = "degree_distribution.png", _degree_plot(dict(analysis.degrees))
    else:
        section.header, section.rows = ["degree", "nodes"], degree_rows
    sections.append(section)

    paper_rows = [[index, row.name, int(row.score), row.node] for index, row in enumerate(analysis.top_papers, 1)]
    tables["top_papers.csv"] = (["rank", "title", "neighbours", "node"], paper_rows)
    sections.append(Section(
        "Papers with the most connections",
        ["Neighbours: the distinct entities, links and results a paper is joined to."],
        ["rank", "title", "neighbours"],
        [row[:3] for row in paper_rows[:top]],
    ))

    sections.append(_timeline_section(analysis, tables, plots=plots))
    return sections, tables


def _timeline_section(analysis: Analysis, tables: dict[str, tuple[list[str], list[list[Any]]]], *, plots: bool) -> Section:
    timeline = analysis.timeline
    rows = [
        [period, entity.name, timeline.counts[entity.node].get(period, 0), entity.node]
        for entity in timeline.entities
        for period in timeline.periods
    ]
    tables["timeline.csv"] = (["period", "name", "papers", "node"], rows)
    section = Section("Counts over time")
    papers = timeline.dated_papers + timeline.undated_papers
    if not timeline.distinct_dates:
        section.paragraphs.append(f"None of the {papers} papers has a date, so there is no timeline.")
    elif len(timeline.distinct_dates) == 1:
        section.paragraphs.append(
            f"All {timeline.dated_papers} dated papers have the same date ({timeline.distinct_dates[0]}) "
            f"and {timeline.undated_papers} have none, so there is no timeline; it needs papers from two or more dates."
        )
    else:
        section.paragraphs.append(
            f"Papers per {timeline.granularity} for the {len(timeline.entities[:TIMELINE_PLOT_LINES])} entities "
            f"with the most dated papers (tables/timeline.csv has {len(timeline.entities)}); "
            f"papers with an ISO 8601 date: {timeline.dated_papers}; without one (no date or another format): "
            f"{timeline.undated_papers}."
        )
        if plots:
            section.plot, section.plot_png = "timeline.png", _timeline_plot(analysis)
        # One row per period, because a day-by-day timeline has up to 93 periods.
        plotted = timeline.entities[:TIMELINE_PLOT_LINES]
        section.header = ["period", *(entity.name for entity in plotted)]
        section.rows = [
            [period, *(timeline.counts[entity.node].get(period, 0) for entity in plotted)]
            for period in timeline.periods
        ]
    return section


def _markdown_cell(value: Any) -> str:
    text = " ".join(_fmt(value).split())
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = text.replace("\\", "\\\\").replace("|", "\\|").replace("`", "\\`")
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


def render_markdown(sections: Sequence[Section], *, title: str) -> str:
    """Render sections as Markdown; plots are linked as plots/<name>."""
    lines = [f"# {_markdown_cell(title)}", ""]
    for section in sections:
        lines += [f"## {section.title}", ""]
        for paragraph in section.paragraphs:
            lines += [_markdown_cell(paragraph), ""]
        if section.plot:
            lines += [f"![{section.title}]({PLOTS_DIR}/{section.plot})", ""]
        if section.header:
            lines.append("| " + " | ".join(_markdown_cell(cell) for cell in section.header) + " |")
            lines.append("|" + "---|" * len(section.header))
            for row in section.rows:
                lines.append("| " + " | ".join(_markdown_cell(cell) for cell in row) + " |")
            lines.append("")
    return "\n".join(lines)


_STYLE = """
body { font-family: system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem; color: #222; }
table { border-collapse: collapse; margin: 0.5rem 0 1.5rem; font-size: 0.9rem; }
th, td { border: 1px solid #ccc; padding: 0.2rem 0.5rem; text-align: left; vertical-align: top; }
th { background: #f3f3f3; }
img { max-width: 100%; }
"""


def render_html(sections: Sequence[Section], *, title: str) -> str:
    """Render sections as one HTML page with the plots embedded as data URIs."""
    escape = html.escape
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{escape(title)}</title>",
        f"<style>{_STYLE}</style></head><body>",
        f"<h1>{escape(title)}</h1>",
    ]
    for section in sections:
        parts.append(f"<h2>{escape(section.title)}</h2>")
        parts += [f"<p>{escape(paragraph)}</p>" for paragraph in section.paragraphs]
        if section.plot_png:
            data = base64.b64encode(section.plot_png).decode("ascii")
            parts.append(f'<img alt="{escape(section.title)}" src="data:image/png;base64,{data}">')
        if section.header:
            parts.append("<table><thead><tr>" + "".join(f"<th>{escape(_fmt(cell))}</th>" for cell in section.header) + "</tr></thead><tbody>")
            for row in section.rows:
                parts.append("<tr>" + "".join(f"<td>{escape(_fmt(cell))}</td>" for cell in row) + "</tr>")
            parts.append("</tbody></table>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def write_report(analysis: Analysis, out_dir: str | Path, *, title: str = "kg analysis", plots: bool = True) -> list[Path]:
    """Write report.md, report.html, plots/*.png and tables/*.csv to `out_dir`.

    Parameters
    ----------
    analysis : Analysis
        From `kg.analytics.analyze`.
    out_dir : path
        Created if missing. Files of an earlier report are replaced, and its
        PNG plots and CSV tables that this report does not write are removed,
        so plots/ and tables/ never mix two graphs. Other files are kept.
    title : str
        Heading of both documents (escaped).
    plots : bool
        Draw the PNG plots (False skips matplotlib, for speed).

    Returns
    -------
    list of Path
        Every file written.
    """
    out_dir = Path(out_dir)
    sections, tables = build_sections(analysis, plots=plots)
    written = []
    for name, (header, rows) in tables.items():
        path = out_dir / TABLES_DIR / name
        _write_csv(path, header, rows)
        written.append(path)
    for section in sections:
        if section.plot:
            path = out_dir / PLOTS_DIR / section.plot
            with atomic_write(path, "wb") as handle:
                handle.write(section.plot_png)
            written.append(path)
    for name, text in ((MARKDOWN_FILE, render_markdown(sections, title=title)), (HTML_FILE, render_html(sections, title=title))):
        path = out_dir / name
        with atomic_write(path) as handle:
            handle.write(text)
        written.append(path)
    _remove_stale(out_dir, written)
    logger.info("Wrote the report to %s (%d files)", out_dir, len(written))
    return written


def _remove_stale(out_dir: Path, written: Sequence[Path]) -> None:
    """Delete the plots and tables of an earlier report that this one did not write."""
    keep = set(written)
    for folder, pattern in ((PLOTS_DIR, "*.png"), (TABLES_DIR, "*.csv")):
        for path in (out_dir / folder).glob(pattern):
            if path not in keep:
                logger.info("Removing %s, left from an earlier report", path)
                path.unlink()
