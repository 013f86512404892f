"""Hand-built kg graphs with every node and edge type that the RDF export maps.

`sample_graph` starts from `kg.graph.build_graph` and adds, by hand, the node
and edge types of the relation and resolution stages (concepts, results,
families, merge reasons, uses ... has_metric), so the export is tested
against the whole graph schema whatever those stages produce today.
"""

from __future__ import annotations

from typing import Any

import networkx as nx

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
from kg.resolve import entity_key

SENTENCE = "Tango reaches 94.1 ± 0.3 % accuracy on ProcessBench, outperforming PPO."

NEW_EDGE_TYPES = (
    "uses",
    "built_on",
    "compared_with",
    "outperforms",
    "addresses",
    "is_a",
    "variant_of",
    "has_result",
    "on_dataset",
    "has_metric",
)


def _evidence(paper_id: str, text: str, *, count: int = 1) -> dict[str, Any]:
    start = max(SENTENCE.find(text), 0)
    return {
        "paper": paper_id,
        "field": "abstract",
        "start": start,
        "end": start + len(text),
        "text": text,
        "sentence": SENTENCE,
        "count": count,
    }


def sample_extraction(paper_id: str = "rl-tango", *, text: str = "", language: str = "") -> PaperExtraction:
    """Build one paper with a proposed method, a dataset, a model, a metric, a task and a code link.

    `text`, when given, is put into every name, title, sentence, alias and
    URL, to test hostile input.
    """
    method, dataset, model = f"Tango{text}", f"ProcessBench{text}", f"Qwen2.5-7B{text}"
    title = f"RL Tango{text}: Reinforcing Generator and Verifier Together"
    url = f"https://github.com/kaiwenzha/rl-tango{text}"
    sentence = SENTENCE + text
    mention = Mention(dataset, 40, 40 + len(dataset), Field.ABSTRACT, sentence)
    entities = [
        ExtractedEntity(method, entity_key(method), EntityType.METHOD, True, (Mention(method, 0, len(method), Field.TITLE, title),)),
        ExtractedEntity(dataset, entity_key(dataset), EntityType.DATASET, False, (mention,), (f"PB{text}",)),
        ExtractedEntity(model, entity_key(model), EntityType.MODEL, False, (Mention(model, 0, 10, Field.ABSTRACT, sentence),)),
        ExtractedEntity(f"accuracy{text}", entity_key(f"accuracy{text}"), EntityType.METRIC, False, (Mention("accuracy", 20, 28, Field.ABSTRACT, sentence),)),
        ExtractedEntity(f"PPO{text}", entity_key(f"PPO{text}"), EntityType.METHOD, False, (Mention("PPO", 60, 63, Field.ABSTRACT, sentence),)),
        ExtractedEntity(f"reasoning{text}", entity_key(f"reasoning{text}"), EntityType.TASK, False, (Mention("reasoning", 0, 9, Field.ABSTRACT, sentence),)),
    ]
    return PaperExtraction(
        paper=Paper(
            id=paper_id,
            title=title,
            abstract=f"We propose {method}. {sentence} Code: {url}",
            url=url,
            date="2025-09-11",
            authors=(f"A. Author{text}", "B. Author"),
            source="daily.txt",
            record=3,
            language=language,
        ),
        entities=tuple(entities),
        links=(Link(url, LinkKind.CODE, Mention(url, 60, 60 + len(url), Field.ABSTRACT, sentence)),),
        relations=(Relation(RelationType.EVALUATED_ON, "", entity_key(dataset), mention),),
    )


def add_new_types(graph: nx.MultiDiGraph, paper_id: str = "rl-tango", *, text: str = "", value: str = "94.1") -> nx.MultiDiGraph:
    """Add concepts, results, a model family, merge reasons and every new edge type to `graph`, in place."""
    method = f"entity:{entity_key(f'Tango{text}')}"
    dataset = f"entity:{entity_key(f'ProcessBench{text}')}"
    model = f"entity:{entity_key(f'Qwen2.5-7B{text}')}"
    metric = f"entity:{entity_key(f'accuracy{text}')}"
    baseline = f"entity:{entity_key(f'PPO{text}')}"
    task = f"entity:{entity_key(f'reasoning{text}')}"
    paper = f"paper:{paper_id}"

    family_key = entity_key(f"Qwen2.5{text}")
    family = f"entity:{family_key}"
    graph.add_node(
        family, type="model", name=f"Qwen2.5{text}", label=f"Qwen2.5{text}", key=family_key,
        aliases=[f"qwen 2.5{text}"], papers=[paper_id], proposed_by=[],
        merge_reasons=[{"form": f"qwen 2.5{text}", "reason": "variant", "paper": ""}],
    )
    graph.nodes[dataset]["merge_reasons"] = [{"form": f"PB{text}", "reason": "abbreviation", "paper": paper_id}]

    concept_key = "framework"
    concept = f"concept:{concept_key}"
    graph.add_node(concept, type="concept", name=concept_key, label=concept_key, key=concept_key)

    results = {
        f"result:{paper_id}:1": {
            "label": f"{value} % accuracy on ProcessBench{text}", "value": value, "unit": "percent", "spread": "0.3",
            "subject": entity_key(f"Tango{text}"), "metric": entity_key(f"accuracy{text}"),
            "benchmark": entity_key(f"ProcessBench{text}"),
        },
        f"result:{paper_id}:2": {
            "label": f"-3 points{text}", "value": "-3", "unit": "points", "spread": "",
            "subject": "", "metric": "", "benchmark": "",
        },
    }
    for node, attributes in results.items():
        evidence = {name: v for name, v in _evidence(paper_id, attributes["label"]).items() if name not in ("paper", "count")}
        graph.add_node(node, type="result", paper=paper_id, **attributes, **evidence)

    edges = [
        (method, model, "uses"),
        (paper, model, "uses"),
        (model, family, "built_on"),
        (paper, family, "built_on"),
        (method, baseline, "compared_with"),
        (method, baseline, "outperforms"),
        (paper, baseline, "outperforms"),
        (method, task, "addresses"),
        (method, concept, "is_a"),
        (model, family, "variant_of"),
        (paper, f"result:{paper_id}:1", "has_result"),
        (method, f"result:{paper_id}:1", "has_result"),
        (paper, f"result:{paper_id}:2", "has_result"),
        (f"result:{paper_id}:1", dataset, "on_dataset"),
        (f"result:{paper_id}:1", metric, "has_metric"),
    ]
    for source, target, edge_type in edges:
        graph.add_edge(source, target, key=edge_type, type=edge_type, **_evidence(paper_id, "Tango"))
    return graph


def sample_graph(paper_id: str = "rl-tango", *, text: str = "", language: str = "", value: str = "94.1") -> nx.MultiDiGraph:
    """Return the graph of `sample_extraction` with `add_new_types` applied."""
    graph = build_graph([sample_extraction(paper_id, text=text, language=language)])
    return add_new_types(graph, paper_id, text=text, value=value)


def two_paper_graph(*, reverse: bool = False) -> nx.MultiDiGraph:
    """Return a graph of two papers, built in the given order, with every node and edge type."""
    extractions = [sample_extraction("rl-tango"), sample_extraction("other", text=" two")]
    if reverse:
        extractions.reverse()
    graph = build_graph(extractions)
    order = [("rl-tango", ""), ("other", " two")]
    for paper_id, text in reversed(order) if reverse else order:
        add_new_types(graph, paper_id, text=text)
    return graph
