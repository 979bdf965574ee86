"""Label-issue detection: labelled documents whose stored tags the model confidently contradicts.

Confident learning (Northcutt, Jiang and Chuang, "Confident Learning: Estimating Uncertainty in
Dataset Labels", JAIR 2021), written here from the paper:

1. Out-of-fold scores: every document is scored by a model that did not see it (near-duplicates
   kept on one side, ``classifier.evaluate``).
2. Per-class thresholds: the mean score of a class over the documents labelled with it. A
   document *confidently* belongs to a class when its score reaches that class's threshold (the
   highest such class when several do).
3. The confident joint counts documents by (stored label, confident class). Its off-diagonal
   cells, rescaled so that each row sums to the number of documents stored with that label, say
   how many labels of each kind are wrong ("prune by noise rate"): for cell (i, j), that many of
   the documents stored as i are flagged, those where j outscores i by the largest margin.
4. Flagged documents are ranked by self-confidence, the score of their stored label: the lower,
   the more suspect.

Single-label data are one K-class problem. Multi-label data are one binary problem per tag (does
the document carry it or not), as the paper's multi-label variant does; a document's quality is
that of its most doubtful tag.
"""
from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from .cache import MorphemeCache
from .evaluate import cross_validate
from .training import Dataset, make_factory


@dataclass
class Issue:
    """One contradicted tag: whether it is stored, and the model's out-of-fold score for it."""

    tag: str
    stored: bool
    score: float

    def to_dict(self) -> dict[str, object]:
        return {"tag": self.tag, "stored": self.stored, "score": round(self.score, 4)}


@dataclass
class Suspect:
    """A labelled document (``index`` into the data) whose stored tags look wrong."""

    index: int
    quality: float  # self-confidence of the most doubtful stored decision, in [0, 1]
    issues: list[Issue] = field(default_factory=list)


def _confident_class(P: np.ndarray, thresholds: np.ndarray) -> np.ndarray:
    """Per row, the highest-scoring class whose score reaches its threshold; -1 where none does."""
    above = P >= thresholds
    masked = np.where(above, P, -np.inf)
    best = masked.argmax(axis=1)
    best[~above.any(axis=1)] = -1
    return best


def _flag(P: np.ndarray, labels: np.ndarray, prune: bool = True) -> np.ndarray:
    """Confident learning on one K-class problem (scores ``P``, stored ``labels``): a boolean per
    row, True where the label is flagged as an issue: by "prune by noise rate", or (``prune``
    false) every document in an off-diagonal cell of the confident joint."""
    n, k = P.shape
    counts = np.bincount(labels, minlength=k)
    thresholds = np.array([P[labels == j, j].mean() if counts[j] else np.inf for j in range(k)])
    confident = _confident_class(P, thresholds)
    joint = np.zeros((k, k))
    sure = confident >= 0
    if not prune:
        return sure & (confident != labels)
    np.add.at(joint, (labels[sure], confident[sure]), 1)
    row_sums = joint.sum(axis=1, keepdims=True)
    calibrated = np.divide(joint, row_sums, out=np.zeros_like(joint), where=row_sums > 0) * counts[:, None]
    flagged = np.zeros(n, dtype=bool)
    for i in range(k):
        for j in range(k):
            if i == j:
                continue
            quota = int(round(calibrated[i, j]))
            if quota <= 0:
                continue
            # Among all documents stored as i (not only those counted in the cell), as the
            # paper's "prune by noise rate": those that j outscores i by the most.
            rows = np.flatnonzero(labels == i)
            margin = P[rows, j] - P[rows, i]
            flagged[rows[np.argsort(-margin, kind="stable")[:quota]]] = True
    return flagged


