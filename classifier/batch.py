"""Tag a stream of documents in batches (Kiwi's thread pool works on batches) and write results."""
from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator
from itertools import islice
from typing import IO, Any

from .inputs import InputDocument
from .tagger import TagResult, Tagger


def tag_stream(
    tagger: Tagger,
    documents: Iterable[InputDocument],
    *,
    batch_size: int = 64,
    threshold: float | None = None,
    top_k: int | None = None,
    explain: bool = False,
) -> Iterator[tuple[InputDocument, TagResult]]:
    """``(document, result)`` pairs in input order, reading ``batch_size`` documents at a time."""
    iterator = iter(documents)
    while batch := list(islice(iterator, batch_size)):
        results = tagger.tag([d.full_text for d in batch], threshold=threshold, top_k=top_k, explain=explain)
        yield from zip(batch, results)


def record(doc: InputDocument, result: TagResult, version: str) -> dict[str, Any]:
    """The JSON object written for one document."""
    out: dict[str, Any] = {"id": doc.id, "tags": result.tags, "scores": result.scores, "model": version}
    if result.explanations:
        out["explain"] = {
            tag: {side: [[m, w] for m, w in items] for side, items in parts.items()}
            for tag, parts in result.explanations.items()
        }
    return out


class JsonlWriter:
    def __init__(self, fh: IO[str]) -> None:
        self.fh = fh

    def write(self, rec: dict[str, Any]) -> None:
        self.fh.write(json.dumps(rec, ensure_ascii=False) + "\n")


class CsvWriter:
    """``id,tags,model,<tag>...``: tags joined by ``|``, one score column per tag."""

    def __init__(self, fh: IO[str], tags: list[str]) -> None:
        self.tags = tags
        self.writer = csv.writer(fh)
        self.writer.writerow(["id", "tags", "model", *tags])

    def write(self, rec: dict[str, Any]) -> None:
        self.writer.writerow([rec["id"], "|".join(rec["tags"]), rec["model"], *(rec["scores"][t] for t in self.tags)])


def make_writer(fh: IO[str], tags: list[str], csv_output: bool) -> JsonlWriter | CsvWriter:
    return CsvWriter(fh, tags) if csv_output else JsonlWriter(fh)
