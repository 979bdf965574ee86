"""The compiled n-gram kernels (classifier/features/_ngrams.c) against the numpy code they replace.

tests/test_charngrams.py runs every vectorizer test both ways against scikit-learn; these add
inputs where C and Python could part: every Unicode space, long documents, spaced morphemes."""
from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from classifier.features import CharNgramTfidf, MorphemeTfidf, _compiled, build_features, transform
from classifier.features._codetable import CodeTable
from classifier.features._morphemes import _identity, _morphemes_of
from classifier.tokenize import Analysed


def test_the_kernels_are_built():
    assert _compiled._ngrams is not None, "classifier/features/_ngrams.c was not built (no C compiler at install?)"
    assert _compiled.available()


def test_an_install_without_the_kernels_serves_the_same_features_with_numpy():
    """No C compiler at install: importing the kernels fails, and the vectorizers still work."""
    docs = [("돌봄 로봇이 돕는다", ["돌봄", "로봇", "돕다"]), ("New York 공연", ["new york", "공연"])]
    code = """if True:
        import json, sys
        sys.modules["classifier.features._ngrams"] = None  # its import fails, as when it was not built
        from classifier.features import _compiled, build_features, transform
        from classifier.tokenize import Analysed
        docs = [Analysed(*doc) for doc in json.loads(sys.argv[1])]
        rows = transform(build_features().fit(docs), docs).toarray().tolist()
        print(json.dumps([_compiled.available(), rows]))"""
    run = subprocess.run([sys.executable, "-c", code, json.dumps(docs)], capture_output=True, text=True, check=True)
    available, rows = json.loads(run.stdout)
    assert available is False
    analysed = [Analysed(*doc) for doc in docs]
    assert np.allclose(rows, transform(build_features().fit(analysed), analysed).toarray(), rtol=0, atol=1e-12)


def _both_ways(transform, docs, monkeypatch):
    """``transform(docs)`` with the kernels and with numpy."""
    monkeypatch.setenv("KTAG_COMPILED", "1")
    fast = transform(docs)
    monkeypatch.setenv("KTAG_COMPILED", "0")
    slow = transform(docs)
    return fast, slow


def _same_rows(fast, slow):
    fast, slow = fast.tocsr(), slow.tocsr()
    assert fast.shape == slow.shape
    assert np.diff(fast.indptr).tolist() == np.diff(slow.indptr).tolist()  # the same columns per row...
    assert abs(fast - slow).max() <= 1e-12 if fast.nnz else slow.nnz == 0  # ...with the same values


def test_kernels_split_words_at_every_unicode_space_and_nul(monkeypatch):
    """str.split()'s whitespace (str.isspace, 29 characters) and NUL separate words in C too."""
    spaces = [chr(c) for c in range(0x110000) if chr(c).isspace()] + ["\x00"]
    rng = np.random.default_rng(11)
    letters = list("가나다라마바사abcXYZ美") + ["\U0001F600", "\u00e9", "\u0130"]  # emoji, é, and İ (lower-cases to 2)
    texts = ["".join(rng.choice(letters + spaces, rng.integers(0, 40))) for _ in range(300)]
    texts += ["", " ", "가" * 500, " ".join(spaces), "\x00가\x00"]
    vec = CharNgramTfidf((1, 3)).fit(texts[:150])
    _same_rows(*_both_ways(vec.transform, texts, monkeypatch))
    for ngram_range in ((1, 1), (2, 3), (3, 3)):
        vec = CharNgramTfidf(ngram_range, sublinear_tf=False).fit(texts)
        _same_rows(*_both_ways(vec.transform, texts[::-1], monkeypatch))


def test_kernels_count_repeats_in_long_documents(monkeypatch):
    """A 30,000-character article: thousands of distinct n-grams and repeats in one row."""
    rng = np.random.default_rng(5)
    words = ["인공지능", "돌봄", "로봇", "메타버스", "산업", "정책", "AI", "로봇이", "돕는다"]
    article = " ".join(rng.choice(words, 6000))[:30000]
    vec = CharNgramTfidf((1, 3)).fit([article, "다른 문서"])
    _same_rows(*_both_ways(vec.transform, [article, "", article[:100]], monkeypatch))


