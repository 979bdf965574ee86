"""Documents to tag: text files, folders of them, JSONL, CSV or standard input, read lazily."""
from __future__ import annotations

import csv
import json
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from .exceptions import InputError

STDIN = "-"


@dataclass(frozen=True)
class InputDocument:
    id: str
    text: str
    title: str | None = None
    location: str = ""

    @property
    def full_text(self) -> str:
        return f"{self.title}\n{self.text}" if self.title else self.text


def check_inputs(inputs: Sequence[str]) -> None:
    """Fail early (before any model is loaded or trained) on inputs that do not exist."""
    for item in inputs:
        if item != STDIN and not Path(item).exists():
            raise InputError(item, "no such file or folder")


def iter_documents(inputs: Sequence[str], stdin: IO[str] | None = None) -> Iterator[InputDocument]:
    """Every document of every input, in order. ``-`` is standard input: JSONL when its first
    non-blank character is ``{``, otherwise one plain-text document."""
    for item in inputs or [STDIN]:
        if item == STDIN:
            yield from _read_stdin(stdin or sys.stdin)
            continue
        path = Path(item)
        if path.is_dir():
            files = sorted(p for p in path.rglob("*.txt") if p.is_file())
            if not files:
                raise InputError(str(path), "no *.txt files in this folder")
            for file in files:
                yield _text_file(file, file.relative_to(path).with_suffix("").as_posix())
        elif not path.exists():
            raise InputError(str(path), "no such file or folder")
        elif path.suffix.lower() == ".jsonl":
            yield from _jsonl(_open_text(path), str(path))
        elif path.suffix.lower() == ".csv":
            yield from _csv(_open_text(path), str(path))
        else:
            yield _text_file(path, path.stem)


def _open_text(path: Path) -> IO[str]:
    try:
        return path.open(encoding="utf-8-sig", errors="strict", newline="")
    except OSError as exc:
        raise InputError(str(path), f"cannot read: {exc.strerror or exc}") from exc


def _checked(doc_id: str, text: object, title: object, location: str) -> InputDocument:
    if not isinstance(text, str) or not text.strip():
        raise InputError(location, "empty or missing text")
    if title is not None and not isinstance(title, str):
        raise InputError(location, "'title' must be a string")
    return InputDocument(doc_id, text, title or None, location)


def _text_file(path: Path, doc_id: str) -> InputDocument:
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except OSError as exc:
        raise InputError(str(path), f"cannot read: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise InputError(str(path), f"not valid UTF-8 (byte {exc.start})") from exc
    return _checked(doc_id, text, None, str(path))


def _jsonl(fh: IO[str] | _Chained, name: str) -> Iterator[InputDocument]:
    with fh:
        number = 0
        try:
            for number, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                location = f"{name}:{number}"
                try:
                    record = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise InputError(location, f"invalid JSON: {exc.msg}") from exc
                if not isinstance(record, dict):
                    raise InputError(location, "expected a JSON object")
                doc_id = record.get("id", str(number))
                yield _checked(str(doc_id), record.get("text"), record.get("title"), location)
        except UnicodeDecodeError as exc:
            raise InputError(f"{name}:{number + 1}", "not valid UTF-8") from exc


def _csv(fh: IO[str], name: str) -> Iterator[InputDocument]:
    with fh:
        try:
            reader = csv.DictReader(fh)
            if "text" not in (reader.fieldnames or []):
                raise InputError(f"{name}:1", "CSV header needs a 'text' column (and optionally id, title)")
            for row in reader:
                location = f"{name}:{reader.line_num}"
                doc_id = row.get("id") or str(reader.line_num)
                yield _checked(doc_id, row.get("text"), row.get("title") or None, location)
        except UnicodeDecodeError as exc:
            raise InputError(name, "not valid UTF-8") from exc
        except csv.Error as exc:
            raise InputError(name, f"malformed CSV: {exc}") from exc


def _read_stdin(stream: IO[str]) -> Iterator[InputDocument]:
    """JSONL is streamed line by line; plain text is one document."""
    try:
        head: list[str] = []
        for line in stream:
            head.append(line)
            if line.strip():
                break
        if head and head[-1].lstrip().startswith("{"):
            yield from _jsonl(_Chained(head, stream), "<stdin>")
            return
        data = "".join(head) + stream.read()
    except UnicodeDecodeError as exc:
        raise InputError("<stdin>", "not valid UTF-8") from exc
    yield _checked("stdin", data, None, "<stdin>")


class _Chained:
    """Lines already read, then the rest of a stream; usable where ``_jsonl`` wants a file."""

    def __init__(self, head: list[str], rest: IO[str]) -> None:
        self.head, self.rest = head, rest

    def __iter__(self) -> Iterator[str]:
        yield from self.head
        yield from self.rest

    def __enter__(self) -> _Chained:
        return self

    def __exit__(self, *exc: object) -> None:
        return None
