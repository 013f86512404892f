from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from xml.etree import ElementTree

import pytest
from click.testing import CliRunner

from kg.cli import cli, main
from kg.endpoint import EndpointError, push_graph, read_ntriples
from kg.errors import ConfigError, InputError, QueryError
from kg.query import QuerySource, format_results, resolve_source, run_query, with_default_prefixes
from kg.rdf import mint_iri, write_rdf
from kg.store import GraphStore
from rdf_samples import sample_graph

SAMPLE = Path(__file__).resolve().parent / "data" / "results-sample.ttl"
TITLES = "SELECT ?title WHERE { ?p a kg:Paper ; dcterms:title ?title } ORDER BY ?title"


@pytest.fixture(scope="module")
def store_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("sources") / "store"
    with GraphStore.open(folder, create=True) as graph_store:
        graph_store.load(SAMPLE)
    return folder


def test_store_matches_file(store_dir: Path) -> None:
    assert run_query(store_dir, TITLES) == run_query(SAMPLE, TITLES)


def test_store_with_timeout(store_dir: Path) -> None:
    assert run_query(store_dir, TITLES, timeout=30) == run_query(store_dir, TITLES)


def test_source_kind_detected(store_dir: Path) -> None:
    assert resolve_source(store_dir).kind == "store"
    assert resolve_source(SAMPLE).kind == "file"
    assert resolve_source("http://127.0.0.1:1/sparql").kind == "endpoint"


def test_store_kind_on_file() -> None:
    with pytest.raises(InputError, match="not an Oxigraph store"):
        resolve_source(SAMPLE, kind="store")


def test_default_store_missing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(InputError, match="--store"):
        run_query(None, TITLES)


def test_default_build_folder_without_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "outputs").mkdir()
    (tmp_path / "outputs" / "graph.ttl").write_bytes(SAMPLE.read_bytes())
    monkeypatch.chdir(tmp_path)
    assert resolve_source(None) == QuerySource("file", str(Path("outputs") / "graph.ttl"))


def test_query_file_as_graph(tmp_path: Path) -> None:
    query_file = tmp_path / "q.rq"
    query_file.write_text("ASK {}", encoding="utf-8")
    with pytest.raises(InputError, match="suffix"):
        resolve_source(query_file)


RELATIVE_TURTLE = "<void.ttl#dataset> <http://rdfs.org/ns/void#triples> 3 .\n"


def test_query_file_relative_iris(tmp_path: Path) -> None:
    path = tmp_path / "void.ttl"
    path.write_text(RELATIVE_TURTLE, encoding="utf-8")
    result = run_query(path, "SELECT ?d WHERE { ?d ?p 3 }")
    assert result.rows == ((path.resolve().as_uri() + "#dataset",),)


def test_push_reads_relative_iris(tmp_path: Path) -> None:
    path = tmp_path / "void.ttl"
    path.write_text(RELATIVE_TURTLE, encoding="utf-8")
    total, lines = read_ntriples(path)
    assert total == 1
    assert list(lines)[0].startswith(f"<{path.resolve().as_uri()}#dataset> ")


@pytest.mark.parametrize("suffix", [".trig", ".nq"])
def test_query_quads_file_sees_named_graphs(tmp_path: Path, suffix: str) -> None:
    quads = tmp_path / f"graph{suffix}"
    write_rdf(sample_graph(), quads, format={".trig": "trig", ".nq": "nquads"}[suffix])
    turtle = tmp_path / "graph.ttl"
    write_rdf(sample_graph(), turtle, format="turtle")
    query = "SELECT ?p ?e WHERE { ?p kg:proposes ?e } ORDER BY ?p ?e"
    assert run_query(quads, query).rows
    assert run_query(quads, query).rows == run_query(turtle, query).rows


def test_query_quads_file_graph_names(tmp_path: Path) -> None:
    path = tmp_path / "graph.trig"
    write_rdf(sample_graph(), path, format="trig")
    result = run_query(path, "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?p kg:proposes ?e } }")
    assert result.rows == ((str(mint_iri("graph", "rl-tango")),),)


def test_srj_keeps_datatypes() -> None:
    result = run_query(SAMPLE, "SELECT ?v WHERE { <https://w3id.org/kg-papers/id/result/p1-1> kg:value ?v }")
    binding = json.loads(format_results(result, "srj"))["results"]["bindings"][0]["v"]
    assert binding["datatype"] == "http://www.w3.org/2001/XMLSchema#decimal"
    assert binding["value"] == "94.1"


