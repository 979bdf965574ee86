"""Documents to tag: text files, folders of them, JSONL, CSV or standard input, read lazily.

``iter_records`` yields each document, or an ``InputError`` for a record that cannot be read (a
broken JSON line, an undecodable file, an empty text) and then goes on, so a caller can skip bad
records and report them instead of losing the rest. Nothing is read ahead: memory stays flat
however many documents there are.
"""
from __future__ import annotations

import codecs
import csv
import itertools
import json
import os
import re
import sys
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import IO, BinaryIO, NamedTuple

import orjson

from .exceptions import InputError

STDIN = "-"


def full_text(title: str | None, text: str) -> str:
    """A document as the model sees it: its title (when it has one) on the first line, then its
    text. Every kind of document (input, labelled, stored, an API request) goes through this one."""
    return f"{title}\n{text}" if title else text


class InputDocument(NamedTuple):
    """One document to tag. A named tuple, not a frozen dataclass: cheaper to make, and one is made
    per document of a batch run (figures: README)."""

    id: str
    text: str
    title: str | None = None
    location: str = ""

    @property
    def full_text(self) -> str:
        return full_text(self.title, self.text)


Record = InputDocument | InputError


def check_inputs(inputs: Sequence[str]) -> None:
    """Fail early (before any model is loaded or trained) on inputs that do not exist."""
    for item in inputs:
        if item != STDIN and not Path(item).exists():
            raise InputError(item, "no such file or folder")


def iter_documents(inputs: Sequence[str], stdin: IO[str] | None = None) -> Iterator[InputDocument]:
    """Every document of every input, in order; the first bad record raises its ``InputError``."""
    for record in iter_records(inputs, stdin):
        if isinstance(record, InputError):
            raise record
        yield record


def iter_records(inputs: Sequence[str], stdin: IO[str] | None = None) -> Iterator[Record]:
    """Every document of every input, in order, with an ``InputError`` in place of each bad record.
    ``-`` (or no input) is standard input: JSONL when its first non-blank character is ``{``,
    otherwise one plain-text document."""
    for item in inputs or [STDIN]:
        if item == STDIN:
            yield from _stdin(stdin if stdin is not None else sys.stdin.buffer)
            continue
        path = Path(item)
        if path.is_dir():
            found = False
            for file in _walk_txt(path):
                found = True
                yield _text_file(file, file.relative_to(path).with_suffix("").as_posix())
            if not found:
                yield InputError(str(path), "no *.txt files in this folder")
        elif not path.exists():
            yield InputError(str(path), "no such file or folder")
        elif path.suffix.lower() == ".jsonl":
            yield from _opened(path, lambda fh: _jsonl(fh, str(path)))
        elif path.suffix.lower() == ".csv":
            yield from _opened(path, lambda fh: _csv(fh, str(path)))
        else:
            yield _text_file(path, path.stem)


def count_records(inputs: Sequence[str]) -> int | None:
    """How many records the inputs hold (for a progress bar's ETA), or None when unknown (stdin).
    A cheap pass: lines of JSONL, rows of CSV, files of folders."""
    total = 0
    for item in inputs or [STDIN]:
        path = Path(item)
        if item == STDIN:
            return None
        if path.is_dir():
            total += sum(1 for _ in _walk_txt(path))
        elif path.suffix.lower() == ".jsonl":
            with path.open("rb") as fh:
                total += sum(1 for line in fh if line.strip())
        elif path.suffix.lower() == ".csv":
            try:
                with path.open(encoding="utf-8-sig", newline="") as fh:
                    total += max(0, sum(1 for _ in csv.reader(fh)) - 1)
            except (UnicodeDecodeError, csv.Error):
                return None
        else:
            total += 1
    return total


def _walk_txt(root: Path) -> Iterator[Path]:
    """``*.txt`` under ``root``, depth first, each folder sorted, one folder listed at a time."""
    entries = sorted(os.scandir(root), key=lambda e: e.name)
    for entry in entries:
        if entry.is_dir():
            yield from _walk_txt(Path(entry.path))
        elif entry.is_file() and entry.name.endswith(".txt"):
            yield Path(entry.path)


def _opened(path: Path, read: object) -> Iterator[Record]:
    try:
        fh = path.open("rb")
    except OSError as exc:
        yield InputError(str(path), f"cannot read: {exc.strerror or exc}")
        return
    with fh:
        yield from read(fh)  # type: ignore[operator]


def _checked(doc_id: str, text: object, title: object, location: str) -> Record:
    if not isinstance(text, str) or not text or text.isspace():  # no stripped copy made
        return InputError(location, "empty or missing text")
    if title is not None and not isinstance(title, str):
        return InputError(location, "'title' must be a string")
    return InputDocument(doc_id, text, title or None, location)


