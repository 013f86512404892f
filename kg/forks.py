"""Run a function in a forked child process and get its return value or exception back.

The steps of a build after extraction use this to convert parts of the
graph to RDF on the idle cores: a forked child shares the parent's graph
without pickling it. A child ignores SIGINT, so
Ctrl-C reaches only the parent, which decides what an interrupt means and
terminates its children on the way out (`ForkedCall.cancel`, or leaving a
`forked_calls` block).

Fork only while no other thread of the parent runs: a child gets a copy of
every lock, and a lock held by another thread at the time of the fork stays
held in the child forever.

NOTE: a parent killed with SIGKILL cannot terminate its children, so they
run until their function returns, then fail to send the result and exit.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import multiprocessing
import os
import signal
from collections.abc import Callable, Iterator
from multiprocessing.connection import Connection
from typing import Any

from kg.errors import KgError
from kg.io import interrupts_deferred

__all__ = ["ForkedCall", "can_fork", "forked_calls", "forks_fit_in_memory"]

logger = logging.getLogger(__name__)

_INTERRUPTS = {signal.SIGINT, signal.SIGTERM}


def can_fork() -> bool:
    """Return True if this platform can fork processes (Linux and macOS; not Windows)."""
    return "fork" in multiprocessing.get_all_start_methods()


def _resident_bytes() -> int | None:
    """Return the resident memory of this process from /proc, or None where /proc is missing (macOS)."""
    try:
        with open("/proc/self/statm", "rb") as statm:
            resident_pages = int(statm.read().split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return resident_pages * os.sysconf("SC_PAGE_SIZE")


def _available_bytes() -> int | None:
    """Return the kernel's estimate of the memory available to new work (MemAvailable), or None if unknown."""
    try:
        with open("/proc/meminfo", "rb") as meminfo:
            for line in meminfo:
                if line.startswith(b"MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def forks_fit_in_memory(count: int) -> bool:
    """Return True if `count` forked children may copy this process's memory and still fit in half the available memory.

    A forked child shares the parent's pages only until one of them writes to
    a page. CPython writes to every object it reads, because reading changes
    the object's reference count. So a child that reads the whole graph ends
    up with its own copy of most of it. In a build of a million abstracts,
    each of the two forked RDF converters copied about 4 GiB of the parent's
    5.3 GiB. The check counts a full copy of the parent's resident memory per
    child and leaves the other half of the available memory to the work that
    follows and to other programs. Where the two figures cannot be read
    (no /proc), it returns True.
    """
    resident, available = _resident_bytes(), _available_bytes()
    if resident is None or available is None:
        return True
    fits = count * resident <= available // 2
    if not fits:
        logger.info(
            "Not forking %d processes: their copies of this process's %.1f GiB could take %.1f GiB, "
            "more than half of the %.1f GiB available",
            count, resident / 2**30, count * resident / 2**30, available / 2**30,
        )
    return fits


def _run_child(writer: Connection, function: Callable[..., Any], args: tuple[Any, ...]) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    # The parent held the signals during the fork, and the child inherits that mask.
    signal.pthread_sigmask(signal.SIG_UNBLOCK, _INTERRUPTS)
    try:
        outcome: tuple[bool, Any] = (True, function(*args))
    except BaseException as error:  # noqa: BLE001 - every error goes back to the parent
        outcome = (False, error)
    try:
        writer.send(outcome)
    except Exception as error:  # noqa: BLE001 - an exception or value that cannot be pickled
        message = f"the forked worker {function!r} returned {outcome[1]!r}, which could not be sent to the parent: {error}"
        writer.send((False, KgError(message)))
    writer.close()


class ForkedCall:
    """`function(*args)` running in a forked child process.

    Examples
    --------
    >>> call = ForkedCall(sum, [1, 2, 3])
    >>> call.result()
    6
    """

    def __init__(self, function: Callable[..., Any], *args: Any) -> None:
        context = multiprocessing.get_context("fork")
        reader, writer = context.Pipe(duplex=False)
        self._reader = reader
        self.name = getattr(function, "__name__", repr(function))
        self.process = context.Process(target=_run_child, args=(writer, function, args), daemon=True)
        # Objects that exist at the fork move out of the collector's reach,
        # so collections in the child do not write to (and so copy) the
        # memory pages that it shares with the parent.
        gc.freeze()
        try:
            # A signal handler that raises during the fork would leave the
            # child half started, so signals wait until the fork is done.
            with interrupts_deferred():
                self.process.start()
        finally:
            gc.unfreeze()
        writer.close()
        self._done = False
        self._outcome: tuple[bool, Any] = (False, None)

    def result(self) -> Any:
        """Wait for the child and return its value, or raise its exception.

        Raises
        ------
        KgError
            If the child ended without a result, for example killed by a signal.
        """
        if not self._done:
            try:
                self._outcome = self._reader.recv()
            except EOFError:
                self.process.join()
                self._outcome = (
                    False,
                    KgError(
                        f"the worker process {self.name} (pid {self.process.pid}) ended with exit status "
                        f"{self.process.exitcode} before it returned a result; a negative status is the signal "
                        "that killed it (9 is often the kernel's out-of-memory killer)"
                    ),
                )
            self._done = True
            self._reader.close()
            self.process.join()
        succeeded, value = self._outcome
        if not succeeded:
            raise value
        return value

    def cancel(self) -> None:
        """Terminate the child unless it has ended, and wait for it."""
        if self.process.is_alive():
            logger.debug("Terminating the worker process %s (pid %d)", self.name, self.process.pid)
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.process.pid, signal.SIGTERM)
        self.process.join()
        if not self._done:
            self._reader.close()
            self._done = True
            self._outcome = (False, KgError(f"the worker process {self.name} was cancelled"))


@contextlib.contextmanager
def forked_calls() -> Iterator[list[ForkedCall]]:
    """Yield a list for `ForkedCall` objects, and cancel those still running when the block exits.

    On success, the caller has collected every result already, so only an
    error or an interrupt leaves children to terminate.
    """
    calls: list[ForkedCall] = []
    try:
        yield calls
    finally:
        for call in calls:
            call.cancel()
