"""The `kg` command line.

Commands check their arguments, then call library code. A `KgError` is printed
as one line on standard error with exit status 1; usage errors exit with 2;
Ctrl-C (SIGINT) and SIGTERM exit with 130 (see `EXIT_CODES_HELP`).
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
from collections.abc import Mapping
from pathlib import Path

import click

from kg import __version__
from kg.errors import ConfigError, KgError
from kg.viewer import VIEW_MAX_NODES

# The RDF format names of kg.rdf.RDF_FORMATS, listed here so that `kg --help`
# does not import rdflib. A test checks that the two lists agree, as for the
# two lists below.
RDF_FORMAT_NAMES: tuple[str, ...] = ("turtle", "ntriples", "jsonld", "trig", "nquads")
# The keys of `kg.exports.NETWORK_FORMATS`, repeated so that the command line starts without NetworkX I/O.
NETWORK_FORMAT_NAMES: tuple[str, ...] = ("graphml", "gexf", "json")
# The names of kg.sources.INPUT_FORMATS, repeated so that `kg --help` imports no reader.
INPUT_FORMAT_NAMES: tuple[str, ...] = (
    "page", "jsonl", "csv", "arxiv-snapshot", "hf-daily", "arxiv-atom", "s2", "bibtex", "tsv", "text-folder",
)  # fmt: skip

__all__ = ["main"]

logger = logging.getLogger("kg")


def _configure_logging(verbose: int, quiet: bool) -> None:
    level = logging.WARNING
    if quiet:
        level = logging.ERROR
    elif verbose == 1:
        level = logging.INFO
    elif verbose >= 2:
        level = logging.DEBUG
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(levelname)s: %(message)s"))
    root = logging.getLogger("kg")
    root.handlers[:] = [handler]
    root.setLevel(level)
    root.propagate = False


EXIT_CODES_HELP = """\b
Exit codes:
  0    success
  1    invalid input or failed command (the message names the file and record)
  2    usage error: unknown option or format, missing file, bad setting
  130  interrupted by Ctrl-C (SIGINT) or SIGTERM; earlier build outputs are kept
