"""Metrics and cross-validation for taggers: per-tag P/R/F1, micro/macro averages, hamming loss
(multi-label) or accuracy and a confusion matrix (single-label), calibration of the scores (ECE,
Brier), and learning curves."""
from __future__ import annotations

import unicodedata
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from sklearn.metrics import accuracy_score, confusion_matrix, hamming_loss, precision_recall_fscore_support
from sklearn.model_selection import KFold, StratifiedKFold

from .calibration import calibration_report
from .exceptions import TrainingError
from .features import Analysed
from .tagger import Tagger


def _prf(Y_true: np.ndarray, Y_pred: np.ndarray, average: str | None) -> Any:
    return precision_recall_fscore_support(Y_true, Y_pred, average=average, zero_division=0)


def report(Y_true: np.ndarray, Y_pred: np.ndarray, tags: Sequence[str], exclusive: bool) -> dict[str, Any]:
    """Metrics of 0/1 predictions against 0/1 truth (documents × tags)."""
    p, r, f, support = _prf(Y_true, Y_pred, None)
    out: dict[str, Any] = {
        "documents": int(Y_true.shape[0]),
        "exclusive": exclusive,
        "per_tag": {
            t: {"precision": float(p[i]), "recall": float(r[i]), "f1": float(f[i]), "support": int(support[i])}
            for i, t in enumerate(tags)
        },
    }
    for average in ("micro", "macro"):
        ap, ar, af, _ = _prf(Y_true, Y_pred, average)
        out[average] = {"precision": float(ap), "recall": float(ar), "f1": float(af)}
    if exclusive:
        y_true, y_pred = Y_true.argmax(axis=1), Y_pred.argmax(axis=1)
        out["accuracy"] = float(accuracy_score(y_true, y_pred))
        out["confusion"] = confusion_matrix(y_true, y_pred, labels=list(range(len(tags)))).tolist()
    else:
        out["hamming_loss"] = float(hamming_loss(Y_true, Y_pred))
    return out


def split(Y: np.ndarray, folds: int, exclusive: bool, random_state: int = 0) -> list[tuple[np.ndarray, np.ndarray]]:
    """K folds over the documents; stratified by tag in exclusive mode when every tag allows it."""
    n = Y.shape[0]
    if folds < 2:
        raise TrainingError("cross-validation needs at least 2 folds")
    if n < folds:
        raise TrainingError(f"{n} documents are too few for {folds}-fold cross-validation")
    if exclusive:
        labels = Y.argmax(axis=1)
        if np.bincount(labels, minlength=Y.shape[1])[np.unique(labels)].min() >= folds:
            return list(StratifiedKFold(folds, shuffle=True, random_state=random_state).split(np.zeros(n), labels))
    return list(KFold(folds, shuffle=True, random_state=random_state).split(np.zeros(n)))


