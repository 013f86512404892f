from __future__ import annotations

import csv
import io
import json
import os
import re
import time
from pathlib import Path

import pytest

from kg.errors import ConfigError, InputError, QueryError
from kg.graph import build_graph
from kg.model import (
    EntityType,
    ExtractedEntity,
    Field,
    Link,
    LinkKind,
    Mention,
    Paper,
    PaperExtraction,
    Relation,
    RelationType,
)
from kg.query import MAX_CELL_WIDTH, QueryResult, format_results, run_query
from kg.rdf import graph_to_rdf, write_turtle
from kg.resolve import entity_key

REPOSITORY = Path(__file__).resolve().parent.parent
DOCS = REPOSITORY / "docs" / "rdf.md"

PROCESSBENCH_QUERY = """
SELECT DISTINCT ?title WHERE {
  ?paper kg:evaluatedOn ?dataset ; dcterms:title ?title .
  ?dataset skos:prefLabel|skos:altLabel ?name .
  FILTER(LCASE(STR(?name)) = "processbench")
}
ORDER BY ?title
"""

# Counts every combination of three triples: the cube of the store size, so
# it runs for minutes on the store of `slow_source`.
CROSS_JOIN_QUERY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?p ?x . ?b ?q ?y . ?c ?r ?z }"


def entity(name: str, entity_type: EntityType, sentence: str, *, proposed: bool = False, aliases: tuple[str, ...] = ()) -> ExtractedEntity:
    mention = Mention(name, 0, len(name), Field.ABSTRACT, sentence)
    return ExtractedEntity(name, entity_key(name), entity_type, proposed, (mention,), aliases)


def paper(paper_id: str, title: str, entities: list[ExtractedEntity], evaluated_on: list[str], links: tuple[Link, ...] = ()) -> PaperExtraction:
    relations = tuple(
        Relation(RelationType.EVALUATED_ON, "", entity_key(name), Mention(name, 0, len(name), Field.ABSTRACT, f"Results on {name}."))
        for name in evaluated_on
    )
    return PaperExtraction(
        paper=Paper(id=paper_id, title=title, abstract="An abstract."),
        entities=tuple(entities),
        links=links,
        relations=relations,
    )


def corpus() -> list[PaperExtraction]:
    code_sentence = "Code is at: https://github.com/kaiwenzha/rl-tango."
    code_link = Link(
        "https://github.com/kaiwenzha/rl-tango",
        LinkKind.CODE,
        Mention("https://github.com/kaiwenzha/rl-tango", 12, 49, Field.ABSTRACT, code_sentence),
    )
    return [
        paper(
            "rl-tango",
            "RL Tango: Reinforcing Generator and Verifier Together for Language Reasoning",
            [
                entity("Tango", EntityType.METHOD, "We propose Tango.", proposed=True),
                entity("ProcessBench", EntityType.DATASET, "The verifier leads on the ProcessBench dataset."),
            ],
            ["ProcessBench"],
            (code_link,),
        ),
        paper(
            "judges",
            "Judging the Judges",
            [entity("Process Verification Suite", EntityType.DATASET, "We test on it.", aliases=("ProcessBench",))],
            ["Process Verification Suite"],
        ),
        paper(
            "math-only",
            "A Paper That Only Mentions ProcessBench",
            [
                entity("ProcessBench", EntityType.DATASET, "Unlike ProcessBench, we ..."),
                entity("MATH", EntityType.DATASET, "We report accuracy on MATH."),
            ],
            ["MATH"],
        ),
    ]


@pytest.fixture(scope="module")
def build_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("build")
    write_turtle(graph_to_rdf(build_graph(corpus())), directory / "graph.ttl")
    return directory


@pytest.fixture(scope="module")
def slow_source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("slow") / "big.nt"
    lines = (f"<https://e.org/s{i}> <https://e.org/p> \"{i}\" .\n" for i in range(3000))
    path.write_text("".join(lines), encoding="utf-8")
    return path


def test_processbench_papers(build_dir: Path) -> None:
    result = run_query(build_dir, PROCESSBENCH_QUERY)
    titles = [row[0] for row in result.rows]
    assert titles == ["Judging the Judges", "RL Tango: Reinforcing Generator and Verifier Together for Language Reasoning"]


