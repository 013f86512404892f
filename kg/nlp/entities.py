"""Rule-based recognition of methods, models, datasets, tasks and metrics.

`EntityRecognizer` (factory ``kg_entities``) collects candidate spans from four
sources, resolves overlaps with `resolve_overlaps`, and writes the result to
``doc.spans[spans_key]`` with an `EntityType` value as each span's label:

1. vocabulary: known names from the starter vocabulary and user files;
2. name shape: coined names such as "ProcessBench", "Q-Insight" or
   "Qwen2.5-Math-7B", typed by their form (`shape_type`);
3. context: names that the text introduces or types itself ("we propose X",
   "X, a novel framework", "the X dataset", "a new dataset, X,", "X (7B)",
   "the Donor Game", a title "X: ...");
4. abbreviations: a short form defined in the text ("... (GRPO)") gets the
   type of its long form, and the other way round;
5. statistical: the spans in ``doc.spans[statistical_key]``, written by a
   trained ``kg_statistical`` component (`kg.nlp.spans`) when the pipeline
   has one. It is the lowest-priority source.

Every name found once is then looked up in the rest of the Doc, so later
mentions ("Tango achieves ...") are spans too, and a dataset name joined to a
word by a hyphen ("Sotopia-hard") is a dataset too. The component needs no
statistical model: sentence boundaries and tokens are all it reads, plus the
statistical span group when a trained component fills it.

Vocabulary matching is case-sensitive for one-token names that are letters
only and contain a capital ("MATH", "GLUE", "Atari", "SQuAD"), because their
lower-case forms are ordinary words ("math", "glue"). Every other name is
matched case-insensitively: multi-word phrases change case in titles
("Question Answering"), lower-case names start sentences ("Accuracy"), and
names with digits or symbols vary in case without becoming words ("GSM8k").

Every span whose text is a vocabulary surface form (under the same case
rule) and whose label is that entry's type gets ``span.kb_id_`` = the entry's
canonical name, the first column of its line: "Zeta-Bench" and "ZB2" from the
line ``ZetaBench<TAB>dataset<TAB>Zeta-Bench|ZB2`` both get "ZetaBench". This
covers vocabulary matches, later mentions found by propagation, and names that
a context rule found first. A span that `_extend` grew past the vocabulary
form ("AIME" + "2025") keeps an empty kb_id unless the longer text is a form
too. `kg.extract` keys entities by the kb_id, so the aliases of one entry make
one entity. Span groups and `DocBin` store kb_id, so it survives serialisation.
"""

from __future__ import annotations

import logging
import operator
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from enum import IntEnum
from functools import lru_cache
from itertools import compress, islice, takewhile
from pathlib import Path
from typing import NamedTuple

from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc, Span

from kg.model import EntityType
from kg.nlp import speedups
from kg.nlp.batching import BatchedComponent
from kg.nlp.extensions import (
    ABBREVIATIONS,
    ENTITIES_KEY,
    INTRODUCED_KEY,
    STATISTICAL_KEY,
    TITLE_END,
    register_extensions,
)
from kg.nlp.tokens import TokenTable, token_table
from kg.nlp.vocabulary import Vocabulary, load_vocabulary, read_vocabulary_file
from kg.resolve import entity_key, normalize_dashes, normalize_text

__all__ = [
    "Candidate",
    "Chunk",
    "EntityRecognizer",
    "IntroducedName",
    "Source",
    "chunk_doc",
    "find_introductions",
    "find_title_name",
    "resolve_overlaps",
    "shape_type",
]

logger = logging.getLogger(__name__)


class Source(IntEnum):
    """Origin of a candidate; a higher value wins ties in `resolve_overlaps`."""

    STATISTICAL = 0
    SHAPE = 1
    ABBREVIATION = 2
    VOCABULARY = 3
    CONTEXT = 4


@dataclass(frozen=True, slots=True)
class Candidate:
    """A possible entity: token offsets into the Doc (end-exclusive), type and source."""

    start: int
    end: int
    label: EntityType
    source: Source

    @property
    def length(self) -> int:
        return self.end - self.start


class _TokenRange(NamedTuple):
    """Token offsets (end-exclusive) of a piece of a Doc."""

    start: int
    end: int


class Chunk(NamedTuple):
    """A whitespace-delimited piece of text, trimmed of punctuation at both ends.

    "(Qwen2.5-Math-7B)," is one chunk covering the tokens of Qwen2.5-Math-7B.
    `closed` is True when punctuation was trimmed after the chunk, which ends
    a multi-word name. `sentence_start` is True for the first chunk of a
    sentence, whose capital letter does not mark a name. A named tuple rather
    than a dataclass, because a Doc has hundreds of chunks and a named tuple
    is about four times faster to create (timeit, Python 3.11).
    """

    start: int
    end: int
    text: str
    closed: bool
    sentence_start: bool
    opened: bool = False


# ---------------------------------------------------------------------------
# Tunable limits, each with the reason for its value.

# Maximum length of a name that a context rule takes ("Multi-Agent Marginal Q-Learning
# from Demonstrations" is 7 chunks); longer runs are title-case prose.
MAX_NAME_CHUNKS = 8

# Function words allowed inside a multi-word name ("Dichotomy of Control"),
# at most this many, so that a run of capitalised words cannot swallow prose.
MAX_NAME_CONNECTORS = 2

# How far after a name a cue noun may follow and still type it ("X, a guided
# unsupervised reinforcement learning framework": 7 tokens).
CUE_WINDOW = 12

# Lower-case words allowed between the determiners and a cue noun that a comma
# closes, after an intro verb ("our proposed reward mechanism, X").
MAX_CUE_MODIFIERS = 2

# How many tokens before "propose"/"introduce" the subject "we" may stand
# ("we further propose", "In this paper we also introduce").
TRIGGER_SUBJECT_WINDOW = 4

# A title's "Name: subtitle" prefix longer than this is a phrase, not a name.
MAX_TITLE_NAME_CHUNKS = 4

# Maximum chunks of a name taken from "<cue noun>, X," without an acronym after it
# ("a new dataset, Anyprefer-V1,"), because a longer capitalised run after a comma is usually prose.
MAX_APPOSITION_CHUNKS = 4

# Entries kept by each cache of per-string decisions (shapes, name flags,
# entity keys, vocabulary ids). Words repeat across abstracts, so a bounded
# cache hits often, and its memory stays bounded (an estimated 10 MB per cache
# for short strings) however large the corpus.
TEXT_CACHE_SIZE = 1 << 16

# `kg.resolve.entity_key` of span texts, which repeat across abstracts.
_entity_key = lru_cache(maxsize=TEXT_CACHE_SIZE)(entity_key)

# ---------------------------------------------------------------------------
# Word lists. All are lower case and compared with token.lower_.

_CONNECTORS = frozenset({"of", "for", "from", "with", "via", "and", "in", "on", "to", "as", "the", "a"})

# Capitalised words that start sentences as adverbs, not names ("Here, a new
# benchmark ..."); words ending in "-ly" are adverbs too.
_SENTENCE_ADVERBS = frozenset(
    {"here", "thus", "hence", "overall", "first", "second", "third", "then", "next", "instead", "further",
     "also", "today", "now", "yet", "so", "still", "together", "therefore", "meanwhile", "besides",
     "otherwise", "again", "later", "finally", "indeed", "nevertheless", "nonetheless", "consequently"}
)  # fmt: skip

# Words that may follow the cue noun of a sentence-initial apposition ("X, a novel framework for ...").
_APPOSITION_ENDS = frozenset({",", ".", "for", "that", "which", "to", "designed", "built", "based"})

_DETERMINERS = frozenset({"a", "an", "the", "our", "this", "its", "their", "two", "three", "several"})

# Adjectives skipped between "we propose" and the name ("we propose a novel X").
_INTRO_ADJECTIVES = frozenset(
    {
        "novel", "new", "simple", "online", "effective", "efficient", "general", "unified", "scalable",
        "lightweight", "principled", "practical", "hybrid", "modified", "first", "generic", "flexible",
        "robust", "powerful", "single", "open", "fast", "further", "also", "here", "then", "thus",
    }
)  # fmt: skip

_INTRO_VERBS = frozenset(
    {
        "propose", "proposes", "proposing", "introduce", "introduces", "introducing", "present",
        "presents", "presenting", "develop", "develops", "developing", "design", "designs",
        "release", "releases", "releasing", "build", "builds", "create", "creates", "contribute",
        "construct", "constructs", "curate", "curates", "offer", "offers", "proposed",
    }
)  # fmt: skip

