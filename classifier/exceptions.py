"""Domain errors. Each builds its own message, so callers (CLI, HTTP) only map the type."""
from __future__ import annotations

from pathlib import Path


class KtagError(Exception):
    """Base class for every error that a user's input or environment can cause."""

    code = "ktag_error"
    details: dict[str, str] = {}  # extra machine-readable fields of the error (e.g. the running job)


class LabelledDataError(KtagError):
    """A labelled file (or a folder of them) cannot be read as training data."""

    code = "labelled_data"

    def __init__(self, path: str | Path, message: str, line: int | None = None) -> None:
        self.path = str(path)
        self.line = line
        self.reason = message
        where = f"{self.path}:{line}" if line is not None else self.path
        super().__init__(f"{where}: {message}")


class InputError(KtagError):
    """A document to tag cannot be read (bad JSON line, undecodable file, empty text...)."""

    code = "bad_input"

    def __init__(self, location: str, message: str) -> None:
        self.location = location
        self.reason = message
        super().__init__(f"{location}: {message}")


class TaxonomyError(KtagError):
    """The taxonomy file is malformed or inconsistent."""

    code = "taxonomy"


class UnknownTag(KtagError):
    """A tag id that the taxonomy (or the model) does not define."""

    code = "unknown_tag"

    def __init__(self, tag: str, known: list[str] | None = None) -> None:
        self.tag = tag
        hint = f" (known: {', '.join(known)})" if known else ""
        super().__init__(f"unknown tag {tag!r}{hint}")


class TagNotFound(UnknownTag):
    """The tag an edit is about (rather than one it refers to) does not exist."""

    code = "tag_not_found"


class ModelNotFound(KtagError):
    """No model version (or not the requested one) in the model directory."""

    code = "model_not_found"

    def __init__(self, where: str | Path, version: str | None = None) -> None:
        self.version = version
        if version:
            msg = f"no model version {version!r} in {where}"
        else:
            msg = f"no current model in {where}; run 'ktag train' first"
        super().__init__(msg)


class ModelIntegrityError(KtagError):
    """A stored model file whose hash or library versions do not match its metadata."""

    code = "model_integrity"

    def __init__(self, path: str | Path, reason: str) -> None:
        self.path = str(path)
        super().__init__(f"refusing to load {path}: {reason}")


class NotFittedError(KtagError):
    """A tagger used before it was fitted or loaded."""

    code = "not_fitted"

    def __init__(self) -> None:
        super().__init__("the tagger is not fitted; call fit() or load() first")


class TrainingError(KtagError):
    """Training data that cannot produce a model (no documents, no tags...)."""

    code = "training"


class DocumentNotFound(KtagError):
    code = "document_not_found"

    def __init__(self, doc_id: str) -> None:
        self.doc_id = doc_id
        super().__init__(f"no document {doc_id!r}")


class DocumentExists(KtagError):
    code = "document_exists"

    def __init__(self, doc_id: str) -> None:
        self.doc_id = doc_id
        super().__init__(f"document {doc_id!r} already exists")


class TagExists(KtagError):
    code = "tag_exists"

    def __init__(self, tag: str) -> None:
        self.tag = tag
        super().__init__(f"tag {tag!r} already exists")


class TagInUse(KtagError):
    code = "tag_in_use"

    def __init__(self, tag: str, count: int) -> None:
        self.tag, self.count = tag, count
        super().__init__(
            f"tag {tag!r} is used by {count} document(s): give 'migrate_to' (another tag) or 'drop' (true) to delete it"
        )


class PreconditionFailed(KtagError):
    """A write whose If-Match names a revision that is no longer current."""

    code = "precondition_failed"

    def __init__(self, doc_id: str, expected: str, actual: str) -> None:
        self.doc_id = doc_id
        super().__init__(f"document {doc_id!r} changed (If-Match {expected}, current {actual}); reload and retry")


class InvalidValue(KtagError):
    """A field with a value the store cannot accept (bad id, empty text, wrong type…)."""

    code = "invalid"


class TextTooLong(KtagError):
    code = "text_too_long"

    def __init__(self, length: int, limit: int) -> None:
        super().__init__(f"text has {length} characters; the limit is {limit}")


class JobConflict(KtagError):
    code = "job_running"

    def __init__(self, job_id: str) -> None:
        self.job_id = job_id
        self.details = {"job": job_id}
        super().__init__(f"a training job is already running: {job_id}")


class JobNotFound(KtagError):
    code = "job_not_found"

    def __init__(self, job_id: str) -> None:
        super().__init__(f"no job {job_id!r}")


class StoreUnavailable(KtagError):
    """The label store cannot be written (read-only folder or file, full disk, locked too long), or
    not even read (a read-only folder without SQLite's shared-memory file)."""

    code = "store_unavailable"

    def __init__(self, reason: str, reading: bool = False) -> None:
        self.reason = reason
        if reading:
            super().__init__(f"the label store cannot be read just now ({reason}): it cannot be written either")
        else:
            super().__init__(f"the label store cannot be written just now ({reason}); nothing was changed")
