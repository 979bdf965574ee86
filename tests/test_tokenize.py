from __future__ import annotations

import os
import pickle

from sklearn.feature_extraction.text import TfidfVectorizer

from classifier.tokenize import MorphemeAnalyzer, get_kiwi


def test_particles_endings_and_punctuation_are_dropped(analyzer):
    tokens = analyzer("어르신들이 돌봄 로봇과 대화를 나눴다.")
    assert "어르신" in tokens and "돌봄" in tokens and "로봇" in tokens and "대화" in tokens
    for dropped in ("이", "과", "를", "었", "다", ".", "들"):
        assert dropped not in tokens


def test_verb_and_adjective_stems_are_normalised(analyzer):
    tokens = analyzer("로봇이 아픈 사람을 도왔다. 친구와 이야기를 나눴다.")
    assert "아프다" in tokens  # adjective 아픈 → 아프다
    assert "돕다" in tokens  # irregular verb 도왔 → 돕다
    assert "나누다" in tokens  # 나눴 → 나누다
    assert not any(t.endswith("ㄴ") or t == "ᆫ" for t in tokens)


def test_foreign_words_are_lowercased_and_kept(analyzer):
    assert analyzer("AI와 ai, Metaverse 플랫폼").count("ai") == 2
    assert "metaverse" in analyzer("Metaverse 플랫폼")


def test_analyze_many_matches_single_calls(analyzer):
    texts = ["광주시가 인공지능 산업을 육성한다.", "메타버스 플랫폼이 열렸다.", ""]
    assert analyzer.analyze_many(texts) == [analyzer(t) for t in texts]


def test_pickles_without_its_kiwi(analyzer):
    data = pickle.dumps(analyzer)
    assert len(data) < 2000  # settings only: a Kiwi would be hundreds of megabytes
    clone = pickle.loads(data)
    assert clone == analyzer
    assert clone("돌봄 로봇을 보급한다") == analyzer("돌봄 로봇을 보급한다")


def test_one_kiwi_per_process_and_settings():
    first, pooled = get_kiwi(())
    second, _ = get_kiwi(())
    assert first is second
    assert pooled == (int(os.environ.get("KTAG_KIWI_THREADS", "1") or 1) > 0)


def test_user_dictionary_words_are_kept_whole():
    word = "가상융합산업"
    plain = MorphemeAnalyzer()(f"{word}이 성장했다")
    custom = MorphemeAnalyzer(user_words=((word, "NNG"),))(f"{word}이 성장했다")
    assert plain[:3] == ["가상", "융합", "산업"]
    assert custom[0] == word


def test_usable_as_scikit_learn_tokenizer(analyzer):
    vec = TfidfVectorizer(tokenizer=analyzer, token_pattern=None, lowercase=False)
    X = vec.fit_transform(["돌봄 로봇이 어르신을 돕는다", "메타버스 플랫폼이 열렸다"])
    names = set(vec.get_feature_names_out())
    assert {"돌봄", "로봇", "어르신", "돕다", "메타버스", "플랫폼"} <= names
    assert X.shape[0] == 2


def test_single_thread_mode_rebuilds_kiwi(monkeypatch):
    from classifier import tokenize

    monkeypatch.setenv("KTAG_KIWI_THREADS", "2")
    pooled, usable = get_kiwi((("임시단어", "NNP"),))
    assert usable
    tokenize.use_single_thread()
    single, usable = get_kiwi((("임시단어", "NNP"),))
    assert single is not pooled and not usable
    assert MorphemeAnalyzer(user_words=(("임시단어", "NNP"),)).analyze_many(["임시단어가 있다"]) == [["임시단어", "있다"]]


def test_settings_decide_what_each_tag_keeps(analyzer):
    text = "로봇이 아픈 사람을 도왔다. AI 플랫폼"
    assert analyzer(text) == ["로봇", "아프다", "사람", "돕다", "ai", "플랫폼"]
    assert MorphemeAnalyzer(stems=False)(text) == ["로봇", "사람", "ai", "플랫폼"]
    assert MorphemeAnalyzer(keep_tags=("SL",))(text) == ["아프다", "돕다", "ai"]
    assert analyzer(text) == ["로봇", "아프다", "사람", "돕다", "ai", "플랫폼"]  # settings do not leak
