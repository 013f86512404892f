"""Hand-made graphs and browser helpers shared by the viewer tests.

The realistic sample uses paper titles and links from the example input
(examples/daily-papers-sep-11.txt). Its entities are written by hand, because
the NLP components are not part of these tests.
"""

from __future__ import annotations

from pathlib import Path

import networkx as nx

from kg.graph import build_graph, entity_node_id, paper_node_id
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

__all__ = [
    "CHROMIUM",
    "CHROMIUM_ARGS",
    "HOSTILE_ABSTRACT",
    "HOSTILE_HEADING",
    "HOSTILE_NAMES",
    "HOSTILE_TITLE",
    "JAVASCRIPT_URL",
    "hostile_graph",
    "launch_chromium",
    "realistic_graph",
    "rich_graph",
    "screenshot",
    "synthetic_graph",
]

CHROMIUM = Path("/usr/bin/chromium")
# No sandbox because tests may run as root. The other switches stop Chromium's
# own background requests, so every request that a test records comes from the page.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

HOSTILE_TITLE = "<script>window.__kg_pwned=1</script> A hostile title"
HOSTILE_ABSTRACT = 'We study <img src=x onerror="window.__kg_pwned=1"> in detail.'
HOSTILE_NAMES = (
    "</script><script>window.__kg_pwned=1</script>",
    '<img src=x onerror="window.__kg_pwned=1">',
    "a href tooltip: <a href=\"javascript:window.__kg_pwned=1\">click</a>",
    "quote \" apostrophe ' backslash \\ end",
    "line\u2028separator and \u2029paragraph & ampersand",
)
HOSTILE_HEADING = '</title><img src=x onerror="window.__kg_pwned=1"><h1>'
JAVASCRIPT_URL = "javascript:window.__kg_pwned=1"


def _mention(text: str, sentence: str = "") -> Mention:
    return Mention(text=text, start=0, end=len(text), field=Field.ABSTRACT, sentence=sentence or f"We use {text}.")


def _entity(name: str, entity_type: EntityType, *, proposed: bool = False, aliases: tuple[str, ...] = ()) -> ExtractedEntity:
    return ExtractedEntity(
        name=name,
        key=entity_key(name),
        type=entity_type,
        proposed=proposed,
        mentions=(_mention(name),),
        aliases=aliases,
    )


def _link(url: str, kind: LinkKind) -> Link:
    return Link(url=url, kind=kind, mention=_mention(url, f"Code is available at {url}."))


def _evaluated_on(dataset: str) -> Relation:
    return Relation(
        type=RelationType.EVALUATED_ON,
        subject="",
        object=entity_key(dataset),
        evidence=_mention(dataset, f"Experiments on {dataset} show consistent gains."),
    )


def realistic_extractions() -> list[PaperExtraction]:
    """Return four papers of the example input with hand-written entities."""
    tango = PaperExtraction(
        paper=Paper(
            id="rl-tango",
            title="RL Tango: Reinforcing Generator and Verifier Together for Language Reasoning",
            date="2025-09-11",
        ),
        entities=(
            _entity("Tango", EntityType.METHOD, proposed=True),
            _entity("reinforcement learning", EntityType.METHOD, aliases=("RL",)),
            _entity("supervised fine-tuning", EntityType.METHOD, aliases=("SFT",)),
            _entity("large language models", EntityType.MODEL, aliases=("LLMs",)),
            _entity("MATH", EntityType.DATASET),
            _entity("mathematical reasoning", EntityType.TASK),
            _entity("accuracy", EntityType.METRIC),
        ),
        links=(_link("https://github.com/kaiwenzha/rl-tango", LinkKind.CODE),),
        abbreviations=(Abbreviation(short="RL", long="reinforcement learning", mention=_mention("RL")),),
        relations=(_evaluated_on("MATH"),),
    )
    q_insight = PaperExtraction(
        paper=Paper(id="q-insight", title="Q-Insight: Understanding Image Quality via Visual Reinforcement Learning"),
        entities=(
            _entity("Q-Insight", EntityType.METHOD, proposed=True),
            _entity("Group Relative Policy Optimization", EntityType.METHOD, aliases=("GRPO",)),
            _entity("reinforcement learning", EntityType.METHOD),
            _entity("image quality assessment", EntityType.TASK),
            _entity("large language models", EntityType.MODEL),
        ),
        links=(_link("https://github.com/lwq20020127/Q-Insight", LinkKind.CODE),),
    )
    master_rm = PaperExtraction(
        paper=Paper(id="master-rm", title="One Token to Fool LLM-as-a-Judge"),
        entities=(
            _entity("Master-RM", EntityType.MODEL, proposed=True),
            _entity("reinforcement learning", EntityType.METHOD),
            _entity("large language models", EntityType.MODEL),
            _entity("MATH", EntityType.DATASET),
            _entity("accuracy", EntityType.METRIC),
        ),
        links=(
            _link("https://huggingface.co/sarosavo/Master-RM", LinkKind.MODEL),
            _link("https://huggingface.co/datasets/sarosavo/Master-RM", LinkKind.DATASET),
        ),
        relations=(_evaluated_on("MATH"),),
    )
    cheap_talk = PaperExtraction(
        paper=Paper(id="cheap-talk", title="Adversarial Cheap Talk"),
        entities=(
            _entity("Adversarial Cheap Talk", EntityType.METHOD, proposed=True),
            _entity("reinforcement learning", EntityType.METHOD),
        ),
        links=(_link("https://sites.google.com/view/adversarial-cheap-talk", LinkKind.PROJECT),),
    )
    return [tango, q_insight, master_rm, cheap_talk]


