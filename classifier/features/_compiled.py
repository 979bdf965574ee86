"""The compiled n-gram kernels (``_ngrams.c``): TF-IDF rows built one document at a time in C.

After Kiwi, the vectorizers were the largest part of tagging a headline: numpy passes over each
batch (pack, look up, sort to count repeats, weight, normalise). The kernels do it in one pass per
document, in about a third of the time for the character n-grams (README, "Figures behind choices
in the code"), with the same values: tests/test_charngrams.py runs every
vectorizer test both ways, tests/test_compiled.py compares them on harder input.

``pip install`` compiles them when a C compiler is there; without one (or with ``KTAG_COMPILED=0``)
``available()`` is false and the numpy code serves, a little slower, with the same results.
"""
from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np
from scipy import sparse

from ._codetable import CodeTable

try:
    from . import _ngrams
except ImportError:  # installed without a C compiler
    _ngrams = None


def available() -> bool:
    """Whether the vectorizers use the kernels: built, and not turned off by ``KTAG_COMPILED=0``."""
    return _ngrams is not None and os.environ.get("KTAG_COMPILED", "1") != "0"


def _starts(lengths: np.ndarray) -> np.ndarray:
    starts = np.zeros(len(lengths) + 1, dtype=np.int64)
    np.cumsum(lengths, out=starts[1:])
    return starts


def _rows(n_docs: int, capacity: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return np.empty(n_docs + 1, dtype=np.int64), np.empty(capacity, dtype=np.int32), np.empty(capacity, dtype=np.float64)


def _matrix(rows: tuple[np.ndarray, np.ndarray, np.ndarray], nnz: int, n_features: int) -> sparse.csr_matrix:
    indptr, indices, data = rows
    # Shrunk in place (realloc), not copied: the arrays are sized for every n-gram of the batch,
    # far more than a batch of headlines keeps, and copying what is kept cost cache misses (README).
    indices.resize(nnz, refcheck=False)
    data.resize(nnz, refcheck=False)
    matrix = sparse.csr_matrix((data, indices, indptr), shape=(len(indptr) - 1, n_features))
    matrix.has_sorted_indices = False  # a row's columns come in the order first met
    return matrix


def char_matrix(
    texts: Sequence[str], ngram_range: tuple[int, int], table: CodeTable, idf: np.ndarray, sublinear: bool
) -> sparse.csr_matrix:
    """``_charngrams.CharNgramTfidf.transform`` of already lower-cased ``texts``."""
    assert _ngrams is not None
    lengths = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
    code_points = np.frombuffer("".join(texts).encode("utf-32-le"), dtype=np.uint32)
    low, high = ngram_range
    # Per n, at most one n-gram per character of a word padded with a space on each side: 2 per
    # character (with a separator between words) and 1 more per text.
    rows = _rows(len(texts), (high - low + 1) * (2 * len(code_points) + len(texts)))
    keys, values, shift = table.arrays()
    idf = np.ascontiguousarray(idf, dtype=np.float64)
    nnz = _ngrams.char_rows(code_points, _starts(lengths), low, high, keys, values, shift, idf, sublinear, *rows)
    return _matrix(rows, nnz, len(idf))


def morph_matrix(
    ids: np.ndarray,
    lengths: np.ndarray,
    ngram_range: tuple[int, int],
    extra: tuple[np.ndarray, np.ndarray],
    table: CodeTable,
    idf: np.ndarray,
    sublinear: bool,
) -> sparse.csr_matrix:
    """The morpheme TF-IDF rows of documents given as their morphemes' ids (0: in no vocabulary
    entry) one document after another, ``lengths`` morphemes each, plus ``extra`` (row, column)
    occurrences found otherwise (n-grams of morphemes holding a space)."""
    assert _ngrams is not None
    extra_rows, extra_cols = extra
    order = np.argsort(extra_rows, kind="stable")
    extra_rows = np.ascontiguousarray(extra_rows[order], dtype=np.int64)
    extra_cols = np.ascontiguousarray(extra_cols[order], dtype=np.int64)
    low, high = ngram_range
    rows = _rows(len(lengths), (high - low + 1) * len(ids) + len(extra_rows))
    keys, values, shift = table.arrays()
    idf = np.ascontiguousarray(idf, dtype=np.float64)
    ids = np.ascontiguousarray(ids, dtype=np.int64)
    nnz = _ngrams.morph_rows(ids, _starts(lengths), low, high, extra_rows, extra_cols, keys, values, shift, idf, sublinear, *rows)
    return _matrix(rows, nnz, len(idf))
