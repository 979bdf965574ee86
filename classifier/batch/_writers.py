"""Where a batch's results go: JSONL or CSV to one file (or stdout), or JSONL parts in a folder;
and the ids already in a file, to resume after them."""
from __future__ import annotations

import csv
import io
import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any, Protocol

import orjson

from ..exceptions import InvalidValue
from ..inputs import InputDocument
from ..tagger import TagResult
from ._base import Batch, Serialised

PART = "part-{:05d}.jsonl"


def jsonl_line(rec: dict[str, Any]) -> bytes:
    """``rec`` as one line of JSON in UTF-8, characters unescaped. orjson, not ``json.dumps``, which
    was a noticeable share of the work after Kiwi; bytes, written as they are, as decoding them to
    write them through a text file, which encodes them again, cost as much once more (figures:
    README, "Figures behind choices in the code")."""
    return orjson.dumps(rec, option=orjson.OPT_APPEND_NEWLINE)


def record(doc: InputDocument, result: TagResult, version: str) -> dict[str, Any]:
    """The JSON object written for one document."""
    out: dict[str, Any] = {"id": doc.id, "tags": result.tags, "scores": result.scores, "model": version}
    if result.explanations:
        out["explain"] = result.explanations_json()
    return out


class Writer(Protocol):
    def write(self, batch: Batch) -> int:
        """Write one batch's results; returns how many documents it held."""


class JsonlWriter:
    """Writes each record as one line of JSON: bytes to a binary file (or a text stream's buffer)."""

    def __init__(self, fh: IO[Any], version: str) -> None:
        self.version = version
        self.write_line: Callable[[bytes], object]
        if not isinstance(fh, io.TextIOBase):
            self.write_line = fh.write
        elif isinstance(getattr(fh, "buffer", None), io.BufferedIOBase):
            fh.flush()  # whatever was written as text goes first
            self.write_line = fh.buffer.write  # type: ignore[attr-defined]
        else:  # a text stream with no bytes underneath (io.StringIO)
            self.write_line = lambda line: fh.write(line.decode())

    def write(self, batch: Batch) -> int:
        if isinstance(batch, Serialised):
            self.write_line(batch.jsonl)
            return batch.count
        version, write_line, option = self.version, self.write_line, orjson.OPT_APPEND_NEWLINE
        for doc, result in zip(*batch):  # jsonl_line inlined: two calls fewer per document
            write_line(orjson.dumps(record(doc, result, version), option=option))
        return len(batch.docs)

    def write_record(self, rec: dict[str, Any]) -> None:
        self.write_line(jsonl_line(rec))


class CsvWriter:
    """``id,tags,model,<tag>...``: tags joined by ``|``, one score column per tag."""

    def __init__(self, fh: IO[str], tags: list[str], version: str, header: bool = True) -> None:
        self.tags = tags
        self.version = version
        self.writer = csv.writer(fh)
        if header:
            self.writer.writerow(["id", "tags", "model", *tags])

    def write(self, batch: Batch) -> int:
        if isinstance(batch, Serialised):
            raise TypeError("CSV is written from results tagged in this process or its workers, not from serialised JSONL")
        version = self.version
        for doc, result in zip(*batch):
            self.write_record(record(doc, result, version))
        return len(batch.docs)

    def write_record(self, rec: dict[str, Any]) -> None:
        self.writer.writerow([rec["id"], "|".join(rec["tags"]), rec["model"], *(rec["scores"][t] for t in self.tags)])


class PartsWriter:
    """Each batch as ``<folder>/part-NNNNN.jsonl``, numbered in input order from 0, written under a
    temporary name and renamed into place."""

    def __init__(self, folder: Path, version: str) -> None:
        self.folder = folder
        self.version = version
        self.written = 0
        folder.mkdir(parents=True, exist_ok=True)

    def write(self, batch: Batch) -> int:
        if isinstance(batch, Serialised):
            count, data = batch
        else:
            count, data = len(batch.docs), b"".join(jsonl_line(record(d, r, self.version)) for d, r in zip(*batch))
        tmp = self.folder / f".{PART.format(self.written)}.tmp"
        tmp.write_bytes(data)
        tmp.replace(self.folder / PART.format(self.written))
        self.written += 1
        return count


@contextmanager
def open_writer(
    output: Path | None, tags: list[str], version: str, *, folder: bool = False, resume: bool = False
) -> Iterator[tuple[Writer, set[str]]]:
    """The writer for ``output`` and the ids already in it (with ``resume``, which appends after
    them). ``folder``: JSONL parts in the folder ``output``; otherwise one file, JSONL or CSV by its
    suffix, stdout when None."""
    if folder:
        if output is None:
            raise InvalidValue("this engine writes a folder of parts: give it one")
        if resume:
            raise InvalidValue("resuming appends to one output file; this engine writes a folder of parts")
        yield PartsWriter(output, version), set()
        return
    done = prepare_resume(output) if resume and output else set()
    appending = bool(resume and output and output.exists() and output.stat().st_size > 0)
    fh = open_output(output, appending)
    try:
        yield make_writer(fh, tags, version, is_csv(output), header=not appending), done
    finally:
        if output:
            fh.close()
        else:
            fh.flush()


def is_csv(path: Path | None) -> bool:
    return bool(path and path.suffix.lower() == ".csv")


def open_output(path: Path | None, appending: bool) -> IO[Any]:
    """``path`` opened to write (or append): CSV as text, JSONL as bytes; stdout when None."""
    if path is None:
        return sys.stdout
    mode = "a" if appending else "w"
    return path.open(mode, encoding="utf-8", newline="") if is_csv(path) else path.open(mode + "b")


def make_writer(fh: IO[Any], tags: list[str], version: str, csv_output: bool, header: bool = True) -> JsonlWriter | CsvWriter:
    return CsvWriter(fh, tags, version, header) if csv_output else JsonlWriter(fh, version)


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
