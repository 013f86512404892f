"""Detection of abbreviation definitions: "long form (SHORT)" and "SHORT (long form)".

The detector follows Schwartz and Hearst, "A simple algorithm for identifying
abbreviation definitions in biomedical text", Pacific Symposium on
Biocomputing 8 (2003), pages 451-462. Their algorithm reads each parenthesis
as a candidate short form, takes the few words in front of it as the candidate
long form, and matches the characters of the short form against the long form
from right to left. Every letter and digit of the short form must match, in
order, and the first one must match at the start of a word. The long form then
starts at the word that contains the first match.

The classic matcher (`classic_long_form_start`) takes, for each character, the
nearest match. In "Masked Momentum (MM)" both M then match inside "Momentum"
("Momentu-m" and "M-omentum"), so the long form is cut to "Momentum".
`best_long_form_start` searches all matches instead and prefers those that
put short-form characters on word initials, which gives "Masked Momentum".

Further fixes for text from machine-learning abstracts are named where they
apply: plural short forms ("LLMs"), hyphenated compounds
("cooperative multi-agent reinforcement learning (c-MARL)"), name-like short
forms ("Sotopia-RL"), and parentheses that hold examples, references or years.
"""

from __future__ import annotations

import logging
import re
from bisect import bisect_right
from collections.abc import Iterable, Sequence
from typing import NamedTuple

from spacy.language import Language
from spacy.tokens import Doc

from kg.nlp.batching import BatchedComponent
from kg.nlp.extensions import ABBREVIATIONS, LINKS, TITLE_END, register_extensions
from kg.nlp.tokens import token_table

__all__ = [
    "AbbreviationDetector",
    "Definition",
    "best_long_form_start",
    "classic_long_form_start",
    "find_abbreviations",
    "is_short_form",
]

logger = logging.getLogger(__name__)

# Schwartz and Hearst's limits on a short form: 2 to 10 characters, at most
# two words. Longer parenthesised text is a long form or a remark.
MIN_SHORT_FORM_LENGTH = 2
MAX_SHORT_FORM_LENGTH = 10
MAX_SHORT_FORM_WORDS = 2

# Schwartz and Hearst's window for the long form: at most min(n + 5, 2 * n)
# words. They count n over all characters of the short form; here n counts its
# letters and digits.
LONG_FORM_EXTRA_WORDS = 5
LONG_FORM_WORD_FACTOR = 2

# A lower-case run this long inside a short form ("Sotopia" in "Sotopia-RL",
# "Boost" in "XGBoost") is a name or word, not a string of initials, so it
# must reappear as the start of a long-form word. Shorter runs such as "Lf"
# in "ILfO" or "Ms" in "LLMs" are exempt.
NAME_PART_MIN_LENGTH = 4

# Words that abbreviations skip, like "from" in "Reinforcement Learning from
# Human Feedback (RLHF)". Such a word without a matched letter is not counted
# as a skipped word.
FUNCTION_WORDS = frozenset(
    {"a", "an", "and", "as", "at", "by", "for", "from", "in", "of", "on", "or", "the", "to", "via", "with"}
)

# First words of parenthesised text that refers to other text or gives
# examples: "(see Table 1)", "(e.g., PPO)", "(i.e. the return)".
NOT_DEFINITION_CUES = frozenset(
    {
        "cf",
        "e.g",
        "eg",
        "eq",
        "equation",
        "etc",
        "fig",
        "figure",
        "i.e",
        "ie",
        "sec",
        "section",
        "see",
        "table",
        "appendix",
        "vs",
    }
)

# Letters and digits joined by single hyphens, spaces, "&", "+" or "'": "c-MARL",
# "R&D". This rejects version numbers and lists ("Qwen2.5-3B", "LLMs/LRMs").
_SHORT_FORM_SHAPE = re.compile(r"[^\W_]+(?:[-&+' ][^\W_]+)*")

# A run of lower-case letters after an optional capital: "Sotopia", "meta", "Ms".
_LOWER_RUN = re.compile(r"[A-Z]?[a-z]+")

# A paired parenthesis with no parenthesis inside.
_PARENTHESIS = re.compile(r"\(([^()]*)\)")

# Text that a long form never crosses: clause punctuation, brackets, sentence
# ends and blank lines.
_WINDOW_STOP = re.compile(r"[,;:()\[\]{}]|[.!?](?=\s)|\n[^\S\n]*\n")

# Quotes that may stand between a long form and its parenthesis: ``Follow-up
# Likelihood as Reward" (FLR).
_QUOTES = "\"'`“”‘’"


class Definition(NamedTuple):
    """One abbreviation definition, with character offsets into the searched text.

    `long` has its whitespace collapsed to single spaces, so a long form that a
    line break splits reads as one phrase. The offsets cover the text as written.
    """

    short: str
    long: str
    short_start: int
    short_end: int
    long_start: int
    long_end: int


