"""Forked worker processes of the steps after extraction (`kg.forks`)."""

from __future__ import annotations

import os
import signal
import time

import pytest

from kg.errors import InputError, KgError
from kg.forks import ForkedCall, can_fork, forked_calls, forks_fit_in_memory

pytestmark = pytest.mark.skipif(not can_fork(), reason="needs os.fork")


def _fail(path: str) -> None:
    raise InputError(path, "invalid record", record=3)


def _kill_self() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def _sleep(seconds: float) -> None:
    time.sleep(seconds)


def test_result_returned() -> None:
    assert ForkedCall(sorted, [3, 1, 2]).result() == [1, 2, 3]


def test_child_sees_parent_objects() -> None:
    shared = {"papers": list(range(1000))}
    assert ForkedCall(len, shared["papers"]).result() == 1000


def test_error_raised_in_parent() -> None:
    call = ForkedCall(_fail, "papers.jsonl")
    with pytest.raises(InputError, match="papers.jsonl, record 3: invalid record"):
        call.result()


def test_killed_child_raises() -> None:
    call = ForkedCall(_kill_self)
    with pytest.raises(KgError, match="ended with exit status -9"):
        call.result()


def test_block_exit_terminates_children() -> None:
    with pytest.raises(RuntimeError), forked_calls() as calls:
        call = ForkedCall(_sleep, 60)
        calls.append(call)
        raise RuntimeError("a later step failed")
    assert not call.process.is_alive()
    assert call.process.exitcode == -signal.SIGTERM


def test_child_ignores_sigint() -> None:
    call = ForkedCall(_sleep, 0.5)
    time.sleep(0.2)
    os.kill(call.process.pid, signal.SIGINT)
    assert call.result() is None


def test_forks_fit_in_memory_counts_copies() -> None:
    # One child fits beside a test process on any machine that runs the suite;
    # a million copies of it fit on none.
    assert forks_fit_in_memory(1)
    assert not forks_fit_in_memory(1_000_000)
