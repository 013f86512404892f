"""Assembly of the extraction pipeline from kg's registered components."""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from pathlib import Path

import spacy
from spacy.lang.char_classes import ALPHA
from spacy.language import Language

from kg.errors import ConfigError
from kg.nlp.factories import register_factories

__all__ = ["PIPELINE_COMPONENTS", "create_pipeline"]

logger = logging.getLogger(__name__)

# kg's components in the order they must run: abbreviations feed entity typing,
# entities feed proposals, relations and results.
PIPELINE_COMPONENTS: tuple[str, ...] = (
    "kg_title_boundary",
    "kg_links",
    "kg_abbreviations",
    "kg_entities",
    "kg_proposals",
    "kg_relations",
    "kg_results",
)


# spaCy's English suffix rules leave a sentence-final period attached to a
# token that ends in a digit and a letter ("GSM8K.", "Qwen2.5-7B.", "R1V."),
# which hides the name from every matcher. This suffix splits that period off.
_PERIOD_AFTER_VERSION = r"(?<=[0-9][A-Za-z])\.$"


def _split_period_after_versions(nlp: Language) -> None:
    """Add `_PERIOD_AFTER_VERSION` to the tokenizer's suffix rules."""
    suffix_search = nlp.tokenizer.suffix_search
    pattern = getattr(suffix_search, "__self__", None)
    if not isinstance(pattern, re.Pattern):
        logger.warning("The tokenizer's suffix rules are not a regular expression; names such as 'GSM8K.' may keep their period")
        return
    nlp.tokenizer.suffix_search = re.compile(f"{pattern.pattern}|{_PERIOD_AFTER_VERSION}").search


# spaCy's English infix rules split a word at "-", an en dash or an em dash
# before a letter, so "BERT-base" is three tokens. They do not split at the
# Unicode hyphen (U+2010), the non-breaking hyphen (U+2011) or the minus sign
# (U+2212), so "BERT\u2010base" would stay one token that no vocabulary pattern
# matches. This infix splits those three where spaCy splits "-".
_UNICODE_HYPHEN_INFIX = rf"(?<=[{ALPHA}0-9])[\u2010\u2011\u2212](?=[{ALPHA}])"


def _split_unicode_hyphens(nlp: Language) -> None:
    """Add `_UNICODE_HYPHEN_INFIX` to the tokenizer's infix rules."""
    infix_finditer = nlp.tokenizer.infix_finditer
    pattern = getattr(infix_finditer, "__self__", None)
    if not isinstance(pattern, re.Pattern):
        logger.warning("The tokenizer's infix rules are not a regular expression; names with Unicode hyphens such as 'BERT\u2010base' may stay one token")
        return
    nlp.tokenizer.infix_finditer = re.compile(f"{pattern.pattern}|{_UNICODE_HYPHEN_INFIX}").finditer


def _empty_tokenizer_cache(nlp: Language) -> None:
    """Empty the tokenizer's cache of analysed chunks, filled by the components' patterns.

    spaCy's tokenizer caches the tokens of each whitespace-delimited chunk it
    analyses, up to ``max_cache_size`` chunks (10,000 in spaCy 3.8), and
    caches no more once full. kg's components tokenise their patterns when
    they are added, and the vocabulary alone has about 3,000 forms and dash
    variants. Those would hold their slots for the rest of the run, and the
    words of the papers would find fewer. Assigning the rules again is the
    tokenizer's public way to empty the cache.
    """
    nlp.tokenizer.rules = nlp.tokenizer.rules


def create_pipeline(
    base: str | None = None,
    *,
    vocabulary_paths: Sequence[str | Path] = (),
    use_default_vocabulary: bool = True,
) -> Language:
    """Create the extraction pipeline.

    Parameters
    ----------
    base : str or None
        None for a blank English pipeline with a rule-based sentencizer
        (``kg_sentencizer``: fast, needs no model download), or the name or path of an installed spaCy
        pipeline (for example "en_core_web_sm") whose parser or senter then
        sets the sentence boundaries.
    vocabulary_paths : sequence of path
        User vocabulary files added to the starter vocabulary (format in
        `kg.nlp.vocabulary`).
    use_default_vocabulary : bool
        Load the starter vocabulary that ships with kg (default True).

    Returns
    -------
    spacy.language.Language

    Raises
    ------
    ConfigError
        If `base` is not an installed pipeline or a vocabulary file is missing.
    """
    register_factories()

    for path in vocabulary_paths:
        if not Path(path).is_file():
            raise ConfigError(f"Vocabulary file not found: {path}")

    if base is None:
        nlp = spacy.blank("en")
    else:
        try:
            nlp = spacy.load(base)
        except OSError as err:
            raise ConfigError(
                f"Cannot load the spaCy pipeline {base!r}: it is not an installed package "
                "or a pipeline directory. Install it with pip, or omit --model to use "
                "the built-in rule-based pipeline."
            ) from err

    present = [name for name in PIPELINE_COMPONENTS if name in nlp.pipe_names]
    if present:
        # A pipeline saved from kg (nlp.to_disk) already has its components.
        if len(present) != len(PIPELINE_COMPONENTS):
            missing = ", ".join(name for name in PIPELINE_COMPONENTS if name not in present)
            raise ConfigError(f"The spaCy pipeline {base!r} has some of kg's components but lacks {missing}")
        logger.info("Using the kg components saved in %s", base)
        nlp.get_pipe("kg_entities").add_vocabulary_files(vocabulary_paths)
        _empty_tokenizer_cache(nlp)
        return nlp

    _split_period_after_versions(nlp)
    _split_unicode_hyphens(nlp)

    has_sentences = any(name in nlp.pipe_names for name in ("parser", "senter", "sentencizer"))
    if not has_sentences:
        # kg's copy of spaCy's sentencizer rule, faster on kg's token lists. It
        # is not in PIPELINE_COMPONENTS, so pipelines saved with spaCy's
        # "sentencizer" still load as they are.
        nlp.add_pipe("kg_sentencizer", first=True)

    # The title boundary must precede any parser, which keeps preset sentence starts.
    nlp.add_pipe("kg_title_boundary", first=True)
    nlp.add_pipe("kg_links", after="kg_title_boundary")
    nlp.add_pipe("kg_abbreviations")
    # User files are added after construction rather than through the config,
    # so a pipeline saved with nlp.to_disk carries the vocabulary itself and
    # no path to a file that may move.
    recognizer = nlp.add_pipe("kg_entities", config={"use_default_vocabulary": use_default_vocabulary})
    recognizer.add_vocabulary_files(vocabulary_paths)
    nlp.add_pipe("kg_proposals")
    nlp.add_pipe("kg_relations")
    nlp.add_pipe("kg_results")
    _empty_tokenizer_cache(nlp)
    logger.debug("Extraction pipeline: %s", nlp.pipe_names)
    return nlp
