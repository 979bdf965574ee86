"""Which feature kinds a model has and how they are joined: TF-IDF over morpheme n-grams,
optionally beside character n-grams, in one scikit-learn ``FeatureUnion``.

The vectorizers take *analysed* documents, ``(text, morphemes)`` pairs, so that Kiwi runs once per
document however many times the features are fitted (cross-validation, threshold tuning).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.pipeline import FeatureUnion

from ..tokenize import Analysed
from . import _charngrams
from ._morphemes import MorphemeTfidf, _identity, _morphemes_of

MORPH = "morph"
CHAR = "char"


def _text_of(doc: Analysed) -> str:
    return doc[0].lower()


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
        if s.char_ngrams[1] <= _charngrams.MAX_N:  # the numpy vectorizer: same features, faster (README)
            char: Any = _charngrams.CharNgramTfidf(ngram_range=s.char_ngrams, preprocessor=_text_of, **common)
        else:
            char = TfidfVectorizer(analyzer="char_wb", preprocessor=_text_of, ngram_range=s.char_ngrams, **common)
        parts.append((CHAR, char))
        weights[CHAR] = s.char_weight
    return FeatureUnion(parts, transformer_weights=weights)


def blocks(union: FeatureUnion, docs: list[Analysed]) -> list[sparse.csr_matrix]:
    """Each vectorizer's weighted block of ``union.transform(docs)``, in column order, without
    FeatureUnion's per-call dispatch overhead, which matters when the service tags one document per
    request. A linear model can score the blocks one by one (``LinearTagModel.decision_function``)
    instead of paying for ``hstack`` (figures: README)."""
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
