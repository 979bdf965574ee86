from __future__ import annotations

import numpy as np
import pytest

from classifier.active import certainty, least_certain


def test_multi_label_certainty_is_the_nearest_threshold_as_a_share_of_its_side():
    scores = np.array([[0.0, 1.0], [0.2, 0.9], [0.4, 0.95], [0.45, 0.0]])
    thresholds = np.array([0.4, 0.8])
    sure = certainty(scores, thresholds, exclusive=False)
    # row 0: both at an extreme; row 1: 0.2 is half way below 0.4, 0.9 half way above 0.8
    assert sure == pytest.approx([1.0, 0.5, 0.0, 0.05 / 0.6])
    order, values = least_certain(scores, thresholds, False, n=2)
    assert order.tolist() == [2, 3] and values == pytest.approx([0.0, 0.05 / 0.6])


def test_certainty_about_one_tag():
    scores = np.array([[0.0, 0.79], [0.5, 0.2], [0.9, 0.96]])
    order, values = least_certain(scores, np.array([0.5, 0.8]), False, n=3, column=1)
    assert order.tolist() == [0, 1, 2] and values == pytest.approx([0.01 / 0.8, 0.75, 0.8])


def test_single_label_certainty_is_one_minus_normalised_entropy():
    scores = np.array([[1.0, 0.0, 0.0], [1 / 3, 1 / 3, 1 / 3], [0.5, 0.5, 0.0]])
    sure = certainty(scores, np.zeros(3), exclusive=True)
    assert sure[0] == pytest.approx(1.0, abs=1e-6) and sure[1] == pytest.approx(0.0, abs=1e-9)
    assert sure[2] == pytest.approx(1 - np.log(2) / np.log(3))
