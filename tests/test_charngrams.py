from __future__ import annotations

import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer

from classifier.features import CharNgramTfidf, MorphemeTfidf, _compiled
from classifier.features._charngrams import decode, ngram_codes
from classifier.features._codetable import CodeTable
from classifier.features._morphemes import _identity, _morphemes_of
from classifier.tokenize import Analysed


@pytest.fixture(autouse=True, params=["compiled", "numpy"])
def kernels(request, monkeypatch):
    """Every test here runs with the compiled kernels and again with the numpy code."""
    if request.param == "compiled" and _compiled._ngrams is None:
        pytest.fail("classifier/features/_ngrams.c was not built (no C compiler at install?)")
    monkeypatch.setenv("KTAG_COMPILED", "1" if request.param == "compiled" else "0")
    return request.param

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


@pytest.mark.parametrize("ngram_range", [(1, 1), (1, 2), (2, 3), (1, 3), (1, 4)])
def test_morpheme_ids_match_scikit_learn_strings_even_with_spaces_in_morphemes(ngram_range):
    """Kiwi keeps some foreign names whole ("new york"), so a morpheme may hold the space that
    joins n-grams: the integer index must find exactly what scikit-learn's joined strings find."""
    rng = np.random.default_rng(7)
    words = ["new", "york", "new york", "york new", "로봇", "돌봄", "로봇 돌봄", "ai", ""]
    train = [Analysed("", list(rng.choice(words, rng.integers(0, 8)))) for _ in range(60)]
    test = [Analysed("", list(rng.choice(words + ["새말", "new 새말"], rng.integers(0, 8)))) for _ in range(80)]
    kwargs = dict(preprocessor=_identity, tokenizer=_morphemes_of, token_pattern=None, lowercase=False, ngram_range=ngram_range, sublinear_tf=True)
    ours, theirs = MorphemeTfidf(**kwargs).fit(train), TfidfVectorizer(**kwargs).fit(train)
    assert (ours._index() is None) == (ngram_range[1] > 3)
    for batch in (test, train, test[:1]):
        assert np.allclose(ours.transform(batch).toarray(), theirs.transform(batch).toarray())
    assert ours.transform([]).shape == (0, len(theirs.vocabulary_))


def test_morpheme_index_follows_a_refit_and_is_not_pickled():
    import pickle

    kwargs = dict(preprocessor=_identity, tokenizer=_morphemes_of, token_pattern=None, lowercase=False)
    vec = MorphemeTfidf(**kwargs).fit([Analysed("", ["돌봄", "로봇"])])
    assert vec.transform([Analysed("", ["로봇"])]).nnz == 1
    vec.fit([Analysed("", ["메타버스"])])
    assert vec.transform([Analysed("", ["로봇"])]).nnz == 0 and vec.transform([Analysed("", ["메타버스"])]).nnz == 1
    assert "_index_cache" not in pickle.loads(pickle.dumps(vec)).__dict__


def test_code_table_finds_every_code_and_only_those():
    rng = np.random.default_rng(3)
    for vocabulary in (np.zeros(0, dtype=np.uint64), np.array([0, 1, 2**63 + 5], dtype=np.uint64), np.unique(rng.integers(0, 2**63, 5000, dtype=np.uint64))):
        table = CodeTable(vocabulary)
        queries = np.concatenate([vocabulary, rng.integers(0, 2**63, 2000, dtype=np.uint64), vocabulary[::-1]])
        position = {int(c): i for i, c in enumerate(vocabulary)}
        assert table.lookup(queries).tolist() == [position.get(int(c), -1) for c in queries]