"""


@click.group(context_settings={"help_option_names": ["-h", "--help"]}, epilog=EXIT_CODES_HELP)
@click.version_option(__version__, prog_name="kg")
@click.option("-v", "--verbose", count=True, help="Log more: -v for progress notes, -vv for debugging.")
@click.option("-q", "--quiet", is_flag=True, help="Log errors only.")
def cli(verbose: int, quiet: bool) -> None:
    """Turn research-paper abstracts into a knowledge graph."""
    _configure_logging(verbose, quiet)


def _check_categories(ctx: click.Context, param: click.Parameter, values: tuple[str, ...]) -> tuple[str, ...]:
    from kg.filters import parse_category

    for value in values:
        try:
            parse_category(value)
        except ConfigError as err:
            raise click.BadParameter(str(err), ctx=ctx, param=param) from err
    return values


def _check_since(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    from kg.filters import parse_since

    if value is not None:
        try:
            parse_since(value)
        except ConfigError as err:
            raise click.BadParameter(str(err), ctx=ctx, param=param) from err
    return value


@cli.command()
@click.argument("inputs", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "-o", "--out", "out_dir", default="outputs", show_default=True, type=click.Path(path_type=Path, file_okay=False),
    help="Folder for extractions.jsonl, graph.graphml, graph.ttl (or the --rdf-format files), void.ttl and graph.html.",
)
@click.option(
    "--format", "input_format", type=click.Choice(INPUT_FORMAT_NAMES), default=None,
    help="Format of every input: Daily Papers page text, JSON Lines, CSV, the arXiv metadata snapshot, Daily Papers API JSON, arXiv API Atom, "
    "Semantic Scholar JSON, BibTeX, TSV or a folder of .txt files. [default: from each file name and its first bytes]",
)
@click.option(
    "--column", "column_items", multiple=True, metavar="FIELD=NAME",
    help="Read the CSV/TSV column NAME as the paper field FIELD (title, abstract, id, url, date, language, authors, "
    "arxiv_id, doi, categories), e.g. title=Title; repeat for several.",
)
@click.option("--base-iri", default=None, help="Namespace for the IRIs of papers, entities and links; ends with '/' or '#'.")
@click.option(
    "--rdf-format", "rdf_formats", multiple=True, type=click.Choice(RDF_FORMAT_NAMES),
    help="RDF serialization to write as graph.<suffix>; repeat for several. [default: turtle]",
)
@click.option("--license", "license_iri", default=None, help="IRI of the data's license, stated in void.ttl. [default: none stated]")
@click.option("--model", default=None, help="An installed spaCy pipeline to build on (e.g. en_core_web_sm), or a folder written by kg train. [default: rule-based, no model]")
@click.option(
    "--vocabulary", "vocabulary_paths", multiple=True, type=click.Path(path_type=Path, dir_okay=False),
    help="Extra vocabulary file (TSV: name, type, aliases); repeat for several.",
)
@click.option("--batch-size", default=64, show_default=True, type=click.IntRange(min=1), help="Papers per spaCy batch.")
@click.option(
    "--jobs", default=1, show_default=True, type=click.IntRange(min=1),
    help="Worker processes for extraction; results keep the input order, so outputs do not depend on it.",
)
@click.option("--processes", "processes", default=None, type=click.IntRange(min=1), hidden=True, help="Old name of --jobs.")
@click.option(
    "--skip-invalid", is_flag=True,
    help="Log and skip invalid records and input files without papers instead of stopping; list them in skipped.jsonl.",
)
@click.option(
    "--encoding", default=None,
    help="Encoding of every input, a Python codec name such as cp1252, latin-1 or utf-16. [default: UTF-8]",
)
@click.option(
    "--max-abstract-chars", default=None, type=click.IntRange(min=1),
    help="Maximum abstract length, in characters; a longer abstract makes its record invalid. [default: 100000]",
)
@click.option("--dry-run", is_flag=True, help="Read and check the inputs, print what would be read and written, and write nothing.")
@click.option("--title", default=None, help="Heading of graph.html. [default: the input file names]")
@click.option(
    "--view-max-nodes", default=VIEW_MAX_NODES, show_default=True, type=click.IntRange(min=1),
    help="Largest graph that graph.html draws in full; larger graphs show their most mentioned entities.",
)
@click.option("--force", is_flag=True, help="Replace outputs of an earlier build in the output folder.")
@click.option("--progress/--no-progress", default=None, help="Show a progress bar. [default: when standard error is a terminal]")
@click.option(
    "--store", "store_dir", default=None, type=click.Path(path_type=Path, file_okay=False),
    help="Also load the build's triples into this Oxigraph store folder (created if missing): a bulk load into an empty store, else only new triples are added.",
)
@click.option(
    "--engine", type=click.Choice(["local", "dask"]), default="local", show_default=True,
    help="Run extraction in local processes, or on a Dask distributed cluster (needs pip install 'kg[dask]').",
)
@click.option(
    "--scheduler", default=None, metavar="ADDRESS",
    help="Address of a running Dask scheduler, tcp://HOST:PORT, for --engine dask. [default: start a local cluster on 127.0.0.1]",
)
@click.option(
    "--dask-workers", default=2, show_default=True, type=click.IntRange(min=1),
    help="Worker processes of the local Dask cluster (one thread each) when no --scheduler is given.",
)
@click.option(
    "--partition-size", default=256, show_default=True, type=click.IntRange(min=1),
    help="Papers per Dask task with --engine dask.",
)
@click.option(
    "--incremental", is_flag=True,
    help="Add the papers of INPUTS to the build in --out: only new or changed papers are extracted, entity ids are kept.",
)
@click.option(
    "--category", "categories", multiple=True, callback=_check_categories,
    help="Keep only papers with this arXiv category (cs.LG) or of this archive (cs); repeat for several.",
)
@click.option(
    "--since", default=None, callback=_check_since, metavar="YYYY-MM-DD",
    help="Keep only papers dated on or after this day.",
)
def build(
    inputs: tuple[Path, ...],
    out_dir: Path,
    input_format: str | None,
    column_items: tuple[str, ...],
    base_iri: str | None,
    rdf_formats: tuple[str, ...],
    license_iri: str | None,
    model: str | None,
    vocabulary_paths: tuple[Path, ...],
    batch_size: int,
    jobs: int,
    processes: int | None,
    skip_invalid: bool,
    encoding: str | None,
    max_abstract_chars: int | None,
    dry_run: bool,
    title: str | None,
    view_max_nodes: int,
    force: bool,
    progress: bool | None,
    store_dir: Path | None,
    engine: str,
    scheduler: str | None,
    dask_workers: int,
    partition_size: int,
    incremental: bool,
    categories: tuple[str, ...],
    since: str | None,
) -> None:
    """Build the knowledge graph of INPUTS.

    INPUTS are files or folders. A file contains Daily Papers page text (.txt,
    .md), JSON Lines (.jsonl, .ndjson), CSV (.csv), TSV (.tsv), BibTeX (.bib),
    arXiv API Atom (.atom, .xml), or Daily Papers API, Semantic Scholar or
    arXiv metadata snapshot JSON (.json), and may be gzip-compressed (.gz).
    A folder contains .txt files, one paper per file.
    An invalid record stops the build before any output is written (exit
    status 1), unless --skip-invalid is given.
    """
    import codecs

    from kg.build import DEFAULT_MAX_ABSTRACT_CHARS, DEFAULT_RDF_FORMATS, build as run_build, output_files
    from kg.errors import InputError
    from kg.rdf import DEFAULT_BASE_IRI
    from kg.readers.tabular import parse_column_mapping
    from kg.sources import detect_format

    rdf_formats = rdf_formats or DEFAULT_RDF_FORMATS
    max_abstract_chars = max_abstract_chars or DEFAULT_MAX_ABSTRACT_CHARS
    try:
        columns = parse_column_mapping(column_items)
    except ConfigError as err:
        raise click.BadParameter(str(err), param_hint="--column") from err
    if columns and input_format not in (None, "csv", "tsv"):
        raise click.BadParameter(f"applies to --format csv or tsv, not {input_format}", param_hint="--column")
    for path in inputs:
        if path.is_dir() and input_format not in (None, "text-folder"):
            raise click.BadParameter(f"{path}: is a folder; give the input files", param_hint="INPUTS")
        if not path.exists():
            raise click.BadParameter(f"{path}: file not found", param_hint="INPUTS")
        if input_format is None:
            try:
                detect_format(path)
            except InputError as err:
                raise click.BadParameter(str(err), param_hint="INPUTS") from err
    if encoding is not None:
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise click.BadParameter(
                f"{encoding!r} is not a known encoding; expected a Python codec name such as utf-8, cp1252, latin-1 or utf-16",
                param_hint="--encoding",
            ) from None
    if dry_run:
        _dry_run(
            inputs, out_dir, input_format=input_format, skip_invalid=skip_invalid, encoding=encoding,
            max_abstract_chars=max_abstract_chars, rdf_formats=rdf_formats, columns=columns,
        )
        return
    existing = [name for name in output_files(rdf_formats) if (out_dir / name).exists()]
    if existing and not force and not incremental:
        raise click.UsageError(
            f"{out_dir} already contains {', '.join(existing)}; pass --force to replace them, or choose another --out folder"
        )

    if progress is None:
        progress = sys.stderr.isatty()
    # The command line reports the outputs only, so the build frees its graph early.
    _, summary = run_build(
        list(inputs),
        out_dir,
        input_format=input_format,  # type: ignore[arg-type]  # click.Choice limits the values
        base_iri=DEFAULT_BASE_IRI if base_iri is None else base_iri,
        rdf_formats=rdf_formats,
        license_iri=license_iri,
        model=model,
        vocabulary_paths=vocabulary_paths,
        batch_size=batch_size,
        jobs=processes if processes is not None else jobs,
        skip_invalid=skip_invalid,
        progress=progress,
        title=title,
        view_max_nodes=view_max_nodes,
        store=store_dir,
        columns=columns,
        engine=engine,
        scheduler=scheduler,
        dask_workers=dask_workers,
        partition_size=partition_size,
        encoding=encoding,
        max_abstract_chars=max_abstract_chars,
        incremental=incremental,
        categories=categories,
        since=since,
        keep_graph=False,
    )
    for line in summary.lines():
        click.echo(line)


def _http_client(delay: float, retries: int, backoff: float, timeout: float):  # noqa: ANN202  # kg.fetch is imported lazily
    from kg.fetch import HttpClient

    return HttpClient(delay=delay, retries=retries, backoff=backoff, timeout=timeout)


def _http_options(function):  # noqa: ANN001, ANN202  # a click decorator
    """Add the rate-limit and retry options shared by the `kg fetch` commands."""
    options = [
        click.option("--delay", default=3.0, show_default=True, type=click.FloatRange(min=0), help="Seconds between the starts of two requests (arXiv asks for at least 3)."),
        click.option("--retries", default=4, show_default=True, type=click.IntRange(min=0), help="Attempts after the first for timeouts, HTTP 429 and 5xx."),
        click.option("--backoff", default=2.0, show_default=True, type=click.FloatRange(min=0), help="Seconds before the first retry, doubled for each further one; a Retry-After header wins."),
        click.option("--timeout", default=30.0, show_default=True, type=click.FloatRange(min=0, min_open=True), help="Seconds to wait for the connection and each read."),
        click.option("-o", "--out", "out_path", required=True, type=click.Path(path_type=Path, dir_okay=False), help="File to write; kg build reads it."),
    ]
    for option in reversed(options):
        function = option(function)
    return function


@cli.group()
def fetch() -> None:
    """Download papers from the arXiv API or the Hugging Face Daily Papers API into a file for kg build."""


@fetch.command("arxiv")
@click.option("--query", required=True, help='arXiv search_query, e.g. \'cat:cs.LG AND abs:"reward model"\'.')
@click.option("--max", "max_results", default=100, show_default=True, type=click.IntRange(min=1), help="Maximum number of entries to download.")
@click.option("--page-size", default=100, show_default=True, type=click.IntRange(min=1, max=2000), help="Entries per request.")
@click.option("--api-url", envvar="KG_ARXIV_API_URL", default="https://export.arxiv.org/api/query", show_default=True, help="Query endpoint; also read from KG_ARXIV_API_URL.")
@click.option("--progress/--no-progress", default=None, help="Show a progress bar. [default: when standard error is a terminal]")
@_http_options
def fetch_arxiv_command(
    query: str, max_results: int, page_size: int, api_url: str, progress: bool | None,
    delay: float, retries: int, backoff: float, timeout: float, out_path: Path,
) -> None:
    """Run an arXiv API query and write the entries as one Atom feed (.atom)."""
    from kg.fetch import fetch_arxiv

    count = fetch_arxiv(
        query, out_path, max_results=max_results, page_size=page_size, api_url=api_url,
        client=_http_client(delay, retries, backoff, timeout),
        progress=sys.stderr.isatty() if progress is None else progress,
    )
    click.echo(f"Wrote {count} papers to {out_path}")


@fetch.command("daily")
@click.option("--date", "day", required=True, help="Day of the Daily Papers listing, YYYY-MM-DD.")
@click.option("--api-url", envvar="KG_HF_DAILY_API_URL", default="https://huggingface.co/api/daily_papers", show_default=True, help="Daily Papers endpoint; also read from KG_HF_DAILY_API_URL.")
@_http_options
def fetch_daily_command(day: str, api_url: str, delay: float, retries: int, backoff: float, timeout: float, out_path: Path) -> None:
    """Download one day of Hugging Face Daily Papers as JSON (.json)."""
    from kg.fetch import fetch_daily

    count = fetch_daily(day, out_path, api_url=api_url, client=_http_client(delay, retries, backoff, timeout))
    click.echo(f"Wrote {count} papers to {out_path}")


def _dry_run(
    inputs: tuple[Path, ...],
    out_dir: Path,
    *,
    input_format: str | None,
    skip_invalid: bool,
    encoding: str | None,
    max_abstract_chars: int,
    rdf_formats: tuple[str, ...],
    columns: Mapping[str, str] | None = None,
) -> None:
    """Print what `kg build` would read from INPUTS and write to `out_dir`; write nothing."""
    from kg.build import SKIPPED_FILE, check_inputs, output_files

    checks = check_inputs(
        inputs,
        input_format=input_format,  # type: ignore[arg-type]  # click.Choice limits the values
        skip_invalid=skip_invalid,
        encoding=encoding,
        max_abstract_chars=max_abstract_chars,
        columns=columns,
    )
    for check in checks:
        click.echo(f"read        {check.line()}")
    total = sum(check.papers for check in checks)
    click.echo(f"papers      {total} would be extracted")
    names = [*output_files(rdf_formats), *([SKIPPED_FILE] if skip_invalid else [])]
    for name in names:
        note = " (replaces an existing file)" if (out_dir / name).exists() else ""
        click.echo(f"would write {out_dir / name}{note}")


def _parse_parameters(values: tuple[str, ...]) -> dict[str, str]:
    parameters: dict[str, str] = {}
    for item in values:
        name, separator, value = item.partition("=")
        if not separator or not name:
            raise click.BadParameter(f"{item!r}: expected NAME=VALUE, e.g. benchmark=RewardBench", param_hint="--param")
        parameters[name.strip()] = value
    return parameters


def _read_query_text(sparql: str | None, query_file: Path | None, saved: str | None) -> str:
    query_sources = [name for name, value in (("SPARQL", sparql), ("--query-file", query_file), ("--saved", saved)) if value is not None]
    if not query_sources:
        raise click.UsageError("missing query: give it as an argument, with --query-file, or with --saved NAME (see --list-saved)")
    if len(query_sources) > 1:
        raise click.UsageError(f"give one query, not {' and '.join(query_sources)}")
    if saved is not None:
        from kg.saved import load_saved_query

        return load_saved_query(saved).text
    if query_file is not None:
        if not query_file.is_file():
            raise click.BadParameter(f"{query_file}: file not found", param_hint="--query-file")
        try:
            return query_file.read_text(encoding="utf-8")
        except UnicodeDecodeError as err:
            raise click.BadParameter(
                f"{query_file}: not valid UTF-8 ({err.reason} at byte {err.start})", param_hint="--query-file"
            ) from err
    assert sparql is not None
    return sparql


def _query_source(arguments: tuple[str, ...], store: Path | None, graph_file: Path | None, endpoint: str | None) -> tuple[str | None, str, str | None]:
    """Return (source, kind, sparql) from the positional arguments and the source options."""
    options = [(kind, value) for kind, value in (("store", store), ("file", graph_file), ("endpoint", endpoint)) if value is not None]
    if len(options) > 1:
        raise click.UsageError("give one source: --store, --file or --endpoint")
    if len(arguments) > 2:
        raise click.UsageError("too many arguments: expected [SOURCE] [SPARQL]")
    if options:
        if len(arguments) == 2:
            raise click.UsageError(f"give the source either as an argument or with --{options[0][0]}, not both")
        kind, value = options[0]
        return str(value), kind, arguments[0] if arguments else None
    if len(arguments) == 2:
        return arguments[0], "auto", arguments[1]
    if len(arguments) == 1:
        # One argument is the source when it names an existing path or a
        # URL, otherwise it is the query and the default store is the source.
        argument = arguments[0]
        looks_like_source = Path(argument).exists() or argument.lower().startswith(("http://", "https://"))
        return (argument, "auto", None) if looks_like_source else (None, "auto", argument)
    return None, "auto", None


def _list_saved_queries() -> None:
    from kg.saved import saved_queries

    for name, saved_query in saved_queries().items():
        click.echo(f"{name}\n    {saved_query.title}\n    {saved_query.parameters_line}")


@cli.command()
@click.argument("arguments", nargs=-1, metavar="[SOURCE] [SPARQL]")
@click.option("--store", type=click.Path(path_type=Path), default=None, help="Query this Oxigraph store folder (made by kg build --store).")
@click.option(
    "--file", "graph_file", type=click.Path(path_type=Path), default=None,
    help="Query this RDF file (.ttl, .nt, .nq, .trig, .rdf, .jsonld) or build folder, loaded into memory.",
)
@click.option("--endpoint", default=None, help="Query this SPARQL 1.1 endpoint URL, e.g. http://localhost:8890/sparql.")
@click.option("--graph", "default_graph", default=None, help="With --endpoint: the IRI of the graph to query. [default: the server's default graph]")
@click.option("--user", default=None, help="With --endpoint: user name for HTTP Basic or Digest authentication.")
@click.option("--password", default=None, help="With --endpoint: password. [default: the KG_SPARQL_PASSWORD environment variable]")
@click.option("-q", "--query-file", type=click.Path(path_type=Path, dir_okay=False), default=None, help="Read the query from this file.")
@click.option("--saved", default=None, help="Run a saved query by name (see --list-saved).")
@click.option("-p", "--param", "params", multiple=True, metavar="NAME=VALUE", help="Bind a query parameter, e.g. benchmark=RewardBench; repeat for several.")
@click.option("--list-saved", is_flag=True, help="List the saved queries with their parameters and exit.")
@click.option(
    "--format", "output_format", type=click.Choice(["table", "csv", "json", "srj", "srx"]), default="table", show_default=True,
    help="Output format: table, CSV, JSON objects, or SPARQL results JSON (srj) or XML (srx).",
)
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True), default=None, help="Stop the query after this many seconds.")
def query(
    arguments: tuple[str, ...],
    store: Path | None,
    graph_file: Path | None,
    endpoint: str | None,
    default_graph: str | None,
    user: str | None,
    password: str | None,
    query_file: Path | None,
    saved: str | None,
    params: tuple[str, ...],
    list_saved: bool,
    output_format: str,
    timeout: float | None,
) -> None:
    """Run a SPARQL query on a store, an RDF file or a SPARQL endpoint.

    SOURCE is a store folder, a build folder, an RDF file or an endpoint URL;
    without one, the store outputs/store is queried. Common prefixes (kg,
    skos, dcterms, schema, prov, rdf, rdfs, xsd) are declared for you.

    \b
    Examples:
      kg query --saved papers-per-benchmark
      kg query outputs --saved methods-on-benchmark -p benchmark=RewardBench
      kg query --endpoint http://localhost:8890/sparql "SELECT * WHERE { ?s ?p ?o } LIMIT 5"
    """
    from kg.query import format_results, run_query

    if list_saved:
        _list_saved_queries()
        return
    source, kind, sparql = _query_source(arguments, store, graph_file, endpoint)
    is_endpoint = kind == "endpoint" or (source is not None and source.lower().startswith(("http://", "https://")))
    if not is_endpoint and (user is not None or password is not None or default_graph is not None):
        raise click.UsageError("--graph, --user and --password apply to --endpoint only")
    text = _read_query_text(sparql, query_file, saved)
    result = run_query(
        source, text, timeout=timeout, parameters=_parse_parameters(params), kind=kind,  # type: ignore[arg-type]  # kind is one of SOURCE_KINDS
        user=user, password=password, default_graph=default_graph,
    )
    output = format_results(result, output_format)
    # RFC 4180 ends every CSV record, the last one too, with CRLF.
    click.echo(output + "\r\n" if output_format == "csv" else output + "\n", nl=False)


@cli.command()
@click.argument("build_source", metavar="BUILD", type=click.Path(path_type=Path))
@click.option("--endpoint", required=True, help="Graph Store endpoint URL, e.g. http://localhost:8890/sparql-graph-crud-auth.")
@click.option("--graph", "graph_iri", required=True, help="IRI of the named graph to load into.")
@click.option("--user", default=None, help="User name for HTTP Basic or Digest authentication.")
@click.option("--password", default=None, help="Password. [default: the KG_SPARQL_PASSWORD environment variable]")
@click.option("--replace", is_flag=True, help="Replace the graph's content instead of adding to it.")
@click.option("--chunk-size", default=None, type=click.IntRange(min=1), help="Triples per HTTP request. [default: 20000]")
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True), default=60.0, show_default=True, help="Seconds to wait for each request.")
@click.option("--progress/--no-progress", default=None, help="Show a progress bar. [default: when standard error is a terminal]")
def push(
    build_source: Path,
    endpoint: str,
    graph_iri: str,
    user: str | None,
    password: str | None,
    replace: bool,
    chunk_size: int | None,
    timeout: float,
    progress: bool | None,
) -> None:
    """Load BUILD into a named graph of a SPARQL server.

    BUILD is a build folder (its graph.ttl), an RDF file or a store folder.
    The triples are sent in chunks by the SPARQL 1.1 Graph Store HTTP Protocol.
    POST requests add to the graph. With --replace the first request is a PUT,
    which replaces the graph's content.
    """
    from tqdm import tqdm

    from kg.endpoint import DEFAULT_CHUNK_TRIPLES, push_graph, read_ntriples

    total, lines = read_ntriples(build_source)
    if progress is None:
        progress = sys.stderr.isatty()
    with tqdm(total=total, desc="Pushing", unit=" triples", disable=not progress, leave=False) as bar:
        sent = push_graph(
            endpoint, graph_iri, lines, replace=replace, user=user, password=password, timeout=timeout,
            chunk_triples=chunk_size or DEFAULT_CHUNK_TRIPLES, on_chunk=bar.update,
        )
    click.echo(f"pushed      {sent} triples to graph {graph_iri} at {endpoint}")


@cli.command(name="eval")
@click.argument("gold", type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--format", "corpus_format", type=click.Choice(["gold", "scierc", "conll", "scirex"]), default=None,
    help="Format of GOLD: kg's gold JSON Lines, SciERC JSON, CoNLL BIO/BIOES, or SciREX JSON Lines. [default: from the suffix and content]",
)
@click.option(
    "--input", "input_path", type=click.Path(path_type=Path, dir_okay=False), default=None,
    help="Papers to extract and compare with a gold-format GOLD (page text, JSON Lines or CSV); required for --format gold.",
)
@click.option(
    "--match", "match_mode", type=click.Choice(["exact", "partial", "both"]), default="both", show_default=True,
    help="Span match: exact boundaries, any overlap, or both tables.",
)
@click.option(
    "--map", "gold_map", multiple=True, metavar="LABEL=TYPE",
    help="Score the corpus label LABEL as kg type TYPE, or ignore it with LABEL=; repeatable.",
)
@click.option(
    "--map-predicted", "predicted_map", multiple=True, metavar="TYPE=TYPE",
    help="Score kg's predicted type as another type (e.g. model=method), or ignore it with TYPE=; repeatable.",
)
@click.option("--json", "json_path", type=click.Path(path_type=Path, dir_okay=False), default=None, help="Also write the scores to this JSON file.")
@click.option("--limit", type=click.IntRange(min=1), default=None, help="Score only the first N documents or papers.")
@click.option("--encoding", default=None, help="Encoding of a CoNLL file. [default: UTF-8, then Windows-1252]")
@click.option("--model", default=None, help="An installed spaCy pipeline to build on (e.g. en_core_web_sm), or a folder written by kg train. [default: rule-based, no model]")
@click.option(
    "--vocabulary", "vocabulary_paths", multiple=True, type=click.Path(path_type=Path, dir_okay=False),
    help="Extra vocabulary file (TSV: name, type, aliases); repeat for several.",
)
@click.option("--progress/--no-progress", default=None, help="Show a progress bar. [default: when standard error is a terminal]")
def eval_command(
    gold: Path,
    corpus_format: str | None,
    input_path: Path | None,
    match_mode: str,
    gold_map: tuple[str, ...],
    predicted_map: tuple[str, ...],
    json_path: Path | None,
    limit: int | None,
    encoding: str | None,
    model: str | None,
    vocabulary_paths: tuple[Path, ...],
    progress: bool | None,
) -> None:
    """Score kg's extraction against the annotations in GOLD.

    Prints precision, recall and F1 per entity type. Span corpora (SciERC,
    CoNLL, SciREX) are scored by exact and partial span match and by names
    per document. kg's gold format is scored by names per paper, with
    proposed artifacts, links and abbreviations.
    """
    from kg.evaluation.corpora import detect_corpus_format
    from kg.evaluation.report import format_result, write_json
    from kg.evaluation.runner import run_evaluation

    if not gold.is_file():
        raise click.BadParameter(f"{gold}: file not found", param_hint="GOLD")
    if corpus_format is None:
        corpus_format = detect_corpus_format(gold)
    if corpus_format == "gold" and input_path is None:
        raise click.UsageError("--input is required for the gold format: give the page or papers file the gold file describes")
    if corpus_format != "gold" and input_path is not None:
        raise click.UsageError(f"--input applies to the gold format only; {gold} is {corpus_format}, which contains its text")
    if input_path is not None and not input_path.is_file():
        raise click.BadParameter(f"{input_path}: file not found", param_hint="--input")
    if json_path is not None:
        # Checked before the run, which may take minutes, rather than after it.
        _check_writable_folder(json_path, param_hint="--json")

    modes = ("exact", "partial") if match_mode == "both" else (match_mode,)
    result = run_evaluation(
        gold,
        corpus_format=corpus_format,
        input_path=input_path,
        modes=modes,  # type: ignore[arg-type]  # click.Choice limits the values
        gold_map=gold_map,
        predicted_map=predicted_map,
        limit=limit,
        encoding=encoding,
        model=model,
        vocabulary_paths=vocabulary_paths,
        progress=sys.stderr.isatty() if progress is None else progress,
    )
    click.echo(format_result(result))
    if json_path is not None:
        write_json(result, json_path)
@cli.command()
@click.argument("train_paths", metavar="TRAIN...", nargs=-1, required=True, type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--dev", "dev_paths", multiple=True, type=click.Path(path_type=Path, dir_okay=False),
    help="Development file; the epoch with the best exact span F1 on it is saved. Repeatable.",
)
@click.option("--out", "out_path", required=True, type=click.Path(path_type=Path, file_okay=False), help="Pipeline folder to write (replaced if it is one already).")
@click.option("--epochs", type=click.IntRange(min=1), default=30, show_default=True, help="Maximum passes over the training documents.")
@click.option("--seed", type=int, default=0, show_default=True, help="Random seed for shuffling, dropout and initial weights.")
@click.option(
    "--format", "corpus_format", type=click.Choice(["scierc", "conll", "scirex"]), default=None,
    help="Format of every TRAIN and --dev file. [default: from each file's suffix and content]",
)
@click.option(
    "--types", "types", default=None, metavar="TYPE,...",
    help="kg types the trained component may add, comma-separated (e.g. task,metric). [default: every type it learned]",
)
@click.option(
    "--threshold", type=click.FloatRange(min=0.0, max=1.0, max_open=True), default=0.0, show_default=True,
    help="Minimum span probability (from beam search) for the component to add a span; 0 adds every predicted span.",
)
@click.option("--progress/--no-progress", default=None, help="Show a progress bar. [default: when standard error is a terminal]")
def train(
    train_paths: tuple[Path, ...],
    dev_paths: tuple[Path, ...],
    out_path: Path,
    epochs: int,
    seed: int,
    corpus_format: str | None,
    types: str | None,
    threshold: float,
    progress: bool | None,
) -> None:
    """Train a statistical span recogniser on annotated TRAIN files.

    TRAIN files are SciERC JSON, CoNLL (e.g. TDMSci) or SciREX; their labels
    are mapped to kg's types as in kg eval. The model (spaCy's ner with a CNN
    over hash embeddings, no pretrained weights) is trained inside kg's
    pipeline, which is saved to --out for kg build --model and kg eval --model.
    Its spans rank below every rule-based source where they overlap.
    """
    from kg.training import train_pipeline

    for path in (*train_paths, *dev_paths):
        if not path.is_file():
            raise click.BadParameter(f"{path}: file not found", param_hint="TRAIN" if path in train_paths else "--dev")
    if out_path.exists() and not out_path.is_dir():
        raise click.BadParameter(f"{out_path}: exists and is not a folder", param_hint="--out")
    type_list = [item.strip() for item in types.split(",") if item.strip()] if types is not None else None

    result = train_pipeline(
        train_paths,
        out=out_path,
        dev_paths=dev_paths,
        epochs=epochs,
        seed=seed,
        corpus_format=corpus_format,
        types=type_list,
        threshold=threshold,
        progress=sys.stderr.isatty() if progress is None else progress,
    )
    click.echo(
        f"Trained on {result.train_documents} documents in {result.seconds:.0f} s; "
        f"saved epoch {result.best_epoch} of {len(result.losses)} to {result.output}"
    )
    if result.dev_scores:
        click.echo(f"Development set ({result.dev_documents} documents), exact spans of the component alone:")
        for row, counts in result.dev_scores.items():
            click.echo(f"  {row:<8} P {counts.precision:.3f}  R {counts.recall:.3f}  F1 {counts.f1:.3f}")


def _check_writable_folder(path: Path, *, param_hint: str) -> None:
    """Raise click.BadParameter unless `path`'s folder exists or can be created, and is writable."""
    folder = path.absolute().parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    if not folder.is_dir():
        raise click.BadParameter(f"{path}: cannot write the file because {folder} is not a folder", param_hint=param_hint)
    if not os.access(folder, os.W_OK | os.X_OK):
        raise click.BadParameter(f"{path}: cannot write the file because the folder {folder} is not writable", param_hint=param_hint)


