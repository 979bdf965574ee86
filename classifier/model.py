"""One-vs-rest linear models with calibrated per-tag scores in [0, 1] and per-tag thresholds.

Every tag gets its own binary linear classifier (hinge: ``LinearSVC``; log: ``LogisticRegression``);
the fitted weights are stacked into one matrix so that scoring a document is ``X @ W.T + b``, one
sparse-dense product instead of a Python loop over estimators. Out-of-fold decision values (from
models that did not see the document) calibrate each tag's score and choose its threshold (best
F1). In exclusive (single-label) mode the scores are normalised to sum to 1 and the best tag is
always the prediction.

A tag may also come with a prior score per document (keyword evidence, ``classifier/keywords.py``).
Calibration: a tag with enough examples (``min_examples`` positives and negatives) gets a logistic
map fitted on its out-of-fold decisions and, when it has keywords, its prior too, so that the data
says how much each counts and a score of 0.8 means that about 80% of such documents carry the tag.
A tag with fewer examples keeps a default map and leans on its prior, less as examples accumulate:
``w * model + (1 - w) * prior`` with ``w = n / (n + prior_weight)`` for ``n`` positive documents.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from scipy import sparse
from sklearn.base import BaseEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold, KFold, StratifiedGroupKFold, StratifiedKFold
from sklearn.svm import LinearSVC

from .genre import GENRES, genre_weights
from .shares import roc_table

LOSSES = ("hinge", "log")
# Decision value given to a tag that every (or no) training document carries.
_CONSTANT_DECISION = 4.0
# Platt slope used when a tag has too few examples to fit one: hinge margins sit at ±1.
_DEFAULT_SLOPE = {"hinge": 2.0, "log": 1.0}


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(z, -35.0, 35.0)))


class LinearTagModel(BaseEstimator):
    """Multi-label (or exclusive) linear tagger over a feature matrix and a 0/1 tag matrix ``Y``."""

    def __init__(
        self,
        exclusive: bool = False,
        loss: str = "hinge",
        C: float = 0.5,
        class_weight: str | None = None,
        threshold_folds: int = 3,
        min_examples: int = 5,
        prior_weight: float = 16.0,
        balance_genres: bool = True,
        calibrate_genres: bool = True,
        random_state: int = 0,
    ) -> None:
        self.exclusive = exclusive
        self.loss = loss
        self.C = C
        self.class_weight = class_weight
        self.threshold_folds = threshold_folds
        self.min_examples = min_examples
        self.prior_weight = prior_weight
        self.balance_genres = balance_genres
        self.calibrate_genres = calibrate_genres
        self.random_state = random_state

    # -- fitting -----------------------------------------------------------------------------
    def fit(
        self,
        X: sparse.spmatrix,
        Y: np.ndarray,
        prior: np.ndarray | None = None,
        *,
        groups: np.ndarray | None = None,
        genre: np.ndarray | None = None,
    ) -> LinearTagModel:
        """``prior``: documents × tags prior scores, NaN where a tag has none (or ``None``).
        ``groups``: near-duplicate groups (``classifier.groups``), kept on one side of every inner
        fold. ``genre``: a genre per document (``classifier.genre``); with ``balance_genres``,
        each tag's documents are weighted so that the tag is as common in every genre as in the
        largest one, and genre cannot stand in for topic."""
        if self.loss not in LOSSES:
            raise ValueError(f"loss must be one of {LOSSES}, not {self.loss!r}")
        Y = np.asarray(Y, dtype=np.int8)
        self.n_tags_ = Y.shape[1]
        W = genre_weights(Y, genre) if self.balance_genres and genre is not None else np.ones(Y.shape)
        # The share of each tag that the calibrated scores are relative to (classifier.shares).
        self.train_share_ = (W * Y).sum(axis=0) / W.sum(axis=0)
        self.blend_ = self._blend_weights(Y, prior)
        oof = self._out_of_fold_decisions(X, Y, W, groups)
        genre = np.zeros(Y.shape[0], dtype=np.int8) if genre is None else np.asarray(genre, dtype=np.int8)
        self._fit_per_genre(oof, Y, prior, W, genre)
        coef, self.intercept_ = self._fit_linear(X, Y, W)
        # Stored features × tags, C-contiguous: ``X @ weights_`` then needs no copy of the matrix.
        self.weights_ = np.ascontiguousarray(coef.T)
        return self

    def _blend_weights(self, Y: np.ndarray, prior: np.ndarray | None) -> np.ndarray:
        """The model's share of each tag's score: 1 where the tag has no prior."""
        weights = np.ones(Y.shape[1])
        if prior is not None:
            has_prior = ~np.isnan(prior).all(axis=0)
            positives = Y.sum(axis=0)
            weights[has_prior] = positives[has_prior] / (positives[has_prior] + self.prior_weight)
        return weights

    @property
    def coef_(self) -> np.ndarray:
        """Weights as tags × features (a view)."""
        return self.weights_.T

    def _fit_linear(self, X: sparse.spmatrix, Y: np.ndarray, W: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        n_tags = Y.shape[1]
        coef = np.zeros((n_tags, X.shape[1]))
        intercept = np.zeros(n_tags)
        for k in range(n_tags):
            y = Y[:, k]
            if y.min() == y.max():
                intercept[k] = _CONSTANT_DECISION if y[0] else -_CONSTANT_DECISION
                continue
            estimator = self._binary_estimator().fit(X, y, sample_weight=W[:, k])
            coef[k] = estimator.coef_[0]
            intercept[k] = estimator.intercept_[0]
        return coef, intercept

    def _binary_estimator(self) -> LinearSVC | LogisticRegression:
        if self.loss == "hinge":
            return LinearSVC(C=self.C, class_weight=self.class_weight, random_state=self.random_state)
        return LogisticRegression(
            C=self.C, class_weight=self.class_weight, solver="liblinear", random_state=self.random_state
        )

    def _folds(self, Y: np.ndarray, groups: np.ndarray | None = None) -> list[tuple[np.ndarray, np.ndarray]] | None:
        n = Y.shape[0]
        k = min(self.threshold_folds, n)
        if groups is not None:
            k = min(k, len(np.unique(groups)))
        if k < 2 or n < 2 * self.min_examples:
            return None
        return fold_indices(Y, k, self.exclusive, self.random_state, groups)

    def _out_of_fold_decisions(
        self, X: sparse.spmatrix, Y: np.ndarray, W: np.ndarray, groups: np.ndarray | None
    ) -> np.ndarray | None:
        folds = self._folds(Y, groups)
        if folds is None:
            return None
        oof = np.zeros(Y.shape, dtype=float)
        for train, test in folds:
            coef, intercept = self._fit_linear(X[train], Y[train], W[train])
            oof[test] = X[test] @ coef.T + intercept
        return oof

    def _enough(self, y: np.ndarray) -> bool:
        positives = int(y.sum())
        return positives >= self.min_examples and len(y) - positives >= self.min_examples

    def _fit_per_genre(
        self, oof: np.ndarray | None, Y: np.ndarray, prior: np.ndarray | None, W: np.ndarray, genre: np.ndarray
    ) -> None:
        """Calibration maps and thresholds, one set per genre (``calibration_``: genres × tags ×
        4, ``thresholds_``: genres × tags, ``roc_``: per genre, per tag). A headline and an
        article with the same decision value are not equally likely to carry the tag: each genre
        with enough examples of a tag gets its own map and threshold from its own out-of-fold
        decisions; otherwise it shares the map and threshold fitted on all documents."""
        pooled = self._fit_calibration(oof, Y, prior, W)
        n_genres = max(GENRES, int(genre.max()) + 1)
        self.calibration_ = np.stack([pooled] * n_genres)
        kinds, counts = np.unique(genre, return_counts=True)
        # The largest genre keeps the maps fitted on all documents; the others get their own.
        present = kinds[kinds != kinds[counts.argmax()]] if self.calibrate_genres and len(kinds) > 1 else np.zeros(0, dtype=np.int8)
        if oof is not None:
            for g in present.tolist():
                rows = genre == g
                own = self._fit_calibration(oof[rows], Y[rows], None if prior is None else prior[rows], W[rows])
                fitted = own[:, 3] > 0
                self.calibration_[g, fitted] = own[fitted]
        scores = None if oof is None else self._scores_from_decisions(oof, prior, genre)
        pooled_thresholds, pooled_roc = self._tune_thresholds(scores, Y, W)
        self.thresholds_ = np.stack([pooled_thresholds] * n_genres)
        self.roc_ = [list(pooled_roc) for _ in range(n_genres)]
        if scores is not None:
            for g in present.tolist():
                rows = genre == g
                thresholds, roc = self._tune_thresholds(scores[rows], Y[rows], W[rows])
                for k in range(Y.shape[1]):
                    if roc[k] is not None:
                        self.thresholds_[g, k], self.roc_[g][k] = thresholds[k], roc[k]

    def _fit_calibration(
        self, oof: np.ndarray | None, Y: np.ndarray, prior: np.ndarray | None, W: np.ndarray
    ) -> np.ndarray:
        """Per tag ``(a, c, b)``: score = sigmoid(a * decision + c * prior + b), and 1 in the last
        column where the map was fitted (0: the default map, blended with the prior). Fitted with
        the genre weights, so that a score is a probability at the tag's ``train_share_``."""
        calibration = np.tile([_DEFAULT_SLOPE[self.loss], 0.0, 0.0, 0.0], (Y.shape[1], 1))
        if oof is None:
            return calibration
        for k in range(Y.shape[1]):
            if not self._enough(Y[:, k]):
                continue
            has_prior = prior is not None and not np.isnan(prior[:, k]).all()
            features = np.c_[oof[:, k], prior[:, k]] if has_prior else oof[:, [k]]
            lr = LogisticRegression(C=100.0).fit(features, Y[:, k], sample_weight=W[:, k])
            slope, weight = float(lr.coef_[0, 0]), float(lr.coef_[0, 1]) if has_prior else 0.0
            if slope <= 0:  # a non-increasing map would invert the ranking: keep the default
                continue
            if weight < 0:  # keyword evidence must not count against its own tag: refit without it
                lr = LogisticRegression(C=100.0).fit(oof[:, [k]], Y[:, k], sample_weight=W[:, k])
                slope, weight = float(lr.coef_[0, 0]), 0.0
            calibration[k] = (slope, weight, float(lr.intercept_[0]), 1.0)
        return calibration

    def _tune_thresholds(
        self, scores: np.ndarray | None, Y: np.ndarray, W: np.ndarray
    ) -> tuple[np.ndarray, list[np.ndarray | None]]:
        """Each tag's best-F1 threshold on its out-of-fold scores, and the ROC table of those
        scores (``classifier.shares.roc_table``) from which a threshold for another share is
        chosen; ``None`` where a tag has too few examples (0.5, and no other share)."""
        roc: list[np.ndarray | None] = [None] * Y.shape[1]
        if self.exclusive:  # the best tag always wins; a user threshold may still veto it
            return np.zeros(Y.shape[1]), roc
        thresholds = np.full(Y.shape[1], 0.5)
        if scores is None:
            return thresholds, roc
        for k in range(Y.shape[1]):
            if self._enough(Y[:, k]):
                thresholds[k] = best_f1_threshold(scores[:, k], Y[:, k], weights=W[:, k])
                roc[k] = roc_table(scores[:, k], Y[:, k], W[:, k])
        return thresholds, roc

    # -- scoring -------------------------------------------------------------------------------
    def decision_function(self, X: sparse.spmatrix | Sequence[sparse.spmatrix]) -> np.ndarray:
        """``X @ W + b``. ``X`` may also be a list of column blocks (``features.blocks``): each is
        multiplied by its own rows of ``W``, which spares building the joined matrix."""
        parts = X if isinstance(X, (list, tuple)) else [X]
        decisions = np.tile(self.intercept_, (parts[0].shape[0], 1))
        start = 0
        for block in parts:
            end = start + block.shape[1]
            decisions += block @ self.weights_[start:end]
            start = end
        if start != self.weights_.shape[0]:
            raise ValueError(f"X has {start} features, the model {self.weights_.shape[0]}")
        return decisions

    def _scores_from_decisions(
        self, decisions: np.ndarray, prior: np.ndarray | None = None, genre: np.ndarray | None = None
    ) -> np.ndarray:
        """Calibrated scores: each row through the maps of its genre (default: short texts)."""
        table = self.calibration_[0 if genre is None else np.asarray(genre, dtype=np.intp)]
        a, c, b, fitted = (table[..., i] for i in range(4))  # tags, or documents × tags
        q = np.zeros_like(decisions) if prior is None else np.nan_to_num(prior)
        scores = _sigmoid(decisions * a + q * c + b)
        blend = np.where(fitted > 0, 1.0, self.blend_)
        if prior is not None and (blend < 1).any():
            scores = blend * scores + (1 - blend) * q
        if self.exclusive:
            scores = scores / scores.sum(axis=1, keepdims=True)
        return scores

    def predict_proba(
        self, X: sparse.spmatrix | Sequence[sparse.spmatrix], prior: np.ndarray | None = None, genre: np.ndarray | None = None
    ) -> np.ndarray:
        """Scores in [0, 1], one column per tag (summing to 1 per row in exclusive mode)."""
        return self._scores_from_decisions(self.decision_function(X), prior, genre)

    def thresholds_for(self, genre: np.ndarray | None, n: int) -> np.ndarray:
        """documents × tags thresholds for ``n`` documents of these genres (default: short)."""
        return self.thresholds_[np.zeros(n, dtype=np.intp) if genre is None else np.asarray(genre, dtype=np.intp)]

    def predict(self, X: sparse.spmatrix, prior: np.ndarray | None = None, genre: np.ndarray | None = None) -> np.ndarray:
        scores = self.predict_proba(X, prior, genre)
        return decide(scores, self.thresholds_for(genre, scores.shape[0]), exclusive=self.exclusive)


