"""Feature extraction: TF-IDF over morpheme n-grams, optionally joined with character n-grams.

The vectorizers take *analysed* documents, ``(text, morphemes)`` pairs, so that Kiwi runs once per
document however many times the features are fitted (cross-validation, threshold tuning).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, NamedTuple

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.pipeline import FeatureUnion

from . import charngrams

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


class MorphemeTfidf(TfidfVectorizer):
    """``TfidfVectorizer`` over morpheme lists whose ``transform`` skips scikit-learn's per-token
    Python bookkeeping (17 µs per headline): n-grams are looked up in one comprehension and the
    matrix is weighted with numpy. Fitting is scikit-learn's own; the values are identical."""

    def transform(self, raw_documents: Any) -> sparse.csr_matrix:
        lookup = self.vocabulary_.get
        low, high = self.ngram_range
        preprocess, tokenize = self.build_preprocessor(), self.build_tokenizer()
        indices: list[int] = []
        indptr = [0]
        for doc in raw_documents:
            tokens = tokenize(preprocess(doc))
            grams: list[str] = list(tokens) if low == 1 else []
            for n in range(max(2, low), high + 1):
                grams.extend(map(" ".join, zip(*(tokens[k:] for k in range(n)))))
            indices.extend(j for j in map(lookup, grams) if j is not None)
            indptr.append(len(indices))
        counts = sparse.csr_matrix(
            (np.ones(len(indices)), np.asarray(indices, dtype=np.int64), np.asarray(indptr, dtype=np.int64)),
            shape=(len(indptr) - 1, len(self.vocabulary_)),
        )
        counts.sum_duplicates()
        if self.sublinear_tf:
            np.log(counts.data, out=counts.data)
            counts.data += 1.0
        counts.data *= self.idf_[counts.indices]
        rows = np.repeat(np.arange(counts.shape[0]), np.diff(counts.indptr))
        norms = np.sqrt(np.bincount(rows, weights=counts.data**2, minlength=counts.shape[0]))
        counts.data /= np.where(norms > 0, norms, 1.0)[rows]
        return counts


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


def transform(union: FeatureUnion, docs: list[Analysed]) -> sparse.csr_matrix:
    """``union.transform(docs)`` without FeatureUnion's per-call dispatch overhead (~0.5 ms),
    which matters when the service tags one document per request."""
    weights = union.transformer_weights or {}
    blocks = []
    for name, vectorizer in union.transformer_list:
        block = vectorizer.transform(docs)
        weight = weights.get(name, 1.0)
        blocks.append(block * weight if weight != 1.0 else block)
    return sparse.hstack(blocks, format="csr") if len(blocks) > 1 else blocks[0].tocsr()


def feature_kinds(union: FeatureUnion) -> list[tuple[str, str]]:
    """``(kind, feature)`` for every column of a fitted union, kind being ``morph`` or ``char``."""
    out: list[tuple[str, str]] = []
    for name, vectorizer in union.transformer_list:
        out.extend((name, feat) for feat in vectorizer.get_feature_names_out())
    return out


__all__ = ["Analysed", "FeatureSettings", "build_features", "feature_kinds"]
