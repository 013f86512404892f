"""`kg fetch` against a local HTTP server that replays responses we wrote: paging, retries, errors, then `kg build`."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from click.testing import CliRunner

from kg import __version__
from kg.cli import cli
from kg.errors import ConfigError, FetchError
from kg.fetch import DEFAULT_BACKOFF, DEFAULT_DELAY, DEFAULT_RETRIES, HttpClient, fetch_arxiv, fetch_daily
from kg.sources import read_papers

DATA = Path(__file__).resolve().parent / "data"
ATOM = DATA / "arxiv-query.atom"
HF_DAILY = DATA / "hf-daily-2025-09-11.json"

ATOM_HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <title type="html">ArXiv Query: search_query=all:reward</title>
  <id>http://arxiv.org/api/local-test</id>
  <opensearch:totalResults xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/">{total}</opensearch:totalResults>
  <opensearch:startIndex xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/">{start}</opensearch:startIndex>
"""


def atom_page(entries: list[str], *, total: int, start: int) -> bytes:
    return (ATOM_HEAD.format(total=total, start=start) + "".join(entries) + "</feed>\n").encode("utf-8")


def atom_entry(number: int) -> str:
    return f"""  <entry>
    <id>http://arxiv.org/abs/2409.{10000 + number}v1</id>
    <published>2024-09-0{1 + number % 9}T10:00:00Z</published>
    <title>Reward Model Study Number {number}</title>
    <summary>We train a reward model with GRPO and evaluate it on RewardBench, case {number}.</summary>
    <author><name>Author {number}</name></author>
    <arxiv:primary_category xmlns:arxiv="http://arxiv.org/schemas/atom" term="cs.LG"/>
  </entry>
"""


