"""Authors, identifiers, dates and structured links as graph data, from reader to graph, RDF and viewer."""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import Literal, URIRef
from rdflib.namespace import DCTERMS, PROV, RDF, SDO, XSD

from kg.extract import extract
from kg.graph import (
    AUTHOR_TYPE,
    AUTHORED_BY,
    HAS_CODE,
    LINKS_TO,
    author_key,
    author_node_id,
    build_graph,
    paper_node_id,
    read_graphml,
    write_graphml,
)
from kg.model import Field, Paper, PaperExtraction
from kg.nlp.pipeline import create_pipeline
from kg.rdf import BIBO, KG, graph_to_rdf, mint_iri
from kg.sources import read_papers
from kg.viewer import render_html

DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture(scope="module")
def nlp():
    return create_pipeline()


def paper(**fields) -> Paper:
    values = {"id": "2409.01234", "title": "Verifier-Guided Decoding", "abstract": "We present VGD."}
    values.update(fields)
    return Paper(**values)


def graph_of(*papers: Paper):
    return build_graph(PaperExtraction(paper=item) for item in papers)


# --- graph -----------------------------------------------------------------------------


def test_author_nodes_from_ids() -> None:
    graph = graph_of(paper(authors=("Dev Raman", "Ingrid Solberg"), author_ids=("s2:1741101", "")))
    assert graph.nodes[author_node_id("s2:1741101")]["name"] == "Dev Raman"
    assert graph.nodes[author_node_id("name:ingrid solberg")]["type"] == AUTHOR_TYPE
    assert graph.nodes[author_node_id("s2:1741101")]["author_id"] == "s2:1741101"


def test_authored_by_keeps_order() -> None:
    graph = graph_of(paper(authors=("Hannah Okafor", "Lukas Brenner", "Wen-Li Zhao")))
    edges = graph.out_edges(paper_node_id("2409.01234"), keys=True, data=True)
    positions = {target: data["position"] for _, target, key, data in edges if key == AUTHORED_BY}
    assert positions == {
        author_node_id("name:hannah okafor"): 1,
        author_node_id("name:lukas brenner"): 2,
        author_node_id("name:wen-li zhao"): 3,
    }


def test_namesakes_share_node() -> None:
    graph = graph_of(
        paper(id="a", authors=("Peter J. Halloran",)),
        paper(id="b", title="Another", authors=("Peter J Halloran",)),
    )
    node = graph.nodes[author_node_id("name:peter j halloran")]
    assert node["papers"] == ["a", "b"]


def test_author_name_independent_of_order() -> None:
    first = paper(id="a", authors=("J. Smith",))
    second = paper(id="b", title="Another", authors=("J Smith",))
    names = {graph_of(*order).nodes[author_node_id("name:j smith")]["name"] for order in ([first, second], [second, first])}
    assert names == {"J Smith"}


def test_author_ids_mismatch_ignored() -> None:
    graph = graph_of(paper(authors=("A One", "B Two"), author_ids=("s2:1",)))
    assert author_node_id("name:a one") in graph
    assert author_node_id("s2:1") not in graph


def test_paper_identifier_attributes() -> None:
    graph = graph_of(paper(arxiv_id="2409.01234", doi="10.48550/arXiv.2409.01234", categories=("cs.CL", "cs.LG")))
    data = graph.nodes[paper_node_id("2409.01234")]
    assert data["arxiv_id"] == "2409.01234"
    assert data["doi"] == "10.48550/arXiv.2409.01234"
    assert data["categories"] == ["cs.CL", "cs.LG"]


def test_graphml_round_trip_authors(tmp_path: Path) -> None:
    graph = graph_of(paper(authors=("Hannah Okafor",), categories=("cs.CL",)))
    write_graphml(graph, tmp_path / "graph.graphml")
    loaded = read_graphml(tmp_path / "graph.graphml")
    assert loaded.nodes[author_node_id("name:hannah okafor")]["papers"] == ["2409.01234"]
    assert loaded.nodes[paper_node_id("2409.01234")]["categories"] == ["cs.CL"]
    assert set(graph_to_rdf(loaded)) == set(graph_to_rdf(graph))


def test_author_key_folds_case_and_dots() -> None:
    assert author_key("MÜLLER,  J.") == author_key("Müller J")


# --- structured links ---------------------------------------------------------------------