@cli.command()
@click.argument("graph", type=click.Path(path_type=Path))
@click.option("--base-iri", default=None, help="Namespace for the IRIs when GRAPH is a build folder or .graphml file; ends with '/' or '#'.")
def validate(graph: Path, base_iri: str | None) -> None:
    """Check GRAPH against kg's SHACL shapes (ontology/shapes.ttl).

    GRAPH is a build folder (its graph.graphml is read), a .graphml file, or
    an RDF file (.ttl, .nt, .jsonld, .trig, .nq). Prints one line per
    violation (severity, focus node, path, message) and exits with status 1
    when there is any, 0 when the graph conforms.
    """
    from kg.rdf import DEFAULT_BASE_IRI
    from kg.validate import load_rdf, validate_rdf

    rdf = load_rdf(graph, base_iri=DEFAULT_BASE_IRI if base_iri is None else base_iri)
    report = validate_rdf(rdf)
    for violation in report.violations:
        click.echo(violation.line())
    if not report.conforms:
        click.echo(f"{graph}: {len(report.violations)} SHACL results, the graph does not conform", err=True)
        raise click.exceptions.Exit(1)
    click.echo(f"{graph}: {len(rdf)} triples conform to the shapes")


@cli.command()
@click.argument("graph", type=click.Path(path_type=Path))
@click.option(
    "--format", "export_format", required=True, type=click.Choice(RDF_FORMAT_NAMES + NETWORK_FORMAT_NAMES),
    help="An RDF serialization, or a network format for Gephi, Cytoscape and NetworkX (graphml, gexf, json node-link).",
)
@click.option(
    "-o", "--out", "out_path", default=None, type=click.Path(path_type=Path, dir_okay=False),
    help="Output file. [default: graph.<suffix> (RDF) or network.<suffix> (network formats) beside GRAPH's graph.graphml]",
)
@click.option("--base-iri", default=None, help="Namespace for the IRIs of papers, entities and links; ends with '/' or '#'.")
@click.option("--license", "license_iri", default=None, help="IRI of the data's license, stated in void.ttl. [default: none stated]")
def export(graph: Path, export_format: str, out_path: Path | None, base_iri: str | None, license_iri: str | None) -> None:
    """Export GRAPH (a build folder or a .graphml file) as RDF or as a network file.

    The output file is replaced if it exists. For RDF, void.ttl beside it
    describes the output and every other RDF file there with the same name
    stem. Network files keep every attribute and read back unchanged with
    `kg.load`.
    """
    if export_format in NETWORK_FORMAT_NAMES:
        from kg.api import load
        from kg.exports import NETWORK_FORMATS, write_network

        folder = graph if graph.is_dir() else graph.parent
        target = out_path if out_path is not None else folder / f"network{NETWORK_FORMATS[export_format]}"
        removed = write_network(load(graph), target, format=export_format)
        note = f" ({removed} XML-illegal characters removed)" if removed else ""
        click.echo(f"wrote       {target}{note}")
        return

    from kg.rdf_export import export_rdf
    from kg.rdf import DEFAULT_BASE_IRI

    path, count = export_rdf(
        graph,
        format=export_format,
        out_path=out_path,
        base_iri=DEFAULT_BASE_IRI if base_iri is None else base_iri,
        license_iri=license_iri,
    )
    click.echo(f"wrote       {path} ({count} triples)")
