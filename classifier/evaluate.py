"""Metrics and cross-validation for taggers: per-tag P/R/F1, micro/macro averages, hamming loss
(multi-label) or accuracy and a confusion matrix (single-label), calibration of the scores (ECE,
Brier), and learning curves."""
from __future__ import annotations

import unicodedata
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from sklearn.metrics import accuracy_score, confusion_matrix, hamming_loss, precision_recall_fscore_support
from joblib import Parallel, delayed

from .calibration import calibration_report
from .exceptions import TrainingError
from .groups import near_duplicate_groups
from .model import fold_indices
from .shares import precision_at_share
from .tagger import Tagger
from .tokenize import Analysed


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


def split(
    Y: np.ndarray, folds: int, exclusive: bool, random_state: int = 0, groups: np.ndarray | None = None
) -> list[tuple[np.ndarray, np.ndarray]]:
    """K folds over the documents, a near-duplicate group never on both sides (``groups``);
    stratified by tag in exclusive mode when every tag allows it."""
    n = Y.shape[0]
    if folds < 2:
        raise TrainingError("cross-validation needs at least 2 folds")
    if n < folds:
        raise TrainingError(f"{n} documents are too few for {folds}-fold cross-validation")
    if groups is not None and len(np.unique(groups)) < folds:
        raise TrainingError(f"{len(np.unique(groups))} distinct documents (near-duplicates joined) are too few for {folds}-fold cross-validation")
    return fold_indices(Y, folds, exclusive, random_state, groups)


def document_groups(docs: Sequence[Analysed]) -> np.ndarray:
    """Near-duplicate groups of analysed documents (by their cleaned texts)."""
    return near_duplicate_groups([d.text for d in docs])


def _fold(
    make_tagger: Callable[[], Tagger],
    docs: Sequence[Analysed],
    tag_lists: Sequence[Sequence[str]],
    groups: np.ndarray,
    train: np.ndarray,
    test: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One fold: a fresh tagger fitted on ``train``; its scores and decisions on ``test``."""
    tagger = make_tagger().fit_analysed([docs[j] for j in train], [tag_lists[j] for j in train], groups=groups[train])
    test_docs = [docs[j] for j in test]
    scores = tagger.scores_analysed(test_docs)
    return test, scores, tagger.decide_analysed(test_docs, scores)


def cross_validate(
    make_tagger: Callable[[], Tagger],
    docs: Sequence[Analysed],
    tag_lists: Sequence[Sequence[str]],
    folds: int = 5,
    random_state: int = 0,
    progress: Callable[[int, int], None] | None = None,
    groups: np.ndarray | None = None,
    n_jobs: int = 1,
) -> tuple[dict[str, Any], np.ndarray]:
    """K-fold cross-validation of freshly made taggers; returns the report and out-of-fold scores.

    Each fold fits a whole tagger (features, models, its own thresholds) on the other folds only.
    Near-duplicates (``groups``, computed from the texts when not given) stay on one side of
    every split, as new documents would be. ``n_jobs`` folds are fitted in parallel processes.
    """
    prototype = make_tagger()
    Y = prototype.indicator(tag_lists)
    groups = document_groups(docs) if groups is None else np.asarray(groups)
    splits = split(Y, folds, prototype.exclusive, random_state, groups)
    scores = np.zeros(Y.shape)
    Y_pred = np.zeros_like(Y)
    jobs = (delayed(_fold)(make_tagger, docs, tag_lists, groups, train, test) for train, test in splits)
    done = 0
    for test, fold_scores, predicted in Parallel(n_jobs=min(n_jobs, len(splits)), return_as="generator")(jobs):
        scores[test], Y_pred[test] = fold_scores, predicted
        done += 1
        if progress:
            progress(done, len(splits))
    rep = report(Y, Y_pred, prototype.tags, prototype.exclusive)
    rep["calibration"] = calibration_report(scores, Y, prototype.tags)
    if prototype.shares and not prototype.exclusive:
        rep["at_share"] = at_share_report(Y, Y_pred, prototype.tags, prototype.shares)
    return rep, scores


def at_share_report(
    Y_true: np.ndarray, Y_pred: np.ndarray, tags: Sequence[str], shares: dict[str, float]
) -> dict[str, dict[str, float]]:
    """Per tag with a stated share: precision, recall and F1 expected on a stream where the tag
    has that share, from the true- and false-positive rates measured here."""
    out = {}
    for k, tag in enumerate(tags):
        if tag not in shares:
            continue
        y, p = Y_true[:, k].astype(bool), Y_pred[:, k].astype(bool)
        tpr = float((y & p).sum() / y.sum()) if y.any() else 0.0
        fpr = float((~y & p).sum() / (~y).sum()) if (~y).any() else 0.0
        precision = precision_at_share(tpr, fpr, shares[tag])
        f1 = 2 * precision * tpr / (precision + tpr) if precision + tpr else 0.0
        out[tag] = {"share": shares[tag], "precision": precision, "recall": tpr, "f1": f1, "false_positive_rate": fpr}
    return out


def holdout(tagger: Tagger, docs: Sequence[Analysed], tag_lists: Sequence[Sequence[str]]) -> tuple[dict[str, Any], np.ndarray]:
    """Metrics of a fitted tagger on labelled test documents, and its scores of them."""
    Y = tagger.indicator(tag_lists)
    scores = tagger.scores_analysed(docs)
    Y_pred = tagger.indicator([r.tags for r in tagger.tag_analysed(docs)])
    rep = report(Y, Y_pred, tagger.tags, tagger.exclusive)
    rep["calibration"] = calibration_report(scores, Y, tagger.tags)
    if tagger.shares and not tagger.exclusive:
        rep["at_share"] = at_share_report(Y, Y_pred, tagger.tags, tagger.shares)
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
    splits = split(Y, folds, prototype.exclusive, random_state, document_groups(docs))
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
    if rep.get("at_share"):
        lines.append("expected on a stream where each tag has its stated share")
        lines.append(f"{_ljust('tag', width)}     share  precision  recall     f1  false-tag rate")
        for t in tags:
            if t in rep["at_share"]:
                m = rep["at_share"][t]
                lines.append(
                    f"{_ljust(t, width)}  {m['share']:8.4f}  {m['precision']:9.3f}  {m['recall']:6.3f}  {m['f1']:5.3f}  {m['false_positive_rate']:14.4f}"
                )
    return "\n".join(lines)
