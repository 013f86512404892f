"""Graph analytics over a kg graph: rankings, communities, co-usage, code and time.

Every function is pure: it reads the graph and returns new values. Rankings
are lists of `Ranked` sorted by score (highest first), then by node id, so
equal scores come out in a fixed order. Functions that sample take `seed`.

The algorithms run on two views from `kg.api`: the graph itself (counts,
degrees), and the undirected entity co-occurrence projection weighted by
shared papers (PageRank, betweenness, communities).
"""

from __future__ import annotations

import logging
import re
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, NamedTuple

import networkx as nx

from kg.api import ENTITY_TYPES, _entity_papers, cooccurrence, evaluation_graph
from kg.graph import EVALUATED_ON, HAS_CODE, ON_DATASET, PAPER_TYPE, PROPOSES, RESULT_TYPE, VARIANT_OF
from kg.model import EntityType

__all__ = [
    "Analysis",
    "BETWEENNESS_EXACT_MAX_NODES",
    "BenchmarkResult",
    "BETWEENNESS_SAMPLES",
    "Community",
    "Ranked",
    "Timeline",
    "analyze",
    "benchmark_results",
    "betweenness",
    "code_availability",
    "communities",
    "cousage_pairs",
    "degree_distribution",
    "evaluated_datasets",
    "evaluation_pairs",
    "families",
    "neighbour_counts",
    "pagerank",
    "timeline",
    "top_by_papers",
    "top_papers",
    "type_counts",
]

logger = logging.getLogger(__name__)

# Exact betweenness (Brandes 2001) costs O(nm) on n nodes and m edges, so it
# runs only on projections up to this many nodes: a few days of papers (the
# example page's projection has 155). Larger ones sample sources instead.
BETWEENNESS_EXACT_MAX_NODES = 2000
# Sources sampled above that size. The cost is that many breadth-first
# searches, O(km), which keeps 100,000 papers within minutes (bench/analyze.py).
# NOTE: how stable the top ranks are at this sample size was not measured.
BETWEENNESS_SAMPLES = 100

# Damping factor of Page et al. (1999), also NetworkX's default.
PAGERANK_ALPHA = 0.85

# Louvain resolution 1.0 is modularity as Newman defines it (no bias towards
# larger or smaller communities).
LOUVAIN_RESOLUTION = 1.0

# Co-usage pairs grow with the square of the datasets per paper. The report
# keeps this many rows, enough for a spreadsheet; `cousage_pairs` returns all.
COUSAGE_MAX_ROWS = 10_000

# Dates spanning more days than this are counted per month, not per day, so a
# timeline plot of years stays readable.
DAILY_TIMELINE_MAX_DAYS = 92

# A paper date the timeline can place: year and month, optionally the day
# ("2025-09", "2025-09-11", or the start of a timestamp).
_ISO_DATE = re.compile(r"\d{4}-(?:0[1-9]|1[0-2])(?:-\d{2})?")

_METHOD = str(EntityType.METHOD)
_MODEL = str(EntityType.MODEL)
_DATASET = str(EntityType.DATASET)


class Ranked(NamedTuple):
    """A node with a score, as the rankings return them."""

    node: Any
    name: str
    type: str
    score: float


@dataclass(frozen=True)
class Community:
    """A group of entities that co-occur more with each other than with the rest.

    `members` are ranked by weighted degree inside the projection (strength),
    so the first ones name the community.
    """

    index: int
    members: tuple[Ranked, ...]

    @property
    def size(self) -> int:
        return len(self.members)


class BenchmarkResult(NamedTuple):
    """A number a paper reports on a dataset or benchmark (a ``result`` node with an ``on_dataset`` edge)."""

    benchmark: Ranked
    node: Any
    result: str
    subject: str
    paper: str


@dataclass(frozen=True)
class Timeline:
    """Papers per period for the most mentioned entities.

    `granularity` is "day" or "month"; `counts` maps an entity node to its
    papers per period; `periods` is sorted.
    """

    granularity: str
    dated_papers: int
    undated_papers: int
    distinct_dates: tuple[str, ...]
    periods: tuple[str, ...]
    counts: dict[Any, Counter[str]]
    entities: tuple[Ranked, ...]


def _name(data: dict[str, Any], node: Any) -> str:
    return str(data.get("name") or data.get("label") or node)


