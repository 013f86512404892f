"""Tests of URL finding, URL classification and the link component."""

from __future__ import annotations

from pathlib import Path

import pytest
import spacy
from hypothesis import given
from hypothesis import strategies as st
from spacy.language import Language
from spacy.tokens import Doc, DocBin

import kg.nlp
from kg.extract import make_doc
from kg.model import LinkKind, Paper
from kg.nlp import links as links_module
from kg.nlp.extensions import LINKS
from kg.nlp.links import LinkDetector, find_urls, link_kind, normalize_url

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "daily-papers-sep-11.txt"

# Every URL of the example page, in page order, with its kind.
EXAMPLE_LINKS = [
    ("https://github.com/kaiwenzha/rl-tango", LinkKind.CODE),
    ("https://github.com/DIG-Beihang/AMI", LinkKind.CODE),
    ("https://github.com/lwq20020127/Q-Insight", LinkKind.CODE),
    ("https://github.com/TianHongZXY/RLVR-Decomposed", LinkKind.CODE),
    ("https://sites.google.com/view/adversarial-cheap-talk", LinkKind.PROJECT),
    ("https://github.com/DingyiZhang/ToMMA-CToMPersu", LinkKind.CODE),
    ("https://github.com/sotopia-lab/sotopia-rl", LinkKind.CODE),
    ("https://huggingface.co/sarosavo/Master-RM", LinkKind.MODEL),
    ("https://huggingface.co/datasets/sarosavo/Master-RM", LinkKind.DATASET),
    ("https://sites.google.com/view/information-empowerment", LinkKind.PROJECT),
    ("https://github.com/safelix/dinopl", LinkKind.CODE),
    ("https://huggingface.co/Skywork/Skywork-R1V2-38B", LinkKind.MODEL),
    ("https://github.com/Brain-Cog-Lab/IEMF", LinkKind.CODE),
    ("https://sites.google.com/view/mamql", LinkKind.PROJECT),
    ("https://socialdeductionllm.github.io/", LinkKind.PROJECT),
    ("https://github.com/kreimanlab/VisualSearchAsymmetry", LinkKind.CODE),
    ("https://huggingface.co/datasets/nvidia/HelpSteer2", LinkKind.DATASET),
    ("https://huggingface.co/nvidia/Llama-3.1-Nemotron-70B-Reward", LinkKind.MODEL),
    ("https://github.com/cassidylaidlaw/orpo", LinkKind.CODE),
]


@pytest.fixture(scope="module")
def nlp() -> Language:
    return kg.nlp.create_pipeline()


def _found(text: str) -> list[str]:
    return [text[start:end] for start, end in find_urls(text)]


def _links(nlp: Language, title: str, abstract: str = "") -> list[dict]:
    doc = nlp(make_doc(nlp, Paper(id="p", title=title, abstract=abstract)))
    return doc._.get(LINKS)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Code is at: https://github.com/kaiwenzha/rl-tango.", ["https://github.com/kaiwenzha/rl-tango"]),
        ("(see https://github.com/a/b).", ["https://github.com/a/b"]),
        ("See https://github.com/a/b, https://x.org/c; and https://y.org/d!", ["https://github.com/a/b", "https://x.org/c", "https://y.org/d"]),
        (
            "Python (https://en.wikipedia.org/wiki/Python_(programming_language)).",
            ["https://en.wikipedia.org/wiki/Python_(programming_language)"],
        ),
        ("Data [https://x.org/a[1]].", ["https://x.org/a[1]"]),
        ('Code: "https://github.com/a/b".', ["https://github.com/a/b"]),
        ("Demo at https://x.org/p?q=1&r=two#results.", ["https://x.org/p?q=1&r=two#results"]),
        ("Really? https://x.org/faq?", ["https://x.org/faq"]),
        ("Available at https://sites.google.com/view/mamql .", ["https://sites.google.com/view/mamql"]),
        ("Site: https://socialdeductionllm.github.io/", ["https://socialdeductionllm.github.io/"]),
        ("Code is available\nat https://github.com/a/b\nand data at\nhttps://x.org/d.", ["https://github.com/a/b", "https://x.org/d"]),
        ("Visit www.example.org/page, or not.", ["www.example.org/page"]),
        ("Code: github.com/owner/repo.", ["github.com/owner/repo"]),
        ("Weights: huggingface.co/org/model and hf.co/datasets/org/set.", ["huggingface.co/org/model", "hf.co/datasets/org/set"]),
        ("\\url{https://github.com/a/b} and <https://x.org/c>", ["https://github.com/a/b", "https://x.org/c"]),
        ("[code](https://github.com/a/b)", ["https://github.com/a/b"]),
        ("Our code: HTTPS://GitHub.com/A/B.", ["HTTPS://GitHub.com/A/B"]),
        ("代码见https://github.com/a/b。", ["https://github.com/a/b"]),
    ],
)
def test_find_urls_cases(text: str, expected: list[str]) -> None:
    assert _found(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "We host it on github.com and huggingface.co.",
        "Mail me@github.com/x or see api.github.com/x",
        "A bare https:// prefix, https://localhost/x and https://[::1/x",
        "The www. prefix alone",
        "",
    ],
)
def test_find_urls_rejects_non_urls(text: str) -> None:
    assert find_urls(text) == []