def is_short_form(text: str) -> bool:
    """Return whether `text` can be a short form.

    A short form has 2 to 10 characters and at most two words (Schwartz and
    Hearst), consists of letters and digits joined by single hyphens, spaces,
    "&", "+" or "'", and has at least one capital letter. The capital excludes
    lower-case remarks such as "(almost)", "(ii)" or "(p=0.31)"; it also
    excludes lower-case abbreviations such as "w2v", a known miss. Text that
    starts with a reference or example cue ("see", "e.g.", "Table") is no
    short form.
    """
    if not MIN_SHORT_FORM_LENGTH <= len(text) <= MAX_SHORT_FORM_LENGTH:
        return False
    if len(text.split()) > MAX_SHORT_FORM_WORDS:
        return False
    if not _SHORT_FORM_SHAPE.fullmatch(text):
        return False
    if not any(char.isupper() for char in text):
        return False
    return not _starts_with_cue(text)


def _starts_with_cue(text: str) -> bool:
    words = text.split(maxsplit=1)
    if not words:
        return False
    return words[0].lower().rstrip(".,:;") in NOT_DEFINITION_CUES


def _matched_characters(short: str) -> str:
    """Return the lower-cased letters and digits of `short` that a long form must contain.

    A plural "s" after a capital ("LLMs", "CoTs") is dropped: "large language
    models" rarely spells the plural as a separate letter.
    """
    if len(short) > 2 and short.endswith("s") and short[-2].isupper():
        short = short[:-1]
    return "".join(char.lower() for char in short if char.isalnum())


def classic_long_form_start(short: str, candidate: str) -> int | None:
    """Find where the long form of `short` starts in `candidate`, as Schwartz and Hearst do.

    Parameters
    ----------
    short : str
        The short form, for example "GRPO".
    candidate : str
        The text that ends right before the short form's parenthesis.

    Returns
    -------
    int or None
        The offset in `candidate` where the long form starts (it always runs
        to the end of `candidate`), or None when some letter or digit of
        `short` has no match.

    Notes
    -----
    For each character of the short form, from the last to the first, this
    takes the nearest matching character to the left of the previous match.
    That can cut a long form short ("Masked Momentum (MM)" gives "Momentum");
    `best_long_form_start` avoids this, and this function stays as the
    reference that tests compare against.
    """
    characters = _matched_characters(short)
    lowered = candidate.lower()
    position = len(candidate) - 1
    for index in range(len(characters) - 1, -1, -1):
        char = characters[index]
        while position >= 0 and (
            lowered[position] != char or (index == 0 and position > 0 and lowered[position - 1].isalnum())
        ):
            position -= 1
        if position < 0:
            return None
        position -= 1
    return _word_start(candidate, position + 1)


def best_long_form_start(short: str, candidate: str) -> int | None:
    """Find where the long form of `short` starts in `candidate`, preferring matches on word initials.

    Parameters
    ----------
    short : str
        The short form, for example "MM".
    candidate : str
        The text that ends right before the short form's parenthesis.

    Returns
    -------
    int or None
        The offset in `candidate` where the long form starts (it always runs
        to the end of `candidate`), or None when some letter or digit of
        `short` has no match.

    Examples
    --------
    >>> candidate = "We introduce Masked Momentum"
    >>> candidate[best_long_form_start("MM", candidate):]
    'Masked Momentum'
    >>> candidate[classic_long_form_start("MM", candidate):]
    'Momentum'

    Notes
    -----
    Among all ways to match the short form's letters and digits in order, with
    the first one at the start of a word, this picks the one with, in turn:

    1. the maximum number of characters on a word initial, which is a letter or
       digit after a non-letter ("multi-agent") or a capital after a lower-case
       letter ("eXtreme");
    2. the minimum number of skipped words, which are long-form words that
       contain no match and are not in `FUNCTION_WORDS`;
    3. the shortest long form.

    A dynamic program over (short-form character, matching position) finds
    it in time proportional to the number of characters times the square of
    the matching positions per character. The long form is widened to the
    start of a hyphenated compound ("multi-modal").
    """
    characters = _matched_characters(short)
    if not characters:
        return None
    lowered = candidate.lower()

    # Words are runs of letters and digits, so a hyphen separates two words.
    words = [match.span() for match in re.finditer(r"[^\W_]+", candidate)]
    word_starts = [start for start, _ in words]
    content_before = [0]
    for start, end in words:
        is_content = lowered[start:end] not in FUNCTION_WORDS
        content_before.append(content_before[-1] + is_content)

    def word_index(position: int) -> int:
        return bisect_right(word_starts, position) - 1

    def skipped(after_word: int, before_word: int) -> int:
        # Content words strictly between two matched words.
        return max(0, content_before[before_word] - content_before[after_word + 1])

    def is_initial(position: int) -> bool:
        if position == 0 or not candidate[position - 1].isalnum():
            return True
        return candidate[position].isupper() and candidate[position - 1].islower()

    # best[position] = (initials, -skipped words) of the best match of
    # characters[index:] whose first character sits at `position`.
    last = len(characters) - 1
    best: dict[int, tuple[int, int]] = {}
    for position, char in enumerate(lowered):
        if char == characters[last]:
            trailing = skipped(word_index(position), len(words))
            best[position] = (int(is_initial(position)), -trailing)

    for index in range(last - 1, -1, -1):
        char = characters[index]
        current: dict[int, tuple[int, int]] = {}
        for position in (p for p, c in enumerate(lowered) if c == char):
            options = [
                (initials, score - skipped(word_index(position), word_index(later)))
                for later, (initials, score) in best.items()
                if later > position
            ]
            if options:
                initials, score = max(options)
                current[position] = (initials + is_initial(position), score)
        best = current

    # The first character must start a word (Schwartz and Hearst's rule),
    # which here includes a capital inside a word ("eXtreme").
    starts = [(score, position) for position, score in best.items() if is_initial(position)]
    if not starts:
        return None
    _, position = max(starts)
    return _word_start(candidate, position)