def _ranked(graph: nx.Graph, scores: dict[Any, float], *, types: Collection[str] | None, top: int | None) -> list[Ranked]:
    rows = [
        Ranked(node, _name(graph.nodes[node], node), graph.nodes[node].get("type", ""), float(score))
        for node, score in scores.items()
        if types is None or graph.nodes[node].get("type") in types
    ]
    rows.sort(key=lambda row: (-row.score, str(row.node)))
    return rows if top is None else rows[:top]


def type_counts(graph: nx.MultiDiGraph) -> tuple[Counter[str], Counter[str]]:
    """Count nodes per ``type`` and edges per ``type``.

    Returns
    -------
    nodes, edges : collections.Counter
        Type -> count. Elements without a ``type`` count under "".
    """
    nodes = Counter(str(node_type or "") for _, node_type in graph.nodes(data="type"))
    edges = Counter(str(edge_type or "") for *_, edge_type in graph.edges(data="type"))
    return nodes, edges


def top_by_papers(graph: nx.MultiDiGraph, *, types: Collection[str] = (_DATASET,), top: int | None = None) -> list[Ranked]:
    """Rank entities of `types` by the number of papers that reach them.

    A paper reaches an entity through any edge (mentions, proposes,
    evaluated_on, ...), counted once per paper.

    Examples
    --------
    >>> import networkx as nx
    >>> graph = nx.MultiDiGraph()
    >>> graph.add_nodes_from(["paper:p1", "paper:p2"], type="paper")
    >>> graph.add_node("entity:mmlu", type="dataset", name="MMLU")
    >>> graph.add_edges_from([("paper:p1", "entity:mmlu"), ("paper:p2", "entity:mmlu")])
    [0, 0]
    >>> top_by_papers(graph)
    [Ranked(node='entity:mmlu', name='MMLU', type='dataset', score=2.0)]
    """
    papers = _entity_papers(graph, frozenset(types))
    return _ranked(graph, {node: len(found) for node, found in papers.items()}, types=None, top=top)


def pagerank(projection: nx.Graph, *, types: Collection[str] | None = (_METHOD,), top: int | None = None) -> list[Ranked]:
    """Rank nodes of the co-occurrence projection by weighted PageRank.

    Parameters
    ----------
    projection : networkx.Graph
        From `kg.api.cooccurrence`; edge ``weight`` is the number of shared papers.
    types : collection of str, optional
        Node types to return (all nodes take part in the computation); None for all.
    top : int, optional
        Return only the first `top` rows.

    Returns
    -------
    list of Ranked
        Scores sum to 1 over all nodes of the projection.

    Notes
    -----
    PageRank (Page, Brin, Motwani and Winograd, "The PageRank Citation
    Ranking: Bringing Order to the Web", Stanford InfoLab, 1999) computed by
    `networkx.pagerank` with damping `PAGERANK_ALPHA`. The projection is
    undirected, so an entity ranks high when it shares papers with other
    high-ranking entities; direction does not count.
    """
    if projection.number_of_nodes() == 0:
        return []
    scores = nx.pagerank(projection, alpha=PAGERANK_ALPHA, weight="weight")
    return _ranked(projection, scores, types=types, top=top)


def betweenness(
    projection: nx.Graph, *, types: Collection[str] | None = (_METHOD,), top: int | None = None, seed: int = 0
) -> list[Ranked]:
    """Rank nodes of the co-occurrence projection by betweenness centrality.

    Parameters
    ----------
    projection : networkx.Graph
        From `kg.api.cooccurrence`.
    types : collection of str, optional
        Node types to return; None for all.
    top : int, optional
        Return only the first `top` rows.
    seed : int
        Seed of the source sample on graphs above `BETWEENNESS_EXACT_MAX_NODES` nodes.

    Returns
    -------
    list of Ranked
        Normalised betweenness: the share of shortest paths between other
        nodes that pass through the node.

    Notes
    -----
    Brandes' algorithm (U. Brandes, "A Faster Algorithm for Betweenness
    Centrality", Journal of Mathematical Sociology 25(2), 2001) in
    `networkx.betweenness_centrality`. Paths are unweighted (hop counts)
    because the weight counts shared papers, a similarity, not a distance.
    Above `BETWEENNESS_EXACT_MAX_NODES` nodes the scores are estimated from
    `BETWEENNESS_SAMPLES` sampled sources (Brandes and Pich 2007), so they
    vary with `seed`.
    """
    nodes = projection.number_of_nodes()
    if nodes == 0:
        return []
    sample = None if nodes <= BETWEENNESS_EXACT_MAX_NODES else BETWEENNESS_SAMPLES
    if sample is not None:
        logger.info("Estimating betweenness from %d of %d sources (seed %d)", sample, nodes, seed)
    scores = nx.betweenness_centrality(projection, k=sample, normalized=True, weight=None, seed=seed)
    return _ranked(projection, scores, types=types, top=top)