def test_find_urls_offsets_in_text_order() -> None:
    text = "b https://x.org/2 a https://x.org/1"
    assert find_urls(text) == [(2, 17), (20, 35)]


def test_find_urls_stops_at_markup() -> None:
    urls = _found('Code <a href="https://x.org/a">https://x.org/b<script>alert(1)</script></a>')
    assert urls == ["https://x.org/a", "https://x.org/b"]


def test_find_urls_no_iri_forbidden_characters() -> None:
    text = 'https://x.org/a"b https://x.org/c<d https://x.org/e{f} https://x.org/g|h https://x.org/i\\j https://x.org/k`l'
    forbidden = set('"<>{}|\\^`')
    assert all(not forbidden & set(url) for url in _found(text))


def test_find_urls_line_broken_url_is_cut() -> None:
    # A known limit: the break ends the URL (documented in find_urls).
    assert _found("Code: https://github.com/\nowner/repo") == ["https://github.com/"]


@pytest.mark.parametrize(
    ("url", "kind"),
    [
        ("https://github.com/kaiwenzha/rl-tango", LinkKind.CODE),
        ("https://github.com/owner", LinkKind.CODE),
        ("https://github.com", LinkKind.PROJECT),
        ("https://www.github.com/a/b", LinkKind.CODE),
        ("https://gist.github.com/u/0123abcd", LinkKind.CODE),
        ("https://gitlab.com/group/project", LinkKind.CODE),
        ("https://bitbucket.org/team/repo", LinkKind.CODE),
        ("https://codeberg.org/user/repo", LinkKind.CODE),
        ("https://sourceforge.net/projects/tool/", LinkKind.CODE),
        ("https://huggingface.co/sarosavo/Master-RM", LinkKind.MODEL),
        ("https://hf.co/org/model", LinkKind.MODEL),
        ("https://huggingface.co/datasets/sarosavo/Master-RM", LinkKind.DATASET),
        ("https://huggingface.co/datasets", LinkKind.PROJECT),
        ("https://huggingface.co/spaces/org/demo", LinkKind.PROJECT),
        ("https://huggingface.co/papers/2401.00001", LinkKind.PAPER),
        ("https://huggingface.co/nvidia", LinkKind.PROJECT),
        ("https://huggingface.co/docs/transformers", LinkKind.PROJECT),
        ("https://www.kaggle.com/datasets/owner/name", LinkKind.DATASET),
        ("https://www.kaggle.com/competitions/name", LinkKind.PROJECT),
        ("https://zenodo.org/records/123456", LinkKind.DATASET),
        ("https://arxiv.org/abs/2401.00001", LinkKind.PAPER),
        ("https://arxiv.org/pdf/2401.00001v2", LinkKind.PAPER),
        ("https://export.arxiv.org/abs/2401.00001", LinkKind.PAPER),
        ("https://arxiv.org/list/cs.LG/recent", LinkKind.PROJECT),
        ("https://openreview.net/forum?id=abc", LinkKind.PAPER),
        ("https://aclanthology.org/2023.acl-long.1/", LinkKind.PAPER),
        ("https://doi.org/10.1000/xyz", LinkKind.PAPER),
        ("https://socialdeductionllm.github.io/", LinkKind.PROJECT),
        ("https://sites.google.com/view/mamql", LinkKind.PROJECT),
        ("https://example.org/", LinkKind.PROJECT),
        ("github.com/a/b", LinkKind.CODE),
        ("HTTPS://GITHUB.COM/A/B", LinkKind.CODE),
        ("not a url", LinkKind.PROJECT),
    ],
)
def test_link_kind_cases(url: str, kind: LinkKind) -> None:
    assert link_kind(url) == kind