@cli.command()
@click.argument("graph", type=click.Path(path_type=Path))
@click.option(
    "-o", "--out", type=click.Path(path_type=Path, dir_okay=False), default=None,
    help="HTML file to write. [default: view.html beside the GraphML file]",
)
@click.option("--top", type=click.IntRange(min=1), default=None, help="Show the N entities mentioned in most papers, with those papers.")
@click.option("--focus", default=None, help="Show the neighbourhood of the entity with this name or alias (or of the paper with this title).")
@click.option("--depth", type=click.IntRange(min=0), default=2, show_default=True, help="Steps around --focus, ignoring edge direction.")
@click.option("--types", default=None, help="Comma-separated node types to keep, e.g. paper,method,dataset. [default: all]")
@click.option("--min-papers", type=click.IntRange(min=0), default=0, show_default=True, help="Drop entities mentioned in fewer papers.")
@click.option(
    "--size", type=click.Choice(["degree", "pagerank"]), default="degree", show_default=True,
    help="What sets the node size: number of neighbours or PageRank.",
)
@click.option("--max-nodes", type=click.IntRange(min=1), default=VIEW_MAX_NODES, show_default=True, help="Largest number of nodes drawn.")
@click.option("--title", default=None, help="Heading of the page. [default: the GRAPH path and the selection]")
def view(
    graph: Path,
    out: Path | None,
    top: int | None,
    focus: str | None,
    depth: int,
    types: str | None,
    min_papers: int,
    size: str,
    max_nodes: int,
    title: str | None,
) -> None:
    """Write an HTML view of GRAPH (a build folder or a .graphml file).

    The page is one self-contained file that opens from disk without network.
    --top, --focus, --types and --min-papers cut a big graph to a readable view.
    """
    from kg.viewer import read_graph, select_subgraph, write_html

    if top is not None and focus is not None:
        raise click.UsageError("give either --top or --focus, not both")
    graphml, full = read_graph(graph)
    type_list = None if types is None else [name.strip() for name in types.split(",")]
    subgraph = select_subgraph(full, top=top, focus=focus, depth=depth, types=type_list, min_papers=min_papers, max_nodes=max_nodes)

    if title is None:
        parts = [f"top {top}" if top else "", f"around {focus!r}, depth {depth}" if focus else "",
                 f"types {types}" if types else "", f"at least {min_papers} papers" if min_papers else ""]
        selection = "; ".join(part for part in parts if part)
        title = f"kg: {graph}" + (f" ({selection})" if selection else "")
    out = out if out is not None else graphml.parent / "view.html"
    if out.resolve() == graphml.resolve():
        raise click.UsageError(f"--out {out} is the input graph. Give another file name, such as view.html.")
    write_html(subgraph, out, title=title, size=size)
    click.echo(f"Wrote {out} ({subgraph.number_of_nodes()} of {full.number_of_nodes()} nodes)")
