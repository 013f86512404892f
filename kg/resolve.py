"""Normalised keys that decide which mentions are the same entity.

Pure functions over strings: no spaCy, no graph. Two surface forms with the
same key become one node of the graph.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Mapping

__all__ = ["entity_key", "normalize_text", "preferred_name"]

# Unicode hyphens and dashes (U+2010 to U+2015, U+2212 minus, U+FE63, U+FF0D).
_DASHES = re.compile("[\u2010-\u2015\u2212\ufe63\uff0d]")
_SPACE = re.compile(r"\s+")
_SEPARATOR = re.compile(r"[\s\-_/]+")

# Plural endings that must not be stripped: "ss" (loss), "us" (corpus),
# "is" (analysis).
_KEEP_S = ("ss", "us", "is")


def normalize_text(text: str) -> str:
    """Return `text` in NFKC form with ASCII hyphens and single spaces."""
    text = unicodedata.normalize("NFKC", text)
    text = _DASHES.sub("-", text)
    return _SPACE.sub(" ", text).strip()


def _singular(word: str, *, in_phrase: bool) -> str:
    # Acronym plurals: "LLMs" -> "LLM", "RMs" -> "RM". The uppercase stem keeps
    # acronyms from being lemmatised as words ("LED" stays "LED").
    if len(word) >= 3 and word.endswith("s") and word[:-1].isupper():
        return word[:-1]
    # A capitalised single word is a name ("Atlas", "Transformers"), not a plural;
    # in a phrase it is title case ("Large Language Models").
    if not word.islower() and not in_phrase:
        return word
    lower = word.lower()
    if len(lower) > 3 and lower.endswith("s") and not lower.endswith(_KEEP_S) and lower.isalpha():
        if lower.endswith("ies") and len(lower) > 4:
            return word[:-3] + ("Y" if word[-3:].isupper() else "y")
        return word[:-1]
    return word


def entity_key(name: str) -> str:
    """Return the merge key of an entity name.

    The key ignores case, Unicode dash variants, separators (space, hyphen,
    underscore, slash) and a plural "s" on the last word of a lower-case or
    title-case phrase and of an acronym.

    Examples
    --------
    >>> entity_key("LLMs") == entity_key("LLM")
    True
    >>> entity_key("BERT\u2010base") == entity_key("BERT-base") == entity_key("bert base")
    True
    >>> entity_key("Qwen2.5-7B") == entity_key("Qwen2.5-Math-7B")
    False
    """
    words = _SEPARATOR.split(normalize_text(name))
    words = [word for word in words if word]
    if not words:
        return ""
    words[-1] = _singular(words[-1], in_phrase=len(words) > 1)
    return " ".join(words).casefold()


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