# Subjects that make an intro verb mean "this paper introduces".
_INTRO_SUBJECTS = frozenset({"we", "paper", "work", "study", "article", "report", "thesis", "i"})

# Verbs that name something: "a model named X", "dubbed X", "we call it X".
_NAMING_VERBS = frozenset({"named", "called", "dubbed", "termed", "coined", "nicknamed", "call", "name"})

# Words that can start an introduction rule in `_find_introductions`.
_INTRO_OR_NAMING_VERBS = _INTRO_VERBS | _NAMING_VERBS

# Head nouns that type the name they describe ("X, a novel framework").
CUE_NOUNS: dict[str, EntityType] = {
    **dict.fromkeys(
        (
            "benchmark", "benchmarks", "dataset", "datasets", "corpus", "corpora", "suite", "suites",
            "environment", "environments", "testbed", "leaderboard", "simulator", "treebank", "gym",
            "database", "game", "games",
        ),
        EntityType.DATASET,
    ),
    **dict.fromkeys(("model", "models", "llm", "llms", "checkpoint", "checkpoints"), EntityType.MODEL),
    **dict.fromkeys(("metric", "metrics", "measure", "score"), EntityType.METRIC),
    **dict.fromkeys(("task", "problem", "setting"), EntityType.TASK),
    **dict.fromkeys(
        (
            "framework", "frameworks", "method", "methods", "approach", "approaches", "algorithm",
            "algorithms", "technique", "techniques", "strategy", "strategies", "mechanism", "paradigm", "architecture", "pipeline", "system", "objective",
            "loss", "module", "procedure", "protocol", "scheme", "toolkit", "library", "tool",
            "recipe", "regularizer", "estimator", "attack", "defense", "optimizer", "variant",
            "extension", "formulation", "network", "agent", "policy", "planner", "learner",
        ),
        EntityType.METHOD,
    ),
}  # fmt: skip

# Cue nouns that, right after a name, make it a dataset ("the ProcessBench dataset").
_DATASET_AFTER_NAME = frozenset(
    {"benchmark", "benchmarks", "dataset", "datasets", "corpus", "suite", "environment", "environments",
     "testbed", "leaderboard", "simulator", "treebank", "game"}
)  # fmt: skip

# Tokens that end the description of a name ("X, a framework that ...").
_CUE_STOPS = frozenset({".", ";", "that", "which", "where", "who", "whose", "to", "for", "by", "(", ":"})

# Head words of a long form, for typing a defined abbreviation that no other
# source typed ("image quality assessment (IQA)" is a task).
_HEAD_TYPES: dict[str, EntityType] = {
    **dict.fromkeys(
        (
            "learning", "optimization", "optimisation", "algorithm", "framework", "method", "network",
            "networks", "search", "sampling", "regression", "attention", "tuning", "fine-tuning",
            "training", "distillation", "prompting", "decoding", "encoding", "embedding", "embeddings",
            "autoencoder", "transformer", "mechanism", "strategy", "approach", "technique",
            "gradient", "gradients", "policy", "critic", "buffer", "scheduling", "reinforcement",
            "alignment", "modeling", "modelling", "generation", "augmentation", "process",
        ),
        EntityType.METHOD,
    ),
    # A long form ending in "models" names a class of models or a technique ("hidden Markov
    # models (HMMs)"). Trained checkpoints get their type from their shape ("Qwen2.5-7B") or a cue.
    **dict.fromkeys(("model", "models"), EntityType.METHOD),
    **dict.fromkeys(("dataset", "benchmark", "corpus", "environment", "suite", "game"), EntityType.DATASET),
    **dict.fromkeys(
        ("accuracy", "score", "rate", "error", "ratio", "precision", "recall", "distance", "divergence"),
        EntityType.METRIC,
    ),
    **dict.fromkeys(
        (
            "assessment", "recognition", "detection", "classification", "answering", "translation",
            "segmentation", "retrieval", "prediction", "parsing", "summarization", "extraction",
            "estimation", "control", "navigation", "understanding", "captioning", "inference",
        ),
        EntityType.TASK,
    ),
}  # fmt: skip

# Coined-looking names that are organisations, products, venues or formats.
_NOT_ENTITIES = frozenset(
    {
        "github", "gitlab", "openai", "deepmind", "google", "microsoft", "nvidia", "meta", "anthropic",
        "huggingface", "hugging face", "youtube", "pytorch", "tensorflow", "javascript", "python",
        "linkedin", "phd", "latex", "bibtex", "neurips", "iclr", "icml", "acl", "emnlp", "naacl",
        "cvpr", "iccv", "eccv", "aaai", "ijcai", "arxiv", "openreview", "ai", "ml", "nlp", "cv",
        "sota", "api", "apis", "gpu", "gpus", "cpu", "tpu", "url", "iid", "i.i.d", "we", "our",
        "this", "these", "the", "in", "however", "moreover", "furthermore", "code", "data",
        "mcdonald", "wechat", "tiktok", "chatbot", "ieee", "acm", "usa", "eu", "uk", "covid-19",
    }
)  # fmt: skip

# Category names that papers abbreviate but that name no single artifact;
# compared by `kg.resolve.entity_key`, so plurals and case variants match too.
GENERIC_TERMS = frozenset(
    entity_key(term)
    for term in (
        "large language model", "language model", "LLM", "LM", "multi-modal large language model",
        "multimodal large language model", "MLLM", "large reasoning model", "LRM",
        "vision-language model", "VLM", "large vision-language model", "LVLM", "reward model", "RM",
        "neural network", "deep neural network", "DNN", "artificial neural network", "ANN",
        "artificial intelligence", "machine learning", "deep learning", "natural language processing",
        "computer vision", "Markov decision process", "MDP", "partially observable Markov decision process",
        "POMDP", "Markov game", "stochastic game", "agent", "foundation model", "pretrained language model", "PLM", "PLMs",
    )
)  # fmt: skip

# Last words of a capitalised run that name a game ("Donor Game", "Public Goods Games").
_GAME_HEADS = frozenset({"Game", "Games"})

# Closed list of words that continue a model name ("Claude 3.5 Sonnet").
_MODEL_VARIANTS = frozenset(
    {
        "sonnet", "opus", "haiku", "flash", "pro", "ultra", "turbo", "mini", "nano", "instruct",
        "chat", "base", "max", "plus", "lite", "large", "small", "medium", "xl", "xxl", "vision",
        "coder", "math", "reward", "preview", "distill",
    }
)  # fmt: skip

# ---------------------------------------------------------------------------
# Name shapes. Each pattern is tested on a whole chunk.

_SIZE = re.compile(r"\d+(?:\.\d+)?[BMKT]|\d+x\d+[BM]")
_VERSION = re.compile(r"v?\d+(?:\.\d+)*[a-z]?")
_LETTER_VERSION = re.compile(r"[A-Z]+\d+(?:[A-Z]+\d*)*")  # R1, R1V2, V3
_YEAR = re.compile(r"(?:19|20)\d\d")
_MODEL_CHARS = re.compile(r"[A-Z][A-Za-z0-9.]*(?:-[A-Za-z0-9.]+)*")
# Qwen2.5, Qwen3, SD3.5: a family name glued to a version (all capitals need a dotted version).
_FAMILY_VERSION = re.compile(r"[A-Z][A-Za-z]*[a-z][A-Za-z]*\d+(?:\.\d+)*[a-z]?|[A-Z]{2,}\d+\.\d+[a-z]?")
_BENCH = re.compile(r"[A-Z][A-Za-z0-9]*-?(?:[Bb]ench(?:mark)?|Eval|Gym|Arena)|[A-Z][A-Za-z0-9]*[a-z][A-Za-z0-9]*QA")
_MIXED_CASE = re.compile(r"[A-Z][A-Za-z0-9]*[a-z][A-Za-z0-9]*[A-Z][A-Za-z0-9]*|[A-Z]{2,}[a-z]+[A-Z][A-Za-z0-9]*")
_PLAIN_WORD = re.compile(r"[A-Z][a-z]+")
_LICENSE = re.compile(r"(?:CC|GPL|LGPL|AGPL|MIT|BSD|Apache)(?:-[A-Za-z0-9.]+)*", re.IGNORECASE)
_LETTERS = re.compile(r"[A-Za-z]{2,}")
_ACRONYM_PLURAL = re.compile(r"[A-Z]{2,}s")
_LETTER_DIGITS = re.compile(r"[A-Z]\d+")
_COMPOUND_SUFFIXES = frozenset({"based", "like", "style", "aware", "free", "level", "driven", "specific", "wise", "scale"})
_MODEL_SUFFIXES = ("RM", "LM", "LMs", "GPT", "BERT", "Net", "Former", "former")


