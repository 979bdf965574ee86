"""Batch tagging: stream records through Kiwi and the model, in input order, and write results.

``jobs=1`` tags in this process. ``jobs=N`` runs N worker processes, each running a single-threaded
Kiwi (on Linux, forked from this process's, shared copy-on-write; see ``worker_pool``), fed chunks
in order with a bounded number in flight.
Measured here (benchmarks/batch.py, 2 cores, alternating slices in one run) it is faster than
Kiwi's own thread pool in one process on headlines and as fast on articles (pool / processes,
three runs: 0.89-0.98 on headlines, 1.01-1.03 on articles), as it also parallelises the
vectorising and scoring, which a pool leaves on one GIL-bound thread. With forked workers, -j 2
holds ~670 MB in all (PSS, benchmarks/memory.py) instead of ~1,400 MB.
"""
from __future__ import annotations

import csv
import gc
import io
import json
import multiprocessing
import sys
import time
from collections import deque
from contextlib import contextmanager
from concurrent.futures import Future, ProcessPoolExecutor
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, TypeVar

import orjson

from .exceptions import InputError
from .inputs import InputDocument, Record
from .tagger import TagResult, Tagger

T = TypeVar("T")
ON_ERROR = ("stop", "skip")
# One batch: up to 1,024 headlines, or ~100,000 characters of articles (~140 seed articles), tagged
# in this process (-j 1) or sent as one task to a worker (-j N). Why these sizes: after Kiwi the
# model's vocabularies and weights are cold, and a bigger batch shares each cache miss, until the
# batch's arrays outgrow the caches; and each task costs the process pool a fixed amount. The
# figures are in the README ("Figures behind choices in the code").
BATCH_SIZE, BATCH_CHARS = 1024, 100_000
WARM_TEXT = "광주광역시는 인공지능 산업 육성을 위해 데이터센터를 짓고 돌봄 로봇 보급을 늘린다고 밝혔다."


@dataclass(frozen=True)
class TagOptions:
    threshold: float | None = None
    top_k: int | None = None
    explain: bool = False
    batch_size: int | None = None  # documents per batch (and per task of -j N); None: BATCH_SIZE
    clean: bool | None = None  # None: the model's own setting
    threads: int = 0  # Kiwi pool threads for tagging in this process (0: Kiwi runs in this thread)


@dataclass
class Summary:
    documents: int = 0
    errors: int = 0
    already_done: int = 0
    seconds: float = 0.0
    error_locations: list[str] = field(default_factory=list)

    def line(self) -> str:
        rate = self.documents / self.seconds if self.seconds > 0 else 0.0
        done = f", {self.already_done} already in the output" if self.already_done else ""
        return f"tagged {self.documents} documents in {self.seconds:.1f} s ({rate:,.1f}/s), {self.errors} errors{done}"


def jsonl_line(rec: dict[str, Any]) -> bytes:
    """``rec`` as one line of JSON in UTF-8, characters unescaped. orjson, not ``json.dumps``: 0.6
    instead of 4.4 µs per headline's result, which was 8% of the work after Kiwi. Bytes, written
    as they are: decoding them to write them through a text file, which encodes them again, cost
    another ~4,000 instructions per headline (valgrind)."""
    return orjson.dumps(rec, option=orjson.OPT_APPEND_NEWLINE)


def record(doc: InputDocument, result: TagResult, version: str) -> dict[str, Any]:
    """The JSON object written for one document."""
    out: dict[str, Any] = {"id": doc.id, "tags": result.tags, "scores": result.scores, "model": version}
    if result.explanations:
        out["explain"] = result.explanations_json()
    return out


def tag_records(
    tagger: Tagger,
    records: Iterable[Record],
    *,
    options: TagOptions = TagOptions(),
    jobs: int = 1,
    on_error: str = "stop",
    report: Callable[[InputError], None] | None = None,
    skip_ids: set[str] | None = None,
    summary: Summary | None = None,
    pool: ProcessPoolExecutor | None = None,
) -> Iterator[tuple[InputDocument, TagResult]]:
    """``(document, result)`` in input order. A bad record raises (``on_error="stop"``) or is
    reported and skipped (``"skip"``); ids in ``skip_ids`` are passed over (``--resume``).
    ``jobs > 1`` tags in that many worker processes (``pool``, from ``worker_pool``, or new ones)."""
    if on_error not in ON_ERROR:
        raise ValueError(f"on_error must be one of {ON_ERROR}")
    summary = summary if summary is not None else Summary()
    pending: deque[InputDocument] = deque()
    stopped: list[InputError] = []

    def texts() -> Iterator[str]:
        # Never raises: a stopping error is kept, and raised once the documents before it are out.
        for item in records:
            if isinstance(item, InputError):
                summary.errors += 1
                summary.error_locations.append(item.location)
                if on_error == "stop":
                    stopped.append(item)
                    return
                if report:
                    report(item)
                continue
            if skip_ids and item.id in skip_ids:
                summary.already_done += 1
                continue
            pending.append(item)
            yield item.full_text

    if jobs > 1 and pool is None:
        with worker_pool(tagger, jobs) as own:
            yield from _in_processes(own, texts(), pending, options, jobs, summary)
    elif jobs > 1:
        yield from _in_processes(pool, texts(), pending, options, jobs, summary)
    else:
        for chunk in chunks(texts(), options.batch_size or BATCH_SIZE, BATCH_CHARS):
            docs = [pending.popleft() for _ in chunk]
            summary.documents += len(docs)
            yield from zip(docs, tag_chunk(tagger, chunk, options))
    if stopped:
        raise stopped[0]


