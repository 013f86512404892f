from __future__ import annotations

import json
from pathlib import Path

import pyoxigraph
import pytest

from kg.build import build
from kg.errors import InputError, KgError
from kg.rdf import DEFAULT_BASE_IRI, evaluation_summary_iri
from kg.sources import read_papers
from kg.store import GraphStore, is_store

DATA = Path(__file__).resolve().parent / "data"
SAMPLE = DATA / "results-sample.ttl"

KG = "https://w3id.org/kg-papers/ontology#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
ENTITY = "https://w3id.org/kg-papers/id/entity/grpo"
PAPER = "https://w3id.org/kg-papers/id/paper/p1"

VERSION_1 = f"""
<{ENTITY}> a <{KG}Entity>, <{KG}Method> ;
    <{SKOS}prefLabel> "GRPO" ; <{SKOS}altLabel> "group relative PO" ; <{KG}key> "grpo" ;
    <{KG}evaluatedOn> <https://w3id.org/kg-papers/id/entity/math> .
<{PAPER}> a <{KG}Paper> ; <http://purl.org/dc/terms/title> "One" ;
    <{KG}mentions> <{ENTITY}>, <https://w3id.org/kg-papers/id/entity/ppo> .
"""

VERSION_2 = f"""
<{ENTITY}> a <{KG}Entity>, <{KG}Method> ;
    <{SKOS}prefLabel> "Group Relative Policy Optimization" ; <{KG}key> "grpo" ;
    <{KG}evaluatedOn> <https://w3id.org/kg-papers/id/entity/gsm8k> .
<{PAPER}> a <{KG}Paper> ; <http://purl.org/dc/terms/title> "One" ;
    <{KG}mentions> <{ENTITY}> .
"""


def triples_of(store: GraphStore) -> set[str]:
    return {f"{q.subject} {q.predicate} {q.object}" for q in store.store.quads_for_pattern(None, None, None, None)}


def file_triples(path: Path) -> set[str]:
    # Read through an in-memory store, which writes typed literals in the same
    # canonical form as the on-disk store ("22.0"^^xsd:decimal reads back as "22").
    memory = pyoxigraph.Store()
    memory.load(path=path, format=pyoxigraph.RdfFormat.TURTLE)
    return {f"{q.subject} {q.predicate} {q.object}" for q in memory.quads_for_pattern(None, None, None, None)}


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def labels(store: GraphStore, predicate: str) -> set[str]:
    quads = store.store.quads_for_pattern(pyoxigraph.NamedNode(ENTITY), pyoxigraph.NamedNode(SKOS + predicate), None, None)
    return {quad.object.value for quad in quads}


@pytest.fixture()
def store(tmp_path: Path) -> GraphStore:
    graph_store = GraphStore.open(tmp_path / "store", create=True)
    yield graph_store
    graph_store.close()


def test_load_all_triples(store: GraphStore) -> None:
    stats = store.load(SAMPLE)
    assert stats.total == len(file_triples(SAMPLE))
    assert triples_of(store) == file_triples(SAMPLE)


def test_reload_changes_nothing(store: GraphStore) -> None:
    store.load(SAMPLE)
    before = triples_of(store)
    stats = store.load(SAMPLE)
    assert not stats.changed
    assert triples_of(store) == before


def test_store_persists(tmp_path: Path) -> None:
    with GraphStore.open(tmp_path / "store", create=True) as graph_store:
        graph_store.load(SAMPLE)
    with GraphStore.open(tmp_path / "store") as reopened:
        assert triples_of(reopened) == file_triples(SAMPLE)


def test_changed_label_kept_as_alias(store: GraphStore, tmp_path: Path) -> None:
    store.load(write(tmp_path / "v1.ttl", VERSION_1))
    store.load(write(tmp_path / "v2.ttl", VERSION_2))
    assert labels(store, "prefLabel") == {"Group Relative Policy Optimization"}
    assert labels(store, "altLabel") == {"GRPO", "group relative PO"}


