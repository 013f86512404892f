"""Hand-built kg graphs for the analytics, report and example tests."""

from __future__ import annotations

import networkx as nx


def _edge(graph: nx.MultiDiGraph, source: str, target: str, relation: str, paper: str, text: str = "") -> None:
    graph.add_edge(
        source, target, key=relation, type=relation, paper=paper, field="abstract",
        start=0, end=len(text), text=text, sentence=f"We use {text}.", count=1,
    )


def small_graph() -> nx.MultiDiGraph:
    """Four papers: two on RL with GRPO (one builds on it), two on vision, plus unknown node types."""
    graph = nx.MultiDiGraph()
    papers = {
        "p1": ("Tango: RL for reasoning", "2025-09-01", ["grpo", "math", "gsm8k", "tango"]),
        "p2": ("Dr. GRPO", "2025-09-02", ["grpo", "math", "gsm8k", "dr grpo"]),
        "p3": ("Vision <script>alert(1)</script>", "2025-09-02", ["vit", "imagenet", "coco"]),
        "p4": ("Detection", "", ["vit", "coco"]),
    }

    types = {
        "grpo": ("method", "group relative policy optimization", ["GRPO"]),
        "tango": ("method", "Tango", []),
        "dr grpo": ("method", "Dr. GRPO", []),
        "vit": ("model", "ViT", []),
        "math": ("dataset", "MATH", []),
        "gsm8k": ("dataset", "GSM8K", []),
        "imagenet": ("dataset", "ImageNet", []),
        "coco": ("dataset", "COCO", []),
    }

    for paper, (title, date, _) in papers.items():
        graph.add_node(f"paper:{paper}", type="paper", label=title, title=title, paper_id=paper, date=date, authors=[])
    for key, (entity_type, name, aliases) in types.items():
        found = sorted(paper for paper, (*_, keys) in papers.items() if key in keys)
        graph.add_node(
            f"entity:{key}", type=entity_type, label=name, name=name, key=key, aliases=aliases, papers=found, proposed_by=[]
        )

    for paper, (*_, keys) in papers.items():
        for key in keys:
            _edge(graph, f"paper:{paper}", f"entity:{key}", "mentions", paper, types[key][1])
    for paper, key in (("p1", "tango"), ("p2", "dr grpo")):
        _edge(graph, f"paper:{paper}", f"entity:{key}", "proposes", paper)
        graph.nodes[f"entity:{key}"]["proposed_by"] = [paper]

    graph.add_node("link:https://github.com/x/tango", type="link", label="https://github.com/x/tango",
                   url="https://github.com/x/tango", kind="code", papers=["p1"])
    _edge(graph, "paper:p1", "link:https://github.com/x/tango", "has_code", "p1")

    _edge(graph, "paper:p1", "entity:gsm8k", "evaluated_on", "p1", "GSM8K")
    _edge(graph, "entity:tango", "entity:gsm8k", "evaluated_on", "p1", "GSM8K")
    _edge(graph, "paper:p2", "entity:gsm8k", "evaluated_on", "p2", "GSM8K")
    _edge(graph, "entity:dr grpo", "entity:grpo", "built_on", "p2", "GRPO")

    # Concept and result nodes, which the entity rankings must skip.
    graph.add_node("concept:framework", type="concept", label="framework", name="framework", key="framework")
    _edge(graph, "entity:tango", "concept:framework", "is_a", "p1")
    graph.add_node("result:p1:1", type="result", label="94.1 % accuracy on GSM8K", value="94.1", unit="percent",
                   spread="", paper="p1", subject="tango", metric="", benchmark="gsm8k")
    _edge(graph, "paper:p1", "result:p1:1", "has_result", "p1")
    return graph
