"""Measure extraction throughput and end-to-end `kg build` cost on a synthetic arXiv snapshot.

One run measures, side by side:

(a) spaCy's English tokenizer alone, the floor of any spaCy pipeline. The
    tokenizer of kg's pipeline, which is spaCy's with two extra split rules,
    is measured too;
(b) kg's default rule-based pipeline with its ratio to (a): ``nlp.pipe``
    over the Docs of `kg.extract.make_doc`, tokenizer and components. The
    pipeline target compares this row with (a). (b') adds the conversion
    into `PaperExtraction` records, `kg.extract.extract`, which a build runs;
(c) `kg.extract.extract` on ``en_core_web_sm`` when that package is installed;
(d) `kg build` end to end, one subprocess per run, for each corpus size with
    one worker, two workers and a two-worker Dask cluster, when the installed
    `kg build` has those options.

(a) to (c) run in this process on the smallest corpus, ``--rounds`` rounds
of ``--sample`` papers each, every round on papers that no measurement has
seen, after a warm-up round on others (see `measure_in_process`); each keeps
its fastest round by CPU time. Rates are given by wall time and by CPU time,
because the machine may be shared.

The corpus
----------
Synthetic papers in the arXiv metadata snapshot format, made from real
abstracts. By default these are the about 10,000 arXiv abstracts of the
SOTA? (CLEF 2024) training set, ``../shared/eval/sota_clef24/train.jsonl.gz``,
and ``--source`` names another JSON Lines file with ``title`` and ``abstract``:

- each synthetic abstract has the sentence count of a random real abstract.
  Its first sentence is drawn from the pool of real first sentences, its
  last from the pool of last sentences and the others from the pool of
  middle sentences, so texts are new but read like abstracts;
- the title is a random real title;
- names with an inner capital or a digit ("ResNet-50", "BERT", "SQuAD") are
  renamed consistently within a paper: with the original name kept or a
  suffix "-<letters>" added, chosen from 1 + sqrt(index / 100) variants at
  paper number `index`. A fixed pool of real names would stop producing new
  entities after some thousand papers, but the number of distinct entities
  in a real corpus keeps growing sublinearly (Heaps' law). This rule makes
  the names grow like the square root of the corpus size, an estimate of
  that shape, not a fit to arXiv;
- ids are new-style arXiv ids, 20,000 per month from January 2020;
  categories, versions, authors (made of syllables) and DOIs are random.

Corpora are written gzip-compressed to a cache folder outside the repository
(``--cache-dir``, default ``<temp>/kg-bench-throughput``) and reused by size,
seed and generator version. Build outputs go to a temporary folder that is
removed after each run.

Memory
------
"largest process" is ``ru_maxrss`` from `os.wait4`: on Linux, the peak
resident set of the `kg build` process or of any descendant it waited for,
whichever is larger. A forked child's resident set includes the pages it
shares with its parent, so this figure can exceed what the child added.
"all processes" is the peak of the sum of the proportional set sizes (PSS,
``/proc/PID/smaps_rollup``) of the process tree, sampled every
`MEMORY_SAMPLE_SECONDS`. PSS divides each shared page among the processes
that map it, so the sum is the memory the build occupies, each page counted
once. A sample can miss a peak shorter than the interval. The memory targets
are checked against this sum.

Usage::

    python bench/throughput.py                         # 10,000 and 100,000 abstracts
    python bench/throughput.py --sizes 10000 --write-docs
    python bench/throughput.py --sizes 10000 100000 1000000 --write-docs
"""

from __future__ import annotations

import argparse
import gzip
import json
import math
import os
import platform
import random
import re
import shlex
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kg.model import Paper

REPOSITORY = Path(__file__).resolve().parent.parent
DEFAULT_SOURCE = REPOSITORY.parent / "shared" / "eval" / "sota_clef24" / "train.jsonl.gz"
DOCS = REPOSITORY / "docs" / "performance.md"
SECTION = "## Throughput"

# Bump when the generator changes, so that cached corpora are rebuilt.
CORPUS_VERSION = 1
# New-style arXiv ids allow 99,999 papers a month. With 20,000, a million papers span about four years of ids.
PAPERS_PER_MONTH = 20_000
FIRST_MONTH = datetime(2020, 1, 1, tzinfo=UTC)
# Name variants at paper i: 1 + sqrt(i / NAME_VARIANT_SCALE); see the module docstring.
NAME_VARIANT_SCALE = 100
# The snapshot wraps title and abstract lines at about 70 characters with "\n  ".
WRAP_WIDTH = 70
# Sampling interval of the process-tree memory; shorter intervals cost CPU that the build needs.
MEMORY_SAMPLE_SECONDS = 0.2

