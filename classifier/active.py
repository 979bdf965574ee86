"""Active learning: which unlabelled documents would teach the model most if labelled.

A document is informative when the model is unsure about it: in multi-label mode, some tag's score
sits close to that tag's threshold; in single-label mode, the two best tags score nearly alike.
Ranking streams through the pool keeping only the ``n`` most uncertain, so a pool of any size fits
in memory.
"""
from __future__ import annotations

import heapq
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import count, islice

import numpy as np

from .inputs import InputDocument
from .tagger import Tagger


def uncertainty_margin(scores: np.ndarray, thresholds: np.ndarray, exclusive: bool) -> np.ndarray:
    """Per document (row), how far the model is from changing its mind; smaller is less sure."""
    scores = np.atleast_2d(scores)
    if exclusive:
        if scores.shape[1] < 2:
            return np.ones(scores.shape[0])
        top = np.sort(scores, axis=1)
        return top[:, -1] - top[:, -2]
    return np.abs(scores - thresholds).min(axis=1)


@dataclass
class Suggestion:
    doc: InputDocument
    margin: float
    tags: list[str]
    scores: dict[str, float]


def suggest(
    tagger: Tagger,
    pool: Iterable[InputDocument],
    n: int = 20,
    skip_ids: set[str] | frozenset[str] = frozenset(),
    batch_size: int = 256,
) -> list[Suggestion]:
    """The ``n`` documents of ``pool`` the model is least sure about (smallest margin first),
    leaving out ids in ``skip_ids`` (documents already labelled)."""
    thresholds = tagger._check().thresholds_
    heap: list[tuple[float, int, Suggestion]] = []  # max-heap on margin via negation
    order = count()
    docs = (d for d in pool if d.id not in skip_ids)
    while batch := list(islice(docs, batch_size)):
        analysed = tagger.analyse([d.full_text for d in batch])
        scores = tagger.scores_analysed(analysed)
        margins = uncertainty_margin(scores, thresholds, tagger.exclusive)
        results = tagger.tag_analysed(analysed)
        for doc, margin, result in zip(batch, margins, results):
            item = (-float(margin), next(order), Suggestion(doc, round(float(margin), 4), result.tags, result.scores))
            if len(heap) < n:
                heapq.heappush(heap, item)
            elif item[0] > heap[0][0]:
                heapq.heapreplace(heap, item)
    return [s for _, _, s in sorted(heap, key=lambda x: (-x[0], x[1]))]
