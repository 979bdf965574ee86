"""The worker-process engine (``-j N``): N processes, each running a single-threaded Kiwi (on
Linux forked from this process's, shared copy-on-write; see ``worker_pool``), fed batches in input
order with a bounded number in flight. Faster than Kiwi's own thread pool in one process, as it
also parallelises the vectorising and scoring, which a pool leaves on one GIL-bound thread, and
forked workers hold about half the memory of spawned ones (figures: README, "Batch tagging")."""
from __future__ import annotations

import multiprocessing
import sys
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import AbstractContextManager

from ..inputs import InputDocument
from ..tagger import TagResult, Tagger
from ._base import BATCH_CHARS, BATCH_SIZE, Engine, Model, Tagged, TagOptions, chunks, held, holding, tag_chunk
from ._heap import WARM_TEXT, fewer_collections, freeze_heap, warm_for_fork
from ._inprocess import full_texts


class WorkerProcesses(Engine):
    """Tags in ``jobs`` worker processes: a ``pool`` from ``worker_pool`` (holding the model to tag
    with), or, when None, new ones for as long as the engine runs."""

    def __init__(self, jobs: int = 2, pool: ProcessPoolExecutor | None = None) -> None:
        self.jobs = jobs
        self.pool = pool

    def running(self, model: Model) -> AbstractContextManager[None]:
        return holding(self, "pool", lambda: worker_pool(model.tagger, self.jobs))

    def tag(self, model: Model, documents: Iterator[InputDocument], options: TagOptions) -> Iterator[Tagged]:
        """Batches tagged by the workers, yielded in input order, with at most two batches per
        process in flight (and one held back, see ``chunks``) so memory stays bounded."""
        pool, jobs = held(self, "pool"), self.jobs
        pending: deque[InputDocument] = deque()
        in_flight: deque[tuple[list[InputDocument], Future[list[TagResult]]]] = deque()

        def collect() -> Tagged:
            docs, future = in_flight.popleft()
            return Tagged(docs, future.result())

        for chunk in chunks(full_texts(documents, pending), options.batch_size or BATCH_SIZE, BATCH_CHARS, parts=jobs):
            docs = [pending.popleft() for _ in chunk]
            in_flight.append((docs, pool.submit(_tag_in_worker, chunk, options)))
            if len(in_flight) >= 2 * jobs:
                yield collect()
        while in_flight:
            yield collect()


# -- in the worker processes ---------------------------------------------------------------------
_worker: Tagger | None = None


def _start_worker(tagger: Tagger) -> None:
    global _worker
    _worker = tagger
    freeze_heap()
    fewer_collections()


def _tag_in_worker(texts: list[str], options: TagOptions) -> list[TagResult]:
    assert _worker is not None
    return tag_chunk(_worker, texts, options)


def worker_pool(tagger: Tagger, jobs: int) -> ProcessPoolExecutor:
    """``jobs`` worker processes holding ``tagger``, all started and warm before it is returned.

    On Linux they are forked after this process has built and warmed the single-threaded Kiwi
    (``num_workers=0``, which survives fork; a pooled Kiwi's threads would not) and the model's
    lookup tables, so the workers share that memory copy-on-write instead of each loading its own
    copy, which also scales better than spawned workers (presumably as two copies of the model and
    of Kiwi compete for the shared cache; figures in the README, "Figures behind choices in the
    code"). Elsewhere they are spawned and build their own."""
    if sys.platform == "linux":
        warm_for_fork(tagger)
        context = multiprocessing.get_context("fork")
    else:
        context = multiprocessing.get_context("spawn")
    pool = ProcessPoolExecutor(jobs, mp_context=context, initializer=_start_worker, initargs=(tagger,))
    warm = [pool.submit(_tag_in_worker, [WARM_TEXT], TagOptions()) for _ in range(jobs)]
    for future in warm:
        future.result()
    return pool
