"""Feature extraction: TF-IDF over morpheme n-grams, optionally joined with character n-grams.

The names below are the package's API; the modules behind them are private:

    _union.py       FeatureSettings and build_features: which kinds a model has, joined in a
                    FeatureUnion; blocks / transform / feature_kinds over a fitted one
    _morphemes.py   MorphemeTfidf, morpheme n-grams (scikit-learn's fit, transform on integer codes)
    _charngrams.py  CharNgramTfidf, within-word character n-grams as packed integer codes
    _codetable.py   the hash table from n-gram codes to columns both vectorizers look up
    _tfidf.py       the TF-IDF weighting both vectorizers share
    _compiled.py    the C kernels (_ngrams.c) that do a batch's lookup and weighting, where built

A new feature kind is a vectorizer of ``Analysed`` documents in a module of its own, added to the
union by ``build_features`` under a setting of ``FeatureSettings``.
"""
from __future__ import annotations

from ._charngrams import CharNgramTfidf
from ._morphemes import MorphemeTfidf
from ._union import MORPH, FeatureSettings, blocks, build_features, feature_kinds, transform

__all__ = ["MORPH", "CharNgramTfidf", "FeatureSettings", "MorphemeTfidf", "blocks", "build_features", "feature_kinds", "transform"]
