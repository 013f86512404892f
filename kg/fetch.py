"""Download papers from the arXiv API and the Hugging Face Daily Papers API.

`fetch_arxiv` pages through an arXiv API query and writes one Atom feed with
every entry, which the "arxiv-atom" reader reads. `fetch_daily` writes the
Daily Papers API response of one day as JSON, which the "hf-daily" reader
reads. Both write their output atomically, so an interrupted download leaves
no partial file.

`HttpClient` sends a User-Agent that names kg and its version. It waits
`delay` seconds between the starts of two requests, because the arXiv API
terms of use ask for at most one request every 3 seconds. It retries
timeouts, HTTP 429 and 5xx responses with exponential backoff, and honours
a Retry-After header.
"""

from __future__ import annotations

import datetime
import email.utils
import json
import logging
import socket
import time
from collections.abc import Callable
from pathlib import Path
from urllib.error import HTTPError, URLError
from urllib.parse import urlencode, urlsplit
from urllib.request import Request, urlopen
from xml.etree import ElementTree
from xml.etree.ElementTree import Element, ParseError

import defusedxml
import defusedxml.ElementTree as safe_xml

from kg import __version__
from kg.errors import ConfigError, FetchError
from kg.io import atomic_write
from kg.readers.arxiv_atom import ARXIV_NAMESPACE, ATOM_NAMESPACE

__all__ = [
    "ARXIV_API_URL",
    "ARXIV_API_URL_ENV",
    "DEFAULT_BACKOFF",
    "DEFAULT_DELAY",
    "DEFAULT_PAGE_SIZE",
    "DEFAULT_RETRIES",
    "DEFAULT_TIMEOUT",
    "HF_DAILY_API_URL",
    "HF_DAILY_API_URL_ENV",
    "HttpClient",
    "USER_AGENT",
    "fetch_arxiv",
    "fetch_daily",
]

logger = logging.getLogger(__name__)

ARXIV_API_URL = "https://export.arxiv.org/api/query"
HF_DAILY_API_URL = "https://huggingface.co/api/daily_papers"
# Environment variables that replace the base URLs, for mirrors and test servers.
ARXIV_API_URL_ENV = "KG_ARXIV_API_URL"
HF_DAILY_API_URL_ENV = "KG_HF_DAILY_API_URL"

USER_AGENT = f"kg/{__version__} (research-paper knowledge graph builder; Python urllib)"

# Seconds between the starts of two requests: the arXiv API terms of use ask
# for no more than one request every three seconds.
DEFAULT_DELAY = 3.0
# Entries per arXiv API request. Small pages keep each response short, so a
# failed request repeats little work. ARXIV_MAX_PAGE_SIZE is the per-request
# limit that arXiv's API documentation gives.
DEFAULT_PAGE_SIZE = 100
ARXIV_MAX_PAGE_SIZE = 2000
# Retries after the first attempt, and the wait before the first retry in
# seconds, doubled for each further retry (2, 4, 8, 16 s).
DEFAULT_RETRIES = 4
DEFAULT_BACKOFF = 2.0
# Maximum wait honoured from a Retry-After header, in seconds. A server that
# requests a longer wait is treated as unavailable.
MAX_RETRY_AFTER = 300.0
# Seconds to wait for a connection and for each read.
DEFAULT_TIMEOUT = 30.0
# Largest response body read, in bytes. By our estimate a page of 2,000 arXiv
# entries is around 10 MB, and one day of Daily Papers well under 1 MB.
MAX_RESPONSE_BYTES = 64 * 1024 * 1024
# Entries per Daily Papers request; the API serves at most 100 per page.
DAILY_LIMIT = 100

# HTTP statuses that are worth another attempt: rate limiting and server errors.
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})

_OPENSEARCH_NAMESPACE = "http://a9.com/-/spec/opensearch/1.1/"
_ARXIV_ERROR_ID = "http://arxiv.org/api/errors"


def _api_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise ConfigError(f"Invalid API URL {url!r}: expected an http(s) URL without query, e.g. {ARXIV_API_URL!r}.")
    return url