def find_suspects(scores: np.ndarray, Y: np.ndarray, tags: Sequence[str], exclusive: bool) -> list[Suspect]:
    """Documents whose stored tags (0/1 matrix ``Y``) the out-of-fold ``scores`` confidently
    contradict, most suspect first."""
    scores = np.asarray(scores, dtype=float)
    Y = np.asarray(Y, dtype=np.int8)
    if exclusive:
        return _exclusive_suspects(scores, Y, tags)
    suspects: dict[int, Suspect] = {}
    for k, tag in enumerate(tags):
        y = Y[:, k].astype(np.int64)
        if y.min() == y.max():
            continue  # a tag that every document (or none) carries: nothing to contradict
        P = np.c_[1 - scores[:, k], scores[:, k]]
        for i in np.flatnonzero(_flag(P, y)).tolist():
            quality = float(P[i, y[i]])
            entry = suspects.setdefault(i, Suspect(i, quality))
            entry.quality = min(entry.quality, quality)
            entry.issues.append(Issue(tag, bool(y[i]), float(scores[i, k])))
    return sorted(suspects.values(), key=lambda s: (s.quality, s.index))


def _exclusive_suspects(scores: np.ndarray, Y: np.ndarray, tags: Sequence[str]) -> list[Suspect]:
    labels = Y.argmax(axis=1)
    P = scores / np.maximum(scores.sum(axis=1, keepdims=True), 1e-300)
    out = []
    for i in np.flatnonzero(_flag(P, labels)).tolist():
        given = int(labels[i])
        others = np.delete(np.arange(P.shape[1]), given)
        best = int(others[P[i, others].argmax()])
        issues = [Issue(tags[given], True, float(P[i, given])), Issue(tags[best], False, float(P[i, best]))]
        out.append(Suspect(i, float(P[i, given]), issues))
    return sorted(out, key=lambda s: (s.quality, s.index))


def flip_labels(Y: np.ndarray, fraction: float, exclusive: bool, random_state: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A copy of ``Y`` with ``fraction`` of its labels flipped at random, and the flipped rows: in
    exclusive mode a document's class becomes another class; in multi-label mode one (document,
    tag) decision per chosen document is inverted. For measuring detection (benchmarks)."""
    rng = np.random.default_rng(random_state)
    Y = np.array(Y, dtype=np.int8, copy=True)
    n, k = Y.shape
    rows = rng.choice(n, size=int(round(fraction * n)), replace=False)
    for i in rows.tolist():
        if exclusive:
            current = int(Y[i].argmax())
            new = int(rng.choice([j for j in range(k) if j != current]))
            Y[i] = 0
            Y[i, new] = 1
        else:
            j = int(rng.integers(k))
            Y[i, j] = 1 - Y[i, j]
    return Y, np.sort(rows)


def precision_at_k(suspects: Sequence[Suspect], flipped: np.ndarray, k: int | None = None) -> float:
    """The share of the top ``k`` suspects (default: as many as were flipped) that were flipped."""
    k = len(flipped) if k is None else k
    if k <= 0:
        return 0.0
    truth = set(np.asarray(flipped).tolist())
    top = [s.index for s in suspects[:k]]
    return sum(1 for i in top if i in truth) / k




def dataset_suspects(
    dataset: Dataset, *, folds: int = 5, cache: MorphemeCache | None = None, clean: bool = True, n_jobs: int | None = None
) -> list[Suspect]:
    """The suspects of a labelled dataset: its documents cross-validated (``folds``, near-duplicates
    kept together) with the settings ``ktag train`` would use, then confident learning."""
    factory = make_factory(dataset.taxonomy, dataset.user_words, dataset.settings_features(), dataset.settings_model(), clean)
    tagger = factory()
    docs = tagger.analyse(dataset.texts, cache=cache)
    _, scores = cross_validate(factory, docs, dataset.tag_lists, folds=folds, n_jobs=n_jobs or os.cpu_count() or 1)
    return find_suspects(scores, tagger.indicator(dataset.tag_lists), tagger.tags, tagger.exclusive)


__all__ = ["Issue", "Suspect", "dataset_suspects", "find_suspects", "flip_labels", "precision_at_k"]
