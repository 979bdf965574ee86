"""Genre (headline or article) and the sample weights that keep a model from learning it.

Labelled data mixes genres: the shipped labels hold tens of thousands of real headlines, almost all
off-topic, beside a hundred written articles, most of them on-topic. Fitted as they are, the words
every article has and no headline has (있다, 밝히다, 이번...) would count as evidence for every tag,
and a real off-topic article would be tagged for being an article. So each tag's documents are
weighted, genre by genre, until the tag is as common in every genre as in the largest one: a
genre then says nothing about a tag, and only topic words can.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

# A text of at most this many characters is short (a headline, a caption, a title with a lead).
SHORT_CHARS = 200
SHORT, LONG = 0, 1
GENRES = 2  # how many there are: SHORT and LONG
GENRE_NAMES = ("short", "long")
# No document counts more than this many times: a genre with one negative and fifty positives
# must not let that one document decide a tag.
MAX_WEIGHT = 100.0


def genre_of(texts: Sequence[str]) -> np.ndarray:
    """``SHORT`` or ``LONG`` for each text (by its length without surrounding whitespace)."""
    return np.fromiter((SHORT if len(t.strip()) <= SHORT_CHARS else LONG for t in texts), dtype=np.int8, count=len(texts))


def genre_weights(Y: np.ndarray, genre: np.ndarray, cap: float = MAX_WEIGHT) -> np.ndarray:
    """documents × tags weights: in every genre but the largest, the rarer side of each tag
    (positives or negatives) counts more, so that the tag's weighted share in that genre equals
    its share in the largest genre. A tag that the largest genre lacks, or that a genre has only
    on one side, keeps weight 1 there."""
    Y = np.asarray(Y, dtype=bool)
    genre = np.asarray(genre)
    W = np.ones(Y.shape)
    kinds, counts = np.unique(genre, return_counts=True)
    if len(kinds) < 2:
        return W
    largest = kinds[counts.argmax()]
    target = Y[genre == largest].mean(axis=0)  # each tag's share in the largest genre
    for kind in kinds[kinds != largest]:
        rows = genre == kind
        positives, negatives = Y[rows].sum(axis=0), (~Y[rows]).sum(axis=0)
        for k in np.flatnonzero((target > 0) & (target < 1) & (positives > 0) & (negatives > 0)):
            share = positives[k] / (positives[k] + negatives[k])
            odds = target[k] / (1 - target[k])
            if share > target[k]:  # too many positives here: negatives count more
                W[rows & ~Y[:, k], k] = min(cap, positives[k] / (negatives[k] * odds))
            else:
                W[rows & Y[:, k], k] = min(cap, negatives[k] * odds / positives[k])
    return W


__all__ = ["GENRES", "GENRE_NAMES", "LONG", "SHORT", "SHORT_CHARS", "genre_of", "genre_weights"]