def _is_model_shape(text: str) -> bool:
    """True for model names with a size or version ("Qwen2.5-Math-7B", "GPT-4o", "DeepSeek-R1")."""
    if not _MODEL_CHARS.fullmatch(text):
        return False
    parts = text.split("-")
    if any(_SIZE.fullmatch(part) for part in parts[1:]) or (len(parts) > 1 and _SIZE.fullmatch(parts[0][-3:] or "")):
        return True
    if _FAMILY_VERSION.fullmatch(parts[0]):
        return True
    if len(parts) < 2 or not _LETTERS.fullmatch(parts[0]):
        return False
    second = parts[1]
    if _YEAR.fullmatch(second):
        return False  # "SemEval-2018", "COVID-19"-like names are events and datasets
    return bool(_VERSION.fullmatch(second) and second[0].isdigit()) or bool(_LETTER_VERSION.fullmatch(second))


def _is_hyphen_name(text: str) -> bool:
    """True for hyphenated coined names: "Q-Insight", "Sotopia-RL", "DynLin-UCB", "VQ-VAE"."""
    parts = text.split("-")
    if len(parts) < 2 or not all(part[:1].isupper() or part[:1].isdigit() for part in parts):
        return False
    if parts[-1].lower().endswith(("ed", "ing")) or parts[-1].lower() in _COMPOUND_SUFFIXES:
        return False  # "LLM-Empowered", "RL-Based": an adjective, not a name
    if len(parts[0]) == 1 and parts[0].isalpha() and len(parts[1]) >= 3:
        return True  # "Q-Insight", "B-STaR"
    return any(len(part) >= 2 and (sum(c.isupper() for c in part) >= 2 or _MIXED_CASE.fullmatch(part)) for part in parts)


@lru_cache(maxsize=TEXT_CACHE_SIZE)
def shape_type(text: str) -> EntityType | None:
    """Return the entity type that a coined name's form implies, or None.

    Parameters
    ----------
    text : str
        One chunk of text without surrounding punctuation.

    Returns
    -------
    EntityType or None
        DATASET for benchmark-like names ("ProcessBench", "HumanEval",
        "TriviaQA"), MODEL for names with a size or version ("Qwen3-4B",
        "GPT-4o", "Skywork-R1V2-38B") or a model suffix ("VerifyRM"), METHOD
        for other mixed-case or hyphenated coined names ("CrossLoco",
        "Q-Insight"), None for ordinary words and known non-entities.

    Examples
    --------
    >>> shape_type("RewardBench"), shape_type("Qwen2.5-Math-7B"), shape_type("CrossLoco")
    (<EntityType.DATASET: 'dataset'>, <EntityType.MODEL: 'model'>, <EntityType.METHOD: 'method'>)
    >>> shape_type("However") is None
    True
    """
    if not (text[:1].isupper() or text[:1].isdigit()):
        return None  # every shape below starts with a capital, or a digit for hyphenated names
    if len(text) < 2 or text.lower() in _NOT_ENTITIES or _LICENSE.fullmatch(text):
        return None
    if _ACRONYM_PLURAL.fullmatch(text) or _LETTER_DIGITS.fullmatch(text):
        return None  # acronym plurals ("LLMs") and single letters with digits ("L2", "A100")
    if _BENCH.fullmatch(text):
        return EntityType.DATASET
    if _is_model_shape(text):
        return EntityType.MODEL
    coined = bool(_MIXED_CASE.fullmatch(text)) or _is_hyphen_name(text)
    if coined and text.endswith(_MODEL_SUFFIXES) and not text.isupper():
        return EntityType.MODEL
    if coined:
        return EntityType.METHOD
    return None


_CAPITAL_HYPHEN = re.compile(r"[A-Z]-[A-Z].*")


@lru_cache(maxsize=TEXT_CACHE_SIZE)
def _is_marked(text: str) -> bool:
    """True when a chunk looks coined: two capitals, letters with digits, or mixed case."""
    # map() runs the per-character tests in C; a generator would take a Python step each.
    if sum(map(str.isupper, text)) >= 2:
        return True
    if any(map(str.isdigit, text)) and any(map(str.isalpha, text)):
        return True
    return bool(_CAPITAL_HYPHEN.fullmatch(text)) or bool(_MIXED_CASE.fullmatch(text))


@lru_cache(maxsize=TEXT_CACHE_SIZE)
def _name_flags(text: str) -> tuple[bool, bool]:
    """Return whether a chunk with this text can be part of a name (inside a sentence, at its start).

    Index the result with the chunk's `sentence_start`. A capitalised word
    is a name only inside a sentence ("However", "Recently" start sentences);
    a coined-looking word (`_is_marked`) is one anywhere.
    """
    if not text or "(" in text or ")" in text or text.lower() in _NOT_ENTITIES:
        return (False, False)
    if text.isalpha() and text.islower():
        return (False, False)  # a lower-case word: neither capitalised nor marked
    if _is_marked(text):
        return (True, True)
    return (text[0].isupper(), False)


# Field getters for the map() passes over all chunks of a Doc, which run in C
# where a comprehension would run one Python step per chunk.
_TEXT_OF = operator.attrgetter("text")
_CLOSED_OF = operator.attrgetter("closed")
_SENTENCE_START_OF = operator.attrgetter("sentence_start")


# Text to `_name_flags` and to `shape_type`, for the compiled loops of
# `kg.nlp._speedups`, which look them up in C. The functions keep their own
# caches for the other callers.
_NAME_FLAGS: dict[str, tuple[bool, bool]] = {}
_SHAPE_TYPES: dict[str, EntityType | None] = {}


def _name_starts(chunks: list[Chunk]) -> list[bool]:
    """Return, for each chunk, whether it can be part of a name: capitalised or coined, and not a known non-entity.

    The rules compute this once per Doc and index the list.
    """
    compiled = speedups.COMPILED
    if compiled is not None:
        if len(_NAME_FLAGS) > TEXT_CACHE_SIZE:
            _NAME_FLAGS.clear()
        return compiled.name_starts(chunks, _NAME_FLAGS, _name_flags.__wrapped__)  # type: ignore[no-any-return]
    flags = map(_name_flags, map(_TEXT_OF, chunks))
    return list(map(operator.getitem, flags, map(_SENTENCE_START_OF, chunks)))


# ---------------------------------------------------------------------------
# Chunks and name runs


_EDGE_PUNCT = "()[]{},.;:!?\"'`“”‘’«»"
_EDGE_TOKENS = frozenset({"'s", "’s", "``", "''", "--"})


# Whether a token text is edge punctuation: only `_EDGE_PUNCT` characters
# (stripping them leaves nothing), or one of `_EDGE_TOKENS`. Filled by
# `_edge_flags` on the first lookup of each text.
_EDGE_TEXTS: dict[str, bool] = {}


def _edge_flags(texts: list[str]) -> list[bool]:
    """Return whether each token text is edge punctuation, with one ``dict.get`` per token (mapped in C)."""
    if len(_EDGE_TEXTS) > TEXT_CACHE_SIZE:
        _EDGE_TEXTS.clear()
    flags = list(map(_EDGE_TEXTS.get, texts))
    if None in flags:
        for index, flag in enumerate(flags):
            if flag is None:
                text = texts[index]
                flags[index] = _EDGE_TEXTS[text] = _is_edge_text(text)
    return flags  # type: ignore[return-value]


# Creates a Chunk from a tuple of all six fields. ``Chunk(...)`` runs the named
# tuple's ``__new__``, a Python function, and a Doc has hundreds of chunks, so
# the hot loop below calls the C constructor of tuple directly (about twice as
# fast, timeit, Python 3.11).
_new_chunk = tuple.__new__


def chunk_doc(doc: Doc) -> list[Chunk]:
    """Split a Doc into whitespace-delimited chunks, each trimmed of edge punctuation.

    Tokens of one chunk have no whitespace between them, so "Qwen2.5-Math-7B"
    (three spaCy tokens) is one chunk. Chunks that are only punctuation are
    dropped; a chunk before a sentence boundary is always `closed`. A chunk's
    text has Unicode dashes replaced by "-", so the name shapes, which split
    at "-", see "Qwen2.5\u2013Math\u20137B" as "Qwen2.5-Math-7B".
    """
    return _chunk_tokens(token_table(doc))


def _is_edge_text(text: str) -> bool:
    return not text.strip(_EDGE_PUNCT) or text in _EDGE_TOKENS


