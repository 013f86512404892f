"""Extraction in worker processes, for `kg.extract.extract(..., n_process=N)`.

spaCy's own multi-process `nlp.pipe` joins its workers while their result
pipes are full when the input stream raises or the user interrupts, so a bad
record or Ctrl-C left the build hanging. Here a `ProcessPoolExecutor` runs
whole batches: each worker receives the pipeline once, returns plain
`PaperExtraction` records (with their ``extractions.jsonl`` lines, for
`extract_lines_in_processes`), and an error in the input, in a worker or in the
consumer cancels the batches that have not started.
"""

from __future__ import annotations

import collections
import gc
import itertools
import logging
import multiprocessing
import signal
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from typing import TypeVar

from spacy.language import Language

from kg.io import interrupts_deferred
from kg.model import Paper, PaperExtraction

__all__ = ["extract_in_processes", "extract_lines_in_processes"]

logger = logging.getLogger(__name__)

# Batches submitted ahead per worker: enough to keep every worker busy while
# results are consumed in order, few enough to keep memory flat.
BATCHES_AHEAD_PER_WORKER = 2

_worker_nlp: Language | None = None

_Result = TypeVar("_Result")


_INTERRUPTS = {signal.SIGINT, signal.SIGTERM}


def _start_worker(nlp: Language) -> None:
    global _worker_nlp
    # The parent process decides what an interrupt means; a worker that
    # raised KeyboardInterrupt itself would only print a traceback. The
    # worker inherits the parent's held signals, so release them.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, _INTERRUPTS)
    _worker_nlp = nlp
    # The pipeline and everything else inherited from the parent live as long
    # as the worker, so the cyclic garbage collector need not scan them again.
    gc.freeze()


def _extract_batch(papers: list[Paper]) -> list[PaperExtraction]:
    from kg.extract import extract

    assert _worker_nlp is not None, "worker started without a pipeline"
    return list(extract(papers, _worker_nlp, batch_size=len(papers) or 1))


def _extract_batch_with_lines(papers: list[Paper]) -> list[tuple[PaperExtraction, str]]:
    from kg.extract import extraction_line

    return [(extraction, extraction_line(extraction)) for extraction in _extract_batch(papers)]


def _batches(papers: Iterable[Paper], size: int) -> Iterator[list[Paper]]:
    iterator = iter(papers)
    while batch := list(itertools.islice(iterator, size)):
        yield batch


def extract_in_processes(
    papers: Iterable[Paper], nlp: Language, *, batch_size: int, n_process: int
) -> Iterator[PaperExtraction]:
    """Extract papers in `n_process` worker processes, yielding results in input order.

    Raises
    ------
    Exception
        The first error of the input stream or of a worker, unchanged; the
        batches that have not started are cancelled before it propagates.
    """
    return _run_batches(papers, nlp, _extract_batch, batch_size=batch_size, n_process=n_process)


def extract_lines_in_processes(
    papers: Iterable[Paper], nlp: Language, *, batch_size: int, n_process: int
) -> Iterator[tuple[PaperExtraction, str]]:
    """Yield what `extract_in_processes` yields, each record with its `kg.extract.extraction_line`.

    The workers serialize the records, which takes that work off the
    process that writes ``extractions.jsonl``.
    """
    return _run_batches(papers, nlp, _extract_batch_with_lines, batch_size=batch_size, n_process=n_process)


def _run_batches(
    papers: Iterable[Paper],
    nlp: Language,
    work: Callable[[list[Paper]], list[_Result]],
    *,
    batch_size: int,
    n_process: int,
) -> Iterator[_Result]:
    """Run `work` on batches of `papers` in worker processes; yield the results in input order."""
    # fork shares the loaded pipeline without re-importing the caller's
    # script, which a plain script without a __main__ guard would need.
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    context = multiprocessing.get_context(method)
    pending: collections.deque[Future[list[_Result]]] = collections.deque()
    with ProcessPoolExecutor(n_process, mp_context=context, initializer=_start_worker, initargs=(nlp,)) as pool:
        try:
            for number, batch in enumerate(_batches(papers, batch_size)):
                if number == 0:
                    # The pool forks its workers on the first submit. A signal
                    # handler that raises during the fork runs inside an
                    # at-fork hook, where Python ignores the exception, so the
                    # signal is held until the fork is done.
                    with interrupts_deferred():
                        pending.append(pool.submit(work, batch))
                else:
                    pending.append(pool.submit(work, batch))
                while len(pending) >= BATCHES_AHEAD_PER_WORKER * n_process:
                    yield from pending.popleft().result()
            while pending:
                yield from pending.popleft().result()
        except BaseException:
            # Running batches finish (a batch takes well under a second);
            # the others never start, so leaving the pool does not hang.
            pool.shutdown(wait=False, cancel_futures=True)
            raise