# Targets of the scaling work, checked against the figures of one run.
PIPELINE_TO_TOKENIZER_MIN = 0.30
BUILD_100K_MAX_SECONDS = 5 * 60
BUILD_100K_MAX_MIB = 3 * 1024
BUILD_1M_MAX_SECONDS = 60 * 60
BUILD_1M_MAX_MIB = 8 * 1024
DASK_TO_JOBS2_MAX = 1.5
# Time per abstract may rise this much from the smallest to the largest size and still count
# as linear: fixed start-up costs shrink per abstract while graph merging grows a little faster.
LINEAR_GROWTH_MAX = 1.25

# arXiv categories of machine-learning papers, with rough relative frequencies.
CATEGORIES: tuple[tuple[str, int], ...] = (
    ("cs.LG", 30), ("cs.CV", 20), ("cs.CL", 15), ("cs.AI", 10), ("stat.ML", 8), ("cs.RO", 4),
    ("cs.IR", 3), ("eess.IV", 3), ("math.OC", 2), ("eess.AS", 2), ("cs.NE", 2), ("q-bio.QM", 1),
)
_SYLLABLES = ("ka", "lo", "mi", "ra", "su", "te", "no", "vi", "da", "ha", "ye", "zu", "be", "ri", "an", "os", "el", "un")
_SENTENCE_BREAK = re.compile(r"(?<=[.!?])\s+(?=[A-Z(\[])")
# A word with a capital or digit after its first letter: model, dataset and method names.
_NAME = re.compile(r"\b[A-Z][A-Za-z]*[A-Z0-9][A-Za-z0-9]*(?:-[A-Za-z0-9]+)*\b")


# --- Synthetic corpus ----------------------------------------------------------


@dataclass
class SentencePools:
    """Titles and sentences of the real abstracts, by position in the abstract."""

    titles: list[str] = field(default_factory=list)
    lengths: list[int] = field(default_factory=list)
    first: list[str] = field(default_factory=list)
    middle: list[str] = field(default_factory=list)
    last: list[str] = field(default_factory=list)


def load_pools(source: Path) -> SentencePools:
    """Split the abstracts of a JSON Lines file with ``title`` and ``abstract`` into sentence pools."""
    pools = SentencePools()
    with gzip.open(source, "rt", encoding="utf-8") if source.suffix == ".gz" else source.open(encoding="utf-8") as handle:
        for line in handle:
            record = json.loads(line)
            title = " ".join((record.get("title") or "").split())
            abstract = " ".join((record.get("abstract") or "").split())
            if not title or not abstract:
                continue
            sentences = _SENTENCE_BREAK.split(abstract)
            pools.titles.append(title)
            pools.lengths.append(len(sentences))
            pools.first.append(sentences[0])
            if len(sentences) > 1:
                pools.last.append(sentences[-1])
            pools.middle.extend(sentences[1:-1])
    if not pools.titles:
        raise SystemExit(f"{source}: no records with a title and an abstract")
    return pools


def _letters(number: int) -> str:
    """Return a short lowercase suffix for a positive number: 1 -> "ka", 2 -> "lo", ..."""
    letters = ""
    while number > 0:
        number, digit = divmod(number - 1, len(_SYLLABLES))
        letters = _SYLLABLES[digit] + letters
    return letters


def _person(number: int) -> list[str]:
    """Return the ``[last, first, suffix]`` of synthetic author `number`."""
    last = _letters(number + len(_SYLLABLES)).capitalize()
    first = _letters(number % 997 + 1).capitalize()
    return [last, first, ""]


def _wrap(text: str) -> str:
    # Breaking only at spaces keeps the text equal after whitespace is collapsed.
    return "\n  ".join(textwrap.wrap(text, WRAP_WIDTH, break_long_words=False, break_on_hyphens=False))


