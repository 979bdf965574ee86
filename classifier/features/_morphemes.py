"""Morpheme n-gram TF-IDF: scikit-learn's ``TfidfVectorizer`` fitted as it is, transforming on
integer codes.

The documents are ``Analysed`` pairs; the vectorizer reads their morphemes (``_morphemes_of``) and
leaves them unprocessed (``_identity``), as ``build_features`` sets it up.
"""
from __future__ import annotations

import itertools
from typing import Any

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer

from ..tokenize import Analysed
from . import _compiled
from ._codetable import CodeTable, built_for, pack_windows
from ._tfidf import tfidf_matrix


def _morphemes_of(doc: Analysed) -> list[str]:
    return doc[1]


def _identity(doc: Analysed) -> Analysed:
    return doc


# Morpheme ids packed into one 64-bit n-gram code: up to 2^21 - 1 distinct morphemes, 3-grams.
_ID_BITS, _MAX_PACKED = 21, 3


class _NgramIndex:
    """The fitted vocabulary as integers: an id per morpheme that occurs in it, and a ``CodeTable``
    from packed id n-grams to columns. Looking a batch's n-grams up this way costs one dict lookup
    per morpheme (in a dict of ~20k morphemes, not ~200k n-grams) instead of a join and a lookup
    per n-gram; the big dict is cold after Kiwi has run (figures: README).

    A vocabulary entry is its morphemes joined by spaces, and a morpheme may itself hold a space
    (Kiwi keeps some foreign names whole), so the ids are of the space-separated parts: a document
    n-gram of morphemes without spaces has the code of its joined string's parts. The n-grams of a
    morpheme with a space are looked up as strings, as scikit-learn does."""

    def __init__(self, vocabulary: dict[str, int]) -> None:
        self.ids: dict[str, int] = {}
        codes, columns = [], []
        for entry, column in vocabulary.items():
            parts = entry.split(" ")
            if len(parts) > _MAX_PACKED:
                continue  # only morphemes with spaces can spell it; looked up as a string
            code = 0
            for part in parts:
                code = (code << _ID_BITS) | self.ids.setdefault(part, len(self.ids) + 1)  # 0: none
            codes.append(code)
            columns.append(column)
        self.usable = len(self.ids) < (1 << _ID_BITS)
        self.table = CodeTable(np.asarray(codes, dtype=np.uint64), np.asarray(columns, dtype=np.int64)) if self.usable else None

    def lookup(self, codes: np.ndarray) -> np.ndarray:
        """The column of each packed n-gram code, -1 where the vocabulary has none."""
        assert self.table is not None
        return self.table.lookup(codes)


def _documents(lengths: np.ndarray) -> np.ndarray:
    """The document of each morpheme of documents ``lengths`` morphemes long, one after another."""
    return np.repeat(np.arange(len(lengths)), lengths)


