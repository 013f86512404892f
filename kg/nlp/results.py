"""Extraction of numeric results: value, unit, spread, metric, benchmark and subject.

`ResultExtractor` (factory ``kg_results``) finds the numbers of each sentence
with `RESULT_PATTERN` and writes one dict per result to ``doc._.kg_results``.

Grammar of a result, in the order the parts are written::

    value [± spread] [unit] [± spread [unit]]

- value: a decimal number with an optional minus sign, with or without
  thousands separators ("94.1", "-3.2", "1,024", ".85");
- spread: the number after "±", "+/-" or "+-" ("85.3 ± 1.2", "85.3% ±1.2%");
- unit: "%" or "percent" -> "percent"; "points", "pts", "pp", "p.p." or
  "percentage points" -> "points"; "x" or "×" right after the number
  ("2.5x", "3×") -> "x"; nothing -> "".

A number with a unit is a result. A bare number is a result only where the
text makes it a score: a score verb ("scores", "achieves", "reaches", ...),
a metric mention or a "Benchmark:" label is at most `BARE_CUE_WINDOW`
tokens before it, or "on <dataset>" follows it. A bare number followed by
another word ("1,000 samples", "8 GPUs") is a count and is skipped.

Also skipped:

- numbers inside an entity mention ("AIME 2025", "Qwen2.5-7B");
- numbers glued to letters or symbols ("7B", "v2.1", "pass@1", "Top-1", and
  "N=820" unless a metric precedes the "=");
- years (1900-2099 without a unit);
- hyphenated ranges ("12-15%", "3–5x"), whose ends are not separate claims.

"from 40% to 60%" gives two results.

The other parts come from entity mentions of the same clause:

- metric: the nearest metric mention at most `METRIC_WINDOW` tokens away
  ("85% accuracy", "an accuracy of 85%");
- benchmark: a dataset mention after "on", "in", "across" or "at" at most
  `BENCHMARK_WINDOW` tokens after the number ("94.1 on RewardBench"), or a
  dataset mention right before the number, followed by ":" or "(" ("GSM8K:
  85.3", "GSM8K (85.3)");
- subject: `kg.nlp.relations.clause_subject`, kept only when it is a method
  or model ("Tango scores ...", "we achieve ..." with Tango proposed).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator, Sequence

from spacy.language import Language
from spacy.tokens import Doc, Span

from kg.model import EntityType
from kg.nlp.batching import BatchedComponent
from kg.nlp.extensions import ENTITIES_KEY, PROPOSED_KEY, RESULTS, register_extensions
from kg.nlp.relations import SentenceIndex, clause_subject, is_prior_work_clause
from kg.nlp.tokens import token_table

__all__ = ["RESULT_PATTERN", "ResultExtractor", "normalize_number", "unit_name"]

logger = logging.getLogger(__name__)

_NUMBER = r"[-−]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?|[-−]?\.\d+"
_UNSIGNED = r"(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?|\.\d+"
_PLUS_MINUS = r"(?:±|\+/-|\+-)"
_UNIT = r"%|percentage\s+points?\b|percent\b|points?\b|pts?\b|pp\b|p\.p\.|(?<=\d)[x×](?![\w])"

# The text left of a number must not be a letter, digit or one of these
# symbols, which glue the number to something else ("v2.1", "pass@1",
# "Top-1", "12-15", "12\u201315", "p<0.01", "1/2"). The dashes are "-" and
# the Unicode hyphens and dashes U+2010 to U+2014 and the minus sign U+2212.
RESULT_PATTERN = re.compile(
    rf"(?<![\w.,/@<>≤≥^*\u2010-\u2014\u2212-])(?P<value>{_NUMBER})"
    rf"(?:\s*{_PLUS_MINUS}\s*(?P<spread>{_UNSIGNED}))?"
    rf"(?:\s*(?P<unit>{_UNIT}))?"
    rf"(?:\s*\(?{_PLUS_MINUS}\s*(?P<spread_after>{_UNSIGNED})\s*(?:%|points?\b|pp\b)?\)?)?"
    r"(?![\w%])"
)

# A number followed by this is the first end of a range ("12-15%", "3–5x").
_RANGE_AFTER = re.compile(r"\s*[-\u2010-\u2014\u2212]\s*[-−]?\.?\d")

_YEAR = re.compile(r"(?:19|20)\d\d")

_SCORE_VERBS = frozenset(
    {"score", "scores", "scored", "scoring", "achieve", "achieves", "achieved", "achieving", "reach",
     "reaches", "reached", "reaching", "attain", "attains", "attained", "attaining", "obtain", "obtains",
     "obtained", "obtaining", "get", "gets", "yield", "yields", "yielding", "record", "records", "of",
     "=", ":", "at", "to", "from"}
)  # fmt: skip

# Words allowed between a score cue and a bare number ("achieves a score of 94.1").
_BARE_FILLERS = frozenset({"a", "an", "the", "score", "average", "mean", "up", "only", "about", "around", "nearly", "over", "of", "to", "just"})

# Maximum tokens from a bare number back to its cue ("scores an average of 94.1": 3).
BARE_CUE_WINDOW = 4

# Words that may follow a bare score; any other lower-case word makes it a count.
_AFTER_SCORE = frozenset(
    {"on", "in", "across", "at", "and", "or", "for", "with", "vs", "vs.", "versus", "compared", "while",
     "whereas", "respectively", "over", "against", "than", "when", "which", "overall", "average", "accuracy"}
)  # fmt: skip

# How far a metric mention may be from its number ("accuracy of 85%" is 2 tokens,
# "improves the average accuracy by up to 12.3%" is 6).
METRIC_WINDOW = 8

# How far after a number the dataset of "on <dataset>" may start ("85% accuracy
# on the GSM8K" is 5 tokens).
BENCHMARK_WINDOW = 6

# Words between a number and the metric it is measured in ("85 % average accuracy").
_UNIT_WORDS = frozenset({"%", "percent", "points", "point", "pp", "pts", "average", "mean", "overall", "higher", "lower", "relative", "absolute"})

_BENCHMARK_PREPOSITIONS = frozenset({"on", "in", "across", "at"})

# Tokens that end a clause for metric and benchmark lookups.
_CLAUSE_BREAKS = frozenset({";", "while", "whereas", "but", "which", "that"})

_SUBJECT_TYPES = frozenset({str(EntityType.METHOD), str(EntityType.MODEL)})


def normalize_number(text: str) -> str:
    """Return a written number as a plain decimal string.

    Examples
    --------
    >>> normalize_number("1,024.5"), normalize_number("−3"), normalize_number(".85")
    ('1024.5', '-3', '0.85')
    """
    number = text.replace(",", "").replace("−", "-").strip()
    if number.startswith("-."):
        return "-0" + number[1:]
    if number.startswith("."):
        return "0" + number
    return number


def unit_name(text: str | None) -> str:
    """Return the unit name ("percent", "points", "x" or "") of a written unit.

    Examples
    --------
    >>> unit_name("%"), unit_name("percentage points"), unit_name("×"), unit_name(None)
    ('percent', 'points', 'x', '')
    """
    if not text:
        return ""
    word = text.strip().lower()
    if word in {"%", "percent"}:
        return "percent"
    if word in {"x", "×"}:
        return "x"
    return "points"


class ResultExtractor(BatchedComponent):
    """Write numeric results to ``doc._.kg_results``.

    Reads ``doc.spans[entities_key]`` and ``doc.spans["kg_proposed"]``. Each
    result is a dict with "value", "unit" and "spread" (strings), "start" and
    "end" (the number with its unit and spread), "sentence_start",
    "sentence_end", and the character offsets of its subject, metric and
    benchmark mentions ("subject_start", ..., -1 when absent).
    """

    def __init__(self, nlp: Language, name: str, *, entities_key: str = ENTITIES_KEY) -> None:
        register_extensions()
        self.name = name
        self.entities_key = entities_key

    def __call__(self, doc: Doc) -> Doc:
        entities = sorted(doc.spans[self.entities_key], key=lambda span: span.start) if self.entities_key in doc.spans else []
        tokens = token_table(doc, refresh_sentences=False)
        # Span texts from the token lists: Span.text joins the span's tokens on every call.
        proposed_texts = {tokens.span_text(span.start, span.end) for span in doc.spans.get(PROPOSED_KEY, ())}
        proposed = [span for span in entities if tokens.span_text(span.start, span.end) in proposed_texts]
        inside = {index for span in entities for index in range(span.start, span.end)}
        sentences: SentenceIndex | None = None  # made at the first number that needs it
        text = tokens.text

        results = []
        for match in _find_numbers(text):
            span = doc.char_span(match.start(), match.end(), alignment_mode="expand")
            if span is None or any(index in inside for index in range(span.start, span.end)):
                continue
            unit = unit_name(match.group("unit"))
            if _RANGE_AFTER.match(text, match.end()) and not match.group("spread_after"):
                continue
            if not unit and _YEAR.fullmatch(match.group("value")):
                continue
            sentences = sentences or SentenceIndex(doc)
            sentence = sentences.of(span.start)
            clause_start, clause_end = _clause_bounds(tokens.lowers, span, sentence)
            metric = _metric(doc, entities, span, clause_start, clause_end)
            benchmark = _benchmark(doc, entities, span, clause_end)
            if not unit and not _is_score(doc, span, metric, benchmark, clause_start):
                continue
            if is_prior_work_clause(doc, span.start, sentence.start):
                continue
            subject = clause_subject(doc, span.start, sentence.start, entities=entities, proposed=proposed)
            if subject is not None and subject.label_ not in _SUBJECT_TYPES:
                subject = None
            spread = match.group("spread") or match.group("spread_after") or ""
            results.append(
                {
                    "value": normalize_number(match.group("value")),
                    "unit": unit,
                    "spread": normalize_number(spread) if spread else "",
                    "start": match.start(),
                    "end": match.end(),
                    "sentence_start": sentence.start_char,
                    "sentence_end": sentence.end_char,
                    **_offsets("subject", subject),
                    **_offsets("metric", metric),
                    **_offsets("benchmark", benchmark),
                }
            )
        doc._.set(RESULTS, results)
        return doc


def _offsets(name: str, span: Span | None) -> dict[str, int]:
    if span is None:
        return {f"{name}_start": -1, f"{name}_end": -1}
    return {f"{name}_start": span.start_char, f"{name}_end": span.end_char}


def _clause_bounds(lowers: Sequence[str], number: Span, sentence: Span) -> tuple[int, int]:
    """Return the token range of the clause around a number, cut at `_CLAUSE_BREAKS`.

    `lowers` contains each token's ``lower_``.
    """
    start = number.start
    while start > sentence.start and lowers[start - 1] not in _CLAUSE_BREAKS:
        start -= 1
    end = number.end
    while end < sentence.end and lowers[end] not in _CLAUSE_BREAKS:
        end += 1
    return start, end


# A character that can start a `RESULT_PATTERN` match: a sign, a decimal point or a digit.
_NUMBER_START = re.compile(r"[-−.\d]")


def _find_numbers(text: str) -> Iterator[re.Match[str]]:
    """Yield the matches of ``RESULT_PATTERN.finditer(text)``, found faster.

    The pattern starts with a lookbehind, which keeps the regular expression
    engine from skipping ahead to a possible first character, so `finditer`
    tries the whole pattern at every character. Here a character-class search
    finds each position where a number can start and the pattern is matched
    only there, which gives the same matches in about half the time.
    """
    position = 0
    while True:
        candidate = _NUMBER_START.search(text, position)
        if candidate is None:
            return
        match = RESULT_PATTERN.match(text, candidate.start())
        if match is None:
            position = candidate.start() + 1
        else:
            yield match
            position = match.end()


def _metric(doc: Doc, entities: Sequence[Span], number: Span, clause_start: int, clause_end: int) -> Span | None:
    """Return the nearest metric mention in the clause, at most `METRIC_WINDOW` tokens away.

    A metric after the number wins a tie. A metric with another number
    between it and this one belongs to that number.
    """
    best: tuple[int, int, Span] | None = None
    for span in entities:
        if span.label_ != str(EntityType.METRIC) or span.start < clause_start or span.end > clause_end:
            continue
        between = doc[span.end : number.start] if span.end <= number.start else doc[number.end : span.start]
        if any(token.like_num or RESULT_PATTERN.match(token.text) for token in between):
            continue
        if span.end <= number.start and _follows_number(doc, span.start):
            continue  # "85% accuracy ... 2.5x": the accuracy is the 85%'s
        if span.end <= number.start:
            distance, side = number.start - span.end, 1
        elif span.start >= number.end:
            distance, side = span.start - number.end, 0
        else:
            continue
        if distance <= METRIC_WINDOW and (best is None or (distance, side) < best[:2]):
            best = (distance, side, span)
    return best[2] if best is not None else None


def _follows_number(doc: Doc, start: int) -> bool:
    """True when token `start` comes right after a number and its unit ("85% accuracy")."""
    tokens = token_table(doc, refresh_sentences=False)
    lowers = tokens.lowers
    texts = tokens.texts
    index = start - 1
    while index >= 0 and lowers[index] in _UNIT_WORDS:
        index -= 1
    return index >= 0 and (doc[index].like_num or RESULT_PATTERN.fullmatch(texts[index]) is not None)


def _benchmark(doc: Doc, entities: Sequence[Span], number: Span, clause_end: int) -> Span | None:
    """Return the dataset of "<number> ... on <dataset>" or of "<dataset>: <number>", or None."""
    tokens = token_table(doc, refresh_sentences=False)
    lowers = tokens.lowers
    texts = tokens.texts
    starts = {span.start: span for span in entities}
    limit = min(number.end + BENCHMARK_WINDOW, clause_end)
    index = number.end
    while index < limit:
        token = doc[index]
        if token.like_num or token.text in {",", "(", "."}:
            break
        if token.lower_ in _BENCHMARK_PREPOSITIONS:
            target = index + 1
            while target < clause_end and lowers[target] in {"the", "a", "an"}:
                target += 1
            span = starts.get(target)
            if span is not None and span.label_ == str(EntityType.DATASET):
                return span
            break
        span = starts.get(index)
        index = span.end if span is not None else index + 1

    # "GSM8K: 85.3", "GSM8K (85.3)"
    if number.start >= 2 and texts[number.start - 1] in {":", "("}:
        before = next((span for span in entities if span.end == number.start - 1), None)
        if before is not None and before.label_ == str(EntityType.DATASET):
            return before
    return None


def _is_score(doc: Doc, number: Span, metric: Span | None, benchmark: Span | None, clause_start: int) -> bool:
    """True when a bare number (no unit) is a score rather than a count or an index."""
    following = doc[number.end] if number.end < len(doc) else None
    if following is not None and following.is_alpha and following.lower_ not in _AFTER_SCORE:
        return False
    if benchmark is not None and benchmark.start > number.start:
        return True
    index = number.start - 1
    while index >= max(clause_start, number.start - BARE_CUE_WINDOW):
        token = doc[index]
        if token.lower_ in _SCORE_VERBS and token.lower_ not in _BARE_FILLERS:
            return token.lower_ not in {"=", ":", "of", "at", "to", "from"} or _names_metric(metric, benchmark, index)
        if metric is not None and metric.end == index + 1:
            return True
        if token.lower_ not in _BARE_FILLERS:
            return False
        index -= 1
    return False


def _names_metric(metric: Span | None, benchmark: Span | None, index: int) -> bool:
    """True when a metric or dataset mention ends right before the symbol or word at `index`."""
    return any(span is not None and span.end in {index, index - 1} for span in (metric, benchmark))