def test_select_columns(build_dir: Path) -> None:
    result = run_query(build_dir, PROCESSBENCH_QUERY)
    assert result.form == "select"
    assert result.columns == ("title",)


def test_select_unbound_is_none(build_dir: Path) -> None:
    result = run_query(build_dir / "graph.ttl", "SELECT ?p ?missing WHERE { ?p a kg:Paper } LIMIT 1")
    assert result.rows[0][1] is None


def test_nt_source(build_dir: Path, tmp_path: Path) -> None:
    from rdflib import Graph

    path = tmp_path / "graph.nt"
    Graph().parse(build_dir / "graph.ttl", format="turtle").serialize(path, format="nt", encoding="utf-8")
    assert run_query(path, PROCESSBENCH_QUERY).rows == run_query(build_dir, PROCESSBENCH_QUERY).rows


def test_query_prefix_overrides_default(build_dir: Path) -> None:
    query = "PREFIX kg: <https://e.org/other#> SELECT ?p WHERE { ?p kg:evaluatedOn ?d }"
    assert run_query(build_dir, query).rows == ()


def test_ask_boolean(build_dir: Path) -> None:
    result = run_query(build_dir, "ASK { ?p kg:proposes ?e }")
    assert result.form == "ask"
    assert result.rows == ((True,),)
    assert result.boolean is True


def test_construct_triples(build_dir: Path) -> None:
    result = run_query(build_dir, "CONSTRUCT { ?e skos:prefLabel ?n } WHERE { ?e a kg:Method ; skos:prefLabel ?n }")
    assert result.form == "triples"
    assert result.triples == ('<https://w3id.org/kg-papers/id/entity/tango> <http://www.w3.org/2004/02/skos/core#prefLabel> "Tango" .',)


def test_describe_triples(build_dir: Path) -> None:
    result = run_query(build_dir, "DESCRIBE <https://w3id.org/kg-papers/id/entity/tango>")
    assert result.triples
    assert all(line.endswith(" .") for line in result.triples)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not found"):
        run_query(tmp_path / "absent.ttl", "ASK {}")


def test_directory_without_graph(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="graph.ttl"):
        run_query(tmp_path, "ASK {}")


def test_unsupported_suffix(tmp_path: Path) -> None:
    path = tmp_path / "graph.json"
    path.write_text("{}", encoding="utf-8")
    with pytest.raises(InputError, match="suffix"):
        run_query(path, "ASK {}")


def test_invalid_data(tmp_path: Path) -> None:
    path = tmp_path / "broken.ttl"
    path.write_text("<a> <b> .", encoding="utf-8")
    with pytest.raises(InputError, match="invalid"):
        run_query(path, "ASK {}")


def test_bad_query(build_dir: Path) -> None:
    with pytest.raises(QueryError, match=r"Invalid SPARQL query: error at 1:\d+"):
        run_query(build_dir, "SELECT ?x WHERE { ?x")


def test_bad_query_one_line(build_dir: Path) -> None:
    with pytest.raises(QueryError) as caught:
        run_query(build_dir, "SELECT ?x WHERE { ?x")
    assert "\n" not in str(caught.value)


def test_undeclared_prefix(build_dir: Path) -> None:
    with pytest.raises(QueryError, match=r"(?s)Prefix not found.*PREFIX line"):
        run_query(build_dir, "SELECT ?x WHERE { ?x foaf:name ?n }")


def test_timeout_result_matches(build_dir: Path) -> None:
    assert run_query(build_dir, PROCESSBENCH_QUERY, timeout=30) == run_query(build_dir, PROCESSBENCH_QUERY)


def test_timeout_bad_query(build_dir: Path) -> None:
    with pytest.raises(QueryError, match="Invalid SPARQL query"):
        run_query(build_dir, "SELECT ?x WHERE { ?x", timeout=30)


def test_timeout_invalid_data(tmp_path: Path) -> None:
    path = tmp_path / "broken.ttl"
    path.write_text("<a> <b> .", encoding="utf-8")
    with pytest.raises(InputError, match="invalid"):
        run_query(path, "ASK {}", timeout=30)


def test_timeout_expires(slow_source: Path) -> None:
    started = time.monotonic()
    with pytest.raises(QueryError, match=r"timed out after 0\.5 s"):
        run_query(slow_source, CROSS_JOIN_QUERY, timeout=0.5)
    # Worker start-up (not counted by the timeout) plus killing and reaping.
    assert time.monotonic() - started < 15


