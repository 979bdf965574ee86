"""Batch tagging on a Dask distributed cluster (``pip install 'ktag[dask]'``).

The client reads the inputs and cuts them into partitions; each worker process loads the model
once (from a model directory every worker can read; a local cluster's workers forked from the
client share its copy instead, see ``connect``) and tags whole partitions; the client writes
each partition's results, in input order, to ``<out>/part-NNNNN.jsonl``. The task function lives
in this importable module, so Dask pickles a reference to it, never a Kiwi (a closure over one
would rebuild Kiwi — seconds and ~500 MB — for every task).
"""
from __future__ import annotations

import sys
import threading
import time
from collections import deque
from contextlib import AbstractContextManager, contextmanager, nullcontext
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from .batch import BATCH_CHARS, BATCH_SIZE, Summary, TagOptions, chunks, jsonl_line, record, tag_chunk, warm_for_fork
from .exceptions import InputError, KtagError
from .inputs import InputDocument, Record
from .modelfile import model_digest
from .tagger import Tagger

PART = "part-{:05d}.jsonl"
# A partition is one batch (BATCH_SIZE documents, BATCH_CHARS characters), as a task of -j N is. On
# headlines, against -j 2 in one run, Dask LocalCluster(2) ran 0.84x with partitions of 1,000
# documents and 50,000 characters, 0.85x with 1,024 and 100,000, and 0.82x with 512.

_models: dict[tuple[str, str], Tagger] = {}
_models_lock = threading.Lock()


class DaskUnavailable(KtagError):
    code = "dask_unavailable"

    def __init__(self) -> None:
        super().__init__("the dask engine needs Dask: pip install 'ktag[dask]' (dask[distributed])")


def _worker_tagger(model_dir: str, sha256: str) -> Tagger:
    """The model, loaded once per worker process (keyed by its path and hash)."""
    key = (model_dir, sha256)
    with _models_lock:
        tagger = _models.get(key)
        if tagger is None:
            if model_digest(model_dir) != sha256:
                raise KtagError(f"the model in {model_dir} on this worker is not the client's (SHA-256 differs)")
            tagger = Tagger.load(model_dir)
            _models.clear()  # one model per worker at a time
            _models[key] = tagger
    return tagger


def tag_partition(
    model_dir: str, sha256: str, version: str, items: list[tuple[str, str, str | None]], options: TagOptions
) -> tuple[int, bytes]:
    """Tag one partition of ``(id, text, title)`` on a worker; returns its size and its JSONL
    (serialised here, so the client only writes bytes: its CPU is shared with the workers)."""
    tagger = _worker_tagger(model_dir, sha256)
    docs = [InputDocument(doc_id, text, title) for doc_id, text, title in items]
    lines: list[bytes] = []
    size = options.batch_size or BATCH_SIZE
    for start in range(0, len(docs), size):
        chunk = docs[start : start + size]
        for doc, result in zip(chunk, tag_chunk(tagger, [d.full_text for d in chunk], options)):
            lines.append(jsonl_line(record(doc, result, version)))
    return len(lines), b"".join(lines)


def partitions(
    records: Iterable[Record],
    size: int,
    on_error: str,
    summary: Summary,
    report: Callable[[InputError], None] | None,
    max_chars: int = BATCH_CHARS,
    workers: int = 1,
) -> Iterator[list[tuple[str, str, str | None]]]:
    """Lists of at most ``size`` documents and about ``max_chars`` characters (``chunks``, as the
    tasks of ``-j N``): long articles make smaller partitions, so work spreads evenly over the
    workers and no task holds much memory; what is left at the end is cut into one partition
    per worker, so they finish together."""

    def documents() -> Iterator[tuple[str, str, str | None]]:
        for item in records:
            if isinstance(item, InputError):
                summary.errors += 1
                summary.error_locations.append(item.location)
                if on_error == "stop":
                    raise item
                if report:
                    report(item)
                continue
            yield item.id, item.text, item.title

    return chunks(documents(), size, max_chars, parts=workers, length=lambda doc: len(doc[1]))


def share_model(model_dir: Path, tagger: Tagger) -> None:
    """Make ``tagger`` (loaded from ``model_dir``) this process's worker model, warm, so that worker
    processes forked from here use it and this process's Kiwi instead of loading their own."""
    key = (str(model_dir), model_digest(model_dir))
    with _models_lock:
        _models.clear()
        _models[key] = tagger
    warm_for_fork(tagger)


@contextmanager
def connect(scheduler: str, workers: int | None = None, model: tuple[Path, Tagger] | None = None) -> Iterator[Any]:
    """A Dask client for ``scheduler``; ``local`` starts (and later stops) a LocalCluster of
    single-threaded worker processes, one per core unless ``workers`` says otherwise.

    With ``model`` (its directory and the loaded ``Tagger``), on Linux, the local workers are
    forked from this process once it holds the warm model and Kiwi (``share_model``), and share
    that memory copy-on-write, as the workers of ``-j N`` do; otherwise Dask's nannies spawn them
    and each loads its own on its first task. Measured on headlines in one run, against forked
    ``-j 2``: LocalCluster(2) ran 0.886x with forked workers and 0.762x with spawned ones."""
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
        share_model(*model)
        # Kept for the cluster's life: a worker the nanny restarts is forked from here too.
        method = dask.config.set({"distributed.worker.multiprocessing-method": "fork"})
    with method, LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        with Client(cluster) as client:
            yield client


def run(
    client: Any,
    model_dir: Path,
    version: str,
    records: Iterable[Record],
    out_dir: Path,
    *,
    options: TagOptions = TagOptions(),
    partition_size: int = BATCH_SIZE,
    on_error: str = "stop",
    report: Callable[[InputError], None] | None = None,
    progress: Callable[[int], None] | None = None,
) -> Summary:
    """Tag ``records`` on the cluster; partitions are written in order as they complete, with at
    most three per worker in flight (memory stays bounded on the client)."""
    summary = Summary()
    start = time.perf_counter()
    out_dir.mkdir(parents=True, exist_ok=True)
    sha = model_digest(model_dir)
    workers = max(1, len(client.scheduler_info().get("workers", {})))
    in_flight: deque[Any] = deque()
    written = 0

    def write_next() -> None:
        nonlocal written
        count, data = in_flight.popleft().result()
        tmp = out_dir / f".{PART.format(written)}.tmp"
        tmp.write_bytes(data)
        tmp.replace(out_dir / PART.format(written))
        written += 1
        summary.documents += count
        if progress:
            progress(count)

    for part in partitions(records, partition_size, on_error, summary, report, workers=workers):
        in_flight.append(client.submit(tag_partition, str(model_dir), sha, version, part, options, pure=False))
        if len(in_flight) >= 3 * workers:
            write_next()
    while in_flight:
        write_next()
    summary.seconds = time.perf_counter() - start
    return summary
