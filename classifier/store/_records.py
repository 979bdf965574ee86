"""What the label store holds and hands out, whatever its backend: documents, pages, jobs."""
from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any

from ..data import valid_doc_id, valid_tag_id
from ..exceptions import InvalidValue
from ..inputs import full_text

# A document's origin: a person's own (added through the API, the pages or 'ktag import'), or the
# labelled data shipped with ktag (imported from KTAG_LABELS into an empty store).
OWN, SHIPPED = "", "shipped"
ORIGINS = (OWN, SHIPPED)


def now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime()) + f".{int(time.time() * 1e6) % 1_000_000:06d}Z"


@dataclass
class StoredDocument:
    id: str
    text: str
    tags: list[str]
    title: str | None = None
    source: str = ""
    created: str = ""
    updated: str = ""
    revision: int = 1
    labelled: bool = True  # False: in the pool, waiting for a person's labels
    origin: str = OWN  # SHIPPED: part of the labelled data shipped with ktag

    @property
    def full_text(self) -> str:
        """Title and body, as the model sees them (as ``LabelledDocument.full_text``)."""
        return full_text(self.title, self.text)

    @property
    def etag(self) -> str:
        return f'"{self.revision}"'

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "text": self.text,
            "source": self.source,
            "tags": self.tags,
            "labelled": self.labelled,
            "origin": self.origin or "own",
            "created": self.created,
            "updated": self.updated,
            "revision": self.revision,
        }

    def content(self) -> dict[str, Any]:
        """The labelled data, without bookkeeping (what history records and export writes)."""
        return {"title": self.title, "text": self.text, "source": self.source, "tags": self.tags, "labelled": self.labelled}


@dataclass
class Page:
    items: list[StoredDocument]
    total: int
    page: int
    per_page: int


def check_doc_id(doc_id: Any) -> str:
    if not isinstance(doc_id, str) or not valid_doc_id(doc_id):
        raise InvalidValue(f"invalid document id {doc_id!r}: 1-200 characters, no whitespace, '/', '\\', '%', '?' or '#', not '.' or '..'")
    return doc_id


def check_tag_id(tag: Any) -> str:
    if not isinstance(tag, str) or not valid_tag_id(tag):
        raise InvalidValue(f"invalid tag id {tag!r}: 1-64 characters, no whitespace, '/', '\\', '|', ',', '%', '?' or '#'")
    return tag


@dataclass
class Job:
    id: str
    state: str
    progress: float = 0.0
    message: str = ""
    metrics: dict[str, Any] | None = None
    version: str | None = None
    error: str | None = None
    pid: int | None = None
    created: str = ""
    updated: str = ""
    started: int | None = None  # the process's start time (clock ticks after boot), to tell a reused pid
    base: str | None = None  # what CURRENT held when the job was started
    activated: bool | None = None  # whether it made its version current (None until it succeeds)
    held_back: dict[str, Any] | None = None  # why it did not (``Activation.to_dict``)
    warnings: list[dict[str, str]] = field(default_factory=list)  # known at the start: {code, message}
    host: str = ""  # the machine whose process runs it: only that machine can look at its pid
    beat: float | None = None  # when its process last said it runs (epoch seconds), for other hosts

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "state": self.state,
            "progress": round(self.progress, 3),
            "message": self.message,
            "metrics": self.metrics,
            "version": self.version,
            "error": self.error,
            "created": self.created,
            "updated": self.updated,
            "activated": self.activated,
            "held_back": self.held_back,
            "warnings": self.warnings,
        }


def job_from_row(row: Any) -> Job:
    return Job(
        row["id"],
        row["state"],
        row["progress"],
        row["message"],
        json.loads(row["metrics"]) if row["metrics"] else None,
        row["version"],
        row["error"],
        row["pid"],
        row["created"],
        row["updated"],
        row["started"],
        row["base"],
        None if row["activated"] is None else bool(row["activated"]),
        json.loads(row["held_back"]) if row["held_back"] else None,
        json.loads(row["warnings"]) if row["warnings"] else [],
        row["host"] or "",
        row["beat"],
    )


def check_no_nul(**fields: Any) -> None:
    """Refuse a text value holding NUL (``\\u0000``): PostgreSQL's text cannot store it, so neither
    backend accepts it (one behaviour whichever stores the labels). ``None`` values are skipped."""
    for name, value in fields.items():
        values = value if isinstance(value, (list, tuple)) else [value]
        if any(isinstance(v, str) and "\x00" in v for v in values):
            raise InvalidValue(f"'{name}' cannot contain NUL (\\u0000) characters")