def _chunk_tokens(tokens: TokenTable) -> list[Chunk]:
    """`chunk_doc` on the token lists of a Doc, compiled when `kg.nlp.speedups` allows."""
    compiled = speedups.COMPILED
    if compiled is None:
        return _chunk_tokens_python(tokens)
    return compiled.chunk_tokens(tokens, _EDGE_PUNCT, _EDGE_TOKENS, Chunk, normalize_dashes, _closes_inner_bracket)  # type: ignore[no-any-return]


def _chunk_tokens_python(tokens: TokenTable) -> list[Chunk]:
    """Split the token lists into chunks in pure Python, the reference of the compiled `_chunk_tokens`."""
    texts = tokens.texts
    spaces = tokens.is_space
    whitespace = tokens.whitespace
    # Edge tokens are whitespace and edge punctuation.
    edges = list(map(operator.or_, spaces, _edge_flags(texts)))
    text = tokens.text
    token_starts = tokens.starts
    token_ends = tokens.ends
    starts = tokens.sent_starts
    count = len(texts)

    # A group of tokens with no whitespace between them ends after token i
    # when i has trailing whitespace, is whitespace, precedes whitespace or is last.
    ends_group = map(operator.or_, map(operator.or_, whitespace, spaces), [*spaces[1:], True])
    group_ends = list(compress(range(1, count + 1), ends_group))

    chunks: list[Chunk] = []
    group_start = 0
    for end in group_ends:
        begin = first = group_start
        group_start = end
        is_last = end == count
        if end - begin == 1 and not edges[begin]:
            # Fast path for the common group of one word token: nothing to trim.
            chunk_text = texts[begin]
            if not chunk_text.isascii():
                chunk_text = normalize_dashes(chunk_text)
            closed = is_last or starts[end]
            chunks.append(_new_chunk(Chunk, (begin, end, chunk_text, closed, begin == 0 or starts[begin], False)))
            continue
        while begin < end and edges[begin]:
            begin += 1
        trimmed_end = end
        while trimmed_end > begin and edges[trimmed_end - 1] and not _closes_inner_bracket(texts, begin, trimmed_end):
            trimmed_end -= 1
        if begin >= trimmed_end:
            if chunks:
                chunks[-1] = _close(chunks[-1])
            continue
        boundary = end < count and starts[end]
        chunk_text = text[token_starts[begin] : token_ends[trimmed_end - 1]]
        if not chunk_text.isascii():
            chunk_text = normalize_dashes(chunk_text)
        chunks.append(
            _new_chunk(
                Chunk,
                (
                    begin,
                    trimmed_end,
                    chunk_text,
                    trimmed_end < end or boundary or is_last,
                    first == 0 or any(starts[first : begin + 1]),
                    begin > first,
                ),
            )
        )
    return chunks


_BRACKET_PAIRS = {")": "(", "]": "["}


def _closes_inner_bracket(texts: Sequence[str], begin: int, end: int) -> bool:
    """True when texts[end - 1] closes a bracket opened inside texts[begin:end - 1] ("P[Love]")."""
    opener = _BRACKET_PAIRS.get(texts[end - 1])
    if opener is None:
        return False
    inner = "".join(texts[begin : end - 1])
    return inner.count(opener) > inner.count(texts[end - 1])


def _close(chunk: Chunk) -> Chunk:
    return Chunk(chunk.start, chunk.end, chunk.text, True, chunk.sentence_start, chunk.opened)


def _name_run(chunks: Sequence[Chunk], index: int, names: Sequence[bool]) -> int:
    """Return the index after the last chunk of the name that starts at `chunks[index]` (index if none).

    `names` is `_name_starts` of the chunks.
    """
    if index >= len(chunks) or not names[index]:
        return index
    end = index + 1
    connectors = 0
    position = index
    while not chunks[position].closed and position + 1 < len(chunks) and end - index < MAX_NAME_CHUNKS:
        following = chunks[position + 1]
        if following.opened:
            break
        if names[position + 1] and not following.sentence_start:
            position += 1
            end = position + 1
            continue
        if following.text == "and" and _is_marked(chunks[position].text) and position + 2 < len(chunks) and _is_marked(chunks[position + 2].text):
            break  # "ConvexDA and RewardFusion" are two names, "Hide and Seek" is one
        if following.text.lower() in _CONNECTORS and connectors < MAX_NAME_CONNECTORS and not following.closed:
            connectors += 1
            position += 1
            continue
        break
    return end


# Longest parenthesised short form taken as an acronym ("(DynLin-UCB)").
MAX_ACRONYM_CHARS = 12


def _acronym_after(tokens: TokenTable, chunks: Sequence[Chunk], position: int) -> int | None:
    """Return `position` if chunks[position] is a parenthesised acronym such as "(AMI)", else None."""
    if position >= len(chunks):
        return None
    chunk = chunks[position]
    parenthesised = chunk.opened and tokens.texts[chunk.start - 1] == "("
    if parenthesised and _is_marked(chunk.text) and len(chunk.text) <= MAX_ACRONYM_CHARS:
        return position
    return None


def _cue_type(tokens: TokenTable, start: int, *, forward: bool = True) -> EntityType | None:
    """Type from the first cue noun after (or right before) token `start`, within `CUE_WINDOW`."""
    lowers = tokens.lowers
    if not forward:
        for index in range(start - 1, max(start - 3, -1), -1):
            cue = CUE_NOUNS.get(lowers[index])
            if cue is not None:
                return cue
        return None
    count = len(lowers)
    sentence_end = tokens.sentence_bounds(start)[1] if start < count else count
    for index in range(start, min(start + CUE_WINDOW, sentence_end)):
        lower = lowers[index]
        if lower in _CUE_STOPS and index > start:
            return None
        cue = CUE_NOUNS.get(lower)
        if cue is not None and (index + 1 >= count or tokens.texts[index + 1] != "-"):
            return cue
    return None


# ---------------------------------------------------------------------------
# Context rules


@dataclass(frozen=True, slots=True)
class IntroducedName:
    """A name the text introduces: token offsets (end-exclusive) and its type."""

    start: int
    end: int
    label: EntityType


def _type_name(tokens: TokenTable, chunks: Sequence[Chunk], first: int, last: int) -> EntityType:
    """Type of the name chunks[first:last]: a cue after it, then its shape, then METHOD."""
    cue = _cue_type(tokens, chunks[last - 1].end)
    if cue is not None:
        return cue
    text = tokens.span_text(chunks[first].start, chunks[last - 1].end)
    return shape_type(text) or EntityType.METHOD


def _names_from(tokens: TokenTable, chunks: Sequence[Chunk], name_starts: Sequence[bool], position: int) -> list[IntroducedName]:
    """Names starting at chunks[position]: the run itself and a parenthesised acronym after it."""
    end = _name_run(chunks, position, name_starts)
    names: list[IntroducedName] = []
    if end > position:
        label = _type_name(tokens, chunks, position, end)
        acronym = _acronym_after(tokens, chunks, end) if chunks[end - 1].closed else None
        if acronym is not None:
            label = _cue_type(tokens, chunks[acronym].end) or label
            names.append(IntroducedName(chunks[acronym].start, chunks[acronym].end, label))
        names.insert(0, IntroducedName(chunks[position].start, chunks[end - 1].end, label))
        # "ConvexDA and RewardFusion": a second name joined by "and"
        if acronym is None and not chunks[end - 1].closed and end + 1 < len(chunks) and chunks[end].text == "and":
            second_end = _name_run(chunks, end + 1, name_starts)
            if second_end > end + 1:
                second = _type_name(tokens, chunks, end + 1, second_end)
                names.append(IntroducedName(chunks[end + 1].start, chunks[second_end - 1].end, second))
        return names
    # A lower-case phrase with a defined acronym: "the dichotomy of control (DoC)".
    for ahead in range(position, min(position + 6, len(chunks))):
        acronym = _acronym_after(tokens, chunks, ahead)
        if acronym is not None:
            label = _cue_type(tokens, chunks[acronym].end) or shape_type(chunks[acronym].text) or EntityType.METHOD
            return [IntroducedName(chunks[acronym].start, chunks[acronym].end, label)]
        if chunks[ahead].closed:
            break
    return []