def test_entity_edges_accumulate(store: GraphStore, tmp_path: Path) -> None:
    store.load(write(tmp_path / "v1.ttl", VERSION_1))
    store.load(write(tmp_path / "v2.ttl", VERSION_2))
    edges = store.store.quads_for_pattern(pyoxigraph.NamedNode(ENTITY), pyoxigraph.NamedNode(KG + "evaluatedOn"), None, None)
    assert {quad.object.value.rsplit("/", 1)[1] for quad in edges} == {"math", "gsm8k"}


def test_paper_replaced_whole(store: GraphStore, tmp_path: Path) -> None:
    store.load(write(tmp_path / "v1.ttl", VERSION_1))
    stats = store.load(write(tmp_path / "v2.ttl", VERSION_2))
    mentions = store.store.quads_for_pattern(pyoxigraph.NamedNode(PAPER), pyoxigraph.NamedNode(KG + "mentions"), None, None)
    assert [quad.object.value for quad in mentions] == [ENTITY]
    # Removed: the PPO mention and the old prefLabel (which becomes an altLabel).
    assert stats.removed == 2


def test_merge_then_reload_stable(store: GraphStore, tmp_path: Path) -> None:
    store.load(write(tmp_path / "v1.ttl", VERSION_1))
    second = write(tmp_path / "v2.ttl", VERSION_2)
    store.load(second)
    assert not store.load(second).changed


def test_replace_empties_first(store: GraphStore, tmp_path: Path) -> None:
    store.load(write(tmp_path / "v1.ttl", VERSION_1))
    store.load(SAMPLE, replace=True)
    assert triples_of(store) == file_triples(SAMPLE)


def test_invalid_rdf_leaves_store_empty(store: GraphStore, tmp_path: Path) -> None:
    broken = write(tmp_path / "broken.ttl", VERSION_1 + "\n<a> <b> .")
    with pytest.raises(InputError, match="invalid Turtle"):
        store.load(broken)
    assert len(store) == 0


def test_invalid_rdf_keeps_store(store: GraphStore, tmp_path: Path) -> None:
    store.load(SAMPLE)
    broken = write(tmp_path / "broken.ttl", VERSION_1 + "\n<a> <b> .")
    with pytest.raises(InputError, match="invalid Turtle"):
        store.load(broken)
    assert triples_of(store) == file_triples(SAMPLE)


@pytest.mark.parametrize("filled", [False, True], ids=["empty", "filled"])
def test_load_relative_iris(store: GraphStore, tmp_path: Path, filled: bool) -> None:
    # The empty store takes the bulk-load path, a filled one the merge path.
    if filled:
        store.store.add(pyoxigraph.Quad(pyoxigraph.NamedNode("https://e.org/a"), pyoxigraph.NamedNode("https://e.org/p"), pyoxigraph.Literal("x")))
    path = tmp_path / "void.ttl"
    path.write_text("<void.ttl#dataset> <http://rdfs.org/ns/void#triples> 3 .\n", encoding="utf-8")
    store.load(path)
    subject = pyoxigraph.NamedNode(path.resolve().as_uri() + "#dataset")
    assert list(store.store.quads_for_pattern(subject, None, None))