def _strength(projection: nx.Graph, members: Collection[Any]) -> dict[Any, float]:
    inside = projection.subgraph(members)
    return dict(inside.degree(weight="weight"))


def communities(projection: nx.Graph, *, seed: int = 0, min_size: int = 2) -> list[Community]:
    """Find communities of the co-occurrence projection with the Louvain method.

    Parameters
    ----------
    projection : networkx.Graph
        From `kg.api.cooccurrence`; edges are weighted by shared papers.
    seed : int
        Seed of Louvain's node order; the same seed gives the same communities.
    min_size : int
        Leave out communities with fewer members (isolated entities form
        communities of one).

    Returns
    -------
    list of Community
        Largest first, then by the id of the first member. Members are
        ranked by their weighted degree inside the community.

    Notes
    -----
    Louvain method (V. D. Blondel, J.-L. Guillaume, R. Lambiotte and
    E. Lefebvre, "Fast unfolding of communities in large networks", Journal
    of Statistical Mechanics, 2008) in `networkx.community.louvain_communities`
    with resolution `LOUVAIN_RESOLUTION`. Results depend on `seed` and on
    node order.
    """
    if projection.number_of_nodes() == 0:
        return []
    found = nx.community.louvain_communities(projection, weight="weight", resolution=LOUVAIN_RESOLUTION, seed=seed)
    ranked = []
    for members in found:
        if len(members) < min_size:
            continue
        ranked.append(tuple(_ranked(projection, _strength(projection, members), types=None, top=None)))
    ranked.sort(key=lambda members: (-len(members), str(members[0].node)))
    return [Community(index + 1, members) for index, members in enumerate(ranked)]


def cousage_pairs(
    graph: nx.MultiDiGraph, *, types: Collection[str] = (_DATASET,), top: int | None = None
) -> list[tuple[Ranked, Ranked, int]]:
    """List pairs of entities (by default datasets and benchmarks) that papers use together.

    Returns
    -------
    list of (Ranked, Ranked, int)
        The two entities (score = their number of papers) and the number of
        papers they share, most shared first, then by the ids.
    """
    projection = cooccurrence(graph, types=types, min_papers=1)
    pairs = []
    for first, second, weight in projection.edges(data="weight"):
        a, b = sorted((first, second), key=str)
        pairs.append((_as_ranked(projection, a), _as_ranked(projection, b), int(weight)))
    pairs.sort(key=lambda pair: (-pair[2], str(pair[0].node), str(pair[1].node)))
    return pairs if top is None else pairs[:top]


def evaluated_datasets(graph: nx.MultiDiGraph) -> list[Ranked]:
    """Rank datasets and benchmarks by the number of papers with an ``evaluated_on`` edge to them."""
    node_types = graph.nodes(data="type")
    papers: dict[Any, set[Any]] = defaultdict(set)
    for source, target, edge_type in graph.edges(data="type"):
        if edge_type == EVALUATED_ON and node_types[source] == PAPER_TYPE and node_types[target] == _DATASET:
            papers[target].add(source)
    return _ranked(graph, {node: len(found) for node, found in papers.items()}, types=None, top=None)


def evaluation_pairs(graph: nx.MultiDiGraph) -> list[tuple[Ranked, Ranked, int]]:
    """List (method or model, dataset, papers) from `kg.api.evaluation_graph`, most papers first."""
    view = evaluation_graph(graph)
    rows = []
    for source, target, weight in view.edges(data="weight"):
        subject = Ranked(source, _name(view.nodes[source], source), view.nodes[source].get("type", ""), 0.0)
        dataset = Ranked(target, _name(view.nodes[target], target), view.nodes[target].get("type", ""), 0.0)
        rows.append((subject, dataset, int(weight)))
    rows.sort(key=lambda row: (-row[2], str(row[0].node), str(row[1].node)))
    return rows