def _skip_modifiers(chunks: Sequence[Chunk], name_starts: Sequence[bool], position: int) -> int:
    """Skip determiners and intro adjectives ("a novel", "an online"), then "<cue noun>," or "<cue> named"."""
    while position < len(chunks) and not chunks[position].closed:
        word = chunks[position].text.lower()
        if word in _DETERMINERS or word in _INTRO_ADJECTIVES:
            position += 1
            continue
        break
    # "reward mechanism, X": lower-case modifiers before a cue noun that a comma closes
    for ahead in range(position, min(position + MAX_CUE_MODIFIERS + 1, len(chunks) - 1)):
        candidate = chunks[ahead]
        if candidate.text.lower() in CUE_NOUNS and candidate.closed:
            position = ahead
            break
        if candidate.closed or not candidate.text.islower():
            break
    if position + 1 < len(chunks):
        word = chunks[position].text.lower()
        following = chunks[position + 1]
        # "<cue>, X", "<cue> named X", and "two techniques ConvexDA and RewardFusion"
        names_follow = not chunks[position].closed and name_starts[position + 1] and not following.opened
        if word in CUE_NOUNS and (chunks[position].closed or following.text.lower() in _NAMING_VERBS or names_follow):
            position += 1
            if chunks[position].text.lower() in _NAMING_VERBS:
                position += 1
            while position < len(chunks) and chunks[position].text.lower() in _DETERMINERS:
                position += 1
    return position


def _has_intro_subject(tokens: TokenTable, verb: int) -> bool:
    lowers = tokens.lowers
    if lowers[verb].endswith("ing"):
        return True
    if lowers[verb] == "proposed":
        return verb > 0 and lowers[verb - 1] == "our"  # "our proposed method, X"
    sentence_start = tokens.sentence_bounds(verb)[0]
    window = lowers[max(sentence_start, verb - TRIGGER_SUBJECT_WINDOW) : verb]
    return any(lower in _INTRO_SUBJECTS for lower in window)


def find_introductions(doc: Doc, chunks: Sequence[Chunk] | None = None) -> list[IntroducedName]:
    """Find names that the paper introduces.

    Cues: "we propose/introduce/present X", "this paper presents X", "a model
    named X" ("called", "dubbed", "termed"), "we propose a <cue noun>,
    X (Y)", and the "X" of a title "X: ...". Each result has token offsets and
    a type from the cue noun that describes it ("X, a novel benchmark").

    Notes
    -----
    A lower-case description ("we propose a method to ...") yields nothing:
    only names (capitalised or coined) and parenthesised acronyms count.
    """
    tokens = token_table(doc)
    chunks = _chunk_tokens(tokens) if chunks is None else list(chunks)
    return _find_introductions(tokens, chunks, _name_starts(chunks))


def _find_introductions(tokens: TokenTable, chunks: Sequence[Chunk], name_starts: Sequence[bool]) -> list[IntroducedName]:
    """`find_introductions` with the chunks and their `_name_starts`."""
    names: list[IntroducedName] = []
    # Only a chunk that is an intro or naming verb can start a rule, so the
    # loop visits those chunks alone.
    is_verb = map(_INTRO_OR_NAMING_VERBS.__contains__, map(str.lower, map(_TEXT_OF, chunks)))
    for position in compress(range(len(chunks)), is_verb):
        chunk = chunks[position]
        word = chunk.text.lower()
        is_intro = word in _INTRO_VERBS and _has_intro_subject(tokens, chunk.start)
        is_naming = word in _NAMING_VERBS and position > 0
        if not (is_intro or is_naming) or chunk.closed:
            continue
        target = _skip_modifiers(chunks, name_starts, position + 1)
        found = _names_from(tokens, chunks, name_starts, target)
        if is_naming and found:
            cue = _cue_type(tokens, chunk.start, forward=False)
            if cue is not None:
                found = [IntroducedName(name.start, name.end, cue) for name in found]
        names.extend(found)

    title = _find_title_name(tokens, chunks)
    if title is not None:
        names.append(title)
    return names


def find_title_name(doc: Doc, chunks: Sequence[Chunk] | None = None) -> IntroducedName | None:
    """Return the "X" of a title "X: subtitle" when X looks like a name, else None.

    X qualifies if it has at most `MAX_TITLE_NAME_CHUNKS` chunks and one of
    them looks coined ("RL Tango", "Q-Insight", "B-STaR"), or if X also
    appears capitalised in the abstract ("Cooper"). Its type comes from a cue
    noun next to it in the abstract, then from "benchmark"/"dataset"/"model"
    in the title, then from its shape; METHOD otherwise.
    """
    tokens = token_table(doc)
    return _find_title_name(tokens, _chunk_tokens(tokens) if chunks is None else chunks)


def _is_word_char(char: str) -> bool:
    """True for the characters that ``\\w`` matches in a str pattern."""
    return char.isalnum() or char == "_"


def _whole_mentions(text: str, name: str, *, hyphen_after: bool = False) -> Iterator[int]:
    """Yield the start offset of each occurrence of `name` in `text` that is not part of a longer word.

    The same matches as ``re.finditer(rf"(?<![\\w-]){re.escape(name)}(?![\\w-])", text)``:
    no word character or hyphen may stand right before or after the name.
    With `hyphen_after`, a hyphen after the name is allowed unless a word
    character follows it, as with ``(?![\\w]|-\\w)`` ("GRPO-" ending a line,
    but not "Sotopia-hard"). Plain `str.find` needs no compiled pattern per
    name, and most names occur in one abstract only.
    """
    size = len(name)
    if size == 0:
        return
    position = text.find(name)
    while position >= 0:
        end = position + size
        before = text[position - 1] if position > 0 else ""
        after = text[end] if end < len(text) else ""
        whole = not (before and (before == "-" or _is_word_char(before)))
        if whole and after:
            if after == "-":
                following = text[end + 1] if end + 1 < len(text) else ""
                whole = hyphen_after and not (following and _is_word_char(following))
            else:
                whole = not _is_word_char(after)
        if whole:
            yield position
            position = text.find(name, end)
        else:
            position = text.find(name, position + 1)


def _find_title_name(tokens: TokenTable, chunks: Sequence[Chunk]) -> IntroducedName | None:
    title_end = tokens.doc._.get(TITLE_END) or 0
    if title_end <= 0:
        return None
    count_tokens = len(tokens)
    starts = tokens.starts
    # Chunks are in text order, so the title's chunks are a prefix of `chunks`;
    # only the first MAX_TITLE_NAME_CHUNKS of them can hold the name.
    in_title = takewhile(lambda chunk: chunk.end <= count_tokens and starts[chunk.end - 1] < title_end, chunks)
    title_chunks = list(islice(in_title, MAX_TITLE_NAME_CHUNKS))
    for count, chunk in enumerate(title_chunks, start=1):
        colon = chunk.end < count_tokens and tokens.texts[chunk.end] == ":"
        if not colon:
            if chunk.closed:
                return None
            continue
        name_chunks = title_chunks[:count]
        if any(c.text.lower() in _CONNECTORS for c in name_chunks):
            return None
        # "AI Mother Tongue" is a name, "OpenAI:" or "AI:" alone is not.
        if all(c.text.lower() in _NOT_ENTITIES for c in name_chunks):
            return None
        start, end = name_chunks[0].start, name_chunks[-1].end
        text = tokens.span_text(start, end)
        coined = any(_is_marked(c.text) for c in name_chunks)
        repeated = next(_whole_mentions(tokens.text[title_end:], text), None) is not None
        # A version number may follow the first word ("Skywork UniPic 2.0").
        written_as_name = all(
            c.text[:1].isupper() or _is_marked(c.text) or (index > 0 and _VERSION.fullmatch(c.text) is not None)
            for index, c in enumerate(name_chunks)
        )
        if not (coined or repeated) or not written_as_name:
            return None
        return IntroducedName(start, end, _title_type(tokens, text, title_end, end))
    return None


def _title_type(tokens: TokenTable, name: str, title_end: int, name_end: int) -> EntityType:
    for start in _whole_mentions(tokens.text[title_end:], name):
        span = tokens.char_span(title_end + start, title_end + start + len(name))
        if span is not None:
            cue = _cue_type(tokens, span[1])
            if cue is not None:
                return cue
    rest = tokens.text[tokens.starts[name_end] if name_end < len(tokens) else title_end : title_end].lower()
    if re.search(r"\b(benchmark|dataset|corpus|suite)s?\b", rest):
        return EntityType.DATASET
    if re.search(r"\bmodels?\b", rest) and shape_type(name) == EntityType.MODEL:
        return EntityType.MODEL
    return shape_type(name) or EntityType.METHOD


