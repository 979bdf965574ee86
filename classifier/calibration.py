"""How far scores are from probabilities: reliability bins, expected calibration error, Brier score.

A score means what it says when, of the documents scored about 0.8 for a tag, about 80% carry it.
The expected calibration error (ECE) is the documents-weighted mean gap between the mean score and
the observed frequency over equal-width score bins; the Brier score is the mean squared error of
the scores against the 0/1 truth.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

BINS = 10


@dataclass
class Reliability:
    """Per non-empty bin: its mean score, the share of documents that carry the tag, and the count."""

    mean_score: np.ndarray
    observed: np.ndarray
    count: np.ndarray


def reliability(scores: np.ndarray, y: np.ndarray, bins: int = BINS) -> Reliability:
    scores, y = np.asarray(scores, dtype=float), np.asarray(y, dtype=float)
    index = np.minimum((scores * bins).astype(int), bins - 1)
    count = np.bincount(index, minlength=bins)
    used = count > 0
    total = np.bincount(index, weights=scores, minlength=bins)
    hits = np.bincount(index, weights=y, minlength=bins)
    return Reliability(total[used] / count[used], hits[used] / count[used], count[used])


def expected_calibration_error(scores: np.ndarray, y: np.ndarray, bins: int = BINS) -> float:
    r = reliability(scores, y, bins)
    if not r.count.sum():
        return 0.0
    return float(np.sum(r.count * np.abs(r.mean_score - r.observed)) / r.count.sum())


def brier_score(scores: np.ndarray, y: np.ndarray) -> float:
    return float(np.mean((np.asarray(scores, dtype=float) - np.asarray(y, dtype=float)) ** 2)) if len(y) else 0.0


def calibration_report(scores: np.ndarray, Y: np.ndarray, tags: list[str]) -> dict[str, dict[str, float]]:
    """ECE and Brier score per tag (columns of ``scores`` and the 0/1 matrix ``Y``)."""
    return {
        t: {"ece": expected_calibration_error(scores[:, k], Y[:, k]), "brier": brier_score(scores[:, k], Y[:, k])}
        for k, t in enumerate(tags)
    }