def synthetic_records(pools: SentencePools, size: int, seed: int) -> Iterator[dict[str, object]]:
    """Yield `size` arXiv snapshot records; the same arguments give the same records."""
    rng = random.Random(seed)
    category_names = [name for name, _ in CATEGORIES]
    category_weights = [weight for _, weight in CATEGORIES]
    for index in range(size):
        length = rng.choice(pools.lengths)
        sentences = [rng.choice(pools.first)]
        sentences += [rng.choice(pools.middle) for _ in range(max(0, length - 2)) if pools.middle]
        if length > 1 and pools.last:
            sentences.append(rng.choice(pools.last))
        title = rng.choice(pools.titles)
        abstract = " ".join(sentences)

        variants = 1 + math.isqrt(index // NAME_VARIANT_SCALE)
        renamed: dict[str, str] = {}

        def rename(match: re.Match[str]) -> str:
            name = match[0]
            if name not in renamed:
                variant = rng.randrange(variants)
                renamed[name] = name if variant == 0 else f"{name}-{_letters(variant)}"
            return renamed[name]

        title = _NAME.sub(rename, title)
        abstract = _NAME.sub(rename, abstract)

        month, number = divmod(index, PAPERS_PER_MONTH)
        year, month_of_year = divmod(month, 12)
        created = FIRST_MONTH.replace(year=FIRST_MONTH.year + year, month=month_of_year + 1)
        created += timedelta(days=number % 28, seconds=rng.randrange(86_400))
        arxiv_id = f"{created.year % 100:02d}{created.month:02d}.{number + 1:05d}"
        versions = [{"version": "v1", "created": format_datetime(created, usegmt=True)}]
        if rng.random() < 0.3:
            versions.append({"version": "v2", "created": format_datetime(created + timedelta(days=30), usegmt=True)})
        categories = rng.choices(category_names, weights=category_weights, k=rng.randint(1, 3))
        # Author numbers are skewed so that some authors have many papers.
        authors = [_person(int(size / 2 * rng.random() ** 2)) for _ in range(rng.randint(1, 8))]
        yield {
            "id": arxiv_id,
            "submitter": f"{authors[0][1]} {authors[0][0]}",
            "authors": ", ".join(f"{first} {last}" for last, first, _ in authors),
            "title": _wrap(title),
            "comments": None,
            "journal-ref": None,
            "doi": f"10.9999/synthetic.{index}" if rng.random() < 0.2 else None,
            "report-no": None,
            "categories": " ".join(dict.fromkeys(categories)),
            "license": None,
            "abstract": "  " + _wrap(abstract) + "\n",
            "versions": versions,
            "update_date": (created + timedelta(days=1)).date().isoformat(),
            "authors_parsed": authors,
        }


def corpus_path(cache_dir: Path, size: int, seed: int) -> Path:
    return cache_dir / f"arxiv-snapshot-{size}-seed{seed}-v{CORPUS_VERSION}.json.gz"


def ensure_corpus(pools_source: Path, cache_dir: Path, size: int, seed: int, pools: list[SentencePools]) -> Path:
    """Return the cached corpus of `size` papers, writing it first if it is missing."""
    path = corpus_path(cache_dir, size, seed)
    if path.exists():
        return path
    if not pools:
        pools.append(load_pools(pools_source))
    cache_dir.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    partial = path.with_name(path.name + ".partial")
    # Level 1: the corpus is written once and read by every run, so speed beats size.
    with gzip.open(partial, "wt", encoding="utf-8", compresslevel=1) as handle:
        for record in synthetic_records(pools[0], size, seed):
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    os.replace(partial, path)
    print(f"wrote {path} ({size:,} papers, {path.stat().st_size / 2**20:,.0f} MiB) in {time.perf_counter() - started:.0f} s")
    return path


# --- In-process throughput -------------------------------------------------------


@dataclass
class Rate:
    label: str
    papers: int = 0
    wall: float = 0.0
    cpu: float = 0.0
    note: str = ""

    @property
    def per_second(self) -> float:
        return self.papers / self.wall if self.wall else 0.0

    @property
    def per_cpu_second(self) -> float:
        return self.papers / self.cpu if self.cpu else 0.0


def _timed(label: str, papers: int, work) -> Rate:  # type: ignore[no-untyped-def]
    wall, cpu = time.perf_counter(), time.process_time()
    work()
    return Rate(label, papers, time.perf_counter() - wall, time.process_time() - cpu)


def measure_in_process(corpus: Path, sample: int, batch_size: int, rounds: int) -> list[Rate]:
    """Measure (a), (b) and (c) of the module docstring on `sample` papers of `corpus` per round.

    Each round takes the next `sample` papers of the corpus, which no
    measurement has seen, after a warm-up on the `sample` papers before
    them. Every measurement of a round reads the same papers, each with its
    own pipeline and vocabulary, so each meets the round's new words once,
    as a long run does, while the words seen in earlier rounds are known.
    Repeating the same papers instead would let the tokenizer find most
    chunks in its cache, which a run over new abstracts does not.

    The measurements of a round run one after the other: a, b, b', c, then
    a', which reuses the lexemes that b added to kg's vocabulary. A change
    in the machine's load then hits all of them alike. Each row keeps its
    fastest round by CPU time, the one least disturbed by other processes.
    (b) and (b') run the same configuration in two pipeline objects, so
    that each meets the round's new words itself.
    """
    import itertools

    import spacy

    from kg.extract import TITLE_SEPARATOR, extract, make_doc
    from kg.nlp import create_pipeline
    from kg.sources import read_papers

    papers = list(itertools.islice(read_papers(corpus), sample * (rounds + 1)))
    if len(papers) < sample * (rounds + 1):
        raise SystemExit(f"{corpus}: {len(papers):,} papers, fewer than --sample x (--rounds + 1) = {sample * (rounds + 1):,}")
    slices = [papers[index * sample : (index + 1) * sample] for index in range(rounds + 1)]

    def consume(iterator: Iterator[object]) -> None:
        for _ in iterator:
            pass

    def texts_of(batch: list[Paper]) -> list[str]:
        return [f"{paper.title}{TITLE_SEPARATOR}{paper.abstract}" for paper in batch]

    blank = spacy.blank("en")
    nlp = create_pipeline(None)
    records_nlp = create_pipeline(None)
    pipelines = {"(a)": blank, "(b)": nlp, "(b')": records_nlp}
    if spacy.util.is_package("en_core_web_sm"):
        pipelines["(c)"] = create_pipeline("en_core_web_sm")

    def measurements(batch: list[Paper]) -> list[tuple[str, Callable[[], None]]]:
        texts = texts_of(batch)
        steps: list[tuple[str, Callable[[], None]]] = [
            ("(a) spaCy English tokenizer alone", lambda: consume(blank.tokenizer.pipe(texts, batch_size=batch_size))),
            ("(b) kg default pipeline", lambda: consume(nlp.pipe((make_doc(nlp, paper) for paper in batch), batch_size=batch_size))),
            ("(b') kg.extract.extract", lambda: consume(extract(batch, records_nlp, batch_size=batch_size))),
        ]
        if "(c)" in pipelines:
            statistical = pipelines["(c)"]
            steps.append(("(c) kg on en_core_web_sm", lambda: consume(extract(batch, statistical, batch_size=batch_size))))
        steps.append(("(a') kg's tokenizer alone", lambda: consume(nlp.tokenizer.pipe(texts, batch_size=batch_size))))
        return steps

    # The warm-up slice: words, caches and lazy state of every pipeline.
    for _, work in measurements(slices[0]):
        work()

    best: dict[str, Rate] = {}
    for batch in slices[1:]:
        for label, work in measurements(batch):
            rate = _timed(label, len(batch), work)
            if label not in best or rate.cpu < best[label].cpu:
                best[label] = rate
    order = [
        "(a) spaCy English tokenizer alone",
        "(a') kg's tokenizer alone",
        "(b) kg default pipeline",
        "(b') kg.extract.extract",
        "(c) kg on en_core_web_sm",
    ]
    return [best[label] if label in best else Rate(label, note="not installed") for label in order]


# --- End-to-end builds -------------------------------------------------------------


@dataclass
class Mode:
    name: str
    options: list[str]
    skipped: str = ""


def build_modes() -> list[Mode]:
    """Return the build modes, using the options that this checkout's `kg build --help` lists."""
    help_text = subprocess.run(
        [sys.executable, "-m", "kg.cli", "build", "--help"], capture_output=True, text=True, check=True
    ).stdout

    def has(option: str) -> bool:
        return re.search(rf"(?<![\w-]){re.escape(option)}(?![\w-])", help_text) is not None

    jobs = "--jobs" if has("--jobs") else "--processes"
    modes = [Mode(f"{jobs} 1", [jobs, "1"]), Mode(f"{jobs} 2", [jobs, "2"])]
    if has("--engine") and has("--dask-workers"):
        modes.append(Mode("dask, 2 workers", ["--engine", "dask", "--dask-workers", "2"]))
    else:
        modes.append(Mode("dask, 2 workers", [], skipped="skipped: --engine not available"))
    return modes


@dataclass
class BuildRun:
    size: int
    mode: str
    seconds: float = 0.0
    cpu: float = 0.0
    largest_mib: float = 0.0
    tree_mib: float | None = None
    nodes: int | None = None
    edges: int | None = None
    entities: int | None = None
    problem: str = ""

    @property
    def rate(self) -> float:
        return self.size / self.seconds if self.seconds else 0.0


def _proportional_bytes(pid: int) -> int:
    """Return the proportional set size (PSS) of a process, from ``/proc/PID/smaps_rollup``.

    PSS divides each shared page among the processes that map it, so the
    sum over a process tree counts the pages that forked children share
    with their parent once. A sum of resident sets (RSS) counts them once
    per process.
    """
    with open(f"/proc/{pid}/smaps_rollup", encoding="ascii") as rollup:
        for line in rollup:
            if line.startswith("Pss:"):
                return int(line.split()[1]) * 1024
    return 0


class _TreeMemory(threading.Thread):
    """Samples the summed proportional memory (PSS) of a process and its descendants."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.peak = 0
        self.available = True
        self._stop_event = threading.Event()

    def run(self) -> None:
        try:
            import psutil
        except ImportError:
            self.available = False
            return
        try:
            root = psutil.Process(self.pid)
        except psutil.NoSuchProcess:
            return
        while not self._stop_event.wait(MEMORY_SAMPLE_SECONDS):
            try:
                processes = [root, *root.children(recursive=True)]
            except psutil.NoSuchProcess:
                return
            total = 0
            for process in processes:
                try:
                    total += _proportional_bytes(process.pid)
                except OSError:
                    # The process ended between the listing and the read.
                    continue
            self.peak = max(self.peak, total)

    def stop(self) -> None:
        self._stop_event.set()
        self.join()


def _summary_number(pattern: str, text: str) -> int | None:
    match = re.search(pattern, text, re.MULTILINE)
    return None if match is None else int(match[1])


def run_build(corpus: Path, size: int, mode: Mode, scratch: Path, *, with_store: bool = True) -> BuildRun:
    """Run one `kg build` subprocess and return its time, memory and graph size.

    With `with_store`, the build also loads its triples into a new Oxigraph
    store, so the time covers extraction, resolution, the exports and the store.
    """
    run = BuildRun(size=size, mode=mode.name)
    if mode.skipped:
        run.problem = mode.skipped
        return run
    command = [sys.executable, "-m", "kg.cli", "-q", "build", str(corpus), "--force", "--no-progress", *mode.options]
    if with_store:
        command += ["--store", str(scratch / f"store-{size}-{len(mode.options)}-{time.monotonic_ns()}")]
    with (
        tempfile.TemporaryDirectory(dir=scratch) as out_dir,
        tempfile.TemporaryFile(dir=scratch) as output,
        tempfile.TemporaryFile(dir=scratch) as log,
    ):
        started = time.perf_counter()
        process = subprocess.Popen([*command, "--out", out_dir], stdout=output, stderr=log)
        sampler = _TreeMemory(process.pid)
        sampler.start()
        _, status, usage = os.wait4(process.pid, 0)
        run.seconds = time.perf_counter() - started
        sampler.stop()
        process.returncode = os.waitstatus_to_exitcode(status)
        output.seek(0)
        summary = output.read().decode("utf-8", "replace")
        log.seek(0)
        errors = log.read().decode("utf-8", "replace")

    # ru_maxrss is in KiB on Linux; ru_utime and ru_stime include the waited-for descendants.
    run.largest_mib = usage.ru_maxrss / 1024
    run.cpu = usage.ru_utime + usage.ru_stime
    run.tree_mib = sampler.peak / 2**20 if sampler.available else None
    if process.returncode != 0:
        last_lines = errors.strip().splitlines()[-3:]
        run.problem = f"failed with exit status {process.returncode}: " + " | ".join(last_lines)
        return run
    run.entities = _summary_number(r"^entities\s+(\d+)", summary)
    run.nodes = _summary_number(r"^graph\s+(\d+) nodes", summary)
    run.edges = _summary_number(r"^graph\s+\d+ nodes, (\d+) edges", summary)
    return run


# --- Report -------------------------------------------------------------------------


def _table(header: Sequence[str], rows: Sequence[Sequence[str]], align: str) -> list[str]:
    """Return a Markdown table; `align` has "l" or "r" per column."""
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---:" if a == "r" else "---" for a in align) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


def _number(value: float | None, digits: int = 0) -> str:
    return "-" if value is None else f"{value:,.{digits}f}"


def _ratio(numerator: float | None, denominator: float | None) -> str:
    if not numerator or not denominator:
        return "-"
    return f"{numerator / denominator:.2f}"


def _machine(load_before: tuple[float, ...], load_after: tuple[float, ...], *, finished: bool = True) -> str:
    import spacy

    memory = ""
    try:
        with open("/proc/meminfo", encoding="ascii") as handle:
            total_kib = int(next(line for line in handle if line.startswith("MemTotal")).split()[1])
        memory = f", {total_kib / 2**20:.0f} GiB memory"
    except (OSError, StopIteration, ValueError):
        pass
    def loads(values: tuple[float, ...]) -> str:
        return ", ".join(f"{value:.2f}" for value in values)

    return (
        f"{os.cpu_count()} cores{memory}, {platform.system()} {platform.machine()}, Python {platform.python_version()}, "
        f"spaCy {spacy.__version__}; load average (1, 5, 15 min) {loads(load_before)} before the run, "
        f"{loads(load_after)} {'after it' if finished else 'after the last finished build (the run was still going)'}"
    )


def report(
    rates: list[Rate],
    runs: list[BuildRun],
    modes: list[str],
    *,
    sample: int,
    rounds: int,
    sizes: list[int],
    machine: str,
    command: str,
) -> list[str]:
    """Return the Markdown lines of the results: tables, ratios and targets."""
    lines = [
        SECTION,
        "",
        "Written by `bench/throughput.py --write-docs` (the corpus and the memory",
        "columns are described in its docstring). Command:",
        "",
        "```bash",
        command,
        "```",
        "",
        f"Machine: {machine}. Run on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC.",
        "When the load average exceeds the number of cores, wall times and their ratios",
        "depend on the other jobs, and the CPU times are the better measure.",
        "",
        f"### Extraction in one process ({sample:,} synthetic abstracts)",
        "",
        f"Each row is the fastest by CPU time of {rounds} round{'s' if rounds != 1 else ''} of {sample:,} papers, each",
        "round on papers that no measurement had seen, after a warm-up round on others.",
        "",
    ]
    floor = next((rate for rate in rates if rate.label.startswith("(a)")), None)
    rows = []
    for rate in rates:
        if rate.note:
            rows.append([rate.label, "-", "-", "-", rate.note])
            continue
        share = _ratio(rate.per_second, floor.per_second if floor else None)
        cpu_share = _ratio(rate.per_cpu_second, floor.per_cpu_second if floor else None)
        rows.append([rate.label, _number(rate.per_second), _number(rate.per_cpu_second), share, cpu_share])
    lines += _table(["step", "abstracts/s (wall)", "abstracts/s (CPU)", "ratio to (a), wall", "ratio to (a), CPU"], rows, "lrrrr")

    if not runs:
        return lines

    lines += ["", "### `kg build` end to end", ""]
    rows = []
    for run in runs:
        if run.problem:
            rows.append([f"{run.size:,}", run.mode, run.problem, "", "", "", "", ""])
            continue
        graph = f"{_number(run.nodes)} / {_number(run.edges)} / {_number(run.entities)}"
        rows.append([
            f"{run.size:,}", run.mode, _number(run.seconds, 1), _number(run.cpu, 1), _number(run.rate, 1),
            _number(run.largest_mib), _number(run.tree_mib), graph,
        ])
    lines += _table(
        ["abstracts", "mode", "seconds", "CPU s", "abstracts/s", "largest process MiB (RSS)", "all processes MiB (PSS)", "nodes / edges / entities"],
        rows, "rlrrrrrl",
    )

    by_key = {(run.size, run.mode): run for run in runs if not run.problem}
    smallest = min(sizes)
    lines += ["", "### Ratios", ""]
    rows = []
    for size in sizes:
        single, double, dask = (by_key.get((size, mode)) for mode in modes)
        growth = []
        for mode in modes:
            run, base = by_key.get((size, mode)), by_key.get((smallest, mode))
            per_paper = _ratio(run.seconds / run.size if run else None, base.seconds / base.size if base else None)
            growth.append(f"{mode}: {per_paper}")
        rows.append([
            f"{size:,}",
            _ratio(single.seconds if single else None, double.seconds if double else None),
            _ratio(dask.seconds if dask else None, double.seconds if double else None),
            "; ".join(growth),
        ])
    lines += _table(
        ["abstracts", "speed-up of 2 workers over 1", "time of Dask / time of 2 workers", f"time per abstract vs {smallest:,}"],
        rows, "rrrl",
    )

    lines += ["", "### Targets", ""]
    lines += _table(["target", "measured", "met"], _targets(rates, by_key, modes, sizes), "lll")
    return lines


def _targets(
    rates: list[Rate], by_key: dict[tuple[int, str], BuildRun], modes: list[str], sizes: list[int]
) -> list[list[str]]:
    def verdict(ok: bool | None) -> str:
        if ok is None:
            return "not measured"
        return "yes" if ok else "no"

    rows = []
    floor = next((rate for rate in rates if rate.label.startswith("(a)")), None)
    pipeline = next((rate for rate in rates if rate.label.startswith("(b)")), None)
    if floor and pipeline and floor.per_cpu_second:
        # CPU time, because the wall time of the short tokenizer run swings
        # with the load from other jobs more than the pipeline's does.
        share = pipeline.per_cpu_second / floor.per_cpu_second
        rows.append([f"pipeline >= {PIPELINE_TO_TOKENIZER_MIN:.0%} of tokenizer alone (CPU)", f"{share:.1%}", verdict(share >= PIPELINE_TO_TOKENIZER_MIN)])
    _, double_mode, dask_mode = modes
    for size, max_seconds, max_mib in ((100_000, BUILD_100K_MAX_SECONDS, BUILD_100K_MAX_MIB), (1_000_000, BUILD_1M_MAX_SECONDS, BUILD_1M_MAX_MIB)):
        run = by_key.get((size, double_mode))
        mib = None
        if run is not None:
            # The sampled PSS sum over all processes, when psutil is installed, else the largest process.
            mib = run.largest_mib if run.tree_mib is None else run.tree_mib
        rows.append([
            f"{size:,} with 2 workers < {max_seconds / 60:.0f} min and < {max_mib / 1024:.0f} GiB",
            "-" if run is None else f"{run.seconds / 60:.1f} min, {mib / 1024:.2f} GiB",
            verdict(None if run is None else run.seconds < max_seconds and mib < max_mib),
        ])
    dask_ratios = [
        by_key[(size, dask_mode)].seconds / by_key[(size, double_mode)].seconds
        for size, mode in by_key
        if mode == dask_mode and (size, double_mode) in by_key
    ]
    rows.append([
        f"Dask <= {DASK_TO_JOBS2_MAX}x the time of 2 workers",
        ", ".join(f"{ratio:.2f}" for ratio in dask_ratios) or "-",
        verdict(all(ratio <= DASK_TO_JOBS2_MAX for ratio in dask_ratios) if dask_ratios else None),
    ])

    if len(sizes) == 1:
        return rows
    smallest, largest = by_key.get((min(sizes), double_mode)), by_key.get((max(sizes), double_mode))
    growth = None
    if smallest and largest:
        growth = (largest.seconds / largest.size) / (smallest.seconds / smallest.size)
    rows.append([
        f"linear growth: time per abstract at {max(sizes):,} <= {LINEAR_GROWTH_MAX}x that at {min(sizes):,} (2 workers)",
        "-" if growth is None else f"{growth:.2f}",
        verdict(None if growth is None else growth <= LINEAR_GROWTH_MAX),
    ])
    return rows


def write_docs(lines: list[str], path: Path = DOCS) -> None:
    """Replace the section `SECTION` of `path` (up to the next "## " heading), or append it."""
    from kg.io import atomic_write

    text = path.read_text(encoding="utf-8")
    section = "\n".join(lines) + "\n"
    pattern = re.compile(rf"^{re.escape(SECTION)}\n.*?(?=^## |\Z)", re.DOTALL | re.MULTILINE)
    if pattern.search(text):
        text = pattern.sub(lambda _: section + "\n", text, count=1).rstrip("\n") + "\n"
    else:
        text = text.rstrip("\n") + "\n\n" + section
    with atomic_write(path) as handle:
        handle.write(text)
    print(f"wrote the section {SECTION!r} of {path}")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000], help="Corpus sizes in abstracts.")
    parser.add_argument("--sample", type=int, default=2_000, help="Abstracts for the in-process measurements.")
    parser.add_argument("--batch-size", type=int, default=64, help="Papers per spaCy batch in the in-process measurements.")
    parser.add_argument(
        "--rounds", type=int, default=3, help="Interleaved rounds of the in-process measurements; the fastest counts. [default: 3]"
    )
    parser.add_argument("--seed", type=int, default=0, help="Seed of the synthetic corpus.")
    parser.add_argument("--source", type=Path, default=DEFAULT_SOURCE, help="JSON Lines (.gz) with real titles and abstracts.")
    parser.add_argument(
        "--cache-dir", type=Path, default=Path(tempfile.gettempdir()) / "kg-bench-throughput",
        help="Folder for the generated corpora, reused across runs.",
    )
    parser.add_argument("--skip-builds", action="store_true", help="Measure the in-process rates only.")
    parser.add_argument(
        "--modes", nargs="+", choices=("jobs1", "jobs2", "dask"), default=["jobs1", "jobs2", "dask"],
        help="Build modes to run: one process, two worker processes, a 2-worker Dask LocalCluster.",
    )
    parser.add_argument(
        "--dask-max-size", type=int, default=None,
        help="Skip the Dask builds of corpora larger than this many abstracts, to keep a run with 1M abstracts short.",
    )
    parser.add_argument("--no-store", action="store_true", help="Build without loading an Oxigraph store.")
    parser.add_argument("--write-docs", action="store_true", help=f"Replace the section {SECTION!r} of docs/performance.md.")
    arguments = parser.parse_args(argv)
    sizes = sorted(set(arguments.sizes))
    if min(sizes) < 1 or arguments.sample < 1 or arguments.rounds < 1:
        parser.error("sizes, --sample and --rounds must be positive")
    if not arguments.source.is_file():
        parser.error(f"{arguments.source}: source abstracts not found; name a file with --source")

    load_before = os.getloadavg()
    pools: list[SentencePools] = []
    corpora = {size: ensure_corpus(arguments.source, arguments.cache_dir, size, arguments.seed, pools) for size in sizes}
    sample = min(arguments.sample, sizes[0] // (arguments.rounds + 1))
    print(f"measuring the in-process rates on {sample:,} abstracts ...", flush=True)
    rates = measure_in_process(corpora[sizes[0]], sample, arguments.batch_size, arguments.rounds)

    runs: list[BuildRun] = []
    modes = build_modes()
    command = ("python bench/throughput.py " + shlex.join(argv if argv is not None else sys.argv[1:])).strip()

    def publish(*, final: bool) -> None:
        """Write the report of the runs so far to the docs when --write-docs is given, and print it at the end."""
        lines = report(
            rates, runs, [mode.name for mode in modes], sample=sample, rounds=arguments.rounds, sizes=sizes,
            machine=_machine(load_before, os.getloadavg(), finished=final), command=command,
        )
        if final:
            print("\n".join(lines))
        if arguments.write_docs:
            write_docs(lines)

    if not arguments.skip_builds:
        with tempfile.TemporaryDirectory(prefix="kg-throughput-") as scratch:
            for size in sizes:
                for mode, mode_key in zip(modes, ("jobs1", "jobs2", "dask")):
                    if mode_key not in arguments.modes:
                        continue
                    if mode_key == "dask" and arguments.dask_max_size is not None and size > arguments.dask_max_size:
                        continue
                    print(f"kg build: {size:,} abstracts, {mode.name} ...", flush=True)
                    run = run_build(corpora[size], size, mode, Path(scratch), with_store=not arguments.no_store)
                    runs.append(run)
                    # One line per run, and the docs rewritten after each run, so a long
                    # run that is stopped still leaves its finished figures.
                    result = run.problem or f"{run.seconds:.1f} s, {run.cpu:.1f} CPU s, largest process {run.largest_mib:.0f} MiB"
                    print(f"    {result}", flush=True)
                    publish(final=False)
    publish(final=True)


if __name__ == "__main__":
    main()
