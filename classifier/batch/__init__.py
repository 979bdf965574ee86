"""Batch tagging: stream records through Kiwi and the model, in input order, and write the results.

One entry point, ``tag_to_output``, takes the engine that tags (``make_engine`` builds one from
``ktag tag``'s choice)::

    from classifier.batch import Model, TagOptions, make_engine, tag_to_output
    summary = tag_to_output(Model(version, tagger, models / version), iter_records(["in.jsonl"]),
                            Path("out.jsonl"), engine=make_engine("local", jobs=2))

Engines (``Engine``): ``InProcess`` (``-j 1``), ``WorkerProcesses`` (``-j N``), ``DaskCluster``
(``--engine dask``, writing a folder of JSONL parts). Every engine reads its documents through
the one ``on_error`` filter and cuts them into the same batches (``BATCH_SIZE`` documents,
``BATCH_CHARS`` characters); ``tag_records`` yields ``(document, result)`` pairs instead of writing.
"""
from __future__ import annotations

from ._base import BATCH_CHARS, BATCH_SIZE, Batch, Engine, Model, Serialised, Summary, Tagged, TagOptions
from ._dask import DaskCluster, DaskUnavailable
from ._filter import ON_ERROR
from ._heap import BATCH_GC_THRESHOLD
from ._inprocess import InProcess
from ._run import ENGINES, make_engine, tag_records, tag_to_output
from ._workers import WorkerProcesses
from ._writers import CsvWriter, JsonlWriter, PartsWriter, jsonl_line, prepare_resume, record

__all__ = [
    "BATCH_CHARS",
    "BATCH_GC_THRESHOLD",
    "BATCH_SIZE",
    "ENGINES",
    "ON_ERROR",
    "Batch",
    "CsvWriter",
    "DaskCluster",
    "DaskUnavailable",
    "Engine",
    "InProcess",
    "JsonlWriter",
    "Model",
    "PartsWriter",
    "Serialised",
    "Summary",
    "TagOptions",
    "Tagged",
    "WorkerProcesses",
    "jsonl_line",
    "make_engine",
    "prepare_resume",
    "record",
    "tag_records",
    "tag_to_output",
]
