from __future__ import annotations

import numpy as np
import pytest

from classifier.evaluate import cross_validate, format_report, report
from classifier.exceptions import TrainingError
from classifier.tagger import Tagger


def test_multilabel_report_values():
    Y = np.array([[1, 0], [1, 1], [0, 1], [0, 0]])
    P = np.array([[1, 0], [0, 1], [1, 1], [0, 0]])
    rep = report(Y, P, ["a", "b"], exclusive=False)
    assert rep["per_tag"]["a"] == {"precision": 0.5, "recall": 0.5, "f1": 0.5, "support": 2}
    assert rep["per_tag"]["b"]["f1"] == 1.0
    assert rep["micro"]["precision"] == pytest.approx(3 / 4)
    assert rep["micro"]["recall"] == pytest.approx(3 / 4)
    assert rep["macro"]["f1"] == pytest.approx(0.75)
    assert rep["hamming_loss"] == pytest.approx(2 / 8)
    assert "hamming loss 0.2500" in format_report(rep)


def test_single_label_report_has_accuracy_and_confusion():
    Y = np.eye(3, dtype=int)[[0, 1, 2, 2]]
    P = np.eye(3, dtype=int)[[0, 2, 2, 2]]
    rep = report(Y, P, ["x", "y", "z"], exclusive=True)
    assert rep["accuracy"] == 0.75
    assert rep["confusion"] == [[1, 0, 0], [0, 0, 1], [0, 0, 2]]
    assert "confusion matrix" in format_report(rep)


def test_cross_validation_on_mini_corpus(mini_tagger, mini_docs, taxonomy):
    def factory() -> Tagger:
        return Tagger(taxonomy.ids, model_params={"min_examples": 3})

    docs = mini_tagger.analyse([d.text for d in mini_docs])
    rep, scores = cross_validate(factory, docs, [d.tags for d in mini_docs], folds=4)
    assert rep["documents"] == 40
    assert scores.shape == (40, 4)
    assert rep["macro"]["f1"] > 0.5  # 32 short documents still teach the four topics


def test_too_few_documents_for_folds(mini_tagger, taxonomy):
    docs = mini_tagger.analyse(["하나", "둘"])
    with pytest.raises(TrainingError, match="too few"):
        cross_validate(lambda: Tagger(taxonomy.ids), docs, [[], []], folds=5)
