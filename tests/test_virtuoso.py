"""Round trip through a real Virtuoso server: kg push, then queries over HTTP.

The server is Debian's virtuoso-opensource-7-bin, started on loopback ports
with a database in a temporary folder. Outside CI the tests skip when the
package is not installed; with CI=true they fail instead.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pyoxigraph
import pytest

from kg.build import build
from kg.cli import main
from kg.endpoint import EndpointError, push_graph
from kg.query import run_query
from kg.rdf import write_rdf
from kg.saved import saved_queries
from kg.store import GraphStore
from rdf_samples import sample_graph

SAMPLE = Path(__file__).resolve().parent / "data" / "results-sample.ttl"
EXAMPLE_GRAPH = "https://kg.test/graphs/example"
SAMPLE_GRAPH = "https://kg.test/graphs/sample"
USER = "kgpush"
PASSWORD = "push-secret"

# Seconds to wait for a new database to come online. It took 4 s on the
# development machine, and a loaded CI runner can need many times that.
START_LIMIT = 60.0

# Parameters for each saved query, beside the run without parameters.
PARAMETERS = {
    "papers-per-benchmark": {"benchmark": "rewardbench"},
    "methods-on-benchmark": {"benchmark": "RewardBench"},
    "benchmarks-of-month": {"month": "2025-08"},
    "code-for-method": {"method": "tango"},
    "built-on": {"base": "group relative policy optimization"},
    "results-above": {"threshold": "50"},
}

INI = """\
[Database]
DatabaseFile = {db}/virtuoso.db
ErrorLogFile = {db}/virtuoso.log
LockFile = {db}/virtuoso.lck
TransactionFile = {db}/virtuoso.trx
xa_persistent_file = {db}/virtuoso.pxa
FileExtend = 200
Striping = 0
TempStorage = TempDatabase

[TempDatabase]
DatabaseFile = {db}/virtuoso-temp.db
TransactionFile = {db}/virtuoso-temp.trx
Striping = 0

[Parameters]
ServerPort = 127.0.0.1:{sql_port}
NumberOfBuffers = 10000
MaxDirtyBuffers = 6000
DirsAllowed = ., {db}
CheckpointInterval = 0

[HTTPServer]
ServerPort = 127.0.0.1:{http_port}
ServerThreads = 4
MaxClientConnections = 4

