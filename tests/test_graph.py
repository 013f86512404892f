from __future__ import annotations

import logging
from pathlib import Path

import networkx as nx
import pytest
from spacy.language import Language

import kg.extract
import kg.nlp
from kg.graph import (
    EDGE_TYPES,
    GraphBuilder,
    EVALUATED_ON,
    HAS_CODE,
    LINKS_TO,
    MENTIONS,
    PROPOSES,
    VARIANT_OF,
    build_graph,
    entity_node_id,
    link_node_id,
    paper_node_id,
    read_graphml,
    write_graphml,
)
from kg.model import (
    Abbreviation,
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
from kg.resolve import entity_key
from kg.sources import read_daily_papers


def _mention(text: str, start: int = 0) -> Mention:
    return Mention(text=text, start=start, end=start + len(text), field=Field.ABSTRACT, sentence=f"We use {text}.")


def _entity(name: str, entity_type: EntityType, *, proposed: bool = False, aliases: tuple[str, ...] = ()) -> ExtractedEntity:
    return ExtractedEntity(
        name=name, key=entity_key(name), type=entity_type, proposed=proposed, mentions=(_mention(name),), aliases=aliases
    )


@pytest.fixture()
def extractions() -> list[PaperExtraction]:
    tango = PaperExtraction(
        paper=Paper(id="tango", title="RL Tango: Reinforcing Generator and Verifier"),
        entities=(
            _entity("Tango", EntityType.METHOD, proposed=True),
            _entity("ProcessBench", EntityType.DATASET),
            _entity("large language models", EntityType.MODEL, aliases=("LLMs",)),
        ),
        links=(Link(url="https://github.com/kaiwenzha/rl-tango", kind=LinkKind.CODE, mention=_mention("https://github.com/kaiwenzha/rl-tango", 50)),),
        abbreviations=(Abbreviation(short="LLMs", long="large language models", mention=_mention("LLMs")),),
        relations=(Relation(type=RelationType.EVALUATED_ON, subject="", object="processbench", evidence=_mention("ProcessBench")),),
    )
    other = PaperExtraction(
        paper=Paper(id="other", title="Another paper"),
        entities=(
            _entity("LLM", EntityType.MODEL),
            _entity("processbench", EntityType.DATASET),
            _entity("Master-RM", EntityType.MODEL, proposed=True),
        ),
        links=(
            Link(url="https://huggingface.co/sarosavo/Master-RM", kind=LinkKind.MODEL, mention=_mention("https://huggingface.co/sarosavo/Master-RM")),
            Link(url="https://github.com/kaiwenzha/rl-tango", kind=LinkKind.CODE, mention=_mention("https://github.com/kaiwenzha/rl-tango")),
        ),
    )
    return [tango, other]


def test_graph_has_node_per_paper_entity_link(extractions: list[PaperExtraction]) -> None:
    graph = build_graph(extractions)
    assert graph.nodes[paper_node_id("tango")]["type"] == "paper"
    assert graph.nodes[entity_node_id("processbench")]["type"] == "dataset"
    assert graph.nodes[link_node_id("https://github.com/kaiwenzha/rl-tango")]["kind"] == "code"
    assert graph.number_of_nodes() == 2 + 4 + 2


def test_graph_merges_across_papers(extractions: list[PaperExtraction]) -> None:
    graph = build_graph(extractions)
    node = graph.nodes[entity_node_id("processbench")]
    assert node["papers"] == ["other", "tango"]
    assert node["name"] == "ProcessBench"
    assert node["aliases"] == ["processbench"]


def test_graph_abbreviation_joins_long_form(extractions: list[PaperExtraction]) -> None:
    graph = build_graph(extractions)
    node_id = entity_node_id(entity_key("large language models"))
    assert entity_node_id("llm") not in graph
    assert graph.nodes[node_id]["name"] == "large language models"
    assert graph.nodes[node_id]["papers"] == ["other", "tango"]
    assert "LLM" in graph.nodes[node_id]["aliases"]


def test_graph_edge_types(extractions: list[PaperExtraction]) -> None:
    graph = build_graph(extractions)
    tango, dataset = paper_node_id("tango"), entity_node_id("processbench")
    link = link_node_id("https://github.com/kaiwenzha/rl-tango")
    assert graph.has_edge(tango, entity_node_id("tango"), key=PROPOSES)
    assert graph.has_edge(tango, entity_node_id("tango"), key=MENTIONS)
    assert graph.has_edge(tango, dataset, key=EVALUATED_ON)
    assert graph.has_edge(tango, link, key=HAS_CODE)
    assert graph.has_edge(entity_node_id("tango"), link, key=HAS_CODE)
    assert graph.has_edge(paper_node_id("other"), link_node_id("https://huggingface.co/sarosavo/Master-RM"), key=LINKS_TO)
    assert not graph.has_edge(paper_node_id("other"), dataset, key=PROPOSES)


def test_graph_edges_keep_provenance(extractions: list[PaperExtraction]) -> None:
    graph = build_graph(extractions)
    for _, _, key, data in graph.edges(keys=True, data=True):
        assert key in EDGE_TYPES
        assert data["type"] == key
        assert data["paper"] in {"tango", "other"}
        assert data["sentence"]
        assert data["end"] > data["start"]
        assert data["field"] in {"title", "abstract"}


def test_graph_leaves_inputs_unchanged(extractions: list[PaperExtraction]) -> None:
    before = [extraction.to_json() for extraction in extractions]
    build_graph(extractions)
    assert [extraction.to_json() for extraction in extractions] == before


def test_graph_rejects_duplicate_paper_ids() -> None:
    paper = PaperExtraction(paper=Paper(id="same", title="A"))
    with pytest.raises(ValueError, match="Duplicate paper id 'same'"):
        build_graph([paper, paper])


def test_graph_type_vote_majority() -> None:
    papers = [
        PaperExtraction(paper=Paper(id=f"p{index}", title="T"), entities=(_entity("GRPO", entity_type),))
        for index, entity_type in enumerate([EntityType.METHOD, EntityType.METHOD, EntityType.MODEL])
    ]
    graph = build_graph(papers)
    assert graph.nodes[entity_node_id("grpo")]["type"] == "method"


def test_graph_ambiguous_short_form_kept_apart() -> None:
    def paper(identifier: str, long: str) -> PaperExtraction:
        return PaperExtraction(
            paper=Paper(id=identifier, title="T"),
            entities=(_entity("RM", EntityType.MODEL),),
            abbreviations=(Abbreviation(short="RM", long=long, mention=_mention("RM")),),
        )

    graph = build_graph([paper("a", "reward model"), paper("b", "robust matching")])
    assert entity_node_id("rm") in graph


def test_graphml_round_trip(tmp_path: Path, extractions: list[PaperExtraction]) -> None:
    graph = build_graph(extractions)
    path = tmp_path / "graph.graphml"
    write_graphml(graph, path)
    loaded = read_graphml(path)
    assert set(loaded.nodes) == set(graph.nodes)
    assert loaded.number_of_edges() == graph.number_of_edges()
    for node, data in graph.nodes(data=True):
        assert loaded.nodes[node] == data
    for source, target, key, data in graph.edges(keys=True, data=True):
        assert loaded.edges[source, target, key] == data


def test_graphml_hostile_text_round_trips(tmp_path: Path) -> None:
    hostile = 'x" ; <iri> "y" </graphml> & \\ \u2028'
    extraction = PaperExtraction(paper=Paper(id="p", title=hostile), entities=(_entity(hostile, EntityType.METHOD),))
    graph = build_graph([extraction])
    path = tmp_path / "graph.graphml"
    write_graphml(graph, path)
    loaded = read_graphml(path)
    assert loaded.nodes[paper_node_id("p")]["title"] == hostile
    assert loaded.nodes[entity_node_id(entity_key(hostile))]["name"] == hostile


def test_graphml_failed_write_keeps_old_file(tmp_path: Path, extractions: list[PaperExtraction]) -> None:
    path = tmp_path / "graph.graphml"
    path.write_text("previous", encoding="utf-8")
    graph = build_graph(extractions)
    graph.add_node("bad", value=object())
    with pytest.raises(Exception):
        write_graphml(graph, path)
    assert path.read_text(encoding="utf-8") == "previous"
    assert [p.name for p in tmp_path.iterdir()] == ["graph.graphml"]


def test_graphml_ids_unique(tmp_path: Path, extractions: list[PaperExtraction]) -> None:
    import xml.etree.ElementTree as ElementTree

    path = tmp_path / "graph.graphml"
    write_graphml(build_graph(extractions), path)
    namespace = {"g": "http://graphml.graphdrawing.org/xmlns"}
    root = ElementTree.parse(path).getroot()
    edge_ids = [edge.get("id") for edge in root.iterfind(".//g:edge", namespace)]
    key_ids = [key.get("id") for key in root.iterfind("g:key", namespace)]
    assert len(edge_ids) == len(set(edge_ids))
    assert None not in edge_ids
    assert len(key_ids) == len(set(key_ids))


def test_graph_entity_relation_adds_paper_edge() -> None:
    extraction = PaperExtraction(
        paper=Paper(id="p", title="T"),
        entities=(_entity("CRM", EntityType.METHOD, proposed=True), _entity("RewardBench", EntityType.DATASET)),
        relations=(Relation(type=RelationType.EVALUATED_ON, subject="crm", object="rewardbench", evidence=_mention("RewardBench")),),
    )
    graph = build_graph([extraction])
    assert graph.has_edge(entity_node_id("crm"), entity_node_id("rewardbench"), key=EVALUATED_ON)
    assert graph.has_edge(paper_node_id("p"), entity_node_id("rewardbench"), key=EVALUATED_ON)


# Resolution across papers: merge reasons, variants, short forms, families


_ENTITY_TYPES = frozenset(map(str, EntityType))


@pytest.fixture(scope="module")
def nlp() -> Language:
    return kg.nlp.create_pipeline()


def _build(nlp: Language, *abstracts: tuple[str, str]) -> nx.MultiDiGraph:
    papers = [Paper(id=f"p{index}", title=title, abstract=abstract) for index, (title, abstract) in enumerate(abstracts, 1)]
    return build_graph(kg.extract.extract(papers, nlp))


def _node_with_form(graph: nx.MultiDiGraph, form: str) -> list[str]:
    return [
        node
        for node, data in graph.nodes(data=True)
        if data["type"] in _ENTITY_TYPES and form in (data["name"], *data["aliases"])
    ]


def test_merge_reasons_one_per_alias(extractions: list[PaperExtraction]) -> None:
    graph = build_graph(extractions)
    for node, data in graph.nodes(data=True):
        if data["type"] not in _ENTITY_TYPES:
            continue
        assert [record["form"] for record in data["merge_reasons"]] == data["aliases"], node


def test_merge_reasons_abbreviation_names_definer(extractions: list[PaperExtraction]) -> None:
    graph = build_graph(extractions)
    reasons = graph.nodes[entity_node_id(entity_key("large language models"))]["merge_reasons"]
    assert {"form": "LLM", "reason": "abbreviation", "paper": "tango"} in reasons
    assert {"form": "LLMs", "reason": "abbreviation", "paper": "tango"} in reasons


def test_merge_reasons_variant_names_first_paper(extractions: list[PaperExtraction]) -> None:
    graph = build_graph(extractions)
    reasons = graph.nodes[entity_node_id("processbench")]["merge_reasons"]
    assert reasons == [{"form": "processbench", "reason": "variant", "paper": "other"}]


def test_graphml_keeps_merge_reasons(tmp_path: Path, extractions: list[PaperExtraction]) -> None:
    graph = build_graph(extractions)
    write_graphml(graph, tmp_path / "graph.graphml")
    loaded = read_graphml(tmp_path / "graph.graphml")
    node = entity_node_id(entity_key("large language models"))
    assert loaded.nodes[node]["merge_reasons"] == graph.nodes[node]["merge_reasons"]


def test_short_form_joins_other_papers_definition(nlp: Language) -> None:
    graph = _build(
        nlp,
        ("Faster agents", "We train the policy with MaskMo on Atari."),
        ("Momentum for agents", "We propose Masked Momentum (MaskMo), an optimizer for agents. MaskMo is fast."),
    )
    (node,) = _node_with_form(graph, "MaskMo")
    data = graph.nodes[node]
    assert data["name"] == "Masked Momentum"
    assert data["papers"] == ["p1", "p2"]
    assert data["merge_reasons"] == [{"form": "MaskMo", "reason": "abbreviation", "paper": "p2"}]


def test_long_form_joins_other_papers_pair(nlp: Language) -> None:
    graph = _build(
        nlp,
        ("Faster agents", "We build on Masked Momentum, an optimizer for agents, on Atari."),
        ("Momentum for agents", "We propose Masked Momentum (MaskMo), an optimizer for agents. MaskMo is fast."),
    )
    (node,) = _node_with_form(graph, "Masked Momentum")
    assert graph.nodes[node]["papers"] == ["p1", "p2"]
    assert graph.nodes[node]["aliases"] == ["MaskMo"]


def test_ambiguous_short_form_logged(caplog: pytest.LogCaptureFixture) -> None:
    def paper(identifier: str, long: str) -> PaperExtraction:
        return PaperExtraction(
            paper=Paper(id=identifier, title="T"),
            entities=(_entity("RM", EntityType.MODEL), _entity(long, EntityType.METHOD)),
            abbreviations=(Abbreviation(short="RM", long=long, mention=_mention("RM")),),
        )

    use = PaperExtraction(paper=Paper(id="c", title="T"), entities=(_entity("RM", EntityType.MODEL),))
    with caplog.at_level(logging.DEBUG, logger="kg.graph"):
        graph = build_graph([paper("a", "reward model"), paper("b", "robust matching"), use])
    assert entity_node_id("rm") in graph
    assert graph.nodes[entity_node_id("rm")]["papers"] == ["a", "b", "c"]
    assert "Short form 'rm' has 2 long forms" in caplog.text


def test_ambiguous_short_forms_counted_once(caplog: pytest.LogCaptureFixture) -> None:
    def paper(identifier: str, short: str, long: str) -> PaperExtraction:
        return PaperExtraction(
            paper=Paper(id=identifier, title="T"),
            entities=(_entity(short, EntityType.MODEL), _entity(long, EntityType.METHOD)),
            abbreviations=(Abbreviation(short=short, long=long, mention=_mention(short)),),
        )

    papers = [paper("a", "RM", "reward model"), paper("b", "RM", "robust matching")]
    papers += [paper("c", "PM", "policy model"), paper("d", "PM", "process mining")]
    with caplog.at_level(logging.INFO, logger="kg.graph"):
        build_graph(papers)
    info = [record.getMessage() for record in caplog.records if record.levelno == logging.INFO]
    assert info == ["2 short forms have more than one long form in the corpus; their uses stay apart (-vv lists them)"]


def test_spelling_variants_merge_across_papers() -> None:
    papers = [
        PaperExtraction(paper=Paper(id="a", title="T"), entities=(_entity("Meta-World", EntityType.DATASET),)),
        PaperExtraction(paper=Paper(id="b", title="T"), entities=(_entity("MetaWorld", EntityType.DATASET),)),
        PaperExtraction(paper=Paper(id="c", title="T"), entities=(_entity("Meta-World", EntityType.DATASET),)),
    ]
    graph = build_graph(papers)
    (node,) = _node_with_form(graph, "MetaWorld")
    assert node == entity_node_id("meta world")
    assert graph.nodes[node]["papers"] == ["a", "b", "c"]
    assert graph.nodes[node]["merge_reasons"] == [{"form": "MetaWorld", "reason": "variant", "paper": "b"}]


def test_capitalised_plural_joins_singular() -> None:
    papers = [
        PaperExtraction(paper=Paper(id="a", title="T"), entities=(_entity("Transformers", EntityType.METHOD),)),
        PaperExtraction(paper=Paper(id="b", title="T"), entities=(_entity("transformer", EntityType.METHOD),)),
        PaperExtraction(paper=Paper(id="c", title="T"), entities=(_entity("transformer", EntityType.METHOD),)),
    ]
    graph = build_graph(papers)
    assert entity_node_id("transformers") not in graph
    assert graph.nodes[entity_node_id("transformer")]["aliases"] == ["Transformers"]


def test_capitalised_name_alone_not_singularised() -> None:
    graph = build_graph([PaperExtraction(paper=Paper(id="a", title="T"), entities=(_entity("Atlas", EntityType.MODEL),))])
    assert graph.nodes[entity_node_id("atlas")]["name"] == "Atlas"


def _models(*names: str) -> list[PaperExtraction]:
    return [
        PaperExtraction(paper=Paper(id=f"p{index}", title="T"), entities=(_entity(name, EntityType.MODEL),))
        for index, name in enumerate(names, 1)
    ]


def test_family_node_created_without_papers() -> None:
    graph = build_graph(_models("Qwen2.5-7B", "Qwen2.5-Math-7B"))
    family = graph.nodes[entity_node_id("qwen2.5")]
    assert family["name"] == "Qwen2.5"
    assert family["type"] == "model"
    assert family["papers"] == []
    assert family["merge_reasons"] == []


def test_family_edges_from_each_variant() -> None:
    graph = build_graph(_models("Qwen2.5-7B", "Qwen2.5-Math-7B", "Qwen2.5-7B-Instruct"))
    family = entity_node_id("qwen2.5")
    variants = sorted(source for source, _, key in graph.in_edges(family, keys=True) if key == VARIANT_OF)
    assert variants == [entity_node_id("qwen2.5 7b"), entity_node_id("qwen2.5 7b instruct"), entity_node_id("qwen2.5 math 7b")]


def test_family_edge_evidence_is_first_mention() -> None:
    graph = build_graph(_models("Llama-3.1-8B-Instruct", "Llama-3.1-8B-Instruct"))
    data = graph.edges[entity_node_id("llama3.1 8b instruct"), entity_node_id("llama3.1"), VARIANT_OF]
    assert data["paper"] == "p1"
    assert data["text"] == "Llama-3.1-8B-Instruct"
    assert data["sentence"]


def test_family_reuses_mentioned_node() -> None:
    graph = build_graph(_models("Qwen2.5-7B", "Qwen2.5"))
    assert graph.nodes[entity_node_id("qwen2.5")]["papers"] == ["p2"]
    assert graph.has_edge(entity_node_id("qwen2.5 7b"), entity_node_id("qwen2.5"), key=VARIANT_OF)


def test_family_only_for_models() -> None:
    papers = [PaperExtraction(paper=Paper(id="a", title="T"), entities=(_entity("MMLU-Pro", EntityType.DATASET),))]
    graph = build_graph(papers)
    assert entity_node_id("mmlu") not in graph
    assert graph.number_of_edges() == 1


def test_title_acronym_joins_abstract_name(nlp: Language) -> None:
    graph = _build(nlp, ("Sparse Quantile Critics: Faster Agents", "We propose SQC. Key to SQC is the concept of Sparse Quantile Critics."))
    (node,) = _node_with_form(graph, "SQC")
    assert graph.nodes[node]["aliases"] == ["Sparse Quantile Critics"]
    assert graph.nodes[node]["merge_reasons"] == [{"form": "Sparse Quantile Critics", "reason": "title", "paper": "p1"}]


def test_title_blend_stays_apart(nlp: Language, example_page: Path) -> None:
    papers = [paper for paper in read_daily_papers(example_page) if paper.title.startswith("Latent Reward:")]
    graph = build_graph(kg.extract.extract(papers, nlp))
    assert len(_node_with_form(graph, "LaRe")) == 1
    assert _node_with_form(graph, "LaRe") != _node_with_form(graph, "Latent Reward")


def test_short_form_used_before_definer_paper(nlp: Language) -> None:
    graph = _build(
        nlp,
        ("Scaling agents", "We apply ZQPO to web agents. ZQPO improves the success rate."),
        ("Zeta quantile policy optimization", "We propose zeta quantile policy optimization (ZQPO), a new algorithm."),
    )
    node = entity_node_id(entity_key("zeta quantile policy optimization"))
    assert graph.nodes[node]["papers"] == ["p1", "p2"]
    assert graph.has_edge(paper_node_id("p1"), node, key=MENTIONS)
    assert {"form": "ZQPO", "reason": "abbreviation", "paper": "p2"} in graph.nodes[node]["merge_reasons"]


def test_short_form_use_has_evidence(nlp: Language) -> None:
    abstract = "We apply ZQPO to web agents. ZQPO improves the success rate."
    graph = _build(nlp, ("Scaling agents", abstract), ("Zeta quantile policy optimization", "We propose zeta quantile policy optimization (ZQPO)."))
    data = graph.edges[paper_node_id("p1"), entity_node_id(entity_key("zeta quantile policy optimization")), MENTIONS]
    assert abstract[data["start"] : data["end"]] == "ZQPO"
    assert data["field"] == "abstract"
    assert data["sentence"] == "We apply ZQPO to web agents."
    assert data["count"] == 2


def test_short_form_inside_word_not_linked(nlp: Language) -> None:
    graph = _build(
        nlp,
        ("Scaling agents", "We apply ZQPO-style updates and AZQPO."),
        ("Zeta quantile policy optimization", "We propose zeta quantile policy optimization (ZQPO)."),
    )
    assert graph.nodes[entity_node_id(entity_key("zeta quantile policy optimization"))]["papers"] == ["p2"]


def _copy(text: str) -> str:
    # A new string object equal to `text`, as each record read from a worker or a file has.
    return "".join(list(text))


def test_edges_share_evidence_strings() -> None:
    sentence = "We evaluate Tango on ProcessBench."
    entities = tuple(
        ExtractedEntity(
            name=name, key=entity_key(name), type=EntityType.METHOD,
            mentions=(Mention(_copy(name), sentence.index(name), sentence.index(name) + len(name), Field.ABSTRACT, _copy(sentence)),),
        )
        for name in ("Tango", "ProcessBench")
    )  # fmt: skip
    graph = build_graph([PaperExtraction(paper=Paper(id="p1", title="T", abstract=sentence), entities=entities)])
    tango, bench = (graph.edges[paper_node_id("p1"), entity_node_id(entity.key), MENTIONS] for entity in entities)
    assert tango["sentence"] is bench["sentence"]
    assert tango["field"] is bench["field"]


def test_merged_keys_after_graph() -> None:
    builder = GraphBuilder()
    for paper_id, name in (("p1", "Meta-World"), ("p2", "MetaWorld"), ("p3", "MetaWorld")):
        builder.add(PaperExtraction(paper=Paper(id=paper_id, title="T"), entities=(_entity(name, EntityType.DATASET),)))
    graph = builder.graph()
    assert builder.merged_keys() == {entity_key("Meta-World"): entity_key("MetaWorld")}
    assert entity_node_id(entity_key("MetaWorld")) in graph