def tag_chunk(tagger: Tagger, texts: list[str], options: TagOptions) -> list[TagResult]:
    """Tag texts with this process's single-threaded Kiwi (batch workers are one per core), or
    with Kiwi's own pool of ``options.threads`` threads."""
    return tagger.tag_analysed(tagger.analyse(texts, threads=options.threads, clean=options.clean), threshold=options.threshold, top_k=options.top_k, explain=options.explain)


def tag_to_output(
    tagger: Tagger,
    version: str,
    records: Iterable[Record],
    output: Path | None,
    *,
    options: TagOptions = TagOptions(),
    jobs: int = 1,
    resume: bool = False,
    on_error: str = "stop",
    report: Callable[[InputError], None] | None = None,
    progress: Callable[[int], object] | None = None,
    pool: ProcessPoolExecutor | None = None,
) -> Summary:
    """Tag ``records`` into ``output`` (JSONL, or CSV by its suffix; stdout when None), appending
    after the ids already there with ``resume``; ``progress(n)`` counts records as they pass.
    ``pool``: worker processes for ``jobs > 1`` (from ``worker_pool``; new ones when None)."""
    with tagging_heap():
        summary = Summary()
        start = time.perf_counter()
        done = prepare_resume(output) if resume and output else set()
        if progress:
            progress(len(done))
        appending = bool(resume and output and output.exists() and output.stat().st_size > 0)
        fh = open_output(output, appending)
        try:
            writer = make_writer(fh, tagger.tags, is_csv(output), header=not appending)
            stream = tag_records(
                tagger, records, options=options, jobs=jobs, on_error=on_error, report=report, skip_ids=done, summary=summary,
                pool=pool,
            )
            for doc, result in stream:
                writer.write(record(doc, result, version))
                if progress:
                    progress(1)
        finally:
            if output:
                fh.close()
            else:
                fh.flush()
        summary.seconds = time.perf_counter() - start
        return summary


def freeze_heap() -> None:
    """Exempt every object alive now (the model, Kiwi, modules) from cyclic garbage collection.
    They live as long as the batch; otherwise the collector walks the model's big containers again
    at each older-generation pass (its cost: README, "Figures behind choices in the code")."""
    gc.freeze()


# Tracked allocations between two young-generation collections while tagging (Python's default:
# 700). A batch's objects (morpheme lists, results) live until the batch is written, so with 700
# the collector ran ~12 times per 1,024 headlines, walking every live list and touching each
# string in it: ~90 cache misses and ~4,000 instructions per headline (valgrind), for no garbage
# (its 25 collections over 2,000 headlines freed nothing). At 100,000 it runs about once per 20 batches.
BATCH_GC_THRESHOLD = 100_000


def fewer_collections() -> None:
    """Raise the young generation's collection threshold to ``BATCH_GC_THRESHOLD`` (unless
    collection is off); for a process that only tags (a batch worker)."""
    first, *rest = gc.get_threshold()
    if first:
        gc.set_threshold(max(first, BATCH_GC_THRESHOLD), *rest)


@contextmanager
def tagging_heap() -> Iterator[None]:
    """``freeze_heap`` and ``fewer_collections`` for as long as a batch runs; the threshold is
    restored afterwards."""
    freeze_heap()
    before = gc.get_threshold()
    fewer_collections()
    try:
        yield
    finally:
        gc.set_threshold(*before)


# -- worker processes ----------------------------------------------------------------------------
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


def warm_for_fork(tagger: Tagger) -> None:
    """Build and warm this process's single-threaded Kiwi (the one batch workers use; a pooled
    Kiwi's threads would not survive fork) and the model's lookup tables, then freeze the heap:
    processes forked after this share all of it copy-on-write."""
    tag_chunk(tagger, [WARM_TEXT], TagOptions())
    freeze_heap()


