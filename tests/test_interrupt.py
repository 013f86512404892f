"""Interrupted builds: Ctrl-C (SIGINT) and SIGKILL during extraction and during output writing.

Each test runs `kg build` as a subprocess over the outputs of an earlier build
in the same --out folder, interrupts it, and checks that the earlier outputs
are byte-identical and that no partial file shows under an output name.
"""

from __future__ import annotations

import json
import os
import queue
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from kg.build import STAGING_PREFIX, _lock_staging, remove_stale_staging
from kg.sources import read_daily_papers
from kg.store import GraphStore

# Papers in the input: enough for extraction and output writing to take
# seconds each, so a signal sent on a progress note lands inside that phase.
INPUT_PAPERS = 400
# Seconds to wait for a phase to start, or for the build to end, on a busy machine.
TIMEOUT = 300


@pytest.fixture(scope="module")
def big_input(tmp_path_factory: pytest.TempPathFactory, example_page: Path) -> Path:
    papers = list(read_daily_papers(example_page))
    path = tmp_path_factory.mktemp("input") / "papers.jsonl"
    with path.open("w", encoding="utf-8") as handle:
        for index in range(INPUT_PAPERS):
            paper = papers[index % len(papers)]
            record = {"id": f"p{index}", "title": f"{paper.title} {index}", "abstract": paper.abstract}
            handle.write(json.dumps(record) + "\n")
    return path


@pytest.fixture(scope="module")
def earlier_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("earlier")
    small = folder / "small.jsonl"
    small.write_text(json.dumps({"id": "e1", "title": "An Earlier Paper", "abstract": "We used GSM8K."}) + "\n", encoding="utf-8")
    out = folder / "out"
    completed = subprocess.run(
        [sys.executable, "-m", "kg.cli", "build", str(small), "--out", str(out)], capture_output=True, text=True, timeout=TIMEOUT
    )
    assert completed.returncode == 0, completed.stderr
    return out


@pytest.fixture()
def out(tmp_path: Path, earlier_build: Path) -> Path:
    target = tmp_path / "out"
    shutil.copytree(earlier_build, target)
    return target


def snapshot(folder: Path) -> dict[str, bytes]:
    """Return the visible files of `folder` (no dot files or staging folders) with their bytes."""
    return {path.name: path.read_bytes() for path in folder.iterdir() if not path.name.startswith(".")}


def _default_sigint() -> None:
    # A shell without job control starts a background command with SIGINT
    # ignored, and exec keeps it ignored. The build must get SIGINT as Ctrl-C sends it.
    signal.signal(signal.SIGINT, signal.SIG_DFL)


class Build:
    """A `kg build` subprocess whose standard error is read line by line."""

    def __init__(self, *args: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "kg.cli", *args],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, preexec_fn=_default_sigint,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.stderr: list[str] = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.stderr.append(line)
            self.lines.put(line)

    def wait_for_line(self, text: str) -> None:
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=1)
            except queue.Empty:
                assert self.process.poll() is None, "".join(self.stderr)
                continue
            if text in line:
                return
        pytest.fail(f"no line with {text!r} on standard error:\n{''.join(self.stderr)}")

    def wait_until(self, condition: Callable[[], bool], what: str) -> None:
        deadline = time.monotonic() + TIMEOUT
        while not condition():
            assert self.process.poll() is None, f"the build ended before {what}:\n{''.join(self.stderr)}"
            assert time.monotonic() < deadline, f"timed out waiting for {what}"
            time.sleep(0.05)

    def finish(self) -> tuple[int, str]:
        try:
            self.process.wait(timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=TIMEOUT)
            pytest.fail(f"the build did not exit within {TIMEOUT} s and was killed:\n{''.join(self.stderr)}")
        self.reader.join(timeout=10)
        assert self.process.stdout is not None
        self.process.stdout.close()
        return self.process.returncode, "".join(self.stderr)


def extraction_started(out: Path) -> bool:
    """Return True once a staging folder contains a non-empty temporary extractions file."""
    for folder in out.glob(STAGING_PREFIX + "*"):
        for path in folder.glob(".extractions.jsonl.*"):
            if path.stat().st_size > 0:
                return True
    return False


def test_sigint_during_extraction(out: Path, big_input: Path) -> None:
    before = snapshot(out)
    build = Build("build", str(big_input), "--out", str(out), "--force", "--no-progress")
    build.wait_until(lambda: extraction_started(out), "extraction started")
    build.process.send_signal(signal.SIGINT)
    status, error = build.finish()
    assert status == 130, error
    assert error.strip() == "Aborted."
    assert snapshot(out) == before
    assert not [path for path in out.iterdir() if path.name.startswith(".")]


def test_sigint_during_writing(out: Path, big_input: Path) -> None:
    before = snapshot(out)
    build = Build("-v", "build", str(big_input), "--out", str(out), "--force", "--no-progress")
    build.wait_for_line("Writing graph.graphml")
    build.process.send_signal(signal.SIGINT)
    status, error = build.finish()
    assert status == 130, error
    assert error.strip().splitlines()[-1] == "Aborted."
    assert "Moving" not in error
    assert snapshot(out) == before
    assert not [path for path in out.iterdir() if path.name.startswith(".")]


