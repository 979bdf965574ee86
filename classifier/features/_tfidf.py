"""TF-IDF rows from n-gram occurrences: the weighting both of our vectorizers share."""
from __future__ import annotations

import numpy as np
from scipy import sparse


def tfidf_matrix(rows: np.ndarray, cols: np.ndarray, n_docs: int, idf: np.ndarray, sublinear: bool) -> sparse.csr_matrix:
    """The ``n_docs × len(idf)`` TF-IDF matrix, rows L2-normalised, of occurrences given as
    ``(row, column)`` pairs in any order, repeats counted; as ``TfidfVectorizer`` computes it
    (``1 + log(tf)`` when ``sublinear``). Built directly as canonical CSR: one sort of the pairs
    instead of scipy's COO conversion and duplicate summing (figures: README)."""
    shift = max(1, len(idf) - 1).bit_length()  # row and column packed in one key: bit ops, not division
    key, counts = np.unique((rows.astype(np.int64) << shift) | cols, return_counts=True)
    cols = key & ((1 << shift) - 1)
    tf = counts.astype(np.float64)
    if sublinear:
        np.log(tf, out=tf)
        tf += 1.0
    data = tf * idf[cols]
    indptr = np.searchsorted(key, np.arange(n_docs + 1, dtype=np.int64) << shift)
    lengths = np.diff(indptr)
    filled = lengths > 0
    norms = np.ones(n_docs)
    if len(data):  # sums of squares per non-empty row (reduceat needs start < len)
        norms[filled] = np.sqrt(np.add.reduceat(data * data, indptr[:-1][filled]))
    data /= np.repeat(norms, lengths)
    return sparse.csr_matrix((data, cols, indptr), shape=(n_docs, len(idf)))
