"""A tag's share in the stream being tagged: scores and thresholds for it, and its estimate.

A calibrated score is a probability under the share of the tag in the training data. A real news
stream holds far fewer on-topic articles than labelled data does, and a tag's best threshold
depends on that share: at 0.3% a cut that lets through 1% of the off-topic articles yields mostly
false tags. Given the stream's share ``q`` of a tag whose training share was ``p``, Bayes' rule
moves a score ``s`` to ``s' = r s / (r s + (1 - s))`` with ``r = (q / p) / ((1 - q) / (1 - p))``
(Saerens, Latinne and Decaestecker 2002). The threshold is chosen again for F1 at share ``q``
from the out-of-fold true- and false-positive rates, which do not depend on the share:
precision at ``q`` is ``q TPR / (q TPR + (1 - q) FPR)``.

Without a stated share, it can be estimated from unlabelled documents of the stream by the same
paper's EM: adjust the scores to a guess of the share, take their mean as the next guess, repeat.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from .exceptions import InvalidValue

# Shares are kept away from 0 and 1, where the odds ratio above is infinite.
_EPS = 1e-6


def check_share(tag: str, value: object) -> float:
    """A share must be a number strictly between 0 and 1."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < float(value) < 1:
        raise InvalidValue(f"the share of tag {tag!r} must be a number between 0 and 1 (exclusive), not {value!r}")
    return float(value)


def parse_shares(items: Sequence[str], tags: Sequence[str] | None) -> dict[str, float]:
    """``TAG=SHARE`` strings (a command line's ``--share``) as a dict, checked against ``tags``
    (``None``: values only, before the tags are known)."""
    from .exceptions import UnknownTag

    out: dict[str, float] = {}
    for item in items:
        tag, sep, raw = item.partition("=")
        if not sep:
            raise InvalidValue(f"--share expects TAG=SHARE (e.g. metaverse=0.004), not {item!r}")
        tag = tag.strip()
        if tags is not None and tag not in tags:
            raise UnknownTag(tag, list(tags))
        try:
            value: object = float(raw)
        except ValueError:
            value = raw
        out[tag] = check_share(tag, value)
    return out


def odds_ratio(train_share: np.ndarray, share: np.ndarray) -> np.ndarray:
    p = np.clip(train_share, _EPS, 1 - _EPS)
    q = np.clip(share, _EPS, 1 - _EPS)
    return (q / p) / ((1 - q) / (1 - p))


def adjust(scores: np.ndarray, train_share: np.ndarray, share: np.ndarray, exclusive: bool = False) -> np.ndarray:
    """Scores (documents × tags) moved from the training shares to ``share`` (per tag). In
    exclusive mode the classes' scores are reweighted and summed to 1 again."""
    scores = np.atleast_2d(np.asarray(scores, dtype=float))
    if exclusive:
        weighted = scores * (np.clip(share, _EPS, 1) / np.clip(train_share, _EPS, 1))
        return weighted / np.maximum(weighted.sum(axis=1, keepdims=True), 1e-300)
    r = odds_ratio(np.asarray(train_share), np.asarray(share))
    return r * scores / (r * scores + (1 - scores))


def roc_table(scores: np.ndarray, y: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
    """``(cut, TPR, FPR)`` rows for out-of-fold ``scores`` of one tag: a cut just below each
    positive's score (the only cuts at which F1 can peak, whatever the share), with the weighted
    true- and false-positive rates of ``scores >= cut``."""
    w = np.ones(len(y)) if weights is None else np.asarray(weights, dtype=float)
    y = np.asarray(y, dtype=bool)
    order = np.argsort(-scores, kind="stable")
    s, t, w = scores[order], y[order], w[order]
    pos, neg = (t * w).sum(), (~t * w).sum()
    if pos == 0 or neg == 0:
        return np.zeros((0, 3))
    tpr, fpr = np.cumsum(t * w) / pos, np.cumsum(~t * w) / neg
    last = np.r_[s[1:] != s[:-1], True]  # cut only between distinct scores
    # Keep the last index of each run of equal scores whose run holds a positive.
    run_id = np.cumsum(np.r_[True, s[1:] != s[:-1]])
    has_positive = np.zeros(run_id[-1] + 1, dtype=bool)
    np.logical_or.at(has_positive, run_id, t)
    keep = last & has_positive[run_id]
    below = np.r_[s[1:], 0.0]
    cuts = (s + below) / 2
    return np.c_[cuts[keep], tpr[keep], fpr[keep]]


def f1_at_share(tpr: np.ndarray, fpr: np.ndarray, share: float) -> np.ndarray:
    """Expected F1 on a stream where the tag has ``share``, from its TPR and FPR."""
    precision = share * tpr / np.maximum(share * tpr + (1 - share) * fpr, 1e-300)
    return 2 * precision * tpr / np.maximum(precision + tpr, 1e-300)


def precision_at_share(tpr: float, fpr: float, share: float) -> float:
    denominator = share * tpr + (1 - share) * fpr
    return float(share * tpr / denominator) if denominator > 0 else 0.0


def cut_for_share(roc: np.ndarray, share: float, lo: float = 0.005, hi: float = 0.995) -> float | None:
    """The score cut (in training-share scores) with the best F1 at ``share``; ``None`` when the
    table is empty (too few examples to choose)."""
    if not len(roc):
        return None
    f1 = f1_at_share(roc[:, 1], roc[:, 2], share)
    best = np.flatnonzero(f1 >= f1.max() - 1e-12)
    return float(np.clip(roc[best[0], 0], lo, hi))  # ties: the highest cut, fewest false tags


def estimate_shares(
    scores: np.ndarray, train_share: np.ndarray, exclusive: bool = False, iterations: int = 200, tol: float = 1e-7
) -> np.ndarray:
    """Each tag's share in the documents whose training-share ``scores`` are given, by EM."""
    scores = np.atleast_2d(np.asarray(scores, dtype=float))
    if not len(scores):
        raise InvalidValue("cannot estimate shares from no documents")
    share = np.clip(np.asarray(train_share, dtype=float), _EPS, 1 - _EPS)
    for _ in range(iterations):
        new = np.clip(adjust(scores, train_share, share, exclusive).mean(axis=0), _EPS, 1 - _EPS)
        if np.abs(new - share).max() < tol:
            return new
        share = new
    return share


def shares_vector(tags: Sequence[str], shares: Mapping[str, float] | None, default: np.ndarray) -> np.ndarray:
    """A share per tag: the given one, else ``default`` (the training share: no adjustment)."""
    out = np.array(default, dtype=float)
    for k, tag in enumerate(tags):
        if shares and tag in shares:
            out[k] = shares[tag]
    return out


__all__ = [
    "adjust",
    "check_share",
    "cut_for_share",
    "estimate_shares",
    "f1_at_share",
    "parse_shares",
    "precision_at_share",
    "roc_table",
    "shares_vector",
]
