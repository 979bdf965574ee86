from __future__ import annotations

import subprocess
import sys

from classifier.cache import MorphemeCache, fingerprint
from classifier.tagger import Tagger
from classifier.tokenize import MorphemeAnalyzer

TEXTS = ["돌봄 로봇이 어르신을 돕는다.", "메타버스 플랫폼에서 공연이 열렸다.", "돌봄 로봇이 어르신을 돕는다."]


class CountingAnalyzer(MorphemeAnalyzer):
    """The real analyzer, counting the texts Kiwi is given."""

    seen: list[str] = []

    def iter_analyze(self, texts, threads=None):
        texts = list(texts)
        CountingAnalyzer.seen.extend(texts)
        return super().iter_analyze(texts, threads)


def test_cached_analysis_equals_the_tagger_and_survives_reopening(tmp_path):
    analyzer = CountingAnalyzer()
    CountingAnalyzer.seen = []
    cache = MorphemeCache(tmp_path / "m.sqlite3")
    first = cache.analyse(analyzer, TEXTS)
    assert first == Tagger(["a"]).analyse(TEXTS)
    assert len(CountingAnalyzer.seen) == 2  # the repeated text is analysed once
    assert (cache.misses, cache.hits) == (2, 1)

    again = MorphemeCache(tmp_path / "m.sqlite3")  # a new process would see the same file
    assert again.analyse(analyzer, TEXTS) == first
    assert len(CountingAnalyzer.seen) == 2 and again.hits == 3

    edited = [TEXTS[0], "메타버스 플랫폼에서 새 공연이 열렸다."]
    again.analyse(analyzer, edited)
    assert CountingAnalyzer.seen[2:] == ["메타버스 플랫폼에서 새 공연이 열렸다."]


def test_other_analyzer_settings_never_share_results(tmp_path):
    cache = MorphemeCache(tmp_path / "m.sqlite3")
    plain = MorphemeAnalyzer()
    with_words = MorphemeAnalyzer(user_words=(("돌봄로봇", "NNP"),))
    assert fingerprint(plain) != fingerprint(with_words)
    text = ["돌봄로봇이 보급된다."]
    a = cache.analyse(plain, text)
    b = cache.analyse(with_words, text)
    assert cache.misses == 2
    assert "돌봄로봇" in b[0].morphemes and "돌봄로봇" not in a[0].morphemes


def test_cleaning_happens_before_the_cache_key(tmp_path):
    cache = MorphemeCache(tmp_path / "m.sqlite3")
    page = "본문 기사입니다.\n\n무단전재 및 재배포 금지"
    cleaned = cache.analyse(MorphemeAnalyzer(), [page], clean=True)
    raw = cache.analyse(MorphemeAnalyzer(), [page], clean=False)
    assert cleaned == Tagger(["a"]).analyse([page]) and raw == Tagger(["a"]).analyse([page], clean=False)
    assert cache.misses == 2


def test_importing_the_cache_loads_no_vectorizer():
    """The cache stores ``Analysed`` documents; it needs the analyzer, not the feature code."""
    code = "import sys, classifier.cache; print([m for m in sys.modules if m.startswith(('classifier.features', 'sklearn', 'scipy'))])"
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert loaded == "[]"
