"""Model scores of stored documents, cached per worker by (model version, document revision).

Ranking the pool for suggestions scores every document waiting for labels; Kiwi makes that the
slow part (milliseconds per article). A document is scored again only when its revision or the
served model version changes, so a review session pays for the pool once per model.
"""
from __future__ import annotations

import threading
from collections.abc import Sequence

import numpy as np

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