def test_metadata_links_become_edges(nlp) -> None:
    (extraction,) = extract([paper(links=("https://github.com/vgd-lab/vgd", "https://vgd.example.org"))], nlp)
    graph = build_graph([extraction])
    source = paper_node_id("2409.01234")
    assert graph.has_edge(source, "link:https://github.com/vgd-lab/vgd", key=HAS_CODE)
    assert graph.has_edge(source, "link:https://vgd.example.org", key=LINKS_TO)
    edge = graph.edges[source, "link:https://github.com/vgd-lab/vgd", HAS_CODE]
    assert edge["field"] == str(Field.METADATA)


def test_metadata_link_not_duplicated(nlp) -> None:
    text_paper = paper(
        abstract="We present VGD. Code: https://github.com/vgd-lab/vgd.", links=("https://github.com/vgd-lab/VGD/",)
    )
    (extraction,) = extract([text_paper], nlp)
    assert [link.url for link in extraction.links] == ["https://github.com/vgd-lab/vgd"]
    assert extraction.links[0].mention.field == Field.ABSTRACT


def test_daily_papers_build_links(nlp) -> None:
    papers = list(read_papers(DATA / "hf-daily-2025-09-11.json"))
    graph = build_graph(extract(papers, nlp))
    code = [target for _, target, key in graph.out_edges(paper_node_id("2509.08817"), keys=True) if key == HAS_CODE]
    assert code == ["link:https://github.com/stepforge/stepforge"]
    assert graph.has_edge(paper_node_id("2509.08502"), "link:https://longhaul-bench.org", key=LINKS_TO)


# --- RDF ----------------------------------------------------------------------------------


def test_rdf_creator_and_position() -> None:
    rdf = graph_to_rdf(graph_of(paper(authors=("Hannah Okafor", "Lukas Brenner"), author_ids=("", "s2:2144556012"))))
    subject = mint_iri("paper", "2409.01234")
    second = mint_iri("author", "s2:2144556012")
    assert (subject, DCTERMS.creator, second) in rdf
    attributions = {rdf.value(item, KG.authorPosition): rdf.value(item, PROV.agent) for item in rdf.objects(subject, PROV.qualifiedAttribution)}
    assert attributions == {Literal(1): mint_iri("author", "name:hannah okafor"), Literal(2): second}
    assert rdf.value(second, SDO.name) == Literal("Lukas Brenner")
    assert (second, RDF.type, KG.Author) in rdf


def test_rdf_identifiers() -> None:
    rdf = graph_to_rdf(graph_of(paper(arxiv_id="2409.01234", doi="10.1002/(SICI)1097-4571(199806)49:8", categories=("cs.CL",))))
    subject = mint_iri("paper", "2409.01234")
    assert rdf.value(subject, KG.arxivId) == Literal("2409.01234")
    assert rdf.value(subject, BIBO.doi) == Literal("10.1002/(SICI)1097-4571(199806)49:8")
    assert set(rdf.objects(subject, SDO.sameAs)) == {
        URIRef("https://arxiv.org/abs/2409.01234"),
        URIRef("https://doi.org/10.1002/%28SICI%291097-4571%28199806%2949:8"),
    }
    assert set(rdf.objects(subject, KG.arxivCategory)) == {Literal("cs.CL")}


@pytest.mark.parametrize(("date", "datatype"), [("2024-09-02", XSD.date), ("2024-09", XSD.gYearMonth), ("2024", XSD.gYear), ("Sept. 2024", None)])
def test_rdf_date_types(date: str, datatype) -> None:
    rdf = graph_to_rdf(graph_of(paper(date=date)))
    assert rdf.value(mint_iri("paper", "2409.01234"), DCTERMS.issued) == Literal(date, datatype=datatype)


def test_rdf_odd_arxiv_id_literal_only() -> None:
    rdf = graph_to_rdf(graph_of(paper(arxiv_id="2409.01234> <x")))
    subject = mint_iri("paper", "2409.01234")
    assert rdf.value(subject, KG.arxivId) == Literal("2409.01234> <x")
    assert list(rdf.objects(subject, SDO.sameAs)) == []


@pytest.mark.parametrize(
    "fixture", ["hf-daily-2025-09-11.json", "arxiv-query.atom", "s2-search.json", "papers.bib", "papers.tsv", "abstracts"]
)
def test_fixture_graph_conforms(fixture: str, nlp, check_shapes) -> None:
    papers = list(read_papers(DATA / fixture))
    check_shapes(build_graph(extract(papers, nlp)))


# --- viewer ---------------------------------------------------------------------------------


def test_viewer_legend_has_author() -> None:
    html = render_html(graph_of(paper(authors=("Hannah Okafor",))))
    legend = html[html.index('id="kg-legend"') : html.index("</aside>")]
    assert "<span>Author</span>" in legend
    assert "<span>authored by</span>" in legend
