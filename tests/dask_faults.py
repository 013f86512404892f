"""A spaCy component that ends its worker process, to test how kg reports a dead Dask worker."""

from __future__ import annotations

import os

from spacy.language import Language
from spacy.tokens import Doc

__all__ = ["EXIT_MARKER", "exit_on_marker"]

# A title that contains this word ends the process that processes it.
EXIT_MARKER = "ENDWORKERNOW"


@Language.component("kg_test_exit_on_marker")
def exit_on_marker(doc: Doc) -> Doc:
    if EXIT_MARKER in doc.text:
        os._exit(3)
    return doc