def realistic_graph() -> nx.MultiDiGraph:
    return build_graph(realistic_extractions())


# Edge types of the graph schema that build_graph does not create yet; rich_graph adds them by hand.
NEW_EDGE_TYPES = (
    "uses", "built_on", "compared_with", "outperforms", "addresses",
    "is_a", "variant_of", "has_result", "on_dataset", "has_metric",
)


def _evidence(paper: str, text: str, sentence: str) -> dict:
    return {"paper": paper, "field": "abstract", "start": 0, "end": len(text), "text": text, "sentence": sentence, "count": 1}


def _add_relation(graph: nx.MultiDiGraph, source: str, target: str, edge_type: str, paper: str, sentence: str) -> None:
    graph.add_edge(source, target, key=edge_type, type=edge_type, **_evidence(paper, target.split(":", 1)[1], sentence))


def rich_graph() -> nx.MultiDiGraph:
    """Return the realistic sample plus concept and result nodes and every newer edge type.

    The nodes and edges follow the graph schema for relations, concepts and
    results, and are added by hand with their evidence sentences.
    """
    graph = realistic_graph()
    tango, q_insight, master = paper_node_id("rl-tango"), paper_node_id("q-insight"), paper_node_id("master-rm")
    rl = entity_node_id(entity_key("reinforcement learning"))
    grpo = entity_node_id(entity_key("Group Relative Policy Optimization"))
    tango_method = entity_node_id(entity_key("Tango"))
    math = entity_node_id(entity_key("MATH"))
    accuracy = entity_node_id(entity_key("accuracy"))
    reasoning = entity_node_id(entity_key("mathematical reasoning"))
    llms = entity_node_id(entity_key("large language models"))
    master_rm = entity_node_id(entity_key("Master-RM"))
    quality = entity_node_id(entity_key("image quality assessment"))
    q_method = entity_node_id(entity_key("Q-Insight"))

    graph.nodes[tango]["url"] = "https://huggingface.co/papers/2505.15034"
    graph.nodes[master]["url"] = "https://huggingface.co/papers/2507.08794"
    graph.add_node("entity:qwen2-5", type="model", name="Qwen2.5", label="Qwen2.5", key="qwen2-5",
                   aliases=[], papers=["master-rm"], proposed_by=[], merge_reasons=[])
    graph.add_node("entity:qwen2-5-7b", type="model", name="Qwen2.5-7B", label="Qwen2.5-7B", key="qwen2-5-7b",
                   aliases=["Qwen2.5 7B"], papers=["master-rm"], proposed_by=[],
                   merge_reasons=[{"form": "Qwen2.5 7B", "reason": "variant", "paper": "master-rm"}])
    _add_relation(graph, master, "entity:qwen2-5-7b", "mentions", "master-rm", "We fine-tune Qwen2.5-7B.")
    _add_relation(graph, master, "entity:qwen2-5", "mentions", "master-rm", "We fine-tune Qwen2.5-7B.")
    graph.add_node("concept:framework", type="concept", name="framework", label="framework", key="framework")
    graph.add_node("concept:benchmark", type="concept", name="benchmark", label="benchmark", key="benchmark")

    sentence = "Tango uses reinforcement learning to train the generator and the verifier together."
    _add_relation(graph, tango_method, rl, "uses", "rl-tango", sentence)
    _add_relation(graph, tango, rl, "uses", "rl-tango", sentence)
    _add_relation(graph, q_method, grpo, "built_on", "q-insight", "Q-Insight is built on Group Relative Policy Optimization.")
    _add_relation(graph, tango_method, llms, "compared_with", "rl-tango", "We compare Tango with large language models trained by SFT.")
    _add_relation(graph, tango_method, llms, "outperforms", "rl-tango", "Tango outperforms strong baselines on MATH.")
    _add_relation(graph, q_method, quality, "addresses", "q-insight", "Q-Insight addresses image quality assessment.")
    _add_relation(graph, tango_method, "concept:framework", "is_a", "rl-tango", "Tango is a framework for co-training.")
    _add_relation(graph, math, "concept:benchmark", "is_a", "rl-tango", "MATH is a benchmark of competition problems.")
    _add_relation(graph, "entity:qwen2-5-7b", "entity:qwen2-5", "variant_of", "master-rm", "We fine-tune Qwen2.5-7B.")

    result = "result:rl-tango:1"
    result_sentence = "Tango reaches 25.5 % accuracy on MATH, 3.2 points above the best baseline."
    graph.add_node(
        result, type="result", label="25.5 % accuracy on MATH", value="25.5", unit="percent", spread="0.4",
        paper="rl-tango", subject="tango", metric="accuracy", benchmark="math",
        **{key: value for key, value in _evidence("rl-tango", "25.5 %", result_sentence).items() if key not in {"paper", "count"}},
    )
    _add_relation(graph, tango, result, "has_result", "rl-tango", result_sentence)
    _add_relation(graph, tango_method, result, "has_result", "rl-tango", result_sentence)
    _add_relation(graph, result, math, "on_dataset", "rl-tango", result_sentence)
    _add_relation(graph, result, accuracy, "has_metric", "rl-tango", result_sentence)
    assert {key for _, _, key in graph.edges(keys=True)} >= set(NEW_EDGE_TYPES)
    assert reasoning in graph
    return graph