class MorphemeTfidf(TfidfVectorizer):
    """``TfidfVectorizer`` over morpheme lists whose ``transform`` skips scikit-learn's per-token
    Python bookkeeping (the figure: README): a whole batch's morphemes become ids in one C-level
    ``map``, its n-grams packed integer codes looked up in a hash table (``_NgramIndex``) and
    counted and weighted document by document in C (``_compiled.morph_matrix``), or with numpy
    (n-grams that would cross two documents masked out, ``_tfidf.tfidf_matrix``) where the kernels
    are not built. Fitting is scikit-learn's own; the values are identical."""

    def transform(self, raw_documents: Any) -> sparse.csr_matrix:
        if self.preprocessor is _identity and self.tokenizer is _morphemes_of:  # as build_features makes it
            token_lists = [doc[1] for doc in raw_documents]
        else:
            preprocess, tokenize = self.build_preprocessor(), self.build_tokenizer()
            token_lists = [tokenize(preprocess(doc)) for doc in raw_documents]
        index = self._index()
        if index is not None and _compiled.available():
            return self._compiled_rows(token_lists, index)
        rows, cols = self._ngram_columns(token_lists)
        return tfidf_matrix(rows, cols, len(token_lists), self.idf_, self.sublinear_tf)

    def _compiled_rows(self, token_lists: list[list[str]], index: _NgramIndex) -> sparse.csr_matrix:
        """``transform`` by the compiled kernel: the n-grams of morpheme ids packed, looked up and
        counted in C; those touching a morpheme with a space looked up here as strings."""
        assert index.table is not None
        flat, ids = self._ids(token_lists, index)
        lengths = np.fromiter(map(len, token_lists), dtype=np.int64, count=len(token_lists))
        extra = self._spaced_columns(flat, lengths, ids)
        return _compiled.morph_matrix(ids, lengths, self.ngram_range, extra, index.table, self.idf_, self.sublinear_tf)

    def _index(self) -> _NgramIndex | None:
        """The integer index of the current vocabulary, built on first use (~0.2 s for 200k
        n-grams), or None where it cannot serve (n-grams longer than it packs, or too many ids)."""
        return built_for(self, "_index_cache", self.vocabulary_, self._build_index)

    def _build_index(self, vocabulary: dict[str, int]) -> _NgramIndex | None:
        index = _NgramIndex(vocabulary) if self.ngram_range[1] <= _MAX_PACKED else None
        return index if index is not None and index.usable else None

    def __getstate__(self) -> dict[str, Any]:
        state = super().__getstate__()
        state.pop("_index_cache", None)  # rebuilt from the vocabulary on first use
        return state

    @staticmethod
    def _ids(token_lists: list[list[str]], index: _NgramIndex) -> tuple[list[str], np.ndarray]:
        """All documents' morphemes in one list, and the id of each in ``index`` (0: in no entry)."""
        flat = list(itertools.chain.from_iterable(token_lists))
        ids = np.fromiter(map(index.ids.get, flat, itertools.repeat(0, len(flat))), dtype=np.int64, count=len(flat))
        return flat, ids

    def _ngram_columns(self, token_lists: list[list[str]]) -> tuple[np.ndarray, np.ndarray]:
        """``(row, column)`` of every known n-gram occurrence in the documents' token lists."""
        lengths = np.fromiter(map(len, token_lists), dtype=np.int64, count=len(token_lists))
        index = self._index()
        if index is None:
            flat = list(itertools.chain.from_iterable(token_lists))
            return self._columns_of_strings(flat, _documents(lengths), np.ones(len(flat), dtype=bool))
        flat, ids = self._ids(token_lists, index)
        doc = _documents(lengths)
        rows, cols = [np.zeros(0, dtype=np.int64)], [np.zeros(0, dtype=np.int64)]
        low, high = self.ngram_range
        for n in range(low, high + 1):
            size = len(flat) - n + 1
            if size <= 0:
                break
            known = (doc[:size] == doc[n - 1 :]) & (ids[:size] > 0)
            for k in range(1, n):
                known &= ids[k : k + size] > 0
            column = index.lookup(pack_windows(ids, n, _ID_BITS)[known])
            rows.append(doc[:size][known][column >= 0])
            cols.append(column[column >= 0])
        extra_rows, extra_cols = self._spaced_columns(flat, lengths, ids)
        return np.concatenate([*rows, extra_rows]), np.concatenate([*cols, extra_cols])

    def _spaced_columns(self, flat: list[str], lengths: np.ndarray, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(row, column)`` of the known n-grams touching a morpheme that holds a space: no id
        spells one (vocabulary entries are split at spaces), so they are looked up as strings."""
        empty = np.zeros(0, dtype=np.int64)
        unknown = np.flatnonzero(ids == 0)
        spaced_at = unknown[[" " in flat[i] for i in unknown.tolist()]]
        if not len(spaced_at):
            return empty, empty
        spaced = np.zeros(len(flat), dtype=bool)
        spaced[spaced_at] = True
        doc = _documents(lengths)
        rows, cols = [empty], [empty]
        low, high = self.ngram_range
        for n in range(low, high + 1):
            size = len(flat) - n + 1
            if size <= 0:
                break
            touched = spaced[:size].copy()
            for k in range(1, n):
                touched |= spaced[k : k + size]
            r, c = self._columns_of_strings(flat, doc, touched & (doc[:size] == doc[n - 1 :]), n)
            rows.append(r)
            cols.append(c)
        return np.concatenate(rows), np.concatenate(cols)

    def _columns_of_strings(
        self, flat: list[str], doc: np.ndarray, where: np.ndarray, only: int | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """``(row, column)`` of the known n-grams starting at the positions ``where`` allows,
        looked up as joined strings, for every n of the range or ``only`` one."""
        lookup, (low, high) = self.vocabulary_.get, self.ngram_range
        rows, cols = [np.zeros(0, dtype=np.int64)], [np.zeros(0, dtype=np.int64)]
        for n in (only,) if only else range(low, high + 1):
            size = len(flat) - n + 1
            if size <= 0:
                break
            starts = np.flatnonzero(where[:size] & (doc[:size] == doc[n - 1 :]))
            grams = (" ".join(flat[i : i + n]) for i in starts.tolist())
            column = np.fromiter(map(lookup, grams, itertools.repeat(-1, len(starts))), dtype=np.int64, count=len(starts))
            rows.append(doc[starts][column >= 0])
            cols.append(column[column >= 0])
        return np.concatenate(rows), np.concatenate(cols)