def test_srx_is_results_xml() -> None:
    result = run_query(SAMPLE, TITLES)
    root = ElementTree.fromstring(format_results(result, "srx"))
    namespace = "{http://www.w3.org/2005/sparql-results#}"
    assert root.tag == namespace + "sparql"
    assert len(root.findall(f"{namespace}results/{namespace}result")) == 3


def test_srj_ask() -> None:
    result = run_query(SAMPLE, "ASK { ?s kg:builtOn ?o }")
    assert json.loads(format_results(result, "srj"))["boolean"] is True


def test_srj_rejects_construct() -> None:
    result = run_query(SAMPLE, "CONSTRUCT { ?s kg:builtOn ?o } WHERE { ?s kg:builtOn ?o }")
    with pytest.raises(ConfigError, match="SELECT and ASK"):
        format_results(result, "srj")


def test_default_prefixes_added_once() -> None:
    text = with_default_prefixes("PREFIX kg: <https://e.org/>\nASK {}")
    assert text.count("PREFIX kg:") == 1
    assert "PREFIX skos: <http://www.w3.org/2004/02/skos/core#>" in text


class _Handler(BaseHTTPRequestHandler):
    def do_POST(self) -> None:  # noqa: N802  # name fixed by BaseHTTPRequestHandler
        length = int(self.headers.get("Content-Length", 0))
        self.rfile.read(length)
        if self.path.startswith("/slow"):
            time.sleep(3)
        if self.path.startswith("/redirect"):
            self.send_response(302)
            self.send_header("Location", "/login")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if self.path.startswith("/trickle"):
            # Each byte comes within the read timeout, but the whole body takes 3 s.
            self.send_response(200)
            self.send_header("Content-Type", "application/sparql-results+json")
            self.end_headers()
            for _ in range(15):
                self.wfile.write(b" ")
                self.wfile.flush()
                time.sleep(0.2)
            return
        if self.path.startswith("/escape"):
            body = b"\x1b[2J\x1b]0;owned\x07 server error"
            self.send_response(500)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        if self.path.startswith("/denied"):
            self.send_response(401)
            self.send_header("WWW-Authenticate", 'Basic realm="kg"')
            self.end_headers()
            return
        if self.path.startswith("/html"):
            body = b"<html>not results</html>"
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
        else:
            body = b"Virtuoso 37000 Error SP030: SPARQL compiler, line 1: syntax error"
            self.send_response(500)
            self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_PUT = do_POST

    def do_GET(self) -> None:  # noqa: N802  # name fixed by BaseHTTPRequestHandler
        # A login page: 200 for any GET, as a redirected upload would see.
        body = b"<html>login</html>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002  # signature fixed by the base class
        pass


@pytest.fixture(scope="module")
def http_server() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_http_error_names_url_and_status(http_server: str) -> None:
    with pytest.raises(EndpointError, match=r"/sparql returned HTTP 500 .*SP030") as caught:
        run_query(http_server + "/sparql", "ASK {}")
    assert caught.value.status == 500


def test_http_401_hint(http_server: str) -> None:
    with pytest.raises(EndpointError, match="HTTP 401.*--user and --password"):
        run_query(http_server + "/denied", "ASK {}", user="someone", password="wrong")


def test_endpoint_timeout(http_server: str) -> None:
    with pytest.raises(EndpointError, match=r"timed out after 0\.5 s"):
        run_query(http_server + "/slow", "ASK {}", timeout=0.5)


def test_endpoint_unreachable() -> None:
    with pytest.raises(EndpointError, match="cannot reach http://127.0.0.1:9/sparql"):
        run_query("http://127.0.0.1:9/sparql", "ASK {}", timeout=5)


def test_endpoint_wrong_media_type(http_server: str) -> None:
    with pytest.raises(QueryError, match="text/html"):
        run_query(http_server + "/html", "ASK {}")


def test_endpoint_syntax_error_local(http_server: str) -> None:
    with pytest.raises(QueryError, match="Invalid SPARQL query"):
        run_query(http_server + "/sparql", "SELECT ?x WHERE {")


