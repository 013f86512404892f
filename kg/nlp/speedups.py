"""Whether the compiled token loops of `kg.nlp._speedups` run in this process.

`kg.nlp.tokens` and `kg.nlp.entities` call the compiled functions through
`COMPILED` when it is a module, and their pure-Python references when it is
None. Both give the same results, and the compiled ones are faster (see
docs/performance.md). `COMPILED` is None when:

- the module was not compiled, because ``pip install`` found no C++
  compiler and the extension is optional;
- it was compiled against another spaCy release than the one installed.
  It reads spaCy's token structs, whose layout may change between
  releases, so a warning says to reinstall kg, which compiles it again;
- the environment variable ``KG_NO_SPEEDUPS`` is set to a non-empty value
  other than "0", to compare the two or to rule the compiled code out.

Benchmarks and tests may assign `COMPILED` to switch between the two in one
process, because components read it on every call.
"""

from __future__ import annotations

import logging
import os
from types import ModuleType

import spacy

__all__ = ["COMPILED", "load_compiled"]

logger = logging.getLogger(__name__)


def load_compiled() -> ModuleType | None:
    """Return `kg.nlp._speedups` if it can run with the installed spaCy, else None."""
    if os.environ.get("KG_NO_SPEEDUPS", "") not in ("", "0"):
        logger.debug("KG_NO_SPEEDUPS is set: kg runs its pure-Python token loops")
        return None
    try:
        from kg.nlp import _speedups  # type: ignore[attr-defined]
    except ImportError as error:
        logger.debug("kg.nlp._speedups is not compiled (%s): kg runs its pure-Python token loops", error)
        return None
    installed = spacy.about.__version__
    if _speedups.SPACY_VERSION != installed:
        logger.warning(
            "kg.nlp._speedups was compiled against spaCy %s, but spaCy %s is installed; kg runs its slower "
            "pure-Python token loops. Reinstall kg (pip install -e . in a checkout) to compile it for this spaCy.",
            _speedups.SPACY_VERSION or "(release unknown)",
            installed,
        )
        return None
    return _speedups


COMPILED: ModuleType | None = load_compiled()