def _as_ranked(projection: nx.Graph, node: Any) -> Ranked:
    data = projection.nodes[node]
    return Ranked(node, _name(data, node), data.get("type", ""), float(data.get("n_papers", 0)))


def code_availability(graph: nx.MultiDiGraph, *, types: Collection[str] = (_METHOD, _MODEL)) -> list[tuple[Ranked, list[str]]]:
    """List proposed entities with the code links of their proposing papers.

    An entity counts as proposed when a paper has a ``proposes`` edge to it.
    Its code is the targets of ``has_code`` edges from the entity or from a
    paper that proposes it.

    Returns
    -------
    list of (Ranked, list of str)
        Each proposed entity (score = number of proposing papers) with its
        code URLs, sorted; an empty list means no code link was found.
        Sorted by name, then id.
    """
    types = frozenset(types)
    node_types = graph.nodes(data="type")
    rows = []
    for node, data in graph.nodes(data=True):
        if data.get("type") not in types:
            continue
        proposers = [
            source for source, _, edge_type in graph.in_edges(node, data="type")
            if edge_type == PROPOSES and node_types[source] == PAPER_TYPE
        ]
        if not proposers:
            continue
        code = set()
        for source in (node, *proposers):
            for _, target, edge_type in graph.out_edges(source, data="type"):
                if edge_type == HAS_CODE:
                    code.add(str(graph.nodes[target].get("url") or target))
        rows.append((Ranked(node, _name(data, node), data["type"], float(len(set(proposers)))), sorted(code)))
    rows.sort(key=lambda row: (row[0].name.casefold(), str(row[0].node)))
    return rows


def families(graph: nx.MultiDiGraph) -> list[tuple[Ranked, list[Ranked]]]:
    """List model and method families with their variants, from ``variant_of`` edges.

    A family node (Qwen2.5) is often mentioned by no paper itself, because
    papers name a variant (Qwen2.5-7B). Its score is therefore the number of
    papers that reach the family or any of its variants.

    Returns
    -------
    list of (Ranked, list of Ranked)
        Each family with its variants (score = their own number of papers,
        most first), families with the most papers first, then by id.
    """
    variants_of: dict[Any, set[Any]] = defaultdict(set)
    for source, target, edge_type in graph.edges(data="type"):
        if edge_type == VARIANT_OF:
            variants_of[target].add(source)
    members = set(variants_of) | {variant for variants in variants_of.values() for variant in variants}
    papers = _entity_papers(graph, frozenset(graph.nodes[node].get("type") for node in members))
    rows = []
    for family, variants in variants_of.items():
        reached = set(papers.get(family, ()))
        for variant in variants:
            reached |= papers.get(variant, set())
        ranked = _ranked(graph, {variant: len(papers.get(variant, ())) for variant in variants}, types=None, top=None)
        data = graph.nodes[family]
        rows.append((Ranked(family, _name(data, family), data.get("type", ""), float(len(reached))), ranked))
    rows.sort(key=lambda row: (-row[0].score, str(row[0].node)))
    return rows


def benchmark_results(graph: nx.MultiDiGraph) -> list[BenchmarkResult]:
    """List the results that papers report on datasets and benchmarks.

    Returns
    -------
    list of BenchmarkResult
        One per ``on_dataset`` edge from a result node: the dataset (score =
        its number of results), the result's label, the name of the entity
        it measures ("" when the paper's own method), and the paper's title.
        Datasets with the most results first, then by name and result id.
    """
    node_types = graph.nodes(data="type")
    found = []
    for source, target, edge_type in graph.edges(data="type"):
        if edge_type == ON_DATASET and node_types[source] == RESULT_TYPE:
            found.append((source, target))
    per_dataset = Counter(target for _, target in found)
    rows = []
    for result, dataset in found:
        data = graph.nodes[result]
        subject = f"entity:{data.get('subject')}"
        paper_id = str(data.get("paper") or "")
        paper = f"paper:{paper_id}"
        dataset_data = graph.nodes[dataset]
        rows.append(BenchmarkResult(
            benchmark=Ranked(dataset, _name(dataset_data, dataset), dataset_data.get("type", ""), float(per_dataset[dataset])),
            node=result,
            result=str(data.get("label") or result),
            subject=_name(graph.nodes[subject], subject) if data.get("subject") and subject in graph else "",
            paper=str(graph.nodes[paper].get("title") or paper_id) if paper in graph else paper_id,
        ))
    rows.sort(key=lambda row: (-row.benchmark.score, row.benchmark.name.casefold(), str(row.node)))
    return rows


