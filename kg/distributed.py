"""Extraction and entity resolution on a Dask distributed cluster (``kg build --engine dask``).

`DaskEngine` connects to a scheduler, or starts a `distributed.LocalCluster`
on 127.0.0.1 when no address is given, and then:

1. cuts the paper stream into partitions as it is read and keeps at most
   `PARTITIONS_AHEAD_PER_THREAD` per worker thread in flight, so the client
   never stores the whole input;
2. sends the pickled spaCy pipeline once to every worker through a worker
   plugin; each worker thread unpickles it on first use;
3. extracts each partition on a worker and brings its `PaperExtraction`
   records back to the client in input order;
4. usually on the worker that stores a partition's extractions, computes the
   partition's entity tables as one `kg.graph.EntityState` per key, splits
   them into buckets by a hash of the key, and folds each bucket across
   partitions on the cluster (a group-by on keys). The client gathers the
   folded buckets at the end and passes them to
   `GraphBuilder.load_entity_states`.

Pickling the pipeline, rather than sending its settings and building it
again on each worker, means user vocabulary files need not exist on the
workers. It is also cheaper: the rule-based pipeline with the starter
vocabulary pickles to about 0.4 MB (the engine logs the size) and unpickled
in about 0.2 s, where `kg.nlp.create_pipeline` took 0.5 to 1.4 s (one
measurement with `pickle` on a 2-core machine). Workers need the same
versions of kg and spaCy as the client.

Importing this module imports ``distributed``; `kg.build` imports it only for
``engine="dask"``, so the rest of kg works without Dask installed.
"""

from __future__ import annotations

import collections
import itertools
import logging
import pickle
import signal
import threading
import uuid
import zlib
from collections.abc import Iterable, Iterator
from types import TracebackType
from typing import Any

from spacy.language import Language

from kg.build import DEFAULT_DASK_WORKERS, DEFAULT_PARTITION_SIZE
from kg.errors import KgError
from kg.graph import EntityState, GraphBuilder
from kg.model import Paper, PaperExtraction

try:
    from distributed import Client, Future, LocalCluster, WorkerPlugin, get_worker
    from distributed.client import FutureCancelledError
    from distributed.scheduler import KilledWorker
except ImportError as err:
    raise KgError(
        "--engine dask needs the Dask distributed package, which is not installed; "
        "install it with pip install 'dask[distributed]' (or pip install 'kg[dask]'), "
        "or build with --engine local"
    ) from err

__all__ = [
    "CONNECT_TIMEOUT",
    "DaskEngine",
    "PipelinePlugin",
]

logger = logging.getLogger(__name__)

# Partitions submitted ahead per worker thread: one running and one waiting
# keeps every worker busy while the client takes results in input order.
PARTITIONS_AHEAD_PER_THREAD = 2

# Partitions whose entity states one fold task merges into the running
# total of a bucket. One fold per 8 partitions keeps the task count low, and
# the partial states waiting for a fold stay few.
FOLD_GROUP_SIZE = 8

# Seconds to wait for an external scheduler before giving up.
CONNECT_TIMEOUT = 30

_PLUGIN_PREFIX = "kg-pipeline-"


class PipelinePlugin(WorkerPlugin):
    """Worker plugin that carries the pickled pipeline to every worker, present and future.

    Each worker thread unpickles its own copy on first use, because a spaCy
    `Language` is not documented as safe to share between threads. With
    `ignore_interrupts`, worker processes ignore SIGINT. Ctrl-C in a terminal
    then stops the build through the client, and the workers print no
    traceback. kg sets it for its own LocalCluster only.
    """

    def __init__(self, payload: bytes, *, ignore_interrupts: bool = False) -> None:
        self.payload = payload
        self.ignore_interrupts = ignore_interrupts

    def setup(self, worker: Any) -> None:
        self._local = threading.local()
        if self.ignore_interrupts and threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGINT, signal.SIG_IGN)

    def pipeline(self) -> Language:
        """Return this thread's pipeline, unpickling it on the first call."""
        nlp = getattr(self._local, "nlp", None)
        if nlp is None:
            nlp = pickle.loads(self.payload)
            self._local.nlp = nlp
        return nlp


