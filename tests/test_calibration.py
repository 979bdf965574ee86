from __future__ import annotations

import numpy as np
import pytest

from classifier.calibration import brier_score, calibration_report, expected_calibration_error, reliability


def test_perfectly_calibrated_scores_have_no_error():
    rng = np.random.default_rng(0)
    scores = rng.uniform(size=200_000)
    y = (rng.uniform(size=scores.size) < scores).astype(int)
    assert expected_calibration_error(scores, y) < 0.01


def test_overconfident_scores_are_measured():
    scores = np.array([0.9] * 10 + [0.1] * 10)
    y = np.array([1] * 5 + [0] * 5 + [0] * 10)
    # bin 0.9: mean 0.9, observed 0.5 -> gap 0.4 on half the documents; bin 0.1: gap 0.1
    assert expected_calibration_error(scores, y) == pytest.approx(0.5 * 0.4 + 0.5 * 0.1)
    assert brier_score(scores, y) == pytest.approx((5 * 0.01 + 5 * 0.81 + 10 * 0.01) / 20)


def test_reliability_bins_and_edges():
    r = reliability(np.array([0.0, 0.05, 0.95, 1.0]), np.array([0, 1, 1, 1]), bins=10)
    assert r.count.tolist() == [2, 2]
    assert r.observed.tolist() == [0.5, 1.0]
    assert r.mean_score.tolist() == pytest.approx([0.025, 0.975])


def test_report_per_tag():
    rep = calibration_report(np.array([[0.9, 0.2], [0.1, 0.8]]), np.array([[1, 0], [0, 1]]), ["a", "b"])
    assert set(rep) == {"a", "b"} and rep["a"]["brier"] == pytest.approx(0.01)