def _word_start(text: str, position: int) -> int:
    """Move `position` back to the start of its hyphenated compound ("multi-modal")."""
    while position > 0 and (
        text[position - 1].isalnum()
        or (text[position - 1] == "-" and position > 1 and text[position - 2].isalnum())
    ):
        position -= 1
    return position


def _max_long_form_words(short: str) -> int:
    count = len(_matched_characters(short))
    return min(count + LONG_FORM_EXTRA_WORDS, count * LONG_FORM_WORD_FACTOR)


def _is_valid_pair(short: str, long: str, *, check_name_parts: bool) -> bool:
    """Apply the checks that hold for both "long (short)" and "short (long)"."""
    if len(long) <= len(short):
        return False
    long_words = re.findall(r"[^\W_]+", long.lower())

    # A long form that contains its short form as a word is no definition ("RL agents (RL)").
    if short.lower() in long_words:
        return False

    # Name-like parts ("Sotopia" in "Sotopia-RL") must start a long-form word.
    # Otherwise their letters could be matched one by one across unrelated words.
    if not check_name_parts:
        return True
    for part in _LOWER_RUN.findall(short):
        if len(part) >= NAME_PART_MIN_LENGTH and not any(word.startswith(part.lower()) for word in long_words):
            return False
    return True


def find_abbreviations(
    text: str,
    *,
    boundaries: Iterable[int] = (),
    ignore: Iterable[tuple[int, int]] = (),
) -> list[Definition]:
    """Find abbreviation definitions in a text.

    Parameters
    ----------
    text : str
        The text to search.
    boundaries : iterable of int
        Character offsets that a long form must not cross, such as sentence
        starts. Sentence-final punctuation, clause punctuation and blank lines
        end a long form in any case.
    ignore : iterable of (int, int)
        Character spans, such as URLs, whose parentheses are not definitions
        and that a long form must not cross.

    Returns
    -------
    list of Definition
        One per definition, in text order, with offsets into `text`.

    Examples
    --------
    >>> [d.long for d in find_abbreviations("We use group relative policy optimization (GRPO).")]
    ['group relative policy optimization']
    >>> [(d.short, d.long) for d in find_abbreviations("We study SSL (self-supervised learning).")]
    [('SSL', 'self-supervised learning')]

    Notes
    -----
    Only a parenthesis with no parenthesis inside is read, so "(see (1))"
    yields nothing. Coordinated definitions such as "Positive and Negative
    Sample Reinforcement (PSR and NSR)" are not split and yield nothing.
    """
    stops = sorted(set(boundaries))
    ignored = sorted(ignore)
    definitions: list[Definition] = []
    for match in _PARENTHESIS.finditer(text):
        open_at, close_at = match.start(), match.end() - 1
        if any(start <= close_at and open_at < end for start, end in ignored):
            continue

        # "(In-)consistency": a parenthesis inside a word is no definition.
        if close_at + 1 < len(text) and text[close_at + 1].isalnum():
            continue

        window_start = _window_start(text, open_at, stops, ignored)
        definition = _forward_definition(text, match, window_start) or _reverse_definition(text, match, window_start)
        if definition is not None:
            definitions.append(definition)
    return definitions


