"""Extraction of typed relations between the entities of one paper.

`RelationExtractor` (factory ``kg_relations``) reads the entity spans and the
proposed spans and appends one dict per relation to ``doc._.kg_relations``.
Every relation joins recognised entity mentions (``doc.spans["kg_entities"]``)
inside one sentence, and its object must have a type that fits the relation.

``evaluated_on`` (object: dataset) needs all of:

- the sentence has an evaluation word ("experiments", "evaluate", "achieves",
  "outperforms", "scores", "leads", "state of the art", ...);
- a preposition ("on", "across", "in", "from", "over", "using") precedes the
  dataset, possibly through a list ("on MATH, AIME 2025, and AMC23");
- the nearest cue word before the dataset is not a training word
  ("trained on ImageNet" is no evaluation).

``uses``, ``built_on``, ``compared_with``, ``outperforms`` and ``addresses``
come from cue phrases (`CUE_PHRASES`): the object is the first entity mention
at most `OBJECT_WINDOW` tokens after the cue, with no clause break or
preposition between them, plus the mentions that continue it as a list ("A, B
and C"). The object types are in `OBJECT_TYPES`. A cue followed by "by"
("outperformed by X") is passive, so it yields nothing.

"compare X with Y" (also "to", "against", "and") gives X ``compared_with`` Y,
and a sentence that opens with "Compared to X, Y ..." gives Y ``compared_with`` X.

``is_a`` types an entity by a head noun: "X, a (novel ...) framework",
"X is a benchmark", "a framework named X" and "a framework, X,". Its object
is a concept key, the singular lower-case head noun (`concept_key`).

The subject (`clause_subject`) is found in the clause before the cue. A
clause starts after "while", "whereas", "but", "that", "which", ";" or ":".
In order, the subject is:

1. the entity before ", which" for a relative clause ("X, which outperforms");
2. the nearest mention of a proposed entity in the clause ("we propose
   Q-Insight, a model built upon GRPO");
3. the paper's first proposed entity when the clause starts with "we",
   "it" or "our/this <noun>" ("our method", "this approach");
4. the entity that starts the clause ("GPT-4 outperforms ...");
5. otherwise the paper itself (offsets -1, -1).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator, Sequence

from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc, Span

from kg.model import EntityType, RelationType
from kg.nlp.batching import BatchedComponent
from kg.nlp.entities import CUE_NOUNS
from kg.nlp.extensions import ENTITIES_KEY, PROPOSED_KEY, RELATIONS, register_extensions
from kg.nlp.tokens import token_table

__all__ = [
    "CONCEPT_TYPES",
    "CUE_PHRASES",
    "OBJECT_TYPES",
    "RelationExtractor",
    "SentenceIndex",
    "clause_subject",
    "concept_key",
    "evaluation_preposition",
    "is_evaluation_sentence",
    "is_prior_work_clause",
]

logger = logging.getLogger(__name__)

_EVALUATION_WORDS = re.compile(
    r"experiment\w*|evaluat\w*|results?|achiev\w*|outperform\w*|surpass\w*|attain\w*|leads?|"
    r"scor\w*|performances?|performs?|sota|accuracy|improv\w*|gains?|test(?:ed|ing)?|"
    r"benchmark\w*|reach\w*|excels?|beats?|validat\w*|tops?|ranks?|art"
)

_TRAINING_WORDS = re.compile(r"train\w*|pre-?train\w*|fine-?tun\w*|finetun\w*|distill\w*|learn(?:s|ed|ing)?")

_PREPOSITIONS = frozenset({"on", "across", "in", "from", "over", "using"})

# Tokens allowed between the preposition and the dataset ("on the", "on 12 Kaggle",
# "on MATH, AIME 2025, and"): determiners, numbers, list punctuation and conjunctions.
_LIST_FILLERS = frozenset({"the", "a", "an", "both", "all", "several", "nine", "five", ",", "and", "or", "&", "%", "(", ")"})

# Maximum distance, in tokens, from the preposition back to the dataset; a
# three-item list with scores ("62.6 on A, 79.0 on B") fits.
PREPOSITION_WINDOW = 10

_CLAUSE_BREAKS = frozenset({"while", "whereas", "but", ";", ":", "which", "that"})

# Words skipped before a clause's subject ("our CrossLoco", "the proposed Tango").
_SUBJECT_PREFIX = frozenset({"a", "an", "the", "our", "proposed", "both", "resulting", "trained", "full", "final", "then", ","})

# A subject starts at most this many tokens into its clause.
SUBJECT_WINDOW = 3

# Words that open a clause about other work ("existing methods", "prior approaches").
_PRIOR_WORK_WORDS = frozenset(
    {"existing", "prior", "previous", "current", "traditional", "conventional", "most", "many", "recent",
     "standard", "these", "such", "other", "some", "popular", "typical", "mainstream", "classical"}
)  # fmt: skip

# Maximum length, in tokens, of an opener skipped before "we" ("In this paper ,").
OPENER_WINDOW = 6

# ---------------------------------------------------------------------------
# Cue phrases of the relations other than evaluated_on and is_a.

# Phrases are matched case-insensitively on whole tokens. Past participles
# that are usually passive ("used", "adopted") are left out, because their
# subject is the object of the active verb.
CUE_PHRASES: dict[RelationType, tuple[str, ...]] = {
    RelationType.USES: (
        "use", "uses", "using", "utilize", "utilizes", "utilizing", "utilise", "utilises", "utilising",
        "leverage", "leverages", "leveraging", "employ", "employs", "employing", "adopt", "adopts",
        "adopting", "incorporate", "incorporates", "incorporating", "trained on", "trained with",
        "fine-tuned on", "finetuned on", "fine-tuning on", "train on", "relies on", "rely on",
        "relying on", "powered by", "equipped with",
    ),
    RelationType.BUILT_ON: (
        "built on", "built upon", "builds on", "builds upon", "build on", "build upon", "building on",
        "building upon", "based on", "on top of", "extends", "extending", "an extension of",
        "a variant of", "initialized from", "initialised from", "derived from", "generalizes",
        "generalises", "generalizing",
    ),
    RelationType.COMPARED_WITH: (
        "compared to", "compared with", "compared against", "comparison with", "comparison to",
        "comparison against", "comparisons with", "comparisons to", "compare with", "compare to",
        "compare against", "versus", "vs", "vs.", "relative to", "baselines such as",
        "baselines including", "baselines like", "baselines (", "baselines ,", "baseline methods such as",
        "baselines , including",
    ),
    RelationType.OUTPERFORMS: (
        "outperform", "outperforms", "outperformed", "outperforming", "surpass", "surpasses",
        "surpassed", "surpassing", "beat", "beats", "beating", "better than", "superior to",
        "exceed", "exceeds", "exceeding", "improves over", "improvement over", "improvements over",
        "improves upon", "improving over", "improving upon", "gains over", "advantage over",
    ),
    RelationType.ADDRESSES: (
        "address", "addresses", "addressing", "tackle", "tackles", "tackling", "solve", "solves",
        "solving", "for", "focus on", "focuses on", "focusing on", "targets", "targeting",
        "applied to", "apply to", "applies to", "improve", "improves", "improving", "enhance",
        "enhances", "enhancing", "boost", "boosts", "boosting", "advance", "advances", "advancing",
    ),
}  # fmt: skip

_METHOD_OR_MODEL = frozenset({EntityType.METHOD, EntityType.MODEL})

# Entity types that each relation's object may have.
OBJECT_TYPES: dict[RelationType, frozenset[EntityType]] = {
    RelationType.EVALUATED_ON: frozenset({EntityType.DATASET}),
    RelationType.USES: frozenset({EntityType.METHOD, EntityType.MODEL, EntityType.DATASET}),
    RelationType.BUILT_ON: frozenset({EntityType.METHOD, EntityType.MODEL, EntityType.DATASET}),
    RelationType.COMPARED_WITH: _METHOD_OR_MODEL,
    RelationType.OUTPERFORMS: _METHOD_OR_MODEL,
    RelationType.ADDRESSES: frozenset({EntityType.TASK}),
}

# How many tokens after a cue its object may start ("outperforms strong
# proprietary baselines such as GPT-4o": 5). Larger windows reach into the
# next phrase of the sentence.
OBJECT_WINDOW = 6

# Cues whose object must follow almost at once, because the cue word is
# common ("for", "improve"): "for code generation", "improves the
# mathematical reasoning".
_SHORT_CUES = frozenset({"for", "improve", "improves", "improving", "enhance", "enhances", "enhancing",
                         "boost", "boosts", "boosting", "advance", "advances", "advancing"})  # fmt: skip
SHORT_OBJECT_WINDOW = 2

# Tokens that end the search for an object: the object of a cue never sits
# behind a clause break or a preposition that starts another phrase.
_OBJECT_STOPS = frozenset(
    {".", ";", ":", "that", "which", "while", "whereas", "but", "on", "in", "across", "over", "by",
     "to", "at", "from", "with", "without", "under", "when", "where", "via", "through", "into", "for",
     "of", "after", "before", "than", "is", "are", "was", "were", "and", "or", ","}
)  # fmt: skip

# Tokens that continue a list of objects ("GRPO, PPO, and DAPO", "GRPO or PPO").
_LIST_JOINERS = frozenset({",", "and", "or", "as", "well", "(", ")", "e.g.", "i.e.", "including"})

# Words that make "our/this <noun>" mean the paper's own artifact ("our method").
_ARTIFACT_NOUNS = frozenset(
    {"method", "approach", "framework", "model", "algorithm", "system", "agent", "technique", "pipeline",
     "architecture", "policy", "solution", "design", "recipe", "benchmark", "dataset", "metric"}
)  # fmt: skip

# ---------------------------------------------------------------------------
# is_a: head nouns.

# Concept keys that also decide the type of the entity they describe.
CONCEPT_TYPES: dict[str, EntityType] = {
    **dict.fromkeys(
        ("framework", "algorithm", "method", "approach", "technique", "architecture"), EntityType.METHOD
    ),
    **dict.fromkeys(("model", "llm", "checkpoint"), EntityType.MODEL),
    **dict.fromkeys(("benchmark", "dataset", "suite", "corpus", "testbed", "leaderboard"), EntityType.DATASET),
    "metric": EntityType.METRIC,
    "task": EntityType.TASK,
}

_IRREGULAR_SINGULARS = {"corpora": "corpus", "llms": "llm", "suites": "suite"}

# Articles that open the description of an is_a ("X, a ...", "X is an ...").
_ARTICLES = frozenset({"a", "an"})

# Maximum tokens from the article to the head noun ("a guided unsupervised
# reinforcement learning framework" has 6).
IS_A_WINDOW = 8

# Tokens after which a head noun's phrase has ended.
_HEAD_STOPS = frozenset(
    {".", ",", ";", ":", "(", ")", "that", "which", "where", "who", "whose", "to", "for", "of", "with",
     "in", "on", "by", "from", "and", "or", "designed", "trained", "built", "based", "using", "tailored",
     "specifically", "aimed", "capable", "comprising", "consisting", "containing", "featuring", "named",
     "called", "dubbed", "termed", "is", "are", "was", "were", "as", "via"}
)  # fmt: skip

_NAMING_WORDS = frozenset({"named", "called", "dubbed", "termed", "coined"})


def concept_key(word: str) -> str:
    """Return the concept key of a head noun: lower case and singular.

    Examples
    --------
    >>> concept_key("Frameworks"), concept_key("LLMs"), concept_key("corpora")
    ('framework', 'llm', 'corpus')
    """
    lower = word.lower()
    if lower in _IRREGULAR_SINGULARS:
        return _IRREGULAR_SINGULARS[lower]
    if lower.endswith("s") and not lower.endswith("ss") and lower[:-1] in CUE_NOUNS:
        return lower[:-1]
    return lower


def _is_concept_word(word: str) -> bool:
    return word.lower() in CUE_NOUNS


def is_evaluation_sentence(tokens: Span) -> bool:
    """True when a sentence or clause has an evaluation word (see module docstring)."""
    return any(_EVALUATION_WORDS.fullmatch(token.lower_) for token in tokens)


def evaluation_preposition(doc: Doc, dataset: Span, datasets: Sequence[Span], sentence_start: int) -> int | None:
    """Return the index of the preposition that governs `dataset`, or None.

    Walks back from the dataset over determiners, numbers, list punctuation
    and other dataset mentions, up to `PREPOSITION_WINDOW` tokens.
    """
    inside_other = {index for span in datasets if span.start != dataset.start for index in range(span.start, span.end)}
    for index in range(dataset.start - 1, max(sentence_start, dataset.start - PREPOSITION_WINDOW) - 1, -1):
        token = doc[index]
        if token.lower_ in _PREPOSITIONS:
            return index
        if index in inside_other or token.lower_ in _LIST_FILLERS or token.like_num or token.is_punct:
            continue
        return None
    return None


def _nearest_cue_is_training(doc: Doc, before: int, sentence_start: int) -> bool:
    tokens = token_table(doc, refresh_sentences=False)
    lowers = tokens.lowers
    for index in range(before - 1, sentence_start - 1, -1):
        word = lowers[index]
        if _TRAINING_WORDS.fullmatch(word):
            return True
        if _EVALUATION_WORDS.fullmatch(word):
            return False
    return False


def _clause_start(doc: Doc, position: int, sentence_start: int) -> int:
    tokens = token_table(doc, refresh_sentences=False)
    lowers = tokens.lowers
    for index in range(position - 1, sentence_start - 1, -1):
        if lowers[index] in _CLAUSE_BREAKS:
            return index
    return sentence_start


class SentenceIndex:
    """The sentence of each token, computed once per Doc.

    `Span.sent` walks the Doc on every call when the sentencizer set the
    boundaries, which makes per-mention lookups quadratic in the Doc length.
    """

    def __init__(self, doc: Doc) -> None:
        self.doc = doc
        tokens = token_table(doc)
        ranges = tokens.sentences() if tokens.has_sentences else [(0, len(doc))]
        # The sentence number of each token; a sentence's Span is made on first use.
        self._sentence_of: list[int] = []
        for number, (start, end) in enumerate(ranges):
            self._sentence_of.extend([number] * (end - start))
        self._ranges = ranges
        self._spans: dict[int, Span] = {}

    def of(self, token: int) -> Span:
        """Return the sentence that contains token index `token`."""
        number = self._sentence_of[token]
        span = self._spans.get(number)
        if span is None:
            start, end = self._ranges[number]
            span = self._spans[number] = self.doc[start:end]
        return span


def clause_subject(
    doc: Doc,
    position: int,
    sentence_start: int,
    *,
    entities: Sequence[Span],
    proposed: Sequence[Span],
) -> Span | None:
    """Return the entity span that is the subject of the clause before token `position`.

    Parameters
    ----------
    doc : Doc
    position : int
        Token index of the cue (or the number of a result).
    sentence_start : int
        Token index where the sentence starts.
    entities : sequence of Span
        All entity spans of the Doc.
    proposed : sequence of Span
        The entity spans whose text the paper proposes, in text order.

    Returns
    -------
    Span or None
        The subject's span by the rules of the module docstring, or None when
        the subject is the paper itself.
    """
    tokens = token_table(doc, refresh_sentences=False)
    lowers = tokens.lowers
    texts = tokens.texts
    clause = _clause_start(doc, position, sentence_start)
    breaks_here = clause > sentence_start or lowers[clause] in _CLAUSE_BREAKS

    # 1. "X, which ...": the subject is X, right before the comma; and
    # "X, a framework that ...": X, before the apposition.
    if breaks_here and lowers[clause] in {"which", "that"}:
        before = clause - 1 if clause > 0 and texts[clause - 1] == "," else clause
        relative = next((span for span in entities if span.end == before), None)
        relative = relative or _apposition_subject(doc, clause, sentence_start, entities)
        if relative is not None or lowers[clause] == "which":
            return relative

    # 2. The nearest proposed mention between the clause start and the cue.
    inside = [span for span in proposed if clause <= span.start and span.end <= position]
    if inside:
        return inside[-1]

    start = clause + 1 if breaks_here else clause
    start = _skip_opener(doc, start, position)
    while start < position and lowers[start] in _SUBJECT_PREFIX and start - clause <= SUBJECT_WINDOW:
        if lowers[start] == "our" and start + 1 < len(doc) and lowers[start + 1] in _ARTIFACT_NOUNS:
            break
        start += 1
    if start >= position:
        return None

    # 3. "we", "it", "our method", "this approach" refer to the paper's artifact.
    # NOTE: a paper that proposes several artifacts gets its first one here.
    word = lowers[start]
    following = lowers[start + 1] if start + 1 < len(doc) else ""
    if word in {"we", "it"} or (word in {"our", "this"} and following in _ARTIFACT_NOUNS):
        return proposed[0] if proposed else None

    # 4. The entity that starts the clause.
    return next((span for span in entities if span.start == start), None)


def _apposition_subject(doc: Doc, clause: int, sentence_start: int, entities: Sequence[Span]) -> Span | None:
    """Return X of "X, a <description> that|which" ending at token `clause`, or None."""
    tokens = token_table(doc, refresh_sentences=False)
    lowers = tokens.lowers
    texts = tokens.texts
    for comma in range(clause - 1, max(sentence_start, clause - IS_A_WINDOW - 2) - 1, -1):
        if texts[comma] != ",":
            continue
        if comma + 1 < clause and lowers[comma + 1] in _ARTICLES:
            return next((span for span in entities if span.end == comma), None)
        return None
    return None


def is_prior_work_clause(doc: Doc, position: int, sentence_start: int) -> bool:
    """True when the clause before token `position` is about other work ("Existing methods rely on ...").

    Such a clause has no subject that kg can name, and the paper is not its subject either.
    """
    tokens = token_table(doc, refresh_sentences=False)
    lowers = tokens.lowers
    clause = _clause_start(doc, position, sentence_start)
    start = clause + 1 if clause > sentence_start or lowers[clause] in _CLAUSE_BREAKS else clause
    start = _skip_opener(doc, start, position)
    return not _PRIOR_WORK_WORDS.isdisjoint(lowers[start : min(start + SUBJECT_WINDOW, position)])


def _skip_opener(doc: Doc, start: int, position: int) -> int:
    """Skip a sentence opener that ends with a comma before "we" ("In this paper, we ...")."""
    tokens = token_table(doc, refresh_sentences=False)
    lowers = tokens.lowers
    texts = tokens.texts
    for index in range(start, min(start + OPENER_WINDOW, position)):
        if texts[index] == "," and index + 1 < position and lowers[index + 1] == "we":
            return index + 1
    return start


def _object_spans(doc: Doc, cue_end: int, sentence_end: int, starts: dict[int, Span], relation: RelationType, window: int) -> Iterator[Span]:
    """Yield the objects of a cue that ends at token `cue_end`: the first fitting entity, then its list."""
    allowed = OBJECT_TYPES[relation]
    lowers = token_table(doc, refresh_sentences=False).lowers
    index = cue_end
    limit = min(cue_end + window, sentence_end)
    first: Span | None = None
    while index < limit:
        span = starts.get(index)
        if span is not None:
            if EntityType(span.label_) not in allowed:
                return
            first = span
            break
        if lowers[index] in _OBJECT_STOPS:
            return
        index += 1
    if first is None:
        return
    yield first

    # List continuation: "A, B, and C", "A (B)", "A as well as B". An item
    # joined by a comma alone must be followed by more of the list, so that
    # in "Compared to PPO, DPO is ..." DPO is not an object.
    index = first.end
    joiners: list[str] = []
    while index < sentence_end:
        span = starts.get(index)
        if span is not None:
            if EntityType(span.label_) not in allowed:
                return
            following = lowers[span.end] if span.end < sentence_end else ""
            if not set(joiners) - {","} and following not in _LIST_JOINERS:
                return
            yield span
            index, joiners = span.end, []
            continue
        if lowers[index] not in _LIST_JOINERS:
            return
        joiners.append(lowers[index])
        index += 1


def _head_noun(doc: Doc, start: int, sentence_end: int) -> int | None:
    """Return the index of the head noun of the description that starts at token `start`, or None.

    The head is the first concept word (`CUE_NOUNS`) that ends the noun phrase:
    the next token is a stop (`_HEAD_STOPS`) or the sentence ends.
    """
    tokens = token_table(doc, refresh_sentences=False)
    lowers = tokens.lowers
    texts = tokens.texts
    for index in range(start, min(start + IS_A_WINDOW, sentence_end)):
        word = lowers[index]
        if word in _HEAD_STOPS and texts[index - 1] != "-":
            return None  # a stop word inside a compound ("learning-based") does not end the phrase
        if not _is_concept_word(word):
            continue
        following = index + 1
        if following >= sentence_end or lowers[following] in _HEAD_STOPS:
            return index
    return None


def _description_start(doc: Doc, index: int) -> int | None:
    """Return the token after "a"/"an"/"the first" at `index`, or None."""
    tokens = token_table(doc, refresh_sentences=False)
    lowers = tokens.lowers
    if index >= len(doc):
        return None
    if lowers[index] in _ARTICLES:
        return index + 1
    if lowers[index] == "the" and index + 1 < len(doc) and lowers[index + 1] == "first":
        return index + 2
    return None


def _is_a_relations(doc: Doc, entities: Sequence[Span], sentences: SentenceIndex) -> Iterator[dict[str, object]]:
    """Yield is_a dicts for "X, a <noun>", "X is a <noun>", "a <noun> named X" and "a <noun>, X,"."""
    tokens = token_table(doc, refresh_sentences=False)
    lowers = tokens.lowers
    texts = tokens.texts
    for span in entities:
        sentence = sentences.of(span.start)
        after = span.end
        description = None
        if after < sentence.end and texts[after] == ",":
            description = _description_start(doc, after + 1)
        elif after < sentence.end and lowers[after] in {"is", "was"}:
            description = _description_start(doc, after + 1)
        if description is not None:
            head = _head_noun(doc, description, sentence.end)
            if head is not None:
                yield _is_a(doc, span, head, sentence, doc[span.start : head + 1])
                continue

        # "a framework named X", "a new benchmark, X,"
        before = span.start - 1
        if before > sentence.start and lowers[before] in _NAMING_WORDS:
            before -= 1
        elif before > sentence.start and texts[before] == "," and span.end < sentence.end and texts[span.end] in {",", "(", "."}:
            before -= 1
        else:
            continue
        if before >= sentence.start and _is_concept_word(lowers[before]):
            article = before - 1
            while article > max(sentence.start, before - IS_A_WINDOW) and lowers[article] not in _ARTICLES:
                article -= 1
            if lowers[article] in _ARTICLES and not any(lowers[i] in _HEAD_STOPS for i in range(article + 1, before)):
                yield _is_a(doc, span, before, sentence, doc[article : span.end])


def _is_a(doc: Doc, subject: Span, head: int, sentence: Span, evidence: Span) -> dict[str, object]:
    tokens = token_table(doc, refresh_sentences=False)
    return {
        "type": str(RelationType.IS_A),
        "subject_start": subject.start_char,
        "subject_end": subject.end_char,
        "object_start": tokens.starts[head],
        "object_end": tokens.ends[head],
        "concept": concept_key(tokens.texts[head]),
        "sentence_start": sentence.start_char,
        "sentence_end": sentence.end_char,
        "evidence_start": evidence.start_char,
        "evidence_end": evidence.end_char,
    }


def _mentions_of(doc: Doc, entities: Sequence[Span], texts: set[str]) -> list[Span]:
    """Return the entity spans whose text is one of `texts`, in the order of `entities`."""
    if not texts:
        return []  # skips a Span.text call per entity, which builds the text token by token
    tokens = token_table(doc, refresh_sentences=False)
    return [span for span in entities if tokens.span_text(span.start, span.end) in texts]


class RelationExtractor(BatchedComponent):
    """Write typed relations to ``doc._.kg_relations``.

    Reads ``doc.spans[entities_key]`` and ``doc.spans["kg_proposed"]``
    (`kg.nlp.extensions.PROPOSED_KEY`). Every mention of a proposed entity's
    text counts as proposed, so "Tango achieves ..." finds Tango although only
    the first mention of Tango is in the proposed group. The cues and subject
    rules are in the module docstring.
    """

    def __init__(self, nlp: Language, name: str, *, entities_key: str = ENTITIES_KEY) -> None:
        register_extensions()
        self.name = name
        self.entities_key = entities_key
        self.matcher = PhraseMatcher(nlp.vocab, attr="LOWER")
        for relation, phrases in CUE_PHRASES.items():
            self.matcher.add(str(relation), [nlp.make_doc(phrase) for phrase in phrases])

    def __call__(self, doc: Doc) -> Doc:
        entities = sorted(doc.spans[self.entities_key], key=lambda span: span.start) if self.entities_key in doc.spans else []
        tokens = token_table(doc, refresh_sentences=False)
        # Span texts from the token lists: Span.text joins the span's tokens on every call.
        proposed_texts = {tokens.span_text(span.start, span.end) for span in doc.spans.get(PROPOSED_KEY, ())}
        proposed = _mentions_of(doc, entities, proposed_texts)

        sentences = SentenceIndex(doc)
        relations: list[dict[str, object]] = []
        relations += self._evaluated_on(doc, entities, proposed, sentences)
        relations += self._cued(doc, entities, proposed, sentences)
        relations += _compare_relations(doc, entities, sentences)
        relations += _is_a_relations(doc, entities, sentences)
        doc._.set(RELATIONS, relations)
        return doc

    def _evaluated_on(
        self, doc: Doc, entities: Sequence[Span], proposed: Sequence[Span], sentences: SentenceIndex
    ) -> list[dict[str, object]]:
        datasets = [span for span in entities if span.label_ == str(EntityType.DATASET)]
        relations = []
        lowers = token_table(doc, refresh_sentences=False).lowers
        evaluation: dict[int, bool] = {}  # sentence start -> is_evaluation_sentence
        for dataset in datasets:
            sentence = sentences.of(dataset.start)
            preposition = evaluation_preposition(doc, dataset, datasets, sentence.start)
            if preposition is None:
                continue
            if sentence.start not in evaluation:
                words = lowers[sentence.start : sentence.end]
                evaluation[sentence.start] = any(_EVALUATION_WORDS.fullmatch(word) for word in words)
            if not evaluation[sentence.start]:
                continue
            if _nearest_cue_is_training(doc, preposition, sentence.start):
                continue
            subject = clause_subject(doc, preposition, sentence.start, entities=entities, proposed=proposed)
            if subject is not None and subject.start == dataset.start:
                continue
            relations.append(_relation(RelationType.EVALUATED_ON, subject, dataset, sentence, dataset))
        return relations

    def _cued(
        self, doc: Doc, entities: Sequence[Span], proposed: Sequence[Span], sentences: SentenceIndex
    ) -> list[dict[str, object]]:
        starts = {span.start: span for span in entities}
        inside = {index for span in entities for index in range(span.start, span.end)}
        relations = []
        # Where cues overlap, the one with more tokens wins ("improves over" over "improves").
        matches = sorted(self.matcher(doc), key=lambda match: (match[1], -(match[2] - match[1])))
        tokens = token_table(doc, refresh_sentences=False)
        covered_until = -1
        for match_id, start, end in matches:
            if start < covered_until or start in inside:
                continue
            covered_until = end
            relation = RelationType(doc.vocab.strings[match_id])
            if end < len(tokens) and tokens.lowers[end] == "by":
                continue  # passive: "outperformed by X"
            sentence = sentences.of(start)
            window = SHORT_OBJECT_WINDOW if tokens.span_text(start, end).lower() in _SHORT_CUES else OBJECT_WINDOW
            objects = list(_object_spans(doc, end, sentence.end, starts, relation, window))
            if not objects or is_prior_work_clause(doc, start, sentence.start):
                continue
            subject = clause_subject(doc, start, sentence.start, entities=entities, proposed=proposed)
            if relation == RelationType.COMPARED_WITH and start == sentence.start:
                subject = _fronted_subject(doc, objects[-1].end, sentence.end, starts, proposed)
            for target in objects:
                if subject is not None and tokens.span_text(subject.start, subject.end) == tokens.span_text(target.start, target.end):
                    continue
                relations.append(_relation(relation, subject, target, sentence, doc[start : target.end]))
        return relations


def _fronted_subject(doc: Doc, after: int, sentence_end: int, starts: dict[int, Span], proposed: Sequence[Span]) -> Span | None:
    """Return Y of a fronted "Compared to X, Y ...": the subject after the comma that follows X."""
    tokens = token_table(doc, refresh_sentences=False)
    lowers = tokens.lowers
    texts = tokens.texts
    index = after
    while index < sentence_end and texts[index] != ",":
        index += 1
    index += 1
    while index < sentence_end and lowers[index] in _SUBJECT_PREFIX:
        if lowers[index] == "our" and index + 1 < sentence_end and lowers[index + 1] in _ARTIFACT_NOUNS:
            return proposed[0] if proposed else None
        index += 1
    if index < sentence_end and lowers[index] in {"we", "it"}:
        return proposed[0] if proposed else None
    return starts.get(index)


_COMPARE_VERBS = frozenset({"compare", "compares", "comparing", "contrast", "contrasts", "contrasting"})
_COMPARE_PREPOSITIONS = frozenset({"with", "to", "against", "and"})


def _compare_relations(doc: Doc, entities: Sequence[Span], sentences: SentenceIndex) -> Iterator[dict[str, object]]:
    """Yield compared_with dicts for "compare X with|to|against|and Y", with X as the subject."""
    starts = {span.start: span for span in entities}
    tokens = token_table(doc, refresh_sentences=False)
    lowers = tokens.lowers
    if _COMPARE_VERBS.isdisjoint(lowers):
        return  # most abstracts compare nothing, and this test runs in C
    for index in [index for index, lower in enumerate(lowers) if lower in _COMPARE_VERBS]:
        token = doc[index]
        sentence = sentences.of(token.i)
        subjects = list(_object_spans(doc, token.i + 1, sentence.end, starts, RelationType.COMPARED_WITH, SHORT_OBJECT_WINDOW))
        if len(subjects) != 1:
            continue  # "compare A, B and C" names no direction
        (subject,) = subjects
        if subject.end >= sentence.end or lowers[subject.end] not in _COMPARE_PREPOSITIONS:
            continue
        for target in _object_spans(doc, subject.end + 1, sentence.end, starts, RelationType.COMPARED_WITH, OBJECT_WINDOW):
            if tokens.span_text(target.start, target.end) != tokens.span_text(subject.start, subject.end):
                yield _relation(RelationType.COMPARED_WITH, subject, target, sentence, doc[token.i : target.end])


def _relation(relation: RelationType, subject: Span | None, target: Span, sentence: Span, evidence: Span) -> dict[str, object]:
    return {
        "type": str(relation),
        "subject_start": subject.start_char if subject is not None else -1,
        "subject_end": subject.end_char if subject is not None else -1,
        "object_start": target.start_char,
        "object_end": target.end_char,
        "concept": "",
        "sentence_start": sentence.start_char,
        "sentence_end": sentence.end_char,
        "evidence_start": evidence.start_char,
        "evidence_end": evidence.end_char,
    }