def test_normalize_url_adds_scheme() -> None:
    assert normalize_url("github.com/a/b") == "https://github.com/a/b"


def test_normalize_url_keeps_scheme() -> None:
    assert normalize_url("http://x.org/A") == "http://x.org/A"


def test_component_alone_sets_links() -> None:
    blank = spacy.blank("en")
    doc = LinkDetector(blank, "kg_links")(blank.make_doc("Code: www.x.org/a."))
    assert doc._.get(LINKS) == [{"url": "https://www.x.org/a", "kind": "project", "start": 6, "end": 17}]


def test_component_alone_no_urls() -> None:
    blank = spacy.blank("en")
    doc = LinkDetector(blank, "kg_links")(blank.make_doc("No links here."))
    assert doc._.get(LINKS) == []


def test_pipeline_offsets_cover_url(nlp: Language) -> None:
    links = _links(nlp, "A title", "Code is at https://github.com/a/b.")
    link = links[0]
    doc_text = "A title\n\nCode is at https://github.com/a/b."
    assert doc_text[link["start"] : link["end"]] == "https://github.com/a/b"


def test_pipeline_url_in_title(nlp: Language) -> None:
    links = _links(nlp, "Benchmarks at https://x.org/bench", "We study it.")
    assert [(link["url"], link["end"]) for link in links] == [("https://x.org/bench", 33)]


def test_pipeline_url_in_title_only_doc(nlp: Language) -> None:
    links = _links(nlp, "See github.com/a/b")
    assert [link["url"] for link in links] == ["https://github.com/a/b"]


def test_pipeline_url_in_parentheses(nlp: Language) -> None:
    links = _links(nlp, "A title", "Our method (code: https://github.com/a/b) works.")
    assert [link["url"] for link in links] == ["https://github.com/a/b"]


def test_pipeline_example_page_links(nlp: Language) -> None:
    text = EXAMPLE.read_text(encoding="utf-8")
    doc = nlp(text)
    found = [(link["url"], LinkKind(link["kind"])) for link in doc._.get(LINKS)]
    assert found == EXAMPLE_LINKS


def test_docbin_round_trip_keeps_links(nlp: Language) -> None:
    doc = nlp(make_doc(nlp, Paper(id="p", title="T", abstract="Code: https://github.com/a/b.")))
    doc_bin = DocBin(store_user_data=True)
    doc_bin.add(doc)
    restored: Doc = next(DocBin().from_bytes(doc_bin.to_bytes()).get_docs(nlp.vocab))
    # msgpack, which DocBin uses, gives lists back as tuples.
    assert list(restored._.get(LINKS)) == doc._.get(LINKS)


# Pieces of text around the places where a URL can start, including the
# non-ASCII letters that Python's case-insensitive matching equates with
# "i", "s" and "k" ("\u0131", "\u0130", "\u017f", "\u212a").
_URL_PIECES = [
    "http", "https", "HTTP", "://", "www.", "WWW.", "wWw.", "github.com", "GitHub.COM/", "g\u0131thub.com/",
    "G\u0130THUB.com/", "hf.co/", "HF.CO/", "/", "a", "b.c", ".", ":", "@", "-", " ", "\n", "x/y", "\u017f",
    "\u212a", "doi.org/10.1/x", "api.github.com/x", "(", ")", "arXiv.org/abs/1", "bitbuc\u212aet.org/",
    "openreview.net/", "and/or",
]


def _urls_by_full_scan(text: str) -> list[tuple[int, int]]:
    """find_urls as a scan of the whole text with the URL pattern, which find_urls avoids for speed."""
    found = []
    for match in links_module._URL_PATTERN.finditer(text):
        start = match.start()
        end = start + len(links_module._strip_trailing(match.group()))
        if links_module._has_valid_host(text[start:end]):
            found.append((start, end))
    return found


@given(st.lists(st.sampled_from(_URL_PIECES), max_size=14).map("".join))
def test_find_urls_equals_full_scan(text: str) -> None:
    assert find_urls(text) == _urls_by_full_scan(text)


def test_find_urls_equals_full_scan_on_example(example_page: Path) -> None:
    text = example_page.read_text(encoding="utf-8")
    assert find_urls(text) == _urls_by_full_scan(text)
    assert len(find_urls(text)) > 10
