"""HTTP clients for SPARQL 1.1 servers: the query protocol and the Graph Store protocol.

`query_endpoint` sends a query by the SPARQL 1.1 Protocol (an HTTP POST
of URL-encoded form data) and returns the response. `push_graph`
uploads a build's triples to a named graph by the SPARQL 1.1 Graph Store
HTTP Protocol: a PUT replaces the graph, a POST adds to it. Both use
urllib only, with HTTP Basic or Digest authentication, whichever the
server's 401 challenge requests.

References
----------
SPARQL 1.1 Protocol, W3C Recommendation, https://www.w3.org/TR/sparql11-protocol/
SPARQL 1.1 Graph Store HTTP Protocol, W3C Recommendation,
https://www.w3.org/TR/sparql11-http-rdf-update/
"""

from __future__ import annotations

import http.client
import logging
import os
import re
import socket
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph

from kg.errors import ConfigError, InputError, KgError, QueryError

__all__ = [
    "DEFAULT_CHUNK_TRIPLES",
    "GRAPH_TYPES",
    "PASSWORD_ENV",
    "SOLUTION_TYPES",
    "EndpointError",
    "EndpointResponse",
    "push_graph",
    "query_endpoint",
    "read_ntriples",
    "validate_endpoint_url",
]

logger = logging.getLogger(__name__)

# The environment variable read for the password when none is passed.
PASSWORD_ENV = "KG_SPARQL_PASSWORD"

# Triples per Graph Store request: about 3 MB of N-Triples for kg's
# exports, well under the default request size limits of Virtuoso, Fuseki
# and GraphDB, and few enough requests for 100k papers.
DEFAULT_CHUNK_TRIPLES = 20_000

# Characters of a server's error body that an error message keeps.
MAX_ERROR_BODY = 300

# Bytes per read of a response body; the deadline is checked between reads.
_READ_SIZE = 65536

# C0 and C1 control characters: a server's error body loses them before it
# reaches a terminal, where escape sequences could rewrite the screen.
_CONTROL_CHARACTERS = re.compile("[\x00-\x1f\x7f-\x9f]")

# Accept headers by query form. A server may return CONSTRUCT results as
# results JSON (Virtuoso 7.2 does) when that type is acceptable, so each
# form accepts only the types that fit it.
SOLUTION_TYPES = "application/sparql-results+json"
GRAPH_TYPES = "text/turtle, application/n-triples;q=0.9"
_USER_AGENT = "kg-sparql-client"


class EndpointError(KgError):
    """A SPARQL server could not be reached or returned an HTTP error.

    Attributes
    ----------
    url : str
        The request URL, without credentials.
    status : int or None
        The HTTP status, or None when no response arrived.
    """

    def __init__(self, url: str, message: str, *, status: int | None = None) -> None:
        self.url = url
        self.status = status
        super().__init__(message)


@dataclass(frozen=True, slots=True)
class EndpointResponse:
    """The body and media type of a successful response."""

    content_type: str
    body: bytes


