from __future__ import annotations

import numpy as np
import pytest

from classifier.genre import LONG, SHORT, SHORT_CHARS, genre_of, genre_weights


def test_genre_is_by_length():
    assert genre_of(["짧은 제목", "가" * (SHORT_CHARS + 1), "  " + "나" * SHORT_CHARS + "  "]).tolist() == [SHORT, LONG, SHORT]


def test_weights_make_each_tag_as_common_in_every_genre_as_in_the_largest():
    # 90 headlines, 3 with the tag; 10 articles, 6 with it.
    genre = np.array([SHORT] * 90 + [LONG] * 10)
    Y = np.zeros((100, 2), dtype=np.int8)
    Y[:3, 0] = 1
    Y[90:96, 0] = 1
    Y[:9, 1] = 1  # tag 1: 10% of headlines, 1 of 10 articles (too rare there: positives count more)
    Y[90, 1] = 1
    W = genre_weights(Y, genre)
    assert (W[genre == SHORT] == 1).all()
    for k in range(2):
        target = Y[genre == SHORT, k].mean()
        rows = genre == LONG
        weighted = (W[rows, k] * Y[rows, k]).sum() / W[rows, k].sum()
        assert weighted == pytest.approx(target)


def test_weights_leave_a_single_genre_or_a_one_sided_tag_alone():
    Y = np.array([[1], [0], [0]], dtype=np.int8)
    assert (genre_weights(Y, np.zeros(3)) == 1).all()
    Y = np.array([[0], [0], [1], [1]], dtype=np.int8)  # articles all positive: nothing to balance
    assert (genre_weights(Y, np.array([SHORT, SHORT, LONG, LONG])) == 1).all()


def test_weights_are_capped():
    genre = np.array([SHORT] * 1000 + [LONG] * 11)
    Y = np.zeros((1011, 1), dtype=np.int8)
    Y[0] = 1
    Y[1000:1010] = 1  # ten article positives, one article negative
    assert genre_weights(Y, genre, cap=50.0).max() == 50.0
