from __future__ import annotations

import numpy as np
import pytest

from classifier.exceptions import InvalidValue, UnknownTag
from classifier.shares import adjust, check_share, cut_for_share, estimate_shares, f1_at_share, parse_shares, roc_table


def test_adjusting_to_the_training_share_changes_nothing():
    scores = np.array([[0.1, 0.5], [0.9, 0.01]])
    assert np.allclose(adjust(scores, np.array([0.2, 0.3]), np.array([0.2, 0.3])), scores)


def test_adjusting_follows_bayes_rule():
    # Trained where half carry the tag; the stream has 1%: a 0.5 becomes the prior, 0.01.
    assert adjust(np.array([[0.5]]), np.array([0.5]), np.array([0.01]))[0, 0] == pytest.approx(0.01)
    moved = adjust(np.array([[0.9]]), np.array([0.5]), np.array([0.01]))[0, 0]
    assert moved == pytest.approx(0.9 * 0.01 / (0.9 * 0.01 + 0.1 * 0.99))


def test_exclusive_adjustment_keeps_rows_summing_to_one():
    moved = adjust(np.array([[0.6, 0.3, 0.1]]), np.array([1 / 3] * 3), np.array([0.1, 0.1, 0.8]), exclusive=True)
    assert moved.sum() == pytest.approx(1)
    assert moved.argmax() == 2


def test_roc_table_cuts_below_each_positive():
    scores = np.array([0.9, 0.8, 0.7, 0.6, 0.2])
    y = np.array([1, 0, 1, 0, 0])
    table = roc_table(scores, y)
    assert table[:, 0].tolist() == pytest.approx([0.85, 0.65])
    assert table[:, 1].tolist() == pytest.approx([0.5, 1.0])  # TPR
    assert table[:, 2].tolist() == pytest.approx([0.0, 1 / 3])  # FPR


def test_a_rarer_stream_moves_the_cut_up():
    rng = np.random.default_rng(0)
    y = (rng.uniform(size=4000) < 0.3).astype(int)
    scores = np.clip(np.where(y == 1, rng.normal(0.7, 0.15, 4000), rng.normal(0.3, 0.15, 4000)), 0, 1)
    table = roc_table(scores, y)
    common, rare = cut_for_share(table, 0.3), cut_for_share(table, 0.003)
    assert rare > common
    f1 = f1_at_share(table[:, 1], table[:, 2], 0.003)
    assert f1.max() == pytest.approx(f1[table[:, 0] == rare].max())


def test_em_recovers_a_shifted_share():
    rng = np.random.default_rng(1)

    def calibrated(n: int, share: float) -> np.ndarray:
        y = rng.uniform(size=n) < share
        x = rng.normal(np.where(y, 1.5, -1.5), 1.0)
        # Exact posterior where the training share was 0.5: sigmoid(3x).
        return 1 / (1 + np.exp(-3 * x))

    estimated = estimate_shares(calibrated(20000, 0.05)[:, None], np.array([0.5]))
    assert estimated[0] == pytest.approx(0.05, abs=0.01)


@pytest.mark.parametrize("bad", [0, 1, -0.1, 1.5, "0.1", True, None, float("nan")])
def test_a_share_outside_zero_one_is_refused(bad):
    with pytest.raises(InvalidValue, match="between 0 and 1"):
        check_share("metaverse", bad)


def test_parse_shares_names_the_problem():
    assert parse_shares(["metaverse=0.01"], ["metaverse"]) == {"metaverse": 0.01}
    with pytest.raises(InvalidValue, match="TAG=SHARE"):
        parse_shares(["metaverse"], ["metaverse"])
    with pytest.raises(UnknownTag):
        parse_shares(["robots=0.1"], ["metaverse"])
    with pytest.raises(InvalidValue, match="between 0 and 1"):
        parse_shares(["metaverse=2"], ["metaverse"])
    with pytest.raises(InvalidValue, match="between 0 and 1"):
        parse_shares(["metaverse=abc"], ["metaverse"])


def test_estimating_from_nothing_is_refused():
    with pytest.raises(InvalidValue, match="no documents"):
        estimate_shares(np.zeros((0, 2)), np.array([0.1, 0.1]))