def neighbour_counts(graph: nx.MultiDiGraph) -> dict[Any, int]:
    """Return each node's number of distinct neighbours, ignoring direction and parallel edges."""
    if graph.is_directed():
        return {node: len(set(graph.successors(node)) | set(graph.predecessors(node))) for node in graph}
    return {node: len(set(graph.neighbors(node))) for node in graph}


def degree_distribution(graph: nx.MultiDiGraph) -> Counter[int]:
    """Count nodes per degree (distinct neighbours, see `neighbour_counts`)."""
    return Counter(neighbour_counts(graph).values())


def top_papers(graph: nx.MultiDiGraph, *, top: int | None = None) -> list[Ranked]:
    """Rank papers by their number of distinct neighbours (entities, links, results)."""
    counts = neighbour_counts(graph)
    papers = {node: counts[node] for node, node_type in graph.nodes(data="type") if node_type == PAPER_TYPE}
    rows = [
        Ranked(node, str(graph.nodes[node].get("title") or node), PAPER_TYPE, float(score))
        for node, score in papers.items()
    ]
    rows.sort(key=lambda row: (-row.score, str(row.node)))
    return rows if top is None else rows[:top]


def timeline(graph: nx.MultiDiGraph, *, types: Collection[str] = ENTITY_TYPES, top: int = 10) -> Timeline:
    """Count papers per period for the `top` entities with the most dated papers.

    Paper dates are the ISO 8601 ``date`` attributes ("2025-09-11", "2025-09"
    or a longer timestamp). Papers with an empty date, or one that does not
    start with a year and a month ("Sep 11", "2025"), are counted as undated.
    Periods are days ("2025-09-11") when the dates span at most
    `DAILY_TIMELINE_MAX_DAYS` days, else months ("2025-09"). `periods` runs
    from the first to the last period without gaps, so a period without
    papers counts 0.
    """
    dates = {}
    unreadable = []
    for node, data in graph.nodes(data=True):
        if data.get("type") != PAPER_TYPE:
            continue
        text = str(data.get("date") or "")
        dates[node] = _iso_date(text)
        if text and not dates[node]:
            unreadable.append(text)
    if unreadable:
        logger.warning(
            "%d papers have a date that is not ISO 8601 (for example %r); the timeline counts them as undated",
            len(unreadable), unreadable[0],
        )
    dated = {node: date for node, date in dates.items() if date}
    distinct = tuple(sorted(set(dated.values())))
    granularity = "day"
    if distinct and _span_days(distinct[0], distinct[-1]) > DAILY_TIMELINE_MAX_DAYS:
        granularity = "month"
    width = 10 if granularity == "day" else 7

    papers = _entity_papers(graph, frozenset(types))
    counts: dict[Any, Counter[str]] = defaultdict(Counter)
    for entity, found in papers.items():
        for paper in found:
            if paper in dated:
                counts[entity][dated[paper][:width]] += 1
    totals = {entity: sum(counter.values()) for entity, counter in counts.items()}
    leaders = tuple(_ranked(graph, totals, types=None, top=top))
    used = sorted({period for counter in counts.values() for period in counter})
    periods = tuple(_periods_between(used[0], used[-1], granularity)) if used else ()
    return Timeline(
        granularity=granularity,
        dated_papers=len(dated),
        undated_papers=len(dates) - len(dated),
        distinct_dates=distinct,
        periods=periods,
        counts={row.node: counts[row.node] for row in leaders},
        entities=leaders,
    )


def _iso_date(text: str) -> str:
    """Return the "YYYY-MM-DD" or "YYYY-MM" start of `text`, or "" if it has none or names no real day."""
    match = _ISO_DATE.match(text)
    if match is None:
        return ""
    found = match.group(0)
    if len(found) == 10:
        try:
            date.fromisoformat(found)
        except ValueError:
            return ""
    return found