def _extract_partition(plugin_name: str, papers: list[Paper], batch_size: int) -> list[PaperExtraction]:
    from kg.extract import extract

    plugin = get_worker().plugins[plugin_name]
    return list(extract(papers, plugin.pipeline(), batch_size=batch_size))


def _bucket_of(key: str, buckets: int) -> int:
    # crc32 rather than hash(): str hashes differ between processes.
    return zlib.crc32(key.encode("utf-8")) % buckets


def _partition_states(extractions: list[PaperExtraction], start: int, buckets: int) -> tuple[dict[str, EntityState], ...]:
    """Return the entity states of one partition, split into `buckets` dicts by key."""
    builder = GraphBuilder()
    positions: dict[str, int] = {}
    for offset, extraction in enumerate(extractions):
        builder.add(extraction)
        positions[extraction.paper.id] = start + offset
    split: tuple[dict[str, EntityState], ...] = tuple({} for _ in range(buckets))
    for key, state in builder.entity_states(positions).items():
        split[_bucket_of(key, buckets)][key] = state
    return split


def _select_bucket(split: tuple[dict[str, EntityState], ...], index: int) -> dict[str, EntityState]:
    return split[index]


def _fold_states(total: dict[str, EntityState] | None, *parts: dict[str, EntityState]) -> dict[str, EntityState]:
    """Merge the states of `parts`, later partitions last, into `total` and return it.

    NOTE: `total` and the states of `parts` are changed in place. That is
    safe because each of them is the result of a task that only this fold
    reads.
    """
    merged = {} if total is None else total
    for part in parts:
        for key, state in part.items():
            current = merged.get(key)
            if current is None:
                merged[key] = state
            else:
                current.merge(state)
    return merged


def _describe(papers: list[Paper]) -> str:
    first = papers[0]
    return f"{len(papers)} papers from paper {first.id!r} ({first.source}, record {first.record})"


