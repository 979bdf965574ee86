from __future__ import annotations

import pickle

import numpy as np
import pytest

from classifier.keywords import HALF, KeywordPrior, Rule, check_keyword


def evidence(keywords: list[str], text: str) -> float:
    return float(KeywordPrior(["t"], {"t": keywords}).evidence([text])[0, 0])


def test_a_phrase_matches_with_or_without_its_spaces_and_in_any_case():
    assert evidence(["돌봄 로봇"], "시청이 돌봄로봇을 보급한다") == 1
    assert evidence(["돌봄 로봇"], "돌봄   로봇 보급") == 1
    assert evidence(["vr"], "새 VR 기기") == 1


def test_latin_phrases_do_not_match_inside_latin_words():
    assert evidence(["AI"], "KAIST 연구팀이 발표") == 0
    assert evidence(["AI"], "AI기본법 시행") == 1
    assert evidence(["AR"], "ARTIST 공연") == 0
    assert evidence(["AI 스피커"], "VR AI 스피커") == 1 and evidence(["AI 스피커"], "OPENAI 스피커") == 0
    assert evidence(["X-ray"], "흉부 x-ray 판독") == 1


def test_long_phrases_match_as_written_or_without_spaces():
    phrase = ["가 나 다 라 마"]
    assert evidence(phrase, "가 나 다 라 마") == 1 and evidence(phrase, "가나다라마") == 1
    assert evidence(phrase, "가나 다라마") == 0


def test_distinct_phrases_count_once_each():
    assert evidence(["메타버스|가상현실|XR"], "메타버스 메타버스 가상현실") == 2


def test_a_phrase_inside_a_longer_one_is_found_too():
    assert evidence(["의료 AI", "AI + 병원"], "의료 AI를 병원에 도입") == 2


def test_other_groups_must_occur_for_the_first_to_count():
    rule = ["진단|판독 + AI|인공지능"]
    assert evidence(rule, "AI가 진단과 판독을 돕는다") == 2
    assert evidence(rule, "병원에서 진단과 판독을 한다") == 0


def test_negative_rules_subtract_and_evidence_never_goes_below_zero():
    rules = ["로봇", "-산업용 로봇|용접 로봇"]
    assert evidence(rules, "산업용 로봇과 용접 로봇") == 0
    assert evidence(["로봇|돌봄", "-용접"], "돌봄 로봇, 용접") == 1


def test_scores_rise_with_evidence_and_are_nan_for_tags_without_keywords():
    prior = KeywordPrior(["a", "b"], {"a": ["x1|x2|x3"]})
    scores = prior.scores(["없음", "x1", "x1 x2 x3"])
    assert np.isnan(scores[:, 1]).all()
    assert scores[0, 0] == 0 and scores[1, 0] == pytest.approx(1 / (1 + HALF))
    assert scores[2, 0] > scores[1, 0]
    assert prior.active.tolist() == [True, False]


def test_no_keywords_at_all_matches_nothing():
    assert KeywordPrior(["a"], {}).evidence(["아무 글"]).tolist() == [[0.0]]


@pytest.mark.parametrize("bad", ["", "  ", "a + ", "|", "- "])
def test_empty_groups_are_refused(bad):
    with pytest.raises(ValueError, match="empty phrase group"):
        check_keyword(bad)


def test_rule_parse():
    rule = Rule.parse("-돌봄 로봇|반려로봇 + 어르신")
    assert rule.negative and rule.counted == {"돌봄로봇", "반려로봇"} and rule.required == (frozenset({"어르신"}),)


def test_pickling_drops_the_compiled_pattern_and_still_works():
    prior = KeywordPrior(["t"], {"t": ["메타버스"]})
    prior.evidence(["메타버스"])
    copy = pickle.loads(pickle.dumps(prior))
    assert copy._compiled is None
    assert copy.evidence(["메타버스"])[0, 0] == 1
