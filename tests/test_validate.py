"""SHACL validation, VoID descriptions, language tags, and the validate and export commands."""

from __future__ import annotations

import datetime
import json
import shutil
import subprocess
from pathlib import Path

import pyoxigraph
import pytest
from click.testing import CliRunner
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCAT, DCTERMS, RDF, SKOS, VOID, XSD

from kg.cli import cli
from kg.errors import ConfigError, InputError
from kg.graph import write_graphml
from kg.language import normalize_language_tag
from kg.rdf import KG, RDF_FORMATS, graph_to_rdf, mint_iri, write_rdf
from kg.sources import read_jsonl
from kg.validate import load_rdf, validate_rdf
from kg.void import describe_dataset, write_void
from rdf_samples import sample_graph, two_paper_graph

CREATED = datetime.datetime(2025, 9, 11, 12, 0, tzinfo=datetime.timezone.utc)


@pytest.fixture()
def build_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "build"
    folder.mkdir()
    write_graphml(two_paper_graph(), folder / "graph.graphml")
    return folder


def test_sample_conforms() -> None:
    report = validate_rdf(graph_to_rdf(two_paper_graph()))
    assert report.conforms
    assert report.violations == ()


def test_missing_label_reported() -> None:
    rdf = graph_to_rdf(sample_graph())
    dataset = mint_iri("entity", "processbench")
    rdf.remove((dataset, SKOS.prefLabel, None))
    report = validate_rdf(rdf)
    assert not report.conforms
    assert [(v.focus, v.path) for v in report.violations] == [(f"<{dataset}>", "skos:prefLabel")]


def test_two_entity_types_reported() -> None:
    rdf = graph_to_rdf(sample_graph())
    rdf.add((mint_iri("entity", "processbench"), RDF.type, KG.Task))
    messages = [v.message for v in validate_rdf(rdf).violations]
    assert any("exactly one of the types" in message for message in messages)


def test_statement_without_triple_reported() -> None:
    rdf = graph_to_rdf(sample_graph())
    rdf.remove((mint_iri("paper", "rl-tango"), KG.evaluatedOn, None))
    messages = [v.message for v in validate_rdf(rdf).violations]
    assert any("direct triple" in message for message in messages)


def test_bad_merge_reason_reported() -> None:
    rdf = graph_to_rdf(sample_graph())
    alias = next(rdf.objects(mint_iri("entity", "processbench"), KG.hasAlias))
    rdf.set((alias, KG.mergeReason, Literal("guess")))
    report = validate_rdf(rdf)
    assert [v.path for v in report.violations] == ["kg:mergeReason"]


def test_result_string_value_reported() -> None:
    report = validate_rdf(graph_to_rdf(sample_graph(value="n/a")))
    assert [(v.path, v.value) for v in report.violations] == [("kg:value", '"n/a"')]


def test_summary_zero_count_reported() -> None:
    rdf = graph_to_rdf(sample_graph())
    summary = next(rdf.subjects(RDF.type, KG.EvaluationSummary))
    rdf.set((summary, KG.paperCount, Literal(0)))
    report = validate_rdf(rdf)
    assert [(v.path, v.value) for v in report.violations] == [("kg:paperCount", '"0"^^xsd:integer')]


def test_summary_of_dataset_reported() -> None:
    rdf = graph_to_rdf(sample_graph())
    summary = next(rdf.subjects(RDF.type, KG.EvaluationSummary))
    rdf.set((summary, KG.method, mint_iri("entity", "processbench")))
    report = validate_rdf(rdf)
    assert [v.path for v in report.violations] == ["kg:method"]


def test_load_rdf_every_format(tmp_path: Path) -> None:
    expected = set(graph_to_rdf(sample_graph()))
    for rdf_format, suffix in RDF_FORMATS.items():
        path = tmp_path / f"graph{suffix}"
        write_rdf(sample_graph(), path, format=rdf_format)
        assert set(load_rdf(path)) == expected, rdf_format


def test_load_rdf_unknown_suffix(tmp_path: Path) -> None:
    path = tmp_path / "graph.xml"
    path.write_text("<rdf/>", encoding="utf-8")
    with pytest.raises(InputError, match=".graphml"):
        load_rdf(path)


def test_load_rdf_invalid_file(tmp_path: Path) -> None:
    path = tmp_path / "graph.ttl"
    path.write_text("<a> <b> .", encoding="utf-8")
    with pytest.raises(InputError, match="graph.ttl"):
        load_rdf(path)


def test_validate_cli_conforms(build_folder: Path) -> None:
    result = CliRunner().invoke(cli, ["validate", str(build_folder)])
    assert result.exit_code == 0, result.output
    assert "conform" in result.output