class DaskEngine:
    """Extraction of a paper stream on a Dask cluster, used as a context manager.

    Parameters
    ----------
    nlp : Language
        The pipeline from `kg.nlp.create_pipeline`; it is pickled and sent
        to every worker.
    scheduler : str, optional
        Address of a running scheduler ("tcp://10.0.0.5:8786"). When None, a
        `LocalCluster` of `n_workers` processes with one thread each starts
        on 127.0.0.1, without a dashboard, and stops on exit.
    n_workers : int
        Worker processes of the LocalCluster; ignored with `scheduler`.
    partition_size : int
        Papers per partition (one extraction task).
    batch_size : int
        Papers per `nlp.pipe` batch inside a partition.
    progress : bool
        Show a progress bar over partitions on standard error.
    connect_timeout : float
        Seconds to wait for the scheduler at `scheduler`.

    Examples
    --------
    >>> from kg.nlp import create_pipeline
    >>> from kg.model import Paper
    >>> builder = GraphBuilder()
    >>> with DaskEngine(create_pipeline(), n_workers=1) as engine:  # doctest: +SKIP
    ...     for extraction in engine.extract([Paper(id="p1", title="We propose GRPO")]):
    ...         builder.add(extraction, entity_tables=False)
    ...     builder.load_entity_states(engine.entity_states())
    """

    def __init__(
        self,
        nlp: Language,
        *,
        scheduler: str | None = None,
        n_workers: int = DEFAULT_DASK_WORKERS,
        partition_size: int = DEFAULT_PARTITION_SIZE,
        batch_size: int = 64,
        progress: bool = False,
        connect_timeout: float = CONNECT_TIMEOUT,
    ) -> None:
        if n_workers < 1 or partition_size < 1 or batch_size < 1:
            raise KgError(
                f"Invalid Dask settings: {n_workers} workers, partitions of {partition_size} papers, "
                f"batches of {batch_size}; expected 1 or more of each"
            )
        self._nlp = nlp
        self._scheduler = scheduler
        self._n_workers = n_workers
        self._partition_size = partition_size
        self._batch_size = batch_size
        self._progress = progress
        self._connect_timeout = connect_timeout
        self._cluster: LocalCluster | None = None
        self._client: Client | None = None
        self._plugin_name = ""
        self._buckets = 1
        self._totals: list[Future | None] = []
        self._unfolded: list[list[Future]] = []
        self._extracted = False

    def __enter__(self) -> DaskEngine:
        try:
            self._start()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.close()

    def _start(self) -> None:
        if self._scheduler is None:
            logger.info("Starting a Dask LocalCluster of %d worker processes on 127.0.0.1", self._n_workers)
            try:
                self._cluster = LocalCluster(
                    n_workers=self._n_workers,
                    threads_per_worker=1,
                    processes=True,
                    host="127.0.0.1",
                    dashboard_address=None,
                    # The scheduler serves health checks over HTTP even without
                    # the dashboard; keep that server on loopback, on a free port.
                    scheduler_kwargs={"dashboard": False, "dashboard_address": "127.0.0.1:0"},
                    silence_logs=logging.ERROR,
                )
            except (RuntimeError, OSError) as err:
                # Worker processes start with multiprocessing's "spawn", which
                # imports the caller's main script again.
                raise KgError(
                    f"Cannot start a local Dask cluster of {self._n_workers} workers: {err}; a script that "
                    "builds with engine='dask' must run it under if __name__ == '__main__'"
                ) from err
            self._client = Client(self._cluster, set_as_default=False)
        else:
            logger.info("Connecting to the Dask scheduler at %s", self._scheduler)
            try:
                self._client = Client(self._scheduler, timeout=self._connect_timeout, set_as_default=False)
            except (OSError, ValueError) as err:
                raise KgError(
                    f"Cannot connect to the Dask scheduler at {self._scheduler} within {self._connect_timeout:g} s: {err}; "
                    "check the address (tcp://HOST:PORT) and that the scheduler is running, "
                    "or omit --scheduler to start a local cluster"
                ) from err

        payload = pickle.dumps(self._nlp, protocol=pickle.HIGHEST_PROTOCOL)
        self._plugin_name = f"{_PLUGIN_PREFIX}{uuid.uuid4().hex}"
        plugin = PipelinePlugin(payload, ignore_interrupts=self._cluster is not None)
        self._client.register_plugin(plugin, name=self._plugin_name)
        workers = self._client.nthreads()
        self._buckets = max(1, len(workers))
        self._totals = [None] * self._buckets
        logger.info(
            "Dask cluster ready: scheduler %s, %d workers, %d threads; pipeline of %.1f MB sent",
            self._client.scheduler.address, len(workers), sum(workers.values()), len(payload) / 1e6,
        )

    @property
    def addresses(self) -> list[str]:
        """The addresses of the scheduler and of every worker, scheduler first."""
        client = self._require_client()
        return [client.scheduler.address, *sorted(client.nthreads())]

    def close(self) -> None:
        """Remove the pipeline from the workers, and close the client and the LocalCluster.

        Closing the client releases its futures, so the scheduler drops the
        tasks that have not run.
        """
        client, cluster = self._client, self._cluster
        self._client = self._cluster = None
        self._totals, self._unfolded = [], []
        if client is not None:
            if self._plugin_name and self._scheduler is not None:
                # An external cluster outlives this build; a LocalCluster just stops.
                try:
                    client.unregister_worker_plugin(self._plugin_name)
                except (OSError, ValueError) as err:
                    logger.warning("Could not remove the kg pipeline plugin from the Dask workers: %s", err)
            client.close()
        if cluster is not None:
            cluster.close()

    def extract(self, papers: Iterable[Paper]) -> Iterator[PaperExtraction]:
        """Extract `papers` on the cluster, yielding their extractions in input order.

        Raises
        ------
        KgError
            If a worker died while extracting a partition (the message names
            the partition and its first paper), or the connection to the
            scheduler was lost.
        InputError
            A paper that the pipeline rejects, as the local build raises it.
        """
        client = self._require_client()
        if self._extracted:
            raise ValueError("DaskEngine.extract() can run once per engine")
        self._extracted = True
        in_flight = PARTITIONS_AHEAD_PER_THREAD * max(1, sum(client.nthreads().values()))
        pending: collections.deque[tuple[int, list[Paper], Future]] = collections.deque()
        bar = _progress_bar(self._progress)
        iterator = iter(papers)
        start = 0
        try:
            for number in itertools.count(1):
                partition = list(itertools.islice(iterator, self._partition_size))
                if not partition:
                    break
                pending.append((number, partition, self._submit(partition, start)))
                start += len(partition)
                while len(pending) >= in_flight:
                    yield from self._result(*pending.popleft())
                    bar.update()
            while pending:
                yield from self._result(*pending.popleft())
                bar.update()
            self._fold(final=True)
        finally:
            # NOTE: no client.cancel() here: in distributed 2026.8 cancelling an
            # extraction fails an assertion in the scheduler when a dependent
            # task has no future left on the client. `close` releases every
            # future instead, and the scheduler then drops the tasks.
            bar.close()

    def entity_states(self) -> dict[str, EntityState]:
        """Return the entity states of every extracted paper, merged per key on the cluster.

        Call it after `extract` has yielded every paper.
        """
        client = self._require_client()
        totals = [future for future in self._totals if future is not None]
        try:
            buckets = client.gather(totals)
        except KilledWorker as err:
            raise KgError(f"A Dask worker died while merging the entity states of all partitions: {err}") from err
        except (FutureCancelledError, OSError) as err:
            raise KgError(f"Lost the Dask cluster while merging the entity states of all partitions: {err}") from err
        self._totals = [None] * self._buckets
        states: dict[str, EntityState] = {}
        for bucket in buckets:
            states.update(bucket)
        logger.info("Merged the entity states of %d keys on the cluster", len(states))
        return states

    def _require_client(self) -> Client:
        if self._client is None:
            raise ValueError("DaskEngine is not started; use it in a with statement")
        return self._client

    def _submit(self, partition: list[Paper], start: int) -> Future:
        """Submit the extraction of one partition and the entity states computed from it."""
        client = self._require_client()
        extractions = client.submit(_extract_partition, self._plugin_name, partition, self._batch_size, pure=False)
        # Dask prefers to run a task on the worker that stores its input, so
        # the extractions rarely travel between workers.
        split = client.submit(_partition_states, extractions, start, self._buckets, pure=False)
        self._unfolded.append([client.submit(_select_bucket, split, index, pure=False) for index in range(self._buckets)])
        self._fold(final=False)
        return extractions

    def _fold(self, *, final: bool) -> None:
        """Submit one fold per bucket once `FOLD_GROUP_SIZE` partitions wait, or all that wait when `final`."""
        if not self._unfolded or (len(self._unfolded) < FOLD_GROUP_SIZE and not final):
            return
        client = self._require_client()
        group, self._unfolded = self._unfolded, []
        for index in range(self._buckets):
            parts = [bucket_futures[index] for bucket_futures in group]
            self._totals[index] = client.submit(_fold_states, self._totals[index], *parts, pure=False)

    def _result(self, number: int, partition: list[Paper], future: Future) -> list[PaperExtraction]:
        try:
            return future.result()
        except KilledWorker as err:
            raise KgError(
                f"A Dask worker died while extracting partition {number} ({_describe(partition)}): {err}; "
                "a worker that runs out of memory dies this way, so try a smaller --partition-size "
                "or workers with more memory"
            ) from err
        except (FutureCancelledError, OSError) as err:
            raise KgError(
                f"Lost the Dask cluster while extracting partition {number} ({_describe(partition)}): {err}"
            ) from err


class _NoProgress:
    def update(self) -> None:
        pass

    def close(self) -> None:
        pass


def _progress_bar(enabled: bool) -> Any:
    if not enabled:
        return _NoProgress()
    from tqdm import tqdm

    return tqdm(desc="Extracting on Dask", unit=" partitions", leave=False)
