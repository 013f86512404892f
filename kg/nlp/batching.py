"""Batch-by-batch `pipe` for kg's rule-based components.

`Language.pipe` calls a component's ``pipe`` method when it has one, and
otherwise calls the component on each Doc as the Doc arrives. Without a
``pipe`` method every Doc goes through all components before the next Doc
starts, so each component's code and data are reloaded into the CPU caches
once per Doc. `BatchedComponent.pipe` runs one component over a whole batch
of Docs before it hands the batch on, as spaCy's trained components do.
The output is the same, and ``nlp.pipe`` then takes about as much CPU time as
the sum of the per-component times. The "Extraction throughput" section of
docs/performance.md has the figures from ``bench/pipeline.py``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from spacy.tokens import Doc
from spacy.util import minibatch, raise_error

__all__ = ["DEFAULT_BATCH_SIZE", "BatchedComponent"]

logger = logging.getLogger(__name__)

# Docs per batch when the caller gives no batch size. `Language.pipe` passes
# its own batch_size, so this applies only to direct calls of `pipe`.
DEFAULT_BATCH_SIZE = 64

# spaCy's signature of an error handler: (component name, component, Docs, error).
ErrorHandler = Callable[[str, Any, list[Doc], Exception], Any]


class BatchedComponent:
    """Mixin that gives a component with ``__call__(doc)`` a batched ``pipe``.

    The component must set ``self.name``. Errors go to the handler that
    `spacy.Language.set_error_handler` installs (by default the error is
    raised again). A Doc whose component call fails is not yielded, as with
    spaCy's handling of components without a ``pipe`` method.
    """

    name: str
    _error_handler: ErrorHandler = staticmethod(raise_error)  # type: ignore[assignment]

    def __call__(self, doc: Doc) -> Doc:  # pragma: no cover - each component defines it
        raise NotImplementedError

    def pipe(self, docs: Iterable[Doc], *, batch_size: int = DEFAULT_BATCH_SIZE) -> Iterator[Doc]:
        """Apply the component to each Doc, one batch of `batch_size` Docs at a time.

        Yields
        ------
        Doc
            The processed Docs in input order, each batch after all its Docs are done.
        """
        for batch in minibatch(docs, size=batch_size):
            done = []
            for doc in batch:
                try:
                    done.append(self(doc))
                except Exception as error:
                    self._error_handler(self.name, self, [doc], error)
            yield from done

    def set_error_handler(self, error_handler: ErrorHandler) -> None:
        """Set the function that `pipe` calls when the component raises on a Doc."""
        self._error_handler = error_handler

    def get_error_handler(self) -> ErrorHandler:
        """Return the function that `pipe` calls when the component raises on a Doc."""
        return self._error_handler
