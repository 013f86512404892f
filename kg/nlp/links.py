"""Detection and classification of URLs in paper text.

`find_urls` locates URLs in a string, and `link_kind` returns the kind of
resource a URL points to. Both are plain functions. `LinkDetector` is the
spaCy component that applies them to `doc.text` and stores the result in
`doc._.kg_links`.

A URL starts with ``http://`` or ``https://``, with ``www.``, or with the host
name of a well-known code, model or paper site followed by a path
(``github.com/owner/repo``). It ends at whitespace or at a character that RFC
3987 forbids in an IRI (``<>"{}|\\^`` and the backtick). Sentence punctuation
and unbalanced closing brackets at its end are then cut off.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from urllib.parse import urlsplit

from spacy.language import Language
from spacy.tokens import Doc

from kg.model import LinkKind
from kg.nlp.batching import BatchedComponent
from kg.nlp.extensions import LINKS, register_extensions
from kg.nlp.tokens import token_table

__all__ = ["LinkDetector", "find_urls", "link_kind", "normalize_url"]

logger = logging.getLogger(__name__)

# Hosts that are recognised without a scheme or "www.", but only when a path
# follows ("github.com/a/b"); the bare names alone are too often just words.
BARE_HOSTS: tuple[str, ...] = (
    "github.com",
    "gitlab.com",
    "bitbucket.org",
    "codeberg.org",
    "huggingface.co",
    "hf.co",
    "arxiv.org",
    "openreview.net",
    "aclanthology.org",
    "doi.org",
)

# Characters that end a URL: whitespace, C0/C1 controls, the characters that
# RFC 3987 excludes from IRIs, and full-width punctuation of CJK text.
_URL_CHAR = r"[^\s\x00-\x1f\x7f-\x9f<>\"{}|\\^`“”‘’«»。，、；：！？（）【】「」『』]"

# A bare host must not follow a character that would make it part of a longer
# host name, an e-mail address or a path ("api.github.com", "me@github.com").
_URL_PATTERN = re.compile(
    r"(?:https?://|(?<![\w@./:-])www\.|(?<![\w@./:-])(?:"
    + "|".join(re.escape(host) for host in BARE_HOSTS)
    + r")/(?=\w))"
    + _URL_CHAR
    + "+",
    re.IGNORECASE,
)

# Cut from the end of a match, one at a time: these end sentences or quote the URL.
_TRAILING_PUNCTUATION = frozenset(".,;:!?'\"*…")

# Closing bracket -> opening bracket. A closing bracket stays only when balanced.
_BRACKETS = {")": "(", "]": "["}

# A URL needs a host with a dot ("https://x.y"); "https://" alone or
# "https://localhost" in prose is not a link to a paper's resources.
_HOST_PATTERN = re.compile(r"^[\w-]+(?:\.[\w-]+)+$")


def find_urls(text: str) -> list[tuple[int, int]]:
    """Find the URLs in a text.

    Parameters
    ----------
    text : str
        Any text; line breaks end a URL.

    Returns
    -------
    list of (int, int)
        Character offsets (start, end-exclusive) of each URL, in text order.
        ``text[start:end]`` never has sentence punctuation, quotes or
        unbalanced closing brackets at its end.

    Examples
    --------
    >>> text = "Code is at https://github.com/a/b. See (www.example.org/x)."
    >>> [text[start:end] for start, end in find_urls(text)]
    ['https://github.com/a/b', 'www.example.org/x']

    Notes
    -----
    A URL that a line break splits in two ("https://github.com/\\nowner/repo")
    is cut at the break. A line break also ends every URL at the end of a
    line, and the two cases cannot be distinguished reliably.
    """
    spans: list[tuple[int, int]] = []
    # A scan of the whole text with _URL_PATTERN tries its lookbehinds at
    # every character (about 80 µs per abstract), so it runs only where a URL
    # can start. Matches are leftmost and do not overlap, as with finditer.
    matched_until = 0
    for candidate in _url_starts(text):
        if candidate < matched_until:
            continue
        match = _URL_PATTERN.match(text, candidate)
        if match is None:
            continue
        matched_until = match.end()
        start = match.start()
        end = start + len(_strip_trailing(match.group()))
        if _has_valid_host(text[start:end]):
            spans.append((start, end))
        else:
            logger.debug("Ignoring URL-like text without a valid host: %r", text[start:end])
    return spans


# Start positions of the alternatives of _URL_PATTERN: a scheme before "://",
# "www." (any case), and a bare host before "/". A match that starts at a position
# checks its lookbehind against the text before it, as in a scan.
_SCHEME_LENGTHS = (len("https"), len("http"))
_WWW = re.compile(r"www\.", re.IGNORECASE)
_BARE_HOST_BEFORE_SLASH = re.compile("(?:" + "|".join(re.escape(host) for host in BARE_HOSTS) + ")/", re.IGNORECASE)
_MAX_BARE_HOST_LENGTH = max(map(len, BARE_HOSTS))
# The top-level domains of the bare hosts (".com", ".org", ...). Their letters
# have no case-insensitive match outside ASCII (Python's re adds only
# "\u0130", "\u0131", "\u017f" and "\u212a", for i, s and k), so str.lower
# finds them as the pattern does.
_BARE_HOST_DOMAINS = tuple(sorted({host[host.rindex(".") :] for host in BARE_HOSTS}))
_MAX_DOMAIN_LENGTH = max(map(len, _BARE_HOST_DOMAINS))


def _url_starts(text: str) -> list[int]:
    """Return the sorted positions where a match of `_URL_PATTERN` can start; every match starts at one."""
    starts: set[int] = set()
    index = text.find("://")
    while index != -1:
        starts.update(index - length for length in _SCHEME_LENGTHS if index >= length)
        index = text.find("://", index + 1)
    # Only "W" lowers to "w", so the lowered text has "www." wherever the
    # pattern can match it. Most texts have none and skip the slower scan.
    if "www." in text.lower():
        starts.update(match.start() for match in _WWW.finditer(text))
    index = text.find("/")
    while index != -1:
        if text[max(0, index - _MAX_DOMAIN_LENGTH) : index].lower().endswith(_BARE_HOST_DOMAINS):
            # A host ends right before this slash. A case-insensitive match takes one
            # character per character of the host, so no match is longer than it.
            window_start = max(0, index - _MAX_BARE_HOST_LENGTH)
            starts.update(match.start() for match in _BARE_HOST_BEFORE_SLASH.finditer(text, window_start, index + 1))
        index = text.find("/", index + 1)
    return sorted(starts)


def _strip_trailing(url: str) -> str:
    """Cut sentence punctuation, quotes and unbalanced closing brackets off the end of `url`."""
    while url:
        last = url[-1]
        if last in _TRAILING_PUNCTUATION or last in _BRACKETS and url.count(last) > url.count(_BRACKETS[last]):
            url = url[:-1]
        else:
            break
    return url


def _has_valid_host(url: str) -> bool:
    return bool(_HOST_PATTERN.match(_hostname(url)))


def _hostname(url: str) -> str:
    """Return the lower-cased host of `url`, or "" when urllib cannot parse it (as "https://[::1")."""
    try:
        return (urlsplit(normalize_url(url)).hostname or "").lower()
    except ValueError:
        return ""


def normalize_url(url: str) -> str:
    """Give a URL found without a scheme ("www.x.org", "github.com/a/b") the ``https://`` scheme.

    A URL that has a scheme is returned unchanged, so it stays as the authors
    wrote it. The scheme is not lower-cased, and no trailing slash is added or
    removed.
    """
    if re.match(r"https?://", url, re.IGNORECASE):
        return url
    return f"https://{url}"


# --- Classification -------------------------------------------------------

# Hugging Face Hub paths whose first segment is a section of the site, not an
# organisation or user name, so "<segment>/<name>" there is not a model page.
_HUB_SECTIONS = frozenset(
    {
        "blog",
        "collections",
        "datasets",
        "docs",
        "join",
        "learn",
        "login",
        "models",
        "organizations",
        "papers",
        "posts",
        "pricing",
        "settings",
        "spaces",
        "tasks",
    }
)


def _segments(path: str) -> list[str]:
    return [segment for segment in path.split("/") if segment]


def _github_kind(segments: list[str]) -> LinkKind:
    # "github.com/owner" is a profile page, but it leads to the owner's source
    # code as much as a repository link does. The bare host is a plain web page.
    return LinkKind.CODE if segments else LinkKind.PROJECT


def _hub_kind(segments: list[str]) -> LinkKind:
    if not segments:
        return LinkKind.PROJECT
    section = segments[0].lower()
    if section == "datasets" and len(segments) >= 2:
        return LinkKind.DATASET
    if section == "papers" and len(segments) >= 2:
        return LinkKind.PAPER
    if section not in _HUB_SECTIONS and len(segments) >= 2:
        return LinkKind.MODEL
    # NOTE: a single segment is usually an organisation or user page ("huggingface.co/nvidia"),
    # but some older models also live there ("huggingface.co/gpt2"). Both count as project.
    return LinkKind.PROJECT


def _arxiv_kind(segments: list[str]) -> LinkKind:
    if segments and segments[0].lower() in {"abs", "pdf", "html", "format"}:
        return LinkKind.PAPER
    return LinkKind.PROJECT


def _kaggle_kind(segments: list[str]) -> LinkKind:
    if segments and segments[0].lower() == "datasets":
        return LinkKind.DATASET
    return LinkKind.PROJECT


def _zenodo_kind(segments: list[str]) -> LinkKind:
    # NOTE: Zenodo records also contain software releases. They count as datasets
    # on the assumption, not measured, that abstracts link Zenodo mostly for data.
    if segments and segments[0].lower() in {"record", "records"}:
        return LinkKind.DATASET
    return LinkKind.PROJECT


def _always(kind: LinkKind) -> Callable[[list[str]], LinkKind]:
    return lambda segments: kind


# Host name (without "www.") -> function of the path segments. A host not in
# this table is looked up again without its leftmost label, so
# "export.arxiv.org" falls back to "arxiv.org". Hosts that must not fall back
# are listed themselves ("gist.github.com" is code, "user.github.io" a project page).
_HOST_RULES: dict[str, Callable[[list[str]], LinkKind]] = {
    "github.com": _github_kind,
    "gist.github.com": _always(LinkKind.CODE),
    "raw.githubusercontent.com": _always(LinkKind.CODE),
    "gitlab.com": _github_kind,
    "bitbucket.org": _github_kind,
    "codeberg.org": _github_kind,
    "sourceforge.net": _always(LinkKind.CODE),
    "github.io": _always(LinkKind.PROJECT),
    "gitlab.io": _always(LinkKind.PROJECT),
    "sourceforge.io": _always(LinkKind.PROJECT),
    "huggingface.co": _hub_kind,
    "hf.co": _hub_kind,
    "kaggle.com": _kaggle_kind,
    "zenodo.org": _zenodo_kind,
    "arxiv.org": _arxiv_kind,
    "openreview.net": _always(LinkKind.PAPER),
    "aclanthology.org": _always(LinkKind.PAPER),
    "doi.org": _always(LinkKind.PAPER),
    "dx.doi.org": _always(LinkKind.PAPER),
    "proceedings.neurips.cc": _always(LinkKind.PAPER),
    "papers.nips.cc": _always(LinkKind.PAPER),
    "proceedings.mlr.press": _always(LinkKind.PAPER),
    "openaccess.thecvf.com": _always(LinkKind.PAPER),
}


def link_kind(url: str) -> LinkKind:
    """Classify a URL by the host and path it points to.

    Parameters
    ----------
    url : str
        A URL, with or without the scheme.

    Returns
    -------
    LinkKind
        - CODE: source repositories (GitHub, GitLab, Bitbucket, Codeberg,
          SourceForge, gists).
        - MODEL: Hugging Face model pages ("huggingface.co/<owner>/<name>").
        - DATASET: Hugging Face and Kaggle dataset pages, Zenodo records.
        - PAPER: arXiv abstracts and PDFs, OpenReview, the ACL Anthology, DOIs,
          Hugging Face paper pages and a few proceedings sites.
        - PROJECT: everything else, including GitHub Pages sites, Google Sites
          and Hugging Face Spaces.

    Examples
    --------
    >>> str(link_kind("https://github.com/kaiwenzha/rl-tango"))
    'code'
    >>> str(link_kind("https://huggingface.co/datasets/nvidia/HelpSteer2"))
    'dataset'
    >>> str(link_kind("https://socialdeductionllm.github.io/"))
    'project'
    """
    host = _hostname(url)
    host = host.removeprefix("www.")
    segments = _segments(urlsplit(normalize_url(url)).path) if host else []

    # Try the host, then each parent domain: "user.github.io" -> "github.io".
    labels = host.split(".")
    for index in range(len(labels) - 1):
        rule = _HOST_RULES.get(".".join(labels[index:]))
        if rule is not None:
            return rule(segments)
    return LinkKind.PROJECT


class LinkDetector(BatchedComponent):
    """Find the URLs in a Doc and classify them.

    Sets ``doc._.kg_links`` to a list of ``{"url", "kind", "start", "end"}``
    dicts in text order, one per occurrence: `start` and `end` are character
    offsets of the URL as written in ``doc.text``, `url` is that text after
    `normalize_url`, and `kind` is a `kg.model.LinkKind` value. Tokens are not
    changed or merged.
    """

    def __init__(self, nlp: Language, name: str) -> None:
        self.name = name
        register_extensions()

    def __call__(self, doc: Doc) -> Doc:
        text = token_table(doc, refresh_sentences=False).text
        links = []
        for start, end in find_urls(text):
            url = normalize_url(text[start:end])
            links.append({"url": url, "kind": str(link_kind(url)), "start": start, "end": end})
        doc._.set(LINKS, links)
        return doc
