"""What every batch engine shares: the options, the summary, the model they tag with, the shape
of their results, the ``Engine`` base class, and the cutting of documents into batches."""
from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, NamedTuple, TypeVar

from ..inputs import InputDocument
from ..tagger import TagResult, Tagger

T = TypeVar("T")
# One batch: up to 1,024 headlines, or ~100,000 characters of articles (~140 seed articles), tagged
# in this process, sent as one task to a worker process, or as one partition to a Dask worker. Why
# these sizes: after Kiwi the model's vocabularies and weights are cold, and a bigger batch shares
# each cache miss, until the batch's arrays outgrow the caches; and each task costs the process
# pool a fixed amount. The figures are in the README ("Figures behind choices in the code").
BATCH_SIZE, BATCH_CHARS = 1024, 100_000


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


@dataclass(frozen=True)
class Model:
    """The model a batch tags with: its version (written with every result), the tagger (at its
    operating shares), and the folder it was loaded from (``None`` for one never saved; the Dask
    engine's workers load it from there)."""

    version: str
    tagger: Tagger
    directory: Path | None = None


class Tagged(NamedTuple):
    """One batch's documents and their results, in input order."""

    docs: list[InputDocument]
    results: list[TagResult]


class Serialised(NamedTuple):
    """One batch's results as JSONL, serialised where they were tagged (a Dask worker), so that the
    process writing them only writes bytes."""

    count: int
    jsonl: bytes


Batch = Tagged | Serialised


class Engine(ABC):
    """Tags documents, batch after batch, and yields the batches in input order.

    ``running(model)`` starts what the engine needs (worker processes, a cluster) and stops it
    after; an engine already running (``with engine.running(model):`` around several runs) is used
    as it is. Bad records never reach an engine: the one ``on_error`` filter (``_filter``) has
    taken them out, and ends the documents at a bad record when it stops."""

    # The results are JSONL written to a folder of parts (the Dask engine) rather than to one file.
    writes_folder: ClassVar[bool] = False

    @contextmanager
    def running(self, model: Model) -> Iterator[None]:
        yield

    @abstractmethod
    def tag(self, model: Model, documents: Iterator[InputDocument], options: TagOptions) -> Iterator[Batch]:
        """``documents`` tagged, one batch at a time, in input order."""


@contextmanager
def holding(engine: Engine, name: str, start: Callable[[], AbstractContextManager[Any]]) -> Iterator[None]:
    """``engine.<name>`` (its worker pool, its cluster's client) from ``start`` for as long as the
    engine runs; one the engine holds already (given to it, or started around several runs) is used
    as it is."""
    if getattr(engine, name) is not None:
        yield
        return
    with start() as value:
        setattr(engine, name, value)
        try:
            yield
        finally:
            setattr(engine, name, None)


def held(engine: Engine, name: str) -> Any:
    """``engine.<name>``, which ``holding`` set while the engine runs."""
    value = getattr(engine, name)
    if value is None:
        raise RuntimeError(f"{type(engine).__name__} is not running: tag inside 'with engine.running(model)'")
    return value


def tag_chunk(tagger: Tagger, texts: list[str], options: TagOptions) -> list[TagResult]:
    """Tag texts with this process's single-threaded Kiwi (batch workers are one per core), or
    with Kiwi's own pool of ``options.threads`` threads."""
    return tagger.tag_analysed(tagger.analyse(texts, threads=options.threads, clean=options.clean), threshold=options.threshold, top_k=options.top_k, explain=options.explain)


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