def test_missing_source(store: GraphStore, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not found"):
        store.load(tmp_path / "absent.ttl")


def test_folder_with_other_files(tmp_path: Path) -> None:
    write(tmp_path / "notes.txt", "not a store")
    with pytest.raises(InputError, match="not an Oxigraph store"):
        GraphStore.open(tmp_path, create=True)


def test_file_instead_of_folder(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="is a file"):
        GraphStore.open(write(tmp_path / "store", "x"), create=True)


def test_missing_store_without_create(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="kg build INPUTS --store"):
        GraphStore.open(tmp_path / "absent")
    assert not (tmp_path / "absent").exists()


def test_locked_store(store: GraphStore) -> None:
    with pytest.raises(InputError, match="locked by another process"):
        GraphStore.open(store.path)


def test_closed_store_reopens(tmp_path: Path) -> None:
    first = GraphStore.open(tmp_path / "store", create=True)
    first.close()
    with GraphStore.open(tmp_path / "store") as second:
        assert is_store(second.path)


def _write_jsonl(path: Path, papers: list) -> Path:
    records = [{"id": p.id, "title": p.title, "abstract": p.abstract} for p in papers]
    return write(path, "".join(json.dumps(record) + "\n" for record in records))


@pytest.fixture(scope="module")
def two_builds(example_page: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Build the first 40 papers of the example, then all of them, from one input path."""
    folder = tmp_path_factory.mktemp("builds")
    papers = list(read_papers(example_page))
    source = folder / "papers.jsonl"
    _write_jsonl(source, papers[:40])
    build([source], folder / "first")
    _write_jsonl(source, papers)
    build([source], folder / "all")
    return folder / "first", folder / "all"


def test_more_papers_add_new(two_builds: tuple[Path, Path], store: GraphStore) -> None:
    first, everything = two_builds
    store.load(first)
    stats = store.load(everything)
    assert file_triples(everything / "graph.ttl") <= triples_of(store)
    assert stats.added >= len(file_triples(everything / "graph.ttl") - file_triples(first / "graph.ttl"))


def test_more_papers_keep_old_edges(two_builds: tuple[Path, Path], store: GraphStore) -> None:
    first, everything = two_builds
    store.load(first)
    store.load(everything)
    extra = triples_of(store) - file_triples(everything / "graph.ttl")
    # Only entity aliases (labels and their skos-xl alias nodes) and IRI-valued
    # triples of the first build remain beside the second.
    alias_nodes = f"<{DEFAULT_BASE_IRI}alias/"
    kept_labels = (f"<{SKOS}altLabel>", f"<{KG}matchKey>")
    assert all(any(kept in line for kept in kept_labels) or line.startswith(alias_nodes) or line.endswith(">") for line in extra)


def test_build_option_loads_store(two_builds: tuple[Path, Path], tmp_path: Path, example_page: Path) -> None:
    _, summary = build([example_page], tmp_path / "out", store=tmp_path / "store")
    assert summary.store_stats is not None
    assert summary.store_stats.total == summary.triples


def test_build_twice_same_store(tmp_path: Path, example_page: Path) -> None:
    build([example_page], tmp_path / "out", store=tmp_path / "store")
    with GraphStore.open(tmp_path / "store") as graph_store:
        before = triples_of(graph_store)
    _, summary = build([example_page], tmp_path / "out", store=tmp_path / "store")
    assert summary.store_stats is not None
    assert not summary.store_stats.changed
    with GraphStore.open(tmp_path / "store") as graph_store:
        assert triples_of(graph_store) == before


def test_reload_keeps_canonical_literals(store: GraphStore, tmp_path: Path) -> None:
    # Oxigraph reads "12.0"^^xsd:decimal back as "12"; a reload must not take it for a change.
    source = write(
        tmp_path / "values.ttl",
        f'<https://e.org/r> a <{KG}Result> ; <{KG}value> "12.0"^^<http://www.w3.org/2001/XMLSchema#decimal> .',
    )
    store.load(source)
    stats = store.load(source)
    assert not stats.changed
    assert len(store) == 2


def test_cli_build_store_line(tmp_path: Path, example_page: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from kg.cli import main

    status = main(["build", str(example_page), "--out", str(tmp_path / "out"), "--store", str(tmp_path / "store"), "--no-progress"])
    assert status == 0
    assert f"store       {tmp_path / 'store'}: " in capsys.readouterr().out


def test_cli_build_rejects_bad_store(tmp_path: Path, example_page: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from kg.cli import main

    write(tmp_path / "notes.txt", "not a store")
    status = main(["build", str(example_page), "--out", str(tmp_path / "out"), "--store", str(tmp_path), "--no-progress"])
    assert status == 1
    assert "not an Oxigraph store" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_query_while_store_open(store: GraphStore, tmp_path: Path) -> None:
    from kg.query import run_query

    store.load(write(tmp_path / "one.ttl", "<http://example.org/a> <http://example.org/b> \"c\" ."))
    store.store.flush()
    result = run_query(str(store.path), "SELECT ?o WHERE { ?s ?p ?o }")
    assert [row[0] for row in result.rows] == ["c"]


def test_create_makes_parent_folders(tmp_path: Path) -> None:
    with GraphStore.open(tmp_path / "new" / "store", create=True) as graph_store:
        assert is_store(graph_store.path)


MATCH_KEYS_1 = f"""
<{ENTITY}> a <{KG}Entity>, <{KG}Method> ; <{SKOS}prefLabel> "GRPO" ; <{KG}key> "grpo" ; <{KG}matchKey> "grpo" .
"""

MATCH_KEYS_2 = f"""
<{ENTITY}> a <{KG}Entity>, <{KG}Method> ; <{SKOS}prefLabel> "Group Relative Policy Optimization" ;
    <{KG}key> "grpo" ; <{KG}matchKey> "group relative policy optimization" .
"""

PAPER_COUNTS = """
SELECT ?entity ?stored (COUNT(DISTINCT ?paper) AS ?counted) WHERE {
  ?entity a kg:Entity ;
          kg:paperCount ?stored .
  OPTIONAL { ?paper kg:mentions|kg:proposes ?entity }
}
GROUP BY ?entity ?stored
"""


def paper_counts(store: GraphStore) -> list[tuple[str, int, int]]:
    solutions = store.store.query(PAPER_COUNTS, prefixes={"kg": KG})
    return [(row["entity"].value, int(row["stored"].value), int(row["counted"].value)) for row in solutions]


@pytest.fixture(scope="module")
def split_builds(example_page: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Build the first 40 papers of the example and the other papers, as two builds."""
    folder = tmp_path_factory.mktemp("split")
    papers = list(read_papers(example_page))
    build([_write_jsonl(folder / "first.jsonl", papers[:40])], folder / "first")
    build([_write_jsonl(folder / "rest.jsonl", papers[40:])], folder / "rest")
    return folder / "first", folder / "rest"


def test_match_keys_accumulate(store: GraphStore, tmp_path: Path) -> None:
    store.load(write(tmp_path / "v1.ttl", MATCH_KEYS_1))
    store.load(write(tmp_path / "v2.ttl", MATCH_KEYS_2))
    assert labels(store, "prefLabel") == {"Group Relative Policy Optimization"}
    keys = store.store.quads_for_pattern(pyoxigraph.NamedNode(ENTITY), pyoxigraph.NamedNode(KG + "matchKey"), None, None)
    assert {quad.object.value for quad in keys} == {"grpo", "group relative policy optimization"}


def test_paper_counts_one_build(store: GraphStore, split_builds: tuple[Path, Path]) -> None:
    store.load(split_builds[0])
    counts = paper_counts(store)
    assert counts
    assert [row for row in counts if row[1] != row[2]] == []


def test_paper_counts_add_up(store: GraphStore, split_builds: tuple[Path, Path]) -> None:
    first, rest = split_builds
    store.load(first)
    store.load(rest)
    assert [row for row in paper_counts(store) if row[1] != row[2]] == []


def test_paper_counts_reload_stable(store: GraphStore, split_builds: tuple[Path, Path]) -> None:
    first, rest = split_builds
    store.load(first)
    store.load(rest)
    assert not store.load(first).changed


def test_paper_counts_one_value(store: GraphStore, split_builds: tuple[Path, Path]) -> None:
    first, rest = split_builds
    store.load(first)
    store.load(rest)
    entities = [row[0] for row in paper_counts(store)]
    assert len(entities) == len(set(entities))


# The definition of the count of a kg:EvaluationSummary, as the saved query
# methods-on-benchmark computed it before the summaries existed, grouped by
# entity instead of by name.
EVALUATION_COUNTS = """
SELECT ?method ?dataset (COUNT(DISTINCT ?paper) AS ?papers) WHERE {
  ?paper kg:evaluatedOn ?dataset .
  { ?paper kg:proposes ?method } UNION { ?paper kg:mentions|kg:proposes ?method . ?method kg:evaluatedOn ?dataset }
  { ?method a kg:Method } UNION { ?method a kg:Model }
  ?dataset skos:prefLabel ?dataset_name .
}
GROUP BY ?method ?dataset
"""

STORED_SUMMARIES = """
SELECT ?summary ?method ?dataset ?papers WHERE {
  ?summary a kg:EvaluationSummary ; kg:method ?method ; kg:dataset ?dataset ; kg:paperCount ?papers .
}
"""


def evaluation_counts(store: GraphStore) -> dict[tuple[str, str], int]:
    solutions = store.store.query(EVALUATION_COUNTS, prefixes={"kg": KG, "skos": SKOS})
    return {(row["method"].value, row["dataset"].value): int(row["papers"].value) for row in solutions}


def stored_summaries(store: GraphStore) -> dict[tuple[str, str], int]:
    rows = list(store.store.query(STORED_SUMMARIES, prefixes={"kg": KG}))
    summaries = {(row["method"].value, row["dataset"].value): int(row["papers"].value) for row in rows}
    assert len(summaries) == len(rows), "a pair has two summaries or two counts"
    return summaries


def test_evaluation_counts_one_build(store: GraphStore, split_builds: tuple[Path, Path]) -> None:
    store.load(split_builds[0])
    assert stored_summaries(store)
    assert stored_summaries(store) == evaluation_counts(store)


def test_evaluation_counts_add_up(store: GraphStore, split_builds: tuple[Path, Path]) -> None:
    first, rest = split_builds
    store.load(first)
    store.load(rest)
    assert stored_summaries(store) == evaluation_counts(store)


def test_evaluation_counts_reload_stable(store: GraphStore, split_builds: tuple[Path, Path]) -> None:
    first, rest = split_builds
    store.load(first)
    store.load(rest)
    assert not store.load(first).changed


ID = "https://w3id.org/kg-papers/id/"
METHOD = f"{ID}entity/tango"
DATASET = f"{ID}entity/processbench"
ENTITIES = f"""
<{METHOD}> a <{KG}Entity>, <{KG}Method> ; <{SKOS}prefLabel> "Tango" .
<{DATASET}> a <{KG}Entity>, <{KG}Dataset> ; <{SKOS}prefLabel> "ProcessBench" .
"""
# Paper 1 names Tango and evaluates on ProcessBench, but no text of its
# build states that Tango was evaluated there, so it counts for no pair.
NAMES_ONLY = ENTITIES + f"""
<{ID}paper/p1> a <{KG}Paper> ; <{KG}mentions> <{METHOD}> ; <{KG}evaluatedOn> <{DATASET}> .
"""
# Paper 2 proposes Tango and evaluates it on ProcessBench.
PROPOSES = ENTITIES + f"""
<{ID}paper/p2> a <{KG}Paper> ; <{KG}proposes> <{METHOD}> ; <{KG}evaluatedOn> <{DATASET}> .
<{METHOD}> <{KG}evaluatedOn> <{DATASET}> .
<{evaluation_summary_iri(METHOD, DATASET)}> a <{KG}EvaluationSummary> ;
    <{KG}method> <{METHOD}> ; <{KG}dataset> <{DATASET}> ; <{KG}paperCount> 1 .
"""
# Paper 3 states that Tango was evaluated on ProcessBench but evaluates on nothing itself.
STATES_ONLY = ENTITIES + f"""
<{ID}paper/p3> a <{KG}Paper> ; <{KG}mentions> <{METHOD}> .
<{METHOD}> <{KG}evaluatedOn> <{DATASET}> .
"""


def test_merge_counts_paper_of_other_build(store: GraphStore, tmp_path: Path) -> None:
    store.load(write(tmp_path / "a.ttl", NAMES_ONLY))
    store.load(write(tmp_path / "b.ttl", PROPOSES))
    assert stored_summaries(store) == {(METHOD, DATASET): 2}


def test_merge_creates_summary(store: GraphStore, tmp_path: Path) -> None:
    store.load(write(tmp_path / "a.ttl", NAMES_ONLY))
    store.load(write(tmp_path / "c.ttl", STATES_ONLY))
    assert stored_summaries(store) == {(METHOD, DATASET): 1}
    summary = pyoxigraph.NamedNode(str(evaluation_summary_iri(METHOD, DATASET)))
    assert pyoxigraph.Quad(summary, pyoxigraph.NamedNode(KG + "method"), pyoxigraph.NamedNode(METHOD)) in store.store


def test_merge_removes_summary(store: GraphStore, tmp_path: Path) -> None:
    store.load(write(tmp_path / "b.ttl", PROPOSES))
    # The same paper again, now without its evaluation.
    store.load(write(tmp_path / "b2.ttl", ENTITIES + f"<{ID}paper/p2> a <{KG}Paper> ; <{KG}proposes> <{METHOD}> ."))
    assert stored_summaries(store) == {}
    assert not list(store.store.quads_for_pattern(None, pyoxigraph.NamedNode(KG + "dataset"), None, None))


def ntriples_lines(count: int) -> list[str]:
    return [f'<https://e.org/s{n}> <https://e.org/p> "{n}" .\n' for n in range(count)]


def test_bulk_load_in_parts(store: GraphStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("kg.store.BULK_LOAD_LINES", 2)
    path = write(tmp_path / "graph.nt", "".join(ntriples_lines(5)))
    stats = store.load(path)
    assert stats.added == 5
    assert len(store) == 5


def test_bulk_load_keeps_blank_node(store: GraphStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The blank node's two triples fall into different parts of two lines.
    monkeypatch.setattr("kg.store.BULK_LOAD_LINES", 2)
    lines = ntriples_lines(3) + ['_:b <https://e.org/p> "a" .\n', '_:b <https://e.org/q> "b" .\n']
    store.load(write(tmp_path / "graph.nt", "".join(lines)))
    blank_subjects = {quad.subject for quad in store.store if isinstance(quad.subject, pyoxigraph.BlankNode)}
    assert len(store) == 5
    assert len(blank_subjects) == 1


def test_bulk_load_error_line(store: GraphStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("kg.store.BULK_LOAD_LINES", 2)
    lines = ntriples_lines(4) + ["<https://e.org/s> <https://e.org/p> oops .\n"]
    with pytest.raises(InputError, match="at line 5 "):
        store.load(write(tmp_path / "broken.nt", "".join(lines)))
def test_bulk_load_files_repeats_once(store: GraphStore, tmp_path: Path) -> None:
    first = write(tmp_path / "a.nt", "<http://e/a> <http://e/p> \"x\" .\n<http://e/b> <http://e/p> <http://e/a> .\n")
    second = write(tmp_path / "b.nt", "<http://e/a> <http://e/p> \"x\" .\n<http://e/c> <http://e/p> \"y\"@en .\n")
    stats = store.bulk_load_ntriples([first, second])
    assert stats.total == 3
    assert len(store) == 3


def test_bulk_load_files_rejects_filled(store: GraphStore, tmp_path: Path) -> None:
    path = write(tmp_path / "a.nt", "<http://e/a> <http://e/p> \"x\" .\n")
    store.bulk_load_ntriples([path])
    with pytest.raises(KgError, match="not empty"):
        store.bulk_load_ntriples([path])


def test_bulk_load_files_invalid_empties(store: GraphStore, tmp_path: Path) -> None:
    good = write(tmp_path / "a.nt", "<http://e/a> <http://e/p> \"x\" .\n")
    bad = write(tmp_path / "b.nt", "<http://e/b> <http://e/p> no quotes .\n")
    with pytest.raises(InputError, match="invalid N-Triples"):
        store.bulk_load_ntriples([good, bad])
    assert len(store) == 0