def _span_days(first: str, last: str) -> int:
    try:
        return (date.fromisoformat(last) - date.fromisoformat(first)).days
    except ValueError:
        # Dates such as "2025-09": compare by month instead.
        return DAILY_TIMELINE_MAX_DAYS + 1


def _periods_between(first: str, last: str, granularity: str) -> Iterator[str]:
    """Yield every day or month from `first` to `last`, both included."""
    if granularity == "day":
        day, end = date.fromisoformat(first), date.fromisoformat(last)
        while day <= end:
            yield day.isoformat()
            day += timedelta(days=1)
        return
    year, month = int(first[:4]), int(first[5:7])
    while f"{year:04d}-{month:02d}" <= last:
        yield f"{year:04d}-{month:02d}"
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)


@dataclass
class Analysis:
    """The results of `analyze`, as the report shows them.

    `seconds` maps each step name to its wall-clock time.
    """

    nodes: Counter[str]
    edges: Counter[str]
    top_datasets: list[Ranked]
    evaluated: list[Ranked]
    evaluations: list[tuple[Ranked, Ranked, int]]
    pagerank: list[Ranked]
    betweenness: list[Ranked]
    betweenness_sampled: bool
    communities: list[Community]
    cousage: list[tuple[Ranked, Ranked, int]]
    code: list[tuple[Ranked, list[str]]]
    families: list[tuple[Ranked, list[Ranked]]]
    results: list[BenchmarkResult]
    degrees: Counter[int]
    top_papers: list[Ranked]
    timeline: Timeline
    projection_size: tuple[int, int]
    seed: int
    top: int
    seconds: dict[str, float] = field(default_factory=dict)


@contextmanager
def _timed(seconds: dict[str, float], step: str) -> Iterator[None]:
    start = time.perf_counter()
    yield
    seconds[step] = time.perf_counter() - start
    logger.info("%s took %.2f s", step, seconds[step])


def analyze(
    graph: nx.MultiDiGraph, *, top: int = 20, seed: int = 0, progress: Callable[[str], None] | None = None
) -> Analysis:
    """Run every analysis of ``kg analyze`` on `graph`.

    Parameters
    ----------
    graph : networkx.MultiDiGraph
        A kg graph (`kg.api.build` or `kg.api.load`).
    top : int
        Rows per ranking in the report; the rankings keep every row, except
        co-usage pairs, which keep the first ``max(top, COUSAGE_MAX_ROWS)``.
    seed : int
        Seed for Louvain and for sampled betweenness.
    progress : callable, optional
        Called with each step's name before it starts.

    Returns
    -------
    Analysis
    """
    seconds: dict[str, float] = {}

    def step(name: str) -> Any:
        if progress is not None:
            progress(name)
        return _timed(seconds, name)

    with step("counts"):
        nodes, edges = type_counts(graph)
    with step("top datasets"):
        datasets = top_by_papers(graph, types=(_DATASET,))
        evaluated = evaluated_datasets(graph)
        evaluations = evaluation_pairs(graph)
    with step("projection"):
        projection = cooccurrence(graph)
    with step("pagerank"):
        ranked_pagerank = pagerank(projection, types=(_METHOD,))
    with step("betweenness"):
        ranked_betweenness = betweenness(projection, types=(_METHOD,), seed=seed)
    with step("communities"):
        found = communities(projection, seed=seed)
    with step("co-usage"):
        pairs = cousage_pairs(graph, top=max(top, COUSAGE_MAX_ROWS))
    with step("code"):
        code = code_availability(graph)
    with step("families"):
        found_families = families(graph)
    with step("results"):
        results = benchmark_results(graph)
    with step("degrees"):
        degrees = degree_distribution(graph)
        papers = top_papers(graph)
    with step("timeline"):
        dated = timeline(graph)
    return Analysis(
        nodes=nodes,
        edges=edges,
        top_datasets=datasets,
        evaluated=evaluated,
        evaluations=evaluations,
        pagerank=ranked_pagerank,
        betweenness=ranked_betweenness,
        betweenness_sampled=projection.number_of_nodes() > BETWEENNESS_EXACT_MAX_NODES,
        communities=found,
        cousage=pairs,
        code=code,
        families=found_families,
        results=results,
        degrees=degrees,
        top_papers=papers,
        timeline=dated,
        projection_size=(projection.number_of_nodes(), projection.number_of_edges()),
        seed=seed,
        top=top,
        seconds=seconds,
    )