def _context_candidates(
    tokens: TokenTable, chunks: list[Chunk], names: list[bool], introductions: Sequence[IntroducedName]
) -> list[Candidate]:
    """Names typed by their context: introductions, "the X dataset", "X, a <cue>", "<cue>, X (Y)".

    `names` is `_name_starts` of the chunks.
    """
    found = [Candidate(name.start, name.end, name.label, Source.CONTEXT) for name in introductions]
    texts = tokens.texts
    count_tokens = len(texts)
    # run_ends[i] is _name_run(chunks, i), computed once for every position;
    # most chunks start no name, which the flags tell without a call.
    run_ends = list(range(len(chunks) + 1))
    for index in compress(range(len(chunks)), names):
        run_ends[index] = _name_run(chunks, index, names)
    # Each rule below needs a chunk that starts a name or is closed, so the
    # loop skips the other chunks, most of a Doc.
    names_or_closed = map(operator.or_, names, map(_CLOSED_OF, chunks))
    for position in compress(range(len(chunks)), names_or_closed):
        chunk = chunks[position]
        # "the ProcessBench dataset", "the MiniHack suite"
        end = run_ends[position]
        if end > position and (position == 0 or run_ends[position - 1] == position - 1 or chunks[position - 1].closed):
            last = chunks[end - 1]
            if not last.closed and end < len(chunks) and chunks[end].text.lower() in _DATASET_AFTER_NAME:
                found.append(Candidate(chunk.start, last.end, EntityType.DATASET, Source.CONTEXT))
            # "Sotopia, an open-ended social learning environment"
            elif last.closed and last.end < count_tokens and texts[last.end] == "," and end < len(chunks) and chunks[end].text.lower() in {"a", "an"}:
                cue = _cue_type(tokens, chunks[end].start)
                if cue is not None:
                    found.append(Candidate(chunk.start, last.end, cue, Source.CONTEXT))
            # "Credit Assignment with Language Models (CALM), a novel approach"
            elif (acronym := _acronym_after(tokens, chunks, end)) is not None and _apposition_follows(tokens, chunks, acronym):
                cue = _cue_type(tokens, chunks[acronym + 1].start)
                if cue is not None:
                    found.append(Candidate(chunk.start, last.end, cue, Source.CONTEXT))
                    found.append(Candidate(chunks[acronym].start, chunks[acronym].end, cue, Source.CONTEXT))
            # "the iterated Donor Game", "the Ultimatum Game": a named game is an evaluation environment
            if end - position >= 2 and last.text in _GAME_HEADS and not chunk.sentence_start:
                found.append(Candidate(chunk.start, last.end, EntityType.DATASET, Source.CONTEXT))
        # "an optimistic ... algorithm, Dynamical Linear Upper Confidence Bound (DynLin-UCB)"
        # chunk.closed first: it is cheap and false for most chunks.
        word = chunk.text.lower() if chunk.closed else ""
        if word in CUE_NOUNS and chunk.end < count_tokens and texts[chunk.end] == ",":
            target = position + 1
            while target < len(chunks) and chunks[target].text.lower() in _DETERMINERS:
                target += 1
            run_end = run_ends[target]
            acronym = _acronym_after(tokens, chunks, run_end) if run_end > target else None
            if acronym is not None:
                label = CUE_NOUNS[word]
                found.append(Candidate(chunks[target].start, chunks[run_end - 1].end, label, Source.CONTEXT))
                found.append(Candidate(chunks[acronym].start, chunks[acronym].end, label, Source.CONTEXT))
            # "a new preference dataset, Anyprefer-V1,", "a reward model, P[Love],"
            elif run_end > target and run_end - target <= MAX_APPOSITION_CHUNKS and chunks[run_end - 1].closed:
                found.append(Candidate(chunks[target].start, chunks[run_end - 1].end, CUE_NOUNS[word], Source.CONTEXT))
        # "Tango, a novel framework, ...": at the start of a sentence, where a
        # capital is no evidence of a name, the apposition is.
        if chunk.sentence_start and end == position and chunk.closed:
            cue = _sentence_initial_apposition(tokens, chunks, position)
            if cue is not None:
                found.append(Candidate(chunk.start, chunk.end, cue, Source.CONTEXT))
    # "BAGEL (7B)": a name followed by a parenthesised parameter count is a model
    if _BRACKETED_SIZE.search(tokens.text) is None:
        return found
    for position, (chunk, following) in enumerate(zip(chunks, chunks[1:])):
        size_in_brackets = following.opened and texts[following.start - 1] == "(" and _SIZE.fullmatch(following.text)
        if size_in_brackets and names[position] and shape_type(chunk.text) != EntityType.DATASET:
            found.append(Candidate(chunk.start, chunk.end, EntityType.MODEL, Source.CONTEXT))
    return found


# Text that a parenthesised parameter count ("(7B)") contains; see `_SIZE`.
_BRACKETED_SIZE = re.compile(r"\((?:\d+(?:\.\d+)?[BMKT]|\d+x\d+[BM])")


def _sentence_initial_apposition(tokens: TokenTable, chunks: Sequence[Chunk], position: int) -> EntityType | None:
    """Return the cue type of "X, a [modifiers] <cue noun>," for a one-word X that starts a sentence, else None.

    X must be a capitalised word of letters that is not a known non-entity
    or a sentence adverb ("Here, a ...", "Recently, a ..."). The cue noun
    must end the apposition, so a word of `_APPOSITION_ENDS` or the end of
    the sentence follows it.
    """
    text = chunks[position].text
    word = text.lower()
    if not _PLAIN_WORD.fullmatch(text) or word in _NOT_ENTITIES or word in _SENTENCE_ADVERBS or word.endswith("ly"):
        return None
    if not _apposition_follows(tokens, chunks, position):
        return None
    count_tokens = len(tokens)
    sent_starts = tokens.sent_starts
    lowers = tokens.lowers
    index = chunks[position + 1].end  # the token after "a" or "an"
    for _ in range(MAX_CUE_MODIFIERS + 1):
        if index >= count_tokens or sent_starts[index]:
            return None
        cue = CUE_NOUNS.get(lowers[index])
        if cue is not None:
            closing = index + 1 >= count_tokens or sent_starts[index + 1] or lowers[index + 1] in _APPOSITION_ENDS
            return cue if closing else None
        if not tokens.doc[index].is_lower:
            return None
        index += 1
    return None


def _apposition_follows(tokens: TokenTable, chunks: Sequence[Chunk], position: int) -> bool:
    """True when chunks[position] is followed by ", a" or ", an" ("(CALM), a novel approach")."""
    chunk = chunks[position]
    texts = tokens.texts
    after = chunk.end + 1 if chunk.end < len(texts) and texts[chunk.end] == ")" else chunk.end
    return (
        after < len(texts)
        and texts[after] == ","
        and position + 1 < len(chunks)
        and chunks[position + 1].text.lower() in {"a", "an"}
    )


# The word after "<name>-" in a derived name ("Sotopia-hard"), which no word
# character or hyphen may follow.
_DERIVED_WORD = re.compile(r"([A-Za-z][a-z]+)(?![\w-])")


def _derived_names(text: str, name: str) -> Iterator[tuple[int, int, str]]:
    r"""Yield (start, end, word) for each "<name>-<word>" in `text`, where no word character or hyphen precedes the name.

    The matches of the pattern ``(?<![\w-])NAME-([A-Za-z][a-z]+)(?![\w-])``,
    leftmost first and without overlaps, as ``re.finditer`` gives them. Each
    name is a new pattern, and compiling one costs more than this search with
    ``str.find`` (names are rarely repeated across abstracts).
    """
    prefix = name + "-"
    index = text.find(prefix)
    while index != -1:
        before = text[index - 1] if index > 0 else ""
        # `\w` is a character for which str.isalnum() is True, or "_".
        if not before or not (before.isalnum() or before in "_-"):
            match = _DERIVED_WORD.match(text, index + len(prefix))
            if match is not None:
                yield index, match.end(), match.group(1)
                index = text.find(prefix, match.end())
                continue
        index = text.find(prefix, index + 1)


def _derived_dataset_candidates(tokens: TokenTable, kept: Sequence[Candidate]) -> list[Candidate]:
    """Dataset candidates for "X-hard", "X-Preference": a dataset name joined to a word by a hyphen.

    A split or variant of a dataset that the same text names ("Sotopia" and
    "Sotopia-hard") is a dataset too. The word must be lower case or
    capitalised, so that "Sotopia-RL", a method built for the dataset, and
    compounds such as "GSM8K-style" stay what they are.
    """
    found = []
    seen: set[str] = set()
    for candidate in kept:
        if candidate.label != EntityType.DATASET:
            continue
        text = tokens.span_text(candidate.start, candidate.end)
        if text in seen:
            continue
        seen.add(text)
        for start, end, word in _derived_names(tokens.text, text):
            word = word.lower()
            if word in _COMPOUND_SUFFIXES or word.endswith(("ed", "ing")):
                continue
            span = tokens.char_span(start, end)
            if span is not None:
                found.append(Candidate(span[0], span[1], EntityType.DATASET, Source.CONTEXT))
    return found