def test_morpheme_kernel_matches_numpy_with_spaced_and_unknown_morphemes(monkeypatch):
    rng = np.random.default_rng(9)
    words = ["new", "york", "new york", "로봇", "돌봄", "로봇 돌봄", "ai", "정책"]
    train = [Analysed("", list(rng.choice(words, rng.integers(0, 9)))) for _ in range(80)]
    test = [Analysed("", list(rng.choice(words + ["새말", "new 새말", "x y z"], rng.integers(0, 12)))) for _ in range(200)]
    for ngram_range in ((1, 1), (1, 2), (2, 3), (1, 3)):
        vec = MorphemeTfidf(preprocessor=_identity, tokenizer=_morphemes_of, token_pattern=None, lowercase=False, ngram_range=ngram_range).fit(train)
        for batch in (test, test[:1], [Analysed("", [])], []):
            _same_rows(*_both_ways(vec.transform, batch, monkeypatch))


def test_a_tagger_tags_the_same_with_and_without_the_kernels(mini_tagger, mini_docs, monkeypatch):
    texts = [d.full_text for d in mini_docs] + ["돌봄 로봇과 메타버스", "AI 정책"]
    docs = mini_tagger.analyse(texts)
    fast, slow = _both_ways(mini_tagger.tag_analysed, docs, monkeypatch)
    assert [r.tags for r in fast] == [r.tags for r in slow]
    assert np.allclose([list(r.scores.values()) for r in fast], [list(r.scores.values()) for r in slow], atol=1e-9)


def test_kernels_refuse_bad_arguments_without_writing_past_their_outputs():
    keys, values, shift = CodeTable(np.array([32, 97], dtype=np.uint64)).arrays()
    idf = np.ones(2)
    code_points = np.frombuffer("a a a".encode("utf-32-le"), dtype=np.uint32)
    starts = np.array([0, 5], dtype=np.int64)

    def run(indptr_len=2, capacity=16, lo=1, hi=1, start=starts, table=(keys, values, shift)):
        out = (np.zeros(indptr_len, dtype=np.int64), np.zeros(capacity, dtype=np.int32), np.zeros(capacity))
        nnz = _compiled._ngrams.char_rows(code_points, start, lo, hi, *table, idf, True, *out)
        return nnz, out

    nnz, (indptr, indices, data) = run()
    assert nnz == 2 and indptr.tolist() == [0, 2] and sorted(indices[:2].tolist()) == [0, 1]
    for bad, message in [
        (dict(capacity=1), "too small"),
        (dict(indptr_len=1), "indptr"),
        (dict(lo=0), "1..3"),
        (dict(hi=4), "1..3"),
        (dict(start=np.array([0, 9], dtype=np.int64)), "starts"),
        (dict(start=np.array([3, 1], dtype=np.int64)), "starts"),
        (dict(table=(keys[:3], values[:3], shift)), "table"),
        (dict(table=(keys, values, shift + 1)), "table"),
    ]:
        with pytest.raises(ValueError, match=message):
            run(**bad)
    with pytest.raises(TypeError):
        _compiled._ngrams.char_rows(code_points, starts, 1, 1, *(keys, values, shift), idf, True, "not an array", np.zeros(4, dtype=np.int32), np.zeros(4))
    with pytest.raises(ValueError, match="outside idf"):
        run(table=CodeTable(np.array([32, 97], dtype=np.uint64), np.array([0, 7])).arrays())
    with pytest.raises(ValueError, match="extra rows"):
        _compiled._ngrams.morph_rows(
            np.array([1], dtype=np.int64), np.array([0, 1], dtype=np.int64), 1, 1, np.array([5], dtype=np.int64), np.array([0], dtype=np.int64),
            keys, values, shift, idf, True, np.zeros(2, dtype=np.int64), np.zeros(4, dtype=np.int32), np.zeros(4),
        )