def hostile_graph() -> nx.MultiDiGraph:
    """Return a graph whose corpus text tries to run script in the viewer."""
    entities = tuple(
        _entity(name, entity_type, proposed=index == 0, aliases=(HOSTILE_NAMES[1],))
        for index, (name, entity_type) in enumerate(zip(HOSTILE_NAMES, (EntityType.METHOD, EntityType.MODEL, EntityType.DATASET, EntityType.TASK, EntityType.METRIC)))
    )
    hostile = PaperExtraction(
        paper=Paper(id="<script>", title=HOSTILE_TITLE, abstract=HOSTILE_ABSTRACT, url=JAVASCRIPT_URL),
        entities=entities,
        links=(
            _link(JAVASCRIPT_URL, LinkKind.PROJECT),
            _link('https://example.org/"><script>window.__kg_pwned=1</script>', LinkKind.CODE),
        ),
    )
    plain = PaperExtraction(
        paper=Paper(id="plain", title=HOSTILE_NAMES[2]),
        entities=(_entity(HOSTILE_NAMES[0], EntityType.METHOD),),
    )
    graph = build_graph([hostile, plain])

    # A concept, a result and a relation edge whose text is hostile too.
    method = entity_node_id(entity_key(HOSTILE_NAMES[0]))
    concept = "concept:" + HOSTILE_NAMES[1]
    graph.add_node(concept, type="concept", name=HOSTILE_NAMES[1], label=HOSTILE_NAMES[1], key=HOSTILE_NAMES[1])
    _add_relation(graph, method, concept, "is_a", "plain", HOSTILE_ABSTRACT)
    result = "result:plain:1"
    graph.add_node(
        result, type="result", label=HOSTILE_TITLE, value="<b>1</b>", unit=HOSTILE_NAMES[3], spread="",
        paper="plain", subject=entity_key(HOSTILE_NAMES[0]), metric=HOSTILE_NAMES[0], benchmark="", sentence=HOSTILE_ABSTRACT,
    )
    _add_relation(graph, paper_node_id("plain"), result, "has_result", "plain", HOSTILE_NAMES[2])
    return graph


def synthetic_graph(papers: int, *, entities_per_paper: int = 4) -> nx.MultiDiGraph:
    """Return a graph of `papers` papers that share entities in a fixed pattern.

    Entity ``i`` of paper ``p`` is entity ``(p * 7 + i * 13) % pool``, so some
    entities recur across papers and most do not; every paper has one link.
    """
    pool = papers * 2
    types = list(EntityType)
    extractions = []
    for paper in range(papers):
        numbers = sorted({(paper * 7 + i * 13) % pool for i in range(entities_per_paper)})
        entities = tuple(_entity(f"entity {number}", types[number % len(types)]) for number in numbers)
        extractions.append(
            PaperExtraction(
                paper=Paper(id=f"p{paper}", title=f"Synthetic paper {paper}"),
                entities=entities,
                links=(_link(f"https://github.com/example/repo-{paper}", LinkKind.CODE),),
            )
        )
    return build_graph(extractions)


def launch_chromium(playwright):  # noqa: ANN001, ANN201 - playwright types are optional imports
    return playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)


def screenshot(browser, html_path: Path, png_path: Path, *, width: int = 1280, height: int = 800) -> None:  # noqa: ANN001
    """Open `html_path` in a launched Chromium, wait until the layout is frozen, and save a PNG."""
    page = browser.new_page(viewport={"width": width, "height": height})
    try:
        page.goto(html_path.resolve().as_uri())
        page.wait_for_selector("body[data-kg-state=ready]", state="attached")
        page.screenshot(path=str(png_path))
    finally:
        page.close()