@cli.command()
@click.argument("graph", type=click.Path(path_type=Path))
@click.option(
    "-o", "--out", "out_dir", default=None, type=click.Path(path_type=Path, file_okay=False),
    help="Folder for report.md, report.html, plots/ and tables/. [default: GRAPH's folder/report]",
)
@click.option("--top", default=20, show_default=True, type=click.IntRange(min=1), help="Rows per ranking in the report.")
@click.option("--seed", default=0, show_default=True, type=int, help="Seed for Louvain communities and sampled betweenness.")
@click.option("--title", default=None, help="Heading of the report. [default: 'kg analysis of GRAPH']")
@click.option("--force", is_flag=True, help="Replace the files of an earlier report in the output folder.")
@click.option("--progress/--no-progress", default=None, help="Show a progress bar. [default: when standard error is a terminal]")
def analyze(
    graph: Path, out_dir: Path | None, top: int, seed: int, title: str | None, force: bool, progress: bool | None
) -> None:
    """Write an analytics report of GRAPH (a build folder or a .graphml/.gexf/.json file).

    The report contains counts per type, top datasets and benchmarks, top
    methods by PageRank and betweenness, communities, benchmark co-usage, code
    availability, degrees, most connected papers and counts over time. Every
    ranking is also written in full as CSV.
    """
    from kg.analytics import analyze as run_analysis
    from kg.api import load
    from kg.errors import InputError
    from kg.report import REPORT_FILES, write_report

    if not graph.exists():
        raise click.BadParameter(f"{graph}: file or folder not found", param_hint="GRAPH")
    if out_dir is None:
        out_dir = (graph if graph.is_dir() else graph.parent) / "report"
    existing = [name for name in REPORT_FILES if (out_dir / name).exists()]
    if existing and not force:
        raise click.UsageError(
            f"{out_dir} already contains {', '.join(existing)}; pass --force to replace them, or choose another --out folder"
        )
    if progress is None:
        progress = sys.stderr.isatty()

    loaded = load(graph)
    if not loaded.is_directed():
        raise InputError(
            str(graph), "holds an undirected graph, such as an exported view; kg analyze expects the directed graph of a build"
        )
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=12, desc="Analyzing", unit=" steps", leave=False)

    def advance(step: str) -> None:
        if bar is not None:
            bar.set_postfix_str(step)
            bar.update(1)

    try:
        analysis = run_analysis(loaded, top=top, seed=seed, progress=advance)
    finally:
        if bar is not None:
            bar.close()
    written = write_report(analysis, out_dir, title=title or f"kg analysis of {graph}")
    click.echo(f"graph       {loaded.number_of_nodes()} nodes, {loaded.number_of_edges()} edges")
    click.echo(f"communities {len(analysis.communities)}")
    for path in written:
        if path.suffix in {".md", ".html"}:
            click.echo(f"wrote       {path}")
    click.echo(f"wrote       {out_dir / 'tables'} ({sum(path.suffix == '.csv' for path in written)} CSV tables)")


