"""Feature extraction: TF-IDF over morpheme n-grams, optionally joined with character n-grams.

The vectorizers take *analysed* documents, ``(text, morphemes)`` pairs, so that Kiwi runs once per
document however many times the features are fitted (cross-validation, threshold tuning).
"""
from __future__ import annotations

import itertools
from dataclasses import asdict, dataclass
from typing import Any, NamedTuple

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.pipeline import FeatureUnion

from . import charngrams, compiled
from .codetable import CodeTable, built_for, pack_windows
from .tfidf import tfidf_matrix

MORPH = "morph"
CHAR = "char"


class Analysed(NamedTuple):
    """A document after morpheme analysis: its text (for character n-grams) and its morphemes."""

    text: str
    morphemes: list[str]


def _morphemes_of(doc: Analysed) -> list[str]:
    return doc[1]


def _identity(doc: Analysed) -> Analysed:
    return doc


def _text_of(doc: Analysed) -> str:
    return doc[0].lower()


# Morpheme ids packed into one 64-bit n-gram code: up to 2^21 - 1 distinct morphemes, 3-grams.
_ID_BITS, _MAX_PACKED = 21, 3


class _NgramIndex:
    """The fitted vocabulary as integers: an id per morpheme that occurs in it, and a ``CodeTable``
    from packed id n-grams to columns. Looking a batch's n-grams up this way costs one dict lookup
    per morpheme (in a dict of ~20k morphemes, not ~200k n-grams) instead of a join and a lookup
    per n-gram; the big dict, cold after Kiwi, cost 9 µs per headline in ``ktag tag``.

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
    Python bookkeeping (17 µs per headline): a whole batch's morphemes become ids in one C-level
    ``map``, its n-grams packed integer codes looked up in a hash table (``_NgramIndex``) and
    counted and weighted document by document in C (``compiled.morph_matrix``), or with numpy
    (n-grams that would cross two documents masked out, ``tfidf.tfidf_matrix``) where the kernels
    are not built. Fitting is scikit-learn's own; the values are identical."""

    def transform(self, raw_documents: Any) -> sparse.csr_matrix:
        if self.preprocessor is _identity and self.tokenizer is _morphemes_of:  # as build_features makes it
            token_lists = [doc[1] for doc in raw_documents]
        else:
            preprocess, tokenize = self.build_preprocessor(), self.build_tokenizer()
            token_lists = [tokenize(preprocess(doc)) for doc in raw_documents]
        index = self._index()
        if index is not None and compiled.available():
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
        return compiled.morph_matrix(ids, lengths, self.ngram_range, extra, index.table, self.idf_, self.sublinear_tf)

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


@dataclass(frozen=True)
class FeatureSettings:
    """The feature settings that matter; stored with every model."""

    ngram_range: tuple[int, int] = (1, 2)
    min_df: int = 1
    max_df: float = 1.0
    sublinear_tf: bool = True
    char_ngrams: tuple[int, int] | None = (1, 3)
    char_weight: float = 1.0
    max_features: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> FeatureSettings:
        known = {f for f in cls.__dataclass_fields__}
        values = {k: v for k, v in raw.items() if k in known}
        for key in ("ngram_range", "char_ngrams"):
            if values.get(key) is not None:
                values[key] = tuple(values[key])
        return cls(**values)


def build_features(settings: FeatureSettings | None = None) -> FeatureUnion:
    """An unfitted transformer from ``Analysed`` documents to a sparse TF-IDF matrix."""
    s = settings or FeatureSettings()
    common: dict[str, Any] = {
        "min_df": s.min_df,
        "max_df": s.max_df,
        "sublinear_tf": s.sublinear_tf,
        "max_features": s.max_features,
    }
    parts: list[tuple[str, Any]] = [
        (
            MORPH,
            MorphemeTfidf(
                preprocessor=_identity,
                tokenizer=_morphemes_of,
                token_pattern=None,
                lowercase=False,
                ngram_range=s.ngram_range,
                **common,
            ),
        )
    ]
    weights = {MORPH: 1.0}
    if s.char_ngrams is not None:
        if s.char_ngrams[1] <= charngrams.MAX_N:  # the numpy vectorizer: same features, 3-4x faster
            char: Any = charngrams.CharNgramTfidf(ngram_range=s.char_ngrams, preprocessor=_text_of, **common)
        else:
            char = TfidfVectorizer(analyzer="char_wb", preprocessor=_text_of, ngram_range=s.char_ngrams, **common)
        parts.append((CHAR, char))
        weights[CHAR] = s.char_weight
    return FeatureUnion(parts, transformer_weights=weights)


def blocks(union: FeatureUnion, docs: list[Analysed]) -> list[sparse.csr_matrix]:
    """Each vectorizer's weighted block of ``union.transform(docs)``, in column order, without
    FeatureUnion's per-call dispatch overhead (~0.5 ms), which matters when the service tags one
    document per request. A linear model can score the blocks one by one (``LinearTagModel.
    decision_function``) instead of paying for ``hstack`` (4 µs per headline)."""
    weights = union.transformer_weights or {}
    out = []
    for name, vectorizer in union.transformer_list:
        block = vectorizer.transform(docs)
        weight = weights.get(name, 1.0)
        out.append(block * weight if weight != 1.0 else block)
    return out


def transform(union: FeatureUnion, docs: list[Analysed]) -> sparse.csr_matrix:
    """``union.transform(docs)``: the blocks side by side."""
    parts = blocks(union, docs)
    return sparse.hstack(parts, format="csr") if len(parts) > 1 else parts[0].tocsr()


def feature_kinds(union: FeatureUnion) -> list[tuple[str, str]]:
    """``(kind, feature)`` for every column of a fitted union, kind being ``morph`` or ``char``."""
    out: list[tuple[str, str]] = []
    for name, vectorizer in union.transformer_list:
        out.extend((name, feat) for feat in vectorizer.get_feature_names_out())
    return out


__all__ = ["Analysed", "FeatureSettings", "blocks", "build_features", "feature_kinds", "transform"]
