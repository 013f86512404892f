"""Precision, recall and F1 of predicted spans and paper-level names against gold.

Two kinds of comparison:

- spans (`score_spans`): a predicted span is correct under *exact* match
  when a gold span of the same type has the same start and end, and under
  *partial* match when it overlaps a gold span of the same type. Partial
  matching is one-to-one (a maximum bipartite matching), so one long
  prediction that overlaps two gold spans counts once.
- items (`score_items`): paper-level sets of names, each item a set of
  alternative keys (see `item_keys`). A predicted item matches a gold item
  when they share a key, again one-to-one.

Counts add up over documents, so totals are micro-averages.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from kg.resolve import entity_key

__all__ = ["Counts", "MatchMode", "item_keys", "maximum_matching", "micro_total", "score_items", "score_spans"]

MatchMode = Literal["exact", "partial"]

# A span in scoring: (start, end, evaluation type).
SpanTuple = tuple[int, int, str]


@dataclass(frozen=True, slots=True)
class Counts:
    """True positives, false positives and false negatives of one comparison.

    Precision, recall and F1 are 1.0 when there is neither gold nor
    prediction (nothing to find, nothing wrong), and 0.0 when only their
    denominator is zero (for example precision with no predictions but some
    gold).
    """

    tp: int = 0
    fp: int = 0
    fn: int = 0

    def __add__(self, other: Counts) -> Counts:
        return Counts(self.tp + other.tp, self.fp + other.fp, self.fn + other.fn)

    @property
    def gold(self) -> int:
        return self.tp + self.fn

    @property
    def predicted(self) -> int:
        return self.tp + self.fp

    def _ratio(self, denominator: int) -> float:
        if denominator:
            return self.tp / denominator
        return 1.0 if self.gold == self.predicted == 0 else 0.0

    @property
    def precision(self) -> float:
        return self._ratio(self.predicted)

    @property
    def recall(self) -> float:
        return self._ratio(self.gold)

    @property
    def f1(self) -> float:
        if self.gold == self.predicted == 0:
            return 1.0
        precision, recall = self.precision, self.recall
        return 2 * precision * recall / (precision + recall) if precision + recall else 0.0

    def to_json(self) -> dict[str, float | int]:
        return {
            "gold": self.gold,
            "predicted": self.predicted,
            "tp": self.tp,
            "fp": self.fp,
            "fn": self.fn,
            "precision": round(self.precision, 4),
            "recall": round(self.recall, 4),
            "f1": round(self.f1, 4),
        }


def maximum_matching(left: int, right: int, matches: Callable[[int, int], bool]) -> int:
    """Return the size of a maximum matching in a bipartite graph.

    Augmenting paths from each left node in turn (Kuhn's algorithm), in
    O(left * edges) time, which is small for the names or spans of one paper.

    Parameters
    ----------
    left, right : int
        Number of nodes on each side.
    matches : callable
        ``matches(i, j)`` is True when left node i may pair with right node j.

    Examples
    --------
    >>> maximum_matching(2, 2, lambda i, j: j == 0)
    1
    """
    adjacency = [[j for j in range(right) if matches(i, j)] for i in range(left)]
    partner: list[int | None] = [None] * right

    def augment(i: int, visited: list[bool]) -> bool:
        for j in adjacency[i]:
            if visited[j]:
                continue
            visited[j] = True
            current = partner[j]
            if current is None or augment(current, visited):
                partner[j] = i
                return True
        return False

    return sum(augment(i, [False] * right) for i in range(left))


def _group_by_type(spans: Iterable[SpanTuple]) -> dict[str, list[tuple[int, int]]]:
    grouped: dict[str, set[tuple[int, int]]] = defaultdict(set)
    for start, end, span_type in spans:
        grouped[span_type].add((start, end))
    return {span_type: sorted(offsets) for span_type, offsets in grouped.items()}


def score_spans(
    gold: Iterable[SpanTuple], predicted: Iterable[SpanTuple], *, mode: MatchMode, types: Sequence[str]
) -> dict[str, Counts]:
    """Score the spans of one document per type.

    Parameters
    ----------
    gold, predicted : iterable of (start, end, type)
        Character offsets (end-exclusive) and evaluation type; duplicates count once.
    mode : {"exact", "partial"}
        Exact boundaries, or any overlap (one-to-one).
    types : sequence of str
        The types to score; spans of other types are ignored.

    Returns
    -------
    dict of str to Counts
        One entry per type in `types`.

    Examples
    --------
    >>> score_spans([(0, 9, "task")], [(0, 4, "task")], mode="partial", types=["task"])["task"]
    Counts(tp=1, fp=0, fn=0)
    """
    gold_by_type = _group_by_type(gold)
    predicted_by_type = _group_by_type(predicted)
    scores: dict[str, Counts] = {}
    for span_type in types:
        gold_spans = gold_by_type.get(span_type, [])
        predicted_spans = predicted_by_type.get(span_type, [])
        if mode == "exact":
            tp = len(set(gold_spans) & set(predicted_spans))
        else:
            tp = maximum_matching(
                len(gold_spans),
                len(predicted_spans),
                lambda i, j: gold_spans[i][0] < predicted_spans[j][1] and predicted_spans[j][0] < gold_spans[i][1],
            )
        scores[span_type] = Counts(tp=tp, fp=len(predicted_spans) - tp, fn=len(gold_spans) - tp)
    return scores


def item_keys(names: Iterable[str]) -> frozenset[str]:
    """Return the `kg.resolve.entity_key` of each name, without empty keys."""
    return frozenset(key for key in map(entity_key, names) if key)


def score_items(gold: Sequence[frozenset[str]], predicted: Sequence[frozenset[str]]) -> Counts:
    """Score paper-level items: each is a set of alternative keys, and two items match when they share one.

    Examples
    --------
    >>> score_items([frozenset({"reinforcement learning", "rl"})], [frozenset({"rl"}), frozenset({"ppo"})])
    Counts(tp=1, fp=1, fn=0)
    """
    gold = [item for item in gold if item]
    predicted = [item for item in predicted if item]
    tp = maximum_matching(len(gold), len(predicted), lambda i, j: not gold[i].isdisjoint(predicted[j]))
    return Counts(tp=tp, fp=len(predicted) - tp, fn=len(gold) - tp)


def micro_total(rows: Mapping[str, Counts]) -> Counts:
    """Return the sum of the counts of all rows (their micro-average)."""
    total = Counts()
    for counts in rows.values():
        total = total + counts
    return total
