from __future__ import annotations

import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer

from classifier.charngrams import CharNgramTfidf, decode, ngram_codes

TEXTS = [
    "인공지능 돌봄 로봇이 어르신을 돕는다",
    "메타버스 플랫폼 XR 콘텐츠, AI 산업 정책",
    "美 연준 금리 동결…코스피 상승",
    "a",
    "   ",
    "같은 단어 같은 단어 같은 단어",
]


@pytest.mark.parametrize("ngram_range", [(1, 1), (1, 3), (2, 3), (3, 3)])
@pytest.mark.parametrize("sublinear", [True, False])
def test_same_features_and_values_as_scikit_learn_char_wb(ngram_range, sublinear):
    ours = CharNgramTfidf(ngram_range, sublinear_tf=sublinear).fit(TEXTS)
    theirs = TfidfVectorizer(analyzer="char_wb", ngram_range=ngram_range, sublinear_tf=sublinear).fit(TEXTS)
    names = list(ours.get_feature_names_out())
    assert sorted(names) == sorted(theirs.get_feature_names_out())
    column = {f: i for i, f in enumerate(theirs.get_feature_names_out())}
    order = [column[f] for f in names]
    unseen = ["돌봄 로봇 새 문장", "", "美"]
    for docs in (TEXTS, unseen):
        expected = theirs.transform(docs)[:, order].toarray()
        assert np.allclose(ours.transform(docs).toarray(), expected)
    assert np.allclose(ours.fit_transform(TEXTS).toarray(), theirs.transform(TEXTS)[:, order].toarray())


def test_min_df_max_df_and_max_features():
    full = CharNgramTfidf((1, 2)).fit(TEXTS)
    common = CharNgramTfidf((1, 2), min_df=2).fit(TEXTS)
    rare = CharNgramTfidf((1, 2), max_df=0.2).fit(TEXTS)
    top = CharNgramTfidf((1, 2), max_features=10).fit(TEXTS)
    assert len(common.idf_) < len(full.idf_) and len(rare.idf_) < len(full.idf_)
    assert len(top.idf_) == 10
    with pytest.raises(ValueError, match="no character n-grams"):
        CharNgramTfidf((1, 2), min_df=99).fit(TEXTS)


def test_ngrams_stay_within_words_and_decode():
    docs, codes = ngram_codes(["가나 다"], (3, 3))
    assert sorted(decode(int(c)) for c in codes) == sorted([" 가나", "가나 ", " 다 "])
    assert set(docs.tolist()) == {0}
    with pytest.raises(ValueError):
        ngram_codes(["x"], (1, 4))


def test_morpheme_tfidf_transform_equals_scikit_learn():
    from sklearn.feature_extraction.text import TfidfVectorizer

    from classifier.features import Analysed, MorphemeTfidf, _identity, _morphemes_of

    docs = [Analysed("", ["돌봄", "로봇", "어르신", "돕다"]), Analysed("", ["메타버스", "플랫폼", "로봇"]), Analysed("", [])]
    unseen = [Analysed("", ["로봇", "어르신", "새말"]), Analysed("", ["돌봄", "로봇", "돌봄", "로봇"])]
    # "로봇 어르신" is a known bigram, but here it would span two documents: it must not count.
    split = [Analysed("", ["돌봄", "로봇"]), Analysed("", []), Analysed("", ["어르신", "돕다"]), Analysed("", ["로봇"])]
    for ngram_range in ((1, 1), (1, 2), (2, 3)):
        kwargs = dict(preprocessor=_identity, tokenizer=_morphemes_of, token_pattern=None, lowercase=False, ngram_range=ngram_range, sublinear_tf=True)
        ours, theirs = MorphemeTfidf(**kwargs).fit(docs), TfidfVectorizer(**kwargs).fit(docs)
        for batch in (unseen, split, split[1:2]):
            assert np.allclose(ours.transform(batch).toarray(), theirs.transform(batch).toarray())
        assert ours.transform([]).shape == (0, len(theirs.vocabulary_))