def cross_validate(
    make_tagger: Callable[[], Tagger],
    docs: Sequence[Analysed],
    tag_lists: Sequence[Sequence[str]],
    folds: int = 5,
    random_state: int = 0,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[dict[str, Any], np.ndarray]:
    """K-fold cross-validation of freshly made taggers; returns the report and out-of-fold scores.

    Each fold fits a whole tagger (features, models, its own thresholds) on the other folds only.
    """
    prototype = make_tagger()
    Y = prototype.indicator(tag_lists)
    scores = np.zeros(Y.shape)
    Y_pred = np.zeros_like(Y)
    splits = split(Y, folds, prototype.exclusive, random_state)
    for i, (train, test) in enumerate(splits):
        tagger = make_tagger().fit_analysed([docs[j] for j in train], [tag_lists[j] for j in train])
        test_docs = [docs[j] for j in test]
        scores[test] = tagger.scores_analysed(test_docs)
        Y_pred[test] = tagger.indicator([r.tags for r in tagger.tag_analysed(test_docs)])
        if progress:
            progress(i + 1, len(splits))
    rep = report(Y, Y_pred, prototype.tags, prototype.exclusive)
    rep["calibration"] = calibration_report(scores, Y, prototype.tags)
    return rep, scores


def holdout(tagger: Tagger, docs: Sequence[Analysed], tag_lists: Sequence[Sequence[str]]) -> tuple[dict[str, Any], np.ndarray]:
    """Metrics of a fitted tagger on labelled test documents, and its scores of them."""
    Y = tagger.indicator(tag_lists)
    scores = tagger.scores_analysed(docs)
    Y_pred = tagger.indicator([r.tags for r in tagger.tag_analysed(docs)])
    rep = report(Y, Y_pred, tagger.tags, tagger.exclusive)
    rep["calibration"] = calibration_report(scores, Y, tagger.tags)
    return rep, scores


def learning_curve(
    make_tagger: Callable[[], Tagger],
    docs: Sequence[Analysed],
    tag_lists: Sequence[Sequence[str]],
    fractions: Sequence[float] = (0.1, 0.25, 0.5, 0.75, 1.0),
    folds: int = 5,
    random_state: int = 0,
) -> list[tuple[int, float]]:
    """Macro-F1 on held-out folds against the number of training documents: each fold's training
    part is cut to each fraction (the same random order for every fraction)."""
    prototype = make_tagger()
    Y = prototype.indicator(tag_lists)
    rng = np.random.default_rng(random_state)
    points = []
    splits = split(Y, folds, prototype.exclusive, random_state)
    for fraction in fractions:
        predicted, sizes = np.zeros_like(Y), []
        for train, test in splits:
            chosen = rng.permutation(train)[: max(2, int(round(fraction * len(train))))] if fraction < 1 else train
            tagger = make_tagger().fit_analysed([docs[j] for j in chosen], [tag_lists[j] for j in chosen])
            predicted[test] = tagger.indicator([r.tags for r in tagger.tag_analysed([docs[j] for j in test])])
            sizes.append(len(chosen))
        points.append((int(np.mean(sizes)), float(_prf(Y, predicted, "macro")[2])))
    return points


def _width(text: str) -> int:
    """Terminal columns: Korean (East Asian wide) characters take two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _ljust(text: str, width: int) -> str:
    return text + " " * max(0, width - _width(text))


def _rjust(text: str, width: int) -> str:
    return " " * max(0, width - _width(text)) + text


def format_report(rep: dict[str, Any], tags: Sequence[str] | None = None) -> str:
    """A console table of a report."""
    tags = list(tags or rep["per_tag"])
    width = max([len("micro avg")] + [_width(t) for t in tags])
    lines = [f"{_ljust('tag', width)}  precision  recall     f1  support"]
    for t in tags:
        m = rep["per_tag"][t]
        lines.append(f"{_ljust(t, width)}  {m['precision']:9.3f}  {m['recall']:6.3f}  {m['f1']:5.3f}  {m['support']:7d}")
    for avg in ("micro", "macro"):
        m = rep[avg]
        lines.append(f"{_ljust(avg + ' avg', width)}  {m['precision']:9.3f}  {m['recall']:6.3f}  {m['f1']:5.3f}  {rep['documents']:7d}")
    if "accuracy" in rep:
        lines.append(f"accuracy {rep['accuracy']:.3f}")
        lines.append("confusion matrix (rows: true, columns: predicted)")
        cell = max(7, max(_width(t) for t in tags) + 1)
        lines.append(" " * (width + 2) + "".join(_rjust(t, cell) for t in tags))
        for t, row in zip(tags, rep["confusion"]):
            lines.append(f"{_ljust(t, width)}  " + "".join(f"{v:>{cell}d}" for v in row))
    else:
        lines.append(f"hamming loss {rep['hamming_loss']:.4f}")
    if "calibration" in rep:
        lines.append("calibration of the scores (expected calibration error, Brier score)")
        for t in tags:
            c = rep["calibration"][t]
            lines.append(f"{_ljust(t, width)}  ECE {c['ece']:.3f}  Brier {c['brier']:.3f}")
    return "\n".join(lines)
