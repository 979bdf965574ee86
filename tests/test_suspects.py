from __future__ import annotations

import numpy as np

from classifier.suspects import find_suspects, flip_labels, precision_at_k


def _scores(Y: np.ndarray, seed: int = 0) -> np.ndarray:
    """Out-of-fold-like scores that mostly agree with the true labels ``Y``."""
    rng = np.random.default_rng(seed)
    return np.clip(np.where(Y == 1, rng.uniform(0.6, 1.0, Y.shape), rng.uniform(0.0, 0.3, Y.shape)), 0, 1)


def test_multilabel_flips_are_found_first():
    rng = np.random.default_rng(2)
    Y = (rng.uniform(size=(500, 3)) < 0.2).astype(np.int8)
    noisy, flipped = flip_labels(Y, 0.05, exclusive=False, random_state=3)
    assert len(flipped) == 25 and (noisy != Y).any(axis=1).sum() == 25
    suspects = find_suspects(_scores(Y), noisy, ["a", "b", "c"], exclusive=False)
    # Confident learning flags only what it is sure of: nearly all it flags is a flip, and most
    # flips are flagged.
    assert precision_at_k(suspects, flipped, k=len(suspects)) >= 0.8
    assert len(suspects) >= 0.5 * len(flipped)
    top = suspects[0]
    issue = top.issues[0]
    assert issue.stored == bool(noisy[top.index, ["a", "b", "c"].index(issue.tag)])
    qualities = [s.quality for s in suspects]
    assert qualities == sorted(qualities)


def test_exclusive_flips_are_found_first():
    rng = np.random.default_rng(4)
    labels = rng.integers(0, 4, 800)
    Y = np.eye(4, dtype=np.int8)[labels]
    P = np.where(Y == 1, 0.7, 0.1) + rng.uniform(0, 0.1, Y.shape)
    P /= P.sum(axis=1, keepdims=True)
    noisy, flipped = flip_labels(Y, 0.05, exclusive=True, random_state=5)
    assert (noisy.sum(axis=1) == 1).all()
    suspects = find_suspects(P, noisy, list("abcd"), exclusive=True)
    assert precision_at_k(suspects, flipped) >= 0.9  # top k = number of flips
    first = suspects[0]
    assert first.issues[0].stored and not first.issues[1].stored


def test_clean_labels_give_few_suspects():
    rng = np.random.default_rng(6)
    Y = (rng.uniform(size=(300, 2)) < 0.3).astype(np.int8)
    assert len(find_suspects(_scores(Y), Y, ["a", "b"], exclusive=False)) <= 3


def test_precision_at_k_counts_missing_suspects_as_misses():
    assert precision_at_k([], np.array([1, 2])) == 0.0
