"""A batch run: records through the ``on_error`` filter, an engine and a writer; and the one place
that builds an engine from a name."""
from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from ..exceptions import InputError
from ..inputs import InputDocument, Record
from ..tagger import TagResult, Tagger
from ._base import BATCH_SIZE, Engine, Model, Summary, Tagged, TagOptions
from ._dask import DaskCluster
from ._filter import RecordFilter
from ._heap import tagging_heap
from ._inprocess import InProcess
from ._workers import WorkerProcesses
from ._writers import open_writer

ENGINES = ("local", "dask")


def make_engine(name: str = "local", *, jobs: int = 1, scheduler: str | None = None, partition_size: int = BATCH_SIZE) -> Engine:
    """The engine ``ktag tag --engine`` names: ``local`` tags in this process (``jobs`` 1) or in
    ``jobs`` worker processes; ``dask`` on the cluster at ``scheduler`` (``"local"``: one here),
    in partitions of at most ``partition_size`` documents."""
    if name == "local":
        return InProcess() if jobs <= 1 else WorkerProcesses(jobs)
    if name == "dask":
        if scheduler is None:
            raise ValueError("the dask engine needs a scheduler address (or 'local')")
        return DaskCluster(scheduler, partition_size=partition_size)
    raise ValueError(f"engine must be one of {ENGINES}")


def tag_to_output(
    model: Model,
    records: Iterable[Record],
    output: Path | None,
    *,
    engine: Engine | None = None,
    options: TagOptions = TagOptions(),
    resume: bool = False,
    on_error: str = "stop",
    report: Callable[[InputError], None] | None = None,
    progress: Callable[[int], object] | None = None,
) -> Summary:
    """Tag ``records`` with ``engine`` (default: in this process) and write the results in input
    order: to ``output``, JSONL or CSV by its suffix, stdout when None (appending after the ids
    already there with ``resume``), or, for an engine that writes a folder (Dask), as JSONL parts
    in the folder ``output``. ``progress(n)`` counts records as they pass.

    A bad record is reported and passed over (``on_error="skip"``), or (``"stop"``) every document
    before it is written, none after, and its ``InputError`` is raised; either way it counts in the
    summary's errors."""
    engine = engine if engine is not None else InProcess()
    with tagging_heap():
        summary = Summary()
        start = time.perf_counter()
        tagger = model.tagger
        with open_writer(output, tagger.tags, model.version, folder=engine.writes_folder, resume=resume) as (writer, done):
            if progress:
                progress(len(done))
            documents = RecordFilter(records, on_error, summary, report, done)
            with engine.running(model):
                for batch in engine.tag(model, iter(documents), options):
                    count = writer.write(batch)
                    summary.documents += count
                    if progress:
                        progress(count)
        summary.seconds = time.perf_counter() - start
    documents.check()
    return summary


def tag_records(
    tagger: Tagger,
    records: Iterable[Record],
    *,
    engine: InProcess | WorkerProcesses | None = None,
    options: TagOptions = TagOptions(),
    on_error: str = "stop",
    report: Callable[[InputError], None] | None = None,
    skip_ids: set[str] | None = None,
    summary: Summary | None = None,
) -> Iterator[tuple[InputDocument, TagResult]]:
    """``(document, result)`` in input order, tagged by ``engine`` (default: in this process), with
    ``on_error`` as for ``tag_to_output``; ids in ``skip_ids`` are passed over."""
    engine = engine if engine is not None else InProcess()
    summary = summary if summary is not None else Summary()
    documents = RecordFilter(records, on_error, summary, report, skip_ids)
    model = Model("", tagger)
    with engine.running(model):
        for batch in engine.tag(model, iter(documents), options):
            if not isinstance(batch, Tagged):
                raise TypeError(f"{type(engine).__name__} serialises its results; write them with tag_to_output")
            summary.documents += len(batch.docs)
            yield from zip(*batch)
    documents.check()
