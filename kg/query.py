"""SPARQL queries over an exported graph, with pyoxigraph.

`run_query` loads a Turtle or N-Triples file (or the ``graph.ttl`` of a build
directory) into an in-memory `pyoxigraph.Store`. It runs one query and
returns a `QueryResult` of plain strings. `format_results` renders that
result as an aligned table, CSV or JSON.

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
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import pyoxigraph

from kg.errors import ConfigError, InputError, KgError, QueryError

__all__ = [
    "DEFAULT_PREFIXES",
    "GRAPH_FILE_NAME",
    "MAX_CELL_WIDTH",
    "OUTPUT_FORMATS",
    "QueryResult",
    "format_results",
    "run_query",
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

OUTPUT_FORMATS: tuple[str, ...] = ("table", "csv", "json")

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

_RDF_FORMATS: dict[str, pyoxigraph.RdfFormat] = {
    ".ttl": pyoxigraph.RdfFormat.TURTLE,
    ".nt": pyoxigraph.RdfFormat.N_TRIPLES,
}

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
    """

    form: Literal["select", "ask", "triples"]
    columns: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]
    triples: tuple[str, ...] = ()

    @property
    def boolean(self) -> bool | None:
        """The result of an ASK query, or None for other query forms."""
        if self.form != "ask":
            return None
        return bool(self.rows[0][0])


def _resolve_source(source: str | Path) -> tuple[Path, pyoxigraph.RdfFormat]:
    path = Path(source)
    if path.is_dir():
        path = path / GRAPH_FILE_NAME
        if not path.is_file():
            raise InputError(str(path), f"not found; a build directory must contain {GRAPH_FILE_NAME}, so run the build first")
        return path, pyoxigraph.RdfFormat.TURTLE
    if not path.exists():
        raise InputError(str(path), "not found; expected a .ttl or .nt file or a build directory that contains graph.ttl")
    rdf_format = _RDF_FORMATS.get(path.suffix.lower())
    if rdf_format is None:
        raise InputError(str(path), f"unsupported suffix {path.suffix!r}; expected .ttl (Turtle) or .nt (N-Triples)")
    return path, rdf_format


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


def _evaluate(path: Path, rdf_format: pyoxigraph.RdfFormat, sparql: str) -> QueryResult:
    """Load the file, run the query and copy every result into Python values."""
    store = pyoxigraph.Store()
    try:
        store.load(path=path, format=rdf_format)
    except SyntaxError as err:
        raise InputError(str(path), f"invalid {rdf_format.name}: {err}") from err
    except OSError as err:
        raise InputError(str(path), f"cannot be read: {err}") from err

    try:
        query_output = store.query(sparql, prefixes=DEFAULT_PREFIXES)
    except SyntaxError as err:
        raise QueryError(f"Invalid SPARQL query: {_parser_message(err)}") from err

    try:
        if isinstance(query_output, pyoxigraph.QueryBoolean):
            return QueryResult(form="ask", columns=("ask",), rows=((bool(query_output),),))
        if isinstance(query_output, pyoxigraph.QuerySolutions):
            variables = query_output.variables
            rows = tuple(tuple(_term_text(solution[variable]) for variable in variables) for solution in query_output)
            return QueryResult(form="select", columns=tuple(v.value for v in variables), rows=rows)
        triples = sorted((str(t.subject), str(t.predicate), str(t.object)) for t in query_output)
        return QueryResult(
            form="triples",
            columns=("subject", "predicate", "object"),
            rows=tuple(triples),
            triples=tuple(f"{s} {p} {o} ." for s, p, o in triples),
        )
    except OSError as err:
        # pyoxigraph evaluates lazily, so errors of evaluation surface here.
        raise QueryError(f"Query failed while running: {err}") from err


def _result_to_json(result: QueryResult) -> dict[str, Any]:
    return {"form": result.form, "columns": result.columns, "rows": result.rows, "triples": result.triples}


def _result_from_json(payload: dict[str, Any]) -> QueryResult:
    return QueryResult(
        form=payload["form"],
        columns=tuple(payload["columns"]),
        rows=tuple(tuple(row) for row in payload["rows"]),
        triples=tuple(payload["triples"]),
    )


def _worker_main() -> None:
    """Run one query in a worker process: read a JSON request, write a JSON reply.

    The worker writes `_STARTED` on a line of its own once it is ready, so
    that its start-up time does not count against the timeout.
    """
    sys.stdout.write(_STARTED + "\n")
    sys.stdout.flush()
    request = json.load(sys.stdin)
    path = Path(request["path"])
    try:
        result = _evaluate(path, _RDF_FORMATS[path.suffix.lower()], request["sparql"])
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


def _run_with_timeout(path: Path, sparql: str, timeout: float) -> QueryResult:
    # A separate interpreter, not multiprocessing: multiprocessing's "spawn"
    # re-runs the caller's main script, and "fork" can copy a lock that
    # another thread holds into the child.
    command, environment = _worker_command()
    request = json.dumps({"path": str(path), "sparql": sparql}).encode("utf-8")
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


def run_query(source: str | Path, sparql: str, *, timeout: float | None = None) -> QueryResult:
    """Run a SPARQL query over an exported graph.

    Parameters
    ----------
    source : str or Path
        A ``.ttl`` or ``.nt`` file, or a build directory that contains
        ``graph.ttl``.
    sparql : str
        One SPARQL 1.1 query (SELECT, ASK, CONSTRUCT or DESCRIBE). The
        prefixes of `DEFAULT_PREFIXES` need no PREFIX lines.
    timeout : float or None
        Seconds that loading the file and running the query may take; None
        (the default) waits without limit.

    Returns
    -------
    QueryResult

    Raises
    ------
    InputError
        If the source is missing, has an unsupported suffix, or is not valid
        RDF.
    QueryError
        If the query is invalid, fails while running, or times out.
    ConfigError
        If `timeout` is not a positive number.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "graph.nt"
    >>> _ = path.write_text('<https://e.org/p> <https://w3id.org/kg-papers/ontology#evaluatedOn> <https://e.org/d> .\\n')
    >>> run_query(path, "SELECT ?d WHERE { ?p kg:evaluatedOn ?d }").rows
    (('https://e.org/d',),)

    Notes
    -----
    With a timeout, the query runs in a separate Python process, and a
    process that runs past the timeout is killed, so it stops using CPU and
    memory. Starting that process takes a fraction of a second, which does
    not count against the timeout. Without a timeout the query runs in the
    calling thread.

    The whole file is loaded into memory for each call.
    """
    path, rdf_format = _resolve_source(source)
    if timeout is not None and (isinstance(timeout, bool) or not timeout > 0):
        raise ConfigError(f"Invalid timeout {timeout!r}; expected a positive number of seconds or None.")

    logger.debug("Running a SPARQL query over %s (timeout %s s)", path, timeout)
    if timeout is None:
        return _evaluate(path, rdf_format, sparql)
    return _run_with_timeout(path, sparql, float(timeout))


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

    Returns
    -------
    str

    Raises
    ------
    ConfigError
        If `fmt` is not one of `OUTPUT_FORMATS`.
    """
    if fmt == "table":
        return _format_table(result)
    if fmt == "csv":
        return _format_csv(result)
    if fmt == "json":
        return _format_json(result)
    raise ConfigError(f"Unknown output format {fmt!r}; expected one of {', '.join(OUTPUT_FORMATS)}.")