def test_endpoint_credentials_in_url() -> None:
    with pytest.raises(ConfigError, match="--user"):
        run_query("http://me:secret@127.0.0.1:9/sparql", "ASK {}")


def test_user_without_password(http_server: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KG_SPARQL_PASSWORD", raising=False)
    with pytest.raises(ConfigError, match="KG_SPARQL_PASSWORD"):
        run_query(http_server + "/sparql", "ASK {}", user="someone")


def test_push_error_names_status(http_server: str) -> None:
    with pytest.raises(EndpointError, match=r"PUT http://127\.0\.0\.1:\d+/gsp\?graph=.* returned HTTP 500"):
        push_graph(http_server + "/gsp", "https://kg.test/g", ["<https://e.org/a> <https://e.org/p> \"x\" ."], replace=True)


def test_push_redirect_fails(http_server: str) -> None:
    with pytest.raises(EndpointError, match=r"HTTP 302 .*redirects to .*/login") as caught:
        push_graph(http_server + "/redirect", "https://kg.test/g", ["<https://e.org/a> <https://e.org/p> \"x\" ."])
    assert caught.value.status == 302


def test_query_redirect_fails(http_server: str) -> None:
    with pytest.raises(EndpointError, match="HTTP 302"):
        run_query(http_server + "/redirect", "ASK {}")


def test_endpoint_timeout_whole_response(http_server: str) -> None:
    with pytest.raises(EndpointError, match=r"timed out after 1 s"):
        run_query(http_server + "/trickle", "ASK {}", timeout=1)


def test_http_error_body_controls_removed(http_server: str) -> None:
    with pytest.raises(EndpointError, match="HTTP 500") as caught:
        run_query(http_server + "/escape", "ASK {}")
    assert "\x1b" not in str(caught.value)
    assert "\x07" not in str(caught.value)


def test_push_invalid_graph_iri(http_server: str) -> None:
    with pytest.raises(ConfigError, match="Invalid graph IRI"):
        push_graph(http_server + "/gsp", "not an iri", [])


def test_cli_query_store_option(store_dir: Path) -> None:
    result = CliRunner().invoke(cli, ["query", "--store", str(store_dir), TITLES, "--format", "csv"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[1] == "An older math paper"


def test_cli_query_file_option() -> None:
    result = CliRunner().invoke(cli, ["query", "--file", str(SAMPLE), "--saved", "built-on", "-p", "base=PPO", "--format", "json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == [{"title": "Critic models on RewardBench", "method_name": "Critic-RM", "base_name": "PPO"}]


def test_cli_query_default_store(store_dir: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / "outputs").mkdir()
    (tmp_path / "outputs" / "store").symlink_to(store_dir)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["query", "--saved", "papers-per-benchmark", "--format", "csv"])
    assert result.exit_code == 0, result.output
    assert "RewardBench,2" in result.output


def test_cli_query_two_sources(store_dir: Path) -> None:
    result = CliRunner().invoke(cli, ["query", "--store", str(store_dir), "--file", str(SAMPLE), TITLES])
    assert result.exit_code == 2
    assert "one source" in result.output


def test_cli_param_without_equals() -> None:
    result = CliRunner().invoke(cli, ["query", str(SAMPLE), "--saved", "built-on", "-p", "base"])
    assert result.exit_code == 2
    assert "NAME=VALUE" in result.output


def test_cli_list_saved() -> None:
    result = CliRunner().invoke(cli, ["query", "--list-saved"])
    assert result.exit_code == 0
    assert "results-above" in result.output


def test_cli_unknown_saved_exit_2() -> None:
    assert main(["query", str(SAMPLE), "--saved", "nothing-like-this"]) == 2


def test_cli_user_needs_endpoint() -> None:
    result = CliRunner().invoke(cli, ["query", str(SAMPLE), TITLES, "--user", "me"])
    assert result.exit_code == 2


def test_cli_push_unreachable(capsys: pytest.CaptureFixture[str]) -> None:
    status = main(["push", str(SAMPLE), "--endpoint", "http://127.0.0.1:9/gsp", "--graph", "https://kg.test/g", "--timeout", "5"])
    assert status == 1
    assert "cannot reach http://127.0.0.1:9/gsp" in capsys.readouterr().err


def test_timeout_message_without_limit() -> None:
    from kg.endpoint import _after

    assert _after(None) == ""
    assert _after(2.5) == " after 2.5 s"