def _worker_processes() -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            command = (entry / "cmdline").read_bytes()
            status = (entry / "status").read_text()
        except OSError:
            continue
        parent = re.search(r"^PPid:\s+(\d+)", status, re.MULTILINE)
        if b"_worker_main" in command and parent and int(parent.group(1)) == os.getpid():
            found.append(int(entry.name))
    return found


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs Linux /proc to list processes")
def test_timeout_kills_worker(slow_source: Path) -> None:
    with pytest.raises(QueryError):
        run_query(slow_source, CROSS_JOIN_QUERY, timeout=0.5)
    assert _worker_processes() == []


@pytest.mark.parametrize("timeout", [0, -1, float("nan"), True])
def test_timeout_invalid(build_dir: Path, timeout: float) -> None:
    with pytest.raises(ConfigError):
        run_query(build_dir, "ASK {}", timeout=timeout)


SAMPLE = QueryResult(
    form="select",
    columns=("name", "note"),
    rows=(("ProcessBench", None), ("数据集", "line\nbreak \x1b[31mred"), ("x" * 200, "short")),
)


def test_table_header() -> None:
    lines = format_results(SAMPLE, "table").splitlines()
    assert lines[0].split() == ["name", "note"]
    assert set(lines[1].replace(" ", "")) == {"-"}


def test_table_aligned() -> None:
    lines = format_results(SAMPLE, "table").splitlines()
    second_column = lines[0].index("note")
    assert lines[4][second_column - 2 : second_column] == "  "
    assert lines[4][second_column:] == "short"


def test_table_wide_characters_aligned() -> None:
    lines = format_results(SAMPLE, "table").splitlines()
    # "数据集" is three characters but six terminal columns wide.
    assert lines[3].index("line") == lines[0].index("note") - 3


def test_table_truncates() -> None:
    lines = format_results(SAMPLE, "table").splitlines()
    cell = lines[4].split("  ")[0]
    assert cell.endswith("\u2026")
    assert len(cell) == MAX_CELL_WIDTH


def test_table_escapes_controls() -> None:
    text = format_results(SAMPLE, "table")
    assert "\x1b" not in text
    assert "line\\nbreak \\u001b[31mred" in text


def test_table_ask() -> None:
    result = QueryResult(form="ask", columns=("ask",), rows=((False,),))
    assert format_results(result, "table").splitlines()[2] == "false"


def test_csv_round_trip() -> None:
    rows = list(csv.reader(io.StringIO(format_results(SAMPLE, "csv"), newline="")))
    assert rows[0] == ["name", "note"]
    assert rows[1:] == [["ProcessBench", ""], ["数据集", "line\nbreak \x1b[31mred"], ["x" * 200, "short"]]


def test_csv_no_trailing_newline() -> None:
    assert not format_results(SAMPLE, "csv").endswith("\n")


def test_json_objects() -> None:
    objects = json.loads(format_results(SAMPLE, "json"))
    assert objects[0] == {"name": "ProcessBench", "note": None}
    assert objects[1]["note"] == "line\nbreak \x1b[31mred"
    assert len(objects) == 3


def test_json_ask_boolean() -> None:
    result = QueryResult(form="ask", columns=("ask",), rows=((True,),))
    assert json.loads(format_results(result, "json")) == [{"ask": True}]


def test_unknown_format() -> None:
    with pytest.raises(ConfigError, match="table, csv, json"):
        format_results(SAMPLE, "xml")


def doc_queries() -> list[str]:
    return re.findall(r"```sparql\n(.*?)```", DOCS.read_text(encoding="utf-8"), re.DOTALL)


def test_docs_have_three_queries() -> None:
    assert len(doc_queries()) == 3


@pytest.mark.parametrize("index", range(3))
def test_docs_query_runs(build_dir: Path, index: int) -> None:
    result = run_query(build_dir, doc_queries()[index])
    assert result.rows


def test_docs_code_query_sentence(build_dir: Path) -> None:
    result = run_query(build_dir, doc_queries()[2])
    assert result.rows == (("Tango", "https://github.com/kaiwenzha/rl-tango", "Code is at: https://github.com/kaiwenzha/rl-tango."),)
