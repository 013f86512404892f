"""The `kg` command line.

Commands check their arguments, then call library code. A `KgError` is printed
as one line on standard error with exit status 1; usage errors exit with 2.
"""

from __future__ import annotations

import logging
import signal
import sys
import threading
from pathlib import Path

import click

from kg import __version__
from kg.errors import ConfigError, KgError
from kg.viewer import VIEW_MAX_NODES

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


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="kg")
@click.option("-v", "--verbose", count=True, help="Log more: -v for progress notes, -vv for debugging.")
@click.option("-q", "--quiet", is_flag=True, help="Log errors only.")
def cli(verbose: int, quiet: bool) -> None:
    """Turn research-paper abstracts into a knowledge graph."""
    _configure_logging(verbose, quiet)


@cli.command()
@click.argument("inputs", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "-o", "--out", "out_dir", default="outputs", show_default=True, type=click.Path(path_type=Path, file_okay=False),
    help="Folder for extractions.jsonl, graph.graphml, graph.ttl and graph.html.",
)
@click.option(
    "--format", "input_format", type=click.Choice(["page", "jsonl", "csv"]), default=None,
    help="Format of every input: Daily Papers page text, JSON Lines or CSV. [default: from each file name]",
)
@click.option("--base-iri", default=None, help="Namespace for the IRIs of papers, entities and links; ends with '/' or '#'.")
@click.option("--model", default=None, help="An installed spaCy pipeline to build on (e.g. en_core_web_sm). [default: rule-based, no model]")
@click.option(
    "--vocabulary", "vocabulary_paths", multiple=True, type=click.Path(path_type=Path, dir_okay=False),
    help="Extra vocabulary file (TSV: name, type, aliases); repeat for several.",
)
@click.option("--batch-size", default=64, show_default=True, type=click.IntRange(min=1), help="Papers per spaCy batch.")
@click.option("--processes", default=1, show_default=True, type=click.IntRange(min=1), help="Worker processes for extraction.")
@click.option("--skip-invalid", is_flag=True, help="Log and skip invalid JSON Lines/CSV records instead of stopping.")
@click.option("--title", default=None, help="Heading of graph.html. [default: the input file names]")
@click.option(
    "--view-max-nodes", default=VIEW_MAX_NODES, show_default=True, type=click.IntRange(min=1),
    help="Largest graph that graph.html draws in full; larger graphs show their most mentioned entities.",
)
@click.option("--force", is_flag=True, help="Replace outputs of an earlier build in the output folder.")
@click.option("--progress/--no-progress", default=None, help="Show a progress bar. [default: when standard error is a terminal]")
@click.option(
    "--store", "store_dir", default=None, type=click.Path(path_type=Path, file_okay=False),
    help="Also load graph.ttl into this Oxigraph store folder (created if missing); only new triples are added.",
)
def build(
    inputs: tuple[Path, ...],
    out_dir: Path,
    input_format: str | None,
    base_iri: str | None,
    model: str | None,
    vocabulary_paths: tuple[Path, ...],
    batch_size: int,
    processes: int,
    skip_invalid: bool,
    title: str | None,
    view_max_nodes: int,
    force: bool,
    progress: bool | None,
    store_dir: Path | None,
) -> None:
    """Build the knowledge graph of INPUTS.

    INPUTS are Daily Papers page text (.txt, .md), JSON Lines (.jsonl, .ndjson)
    or CSV (.csv) files, optionally gzip-compressed (.gz).
    """
    from kg.build import OUTPUT_FILES, build as run_build
    from kg.rdf import DEFAULT_BASE_IRI

    for path in inputs:
        if path.is_dir():
            raise click.BadParameter(f"{path}: is a folder; give the input files", param_hint="INPUTS")
        if not path.is_file():
            raise click.BadParameter(f"{path}: file not found", param_hint="INPUTS")
    existing = [name for name in OUTPUT_FILES if (out_dir / name).exists()]
    if existing and not force:
        raise click.UsageError(
            f"{out_dir} already contains {', '.join(existing)}; pass --force to replace them, or choose another --out folder"
        )

    if progress is None:
        progress = sys.stderr.isatty()
    _, summary = run_build(
        list(inputs),
        out_dir,
        input_format=input_format,  # type: ignore[arg-type]  # click.Choice limits the values
        base_iri=DEFAULT_BASE_IRI if base_iri is None else base_iri,
        model=model,
        vocabulary_paths=vocabulary_paths,
        batch_size=batch_size,
        n_process=processes,
        skip_invalid=skip_invalid,
        progress=progress,
        title=title,
        view_max_nodes=view_max_nodes,
        store=store_dir,
    )
    for line in summary.lines():
        click.echo(line)


def _parse_parameters(values: tuple[str, ...]) -> dict[str, str]:
    parameters: dict[str, str] = {}
    for item in values:
        name, separator, value = item.partition("=")
        if not separator or not name:
            raise click.BadParameter(f"{item!r}: expected NAME=VALUE, e.g. benchmark=RewardBench", param_hint="--param")
        parameters[name.strip()] = value
    return parameters


def _read_query_text(sparql: str | None, query_file: Path | None, saved: str | None) -> str:
    given = [name for name, value in (("SPARQL", sparql), ("--query-file", query_file), ("--saved", saved)) if value is not None]
    if not given:
        raise click.UsageError("missing query: give it as an argument, with --query-file, or with --saved NAME (see --list-saved)")
    if len(given) > 1:
        raise click.UsageError(f"give one query, not {' and '.join(given)}")
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


_terminated = threading.Event()


def _raise_keyboard_interrupt(signum: int, frame: object) -> None:
    # SIGTERM (kill, a job scheduler's time limit) then unwinds like Ctrl-C,
    # so a build removes its staging folder and keeps the previous outputs.
    # The event covers a signal that lands while the process forks workers:
    # Python then ignores the exception, and the build finishes its outputs.
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