def test_validate_cli_reports(tmp_path: Path) -> None:
    rdf = graph_to_rdf(sample_graph())
    rdf.remove((mint_iri("entity", "processbench"), SKOS.prefLabel, None))
    path = tmp_path / "broken.ttl"
    rdf.serialize(path, format="turtle")
    result = CliRunner().invoke(cli, ["validate", str(path)])
    assert result.exit_code == 1
    assert "Violation: <https://w3id.org/kg-papers/id/entity/processbench> skos:prefLabel:" in result.output


def test_validate_cli_missing_file(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["validate", str(tmp_path / "absent.ttl")])
    assert result.exit_code == 1
    assert "file not found" in str(result.exception)


@pytest.mark.parametrize("rdf_format", list(RDF_FORMATS))
def test_export_cli_writes_file(build_folder: Path, rdf_format: str) -> None:
    result = CliRunner().invoke(cli, ["export", str(build_folder), "--format", rdf_format])
    assert result.exit_code == 0, result.output
    path = build_folder / f"graph{RDF_FORMATS[rdf_format]}"
    assert set(load_rdf(path)) == set(graph_to_rdf(two_paper_graph()))
    assert (build_folder / "void.ttl").is_file()


def test_export_cli_out_and_base(build_folder: Path, tmp_path: Path) -> None:
    out = tmp_path / "elsewhere" / "kg.nt"
    out.parent.mkdir()
    result = CliRunner().invoke(cli, ["export", str(build_folder / "graph.graphml"), "--format", "ntriples", "--out", str(out), "--base-iri", "https://e.org/id/"])
    assert result.exit_code == 0, result.output
    assert "<https://e.org/id/paper/rl-tango>" in out.read_text(encoding="utf-8")
    assert (out.parent / "void.ttl").is_file()


def test_export_void_lists_siblings(build_folder: Path) -> None:
    runner = CliRunner()
    assert runner.invoke(cli, ["export", str(build_folder), "--format", "turtle"]).exit_code == 0
    assert runner.invoke(cli, ["export", str(build_folder), "--format", "nquads"]).exit_code == 0
    void = Graph().parse(build_folder / "void.ttl", format="turtle")
    dumps = {Path(str(dump).removeprefix("file://")).name for dump in void.objects(None, VOID.dataDump)}
    assert dumps == {"graph.ttl", "graph.nq"}


def test_export_cli_bad_format(build_folder: Path) -> None:
    result = CliRunner().invoke(cli, ["export", str(build_folder), "--format", "rdfxml"])
    assert result.exit_code == 2


def test_export_cli_not_graphml(tmp_path: Path) -> None:
    path = tmp_path / "graph.ttl"
    path.write_text("", encoding="utf-8")
    result = CliRunner().invoke(cli, ["export", str(path), "--format", "turtle"])
    assert result.exit_code == 1
    assert ".graphml" in str(result.exception)


def write_sample_void(folder: Path, *, license_iri: str | None = None) -> Graph:
    rdf = graph_to_rdf(sample_graph())
    dumps = {}
    for rdf_format in ("turtle", "jsonld"):
        dumps[rdf_format] = folder / f"graph{RDF_FORMATS[rdf_format]}"
        write_rdf(sample_graph(), dumps[rdf_format], format=rdf_format)
    write_void(folder / "void.ttl", rdf, dumps, created=CREATED, sources=["daily.txt"], license_iri=license_iri)
    return Graph().parse(folder / "void.ttl", format="turtle")


def dataset_node(void: Graph) -> URIRef:
    return next(void.subjects(RDF.type, VOID.Dataset))


def test_void_counts(tmp_path: Path) -> None:
    void = write_sample_void(tmp_path)
    rdf = graph_to_rdf(sample_graph())
    dataset = dataset_node(void)
    assert void.value(dataset, VOID.triples) == Literal(len(rdf))
    assert void.value(dataset, VOID.entities) == Literal(len(set(rdf.subjects(RDF.type, KG.Entity))))
    partitions = {void.value(p, VOID["class"]): void.value(p, VOID.entities).toPython() for p in void.objects(dataset, VOID.classPartition)}
    assert partitions[KG.Result] == 2


def test_void_dumps_resolve(tmp_path: Path) -> None:
    void = write_sample_void(tmp_path)
    dumps = sorted(str(dump) for dump in void.objects(dataset_node(void), VOID.dataDump))
    assert dumps == [(tmp_path / "graph.jsonld").as_uri(), (tmp_path / "graph.ttl").as_uri()]


def test_void_metadata(tmp_path: Path) -> None:
    void = write_sample_void(tmp_path, license_iri="https://creativecommons.org/licenses/by/4.0/")
    dataset = dataset_node(void)
    assert void.value(dataset, DCTERMS.license) == URIRef("https://creativecommons.org/licenses/by/4.0/")
    assert void.value(dataset, DCTERMS.created) == Literal("2025-09-11T12:00:00+00:00", datatype=XSD.dateTime)
    assert void.value(dataset, DCTERMS.source) == Literal("daily.txt")
    assert (dataset, RDF.type, DCAT.Dataset) in void


