"""Normalised keys that decide which mentions are the same entity.

Pure functions over strings: no spaCy, no graph. Two surface forms with the
same `entity_key` become one node of the graph. `variant_key` is a looser key
that the graph builder applies across the corpus, where both forms occur, and
`model_family` names the family of a model checkpoint ("Qwen2.5" for
"Qwen2.5-Math-7B").
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Mapping
from enum import StrEnum
from functools import lru_cache

__all__ = [
    "MODEL_VARIANT_WORDS",
    "MergeReason",
    "entity_key",
    "is_title_name_of",
    "model_family",
    "normalize_dashes",
    "normalize_text",
    "preferred_name",
    "variant_key",
]

class MergeReason(StrEnum):
    """Reason that a surface form is an alias of an entity node (``merge_reasons`` in the graph)."""

    VARIANT = "variant"  # same key up to case, plural, separators and Unicode dashes
    ABBREVIATION = "abbreviation"  # a paper defines it as short or long form of the name
    VOCABULARY = "vocabulary"  # the vocabulary lists it under the entry's canonical name
    TITLE = "title"  # the name as a title "Name: ..." writes it (see `is_title_name_of`)


# Unicode hyphens and dashes (U+2010 to U+2015, U+2212 minus, U+FE63, U+FF0D).
_DASHES = re.compile("[\u2010-\u2015\u2212\ufe63\uff0d]")
_SPACE = re.compile(r"\s+")
_SEPARATOR = re.compile(r"[\s\-_/]+")

# A separator between a letter and a version number: "GPT-4", "Llama 3",
# "ResNet-50". Writers add or drop it freely ("GPT4", "Llama3"), so keys drop
# it. A size stays a separate word ("Math-7B" is "math 7b"), which keeps keys
# of checkpoints readable.
_LETTER_DIGIT_SEPARATOR = re.compile(r"(?<=[^\W\d_]) (?=\d)(?!\d+(?:\.\d+)?[bmkt]\b)", re.IGNORECASE)

# Plural endings that must not be stripped: "ss" (loss), "us" (corpus),
# "is" (analysis).
_KEEP_S = ("ss", "us", "is")

# Plural endings that add "es" to the singular: "losses", "boxes", "meshes".
# "-ches" is left out because it is ambiguous ("approaches", but "caches").
_ES_PLURALS = ("sses", "xes", "shes")


def normalize_dashes(text: str) -> str:
    """Return `text` with every Unicode hyphen and dash replaced by an ASCII hyphen.

    Unlike `normalize_text`, the result has the length of `text`, so character
    offsets into it are offsets into `text`.
    """
    return _DASHES.sub("-", text)


def normalize_text(text: str) -> str:
    """Return `text` in NFKC form with ASCII hyphens and single spaces."""
    text = unicodedata.normalize("NFKC", text)
    text = _DASHES.sub("-", text)
    return _SPACE.sub(" ", text).strip()


def _singular(word: str, *, in_phrase: bool) -> str:
    # Acronym plurals: "LLMs" -> "LLM", "RMs" -> "RM", "CoTs" -> "CoT". The
    # capital before the lower-case "s" marks them, and a word in capitals
    # keeps its last letter, so acronyms are not lemmatised as words ("LED"
    # stays "LED", "GAS" stays "GAS").
    if len(word) >= 3 and word.endswith("s") and word[-2].isupper():
        return word[:-1]
    # A capitalised single word is a name ("Atlas", "Transformers"), not a plural;
    # in a phrase it is title case ("Large Language Models").
    if not word.islower() and not in_phrase:
        return word
    lower = word.lower()
    if len(lower) > 3 and lower.endswith("s") and not lower.endswith(_KEEP_S) and lower.isalpha():
        if lower.endswith("ies") and len(lower) > 4:
            return word[:-3] + ("Y" if word[-3:].isupper() else "y")
        if lower.endswith(_ES_PLURALS):
            return word[:-2]
        return word[:-1]
    return word


# Names whose keys `entity_key` keeps: a name recurs in many papers and many
# times in one, and its key takes several regex passes. Bounded, so memory
# stays flat on a corpus of any size.
KEY_CACHE_SIZE = 1 << 16


@lru_cache(maxsize=KEY_CACHE_SIZE)
def entity_key(name: str) -> str:
    """Return the merge key of an entity name.

    The key ignores case, Unicode dash variants, separators (space, hyphen,
    underscore, slash), and a plural "s" on the last word of a lower-case or
    title-case phrase and of an acronym. Separators become one space, except
    between a letter and a version number, where they are dropped ("GPT-4"
    and "GPT4" are "gpt4", "Math-7B" stays "math 7b"). Versions and sizes stay: "Qwen2.5-7B", "Qwen2.5-Math-7B" and
    "Qwen2.5-7B-Instruct" are three checkpoints and get three keys.

    Examples
    --------
    >>> entity_key("LLMs") == entity_key("LLM")
    True
    >>> entity_key("BERT\u2010base") == entity_key("BERT-base") == entity_key("bert base")
    True
    >>> entity_key("Qwen2.5-7B") == entity_key("Qwen2.5-Math-7B")
    False
    >>> entity_key("GPT-4") == entity_key("GPT4")
    True
    >>> entity_key("LED")
    'led'
    """
    words = _SEPARATOR.split(normalize_text(name))
    words = [word for word in words if word]
    if not words:
        return ""
    words[-1] = _singular(words[-1], in_phrase=len(words) > 1)
    return _LETTER_DIGIT_SEPARATOR.sub("", " ".join(words)).casefold()


def variant_key(name: str) -> str:
    """Return the key under which the graph builder joins variant spellings across the corpus.

    Looser than `entity_key`: separators are dropped ("Meta-World" and
    "MetaWorld", "multi-agent" and "multiagent"), and a capitalised last word
    loses its plural "s" ("Transformers" and "transformer"). `entity_key`
    keeps a capitalised single word as written, because it may be a name
    ("Atlas"), so this key is applied only to names that both occur. An
    all-capital word is an acronym and keeps a capital "S" ("MAPS" is not
    "MAP").

    Examples
    --------
    >>> variant_key("Transformers") == variant_key("transformer")
    True
    >>> variant_key("Meta-World") == variant_key("MetaWorld")
    True
    >>> variant_key("MAPS") == variant_key("MAP")
    False
    """
    words = [word for word in _SEPARATOR.split(normalize_text(name)) if word]
    if not words:
        return ""
    last = words[-1]
    words[-1] = _singular(last, in_phrase=len(words) > 1 or not last.isupper())
    return "".join(words).casefold()


# Segments of a model name that name a size: "7B", "1.5B", "125M", "8x7B" (a
# mixture of experts) and "A3B" (its active parameters).
_MODEL_SIZE = re.compile(r"(?:\d+x)?\d+(?:\.\d+)?[BMKT]|A\d+(?:\.\d+)?B", re.IGNORECASE)

MODEL_VARIANT_WORDS: frozenset[str] = frozenset(
    {
        "base", "chat", "code", "coder", "distill", "flash", "haiku", "instruct", "it", "large", "lite",
        "math", "medium", "mini", "nano", "opus", "preview", "pro", "small", "sonnet", "tiny", "turbo",
        "vision", "vl", "xl", "xxl", "zero",
    }
)
"""Lower-case name segments that mark a variant of a model family ("-Instruct", "-Math", "-mini")."""

# Separators between the segments of a model name.
_MODEL_SEGMENT = re.compile(r"[^\s\-_]+")


def model_family(name: str) -> str:
    """Return the family name of a model checkpoint, or "" when the name shows none.

    The family is the name before its first size or variant segment, where
    segments are separated by spaces, hyphens or underscores. The first
    segment always belongs to the family, so a name that starts with a size
    or variant word has none.

    Examples
    --------
    >>> model_family("Qwen2.5-Math-7B")
    'Qwen2.5'
    >>> model_family("Llama-3.1-8B-Instruct")
    'Llama-3.1'
    >>> model_family("Claude 3.5 Sonnet")
    'Claude 3.5'
    >>> model_family("GPT-4o")
    ''
    """
    text = normalize_text(name)
    segments = list(_MODEL_SEGMENT.finditer(text))
    if not segments or _is_variant_segment(segments[0].group()):
        return ""
    for index, segment in enumerate(segments[1:], start=1):
        if _is_variant_segment(segment.group()):
            family = text[: segments[index - 1].end()]
            return family if any(char.isalpha() for char in family) else ""
    return ""


def _is_variant_segment(word: str) -> bool:
    return bool(_MODEL_SIZE.fullmatch(word)) or word.casefold() in MODEL_VARIANT_WORDS


# Function words of a title name that a name built from word starts may skip.
_SKIPPED_WORDS = frozenset({"a", "an", "and", "for", "from", "in", "of", "on", "the", "to", "via", "with"})

# A capital or digit and the lower-case letters after it: "La", "Re" in "LaRe".
_NAME_PART = re.compile(r"[A-Z0-9][a-z]*")


def is_title_name_of(title_name: str, name: str) -> bool:
    """Return whether a title's name for an artifact is another way of writing `name`.

    Titles often write a longer name than the abstract: "RL Tango: ..." for
    the "Tango" of the abstract, or "Collaborative Reward Modeling: ..." for
    "CRM". The test passes when the key of `title_name` ends with the key of
    `name` at a word boundary. It also passes when `name` is an acronym of
    the title name: at least two capitals or digits, each the first letter
    of one word of the title name, in order. Function words of the title
    name ("of", "for") may go without a letter. A blend of syllables
    ("LaRe" for "Latent Reward") does not count: papers use such blends for
    a framework named after, but distinct from, the title's concept. A name
    is never joined to a title name that adds words after it ("Sotopia" is
    not "Sotopia-RL").

    Examples
    --------
    >>> is_title_name_of("RL Tango", "Tango")
    True
    >>> is_title_name_of("Collaborative Reward Modeling", "CRM")
    True
    >>> is_title_name_of("Latent Reward", "LaRe")
    False
    >>> is_title_name_of("Sotopia-RL", "Sotopia")
    False
    """
    title_key, key = entity_key(title_name), entity_key(name)
    if not key or title_key == key:
        return False
    if title_key.endswith(" " + key):
        return True
    parts = _NAME_PART.findall(normalize_text(name))
    if len(parts) < 2 or "".join(parts) != re.sub(r"[\W_]", "", normalize_text(name)):
        return False
    if any(len(part) > 1 for part in parts):
        return False
    words = [word for word in _SEPARATOR.split(normalize_text(title_name).lower()) if word]
    return _parts_start_words([part.lower() for part in parts], words)


def _parts_start_words(parts: list[str], words: list[str]) -> bool:
    # Match parts to words in order; a function word may go unmatched.
    if not parts or not words:
        return not parts and all(word in _SKIPPED_WORDS for word in words)
    if words[0].startswith(parts[0]) and _parts_start_words(parts[1:], words[1:]):
        return True
    return words[0] in _SKIPPED_WORDS and _parts_start_words(parts, words[1:])


def _sentence_case_twin(name: str) -> str:
    # "Reinforcement learning" is "reinforcement learning" capitalised at a
    # sentence start; "Reinforcement Learning" (title case) and "RL" are not.
    first, _, rest = name.partition(" ")
    if rest and first[:1].isupper() and first[1:].islower() and not any(word[:1].isupper() for word in rest.split()):
        return first.lower() + " " + rest
    return name


def preferred_name(counts: Mapping[str, int]) -> str:
    """Return the display name among surface forms counted for one entity.

    A form capitalised only because it starts a sentence counts towards its
    lower-case twin when that twin occurs too. The most frequent form wins and
    ties break on the string itself, so the choice does not depend on input
    order.

    Examples
    --------
    >>> preferred_name({"Reinforcement learning": 2, "reinforcement learning": 1, "RL": 2})
    'reinforcement learning'
    >>> preferred_name({"GRPO": 3, "grpo": 1})
    'GRPO'
    """
    if not counts:
        raise ValueError("preferred_name() needs at least one surface form")
    folded: Counter[str] = Counter()
    for name, count in counts.items():
        twin = _sentence_case_twin(name)
        folded[twin if twin in counts else name] += count
    return min(folded.items(), key=lambda item: (-item[1], item[0]))[0]
