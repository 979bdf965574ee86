"""Active learning: which unlabelled documents would teach the model most if labelled.

A document is informative when the model is unsure about it: in multi-label mode, some tag's score
sits close to that tag's threshold; in single-label mode, the scores are spread over the classes
(high entropy). Simulated on YNAT (benchmarks/learning.py), entropy picked better headlines than
the gap between the two best classes (63% vs 73% of random sampling's labels for its final score).
Ranking streams through the pool keeping only the ``n`` most uncertain, so a pool of any size fits
in memory.
"""
from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from itertools import count, islice
from pathlib import Path

import numpy as np

from .data import read_labelled
from .inputs import InputDocument, iter_documents
from .registry import ModelRegistry
from .tagger import Tagger
from .training import DEFAULT_LABELS, ensure_model


def certainty(scores: np.ndarray, thresholds: np.ndarray, exclusive: bool) -> np.ndarray:
    """Per document (row), how sure the model is, in [0, 1]; smaller is less sure. ``thresholds``:
    one per tag, or one per document and tag. Multi-label:
    the smallest distance of a tag's score from its threshold, as a share of the room on that side
    (a score of 0 or 1 is fully sure, one at the threshold not at all). Single-label: 1 - the
    entropy of the class scores over its maximum."""
    scores = np.atleast_2d(scores)
    if exclusive:
        if scores.shape[1] < 2:
            return np.ones(scores.shape[0])
        p = np.clip(scores / scores.sum(axis=1, keepdims=True), 1e-12, 1.0)
        return 1.0 - (-(p * np.log(p)).sum(axis=1)) / np.log(scores.shape[1])
    thresholds = np.clip(np.broadcast_to(thresholds, scores.shape), 1e-6, 1 - 1e-6)
    room = np.where(scores < thresholds, thresholds, 1 - thresholds)
    return (np.abs(scores - thresholds) / room).min(axis=1)


def least_certain(
    scores: np.ndarray, thresholds: np.ndarray, exclusive: bool, n: int, column: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Row indices of the ``n`` least certain documents (least first) and their certainty; with
    ``column``, certainty about that tag alone (as a multi-label tag)."""
    scores = np.atleast_2d(scores)
    if column is None:
        sure = certainty(scores, thresholds, exclusive)
    else:
        limits = np.broadcast_to(thresholds, scores.shape)[:, [column]]
        sure = certainty(scores[:, [column]], limits, exclusive=False)
    order = np.argsort(sure, kind="stable")[:n]
    return order, sure[order]


@dataclass
class Suggestion:
    doc: InputDocument
    certainty: float
    tags: list[str]
    scores: dict[str, float]


def suggest_from_files(
    registry: ModelRegistry,
    pool: Sequence[str],
    n: int = 20,
    labels: str | Path = DEFAULT_LABELS,
    say: Callable[[str], None] | None = None,
) -> tuple[str, list[Suggestion]]:
    """``ktag suggest`` as one call: the current model (the default one trained first from
    ``labels`` when no version exists), the ``n`` least certain documents of the ``pool`` inputs,
    leaving out ids already labelled in ``labels``. Returns the model's version and them."""
    version, tagger = registry.load(ensure_model(registry, labels, say))
    labels = Path(labels)
    labelled = {d.id for d in read_labelled([labels])} if labels.is_dir() else set()
    return version, suggest(tagger, iter_documents(list(pool)), n, labelled)


def suggest(
    tagger: Tagger,
    pool: Iterable[InputDocument],
    n: int = 20,
    skip_ids: set[str] | frozenset[str] = frozenset(),
    batch_size: int = 256,
) -> list[Suggestion]:
    """The ``n`` documents of ``pool`` the model is least sure about (least certain first),
    leaving out ids in ``skip_ids`` (documents already labelled)."""
    by_genre = tagger.operating_point()[1]
    heap: list[tuple[float, int, Suggestion]] = []  # max-heap on certainty via negation
    order = count()
    docs = (d for d in pool if d.id not in skip_ids)
    while batch := list(islice(docs, batch_size)):
        results = tagger.tag([d.full_text for d in batch])
        scores = np.array([[r.scores[t] for t in tagger.tags] for r in results])  # one scoring pass
        sureness = certainty(scores, by_genre[[r.genre for r in results]], tagger.exclusive)
        for doc, sure, result in zip(batch, sureness, results):
            item = (-float(sure), next(order), Suggestion(doc, round(float(sure), 4), result.tags, result.scores))
            if len(heap) < n:
                heapq.heappush(heap, item)
            elif item[0] > heap[0][0]:
                heapq.heapreplace(heap, item)
    return [s for _, _, s in sorted(heap, key=lambda x: (-x[0], x[1]))]
