"""The out-of-fold scores of a model's training documents, kept beside the model version.

A retrain cross-validates anyway (for its metrics); keeping each training document's out-of-fold
scores lets the service list the documents whose stored tags the model confidently contradicts
(``classifier.suspects``) without training again. A document's text fingerprint is kept too: a
score is only used while the text it was computed on is unchanged.

Stored as ``crossval.npz`` of plain arrays (ids, fingerprints, scores), read with
``allow_pickle=False``: loading it can never run code.
"""
from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .exceptions import ModelIntegrityError

CROSSVAL_FILE = "crossval.npz"


def fingerprint(text: str) -> str:
    """A short digest of a document's full text (title and body, as the model saw them)."""
    return hashlib.blake2b(text.encode("utf-8"), digest_size=8).hexdigest()


@dataclass
class CrossVal:
    """Out-of-fold scores (documents × tags) of the documents ``ids`` with texts ``fingerprints``."""

    tags: list[str]
    ids: list[str]
    fingerprints: list[str]
    scores: np.ndarray

    @classmethod
    def of(cls, tags: Sequence[str], ids: Sequence[str], texts: Sequence[str], scores: np.ndarray) -> CrossVal:
        return cls(list(tags), list(ids), [fingerprint(t) for t in texts], np.asarray(scores, dtype=np.float32))

    def save(self, directory: str | Path) -> Path:
        path = Path(directory) / CROSSVAL_FILE
        np.savez_compressed(
            path,
            tags=np.array(self.tags, dtype=str),
            ids=np.array(self.ids, dtype=str),
            fingerprints=np.array(self.fingerprints, dtype=str),
            scores=self.scores,
        )
        return path

    @classmethod
    def load(cls, directory: str | Path) -> CrossVal | None:
        """The record of a version folder, ``None`` when it has none (trained without folds)."""
        path = Path(directory) / CROSSVAL_FILE
        if not path.is_file():
            return None
        try:
            with np.load(path, allow_pickle=False) as data:
                out = cls(data["tags"].tolist(), data["ids"].tolist(), data["fingerprints"].tolist(), data["scores"])
        except (OSError, ValueError, KeyError) as exc:
            raise ModelIntegrityError(path, f"unreadable cross-validation record: {exc}") from exc
        if out.scores.shape != (len(out.ids), len(out.tags)) or len(out.fingerprints) != len(out.ids):
            raise ModelIntegrityError(path, "cross-validation record arrays do not match")
        return out

    def rows_for(self, ids: Sequence[str], texts: Sequence[str]) -> np.ndarray:
        """The row of each document (by id) whose text is unchanged, -1 where there is none."""
        index = {doc_id: i for i, doc_id in enumerate(self.ids)}
        rows = np.full(len(ids), -1, dtype=np.int64)
        for n, (doc_id, text) in enumerate(zip(ids, texts)):
            i = index.get(doc_id)
            if i is not None and self.fingerprints[i] == fingerprint(text):
                rows[n] = i
        return rows


__all__ = ["CROSSVAL_FILE", "CrossVal", "fingerprint"]
