"""SPARQL queries over an exported graph, an Oxigraph store or a SPARQL endpoint.

`run_query` runs one query on one of three sources and returns a
`QueryResult` of plain strings:

- an RDF file (or the ``graph.ttl`` of a build directory), loaded into an
  in-memory `pyoxigraph.Store`;
- an on-disk store made by ``kg build --store`` (`kg.store.GraphStore`);
- an http(s) SPARQL 1.1 endpoint (`kg.endpoint.query_endpoint`).

`format_results` renders the result as an aligned table, CSV, JSON, or the
W3C SPARQL results JSON and XML formats.

The prefixes in `DEFAULT_PREFIXES` are declared for every query, so
``SELECT ?p WHERE { ?p kg:evaluatedOn ?d }`` works without PREFIX lines. A
PREFIX line in the query overrides the default of the same name.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import os
import re
import subprocess
import sys
import threading
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import pyoxigraph

from kg.endpoint import GRAPH_TYPES, SOLUTION_TYPES, query_endpoint, validate_endpoint_url
from kg.errors import ConfigError, InputError, KgError, QueryError
from kg.saved import bind_parameters
from kg.store import DEFAULT_STORE, GraphStore, is_store, resolve_rdf_file

__all__ = [
    "DEFAULT_PREFIXES",
    "GRAPH_FILE_NAME",
    "MAX_CELL_WIDTH",
    "OUTPUT_FORMATS",
    "SOURCE_KINDS",
    "QueryResult",
    "QuerySource",
    "format_results",
    "resolve_source",
    "run_query",
    "with_default_prefixes",
]

logger = logging.getLogger(__name__)

# The file that a build directory keeps its RDF export in.
GRAPH_FILE_NAME = "graph.ttl"

DEFAULT_PREFIXES: dict[str, str] = {
    "dcterms": "http://purl.org/dc/terms/",
    "kg": "https://w3id.org/kg-papers/ontology#",
    "prov": "http://www.w3.org/ns/prov#",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "schema": "https://schema.org/",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
}

# "srj" and "srx" are the W3C SPARQL 1.1 Query Results JSON and XML formats.
OUTPUT_FORMATS: tuple[str, ...] = ("table", "csv", "json", "srj", "srx")

# Widest table cell, in terminal columns: room for almost every paper title
# (the longest on the bundled example page has 123 characters) and a full kg
# IRI. Use --format csv or json for untruncated values.
MAX_CELL_WIDTH = 100

# Seconds a timed query's worker process may take to start the interpreter
# and import kg before the timeout clock begins. A loaded machine can need
# several seconds.
WORKER_START_LIMIT = 60.0

# Characters of a SPARQL parser message that a QueryError keeps: enough
# for the position and the first dozen expected tokens.
MAX_PARSER_MESSAGE = 200

# The line a worker process writes once it is ready for its request.
_STARTED = "kg-query-worker-started"

SourceKind = Literal["auto", "file", "store", "endpoint"]
SOURCE_KINDS: tuple[str, ...] = ("auto", "file", "store", "endpoint")

Cell = str | bool | None


@dataclass(frozen=True, slots=True)
class QueryResult:
    """The result of one SPARQL query, as plain Python values.

    Attributes
    ----------
    form : {"select", "ask", "triples"}
        "triples" stands for CONSTRUCT and DESCRIBE.
    columns : tuple of str
        Variable names for SELECT; ``("ask",)`` for ASK;
        ``("subject", "predicate", "object")`` for triples.
    rows : tuple of tuple
        SELECT: one string per column (IRIs and literal values without
        N-Triples syntax, blank nodes as ``_:id``) or None where a variable
        is unbound. ASK: one row holding a bool. Triples: the terms of each
        triple in N-Triples syntax.
    triples : tuple of str
        Triples only: each triple as one sorted N-Triples line.
    results_json : str
        SELECT and ASK only: the result in the SPARQL 1.1 Query Results
        JSON format, which keeps term types and datatypes. It is not
        compared by ``==``, because servers order its keys differently.
    """

    form: Literal["select", "ask", "triples"]
    columns: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]
    triples: tuple[str, ...] = ()
    results_json: str = field(default="", compare=False, repr=False)

    @property
    def boolean(self) -> bool | None:
        """The result of an ASK query, or None for other query forms."""
        if self.form != "ask":
            return None
        return bool(self.rows[0][0])


@dataclass(frozen=True, slots=True)
class QuerySource:
    """The target of a query: an RDF file, an Oxigraph store folder, or an endpoint URL."""

    kind: Literal["file", "store", "endpoint"]
    location: str


def resolve_source(source: str | Path | None, *, kind: SourceKind = "auto") -> QuerySource:
    """Decide what kind of source `source` is.

    Parameters
    ----------
    source : str, Path or None
        An RDF file, a build folder (its ``graph.ttl``), a store folder,
        or an http(s) endpoint URL. None means `kg.store.DEFAULT_STORE`,
        or the build folder beside it (``outputs``) when there is no store.
    kind : {"auto", "file", "store", "endpoint"}
        "auto" detects the kind: an http(s) URL is an endpoint, a folder
        with RocksDB files is a store, anything else is a file or build
        folder.

    Raises
    ------
    InputError
        If the source is missing or of the wrong kind.
    ConfigError
        If `kind` is unknown or an endpoint URL is invalid.
    """
    if kind not in SOURCE_KINDS:
        raise ConfigError(f"Unknown source kind {kind!r}; expected one of {', '.join(SOURCE_KINDS)}.")
    if source is None:
        if is_store(DEFAULT_STORE):
            return QuerySource("store", str(DEFAULT_STORE))
        # Without a store, the build folder that `kg build` writes by default.
        build_folder = DEFAULT_STORE.parent
        if build_folder.is_dir():
            try:
                path, _ = resolve_rdf_file(build_folder)
            except InputError:
                pass
            else:
                logger.info("No store at %s; querying the build's %s", DEFAULT_STORE, path)
                return QuerySource("file", str(path))
        raise InputError(
            str(DEFAULT_STORE),
            "no query source given, and neither the default store nor a build in "
            f"{build_folder} exists; run kg build INPUTS --store {DEFAULT_STORE}, or pass --store, --file or --endpoint",
        )
    text = str(source)
    is_url = re.match(r"(?i)https?://", text) is not None
    if kind == "endpoint" or (kind == "auto" and is_url):
        return QuerySource("endpoint", validate_endpoint_url(text))
    if kind == "store" or (kind == "auto" and is_store(text)):
        path = Path(text)
        if not is_store(path):
            problem = "not found" if not path.exists() else "is not an Oxigraph store folder"
            raise InputError(text, f"{problem}; create a store with kg build INPUTS --store FOLDER")
        return QuerySource("store", text)
    path, _ = resolve_rdf_file(text)
    if path.suffix.lower() in (".rq", ".sparql"):
        raise InputError(text, "is a query file, not a graph; pass it with --query-file")
    return QuerySource("file", str(path))


def _term_text(term: object) -> str | None:
    if term is None:
        return None
    if isinstance(term, pyoxigraph.BlankNode):
        return f"_:{term.value}"
    if isinstance(term, (pyoxigraph.NamedNode, pyoxigraph.Literal)):
        return term.value
    # Quoted triples of RDF 1.2 have no plain value, so their syntax is shown.
    return str(term)


def _parser_message(err: SyntaxError) -> str:
    # pyoxigraph lists every token it expected, including Unicode ranges
    # over several lines. One line, cut at `MAX_PARSER_MESSAGE`, keeps the
    # position and the first expected tokens readable in a terminal.
    message = " ".join(str(err).split())
    missing_prefix = "Prefix not found" in message
    if len(message) > MAX_PARSER_MESSAGE:
        message = message[: MAX_PARSER_MESSAGE - 1] + "\u2026"
    if missing_prefix:
        message += f" Declare the prefix with a PREFIX line; these need none: {', '.join(DEFAULT_PREFIXES)}."
    return message


def _result_from_results_json(document: bytes) -> QueryResult:
    """Build a QueryResult from a SPARQL results JSON document."""
    parsed = pyoxigraph.parse_query_results(document, format=pyoxigraph.QueryResultsFormat.JSON)
    # Re-serialized by pyoxigraph, so every source gives the same layout.
    normalized = parsed.serialize(format=pyoxigraph.QueryResultsFormat.JSON).decode("utf-8")
    if isinstance(parsed, pyoxigraph.QueryBoolean):
        return QueryResult(form="ask", columns=("ask",), rows=((bool(parsed),),), results_json=normalized)
    solutions = pyoxigraph.parse_query_results(document, format=pyoxigraph.QueryResultsFormat.JSON)
    variables = solutions.variables
    rows = tuple(tuple(_term_text(solution[variable]) for variable in variables) for solution in solutions)
    return QueryResult(form="select", columns=tuple(v.value for v in variables), rows=rows, results_json=normalized)


def _result_from_triples(triples: Iterable[pyoxigraph.Triple]) -> QueryResult:
    ordered = sorted((str(t.subject), str(t.predicate), str(t.object)) for t in triples)
    return QueryResult(
        form="triples",
        columns=("subject", "predicate", "object"),
        rows=tuple(ordered),
        triples=tuple(f"{s} {p} {o} ." for s, p, o in ordered),
    )


def _result_from_oxigraph(query_output: object) -> QueryResult:
    try:
        if isinstance(query_output, (pyoxigraph.QueryBoolean, pyoxigraph.QuerySolutions)):
            return _result_from_results_json(query_output.serialize(format=pyoxigraph.QueryResultsFormat.JSON))
        return _result_from_triples(query_output)  # type: ignore[arg-type]  # QueryTriples iterates Triples
    except OSError as err:
        # pyoxigraph evaluates lazily, so errors of evaluation surface here.
        raise QueryError(f"Query failed while running: {err}") from err


def _run_on_store(store: pyoxigraph.Store, sparql: str, *, union_default_graph: bool = False) -> QueryResult:
    try:
        query_output = store.query(sparql, prefixes=DEFAULT_PREFIXES, use_default_graph_as_union=union_default_graph)
    except SyntaxError as err:
        raise QueryError(f"Invalid SPARQL query: {_parser_message(err)}") from err
    return _result_from_oxigraph(query_output)


def _evaluate_local(source: QuerySource, sparql: str) -> QueryResult:
    """Open or load the source, run the query and copy every result into Python values."""
    if source.kind == "store":
        with GraphStore.open(source.location, read_only=True) as graph_store:
            return _run_on_store(graph_store.store, sparql)

    path, rdf_format = resolve_rdf_file(source.location)
    store = pyoxigraph.Store()
    try:
        # Relative IRIs (as in void.ttl) resolve against the file's own URI.
        store.load(path=path, format=rdf_format, base_iri=path.resolve().as_uri())
    except SyntaxError as err:
        raise InputError(str(path), f"invalid {rdf_format.name}: {err}") from err
    except OSError as err:
        raise InputError(str(path), f"cannot be read: {err}") from err
    # TriG and N-Quads exports keep each paper's claims in a named graph, so
    # the default graph of a file query is the union of all its graphs, as
    # for a Turtle export of the same build.
    return _run_on_store(store, sparql, union_default_graph=True)


def with_default_prefixes(sparql: str) -> str:
    """Prepend PREFIX lines for the `DEFAULT_PREFIXES` that `sparql` does not declare.

    A remote server does not know kg's default prefixes, so queries sent
    to an endpoint carry them.
    """
    declared = {name.lower() for name in re.findall(r"(?i)\bPREFIX\s+([A-Za-z][\w.-]*)?:", sparql)}
    lines = [f"PREFIX {name}: <{iri}>" for name, iri in DEFAULT_PREFIXES.items() if name not in declared]
    return "\n".join(lines + [sparql])


def _evaluate_endpoint(
    source: QuerySource, sparql: str, *, timeout: float | None, user: str | None, password: str | None, default_graph: str | None
) -> QueryResult:
    # Parse locally first: a syntax error then reads the same for every
    # source, and the type of the (empty) result gives the query form.
    try:
        local_output = pyoxigraph.Store().query(sparql, prefixes=DEFAULT_PREFIXES)
    except SyntaxError as err:
        raise QueryError(f"Invalid SPARQL query: {_parser_message(err)}") from err
    is_ask = isinstance(local_output, pyoxigraph.QueryBoolean)
    is_graph = not is_ask and not isinstance(local_output, pyoxigraph.QuerySolutions)
    response = query_endpoint(
        source.location, with_default_prefixes(sparql), timeout=timeout, user=user, password=password,
        default_graph=default_graph, accept=GRAPH_TYPES if is_graph else SOLUTION_TYPES,
    )
    try:
        if response.content_type in ("application/sparql-results+json", "application/json"):
            result = _result_from_results_json(response.body)
            if is_ask and result.form == "select":
                return _ask_from_solution(result)
            return result
        rdf_format = pyoxigraph.RdfFormat.TURTLE if response.content_type == "text/turtle" else pyoxigraph.RdfFormat.N_TRIPLES
        return _result_from_triples(quad.triple for quad in pyoxigraph.parse(response.body, format=rdf_format))
    except SyntaxError as err:
        raise QueryError(f"{source.location} returned an invalid {response.content_type} document: {err}") from err


def _ask_from_solution(result: QueryResult) -> QueryResult:
    # Virtuoso 7.2 returns an ASK result as one solution of one variable,
    # __ASK_RETVAL, whose value is 1 or 0.
    value = bool(result.rows) and result.rows[0][0] in ("1", "true")
    normalized = json.dumps({"head": {}, "boolean": value})
    return QueryResult(form="ask", columns=("ask",), rows=((value,),), results_json=normalized)


def _result_to_json(result: QueryResult) -> dict[str, Any]:
    return {
        "form": result.form, "columns": result.columns, "rows": result.rows,
        "triples": result.triples, "results_json": result.results_json,
    }


def _result_from_json(payload: dict[str, Any]) -> QueryResult:
    return QueryResult(
        form=payload["form"],
        columns=tuple(payload["columns"]),
        rows=tuple(tuple(row) for row in payload["rows"]),
        triples=tuple(payload["triples"]),
        results_json=payload["results_json"],
    )


def _worker_main() -> None:
    """Run one query in a worker process: read a JSON request, write a JSON reply.

    The worker writes `_STARTED` on a line of its own once it is ready, so
    that its start-up time does not count against the timeout.
    """
    sys.stdout.write(_STARTED + "\n")
    sys.stdout.flush()
    request = json.load(sys.stdin)
    source = QuerySource(request["kind"], request["location"])
    try:
        result = _evaluate_local(source, request["sparql"])
    except InputError as err:
        reply: dict[str, Any] = {"status": "input-error", "path": err.path, "problem": err.problem}
    except KgError as err:
        reply = {"status": "query-error", "message": str(err)}
    else:
        reply = {"status": "result", "result": _result_to_json(result)}
    sys.stdout.write(json.dumps(reply))
    sys.stdout.flush()


def _worker_command() -> tuple[list[str], dict[str, str]]:
    if not sys.executable:
        raise QueryError("Cannot run a query with a timeout: the path of the Python interpreter is unknown.")
    # The worker imports kg from the same place as this process, even when
    # kg is not installed but found through the current directory.
    environment = dict(os.environ)
    package_parent = str(Path(__file__).resolve().parent.parent)
    environment["PYTHONPATH"] = os.pathsep.join(filter(None, [package_parent, environment.get("PYTHONPATH")]))
    command = [sys.executable, "-c", "from kg.query import _worker_main; _worker_main()"]
    return command, environment


def _wait_until_started(process: subprocess.Popen[bytes]) -> bool:
    # A thread reads the first line so that the wait works on every platform
    # (select() cannot wait on pipes on Windows).
    lines: list[bytes] = []
    reader = threading.Thread(target=lambda: lines.append(process.stdout.readline()), daemon=True)
    reader.start()
    reader.join(WORKER_START_LIMIT)
    return bool(lines) and lines[0].strip() == _STARTED.encode()


def _run_with_timeout(source: QuerySource, sparql: str, timeout: float) -> QueryResult:
    # A separate interpreter, not multiprocessing: multiprocessing's "spawn"
    # re-runs the caller's main script, and "fork" can copy a lock that
    # another thread holds into the child.
    command, environment = _worker_command()
    request = json.dumps({"kind": source.kind, "location": source.location, "sparql": sparql}).encode("utf-8")
    # bufsize=0: reading the start line must not buffer bytes that
    # communicate() then misses.
    process = subprocess.Popen(
        command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, bufsize=0, env=environment
    )
    try:
        if not _wait_until_started(process):
            process.kill()
            _, stderr = process.communicate()
            raise QueryError(
                f"The query worker process did not start within {WORKER_START_LIMIT:g} s: {_last_line(stderr)}"
            )
        try:
            stdout, stderr = process.communicate(request, timeout=timeout)
        except subprocess.TimeoutExpired:
            raise QueryError(
                f"Query timed out after {timeout:g} s. Add a LIMIT, narrow the patterns, or pass a larger timeout."
            ) from None
    finally:
        # NOTE: a worker still running here (after a timeout, or an error or
        # interrupt in this process) is killed, so it stops using CPU and
        # memory at once. A worker that replied has already exited.
        if process.poll() is None:
            process.kill()
            process.communicate()

    try:
        reply = json.loads(stdout)
    except ValueError:
        raise QueryError(
            f"The query worker process exited with code {process.returncode} and no result: {_last_line(stderr)}"
        ) from None
    if reply["status"] == "input-error":
        raise InputError(reply["path"], reply["problem"])
    if reply["status"] == "query-error":
        raise QueryError(reply["message"])
    return _result_from_json(reply["result"])


def _last_line(stderr: bytes) -> str:
    lines = stderr.decode("utf-8", "replace").strip().splitlines()
    return lines[-1] if lines else "no error output"


def run_query(
    source: str | Path | QuerySource | None,
    sparql: str,
    *,
    timeout: float | None = None,
    parameters: Mapping[str, str] | None = None,
    kind: SourceKind = "auto",
    user: str | None = None,
    password: str | None = None,
    default_graph: str | None = None,
) -> QueryResult:
    """Run a SPARQL query over an RDF file, an Oxigraph store or a SPARQL endpoint.

    Parameters
    ----------
    source : str, Path, QuerySource or None
        A ``.ttl``, ``.nt`` (or other `kg.store.RDF_SUFFIXES`) file, a build
        folder that contains ``graph.ttl``, a store folder made by
        ``kg build --store``, or an http(s) SPARQL endpoint URL. None uses
        `kg.store.DEFAULT_STORE`.
    sparql : str
        One SPARQL 1.1 query (SELECT, ASK, CONSTRUCT or DESCRIBE). The
        prefixes of `DEFAULT_PREFIXES` need no PREFIX lines.
    timeout : float or None
        Seconds that loading the file (or opening the store) and running
        the query may take; None (the default) waits without limit. For an
        endpoint it limits the connection, each read and the whole
        response body, but not the headers as a whole.
    parameters : mapping of str to str, optional
        Values bound to query variables of the same name, typed as the
        query's ``# Parameters:`` line declares (see
        `kg.saved.bind_parameters`).
    kind : {"auto", "file", "store", "endpoint"}
        How to read `source` (see `resolve_source`).
    user, password, default_graph : str or None
        Endpoints only: credentials (the password falls back to the
        ``KG_SPARQL_PASSWORD`` environment variable) and the graph that the
        query matches as its default graph.

    Returns
    -------
    QueryResult

    Raises
    ------
    InputError
        If the source is missing, has an unsupported suffix, is not valid
        RDF, or is a store that another process has open.
    QueryError
        If the query is invalid, fails while running, or times out.
    EndpointError
        If the endpoint cannot be reached or returns an HTTP error.
    ConfigError
        If `timeout` is not a positive number or a parameter is invalid.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "graph.nt"
    >>> _ = path.write_text('<https://e.org/p> <https://w3id.org/kg-papers/ontology#evaluatedOn> <https://e.org/d> .\\n')
    >>> run_query(path, "SELECT ?d WHERE { ?p kg:evaluatedOn ?d }").rows
    (('https://e.org/d',),)

    Notes
    -----
    With a timeout, a file or store query runs in a separate Python
    process, and a process that runs past the timeout is killed, so it
    stops using CPU and memory. Starting that process takes a fraction of a
    second, which does not count against the timeout. Without a timeout the
    query runs in the calling thread.

    A file is loaded into memory for each call; a store is opened on disk.
    """
    resolved = source if isinstance(source, QuerySource) else resolve_source(source, kind=kind)
    if timeout is not None and (isinstance(timeout, bool) or not timeout > 0):
        raise ConfigError(f"Invalid timeout {timeout!r}; expected a positive number of seconds or None.")
    if parameters:
        sparql = bind_parameters(sparql, parameters)

    logger.debug("Running a SPARQL query on the %s %s (timeout %s s)", resolved.kind, resolved.location, timeout)
    if resolved.kind == "endpoint":
        return _evaluate_endpoint(
            resolved, sparql, timeout=timeout, user=user, password=password, default_graph=default_graph
        )
    if timeout is None:
        return _evaluate_local(resolved, sparql)
    return _run_with_timeout(resolved, sparql, float(timeout))


# Characters that would move the cursor, recolour or reorder a terminal's
# text: C0 and C1 controls (ESC starts ANSI sequences), DEL, and the Unicode
# bidirectional controls. Query results can hold any text of the corpus.
_UNSAFE_FOR_TERMINAL = re.compile("[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_NAMED_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape_for_terminal(text: str) -> str:
    def replace(match: re.Match[str]) -> str:
        character = match.group()
        return _NAMED_ESCAPES.get(character) or f"\\u{ord(character):04x}"

    return _UNSAFE_FOR_TERMINAL.sub(replace, text)


def _display_width(text: str) -> int:
    # East Asian wide and full-width characters take two terminal columns;
    # combining marks take none.
    width = 0
    for character in text:
        if unicodedata.combining(character):
            continue
        width += 2 if unicodedata.east_asian_width(character) in ("W", "F") else 1
    return width


def _truncate(text: str, max_width: int) -> str:
    if _display_width(text) <= max_width:
        return text
    # One column stays free for the ellipsis.
    visible = []
    width = 0
    for character in text:
        character_width = _display_width(character)
        if width + character_width > max_width - 1:
            break
        visible.append(character)
        width += character_width
    return "".join(visible) + "\u2026"


def _plain_cell(value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


def _format_table(result: QueryResult) -> str:
    header = [_truncate(_escape_for_terminal(name), MAX_CELL_WIDTH) for name in result.columns]
    body = [[_truncate(_escape_for_terminal(_plain_cell(value)), MAX_CELL_WIDTH) for value in row] for row in result.rows]
    widths = [_display_width(name) for name in header]
    for row in body:
        for index, cell in enumerate(row):
            widths[index] = max(widths[index], _display_width(cell))

    def line(cells: list[str]) -> str:
        padded = [cell + " " * (width - _display_width(cell)) for cell, width in zip(cells, widths)]
        return "  ".join(padded).rstrip()

    lines = [line(header), line(["-" * width for width in widths])]
    lines.extend(line(row) for row in body)
    return "\n".join(lines)


def _format_csv(result: QueryResult) -> str:
    # NOTE: cells are written as they are. A value starting with "=", "+",
    # "-" or "@" can run as a formula when the file is opened in a
    # spreadsheet program.
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(result.columns)
    for row in result.rows:
        writer.writerow([_plain_cell(value) for value in row])
    return buffer.getvalue().removesuffix(writer.dialect.lineterminator)


def _format_json(result: QueryResult) -> str:
    objects = [dict(zip(result.columns, row)) for row in result.rows]
    return json.dumps(objects, ensure_ascii=False, indent=2)


def _format_results_document(result: QueryResult, fmt: str) -> str:
    if result.form == "triples":
        raise ConfigError(
            f"Output format {fmt!r} is for SELECT and ASK results only; use table, csv or json for CONSTRUCT and DESCRIBE."
        )
    if fmt == "srj":
        return result.results_json
    parsed = pyoxigraph.parse_query_results(result.results_json.encode("utf-8"), format=pyoxigraph.QueryResultsFormat.JSON)
    return parsed.serialize(format=pyoxigraph.QueryResultsFormat.XML).decode("utf-8")


def format_results(result: QueryResult, fmt: str) -> str:
    """Render a query result as text, without a final line break.

    Parameters
    ----------
    result : QueryResult
    fmt : {"table", "csv", "json"}
        "table": aligned columns for a terminal. Cells wider than
        `MAX_CELL_WIDTH` columns end in an ellipsis, unbound values are
        blank, and control characters are shown as escapes such as ``\\n``.
        "csv": RFC 4180 CSV with a header row and CRLF line ends; unbound
        values are empty. "json": an array with one object per row, keyed by
        column; unbound values are null and ASK results are booleans.
        "srj" and "srx": the W3C SPARQL 1.1 Query Results JSON and XML
        formats, with term types and datatypes (SELECT and ASK only).

    Returns
    -------
    str

    Raises
    ------
    ConfigError
        If `fmt` is not one of `OUTPUT_FORMATS`, or is "srj" or "srx" for
        a CONSTRUCT or DESCRIBE result.
    """
    if fmt == "table":
        return _format_table(result)
    if fmt == "csv":
        return _format_csv(result)
    if fmt == "json":
        return _format_json(result)
    if fmt in ("srj", "srx"):
        return _format_results_document(result, fmt)
    raise ConfigError(f"Unknown output format {fmt!r}; expected one of {', '.join(OUTPUT_FORMATS)}.")