def _retry_after(value: str | None) -> float | None:
    """Return the wait in seconds that a Retry-After header requests (delay-seconds or HTTP-date), or None."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=datetime.timezone.utc)
    return max(0.0, (when - datetime.datetime.now(datetime.timezone.utc)).total_seconds())


class HttpClient:
    """GET requests with a rate limit and retries.

    Parameters
    ----------
    delay : float
        Seconds between the starts of two requests.
    retries : int
        Attempts after the first one, for timeouts, connection errors, HTTP
        429 and 5xx.
    backoff : float
        Seconds before the first retry. Each further retry waits twice as
        long, unless the response has a Retry-After header, which wins (up to
        `MAX_RETRY_AFTER`).
    timeout : float
        Seconds to wait for the connection and for each read.
    sleep, clock : callable
        `time.sleep` and `time.monotonic`; tests may pass others.
    """

    def __init__(
        self,
        *,
        delay: float = DEFAULT_DELAY,
        retries: int = DEFAULT_RETRIES,
        backoff: float = DEFAULT_BACKOFF,
        timeout: float = DEFAULT_TIMEOUT,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if delay < 0 or retries < 0 or backoff < 0 or timeout <= 0:
            raise ConfigError(
                f"Invalid HTTP settings: delay={delay}, retries={retries}, backoff={backoff}, timeout={timeout}; "
                "delay, retries and backoff must be at least 0 and timeout above 0."
            )
        self.delay = delay
        self.retries = retries
        self.backoff = backoff
        self.timeout = timeout
        self.requests = 0
        self._sleep = sleep
        self._clock = clock
        self._last_start: float | None = None

    def _wait_turn(self) -> None:
        if self._last_start is not None:
            wait = self.delay - (self._clock() - self._last_start)
            if wait > 0:
                self._sleep(wait)
        self._last_start = self._clock()

    def get(self, url: str) -> bytes:
        """Return the body of a successful GET of `url`.

        Raises
        ------
        FetchError
            On an HTTP error that is not worth retrying (such as 400 or 404),
            on a body larger than `MAX_RESPONSE_BYTES`, or when the last retry
            fails. The message names the URL and the last status or error.
        """
        headers = {"User-Agent": USER_AGENT}
        problem = ""
        for attempt in range(self.retries + 1):
            self._wait_turn()
            self.requests += 1
            wait = self.backoff * 2**attempt
            try:
                with urlopen(Request(url, headers=headers), timeout=self.timeout) as response:
                    body = response.read(MAX_RESPONSE_BYTES + 1)
            except HTTPError as err:
                problem = f"HTTP {err.code} {err.reason}"
                if err.code not in RETRY_STATUSES:
                    raise FetchError(f"GET {url} failed with {problem}; check the query and the API URL") from err
                requested = _retry_after(err.headers.get("Retry-After") if err.headers else None)
                if requested is not None:
                    if requested > MAX_RETRY_AFTER:
                        raise FetchError(
                            f"GET {url} failed with {problem}, and the server requests a wait of {requested:.0f} s; "
                            "try again later"
                        ) from err
                    wait = requested
            except (TimeoutError, socket.timeout) as err:
                problem = f"timed out after {self.timeout:g} s ({err})"
            except URLError as err:
                problem = f"connection failed ({err.reason})"
            else:
                if len(body) > MAX_RESPONSE_BYTES:
                    raise FetchError(f"GET {url} returned more than {MAX_RESPONSE_BYTES // (1024 * 1024)} MiB; ask for smaller pages")
                return body
            if attempt == self.retries:
                break
            logger.warning("GET %s: %s; retry %d of %d in %.1f s", url, problem, attempt + 1, self.retries, wait)
            self._sleep(wait)
        raise FetchError(
            f"GET {url} failed after {self.retries + 1} attempts; last error: {problem}. "
            "Try again later, or allow more attempts with --retries"
        )


def _parse_feed(data: bytes, url: str) -> Element:
    try:
        root = safe_xml.fromstring(data, forbid_dtd=True)
    except (ParseError, defusedxml.DefusedXmlException) as err:
        raise FetchError(f"GET {url} returned invalid or unsafe XML: {err}") from err
    if root.tag != f"{{{ATOM_NAMESPACE}}}feed":
        raise FetchError(f"GET {url} returned <{root.tag}>, expected an Atom <feed>; check --api-url")
    for entry in root.findall(f"{{{ATOM_NAMESPACE}}}entry"):
        entry_id = entry.findtext(f"{{{ATOM_NAMESPACE}}}id", default="")
        if entry_id.startswith(_ARXIV_ERROR_ID):
            message = " ".join(entry.findtext(f"{{{ATOM_NAMESPACE}}}summary", default="").split())
            raise FetchError(f"The arXiv API rejected the query ({url}): {message}")
    return root


def _total_results(feed: Element) -> int | None:
    text = feed.findtext(f"{{{_OPENSEARCH_NAMESPACE}}}totalResults")
    return int(text) if text and text.strip().isdigit() else None


def fetch_arxiv(
    query: str,
    out: str | Path,
    *,
    max_results: int,
    page_size: int = DEFAULT_PAGE_SIZE,
    api_url: str = ARXIV_API_URL,
    client: HttpClient | None = None,
    progress: bool = False,
) -> int:
    """Run an arXiv API query and write up to `max_results` entries as one Atom feed.

    Parameters
    ----------
    query : str
        An arXiv ``search_query``, such as ``cat:cs.LG AND abs:"reward model"``.
    out : path
        The Atom file to write: the first page's feed, with the entries of
        every page.
    max_results : int
        The maximum number of entries to fetch.
    page_size : int
        Entries per request (``max_results`` of each request), at most
        `ARXIV_MAX_PAGE_SIZE`.
    api_url : str
        The query endpoint.
    client : HttpClient, optional
        Rate limit and retry settings; the defaults of `HttpClient` if None.
    progress : bool
        Show a progress bar of entries on standard error.

    Returns
    -------
    int
        The number of entries written.

    Raises
    ------
    FetchError
        If a request fails after its retries, or the API returns invalid XML
        or an error entry.
    ConfigError
        If `api_url`, `max_results` or `page_size` is invalid.
    """
    api_url = _api_url(api_url)
    if max_results < 1 or not 1 <= page_size <= ARXIV_MAX_PAGE_SIZE:
        raise ConfigError(
            f"Invalid paging: max_results={max_results}, page_size={page_size}; "
            f"expected max_results >= 1 and page_size from 1 to {ARXIV_MAX_PAGE_SIZE}."
        )
    client = client or HttpClient()
    from tqdm import tqdm

    feed: Element | None = None
    entries: list[Element] = []
    total: int | None = None
    with tqdm(total=max_results, unit="paper", desc="arXiv", disable=not progress) as bar:
        while len(entries) < max_results and (total is None or len(entries) < total):
            size = min(page_size, max_results - len(entries))
            url = f"{api_url}?{urlencode({'search_query': query, 'start': len(entries), 'max_results': size})}"
            page = _parse_feed(client.get(url), url)
            page_entries = page.findall(f"{{{ATOM_NAMESPACE}}}entry")
            if feed is None:
                feed, total = page, _total_results(page)
                if total is not None:
                    bar.total = min(max_results, total)
                for entry in page_entries:
                    feed.remove(entry)
            if not page_entries:
                # NOTE: arXiv sometimes returns a page with no entries before
                # the end of the results, and the download then ends early.
                if total is not None and len(entries) < total:
                    logger.warning("arXiv returned no entries at start=%d of %d results; stopping", len(entries), total)
                break
            kept = page_entries[: max_results - len(entries)]
            entries.extend(kept)
            bar.update(len(kept))

    assert feed is not None
    feed.extend(entries)
    ElementTree.register_namespace("", ATOM_NAMESPACE)
    ElementTree.register_namespace("arxiv", ARXIV_NAMESPACE)
    ElementTree.register_namespace("opensearch", _OPENSEARCH_NAMESPACE)
    with atomic_write(out, "wb") as handle:
        handle.write(ElementTree.tostring(feed, encoding="utf-8", xml_declaration=True))
    logger.info("Wrote %d arXiv entries to %s (%d requests)", len(entries), out, client.requests)
    return len(entries)


def fetch_daily(
    date: str,
    out: str | Path,
    *,
    api_url: str = HF_DAILY_API_URL,
    client: HttpClient | None = None,
) -> int:
    """Download the Daily Papers of one day and write the API response as JSON.

    Parameters
    ----------
    date : str
        The day, ``YYYY-MM-DD``.
    out : path
        The JSON file to write, as the API returned it.
    api_url : str
        The Daily Papers endpoint.
    client : HttpClient, optional
        Rate limit and retry settings.

    Returns
    -------
    int
        The number of papers written.

    Raises
    ------
    ConfigError
        If `date` is not ``YYYY-MM-DD`` or `api_url` is invalid.
    FetchError
        If the request fails after its retries, or the response is not a JSON array.
    """
    api_url = _api_url(api_url)
    try:
        day = datetime.date.fromisoformat(date)
    except ValueError as err:
        raise ConfigError(f"Invalid date {date!r}: expected YYYY-MM-DD, e.g. 2025-09-11.") from err
    if len(date) != len("2025-09-11"):
        raise ConfigError(f"Invalid date {date!r}: expected YYYY-MM-DD, e.g. 2025-09-11.")
    client = client or HttpClient()
    url = f"{api_url}?{urlencode({'date': day.isoformat(), 'limit': DAILY_LIMIT})}"
    body = client.get(url)
    try:
        papers = json.loads(body.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise FetchError(f"GET {url} returned a body that is not JSON ({err}); check --api-url") from err
    if not isinstance(papers, list):
        raise FetchError(f"GET {url} returned a JSON {type(papers).__name__}, expected an array of papers; check --api-url")
    if len(papers) >= DAILY_LIMIT:
        # NOTE: kg fetches one page of Daily Papers and does not follow further pages.
        logger.warning("%s lists %d papers, the most one request returns; later papers of the day are missing", url, len(papers))
    with atomic_write(out, "wb") as handle:
        handle.write(body)
    logger.info("Wrote %d Daily Papers of %s to %s", len(papers), date, out)
    return len(papers)
