"""Language tags of paper texts, normalised to BCP 47 form.

Input files spell tags in several ways ("en_US", "EN-us", "en"); RDF language
tags must match ``[a-zA-Z]+ ("-" [a-zA-Z0-9]+)*`` (RDF 1.1 Turtle, LANGTAG).
`normalize_language_tag` maps the common spellings to the case conventions of
RFC 5646, section 2.1.1, so equal tags compare equal as strings.
"""

from __future__ import annotations

import logging
import re

__all__ = ["normalize_language_tag"]

logger = logging.getLogger(__name__)

# RFC 5646 subtags have 1 to 8 characters. The first (primary language) subtag
# has 2 to 8 letters, except in private-use tags ("x-...") and grandfathered
# "i-..." tags such as "i-klingon", which start with a one-letter singleton.
_PRIMARY = re.compile(r"[A-Za-z]{2,8}")
_SINGLETON_PRIMARY = re.compile(r"[xXiI]")
_SUBTAG = re.compile(r"[A-Za-z0-9]{1,8}")


def normalize_language_tag(tag: str) -> str:
    """Return `tag` in BCP 47 form, or raise ValueError if it is not a language tag.

    Underscores become dashes; the primary language is lower case, a
    two-letter region upper case, a four-letter script title case, and every
    other subtag lower case. Subtags after a one-letter singleton (private
    use "x", extensions, and the "i" of grandfathered tags) stay lower case.

    Raises
    ------
    ValueError
        If `tag` is empty or its subtags are not 1 to 8 ASCII letters or
        digits (2 to 8 letters for the first, unless it is "x" or "i"
        followed by more subtags).

    Examples
    --------
    >>> normalize_language_tag("en_US")
    'en-US'
    >>> normalize_language_tag("ZH-hant-tw")
    'zh-Hant-TW'
    """
    subtags = tag.strip().replace("_", "-").split("-")
    primary_valid = _PRIMARY.fullmatch(subtags[0]) or (_SINGLETON_PRIMARY.fullmatch(subtags[0]) and len(subtags) > 1)
    if not primary_valid or not all(_SUBTAG.fullmatch(subtag) for subtag in subtags[1:]):
        raise ValueError(
            f"invalid language tag {tag!r}: expected letters and digits in dash-separated parts, such as 'en' or 'en-US'"
        )

    normalised = [subtags[0].lower()]
    after_singleton = len(subtags[0]) == 1
    for subtag in subtags[1:]:
        if after_singleton or len(subtag) == 1:
            after_singleton = True
            normalised.append(subtag.lower())
        elif len(subtag) == 2 and subtag.isalpha():
            normalised.append(subtag.upper())
        elif len(subtag) == 4 and subtag.isalpha():
            normalised.append(subtag.title())
        else:
            normalised.append(subtag.lower())
    return "-".join(normalised)