# ---------------------------------------------------------------------------
# Shape and abbreviation candidates


# Text that a letter-digit version with a capital after a digit ("R1V2")
# contains; a Doc without it has no "Skywork R1V2" pair.
_DIGIT_THEN_CAPITAL = re.compile(r"[A-Z]\d+[A-Z]")


def _shape_candidates(chunks: list[Chunk], text: str) -> list[Candidate]:
    """Candidates typed by their shape; `text` is the Doc's text, scanned once before the pair rule."""
    # shape_type runs in C (compiled, or through map()) on every chunk; few chunks have a shape.
    compiled = speedups.COMPILED
    if compiled is not None:
        if len(_SHAPE_TYPES) > TEXT_CACHE_SIZE:
            _SHAPE_TYPES.clear()
        labels = compiled.chunk_values(chunks, _SHAPE_TYPES, shape_type.__wrapped__)
    else:
        labels = list(map(shape_type, map(_TEXT_OF, chunks)))
    found = [
        Candidate(chunks[index].start, chunks[index].end, labels[index], Source.SHAPE)
        for index in compress(range(len(chunks)), labels)
    ]
    if _DIGIT_THEN_CAPITAL.search(text) is None:
        return found
    # "Skywork R1V2": a capitalised word followed by a letter-digit version
    for first, second in zip(chunks, chunks[1:]):
        if not second.text[:1].isupper():
            continue  # cheap test first: _LETTER_VERSION needs a leading capital
        if first.closed or second.opened or not _PLAIN_WORD.fullmatch(first.text):
            continue
        if first.sentence_start and first.start != 0:
            continue  # the first word of a title may start a name, other sentence-initial words may not
        if first.text.lower() in _NOT_ENTITIES:
            continue
        if _LETTER_VERSION.fullmatch(second.text) and re.search(r"\d[A-Z]", second.text):
            found.append(Candidate(first.start, second.end, EntityType.MODEL, Source.SHAPE))
    return found


def _long_form_type(long: str) -> EntityType | None:
    words = re.split(r"[\s]+", long.strip())
    if not words:
        return None
    head = words[-1].lower().split("-")[-1] if words[-1] else ""
    label = _HEAD_TYPES.get(head) or _HEAD_TYPES.get(head.rstrip("s"))
    if label is None and all(word[:1].isupper() for word in words if word.lower() not in _CONNECTORS):
        return EntityType.METHOD  # a capitalised long form names something ("Adversarial Minority Influence")
    return label


def _abbreviation_candidates(tokens: TokenTable, typed: Sequence[Candidate]) -> list[Candidate]:
    """Candidates for both forms of each defined abbreviation (see module docstring, source 4)."""
    found = []
    for item in tokens.doc._.get(ABBREVIATIONS) or ():
        short_bounds = tokens.char_span(item["short_start"], item["short_end"])
        long_bounds = tokens.char_span(item["long_start"], item["long_end"])
        if short_bounds is None or long_bounds is None:
            logger.debug("Abbreviation %r does not align with tokens", item.get("short"))
            continue
        short = _TokenRange(*short_bounds)
        long = _TokenRange(*long_bounds)
        long_text = tokens.span_text(long.start, long.end)
        if _entity_key(long_text) in GENERIC_TERMS or _entity_key(tokens.span_text(short.start, short.end)) in GENERIC_TERMS:
            continue
        label = None
        source = None
        best: tuple[bool, Source] | None = None
        for candidate in typed:
            overlaps_short = candidate.start < short.end and short.start < candidate.end
            covers_long = candidate.start <= long.start and long.end <= candidate.end
            matches_long = candidate.start >= long.start and candidate.end == long.end
            if not (overlaps_short or covers_long or matches_long):
                continue
            # A type for the whole long form or the short form beats one for a
            # name at its end: in "Collaborative Reward Modeling (CRM) framework",
            # the vocabulary task "reward modeling" does not type CRM.
            rank = (overlaps_short or covers_long, candidate.source)
            if best is None or rank > best:
                best, label, source = rank, candidate.label, candidate.source
        # The head of a long form ("... hidden Markov models (HMM-GLMs)") beats a guess from the short form's shape.
        if label is None or source == Source.SHAPE:
            label = _long_form_type(long_text) or label
        if label is None:
            continue
        found.append(Candidate(short.start, short.end, label, Source.ABBREVIATION))
        found.append(Candidate(long.start, long.end, label, Source.ABBREVIATION))
    return found


# ---------------------------------------------------------------------------
# Overlaps, propagation and extension


def resolve_overlaps(candidates: Iterable[Candidate]) -> list[Candidate]:
    """Keep a non-overlapping subset of candidates, in text order.

    The longest candidate wins; among equally long ones the higher `Source`
    wins (context over vocabulary over abbreviation over shape over
    statistical), then the earlier one. The rule is greedy: a kept candidate
    is never dropped later.

    Examples
    --------
    >>> a = Candidate(0, 3, EntityType.MODEL, Source.SHAPE)
    >>> b = Candidate(0, 1, EntityType.DATASET, Source.CONTEXT)
    >>> resolve_overlaps([b, a]) == [a]
    True
    """
    unique = set(candidates)
    ordered = sorted(unique, key=lambda c: (c.start - c.end, -c.source, c.start, str(c.label)))
    # taken[i] is 1 once a kept candidate covers token i.
    taken = bytearray(max((c.end for c in unique), default=0))
    kept = []
    for candidate in ordered:
        if candidate.end <= candidate.start or any(taken[candidate.start : candidate.end]):
            continue
        taken[candidate.start : candidate.end] = b"\x01" * (candidate.end - candidate.start)
        kept.append(candidate)
    return sorted(kept, key=lambda c: c.start)


def _propagate(tokens: TokenTable, candidates: Sequence[Candidate]) -> list[Candidate]:
    """Add every other occurrence of each name that a non-vocabulary source found."""
    found = []
    seen: set[str] = set()
    for candidate in candidates:
        if candidate.source == Source.VOCABULARY:
            continue
        text = tokens.span_text(candidate.start, candidate.end)
        if text in seen or len(text) < 2:
            continue
        seen.add(text)
        for start in _whole_mentions(tokens.text, text, hyphen_after=True):
            span = tokens.char_span(start, start + len(text))
            if span is not None and span[0] != candidate.start:
                found.append(Candidate(span[0], span[1], candidate.label, candidate.source))
    return found


def _extend(tokens: TokenTable, candidate: Candidate) -> Candidate:
    """Absorb a following version, size, year or variant into a model or dataset name.

    "Claude" + "3.5 Sonnet", "Llama 2" + "70B", "AIME" + "2025".
    """
    end = candidate.end
    count = len(tokens)
    whitespace = tokens.whitespace
    if candidate.label == EntityType.DATASET:
        if end < count and whitespace[end - 1] and _YEAR.fullmatch(tokens.texts[end]):
            return Candidate(candidate.start, end + 1, candidate.label, candidate.source)
        return candidate
    if candidate.label != EntityType.MODEL:
        return candidate
    while end < count and whitespace[end - 1]:
        text = tokens.texts[end]
        versioned = _VERSION.fullmatch(text) and text[0].isdigit() and not _YEAR.fullmatch(text)
        if versioned or _SIZE.fullmatch(text) or _LETTER_VERSION.fullmatch(text) or text.lower() in _MODEL_VARIANTS:
            if text.lower() in _MODEL_VARIANTS and not text[0].isupper():
                break
            end += 1
            continue
        break
    return Candidate(candidate.start, end, candidate.label, candidate.source)


def _unify_types(tokens: TokenTable, kept: Sequence[Candidate]) -> list[Candidate]:
    """Give every mention of one name the type of its strongest-source mention."""
    keys = [_entity_key(tokens.span_text(candidate.start, candidate.end)) for candidate in kept]
    best: dict[str, Candidate] = {}
    for key, candidate in zip(keys, kept):
        current = best.get(key)
        if current is None or candidate.source > current.source:
            best[key] = candidate
    return [Candidate(c.start, c.end, best[key].label, c.source) for key, c in zip(keys, kept)]


def _is_junk(tokens: TokenTable, candidate: Candidate) -> bool:
    start, end = candidate.start, candidate.end
    text = tokens.span_text(start, end)
    if len(text) < 2 or not any(c.isalpha() for c in text):
        return True
    if text.lower() in _NOT_ENTITIES or _LICENSE.fullmatch(text) or "://" in text or text.startswith("www."):
        return True
    if _entity_key(text) in GENERIC_TERMS:
        return True
    last_text = tokens.texts[end - 1]
    if last_text in _BRACKET_PAIRS and _closes_inner_bracket(tokens.texts, start, end):
        return False  # "P[Love]"
    return tokens.is_punct[start] or tokens.is_punct[end - 1] and last_text not in {"+", "'"}