def validate_endpoint_url(url: str) -> str:
    """Return `url` if it is an http(s) URL without credentials.

    Raises
    ------
    ConfigError
        If the scheme is not http or https, the host is missing, or the URL
        contains a user name or password (pass those as options instead, so
        they stay out of logs and messages).
    """
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"Invalid endpoint URL {url!r}; expected an http:// or https:// URL such as http://localhost:8890/sparql.")
    if parts.username or parts.password:
        raise ConfigError("The endpoint URL contains credentials; pass them with --user and --password (or KG_SPARQL_PASSWORD) instead.")
    return url


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Turn every redirect into an HTTP error.

    urllib follows a 301, 302 or 303 on a POST with a GET without the body,
    so an upload redirected to a login page would report success with no
    triple stored.
    """

    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


def _opener(url: str, user: str | None, password: str | None) -> urllib.request.OpenerDirector:
    handlers: list[urllib.request.BaseHandler] = [_NoRedirect()]
    if user is not None:
        if password is None:
            password = os.environ.get(PASSWORD_ENV)
        if password is None:
            raise ConfigError(f"A user name was given without a password; pass --password or set {PASSWORD_ENV}.")
        manager = urllib.request.HTTPPasswordMgrWithDefaultRealm()
        manager.add_password(None, url, user, password)
        # The server's 401 challenge selects Basic or Digest.
        handlers += [urllib.request.HTTPBasicAuthHandler(manager), urllib.request.HTTPDigestAuthHandler(manager)]
    return urllib.request.build_opener(*handlers)


def _send(
    opener: urllib.request.OpenerDirector, request: urllib.request.Request, *, timeout: float | None, what: str
) -> EndpointResponse:
    url = request.full_url
    started = time.monotonic()
    try:
        with opener.open(request, timeout=timeout) as response:
            body = _read_body(response, started=started, timeout=timeout)
            content_type = response.headers.get_content_type()
    except urllib.error.HTTPError as err:
        detail = err.read(MAX_ERROR_BODY).decode("utf-8", "replace")
        detail = " ".join(_CONTROL_CHARACTERS.sub(" ", detail).split())
        hint = ""
        if err.code in (401, 403):
            hint = " Check --user and --password."
        elif 300 <= err.code < 400:
            location = _CONTROL_CHARACTERS.sub("", err.headers.get("Location", "") if err.headers else "")
            hint = f" The server redirects to {location or 'another URL'}; use that URL instead."
        raise EndpointError(
            url, f"{what} failed: {request.get_method()} {url} returned HTTP {err.code} {err.reason}: {detail or 'no body'}.{hint}",
            status=err.code,
        ) from None
    except (TimeoutError, socket.timeout) as err:
        raise EndpointError(url, f"{what} timed out{_after(timeout)}: {request.get_method()} {url}.") from err
    except urllib.error.URLError as err:
        reason = err.reason
        if isinstance(reason, (TimeoutError, socket.timeout)):
            raise EndpointError(url, f"{what} timed out{_after(timeout)}: {request.get_method()} {url}.") from err
        raise EndpointError(url, f"{what} failed: cannot reach {url}: {reason}.") from err
    except OSError as err:
        raise EndpointError(url, f"{what} failed: connection to {url} broke: {err}.") from err
    logger.debug("%s %s: %d bytes of %s in %.3f s", request.get_method(), url, len(body), content_type, time.monotonic() - started)
    return EndpointResponse(content_type=content_type, body=body)


def _after(timeout: float | None) -> str:
    # Without --timeout, the operating system's connect timeout is what ran out.
    return "" if timeout is None else f" after {timeout:g} s"


def _read_body(response: http.client.HTTPResponse, *, started: float, timeout: float | None) -> bytes:
    # The socket timeout bounds each read only, so a server that sends a
    # byte now and then would never time out. This loop bounds the body.
    # NOTE: the status line and headers are read before this runs, with
    # the per-read timeout only.
    parts = []
    while chunk := response.read1(_READ_SIZE):
        parts.append(chunk)
        if timeout is not None and time.monotonic() - started > timeout:
            raise TimeoutError(f"the response took longer than {timeout:g} s")
    return b"".join(parts)


def query_endpoint(
    url: str,
    sparql: str,
    *,
    timeout: float | None = None,
    user: str | None = None,
    password: str | None = None,
    default_graph: str | None = None,
    accept: str = SOLUTION_TYPES,
) -> EndpointResponse:
    """Send one query to a SPARQL endpoint and return the raw response.

    Parameters
    ----------
    url : str
        The endpoint, e.g. ``http://localhost:8890/sparql``.
    sparql : str
        A complete query: the server does not know kg's default prefixes.
    timeout : float or None
        Seconds to wait for the connection and for each read; the whole
        response body must also arrive within this time.
    user, password : str or None
        Credentials for Basic or Digest authentication; the password falls
        back to the environment variable `PASSWORD_ENV`.
    default_graph : str or None
        Sent as ``default-graph-uri``, so the query matches this graph only.
    accept : str
        The Accept header: `SOLUTION_TYPES` for SELECT and ASK,
        `GRAPH_TYPES` for CONSTRUCT and DESCRIBE.

    Returns
    -------
    EndpointResponse

    Raises
    ------
    EndpointError
        If the server cannot be reached, times out or returns an HTTP
        error; the message names the URL and the HTTP status.
    ConfigError
        If the URL or the credentials are invalid.
    """
    validate_endpoint_url(url)
    # URL-encoded form data, not a body of application/sparql-query: the
    # protocol allows both, and Virtuoso 7.2 waits for more input on the latter.
    form = [("query", sparql)]
    if default_graph:
        form.append(("default-graph-uri", default_graph))
    request = urllib.request.Request(
        url,
        data=urllib.parse.urlencode(form).encode("ascii"),
        method="POST",
        headers={"Content-Type": "application/x-www-form-urlencoded", "Accept": accept, "User-Agent": _USER_AGENT},
    )
    response = _send(_opener(url, user, password), request, timeout=timeout, what="SPARQL query")
    if response.content_type not in _PARSABLE_TYPES:
        raise QueryError(f"{url} returned {response.content_type}; expected one of {', '.join(sorted(_PARSABLE_TYPES))}.")
    return response


# Media types that `kg.query` can parse, with the text/plain that some
# servers send for N-Triples.
_PARSABLE_TYPES = frozenset({
    "application/sparql-results+json",
    "application/json",
    "text/turtle",
    "application/n-triples",
    "text/plain",
})


def _chunks(lines: Iterable[str], size: int) -> Iterator[list[str]]:
    chunk: list[str] = []
    for line in lines:
        chunk.append(line)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def push_graph(
    url: str,
    graph_iri: str,
    ntriples: Iterable[str],
    *,
    replace: bool = False,
    user: str | None = None,
    password: str | None = None,
    timeout: float | None = None,
    chunk_triples: int = DEFAULT_CHUNK_TRIPLES,
    on_chunk: Callable[[int], None] | None = None,
) -> int:
    """Upload triples to the named graph `graph_iri` by the Graph Store HTTP Protocol.

    Parameters
    ----------
    url : str
        The server's Graph Store endpoint (Virtuoso:
        ``http://host:8890/sparql-graph-crud-auth``; Fuseki:
        ``http://host:3030/DATASET/data``).
    graph_iri : str
        The named graph, sent as the ``graph`` query parameter.
    ntriples : iterable of str
        One N-Triples line per triple.
    replace : bool
        Replace the graph's content: the first request is a PUT. Otherwise
        every request is a POST, which adds to the graph. Triples that the
        graph already contains are not duplicated.
    user, password, timeout
        As for `query_endpoint`.
    chunk_triples : int
        Triples per request.
    on_chunk : callable, optional
        Called with the number of triples of each request that succeeded.

    Returns
    -------
    int
        The number of triples sent.

    Raises
    ------
    EndpointError
        If a request fails; the requests before it have been applied.
    ConfigError
        If the URL, graph IRI, credentials or chunk size are invalid.
    """
    validate_endpoint_url(url)
    graph_parts = urllib.parse.urlsplit(graph_iri)
    if not graph_parts.scheme or any(character.isspace() or character in '<>"{}|\\^`' for character in graph_iri):
        raise ConfigError(f"Invalid graph IRI {graph_iri!r}; expected an absolute IRI such as https://example.org/graphs/papers.")
    if chunk_triples < 1:
        raise ConfigError(f"Invalid chunk size {chunk_triples}; expected at least 1 triple per request.")

    opener = _opener(url, user, password)
    separator = "&" if urllib.parse.urlsplit(url).query else "?"
    target = url + separator + urllib.parse.urlencode({"graph": graph_iri})
    sent = 0
    method = "PUT" if replace else "POST"
    # NOTE: a server reads each request's blank node labels afresh, so a
    # blank node whose triples fall into two chunks becomes two nodes. kg's
    # exports have none, but other RDF files (and void.ttl) may.
    for chunk in _chunks(ntriples, chunk_triples):
        body = ("\n".join(chunk) + "\n").encode("utf-8")
        request = urllib.request.Request(
            target, data=body, method=method,
            headers={"Content-Type": "application/n-triples", "User-Agent": _USER_AGENT},
        )
        _send(opener, request, timeout=timeout, what="Graph upload")
        sent += len(chunk)
        method = "POST"
        if on_chunk is not None:
            on_chunk(len(chunk))
    if sent == 0 and replace:
        # An empty build still empties the graph.
        request = urllib.request.Request(
            target, data=b"", method="PUT", headers={"Content-Type": "application/n-triples", "User-Agent": _USER_AGENT}
        )
        _send(opener, request, timeout=timeout, what="Graph upload")
    logger.info("Sent %d triples to graph %s at %s", sent, graph_iri, url)
    return sent


def read_ntriples(source: str | Path) -> tuple[int, Iterator[str]]:
    """Return the number of triples of `source` and an iterator of their N-Triples lines.

    Parameters
    ----------
    source : str or Path
        A build folder (its ``graph.ttl``), an RDF file, or a store folder
        made by ``kg build --store``.

    Raises
    ------
    InputError
        If the source is missing, not RDF, or a store that another process
        has open.
    """
    from kg.store import GraphStore, is_store, resolve_rdf_file

    if is_store(source):
        graph_store = GraphStore.open(source)
        total = len(graph_store)

        def from_store() -> Iterator[str]:
            with graph_store:
                for quad in graph_store.store.quads_for_pattern(None, None, None, None):
                    yield f"{quad.subject} {quad.predicate} {quad.object} ."

        return total, from_store()

    path, rdf_format = resolve_rdf_file(source)

    def from_file() -> Iterator[str]:
        try:
            for quad in pyoxigraph.parse(path=path, format=rdf_format, base_iri=path.resolve().as_uri()):
                yield f"{quad.subject} {quad.predicate} {quad.object} ."
        except SyntaxError as err:
            raise InputError(str(path), f"invalid {rdf_format.name}: {err}") from err

    # A first pass counts the triples for the progress bar and finds syntax
    # errors before any request changes the server.
    total = sum(1 for _ in from_file())
    return total, from_file()