def chunks(
    items: Iterable[T], size: int, max_chars: int, parts: int = 1, length: Callable[[T], int] = len
) -> Iterator[list[T]]:
    """At most ``size`` items and about ``max_chars`` characters each (``length`` of an item: its
    characters): long articles make small chunks, so both workers stay busy to the end.

    For ``parts`` workers (> 1), each full chunk is held back until the next one is full too, and
    what is left when the input ends (the last full chunk and the rest) is cut into ``parts``
    chunks of about equal characters, so that the workers finish together: 1,500 headlines over 2
    workers make tasks of 750 and 750, not 1,024 and 476 with one worker idle for half the run."""
    held: list[T] = []
    chunk: list[T] = []
    chars = 0
    for item in items:
        chunk.append(item)
        chars += length(item)
        if len(chunk) >= size or chars >= max_chars:
            if parts == 1:
                yield chunk
            else:
                if held:
                    yield held
                held = chunk
            chunk, chars = [], 0
    yield from _cut(held + chunk, parts, length)


def _cut(items: list[T], parts: int, length: Callable[[T], int]) -> Iterator[list[T]]:
    """``items`` (if any) in at most ``parts`` consecutive runs of about equal characters."""
    total = sum(map(length, items))
    start, seen, k = 0, 0, 1
    for i, item in enumerate(items[:-1]):
        seen += length(item)
        if k < parts and seen * parts >= total * k:
            yield items[start : i + 1]
            start, k = i + 1, k + 1
    if start < len(items):
        yield items[start:]


def _in_processes(
    pool: ProcessPoolExecutor,
    texts: Iterator[str],
    pending: deque[InputDocument],
    options: TagOptions,
    jobs: int,
    summary: Summary,
) -> Iterator[tuple[InputDocument, TagResult]]:
    """Batches tagged by ``jobs`` worker processes, yielded in input order, with at most two
    batches per process in flight (and one held back, see ``chunks``) so memory stays bounded."""
    in_flight: deque[tuple[list[InputDocument], Future[list[TagResult]]]] = deque()

    def collect() -> Iterator[tuple[InputDocument, TagResult]]:
        docs, future = in_flight.popleft()
        results = future.result()
        summary.documents += len(docs)
        yield from zip(docs, results)

    for chunk in chunks(texts, options.batch_size or BATCH_SIZE, BATCH_CHARS, parts=jobs):
        docs = [pending.popleft() for _ in chunk]
        in_flight.append((docs, pool.submit(_tag_in_worker, chunk, options)))
        if len(in_flight) >= 2 * jobs:
            yield from collect()
    while in_flight:
        yield from collect()


# -- output --------------------------------------------------------------------------------------
class JsonlWriter:
    """Writes each record as one line of JSON: bytes to a binary file (or a text stream's buffer)."""

    def __init__(self, fh: IO[Any]) -> None:
        self.write_line: Callable[[bytes], object]
        if not isinstance(fh, io.TextIOBase):
            self.write_line = fh.write
        elif isinstance(getattr(fh, "buffer", None), io.BufferedIOBase):
            fh.flush()  # whatever was written as text goes first
            self.write_line = fh.buffer.write  # type: ignore[attr-defined]
        else:  # a text stream with no bytes underneath (io.StringIO)
            self.write_line = lambda line: fh.write(line.decode())

    def write(self, rec: dict[str, Any]) -> None:
        self.write_line(jsonl_line(rec))


class CsvWriter:
    """``id,tags,model,<tag>...``: tags joined by ``|``, one score column per tag."""

    def __init__(self, fh: IO[str], tags: list[str], header: bool = True) -> None:
        self.tags = tags
        self.writer = csv.writer(fh)
        if header:
            self.writer.writerow(["id", "tags", "model", *tags])

    def write(self, rec: dict[str, Any]) -> None:
        self.writer.writerow([rec["id"], "|".join(rec["tags"]), rec["model"], *(rec["scores"][t] for t in self.tags)])


def is_csv(path: Path | None) -> bool:
    return bool(path and path.suffix.lower() == ".csv")


def open_output(path: Path | None, appending: bool) -> IO[Any]:
    """``path`` opened to write (or append): CSV as text, JSONL as bytes; stdout when None."""
    if path is None:
        return sys.stdout
    mode = "a" if appending else "w"
    return path.open(mode, encoding="utf-8", newline="") if is_csv(path) else path.open(mode + "b")


def make_writer(fh: IO[Any], tags: list[str], csv_output: bool, header: bool = True) -> JsonlWriter | CsvWriter:
    return CsvWriter(fh, tags, header) if csv_output else JsonlWriter(fh)


def prepare_resume(path: Path) -> set[str]:
    """Ids already written to ``path`` (JSONL or CSV). A last line cut short by an interrupted run
    is removed first, so appending continues on a clean line."""
    if not path.exists():
        return set()
    with path.open("rb+") as fh:
        data = fh.read()
        if data and not data.endswith(b"\n"):
            cut = data.rfind(b"\n") + 1
            fh.truncate(cut)
            data = data[:cut]
    text = data.decode("utf-8", errors="replace")
    ids: set[str] = set()
    if is_csv(path):
        rows = csv.reader(text.splitlines())
        next(rows, None)
        ids.update(row[0] for row in rows if row)
        return ids
    for line in text.splitlines():
        try:
            ids.add(str(json.loads(line)["id"]))
        except (ValueError, KeyError, TypeError):
            continue
    return ids