_terminated = threading.Event()


def _raise_keyboard_interrupt(signum: int, frame: object) -> None:
    # SIGTERM (kill, a job scheduler's time limit) unwinds like Ctrl-C, so a
    # build removes its staging folder and keeps the previous outputs.
    # The event records a signal that lands while the process forks workers.
    # Python ignores the exception there, so the build finishes its outputs,
    # and `main` then exits with 130 because of the event.
    _terminated.set()
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    """Run the command line and return its exit status."""
    _terminated.clear()
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _raise_keyboard_interrupt)
    try:
        status = cli.main(args=argv, prog_name="kg", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        return 130
    except click.ClickException as err:
        err.show()
        return err.exit_code
    except ConfigError as err:
        # An invalid option or settings file is a usage error.
        click.echo(f"Error: {err}", err=True)
        return 2
    except KgError as err:
        click.echo(f"Error: {err}", err=True)
        return 1
    except BrokenPipeError:
        return 1
    except OSError as err:
        # Output folders that cannot be created or written, full disks, ...
        click.echo(f"Error: {err.strerror or err}: {err.filename or ''}".rstrip(": "), err=True)
        return 1
    if _terminated.is_set():
        click.echo("Aborted after the build had finished its outputs.", err=True)
        return 130
    return status if isinstance(status, int) else 0


if __name__ == "__main__":
    sys.exit(main())
