from __future__ import annotations

import numpy as np

from classifier.store import StoredDocument
from service.scores import ScoreCache


class CountingTagger:
    """The real tagger, counting the texts it is asked to score."""

    def __init__(self, tagger):
        self.tagger, self.tags, self.scored = tagger, tagger.tags, []

    def scores(self, texts):
        self.scored.extend(texts)
        return self.tagger.scores(texts)


def test_documents_are_scored_again_only_when_their_revision_or_the_model_changes(mini_tagger):
    spy = CountingTagger(mini_tagger)
    cache = ScoreCache()
    docs = [StoredDocument("a", "돌봄 로봇", []), StoredDocument("b", "메타버스 공연", [], title="가상")]
    first = cache.scores("v1", spy, docs)
    assert np.allclose(first, mini_tagger.scores(["돌봄 로봇", "가상\n메타버스 공연"]))
    assert len(spy.scored) == 2
    cache.scores("v1", spy, docs)
    assert len(spy.scored) == 2
    edited = [docs[0], StoredDocument("b", "프로야구 개막", [], revision=2)]
    second = cache.scores("v1", spy, edited)
    assert spy.scored[2:] == ["프로야구 개막"]
    assert np.allclose(second[1], mini_tagger.scores(["프로야구 개막"])[0])
    cache.scores("v2", spy, edited)
    assert len(spy.scored) == 5
    assert cache.scores("v2", spy, []).shape == (0, len(mini_tagger.tags))