def _text_file(path: Path, doc_id: str) -> Record:
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except OSError as exc:
        return InputError(str(path), f"cannot read: {exc.strerror or exc}")
    except UnicodeDecodeError as exc:
        return InputError(str(path), f"not valid UTF-8 (byte {exc.start})")
    return _checked(doc_id, text, None, str(path))


_BLANK = object()
_SURROGATE = re.compile("[\ud800-\udfff]")
LONE_SURROGATE = "a lone surrogate escape (\\ud800-\\udfff) is not a character"


def holds_lone_surrogate(value: object) -> bool:
    """Whether a parsed JSON value holds a lone UTF-16 surrogate in any string or key: ``"\\ud800"``
    alone is valid JSON but no character (Kiwi cannot analyse it, nor UTF-8 store or write it).
    Walked without recursion, however deep the value."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if _SURROGATE.search(item):
                return True
        elif isinstance(item, dict):
            stack.extend(item)
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


def _jsonl_line(raw: bytes | str, number: int, name: str) -> Record | None:
    location = f"{name}:{number}"
    try:
        record = orjson.loads(raw)  # from bytes: no decoding first, and faster than json.loads (README)
    except orjson.JSONDecodeError:  # blank, or a BOM, NaN, a lone surrogate... or broken
        record = _parsed_by_json(raw, number, location)
        if record is _BLANK:
            return None
        if isinstance(record, InputError):
            return record
        if isinstance(record, dict) and holds_lone_surrogate([record.get(k) for k in ("id", "text", "title")]):
            return InputError(location, LONE_SURROGATE)
    if not isinstance(record, dict):
        return InputError(location, "expected a JSON object")
    doc_id = record.get("id", str(number))
    return _checked(str(doc_id), record.get("text"), record.get("title"), location)


def _parsed_by_json(raw: bytes | str, number: int, location: str) -> object:
    """A line orjson refused, read by the standard library: what it accepts, ``_BLANK``, or an
    ``InputError`` in its words."""
    try:
        line = raw.decode("utf-8-sig" if number == 1 else "utf-8") if isinstance(raw, bytes) else raw
    except UnicodeDecodeError as exc:
        return InputError(location, f"not valid UTF-8 (byte {exc.start} of the line)")
    if not line.strip():
        return _BLANK
    try:
        return json.loads(line)
    except json.JSONDecodeError as exc:
        return InputError(location, f"invalid JSON: {exc.msg}")
    except RecursionError:
        return InputError(location, "invalid JSON: nested too deeply")


def _jsonl(lines: Iterable[bytes | str], name: str) -> Iterator[Record]:
    """One record per non-blank line; a line that is not UTF-8 or not JSON is one bad record."""
    for number, raw in enumerate(lines, 1):
        record = _jsonl_line(raw, number, name)
        if record is not None:
            yield record


def _csv(fh: BinaryIO, name: str) -> Iterator[Record]:
    """Rows of a CSV with a ``text`` column (optional ``id``, ``title``). CSV rows may span lines,
    so a decoding error ends the file (reported with the row it stopped at)."""
    reader = csv.DictReader(codecs.getreader("utf-8-sig")(fh), strict=False)
    try:
        if "text" not in (reader.fieldnames or []):
            yield InputError(f"{name}:1", "CSV header needs a 'text' column (and optionally id, title)")
            return
        for row in reader:
            location = f"{name}:{reader.line_num}"
            if None in row:
                yield InputError(location, "more fields than the header has")
                continue
            yield _checked(row.get("id") or str(reader.line_num), row.get("text"), row.get("title") or None, location)
    except UnicodeDecodeError:
        yield InputError(f"{name}:{reader.line_num + 1}", "not valid UTF-8; the rest of this file is skipped")
    except csv.Error as exc:
        yield InputError(f"{name}:{reader.line_num}", f"malformed CSV ({exc}); the rest of this file is skipped")


def _stdin(stream: IO[str] | BinaryIO) -> Iterator[Record]:
    """JSONL is streamed line by line; plain text is one document. ``stream`` may be binary
    (``sys.stdin.buffer``: then one undecodable line is one bad record) or text."""
    lines = iter(stream)
    head: list[bytes | str] = []
    for line in lines:
        head.append(line)
        if line.strip():
            break
    first = head[-1].lstrip() if head else ""
    if first[:1] in ("{", b"{"):
        yield from _jsonl(itertools.chain(head, lines), "<stdin>")
        return
    raw = head + list(lines)
    try:
        data = b"".join(raw).decode("utf-8-sig") if raw and isinstance(raw[0], bytes) else "".join(raw)  # type: ignore[arg-type]
    except UnicodeDecodeError as exc:
        yield InputError("<stdin>", f"not valid UTF-8 (byte {exc.start})")
        return
    yield _checked("stdin", data, None, "<stdin>")