# ---------------------------------------------------------------------------
# The component


# Unicode dashes that writers put in names in place of "-": hyphen, non-breaking
# hyphen, figure dash, en dash, em dash and minus sign.
_PATTERN_DASHES = ("\u2010", "\u2011", "\u2012", "\u2013", "\u2014", "\u2212")

# File of the vocabulary that `EntityRecognizer.to_disk` saves with a pipeline.
_VOCABULARY_FILE = "vocabulary.tsv"


class EntityRecognizer(BatchedComponent):
    """Find entity spans and write them to ``doc.spans[spans_key]``.

    Reads the sentence boundaries, ``doc._.kg_title_end`` and, when set,
    ``doc._.kg_abbreviations``. Writes non-overlapping spans labelled with
    `EntityType` values. Where a span matched the vocabulary, its
    ``span.kb_id_`` is the entry's canonical name. Candidate sources and the
    overlap rule are described in the module docstring and in `resolve_overlaps`.
    """

    def __init__(
        self,
        nlp: Language,
        name: str,
        *,
        vocabulary_paths: Sequence[str] = (),
        use_default_vocabulary: bool = True,
        spans_key: str = ENTITIES_KEY,
        statistical_key: str = STATISTICAL_KEY,
    ) -> None:
        register_extensions()
        self.name = name
        self.spans_key = spans_key
        self.statistical_key = statistical_key
        self.nlp = nlp
        self._set_vocabulary(load_vocabulary(vocabulary_paths, use_default=use_default_vocabulary))

    def add_vocabulary_files(self, paths: Sequence[str | Path]) -> None:
        """Add user vocabulary files; their entries override earlier ones.

        Raises
        ------
        ConfigError
            If a file is missing or has an invalid line.
        """
        vocabulary = Vocabulary(self.vocabulary.entries)
        for path in paths:
            vocabulary.merge(read_vocabulary_file(path))
        self._set_vocabulary(vocabulary)

    def to_disk(self, path: str | Path, *, exclude: Iterable[str] = ()) -> None:
        """Save the vocabulary with the pipeline, so loading needs no vocabulary files."""
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        lines = "".join(line + "\n" for line in self.vocabulary.to_lines())
        (path / _VOCABULARY_FILE).write_text(lines, encoding="utf-8")

    def from_disk(self, path: str | Path, *, exclude: Iterable[str] = ()) -> EntityRecognizer:
        """Load the vocabulary saved by `to_disk`, replacing the one from the config."""
        saved = Path(path) / _VOCABULARY_FILE
        if saved.is_file():
            self._set_vocabulary(read_vocabulary_file(saved))
        return self

    def _set_vocabulary(self, vocabulary: Vocabulary) -> None:
        self.vocabulary = vocabulary
        self._exact = PhraseMatcher(self.nlp.vocab, attr="ORTH")
        self._folded = PhraseMatcher(self.nlp.vocab, attr="LOWER")
        # Surface form -> (canonical name, type); folded forms are stored in lower case.
        self._exact_entries: dict[str, tuple[str, EntityType]] = {}
        self._folded_entries: dict[str, tuple[str, EntityType]] = {}
        self._kb_ids: dict[tuple[str, EntityType], str] = {}
        self._add_vocabulary(self.nlp)

    def _add_vocabulary(self, nlp: Language) -> None:
        # The entry loaded last owns a surface form, as for its type in `Vocabulary`.
        canonical_of: dict[str, str] = {}
        for entry in self.vocabulary.entries:
            for form in entry.surface_forms:
                canonical_of[form] = entry.name

        exact: dict[str, list[Doc]] = {}
        folded: dict[str, list[Doc]] = {}
        for form, entity_type in self.vocabulary.items():
            pattern = nlp.make_doc(form)
            # Case-sensitive: one-token, letters-only names with a capital ("MATH", "Atari").
            case_sensitive = len(pattern) == 1 and form.isalpha() and not form.islower()
            (exact if case_sensitive else folded).setdefault(str(entity_type), []).append(pattern)
            if "-" in form:
                # Token attributes keep the dash as written, so "BERT-base" also
                # needs a pattern per Unicode dash ("BERT\u2013base").
                folded.setdefault(str(entity_type), []).extend(nlp.make_doc(form.replace("-", dash)) for dash in _PATTERN_DASHES)
            if case_sensitive:
                self._exact_entries[normalize_text(form)] = (canonical_of[form], entity_type)
            else:
                self._folded_entries[normalize_text(form).lower()] = (canonical_of[form], entity_type)
        for label, patterns in exact.items():
            self._exact.add(label, patterns)
        for label, patterns in folded.items():
            self._folded.add(label, patterns)

    def canonical_name(self, text: str, *, entity_type: EntityType | None = None) -> str:
        """Return the canonical vocabulary name of a surface form, or "" if it has none.

        `text` is looked up with the case rule of the vocabulary matcher (see
        the module docstring), after Unicode and whitespace normalisation.
        With `entity_type`, an entry of another type does not count. With the
        starter vocabulary, "GSM-8K" and "gsm8k" both return "GSM8K".
        """
        normalized = normalize_text(text)
        found = self._exact_entries.get(normalized) or self._folded_entries.get(normalized.lower())
        if found is None:
            return ""
        canonical, found_type = found
        if entity_type is not None and found_type != entity_type:
            return ""
        return canonical

    def _kb_id(self, text: str, entity_type: EntityType) -> str:
        """`canonical_name` of a span text, cached until the vocabulary changes."""
        key = (text, entity_type)
        kb_id = self._kb_ids.get(key)
        if kb_id is None:
            if len(self._kb_ids) >= TEXT_CACHE_SIZE:
                self._kb_ids.clear()
            kb_id = self._kb_ids[key] = self.canonical_name(text, entity_type=entity_type)
        return kb_id

    def _vocabulary_candidates(self, doc: Doc) -> list[Candidate]:
        found = []
        for matcher in (self._exact, self._folded):
            for match_id, start, end in matcher(doc):
                label = EntityType(doc.vocab.strings[match_id])
                found.append(Candidate(start, end, label, Source.VOCABULARY))
        return found

    def _statistical_candidates(self, doc: Doc) -> list[Candidate]:
        if self.statistical_key not in doc.spans:
            return []
        found = []
        for span in doc.spans[self.statistical_key]:
            try:
                label = EntityType(span.label_)
            except ValueError:
                logger.debug("Skipped a statistical span %r with the unknown label %r", span.text, span.label_)
                continue
            found.append(Candidate(span.start, span.end, label, Source.STATISTICAL))
        return found

    def __call__(self, doc: Doc) -> Doc:
        tokens = token_table(doc)
        chunks = _chunk_tokens(tokens)
        names = _name_starts(chunks)
        introductions = _find_introductions(tokens, chunks, names)

        # Collect candidates from each source.
        candidates = self._vocabulary_candidates(doc)
        candidates += _shape_candidates(chunks, tokens.text)
        candidates += _context_candidates(tokens, chunks, names, introductions)
        # The model's spans can type a defined abbreviation that no rule typed.
        candidates += self._statistical_candidates(doc)
        candidates += _abbreviation_candidates(tokens, candidates)
        candidates = [_extend(tokens, candidate) for candidate in candidates if not _is_junk(tokens, candidate)]

        # Resolve overlaps, find later mentions, resolve again.
        kept = resolve_overlaps(candidates)
        kept = resolve_overlaps([*kept, *_propagate(tokens, kept)])
        derived = _derived_dataset_candidates(tokens, kept)
        derived_bounds = {(c.start, c.end) for c in derived}
        kept = [c if (c.start, c.end) not in derived_bounds else Candidate(c.start, c.end, EntityType.DATASET, c.source) for c in kept]
        kept = resolve_overlaps([*kept, *derived])
        kept = _unify_types(tokens, kept)

        spans = []
        for candidate in kept:
            kb_id = self._kb_id(tokens.span_text(candidate.start, candidate.end), candidate.label)
            spans.append(Span(doc, candidate.start, candidate.end, label=str(candidate.label), kb_id=kb_id))
        doc.spans[self.spans_key] = spans
        doc.spans[INTRODUCED_KEY] = [Span(doc, name.start, name.end, label=str(name.label)) for name in introductions]
        return doc