def test_sigkill_during_extraction(out: Path, big_input: Path) -> None:
    before = snapshot(out)
    build = Build("build", str(big_input), "--out", str(out), "--force", "--no-progress")
    build.wait_until(lambda: extraction_started(out), "extraction started")
    build.process.send_signal(signal.SIGKILL)
    status, _ = build.finish()
    assert status == -signal.SIGKILL
    assert snapshot(out) == before
    assert len(list(out.glob(STAGING_PREFIX + "*"))) == 1


def test_sigkill_during_writing(out: Path, big_input: Path) -> None:
    before = snapshot(out)
    build = Build("-v", "build", str(big_input), "--out", str(out), "--force", "--no-progress")
    build.wait_for_line("Writing graph.graphml")
    build.process.send_signal(signal.SIGKILL)
    status, error = build.finish()
    assert status == -signal.SIGKILL
    assert "Moving" not in error
    assert snapshot(out) == before


def test_next_build_removes_stale_staging(out: Path, big_input: Path, tmp_path: Path) -> None:
    build = Build("build", str(big_input), "--out", str(out), "--force", "--no-progress")
    build.wait_until(lambda: extraction_started(out), "extraction started")
    build.process.send_signal(signal.SIGKILL)
    build.finish()
    (stale,) = out.glob(STAGING_PREFIX + "*")
    small = tmp_path / "small.jsonl"
    small.write_text(json.dumps({"id": "n1", "title": "A Newer Paper"}) + "\n", encoding="utf-8")
    completed = subprocess.run(
        [sys.executable, "-m", "kg.cli", "build", str(small), "--out", str(out), "--force"],
        capture_output=True, text=True, timeout=TIMEOUT,
    )
    assert completed.returncode == 0, completed.stderr
    assert f"Removed {stale}, left by an interrupted build" in completed.stderr
    assert not list(out.glob(".*"))


def test_live_staging_kept(tmp_path: Path) -> None:
    live = tmp_path / f"{STAGING_PREFIX}live"
    live.mkdir()
    descriptor = _lock_staging(live)
    try:
        assert remove_stale_staging(tmp_path) == []
        assert live.is_dir()
    finally:
        os.close(descriptor)
    assert remove_stale_staging(tmp_path) == [live]
    assert not live.exists()


def test_recent_unlocked_staging_kept(tmp_path: Path) -> None:
    # A folder created a moment ago may belong to a build that has not yet locked it.
    fresh = tmp_path / f"{STAGING_PREFIX}fresh"
    fresh.mkdir()
    assert remove_stale_staging(tmp_path) == []
    old = time.time() - 3600
    os.utime(fresh, (old, old))
    assert remove_stale_staging(tmp_path) == [fresh]


def folder_size(folder: Path) -> int:
    """Return the total size in bytes of the files directly in `folder`, skipping files removed while it runs."""
    total = 0
    for path in folder.iterdir():
        try:
            total += path.stat().st_size
        except FileNotFoundError:
            continue  # RocksDB replaces its MANIFEST, OPTIONS and LOG files as it works
    return total


# Builds to start before the test fails because SIGINT never landed before the
# outputs were moved. Under heavy load, the build can finish between two polls.
STORE_LOAD_ATTEMPTS = 3


def test_sigint_during_store_load(earlier_build: Path, big_input: Path, tmp_path: Path) -> None:
    for attempt in range(1, STORE_LOAD_ATTEMPTS + 1):
        out = tmp_path / f"out-{attempt}"
        shutil.copytree(earlier_build, out)
        before = snapshot(out)
        store = tmp_path / f"store-{attempt}"
        build = Build("-v", "build", str(big_input), "--out", str(out), "--force", "--no-progress", "--jobs", "2", "--store", str(store))
        build.wait_for_line("Loading the triples into the store")

        # The log line comes just before the load thread starts, so a signal
        # sent on the line alone may land before that thread exists. The store's
        # files grow once the bulk load is running.
        # NOTE: a signal that lands after the load has ended but before the
        # outputs move leaves the triples in the store, and this test fails.
        empty_size = folder_size(store)
        deadline = time.monotonic() + TIMEOUT
        while folder_size(store) <= empty_size and build.process.poll() is None:
            assert time.monotonic() < deadline, f"timed out waiting for the store to grow:\n{''.join(build.stderr)}"
            time.sleep(0.01)
        build.process.send_signal(signal.SIGINT)
        status, error = build.finish()
        if "Moving" not in error:
            break
        # The build moved its outputs before the signal landed, so this run tested nothing.
    else:
        pytest.fail(f"in {STORE_LOAD_ATTEMPTS} builds, SIGINT never landed before the outputs were moved:\n{error}")

    assert status == 130, error
    assert error.strip().splitlines()[-1] == "Aborted."
    assert snapshot(out) == before
    with GraphStore.open(store) as graph_store:
        assert len(graph_store) == 0, error