[SPARQL]
ResultSetMaxRows = 100000
MaxQueryExecutionTime = 60
"""

SETUP_SQL = f"""\
DB.DBA.USER_CREATE('{USER}', '{PASSWORD}');
GRANT SPARQL_UPDATE TO "{USER}";
"""


@dataclass(frozen=True)
class Virtuoso:
    sparql: str
    graph_store: str


def _unavailable(reason: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"Virtuoso is required in CI: {reason}")
    pytest.skip(reason)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_online(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + START_LIMIT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            _unavailable(f"virtuoso-t exited with code {process.returncode}: {log.read_text(errors='replace')[-500:]}")
        try:
            with urllib.request.urlopen(url + "?query=ASK%7B%7D", timeout=2):
                return
        except (urllib.error.URLError, OSError):
            time.sleep(0.3)
    _unavailable(f"virtuoso-t did not answer at {url} within {START_LIMIT:g} s")


@pytest.fixture(scope="module")
def virtuoso(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Virtuoso]:
    server = shutil.which("virtuoso-t")
    isql = shutil.which("isql-vt")
    if server is None or isql is None:
        _unavailable("virtuoso-t and isql-vt are not installed (apt-get install virtuoso-opensource-7-bin)")
    db = tmp_path_factory.mktemp("virtuoso")
    sql_port, http_port = _free_port(), _free_port()
    ini = db / "virtuoso.ini"
    ini.write_text(INI.format(db=db, sql_port=sql_port, http_port=http_port), encoding="utf-8")
    log = db / "stdout.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [server, "+configfile", str(ini), "+foreground"], cwd=db, stdout=output, stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        base = f"http://127.0.0.1:{http_port}"
        _wait_online(base + "/sparql", process, log)
        setup = db / "setup.sql"
        setup.write_text(SETUP_SQL, encoding="utf-8")
        completed = subprocess.run(
            [isql, f"127.0.0.1:{sql_port}", "dba", "dba", str(setup)], capture_output=True, text=True, timeout=60
        )
        if completed.returncode != 0 or "Error" in completed.stdout:
            _unavailable(f"isql-vt could not create the user: {completed.stdout[-500:]} {completed.stderr[-500:]}")
        yield Virtuoso(sparql=base + "/sparql", graph_store=base + "/sparql-graph-crud-auth")
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


@pytest.fixture(scope="module")
def example_build(example_page: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("example")
    build([example_page], out, store=out / "store")
    return out


@pytest.fixture(scope="module")
def pushed(virtuoso: Virtuoso, example_build: Path) -> Virtuoso:
    status = main([
        "push", str(example_build), "--endpoint", virtuoso.graph_store, "--graph", EXAMPLE_GRAPH,
        "--user", USER, "--password", PASSWORD, "--replace", "--chunk-size", "1000",
    ])
    assert status == 0
    sample = main([
        "push", str(SAMPLE), "--endpoint", virtuoso.graph_store, "--graph", SAMPLE_GRAPH,
        "--user", USER, "--password", PASSWORD, "--replace",
    ])
    assert sample == 0
    return virtuoso


def remote(virtuoso: Virtuoso, graph: str, sparql: str, parameters: dict[str, str] | None = None) -> list[tuple]:
    result = run_query(virtuoso.sparql, sparql, parameters=parameters, default_graph=graph, timeout=30)
    return sorted(result.rows)


def triple_count(virtuoso: Virtuoso, graph: str) -> int:
    return int(remote(virtuoso, graph, "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")[0][0])


CASES = [(name, None) for name in sorted(PARAMETERS)] + [(name, values) for name, values in sorted(PARAMETERS.items())]
# results-above takes another branch when a benchmark is given.
CASES.append(("results-above", {"threshold": "50", "benchmark": "rewardbench"}))
CASE_IDS = [f"{name}-{'-'.join(parameters) if parameters else 'plain'}" for name, parameters in CASES]


@pytest.mark.parametrize(("name", "parameters"), CASES, ids=CASE_IDS)
def test_example_answers_match_store(pushed: Virtuoso, example_build: Path, name: str, parameters: dict[str, str] | None) -> None:
    text = saved_queries()[name].text
    local = sorted(run_query(example_build / "store", text, parameters=parameters).rows)
    assert remote(pushed, EXAMPLE_GRAPH, text, parameters) == local


@pytest.mark.parametrize(("name", "parameters"), CASES, ids=CASE_IDS)
def test_sample_answers_match_file(pushed: Virtuoso, name: str, parameters: dict[str, str] | None) -> None:
    text = saved_queries()[name].text
    local = sorted(run_query(SAMPLE, text, parameters=parameters).rows)
    answer = remote(pushed, SAMPLE_GRAPH, text, parameters)
    assert answer
    assert answer == local


def test_pushed_triple_count(pushed: Virtuoso, example_build: Path) -> None:
    with GraphStore.open(example_build / "store") as graph_store:
        expected = len(graph_store)
    assert triple_count(pushed, EXAMPLE_GRAPH) == expected


def test_push_again_adds_nothing(pushed: Virtuoso, example_build: Path) -> None:
    before = triple_count(pushed, EXAMPLE_GRAPH)
    status = main([
        "push", str(example_build / "store"), "--endpoint", pushed.graph_store, "--graph", EXAMPLE_GRAPH,
        "--user", USER, "--password", PASSWORD,
    ])
    assert status == 0
    assert triple_count(pushed, EXAMPLE_GRAPH) == before


def test_replace_empties_graph(pushed: Virtuoso) -> None:
    graph = "https://kg.test/graphs/replaced"
    line = "<https://e.org/a> <https://e.org/p> \"x\" ."
    push_graph(pushed.graph_store, graph, [line, line.replace('"x"', '"y"')], user=USER, password=PASSWORD)
    push_graph(pushed.graph_store, graph, [line], replace=True, user=USER, password=PASSWORD)
    assert triple_count(pushed, graph) == 1


def test_password_from_environment(pushed: Virtuoso, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KG_SPARQL_PASSWORD", PASSWORD)
    sent = push_graph(pushed.graph_store, "https://kg.test/graphs/env", ["<https://e.org/a> <https://e.org/p> <https://e.org/b> ."], user=USER)
    assert sent == 1


def test_wrong_password_names_status(pushed: Virtuoso) -> None:
    with pytest.raises(EndpointError, match="HTTP 401") as caught:
        push_graph(pushed.graph_store, "https://kg.test/graphs/denied", ["<https://e.org/a> <https://e.org/p> <https://e.org/b> ."], user=USER, password="wrong")
    assert caught.value.url.startswith(pushed.graph_store)


def test_ask_over_http(pushed: Virtuoso) -> None:
    result = run_query(pushed.sparql, "ASK { ?p kg:evaluatedOn ?d }", default_graph=EXAMPLE_GRAPH, timeout=30)
    assert result.boolean is True


def test_construct_over_http(pushed: Virtuoso, example_build: Path) -> None:
    query = "CONSTRUCT { ?p kg:proposes ?e } WHERE { ?p kg:proposes ?e }"
    remote_result = run_query(pushed.sparql, query, default_graph=EXAMPLE_GRAPH, timeout=30)
    assert remote_result.triples == run_query(example_build / "store", query).triples


def test_cli_query_endpoint_csv(pushed: Virtuoso, capsys: pytest.CaptureFixture[str]) -> None:
    status = main([
        "query", "--endpoint", pushed.sparql, "--graph", EXAMPLE_GRAPH, "--saved", "papers-per-benchmark",
        "-p", "benchmark=RewardBench", "--format", "csv",
    ])
    assert status == 0
    assert capsys.readouterr().out == "dataset_name,papers\r\nRewardBench,2\r\n"


NUMBER_TYPES = {"http://www.w3.org/2001/XMLSchema#decimal", "http://www.w3.org/2001/XMLSchema#integer"}

HOSTILE = [
    '"x" ; <https://e.org/iri> "y"',
    "a > b\nline two\ttab",
    "Ünïcödé 数据集 😀",
    "long" * 1000,
]


@pytest.mark.parametrize("text", HOSTILE, ids=["quotes", "breaks", "unicode", "long"])
def test_hostile_round_trip(pushed: Virtuoso, text: str, tmp_path: Path) -> None:
    path = tmp_path / "graph.nt"
    write_rdf(sample_graph(text, text=text, language="en_US"), path, format="ntriples")
    graph = "https://kg.test/graphs/hostile"
    status = main([
        "push", str(path), "--endpoint", pushed.graph_store, "--graph", graph,
        "--user", USER, "--password", PASSWORD, "--replace",
    ])
    assert status == 0
    answer = run_query(pushed.sparql, "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }", default_graph=graph, timeout=30)
    expected = run_query(path, "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }")
    assert comparable(answer.triples) == comparable(expected.triples)


def comparable(lines: tuple[str, ...]) -> set[tuple[str, str, object]]:
    # Virtuoso 7.2 stores numbers by value: "-3.0"^^xsd:decimal comes back
    # as "-3"^^xsd:integer, so numbers compare as Decimal values.
    result = set()
    for triple in pyoxigraph.parse("\n".join(lines), format=pyoxigraph.RdfFormat.N_TRIPLES):
        term = triple.object
        if isinstance(term, pyoxigraph.Literal) and term.datatype.value in NUMBER_TYPES:
            value: object = Decimal(term.value)
        else:
            value = str(term)
        result.add((str(triple.subject), str(triple.predicate), value))
    return result