def _window_start(text: str, open_at: int, stops: Sequence[int], ignored: Sequence[tuple[int, int]]) -> int:
    """Return where the text that a long form may come from starts, before the parenthesis at `open_at`."""
    start = 0
    index = bisect_right(stops, open_at) - 1
    if index >= 0:
        start = stops[index]
    for span_start, span_end in ignored:
        if span_end <= open_at:
            start = max(start, span_end)
    for stop in _WINDOW_STOP.finditer(text, start, open_at):
        start = stop.end()
    return start


def _forward_definition(text: str, match: re.Match[str], window_start: int) -> Definition | None:
    """Read "long form (SHORT)", where SHORT may be followed by "; ..." or ", ..."."""
    content_start = match.start(1)
    content = re.split(r"[;,]", match.group(1), maxsplit=1)[0]
    short = content.strip()
    if not is_short_form(short):
        return None
    short_start = content_start + content.index(short)

    # The candidate long form: the last words before the parenthesis.
    window_end = match.start()
    while window_end > window_start and (text[window_end - 1].isspace() or text[window_end - 1] in _QUOTES):
        window_end -= 1
    word_spans = [m.start() for m in re.finditer(r"\S+", text[window_start:window_end])]
    if not word_spans:
        return None
    max_words = _max_long_form_words(short)
    candidate_start = window_start + word_spans[max(0, len(word_spans) - max_words)]
    candidate = text[candidate_start:window_end]

    offset = best_long_form_start(short, candidate)
    if offset is None:
        return None
    long_start = candidate_start + offset
    long = " ".join(text[long_start:window_end].split())
    if not _is_valid_pair(short, long, check_name_parts=True):
        return None
    return Definition(short, long, short_start, short_start + len(short), long_start, window_end)


def _reverse_definition(text: str, match: re.Match[str], window_start: int) -> Definition | None:
    """Read "SHORT (long form)": a short form right before a parenthesis that spells it out."""
    content = match.group(1)
    long_text = content.strip()
    if not long_text or is_short_form(long_text) or _starts_with_cue(long_text):
        return None

    # The short form is the word right before the parenthesis.
    before = re.search(r"(\S+)\s*$", text[window_start : match.start()])
    if before is None:
        return None
    short = before.group(1).strip(_QUOTES)
    if not is_short_form(short):
        return None
    short_start = window_start + before.start(1) + before.group(1).index(short)
    if len(long_text.split()) > _max_long_form_words(short):
        return None

    offset = best_long_form_start(short, long_text)
    if offset is None:
        return None
    # The parenthesis must contain only the long form, apart from leading function words.
    if any(word.lower() not in FUNCTION_WORDS for word in re.findall(r"[^\W_]+", long_text[:offset])):
        return None
    long_start = match.start(1) + content.index(long_text) + offset
    long_end = match.start(1) + content.index(long_text) + len(long_text)
    long = " ".join(text[long_start:long_end].split())
    # A name spelled out in full ("Cooper (Co-optimizing Policy Model and Reward
    # Model)") is a definition too. The name-part check is skipped here because
    # the long form must fill the parenthesis, which makes chance matches rare.
    if not _is_valid_pair(short, long, check_name_parts=False):
        return None
    return Definition(short, long, short_start, short_start + len(short), long_start, long_end)


class AbbreviationDetector(BatchedComponent):
    """Find abbreviation definitions in a Doc.

    Sets ``doc._.kg_abbreviations`` to a list of ``{"short", "long",
    "short_start", "short_end", "long_start", "long_end"}`` dicts, one per
    definition in text order, with character offsets into ``doc.text``. A
    short form defined twice appears twice; consumers decide which definition
    wins. Tokens are not changed or merged.

    Long forms do not cross sentence starts when the Doc has sentence
    boundaries (run the component after the sentencizer or parser), nor the
    end of the title (``doc._.kg_title_end``). Parentheses inside the URLs of
    ``doc._.kg_links`` are skipped, so run ``kg_links`` first.
    """

    def __init__(self, nlp: Language, name: str) -> None:
        self.name = name
        register_extensions()

    def __call__(self, doc: Doc) -> Doc:
        tokens = token_table(doc)
        if "(" not in tokens.text:
            # Every definition has a parenthesis; most abstracts without one are done here.
            doc._.set(ABBREVIATIONS, [])
            return doc
        boundaries: list[int] = []
        if tokens.has_sentences:
            boundaries.extend(tokens.starts[start] for start, _ in tokens.sentences())
        title_end = doc._.get(TITLE_END)
        if title_end:
            boundaries.append(title_end)
        links = [(link["start"], link["end"]) for link in doc._.get(LINKS) or ()]

        definitions = find_abbreviations(tokens.text, boundaries=boundaries, ignore=links)
        doc._.set(ABBREVIATIONS, [definition._asdict() for definition in definitions])
        return doc