def test_void_no_license_by_default(tmp_path: Path) -> None:
    void = write_sample_void(tmp_path)
    assert void.value(dataset_node(void), DCTERMS.license) is None


def test_void_distribution_media_type(tmp_path: Path) -> None:
    void = write_sample_void(tmp_path)
    dump = URIRef((tmp_path / "graph.jsonld").as_uri())
    assert str(void.value(dump, DCAT.mediaType)).endswith("application/ld+json")
    assert void.value(dump, DCAT.byteSize).toPython() == (tmp_path / "graph.jsonld").stat().st_size


def test_void_parsers_agree(tmp_path: Path) -> None:
    void = write_sample_void(tmp_path)
    path = tmp_path / "void.ttl"
    count = sum(1 for _ in pyoxigraph.parse(path=path, format=pyoxigraph.RdfFormat.TURTLE, base_iri=path.as_uri()))
    assert count == len(void)
    if shutil.which("rapper") is not None:
        completed = subprocess.run(["rapper", "--count", "--input", "turtle", str(path)], capture_output=True, text=True, check=True)
        assert int(completed.stderr.strip().splitlines()[-1].split()[3]) == len(void)


def test_void_invalid_license() -> None:
    with pytest.raises(ConfigError, match="license"):
        describe_dataset(Graph(), {}, created=CREATED, license_iri="CC BY 4.0")


@pytest.fixture()
def small_input(tmp_path: Path) -> Path:
    path = tmp_path / "papers.jsonl"
    records = [
        {"id": "p1", "title": "Tango: A Verifier", "language": "en_US", "abstract": "We propose Tango, a novel framework. "
         "The verifier leads on the ProcessBench dataset. Code: https://github.com/kaiwenzha/rl-tango."},
        {"id": "p2", "title": "Only a title"},
    ]
    path.write_text("".join(json.dumps(record) + "\n" for record in records), encoding="utf-8")
    return path


def test_build_rdf_formats(tmp_path: Path, small_input: Path) -> None:
    out = tmp_path / "out"
    arguments = ["build", str(small_input), "--out", str(out), "--rdf-format", "ntriples", "--rdf-format", "jsonld"]
    result = CliRunner().invoke(cli, [*arguments, "--license", "https://creativecommons.org/licenses/by/4.0/"])
    assert result.exit_code == 0, result.output
    assert not (out / "graph.ttl").exists()
    assert set(load_rdf(out / "graph.nt")) == set(load_rdf(out / "graph.jsonld"))
    void = Graph().parse(out / "void.ttl", format="turtle")
    assert len(set(void.objects(None, VOID.dataDump))) == 2
    assert void.value(dataset_node(void), DCTERMS.source) == Literal("papers.jsonl")


def test_build_language_tag(tmp_path: Path, small_input: Path) -> None:
    out = tmp_path / "out"
    assert CliRunner().invoke(cli, ["build", str(small_input), "--out", str(out)]).exit_code == 0
    titles = {literal.language for literal in load_rdf(out / "graph.ttl").objects(None, DCTERMS.title)}
    assert titles == {"en-US", None}


def test_build_invalid_license_usage_error(tmp_path: Path, small_input: Path) -> None:
    result = CliRunner().invoke(cli, ["build", str(small_input), "--out", str(tmp_path / "out"), "--license", "CC BY"])
    assert result.exit_code != 0
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("tag", "expected"),
    [("en", "en"), ("en_US", "en-US"), ("EN-us", "en-US"), ("zh-hant-tw", "zh-Hant-TW"), ("de-CH-x-phonebk", "de-CH-x-phonebk"), ("sl-rozaj-1994", "sl-rozaj-1994"),
     ("x-Klingon", "x-klingon"), ("I-Klingon", "i-klingon")],
)
def test_language_tag_normalised(tag: str, expected: str) -> None:
    assert normalize_language_tag(tag) == expected


@pytest.mark.parametrize("tag", ["", "e", "x", "x-", "en US", "en-", "englishlanguage", 'en"', "en>x", "en-\u00fc"])
def test_language_tag_invalid(tag: str) -> None:
    with pytest.raises(ValueError, match="invalid language tag"):
        normalize_language_tag(tag)


def test_jsonl_language_read(tmp_path: Path) -> None:
    path = tmp_path / "papers.jsonl"
    path.write_text(json.dumps({"title": "T", "language": "pt_br"}) + "\n", encoding="utf-8")
    assert [paper.language for paper in read_jsonl(path)] == ["pt-BR"]


def test_jsonl_language_invalid_named(tmp_path: Path) -> None:
    path = tmp_path / "papers.jsonl"
    path.write_text(json.dumps({"title": "T", "language": "en US"}) + "\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"papers.jsonl, record 1: field 'language'"):
        list(read_jsonl(path))
