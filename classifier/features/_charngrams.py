"""Character n-gram TF-IDF computed with numpy, a batch at a time.

scikit-learn's ``analyzer="char_wb"`` builds every n-gram as a Python string and looks it up in a
dict, which cost more than all the rest of the pipeline after Kiwi (figures: README, "Figures behind
choices in the code"). This vectorizer encodes each n-gram (within a word padded with one space on each side,
as ``char_wb`` does) as one integer — its code points packed 21 bits apiece — so that extraction,
vocabulary lookup (``_codetable``), counting and weighting are array operations.
"""
from __future__ import annotations

import itertools
from collections.abc import Sequence

import numpy as np
from scipy import sparse
from sklearn.base import BaseEstimator, TransformerMixin

from . import _compiled
from ._codetable import CodeTable, built_for, pack_windows
from ._tfidf import tfidf_matrix

_BITS = 21  # every Unicode code point fits in 21 bits; 3 x 21 = 63 bits for a trigram
MAX_N = 3


def _encode(texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Code points of all texts, each word padded with spaces; the word and document of each.
    One string for the whole batch: ``" w1  w2  w3 "`` is every word with a space on each side."""
    doc_words = [text.lower().replace("\x00", " ").split() for text in texts]
    words = list(itertools.chain.from_iterable(doc_words))
    if not words:
        empty = np.zeros(0, dtype=np.int64)
        return empty.astype(np.uint64), empty, empty
    codes = np.frombuffer(f" {'  '.join(words)} ".encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    lengths = np.fromiter(map(len, words), dtype=np.int64, count=len(words)) + 2
    word = np.repeat(np.arange(len(words)), lengths)
    doc_of_word = np.repeat(np.arange(len(texts)), np.fromiter(map(len, doc_words), dtype=np.int64, count=len(texts)))
    return codes, word, doc_of_word[word]


def ngram_codes(texts: Sequence[str], ngram_range: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """``(document index, n-gram code)`` of every n-gram of every text (within padded words)."""
    low, high = ngram_range
    if not 1 <= low <= high <= MAX_N:
        raise ValueError(f"character n-gram range must lie within 1..{MAX_N}, not {ngram_range}")
    codes, word, doc = _encode(texts)
    docs, grams = [], []
    for n in range(low, high + 1):
        size = len(codes) - n + 1
        if size <= 0:
            continue
        gram = pack_windows(codes, n, _BITS)
        inside = word[:size] == word[n - 1 : n - 1 + size]  # no n-gram across two words
        grams.append(gram[inside])
        docs.append(doc[:size][inside])
    if not grams:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.uint64)
    return np.concatenate(docs), np.concatenate(grams)


def decode(code: int) -> str:
    """The n-gram an integer code stands for."""
    chars = []
    while code:
        chars.append(chr(code & ((1 << _BITS) - 1)))
        code >>= _BITS
    return "".join(reversed(chars))


class CharNgramTfidf(TransformerMixin, BaseEstimator):
    """TF-IDF over within-word character n-grams (like ``TfidfVectorizer(analyzer="char_wb")``),
    with smooth idf, optional sublinear tf and L2-normalised rows."""

    def __init__(
        self,
        ngram_range: tuple[int, int] = (1, 3),
        min_df: int = 1,
        max_df: float = 1.0,
        sublinear_tf: bool = True,
        max_features: int | None = None,
        preprocessor: object = None,
    ) -> None:
        self.ngram_range = ngram_range
        self.min_df = min_df
        self.max_df = max_df
        self.sublinear_tf = sublinear_tf
        self.max_features = max_features
        self.preprocessor = preprocessor

    def _texts(self, docs: Sequence[object]) -> list[str]:
        prep = self.preprocessor
        return [prep(d) if prep is not None else d for d in docs]  # type: ignore[operator]

    def fit(self, docs: Sequence[object], y: object = None) -> CharNgramTfidf:
        self._fit_vocabulary(docs)
        return self

    def fit_transform(self, docs: Sequence[object], y: object = None) -> sparse.csr_matrix:
        return self.fit(docs).transform(docs)

    def _fit_vocabulary(self, docs: Sequence[object]) -> None:
        doc, gram = ngram_codes(self._texts(docs), tuple(self.ngram_range))
        n_docs = len(docs)
        vocab, column = np.unique(gram, return_inverse=True)
        pairs = np.unique(doc.astype(np.int64) * len(vocab) + column)  # each (document, n-gram) once
        df = np.bincount(pairs % len(vocab), minlength=len(vocab))
        keep = df >= self.min_df
        max_docs = self.max_df * n_docs if isinstance(self.max_df, float) else self.max_df
        keep &= df <= max_docs
        if self.max_features is not None and keep.sum() > self.max_features:
            order = np.argsort(-(df * keep), kind="stable")[: self.max_features]
            keep = np.zeros_like(keep)
            keep[order] = True
        if not keep.any():
            raise ValueError("no character n-grams left; lower min_df or raise max_df")
        self.vocabulary_codes_ = vocab[keep]
        self.idf_ = np.log((1 + n_docs) / (1 + df[keep])) + 1.0

    def transform(self, docs: Sequence[object]) -> sparse.csr_matrix:
        texts = self._texts(docs)
        table = built_for(self, "_table_cache", self.vocabulary_codes_, CodeTable)
        if _compiled.available():
            return _compiled.char_matrix([t.lower() for t in texts], tuple(self.ngram_range), table, self.idf_, self.sublinear_tf)
        doc, gram = ngram_codes(texts, tuple(self.ngram_range))
        column = table.lookup(gram)
        known = column >= 0
        return tfidf_matrix(doc[known], column[known], len(docs), self.idf_, self.sublinear_tf)

    def __getstate__(self) -> dict[str, object]:
        state = super().__getstate__()
        state.pop("_table_cache", None)  # rebuilt from the vocabulary on first use (cheaper than shipping it)
        return state

    def get_feature_names_out(self, input_features: object = None) -> np.ndarray:
        return np.array([decode(int(c)) for c in self.vocabulary_codes_], dtype=object)