def fold_indices(
    Y: np.ndarray, k: int, exclusive: bool, random_state: int, groups: np.ndarray | None = None
) -> list[tuple[np.ndarray, np.ndarray]]:
    """K shuffled folds over the documents (rows of ``Y``): by group when ``groups`` is given (a
    group never spans two folds), stratified by tag in exclusive mode when every tag allows it."""
    n = Y.shape[0]
    labels = Y.argmax(axis=1) if exclusive else None
    stratify = labels is not None and np.bincount(labels)[np.unique(labels)].min() >= k
    if groups is not None:
        if stratify:
            splitter: Any = StratifiedGroupKFold(k, shuffle=True, random_state=random_state)
            return list(splitter.split(np.zeros(n), labels, groups))
        return list(GroupKFold(k, shuffle=True, random_state=random_state).split(np.zeros(n), groups=groups))
    if stratify:
        return list(StratifiedKFold(k, shuffle=True, random_state=random_state).split(np.zeros(n), labels))
    return list(KFold(k, shuffle=True, random_state=random_state).split(np.zeros(n)))


def best_f1_threshold(
    scores: np.ndarray, y: np.ndarray, lo: float = 0.05, hi: float = 0.95, weights: np.ndarray | None = None
) -> float:
    """The score threshold that maximises F1 of ``scores >= t`` against ``y`` (ties: nearest 0.5),
    each document counting ``weights`` times (default once)."""
    w = np.ones(len(y)) if weights is None else np.asarray(weights, dtype=float)
    order = np.argsort(-scores, kind="stable")
    s, t, w = scores[order], y[order], w[order]
    tp = np.cumsum(t * w)
    predicted = np.cumsum(w)
    f1 = 2 * tp / (predicted + (t * w).sum())
    # Only cut between distinct scores: the last index of each run of equal scores.
    last = np.r_[s[1:] != s[:-1], True]
    candidates = np.flatnonzero(last)
    best = f1[candidates].max()
    cuts = []
    for i in candidates[f1[candidates] >= best - 1e-12]:
        below = s[i + 1] if i + 1 < len(s) else 0.0
        cuts.append((s[i] + below) / 2)
    cut = min(cuts, key=lambda c: abs(c - 0.5))
    return float(np.clip(cut, lo, hi))


def decide(
    scores: np.ndarray,
    thresholds: np.ndarray | float,
    *,
    exclusive: bool = False,
    top_k: int | None = None,
) -> np.ndarray:
    """0/1 decisions: a tag passes when its score reaches its threshold; exclusive keeps the best
    tag only (if it passes a user threshold); ``top_k`` keeps at most the k best passing tags."""
    scores = np.atleast_2d(scores)
    passed = scores >= thresholds
    if exclusive:
        best = scores.argmax(axis=1)
        is_best = np.zeros_like(passed)
        is_best[np.arange(len(best)), best] = True
        passed &= is_best
    if top_k is not None:
        rank = np.argsort(np.argsort(-scores, axis=1), axis=1)
        passed &= rank < top_k
    return passed.astype(np.int8)
