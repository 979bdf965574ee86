"""Model scores of stored documents, cached per worker by (model version, document revision), and
the served version's out-of-fold record.

Ranking the pool for suggestions scores every document waiting for labels; Kiwi makes that the
slow part (milliseconds per article). A document is scored again only when its revision or the
served model version changes, so a review session pays for the pool once per model.
"""
from __future__ import annotations

import threading
from collections.abc import Sequence

import numpy as np

from classifier.crossval import CrossVal
from classifier.exceptions import ModelNotFound
from classifier.registry import ModelRegistry
from classifier.store import StoredDocument
from classifier.tagger import Tagger

BATCH = 64


class ScoreCache:
    def __init__(self, limit: int = 200_000) -> None:
        self.limit = limit
        self._lock = threading.Lock()
        self._version: str | None = None
        self._rows: dict[str, tuple[int, np.ndarray]] = {}

    def scores(self, version: str, tagger: Tagger, docs: Sequence[StoredDocument]) -> np.ndarray:
        """Documents × tags scores of ``docs`` under model ``version``."""
        with self._lock:
            if version != self._version:
                self._version, self._rows = version, {}
            rows = dict(self._rows)
        missing = [d for d in docs if rows.get(d.id, (None,))[0] != d.revision]
        for start in range(0, len(missing), BATCH):
            batch = missing[start:start + BATCH]
            for doc, row in zip(batch, tagger.scores([d.full_text for d in batch])):
                rows[doc.id] = (doc.revision, row)
        with self._lock:
            if version == self._version:
                if len(rows) > self.limit:
                    rows = {d.id: rows[d.id] for d in docs[: self.limit]}
                self._rows = rows
        if not docs:
            return np.zeros((0, len(tagger.tags)))
        return np.array([rows[d.id][1] for d in docs])


class CrossValCache:
    """Each model version's out-of-fold record (``classifier.crossval``), read once per worker."""

    def __init__(self, registry: ModelRegistry) -> None:
        self.registry = registry
        self._lock = threading.Lock()
        self._loaded: dict[str, CrossVal | None] = {}

    def get(self, version: str) -> CrossVal | None:
        """``None`` for a version without one (trained without folds, or not in the registry)."""
        with self._lock:
            if version not in self._loaded:
                try:
                    record = self.registry.crossval(version)
                except ModelNotFound:
                    record = None
                self._loaded = {version: record}  # only the served one is kept
            return self._loaded[version]