class Replay:
    """Responses to serve in order, per request path, and the requests seen."""

    def __init__(self) -> None:
        self.responses: dict[str, list[tuple[int, dict[str, str], bytes]]] = {}
        self.requests: list[tuple[str, dict[str, list[str]], str]] = []

    def add(self, path: str, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        self.responses.setdefault(path, []).append((status, headers or {}, body))


@pytest.fixture()
def server() -> Iterator[tuple[str, Replay]]:
    replay = Replay()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802  # the name http.server calls
            parts = urlsplit(self.path)
            replay.requests.append((parts.path, parse_qs(parts.query), self.headers.get("User-Agent", "")))
            queue = replay.responses.get(parts.path, [])
            status, headers, body = queue.pop(0) if queue else (404, {}, b"no response left")
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002  # the signature http.server uses
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", replay
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()


def fast_client(**options) -> HttpClient:
    settings = {"delay": 0.0, "retries": 2, "backoff": 0.0, "timeout": 5.0}
    settings.update(options)
    return HttpClient(**settings)


# --- arXiv ------------------------------------------------------------------------------


def test_arxiv_pages_combined(server, tmp_path: Path) -> None:
    base, replay = server
    replay.add("/api/query", 200, atom_page([atom_entry(1), atom_entry(2)], total=3, start=0))
    replay.add("/api/query", 200, atom_page([atom_entry(3)], total=3, start=2))
    out = tmp_path / "query.atom"
    count = fetch_arxiv("all:reward", out, max_results=10, page_size=2, api_url=f"{base}/api/query", client=fast_client())
    assert count == 3
    assert [paper.id for paper in read_papers(out)] == ["2409.10001", "2409.10002", "2409.10003"]


def test_arxiv_paging_parameters(server, tmp_path: Path) -> None:
    base, replay = server
    replay.add("/api/query", 200, atom_page([atom_entry(1), atom_entry(2)], total=3, start=0))
    replay.add("/api/query", 200, atom_page([atom_entry(3)], total=3, start=2))
    fetch_arxiv("all:reward", tmp_path / "q.atom", max_results=10, page_size=2, api_url=f"{base}/api/query", client=fast_client())
    queries = [query for _, query, _ in replay.requests]
    assert [(query["start"], query["max_results"]) for query in queries] == [(["0"], ["2"]), (["2"], ["2"])]
    assert queries[0]["search_query"] == ["all:reward"]


def test_arxiv_stops_at_max(server, tmp_path: Path) -> None:
    base, replay = server
    replay.add("/api/query", 200, atom_page([atom_entry(1), atom_entry(2)], total=50, start=0))
    replay.add("/api/query", 200, atom_page([atom_entry(3)], total=50, start=2))
    count = fetch_arxiv("all:reward", tmp_path / "q.atom", max_results=3, page_size=2, api_url=f"{base}/api/query", client=fast_client())
    assert count == 3
    assert replay.requests[1][1]["max_results"] == ["1"]


def test_arxiv_retries_503(server, tmp_path: Path) -> None:
    base, replay = server
    replay.add("/api/query", 503, b"busy")
    replay.add("/api/query", 200, ATOM.read_bytes())
    count = fetch_arxiv("all:reward", tmp_path / "q.atom", max_results=3, api_url=f"{base}/api/query", client=fast_client())
    assert count == 3
    assert len(replay.requests) == 2


def test_retry_after_honoured(server) -> None:
    base, replay = server
    replay.add("/x", 429, b"slow down", {"Retry-After": "0"})
    replay.add("/x", 200, b"ok")
    waits: list[float] = []
    client = HttpClient(delay=0.0, retries=1, backoff=60.0, timeout=5.0, sleep=waits.append)
    assert client.get(f"{base}/x") == b"ok"
    assert waits == [0.0]


def test_backoff_doubles(server) -> None:
    base, replay = server
    for _ in range(3):
        replay.add("/x", 502, b"bad gateway")
    replay.add("/x", 200, b"ok")
    waits: list[float] = []
    client = HttpClient(delay=0.0, retries=3, backoff=1.5, timeout=5.0, sleep=waits.append)
    assert client.get(f"{base}/x") == b"ok"
    assert waits == [1.5, 3.0, 6.0]


def test_rate_limit_between_requests(server) -> None:
    base, replay = server
    replay.add("/x", 200, b"one")
    replay.add("/x", 200, b"two")
    now = [100.0]
    waits: list[float] = []
    client = HttpClient(delay=3.0, retries=0, backoff=0.0, timeout=5.0, sleep=waits.append, clock=lambda: now[0])
    client.get(f"{base}/x")
    now[0] += 1.0
    client.get(f"{base}/x")
    assert waits == [2.0]


def test_last_retry_error_names_url(server) -> None:
    base, replay = server
    for _ in range(3):
        replay.add("/x", 503, b"busy")
    with pytest.raises(FetchError, match=r"GET http://127\.0\.0\.1:\d+/x failed after 3 attempts; last error: HTTP 503"):
        fast_client().get(f"{base}/x")


def test_client_error_not_retried(server) -> None:
    base, replay = server
    replay.add("/x", 400, b"bad query")
    with pytest.raises(FetchError, match="HTTP 400"):
        fast_client().get(f"{base}/x")
    assert len(replay.requests) == 1


def test_user_agent_names_kg(server) -> None:
    base, replay = server
    replay.add("/x", 200, b"ok")
    fast_client().get(f"{base}/x")
    assert replay.requests[0][2].startswith(f"kg/{__version__} ")


def test_arxiv_api_error_entry(server, tmp_path: Path) -> None:
    base, replay = server
    error = (
        '<?xml version="1.0" encoding="UTF-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom"><entry>'
        "<id>http://arxiv.org/api/errors#start_must_be_an_integer</id><title>Error</title>"
        "<summary>start must be an integer</summary></entry></feed>\n"
    )
    replay.add("/api/query", 200, error.encode("utf-8"))
    out = tmp_path / "q.atom"
    with pytest.raises(FetchError, match="start must be an integer"):
        fetch_arxiv("all:x", out, max_results=3, api_url=f"{base}/api/query", client=fast_client())
    assert not out.exists()


def test_arxiv_rejects_doctype(server, tmp_path: Path) -> None:
    base, replay = server
    bomb = '<?xml version="1.0"?><!DOCTYPE feed [<!ENTITY a "aaaa">]><feed xmlns="http://www.w3.org/2005/Atom">&a;</feed>'
    replay.add("/api/query", 200, bomb.encode("utf-8"))
    with pytest.raises(FetchError, match="invalid or unsafe XML"):
        fetch_arxiv("all:x", tmp_path / "q.atom", max_results=3, api_url=f"{base}/api/query", client=fast_client())


def test_failed_fetch_keeps_old_file(server, tmp_path: Path) -> None:
    base, replay = server
    out = tmp_path / "q.atom"
    out.write_bytes(b"earlier download")
    replay.add("/api/query", 200, atom_page([atom_entry(1)], total=2, start=0))
    replay.add("/api/query", 500, b"error")
    with pytest.raises(FetchError):
        fetch_arxiv("all:x", out, max_results=2, page_size=1, api_url=f"{base}/api/query", client=fast_client(retries=0))
    assert out.read_bytes() == b"earlier download"


# --- Daily Papers -------------------------------------------------------------------------


def test_daily_written_as_served(server, tmp_path: Path) -> None:
    base, replay = server
    replay.add("/api/daily_papers", 200, HF_DAILY.read_bytes())
    out = tmp_path / "daily.json"
    assert fetch_daily("2025-09-11", out, api_url=f"{base}/api/daily_papers", client=fast_client()) == 3
    assert out.read_bytes() == HF_DAILY.read_bytes()
    assert replay.requests[0][1]["date"] == ["2025-09-11"]


def test_daily_not_array(server, tmp_path: Path) -> None:
    base, replay = server
    replay.add("/api/daily_papers", 200, json.dumps({"error": "Invalid date"}).encode("utf-8"))
    with pytest.raises(FetchError, match="expected an array of papers"):
        fetch_daily("2025-09-11", tmp_path / "d.json", api_url=f"{base}/api/daily_papers", client=fast_client())


@pytest.mark.parametrize("date", ["2025-9-11", "11.09.2025", "2025-02-30"])
def test_daily_invalid_date(date: str, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="YYYY-MM-DD"):
        fetch_daily(date, tmp_path / "d.json", api_url="http://127.0.0.1:9/api/daily_papers")


def test_api_url_must_be_http(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="http"):
        fetch_daily("2025-09-11", tmp_path / "d.json", api_url="file:///etc/passwd")


# --- command line, then kg build ------------------------------------------------------------


def test_cli_fetch_arxiv_then_build(server, tmp_path: Path) -> None:
    base, replay = server
    replay.add("/api/query", 503, b"busy")
    replay.add("/api/query", 200, atom_page([atom_entry(1), atom_entry(2)], total=3, start=0))
    replay.add("/api/query", 429, b"slow down", {"Retry-After": "0"})
    replay.add("/api/query", 200, atom_page([atom_entry(3)], total=3, start=2))
    out = tmp_path / "query.atom"
    runner = CliRunner()
    result = runner.invoke(
        cli,
        ["fetch", "arxiv", "--query", "all:reward", "--max", "5", "--page-size", "2", "--delay", "0", "--backoff", "0",
         "--api-url", f"{base}/api/query", "--out", str(out)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "Wrote 3 papers" in result.output
    built = runner.invoke(cli, ["build", str(out), "--out", str(tmp_path / "build"), "--no-progress"])
    assert built.exit_code == 0, built.output
    assert "papers      3" in built.output


def test_cli_fetch_daily_env_url(server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    base, replay = server
    replay.add("/api/daily_papers", 200, HF_DAILY.read_bytes())
    monkeypatch.setenv("KG_HF_DAILY_API_URL", f"{base}/api/daily_papers")
    out = tmp_path / "daily.json"
    runner = CliRunner()
    result = runner.invoke(cli, ["fetch", "daily", "--date", "2025-09-11", "--delay", "0", "--out", str(out)])
    assert result.exit_code == 0, result.output
    built = runner.invoke(cli, ["build", str(out), "--out", str(tmp_path / "build"), "--no-progress"])
    assert built.exit_code == 0, built.output
    assert "papers      3" in built.output


def test_cli_defaults_match_library() -> None:
    options = {param.name: param.default for param in cli.commands["fetch"].commands["arxiv"].params}
    assert options["delay"] == DEFAULT_DELAY
    assert options["retries"] == DEFAULT_RETRIES
    assert options["backoff"] == DEFAULT_BACKOFF
