"""The Dask engine (``pip install 'ktag[dask]'``): batches tagged on a Dask distributed cluster.

This process reads the inputs and cuts them into partitions; each worker process loads the model
once (from a model folder every worker can read; a local cluster's workers forked from this
process share its copy instead, see ``connect``), tags whole partitions and serialises their
results; the partitions come back in input order, to be written as ``<out>/part-NNNNN.jsonl``.
The task function lives in this importable module, so Dask pickles a reference to it, never a
Kiwi (a closure over one would rebuild Kiwi, seconds and ~500 MB, for every task).
"""
from __future__ import annotations

import sys
import threading
from collections import deque
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path
from typing import Any

from ..exceptions import InvalidValue, KtagError
from ..inputs import InputDocument
from ..modelfile import model_digest
from ..tagger import Tagger
from ._base import BATCH_CHARS, BATCH_SIZE, Engine, Model, Serialised, TagOptions, chunks, held, holding, tag_chunk
from ._heap import warm_for_fork
from ._writers import jsonl_line, record

# A worker's model: its folder, the SHA-256 of its files, and the shares it tags at.
ModelKey = tuple[str, str, tuple[tuple[str, float], ...]]

_models: dict[ModelKey, Tagger] = {}
_models_lock = threading.Lock()


class DaskUnavailable(KtagError):
    code = "dask_unavailable"

    def __init__(self) -> None:
        super().__init__("the dask engine needs Dask: pip install 'ktag[dask]' (dask[distributed])")


class DaskCluster(Engine):
    """Tags on the Dask cluster at ``scheduler`` (``"local"``: a LocalCluster of ``workers``
    single-threaded processes here, one per core when None), in partitions of at most
    ``partition_size`` documents and ``BATCH_CHARS`` characters, with at most three per worker in
    flight (memory stays bounded here). A ``client`` given is used instead of connecting."""

    writes_folder = True

    def __init__(self, scheduler: str = "local", *, workers: int | None = None, partition_size: int = BATCH_SIZE, client: Any = None) -> None:
        self.scheduler = scheduler
        self.workers = workers
        self.partition_size = partition_size
        self.client = client

    def running(self, model: Model) -> AbstractContextManager[None]:
        return holding(self, "client", lambda: connect(self.scheduler, self.workers, model))

    def tag(self, model: Model, documents: Iterator[InputDocument], options: TagOptions) -> Iterator[Serialised]:
        client, directory = held(self, "client"), str(_directory(model))
        sha, shares = model_digest(directory), _shares(model.tagger)
        workers = max(1, len(client.scheduler_info().get("workers", {})))
        in_flight: deque[Any] = deque()
        # Partitions as the tasks of -j N (``chunks``): long articles make smaller ones, so work
        # spreads evenly and no task holds much memory; what is left at the end is cut into one
        # partition per worker, so that they finish together.
        items = ((doc.id, doc.text, doc.title) for doc in documents)
        for part in chunks(items, self.partition_size, BATCH_CHARS, parts=workers, length=lambda item: len(item[1])):
            in_flight.append(client.submit(tag_partition, directory, sha, shares, model.version, part, options, pure=False))
            if len(in_flight) >= 3 * workers:
                yield Serialised(*in_flight.popleft().result())
        while in_flight:
            yield Serialised(*in_flight.popleft().result())


def _directory(model: Model) -> Path:
    if model.directory is None:
        raise InvalidValue("the dask engine needs a saved model: its workers load it from its folder")
    return model.directory


def _shares(tagger: Tagger) -> tuple[tuple[str, float], ...]:
    return tuple(sorted(tagger.shares.items()))


# -- on the workers ------------------------------------------------------------------------------
def _worker_tagger(model_dir: str, sha256: str, shares: tuple[tuple[str, float], ...]) -> Tagger:
    """The model, loaded once per worker process (keyed by its path, hash and shares)."""
    key = (model_dir, sha256, shares)
    with _models_lock:
        tagger = _models.get(key)
        if tagger is None:
            if model_digest(model_dir) != sha256:
                raise KtagError(f"the model in {model_dir} on this worker is not the client's (SHA-256 differs)")
            tagger = Tagger.load(model_dir)
            if _shares(tagger) != shares:  # tagging at other shares than the taxonomy's (--share)
                tagger = tagger.with_shares(dict(shares))
            _models.clear()  # one model per worker at a time
            _models[key] = tagger
    return tagger


def tag_partition(
    model_dir: str, sha256: str, shares: tuple[tuple[str, float], ...], version: str,
    items: list[tuple[str, str, str | None]], options: TagOptions,
) -> tuple[int, bytes]:
    """Tag one partition of ``(id, text, title)`` on a worker; returns its size and its JSONL
    (serialised here, so the client only writes bytes: its CPU is shared with the workers)."""
    tagger = _worker_tagger(model_dir, sha256, shares)
    docs = [InputDocument(doc_id, text, title) for doc_id, text, title in items]
    lines: list[bytes] = []
    size = options.batch_size or BATCH_SIZE
    for start in range(0, len(docs), size):
        chunk = docs[start : start + size]
        for doc, result in zip(chunk, tag_chunk(tagger, [d.full_text for d in chunk], options)):
            lines.append(jsonl_line(record(doc, result, version)))
    return len(lines), b"".join(lines)


# -- the cluster ---------------------------------------------------------------------------------
def share_model(model: Model) -> None:
    """Make ``model``'s tagger this process's worker model, warm, so that worker processes forked
    from here use it and this process's Kiwi instead of loading their own."""
    directory = str(_directory(model))
    key = (directory, model_digest(directory), _shares(model.tagger))
    with _models_lock:
        _models.clear()
        _models[key] = model.tagger
    warm_for_fork(model.tagger)


@contextmanager
def connect(scheduler: str, workers: int | None = None, model: Model | None = None) -> Iterator[Any]:
    """A Dask client for ``scheduler``; ``local`` starts (and later stops) a LocalCluster of
    single-threaded worker processes, one per core unless ``workers`` says otherwise.

    With ``model``, on Linux, the local workers are forked from this process once it holds the
    warm model and Kiwi (``share_model``), and share that memory copy-on-write, as the workers of
    ``-j N`` do; otherwise Dask's nannies spawn them and each loads its own on its first task
    (slower: figures in the README, "On a Dask cluster")."""
    try:
        import dask
        from dask.distributed import Client, LocalCluster
    except ImportError as exc:
        raise DaskUnavailable() from exc
    if scheduler != "local":
        with Client(scheduler) as client:
            yield client
        return
    method: AbstractContextManager[Any] = nullcontext()
    if model is not None and sys.platform == "linux":
        share_model(model)
        # Kept for the cluster's life: a worker the nanny restarts is forked from here too.
        method = dask.config.set({"distributed.worker.multiprocessing-method": "fork"})
    # ":0": the scheduler's HTTP server on a free port (None still takes 8787, and warns when another
    # cluster, e.g. a second ktag run, holds it).
    with method, LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=":0") as cluster:
        with Client(cluster) as client:
            yield client
